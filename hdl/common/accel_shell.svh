// The accelerator shell's two lists, written once: the outside ports every core top has
// (ACCEL_SHELL_PORTS) and the narrow core interface a core top declares (ACCEL_SHELL_WIRES), so
// a core top is `ACCEL_SHELL_PORTS, `ACCEL_SHELL_WIRES, `accel_shell u_shell (.*)` and its datapath.
`ifndef ACCEL_SHELL_SVH
`define ACCEL_SHELL_SVH

// The outside of every core: AXI4-Lite CSR slave, operand stream in (tdest names the buffer),
// result stream out, level irq. Widths of both streams, the same for every core: accel_pkg.
`define ACCEL_SHELL_PORTS \
  input  logic                              clk, \
  input  logic                              rst_n, \
  input  logic                              s_axil_awvalid, \
  output logic                              s_axil_awready, \
  input  logic [11:0]                       s_axil_awaddr, \
  input  logic [2:0]                        s_axil_awprot, \
  input  logic                              s_axil_wvalid, \
  output logic                              s_axil_wready, \
  input  logic [31:0]                       s_axil_wdata, \
  input  logic [3:0]                        s_axil_wstrb, \
  output logic                              s_axil_bvalid, \
  input  logic                              s_axil_bready, \
  output logic [1:0]                        s_axil_bresp, \
  input  logic                              s_axil_arvalid, \
  output logic                              s_axil_arready, \
  input  logic [11:0]                       s_axil_araddr, \
  input  logic [2:0]                        s_axil_arprot, \
  output logic                              s_axil_rvalid, \
  input  logic                              s_axil_rready, \
  output logic [31:0]                       s_axil_rdata, \
  output logic [1:0]                        s_axil_rresp, \
  input  logic [SHELL_IN_BEAT_BITS-1:0]     s_axis_tdata, \
  input  logic                              s_axis_tvalid, \
  output logic                              s_axis_tready, \
  input  logic                              s_axis_tlast, \
  input  logic [SHELL_DEST_BITS-1:0]        s_axis_tdest, \
  output logic [SHELL_OUT_BEAT_BITS-1:0]    m_axis_tdata, \
  output logic                              m_axis_tvalid, \
  input  logic                              m_axis_tready, \
  output logic                              m_axis_tlast, \
  output logic                              irq

// The core side of accel_shell, declared in the core top under the shell's port names (the shell
// is connected with .*). NUM_BUFS operand buffers, OUT_W-bit result words at RES_AW-bit addresses,
// INC_W-bit MAC counts per cycle. See accel_shell.sv for what each signal means.
`define ACCEL_SHELL_WIRES(NUM_BUFS, OUT_W, RES_AW, INC_W) \
  core_cfg_t                             cfg; \
  core_sts_t                             sts; \
  logic [1:0]                            phase; \
  logic                                  soft_reset, perf_clear; \
  logic                                  cfg_dim_zero, cfg_dim_big; \
  logic [7:0]                            cfg_core_err; \
  logic [(NUM_BUFS)-1:0][31:0]           buf_words; \
  logic [(NUM_BUFS)-1:0]                 buf_needed, buf_we; \
  logic [31:0]                           buf_waddr; \
  logic [SHELL_IN_BEAT_BITS-1:0]         buf_wdata; \
  logic                                  job_start, busy, job_done, job_err, err_event; \
  logic [7:0]                            job_err_code, err_event_code; \
  logic [31:0]                           res_words; \
  logic                                  res_re; \
  logic [(RES_AW)-1:0]                   res_raddr; \
  logic [(OUT_W)-1:0]                    res_rdata; \
  logic [(INC_W)-1:0]                    mac_units, mac_effectual, mac_skipped; \
  logic [SRAM_COUNTERS-1:0][31:0]        sram_rd, sram_wr;

`endif
