// RowPipe's banked line buffer: row r of layer 2's input lives in bank r mod (K+1), slot 0 (row
// pipeline) or slot r div (K+1) (layer by layer), and a conflict check (BANK_CONFLICT, assertion).
// One writer (stage 1), one reader (stage 2), one-cycle read latency; not a general multi-port RAM.
// Conflicts: a write into a bank slot whose resident row is another row not yet released, or a
// read of a row no write has begun. Both must never happen (ConflictNever_A fires if one does).
`include "accel_assert.svh"

module rowpipe_linebuf #(
  parameter int Banks = 4,                // 2..4
  parameter int BankRows = 2,             // rows a bank holds (slots)
  parameter int RowWords = 32,            // words of a bank row
  parameter int WordW = 32,               // a word: P UINT4 channels
  parameter int RowW = 16,                // width of row numbers and counts
  localparam int AddrW = RowWords > 1 ? $clog2(RowWords) : 1
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  clear_i,     // perf_clear: zero the counters and PEAK_ROWS
  input  logic                  start_i,     // a new job: no row is resident or begun
  input  logic                  layerwise_i, // slot = row div (K+1) instead of 0
  input  logic [2:0]            k_i,         // K2: rows live in K2+1 banks
  input  logic [RowW-1:0]       released_i,  // rows 0 .. released_i-1 are dead
  input  logic                  we_i,
  input  logic [RowW-1:0]       wrow_i,
  input  logic [AddrW-1:0]      waddr_i,     // word within the row (x * G(c1) + g)
  input  logic [WordW-1:0]      wdata_i,
  input  logic                  re_i,
  input  logic [RowW-1:0]       rrow_i,
  input  logic [AddrW-1:0]      raddr_i,
  output logic [WordW-1:0]      rdata_o,     // one cycle after re_i, held until the next read
  output logic                  conflict_o,  // a conflict this cycle
  output logic [31:0]           conflicts_o, // BANK_CONFLICT
  output logic [31:0]           peak_o,      // PEAK_ROWS: most rows begun and not released
  output logic [3:0][31:0]      wr_count_o,  // LB_WR0..3 (banks >= Banks: 0)
  output logic [3:0][31:0]      rd_count_o   // LB_RD0..3
);
  localparam int SlotW = BankRows > 1 ? $clog2(BankRows) : 1;
  localparam int BankW = 2;
  localparam int BankAW = $clog2(BankRows * RowWords);

  `ACCEL_ASSERT_INIT(BanksSupported_A, Banks >= 2 && Banks <= 4)

  // ---------------------------------------------------------------- row -> bank, slot
  wire [RowW-1:0] nbanks = RowW'(k_i) + 1'b1;
  wire [BankW-1:0] wbank = BankW'(wrow_i % nbanks);
  wire [BankW-1:0] rbank = BankW'(rrow_i % nbanks);
  wire [SlotW-1:0] wslot = layerwise_i ? SlotW'(wrow_i / nbanks) : '0;
  wire [SlotW-1:0] rslot = layerwise_i ? SlotW'(rrow_i / nbanks) : '0;
  wire [BankAW-1:0] bank_waddr = BankAW'(32'(wslot) * RowWords + 32'(waddr_i));
  wire [BankAW-1:0] bank_raddr = BankAW'(32'(rslot) * RowWords + 32'(raddr_i));

  // ---------------------------------------------------------------- banks
  logic [Banks-1:0][WordW-1:0] bank_rdata;
  logic [BankW-1:0] rbank_q;

  for (genvar b = 0; b < Banks; b++) begin : g_bank
    sram_1r1w #(.Words(BankRows * RowWords), .Width(WordW)) u_bank (
      .clk_i, .rst_ni, .clear_counts_i(clear_i),
      .we_i(we_i && wbank == BankW'(b)), .waddr_i(bank_waddr), .wdata_i,
      .re_i(re_i && rbank == BankW'(b)), .raddr_i(bank_raddr), .rdata_o(bank_rdata[b]),
      .rd_count_o(rd_count_o[b]), .wr_count_o(wr_count_o[b]));
  end
  for (genvar b = Banks; b < 4; b++) begin : g_no_bank
    assign rd_count_o[b] = '0;
    assign wr_count_o[b] = '0;
  end
  assign rdata_o = bank_rdata[rbank_q];

  // ---------------------------------------------------------------- residency and conflicts
  // Bank slot e = bank * BankRows + slot (one index: Icarus 11 takes one variable index a select).
  localparam int Slots = Banks * BankRows;
  localparam int SlotIdxW = $clog2(Slots);
  logic [Slots-1:0] res_valid_q;                // a row was written into the slot
  logic [Slots-1:0][RowW-1:0] res_row_q;        // ...this one
  logic [RowW-1:0] begun_q;                     // 1 + the highest row written
  wire [SlotIdxW-1:0] wslot_idx = SlotIdxW'(32'(wbank) * BankRows + 32'(wslot));
  wire [RowW-1:0] res_row = res_row_q[wslot_idx];
  wire res_valid = res_valid_q[wslot_idx];
  wire wr_conflict = we_i && res_valid && res_row != wrow_i && res_row >= released_i;
  wire rd_conflict = re_i && rrow_i >= begun_q;
  assign conflict_o = wr_conflict || rd_conflict;
  wire [RowW-1:0] live = begun_q > released_i ? begun_q - released_i : '0;

  always_ff @(posedge clk_i) begin : p_track
    if (re_i) rbank_q <= rbank;
    if (!rst_ni || start_i) begin
      res_valid_q <= '0;
      begun_q <= '0;
    end else if (we_i) begin
      res_valid_q[wslot_idx] <= 1'b1;
      res_row_q[wslot_idx] <= wrow_i;
      if (wrow_i >= begun_q) begun_q <= wrow_i + 1'b1;
    end
    if (!rst_ni || clear_i) begin
      conflicts_o <= '0;
      peak_o <= '0;
    end else begin
      conflicts_o <= conflicts_o + 32'(conflict_o);
      if (32'(live) > peak_o) peak_o <= 32'(live);
    end
  end

  `ACCEL_ASSERT_NEVER(ConflictNever_A, conflict_o, clk_i, rst_ni)
endmodule
