// Trainer core: C[MxN] = A[MxK] . B[KxN] for FF, BP and WG, FP16 operands, FP32 results, with
// zero skipping on the compressed operand X (A's rows or B's columns, one non-zero a cycle), FF
// speculation (an estimate on truncated operands decides which outputs to skip; the full lanes
// replay the fetched operands from a replay bank one tile behind), BP/WG output masks and a
// sequential batch-norm statistics lane. Buffer layouts, tile order and counters: README.md ("The
// Trainer core") and verif/trainer/trainer_codec.py, which packs the frames. Pipeline, in tile order:
//   S  tile sequencer: next tile, its valid lanes and (BP/WG) its mask word
//   F  fetch: walks X words, a priority encoder issues one non-zero a cycle and reads its Y word
//   F1 products reach the lanes: the full lanes (no speculation) or the estimate lanes + a replay
//      bank write (speculation)
//   R  rule: thresholds of the tile's rows, skip per output (speculation only)
//   X  execute: replays the tile from its bank into the full lanes (speculation only)
//   WB the tile's C word is written at once; the BN lane takes it (one-pass) or reads C back later
`include "accel_shell.svh"
`include "accel_assert.svh"

module trainer_top
  import accel_pkg::*;
#(
  parameter int Lanes = 16,       // full-precision lanes = estimate lanes = outputs a tile
  parameter int XWords = 4096,    // compressed operand (tdest 0)
  parameter int YWords = 4096,    // broadcast operand (tdest 1)
  parameter int CWords = 2048,    // results: one word a tile
  parameter int MaskWords = 256,  // BP/WG output masks (tdest 2)
  parameter int SpecWords = 256,  // speculation rules, 4 rows a word (tdest 3)
  parameter int XhatWords = 2048, // BN x-hat, one word a tile (tdest 4)
  parameter int BnWords = 128,    // BN statistics: 2 words a group of Lanes rows
  parameter int MaxSpecK = 512,   // replay bank depth: most k of a speculated job
  parameter int SpecBits = 3      // mantissa bits of the estimate multipliers
) (
  `ACCEL_SHELL_PORTS
);
  localparam int WordBits = SHELL_IN_BEAT_BITS;
  localparam int KStep = WordBits / 16;                 // FP16 values of an X word
  localparam int TilesPerMask = WordBits / Lanes;       // tiles a mask word covers
  localparam int RulesPerWord = WordBits / 64;          // rows a rule word covers
  localparam int RuleWordsMax = Lanes / RulesPerWord;   // rule words of a compress-B tile
  localparam int OutW = Lanes * 32;
  localparam int NumBufs = 5;
  localparam int BufX = 0, BufY = 1, BufMask = 2, BufSpec = 3, BufXhat = 4;
  localparam int XAW = $clog2(XWords), YAW = $clog2(YWords), CAW = $clog2(CWords);
  localparam int MAW = $clog2(MaskWords), SAW = $clog2(SpecWords), HAW = $clog2(XhatWords);
  localparam int BAW = $clog2(BnWords), PAW = $clog2(MaxSpecK);
  localparam int ResAW = $clog2(CWords + BnWords);
  localparam int IncW = $clog2(Lanes + 1);
  localparam int SlotW = $clog2(Lanes);
  localparam int ReplayW = 16 + Lanes * 16;             // {x value, Y word lanes}

  // A mask word holds whole tiles, a compress-B tile's rules are whole rule words.
  `ACCEL_ASSERT_INIT(LanesSupported_A, Lanes == 4 || Lanes == 8 || Lanes == 16)
  `ACCEL_ASSERT_INIT(SpecBitsFit_A, SpecBits >= 0 && SpecBits <= 10)

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(NumBufs, OutW, ResAW, IncW)
  accel_shell #(
    .NumBufs(NumBufs), .NumMult(Lanes), .OutW(OutW), .ResAW(ResAW), .IncW(IncW)
  ) u_shell (.*);

  // ---------------------------------------------------------------- configuration check (live cfg)
  wire [15:0] dim_m = cfg.dim_m, dim_n = cfg.dim_n, dim_k = cfg.dim_k;
  wire is_ff = phase == PHASE_FF[1:0];
  wire is_bp = phase == PHASE_BP[1:0];
  wire is_wg = phase == PHASE_WG[1:0];
  wire cfg_mode_b = cfg.dataflow == 2'd1;                // 2 and 3 are refused (BAD_DATAFLOW)
  wire [31:0] cfg_rows = 32'(cfg_mode_b ? dim_n : dim_m);
  wire [31:0] cfg_yt = ceil_div(32'(cfg_mode_b ? dim_m : dim_n), Lanes);
  wire [31:0] cfg_kb = ceil_div(32'(dim_k), KStep);
  wire [31:0] cfg_tiles = cfg_rows * cfg_yt;
  wire [31:0] x_words = cfg_rows * cfg_kb;
  wire [31:0] y_words = 32'(dim_k) * cfg_yt;
  wire [31:0] mask_words = ceil_div(cfg_tiles, TilesPerMask);
  wire [31:0] spec_words = ceil_div(32'(dim_m), RulesPerWord);
  wire [31:0] bn_words = 2 * ceil_div(32'(dim_m), Lanes);
  wire cfg_spec = is_ff && cfg.skip_spec;
  wire cfg_mask = (is_bp && cfg.skip_bp) || (is_wg && cfg.skip_wg);
  wire cfg_bn = cfg.bn != 2'd0;
  wire cfg_xhat = is_bp && cfg_bn;

  assign cfg_dim_zero = dim_m == 0 || dim_n == 0 || dim_k == 0;
  // The small buffers count only when the job reads them (a frame is loaded only then).
  assign cfg_dim_big = x_words > XWords || y_words > YWords || cfg_tiles > CWords
                       || (cfg_mask && mask_words > MaskWords)
                       || (cfg_spec && spec_words > SpecWords)
                       || (cfg_xhat && cfg_tiles > XhatWords)
                       || (cfg_bn && bn_words > BnWords)
                       || (cfg_spec && 32'(dim_k) > MaxSpecK);
  assign cfg_core_err = cfg.dataflow > 2'd1 ? TRAINER_ERR_BAD_DATAFLOW
                      : cfg.bn == 2'd3 ? TRAINER_ERR_BAD_BN_MODE
                      : cfg_bn && is_wg ? TRAINER_ERR_BN_PHASE
                      : cfg_spec && 32'(cfg.spec) > SpecBits ? TRAINER_ERR_SPEC_BITS
                      : TRAINER_ERR_NONE;
  assign buf_words[BufX] = x_words;
  assign buf_words[BufY] = y_words;
  assign buf_words[BufMask] = mask_words;
  assign buf_words[BufSpec] = spec_words;
  assign buf_words[BufXhat] = cfg_tiles;
  assign buf_needed = {cfg_xhat, cfg_spec, cfg_mask, 1'b1, 1'b1};
  assign job_err = 1'b0;
  assign job_err_code = ERR_NONE;

  // ---------------------------------------------------------------- job configuration (latched)
  logic [15:0] m_q, n_q, k_q;
  logic mode_b_q, spec_q, audit_q, mask_q, xhat_q;
  logic [1:0] bn_q;
  logic [3:0] keep_q;
  logic [31:0] rows_q, yt_q, kb_q, tiles_q;
  wire [31:0] across_q = 32'(mode_b_q ? m_q : n_q);    // outputs along a tile's lanes

  always_ff @(posedge clk) begin : p_job_cfg
    if (!rst_n || soft_reset) begin
      m_q <= '0;
      n_q <= '0;
      k_q <= '0;
      mode_b_q <= 1'b0;
      spec_q <= 1'b0;
      audit_q <= 1'b0;
      mask_q <= 1'b0;
      xhat_q <= 1'b0;
      bn_q <= '0;
      keep_q <= '0;
      rows_q <= '0;
      yt_q <= '0;
      kb_q <= '0;
      tiles_q <= '0;
    end else if (job_start) begin
      m_q <= dim_m;
      n_q <= dim_n;
      k_q <= dim_k;
      mode_b_q <= cfg_mode_b;
      spec_q <= cfg_spec;
      audit_q <= cfg_spec && cfg.skip_audit;
      mask_q <= cfg_mask;
      xhat_q <= cfg_xhat;
      bn_q <= cfg.bn;
      keep_q <= cfg.spec;
      rows_q <= cfg_rows;
      yt_q <= cfg_yt;
      kb_q <= cfg_kb;
      tiles_q <= cfg_tiles;
    end
  end

  assign res_words = tiles_q + (bn_q != 2'd0 ? 2 * ceil_div(32'(m_q), Lanes) : 32'd0);
  assign mac_units = IncW'(Lanes);
  assign mac_skipped = '0;

  // Lanes of tile column yt inside C, and how many (a prefix of the lanes).
  function automatic logic [IncW-1:0] lanes_in(input logic [31:0] across, input logic [31:0] yt);
    logic [31:0] left;
    left = across - yt * Lanes;
    return left >= Lanes ? IncW'(Lanes) : IncW'(left);
  endfunction
  function automatic logic [Lanes-1:0] prefix(input logic [IncW-1:0] count);
    logic [Lanes-1:0] bits;
    for (int j = 0; j < Lanes; j++) bits[j] = 32'(j) < 32'(count);
    return bits;
  endfunction

  // ---------------------------------------------------------------- buffers
  logic x_re, y_re, c_re, c_we, m_re, s_re, h_re, b_re, b_we;
  logic [31:0] x_raddr, y_raddr, c_raddr, c_waddr, m_raddr, s_raddr, h_raddr, b_waddr;
  logic [WordBits-1:0] x_rdata, y_rdata, m_rdata, s_rdata;
  logic [Lanes*16-1:0] h_rdata;
  logic [OutW-1:0] c_rdata, c_wdata, b_rdata, b_wdata;
  logic [31:0] m_rd, s_rd, h_rd, m_wr, s_wr, h_wr;
  logic [1:0][31:0] rp_rd, rp_wr;

  sram_1r1w #(.Words(XWords), .Width(WordBits)) u_buf_x (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufX]), .waddr_i(buf_waddr[XAW-1:0]), .wdata_i(buf_wdata),
    .re_i(x_re), .raddr_i(x_raddr[XAW-1:0]), .rdata_o(x_rdata),
    .rd_count_o(sram_rd[0]), .wr_count_o(sram_wr[0]));

  sram_1r1w #(.Words(YWords), .Width(WordBits)) u_buf_y (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufY]), .waddr_i(buf_waddr[YAW-1:0]), .wdata_i(buf_wdata),
    .re_i(y_re), .raddr_i(y_raddr[YAW-1:0]), .rdata_o(y_rdata),
    .rd_count_o(sram_rd[1]), .wr_count_o(sram_wr[1]));

  sram_1r1w #(.Words(CWords), .Width(OutW)) u_buf_c (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(c_we), .waddr_i(c_waddr[CAW-1:0]), .wdata_i(c_wdata),
    .re_i(c_re), .raddr_i(c_raddr[CAW-1:0]), .rdata_o(c_rdata),
    .rd_count_o(sram_rd[2]), .wr_count_o(sram_wr[2]));

  sram_1r1w #(.Words(BnWords), .Width(OutW)) u_buf_bn (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(b_we), .waddr_i(b_waddr[BAW-1:0]), .wdata_i(b_wdata),
    .re_i(b_re), .raddr_i(res_raddr[BAW-1:0] - BAW'(tiles_q)), .rdata_o(b_rdata),
    .rd_count_o(sram_rd[3]), .wr_count_o(sram_wr[3]));

  sram_1r1w #(.Words(MaskWords), .Width(WordBits)) u_buf_mask (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufMask]), .waddr_i(buf_waddr[MAW-1:0]), .wdata_i(buf_wdata),
    .re_i(m_re), .raddr_i(m_raddr[MAW-1:0]), .rdata_o(m_rdata),
    .rd_count_o(m_rd), .wr_count_o(m_wr));

  sram_1r1w #(.Words(SpecWords), .Width(WordBits)) u_buf_spec (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufSpec]), .waddr_i(buf_waddr[SAW-1:0]), .wdata_i(buf_wdata),
    .re_i(s_re), .raddr_i(s_raddr[SAW-1:0]), .rdata_o(s_rdata),
    .rd_count_o(s_rd), .wr_count_o(s_wr));

  // x-hat keeps only the Lanes FP16 values a word carries (the rest of the beat is zero).
  sram_1r1w #(.Words(XhatWords), .Width(Lanes * 16)) u_buf_xhat (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufXhat]), .waddr_i(buf_waddr[HAW-1:0]), .wdata_i(buf_wdata[Lanes*16-1:0]),
    .re_i(h_re), .raddr_i(h_raddr[HAW-1:0]), .rdata_o(h_rdata),
    .rd_count_o(h_rd), .wr_count_o(h_wr));

  // Result drain: C words 0..T-1, then the BN words; one cycle latency, the select follows it.
  logic res_bn_q;
  wire res_in_bn = 32'(res_raddr) >= tiles_q;
  assign b_re = res_re && res_in_bn;
  assign res_rdata = res_bn_q ? b_rdata : c_rdata;
  always_ff @(posedge clk) begin : p_res_sel
    if (res_re) res_bn_q <= res_in_bn;
  end

  // ---------------------------------------------------------------- S: tile sequencer
  // Holds the next tile for F (sd_*); its mask word is read the cycle before it is offered, so a
  // tile a cycle can leave (a fully masked tile costs F one cycle, never a fetch).
  logic sd_valid_q, s_init_q;
  logic [31:0] sd_t_q, sd_r_q, sd_yt_q;
  logic f_take;                                          // F takes the offered tile
  wire sd_more = sd_t_q + 1 < tiles_q;
  wire sd_yt_wrap = sd_yt_q + 1 == yt_q;
  wire sd_r_wrap = sd_r_q + 1 == rows_q;
  wire [31:0] sd_next_r = mode_b_q ? (sd_r_wrap ? 32'd0 : sd_r_q + 1)
                                   : (sd_yt_wrap ? sd_r_q + 1 : sd_r_q);
  wire [31:0] sd_next_yt = mode_b_q ? (sd_r_wrap ? sd_yt_q + 1 : sd_yt_q)
                                    : (sd_yt_wrap ? 32'd0 : sd_yt_q + 1);
  wire [IncW-1:0] sd_nvalid = lanes_in(across_q, sd_yt_q);
  wire [Lanes-1:0] sd_valid_lanes = prefix(sd_nvalid);
  wire [31:0] sd_mask_pos = (sd_t_q % TilesPerMask) * Lanes;
  wire [Lanes-1:0] sd_mask = mask_q ? Lanes'(m_rdata >> sd_mask_pos) & sd_valid_lanes : '0;
  wire [Lanes-1:0] sd_en = sd_valid_lanes & ~sd_mask;
  wire sd_skip_all = mask_q && sd_en == '0;

  assign m_re = mask_q && (s_init_q || (f_take && sd_more));
  assign m_raddr = s_init_q ? 32'd0 : (sd_t_q + 1) / TilesPerMask;

  always_ff @(posedge clk) begin : p_seq
    if (!rst_n || soft_reset) begin
      sd_valid_q <= 1'b0;
      s_init_q <= 1'b0;
      sd_t_q <= '0;
      sd_r_q <= '0;
      sd_yt_q <= '0;
    end else if (job_start) begin
      sd_valid_q <= 1'b0;
      s_init_q <= 1'b1;
    end else if (s_init_q) begin
      s_init_q <= 1'b0;
      sd_valid_q <= 1'b1;
      sd_t_q <= '0;
      sd_r_q <= '0;
      sd_yt_q <= '0;
    end else if (f_take) begin
      sd_valid_q <= sd_more;
      sd_t_q <= sd_t_q + 1;
      sd_r_q <= sd_next_r;
      sd_yt_q <= sd_next_yt;
    end
  end

  // ---------------------------------------------------------------- F: fetch
  // The X word of the current tile sits in x_rdata (read the cycle before). Each cycle the lowest
  // not yet issued non-zero goes out (its Y word is read now, the product forms in F1); the next X
  // word is read in the cycle the last one goes out, so a word with n non-zeros takes max(n, 1)
  // cycles and the next tile's first word follows its predecessor's last without a gap.
  logic f_adv;                                           // F and F1 move this cycle
  logic f_act_q;
  logic [31:0] f_t_q, f_r_q, f_yt_q, f_kb_q, f_xaddr_q;
  logic [Lanes-1:0] f_valid_q, f_en_q;
  logic [IncW-1:0] f_nvalid_q;
  logic [KStep-1:0] f_taken_q, f_nz, f_rem, f_rem_after;
  logic [3:0] f_pick;
  logic [1:0] bank_busy_q;                 // the replay bank holds a tile X has not replayed yet

  // Lowest set bit (the priority encoder); 0 when none.
  function automatic logic [3:0] lowest(input logic [KStep-1:0] v);
    logic [3:0] idx;
    idx = '0;
    for (int i = KStep - 1; i >= 0; i--) begin
      if (v[i]) idx = 4'(i);
    end
    return idx;
  endfunction

  for (genvar i = 0; i < KStep; i++) begin : gen_nz
    // Non-zero (subnormals are), and inside K (the codec pads with zeros; this keeps a bad pad harmless).
    assign f_nz[i] = x_rdata[i*16 +: 15] != 15'd0 && f_kb_q * KStep + i < 32'(k_q);
  end
  assign f_rem = f_act_q ? f_nz & ~f_taken_q : '0;
  assign f_pick = lowest(f_rem);
  assign f_rem_after = f_rem & ~(KStep'(1) << f_pick);
  wire f_has = f_rem != '0;
  wire f_word_done = f_act_q && f_rem_after == '0;
  wire f_last_word = f_kb_q + 1 == kb_q;
  wire f_tile_done = f_word_done && f_last_word;
  wire f_bank_ok = !spec_q || !bank_busy_q[sd_t_q[0]];
  wire take_normal = f_adv && sd_valid_q && !s_init_q && !sd_skip_all
                     && (!f_act_q || f_tile_done) && f_bank_ok;
  wire take_skip = f_adv && sd_valid_q && !s_init_q && sd_skip_all && !f_act_q;
  assign f_take = take_normal || take_skip;
  wire f_issue = f_adv && f_has;
  wire [31:0] f_k = f_kb_q * KStep + 32'(f_pick);

  assign x_re = f_adv && ((f_word_done && !f_last_word) || take_normal);
  assign x_raddr = take_normal ? sd_r_q * kb_q : f_xaddr_q + 1;
  assign y_re = f_issue;
  assign y_raddr = f_k * yt_q + f_yt_q;

  always_ff @(posedge clk) begin : p_fetch
    if (!rst_n || soft_reset || job_start) begin
      f_act_q <= 1'b0;
      f_taken_q <= '0;
      f_kb_q <= '0;
    end else if (f_adv) begin
      if (f_word_done) f_taken_q <= '0;
      else if (f_has) f_taken_q <= f_taken_q | (KStep'(1) << f_pick);
      if (f_word_done && !f_last_word) begin
        f_kb_q <= f_kb_q + 1;
        f_xaddr_q <= f_xaddr_q + 1;
      end
      if (f_tile_done) f_act_q <= 1'b0;
      if (take_normal) begin
        f_act_q <= 1'b1;
        f_taken_q <= '0;
        f_kb_q <= '0;
        f_xaddr_q <= sd_r_q * kb_q;
        f_t_q <= sd_t_q;
        f_r_q <= sd_r_q;
        f_yt_q <= sd_yt_q;
        f_valid_q <= sd_valid_lanes;
        f_en_q <= sd_en;
        f_nvalid_q <= sd_nvalid;
      end
    end
  end

  // ---------------------------------------------------------------- F1: products reach the lanes
  logic f1_valid_q, f1_end_q;
  logic [15:0] f1_x_q;
  logic [31:0] f1_t_q, f1_r_q, f1_yt_q;
  logic [Lanes-1:0] f1_valid_lanes_q, f1_en_q;
  logic [IncW-1:0] f1_nvalid_q;
  logic [PAW:0] f1_cnt_q;                                // replay entries of the tile so far
  wire [Lanes-1:0][15:0] y_lanes = y_rdata[Lanes*16-1:0];

  always_ff @(posedge clk) begin : p_f1
    if (!rst_n || soft_reset || job_start) begin
      f1_valid_q <= 1'b0;
      f1_end_q <= 1'b0;
      f1_cnt_q <= '0;
    end else if (f_adv) begin
      f1_valid_q <= f_issue;
      f1_end_q <= f_tile_done || take_skip;
      f1_x_q <= x_rdata[32'(f_pick)*16 +: 16];
      f1_t_q <= take_skip ? sd_t_q : f_t_q;
      f1_r_q <= take_skip ? sd_r_q : f_r_q;
      f1_yt_q <= take_skip ? sd_yt_q : f_yt_q;
      f1_valid_lanes_q <= take_skip ? sd_valid_lanes : f_valid_q;
      f1_en_q <= take_skip ? sd_en : f_en_q;
      f1_nvalid_q <= take_skip ? sd_nvalid : f_nvalid_q;
      f1_cnt_q <= f1_end_q ? '0 : f1_cnt_q + {{PAW{1'b0}}, f1_valid_q};
    end
  end

  // ---------------------------------------------------------------- estimate lanes, replay write
  // Speculation only: the estimate lanes see the operands with their low 10-keep mantissa bits
  // cleared (golden.truncate_fp16), and the replay bank of the tile's parity keeps the exact ones.
  // Without speculation their inputs stay at zero (no toggling, no simulation cost).
  wire [15:0] trunc_mask = 16'hFFFF << (4'd10 - keep_q);
  wire [15:0] est_x = spec_q ? f1_x_q & trunc_mask : 16'd0;
  logic [Lanes-1:0][15:0] est_y;
  logic [Lanes-1:0][31:0] est_res;
  logic [IncW-1:0] est_eff;
  for (genvar j = 0; j < Lanes; j++) begin : gen_est_y
    assign est_y[j] = spec_q ? y_lanes[j] & trunc_mask : 16'd0;
  end
  wire est_en = busy && spec_q && f_adv && f1_valid_q;
  wire est_end = busy && spec_q && f_adv && f1_end_q;

  trainer_lanes #(.Lanes(Lanes), .MantBits(SpecBits)) u_est (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(job_start || soft_reset),
    .en_i(est_en), .end_i(est_end), .x_i(est_x), .y_i(est_y), .lane_en_i(f1_valid_lanes_q),
    .res_o(est_res), .effectual_o(est_eff));

  logic [1:0] rp_we, rp_re;
  logic [PAW-1:0] rp_raddr;
  logic [1:0][ReplayW-1:0] rp_rdata;
  wire [ReplayW-1:0] rp_wdata = {f1_x_q, y_rdata[Lanes*16-1:0]};
  for (genvar b = 0; b < 2; b++) begin : gen_replay
    assign rp_we[b] = est_en && f1_t_q[0] == 1'(b);
    sram_1r1w #(.Words(MaxSpecK), .Width(ReplayW)) u_bank (
      .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
      .we_i(rp_we[b]), .waddr_i(f1_cnt_q[PAW-1:0]), .wdata_i(rp_wdata),
      .re_i(rp_re[b]), .raddr_i(rp_raddr), .rdata_o(rp_rdata[b]),
      .rd_count_o(rp_rd[b]), .wr_count_o(rp_wr[b]));
  end

  // ---------------------------------------------------------------- R: the rule of a tile
  // The estimated tile waits here for its rows' thresholds (cached in thr_q/dir_q: compress A needs
  // one rule a row, reloaded when the row changes; compress B one a lane, reloaded when the tile
  // column changes) and for X to be free; X then takes it with its skip bits.
  logic r_valid_q;
  logic [31:0] r_t_q, r_r_q, r_yt_q;
  logic [Lanes-1:0] r_valid_lanes_q;
  logic [IncW-1:0] r_nvalid_q;
  logic [PAW:0] r_cnt_q;
  logic [Lanes-1:0][31:0] r_est_q, thr_q;
  logic [Lanes-1:0][1:0] dir_q;
  logic tag_valid_q, ld_busy_q, ld_pend_q;
  logic [31:0] tag_q, ld_base_q, ld_idx_q, ld_n_q, ld_pidx_q;
  logic [1:0] ld_slot_q;
  logic x_take;

  wire r_push = est_end;                               // F1 ends an estimated tile
  wire [31:0] r_tag = mode_b_q ? r_yt_q : r_r_q;
  wire tag_ok = tag_valid_q && tag_q == r_tag && !ld_busy_q;
  wire ld_start = r_valid_q && !ld_busy_q && !(tag_valid_q && tag_q == r_tag);
  wire [31:0] rule_base = mode_b_q ? r_yt_q * RuleWordsMax : r_r_q / RulesPerWord;
  wire [31:0] rule_words_left = ceil_div(32'(m_q), RulesPerWord) - rule_base;
  wire [31:0] rule_n = !mode_b_q ? 32'd1
                     : rule_words_left < RuleWordsMax ? rule_words_left : 32'(RuleWordsMax);

  assign s_re = ld_busy_q && ld_idx_q < ld_n_q;
  assign s_raddr = ld_base_q + ld_idx_q;

  always_ff @(posedge clk) begin : p_rule
    if (!rst_n || soft_reset || job_start) begin
      r_valid_q <= 1'b0;
      tag_valid_q <= 1'b0;
      ld_busy_q <= 1'b0;
      ld_pend_q <= 1'b0;
      thr_q <= '0;
      dir_q <= '0;
    end else begin
      if (r_push) begin
        r_valid_q <= 1'b1;
        r_t_q <= f1_t_q;
        r_r_q <= f1_r_q;
        r_yt_q <= f1_yt_q;
        r_valid_lanes_q <= f1_valid_lanes_q;
        r_nvalid_q <= f1_nvalid_q;
        r_cnt_q <= f1_cnt_q + {{PAW{1'b0}}, f1_valid_q};
        r_est_q <= est_res;
      end else if (x_take) begin
        r_valid_q <= 1'b0;
      end
      if (ld_start) begin
        ld_busy_q <= 1'b1;
        ld_idx_q <= '0;
        ld_base_q <= rule_base;
        ld_n_q <= rule_n;
        ld_slot_q <= 2'(r_r_q % RulesPerWord);
        tag_q <= r_tag;
        tag_valid_q <= 1'b0;
      end
      if (s_re) ld_idx_q <= ld_idx_q + 1;
      ld_pend_q <= s_re;
      ld_pidx_q <= ld_idx_q;
      if (ld_pend_q) begin
        for (int j = 0; j < Lanes; j++) begin
          if (!mode_b_q) begin
            thr_q[j] <= s_rdata[32'(ld_slot_q)*64 +: 32];
            dir_q[j] <= s_rdata[32'(ld_slot_q)*64+32 +: 2];
          end else if (32'(j) / RulesPerWord == ld_pidx_q) begin
            thr_q[j] <= s_rdata[(j % RulesPerWord)*64 +: 32];
            dir_q[j] <= s_rdata[(j % RulesPerWord)*64+32 +: 2];
          end
        end
        if (ld_pidx_q + 1 == ld_n_q) begin
          ld_busy_q <= 1'b0;
          tag_valid_q <= 1'b1;
        end
      end
    end
  end

  logic [Lanes-1:0] r_skip;
  for (genvar j = 0; j < Lanes; j++) begin : gen_rule
    logic hit;
    trainer_rule u_rule (.est_i(r_est_q[j]), .thr_i(thr_q[j]), .dir_i(dir_q[j]), .skip_o(hit));
    assign r_skip[j] = r_valid_lanes_q[j] && hit;
  end
  wire r_all_skipped = r_skip == r_valid_lanes_q;
  wire r_runs = !r_all_skipped || audit_q;             // X replays the tile

  // ---------------------------------------------------------------- X: replay into the full lanes
  logic x_adv;                                          // X and X1 move this cycle
  logic x_run_q, x1_valid_q, x1_end_q;
  logic x_bank_q;
  logic [PAW:0] x_idx_q, x_cnt_q;
  logic [31:0] x_t_q, x_r_q, x_yt_q;
  logic [Lanes-1:0] x_valid_lanes_q, x_skip_q;
  logic [IncW-1:0] x_nvalid_q;
  logic [Lanes-1:0][31:0] x_est_q, x_thr_q;
  logic [Lanes-1:0][1:0] x_dir_q;

  assign x_take = r_valid_q && tag_ok && !x_run_q && x_adv;
  wire x_direct = x_take && (!r_runs || r_cnt_q == '0); // nothing to replay: the tile ends now
  wire x_issue = x_adv && x_run_q;
  wire x_last = x_idx_q + 1 == x_cnt_q;
  assign rp_re = x_issue ? (x_bank_q ? 2'b10 : 2'b01) : 2'b00;
  assign rp_raddr = x_idx_q[PAW-1:0];

  always_ff @(posedge clk) begin : p_exec
    if (!rst_n || soft_reset || job_start) begin
      x_run_q <= 1'b0;
      x1_valid_q <= 1'b0;
      x1_end_q <= 1'b0;
      bank_busy_q <= '0;
    end else begin
      if (take_normal && spec_q) bank_busy_q[sd_t_q[0]] <= 1'b1;
      if (x_adv) begin
        x1_valid_q <= x_issue;
        x1_end_q <= (x_issue && x_last) || x_direct;
      end
      if (x_issue) begin
        x_idx_q <= x_idx_q + 1;
        if (x_last) begin
          x_run_q <= 1'b0;
          bank_busy_q[x_bank_q] <= 1'b0;               // F may refill the bank now
        end
      end
      if (x_take) begin
        x_run_q <= !x_direct;
        x_idx_q <= '0;
        if (x_direct) bank_busy_q[r_t_q[0]] <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk) begin : p_exec_tile
    if (x_take) begin
      x_bank_q <= r_t_q[0];
      x_cnt_q <= r_cnt_q;
      x_t_q <= r_t_q;
      x_r_q <= r_r_q;
      x_yt_q <= r_yt_q;
      x_valid_lanes_q <= r_valid_lanes_q;
      x_nvalid_q <= r_nvalid_q;
      x_skip_q <= r_skip;
      x_est_q <= r_est_q;
      x_thr_q <= thr_q;
      x_dir_q <= dir_q;
    end
  end

  // ---------------------------------------------------------------- full lanes and writeback
  // The full lanes take F1's products directly, or X1's replayed ones when speculating. A tile's
  // end writes its C word at once; one-pass BN must take the word in the same cycle, else the
  // lanes (and the stage feeding them) hold.
  logic bn_in_ready;
  wire [ReplayW-1:0] x1_data = rp_rdata[x_bank_q];
  wire fl_end = spec_q ? x1_end_q : f1_end_q;
  wire wb_ready = bn_q != 2'd1 || bn_in_ready;
  wire fl_adv = !(fl_end && !wb_ready);
  assign x_adv = fl_adv;
  assign f_adv = spec_q ? !(f1_end_q && r_valid_q) : fl_adv;
  wire commit = busy && fl_end && fl_adv;
  wire fl_en = busy && fl_adv && (spec_q ? x1_valid_q : f1_valid_q);
  wire [15:0] fl_x = spec_q ? x1_data[ReplayW-1 -: 16] : f1_x_q;
  wire [Lanes-1:0][15:0] fl_y = spec_q ? x1_data[Lanes*16-1:0] : y_lanes;
  wire [Lanes-1:0] fl_lane_en = spec_q ? x_valid_lanes_q & (~x_skip_q | {Lanes{audit_q}})
                                       : f1_en_q;
  logic [Lanes-1:0][31:0] fl_res, wb_word;
  logic [IncW-1:0] fl_eff;

  trainer_lanes #(.Lanes(Lanes)) u_full (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(job_start || soft_reset),
    .en_i(fl_en), .end_i(commit), .x_i(fl_x), .y_i(fl_y), .lane_en_i(fl_lane_en),
    .res_o(fl_res), .effectual_o(fl_eff));
  assign mac_effectual = fl_eff;

  // Speculated outputs are written with their estimate (audit too); the rest with the lanes'.
  logic [Lanes-1:0] wrong;
  for (genvar j = 0; j < Lanes; j++) begin : gen_wb
    logic exact_skips;
    // Fed only in audit jobs: the comparator then stays still (Icarus evaluates it per change).
    trainer_rule u_audit (.est_i(audit_q ? fl_res[j] : 32'd0), .thr_i(x_thr_q[j]),
                          .dir_i(x_dir_q[j]), .skip_o(exact_skips));
    assign wb_word[j] = spec_q && x_skip_q[j] ? x_est_q[j] : fl_res[j];
    assign wrong[j] = x_skip_q[j] && !exact_skips;
  end

  wire [31:0] wb_t = spec_q ? x_t_q : f1_t_q;
  wire [31:0] wb_r = spec_q ? x_r_q : f1_r_q;
  wire [31:0] wb_yt = spec_q ? x_yt_q : f1_yt_q;
  wire [IncW-1:0] wb_nvalid = spec_q ? x_nvalid_q : f1_nvalid_q;
  assign c_we = commit;
  assign c_waddr = wb_t;
  assign c_wdata = wb_word;

  logic [31:0] committed_q;
  always_ff @(posedge clk) begin : p_commits
    if (!rst_n || soft_reset || job_start) committed_q <= '0;
    else if (commit) committed_q <= committed_q + 1;
  end
  wire all_committed = committed_q == tiles_q;

  // ---------------------------------------------------------------- BN statistics
  // Group of a C word and whether it closes it: compress A, a word is row r (group r/L, closed by
  // the row's last tile column at the group's last row); compress B, a word is group yt (closed by
  // the last row r = R-1).
  // Everything a function reads is an argument: Icarus re-evaluates a continuous assignment only
  // when its operands change.
  function automatic logic group_end(input logic mode_b, input logic [31:0] r,
                                     input logic [31:0] yt, input logic [31:0] rows,
                                     input logic [31:0] yt_n, input logic [31:0] m);
    return mode_b ? r + 1 == rows : yt + 1 == yt_n && (r % Lanes == Lanes - 1 || r + 1 == m);
  endfunction

  // Two-pass: after the last commit, C words 0..T-1 are read back in order (the result port is
  // idle until job_done) and handed to the BN lane.
  logic rd_started_q, rd_valid_q, rd_done_q;
  logic [31:0] rd_t_q, rd_r_q, rd_yt_q;
  wire rd_accept = rd_valid_q && bn_in_ready;
  wire rd_more = rd_t_q + 1 < tiles_q;
  wire rd_first = busy && bn_q == 2'd2 && all_committed && !rd_started_q;
  wire rd_next = rd_accept && rd_more;
  wire rd_re = rd_first || rd_next;
  wire rd_yt_wrap = rd_yt_q + 1 == yt_q;
  wire rd_r_wrap = rd_r_q + 1 == rows_q;

  assign c_re = rd_re || (res_re && !res_in_bn);
  assign c_raddr = rd_re ? (rd_first ? 32'd0 : rd_t_q + 1) : 32'(res_raddr);

  always_ff @(posedge clk) begin : p_readback
    if (!rst_n || soft_reset || job_start) begin
      rd_started_q <= 1'b0;
      rd_valid_q <= 1'b0;
      rd_done_q <= 1'b0;
      rd_t_q <= '0;
      rd_r_q <= '0;
      rd_yt_q <= '0;
    end else if (rd_first) begin
      rd_started_q <= 1'b1;
      rd_valid_q <= 1'b1;
    end else if (rd_accept) begin
      rd_valid_q <= rd_more;
      rd_done_q <= !rd_more;
      rd_t_q <= rd_t_q + 1;
      rd_r_q <= mode_b_q ? (rd_r_wrap ? 32'd0 : rd_r_q + 1) : (rd_yt_wrap ? rd_r_q + 1 : rd_r_q);
      rd_yt_q <= mode_b_q ? (rd_r_wrap ? rd_yt_q + 1 : rd_yt_q)
                          : (rd_yt_wrap ? 32'd0 : rd_yt_q + 1);
    end
  end

  wire one_pass = bn_q == 2'd1;
  wire bn_in_valid = one_pass ? commit : rd_valid_q;
  wire [31:0] bn_r = one_pass ? wb_r : rd_r_q;
  wire [31:0] bn_yt = one_pass ? wb_yt : rd_yt_q;
  wire [31:0] bn_t = one_pass ? wb_t : rd_t_q;
  wire [IncW-1:0] bn_nvalid = one_pass ? wb_nvalid : lanes_in(across_q, rd_yt_q);
  logic bn_idle;

  trainer_bn #(.Lanes(Lanes)) u_bn (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(job_start || soft_reset),
    .use_xhat_i(xhat_q), .lane_rows_i(mode_b_q),
    .in_valid_i(bn_in_valid), .in_ready_o(bn_in_ready),
    .in_word_i(one_pass ? wb_word : c_rdata), .in_t_i(bn_t), .in_nvalid_i(bn_nvalid),
    .in_slot_i(SlotW'(bn_r % Lanes)),
    .in_group_end_i(group_end(mode_b_q, bn_r, bn_yt, rows_q, yt_q, 32'(m_q))),
    .in_group_i(mode_b_q ? bn_yt : bn_r / Lanes),
    .xh_re_o(h_re), .xh_raddr_o(h_raddr), .xh_rdata_i(h_rdata),
    .bn_we_o(b_we), .bn_waddr_o(b_waddr), .bn_wdata_o(b_wdata), .idle_o(bn_idle));

  // ---------------------------------------------------------------- job end
  assign job_done = busy && all_committed
                    && (bn_q == 2'd0 || (bn_idle && (one_pass || rd_done_q)));

  // ---------------------------------------------------------------- core counters
  logic [31:0] est_macs_q, spec_skipped_q, spec_wrong_q, bp_skipped_q, wg_skipped_q;
  logic [31:0] tiles_skipped_q, bn_reads_q, bn_writes_q, fetch_idle_q;
  wire [31:0] masked_now = f_take ? 32'($countones(sd_mask)) : 32'd0;
  wire f_has_work = f_act_q || sd_valid_q || s_init_q;

  always_ff @(posedge clk) begin : p_counters
    if (!rst_n || perf_clear) begin
      est_macs_q <= '0;
      spec_skipped_q <= '0;
      spec_wrong_q <= '0;
      bp_skipped_q <= '0;
      wg_skipped_q <= '0;
      tiles_skipped_q <= '0;
      bn_reads_q <= '0;
      bn_writes_q <= '0;
      fetch_idle_q <= '0;
    end else begin
      if (est_en) est_macs_q <= est_macs_q + 32'(est_eff);
      if (x_take) spec_skipped_q <= spec_skipped_q + 32'($countones(r_skip));
      if (commit && spec_q && audit_q) spec_wrong_q <= spec_wrong_q + 32'($countones(wrong));
      if (phase == PHASE_BP[1:0]) bp_skipped_q <= bp_skipped_q + masked_now;
      if (phase == PHASE_WG[1:0]) wg_skipped_q <= wg_skipped_q + masked_now;
      if (take_skip || (x_take && !r_runs)) tiles_skipped_q <= tiles_skipped_q + 1;
      if (rd_re) bn_reads_q <= bn_reads_q + 1;
      if (b_we) bn_writes_q <= bn_writes_q + 1;
      if (busy && f_has_work && !f_issue) fetch_idle_q <= fetch_idle_q + 1;
    end
  end

  assign sts.array_lanes = 8'(Lanes);
  assign sts.array_spec_bits = 4'(SpecBits);
  assign sts.buf_x_words = 32'(XWords);
  assign sts.buf_y_words = 32'(YWords);
  assign sts.buf_c_words = 32'(CWords);
  assign sts.max_spec_k = 32'(MaxSpecK);
  assign sts.cfg_err = cfg_core_err;
  assign sts.est_macs = est_macs_q;
  assign sts.spec_skipped = spec_skipped_q;
  assign sts.spec_wrong = spec_wrong_q;
  assign sts.bp_skipped = bp_skipped_q;
  assign sts.wg_skipped = wg_skipped_q;
  assign sts.tiles_skipped = tiles_skipped_q;
  assign sts.bn_reads = bn_reads_q;
  assign sts.bn_writes = bn_writes_q;
  assign sts.replay_wr = rp_wr[0] + rp_wr[1];
  assign sts.replay_rd = rp_rd[0] + rp_rd[1];
  assign sts.aux_rd = m_rd + s_rd + h_rd;
  assign sts.fetch_idle = fetch_idle_q;

  // ---------------------------------------------------------------- invariants
  wire chk_rst_n = rst_n && !soft_reset;
  // The replay bank X reads is never rewritten under it (tile parity double buffering).
  `ACCEL_ASSERT_NEVER(ReplayWriteUnderRead_A,
                      x_run_q && |(rp_we & (x_bank_q ? 2'b10 : 2'b01)), clk, chk_rst_n)
  `ACCEL_ASSERT(ReplayInRange_A, !est_en || 32'(f1_cnt_q) < MaxSpecK, clk, chk_rst_n)
  // A stage hands a tile on only into a free slot.
  `ACCEL_ASSERT_NEVER(RuleSlotOverrun_A, r_push && r_valid_q, clk, chk_rst_n)
  `ACCEL_ASSERT_NEVER(CommitPastEnd_A, commit && all_committed, clk, chk_rst_n)
  // No buffer address beyond its size (the 32-bit address before the port takes its bits).
  `ACCEL_ASSERT(XReadInRange_A, !x_re || x_raddr < XWords, clk, chk_rst_n)
  `ACCEL_ASSERT(YReadInRange_A, !y_re || y_raddr < YWords, clk, chk_rst_n)
  `ACCEL_ASSERT(CWriteInRange_A, !c_we || c_waddr < CWords, clk, chk_rst_n)
  `ACCEL_ASSERT(CReadInRange_A, !c_re || c_raddr < CWords, clk, chk_rst_n)
  `ACCEL_ASSERT(MaskReadInRange_A, !m_re || m_raddr < MaskWords, clk, chk_rst_n)
  `ACCEL_ASSERT(SpecReadInRange_A, !s_re || s_raddr < SpecWords, clk, chk_rst_n)
  `ACCEL_ASSERT(XhatReadInRange_A, !h_re || h_raddr < XhatWords, clk, chk_rst_n)
  `ACCEL_ASSERT(BnWriteInRange_A, !b_we || b_waddr < BnWords, clk, chk_rst_n)
  `ACCEL_ASSERT(BnReadInRange_A, !b_re || 32'(res_raddr) - tiles_q < BnWords, clk, chk_rst_n)
  // The C read port is the BN read-back's while busy and the drain's after: never both.
  `ACCEL_ASSERT_NEVER(CReadConflict_A, rd_re && res_re, clk, chk_rst_n)
endmodule
