// NZPC core: out[r, q] = sum over the visited positions p of V[r, p] x S[q, p] (FP16 in, FP32
// accumulation from +0 in ascending p) for FF, BP and WG on Lanes lanes that each own lines q and
// share the round's vector V[r, :]. A lane visits S's non-zeros (detect mode, every FF job) or the
// positions an FF job's activation mask allows (BP/WG estimator mode), optionally on a static
// balance schedule computed at the end of the FF job. Phase mapping, frame layouts and the cost
// model of the counters: verif/nzpc/nzpc_codec.py and README.md (the NZPC core). Sequencing:
//   loader  S beats go (one cycle later, with their mask flags) into the owning lane's S bank
//   copy    round r+1's vector is copied from V into every lane's copy bank while round r runs
//   lanes   start each round together; the round ends when the last lane is done
//   balance end of FF jobs: BP's and WG's schedules from the column and row counts
//   drain   C banks read at r*QB + b and un-permuted by the block's schedule
`include "accel_shell.svh"
`include "accel_assert.svh"

module nzpc_top
  import accel_pkg::*;
#(
  parameter int Lanes = 16,       // lanes: one FP16 multiplier and FP32 accumulator each
  parameter int VWords = 2048,    // V buffer (tdest 0)
  parameter int SWords = 256,     // S bank of a lane (its lines x words a line)
  parameter int CWords = 2048,    // C bank of a lane
  parameter int QMax = 512        // most lines of a job
) (
  `ACCEL_SHELL_PORTS
);
  localparam int PMax = 256;                       // inner positions (16 operand words)
  localparam int MMax = 256;                       // FF rows a mask holds
  localparam int OutW = Lanes * 32;
  localparam int NumBufs = 2;
  localparam int BufV = 0, BufS = 1;
  localparam int VAW = $clog2(VWords), SAW = $clog2(SWords), CAW = $clog2(CWords);
  localparam int Blocks = QMax / Lanes;            // lines a lane holds; BP schedule blocks
  localparam int MAW = $clog2(Blocks);
  localparam int WgBlocks = MMax / Lanes;          // WG schedule blocks, row-count words
  localparam int WAW = $clog2(WgBlocks);
  localparam int SW = $clog2(Lanes);
  localparam int NB = 16 / Lanes;                  // mask banks of a lane
  localparam int MkAW = $clog2(Blocks / NB * 16);
  localparam int IncW = $clog2(Lanes * PMax + 1);
  localparam int LW = $clog2(Lanes + 1);

  `ACCEL_ASSERT_INIT(LanesSupported_A, Lanes == 8 || Lanes == 16)
  `ACCEL_ASSERT_INIT(QMaxFits_A, QMax % 16 == 0 && QMax >= 32)

  // ---------------------------------------------------------------- the shell
  `ACCEL_SHELL_WIRES(NumBufs, OutW, CAW, IncW)
  accel_shell #(
    .NumBufs(NumBufs), .NumMult(Lanes), .OutW(OutW), .ResAW(CAW), .IncW(IncW)
  ) u_shell (.*);

  // ---------------------------------------------------------------- mask tag
  logic tag_valid_q;
  logic [1:0] tag_act_q;
  logic [7:0] tag_layer_q;
  logic [15:0] tag_m_q, tag_n_q;

  // ---------------------------------------------------------------- configuration check (live cfg)
  wire [15:0] dim_m = cfg.dim_m, dim_n = cfg.dim_n, dim_k = cfg.dim_k;
  wire is_ff = phase == PHASE_FF[1:0];
  wire is_bp = phase == PHASE_BP[1:0];
  wire is_wg = phase == PHASE_WG[1:0];
  wire cfg_rb = cfg.mode_readback;
  wire cfg_est = !cfg_rb && (is_bp || is_wg) && !cfg.mode_detect;
  wire cfg_bal = cfg_est && cfg.mode_balance;
  wire [31:0] cfg_r = 32'(is_wg ? dim_n : dim_m);
  wire [31:0] cfg_q = 32'(is_wg ? dim_m : dim_n);
  wire [31:0] cfg_p = 32'(dim_k);
  wire [31:0] cfg_pw = ceil_div(cfg_p, 16);
  wire [31:0] cfg_qb = ceil_div(cfg_q, Lanes);
  wire shape_bad = is_bp ? (dim_k != tag_m_q || dim_n != tag_n_q)
                         : (dim_m != tag_m_q || dim_k != tag_n_q);

  assign cfg_dim_zero = !cfg_rb && (dim_m == 0 || dim_n == 0 || dim_k == 0);
  assign cfg_dim_big = !cfg_rb && (cfg_p > PMax || cfg_q > QMax || cfg_pw * cfg_qb > SWords
                                   || cfg_r * cfg_pw > VWords || cfg_r * cfg_qb > CWords
                                   || (is_ff && 32'(dim_m) > MMax));
  assign cfg_core_err = (cfg_rb || cfg_est) && !tag_valid_q ? NZPC_ERR_MASK_MISSING
                      : cfg_est && cfg.layer != tag_layer_q ? NZPC_ERR_MASK_STALE
                      : cfg_est && shape_bad ? NZPC_ERR_MASK_SHAPE
                      : NZPC_ERR_NONE;
  assign buf_words[BufV] = cfg_r * cfg_pw;
  assign buf_words[BufS] = cfg_q * cfg_pw;
  assign buf_needed = cfg_rb ? 2'b00 : 2'b11;
  assign job_err = 1'b0;
  assign job_err_code = ERR_NONE;

  // ---------------------------------------------------------------- job configuration (latched)
  logic ff_q, wg_q, rb_q, est_q, bal_q;
  logic [1:0] act_q;
  logic [7:0] layer_q;
  logic [15:0] m_q, n_q, r_q, q_q, qb_q;
  logic [8:0] p_q;
  logic [4:0] pw_q;

  always_ff @(posedge clk) begin : p_job_cfg
    if (!rst_n || soft_reset) begin
      ff_q <= 1'b0;
      wg_q <= 1'b0;
      rb_q <= 1'b0;
      est_q <= 1'b0;
      bal_q <= 1'b0;
      act_q <= '0;
      layer_q <= '0;
      m_q <= '0;
      n_q <= '0;
      r_q <= '0;
      q_q <= '0;
      qb_q <= '0;
      p_q <= '0;
      pw_q <= '0;
    end else if (job_start) begin
      ff_q <= is_ff && !cfg_rb;
      wg_q <= is_wg;
      rb_q <= cfg_rb;
      est_q <= cfg_est;
      bal_q <= cfg_bal;
      act_q <= cfg.mode_act;
      layer_q <= cfg.layer;
      m_q <= dim_m;
      n_q <= dim_n;
      r_q <= 16'(cfg_r);
      q_q <= 16'(cfg_q);
      qb_q <= 16'(cfg_qb);
      p_q <= 9'(cfg_p);
      pw_q <= 5'(cfg_pw);
    end
  end

  // ---------------------------------------------------------------- job sequencing
  typedef enum logic [2:0] {SIdle, SSetup, SPad, SRun, SFlush, SBal, SReadback, SDone} state_e;
  state_e state_q;
  logic [15:0] started_q, copied_q, rcur_q;
  logic [CAW-1:0] rbase_q, nbase_q;
  logic [Lanes-1:0] lane_busy, lane_free, lane_det, lane_eff, lane_end, lane_allowed;
  logic [Lanes-1:0] has_lines_q;
  logic [Lanes-1:0][MAW-1:0] last_b_q, lane_b;
  logic [Lanes-1:0][31:0] lane_val;
  logic [Lanes-1:0][8:0] lane_skip;
  logic bal_busy, rb_fin;

  wire all_free = &lane_free;
  wire any_busy = |lane_busy;
  wire rounds_left = started_q < r_q;
  wire go = state_q == SRun && rounds_left && copied_q > started_q && all_free;
  wire run_end = state_q == SRun && !rounds_left && all_free;
  wire round_end = state_q == SRun && any_busy && all_free;
  assign job_done = busy && state_q == SDone;

  always_ff @(posedge clk) begin : p_state
    if (!rst_n || soft_reset) begin
      state_q <= SIdle;
    end else begin
      case (state_q)
        SIdle: if (job_start) state_q <= cfg_rb ? SReadback : SSetup;
        SSetup: state_q <= SPad;
        SPad: state_q <= SRun;
        SRun: if (run_end) state_q <= SFlush;
        SFlush: state_q <= ff_q ? SBal : SDone;
        SBal: if (!bal_busy) state_q <= SDone;
        SReadback: if (rb_fin) state_q <= SDone;
        default: state_q <= SIdle;  // SDone
      endcase
    end
  end

  always_ff @(posedge clk) begin : p_rounds
    if (!rst_n || soft_reset || job_start) begin
      started_q <= '0;
      rcur_q <= '0;
      rbase_q <= '0;
      nbase_q <= '0;
    end else if (go) begin
      started_q <= started_q + 16'd1;
      rcur_q <= started_q;
      rbase_q <= nbase_q;
      nbase_q <= nbase_q + CAW'(qb_q);
    end
  end

  always_ff @(posedge clk) begin : p_tag
    if (!rst_n) begin
      tag_valid_q <= 1'b0;
      tag_act_q <= '0;
      tag_layer_q <= '0;
      tag_m_q <= '0;
      tag_n_q <= '0;
    end else if (job_start && is_ff && !cfg_rb) begin
      tag_valid_q <= 1'b0;
    end else if (job_done && ff_q) begin
      tag_valid_q <= 1'b1;
      tag_act_q <= act_q;
      tag_layer_q <= layer_q;
      tag_m_q <= m_q;
      tag_n_q <= n_q;
    end
  end

  // ---------------------------------------------------------------- V buffer and vector copy
  // Round x is copied (one V word a cycle, written to every lane's bank x mod 2 a cycle later)
  // once round x-1 has started, so bank x mod 2 no longer holds a vector in use.
  logic [255:0] v_rdata;
  logic [31:0] v_rd, v_wr;
  logic cp_act_q, vw_v_q, vw_bank_q, vw_last_q;
  logic [15:0] cp_next_q;
  logic [3:0] cp_w_q, vw_addr_q;
  logic [VAW-1:0] cp_vaddr_q;
  wire cp_phase = state_q == SSetup || state_q == SPad || state_q == SRun;
  wire cp_start = cp_phase && !cp_act_q && cp_next_q < r_q
                  && (cp_next_q < 16'd2 || started_q >= cp_next_q);
  wire cp_last = {1'b0, cp_w_q} == pw_q - 5'd1;

  sram_1r1w #(.Words(VWords), .Width(256)) u_buf_v (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufV]), .waddr_i(buf_waddr[VAW-1:0]), .wdata_i(buf_wdata),
    .re_i(cp_act_q), .raddr_i(cp_vaddr_q), .rdata_o(v_rdata),
    .rd_count_o(v_rd), .wr_count_o(v_wr));
  assign sram_rd[0] = v_rd;
  assign sram_wr[0] = v_wr;

  always_ff @(posedge clk) begin : p_copy
    if (!rst_n || soft_reset || job_start) begin
      cp_act_q <= 1'b0;
      cp_next_q <= '0;
      cp_w_q <= '0;
      cp_vaddr_q <= '0;
      vw_v_q <= 1'b0;
      vw_last_q <= 1'b0;
      copied_q <= '0;
    end else begin
      vw_v_q <= cp_act_q;
      vw_bank_q <= cp_next_q[0];
      vw_addr_q <= cp_w_q;
      vw_last_q <= cp_act_q && cp_last;
      if (cp_start) begin
        cp_act_q <= 1'b1;
        cp_w_q <= '0;
      end else if (cp_act_q) begin
        cp_vaddr_q <= cp_vaddr_q + VAW'(1);
        cp_w_q <= cp_w_q + 4'd1;
        if (cp_last) cp_act_q <= 1'b0;
      end
      if (cp_act_q && cp_last) cp_next_q <= cp_next_q + 16'd1;
      if (vw_v_q && vw_last_q) copied_q <= copied_q + 16'd1;
    end
  end

  // ---------------------------------------------------------------- metadata memories
  // Row counts: one word a block of Lanes FF rows. Schedules: per list a loader copy (read while
  // frames load, which may overlap a drain) and a core copy (setup, drain, readback).
  logic row_we, row_re;
  logic [WAW-1:0] row_waddr, row_raddr;
  logic [Lanes-1:0][15:0] row_wdata, row_rdata;
  logic sbp_ld_re, swg_ld_re, sbp_re, swg_re;
  logic [MAW-1:0] sbp_ld_raddr, sbp_raddr;
  logic [WAW-1:0] swg_ld_raddr, swg_raddr;
  logic [Lanes-1:0][SW-1:0] sbp_ld_rdata, swg_ld_rdata, sbp_rdata, swg_rdata;
  logic sched_we, sched_list;
  logic [MAW-1:0] sched_waddr;
  logic [Lanes*SW-1:0] sched_wdata;
  logic [31:0] row_rd, row_wr, sbp_rd, sbp_wr, swg_rd, swg_wr, sbp_ld_rd, swg_ld_rd;
  logic [31:0] sbp_ld_wr, swg_ld_wr;

  sram_1r1w #(.Words(WgBlocks), .Width(Lanes * 16)) u_row_counts (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(row_we), .waddr_i(row_waddr), .wdata_i(row_wdata),
    .re_i(row_re), .raddr_i(row_raddr), .rdata_o(row_rdata),
    .rd_count_o(row_rd), .wr_count_o(row_wr));

  sram_1r1w #(.Words(Blocks), .Width(Lanes * SW)) u_sched_bp (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(sched_we && !sched_list), .waddr_i(sched_waddr), .wdata_i(sched_wdata),
    .re_i(sbp_re), .raddr_i(sbp_raddr), .rdata_o(sbp_rdata),
    .rd_count_o(sbp_rd), .wr_count_o(sbp_wr));

  sram_1r1w #(.Words(Blocks), .Width(Lanes * SW)) u_sched_bp_ld (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(sched_we && !sched_list), .waddr_i(sched_waddr), .wdata_i(sched_wdata),
    .re_i(sbp_ld_re), .raddr_i(sbp_ld_raddr), .rdata_o(sbp_ld_rdata),
    .rd_count_o(sbp_ld_rd), .wr_count_o(sbp_ld_wr));

  sram_1r1w #(.Words(WgBlocks), .Width(Lanes * SW)) u_sched_wg (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(sched_we && sched_list), .waddr_i(WAW'(sched_waddr)), .wdata_i(sched_wdata),
    .re_i(swg_re), .raddr_i(swg_raddr), .rdata_o(swg_rdata),
    .rd_count_o(swg_rd), .wr_count_o(swg_wr));

  sram_1r1w #(.Words(WgBlocks), .Width(Lanes * SW)) u_sched_wg_ld (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(sched_we && sched_list), .waddr_i(WAW'(sched_waddr)), .wdata_i(sched_wdata),
    .re_i(swg_ld_re), .raddr_i(swg_ld_raddr), .rdata_o(swg_ld_rdata),
    .rd_count_o(swg_ld_rd), .wr_count_o(swg_ld_wr));

  // ---------------------------------------------------------------- loader: S beats with flags
  // L0 (the shell's write cycle): position of the beat, schedule and mask reads. L1: the beat
  // goes into its owner's S bank with its 16 allowed flags; a line's last word writes its map.
  logic [15:0] lq_q;
  logic [3:0] lw_q;
  logic [SW-1:0] lj_q;
  logic [MAW-1:0] lblk_q;
  logic [SAW-1:0] lsbase_q;
  wire ld_we = buf_we[BufS];
  wire ld_first = buf_waddr == 32'd0;
  wire [15:0] l0_q = ld_first ? '0 : lq_q;
  wire [3:0] l0_w = ld_first ? '0 : lw_q;
  wire [SW-1:0] l0_j = ld_first ? '0 : lj_q;
  wire [MAW-1:0] l0_blk = ld_first ? '0 : lblk_q;
  wire [SAW-1:0] l0_sbase = ld_first ? '0 : lsbase_q;
  wire l0_last_w = {1'b0, l0_w} == 5'(cfg_pw) - 5'd1;

  always_ff @(posedge clk) begin : p_load_pos
    if (!rst_n || soft_reset) begin
      lq_q <= '0;
      lw_q <= '0;
      lj_q <= '0;
      lblk_q <= '0;
      lsbase_q <= '0;
    end else if (ld_we) begin
      lw_q <= l0_last_w ? '0 : l0_w + 4'd1;
      lq_q <= l0_last_w ? l0_q + 16'd1 : l0_q;
      lj_q <= l0_last_w ? l0_j + SW'(1) : l0_j;
      lblk_q <= l0_last_w && 32'(l0_j) == Lanes - 1 ? l0_blk + MAW'(1) : l0_blk;
      lsbase_q <= l0_last_w && 32'(l0_j) == Lanes - 1 ? l0_sbase + SAW'(cfg_pw) : l0_sbase;
    end
  end

  assign sbp_ld_re = ld_we && cfg_bal && is_bp;
  assign swg_ld_re = ld_we && cfg_bal && is_wg;
  assign sbp_ld_raddr = l0_blk;
  assign swg_ld_raddr = WAW'(l0_blk);

  logic l1_v_q, l1_est_q, l1_bal_q, l1_wg_q, l1_last_w_q;
  logic [255:0] l1_data_q;
  logic [3:0] l1_w_q, l1_field_q;
  logic [SW-1:0] l1_j_q;
  logic [MAW-1:0] l1_blk_q;
  logic [SAW-1:0] l1_sbase_q;
  logic [8:0] l1_p_q;
  logic [15:0] l1_map_q;
  logic [Lanes*NB*32-1:0] mk_rdata;  // lane l, bank k at [32 (l NB + k) +: 32]
  logic [Lanes-1:0][15:0] cnt_rdata;
  logic [15:0] l1_flags, l1_map_next;
  logic [SW-1:0] l1_owner;

  always_ff @(posedge clk) begin : p_load_l1
    if (!rst_n || soft_reset) begin
      l1_v_q <= 1'b0;
      l1_map_q <= '0;
    end else begin
      l1_v_q <= ld_we;
      if (ld_we) begin
        l1_est_q <= cfg_est;
        l1_bal_q <= cfg_bal;
        l1_wg_q <= is_wg;
        l1_last_w_q <= l0_last_w;
        l1_data_q <= buf_wdata;
        l1_w_q <= l0_w;
        l1_field_q <= l0_q[3:0];
        l1_j_q <= l0_j;
        l1_blk_q <= l0_blk;
        l1_sbase_q <= l0_sbase;
        l1_p_q <= cfg_p > PMax ? 9'(PMax) : 9'(cfg_p);
      end
      if (l1_v_q) l1_map_q <= l1_last_w_q ? '0 : l1_map_next;
    end
  end

  always_comb begin : p_l1_flags
    for (int i = 0; i < 16; i++) begin
      if (!l1_est_q) begin
        l1_flags[i] = 1'b1;
      end else if (l1_wg_q) begin
        // column n = 16w + i: lane i mod Lanes, bank i / Lanes; field = row m mod 16
        l1_flags[i] = 1'(mk_rdata >> (32 * ((i % Lanes) * NB + i / Lanes)
                                          + 2 * 32'(l1_field_q)));
      end else begin
        // row m = 16w + i of FF column n: field i of the word of lane n mod Lanes
        l1_flags[i] = 1'(mk_rdata >> (32 * (32'(l1_j_q) * NB + 32'(l1_blk_q) % NB) + 2 * i));
      end
      l1_flags[i] = l1_flags[i] && {1'b0, l1_w_q, 4'(i)} < l1_p_q;
    end
  end
  assign l1_map_next = l1_map_q | (16'(l1_flags != '0) << l1_w_q);
  assign l1_owner = !l1_bal_q ? l1_j_q : l1_wg_q ? swg_ld_rdata[l1_j_q] : sbp_ld_rdata[l1_j_q];

  // ---------------------------------------------------------------- readback sequencer
  // Sections: 0 mask words (b, mb), 1 column counts, 2 row counts, 3 BP schedule, 4 WG schedule;
  // each item is read at cycle t (every lane at once) and written into the C banks at t+1.
  logic [2:0] rb_sec_q, rbw_sec_q;
  logic [MAW-1:0] rb_b_q, rbw_b_q;
  logic [3:0] rb_mb_q;
  logic [CAW-1:0] rb_addr_q, rbw_addr_q;
  logic rbw_v_q, rb_done_q;
  logic [31:0] rb_total;
  wire [15:0] qb_n = 16'(ceil_div(32'(tag_n_q), Lanes));
  wire [15:0] qb_m = 16'(ceil_div(32'(tag_m_q), Lanes));
  wire [4:0] mb_m = 5'(ceil_div(32'(tag_m_q), 16));
  assign rb_total = 32'(qb_n) * (32'(mb_m) + 2) + 32'(qb_m) * 2;
  wire rb_act = state_q == SReadback && !rb_done_q;
  wire [15:0] rb_sec_blocks = (rb_sec_q == 3'd2 || rb_sec_q == 3'd4) ? qb_m : qb_n;
  wire rb_last_mb = rb_sec_q != 3'd0 || {1'b0, rb_mb_q} == mb_m - 5'd1;
  wire rb_last_b = 16'(rb_b_q) == rb_sec_blocks - 16'd1;
  assign rb_fin = rb_done_q && !rbw_v_q;

  always_ff @(posedge clk) begin : p_readback
    if (!rst_n || soft_reset || job_start) begin
      rb_sec_q <= '0;
      rb_b_q <= '0;
      rb_mb_q <= '0;
      rb_addr_q <= '0;
      rb_done_q <= 1'b0;
      rbw_v_q <= 1'b0;
    end else begin
      rbw_v_q <= rb_act;
      rbw_sec_q <= rb_sec_q;
      rbw_b_q <= rb_b_q;
      rbw_addr_q <= rb_addr_q;
      if (rb_act) begin
        rb_addr_q <= rb_addr_q + CAW'(1);
        if (!rb_last_mb) begin
          rb_mb_q <= rb_mb_q + 4'd1;
        end else begin
          rb_mb_q <= '0;
          if (!rb_last_b) begin
            rb_b_q <= rb_b_q + MAW'(1);
          end else begin
            rb_b_q <= '0;
            rb_sec_q <= rb_sec_q + 3'd1;
            if (rb_sec_q == 3'd4) rb_done_q <= 1'b1;
          end
        end
      end
    end
  end

  logic [Lanes-1:0][31:0] rb_slot;
  logic [31:0] rb_line;
  logic [15:0] rb_lines;
  always_comb begin : p_rb_slot
    rb_line = '0;
    rb_lines = '0;
    for (int l = 0; l < Lanes; l++) begin
      rb_line = 32'(rbw_b_q) * Lanes + 32'(l);
      rb_lines = (rbw_sec_q == 3'd2 || rbw_sec_q == 3'd4) ? tag_m_q : tag_n_q;
      case (rbw_sec_q)
        3'd0: rb_slot[l] = 32'(mk_rdata >> (32 * (32'(l) * NB + 32'(rbw_b_q) % NB)));
        3'd1: rb_slot[l] = 32'(cnt_rdata[l]);
        3'd2: rb_slot[l] = 32'(row_rdata[l]);
        3'd3: rb_slot[l] = 32'(sbp_rdata[l]);
        default: rb_slot[l] = 32'(swg_rdata[l]);
      endcase
      if (rb_line >= 32'(rb_lines)) rb_slot[l] = 32'd0;
    end
  end

  // ---------------------------------------------------------------- balancer
  logic bal_cnt_re, bal_cnt_list, bal_start;
  logic [MAW-1:0] bal_cnt_raddr;
  assign bal_start = state_q == SFlush && ff_q;

  nzpc_balance #(.Lanes(Lanes), .BW(MAW)) u_balance (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(soft_reset),
    .start_i(bal_start), .lines_bp_i(n_q), .lines_wg_i(m_q), .busy_o(bal_busy),
    .cnt_re_o(bal_cnt_re), .cnt_list_o(bal_cnt_list), .cnt_raddr_o(bal_cnt_raddr),
    .cnt_i(bal_cnt_list ? row_rdata : cnt_rdata),
    .sched_we_o(sched_we), .sched_list_o(sched_list), .sched_waddr_o(sched_waddr),
    .sched_wdata_o(sched_wdata));

  // ---------------------------------------------------------------- row counts
  logic [15:0] row_acc_q;
  logic [Lanes-1:0][15:0] row_word_q, row_word_next;
  wire [LW-1:0] row_adds = LW'($countones(lane_end & lane_allowed));
  wire [15:0] row_total = row_acc_q + 16'(row_adds);
  wire [SW-1:0] row_slot = SW'(rcur_q);
  wire row_close = round_end && ff_q;
  always_comb begin : p_row_word
    for (int l = 0; l < Lanes; l++) begin
      row_word_next[l] = SW'(l) == row_slot ? row_total
                       : row_slot == '0 ? 16'd0 : row_word_q[l];
    end
  end
  assign row_we = row_close && (32'(row_slot) == Lanes - 1 || rcur_q + 16'd1 == r_q);
  assign row_waddr = WAW'(rcur_q / 16'(Lanes));
  assign row_wdata = row_word_next;
  assign row_re = (bal_cnt_re && bal_cnt_list) || (rb_act && rb_sec_q == 3'd2);
  assign row_raddr = rb_act ? WAW'(rb_b_q) : WAW'(bal_cnt_raddr);

  always_ff @(posedge clk) begin : p_rows
    if (!rst_n || soft_reset || job_start) begin
      row_acc_q <= '0;
      row_word_q <= '0;
    end else if (ff_q) begin
      if (row_close) begin
        row_acc_q <= '0;
        row_word_q <= row_word_next;
      end else begin
        row_acc_q <= row_total;
      end
    end
  end

  // ---------------------------------------------------------------- setup: padding lanes
  // The last block's real lines Q - (QB-1)*Lanes sit on the lanes its schedule word names.
  wire [31:0] last_blk = 32'(qb_q) - 1;
  wire [31:0] n_last = 32'(q_q) - last_blk * Lanes;
  logic [Lanes-1:0] real_last;
  always_comb begin : p_real_last
    for (int l = 0; l < Lanes; l++) begin
      real_last[l] = 1'b0;
      for (int j = 0; j < Lanes; j++) begin
        if (32'(j) < n_last
            && (bal_q ? (wg_q ? swg_rdata[j] : sbp_rdata[j]) : SW'(j)) == SW'(l)) begin
          real_last[l] = 1'b1;
        end
      end
    end
  end

  always_ff @(posedge clk) begin : p_pad
    if (!rst_n || soft_reset || job_start) begin
      has_lines_q <= '0;
      last_b_q <= '0;
    end else if (state_q == SPad) begin
      for (int l = 0; l < Lanes; l++) begin
        has_lines_q[l] <= qb_q > 16'd1 || real_last[l];
        last_b_q[l] <= MAW'(real_last[l] ? last_blk : last_blk - 1);
      end
    end
  end

  // ---------------------------------------------------------------- drain: un-permute
  logic [MAW-1:0] dr_b_q, drr_b_q;
  always_ff @(posedge clk) begin : p_drain
    if (!rst_n || soft_reset || job_done) begin
      dr_b_q <= '0;
    end else if (res_re) begin
      dr_b_q <= 16'(dr_b_q) + 16'd1 == qb_q ? '0 : dr_b_q + MAW'(1);
      drr_b_q <= dr_b_q;
    end
  end

  wire setup_rd = state_q == SSetup && bal_q;
  wire drain_rd = res_re && bal_q && !rb_q;
  assign sbp_re = ((setup_rd || drain_rd) && !wg_q) || (rb_act && rb_sec_q == 3'd3);
  assign swg_re = ((setup_rd || drain_rd) && wg_q) || (rb_act && rb_sec_q == 3'd4);
  assign sbp_raddr = rb_act ? rb_b_q : setup_rd ? MAW'(last_blk) : dr_b_q;
  assign swg_raddr = rb_act ? WAW'(rb_b_q) : setup_rd ? WAW'(last_blk) : WAW'(dr_b_q);

  logic [Lanes-1:0][31:0] c_rdata;
  logic [SW-1:0] res_src;
  always_comb begin : p_res
    res_src = '0;
    for (int j = 0; j < Lanes; j++) begin
      res_src = !bal_q ? SW'(j) : wg_q ? swg_rdata[j] : sbp_rdata[j];
      if (rb_q) res_rdata[j*32 +: 32] = c_rdata[j];
      else if (32'(drr_b_q) * Lanes + 32'(j) >= 32'(q_q)) res_rdata[j*32 +: 32] = 32'd0;
      else res_rdata[j*32 +: 32] = c_rdata[res_src];
    end
  end
  assign res_words = rb_q ? rb_total : 32'(r_q) * 32'(qb_q);

  // ---------------------------------------------------------------- lanes and estimators
  logic [Lanes-1:0][31:0] s_rd, s_wr, vc_rd, vc_wr, c_rd, c_wr, est_rd, est_wr;
  wire lane_clear = soft_reset || job_start;
  wire map_prep = state_q == SSetup && est_q;

  // Mask reads: the BP loader (the lane that owns FF column n), the WG loader (every lane and
  // bank: the 16 columns of word w), the readback (bank b mod NB).
  logic [MkAW-1:0] mk_raddr;
  assign mk_raddr = rb_act ? MkAW'((32'(rb_b_q) / NB) * 16 + 32'(rb_mb_q))
                  : is_wg ? MkAW'(32'(l0_w) * 16 + 32'(l0_q >> 4))
                  : MkAW'((32'(l0_blk) / NB) * 16 + 32'(l0_w));

  for (genvar l = 0; l < Lanes; l++) begin : gen_lane
    wire own = l1_v_q && l1_owner == SW'(l);
    wire [31:0] rb_blk_bank = 32'(rb_b_q) % NB;

    nzpc_lane #(.SWords(SWords), .MapWords(Blocks), .CWords(CWords)) u_lane (
      .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear), .clear_i(lane_clear),
      .s_we_i(own), .s_waddr_i(l1_sbase_q + SAW'(l1_w_q)), .s_wdata_i({l1_flags, l1_data_q}),
      .map_we_i(own && l1_last_w_q), .map_waddr_i(l1_blk_q), .map_wdata_i(l1_map_next),
      .vc_we_i(vw_v_q), .vc_bank_i(vw_bank_q), .vc_waddr_i(vw_addr_q), .vc_wdata_i(v_rdata),
      .est_i(est_q), .pw_i(pw_q), .p_i(p_q), .has_lines_i(has_lines_q[l]),
      .last_b_i(last_b_q[l]), .map_prep_i(map_prep),
      .go_i(go), .go_bank_i(started_q[0]), .rbase_i(rbase_q),
      .busy_o(lane_busy[l]), .free_o(lane_free[l]), .detect_o(lane_det[l]), .eff_o(lane_eff[l]),
      .line_end_o(lane_end[l]), .line_val_o(lane_val[l]), .line_b_o(lane_b[l]),
      .line_skip_o(lane_skip[l]),
      .rb_we_i(rbw_v_q), .rb_waddr_i(rbw_addr_q), .rb_wdata_i(rb_slot[l]),
      .c_re_i(res_re), .c_raddr_i(res_raddr), .c_rdata_o(c_rdata[l]),
      .s_rd_o(s_rd[l]), .s_wr_o(s_wr[l]), .vc_rd_o(vc_rd[l]), .vc_wr_o(vc_wr[l]),
      .c_rd_o(c_rd[l]), .c_wr_o(c_wr[l]));

    // Mask reads: the BP loader (this lane owns FF column n), the WG loader (every lane and
    // bank: the 16 columns of word w), the readback (bank b mod NB).
    logic [NB-1:0] mk_re;
    always_comb begin : p_mk_read
      for (int k = 0; k < NB; k++) begin
        mk_re[k] = (rb_act && rb_sec_q == 3'd0 && rb_blk_bank == k)
                   || (ld_we && cfg_est && is_wg)
                   || (ld_we && cfg_est && is_bp && l0_j == SW'(l) && 32'(l0_blk) % NB == k);
      end
    end

    nzpc_estimate #(.Lanes(Lanes), .QMax(QMax)) u_est (
      .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
      .ev_i(ff_q && lane_end[l]), .z_i(lane_val[l]), .act_i(act_q), .row_i(rcur_q[7:0]),
      .b_i(lane_b[l]), .allowed_o(lane_allowed[l]),
      .mk_re_i(mk_re), .mk_raddr_i(mk_raddr), .mk_rdata_o(mk_rdata[l*NB*32 +: NB*32]),
      .cnt_re_i((bal_cnt_re && !bal_cnt_list) || (rb_act && rb_sec_q == 3'd1)),
      .cnt_raddr_i(rb_act ? rb_b_q : bal_cnt_raddr), .cnt_rdata_o(cnt_rdata[l]),
      .rd_o(est_rd[l]), .wr_o(est_wr[l]));
  end

  // ---------------------------------------------------------------- shell counters
  // Sums over the lanes as functions in continuous assignments, not accumulating always_comb
  // blocks: Icarus 11 re-triggers those when one feeds another and all but stops.
  function automatic logic [31:0] lane_sum(input logic [Lanes-1:0][31:0] v);
    logic [31:0] acc;
    acc = '0;
    for (int l = 0; l < Lanes; l++) acc = acc + v[l];
    return acc;
  endfunction
  function automatic logic [IncW-1:0] skip_total(input logic [Lanes-1:0] ends,
                                                 input logic [Lanes-1:0][8:0] skip);
    logic [IncW-1:0] acc;
    acc = '0;
    for (int l = 0; l < Lanes; l++) begin
      if (ends[l]) acc = acc + IncW'(skip[l]);
    end
    return acc;
  endfunction
  logic [31:0] s_rd_sum, s_wr_sum, c_rd_sum, c_wr_sum, vc_rd_sum, vc_wr_sum, est_rd_sum, est_wr_sum;
  logic [IncW-1:0] skip_sum;
  logic [LW-1:0] det_sum;
  assign s_rd_sum = lane_sum(s_rd);
  assign s_wr_sum = lane_sum(s_wr);
  assign c_rd_sum = lane_sum(c_rd);
  assign c_wr_sum = lane_sum(c_wr);
  assign vc_rd_sum = lane_sum(vc_rd);
  assign vc_wr_sum = lane_sum(vc_wr);
  assign est_rd_sum = lane_sum(est_rd);
  assign est_wr_sum = lane_sum(est_wr);
  assign skip_sum = skip_total(lane_end, lane_skip);
  assign det_sum = LW'($countones(lane_det));
  assign sram_rd[1] = s_rd_sum;
  assign sram_wr[1] = s_wr_sum;
  assign sram_rd[2] = c_rd_sum;
  assign sram_wr[2] = c_wr_sum;
  assign sram_rd[3] = vc_rd_sum;
  assign sram_wr[3] = vc_wr_sum;
  assign mac_units = IncW'(Lanes);
  assign mac_effectual = IncW'($countones(lane_eff));
  assign mac_skipped = skip_sum;

  // ---------------------------------------------------------------- core counters
  logic [31:0] mask_bits_q, skip_mask_q, skip_zero_q, detect_cyc_q, imbalance_q, round_cyc_q;
  logic [31:0] vec_wait_q, balance_cyc_q;
  wire [1:0] act_bits = act_q == 2'd1 ? 2'd2 : act_q == 2'd3 ? 2'd0 : 2'd1;
  wire [LW-1:0] ends = LW'($countones(lane_end));
  wire [LW-1:0] idle_lanes = LW'($countones(~lane_busy));
  wire waiting = (cp_phase && rounds_left && !any_busy);

  always_ff @(posedge clk) begin : p_counters
    if (!rst_n || perf_clear) begin
      mask_bits_q <= '0;
      skip_mask_q <= '0;
      skip_zero_q <= '0;
      detect_cyc_q <= '0;
      imbalance_q <= '0;
      round_cyc_q <= '0;
      vec_wait_q <= '0;
      balance_cyc_q <= '0;
    end else begin
      if (ff_q) mask_bits_q <= mask_bits_q + 32'(ends) * 32'(act_bits);
      if (est_q) skip_mask_q <= skip_mask_q + 32'(skip_sum);
      else skip_zero_q <= skip_zero_q + 32'(skip_sum);
      detect_cyc_q <= detect_cyc_q + 32'(det_sum);
      if (any_busy) begin
        imbalance_q <= imbalance_q + 32'(idle_lanes);
        round_cyc_q <= round_cyc_q + 32'd1;
      end
      if (waiting) vec_wait_q <= vec_wait_q + 32'd1;
      if (bal_busy) balance_cyc_q <= balance_cyc_q + 32'd1;
    end
  end

  assign sts.array = 8'(Lanes);
  assign sts.buf_v_words = 32'(VWords);
  assign sts.buf_s_words = 32'(SWords);
  assign sts.buf_c_words = 32'(CWords);
  assign sts.max_lines = 32'(QMax);
  assign sts.cfg_err = cfg_core_err;
  assign sts.mask_state_valid = tag_valid_q;
  assign sts.mask_state_act = tag_act_q;
  assign sts.mask_state_layer = tag_layer_q;
  assign sts.mask_dims_m = tag_m_q;
  assign sts.mask_dims_n = tag_n_q;
  assign sts.mask_bits = mask_bits_q;
  assign sts.skip_mask = skip_mask_q;
  assign sts.skip_zero = skip_zero_q;
  assign sts.detect_cyc = detect_cyc_q;
  assign sts.imbalance = imbalance_q;
  assign sts.round_cyc = round_cyc_q;
  assign sts.vec_wait = vec_wait_q;
  assign sts.balance_cyc = balance_cyc_q;
  assign sts.vcopy_wr = vc_wr_sum;
  // The loader copies of the schedules duplicate the core copies' writes: counted once.
  assign sts.meta_rd = est_rd_sum + row_rd + sbp_rd + swg_rd + sbp_ld_rd + swg_ld_rd;
  assign sts.meta_wr = est_wr_sum + row_wr + sbp_wr + swg_wr;
  logic unused_ld_wr;
  assign unused_ld_wr = ^{sbp_ld_wr, swg_ld_wr};

  // ---------------------------------------------------------------- invariants
  wire chk_rst_n = rst_n && !soft_reset;
  `ACCEL_ASSERT(RoundStartFree_A, !go || all_free, clk, chk_rst_n)
  `ACCEL_ASSERT(ResultFits_A, !job_done || res_words <= CWords, clk, chk_rst_n)
  `ACCEL_ASSERT(LoadInRange_A, !l1_v_q || 32'(l1_sbase_q) + 32'(l1_w_q) < SWords, clk, chk_rst_n)
endmodule
