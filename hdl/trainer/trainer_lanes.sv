// Lanes multiply-accumulate lanes: lane j adds x_i * y_i[j] (FP16 x FP16 exact, FP32 RNE add) to
// its accumulator when the product is effectual (both operands, as this unit's multipliers see them,
// non-zero) and the lane is enabled. A tile's outputs start from +0: end_i returns every accumulator to +0 after res_o
// (the value including this cycle's product) has been taken. Used twice: the full-precision lanes
// and the estimate lanes (fed with truncated operands: a subnormal truncated to zero is skipped, as
// golden.speculation_estimate skips it). MantBits < 10 makes the multipliers narrow:
// the operands' low mantissa bits are constant zero, so synthesis trims them (the estimate lanes'
// real cost, make area); the caller never sends more bits (SPEC.keep <= SpecBits is checked).
module trainer_lanes #(
  parameter int Lanes = 16,
  parameter int MantBits = 10,
  localparam int CountW = $clog2(Lanes + 1),
  localparam logic [15:0] OperandMask = 16'hFFFF << (10 - MantBits)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    clear_i,      // job start: every accumulator to +0
  input  logic                    en_i,         // a product arrives this cycle
  input  logic                    end_i,        // the tile ends with this cycle
  input  logic [15:0]             x_i,
  input  logic [Lanes-1:0][15:0]  y_i,
  input  logic [Lanes-1:0]        lane_en_i,    // outputs this tile computes
  output logic [Lanes-1:0][31:0]  res_o,        // accumulators after this cycle's product
  output logic [CountW-1:0]       effectual_o   // products accumulated this cycle
);
  logic [Lanes-1:0] effectual;
  wire [15:0] x = x_i & OperandMask;
  wire x_nz = x[14:0] != 15'd0;

  for (genvar j = 0; j < Lanes; j++) begin : gen_lane
    logic [31:0] acc_q, product, sum;

    wire [15:0] y = y_i[j] & OperandMask;
    fp16_mul u_mul (.a_i(x), .b_i(y), .p_o(product));
    fp32_add u_add (.a_i(acc_q), .b_i(product), .s_o(sum));

    assign effectual[j] = en_i && lane_en_i[j] && x_nz && y[14:0] != 15'd0;
    assign res_o[j] = effectual[j] ? sum : acc_q;

    always_ff @(posedge clk_i) begin : p_acc
      if (!rst_ni || clear_i || end_i) acc_q <= '0;
      else if (effectual[j]) acc_q <= sum;
    end
  end

  assign effectual_o = CountW'($countones(effectual));
endmodule
