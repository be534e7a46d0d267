// Simple dual-port SRAM model: one synchronous read port, one write port, with access counters
// (the SRAM_RD/SRAM_WR performance counters and the event-energy model read them).
// rdata_o holds its value until the next read. Not for synthesis: it is a behavioural memory.
// The write port may be narrower than a word (WriteW: a power-of-two fraction of Width): it then
// addresses WriteW-bit segments, segment s of word w at address w * (Width/WriteW) + s, and writes
// one segment through a write mask, as SRAM macros with bit/byte masks do. A result buffer whose
// producer writes narrow words but whose reads feed whole result beats uses it.
`include "accel_assert.svh"

module sram_1r1w #(
  parameter int Words = 1024,
  parameter int Width = 64,
  parameter int WriteW = Width,
  localparam int AddrW = (Words > 1) ? $clog2(Words) : 1,
  localparam int Segs = Width / WriteW,
  localparam int SegW = Segs > 1 ? $clog2(Segs) : 0,
  localparam int WAddrW = AddrW + SegW
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              clear_counts_i,  // zero both counters
  input  logic              we_i,
  input  logic [WAddrW-1:0] waddr_i,         // a segment address when WriteW < Width
  input  logic [WriteW-1:0] wdata_i,
  input  logic              re_i,
  input  logic [AddrW-1:0]  raddr_i,
  output logic [Width-1:0]  rdata_o,
  output logic [31:0]       rd_count_o,
  output logic [31:0]       wr_count_o
);
  logic [Width-1:0] mem [Words];
  wire [AddrW-1:0] wword = AddrW'(waddr_i >> SegW);

  `ACCEL_ASSERT_INIT(p_check_params, Segs * WriteW == Width && (Segs & (Segs - 1)) == 0)

  // One always block for the array and both counters, and one for both range checks: Icarus
  // wakes every block at every clock edge, and a core may have a hundred of these memories.
  always_ff @(posedge clk_i) begin : p_mem
    // Constant part-selects (both simulators take them); with one segment, the whole word.
    for (int s = 0; s < Segs; s++) begin
      if (we_i && 32'(waddr_i) % Segs == s) mem[wword][s*WriteW +: WriteW] <= wdata_i;
    end
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
  `ACCEL_ASSERT(AccessInRange_A, (!we_i || 32'(wword) < Words) && (!re_i || 32'(raddr_i) < Words),
                clk_i, rst_ni)
endmodule
