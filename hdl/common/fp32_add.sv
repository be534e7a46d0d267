// FP32 + FP32 adder, combinational, round to nearest even; subnormal inputs and results flush to signed zero.
// Special values: overflow gives a signed inf, inf + -inf and any NaN give 0x7FC00000, x + (-x) gives +0.
// Not IEEE-complete (no subnormals, no flags, no other rounding modes); one long path: pipeline it for speed.
module fp32_add (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] s_o
);
  localparam logic [31:0] CanonicalNan = 32'h7FC0_0000;

  // Field slices live in continuous assigns: Icarus 11 warns on every constant part-select
  // inside an always_* block, so the always_comb blocks below only read whole signals.

  // ---------------------------------------------------------------------------------------------
  // Operand classes. Exponent 0 is zero or subnormal: both read as signed zero (DAZ).
  // ---------------------------------------------------------------------------------------------
  logic        a_sign, b_sign;
  logic [7:0]  a_exp, b_exp;
  logic [22:0] a_man, b_man;
  logic        a_zero, b_zero, a_inf, b_inf, a_nan, b_nan;

  assign {a_sign, a_exp, a_man} = a_i;
  assign {b_sign, b_exp, b_man} = b_i;
  assign a_zero = (a_exp == 8'd0);
  assign b_zero = (b_exp == 8'd0);
  assign a_inf  = (a_exp == 8'hFF) && (a_man == 23'd0);
  assign b_inf  = (b_exp == 8'hFF) && (b_man == 23'd0);
  assign a_nan  = (a_exp == 8'hFF) && (a_man != 23'd0);
  assign b_nan  = (b_exp == 8'hFF) && (b_man != 23'd0);

  // ---------------------------------------------------------------------------------------------
  // Finite non-zero path. Order the operands so that |big| >= |small|: then the shift is one-way,
  // and the result takes big's sign (a tie with opposite signs cancels to +0 below).
  // ---------------------------------------------------------------------------------------------
  logic        big_sign, eff_sub;
  logic [7:0]  big_exp, small_exp;
  logic [23:0] big_sig, small_sig;

  always_comb begin : p_order
    if ({a_exp, a_man} >= {b_exp, b_man}) begin
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
  end

  // Alignment keeps three bits below big's LSB plus a sticky flag for everything shifted further.
  // Three bits are enough: with a shift of two or more the difference stays above half of big,
  // so normalization moves it left by at most one place and two bits still sit below the LSB.
  logic [7:0]  exp_diff;
  logic [4:0]  shift;
  logic [53:0] small_wide;
  logic [26:0] small_al, small_out;
  logic        sticky;

  always_comb begin : p_align
    exp_diff   = big_exp - small_exp;
    // Any shift of 27 or more leaves only sticky bits; saturate so the shifter stays 5 bits.
    shift      = (exp_diff > 8'd31) ? 5'd31 : 5'(exp_diff);
    small_wide = {small_sig, 30'd0} >> shift;
  end

  assign {small_al, small_out} = small_wide;
  assign sticky = |small_out;  // never loses the hidden bit, so it is set for every shift >= 4

  // The exact result is raw + e with 0 <= e < 1 (units of raw's LSB), e > 0 exactly when sticky.
  // For a subtraction the sticky is taken as a borrow, so raw is the floor of the exact difference.
  logic [27:0] raw;

  always_comb begin : p_addsub
    if (eff_sub) begin
      raw = {1'b0, big_sig, 3'd0} - {1'b0, small_al} - 28'(sticky);
    end else begin
      raw = {1'b0, big_sig, 3'd0} + {1'b0, small_al};
    end
  end

  // Normalize to a leading one at bit 26. A carry (addition only) shifts right by one; a
  // subtraction shifts left by its leading-zero count. The exponent is kept signed and wide
  // so that underflow (<= 0) and overflow (>= 255) are plain comparisons.
  logic        raw_carry, raw_lsb;
  logic [26:0] raw_body;
  logic [4:0]  lzc;
  logic [26:0] norm;
  logic        norm_sticky;
  logic [9:0]  norm_exp;

  assign {raw_carry, raw_body} = raw;
  assign raw_lsb = raw[0];

  // Leading-zero count and left shift together, in halving stages (16, 8, 4, 2, 1): a stage that
  // finds its top bits empty shifts them out. All-zero raw ends with lzc = 31 and is caught below.
  logic [26:0] lz_val;

  always_comb begin : p_lzc
    lz_val = raw_body;
    lzc    = 5'd0;
    if ((lz_val >> 11) == 27'd0) begin lz_val = lz_val << 16; lzc = lzc + 5'd16; end
    if ((lz_val >> 19) == 27'd0) begin lz_val = lz_val << 8;  lzc = lzc + 5'd8;  end
    if ((lz_val >> 23) == 27'd0) begin lz_val = lz_val << 4;  lzc = lzc + 5'd4;  end
    if ((lz_val >> 25) == 27'd0) begin lz_val = lz_val << 2;  lzc = lzc + 5'd2;  end
    if ((lz_val >> 26) == 27'd0) begin lz_val = lz_val << 1;  lzc = lzc + 5'd1;  end
  end

  always_comb begin : p_normalize
    if (raw_carry) begin
      norm        = 27'(raw >> 1);
      norm_sticky = raw_lsb | sticky;
      norm_exp    = {2'b00, big_exp} + 10'd1;
    end else begin
      norm        = lz_val;
      norm_sticky = sticky;
      norm_exp    = {2'b00, big_exp} - {5'd0, lzc};
    end
  end

  // Round to nearest even: up when the dropped part is above half, or exactly half and the LSB is odd.
  // Only the fraction is incremented: a carry out of it means 1.11..1 + ulp = 10.00..0, whose
  // fraction bits are already the zero we need, so the exponent just steps up.
  logic        norm_hidden, norm_guard, norm_round, norm_low, norm_lsb, round_up;
  logic [22:0] norm_frac, res_man;
  logic [23:0] rounded;
  logic        round_carry;
  logic [9:0]  res_exp;

  assign {norm_hidden, norm_frac, norm_guard, norm_round, norm_low} = norm;
  assign norm_lsb    = norm[3];
  assign round_up    = norm_guard && (norm_round || norm_low || norm_sticky || norm_lsb);
  assign rounded     = {1'b0, norm_frac} + 24'(round_up);
  assign round_carry = rounded[23];
  assign res_man     = 23'(rounded);
  assign res_exp     = norm_exp + 10'(round_carry);

  // ---------------------------------------------------------------------------------------------
  // Result selection, most dominant case first.
  // ---------------------------------------------------------------------------------------------
  always_comb begin : p_select
    if (a_nan || b_nan || (a_inf && b_inf && (a_sign != b_sign))) begin
      s_o = CanonicalNan;
    end else if (a_inf || b_inf) begin
      s_o = {a_inf ? a_sign : b_sign, 8'hFF, 23'd0};
    end else if (a_zero && b_zero) begin
      // RNE: the sum of two zeros is -0 only when both are -0.
      s_o = {a_sign & b_sign, 31'd0};
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
