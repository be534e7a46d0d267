// The common status, interrupt and performance-counter logic behind every core's CSR block.
// The core reports events (job done/error, load error, MAC counts per cycle); this module keeps
// STATUS, ERR_CODE, irq and the counters of architecture.md. SRAM counters live in sram_1r1w.
// MAC_SLOTS adds mac_units_i per busy cycle: the multipliers (or lanes) the running job has.
module accel_ctrl
  import accel_pkg::*;
#(
  parameter int NumMult = 16,          // the most MAC units a job can use
  parameter int IncW = $clog2(NumMult + 1)
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  // CSR control pulses
  input  logic            start_i,
  input  logic            soft_reset_i,
  input  logic            irq_clear_i,
  input  logic            perf_clear_i,
  // events from the core
  input  logic            job_done_i,
  input  logic            job_err_i,
  input  logic [7:0]      job_err_code_i,
  input  logic            load_err_i,
  input  logic [7:0]      load_err_code_i,
  input  logic            busy_i,
  input  logic            loading_i,
  input  logic            draining_i,
  input  logic [IncW-1:0] mac_units_i,
  input  logic [IncW-1:0] mac_effectual_inc_i,
  input  logic [IncW-1:0] mac_skipped_inc_i,
  input  logic            in_valid_i,
  input  logic            in_ready_i,
  input  logic            out_valid_i,
  input  logic            out_ready_i,
  // status
  output logic            done_o,
  output logic            error_o,
  output logic [7:0]      err_code_o,
  output logic            irq_o,
  // performance counters
  output logic [31:0]     cyc_total_o,
  output logic [31:0]     cyc_load_o,
  output logic [31:0]     cyc_compute_o,
  output logic [31:0]     cyc_drain_o,
  output logic [31:0]     mac_slots_o,
  output logic [31:0]     mac_effectual_o,
  output logic [31:0]     mac_skipped_o,
  output logic [31:0]     in_stall_o,
  output logic [31:0]     out_stall_o,
  output logic [31:0]     in_beats_o,
  output logic [31:0]     out_beats_o
);
  always_ff @(posedge clk_i) begin : p_status
    if (!rst_ni || soft_reset_i) begin
      done_o <= 1'b0;
      error_o <= 1'b0;
      err_code_o <= ERR_NONE;
      irq_o <= 1'b0;
    end else begin
      if (start_i || irq_clear_i) begin
        done_o <= 1'b0;
        error_o <= 1'b0;
        irq_o <= 1'b0;
        if (start_i) err_code_o <= ERR_NONE;
      end
      if (job_done_i) begin
        done_o <= 1'b1;
        irq_o <= 1'b1;
      end
      if (job_err_i || load_err_i) begin
        error_o <= 1'b1;
        irq_o <= 1'b1;
        err_code_o <= job_err_i ? job_err_code_i : load_err_code_i;
      end
    end
  end

  always_ff @(posedge clk_i) begin : p_counters
    if (!rst_ni || soft_reset_i || perf_clear_i) begin
      cyc_total_o <= '0;
      cyc_load_o <= '0;
      cyc_compute_o <= '0;
      cyc_drain_o <= '0;
      mac_slots_o <= '0;
      mac_effectual_o <= '0;
      mac_skipped_o <= '0;
      in_stall_o <= '0;
      out_stall_o <= '0;
      in_beats_o <= '0;
      out_beats_o <= '0;
    end else begin
      cyc_total_o <= cyc_total_o + 1;
      cyc_load_o <= cyc_load_o + 32'(loading_i);
      cyc_compute_o <= cyc_compute_o + 32'(busy_i);
      cyc_drain_o <= cyc_drain_o + 32'(draining_i);
      mac_slots_o <= mac_slots_o + (busy_i ? 32'(mac_units_i) : 32'd0);
      mac_effectual_o <= mac_effectual_o + 32'(mac_effectual_inc_i);
      mac_skipped_o <= mac_skipped_o + 32'(mac_skipped_inc_i);
      in_stall_o <= in_stall_o + 32'(in_valid_i && !in_ready_i);
      out_stall_o <= out_stall_o + 32'(out_valid_i && !out_ready_i);
      in_beats_o <= in_beats_o + 32'(in_valid_i && in_ready_i);
      out_beats_o <= out_beats_o + 32'(out_valid_i && out_ready_i);
    end
  end
endmodule
