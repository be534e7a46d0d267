// Protocol checker for one VALID/READY channel (AXI4-Lite AW/W/AR/B/R, AXI4-Stream), either role.
// Instantiate it beside the channel (testbench or RTL); it has no outputs, and nothing is synthesised.
// Not for channels that may legally withdraw VALID (e.g. plain valid/ready FIFOs without AXI rules).
`include "accel_assert.svh"

module axi_channel_check #(
  parameter int PayloadW = 1
) (
  input logic                clk_i,
  input logic                rst_ni,
  input logic                valid_i,
  input logic                ready_i,
  input logic [PayloadW-1:0] payload_i
);
  // A beat offered but not taken at the last edge, and its payload.
  logic                stall_d, stall_q;
  logic [PayloadW-1:0] payload_d, payload_q;

  assign stall_d   = valid_i && !ready_i;
  assign payload_d = payload_i;

  always_ff @(posedge clk_i) begin : p_prev
    if (!rst_ni) begin
      stall_q   <= 1'b0;
      payload_q <= '0;
    end else begin
      stall_q   <= stall_d;
      payload_q <= payload_d;
    end
  end

  `ACCEL_ASSERT_INIT(PayloadWPositive_A, PayloadW >= 1)
  // Once VALID is up it stays up until READY takes the beat.
  `ACCEL_ASSERT(ValidHeldUntilReady_A, !stall_q || valid_i, clk_i, rst_ni)
  // The offered payload does not change until it is taken.
  `ACCEL_ASSERT(PayloadStable_A, !stall_q || payload_i == payload_q, clk_i, rst_ni)
  `ACCEL_ASSERT_KNOWN(ValidKnown_A, valid_i, clk_i, rst_ni)
  `ACCEL_ASSERT_KNOWN(ReadyKnown_A, ready_i, clk_i, rst_ni)
endmodule
