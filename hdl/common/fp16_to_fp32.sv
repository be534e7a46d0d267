// FP16 -> FP32 widening, combinational and exact: an FP16 subnormal (m * 2^-24) is an FP32 normal,
// normalized by its fraction's leading one; zeros keep their sign, inf stays inf, any NaN gives the
// canonical 0x7FC00000. The one place the FP16 cores read an FP16 value as a number (fp16_mul's
// operands, Trainer's BN weights, RowPipe's dequantizer scale and shift).
module fp16_to_fp32 (
  input  logic [15:0] h_i,
  output logic [31:0] f_o
);
  logic [4:0]  exp16;
  logic [9:0]  frac16;
  logic [3:0]  lead;                     // bit index of a subnormal fraction's leading one
  logic [22:0] sub_frac;                 // that fraction with its leading one shifted out

  // One block (Icarus evaluates it once per input change); fields are size casts of shifts.
  always_comb begin : p_widen
    exp16  = 5'(h_i >> 10);
    frac16 = 10'(h_i);
    lead = 4'd0;
    for (int i = 0; i < 10; i++) begin
      if (1'(frac16 >> i)) lead = 4'(i);
    end
    sub_frac = 23'({13'd0, frac16} << (5'd23 - {1'b0, lead}));

    if (exp16 == 5'h1F) begin
      f_o = (frac16 == 10'd0) ? {1'(h_i >> 15), 8'hFF, 23'd0} : 32'h7FC0_0000;
    end else if (exp16 != 5'd0) begin
      f_o = {1'(h_i >> 15), {3'd0, exp16} + 8'd112, frac16, 13'd0};
    end else if (frac16 != 10'd0) begin
      // m * 2^-24 with the leading one at bit `lead`: 2^(lead - 24), FP32 exponent 103 + lead.
      f_o = {1'(h_i >> 15), 8'd103 + {4'd0, lead}, sub_frac};
    end else begin
      f_o = {1'(h_i >> 15), 31'd0};
    end
  end
endmodule
