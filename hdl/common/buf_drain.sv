// Streams words 0..words_i-1 of a result buffer out on an AXI4-Stream master, tlast on the last.
// Absorbs the SRAM's one-cycle read latency with a small FIFO, so back-pressure never loses a word.
// Part of accel_shell (the result stream); needs a read port with exactly one cycle of latency.
// A soft reset ends a frame that has begun cleanly: the beat on the bus (VALID high, not yet taken)
// stays until taken, then, unless it was the last, one marker beat (AbortMarker: every data bit 1,
// tlast) ends the frame; the words not yet sent are dropped. A frame with no beat sent or on the bus
// is dropped whole. draining_o stays high until the frame has ended (a start is BUSY meanwhile).
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
  localparam logic [DataW-1:0] AbortMarker = '1;
  logic [31:0] next_q, remaining_q;  // next address to read; words not yet accepted downstream
  logic inflight_q, inflight_last_q;
  logic fifo_empty, fifo_full, fifo_last;
  logic [DataW-1:0] fifo_data;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;
  // Ending a frame after a soft reset: the beat that was on the bus, then the marker.
  logic sent_any_q, hold_q, hold_last_q, marker_q;
  logic [DataW-1:0] hold_data_q;

  wire ending = hold_q || marker_q;
  wire reading = next_q < words_i && remaining_q != 0;
  // Room for the word being read plus the one in flight.
  assign re_o = reading && !ending && (32'(fifo_count) + 32'(inflight_q) < FifoDepth);
  assign raddr_o = next_q[AddrW-1:0];
  assign m_axis_tvalid = ending || !fifo_empty;
  assign m_axis_tdata = hold_q ? hold_data_q : marker_q ? AbortMarker : fifo_data;
  assign m_axis_tlast = hold_q ? hold_last_q : marker_q || fifo_last;
  wire sent = m_axis_tvalid && m_axis_tready;
  wire fifo_sent = sent && !ending;
  assign draining_o = remaining_q != 0 || ending;
  // At a soft reset: a FIFO beat on the bus and not taken now is held; a frame with beats sent and
  // some still to send gets the marker.
  wire on_bus = !ending && !fifo_empty && !m_axis_tready;
  wire open_after = (sent_any_q || fifo_sent) && remaining_q - 32'(fifo_sent) != 0;

  // Next state. A soft reset stops reading and forgets the frame's counts; the beat on the bus is
  // held and the marker armed unless the frame is already ending.
  logic [31:0] next_d, remaining_d;
  logic sent_any_d, hold_d, hold_last_d, marker_d;
  logic [DataW-1:0] hold_data_d;
  always_comb begin : p_next
    next_d = next_q;
    remaining_d = remaining_q;
    sent_any_d = sent_any_q;
    hold_d = hold_q;
    hold_last_d = hold_last_q;
    hold_data_d = hold_data_q;
    marker_d = marker_q;
    if (ending && sent) begin            // the held beat or the marker is taken
      hold_d = 1'b0;
      marker_d = hold_q && !hold_last_q;
    end
    if (soft_reset_i) begin
      next_d = '0;
      remaining_d = '0;
      sent_any_d = 1'b0;
      if (!ending) begin
        hold_d = on_bus;
        hold_last_d = fifo_last;
        hold_data_d = fifo_data;
        marker_d = !on_bus && open_after;
      end
    end else if (start_i && !ending) begin
      next_d = '0;
      remaining_d = words_i;
      sent_any_d = 1'b0;
    end else begin
      if (re_o) next_d = next_q + 1;
      if (fifo_sent) begin
        remaining_d = remaining_q - 1;
        sent_any_d = 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i) begin : p_regs
    if (!rst_ni) begin
      next_q <= '0;
      remaining_q <= '0;
      inflight_q <= 1'b0;
      inflight_last_q <= 1'b0;
      sent_any_q <= 1'b0;
      hold_q <= 1'b0;
      hold_last_q <= 1'b0;
      marker_q <= 1'b0;
    end else begin
      next_q <= next_d;
      remaining_q <= remaining_d;
      inflight_q <= re_o && !soft_reset_i;
      inflight_last_q <= re_o && !soft_reset_i && (next_q + 1 == words_i);
      sent_any_q <= sent_any_d;
      hold_q <= hold_d;
      hold_last_q <= hold_last_d;
      marker_q <= marker_d;
    end
    hold_data_q <= hold_data_d;
  end

  sync_fifo #(.Depth(FifoDepth), .Width(DataW + 1)) u_fifo (
    .clk_i,
    .rst_ni,
    .flush_i(soft_reset_i),
    .push_i (inflight_q),
    .wdata_i({inflight_last_q, rdata_i}),
    .pop_i  (fifo_sent),
    .rdata_o({fifo_last, fifo_data}),
    .empty_o(fifo_empty),
    .full_o (fifo_full),
    .count_o(fifo_count)
  );

  logic unused_full;
  assign unused_full = fifo_full;
endmodule
