// FP32 -> FP16 conversion, combinational, IEEE round to nearest even on the FP16 grid, FP16
// subnormals included (gradual underflow: results below 2^-14 keep their units of 2^-24), overflow to
// a signed inf; FP32 subnormals in read as signed zero (they are far below 2^-25 and round to zero
// anyway), any NaN gives 0x7E00. Matches numpy's float32 -> float16 cast (models/golden.py) bit for
// bit except for non-canonical NaN payloads. No flags or other rounding modes.
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
  logic [4:0]  sub_shift;    // exponent <= 0: dropped bits of sig, 14 - exp16 clamped to 25
  logic [10:0] sub_units;    // ... and the value in units of 2^-24 before rounding
  logic        sub_guard, sub_sticky;
  logic [10:0] sub_rounded;  // after rounding: 0x400 is the smallest normal, which encodes the same

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

    // Subnormal range: the value is sig * 2^(exp16 - 38), in units of 2^-24 that is
    // sig >> (14 - exp16); from 25 dropped bits on it rounds to zero (sig < 2^24, no guard bit).
    sub_shift  = ($signed(exp16) < -10'sd11) ? 5'd25 : 5'(10'd14 - exp16);
    sub_units  = 11'(sig >> sub_shift);
    sub_guard  = 1'(sig >> (sub_shift - 5'd1));
    sub_sticky = (sig & ~(24'hFFFFFF << (sub_shift - 5'd1))) != 24'd0;
    sub_rounded = sub_units + 11'(sub_guard && (sub_sticky || 1'(sub_units)));

    if (exp32 == 8'hFF && man != 23'd0) begin
      y_o = CanonicalNan;
    end else if (exp32 == 8'hFF) begin
      y_o = {sign, 15'h7C00};
    end else if (exp32 == 8'd0) begin
      y_o = {sign, 15'd0};                       // FP32 zero or subnormal: far below 2^-25
    end else if ($signed(exp16) >= 10'sd31) begin
      y_o = {sign, 15'h7C00};                    // 2^16 and above
    end else if ($signed(exp16) >= 10'sd1) begin
      y_o = (rounded >= 15'h7C00) ? {sign, 15'h7C00} : {sign, rounded};
    end else begin
      y_o = {sign, 4'd0, sub_rounded};           // subnormal, or rounded up to 2^-14
    end
  end
endmodule
