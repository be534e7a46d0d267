// SWPU core: C[MxN] = A[MxK] . B[KxN] for FF, BP and WG of a sub-structured pruned conv/FC layer.
// A detect pass reads every mask (shape word, line rows) and the schedule before any operand load
// and checks them; then for each group of Rows rows (in schedule order) and each Cols-wide tile,
// only the k-steps that some row of the group keeps are fetched (FF, BP), or only tiles with a kept
// output (WG). Each step's effectual pairs are packed into the Lanes multipliers (swpu_array).
// Buffers (tdest): 0 A, 1 B, 2 masks, 3 schedule; see verif/swpu/swpu_codec.py for the packing.
// Not for unstructured sparsity: the masks prune whole lines of kernel positions per filter.
`include "accel_shell.svh"
`include "accel_assert.svh"

module swpu_top
  import accel_pkg::*;
#(
  parameter int Rows = 8,
  parameter int Cols = 16,
  parameter int Lanes = 16,
  parameter int AWords = 4096,
  parameter int BWords = 4096,
  parameter int CWords = 2048,
  parameter int MaskWords = 512
) (
  // results out: one Cols-wide FP32 row segment per beat, row-major (m, n-tile)
  `ACCEL_SHELL_PORTS
);
  localparam int BeatW = SHELL_IN_BEAT_BITS;     // operand beat and operand buffer word
  localparam int ValsPerWord = BeatW / 16;       // FP16 values per operand word
  localparam int KbA = ValsPerWord / Rows;       // k-steps per A word
  localparam int MaxDim = 256;                   // masked dimension and rows: one mask word
  localparam int SchedPerWord = BeatW / 16;      // 16-bit schedule entries per word
  localparam int SchedWords = MaxDim / SchedPerWord;
  localparam int N = Rows * Cols;
  localparam int BufA = 0, BufB = 1, BufMask = 2, BufSched = 3;
  localparam int AAddrW = $clog2(AWords), BAddrW = $clog2(BWords), CAddrW = $clog2(CWords);
  localparam int MAddrW = $clog2(MaskWords), SAddrW = $clog2(SchedWords);
  localparam int CountW = $clog2(N + 1);
  localparam int RowW = $clog2(Rows + 1);
  localparam int LaneIdxW = Rows > 1 ? $clog2(Rows) : 1;
  localparam int SelW = KbA > 1 ? $clog2(KbA) : 1;

  `ACCEL_ASSERT_INIT(p_check_rows, Rows * KbA == ValsPerWord)  // Rows divide a word's values
  `ACCEL_ASSERT_INIT(p_check_lanes, Lanes <= N)                 // no more lanes than accumulators
  `ACCEL_ASSERT_INIT(p_check_mask_word, BeatW == MaxDim)        // a mask word holds every position

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(4, Cols * 32, CAddrW, CountW)
  accel_shell #(
    .NumBufs(4), .NumMult(Lanes), .OutW(Cols * 32), .ResAW(CAddrW), .IncW(CountW)
  ) u_shell (.*);

  logic [7:0] info_code_q;
  logic [15:0] info_index_q;
  logic [31:0] steps_skipped_q, pruned_fetch_q, tiles_skipped_q, steps_issued_q;

  assign sts.array_rows = 8'(Rows);
  assign sts.array_cols = 8'(Cols);
  assign sts.array_lanes = 8'(Lanes);
  assign sts.buf_a_words = 32'(AWords);
  assign sts.buf_b_words = 32'(BWords);
  assign sts.buf_c_words = 32'(CWords);
  assign sts.buf_mask_words = 32'(MaskWords);
  assign sts.err_info_code = info_code_q;
  assign sts.err_info_index = info_index_q;
  assign sts.steps_skipped = steps_skipped_q;
  assign sts.pruned_fetch = pruned_fetch_q;
  assign sts.tiles_skipped = tiles_skipped_q;
  assign sts.steps_issued = steps_issued_q;

  // ---------------------------------------------------------------- configuration check
  // Word counts of each buffer for the configured job; the shell checks frames and start with them.
  wire [15:0] dim_m = cfg.dim_m, dim_n = cfg.dim_n, dim_k = cfg.dim_k;
  wire [2:0] line_w = cfg.line_w;
  wire scheduled = cfg.order;
  // The masked dimension holds kernel positions: k in FF, m in BP, n in WG.
  wire is_bp = 8'(phase) == PHASE_BP;
  wire is_wg = 8'(phase) == PHASE_WG;
  wire [15:0] kpos = is_bp ? dim_m : is_wg ? dim_n : dim_k;
  wire lw_ok = line_w >= 3'd1 && line_w <= 3'd4 && (kpos % 16'(line_w)) == 0;
  wire [15:0] lines = lw_ok ? kpos / 16'(line_w) : 16'd0;
  // Mask rows: FF, WG one per filter (bits over lines); BP one per line (bits over filters).
  wire [31:0] mask_rows = is_bp ? 32'(lines) : 32'(dim_m);
  wire [31:0] m_groups = ceil_div(32'(dim_m), Rows);
  wire [31:0] n_tiles = ceil_div(32'(dim_n), Cols);
  wire [31:0] c_words = 32'(dim_m) * n_tiles;
  assign buf_words[BufA] = m_groups * ceil_div(32'(dim_k), KbA);
  assign buf_words[BufB] = 32'(dim_k) * n_tiles;
  assign buf_words[BufMask] = 32'd1 + mask_rows;
  assign buf_words[BufSched] = scheduled ? ceil_div(32'(dim_m), SchedPerWord) : 32'd0;
  assign buf_needed[BufA] = 1'b1;
  assign buf_needed[BufB] = 1'b1;
  assign buf_needed[BufMask] = 1'b1;
  assign buf_needed[BufSched] = scheduled;
  assign cfg_dim_zero = dim_m == 0 || dim_n == 0 || dim_k == 0;
  assign cfg_dim_big = 32'(dim_m) > MaxDim || 32'(kpos) > MaxDim
                       || (is_bp && 32'(dim_k) > MaxDim)
                       || buf_words[BufA] > AWords || buf_words[BufB] > BWords
                       || c_words > CWords || buf_words[BufMask] > MaskWords;
  assign cfg_core_err = lw_ok ? ERR_NONE : SWPU_ERR_LINE_WIDTH;

  // ---------------------------------------------------------------- buffers
  // SRAM counters: [0] A, [1] B, [2] C, [3] metadata (masks and schedule).
  logic a_re, b_re, c_we, m_re, s_re;
  logic [AAddrW-1:0] a_raddr;
  logic [BAddrW-1:0] b_raddr;
  logic [CAddrW-1:0] c_waddr;
  logic [MAddrW-1:0] m_raddr;
  logic [SAddrW-1:0] s_raddr;
  logic [BeatW-1:0] a_rdata, b_rdata, m_rdata, s_rdata;
  logic [Cols*32-1:0] c_wdata;
  logic [31:0] m_rd, m_wr, s_rd, s_wr;

  sram_1r1w #(.Words(AWords), .Width(BeatW)) u_buf_a (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufA]), .waddr_i(buf_waddr[AAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(a_re), .raddr_i(a_raddr), .rdata_o(a_rdata),
    .rd_count_o(sram_rd[0]), .wr_count_o(sram_wr[0]));

  sram_1r1w #(.Words(BWords), .Width(BeatW)) u_buf_b (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufB]), .waddr_i(buf_waddr[BAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(b_re), .raddr_i(b_raddr), .rdata_o(b_rdata),
    .rd_count_o(sram_rd[1]), .wr_count_o(sram_wr[1]));

  sram_1r1w #(.Words(CWords), .Width(Cols*32)) u_buf_c (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(c_we), .waddr_i(c_waddr), .wdata_i(c_wdata),
    .re_i(res_re), .raddr_i(res_raddr), .rdata_o(res_rdata),
    .rd_count_o(sram_rd[2]), .wr_count_o(sram_wr[2]));

  sram_1r1w #(.Words(MaskWords), .Width(BeatW)) u_buf_mask (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufMask]), .waddr_i(buf_waddr[MAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(m_re), .raddr_i(m_raddr), .rdata_o(m_rdata),
    .rd_count_o(m_rd), .wr_count_o(m_wr));

  sram_1r1w #(.Words(SchedWords), .Width(BeatW)) u_buf_sched (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufSched]), .waddr_i(buf_waddr[SAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(s_re), .raddr_i(s_raddr), .rdata_o(s_rdata),
    .rd_count_o(s_rd), .wr_count_o(s_wr));

  assign sram_rd[3] = m_rd + s_rd;
  assign sram_wr[3] = m_wr + s_wr;

  // ---------------------------------------------------------------- job control
  // Detect: read and check the masks and the schedule. Group: read the group's mask rows.
  // Issue: send the group's k-steps tile by tile. Finish: wait for the array and the writeback.
  // The shell starts a job (job_start) only with a valid configuration and every buffer loaded;
  // the detect pass's errors end it as core runtime errors (job_err).
  typedef enum logic [2:0] {Idle, Detect, Group, Issue, Finish} state_e;
  state_e state_q;
  logic [15:0] m_q, n_q, k_q, kpos_q;
  logic [2:0] lw_q;
  logic bp_q, wg_q, sched_q;
  logic [31:0] n_tiles_q, m_groups_q, k_blocks_q, mask_rows_q;
  logic detect_err;
  logic [7:0] detect_err_code;
  logic [15:0] detect_err_index;

  assign job_err = detect_err;
  assign job_err_code = detect_err_code;
  assign res_words = 32'(m_q) * n_tiles_q;
  assign mac_units = CountW'(Lanes);

  // The shell's busy (job_start to job_done or job_err) and this sequencer agree.
  `ACCEL_ASSERT(p_check_busy, busy == (state_q != Idle), clk, rst_n)

  // ---------------------------------------------------------------- detect pass
  // Mask word 0 is the shape mask; words 1.. are line rows. A bit past its row's end is an error,
  // and so is a schedule entry past M or a repeated one. Reads have one cycle of latency.
  logic [31:0] det_addr_q;                 // next read
  logic det_rd_q;                          // a read of word det_addr_q - 1 returns this cycle
  logic [MaxDim-1:0] shape_q;              // the shape mask, kept for the job
  logic [MaxDim-1:0] sched_seen_q;
  logic [7:0] sched_q_row [MaxDim];        // the schedule: row of A for each slot
  logic [MaxDim-1:0] row_limit_mask, shape_limit_mask;
  logic [31:0] det_word;
  wire [31:0] det_sched_words = sched_q ? ceil_div(32'(m_q), SchedPerWord) : 32'd0;
  wire [31:0] det_reads = mask_rows_q + 1 > det_sched_words ? mask_rows_q + 1 : det_sched_words;
  wire det_issue = state_q == Detect && det_addr_q < det_reads;
  wire det_last = state_q == Detect && det_rd_q && det_word == det_reads - 1;

  always_comb begin : p_limits
    for (int i = 0; i < MaxDim; i++) begin
      shape_limit_mask[i] = 32'(i) >= 32'(kpos_q);
      row_limit_mask[i] = 32'(i) >= (bp_q ? 32'(k_q) : 32'(kpos_q / 16'(lw_q)));
    end
  end

  logic [MaxDim-1:0] det_seen;
  logic [15:0] det_entry;

  always_comb begin : p_detect_check
    det_word = det_addr_q - 1;
    det_seen = sched_seen_q;
    det_entry = '0;
    detect_err = 1'b0;
    detect_err_code = ERR_NONE;
    detect_err_index = '0;
    if (state_q == Detect && det_rd_q) begin
      if (det_word <= mask_rows_q
          && (m_rdata & (det_word == 0 ? shape_limit_mask : row_limit_mask)) != '0) begin
        detect_err = 1'b1;
        detect_err_code = SWPU_ERR_MASK_RANGE;
        detect_err_index = det_word[15:0];
      end
      for (int e = 0; e < SchedPerWord; e++) begin
        if (det_word < det_sched_words && det_word * SchedPerWord + 32'(e) < 32'(m_q)) begin
          det_entry = s_rdata[e*16 +: 16];
          if (!detect_err && (det_entry >= m_q || det_seen[det_entry[7:0]])) begin
            detect_err = 1'b1;
            detect_err_code = SWPU_ERR_SCHED_RANGE;
            detect_err_index = 16'(det_word * SchedPerWord + 32'(e));
          end
          det_seen[det_entry[7:0]] = 1'b1;
        end
      end
    end
  end

  // ---------------------------------------------------------------- group: the rows and their masks
  logic [31:0] grp_q;                      // group of Rows schedule slots
  logic [RowW-1:0] gl_q;                   // group load: next lane to read
  // Flat vectors, lane g at [g*W +: W]: Icarus 11 cannot bit-select a variably indexed element
  // of a 2-D packed array.
  logic [Rows*MaxDim-1:0] line_q;         // each lane's mask row
  logic [Rows*8-1:0] lane_row;            // row of A (and C) each lane computes
  logic [Rows-1:0] lane_valid;
  logic [RowW-1:0] lane_count;
  logic [31:0] slot;
  logic [Rows*MaxDim-1:0] row_mask;       // FF, BP: k-steps each lane keeps; WG: outputs it keeps
                                          // (registered once per group, after its mask rows)
  logic [MaxDim-1:0] step_union;           // FF, BP: k-steps some lane keeps

  always_comb begin : p_lanes
    lane_count = '0;
    for (int g = 0; g < Rows; g++) begin
      slot = grp_q * Rows + 32'(g);
      lane_valid[g] = slot < 32'(m_q);
      lane_row[g*8 +: 8] = !lane_valid[g] ? 8'd0 : sched_q ? sched_q_row[slot[7:0]] : slot[7:0];
      lane_count = lane_count + RowW'(lane_valid[g]);
    end
  end

  // A line covers lw_q kernel positions: position p of a filter's row is in line p / lw_q.
  function automatic logic line_bit(input logic [MaxDim-1:0] line, input int p,
                                    input logic [2:0] lw);
    case (lw)
      3'd1: return line[p];
      3'd2: return line[p / 2];
      3'd3: return line[p / 3];
      default: return line[p / 4];
    endcase
  endfunction

  always_comb begin : p_union
    step_union = '0;
    for (int g = 0; g < Rows; g++) step_union = step_union | row_mask[g*MaxDim +: MaxDim];
  end

  wire [LaneIdxW-1:0] gl_lane = gl_q[LaneIdxW-1:0];   // gl_q == Rows only in the last cycle
  wire [7:0] gl_row = lane_row[32'(gl_lane)*8 +: 8];
  wire [31:0] grp_mask_addr = 32'd1 + (bp_q ? 32'(gl_row) / 32'(lw_q) : 32'(gl_row));
  wire grp_read = state_q == Group && 32'(gl_q) < Rows && lane_valid[gl_lane];
  wire grp_rows_in = state_q == Group && 32'(gl_q) == Rows + 1;   // every lane's mask row is in

  assign m_re = det_issue ? det_addr_q <= mask_rows_q : grp_read;
  assign m_raddr = MAddrW'(det_issue ? det_addr_q : grp_mask_addr);
  assign s_re = det_issue && det_addr_q < det_sched_words;
  assign s_raddr = SAddrW'(det_addr_q);

  // ---------------------------------------------------------------- issue: one k-step per cycle
  logic [31:0] nt_q;                       // tile of Cols columns
  logic [15:0] k_from_q;                   // FF, BP: search kept steps from here; WG: next step
  logic advance;                           // the array takes the next item this cycle
  logic [MaxDim-1:0] search;
  logic [15:0] k_next;
  logic k_found, k_last;
  logic [N-1:0] tile_out;                  // WG: outputs of the tile that are kept
  logic [Cols-1:0] tile_cols;

  always_comb begin : p_search
    for (int p = 0; p < MaxDim; p++) search[p] = step_union[p] && 32'(p) >= 32'(k_from_q);
    k_found = search != '0;
    k_next = '0;
    for (int p = MaxDim - 1; p >= 0; p--) if (search[p]) k_next = 16'(p);
    k_last = 1'b1;
    for (int p = 0; p < MaxDim; p++) if (search[p] && 16'(p) > k_next) k_last = 1'b0;
  end

  always_comb begin : p_tile
    for (int j = 0; j < Cols; j++) tile_cols[j] = nt_q * Cols + 32'(j) < 32'(n_q);
    for (int g = 0; g < Rows; g++) begin
      for (int j = 0; j < Cols; j++) begin
        tile_out[g*Cols+j] = !wg_q || (tile_cols[j]
                                       && row_mask[g*MaxDim + (nt_q * Cols + 32'(j)) % MaxDim]);
      end
    end
  end

  // An item is a k-step, or an empty-tile marker when nothing of the tile is kept.
  wire issuing = state_q == Issue;
  wire tile_empty = wg_q ? tile_out == '0 : !k_found && k_from_q == 0;
  wire [15:0] item_k = wg_q ? k_from_q : k_next;
  wire item_last = tile_empty || (wg_q ? k_from_q == k_q - 1 : k_last);
  wire issue = issuing && advance;
  wire issue_step = issue && !tile_empty;
  wire last_tile = nt_q == n_tiles_q - 1;
  wire last_group = grp_q == m_groups_q - 1;

  // Independent check of detect-before-load: is any line behind this fetch kept?
  logic fetch_kept;
  always_comb begin : p_fetch_check
    fetch_kept = 1'b0;
    for (int g = 0; g < Rows; g++) begin
      if (wg_q) fetch_kept = fetch_kept || (tile_out != '0);
      else if (bp_q) fetch_kept = fetch_kept
                                  || (lane_valid[g] && line_q[g*MaxDim + 32'(item_k[7:0])]
                                      && shape_q[lane_row[g*8 +: 8]]);
      else fetch_kept = fetch_kept
                        || (lane_valid[g] && line_q[g*MaxDim + (32'(item_k) / 32'(lw_q)) % MaxDim]
                            && shape_q[item_k[7:0]]);
    end
  end

  logic [31:0] a_last_q;
  logic a_last_valid_q;
  wire [31:0] a_addr = grp_q * k_blocks_q + 32'(item_k) / KbA;
  assign a_re = issue_step && (!a_last_valid_q || a_addr != a_last_q);
  assign a_raddr = AAddrW'(a_addr);
  assign b_re = issue_step;
  assign b_raddr = BAddrW'(32'(item_k) * n_tiles_q + nt_q);

  // ---------------------------------------------------------------- the array
  logic s1_valid_q, s1_step_q, s1_last_q;
  logic [SelW-1:0] s1_sel_q;
  logic [Rows-1:0] s1_row_on_q;
  logic [Cols-1:0] s1_cols_q;
  logic [N-1:0] s1_out_q;
  logic [31:0] s1_nt_q;
  logic [Rows*8-1:0] s1_rows_q;
  logic [RowW-1:0] s1_count_q;
  logic [Rows*16-1:0] a_vec;
  logic [Cols*16-1:0] b_vec;
  logic [N*32-1:0] acc_now;
  logic step_done, arr_busy, arr_tile_done;
  logic [RowW-1:0] wb_left_q;

  always_comb begin : p_operands
    a_vec = a_rdata[32'(s1_sel_q) * Rows * 16 +: Rows * 16];
    b_vec = b_rdata[Cols*16-1:0];
  end

  // Hold while the array's stage 2 finishes the previous tile (its accumulators restart then), and
  // hold a tile's last step until the writeback is free.
  wire s1_go = s1_valid_q && !arr_tile_done && !(s1_last_q && wb_left_q != 0);
  wire s1_done = s1_go && (!s1_step_q || step_done);
  assign advance = !s1_valid_q || s1_done;

  swpu_array #(.Rows(Rows), .Cols(Cols), .Lanes(Lanes)) u_array (
    .clk_i(clk), .rst_ni(rst_n), .flush_i(soft_reset || job_start),
    .en_i(s1_go && s1_step_q), .last_i(s1_last_q),
    .a_i(a_vec), .b_i(b_vec), .row_on_i(s1_row_on_q), .col_on_i(s1_cols_q), .out_on_i(s1_out_q),
    .step_done_o(step_done), .busy_o(arr_busy), .tile_done_o(arr_tile_done), .acc_o(acc_now),
    .effectual_o(mac_effectual), .skipped_o(mac_skipped));

  // ---------------------------------------------------------------- writeback
  // A finished tile is copied out and written one row per cycle, each row to its place in C
  // (the schedule's row), while the next tile computes.
  logic [N*32-1:0] wb_data_q;
  logic [Rows*8-1:0] wb_rows_q, wbp_rows_q;     // wbp: the tile in the array's stage 2
  logic [Cols-1:0] wb_cols_q, wbp_cols_q;
  logic [31:0] wb_nt_q, wbp_nt_q;
  logic [RowW-1:0] wb_row_q, wbp_count_q;

  assign c_we = wb_left_q != 0;
  wire [7:0] wb_c_row = wb_rows_q[(32'(wb_row_q) % Rows) * 8 +: 8];
  assign c_waddr = CAddrW'(32'(wb_c_row) * n_tiles_q + wb_nt_q);
  always_comb begin : p_wb_row
    for (int j = 0; j < Cols; j++) begin
      c_wdata[j*32 +: 32] = wb_cols_q[j]
                            ? wb_data_q[((32'(wb_row_q) * Cols + 32'(j)) % N) * 32 +: 32] : 32'd0;
    end
  end

  // ---------------------------------------------------------------- sequencing
  assign job_done = state_q == Finish && !s1_valid_q && !arr_busy && wb_left_q == 0;
  wire stop = detect_err || job_done;

  always_ff @(posedge clk) begin : p_seq
    if (!rst_n || soft_reset) begin
      state_q <= Idle;
      s1_valid_q <= 1'b0;
      wb_left_q <= '0;
      det_rd_q <= 1'b0;
      a_last_valid_q <= 1'b0;
      m_q <= '0;
      n_q <= '0;
      k_q <= '0;
      kpos_q <= '0;
      lw_q <= 3'd1;
      bp_q <= 1'b0;
      wg_q <= 1'b0;
      sched_q <= 1'b0;
      n_tiles_q <= '0;
      m_groups_q <= '0;
      k_blocks_q <= '0;
      mask_rows_q <= '0;
      grp_q <= '0;
      gl_q <= '0;
      nt_q <= '0;
      k_from_q <= '0;
    end else begin
      if (job_start) begin
        state_q <= Detect;
        m_q <= dim_m;
        n_q <= dim_n;
        k_q <= dim_k;
        kpos_q <= kpos;
        lw_q <= line_w;
        bp_q <= is_bp;
        wg_q <= is_wg;
        sched_q <= scheduled;
        n_tiles_q <= n_tiles;
        m_groups_q <= m_groups;
        k_blocks_q <= ceil_div(32'(dim_k), KbA);
        mask_rows_q <= mask_rows;
        det_addr_q <= '0;
        det_rd_q <= 1'b0;
        sched_seen_q <= '0;
        a_last_valid_q <= 1'b0;
      end else if (stop) begin
        state_q <= Idle;
      end
      // detect pass
      if (state_q == Detect && !detect_err) begin
        det_rd_q <= det_issue;
        if (det_issue) det_addr_q <= det_addr_q + 1;
        if (det_rd_q) begin
          if (det_word == 0) shape_q <= m_rdata;
          sched_seen_q <= det_seen;
          if (det_word < det_sched_words) begin
            for (int e = 0; e < SchedPerWord; e++) begin
              sched_q_row[(det_word * SchedPerWord + 32'(e)) % MaxDim] <= s_rdata[e*16 +: 8];
            end
          end
        end
        if (det_last) begin
          state_q <= Group;
          grp_q <= '0;
          gl_q <= '0;
        end
      end
      // group load: lane gl_q's mask row is read now and arrives next cycle; then the lanes' masks
      if (state_q == Group) begin
        gl_q <= gl_q + 1;
        if (gl_q != 0 && 32'(gl_q) <= Rows) begin
          line_q[32'(gl_q - 1) * MaxDim +: MaxDim] <= lane_valid[LaneIdxW'(gl_q - 1)]
                                                      ? m_rdata : '0;
        end
        if (grp_rows_in) begin
          for (int g = 0; g < Rows; g++) begin
            for (int p = 0; p < MaxDim; p++) begin
              if (bp_q) begin
                row_mask[g*MaxDim + p] <= lane_valid[g] && line_q[g*MaxDim + p]
                                          && shape_q[lane_row[g*8 +: 8]] && 32'(p) < 32'(k_q);
              end else begin
                row_mask[g*MaxDim + p] <= lane_valid[g]
                                          && line_bit(line_q[g*MaxDim +: MaxDim], p, lw_q)
                                          && shape_q[p] && 32'(p) < 32'(kpos_q);
              end
            end
          end
          state_q <= Issue;
          nt_q <= '0;
          k_from_q <= '0;
        end
      end
      // issue
      if (issue) begin
        if (a_re) begin
          a_last_q <= a_addr;
          a_last_valid_q <= 1'b1;
        end
        if (item_last) begin
          k_from_q <= '0;
          nt_q <= last_tile ? '0 : nt_q + 1;
          if (last_tile) begin
            if (last_group) state_q <= Finish;
            else begin
              state_q <= Group;
              grp_q <= grp_q + 1;
              gl_q <= '0;
            end
          end
        end else begin
          k_from_q <= item_k + 1;
        end
      end
      if (advance) begin
        s1_valid_q <= issue;
        s1_step_q <= issue_step;
        s1_last_q <= item_last;
        s1_sel_q <= SelW'(32'(item_k) % KbA);
        for (int g = 0; g < Rows; g++) begin
          s1_row_on_q[g] <= wg_q ? lane_valid[g] : row_mask[g*MaxDim + 32'(item_k[7:0])];
        end
        s1_cols_q <= tile_cols;
        s1_out_q <= tile_out;
        s1_nt_q <= nt_q;
        s1_rows_q <= lane_row;
        s1_count_q <= lane_count;
      end
      // writeback: a computed tile when the array's stage 2 completes it, an empty tile at once
      if (s1_done && s1_last_q && s1_step_q) begin
        wbp_rows_q <= s1_rows_q;
        wbp_cols_q <= s1_cols_q;
        wbp_nt_q <= s1_nt_q;
        wbp_count_q <= s1_count_q;
      end
      if (arr_tile_done) begin
        wb_data_q <= acc_now;
        wb_rows_q <= wbp_rows_q;
        wb_cols_q <= wbp_cols_q;
        wb_nt_q <= wbp_nt_q;
        wb_left_q <= wbp_count_q;
        wb_row_q <= '0;
      end else if (s1_done && s1_last_q && !s1_step_q) begin
        wb_data_q <= '0;
        wb_rows_q <= s1_rows_q;
        wb_cols_q <= s1_cols_q;
        wb_nt_q <= s1_nt_q;
        wb_left_q <= s1_count_q;
        wb_row_q <= '0;
      end else if (wb_left_q != 0) begin
        wb_left_q <= wb_left_q - 1;
        wb_row_q <= wb_row_q + 1;
      end
    end
  end

  // ---------------------------------------------------------------- core counters
  always_ff @(posedge clk) begin : p_core_counters
    if (!rst_n || perf_clear) begin
      steps_skipped_q <= '0;
      pruned_fetch_q <= '0;
      tiles_skipped_q <= '0;
      steps_issued_q <= '0;
      info_code_q <= '0;
      info_index_q <= '0;
    end else begin
      if (issue && k_from_q == 0) begin
        if (wg_q) steps_skipped_q <= steps_skipped_q + (tile_empty ? 32'(k_q) : 32'd0);
        else steps_skipped_q <= steps_skipped_q + 32'(k_q) - 32'($countones(step_union));
      end
      if (issue && tile_empty) tiles_skipped_q <= tiles_skipped_q + 1;
      if (issue_step) steps_issued_q <= steps_issued_q + 1;
      if (b_re && !fetch_kept) pruned_fetch_q <= pruned_fetch_q + 1;
      if (detect_err) begin
        info_code_q <= detect_err_code;
        info_index_q <= detect_err_index;
      end else if (err_event && err_event_code >= 8'd16) begin
        // a core configuration error (LINE_WIDTH) raised by a frame or a start
        info_code_q <= err_event_code;
        info_index_q <= '0;
      end
    end
  end

  // Detect-before-load: a fetch never reads a line that every lane of the group has pruned.
  `ACCEL_ASSERT_NEVER(p_check_fetch, b_re && !fetch_kept, clk, rst_n)
endmodule
