// FP16 x FP16 -> FP32 multiplier, combinational, exact: FP16 subnormals read as signed zero,
// inf x 0 and NaN in give 0x7FC00000; the product always fits an FP32 normal (no rounding).
// Not IEEE FP16 multiplication: do not use it where subnormal operands or NaN payloads matter.
module fp16_mul (
  input  logic [15:0] a_i,
  input  logic [15:0] b_i,
  output logic [31:0] p_o
);
  localparam logic [31:0] CanonicalNan = 32'h7FC0_0000;

  // Field slices live in continuous assigns: Icarus 11 warns on every constant part-select
  // inside an always_* block, so the always_comb blocks below only read whole signals.

  // Operand classes. Exponent 0 is zero or subnormal: both read as signed zero (DAZ).
  logic       a_sign, b_sign, p_sign;
  logic [4:0] a_exp, b_exp;
  logic [9:0] a_man, b_man;
  logic       a_zero, b_zero, a_inf, b_inf, a_nan, b_nan;

  assign {a_sign, a_exp, a_man} = a_i;
  assign {b_sign, b_exp, b_man} = b_i;
  assign a_zero = (a_exp == 5'd0);
  assign b_zero = (b_exp == 5'd0);
  assign a_inf  = (a_exp == 5'h1F) && (a_man == 10'd0);
  assign b_inf  = (b_exp == 5'h1F) && (b_man == 10'd0);
  assign a_nan  = (a_exp == 5'h1F) && (a_man != 10'd0);
  assign b_nan  = (b_exp == 5'h1F) && (b_man != 10'd0);
  assign p_sign = a_sign ^ b_sign;

  // Finite non-zero path: the 11x11-bit significand product is in [2^20, 2^22).
  logic [21:0] sig_prod;
  logic        prod_ge2;
  logic [20:0] prod_frac;
  logic [7:0]  p_exp;
  logic [22:0] p_man;

  assign sig_prod = {1'b1, a_man} * {1'b1, b_man};
  assign {prod_ge2, prod_frac} = sig_prod;

  always_comb begin : p_normalize
    // Both exponents are in 1..30, so the FP32 exponent is 99..158: no range checks needed.
    if (prod_ge2) begin
      // Significand product in [2, 4): one more exponent step, 21 fraction bits padded to 23.
      p_exp = {3'b000, a_exp} + {3'b000, b_exp} + 8'd98;
      p_man = {prod_frac, 2'b00};
    end else begin
      // In [1, 2): bit 20 is the hidden one, so shift it out of the fraction.
      p_exp = {3'b000, a_exp} + {3'b000, b_exp} + 8'd97;
      p_man = {prod_frac, 2'b00} << 1;
    end
  end

  always_comb begin : p_select
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
