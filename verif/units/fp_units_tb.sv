// Test wrapper: Lanes copies of fp16_mul, fp32_add, fp32_mul and fp32_to_fp16 side by side on flat
// buses (lane l at bits [W*l +: W]), so one cocotb await checks Lanes vectors per unit. The units
// share nothing.
// Test-only top for verif/units/test_fp_units.py; instantiate the units directly elsewhere.
module fp_units_tb #(
  parameter int Lanes = 32
) (
  input  logic [16*Lanes-1:0] mul_a_i,
  input  logic [16*Lanes-1:0] mul_b_i,
  output logic [32*Lanes-1:0] mul_p_o,
  input  logic [32*Lanes-1:0] add_a_i,
  input  logic [32*Lanes-1:0] add_b_i,
  output logic [32*Lanes-1:0] add_s_o,
  input  logic [32*Lanes-1:0] mul32_a_i,
  input  logic [32*Lanes-1:0] mul32_b_i,
  output logic [32*Lanes-1:0] mul32_p_o,
  input  logic [32*Lanes-1:0] cvt_a_i,
  output logic [16*Lanes-1:0] cvt_y_o
);
  for (genvar l = 0; l < Lanes; l++) begin : gen_lanes
    fp16_mul u_mul (
      .a_i(mul_a_i[16*l +: 16]),
      .b_i(mul_b_i[16*l +: 16]),
      .p_o(mul_p_o[32*l +: 32])
    );
    fp32_add u_add (
      .a_i(add_a_i[32*l +: 32]),
      .b_i(add_b_i[32*l +: 32]),
      .s_o(add_s_o[32*l +: 32])
    );
    fp32_mul u_mul32 (
      .a_i(mul32_a_i[32*l +: 32]),
      .b_i(mul32_b_i[32*l +: 32]),
      .p_o(mul32_p_o[32*l +: 32])
    );
    fp32_to_fp16 u_cvt (
      .a_i(cvt_a_i[32*l +: 32]),
      .y_o(cvt_y_o[16*l +: 16])
    );
  end
endmodule
