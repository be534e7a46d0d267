// DQ-STP's unified FF/EP array: Lanes shift-add lanes, no multiplier. A lane adds
// sign * (value << shift) of one non-zero of its row and one 2^n weight code (golden.pow2_decode:
// top bit sign, level 0 = zero, shift = level - 1) to its 32-bit accumulator; exact, as
// golden.shift_add_gemm. scripts/area.py synthesises this module for the area proxy.
module dqstp_shift_array #(
  parameter int Lanes = 16,
  parameter int CodeBits = 4,
  parameter int ValBits = 8,
  localparam int CountW = $clog2(Lanes + 1)
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic [Lanes-1:0]             first_i,    // the row's first term: start from 0
  input  logic [Lanes-1:0]             step_i,     // add this cycle's term
  input  logic [Lanes-1:0]             en_i,       // keep acc_next (a lane whose result waits
                                                   // for its C bank holds instead)
  input  logic [Lanes-1:0][ValBits-1:0]  val_i,    // signed fixed-point activation or error
  input  logic [Lanes-1:0][CodeBits-1:0] code_i,   // 2^n weight code
  output logic [Lanes-1:0][31:0]       acc_next_o, // accumulator with this cycle's term
  output logic [CountW-1:0]            effectual_o // kept steps with a non-zero weight code
);
  localparam int MaxShift = (1 << (CodeBits - 1)) - 2;
  localparam int TermW = ValBits + MaxShift + 1;
  logic [Lanes-1:0] effectual;

  for (genvar l = 0; l < Lanes; l++) begin : gen_lane
    logic [31:0] acc_q;
    logic [CodeBits-2:0] level;
    logic signed [TermW-1:0] shifted, term;

    assign level = code_i[l][CodeBits-2:0];
    // The shifter: the value, sign-extended, moved left by level - 1 (a barrel shifter, no multiply).
    assign shifted = TermW'($signed(val_i[l])) <<< (level - 1'b1);
    assign term = level == 0 ? '0 : (code_i[l][CodeBits-1] ? -shifted : shifted);
    assign acc_next_o[l] = (first_i[l] ? 32'd0 : acc_q) + (step_i[l] ? 32'($signed(term)) : 32'd0);
    assign effectual[l] = en_i[l] && step_i[l] && level != 0;

    always_ff @(posedge clk_i) begin : p_acc
      if (!rst_ni) acc_q <= '0;
      else if (en_i[l]) acc_q <= acc_next_o[l];
    end
  end

  assign effectual_o = CountW'($countones(effectual));
endmodule
