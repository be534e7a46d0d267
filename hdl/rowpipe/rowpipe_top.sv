// RowPipe core: a CONV job runs two frozen conv layers (INT4 weights x UINT4 activations, FP16
// dequantizer, ReLU + UINT4 requantization, optional 2x2 max pool) as a row pipeline over a K2+1
// bank line buffer (or layer by layer); a HEAD job is dense's FP16 GEMM (fp16_gemm). Not a general
// conv engine: stride 1, square kernels up to Banks-1, one image; layouts in rowpipe_codec.py.
//
// Stage sequencer overheads (cycles, each stage, rowpipe_stage.sv), beyond one MAC step a cycle:
//   per output row:           1 (SRowWait, when the row may begin at once; more while it waits)
//   per (output row, group):  2 (SDqRead: the dequantizer word is read; SDqCheck: it is latched
//                             and checked for BAD_SCALE before any weight of the group is read)
//   per output block (g, x):  0 (blocks follow each other without bubbles) unless the block has
//                             fewer MAC steps than the previous block's dequantizer outputs: then
//                             its last step waits (DQ_STALL) until the dequantizer is free.
//   latency: a step's MAC is 1 cycle after its issue; a block's dequantizer starts right after its
//   last MAC and takes min(P, Co - gP) cycles; its line-buffer/pool/result write is 1 cycle later.
// Both stages start together; the row rules between them are in "row pipeline" below.
`include "accel_shell.svh"
`include "accel_assert.svh"

module rowpipe_top
  import accel_pkg::*;
