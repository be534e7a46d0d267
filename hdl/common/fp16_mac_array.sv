// Rows x Cols output-stationary FP16 array: PE (i,j) accumulates a_i[i] x b_i[j] in FP32 each
// enabled cycle (FP16 x FP16 exact product, FP32 add with round to nearest even). A fresh
// accumulation starts from +0 when first_i is set, as models/golden.py:gemm_fp16 does.
// Each PE keeps TileRows accumulators, one per row group (group_i picks the one a MAC updates), so
// the array holds Rows*TileRows x Cols outputs with Rows x Cols multipliers (TileRows = 1: one each).
// The MACs of fp16_gemm (dense's datapath, rowpipe's head); sparse lanes use fp16_mul directly.
module fp16_mac_array #(
  parameter int Rows = 4,
  parameter int Cols = 4,
  parameter int TileRows = 1,
  localparam int CountW = $clog2(Rows * Cols + 1),
  localparam int GroupW = TileRows > 1 ? $clog2(TileRows) : 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       en_i,          // perform one MAC in every PE
  input  logic                       first_i,       // this MAC starts a new accumulation
  input  logic [GroupW-1:0]          group_i,       // row group whose accumulators this MAC updates
  input  logic [Rows-1:0][15:0]      a_i,           // one A value per row, broadcast along it
  input  logic [Cols-1:0][15:0]      b_i,           // one B value per column, broadcast down it
  input  logic [Rows-1:0]            row_valid_i,   // rows and columns inside the matrix
  input  logic [Cols-1:0]            col_valid_i,
  output logic [Rows*Cols*32-1:0]    acc_next_o,    // group_i's accumulators after this cycle's MAC
  output logic [CountW-1:0]          effectual_o    // MACs this cycle with two non-zero operands
);
  logic [Rows*Cols-1:0] effectual;

  for (genvar i = 0; i < Rows; i++) begin : gen_row
    for (genvar j = 0; j < Cols; j++) begin : gen_col
      // Packed, one 32-bit slice per row group, so that wave dumps (toggle counts) see it.
      logic [TileRows*32-1:0] acc_q;
      logic [31:0] product, sum;

      always_ff @(posedge clk_i) begin : p_acc
        if (!rst_ni) acc_q <= '0;
        else if (en_i) acc_q[32'(group_i)*32 +: 32] <= sum;
      end

      fp16_mul u_mul (.a_i(a_i[i]), .b_i(b_i[j]), .p_o(product));
      fp32_add u_add (
        .a_i(first_i ? 32'd0 : acc_q[32'(group_i)*32 +: 32]), .b_i(product), .s_o(sum)
      );

      assign acc_next_o[(i*Cols+j)*32 +: 32] = sum;
      // Zero means +0 or -0; a subnormal is a value.
      assign effectual[i*Cols+j] = en_i && row_valid_i[i] && col_valid_i[j]
                                   && (a_i[i][14:0] != 15'd0) && (b_i[j][14:0] != 15'd0);
    end
  end

  assign effectual_o = CountW'($countones(effectual));
endmodule
