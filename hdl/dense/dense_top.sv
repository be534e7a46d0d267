// Dense baseline core: C[MxN] = A[MxK] . B[KxN] on a Rows x Cols output-stationary FP16 array,
// FP32 accumulation in ascending k. The yardstick every sparse core's speedup is measured against.
// Output tile: TileM = Rows*TileRows rows x Cols columns (TileRows accumulators per multiplier; > 1
// reads fewer operand words, see hdl/common/fp16_gemm.sv). Operand words (256-bit beats): A word =
// TileM rows x (16/TileM) k-steps, B word = Cols cols x (16/Cols) k-steps, lane = kstep * TileM + row
// (A) or kstep * Cols + col (B). Results: Cols-wide FP32 row segments, row-major (m, then n-tile),
// 512/(Cols*32) of them a result word (one result beat: the C buffer's lines are a beat wide, written
// one segment at a time through its write mask); verif/common/gemm_packing.py packs and unpacks them.
`include "accel_shell.svh"
`include "accel_assert.svh"

module dense_top
  import accel_pkg::*;
#(
  parameter int Rows = 4,
  parameter int Cols = 4,
  parameter int TileRows = 1,
  parameter int AWords = 4096,
  parameter int BWords = 4096,
  parameter int CWords = 4096     // FP32 row segments of Cols values C holds
) (
  `ACCEL_SHELL_PORTS
);
  localparam int ValsPerWord = SHELL_IN_BEAT_BITS / 16;  // FP16 values per operand beat
  localparam int TileM = Rows * TileRows;    // rows of an output tile and of an A word
  localparam int KbA = ValsPerWord / TileM;  // k-steps per A word
  localparam int KbB = ValsPerWord / Cols;   // k-steps per B word
  localparam int NumMult = Rows * Cols;
  localparam int BufA = 0, BufB = 1, BufC = 2;
  localparam int SegW = Cols * 32;                        // a C row segment
  localparam int ResW = SHELL_OUT_BEAT_BITS;              // a C line: one result beat
  localparam int SegsPerLine = ResW / SegW;
  localparam int CLines = CWords / SegsPerLine;
  localparam int AAddrW = $clog2(AWords), BAddrW = $clog2(BWords), CAddrW = $clog2(CWords);
  localparam int ResAW = $clog2(CLines);
  localparam int CountW = $clog2(NumMult + 1);

  // Rows * TileRows and Cols must divide the FP16 values of an operand beat.
  `ACCEL_ASSERT_INIT(p_check_params, TileM * KbA == ValsPerWord && Cols * KbB == ValsPerWord
                                     && CLines * SegsPerLine == CWords)

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(2, ResW, ResAW, CountW)
  accel_shell #(
    .NumBufs(2), .NumMult(NumMult), .OutW(ResW), .WordW(SegW), .ResAW(ResAW), .IncW(CountW)
  ) u_shell (.*);

  assign sts.array_rows = 8'(Rows);
  assign sts.array_cols = 8'(Cols);
  assign sts.array_tile_rows = 8'(TileRows);
  assign sts.buf_a_words = 32'(AWords);
  assign sts.buf_b_words = 32'(BWords);
  assign sts.buf_c_words = 32'(CWords);

  // ---------------------------------------------------------------- configuration check
  // Word counts of each buffer for the configured shape; the shell checks frames and start with them.
  wire [15:0] dim_m = cfg.dim_m, dim_n = cfg.dim_n, dim_k = cfg.dim_k;
  wire [31:0] m_tiles = ceil_div(32'(dim_m), TileM);
  wire [31:0] n_tiles = ceil_div(32'(dim_n), Cols);
  assign buf_words[BufA] = m_tiles * ceil_div(32'(dim_k), KbA);
  assign buf_words[BufB] = n_tiles * ceil_div(32'(dim_k), KbB);
  wire [31:0] c_segs = 32'(dim_m) * n_tiles;
  assign buf_needed = 2'b11;
  assign cfg_dim_zero = dim_m == 0 || dim_n == 0 || dim_k == 0;
  assign cfg_dim_big = buf_words[BufA] > AWords || buf_words[BufB] > BWords || c_segs > CWords;
  assign cfg_core_err = ERR_NONE;
  assign job_err = 1'b0;
  assign job_err_code = ERR_NONE;

  // ---------------------------------------------------------------- buffers
  logic a_re, b_re, c_we;
  logic [AAddrW-1:0] a_raddr;
  logic [BAddrW-1:0] b_raddr;
  logic [CAddrW-1:0] c_waddr;
  logic [255:0] a_rdata, b_rdata;
  logic [SegW-1:0] c_wdata;

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

  sram_1r1w #(.Words(CLines), .Width(ResW), .WriteW(SegW)) u_buf_c (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(c_we), .waddr_i(c_waddr), .wdata_i(c_wdata),
    .re_i(res_re), .raddr_i(res_raddr), .rdata_o(res_rdata),
    .rd_count_o(sram_rd[BufC]), .wr_count_o(sram_wr[BufC]));

  assign sram_rd[3] = '0;
  assign sram_wr[3] = '0;

  // ---------------------------------------------------------------- the GEMM engine
  logic [31:0] c_segs_q;                    // result words (C row segments), latched at start
  always_ff @(posedge clk) begin : p_job
    if (!rst_n || soft_reset) c_segs_q <= '0;
    else if (job_start) c_segs_q <= c_segs;
  end
  assign res_words = c_segs_q;
  assign mac_units = CountW'(NumMult);
  assign mac_skipped = '0;

  fp16_gemm #(
    .Rows(Rows), .Cols(Cols), .TileRows(TileRows), .BeatW(256),
    .AAddrW(AAddrW), .BAddrW(BAddrW), .CAddrW(CAddrW)
  ) u_gemm (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(soft_reset),
    .start_i(job_start), .m_i(dim_m), .n_i(dim_n), .k_i(dim_k), .done_o(job_done),
    .a_re_o(a_re), .a_raddr_o(a_raddr), .a_rdata_i(a_rdata),
    .b_re_o(b_re), .b_raddr_o(b_raddr), .b_rdata_i(b_rdata),
    .c_we_o(c_we), .c_waddr_o(c_waddr), .c_wdata_o(c_wdata),
    .effectual_o(mac_effectual)
  );
endmodule
