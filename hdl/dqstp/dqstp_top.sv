// DQ-STP core: FF and EP as C[M x N] = W[M x K] (2^n codes) . S^T, S[N x K] an FCSR-coded int8 map
// (rows = output positions), on a Lanes-lane shift-add array; WG as G[K x J] = S^T . X on a separate
// Lanes-multiplier array, alone (PHASE=WG) or in the same job as EP (PHASE=BP, CFG.wg_en), overlapped.
// A job: FCSR decode into a non-zero list, then lanes take work items (m, row of S) and walk the
// row's non-zeros one per cycle. CFG.align_en: a free lane takes the next item at once (sparse
// alignment); off: lanes take items in groups of Lanes and wait for the group's longest row.
// Operand buffers (tdest): 0 FCSR frame, 1 weight codes, 2 WG activations; layout in
// verif/dqstp/dqstp_codec.py. Results: Lanes int32 per beat, C rows then G rows.
//
// Every buffer is sram_1r1w (one read port with one cycle of latency, one write port) or banks of
// it; L = Lanes, B = ListBanks (>= 16), RpW = bits of a list index; words x bits per bank:
//   buffer  banks  per bank           written by (one a cycle)   read by
//   F       1      FWords x 256       operand load              FCSR decoder: flag words, then a
//                                                               two-word window per section
//   W       L      WWords/L x 256     load, word a in bank a%L  lanes (same word: one read)
//   X       1      XWords x 256       operand load              WG reader
//   list    B      ListEntries/B x 40 decoder, entry i in bank  L lanes + the WG reader (same
//                                     i%B (16 consecutive ones  entry: one read)
//                                     a cycle never collide)
//   rowptr  L      ceil(MaxN/L) x     decoder, (start, end) of  lanes, on taking an item (items go
//                  2*RpW              row r in bank r%L         out in order: rows in turn)
//   C       L      CWords x 32        lanes: C[m, r] in bank    result drain: one word from every
//                                     (m*N + r)%L (consecutive  bank, rotated back by m*N mod L
//                                     items), word m*ceil(N/L)
//                                     + r div L
//   G       1      GWords x 32*L      WG (read-modify-write,    WG, result drain
//                                     forwarded when a word
//                                     follows itself)
// Per bank the lowest-numbered requester wins (the WG reader first); the others wait a cycle
// (BANK_CONFLICT counts them each cycle they wait). Flip-flops: the lanes' item state and pipeline
// registers, the decoder's row-flag cache (MaxN bits) and window (4 words), G's valid bits.
// A lane is a pipeline: item -> row pointers -> list entry -> weight code -> shift-add -> C.
// SRAM counters (sum over banks): SRAM_RD/WR [0] F, [1] W, [2] X, [3] list; the core counters
// ROWPTR_RD/WR, CBUF_RD/WR and GBUF_RD/WR count the other three.
`include "accel_shell.svh"
`include "accel_assert.svh"

module dqstp_top
  import accel_pkg::*;
