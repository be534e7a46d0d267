// DQ-STP core: FF and EP as C[M x N] = W[M x K] (2^n codes) . S^T, S[N x K] an FCSR-coded int8 map
// (rows = output positions), on a 16-lane shift-add array; WG as G[K x J] = S^T . X on a separate
// 16-multiplier array, alone (PHASE=WG) or in the same job as EP (PHASE=BP, CFG.wg_en), overlapped.
// A job: FCSR decode into a non-zero list, then lanes take work items (m, row of S) and walk the
// row's non-zeros one per cycle. CFG.align_en: a free lane takes the next item at once (sparse
// alignment); off: lanes take items in groups of 16 and wait for the group's longest row.
// Buffers (tdest): 0 FCSR frame, 1 weight codes, 2 WG activations; layout in verif/dqstp/dqstp_codec.py.
// SRAM counters: [0] F words, [1] W (code reads / words written), [2] X, [3] non-zero list entries.
// Memories are behavioural multi-port arrays (a lane reads its own entry and code each cycle).
module dqstp_top
  import accel_pkg::*;
#(
  parameter int FWords = 1024,
  parameter int WWords = 512,
  parameter int XWords = 1024,
  parameter int ListEntries = 8192,
  parameter int CWords = 2048,
  parameter int GWords = 512,
  parameter int MaxN = 1024,
  parameter int MaxK = 1024
) (
  input  logic                clk,
  input  logic                rst_n,
  // AXI4-Lite CSR slave
  input  logic                s_axil_awvalid,
  output logic                s_axil_awready,
  input  logic [11:0]         s_axil_awaddr,
  input  logic [2:0]          s_axil_awprot,
  input  logic                s_axil_wvalid,
  output logic                s_axil_wready,
  input  logic [31:0]         s_axil_wdata,
  input  logic [3:0]          s_axil_wstrb,
  output logic                s_axil_bvalid,
  input  logic                s_axil_bready,
  output logic [1:0]          s_axil_bresp,
  input  logic                s_axil_arvalid,
  output logic                s_axil_arready,
  input  logic [11:0]         s_axil_araddr,
  input  logic [2:0]          s_axil_arprot,
  output logic                s_axil_rvalid,
  input  logic                s_axil_rready,
  output logic [31:0]         s_axil_rdata,
  output logic [1:0]          s_axil_rresp,
  // AXI4-Stream operands in
  input  logic [255:0]        s_axis_tdata,
  input  logic                s_axis_tvalid,
  output logic                s_axis_tready,
  input  logic                s_axis_tlast,
  input  logic [3:0]          s_axis_tdest,
  // AXI4-Stream results out: 16 int32 per beat
  output logic [511:0]        m_axis_tdata,
  output logic                m_axis_tvalid,
  input  logic                m_axis_tready,
  output logic                m_axis_tlast,
  output logic                irq
);
  localparam int Lanes = 16;                 // shift-add lanes (the dense core has 16 multipliers)
  localparam int WgMults = 16;
  localparam int CodesPerWord = 64;          // 4-bit codes per 256-bit W word
  localparam int XPerWord = 32;              // int8 activations per 256-bit X word
  localparam int BufF = 0, BufW = 1, BufX = 2;
  localparam int FAW = $clog2(FWords), WAW = $clog2(WWords), XAW = $clog2(XWords);
  localparam int LAW = $clog2(ListEntries), CAW = $clog2(CWords * Lanes), GAW = $clog2(GWords);
  localparam int NAW = $clog2(MaxN + 1);
  localparam int DrainAW = $clog2(CWords + GWords);
  localparam int IncW = $clog2(Lanes + WgMults + 1);

  // ---------------------------------------------------------------- CSR block
  logic csr_start, csr_soft_reset, csr_irq_clear, csr_perf_clear;
  logic [15:0] dim_m, dim_n, dim_k, dim_j;
  logic [1:0] phase;
  logic align_en, wg_en;
  logic [31:0] fcsr_words, fcsr_nnz;
  logic busy, done, error, draining;
  logic [7:0] err_code, core_err_q;
  logic [31:0] cyc_total, cyc_load, cyc_compute, cyc_drain, mac_slots, mac_effectual, mac_skipped;
  logic [31:0] in_stall, out_stall, in_beats, out_beats;
  logic [31:0] sram_rd_q [3:0];   // descending, as the generated CSR block declares it
  logic [31:0] sram_wr_q [3:0];
  logic [31:0] cyc_decode_q, cyc_ep_q, cyc_wg_q, cyc_overlap_q, lane_busy_q, shift_ops_q;
  logic [31:0] shift_eff_q, wg_eff_q;
  logic [31:0] dec_nnz;

  dqstp_csr u_csr (
    .clk, .rst_n,
    .s_axil_awready, .s_axil_awvalid, .s_axil_awaddr(s_axil_awaddr[CSR_ADDR_W-1:0]), .s_axil_awprot,
    .s_axil_wready, .s_axil_wvalid, .s_axil_wdata, .s_axil_wstrb,
    .s_axil_bready, .s_axil_bvalid, .s_axil_bresp,
    .s_axil_arready, .s_axil_arvalid, .s_axil_araddr(s_axil_araddr[CSR_ADDR_W-1:0]), .s_axil_arprot,
    .s_axil_rready, .s_axil_rvalid, .s_axil_rdata, .s_axil_rresp,
    .hwif_out_common_ctrl_start(csr_start),
    .hwif_out_common_ctrl_soft_reset(csr_soft_reset),
    .hwif_out_common_ctrl_irq_clear(csr_irq_clear),
    .hwif_out_common_ctrl_perf_clear(csr_perf_clear),
    .hwif_in_common_status_busy(busy),
    .hwif_in_common_status_done(done),
    .hwif_in_common_status_error(error),
    .hwif_in_common_status_draining(draining),
    .hwif_in_common_err_code_code(err_code),
    .hwif_in_common_caps_num_mult(16'(Lanes)),
    .hwif_in_common_caps_num_bufs(8'd3),
    .hwif_in_common_cyc_total_count(cyc_total),
    .hwif_in_common_cyc_load_count(cyc_load),
    .hwif_in_common_cyc_compute_count(cyc_compute),
    .hwif_in_common_cyc_drain_count(cyc_drain),
    .hwif_in_common_mac_slots_count(mac_slots),
    .hwif_in_common_mac_effectual_count(mac_effectual),
    .hwif_in_common_mac_skipped_count(mac_skipped),
    .hwif_in_common_in_stall_count(in_stall),
    .hwif_in_common_out_stall_count(out_stall),
    .hwif_in_common_in_beats_count(in_beats),
    .hwif_in_common_out_beats_count(out_beats),
    .hwif_in_common_sram_rd_count(sram_rd_q),
    .hwif_in_common_sram_wr_count(sram_wr_q),
    .hwif_out_dim_m_m(dim_m),
    .hwif_out_dim_n_n(dim_n),
    .hwif_out_dim_k_k(dim_k),
    .hwif_out_dim_j_j(dim_j),
    .hwif_out_phase(phase),
    .hwif_out_cfg_align_en(align_en),
    .hwif_out_cfg_wg_en(wg_en),
    .hwif_out_fcsr_words_words(fcsr_words),
    .hwif_out_fcsr_nnz_nnz(fcsr_nnz),
    .hwif_in_array_lanes(8'(Lanes)),
    .hwif_in_array_wg_mults(8'(WgMults)),
    .hwif_in_buf_f_words_words(32'(FWords)),
    .hwif_in_buf_w_words_words(32'(WWords)),
    .hwif_in_buf_x_words_words(32'(XWords)),
    .hwif_in_list_entries_entries(32'(ListEntries)),
    .hwif_in_buf_c_words_words(32'(CWords)),
    .hwif_in_buf_g_words_words(32'(GWords)),
    .hwif_in_max_n_rows(32'(MaxN)),
    .hwif_in_max_k_cols(32'(MaxK)),
    .hwif_in_core_err_code(core_err_q),
    .hwif_in_cyc_decode_count(cyc_decode_q),
    .hwif_in_cyc_ep_count(cyc_ep_q),
    .hwif_in_cyc_wg_count(cyc_wg_q),
    .hwif_in_cyc_overlap_count(cyc_overlap_q),
    .hwif_in_lane_busy_count(lane_busy_q),
    .hwif_in_shift_ops_count(shift_ops_q),
    .hwif_in_shift_effectual_count(shift_eff_q),
    .hwif_in_wg_effectual_count(wg_eff_q),
    .hwif_in_nnz_count(dec_nnz)
  );

  // ---------------------------------------------------------------- configuration check
  function automatic logic [31:0] ceil_div(input logic [31:0] x, input int d);
    return (x + 32'(d) - 1) / 32'(d);
  endfunction

  wire is_ff_bp = phase == PHASE_FF[1:0] || phase == PHASE_BP[1:0];
  wire does_ep = is_ff_bp;                                   // shift-add array in use
  wire does_wg = phase == PHASE_WG[1:0] || (phase == PHASE_BP[1:0] && wg_en);
  wire bad_phase = phase > PHASE_WG[1:0];
  wire [31:0] wk_words = ceil_div(32'(dim_k), CodesPerWord);  // W words per weight row
  wire [31:0] x_row_words = ceil_div(32'(dim_j), XPerWord);   // X words per row of X
  wire [31:0] n_groups = ceil_div(32'(dim_n), Lanes);         // result words per row of C
  wire [31:0] j_tiles = ceil_div(32'(dim_j), WgMults);        // result words per row of G
  wire [31:0] w_words = 32'(dim_m) * wk_words;
  wire [31:0] x_words = 32'(dim_n) * x_row_words;
  wire [31:0] c_words = 32'(dim_m) * n_groups;
  wire [31:0] g_words = 32'(dim_k) * j_tiles;
  wire dims_zero = dim_n == 0 || dim_k == 0 || (!does_wg && dim_m == 0) || (does_wg && dim_j == 0)
                   || (does_ep && does_wg && dim_m == 0);
  wire dims_big = 32'(dim_n) > MaxN || 32'(dim_k) > MaxK || fcsr_words > FWords
                  || fcsr_nnz > ListEntries
                  || (!does_wg || does_ep) && (w_words > WWords || c_words > CWords)
                  || does_wg && (x_words > XWords || g_words > GWords);
  wire dims_ok = !dims_zero && !dims_big;
  wire [7:0] dims_err = dims_zero ? ERR_DIM_ZERO : ERR_DIM_OVERSIZE;
  wire wg_bad = wg_en && phase != PHASE_BP[1:0] && !bad_phase;

  // ---------------------------------------------------------------- operand load
  logic [2:0] buf_we;
  logic [31:0] buf_waddr;
  logic [255:0] buf_wdata;
  logic [2:0] loaded;
  logic loading, load_err;
  logic [7:0] load_err_code;
  logic job_start, error_at_start;
  logic [31:0] expected_words [3];
  assign expected_words[BufF] = fcsr_words;
  assign expected_words[BufW] = w_words;
  assign expected_words[BufX] = x_words;
  wire [2:0] needed = {does_wg, !does_wg || does_ep, 1'b1};

  axis_loader #(.NumBufs(3), .DataW(256), .DestW(4)) u_loader (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(csr_soft_reset),
    .enable_i(!busy),
    .cfg_ok_i(dims_ok), .cfg_err_code_i(dims_err),
    .expected_words_i(expected_words),
    .clear_loaded_i(job_start && !error_at_start),
    .s_axis_tdata, .s_axis_tvalid, .s_axis_tready, .s_axis_tlast, .s_axis_tdest,
    .we_o(buf_we), .waddr_o(buf_waddr), .wdata_o(buf_wdata),
    .loaded_o(loaded), .loading_o(loading),
    .err_o(load_err), .err_code_o(load_err_code)
  );

  // ---------------------------------------------------------------- operand buffers
  logic [255:0] fmem [FWords];
  logic [255:0] wmem [WWords];
  logic [255:0] xmem [XWords];
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
  logic job_err, job_done, dec_done, dec_err, dec_busy;
  logic [7:0] job_err_code, dec_err_code;

  wire start_busy = csr_start && (state_q != Idle || draining);
  assign job_start = csr_start && !start_busy;
  assign error_at_start = !dims_ok || bad_phase || wg_bad || (loaded & needed) != needed;
  assign busy = state_q != Idle;

  always_comb begin : p_job_err
    job_err = 1'b0;
    job_err_code = ERR_NONE;
    if (dec_err) begin
      job_err = 1'b1;
      job_err_code = dec_err_code;
    end else if (start_busy) begin
      job_err = 1'b1;
      job_err_code = ERR_BUSY;
    end else if (job_start && error_at_start) begin
      job_err = 1'b1;
      job_err_code = !dims_ok ? dims_err
                   : bad_phase ? ERR_BAD_PHASE
                   : wg_bad ? DQSTP_ERR_WG_NEEDS_BP
                   : ERR_NOT_LOADED;
    end
  end

  // ---------------------------------------------------------------- FCSR decode into the non-zero list
  logic [3:0][31:0] f_raddr;     // packed: Icarus 11 does not propagate unpacked array ports
  logic [3:0][255:0] f_rdata;
  logic [2:0] f_reads;
  logic [Lanes-1:0] list_we;
  logic [Lanes-1:0][31:0] list_waddr;
  logic [Lanes-1:0][39:0] list_wdata;
  logic rp_we;
  logic [31:0] rp_waddr, rp_wdata;
  logic [39:0] list_mem [ListEntries];
  logic [31:0] row_ptr [MaxN + 1];

  always_comb begin : p_f_read
    for (int p = 0; p < 4; p++) f_rdata[p] = f_raddr[p] < FWords ? fmem[FAW'(f_raddr[p])] : '0;
  end

  dqstp_fcsr_decode #(.MaxN(MaxN)) u_decode (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(csr_soft_reset),
    .start_i(job_start && !error_at_start),
    .n_i(dim_n), .k_i(dim_k), .nnz_i(fcsr_nnz), .words_i(fcsr_words),
    .f_raddr_o(f_raddr), .f_rdata_i(f_rdata), .f_reads_o(f_reads),
    .list_we_o(list_we), .list_waddr_o(list_waddr), .list_wdata_o(list_wdata),
    .rp_we_o(rp_we), .rp_waddr_o(rp_waddr), .rp_wdata_o(rp_wdata),
    .busy_o(dec_busy), .done_o(dec_done), .err_o(dec_err), .err_code_o(dec_err_code), .nnz_o(dec_nnz)
  );

  always_ff @(posedge clk) begin : p_list_write
    for (int j = 0; j < Lanes; j++) begin
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
  logic [4:0] shift_eff;

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
      lane_code[l] = waddr < WWords ? wmem[WAW'(waddr)][(32'(entry[23:8]) % CodesPerWord) * 4 +: 4] : 4'd0;
    end
    // Hand out items: with alignment to every free lane, without only when the whole group is free.
    taken = '0;
    for (int l = 0; l < Lanes; l++) begin
      assign_lane[l] = ep_run_q && lane_free[l] && (align_q || all_free) && next_q + taken < items_q;
      assign_q[l] = next_q + taken;
      if (assign_lane[l]) taken = taken + 1;
    end
    handed = taken;
  end
  assign load = assign_lane;

  dqstp_shift_array #(.Lanes(Lanes)) u_shift_array (
    .clk_i(clk), .rst_ni(rst_n),
    .load_i(load), .step_i(step), .val_i(lane_val), .code_i(lane_code),
    .acc_next_o(acc_next), .effectual_o(shift_eff)
  );

  // Result buffer C: row m of C is n_groups words of 16 int32; lanes write their own slot.
  logic [31:0] cmem [CWords * Lanes];
  always_ff @(posedge clk) begin : p_c_write
    for (int l = 0; l < Lanes; l++) begin
      if (last[l]) cmem[CAW'((32'(lm_q[l]) * ng_q + 32'(lr_q[l]) / Lanes) * Lanes + 32'(lr_q[l]) % Lanes)] <= acc_next[l];
    end
  end

  always_ff @(posedge clk) begin : p_lane_regs
    if (!rst_n || csr_soft_reset) begin
      lbusy_q <= '0;
      next_q <= '0;
    end else begin
      if (job_start) next_q <= '0;
      else next_q <= next_q + handed;
      for (int l = 0; l < Lanes; l++) begin
        if (assign_lane[l]) begin
          logic [31:0] r;
          r = assign_q[l] % 32'(n_q);
          lbusy_q[l] <= 1'b1;
          lm_q[l] <= 16'(assign_q[l] / 32'(n_q));
          lr_q[l] <= 16'(r);
          lptr_q[l] <= row_ptr[NAW'(r)];
          lend_q[l] <= row_ptr[NAW'(r + 1)];
        end else if (last[l]) begin
          lbusy_q[l] <= 1'b0;
        end else if (step[l]) begin
          lptr_q[l] <= lptr_q[l] + 1;
        end
      end
    end
  end
  wire ep_finished = ep_run_q && next_q + handed >= items_q && (lbusy_q & ~last) == '0 && assign_lane == '0;

  // ---------------------------------------------------------------- WG: G[k, j] += S[n, k] x X[n, j]
  // One non-zero of S per cycle, for one tile of 16 columns of X; tiles outer, non-zeros inner.
  logic wg_run_q;
  logic [31:0] wg_i_q, wg_t_q;
  logic [WgMults*32-1:0] gmem [GWords];
  logic [GWords-1:0] gvalid_q;                  // a G word not yet written this job reads as zero
  logic [39:0] wg_entry;
  logic [WgMults-1:0][7:0] wg_x;
  logic [WgMults-1:0][31:0] wg_acc_in, wg_acc_out;
  logic [31:0] wg_xaddr, wg_gaddr;
  logic [4:0] wg_eff;
  wire wg_step = wg_run_q && wg_i_q < nnz_q;

  always_comb begin : p_wg_operands
    logic [255:0] xword;
    wg_entry = list_at(wg_i_q);
    wg_xaddr = 32'(wg_entry[39:24]) * xr_q + (wg_t_q >> 1);
    wg_gaddr = 32'(wg_entry[23:8]) * jt_q + wg_t_q;
    xword = wg_xaddr < XWords ? xmem[XAW'(wg_xaddr)] : '0;
    for (int l = 0; l < WgMults; l++) begin
      wg_x[l] = xword[(32'(wg_t_q[0]) * WgMults + 32'(l)) * 8 +: 8];
      wg_acc_in[l] = wg_gaddr < GWords && gvalid_q[GAW'(wg_gaddr)] ? gmem[GAW'(wg_gaddr)][l*32 +: 32] : '0;
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

  always_ff @(posedge clk) begin : p_seq
    if (!rst_n || csr_soft_reset) begin
      state_q <= Idle;
      ep_run_q <= 1'b0;
      wg_run_q <= 1'b0;
      gvalid_q <= '0;
      core_err_q <= ERR_NONE;
      {n_q, j_q} <= '0;
      {ep_q, wg_q, align_q} <= '0;
      {nnz_q, wk_q, xr_q, ng_q, jt_q, c_words_q, g_words_q, items_q} <= '0;
      wg_i_q <= '0;
      wg_t_q <= '0;
    end else begin
      if (job_start) core_err_q <= ERR_NONE;
      if (job_err && job_err_code >= DQSTP_ERR_FCSR_COUNT) core_err_q <= job_err_code;
      if (job_start && !error_at_start) begin
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

  // ---------------------------------------------------------------- results out: C words, then G words
  logic drain_re;
  logic [DrainAW-1:0] drain_raddr;
  logic [511:0] drain_rdata_q;
  always_ff @(posedge clk) begin : p_drain_read
    if (drain_re) begin
      logic [31:0] a;
      a = 32'(drain_raddr);
      for (int s = 0; s < Lanes; s++) begin
        if (a < c_words_q) begin
          drain_rdata_q[s*32 +: 32] <= (a % ng_q) * Lanes + 32'(s) < 32'(n_q)
                                       ? cmem[CAW'(a * Lanes + 32'(s))] : 32'd0;
        end else begin
          drain_rdata_q[s*32 +: 32] <= gvalid_q[GAW'(a - c_words_q)]
                                       && ((a - c_words_q) % jt_q) * WgMults + 32'(s) < 32'(j_q)
                                       ? gmem[GAW'(a - c_words_q)][s*32 +: 32] : 32'd0;
        end
      end
    end
  end

  buf_drain #(.DataW(512), .AddrW(DrainAW)) u_drain (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(csr_soft_reset),
    .start_i(job_done), .words_i(c_words_q + g_words_q), .draining_o(draining),
    .re_o(drain_re), .raddr_o(drain_raddr), .rdata_i(drain_rdata_q),
    .m_axis_tdata, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast
  );

  // ---------------------------------------------------------------- counters
  wire perf_clear = csr_perf_clear || csr_soft_reset;
  wire [IncW-1:0] effectual_inc = IncW'(shift_eff) + IncW'(wg_eff);
  // MAC slots per compute cycle: the lanes of every array the job uses (BP with WG uses both)
  wire [IncW-1:0] units = (ep_q ? IncW'(Lanes) : IncW'(0)) + (wg_q ? IncW'(WgMults) : IncW'(0));
  always_ff @(posedge clk) begin : p_core_counters
    if (!rst_n || perf_clear) begin
      {cyc_decode_q, cyc_ep_q, cyc_wg_q, cyc_overlap_q, lane_busy_q, shift_ops_q, shift_eff_q, wg_eff_q} <= '0;
      for (int i = 0; i < 4; i++) begin
        sram_rd_q[i] <= '0;
        sram_wr_q[i] <= '0;
      end
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

  accel_ctrl #(.NumMult(Lanes + WgMults), .IncW(IncW)) u_ctrl (
    .clk_i(clk), .rst_ni(rst_n),
    .start_i(job_start), .soft_reset_i(csr_soft_reset), .irq_clear_i(csr_irq_clear),
    .perf_clear_i(csr_perf_clear),
    .job_done_i(job_done), .job_err_i(job_err), .job_err_code_i(job_err_code),
    .load_err_i(load_err), .load_err_code_i(load_err_code),
    .busy_i(busy), .loading_i(loading), .draining_i(draining),
    .mac_units_i(units), .mac_effectual_inc_i(effectual_inc), .mac_skipped_inc_i(IncW'(0)),
    .in_valid_i(s_axis_tvalid), .in_ready_i(s_axis_tready),
    .out_valid_i(m_axis_tvalid), .out_ready_i(m_axis_tready),
    .done_o(done), .error_o(error), .err_code_o(err_code), .irq_o(irq),
    .cyc_total_o(cyc_total), .cyc_load_o(cyc_load), .cyc_compute_o(cyc_compute),
    .cyc_drain_o(cyc_drain), .mac_slots_o(mac_slots), .mac_effectual_o(mac_effectual),
    .mac_skipped_o(mac_skipped), .in_stall_o(in_stall), .out_stall_o(out_stall),
    .in_beats_o(in_beats), .out_beats_o(out_beats)
  );
endmodule
