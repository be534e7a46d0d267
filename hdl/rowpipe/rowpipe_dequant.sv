// RowPipe's serial FP16 dequantizer: y = fp16(fp32_add(fp32_mul(fp32(acc), scale), shift)) for the
// P accumulators of one output block, one channel a cycle (models/golden.py dequant_affine). It
// takes a new block in the cycle it finishes the last one. FP16 scales and shifts are IEEE values
// (subnormals widened exactly); the caller rejects zero, inf and NaN scales and inf/NaN shifts (BAD_SCALE).
`include "accel_assert.svh"

module rowpipe_dequant #(
  parameter int P = 8,                  // accumulators of a block (a stage's MAC units)
  parameter int AccW = 24,              // signed accumulator width (|acc| < 2^24: exact in FP32)
  parameter int TagW = 8,               // what the caller attaches to a block
  localparam int CntW = $clog2(P + 1)
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clear_i,   // drop the block (soft reset, job abort)
  output logic                   ready_o,   // load_i is taken this cycle
  input  logic                   load_i,    // a block: its first n_i lanes are dequantized
  input  logic [CntW-1:0]        n_i,       // 1..P
  input  logic [P-1:0][AccW-1:0] acc_i,
  input  logic [P-1:0][15:0]     scale_i,   // FP16, per lane
  input  logic [P-1:0][15:0]     shift_i,   // FP16, per lane
  input  logic [TagW-1:0]        tag_i,
  output logic                   op_o,      // one output computed this cycle (DQ_OPS)
  output logic                   out_valid_o, // one cycle: out_y_o lanes < n hold the block
  output logic [P-1:0][15:0]     out_y_o,
  output logic [TagW-1:0]        out_tag_o
);
  localparam int LaneW = P > 1 ? $clog2(P) : 1;
  localparam int LeadW = $clog2(AccW + 1);

  // The conversion to FP32 below assumes a 24-bit accumulator (the FP32 significand).
  `ACCEL_ASSERT_INIT(AccWidth_A, AccW == 24)

  logic [P-1:0][AccW-1:0] acc_q;
  logic [P-1:0][15:0] scale_q, shift_q;
  logic [TagW-1:0] tag_q;
  logic [CntW-1:0] left_q;              // outputs still to compute (0: idle)
  logic [LaneW-1:0] lane_q;

  // ---------------------------------------------------------------- one output's datapath
  logic [AccW-1:0] acc, mag;
  logic [15:0] scale16, shift16;
  logic [31:0] a32, scale32, shift32, prod32, sum32;
  logic [15:0] y16;
  logic [LeadW-1:0] lead;      // index of the leading one of mag
  logic [AccW-2:0] norm;                // mag normalized, its leading one dropped

  assign acc = acc_q[lane_q];
  assign scale16 = scale_q[lane_q];
  assign shift16 = shift_q[lane_q];
  fp16_to_fp32 u_scale32 (.h_i(scale16), .f_o(scale32));
  fp16_to_fp32 u_shift32 (.h_i(shift16), .f_o(shift32));

  always_comb begin : p_operands
    // Exact signed integer -> FP32 (|acc| <= 2^23 fits the 24-bit significand).
    mag = 1'(acc >> (AccW - 1)) ? (~acc + 1'b1) : acc;
    lead = '0;
    for (int i = 0; i < AccW; i++) begin
      if (mag[i]) lead = LeadW'(i);
    end
    norm = (AccW-1)'(mag << (LeadW'(AccW - 1) - lead));
    a32 = (mag == '0) ? 32'd0 : {1'(acc >> (AccW - 1)), 8'(32'd127 + 32'(lead)), 23'(norm)};
  end

  fp32_mul u_mul (.a_i(a32), .b_i(scale32), .p_o(prod32));
  fp32_add u_add (.a_i(prod32), .b_i(shift32), .s_o(sum32));
  fp32_to_fp16 u_to16 (.a_i(sum32), .y_o(y16));

  // ---------------------------------------------------------------- sequencing
  wire working = left_q != '0;
  wire last = left_q == CntW'(1);
  assign ready_o = !working || last;
  assign op_o = working;

  always_ff @(posedge clk_i) begin : p_seq
    if (!rst_ni || clear_i) begin
      left_q <= '0;
      lane_q <= '0;
      out_valid_o <= 1'b0;
    end else begin
      out_valid_o <= working && last;
      if (working) begin
        out_y_o[lane_q] <= y16;
        lane_q <= lane_q + 1'b1;
        left_q <= left_q - 1'b1;
        if (last) out_tag_o <= tag_q;
      end
      if (load_i && ready_o) begin
        acc_q <= acc_i;
        scale_q <= scale_i;
        shift_q <= shift_i;
        tag_q <= tag_i;
        left_q <= n_i;
        lane_q <= '0;
      end
    end
  end
endmodule
