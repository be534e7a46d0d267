// Streams words 0..words_i-1 of a result buffer out on an AXI4-Stream master, tlast on the last.
// Absorbs the SRAM's one-cycle read latency with a small FIFO, so back-pressure never loses a word.
// Part of accel_shell (the result stream); needs a read port with exactly one cycle of latency.
module buf_drain #(
  parameter int DataW = 128,
  parameter int AddrW = 12
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             soft_reset_i,
  input  logic             start_i,     // pulse: begin sending words_i words
  input  logic [31:0]      words_i,
  output logic             draining_o,  // words are still to be sent
  // result buffer read port
  output logic             re_o,
  output logic [AddrW-1:0] raddr_o,
  input  logic [DataW-1:0] rdata_i,
  // AXI4-Stream master
  output logic [DataW-1:0] m_axis_tdata,
  output logic             m_axis_tvalid,
  input  logic             m_axis_tready,
  output logic             m_axis_tlast
);
  localparam int FifoDepth = 4;
  logic [31:0] next_q, remaining_q;  // next address to read; words not yet accepted downstream
  logic inflight_q, inflight_last_q;
  logic fifo_empty, fifo_full;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;

  wire reading = next_q < words_i && remaining_q != 0;
  // Room for the word being read plus the one in flight.
  assign re_o = reading && (32'(fifo_count) + 32'(inflight_q) < FifoDepth);
  assign raddr_o = next_q[AddrW-1:0];
  wire sent = m_axis_tvalid && m_axis_tready;
  assign m_axis_tvalid = !fifo_empty;
  assign draining_o = remaining_q != 0;

  always_ff @(posedge clk_i) begin : p_regs
    if (!rst_ni || soft_reset_i) begin
      next_q <= '0;
      remaining_q <= '0;
      inflight_q <= 1'b0;
      inflight_last_q <= 1'b0;
    end else begin
      inflight_q <= re_o;
      inflight_last_q <= re_o && (next_q + 1 == words_i);
      if (start_i) begin
        next_q <= '0;
        remaining_q <= words_i;
      end else begin
        if (re_o) next_q <= next_q + 1;
        if (sent) remaining_q <= remaining_q - 1;
      end
    end
  end

  sync_fifo #(.Depth(FifoDepth), .Width(DataW + 1)) u_fifo (
    .clk_i,
    .rst_ni,
    .flush_i(soft_reset_i),
    .push_i (inflight_q),
    .wdata_i({inflight_last_q, rdata_i}),
    .pop_i  (sent),
    .rdata_o({m_axis_tlast, m_axis_tdata}),
    .empty_o(fifo_empty),
    .full_o (fifo_full),
    .count_o(fifo_count)
  );

  logic unused_full;
  assign unused_full = fifo_full;
endmodule
