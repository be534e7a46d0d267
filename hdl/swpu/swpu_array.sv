// SWPU compute array: Rows x Cols FP32 accumulators (a group of filters x a tile of columns) fed by
// Lanes FP16 multipliers, in two stages. Stage 1 packs a k-step's effectual pairs (both operands
// non-zero, row kept by the line mask, output kept) into the lanes with swpu_compact, Lanes per
// cycle, and multiplies and adds. Stage 2 scatters the sums back to their accumulators through
// swpu_expand; stage 1 reads a sum still in stage 2 by forwarding. Each accumulator gets at most
// one product per cycle and sums in ascending k from +0, as models/golden.py:gemm_fp16_skip does.
module swpu_array #(
  parameter int Rows = 8,
  parameter int Cols = 16,
  parameter int Lanes = 16,
  localparam int N = Rows * Cols,
  localparam int IdxW = $clog2(N),
  localparam int CountW = $clog2(N + 1)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  flush_i,    // soft reset or job start: forget any partial tile
  input  logic                  en_i,       // a k-step is in stage 1 and may progress
  input  logic                  last_i,     // it is the tile's last step
  input  logic [Rows*16-1:0]    a_i,        // A[row, k] at [row*16 +: 16] (held while it runs)
  input  logic [Cols*16-1:0]    b_i,        // B[k, col] at [col*16 +: 16]
  input  logic [Rows-1:0]       row_on_i,   // row exists and its line mask keeps this k
  input  logic [Cols-1:0]       col_on_i,   // column exists
  input  logic [N-1:0]          out_on_i,   // output kept (WG: weight not pruned)
  output logic                  step_done_o,  // stage 1 finishes the k-step in this cycle
  output logic                  busy_o,       // stage 2 holds sums
  output logic                  tile_done_o,  // stage 2 completes the tile: acc_o is final now
  output logic [N*32-1:0]       acc_o,        // accumulators after this cycle, [i*32 +: 32]
  output logic [CountW-1:0]     effectual_o,  // products this cycle
  output logic [CountW-1:0]     skipped_o     // pairs of the step dropped as ineffectual
);
  // Flat vectors: Icarus 11 cannot bit-select a variably indexed element of a 2-D packed array.
  logic [N*32-1:0] acc_q;
  logic [N-1:0] done_q;                       // pairs of the current step already computed
  logic [N-1:0] grid, pairs, todo, taken, back_valid;
  logic [Lanes-1:0] lane_valid;
  logic [Lanes*IdxW-1:0] lane_idx, lane_shift;
  logic [Lanes*32-1:0] lane_sum;
  logic [N*32-1:0] back_sum;
  // stage 2 registers: the previous cycle's lane results
  logic s2_valid_q, s2_last_q;
  logic [Lanes-1:0] s2_lane_valid_q;
  logic [Lanes*IdxW-1:0] s2_idx_q, s2_shift_q;
  logic [Lanes*32-1:0] s2_sum_q;

  // An effectual pair: both FP16 operands non-zero (+0 and -0 are zero, subnormals are not).
  always_comb begin : p_pairs
    for (int i = 0; i < Rows; i++) begin
      for (int j = 0; j < Cols; j++) begin
        grid[i*Cols+j] = row_on_i[i] && col_on_i[j] && out_on_i[i*Cols+j];
        pairs[i*Cols+j] = grid[i*Cols+j] && (a_i[i*16 +: 15] != 15'd0)
                          && (b_i[j*16 +: 15] != 15'd0);
      end
    end
    todo = pairs & ~done_q;
  end

  swpu_compact #(.N(N), .Out(Lanes)) u_compact (
    .mask_i(todo), .valid_o(lane_valid), .idx_o(lane_idx), .shift_o(lane_shift),
    .taken_o(taken));

  for (genvar l = 0; l < Lanes; l++) begin : gen_lane
    logic [31:0] product, acc_in;
    // idx = row * Cols + col: the lane's operands and accumulator, fetched by index; an
    // accumulator whose last sum is still in stage 2 comes from there.
    wire [IdxW-1:0] idx = lane_idx[l*IdxW +: IdxW];
    wire [31:0] row = 32'(idx) / Cols;
    wire [31:0] col = 32'(idx) % Cols;
    always_comb begin : p_forward
      acc_in = acc_q[32'(idx)*32 +: 32];
      for (int s = 0; s < Lanes; s++) begin
        if (s2_valid_q && s2_lane_valid_q[s] && s2_idx_q[s*IdxW +: IdxW] == idx) begin
          acc_in = s2_sum_q[s*32 +: 32];
        end
      end
    end
    fp16_mul u_mul (.a_i(a_i[row*16 +: 16]), .b_i(b_i[col*16 +: 16]), .p_o(product));
    fp32_add u_add (.a_i(acc_in), .b_i(product), .s_o(lane_sum[l*32 +: 32]));
  end

  swpu_expand #(.N(N), .In(Lanes), .W(32)) u_expand (
    .valid_i(s2_lane_valid_q), .shift_i(s2_shift_q), .data_i(s2_sum_q),
    .valid_o(back_valid), .data_o(back_sum));

  always_comb begin : p_acc
    for (int i = 0; i < N; i++) begin
      acc_o[i*32 +: 32] = (s2_valid_q && back_valid[i]) ? back_sum[i*32 +: 32] : acc_q[i*32 +: 32];
    end
  end

  assign step_done_o = en_i && (todo & ~taken) == '0;
  assign busy_o = s2_valid_q;
  assign tile_done_o = s2_valid_q && s2_last_q;
  assign effectual_o = en_i ? CountW'($countones(lane_valid)) : '0;
  assign skipped_o = (en_i && done_q == '0) ? CountW'($countones(grid & ~pairs)) : '0;

  always_ff @(posedge clk_i) begin : p_regs
    if (!rst_ni || flush_i) begin
      acc_q <= '0;
      done_q <= '0;
      s2_valid_q <= 1'b0;
      s2_last_q <= 1'b0;
    end else begin
      if (en_i) done_q <= step_done_o ? '0 : (done_q | taken);
      s2_valid_q <= en_i;
      s2_last_q <= en_i && last_i && step_done_o;
      if (en_i) begin
        s2_lane_valid_q <= lane_valid;
        s2_idx_q <= lane_idx;
        s2_shift_q <= lane_shift;
        s2_sum_q <= lane_sum;
      end
      // The tile's last sums land, then the accumulators restart at +0 for the next tile.
      if (s2_valid_q) acc_q <= s2_last_q ? '0 : acc_o;
    end
  end
endmodule