#(
  parameter int Lanes = 16,      // shift-add lanes = WG multipliers = int32 results per beat
  parameter int FWords = 1024,
  parameter int WWords = 512,
  parameter int XWords = 1024,
  parameter int ListEntries = 8192,
  parameter int CWords = 2048,
  parameter int GWords = 512,
  parameter int MaxN = 1024,
  parameter int MaxK = 1024,
  parameter int ListBanks = 32   // non-zero list banks: a power of two, at least DecodeChunk
) (
  `ACCEL_SHELL_PORTS
);
  localparam int WgMults = Lanes;              // tied: a G word is one result beat
  localparam int WordBits = SHELL_IN_BEAT_BITS;  // operand word
  localparam int CodesPerWord = WordBits / 4;  // 4-bit codes per W word
  localparam int XPerWord = WordBits / 8;      // int8 activations per X word
  localparam int XTiles = XPerWord / WgMults;  // WG column tiles per X word
  localparam int DecodeChunk = 16;             // list entries dqstp_fcsr_decode writes per cycle
  localparam int BufF = 0, BufW = 1, BufX = 2, BufList = 3;
  // banks
  localparam int ListBankWords = ListEntries / ListBanks;
  localparam int WBanks = Lanes;
  localparam int WBankWords = WWords / WBanks;
  localparam int RpBanks = Lanes;
  localparam int RpBankWords = (MaxN + RpBanks - 1) / RpBanks;
  localparam int CBanks = Lanes;
  localparam int RpW = $clog2(ListEntries + 1);  // a row pointer: list index 0..ListEntries
  // address widths
  localparam int FAW = $clog2(FWords), XAW = $clog2(XWords), GAW = $clog2(GWords);
  localparam int CAW = $clog2(CWords);
  localparam int ListAW = ListBankWords > 1 ? $clog2(ListBankWords) : 1;
  localparam int WBankAW = WBankWords > 1 ? $clog2(WBankWords) : 1;
  localparam int RpAW = RpBankWords > 1 ? $clog2(RpBankWords) : 1;
  localparam int ListBW = $clog2(ListBanks);
  localparam int LaneBW = Lanes > 1 ? $clog2(Lanes) : 1;   // bank index of W, rowptr, C
  localparam int DrainAW = $clog2(CWords + GWords);
  localparam int IncW = $clog2(Lanes + WgMults + 1);
  localparam int EffW = $clog2(Lanes + 1);
  localparam int ListReqs = Lanes + 1;         // requester 0: the WG reader
  localparam int ConfW = $clog2(ListReqs + 3 * Lanes + 1);

  `ACCEL_ASSERT_INIT(LanesDivideXWord_A, Lanes >= 2 && Lanes <= XPerWord && XPerWord % Lanes == 0)
  `ACCEL_ASSERT_INIT(BanksDivideBuffers_A, ListBanks >= DecodeChunk
                     && ListEntries % ListBanks == 0 && WWords % WBanks == 0 && RpW <= 32)

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(3, Lanes * 32, DrainAW, IncW)
  accel_shell #(
    .NumBufs(3), .NumMult(Lanes), .OutW(Lanes * 32), .ResAW(DrainAW), .IncW(IncW)
  ) u_shell (.*);

  logic [7:0] core_err_q;
  logic [31:0] cyc_decode_q, cyc_ep_q, cyc_wg_q, cyc_overlap_q, lane_busy_q, shift_ops_q;
  logic [31:0] shift_eff_q, wg_eff_q, bank_conflict_q, decode_wait_q;
  logic [31:0] dec_nnz;
  logic [31:0] rowptr_rd, rowptr_wr, cbuf_rd, cbuf_wr, gbuf_rd, gbuf_wr;
  assign sts.array_lanes = 8'(Lanes);
  assign sts.array_wg_mults = 8'(WgMults);
  assign sts.buf_f_words = 32'(FWords);
  assign sts.buf_w_words = 32'(WWords);
  assign sts.buf_x_words = 32'(XWords);
  assign sts.list_entries = 32'(ListEntries);
  assign sts.buf_c_words = 32'(CWords);
  assign sts.buf_g_words = 32'(GWords);
  assign sts.max_n = 32'(MaxN);
  assign sts.max_k = 32'(MaxK);
  assign sts.core_err = core_err_q;
  assign sts.cyc_decode = cyc_decode_q;
  assign sts.cyc_ep = cyc_ep_q;
  assign sts.cyc_wg = cyc_wg_q;
  assign sts.cyc_overlap = cyc_overlap_q;
  assign sts.lane_busy = lane_busy_q;
  assign sts.shift_ops = shift_ops_q;
  assign sts.shift_effectual = shift_eff_q;
  assign sts.wg_effectual = wg_eff_q;
  assign sts.nnz = dec_nnz;
  assign sts.bank_conflict = bank_conflict_q;
  assign sts.decode_wait = decode_wait_q;
  assign sts.rowptr_rd = rowptr_rd;
  assign sts.rowptr_wr = rowptr_wr;
  assign sts.cbuf_rd = cbuf_rd;
  assign sts.cbuf_wr = cbuf_wr;
  assign sts.gbuf_rd = gbuf_rd;
  assign sts.gbuf_wr = gbuf_wr;

  // ---------------------------------------------------------------- configuration check
  wire [15:0] dim_m = cfg.dim_m, dim_n = cfg.dim_n, dim_k = cfg.dim_k, dim_j = cfg.dim_j;
  wire [31:0] fcsr_words = cfg.fcsr_words, fcsr_nnz = cfg.fcsr_nnz;
  wire align_en = cfg.cfg_align_en;
  wire wg_en = cfg.cfg_wg_en;
  wire is_ff_bp = phase == PHASE_FF[1:0] || phase == PHASE_BP[1:0];
  wire does_ep = is_ff_bp;                                   // shift-add array in use
  wire does_wg = phase == PHASE_WG[1:0] || (phase == PHASE_BP[1:0] && wg_en);
  wire [31:0] wk_words = ceil_div(32'(dim_k), CodesPerWord);  // W words per weight row
  wire [31:0] x_row_words = ceil_div(32'(dim_j), XPerWord);   // X words per row of X
  wire [31:0] n_groups = ceil_div(32'(dim_n), Lanes);         // result words per row of C
  wire [31:0] j_tiles = ceil_div(32'(dim_j), WgMults);        // result words per row of G
  wire [31:0] w_words = 32'(dim_m) * wk_words;
  wire [31:0] x_words = 32'(dim_n) * x_row_words;
  wire [31:0] c_words = 32'(dim_m) * n_groups;
  wire [31:0] g_words = 32'(dim_k) * j_tiles;
  assign cfg_dim_zero = dim_n == 0 || dim_k == 0 || (!does_wg && dim_m == 0)
                        || (does_wg && dim_j == 0) || (does_ep && does_wg && dim_m == 0);
  assign cfg_dim_big = 32'(dim_n) > MaxN || 32'(dim_k) > MaxK || fcsr_words > FWords
                       || fcsr_nnz > ListEntries
                       || (!does_wg || does_ep) && (w_words > WWords || c_words > CWords)
                       || does_wg && (x_words > XWords || g_words > GWords);
  // WG runs beside EP only in a BP job; the shell ranks BAD_PHASE (phase 3) above this code.
  assign cfg_core_err = wg_en && phase != PHASE_BP[1:0] ? DQSTP_ERR_WG_NEEDS_BP : ERR_NONE;
  assign buf_words[BufF] = fcsr_words;
  assign buf_words[BufW] = w_words;
  assign buf_words[BufX] = x_words;
  assign buf_needed = {does_wg, !does_wg || does_ep, 1'b1};

  // ---------------------------------------------------------------- job state
  typedef enum logic [1:0] {Idle, Decode, Compute} state_e;
  state_e state_q;
  logic [15:0] n_q, j_q;
  logic ep_q, wg_q, align_q;
  logic [31:0] nnz_q, wk_q, xr_q, ng_q, jt_q, c_words_q, g_words_q;
  logic dec_done, dec_err, dec_busy, dec_wait;
  logic [7:0] dec_err_code;

  // A malformed FCSR frame ends the job with its core code (the shell ranks it below the rest).
  assign job_err = dec_err;
  assign job_err_code = dec_err_code;

  // ---------------------------------------------------------------- F, X, G: one bank each
  logic f_re;
  logic [FAW-1:0] f_raddr;
  logic [WordBits-1:0] f_rdata;
  logic [31:0] f_rd_n, f_wr_n;
  sram_1r1w #(.Words(FWords), .Width(WordBits)) u_fmem (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufF]), .waddr_i(FAW'(buf_waddr)), .wdata_i(buf_wdata),
    .re_i(f_re), .raddr_i(f_raddr), .rdata_o(f_rdata), .rd_count_o(f_rd_n), .wr_count_o(f_wr_n));

  logic x_re;
  logic [XAW-1:0] x_raddr;
  logic [WordBits-1:0] x_rdata;
  logic [31:0] x_rd_n, x_wr_n;
  sram_1r1w #(.Words(XWords), .Width(WordBits)) u_xmem (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufX]), .waddr_i(XAW'(buf_waddr)), .wdata_i(buf_wdata),
    .re_i(x_re), .raddr_i(x_raddr), .rdata_o(x_rdata), .rd_count_o(x_rd_n), .wr_count_o(x_wr_n));

  logic g_re, g_we;
  logic [GAW-1:0] g_raddr, g_waddr;
  logic [WgMults*32-1:0] g_rdata, g_wdata;
  sram_1r1w #(.Words(GWords), .Width(WgMults * 32)) u_gmem (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(g_we), .waddr_i(g_waddr), .wdata_i(g_wdata),
    .re_i(g_re), .raddr_i(g_raddr), .rdata_o(g_rdata), .rd_count_o(gbuf_rd),
    .wr_count_o(gbuf_wr));

  // ---------------------------------------------------------------- W: Lanes banks
  logic [Lanes-1:0] w_req, w_grant;
  logic [Lanes-1:0][LaneBW-1:0] w_bank;
  logic [Lanes-1:0][WBankAW-1:0] w_addr;
  logic [WBanks-1:0] w_bank_re;
  logic [WBanks-1:0][WBankAW-1:0] w_bank_addr;
  logic [WBanks-1:0][WordBits-1:0] w_rdata;
  logic [WBanks-1:0][31:0] w_rd_n, w_wr_n;
  logic [$clog2(Lanes + 1)-1:0] w_conf;
  dqstp_bank_arb #(.Reqs(Lanes), .Banks(WBanks), .AddrW(WBankAW), .Merge(1'b1)) u_w_arb (
    .req_i(w_req), .bank_i(w_bank), .addr_i(w_addr), .grant_o(w_grant),
    .bank_re_o(w_bank_re), .bank_addr_o(w_bank_addr), .conflicts_o(w_conf));
  for (genvar b = 0; b < WBanks; b++) begin : gen_w_bank
    // a named wire: Icarus 11 rejects a genvar compared inside a port expression
    wire load_we = buf_we[BufW] && buf_waddr % WBanks == 32'(b);
    sram_1r1w #(.Words(WBankWords), .Width(WordBits)) u_bank (
      .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
      .we_i(load_we), .waddr_i(WBankAW'(buf_waddr / WBanks)),
      .wdata_i(buf_wdata), .re_i(w_bank_re[b]), .raddr_i(w_bank_addr[b]), .rdata_o(w_rdata[b]),
      .rd_count_o(w_rd_n[b]), .wr_count_o(w_wr_n[b]));
  end

  // ---------------------------------------------------------------- FCSR decode into the list
  logic [DecodeChunk-1:0] list_we;
  logic [DecodeChunk-1:0][31:0] list_waddr;
  logic [DecodeChunk-1:0][39:0] list_wdata;
  logic rp_we;
  logic [15:0] rp_row;
  logic [31:0] rp_start, rp_end;

  dqstp_fcsr_decode #(.MaxN(MaxN), .FWords(FWords)) u_decode (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(soft_reset),
    .start_i(job_start),
    .n_i(dim_n), .k_i(dim_k), .nnz_i(fcsr_nnz), .words_i(fcsr_words),
    .f_re_o(f_re), .f_raddr_o(f_raddr), .f_rdata_i(f_rdata),
    .list_we_o(list_we), .list_waddr_o(list_waddr), .list_wdata_o(list_wdata),
    .rp_we_o(rp_we), .rp_row_o(rp_row), .rp_start_o(rp_start), .rp_end_o(rp_end),
    .wait_o(dec_wait),
    .busy_o(dec_busy), .done_o(dec_done), .err_o(dec_err), .err_code_o(dec_err_code),
    .nnz_o(dec_nnz)
  );

  // ---------------------------------------------------------------- list: 16 banks
  logic [ListReqs-1:0] list_req, list_grant;
  logic [ListReqs-1:0][ListBW-1:0] list_bank;
  logic [ListReqs-1:0][ListAW-1:0] list_addr;
  logic [ListBanks-1:0] list_bank_re, list_bank_we;
  logic [ListBanks-1:0][ListAW-1:0] list_bank_raddr, list_bank_waddr;
  logic [ListBanks-1:0][39:0] list_bank_wdata, list_rdata;
  logic [ListBanks-1:0][31:0] list_rd_n, list_wr_n;
  logic [$clog2(ListReqs + 1)-1:0] list_conf;
  dqstp_bank_arb #(.Reqs(ListReqs), .Banks(ListBanks), .AddrW(ListAW), .Merge(1'b1)) u_list_arb (
    .req_i(list_req), .bank_i(list_bank), .addr_i(list_addr), .grant_o(list_grant),
    .bank_re_o(list_bank_re), .bank_addr_o(list_bank_raddr), .conflicts_o(list_conf));

  // The decoder's entries of a cycle are consecutive: at most one per bank.
  logic list_write_clash;
  always_comb begin : p_list_write
    list_bank_we = '0;
    list_bank_waddr = '0;
    list_bank_wdata = '0;
    list_write_clash = 1'b0;
    for (int j = 0; j < DecodeChunk; j++) begin
      if (list_we[j]) begin
        list_write_clash = list_write_clash || list_bank_we[list_waddr[j] % ListBanks];
        list_bank_we[list_waddr[j] % ListBanks] = 1'b1;
        list_bank_waddr[list_waddr[j] % ListBanks] = ListAW'(list_waddr[j] / ListBanks);
        list_bank_wdata[list_waddr[j] % ListBanks] = list_wdata[j];
      end
    end
  end
  `ACCEL_ASSERT_NEVER(ListWritesOneABank_A, list_write_clash, clk, rst_n)
  for (genvar b = 0; b < ListBanks; b++) begin : gen_list_bank
    sram_1r1w #(.Words(ListBankWords), .Width(40)) u_bank (
      .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
      .we_i(list_bank_we[b]), .waddr_i(list_bank_waddr[b]), .wdata_i(list_bank_wdata[b]),
      .re_i(list_bank_re[b]), .raddr_i(list_bank_raddr[b]), .rdata_o(list_rdata[b]),
      .rd_count_o(list_rd_n[b]), .wr_count_o(list_wr_n[b]));
  end

  // ---------------------------------------------------------------- row pointers: Lanes banks
  logic [Lanes-1:0] rp_req, rp_grant;
  logic [Lanes-1:0][LaneBW-1:0] rp_bank;
  logic [Lanes-1:0][RpAW-1:0] rp_addr;
  logic [RpBanks-1:0] rp_bank_re;
  logic [RpBanks-1:0][RpAW-1:0] rp_bank_raddr;
  logic [RpBanks-1:0][2*RpW-1:0] rp_rdata;
  logic [RpBanks-1:0][31:0] rp_rd_n, rp_wr_n;
  logic [$clog2(Lanes + 1)-1:0] rp_conf;
  dqstp_bank_arb #(.Reqs(Lanes), .Banks(RpBanks), .AddrW(RpAW), .Merge(1'b1)) u_rp_arb (
    .req_i(rp_req), .bank_i(rp_bank), .addr_i(rp_addr), .grant_o(rp_grant),
    .bank_re_o(rp_bank_re), .bank_addr_o(rp_bank_raddr), .conflicts_o(rp_conf));
  for (genvar b = 0; b < RpBanks; b++) begin : gen_rp_bank
    wire row_we = rp_we && 32'(rp_row) % RpBanks == 32'(b);
    sram_1r1w #(.Words(RpBankWords), .Width(2 * RpW)) u_bank (
      .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
      .we_i(row_we), .waddr_i(RpAW'(32'(rp_row) / RpBanks)),
      .wdata_i({RpW'(rp_end), RpW'(rp_start)}),
      .re_i(rp_bank_re[b]), .raddr_i(rp_bank_raddr[b]), .rdata_o(rp_rdata[b]),
      .rd_count_o(rp_rd_n[b]), .wr_count_o(rp_wr_n[b]));
  end

  // ---------------------------------------------------------------- C: Lanes banks of 32 bits
  logic [Lanes-1:0] c_req, c_grant;
  logic [Lanes-1:0][LaneBW-1:0] c_bank;
  logic [Lanes-1:0][CAW-1:0] c_addr;
  logic [Lanes-1:0][31:0] c_wdata;
  logic [CBanks-1:0] c_bank_we;
  logic [CBanks-1:0][CAW-1:0] c_bank_waddr;
  logic [CBanks-1:0][31:0] c_bank_wdata, c_rdata;
  logic [CBanks-1:0][31:0] c_rd_n, c_wr_n;
  logic [$clog2(Lanes + 1)-1:0] c_conf;
  logic c_re;
  logic [CAW-1:0] c_raddr;
  dqstp_bank_arb #(.Reqs(Lanes), .Banks(CBanks), .AddrW(CAW), .Merge(1'b0)) u_c_arb (
    .req_i(c_req), .bank_i(c_bank), .addr_i(c_addr), .grant_o(c_grant),
    .bank_re_o(c_bank_we), .bank_addr_o(c_bank_waddr), .conflicts_o(c_conf));
  always_comb begin : p_c_wdata
    c_bank_wdata = '0;
    for (int l = 0; l < Lanes; l++) begin
      if (c_grant[l]) c_bank_wdata[c_bank[l]] = c_wdata[l];
    end
  end
  for (genvar b = 0; b < CBanks; b++) begin : gen_c_bank
    sram_1r1w #(.Words(CWords), .Width(32)) u_bank (
      .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
      .we_i(c_bank_we[b]), .waddr_i(c_bank_waddr[b]), .wdata_i(c_bank_wdata[b]),
      .re_i(c_re), .raddr_i(c_raddr), .rdata_o(c_rdata[b]),
      .rd_count_o(c_rd_n[b]), .wr_count_o(c_wr_n[b]));
  end

  // ---------------------------------------------------------------- FF/EP: the lanes
  // Work item q = m * N + r: output C[m, r] = sum over the non-zeros (k, v) of row r of S of
  // W[m, k] x v. A lane takes an item, reads its row pointers, then issues one list read a cycle
  // (max(1, L) cycles for a row of L non-zeros, the next item's row pointers read in its last);
  // a cycle later the entry's weight-code read, a cycle after that the shift-add, and on the row's
  // last term the C write. A stage whose bank is taken holds, and the stages behind it wait.
  localparam logic [1:0] FeIdle = 2'd0, FeRp = 2'd1, FeRpData = 2'd2, FeIssue = 2'd3;
  logic [31:0] items_q, next_q;                 // items of the job; next item to hand out
  logic ep_run_q;
  logic [Lanes-1:0] lane_free, assign_lane, lane_busy;
  logic [Lanes-1:0] sa_first, sa_step, sa_en;
  logic [Lanes-1:0][7:0] sa_val;
  logic [Lanes-1:0][3:0] sa_code;
  logic [Lanes-1:0][31:0] acc_next;
  logic [Lanes-1:0][31:0] assign_q;             // item a lane takes this cycle
  logic [Lanes-1:0][15:0] assign_m, assign_row;
  logic [31:0] handed;                          // items handed out this cycle
  logic [EffW-1:0] shift_eff;

  // Hand out items: with alignment to every free lane, without only when the whole group is free.
  always_comb begin : p_assign
    logic [31:0] taken;
    logic all_free;
    all_free = &lane_free;
    taken = '0;
    for (int l = 0; l < Lanes; l++) begin
      assign_lane[l] = ep_run_q && lane_free[l] && (align_q || all_free)
                       && next_q + taken < items_q;
      assign_q[l] = next_q + taken;
      assign_m[l] = 16'(assign_q[l] / 32'(n_q));
      assign_row[l] = 16'(assign_q[l] % 32'(n_q));
      if (assign_lane[l]) taken = taken + 1;
    end
    handed = taken;
  end

  for (genvar l = 0; l < Lanes; l++) begin : gen_lane
    // ---- item front end: row pointers, then one list read a cycle
    logic [1:0] fe_q;
    logic [15:0] m_q, r_q;
    logic [RpW-1:0] ptr_q, end_q;
    logic first_q;
    logic [LaneBW-1:0] rp_bank_q, cb_q;             // cb_q: the item's C bank, q mod Lanes
    logic s2_ready, s3_ready;
    wire rp_arrives = fe_q == FeRpData;              // the row pointers are on the bank's port
    wire [2*RpW-1:0] rp_word = rp_rdata[rp_bank_q];
    wire [RpW-1:0] cur_ptr = rp_arrives ? rp_word[RpW-1:0] : ptr_q;
    wire [RpW-1:0] cur_end = rp_arrives ? rp_word[2*RpW-1:RpW] : end_q;
    wire issuing = rp_arrives || fe_q == FeIssue;
    wire has_entry = cur_ptr < cur_end;
    wire tok_last = !has_entry || cur_ptr + 1'b1 == cur_end;
    wire fe_fire = issuing && s2_ready && (!has_entry || list_grant[l+1]);
    wire [15:0] want_row = assign_lane[l] ? assign_row[l] : r_q;
    assign list_req[l+1] = issuing && has_entry && s2_ready;
    assign list_bank[l+1] = ListBW'(cur_ptr % ListBanks);
    assign list_addr[l+1] = ListAW'(cur_ptr / ListBanks);
    assign rp_req[l] = assign_lane[l] || fe_q == FeRp;
    assign rp_bank[l] = LaneBW'(32'(want_row) % RpBanks);
    assign rp_addr[l] = RpAW'(32'(want_row) / RpBanks);
    assign lane_free[l] = fe_q == FeIdle || (fe_fire && tok_last);

    always_ff @(posedge clk) begin : p_front
      if (!rst_n || soft_reset) begin
        fe_q <= FeIdle;
      end else if (assign_lane[l]) begin
        fe_q <= rp_grant[l] ? FeRpData : FeRp;
        m_q <= assign_m[l];
        r_q <= assign_row[l];
        cb_q <= LaneBW'(assign_q[l] % Lanes);
        first_q <= 1'b1;
        rp_bank_q <= rp_bank[l];
      end else if (fe_q == FeRp) begin
        if (rp_grant[l]) fe_q <= FeRpData;
        rp_bank_q <= rp_bank[l];
      end else if (issuing) begin
        // the pointers are on the bank's port for this cycle only: keep them
        ptr_q <= fe_fire ? cur_ptr + 1'b1 : cur_ptr;
        end_q <= cur_end;
        if (fe_fire) first_q <= 1'b0;
        fe_q <= fe_fire && tok_last ? FeIdle : FeIssue;
      end
    end

    // ---- stage 2: the list entry arrives; read its weight-code word
    logic s2_v_q, s2_fresh_q, s2_first_q, s2_last_q, s2_has_q;
    logic [15:0] s2_m_q, s2_r_q;
    logic [LaneBW-1:0] s2_cb_q, s3_cb_q;
    logic [ListBW-1:0] s2_lbank_q;
    logic [23:0] s2_hold_q;                          // {col, value} kept while stage 2 waits
    wire [39:0] s2_entry = list_rdata[s2_lbank_q];
    wire [23:0] s2_cv = s2_fresh_q ? s2_entry[23:0] : s2_hold_q;
    wire [31:0] s2_waddr = 32'(s2_m_q) * wk_q + 32'(s2_cv[23:8]) / CodesPerWord;
    wire s2_fire = s2_v_q && s3_ready && (!s2_has_q || w_grant[l]);
    assign s2_ready = !s2_v_q || s2_fire;
    assign w_req[l] = s2_v_q && s2_has_q && s3_ready;
    assign w_bank[l] = LaneBW'(s2_waddr % WBanks);
    assign w_addr[l] = WBankAW'(s2_waddr / WBanks);

    always_ff @(posedge clk) begin : p_stage2
      if (!rst_n || soft_reset) begin
        s2_v_q <= 1'b0;
        s2_fresh_q <= 1'b0;
      end else if (fe_fire) begin
        s2_v_q <= 1'b1;
        s2_fresh_q <= has_entry;
        s2_first_q <= first_q;
        s2_last_q <= tok_last;
        s2_has_q <= has_entry;
        s2_m_q <= m_q;
        s2_r_q <= r_q;
        s2_cb_q <= cb_q;
        s2_lbank_q <= ListBW'(cur_ptr % ListBanks);
      end else if (s2_fire) begin
        s2_v_q <= 1'b0;
        s2_fresh_q <= 1'b0;
      end else if (s2_fresh_q) begin
        s2_hold_q <= s2_entry[23:0];
        s2_fresh_q <= 1'b0;
      end
    end

    // ---- stage 3: the code word arrives; shift-add, and on the row's last term write C
    logic s3_v_q, s3_fresh_q, s3_first_q, s3_last_q, s3_has_q;
    logic [15:0] s3_m_q, s3_r_q;
    logic [7:0] s3_val_q;
    logic [$clog2(CodesPerWord)-1:0] s3_sel_q;
    logic [LaneBW-1:0] s3_wbank_q;
    logic [3:0] s3_hold_q;
    wire [WordBits-1:0] s3_word = w_rdata[s3_wbank_q];
    wire [3:0] s3_code = s3_fresh_q ? s3_word[32'(s3_sel_q) * 4 +: 4] : s3_hold_q;
    wire s3_fire = s3_v_q && (!s3_last_q || c_grant[l]);
    assign s3_ready = !s3_v_q || s3_fire;
    assign sa_first[l] = s3_first_q;
    assign sa_step[l] = s3_v_q && s3_has_q;
    assign sa_en[l] = s3_fire;
    assign sa_val[l] = s3_val_q;
    assign sa_code[l] = s3_code;
    assign c_req[l] = s3_v_q && s3_last_q;
    assign c_bank[l] = s3_cb_q;
    assign c_addr[l] = CAW'(32'(s3_m_q) * ng_q + 32'(s3_r_q) / Lanes);
    assign c_wdata[l] = acc_next[l];
    assign lane_busy[l] = fe_q != FeIdle || s2_v_q || s3_v_q;

    always_ff @(posedge clk) begin : p_stage3
      if (!rst_n || soft_reset) begin
        s3_v_q <= 1'b0;
        s3_fresh_q <= 1'b0;
      end else if (s2_fire) begin
        s3_v_q <= 1'b1;
        s3_fresh_q <= s2_has_q;
        s3_first_q <= s2_first_q;
        s3_last_q <= s2_last_q;
        s3_has_q <= s2_has_q;
        s3_m_q <= s2_m_q;
        s3_r_q <= s2_r_q;
        s3_cb_q <= s2_cb_q;
        s3_val_q <= s2_cv[7:0];
        s3_sel_q <= $clog2(CodesPerWord)'(s2_cv[23:8] % CodesPerWord);
        s3_wbank_q <= w_bank[l];
      end else if (s3_fire) begin
        s3_v_q <= 1'b0;
        s3_fresh_q <= 1'b0;
      end else if (s3_fresh_q) begin
        s3_hold_q <= s3_code;
        s3_fresh_q <= 1'b0;
      end
    end

    // A lane walks entries of the decoded list only, and reads row pointers of rows in the table.
    `ACCEL_ASSERT(LanePtrInList_A,
                  fe_q != FeIssue || (ptr_q <= end_q && 32'(end_q) <= nnz_q), clk, rst_n)
    `ACCEL_ASSERT(RowPtrReadInTable_A, !rp_req[l] || 32'(want_row) < 32'(MaxN), clk, rst_n)
  end

  dqstp_shift_array #(.Lanes(Lanes)) u_shift_array (
    .clk_i(clk), .rst_ni(rst_n),
    .first_i(sa_first), .step_i(sa_step), .en_i(sa_en), .val_i(sa_val), .code_i(sa_code),
    .acc_next_o(acc_next), .effectual_o(shift_eff)
  );

  always_ff @(posedge clk) begin : p_next_item
    if (!rst_n || soft_reset || job_start) next_q <= '0;
    else next_q <= next_q + handed;
  end
  // Every item handed out and every lane empty (front end and pipeline).
  wire ep_finished = ep_run_q && next_q >= items_q && lane_busy == '0;
  `ACCEL_ASSERT(ListFitsJob_A, nnz_q <= 32'(ListEntries), clk, rst_n)

  // ---------------------------------------------------------------- WG: G[k, j] += S[n, k] x X[n, j]
  // One non-zero of S per cycle, for one tile of WgMults columns of X; tiles outer, non-zeros
  // inner. Pipeline: list read (the WG reader ranks first) -> X and G reads -> multiply-add and G
  // write. G's one-cycle read latency: a word read while the stage ahead writes it (two entries of
  // one column k in a row) takes the written value (forwarding).
  logic wg_run_q;
  logic [31:0] wg_i_q, wg_t_q;
  logic [GWords-1:0] gvalid_q;                  // a G word not yet written this job reads as zero
  logic wg2_v_q, wg3_v_q;
  logic [31:0] wg2_t_q;
  logic [ListBW-1:0] wg2_lbank_q;
  logic [GAW-1:0] wg3_gaddr_q;
  logic [31:0] wg3_xsel_q;
  logic [7:0] wg3_e_q;
  logic wg3_gvalid_q, wg3_fwd_q;
  logic [WgMults*32-1:0] wg3_fwd_data_q;
  logic [WgMults-1:0][7:0] wg_x;
  logic [WgMults-1:0][31:0] wg_acc_in, wg_acc_out;
  logic [EffW-1:0] wg_eff;
  wire wg_issuing = wg_run_q && wg_t_q < jt_q && nnz_q != 0;
  wire wg1_fire = wg_issuing && list_grant[0];
  // The WG reader ranks first at the list banks (dqstp_codec.wg_cycles relies on it).
  `ACCEL_ASSERT(WgReaderNeverWaits_A, !wg_issuing || list_grant[0], clk, rst_n)
  assign list_req[0] = wg_issuing;
  assign list_bank[0] = ListBW'(wg_i_q % ListBanks);
  assign list_addr[0] = ListAW'(wg_i_q / ListBanks);
  wire [39:0] wg2_entry = list_rdata[wg2_lbank_q];
  wire [31:0] wg2_xaddr = 32'(wg2_entry[39:24]) * xr_q + wg2_t_q / XTiles;
  wire [31:0] wg2_gaddr = 32'(wg2_entry[23:8]) * jt_q + wg2_t_q;
  assign x_re = wg2_v_q;
  assign x_raddr = XAW'(wg2_xaddr);

  always_comb begin : p_wg_operands
    for (int l = 0; l < WgMults; l++) begin
      wg_x[l] = x_rdata[(wg3_xsel_q * WgMults + 32'(l)) * 8 +: 8];
      wg_acc_in[l] = wg3_fwd_q ? wg3_fwd_data_q[l*32 +: 32]
                   : wg3_gvalid_q ? g_rdata[l*32 +: 32] : 32'd0;
    end
  end

  dqstp_wg_array #(.Mults(WgMults)) u_wg_array (
    .en_i(wg3_v_q), .e_i(wg3_e_q), .x_i(wg_x), .acc_i(wg_acc_in), .acc_o(wg_acc_out),
    .effectual_o(wg_eff)
  );
  assign g_we = wg3_v_q;
  assign g_waddr = wg3_gaddr_q;
  assign g_wdata = wg_acc_out;

  always_ff @(posedge clk) begin : p_wg_pipe
    if (!rst_n || soft_reset) begin
      wg2_v_q <= 1'b0;
      wg3_v_q <= 1'b0;
    end else begin
      wg2_v_q <= wg1_fire;
      wg2_t_q <= wg_t_q;
      wg2_lbank_q <= ListBW'(wg_i_q % ListBanks);
      wg3_v_q <= wg2_v_q;
      wg3_gaddr_q <= GAW'(wg2_gaddr);
      wg3_xsel_q <= wg2_t_q % XTiles;
      wg3_e_q <= wg2_entry[7:0];
      wg3_gvalid_q <= gvalid_q[GAW'(wg2_gaddr)];
      wg3_fwd_q <= wg3_v_q && wg3_gaddr_q == GAW'(wg2_gaddr);
      wg3_fwd_data_q <= wg_acc_out;
    end
  end
  wire wg_finished = wg_run_q && !wg_issuing && !wg2_v_q && !wg3_v_q;

  // ---------------------------------------------------------------- sequencing
  wire ep_active = ep_run_q && !ep_finished;
  wire wg_active = wg_run_q && !wg_finished;
  wire ep_done_now = !ep_q || !ep_run_q || ep_finished;
  wire wg_done_now = !wg_q || !wg_run_q || wg_finished;
  assign job_done = state_q == Compute && ep_done_now && wg_done_now;

  // The core's job state and the shell's STATUS.busy move together.
  `ACCEL_ASSERT(BusyIffJob_A, busy == (state_q != Idle), clk, rst_n)

  always_ff @(posedge clk) begin : p_seq
    if (!rst_n || soft_reset) begin
      state_q <= Idle;
      ep_run_q <= 1'b0;
      wg_run_q <= 1'b0;
      gvalid_q <= '0;
      {n_q, j_q} <= '0;
      {ep_q, wg_q, align_q} <= '0;
      {nnz_q, wk_q, xr_q, ng_q, jt_q, c_words_q, g_words_q, items_q} <= '0;
      wg_i_q <= '0;
      wg_t_q <= '0;
    end else begin
      if (job_start) begin
        state_q <= Decode;
        n_q <= dim_n;
        j_q <= dim_j;
        ep_q <= does_ep;
        wg_q <= does_wg;
        align_q <= align_en;
        nnz_q <= fcsr_nnz;
        wk_q <= wk_words;
        xr_q <= x_row_words;
        ng_q <= n_groups;
        jt_q <= j_tiles;
        c_words_q <= does_ep ? c_words : 32'd0;
        g_words_q <= does_wg ? g_words : 32'd0;
        items_q <= does_ep ? 32'(dim_m) * 32'(dim_n) : 32'd0;
        gvalid_q <= '0;
      end
      if (state_q == Decode && dec_err) state_q <= Idle;
      if (state_q == Decode && dec_done) begin
        state_q <= Compute;
        ep_run_q <= ep_q;
        wg_run_q <= wg_q;
        wg_i_q <= '0;
        wg_t_q <= '0;
      end
      if (job_done) begin
        state_q <= Idle;
        ep_run_q <= 1'b0;
        wg_run_q <= 1'b0;
      end
      if (ep_finished) ep_run_q <= 1'b0;
      if (wg_finished) wg_run_q <= 1'b0;
      if (wg1_fire) begin
        if (wg_i_q + 1 == nnz_q) begin
          wg_i_q <= '0;
          wg_t_q <= wg_t_q + 1;
        end else begin
          wg_i_q <= wg_i_q + 1;
        end
      end
      if (g_we) gvalid_q[g_waddr] <= 1'b1;
    end
  end

  // CORE_ERR: the core-specific code (16 and up) of the last job: a decode error while it runs,
  // or WG_NEEDS_BP refusing its frames or its start. Cleared by an accepted start.
  always_ff @(posedge clk) begin : p_core_err
    if (!rst_n || soft_reset) begin
      core_err_q <= ERR_NONE;
    end else if (job_start) begin
      core_err_q <= ERR_NONE;
    end else if (err_event && err_event_code >= DQSTP_ERR_FCSR_COUNT) begin
      core_err_q <= err_event_code;
    end
  end

  // ---------------------------------------------------------------- results out: C, then G words
  // A result word read: every C bank at the word's address, or the G word; slots past N (C) or
  // past J or never written (G) read as zero. Data one cycle later, as the drain expects.
  wire [31:0] drain_a = 32'(res_raddr);          // result word: C words first
  wire [31:0] drain_g = drain_a - c_words_q;     // G word, when past the C words
  wire drain_c = drain_a < c_words_q;
  logic drain_g_q;
  logic [Lanes-1:0] drain_keep_q;
  logic [LaneBW-1:0] drain_rot_q;
  assign c_re = res_re && drain_c;
  assign c_raddr = CAW'(drain_a);
  assign g_re = wg2_v_q || (res_re && !drain_c);
  assign g_raddr = wg2_v_q ? GAW'(wg2_gaddr) : GAW'(drain_g);
  always_ff @(posedge clk) begin : p_drain_read
    if (res_re) begin
      drain_g_q <= !drain_c;
      drain_rot_q <= LaneBW'((drain_a / ng_q) * 32'(n_q) % Lanes);
      for (int s = 0; s < Lanes; s++) begin
        drain_keep_q[s] <= drain_c ? (drain_a % ng_q) * Lanes + 32'(s) < 32'(n_q)
                         : gvalid_q[GAW'(drain_g)]
                           && (drain_g % jt_q) * WgMults + 32'(s) < 32'(j_q);
      end
    end
  end
  always_comb begin : p_drain_data
    for (int s = 0; s < Lanes; s++) begin
      res_rdata[s*32 +: 32] = !drain_keep_q[s] ? 32'd0
                            : drain_g_q ? g_rdata[s*32 +: 32]
                            : c_rdata[LaneBW'(32'(s) + 32'(drain_rot_q))];
    end
  end
  assign res_words = c_words_q + g_words_q;

  // ---------------------------------------------------------------- counters
  assign mac_effectual = IncW'(shift_eff) + IncW'(wg_eff);
  assign mac_skipped = '0;
  // MAC slots per compute cycle: the lanes of every array the job uses (BP with WG uses both)
  assign mac_units = (ep_q ? IncW'(Lanes) : IncW'(0)) + (wg_q ? IncW'(WgMults) : IncW'(0));

  // SRAM accesses per buffer, summed over its banks (sram_1r1w's own counters)
  always_comb begin : p_sram_sums
    sram_rd = '0;
    sram_wr = '0;
    {rowptr_rd, rowptr_wr, cbuf_rd, cbuf_wr} = '0;
    sram_rd[BufF] = f_rd_n;
    sram_wr[BufF] = f_wr_n;
    sram_rd[BufX] = x_rd_n;
    sram_wr[BufX] = x_wr_n;
    for (int b = 0; b < WBanks; b++) begin
      sram_rd[BufW] = sram_rd[BufW] + w_rd_n[b];
      sram_wr[BufW] = sram_wr[BufW] + w_wr_n[b];
    end
    for (int b = 0; b < ListBanks; b++) begin
      sram_rd[BufList] = sram_rd[BufList] + list_rd_n[b];
      sram_wr[BufList] = sram_wr[BufList] + list_wr_n[b];
    end
    for (int b = 0; b < RpBanks; b++) begin
      rowptr_rd = rowptr_rd + rp_rd_n[b];
      rowptr_wr = rowptr_wr + rp_wr_n[b];
    end
    for (int b = 0; b < CBanks; b++) begin
      cbuf_rd = cbuf_rd + c_rd_n[b];
      cbuf_wr = cbuf_wr + c_wr_n[b];
    end
  end

  wire [ConfW-1:0] conflicts = ConfW'(list_conf) + ConfW'(rp_conf) + ConfW'(w_conf)
                               + ConfW'(c_conf);
  always_ff @(posedge clk) begin : p_core_counters
    if (!rst_n || perf_clear) begin
      {cyc_decode_q, cyc_ep_q, cyc_wg_q, cyc_overlap_q} <= '0;
      {lane_busy_q, shift_ops_q, shift_eff_q, wg_eff_q} <= '0;
      {bank_conflict_q, decode_wait_q} <= '0;
    end else begin
      cyc_decode_q <= cyc_decode_q + 32'(dec_busy);
      cyc_ep_q <= cyc_ep_q + 32'(ep_active);
      cyc_wg_q <= cyc_wg_q + 32'(wg_active);
      cyc_overlap_q <= cyc_overlap_q + 32'(ep_active && wg_active);
      lane_busy_q <= lane_busy_q + 32'($countones(lane_busy));
      shift_ops_q <= shift_ops_q + 32'($countones(sa_step & sa_en));
      shift_eff_q <= shift_eff_q + 32'(shift_eff);
      wg_eff_q <= wg_eff_q + 32'(wg_eff);
      bank_conflict_q <= bank_conflict_q + 32'(conflicts);
      decode_wait_q <= decode_wait_q + 32'(dec_wait);
    end
  end
endmodule
