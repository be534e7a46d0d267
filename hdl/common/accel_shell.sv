// The accelerator shell every core top instantiates (connected with .*, see accel_shell.svh): the
// outside ports, the CSR block generated from the core's .rdl, operand loading into the core's
// buffers, result streaming, job control with the one error priority, irq and the common counters.
// The core behind it sees only the narrow interface below; it never re-implements any of this.
//
// Error priority. ERR_CODE reports the highest class of error raised since the last accepted start
// or CTRL.irq_clear; within a class, the first one raised stays. Classes, highest first:
//   1 BUSY         start while a job computes or its results stream out (the start is ignored)
//   2 configuration DIM_ZERO > DIM_OVERSIZE > BAD_PHASE > the core's own configuration codes
//                  (raised by a start, or by a frame loaded under that configuration)
//   3 stream        BAD_DEST, STREAM_LONG, STREAM_SHORT (a frame that does not fit its buffer)
//   4 NOT_LOADED    start before every buffer the job reads was loaded
//   5 core          an error the core finds while computing (its own codes, from 16)
// Why: a busy start is refused before anything else is looked at; the configuration decides the
// expected frames, so frame errors under a bad configuration say nothing new; a frame error is
// the reason a buffer is not loaded, so it is more specific than NOT_LOADED; a core error can
// only come from a job that passed every check above.
`include "accel_shell.svh"

module accel_shell
  import accel_pkg::*;
#(
  parameter int NumBufs = 2,     // operand buffers: tdest 0 .. NumBufs-1
  parameter int NumMult = 16,    // MAC units the core has (CAPS.num_mult)
  parameter int OutW = 128,      // result buffer read port; divides SHELL_OUT_BEAT_BITS
  parameter int WordW = OutW,    // result word: res_words counts them, a port word holds whole ones
  parameter int ResAW = 12,      // result buffer address width
  parameter int IncW = 5         // width of the per-cycle MAC counts (MaxUnits < 2^IncW)
) (
  // ---- the core side; names match the core top's signals (ACCEL_SHELL_WIRES) for .* binding
  output core_cfg_t                     cfg,          // the core's own registers (its .rdl)
  input  core_sts_t                     sts,          // the core's read-only registers
  output logic [1:0]                    phase,        // PHASE (FF, BP, WG; 3 is refused)
  output logic                          soft_reset,   // CTRL.soft_reset: back to idle
  output logic                          perf_clear,   // clear the core's counters too
  input  logic                          cfg_dim_zero, // a dimension in cfg is zero
  input  logic                          cfg_dim_big,  // the job exceeds a buffer or a limit
  input  logic [7:0]                    cfg_core_err, // a core configuration error, or ERR_NONE
  input  logic [NumBufs-1:0][31:0]      buf_words,    // words each operand frame must have
  input  logic [NumBufs-1:0]            buf_needed,   // the buffers the configured job reads
  output logic [NumBufs-1:0]            buf_we,       // operand write port, one enable a buffer
  output logic [31:0]                   buf_waddr,
  output logic [SHELL_IN_BEAT_BITS-1:0] buf_wdata,
  output logic                          job_start,    // accepted start: latch cfg, begin
  output logic                          busy,         // from job_start to job_done or job_err
  input  logic                          job_done,     // results are in the result buffer
  input  logic [31:0]                   res_words,    // result words of the job, with job_done
  input  logic                          job_err,      // the job stopped on a core error
  input  logic [7:0]                    job_err_code,
  output logic                          err_event,    // an error was raised this cycle...
  output logic [7:0]                    err_event_code, // ...with this code (for core ERR_INFO)
  output logic                          res_re,       // result read port, one cycle latency
  output logic [ResAW-1:0]              res_raddr,
  input  logic [OutW-1:0]               res_rdata,
  input  logic [IncW-1:0]               mac_units,    // MAC units of the job (MAC_SLOTS)
  input  logic [IncW-1:0]               mac_effectual,
  input  logic [IncW-1:0]               mac_skipped,
  input  logic [SRAM_COUNTERS-1:0][31:0] sram_rd,     // per-buffer SRAM counters (sram_1r1w)
  input  logic [SRAM_COUNTERS-1:0][31:0] sram_wr,
  // ---- the outside (last: verible cannot parse ports after a macro in a port list)
  `ACCEL_SHELL_PORTS
);
  // ---------------------------------------------------------------- CSR block
  logic csr_start, csr_irq_clear, csr_perf_clear;
  logic done_q, error_q, irq_q, draining;
  logic [7:0] err_code_q;
  logic [31:0] cyc_total, cyc_load, cyc_compute, cyc_drain, mac_slots, mac_effectual_cnt;
  logic [31:0] mac_skipped_cnt, in_stall, out_stall, in_beats, out_beats;
  logic [31:0] sram_rd_csr [SRAM_COUNTERS-1:0];  // descending, as the generated block declares it
  logic [31:0] sram_wr_csr [SRAM_COUNTERS-1:0];

  always_comb begin : p_sram_counters
    for (int i = 0; i < SRAM_COUNTERS; i++) begin
      sram_rd_csr[i] = sram_rd[i];
      sram_wr_csr[i] = sram_wr[i];
    end
  end

  accel_csr u_csr (
    .clk, .rst_n,
    .s_axil_awready, .s_axil_awvalid, .s_axil_awaddr, .s_axil_awprot,
    .s_axil_wready, .s_axil_wvalid, .s_axil_wdata, .s_axil_wstrb,
    .s_axil_bready, .s_axil_bvalid, .s_axil_bresp,
    .s_axil_arready, .s_axil_arvalid, .s_axil_araddr, .s_axil_arprot,
    .s_axil_rready, .s_axil_rvalid, .s_axil_rdata, .s_axil_rresp,
    .hwif_out_common_ctrl_start(csr_start),
    .hwif_out_common_ctrl_soft_reset(soft_reset),
    .hwif_out_common_ctrl_irq_clear(csr_irq_clear),
    .hwif_out_common_ctrl_perf_clear(csr_perf_clear),
    .hwif_in_common_status_busy(busy),
    .hwif_in_common_status_done(done_q),
    .hwif_in_common_status_error(error_q),
    .hwif_in_common_status_draining(draining),
    .hwif_in_common_err_code_code(err_code_q),
    .hwif_in_common_caps_num_mult(16'(NumMult)),
    .hwif_in_common_caps_num_bufs(8'(NumBufs)),
    .hwif_in_common_caps_res_word_bytes(8'(WordW / 8)),
    .hwif_out_common_phase(phase),
    .hwif_in_common_cyc_total_count(cyc_total),
    .hwif_in_common_cyc_load_count(cyc_load),
    .hwif_in_common_cyc_compute_count(cyc_compute),
    .hwif_in_common_cyc_drain_count(cyc_drain),
    .hwif_in_common_mac_slots_count(mac_slots),
    .hwif_in_common_mac_effectual_count(mac_effectual_cnt),
    .hwif_in_common_mac_skipped_count(mac_skipped_cnt),
    .hwif_in_common_in_stall_count(in_stall),
    .hwif_in_common_out_stall_count(out_stall),
    .hwif_in_common_in_beats_count(in_beats),
    .hwif_in_common_out_beats_count(out_beats),
    .hwif_in_common_sram_rd_count(sram_rd_csr),
    .hwif_in_common_sram_wr_count(sram_wr_csr),
    .core_cfg_o(cfg),
    .core_sts_i(sts)
  );

  assign perf_clear = csr_perf_clear || soft_reset;

  // ---------------------------------------------------------------- configuration and start
  wire bad_phase = 8'(phase) > PHASE_WG;
  wire [7:0] cfg_code = cfg_dim_zero ? ERR_DIM_ZERO
                      : cfg_dim_big ? ERR_DIM_OVERSIZE
                      : bad_phase ? ERR_BAD_PHASE
                      : cfg_core_err;
  wire cfg_ok = cfg_code == ERR_NONE;
  logic [NumBufs-1:0] loaded;
  wire all_loaded = (loaded & buf_needed) == buf_needed;
  wire start_busy = csr_start && (busy || draining);
  wire start_free = csr_start && !start_busy;
  assign job_start = start_free && cfg_ok && all_loaded;

  // ---------------------------------------------------------------- operand load
  logic loading, load_err;
  logic [7:0] load_err_code;

  axis_loader #(.NumBufs(NumBufs), .DataW(SHELL_IN_BEAT_BITS), .DestW(SHELL_DEST_BITS)) u_loader (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(soft_reset),
    .enable_i(!busy),
    .cfg_ok_i(cfg_ok), .cfg_err_code_i(cfg_code),
    .expected_words_i(buf_words),
    .clear_loaded_i(job_start),
    .s_axis_tdata, .s_axis_tvalid, .s_axis_tready, .s_axis_tlast, .s_axis_tdest,
    .we_o(buf_we), .waddr_o(buf_waddr), .wdata_o(buf_wdata),
    .loaded_o(loaded), .loading_o(loading),
    .err_o(load_err), .err_code_o(load_err_code)
  );

  // ---------------------------------------------------------------- errors: one priority
  typedef enum logic [2:0] {
    ClsNone, ClsCore, ClsNotLoaded, ClsStream, ClsConfig, ClsBusy
  } err_class_e;
  err_class_e ev_cls, cls_q, cls_d, cls_kept;
  logic [7:0] ev_code;
  wire load_stream_err = load_err_code == ERR_BAD_DEST || load_err_code == ERR_STREAM_LONG
                         || load_err_code == ERR_STREAM_SHORT;

  // The error raised this cycle; simultaneous ones resolve by class. Written as one priority
  // chain, each signal assigned once: Icarus 11 re-triggers a default-then-override always_comb
  // that feeds another one forever.
  wire start_cfg_err = start_free && !cfg_ok;
  wire start_not_loaded = start_free && cfg_ok && !all_loaded;
  wire load_cfg_err = load_err && !load_stream_err;
  assign ev_cls = start_busy ? ClsBusy
                : (load_cfg_err || start_cfg_err) ? ClsConfig
                : (load_err && load_stream_err) ? ClsStream
                : start_not_loaded ? ClsNotLoaded
                : job_err ? ClsCore
                : ClsNone;
  assign ev_code = start_busy ? ERR_BUSY
                 : load_cfg_err ? load_err_code
                 : start_cfg_err ? cfg_code
                 : load_err ? load_err_code
                 : start_not_loaded ? ERR_NOT_LOADED
                 : job_err ? job_err_code
                 : ERR_NONE;
  assign err_event = ev_cls != ClsNone;
  assign err_event_code = ev_code;

  // ---------------------------------------------------------------- job control and status
  // An accepted start or CTRL.irq_clear opens a new error record; a higher class replaces the
  // reported code, a lower or equal one only keeps STATUS.error and irq set.
  wire err_cleared = csr_irq_clear || job_start;
  assign cls_kept = err_cleared ? ClsNone : cls_q;
  wire ev_wins = ev_cls > cls_kept;
  wire busy_d = job_start || (busy && !(job_done || job_err));
  wire done_d = job_done || (done_q && !(csr_irq_clear || start_free));
  wire error_d = err_event || (error_q && !err_cleared);
  wire irq_d = job_done || err_event || (irq_q && !err_cleared);
  wire [7:0] err_code_d = ev_wins ? ev_code : err_cleared ? ERR_NONE : err_code_q;
  assign cls_d = ev_wins ? ev_cls : cls_kept;

  always_ff @(posedge clk) begin : p_status
    if (!rst_n || soft_reset) begin
      busy <= 1'b0;
      done_q <= 1'b0;
      error_q <= 1'b0;
      irq_q <= 1'b0;
      err_code_q <= ERR_NONE;
      cls_q <= ClsNone;
    end else begin
      busy <= busy_d;
      done_q <= done_d;
      error_q <= error_d;
      irq_q <= irq_d;
      err_code_q <= err_code_d;
      cls_q <= cls_d;
    end
  end
  assign irq = irq_q;

  // ---------------------------------------------------------------- results out
  // Every core's result stream is SHELL_OUT_BEAT_BITS wide: a beat packs whole result words.
  wire [31:0] res_lines = ceil_div(res_words, OutW / WordW);
  wire [31:0] res_beats = ceil_div(res_words, SHELL_OUT_BEAT_BITS / WordW);
  buf_drain #(.LineW(OutW), .BeatW(SHELL_OUT_BEAT_BITS), .WordW(WordW), .AddrW(ResAW)) u_drain (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(soft_reset), .start_i(job_done),
    .words_i(res_words), .lines_i(res_lines), .beats_i(res_beats), .draining_o(draining),
    .re_o(res_re), .raddr_o(res_raddr), .rdata_i(res_rdata),
    .m_axis_tdata, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast
  );

  // ---------------------------------------------------------------- counters
  accel_counters #(.IncW(IncW)) u_counters (
    .clk_i(clk), .rst_ni(rst_n), .clear_i(perf_clear),
    .busy_i(busy), .loading_i(loading), .draining_i(draining),
    .mac_units_i(mac_units), .mac_effectual_i(mac_effectual), .mac_skipped_i(mac_skipped),
    .in_valid_i(s_axis_tvalid), .in_ready_i(s_axis_tready),
    .out_valid_i(m_axis_tvalid), .out_ready_i(m_axis_tready),
    .cyc_total_o(cyc_total), .cyc_load_o(cyc_load), .cyc_compute_o(cyc_compute),
    .cyc_drain_o(cyc_drain), .mac_slots_o(mac_slots), .mac_effectual_o(mac_effectual_cnt),
    .mac_skipped_o(mac_skipped_cnt), .in_stall_o(in_stall), .out_stall_o(out_stall),
    .in_beats_o(in_beats), .out_beats_o(out_beats)
  );

  // ---------------------------------------------------------------- protocol assertions
  // Checked out of reset, across soft resets too: a soft reset ends a result frame that has begun
  // with a marker beat (buf_drain), so both streams stay AXI4-Stream legal through it.
  // Simulation-only: instance names start with u_chk_, and the toggle power proxy (scripts/sim.py)
  // leaves their own registers out.
  wire chk_rst_n = rst_n;
  // AXI4-Stream in and out: VALID held until READY with a stable payload, VALID/READY known.
  axi_channel_check #(.PayloadW(SHELL_IN_BEAT_BITS + 1 + SHELL_DEST_BITS)) u_chk_s_axis (
    .clk_i(clk), .rst_ni(chk_rst_n), .valid_i(s_axis_tvalid), .ready_i(s_axis_tready),
    .payload_i({s_axis_tdata, s_axis_tlast, s_axis_tdest}));
  axi_channel_check #(.PayloadW(SHELL_OUT_BEAT_BITS + 1)) u_chk_m_axis (
    .clk_i(clk), .rst_ni(chk_rst_n), .valid_i(m_axis_tvalid), .ready_i(m_axis_tready),
    .payload_i({m_axis_tdata, m_axis_tlast}));
  // A result frame has exactly the job's result beats, tlast on the last.
  axis_frame_check u_chk_result_frame (
    .clk_i(clk), .rst_ni(chk_rst_n), .start_i(job_done), .words_i(res_beats), .abort_i(soft_reset),
    .valid_i(m_axis_tvalid), .ready_i(m_axis_tready), .last_i(m_axis_tlast));
  // AXI4-Lite: every channel's handshake, one response per request, legal response codes.
  axi_channel_check #(.PayloadW(15)) u_chk_axil_aw (
    .clk_i(clk), .rst_ni(chk_rst_n), .valid_i(s_axil_awvalid), .ready_i(s_axil_awready),
    .payload_i({s_axil_awaddr, s_axil_awprot}));
  axi_channel_check #(.PayloadW(36)) u_chk_axil_w (
    .clk_i(clk), .rst_ni(chk_rst_n), .valid_i(s_axil_wvalid), .ready_i(s_axil_wready),
    .payload_i({s_axil_wdata, s_axil_wstrb}));
  axi_channel_check #(.PayloadW(2)) u_chk_axil_b (
    .clk_i(clk), .rst_ni(chk_rst_n), .valid_i(s_axil_bvalid), .ready_i(s_axil_bready),
    .payload_i(s_axil_bresp));
  axi_channel_check #(.PayloadW(15)) u_chk_axil_ar (
    .clk_i(clk), .rst_ni(chk_rst_n), .valid_i(s_axil_arvalid), .ready_i(s_axil_arready),
    .payload_i({s_axil_araddr, s_axil_arprot}));
  axi_channel_check #(.PayloadW(34)) u_chk_axil_r (
    .clk_i(clk), .rst_ni(chk_rst_n), .valid_i(s_axil_rvalid), .ready_i(s_axil_rready),
    .payload_i({s_axil_rdata, s_axil_rresp}));
  axil_resp_check u_chk_axil_resp (
    .clk_i(clk), .rst_ni(chk_rst_n),
    .aw_hs_i(s_axil_awvalid && s_axil_awready), .w_hs_i(s_axil_wvalid && s_axil_wready),
    .b_valid_i(s_axil_bvalid), .b_ready_i(s_axil_bready), .b_resp_i(s_axil_bresp),
    .ar_hs_i(s_axil_arvalid && s_axil_arready),
    .r_valid_i(s_axil_rvalid), .r_ready_i(s_axil_rready), .r_resp_i(s_axil_rresp));
endmodule
