// Bank arbiter of DQ-STP's banked buffers: requester i asks bank bank_i for word addr_i (one
// sram_1r1w port a bank). Per bank the lowest-numbered requester wins; with Merge, every requester
// of the same word in that bank shares the winner's read (a broadcast). The rest wait a cycle and
// count as conflicts. Not for a shared write port with data (a caller muxes the winner's data).
module dqstp_bank_arb #(
  parameter int Reqs = 17,
  parameter int Banks = 16,                  // a power of two
  parameter int AddrW = 9,                   // word address within a bank
  parameter bit Merge = 1'b1,
  localparam int BankW = Banks > 1 ? $clog2(Banks) : 1,
  localparam int CountW = $clog2(Reqs + 1)
) (
  input  logic [Reqs-1:0]             req_i,
  input  logic [Reqs-1:0][BankW-1:0]  bank_i,
  input  logic [Reqs-1:0][AddrW-1:0]  addr_i,
  output logic [Reqs-1:0]             grant_o,
  output logic [Banks-1:0]            bank_re_o,    // a bank's port is used this cycle...
  output logic [Banks-1:0][AddrW-1:0] bank_addr_o,  // ...for this word
  output logic [CountW-1:0]           conflicts_o   // requesters that wait this cycle
);
  always_comb begin : p_arbitrate
    logic [Banks-1:0] taken;
    logic [Banks-1:0][AddrW-1:0] word;
    logic [Reqs-1:0] grant;
    logic [CountW-1:0] waits;
    taken = '0;
    word = '0;
    grant = '0;
    waits = '0;
    for (int i = 0; i < Reqs; i++) begin
      if (req_i[i]) begin
        if (!taken[bank_i[i]]) begin
          taken[bank_i[i]] = 1'b1;
          word[bank_i[i]] = addr_i[i];
          grant[i] = 1'b1;
        end else if (Merge && word[bank_i[i]] == addr_i[i]) begin
          grant[i] = 1'b1;
        end else begin
          waits = waits + 1'b1;
        end
      end
    end
    grant_o = grant;
    bank_re_o = taken;
    bank_addr_o = word;
    conflicts_o = waits;
  end
endmodule
