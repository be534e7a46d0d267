// FP16 x FP16 -> FP32 multiplier, combinational and exact: 11x11-bit significands fit FP32's 24 and
// the exponent range 2^-28..2^32 fits FP32's normals. Subnormal inputs read as signed zero (DAZ);
// inf x 0 and NaN in give 0x7FC00000. For FP16 results, round the FP32 product separately.
module fp16_mul (
  input  logic [15:0] a_i,
  input  logic [15:0] b_i,
  output logic [31:0] p_o
);
  localparam logic [31:0] CanonicalNan = 32'h7FC0_0000;

  logic       a_sign, b_sign, p_sign;
  logic [4:0] a_exp, b_exp;
  logic [9:0] a_man, b_man;
  logic       a_zero, b_zero, a_inf, b_inf, a_nan, b_nan;
  logic [21:0] sig_prod;
  logic [7:0]  p_exp;
  logic [22:0] p_man;

  // One block for the whole unit: Icarus evaluates it once per input change (it sits in every PE).
  // Fields are size casts of shifts: Icarus 11 warns on constant part-selects inside always_*.
  always_comb begin : p_mul
    a_sign = 1'(a_i >> 15);
    b_sign = 1'(b_i >> 15);
    a_exp  = 5'(a_i >> 10);
    b_exp  = 5'(b_i >> 10);
    a_man  = 10'(a_i);
    b_man  = 10'(b_i);
    a_zero = (a_exp == 5'd0);
    b_zero = (b_exp == 5'd0);
    a_inf  = (a_exp == 5'h1F) && (a_man == 10'd0);
    b_inf  = (b_exp == 5'h1F) && (b_man == 10'd0);
    a_nan  = (a_exp == 5'h1F) && (a_man != 10'd0);
    b_nan  = (b_exp == 5'h1F) && (b_man != 10'd0);
    p_sign = a_sign ^ b_sign;

    // Both exponents are in 1..30 here, so the FP32 exponent is 99..158: no range checks needed.
    sig_prod = {1'b1, a_man} * {1'b1, b_man};
    if (1'(sig_prod >> 21)) begin
      // Significand product in [2, 4): one more exponent step, 21 fraction bits padded to 23.
      p_exp = {3'b000, a_exp} + {3'b000, b_exp} + 8'd98;
      p_man = {21'(sig_prod), 2'b00};
    end else begin
      // In [1, 2): bit 20 is the hidden one, so shift it out of the fraction.
      p_exp = {3'b000, a_exp} + {3'b000, b_exp} + 8'd97;
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
