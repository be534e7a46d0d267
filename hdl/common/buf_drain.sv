// Streams the words_i result words (WordW bits) of a result buffer out on an AXI4-Stream master as
// beats_i beats of BeatW bits, tlast on the last. The buffer's lines (LineW bits, LineW/WordW words)
// 0..lines_i-1 are read one a cycle; a beat packs BeatW/LineW consecutive lines, the first in its
// low bits; the words of the last beat past words_i are zero (nothing stale leaves the buffer). So
// every core's result stream has the same width, and a core whose result port is narrower than a
// beat drains at its port's rate.
// Absorbs the SRAM's one-cycle read latency with a small FIFO of beats, so back-pressure never loses
// a line. Part of accel_shell (the result stream); needs a read port with exactly one cycle of latency.
// A soft reset ends a frame that has begun cleanly: the beat on the bus (VALID high, not yet taken)
// stays until taken, then, unless it was the last, one marker beat (AbortMarker: every data bit 1,
// tlast) ends the frame; the lines not yet sent are dropped. A frame with no beat sent or on the bus
// is dropped whole. draining_o stays high until the frame has ended (a start is BUSY meanwhile).
`include "accel_assert.svh"

module buf_drain #(
  parameter int LineW = 128,    // result buffer read port
  parameter int BeatW = 512,    // m_axis_tdata: a whole number of lines
  parameter int WordW = LineW,  // result word: a line holds a whole number of them
  parameter int AddrW = 12
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             soft_reset_i,
  input  logic             start_i,     // pulse: begin sending words_i words
  input  logic [31:0]      words_i,
  input  logic [31:0]      lines_i,     // ceil(words_i / (LineW / WordW))
  input  logic [31:0]      beats_i,     // ceil(words_i / (BeatW / WordW))
  output logic             draining_o,  // beats are still to be sent
  // result buffer read port
  output logic             re_o,
  output logic [AddrW-1:0] raddr_o,
  input  logic [LineW-1:0] rdata_i,
  // AXI4-Stream master
  output logic [BeatW-1:0] m_axis_tdata,
  output logic             m_axis_tvalid,
  input  logic             m_axis_tready,
  output logic             m_axis_tlast
);
  localparam int FifoDepth = 4;
  localparam int Slots = BeatW / LineW;                   // lines a beat
  localparam int SlotW = Slots > 1 ? $clog2(Slots) : 1;
  localparam int LineWords = LineW / WordW;
  localparam int LineWordW = LineWords > 1 ? $clog2(LineWords) : 1;
  localparam logic [BeatW-1:0] AbortMarker = '1;
  logic [31:0] next_q, remaining_q;  // next line to read; beats not yet accepted downstream
  logic inflight_q, inflight_last_q;  // a line arrives from the SRAM this cycle; the frame's last
  logic [SlotW-1:0] inflight_slot_q;  // its place in the beat
  logic [BeatW-1:0] packed_beat;
  logic fifo_empty, fifo_full, fifo_last;
  logic [BeatW-1:0] fifo_data;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;
  // Ending a frame after a soft reset: the beat that was on the bus, then the marker.
  logic sent_any_q, hold_q, hold_last_q, marker_q;
  logic [BeatW-1:0] hold_data_q;

  // Lines a beat and words a line: powers of two.
  `ACCEL_ASSERT_INIT(p_check_params, Slots * LineW == BeatW && (Slots & (Slots - 1)) == 0
                     && LineWords * WordW == LineW && (LineWords & (LineWords - 1)) == 0)

  // An arriving line completes its beat when it fills the last slot or is the frame's last line;
  // each line read makes at most one beat, so the FIFO room check below counts lines in flight.
  // The frame's last line holds words_i mod LineWords words (all of it when 0): the rest is zeroed.
  // Generate blocks, not constant conditions, choose by parameter: no branch is dead in a build.
  logic [LineW-1:0] line;
  if (LineWords > 1) begin : g_tail
    wire [LineWordW-1:0] tail_words = LineWordW'(words_i);
    always_comb begin : p_tail
      line = rdata_i;
      for (int j = 1; j < LineWords; j++) begin
        if (inflight_last_q && tail_words != 0 && 32'(tail_words) <= j) line[j*WordW +: WordW] = '0;
      end
    end
  end else begin : g_whole_line
    assign line = rdata_i;
  end
  wire push = inflight_q && (32'(inflight_slot_q) == Slots - 1 || inflight_last_q);
  if (Slots > 1) begin : g_gather
    logic [BeatW-1:0] gather_q;  // lines of the beat being packed, zero in the slots to come
    always_comb begin : p_pack
      packed_beat = gather_q;
      for (int s = 0; s < Slots; s++) begin
        if (32'(inflight_slot_q) == s) packed_beat[s*LineW +: LineW] = line;
      end
    end
    always_ff @(posedge clk_i) begin : p_gather
      inflight_slot_q <= SlotW'(next_q);  // Slots is a power of two
      if (!rst_ni || soft_reset_i || push) gather_q <= '0;
      else if (inflight_q) gather_q <= packed_beat;
    end
  end else begin : g_one_line
    assign packed_beat = line;
    assign inflight_slot_q = '0;
  end

  wire ending = hold_q || marker_q;
  wire reading = next_q < lines_i && remaining_q != 0;
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
  logic [BeatW-1:0] hold_data_d;
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
      remaining_d = beats_i;
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
      inflight_last_q <= re_o && !soft_reset_i && (next_q + 1 == lines_i);
      sent_any_q <= sent_any_d;
      hold_q <= hold_d;
      hold_last_q <= hold_last_d;
      marker_q <= marker_d;
    end
    hold_data_q <= hold_data_d;
  end

  sync_fifo #(.Depth(FifoDepth), .Width(BeatW + 1)) u_fifo (
    .clk_i,
    .rst_ni,
    .flush_i(soft_reset_i),
    .push_i (push),
    .wdata_i({inflight_last_q, packed_beat}),
    .pop_i  (fifo_sent),
    .rdata_o({fifo_last, fifo_data}),
    .empty_o(fifo_empty),
    .full_o (fifo_full),
    .count_o(fifo_count)
  );

  logic unused;
  assign unused = fifo_full ^ ^words_i;  // words_i: only its bits below LineWords matter
endmodule
