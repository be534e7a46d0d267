// DQ-STP core: FF and EP as C[M x N] = W[M x K] (2^n codes) . S^T, S[N x K] an FCSR-coded int8 map
// (rows = output positions), on a Lanes-lane shift-add array; WG as G[K x J] = S^T . X on a separate
// Lanes-multiplier array, alone (PHASE=WG) or in the same job as EP (PHASE=BP, CFG.wg_en), overlapped.
// A job: FCSR decode into a non-zero list, then lanes take work items (m, row of S) and walk the
// row's non-zeros one per cycle. CFG.align_en: a free lane takes the next item at once (sparse
// alignment); off: lanes take items in groups of Lanes and wait for the group's longest row.
// Buffers (tdest): 0 FCSR frame, 1 weight codes, 2 WG activations; layout in
// verif/dqstp/dqstp_codec.py. Results: Lanes int32 per beat, C rows then G rows.
// SRAM counters: [0] F words, [1] W (code reads / words written), [2] X, [3] non-zero list entries.
// Memories are behavioural multi-port arrays (a lane reads its own entry and code each cycle).
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
  parameter int MaxK = 1024
) (
  `ACCEL_SHELL_PORTS(Lanes * 32)
);
  localparam int WgMults = Lanes;              // tied: a G word is one result beat
  localparam int WordBits = SHELL_IN_BEAT_BITS;  // operand word
  localparam int CodesPerWord = WordBits / 4;  // 4-bit codes per W word
  localparam int XPerWord = WordBits / 8;      // int8 activations per X word
  localparam int XTiles = XPerWord / WgMults;  // WG column tiles per X word
  localparam int DecodeChunk = 16;             // list entries dqstp_fcsr_decode writes per cycle
  localparam int BufF = 0, BufW = 1, BufX = 2;
  localparam int FAW = $clog2(FWords), WAW = $clog2(WWords), XAW = $clog2(XWords);
  localparam int LAW = $clog2(ListEntries), CAW = $clog2(CWords * Lanes), GAW = $clog2(GWords);
  localparam int NAW = $clog2(MaxN + 1);
  localparam int DrainAW = $clog2(CWords + GWords);
  localparam int IncW = $clog2(Lanes + WgMults + 1);
  localparam int EffW = $clog2(Lanes + 1);

  `ACCEL_ASSERT_INIT(LanesDivideXWord_A, Lanes >= 1 && Lanes <= XPerWord && XPerWord % Lanes == 0)

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(3, Lanes * 32, DrainAW, IncW)
  accel_shell #(
    .NumBufs(3), .NumMult(Lanes), .OutW(Lanes * 32), .ResAW(DrainAW), .IncW(IncW)
  ) u_shell (.*);

  logic [7:0] core_err_q;
  logic [31:0] cyc_decode_q, cyc_ep_q, cyc_wg_q, cyc_overlap_q, lane_busy_q, shift_ops_q;
  logic [31:0] shift_eff_q, wg_eff_q;
  logic [31:0] dec_nnz;
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

  // ---------------------------------------------------------------- operand buffers
  logic [WordBits-1:0] fmem [FWords];
  logic [WordBits-1:0] wmem [WWords];
  logic [WordBits-1:0] xmem [XWords];
  always_ff @(posedge clk) begin : p_operand_write
    if (buf_we[BufF]) fmem[FAW'(buf_waddr)] <= buf_wdata;
    if (buf_we[BufW]) wmem[WAW'(buf_waddr)] <= buf_wdata;
    if (buf_we[BufX]) xmem[XAW'(buf_waddr)] <= buf_wdata;
  end

  // ---------------------------------------------------------------- job control
  typedef enum logic [1:0] {Idle, Decode, Compute} state_e;
  state_e state_q;
  logic [15:0] n_q, j_q;
  logic ep_q, wg_q, align_q;
  logic [31:0] nnz_q, wk_q, xr_q, ng_q, jt_q, c_words_q, g_words_q;
  logic dec_done, dec_err, dec_busy;
  logic [7:0] dec_err_code;

  // A malformed FCSR frame ends the job with its core code (the shell ranks it below the rest).
  assign job_err = dec_err;
  assign job_err_code = dec_err_code;

  // ---------------------------------------------------------------- FCSR decode into the list
  logic [3:0][31:0] f_raddr;     // packed: Icarus 11 does not propagate unpacked array ports
  logic [3:0][WordBits-1:0] f_rdata;
  logic [2:0] f_reads;
  logic [DecodeChunk-1:0] list_we;
  logic [DecodeChunk-1:0][31:0] list_waddr;
  logic [DecodeChunk-1:0][39:0] list_wdata;
  logic rp_we;
  logic [31:0] rp_waddr, rp_wdata;
  logic [39:0] list_mem [ListEntries];
  logic [31:0] row_ptr [MaxN + 1];

  always_comb begin : p_f_read
    for (int p = 0; p < 4; p++) f_rdata[p] = f_raddr[p] < FWords ? fmem[FAW'(f_raddr[p])] : '0;
  end

  dqstp_fcsr_decode #(.MaxN(MaxN)) u_decode (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(soft_reset),
    .start_i(job_start),
    .n_i(dim_n), .k_i(dim_k), .nnz_i(fcsr_nnz), .words_i(fcsr_words),
    .f_raddr_o(f_raddr), .f_rdata_i(f_rdata), .f_reads_o(f_reads),
    .list_we_o(list_we), .list_waddr_o(list_waddr), .list_wdata_o(list_wdata),
    .rp_we_o(rp_we), .rp_waddr_o(rp_waddr), .rp_wdata_o(rp_wdata),
    .busy_o(dec_busy), .done_o(dec_done), .err_o(dec_err), .err_code_o(dec_err_code),
    .nnz_o(dec_nnz)
  );

  always_ff @(posedge clk) begin : p_list_write
    for (int j = 0; j < DecodeChunk; j++) begin
      if (list_we[j]) list_mem[LAW'(list_waddr[j])] <= list_wdata[j];
    end
    if (rp_we) row_ptr[NAW'(rp_waddr)] <= rp_wdata;
    if (job_start) row_ptr[0] <= '0;
  end

  function automatic logic [39:0] list_at(input logic [31:0] idx);
    return idx < ListEntries ? list_mem[LAW'(idx)] : '0;
  endfunction

  // ---------------------------------------------------------------- FF/EP: lanes walk rows of S
  // Work item q = m * N + r: output C[m, r] = sum over the non-zeros (k, v) of row r of S of
  // W[m, k] x v. A lane holds one item; it finishes a row of L non-zeros in max(1, L) cycles.
  logic [31:0] items_q, next_q;                 // items of the job; next item to hand out
  logic ep_run_q;
  logic [Lanes-1:0] lbusy_q;
  logic [15:0] lm_q [Lanes];
  logic [15:0] lr_q [Lanes];
  logic [31:0] lptr_q [Lanes];
  logic [31:0] lend_q [Lanes];
  logic [Lanes-1:0] step, last, lane_free, assign_lane, load;
  logic [Lanes-1:0][7:0] lane_val;
  logic [Lanes-1:0][3:0] lane_code;
  logic [Lanes-1:0][31:0] acc_next;
  logic [31:0] assign_q [Lanes];                // item a lane takes this cycle
  logic [31:0] handed;                          // items handed out this cycle
  logic [EffW-1:0] shift_eff;

  always_comb begin : p_lanes
    logic [31:0] taken;
    logic all_free;
    all_free = 1'b1;
    for (int l = 0; l < Lanes; l++) begin
      logic [39:0] entry;             // {row, col, value}: a lane needs col and value
      logic [31:0] waddr;
      entry = list_at(lptr_q[l]);
      step[l] = lbusy_q[l] && lptr_q[l] < lend_q[l];
      last[l] = lbusy_q[l] && lptr_q[l] + 1 >= lend_q[l];
      lane_free[l] = !lbusy_q[l] || last[l];
      all_free = all_free && lane_free[l];
      lane_val[l] = entry[7:0];
      waddr = 32'(lm_q[l]) * wk_q + 32'(entry[23:8]) / CodesPerWord;
      lane_code[l] = waddr < WWords
                     ? wmem[WAW'(waddr)][(32'(entry[23:8]) % CodesPerWord) * 4 +: 4] : 4'd0;
    end
    // Hand out items: with alignment to every free lane, without only when the whole group is free.
    taken = '0;
    for (int l = 0; l < Lanes; l++) begin
      assign_lane[l] = ep_run_q && lane_free[l] && (align_q || all_free)
                       && next_q + taken < items_q;
      assign_q[l] = next_q + taken;
      if (assign_lane[l]) taken = taken + 1;
    end
    handed = taken;
  end
  assign load = assign_lane;

  logic [Lanes-1:0][31:0] assign_row;           // row of S of the item a lane takes
  always_comb begin : p_assign_row
    for (int l = 0; l < Lanes; l++) assign_row[l] = assign_q[l] % 32'(n_q);
  end

  dqstp_shift_array #(.Lanes(Lanes)) u_shift_array (
    .clk_i(clk), .rst_ni(rst_n),
    .load_i(load), .step_i(step), .val_i(lane_val), .code_i(lane_code),
    .acc_next_o(acc_next), .effectual_o(shift_eff)
  );

  // Result buffer C: row m of C is n_groups words of Lanes int32; lanes write their own slot.
  logic [31:0] cmem [CWords * Lanes];
  always_ff @(posedge clk) begin : p_c_write
    for (int l = 0; l < Lanes; l++) begin
      if (last[l]) begin
        cmem[CAW'((32'(lm_q[l]) * ng_q + 32'(lr_q[l]) / Lanes) * Lanes
                  + 32'(lr_q[l]) % Lanes)] <= acc_next[l];
      end
    end
  end

  always_ff @(posedge clk) begin : p_lane_regs
    if (!rst_n || soft_reset) begin
      lbusy_q <= '0;
      next_q <= '0;
    end else begin
      if (job_start) next_q <= '0;
      else next_q <= next_q + handed;
      for (int l = 0; l < Lanes; l++) begin
        if (assign_lane[l]) begin
          lbusy_q[l] <= 1'b1;
          lm_q[l] <= 16'(assign_q[l] / 32'(n_q));
          lr_q[l] <= 16'(assign_row[l]);
          lptr_q[l] <= row_ptr[NAW'(assign_row[l])];
          lend_q[l] <= row_ptr[NAW'(assign_row[l] + 1)];
        end else if (last[l]) begin
          lbusy_q[l] <= 1'b0;
        end else if (step[l]) begin
          lptr_q[l] <= lptr_q[l] + 1;
        end
      end
    end
  end
  wire ep_finished = ep_run_q && next_q + handed >= items_q && (lbusy_q & ~last) == '0
                     && assign_lane == '0;

  // A lane walks entries of the decoded list only (row pointers are in order and end at the
  // job's non-zero count), and takes rows whose row pointers are in the table (r + 1 <= MaxN).
  for (genvar l = 0; l < Lanes; l++) begin : gen_lane_checks
    `ACCEL_ASSERT(LanePtrInList_A,
                  !lbusy_q[l] || (lptr_q[l] <= lend_q[l] && lend_q[l] <= nnz_q), clk, rst_n)
    `ACCEL_ASSERT(RowPtrReadInTable_A,
                  !assign_lane[l] || assign_row[l] + 1 <= 32'(MaxN), clk, rst_n)
  end
  `ACCEL_ASSERT(ListFitsJob_A, nnz_q <= 32'(ListEntries), clk, rst_n)

  // ---------------------------------------------------------------- WG: G[k, j] += S[n, k] x X[n, j]
  // One non-zero of S per cycle, for one tile of WgMults columns of X; tiles outer, non-zeros inner.
  logic wg_run_q;
  logic [31:0] wg_i_q, wg_t_q;
  logic [WgMults*32-1:0] gmem [GWords];
  logic [GWords-1:0] gvalid_q;                  // a G word not yet written this job reads as zero
  logic [39:0] wg_entry;
  logic [WgMults-1:0][7:0] wg_x;
  logic [WgMults-1:0][31:0] wg_acc_in, wg_acc_out;
  logic [31:0] wg_xaddr, wg_gaddr;
  logic [EffW-1:0] wg_eff;
  wire wg_step = wg_run_q && wg_i_q < nnz_q;

  always_comb begin : p_wg_operands
    logic [WordBits-1:0] xword;
    logic [31:0] xsel;
    wg_entry = list_at(wg_i_q);
    wg_xaddr = 32'(wg_entry[39:24]) * xr_q + wg_t_q / XTiles;
    wg_gaddr = 32'(wg_entry[23:8]) * jt_q + wg_t_q;
    xword = wg_xaddr < XWords ? xmem[XAW'(wg_xaddr)] : '0;
    xsel = wg_t_q % XTiles;
    for (int l = 0; l < WgMults; l++) begin
      wg_x[l] = xword[(xsel * WgMults + 32'(l)) * 8 +: 8];
      wg_acc_in[l] = wg_gaddr < GWords && gvalid_q[GAW'(wg_gaddr)]
                     ? gmem[GAW'(wg_gaddr)][l*32 +: 32] : '0;
    end
  end

  dqstp_wg_array #(.Mults(WgMults)) u_wg_array (
    .en_i(wg_step), .e_i(wg_entry[7:0]), .x_i(wg_x), .acc_i(wg_acc_in), .acc_o(wg_acc_out),
    .effectual_o(wg_eff)
  );

  always_ff @(posedge clk) begin : p_g_write
    if (wg_step) gmem[GAW'(wg_gaddr)] <= wg_acc_out;
  end

  wire wg_last = wg_step && wg_i_q + 1 == nnz_q && wg_t_q + 1 == jt_q;
  wire wg_finished = wg_run_q && (nnz_q == 0 || wg_last);

  // ---------------------------------------------------------------- sequencing
  wire ep_active = ep_run_q && !ep_finished;
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
      if (wg_step) begin
        gvalid_q[GAW'(wg_gaddr)] <= 1'b1;
        if (wg_i_q + 1 == nnz_q) begin
          wg_i_q <= '0;
          wg_t_q <= wg_t_q + 1;
        end else begin
          wg_i_q <= wg_i_q + 1;
        end
      end
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
  logic [Lanes*32-1:0] drain_rdata_q;
  wire [31:0] drain_a = 32'(res_raddr);          // result word: C words first
  wire [31:0] drain_g = drain_a - c_words_q;     // G word, when past the C words
  always_ff @(posedge clk) begin : p_drain_read
    if (res_re) begin
      for (int s = 0; s < Lanes; s++) begin
        if (drain_a < c_words_q) begin
          drain_rdata_q[s*32 +: 32] <= (drain_a % ng_q) * Lanes + 32'(s) < 32'(n_q)
                                       ? cmem[CAW'(drain_a * Lanes + 32'(s))] : 32'd0;
        end else begin
          drain_rdata_q[s*32 +: 32] <= gvalid_q[GAW'(drain_g)]
                                       && (drain_g % jt_q) * WgMults + 32'(s) < 32'(j_q)
                                       ? gmem[GAW'(drain_g)][s*32 +: 32] : 32'd0;
        end
      end
    end
  end
  assign res_rdata = drain_rdata_q;
  assign res_words = c_words_q + g_words_q;

  // ---------------------------------------------------------------- counters
  logic [SRAM_COUNTERS-1:0][31:0] sram_rd_q, sram_wr_q;
  assign mac_effectual = IncW'(shift_eff) + IncW'(wg_eff);
  assign mac_skipped = '0;
  // MAC slots per compute cycle: the lanes of every array the job uses (BP with WG uses both)
  assign mac_units = (ep_q ? IncW'(Lanes) : IncW'(0)) + (wg_q ? IncW'(WgMults) : IncW'(0));
  assign sram_rd = sram_rd_q;
  assign sram_wr = sram_wr_q;

  always_ff @(posedge clk) begin : p_core_counters
    if (!rst_n || perf_clear) begin
      {cyc_decode_q, cyc_ep_q, cyc_wg_q, cyc_overlap_q} <= '0;
      {lane_busy_q, shift_ops_q, shift_eff_q, wg_eff_q} <= '0;
      sram_rd_q <= '0;
      sram_wr_q <= '0;
    end else begin
      cyc_decode_q <= cyc_decode_q + 32'(dec_busy);
      cyc_ep_q <= cyc_ep_q + 32'(ep_active);
      cyc_wg_q <= cyc_wg_q + 32'(wg_step);
      cyc_overlap_q <= cyc_overlap_q + 32'(ep_active && wg_step);
      lane_busy_q <= lane_busy_q + 32'($countones(lbusy_q));
      shift_ops_q <= shift_ops_q + 32'($countones(step));
      shift_eff_q <= shift_eff_q + 32'(shift_eff);
      wg_eff_q <= wg_eff_q + 32'(wg_eff);
      sram_rd_q[BufF] <= sram_rd_q[BufF] + 32'(f_reads);
      sram_rd_q[BufW] <= sram_rd_q[BufW] + 32'($countones(step));
      sram_rd_q[BufX] <= sram_rd_q[BufX] + 32'(wg_step);
      sram_rd_q[3] <= sram_rd_q[3] + 32'($countones(step)) + 32'(wg_step);
      sram_wr_q[BufF] <= sram_wr_q[BufF] + 32'(buf_we[BufF]);
      sram_wr_q[BufW] <= sram_wr_q[BufW] + 32'(buf_we[BufW]);
      sram_wr_q[BufX] <= sram_wr_q[BufX] + 32'(buf_we[BufX]);
      sram_wr_q[3] <= sram_wr_q[3] + 32'($countones(list_we));
    end
  end
endmodule
