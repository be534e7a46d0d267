// Tiny design whose toggle counts are known by construction (verif/common/tests/test_toggles.py).
// Top toggle_dut: clock, reset, enable, the counter's top bit (from the child) and a register that
// holds a constant after reset.  Child u_cnt: an 8-bit counter, a packed struct {hi, lo} (a struct
// scope in Verilator's --trace-structs FST, a plain vector in Icarus), that adds one on every
// enabled clock; only its top bit leaves the child.
typedef struct packed {
  logic [3:0] hi;
  logic [3:0] lo;
} toggle_pair_t;

module toggle_counter (
    input  logic clk,
    input  logic rst_n,
    input  logic en,
    output logic msb
);
  toggle_pair_t cnt;
  always_ff @(posedge clk or negedge rst_n)
    if (!rst_n) cnt <= '0;
    else if (en) cnt <= cnt + 8'd1;
  assign msb = cnt.hi[3];
endmodule

module toggle_dut (
    input  logic clk,
    input  logic rst_n,
    input  logic en,
    output logic msb
);
  logic [7:0] const_reg;
  always_ff @(posedge clk or negedge rst_n)
    if (!rst_n) const_reg <= 8'hA5;
    else const_reg <= 8'hA5;

  toggle_counter u_cnt (
      .clk  (clk),
      .rst_n(rst_n),
      .en   (en),
      .msb  (msb)
  );
endmodule

// Speed benchmark only (TOGGLE_BENCH_CYCLES, see test_toggles.py): LANES lanes of a 32-bit LFSR,
// a 16-bit counter and a 40-bit accumulator, about 90 bits per lane, most of them toggling every cycle.
module toggle_lane (
    input  logic        clk,
    input  logic        rst_n,
    input  logic [31:0] seed,
    output logic [39:0] acc
);
  logic [31:0] lfsr;
  logic [15:0] cnt;
  always_ff @(posedge clk or negedge rst_n)
    if (!rst_n) begin
      lfsr <= seed;
      cnt  <= 16'd0;
      acc  <= 40'd0;
    end else begin
      lfsr <= {lfsr[30:0], 1'b0} ^ (lfsr[31] ? 32'h04C11DB7 : 32'h0);
      cnt  <= cnt + 16'd1;
      acc  <= acc + {8'd0, lfsr} + {24'd0, cnt};
    end
endmodule

module toggle_bench #(
    parameter int LANES = 32
) (
    input  logic        clk,
    input  logic        rst_n,
    output logic [39:0] sum
);
  logic [39:0] acc[LANES];
  for (genvar i = 0; i < LANES; i++) begin : g_lane
    toggle_lane u_lane (
        .clk  (clk),
        .rst_n(rst_n),
        .seed (32'h1234_5678 + 32'(i) * 32'h9E37_79B9),
        .acc  (acc[i])
    );
  end
  always_comb begin
    sum = '0;
    for (int i = 0; i < LANES; i++) sum = sum ^ acc[i];
  end
endmodule