#(
  parameter int StageMacs = 8,    // P: INT4 x UINT4 MACs of each conv stage (4 or 8)
  parameter int Banks = 4,        // line-buffer banks (2..4): K2 <= Banks - 1
  parameter int BankRows = 2,     // rows a bank holds (layer-by-layer mode)
  parameter int RowWords = 32,    // words of a bank row (P UINT4 a word)
  parameter int WWords = 1024,    // each weight buffer (W1/A, W2/B), 256-bit words
  parameter int XWords = 256,     // input map buffer, 256-bit words
  parameter int CWords = 1024,    // result buffer, 128-bit words (4 a 512-bit line: a result beat)
  parameter int HeadRows = 4,     // the head's FP16 GEMM array
  parameter int HeadCols = 4
) (
  `ACCEL_SHELL_PORTS
);
  localparam int P = StageMacs;
  localparam int CPW = 64 / P;          // input channels of a weight word; P-groups of an X word
  localparam int LogCpw = $clog2(CPW);
  localparam int OutW = HeadCols * 32;  // a result word (head row segment, P conv outputs)
  localparam int ResW = SHELL_OUT_BEAT_BITS;  // a C line: one result beat, written a word at a time
  localparam int WordsPerLine = ResW / OutW;
  localparam int CLines = CWords / WordsPerLine;
  localparam int NumBufs = 3;
  localparam int BufW1 = 0, BufW2 = 1, BufX = 2;
  localparam int CntC = 2, CntX = 3;             // SRAM counter slots of the result and X buffers
  localparam int WAW = $clog2(WWords), XAW = $clog2(XWords), CAW = $clog2(CWords);
  localparam int ResAW = $clog2(CLines);
  localparam int LbAW = RowWords > 1 ? $clog2(RowWords) : 1;
  localparam int HeadMacs = HeadRows * HeadCols;
  localparam int MaxUnits = 2 * P > HeadMacs ? 2 * P : HeadMacs;
  localparam int IncW = $clog2(MaxUnits + 1);
  localparam int EffW = $clog2(P + 1);
  localparam int RowW = 16;
  localparam int MaxK = Banks - 1;
  localparam int KbA = 16 / HeadRows, KbB = 16 / HeadCols;   // head k-steps per operand word

  `ACCEL_ASSERT_INIT(StageMacsSupported_A, StageMacs == 4 || StageMacs == 8)
  `ACCEL_ASSERT_INIT(BanksSupported_A, Banks >= 2 && Banks <= 4)
  `ACCEL_ASSERT_INIT(HeadWidth_A, HeadCols * 32 == 128 && CLines * WordsPerLine == CWords)

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(NumBufs, ResW, ResAW, IncW)
  accel_shell #(
    .NumBufs(NumBufs), .NumMult(2 * P), .OutW(ResW), .WordW(OutW), .ResAW(ResAW), .IncW(IncW)
  ) u_shell (.*);

  // ---------------------------------------------------------------- configuration check (live cfg)
  wire is_head = cfg.mode_kind == 1'b1;
  // HEAD: dense's word counts.
  wire [31:0] m_tiles = ceil_div(32'(cfg.dim_m), HeadRows);
  wire [31:0] n_tiles = ceil_div(32'(cfg.dim_n), HeadCols);
  wire [31:0] a_words = m_tiles * ceil_div(32'(cfg.dim_k), KbA);
  wire [31:0] b_words = n_tiles * ceil_div(32'(cfg.dim_k), KbB);
  wire [31:0] h_words = 32'(cfg.dim_m) * n_tiles;
  // CONV: the two layers' shapes; output sizes clamped at 0 (a shape error is not an oversize).
  wire [31:0] h = 32'(cfg.map_height), w = 32'(cfg.map_width);
  wire [31:0] c0 = 32'(cfg.channels_c0), c1 = 32'(cfg.channels_c1), c2 = 32'(cfg.channels_c2);
  wire [31:0] k1 = 32'(cfg.kernel_k1), p1 = 32'(cfg.kernel_p1);
  wire [31:0] k2 = 32'(cfg.kernel_k2), p2 = 32'(cfg.kernel_p2);
  wire [31:0] g0 = ceil_div(c0, P), g1 = ceil_div(c1, P), g2 = ceil_div(c2, P);
  wire [31:0] cb0 = ceil_div(c0, CPW), cb1 = ceil_div(c1, CPW);
  wire signed [31:0] ho1_s = $signed(h + 2 * p1 + 1) - $signed(k1);
  wire signed [31:0] wo1_s = $signed(w + 2 * p1 + 1) - $signed(k1);
  wire [31:0] ho1 = ho1_s > 0 ? ho1_s : 32'd0;
  wire [31:0] wo1 = wo1_s > 0 ? wo1_s : 32'd0;
  wire [31:0] hi2 = cfg.mode_pool ? ho1 >> 1 : ho1;
  wire [31:0] wi2 = cfg.mode_pool ? wo1 >> 1 : wo1;
  wire signed [31:0] ho2_s = $signed(hi2 + 2 * p2 + 1) - $signed(k2);
  wire signed [31:0] wo2_s = $signed(wi2 + 2 * p2 + 1) - $signed(k2);
  wire [31:0] ho2 = ho2_s > 0 ? ho2_s : 32'd0;
  wire [31:0] wo2 = wo2_s > 0 ? wo2_s : 32'd0;
  wire [31:0] nw1 = g1 * k1 * k1 * cb0;
  wire [31:0] nw2 = g2 * k2 * k2 * cb1;
  wire [31:0] w1_words = nw1 + ceil_div(c1, 8);
  wire [31:0] w2_words = nw2 + ceil_div(c2, 8);
  wire [31:0] x_words = ceil_div(h * w * g0 * P, 64);
  wire [31:0] r_words = ho2 * wo2 * g2;

  wire conv_zero = h == 0 || w == 0 || c0 == 0 || c1 == 0 || c2 == 0 || k1 == 0 || k2 == 0;
  wire conv_big = w1_words > WWords || w2_words > WWords || x_words > XWords || r_words > CWords;
  wire conv_phase = phase == PHASE_BP[1:0] || phase == PHASE_WG[1:0];
  wire kernel_big = k1 > MaxK || k2 > MaxK;
  wire bad_pad = p1 >= k1 || p2 >= k2;
  wire out_empty = ho1_s < 1 || wo1_s < 1 || hi2 < 1 || wi2 < 1 || ho2_s < 1 || wo2_s < 1;
  wire pool_odd = cfg.mode_pool && (ho1[0] || wo1[0]);
  wire row_long = wi2 * g1 > RowWords;
  wire map_tall = cfg.mode_layerwise && ceil_div(hi2, 32'(k2) + 1) > BankRows;

  assign cfg_dim_zero = is_head ? (cfg.dim_m == 0 || cfg.dim_n == 0 || cfg.dim_k == 0) : conv_zero;
  assign cfg_dim_big = is_head ? (a_words > WWords || b_words > WWords || h_words > CWords)
                               : conv_big;
  assign cfg_core_err = is_head ? ROWPIPE_ERR_NONE
                      : conv_phase ? ROWPIPE_ERR_CONV_PHASE
                      : kernel_big ? ROWPIPE_ERR_KERNEL_BIG
                      : bad_pad ? ROWPIPE_ERR_BAD_PAD
                      : out_empty ? ROWPIPE_ERR_OUT_EMPTY
                      : pool_odd ? ROWPIPE_ERR_POOL_ODD
                      : row_long ? ROWPIPE_ERR_ROW_LONG
                      : map_tall ? ROWPIPE_ERR_MAP_TALL
                      : ROWPIPE_ERR_NONE;
  assign buf_words[BufW1] = is_head ? a_words : w1_words;
  assign buf_words[BufW2] = is_head ? b_words : w2_words;
  assign buf_words[BufX] = is_head ? 32'd0 : x_words;
  assign buf_needed = is_head ? 3'b011 : 3'b111;

  // ---------------------------------------------------------------- status
  assign sts.array_stage_macs = 8'(StageMacs);
  assign sts.array_banks = 8'(Banks);
  assign sts.array_bank_rows = 8'(BankRows);
  assign sts.array_head_rows = 4'(HeadRows);
  assign sts.array_head_cols = 4'(HeadCols);
  assign sts.row_words = 32'(RowWords);
  assign sts.buf_w_words = 32'(WWords);
  assign sts.buf_x_words = 32'(XWords);
  assign sts.buf_c_words = 32'(CWords);
  assign sts.cfg_err = cfg_core_err;

  // ---------------------------------------------------------------- the job (latched at start)
  logic head_q, pool_q, layerwise_q, conv_active_q;
  logic [7:0] c0_q, c1_q, c2_q, g0_q, g1_q, g2_q, cb0_q, cb1_q;
  logic [2:0] k1_q, p1_q, k2_q, p2_q;
  logic [RowW-1:0] h_q, w_q, ho1_q, wo1_q, hi2_q, wi2_q, ho2_q, wo2_q;
  logic [WAW-1:0] nw1_q, nw2_q;
  logic [31:0] res_words_q;
  wire conv_start = job_start && !is_head;

  always_ff @(posedge clk) begin : p_job_cfg
    if (!rst_n || soft_reset) begin
      head_q <= 1'b0;
      pool_q <= 1'b0;
      layerwise_q <= 1'b0;
      res_words_q <= '0;
    end else if (job_start) begin
      head_q <= is_head;
      pool_q <= cfg.mode_pool;
      layerwise_q <= cfg.mode_layerwise;
      res_words_q <= is_head ? h_words : r_words;
      c0_q <= 8'(c0);
      c1_q <= 8'(c1);
      c2_q <= 8'(c2);
      g0_q <= 8'(g0);
      g1_q <= 8'(g1);
      g2_q <= 8'(g2);
      cb0_q <= 8'(cb0);
      cb1_q <= 8'(cb1);
      k1_q <= 3'(k1);
      p1_q <= 3'(p1);
      k2_q <= 3'(k2);
      p2_q <= 3'(p2);
      h_q <= RowW'(h);
      w_q <= RowW'(w);
      ho1_q <= RowW'(ho1);
      wo1_q <= RowW'(wo1);
      hi2_q <= RowW'(hi2);
      wi2_q <= RowW'(wi2);
      ho2_q <= RowW'(ho2);
      wo2_q <= RowW'(wo2);
      nw1_q <= WAW'(nw1);
      nw2_q <= WAW'(nw2);
    end
  end
  assign res_words = res_words_q;

  // ---------------------------------------------------------------- buffers
  logic w1_re, w2_re, x_re, c_we;
  logic [WAW-1:0] w1_raddr, w2_raddr;
  logic [XAW-1:0] x_raddr;
  logic [CAW-1:0] c_waddr;
  logic [255:0] w1_rdata, w2_rdata, x_rdata;
  logic [OutW-1:0] c_wdata;

  sram_1r1w #(.Words(WWords), .Width(256)) u_buf_w1 (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufW1]), .waddr_i(buf_waddr[WAW-1:0]), .wdata_i(buf_wdata),
    .re_i(w1_re), .raddr_i(w1_raddr), .rdata_o(w1_rdata),
    .rd_count_o(sram_rd[BufW1]), .wr_count_o(sram_wr[BufW1]));

  sram_1r1w #(.Words(WWords), .Width(256)) u_buf_w2 (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufW2]), .waddr_i(buf_waddr[WAW-1:0]), .wdata_i(buf_wdata),
    .re_i(w2_re), .raddr_i(w2_raddr), .rdata_o(w2_rdata),
    .rd_count_o(sram_rd[BufW2]), .wr_count_o(sram_wr[BufW2]));

  sram_1r1w #(.Words(XWords), .Width(256)) u_buf_x (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufX]), .waddr_i(buf_waddr[XAW-1:0]), .wdata_i(buf_wdata),
    .re_i(x_re), .raddr_i(x_raddr), .rdata_o(x_rdata),
    .rd_count_o(sram_rd[CntX]), .wr_count_o(sram_wr[CntX]));

  sram_1r1w #(.Words(CLines), .Width(ResW), .WriteW(OutW)) u_buf_c (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(c_we), .waddr_i(c_waddr), .wdata_i(c_wdata),
    .re_i(res_re), .raddr_i(res_raddr), .rdata_o(res_rdata),
    .rd_count_o(sram_rd[CntC]), .wr_count_o(sram_wr[CntC]));

  // ---------------------------------------------------------------- HEAD: the FP16 GEMM engine
  logic a_re, b_re, g_we, head_done;
  logic [WAW-1:0] a_raddr, b_raddr;
  logic [CAW-1:0] g_waddr;
  logic [OutW-1:0] g_wdata;
  logic [$clog2(HeadMacs + 1)-1:0] head_eff;

  fp16_gemm #(
    .Rows(HeadRows), .Cols(HeadCols), .BeatW(256), .AAddrW(WAW), .BAddrW(WAW), .CAddrW(CAW)
  ) u_gemm (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(soft_reset),
    .start_i(job_start && is_head), .m_i(cfg.dim_m), .n_i(cfg.dim_n), .k_i(cfg.dim_k),
    .done_o(head_done),
    .a_re_o(a_re), .a_raddr_o(a_raddr), .a_rdata_i(w1_rdata),
    .b_re_o(b_re), .b_raddr_o(b_raddr), .b_rdata_i(w2_rdata),
    .c_we_o(g_we), .c_waddr_o(g_waddr), .c_wdata_o(g_wdata),
    .effectual_o(head_eff)
  );

  // ---------------------------------------------------------------- the two conv stages
  logic abort;                                  // BAD_SCALE: both stages back to idle
  logic s1_wait, s1_go, s1_in_re, s1_w_re, s1_out, s1_mac, s1_dq, s1_stall;
  logic s1_bad, s1_idle;
  logic s2_wait, s2_go, s2_in_re, s2_w_re, s2_out, s2_mac, s2_dq, s2_stall;
  logic s2_bad, s2_idle;
  logic [RowW-1:0] s1_row, s1_in_y, s1_in_x, s1_out_row, s1_out_x;
  logic [RowW-1:0] s2_row, s2_in_y, s2_in_x, s2_out_row, s2_out_x;
  logic [7:0] s1_in_cg, s1_out_g, s2_in_cg, s2_out_g;
  logic [WAW-1:0] s1_w_addr, s2_w_addr;
  logic [P*4-1:0] s1_in_data, s2_in_data;
  logic [P-1:0][15:0] s1_out_y, s2_out_y;
  logic [EffW-1:0] s1_eff, s2_eff;
  wire stage_clear = soft_reset || abort;

  rowpipe_stage #(.P(P), .MaxK(MaxK), .WAW(WAW), .RowW(RowW)) u_stage1 (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(stage_clear), .start_i(conv_start),
    .hin_i(h_q), .win_i(w_q), .ci_i(c0_q), .co_i(c1_q), .k_i(k1_q), .p_i(p1_q),
    .ho_i(ho1_q), .wo_i(wo1_q), .gco_i(g1_q), .cb_i(cb0_q), .nw_i(nw1_q),
    .row_wait_o(s1_wait), .row_o(s1_row), .row_go_i(s1_go),
    .in_re_o(s1_in_re), .in_y_o(s1_in_y), .in_x_o(s1_in_x), .in_cg_o(s1_in_cg),
    .in_data_i(s1_in_data),
    .w_re_o(s1_w_re), .w_addr_o(s1_w_addr), .w_data_i(w1_rdata),
    .out_valid_o(s1_out), .out_y_o(s1_out_y), .out_row_o(s1_out_row), .out_x_o(s1_out_x),
    .out_g_o(s1_out_g),
    .mac_o(s1_mac), .eff_o(s1_eff), .dq_op_o(s1_dq), .dq_stall_o(s1_stall), .bad_o(s1_bad),
    .idle_o(s1_idle)
  );

  rowpipe_stage #(.P(P), .MaxK(MaxK), .WAW(WAW), .RowW(RowW)) u_stage2 (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(stage_clear), .start_i(conv_start),
    .hin_i(hi2_q), .win_i(wi2_q), .ci_i(c1_q), .co_i(c2_q), .k_i(k2_q), .p_i(p2_q),
    .ho_i(ho2_q), .wo_i(wo2_q), .gco_i(g2_q), .cb_i(cb1_q), .nw_i(nw2_q),
    .row_wait_o(s2_wait), .row_o(s2_row), .row_go_i(s2_go),
    .in_re_o(s2_in_re), .in_y_o(s2_in_y), .in_x_o(s2_in_x), .in_cg_o(s2_in_cg),
    .in_data_i(s2_in_data),
    .w_re_o(s2_w_re), .w_addr_o(s2_w_addr), .w_data_i(w2_rdata),
    .out_valid_o(s2_out), .out_y_o(s2_out_y), .out_row_o(s2_out_row), .out_x_o(s2_out_x),
    .out_g_o(s2_out_g),
    .mac_o(s2_mac), .eff_o(s2_eff), .dq_op_o(s2_dq), .dq_stall_o(s2_stall), .bad_o(s2_bad),
    .idle_o(s2_idle)
  );

  // Weight buffers: the head's GEMM or the stages (the job kind decides; one reader at a time).
  assign w1_re = head_q ? a_re : s1_w_re;
  assign w1_raddr = head_q ? a_raddr : s1_w_addr;
  assign w2_re = head_q ? b_re : s2_w_re;
  assign w2_raddr = head_q ? b_raddr : s2_w_addr;

  // Stage 1's input: the P-channel group f = (y*W + x)*G(c0) + cg is lane f % CPW of X word f / CPW.
  logic [LogCpw-1:0] x_lane_q;
  wire [31:0] x_group = (32'(s1_in_y) * 32'(w_q) + 32'(s1_in_x)) * 32'(g0_q) + 32'(s1_in_cg);
  assign x_re = s1_in_re;
  assign x_raddr = XAW'(x_group >> LogCpw);
  assign s1_in_data = x_rdata[32'(x_lane_q) * P * 4 +: P * 4];

  // ---------------------------------------------------------------- row pipeline
  // rows_done: line-buffer rows stage 1 has completely written; released: rows stage 2 no longer
  // needs (clamp(yo - p2, 0, Hi2) when it begins output row yo; all of them at the end).
  logic [RowW-1:0] rows_done_q, released_q;
  wire [RowW-1:0] s1_lb_row = pool_q ? s1_row >> 1 : s1_row;
  wire [31:0] s2_need_full = 32'(s2_row) + 32'(k2_q) - 32'(p2_q);
  wire [31:0] s2_need = s2_need_full < 32'(hi2_q) ? s2_need_full : 32'(hi2_q);
  wire [31:0] s2_rel_full = 32'(s2_row) > 32'(p2_q) ? 32'(s2_row) - 32'(p2_q) : 32'd0;
  wire [RowW-1:0] s2_release = s2_rel_full < 32'(hi2_q) ? RowW'(s2_rel_full) : hi2_q;
  assign s1_go = layerwise_q || (pool_q && s1_row[0])
                 || 32'(s1_lb_row) < 32'(released_q) + 32'(k2_q) + 1;
  assign s2_go = layerwise_q ? rows_done_q == hi2_q : 32'(rows_done_q) >= s2_need;
  wire s2_begin = s2_wait && s2_go;

  // ---------------------------------------------------------------- stage 1 output: requantize, pool
  // requantize_unsigned: negative or -0 -> 0, else round half to even, clamp to 15 (+inf -> 15).
  function automatic logic [3:0] requant(input logic [15:0] y);
    logic [4:0] e;
    logic [10:0] sig;
    logic [4:0] sh;
    logic [4:0] int_part;
    logic guard, sticky;
    logic [4:0] rounded;
    e = y[14:10];
    sig = {1'b1, y[9:0]};
    sh = 5'd25 - e;
    int_part = 5'd0;
    guard = 1'b0;
    sticky = 1'b0;
    for (int i = 0; i < 11; i++) begin
      if (i >= {27'd0, sh} && i < {27'd0, sh} + 5) int_part[i - {27'd0, sh}] = sig[i];
      if (i + 1 == {27'd0, sh}) guard = sig[i];
      if (i + 1 < {27'd0, sh} && sig[i]) sticky = 1'b1;
    end
    rounded = int_part + {4'd0, guard && (sticky || int_part[0])};
    if (y[15] || e < 5'd14) requant = 4'd0;
    else if (e >= 5'd19 || rounded > 5'd15) requant = 4'd15;
    else requant = rounded[3:0];
  endfunction

  logic [P*4-1:0] q1, pair_q, pair_max, pool_rdata, pool_max, lb_wdata;
  logic pool_we, pool_re, lb_we;
  logic [LbAW-1:0] pool_addr, lb_waddr;
  logic [RowW-1:0] lb_wrow;
  wire s1_odd_x = s1_out_x[0];
  wire s1_odd_row = s1_out_row[0];
  wire [RowW-1:0] s1_pair_x = s1_out_x >> 1;
  wire s1_row_last = s1_out_x == wo1_q - 1'b1 && s1_out_g == g1_q - 1'b1;

  for (genvar j = 0; j < P; j++) begin : g_requant
    assign q1[4*j +: 4] = 32'(s1_out_g) * P + j < 32'(c1_q) ? requant(s1_out_y[j]) : 4'd0;
  end
  always_comb begin : p_pool_max
    for (int j = 0; j < P; j++) begin
      pair_max[4*j +: 4] = pair_q[4*j +: 4] > q1[4*j +: 4] ? pair_q[4*j +: 4] : q1[4*j +: 4];
      pool_max[4*j +: 4] = pool_rdata[4*j +: 4] > pair_max[4*j +: 4] ? pool_rdata[4*j +: 4]
                                                                    : pair_max[4*j +: 4];
    end
  end

  // Without pool: line-buffer word (row yo, x, g). With pool: the pair (2j, 2j+1) of an even row
  // goes to the pool row at j*G(c1) + g; an odd row maxes its pair with that word (read when the
  // pair's even block comes out) and writes line-buffer row yo/2.
  assign pool_we = s1_out && pool_q && s1_odd_x && !s1_odd_row;
  assign pool_re = s1_out && pool_q && !s1_odd_x && s1_odd_row;
  assign pool_addr = LbAW'(32'(s1_pair_x) * 32'(g1_q) + 32'(s1_out_g));
  assign lb_we = s1_out && (!pool_q || (s1_odd_x && s1_odd_row));
  assign lb_wrow = pool_q ? s1_out_row >> 1 : s1_out_row;
  assign lb_waddr = pool_q ? pool_addr : LbAW'(32'(s1_out_x) * 32'(g1_q) + 32'(s1_out_g));
  assign lb_wdata = pool_q ? pool_max : q1;

  logic [31:0] pool_rd_cnt, pool_wr_cnt;
  sram_1r1w #(.Words(RowWords), .Width(P * 4)) u_pool_row (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(pool_we), .waddr_i(pool_addr), .wdata_i(pair_max),
    .re_i(pool_re), .raddr_i(pool_addr), .rdata_o(pool_rdata),
    .rd_count_o(pool_rd_cnt), .wr_count_o(pool_wr_cnt));

  // ---------------------------------------------------------------- line buffer
  logic [31:0] lb_conflicts, lb_peak;
  logic [3:0][31:0] lb_wr_cnt, lb_rd_cnt;
  logic lb_conflict;                           // counted and asserted on in u_linebuf

  rowpipe_linebuf #(
    .Banks(Banks), .BankRows(BankRows), .RowWords(RowWords), .WordW(P * 4), .RowW(RowW)
  ) u_linebuf (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(perf_clear), .start_i(conv_start || stage_clear),
    .layerwise_i(layerwise_q), .k_i(k2_q), .released_i(released_q),
    .we_i(lb_we), .wrow_i(lb_wrow), .waddr_i(lb_waddr), .wdata_i(lb_wdata),
    .re_i(s2_in_re), .rrow_i(s2_in_y),
    .raddr_i(LbAW'(32'(s2_in_x) * 32'(g1_q) + 32'(s2_in_cg))), .rdata_o(s2_in_data),
    .conflict_o(lb_conflict), .conflicts_o(lb_conflicts), .peak_o(lb_peak),
    .wr_count_o(lb_wr_cnt), .rd_count_o(lb_rd_cnt)
  );

  // ---------------------------------------------------------------- stage 2 output: results
  logic [OutW-1:0] s2_word;
  always_comb begin : p_result
    s2_word = '0;
    for (int j = 0; j < P; j++) begin
      if (32'(s2_out_g) * P + j < 32'(c2_q)) s2_word[16*j +: 16] = s2_out_y[j];
    end
  end
  wire s2_last = s2_out && s2_out_row == ho2_q - 1'b1 && s2_out_x == wo2_q - 1'b1
                 && s2_out_g == g2_q - 1'b1;
  assign c_we = head_q ? g_we : s2_out;
  assign c_waddr = head_q ? g_waddr
                 : CAW'((32'(s2_out_row) * 32'(wo2_q) + 32'(s2_out_x)) * 32'(g2_q)
                        + 32'(s2_out_g));
  assign c_wdata = head_q ? g_wdata : s2_word;

  // ---------------------------------------------------------------- job control
  logic conv_fin_q;                             // stage 2 wrote its last result word
  wire conv_done = conv_fin_q && s1_idle && s2_idle;
  assign abort = conv_active_q && (s1_bad || s2_bad);
  assign job_err = abort;
  assign job_err_code = abort ? ROWPIPE_ERR_BAD_SCALE : ERR_NONE;
  assign job_done = head_q ? head_done : conv_done;

  always_ff @(posedge clk) begin : p_conv_ctl
    if (!rst_n || soft_reset) begin
      conv_active_q <= 1'b0;
      conv_fin_q <= 1'b0;
      rows_done_q <= '0;
      released_q <= '0;
    end else begin
      if (conv_start) begin
        conv_active_q <= 1'b1;
        conv_fin_q <= 1'b0;
        rows_done_q <= '0;
        released_q <= '0;
      end else if (abort || conv_done) begin
        conv_active_q <= 1'b0;
        conv_fin_q <= 1'b0;
      end else begin
        if (lb_we && s1_row_last) rows_done_q <= rows_done_q + 1'b1;
        if (s2_begin) released_q <= s2_release;
        if (s2_last) begin
          conv_fin_q <= 1'b1;
          released_q <= hi2_q;
        end
      end
    end
  end

  always_ff @(posedge clk) begin : p_x_lane
    if (x_re) x_lane_q <= LogCpw'(x_group);
    if (s1_out && !s1_odd_x) pair_q <= q1;
  end

  // ---------------------------------------------------------------- MAC counts
  assign mac_units = head_q ? IncW'(HeadMacs) : IncW'(2 * P);
  assign mac_effectual = head_q ? IncW'(head_eff) : IncW'(s1_eff) + IncW'(s2_eff);
  assign mac_skipped = '0;

  // ---------------------------------------------------------------- core counters
  logic [31:0] both_busy_q, s1_mac_q, s2_mac_q, s1_wait_q, s2_wait_q, dq_ops_q, dq_stall_q;
  always_ff @(posedge clk) begin : p_counters
    if (!rst_n || perf_clear) begin
      both_busy_q <= '0;
      s1_mac_q <= '0;
      s2_mac_q <= '0;
      s1_wait_q <= '0;
      s2_wait_q <= '0;
      dq_ops_q <= '0;
      dq_stall_q <= '0;
    end else begin
      both_busy_q <= both_busy_q + 32'(s1_mac && s2_mac);
      s1_mac_q <= s1_mac_q + 32'(s1_mac);
      s2_mac_q <= s2_mac_q + 32'(s2_mac);
      s1_wait_q <= s1_wait_q + 32'(busy && s1_wait && !s1_go);
      s2_wait_q <= s2_wait_q + 32'(busy && s2_wait && !s2_go);
      dq_ops_q <= dq_ops_q + 32'(s1_dq) + 32'(s2_dq);
      dq_stall_q <= dq_stall_q + 32'(s1_stall) + 32'(s2_stall);
    end
  end

  assign sts.lb_wr0 = lb_wr_cnt[0];
  assign sts.lb_wr1 = lb_wr_cnt[1];
  assign sts.lb_wr2 = lb_wr_cnt[2];
  assign sts.lb_wr3 = lb_wr_cnt[3];
  assign sts.lb_rd0 = lb_rd_cnt[0];
  assign sts.lb_rd1 = lb_rd_cnt[1];
  assign sts.lb_rd2 = lb_rd_cnt[2];
  assign sts.lb_rd3 = lb_rd_cnt[3];
  assign sts.peak_rows = lb_peak;
  assign sts.bank_conflict = lb_conflicts;
  assign sts.both_busy = both_busy_q;
  assign sts.s1_mac_cyc = s1_mac_q;
  assign sts.s2_mac_cyc = s2_mac_q;
  assign sts.s1_wait = s1_wait_q;
  assign sts.s2_wait = s2_wait_q;
  assign sts.dq_ops = dq_ops_q;
  assign sts.dq_stall = dq_stall_q;
  assign sts.pool_rd = pool_rd_cnt;
  assign sts.pool_wr = pool_wr_cnt;
endmodule
