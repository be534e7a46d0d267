// FP32 -> FP16 conversion, combinational: round to nearest even on the FP16 grid (the subnormal
// grid included), overflow to a signed inf, then FP16 subnormals flush to a zero of the same sign;
// FP32 subnormals in read as signed zero, any NaN gives 0x7E00. Matches models/golden.py
// flush_fp16(np.float32(x).astype(np.float16)) bit for bit except for non-canonical NaN payloads.
// Not for IEEE-complete conversion (no FP16 subnormal outputs, no flags or other rounding modes).
module fp32_to_fp16 (
  input  logic [31:0] a_i,
  output logic [15:0] y_o
);
  localparam logic [15:0] CanonicalNan = 16'h7E00;

  logic        sign;
  logic [7:0]  exp32;
  logic [22:0] man;
  logic [9:0]  exp16;        // biased FP16 exponent of 1.man, two's complement
  logic        lsb, guard, sticky, round_up;
  logic [14:0] rounded;      // {exponent, fraction} after rounding (a carry steps the exponent)
  logic [23:0] sig;
  logic [10:0] sub_rounded;  // exponent-0 case: value / 2^-24 after rounding

  // One block, every variable assigned once (Icarus evaluates it once per input change). Fields are
  // size casts of shifts, as in fp32_mul.sv.
  always_comb begin : p_conv
    sign  = 1'(a_i >> 31);
    exp32 = 8'(a_i >> 23);
    man   = 23'(a_i);
    exp16 = {2'b00, exp32} - 10'd112;
    sig   = {1'b1, man};

    // Normal range: keep 10 fraction bits, round on the 13 dropped ones.
    lsb      = 1'(man >> 13);
    guard    = 1'(man >> 12);
    sticky   = 12'(man) != 12'd0;
    round_up = guard && (sticky || lsb);
    rounded  = {5'(exp16), 10'(man >> 13)} + 15'(round_up);

    // FP16 exponent 0: the value is in [2^-15, 2^-14), on the subnormal grid its units of 2^-24
    // are sig >> 14. Only a round up to 2^-14 (the smallest normal) survives the flush; every value
    // below 2^-15 rounds to a subnormal or zero and flushes anyway.
    sub_rounded = {1'b0, 10'(sig >> 14)}
                  + 11'(1'(sig >> 13) && ((13'(sig) != 13'd0) || 1'(sig >> 14)));

    if (exp32 == 8'hFF && man != 23'd0) begin
      y_o = CanonicalNan;
    end else if (exp32 == 8'hFF) begin
      y_o = {sign, 15'h7C00};
    end else if (exp32 == 8'd0) begin
      y_o = {sign, 15'd0};                       // FP32 zero or subnormal: far below 2^-24
    end else if ($signed(exp16) >= 10'sd31) begin
      y_o = {sign, 15'h7C00};                    // 2^16 and above
    end else if ($signed(exp16) >= 10'sd1) begin
      y_o = (rounded >= 15'h7C00) ? {sign, 15'h7C00} : {sign, rounded};
    end else if (exp16 == 10'd0 && sub_rounded == 11'h400) begin
      y_o = {sign, 15'h0400};                    // rounded up to 2^-14: normal, kept
    end else begin
      y_o = {sign, 15'd0};                       // subnormal result: flushed
    end
  end
endmodule
