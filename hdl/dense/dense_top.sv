// Dense baseline core: C[MxN] = A[MxK] . B[KxN] on a Rows x Cols output-stationary FP16 array,
// FP32 accumulation in ascending k. The yardstick every sparse core's speedup is measured against.
// Operand words (256-bit beats): A word = Rows rows x (16/Rows) k-steps, B word = Cols cols x (16/Cols)
// k-steps, lane = kstep * Rows + row (A) or kstep * Cols + col (B). Results: one Cols-wide FP32 row
// segment per beat, row-major (m, then n-tile); see verif/dense/dense_codec.py for the packing.
`include "accel_shell.svh"
`include "accel_assert.svh"

module dense_top
  import accel_pkg::*;
#(
  parameter int Rows = 4,
  parameter int Cols = 4,
  parameter int AWords = 4096,
  parameter int BWords = 4096,
  parameter int CWords = 4096
) (
  `ACCEL_SHELL_PORTS(Cols * 32)
);
  localparam int ValsPerWord = SHELL_IN_BEAT_BITS / 16;  // FP16 values per operand beat
  localparam int KbA = ValsPerWord / Rows;   // k-steps per A word
  localparam int KbB = ValsPerWord / Cols;   // k-steps per B word
  localparam int NumMult = Rows * Cols;
  localparam int BufA = 0, BufB = 1, BufC = 2;
  localparam int AAddrW = $clog2(AWords), BAddrW = $clog2(BWords), CAddrW = $clog2(CWords);
  localparam int CountW = $clog2(NumMult + 1);
  localparam int RowCntW = $clog2(Rows + 1);
  localparam logic [RowCntW-1:0] RowsCnt = RowCntW'(Rows);
  localparam int SelAW = KbA > 1 ? $clog2(KbA) : 1;
  localparam int SelBW = KbB > 1 ? $clog2(KbB) : 1;

  // Rows and Cols must divide the FP16 values of an operand beat.
  `ACCEL_ASSERT_INIT(p_check_params, Rows * KbA == ValsPerWord && Cols * KbB == ValsPerWord)

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(2, Cols * 32, CAddrW, CountW)
  accel_shell #(
    .NumBufs(2), .NumMult(NumMult), .OutW(Cols * 32), .ResAW(CAddrW), .IncW(CountW)
  ) u_shell (.*);

  assign sts.array_rows = 8'(Rows);
  assign sts.array_cols = 8'(Cols);
  assign sts.buf_a_words = 32'(AWords);
  assign sts.buf_b_words = 32'(BWords);
  assign sts.buf_c_words = 32'(CWords);

  // ---------------------------------------------------------------- configuration check
  // Word counts of each buffer for the configured shape; the shell checks frames and start with them.
  wire [15:0] dim_m = cfg.dim_m, dim_n = cfg.dim_n, dim_k = cfg.dim_k;
  wire [31:0] m_tiles = ceil_div(32'(dim_m), Rows);
  wire [31:0] n_tiles = ceil_div(32'(dim_n), Cols);
  assign buf_words[BufA] = m_tiles * ceil_div(32'(dim_k), KbA);
  assign buf_words[BufB] = n_tiles * ceil_div(32'(dim_k), KbB);
  wire [31:0] c_words = 32'(dim_m) * n_tiles;
  assign buf_needed = 2'b11;
  assign cfg_dim_zero = dim_m == 0 || dim_n == 0 || dim_k == 0;
  assign cfg_dim_big = buf_words[BufA] > AWords || buf_words[BufB] > BWords || c_words > CWords;
  assign cfg_core_err = ERR_NONE;
  assign job_err = 1'b0;
  assign job_err_code = ERR_NONE;

  // ---------------------------------------------------------------- buffers
  logic a_re, b_re, c_we;
  logic [AAddrW-1:0] a_raddr;
  logic [BAddrW-1:0] b_raddr;
  logic [CAddrW-1:0] c_waddr;
  logic [255:0] a_rdata, b_rdata;
  logic [Cols*32-1:0] c_wdata;

  sram_1r1w #(.Words(AWords), .Width(256)) u_buf_a (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufA]), .waddr_i(buf_waddr[AAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(a_re), .raddr_i(a_raddr), .rdata_o(a_rdata),
    .rd_count_o(sram_rd[BufA]), .wr_count_o(sram_wr[BufA]));

  sram_1r1w #(.Words(BWords), .Width(256)) u_buf_b (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufB]), .waddr_i(buf_waddr[BAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(b_re), .raddr_i(b_raddr), .rdata_o(b_rdata),
    .rd_count_o(sram_rd[BufB]), .wr_count_o(sram_wr[BufB]));

  sram_1r1w #(.Words(CWords), .Width(Cols*32)) u_buf_c (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(c_we), .waddr_i(c_waddr), .wdata_i(c_wdata),
    .re_i(res_re), .raddr_i(res_raddr), .rdata_o(res_rdata),
    .rd_count_o(sram_rd[BufC]), .wr_count_o(sram_wr[BufC]));

  assign sram_rd[3] = '0;
  assign sram_wr[3] = '0;

  // ---------------------------------------------------------------- job state
  logic [15:0] m_q, n_q, k_q;              // shape latched at start
  logic [31:0] m_tiles_q, n_tiles_q;
  assign res_words = 32'(m_q) * n_tiles_q;
  assign mac_units = CountW'(NumMult);
  assign mac_skipped = '0;

  // ---------------------------------------------------------------- stage 0: step issue and reads
  // Loop order: m-tile, n-tile, k. A step reads a new A (B) word every KbA (KbB) k-steps.
  logic [31:0] mt0_q, nt0_q;
  logic [15:0] k0_q;
  logic issuing_q;                          // stage 0 still has steps to issue
  logic advance;                            // the pipeline moves this cycle

  wire s0_valid = busy && issuing_q;
  wire s0_step = s0_valid && advance;
  wire s0_last_k = k0_q == k_q - 1;
  wire s0_last_n = nt0_q == n_tiles_q - 1;
  wire s0_last_m = mt0_q == m_tiles_q - 1;
  wire [31:0] k_blocks_a = ceil_div(32'(k_q), KbA);
  wire [31:0] k_blocks_b = ceil_div(32'(k_q), KbB);

  assign a_re = s0_step && (32'(k0_q) % KbA == 0);
  assign b_re = s0_step && (32'(k0_q) % KbB == 0);
  assign a_raddr = AAddrW'(mt0_q * k_blocks_a + 32'(k0_q) / KbA);
  assign b_raddr = BAddrW'(nt0_q * k_blocks_b + 32'(k0_q) / KbB);

  // ---------------------------------------------------------------- stage 1: MAC
  logic s1_valid_q, s1_first_q, s1_last_q;
  logic [31:0] s1_mt_q, s1_nt_q;
  logic [SelAW-1:0] s1_sel_a_q;
  logic [SelBW-1:0] s1_sel_b_q;
  logic [Rows-1:0][15:0] a_vec;
  logic [Cols-1:0][15:0] b_vec;
  logic [Rows-1:0] row_valid;
  logic [Cols-1:0] col_valid;
  logic [Rows*Cols*32-1:0] acc_next;

  always_comb begin : p_operands
    for (int i = 0; i < Rows; i++) begin
      a_vec[i] = a_rdata[(32'(s1_sel_a_q) * Rows + i) * 16 +: 16];
      row_valid[i] = s1_mt_q * Rows + 32'(i) < 32'(m_q);
    end
    for (int j = 0; j < Cols; j++) begin
      b_vec[j] = b_rdata[(32'(s1_sel_b_q) * Cols + j) * 16 +: 16];
      col_valid[j] = s1_nt_q * Cols + 32'(j) < 32'(n_q);
    end
  end

  wire mac_en = s1_valid_q && advance;

  dense_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i(clk), .rst_ni(rst_n),
    .en_i(mac_en), .first_i(s1_first_q),
    .a_i(a_vec), .b_i(b_vec), .row_valid_i(row_valid), .col_valid_i(col_valid),
    .acc_next_o(acc_next), .effectual_o(mac_effectual)
  );

  // ---------------------------------------------------------------- writeback
  // A finished tile is copied to wb_data_q and written one row per cycle while the next tile
  // computes; the pipeline holds only if a tile finishes before the previous one is written.
  logic [Rows*Cols*32-1:0] wb_data_q;
  logic [31:0] wb_mt_q, wb_nt_q;
  logic [Cols-1:0] wb_col_valid_q;
  logic [RowCntW-1:0] wb_left_q, wb_row_q;

  assign advance = !(s1_valid_q && s1_last_q && wb_left_q > 1);
  wire tile_end = mac_en && s1_last_q;
  wire [31:0] rows_left = 32'(m_q) - s1_mt_q * Rows;
  wire [RowCntW-1:0] rows_in_tile = rows_left < Rows ? rows_left[RowCntW-1:0] : RowsCnt;

  assign c_we = wb_left_q != 0;
  assign c_waddr = CAddrW'((wb_mt_q * Rows + 32'(wb_row_q)) * n_tiles_q + wb_nt_q);
  always_comb begin : p_wb_row
    for (int j = 0; j < Cols; j++) begin
      c_wdata[j*32 +: 32] = wb_col_valid_q[j] ? wb_data_q[(32'(wb_row_q) * Cols + j) * 32 +: 32]
                                              : 32'd0;
    end
  end

  // ---------------------------------------------------------------- sequencing
  wire pipeline_empty = !issuing_q && !s1_valid_q && wb_left_q == 0;
  assign job_done = busy && pipeline_empty;

  always_ff @(posedge clk) begin : p_seq
    if (!rst_n || soft_reset) begin
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
    end else begin
      if (job_start) begin
        issuing_q <= 1'b1;
        m_q <= dim_m;
        n_q <= dim_n;
        k_q <= dim_k;
        m_tiles_q <= m_tiles;
        n_tiles_q <= n_tiles;
        mt0_q <= '0;
        nt0_q <= '0;
        k0_q <= '0;
      end
      // stage 0 counters
      if (s0_step) begin
        k0_q <= s0_last_k ? '0 : k0_q + 1;
        if (s0_last_k) begin
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
        s1_nt_q <= nt0_q;
        s1_sel_a_q <= SelAW'(32'(k0_q) % KbA);
        s1_sel_b_q <= SelBW'(32'(k0_q) % KbB);
      end
      // writeback
      if (tile_end) begin
        wb_data_q <= acc_next;
        wb_mt_q <= s1_mt_q;
        wb_nt_q <= s1_nt_q;
        wb_col_valid_q <= col_valid;
        wb_left_q <= rows_in_tile;
        wb_row_q <= '0;
      end else if (wb_left_q != 0) begin
        wb_left_q <= wb_left_q - 1;
        wb_row_q <= wb_row_q + 1;
      end
    end
  end
endmodule
