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
