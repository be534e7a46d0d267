// DQ-STP's weight-gradient array: Mults integer multipliers. One error value e (a non-zero of the
// gradient map) times Mults activations of one row of X, added to Mults 32-bit accumulators read from
// the WG result buffer: exact, as golden.int_gemm. Runs beside the shift-add array (EP).
module dqstp_wg_array #(
  parameter int Mults = 16,
  parameter int ValBits = 8,
  localparam int CountW = $clog2(Mults + 1)
) (
  input  logic                          en_i,
  input  logic [ValBits-1:0]            e_i,       // signed error (broadcast)
  input  logic [Mults-1:0][ValBits-1:0] x_i,       // signed activations
  input  logic [Mults-1:0][31:0]        acc_i,     // accumulators before this step
  output logic [Mults-1:0][31:0]        acc_o,     // accumulators after it
  output logic [CountW-1:0]             effectual_o
);
  logic [Mults-1:0] effectual;

  for (genvar l = 0; l < Mults; l++) begin : gen_mult
    logic signed [2*ValBits-1:0] product;
    assign product = $signed(e_i) * $signed(x_i[l]);
    assign acc_o[l] = acc_i[l] + (en_i ? 32'($signed(product)) : 32'd0);
    assign effectual[l] = en_i && e_i != 0 && x_i[l] != 0;
  end

  assign effectual_o = CountW'($countones(effectual));
endmodule
