// The estimator of one lane: turns each FF output the lane writes into its activation state and
// keeps the lane's mask^T words and column counts (read-modify-write, one output a cycle).
// Only a part of nzpc_top; the other readers (loader, balancer, readback) use it between FF jobs.
module nzpc_estimate #(
  parameter int Lanes = 16,
  parameter int QMax = 512,
  localparam int NB = 16 / Lanes,                 // mask banks: block b goes to bank b mod NB
  localparam int Blocks = QMax / Lanes,           // FF column blocks of the lane
  localparam int BW = $clog2(Blocks),
  localparam int MkWords = Blocks / NB * 16,      // words of a mask bank (16 row groups a block)
  localparam int MkAW = $clog2(MkWords)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 clear_counts_i,
  // an FF output leaves the lane
  input  logic                 ev_i,
  input  logic [31:0]          z_i,
  input  logic [1:0]           act_i,            // 0 ReLU, 1 ReLU6, 2 LeakyReLU, 3 none
  input  logic [7:0]           row_i,            // FF row m (< 256)
  input  logic [BW-1:0]        b_i,              // FF column block
  output logic                 allowed_o,        // state LINEAR or LEAKY (combinational)
  // other readers (never in the same cycle as ev_i)
  input  logic [NB-1:0]        mk_re_i,
  input  logic [MkAW-1:0]      mk_raddr_i,
  output logic [NB*32-1:0]     mk_rdata_o,       // bank k at [32k +: 32]
  input  logic                 cnt_re_i,
  input  logic [BW-1:0]        cnt_raddr_i,
  output logic [15:0]          cnt_rdata_o,
  output logic [31:0]          rd_o,             // reads and writes of the lane's banks, summed
  output logic [31:0]          wr_o
);
  localparam logic [31:0] Six = 32'h40C0_0000;

  // ---------------------------------------------------------------- state of an output
  wire z_sign = z_i[31];
  wire z_nan = z_i[30:23] == 8'hFF && z_i[22:0] != 23'd0;
  wire z_pos = !z_sign && z_i[30:0] != 31'd0 && !z_nan;    // z > 0 (NaN compares false)
  logic [1:0] state;
  always_comb begin : p_state
    case (act_i)
      2'd0: state = z_pos ? 2'd1 : 2'd0;
      2'd1: state = z_nan ? 2'd1 : !z_pos ? 2'd0 : z_i >= Six ? 2'd2 : 2'd1;
      2'd2: state = z_pos ? 2'd1 : 2'd3;
      default: state = 2'd1;
    endcase
  end
  assign allowed_o = state[0];

  // ---------------------------------------------------------------- read-modify-write
  // Cycle t reads the word (mask at (b, row / 16), count at b); t+1 merges and writes it. A word
  // written at t+1 and read again at t+1 is forwarded from the write. A row group's first row and
  // the first row of all start from zero (so rows past M and stale words read 0).
  localparam int NBW = NB > 1 ? $clog2(NB) : 1;
  wire [31:0] ev_bank = 32'(b_i) % NB;
  wire [NB-1:0] ev_sel = NB'(1) << ev_bank;      // the bank of the event
  wire [MkAW-1:0] ev_addr = MkAW'((32'(b_i) / NB) * 16 + 32'(row_i[7:4]));

  logic p_v_q, p_first_grp_q, p_first_row_q, p_allowed_q;
  logic [NBW-1:0] p_bank_q;
  logic [MkAW-1:0] p_addr_q;
  logic [3:0] p_field_q;
  logic [1:0] p_state_q;
  logic [BW-1:0] p_b_q;
  logic fw_v_q;
  logic [NBW-1:0] fw_bank_q;
  logic [MkAW-1:0] fw_addr_q;
  logic [31:0] fw_data_q;
  logic [BW-1:0] fw_b_q;
  logic [15:0] fw_cnt_q;

  always_ff @(posedge clk_i) begin : p_rmw
    if (!rst_ni) begin
      p_v_q <= 1'b0;
      fw_v_q <= 1'b0;
    end else begin
      p_v_q <= ev_i;
      fw_v_q <= p_v_q;
      if (ev_i) begin
        p_bank_q <= NBW'(ev_bank);
        p_addr_q <= ev_addr;
        p_field_q <= row_i[3:0];
        p_state_q <= state;
        p_allowed_q <= state[0];
        p_first_grp_q <= row_i[3:0] == 4'd0;
        p_first_row_q <= row_i == 8'd0;
        p_b_q <= b_i;
      end
    end
  end

  logic [NB*32-1:0] mk_rdata;
  logic [15:0] cnt_rdata;
  wire fw_mk = fw_v_q && fw_bank_q == p_bank_q && fw_addr_q == p_addr_q;
  wire fw_cnt = fw_v_q && fw_b_q == p_b_q;
  wire [31:0] mk_base = p_first_grp_q ? 32'd0 : fw_mk ? fw_data_q
                     : 32'(mk_rdata >> {p_bank_q, 5'd0});
  wire [15:0] cnt_base = p_first_row_q ? 16'd0 : fw_cnt ? fw_cnt_q : cnt_rdata;
  wire [31:0] mk_new = (mk_base & ~(32'd3 << {p_field_q, 1'b0}))
                       | (32'(p_state_q) << {p_field_q, 1'b0});
  wire [15:0] cnt_new = cnt_base + 16'(p_allowed_q);

  always_ff @(posedge clk_i) begin : p_fwd
    if (p_v_q) begin
      fw_bank_q <= p_bank_q;
      fw_addr_q <= p_addr_q;
      fw_data_q <= mk_new;
      fw_b_q <= p_b_q;
      fw_cnt_q <= cnt_new;
    end
  end

  // ---------------------------------------------------------------- banks
  logic [NB*32-1:0] mk_rd, mk_wr;
  logic [31:0] cnt_rd, cnt_wr;

  for (genvar g = 0; g < NB; g++) begin : gen_mask
    logic [31:0] rdata, rd, wr;
    assign mk_rdata[g*32 +: 32] = rdata;
    assign mk_rd[g*32 +: 32] = rd;
    assign mk_wr[g*32 +: 32] = wr;
    sram_1r1w #(.Words(MkWords), .Width(32)) u_mask (
      .clk_i, .rst_ni, .clear_counts_i,
      .we_i(p_v_q && p_bank_q == NBW'(g)), .waddr_i(p_addr_q), .wdata_i(mk_new),
      .re_i((ev_i && ev_sel[g]) || mk_re_i[g]), .raddr_i(ev_i ? ev_addr : mk_raddr_i),
      .rdata_o(rdata), .rd_count_o(rd), .wr_count_o(wr));
  end

  sram_1r1w #(.Words(Blocks), .Width(16)) u_count (
    .clk_i, .rst_ni, .clear_counts_i,
    .we_i(p_v_q), .waddr_i(p_b_q), .wdata_i(cnt_new),
    .re_i(ev_i || cnt_re_i), .raddr_i(ev_i ? b_i : cnt_raddr_i), .rdata_o(cnt_rdata),
    .rd_count_o(cnt_rd), .wr_count_o(cnt_wr));

  assign mk_rdata_o = mk_rdata;
  assign cnt_rdata_o = cnt_rdata;

  // A function, not an accumulating always_comb: Icarus 11 re-triggers a default-then-override
  // always_comb that feeds another one (the top sums these over the lanes) without end.
  function automatic logic [31:0] bank_sum(input logic [NB*32-1:0] v);
    logic [31:0] acc;
    acc = '0;
    for (int k = 0; k < NB; k++) acc = acc + 32'(v >> (32 * k));
    return acc;
  endfunction
  assign rd_o = cnt_rd + bank_sum(mk_rd);
  assign wr_o = cnt_wr + bank_sum(mk_wr);
endmodule
