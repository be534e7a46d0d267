// FP16 GEMM engine: C[MxN] = A[MxK] . B[KxN] on a Rows x Cols output-stationary fp16_mac_array,
// FP32 accumulation in ascending k (models/golden.py:gemm_fp16). Reads operand words from two
// one-read-port buffers, writes one Cols-wide FP32 row segment of C per cycle while the next tile
// computes. dense's whole datapath and rowpipe's FP16 head; the buffers and the shell stay outside.
// An output tile is TileM = Rows*TileRows rows x Cols columns: each k-step's A and B words serve its
// TileRows row groups in turn, one group (Rows x Cols MACs) a cycle, so a larger tile reads fewer
// operand words with the same multipliers (TileRows = 1: one group, one cycle per k-step).
// Operand words (BeatW bits, FP16 lanes): an A word holds TileM rows x (lanes/TileM) k-steps, a B
// word Cols columns x (lanes/Cols) k-steps, lane = kstep * TileM + row (A) or kstep * Cols + col (B).
// C is row-major (m, then n-tile), one Cols x 32-bit word each; verif/common/gemm_packing.py packs
// them.
`include "accel_assert.svh"

module fp16_gemm #(
  parameter int Rows = 4,
  parameter int Cols = 4,
  parameter int TileRows = 1,    // row groups of Rows rows in an output tile (accumulators per PE)
  parameter int BeatW = 256,
  parameter int AAddrW = 12,
  parameter int BAddrW = 12,
  parameter int CAddrW = 12,
  localparam int CountW = $clog2(Rows * Cols + 1)
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     clear_i,       // soft reset: drop the job
  input  logic                     start_i,       // begin a job with the shape below
  input  logic [15:0]              m_i,
  input  logic [15:0]              n_i,
  input  logic [15:0]              k_i,
  output logic                     done_o,        // one cycle: every C word of the job is written
  output logic                     a_re_o,
  output logic [AAddrW-1:0]        a_raddr_o,
  input  logic [BeatW-1:0]         a_rdata_i,     // one cycle after a_re_o
  output logic                     b_re_o,
  output logic [BAddrW-1:0]        b_raddr_o,
  input  logic [BeatW-1:0]         b_rdata_i,
  output logic                     c_we_o,
  output logic [CAddrW-1:0]        c_waddr_o,
  output logic [Cols*32-1:0]       c_wdata_o,
  output logic [CountW-1:0]        effectual_o    // MACs this cycle with two non-zero operands
);
  localparam int ValsPerWord = BeatW / 16;   // FP16 values per operand word
  localparam int TileM = Rows * TileRows;    // rows of an output tile and of an A word
  localparam int KbA = ValsPerWord / TileM;  // k-steps per A word
  localparam int KbB = ValsPerWord / Cols;   // k-steps per B word
  localparam int RowCntW = Rows > 1 ? $clog2(Rows + 1) : 2;  // 2 with Rows = 1: wb_left_q > 1 lints
  localparam logic [RowCntW-1:0] RowsCnt = RowCntW'(Rows);
  localparam int SelAW = KbA > 1 ? $clog2(KbA) : 1;
  localparam int SelBW = KbB > 1 ? $clog2(KbB) : 1;
  localparam int GroupW = TileRows > 1 ? $clog2(TileRows) : 1;

  // An A word holds whole k-steps of a tile's rows, a B word whole k-steps of its columns.
  `ACCEL_ASSERT_INIT(p_check_params, TileM * KbA == ValsPerWord && Cols * KbB == ValsPerWord)

  // ---------------------------------------------------------------- job state
  logic active_q;                           // from start_i to done_o
  logic [15:0] m_q, n_q, k_q;              // shape latched at start
  logic [31:0] n_tiles_q, m_tiles_q;

  // ---------------------------------------------------------------- stage 0: step issue and reads
  // Loop order: m-tile, n-tile, k, row group. A k-step's first group reads a new A (B) word every
  // KbA (KbB) k-steps; the buffers hold it for the other groups. Groups wholly past M are not issued.
  logic [31:0] mt0_q, nt0_q;
  logic [15:0] k0_q;
  logic [GroupW-1:0] g0_q;
  logic issuing_q;                          // stage 0 still has steps to issue
  logic advance;                            // the pipeline moves this cycle

  wire s0_valid = issuing_q;
  wire s0_step = s0_valid && advance;
  wire s0_last_g = 32'(g0_q) == TileRows - 1 || mt0_q * TileM + (32'(g0_q) + 1) * Rows >= 32'(m_q);
  wire s0_last_k = k0_q == k_q - 1;
  wire s0_last_n = nt0_q == n_tiles_q - 1;
  wire s0_last_m = mt0_q == m_tiles_q - 1;
  wire [31:0] k_blocks_a = (32'(k_q) + KbA - 1) / KbA;
  wire [31:0] k_blocks_b = (32'(k_q) + KbB - 1) / KbB;

  assign a_re_o = s0_step && g0_q == 0 && (32'(k0_q) % KbA == 0);
  assign b_re_o = s0_step && g0_q == 0 && (32'(k0_q) % KbB == 0);
  assign a_raddr_o = AAddrW'(mt0_q * k_blocks_a + 32'(k0_q) / KbA);
  assign b_raddr_o = BAddrW'(nt0_q * k_blocks_b + 32'(k0_q) / KbB);

  // ---------------------------------------------------------------- stage 1: MAC
  logic s1_valid_q, s1_first_q, s1_last_q;
  logic [31:0] s1_mt_q, s1_nt_q;
  logic [GroupW-1:0] s1_group_q;
  logic [SelAW-1:0] s1_sel_a_q;
  logic [SelBW-1:0] s1_sel_b_q;
  logic [Rows-1:0][15:0] a_vec;
  logic [Cols-1:0][15:0] b_vec;
  logic [Rows-1:0] row_valid;
  logic [Cols-1:0] col_valid;
  logic [Rows*Cols*32-1:0] acc_next;

  always_comb begin : p_operands
    for (int i = 0; i < Rows; i++) begin
      a_vec[i] = a_rdata_i[(32'(s1_sel_a_q) * TileM + 32'(s1_group_q) * Rows + i) * 16 +: 16];
      row_valid[i] = s1_mt_q * TileM + 32'(s1_group_q) * Rows + 32'(i) < 32'(m_q);
    end
    for (int j = 0; j < Cols; j++) begin
      b_vec[j] = b_rdata_i[(32'(s1_sel_b_q) * Cols + j) * 16 +: 16];
      col_valid[j] = s1_nt_q * Cols + 32'(j) < 32'(n_q);
    end
  end

  wire mac_en = s1_valid_q && advance;

  fp16_mac_array #(.Rows(Rows), .Cols(Cols), .TileRows(TileRows)) u_array (
    .clk_i, .rst_ni,
    .en_i(mac_en), .first_i(s1_first_q), .group_i(s1_group_q),
    .a_i(a_vec), .b_i(b_vec), .row_valid_i(row_valid), .col_valid_i(col_valid),
    .acc_next_o(acc_next), .effectual_o
  );

  // ---------------------------------------------------------------- writeback
  // A row group's finished Rows x Cols outputs (at its last k-step) are copied to wb_data_q and
  // written one row per cycle while the array goes on; the pipeline holds only if a group finishes
  // before the previous one is written (never with Rows = 1 or TileRows = 1 and K > 1).
  logic [Rows*Cols*32-1:0] wb_data_q;
  logic [31:0] wb_mt_q, wb_nt_q;
  logic [GroupW-1:0] wb_group_q;
  logic [Cols-1:0] wb_col_valid_q;
  logic [RowCntW-1:0] wb_left_q, wb_row_q;

  assign advance = !(s1_valid_q && s1_last_q && wb_left_q > 1);
  wire group_end = mac_en && s1_last_q;
  wire [31:0] rows_left = 32'(m_q) - s1_mt_q * TileM - 32'(s1_group_q) * Rows;
  wire [RowCntW-1:0] rows_in_group = rows_left < Rows ? rows_left[RowCntW-1:0] : RowsCnt;

  assign c_we_o = wb_left_q != 0;
  assign c_waddr_o = CAddrW'((wb_mt_q * TileM + 32'(wb_group_q) * Rows + 32'(wb_row_q)) * n_tiles_q
                             + wb_nt_q);
  always_comb begin : p_wb_row
    for (int j = 0; j < Cols; j++) begin
      c_wdata_o[j*32 +: 32] = wb_col_valid_q[j] ? wb_data_q[(32'(wb_row_q) * Cols + j) * 32 +: 32]
                                                : 32'd0;
    end
  end

  // ---------------------------------------------------------------- sequencing
  wire pipeline_empty = !issuing_q && !s1_valid_q && wb_left_q == 0;
  assign done_o = active_q && pipeline_empty;

  always_ff @(posedge clk_i) begin : p_seq
    if (!rst_ni || clear_i) begin
      active_q <= 1'b0;
      issuing_q <= 1'b0;
      s1_valid_q <= 1'b0;
      wb_left_q <= '0;
      m_q <= '0;
      n_q <= '0;
      k_q <= '0;
      m_tiles_q <= '0;
      n_tiles_q <= '0;
      mt0_q <= '0;
      nt0_q <= '0;
      k0_q <= '0;
      g0_q <= '0;
    end else begin
      if (done_o) active_q <= 1'b0;
      if (start_i) begin
        active_q <= 1'b1;
        issuing_q <= 1'b1;
        m_q <= m_i;
        n_q <= n_i;
        k_q <= k_i;
        m_tiles_q <= (32'(m_i) + TileM - 1) / TileM;
        n_tiles_q <= (32'(n_i) + Cols - 1) / Cols;
        mt0_q <= '0;
        nt0_q <= '0;
        k0_q <= '0;
        g0_q <= '0;
      end
      // stage 0 counters
      if (s0_step) begin
        g0_q <= s0_last_g ? '0 : g0_q + 1;
        if (s0_last_g) k0_q <= s0_last_k ? '0 : k0_q + 1;
        if (s0_last_g && s0_last_k) begin
          nt0_q <= s0_last_n ? '0 : nt0_q + 1;
          if (s0_last_n) begin
            mt0_q <= mt0_q + 1;
            if (s0_last_m) issuing_q <= 1'b0;
          end
        end
      end
      // stage 1 registers
      if (advance) begin
        s1_valid_q <= s0_valid;
        s1_first_q <= k0_q == 0;
        s1_last_q <= s0_last_k;
        s1_mt_q <= mt0_q;
        s1_group_q <= g0_q;
        s1_nt_q <= nt0_q;
        s1_sel_a_q <= SelAW'(32'(k0_q) % KbA);
        s1_sel_b_q <= SelBW'(32'(k0_q) % KbB);
      end
      // writeback
      if (group_end) begin
        wb_data_q <= acc_next;
        wb_mt_q <= s1_mt_q;
        wb_group_q <= s1_group_q;
        wb_nt_q <= s1_nt_q;
        wb_col_valid_q <= col_valid;
        wb_left_q <= rows_in_group;
        wb_row_q <= '0;
      end else if (wb_left_q != 0) begin
        wb_left_q <= wb_left_q - 1;
        wb_row_q <= wb_row_q + 1;
      end
    end
  end
endmodule
