// Simple dual-port SRAM model: one synchronous read port, one write port, with access counters
// (the SRAM_RD/SRAM_WR performance counters and the event-energy model read them).
// rdata_o holds its value until the next read. Not for synthesis: it is a behavioural memory.
`include "accel_assert.svh"

module sram_1r1w #(
  parameter int Words = 1024,
  parameter int Width = 64,
  localparam int AddrW = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             clear_counts_i,  // zero both counters
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [Width-1:0] rdata_o,
  output logic [31:0]      rd_count_o,
  output logic [31:0]      wr_count_o
);
  logic [Width-1:0] mem [Words];

  // One always block for the array and both counters, and one for both range checks: Icarus
  // wakes every block at every clock edge, and a core may have a hundred of these memories.
  always_ff @(posedge clk_i) begin : p_mem
    if (we_i) mem[waddr_i] <= wdata_i;
    if (re_i) rdata_o <= mem[raddr_i];
    if (!rst_ni || clear_counts_i) begin
      rd_count_o <= '0;
      wr_count_o <= '0;
    end else begin
      rd_count_o <= rd_count_o + {31'd0, re_i};
      wr_count_o <= wr_count_o + {31'd0, we_i};
    end
  end

  // An access past the end is a controller bug, never a legal configuration (with a power-of-two
  // depth the address cannot reach past it, and the check folds away).
  `ACCEL_ASSERT(AccessInRange_A, (!we_i || 32'(waddr_i) < Words) && (!re_i || 32'(raddr_i) < Words),
                clk_i, rst_ni)
endmodule
