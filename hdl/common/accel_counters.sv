// The common performance counters of architecture.md (CYC_*, MAC_*, stalls, beats), one 32-bit
// counter per event, cleared by CTRL.perf_clear or soft reset. Used by accel_shell only; the SRAM
// counters live in sram_1r1w and a core's own counters in the core.
module accel_counters #(
  parameter int IncW = 5                 // width of the per-cycle MAC counts
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            clear_i,
  input  logic            busy_i,
  input  logic            loading_i,
  input  logic            draining_i,
  input  logic [IncW-1:0] mac_units_i,   // MAC units of the running job (MAC_SLOTS per busy cycle)
  input  logic [IncW-1:0] mac_effectual_i,
  input  logic [IncW-1:0] mac_skipped_i,
  input  logic            in_valid_i,
  input  logic            in_ready_i,
  input  logic            out_valid_i,
  input  logic            out_ready_i,
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
  always_ff @(posedge clk_i) begin : p_counters
    if (!rst_ni || clear_i) begin
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
      mac_effectual_o <= mac_effectual_o + 32'(mac_effectual_i);
      mac_skipped_o <= mac_skipped_o + 32'(mac_skipped_i);
      in_stall_o <= in_stall_o + 32'(in_valid_i && !in_ready_i);
      out_stall_o <= out_stall_o + 32'(out_valid_i && !out_ready_i);
      in_beats_o <= in_beats_o + 32'(in_valid_i && in_ready_i);
      out_beats_o <= out_beats_o + 32'(out_valid_i && out_ready_i);
    end
  end
endmodule
