// FP32 x FP32 multiplier, combinational, round to nearest even; subnormal inputs read as signed zero,
// results below 2^-126 after rounding are signed zero, overflow gives a signed inf, inf x 0 and NaN in
// give 0x7FC00000. Matches models/golden.py fp32_mul bit for bit: IEEE rounding with gradual underflow,
// then flush. Not IEEE-complete (no subnormals, flags or other modes); one long path: pipeline it for speed.
module fp32_mul (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] p_o
);
  localparam logic [31:0] CanonicalNan = 32'h7FC0_0000;

  logic        a_sign, b_sign, p_sign;
  logic [7:0]  a_exp, b_exp;
  logic [22:0] a_man, b_man;
  logic        a_zero, b_zero, a_inf, b_inf, a_nan, b_nan;
  logic [47:0] sig_prod;
  logic        prod_hi;
  logic [47:0] norm;
  logic [9:0]  norm_exp;
  logic        tiny;
  logic [47:0] aligned;
  logic        lsb, guard, rest, round_up;
  logic [32:0] rounded;
  logic [9:0]  res_exp;

  // One block for the whole unit, stages in order, every variable assigned once: Icarus evaluates it
  // once per input change. Fields are size casts of shifts (`8'(a_i >> 23)` is a_i[30:23]): Icarus 11
  // warns on constant part-selects inside always_*.
  always_comb begin : p_mul
    // ---------------------------------------------------------------------------------------------
    // Classify. Exponent 0 is zero or subnormal: both read as signed zero (DAZ).
    // ---------------------------------------------------------------------------------------------

    a_sign = 1'(a_i >> 31);
    b_sign = 1'(b_i >> 31);
    a_exp  = 8'(a_i >> 23);
    b_exp  = 8'(b_i >> 23);
    a_man  = 23'(a_i);
    b_man  = 23'(b_i);
    a_zero = (a_exp == 8'd0);
    b_zero = (b_exp == 8'd0);
    a_inf  = (a_exp == 8'hFF) && (a_man == 23'd0);
    b_inf  = (b_exp == 8'hFF) && (b_man == 23'd0);
    a_nan  = (a_exp == 8'hFF) && (a_man != 23'd0);
    b_nan  = (b_exp == 8'hFF) && (b_man != 23'd0);
    p_sign = a_sign ^ b_sign;

    // ---------------------------------------------------------------------------------------------
    // Exact product and normalization. Two 24-bit significands in [1, 2) give a 48-bit product in
    // [1, 4): a leading one at bit 47 means [2, 4), one more exponent step; otherwise bit 46 leads and
    // one left shift puts it at 47. norm_exp is the biased exponent of 1.xxx (norm >> 47), signed and
    // wide (-125..382 for two normals) so under- and overflow are plain comparisons.
    // ---------------------------------------------------------------------------------------------

    sig_prod = 48'({1'b1, a_man}) * 48'({1'b1, b_man});
    prod_hi  = 1'(sig_prod >> 47);
    norm     = prod_hi ? sig_prod : (sig_prod << 1);
    norm_exp = {2'b00, a_exp} + {2'b00, b_exp} - 10'd127 + 10'(prod_hi);

    // ---------------------------------------------------------------------------------------------
    // Gradual underflow, as the golden model's numpy product does before its flush. A product in
    // [2^-127, 2^-126) (norm_exp 0) rounds at the subnormal LSB 2^-149, one bit above a normal's:
    // shift right by one and read it as a subnormal, 0.xxx with exponent field 0. Rounding up to
    // 2^-126 (from 2^-126 - 2^-150 on, the tie included: 2^-126 is the even neighbour) carries into
    // the exponent field and makes it normal; anything else stays subnormal and flushes below. That
    // carry needs guard and LSB both set, so the bit the shift drops never changes the result and
    // is not kept as a sticky. Products under 2^-127 (norm_exp < 0) cannot reach 2^-126.
    // ---------------------------------------------------------------------------------------------

    tiny    = (norm_exp == 10'd0);
    aligned = tiny ? (norm >> 1) : norm;

    // ---------------------------------------------------------------------------------------------
    // Round to nearest even on {exponent, fraction}: up when the dropped part (guard, then the rest)
    // is above half, or exactly half with an odd LSB. A carry out of the fraction steps the exponent:
    // 1.11..1 + ulp = 10.00..0 (fraction already zero), or subnormal 0.11..1 + ulp = 2^-126, the
    // smallest normal.
    // ---------------------------------------------------------------------------------------------

    lsb      = 1'(aligned >> 24);
    guard    = 1'(aligned >> 23);
    rest     = (23'(aligned) != 23'd0);
    round_up = guard && (rest || lsb);
    rounded  = {norm_exp, 23'(aligned >> 24)} + 33'(round_up);
    res_exp  = 10'(rounded >> 23);

    // ---------------------------------------------------------------------------------------------
    // Result selection, most dominant case first.
    // ---------------------------------------------------------------------------------------------
    if (a_nan || b_nan || (a_inf && b_zero) || (b_inf && a_zero)) begin
      p_o = CanonicalNan;
    end else if (a_inf || b_inf) begin
      p_o = {p_sign, 8'hFF, 23'd0};
    end else if (a_zero || b_zero) begin
      p_o = {p_sign, 31'd0};
    end else if ($signed(res_exp) <= 10'sd0) begin
      // Subnormal (or zero) after rounding: flushed to zero with the product's sign.
      p_o = {p_sign, 31'd0};
    end else if ($signed(res_exp) >= 10'sd255) begin
      p_o = {p_sign, 8'hFF, 23'd0};
    end else begin
      p_o = {p_sign, 8'(res_exp), 23'(rounded)};
    end
  end
endmodule
