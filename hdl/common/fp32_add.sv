// FP32 + FP32 adder, combinational, round to nearest even; subnormals in and out are signed zero,
// overflow gives a signed inf, inf - inf and NaN in give 0x7FC00000, x + (-x) gives +0.
// Not IEEE-complete (no subnormals, flags or other modes); one long path: pipeline it for speed.
module fp32_add (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] s_o
);
  localparam logic [31:0] CanonicalNan = 32'h7FC0_0000;

  logic        a_sign, b_sign;
  logic [7:0]  a_exp, b_exp;
  logic [22:0] a_man, b_man;
  logic        a_zero, b_zero, a_inf, b_inf, a_nan, b_nan;
  logic        big_sign, eff_sub;
  logic [7:0]  big_exp, small_exp;
  logic [23:0] big_sig, small_sig;
  logic [7:0]  exp_diff;
  logic [4:0]  shift;
  logic [53:0] small_wide;
  logic [26:0] small_al;
  logic        sticky;
  logic [27:0] raw;
  logic [26:0] norm;
  logic [4:0]  lzc;
  logic        norm_sticky;
  logic [9:0]  norm_exp;
  logic        norm_hidden, guard, rest, lsb, round_up;
  logic [23:0] rounded;
  logic [22:0] res_man;
  logic [9:0]  res_exp;

  // One block for the whole unit, stages in order: Icarus then evaluates it once per input change
  // instead of once per stage per glitch (the adder sits in every PE, so its simulation speed
  // matters). Fields are size casts of shifts (`8'(a_i >> 23)` is a_i[30:23]): Icarus 11 warns on
  // constant part-selects inside always_*.
  always_comb begin : p_add
    // ---------------------------------------------------------------------------------------------
    // Classify and order. Exponent 0 is zero or subnormal: both read as signed zero (DAZ).
    // |big| >= |small| makes the alignment shift one-way and gives the result big's sign.
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

    if (31'(a_i) >= 31'(b_i)) begin
      big_sign  = a_sign;
      big_exp   = a_exp;
      big_sig   = {1'b1, a_man};
      small_exp = b_exp;
      small_sig = {1'b1, b_man};
    end else begin
      big_sign  = b_sign;
      big_exp   = b_exp;
      big_sig   = {1'b1, b_man};
      small_exp = a_exp;
      small_sig = {1'b1, a_man};
    end
    eff_sub = a_sign ^ b_sign;

    // ---------------------------------------------------------------------------------------------
    // Align and add. Alignment keeps three bits below big's LSB plus a sticky flag for everything
    // shifted further. Three are enough: a shift of two or more keeps the difference above half of
    // big, so normalization moves it left by at most one place and two bits stay below the LSB.
    // The exact result is raw + e with 0 <= e < 1 (units of raw's LSB), e > 0 exactly when sticky:
    // a subtraction takes the sticky as a borrow, so raw is the floor of the exact difference.
    // ---------------------------------------------------------------------------------------------

    exp_diff   = big_exp - small_exp;
    // Any shift of 27 or more leaves only sticky bits; saturate so the shifter stays 5 bits.
    shift      = (exp_diff > 8'd31) ? 5'd31 : 5'(exp_diff);
    small_wide = {small_sig, 30'd0} >> shift;
    small_al   = 27'(small_wide >> 27);
    sticky     = (27'(small_wide) != 27'd0);  // keeps the hidden bit, so set for every shift >= 4
    if (eff_sub) begin
      raw = {1'b0, big_sig, 3'd0} - {1'b0, small_al} - 28'(sticky);
    end else begin
      raw = {1'b0, big_sig, 3'd0} + {1'b0, small_al};
    end

    // ---------------------------------------------------------------------------------------------
    // Normalize to a leading one at bit 26. A carry (addition only) shifts right by one; otherwise
    // shift left by the leading-zero count, found in halving stages (16, 8, 4, 2, 1) where a stage
    // that finds its top bits empty shifts them out. An all-zero raw leaves no leading one (caught
    // below). The exponent is signed and wide so under- and overflow are plain comparisons.
    // ---------------------------------------------------------------------------------------------

    norm = 27'(raw);
    lzc  = 5'd0;
    if ((norm >> 11) == 27'd0) begin norm = norm << 16; lzc = lzc + 5'd16; end
    if ((norm >> 19) == 27'd0) begin norm = norm << 8;  lzc = lzc + 5'd8;  end
    if ((norm >> 23) == 27'd0) begin norm = norm << 4;  lzc = lzc + 5'd4;  end
    if ((norm >> 25) == 27'd0) begin norm = norm << 2;  lzc = lzc + 5'd2;  end
    if ((norm >> 26) == 27'd0) begin norm = norm << 1;  lzc = lzc + 5'd1;  end
    norm_sticky = sticky;
    norm_exp    = {2'b00, big_exp} - {5'd0, lzc};
    if ((raw >> 27) != 28'd0) begin
      norm        = 27'(raw >> 1);
      norm_sticky = sticky || (1'(raw) != 1'b0);
      norm_exp    = {2'b00, big_exp} + 10'd1;
    end

    // ---------------------------------------------------------------------------------------------
    // Round to nearest even: up when the dropped part (guard, round, low bit, sticky) is above half,
    // or exactly half with an odd LSB. Only the fraction is incremented: a carry out of it means
    // 1.11..1 + ulp = 10.00..0, whose fraction bits are already zero, so the exponent steps up.
    // ---------------------------------------------------------------------------------------------

    norm_hidden = 1'(norm >> 26);
    lsb         = 1'(norm >> 3);
    guard       = 1'(norm >> 2);
    rest        = (2'(norm) != 2'd0) || norm_sticky;
    round_up    = guard && (rest || lsb);
    rounded     = {1'b0, 23'(norm >> 3)} + 24'(round_up);
    res_man     = 23'(rounded);
    res_exp     = norm_exp + 10'(rounded >> 23);

    // ---------------------------------------------------------------------------------------------
    // Result selection, most dominant case first.
    // ---------------------------------------------------------------------------------------------
    if (a_nan || b_nan || (a_inf && b_inf && (a_sign != b_sign))) begin
      s_o = CanonicalNan;
    end else if (a_inf || b_inf) begin
      s_o = {a_inf ? a_sign : b_sign, 8'hFF, 23'd0};
    end else if (a_zero && b_zero) begin
      // RNE: the sum of two zeros is -0 only when both are -0.
      s_o = {a_sign && b_sign, 31'd0};
    end else if (a_zero) begin
      s_o = b_i;  // b is normal here: x + 0 = x exactly
    end else if (b_zero) begin
      s_o = a_i;
    end else if (!norm_hidden) begin
      // No leading one: exact cancellation (never with sticky bits), which is +0 under RNE.
      s_o = 32'd0;
    end else if ($signed(res_exp) <= 10'sd0) begin
      // Below 2^-126 a sum of two normals is exact; it flushes to zero with its sign.
      s_o = {big_sign, 31'd0};
    end else if ($signed(res_exp) >= 10'sd255) begin
      s_o = {big_sign, 8'hFF, 23'd0};
    end else begin
      s_o = {big_sign, 8'(res_exp), res_man};
    end

  end
endmodule
