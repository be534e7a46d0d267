// FP16 x FP16 -> FP32 multiplier, combinational and exact (IEEE, subnormals included): both operands
// are widened to FP32 normals (fp16_to_fp32), whose 11-bit significands multiply exactly into FP32's
// 24, and the exponent range 2^-48..2^32 fits FP32's normals. Inf x subnormal is inf; inf x 0 and
// NaN in give 0x7FC00000. For FP16 results, round the FP32 product separately.
module fp16_mul (
  input  logic [15:0] a_i,
  input  logic [15:0] b_i,
  output logic [31:0] p_o
);
  localparam logic [31:0] CanonicalNan = 32'h7FC0_0000;

  logic [31:0] a32, b32;
  logic        p_sign;
  logic        a_zero, b_zero, a_inf, b_inf, a_nan, b_nan;
  logic [21:0] sig_prod;
  logic [8:0]  exp_sum;
  logic [7:0]  p_exp;
  logic [22:0] p_man;

  fp16_to_fp32 u_widen_a (.h_i(a_i), .f_o(a32));
  fp16_to_fp32 u_widen_b (.h_i(b_i), .f_o(b32));

  // One block for the whole unit: Icarus evaluates it once per input change (it sits in every PE).
  // Fields are size casts of shifts: Icarus 11 warns on constant part-selects inside always_*.
  always_comb begin : p_mul
    a_zero = 15'(a_i) == 15'd0;
    b_zero = 15'(b_i) == 15'd0;
    a_inf  = 15'(a_i) == 15'h7C00;
    b_inf  = 15'(b_i) == 15'h7C00;
    a_nan  = 15'(a_i) > 15'h7C00;
    b_nan  = 15'(b_i) > 15'h7C00;
    p_sign = 1'(a_i >> 15) ^ 1'(b_i >> 15);

    // A widened FP16 normal or subnormal has its significand in the top 10 fraction bits and an
    // exponent in 103..142, so the product's FP32 exponent is 79..158: no range checks needed.
    sig_prod = {1'b1, 10'(a32 >> 13)} * {1'b1, 10'(b32 >> 13)};
    exp_sum  = {1'b0, 8'(a32 >> 23)} + {1'b0, 8'(b32 >> 23)};
    if (1'(sig_prod >> 21)) begin
      // Significand product in [2, 4): one more exponent step, 21 fraction bits padded to 23.
      p_exp = 8'(exp_sum - 9'd126);
      p_man = {21'(sig_prod), 2'b00};
    end else begin
      // In [1, 2): bit 20 is the hidden one, so shift it out of the fraction.
      p_exp = 8'(exp_sum - 9'd127);
      p_man = {20'(sig_prod), 3'b000};
    end

    if (a_nan || b_nan || (a_inf && b_zero) || (b_inf && a_zero)) begin
      p_o = CanonicalNan;
    end else if (a_inf || b_inf) begin
      p_o = {p_sign, 8'hFF, 23'd0};
    end else if (a_zero || b_zero) begin
      p_o = {p_sign, 31'd0};
    end else begin
      p_o = {p_sign, p_exp, p_man};
    end
  end
endmodule
