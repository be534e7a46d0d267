// The sequential BN statistics lane: one output a cycle, s1[row] += c and s2[row] += c * w
// (fp32_mul, then fp32_add; w = c in FF, float32(x-hat) in BP), rows grouped by Lanes. It takes a
// C word (in_valid_i/in_ready_o), walks its valid lanes in order, and when the word closes its row
// group writes BN words 2g (s1) and 2g+1 (s2), then starts the group again from +0.
// One lane is enough: a word brings at most Lanes outputs and takes at least one fetch cycle per
// tile; the top stalls its writeback when a word arrives before the previous one is done.
`include "accel_assert.svh"

module trainer_bn #(
  parameter int Lanes = 16,
  localparam int SlotW = $clog2(Lanes),
  localparam int CountW = $clog2(Lanes + 1)
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clear_i,        // job start or soft reset: back to idle, sums +0
  input  logic                   use_xhat_i,     // BP: w = x-hat word t; FF: w = c
  input  logic                   lane_rows_i,    // compress B: lane j is row g*Lanes + j
  input  logic                   in_valid_i,
  output logic                   in_ready_o,
  input  logic [Lanes-1:0][31:0] in_word_i,
  input  logic [31:0]            in_t_i,         // tile (x-hat word) of the C word
  input  logic [CountW-1:0]      in_nvalid_i,    // valid lanes: 0 .. in_nvalid_i-1
  input  logic [SlotW-1:0]       in_slot_i,      // compress A: the word's row - g*Lanes
  input  logic                   in_group_end_i, // the word brings its group's last outputs
  input  logic [31:0]            in_group_i,     // row group g
  output logic                   xh_re_o,        // x-hat read, data the next cycle
  output logic [31:0]            xh_raddr_o,
  input  logic [Lanes-1:0][15:0] xh_rdata_i,
  output logic                   bn_we_o,
  output logic [31:0]            bn_waddr_o,
  output logic [Lanes-1:0][31:0] bn_wdata_o,
  output logic                   idle_o
);
  typedef enum logic [1:0] {BnIdle, BnProc, BnWrS1, BnWrS2} bn_state_e;
  bn_state_e state_q;
  logic [Lanes-1:0][31:0] word_q, s1_q, s2_q;
  logic [CountW-1:0] nvalid_q;
  logic [SlotW-1:0] idx_q, slot_q;
  logic group_end_q, lane_rows_q, use_xhat_q;
  logic [31:0] group_q;

  // FP16 -> FP32, exact (an FP16 subnormal is an FP32 normal); NaN becomes the canonical NaN.
  logic [31:0] xhat32;
  fp16_to_fp32 u_xhat32 (.h_i(xh_rdata_i[idx_q]), .f_o(xhat32));

  wire proc = state_q == BnProc;
  wire last_lane = 32'(idx_q) + 1 == 32'(nvalid_q);
  wire [SlotW-1:0] slot = lane_rows_q ? idx_q : slot_q;
  wire [31:0] c = word_q[idx_q];
  wire [31:0] w = use_xhat_q ? xhat32 : c;
  logic [31:0] cw, s1_sum, s2_sum;

  fp32_mul u_cw (.a_i(c), .b_i(w), .p_o(cw));
  fp32_add u_s1 (.a_i(s1_q[slot]), .b_i(c), .s_o(s1_sum));
  fp32_add u_s2 (.a_i(s2_q[slot]), .b_i(cw), .s_o(s2_sum));

  assign in_ready_o = state_q == BnIdle || state_q == BnWrS2 || (proc && last_lane && !group_end_q);
  wire accept = in_valid_i && in_ready_o;
  assign xh_re_o = accept && use_xhat_i;
  assign xh_raddr_o = in_t_i;
  assign bn_we_o = state_q == BnWrS1 || state_q == BnWrS2;
  assign bn_waddr_o = 2 * group_q + (state_q == BnWrS2 ? 32'd1 : 32'd0);
  assign bn_wdata_o = state_q == BnWrS2 ? s2_q : s1_q;
  assign idle_o = state_q == BnIdle;

  always_ff @(posedge clk_i) begin : p_bn
    if (!rst_ni || clear_i) begin
      state_q <= BnIdle;
      s1_q <= '0;
      s2_q <= '0;
      idx_q <= '0;
    end else begin
      if (proc) begin
        s1_q[slot] <= s1_sum;
        s2_q[slot] <= s2_sum;
        idx_q <= idx_q + 1;
        if (last_lane) state_q <= group_end_q ? BnWrS1 : BnIdle;
      end
      if (state_q == BnWrS1) state_q <= BnWrS2;
      if (state_q == BnWrS2) begin
        state_q <= BnIdle;
        s1_q <= '0;          // the next group starts from +0
        s2_q <= '0;
      end
      if (accept) begin
        state_q <= BnProc;
        idx_q <= '0;
      end
    end
  end

  always_ff @(posedge clk_i) begin : p_word
    if (accept) begin
      word_q <= in_word_i;
      nvalid_q <= in_nvalid_i;
      slot_q <= in_slot_i;
      group_end_q <= in_group_end_i;
      group_q <= in_group_i;
      lane_rows_q <= lane_rows_i;
      use_xhat_q <= use_xhat_i;
    end
  end

  `ACCEL_ASSERT(BnWordHasOutputs_A, !accept || (in_nvalid_i != 0 && 32'(in_nvalid_i) <= Lanes),
                clk_i, rst_ni)
endmodule
