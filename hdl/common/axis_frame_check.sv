// Frame checker for a result AXI4-Stream whose length is announced by a start pulse (buf_drain).
// Each start_i announces words_i >= 1 beats, sent after start_i; tlast marks exactly the last one.
// abort_i (a soft reset) may cut the pending frame: it then ends with at most the beat on the bus
// and one more (buf_drain's marker), tlast on its final beat; a frame with no beat sent or on the
// bus may be dropped. Not for streams without an announced length; pair it with axi_channel_check.
`include "accel_assert.svh"

module axis_frame_check (
  input logic        clk_i,
  input logic        rst_ni,
  input logic        start_i,
  input logic [31:0] words_i,
  input logic        abort_i,
  input logic        valid_i,
  input logic        ready_i,
  input logic        last_i
);
  // Beats of the announced frame not yet handshaken (0: none pending); after an abort, the most
  // beats the cut frame may still have (0: it has ended).
  logic [31:0] left_d, left_q;
  logic begun_d, begun_q, cut_d, cut_q;
  logic hs, final_beat, open_after;

  assign hs = valid_i && ready_i;
  assign final_beat = left_q == 32'd1;
  assign open_after = (begun_q || hs) && left_q - 32'(hs) != 0;

  always_comb begin : p_left
    left_d = left_q;
    begun_d = begun_q;
    cut_d = cut_q;
    if (hs && left_q != '0) begin
      left_d = left_q - 32'd1;
      begun_d = 1'b1;
      if (cut_q && last_i) left_d = '0;      // the cut frame's final beat
    end
    if (left_d == '0) cut_d = 1'b0;
    if (abort_i && !cut_q && left_q != '0) begin
      left_d = (valid_i && !ready_i) ? 32'd2 : open_after ? 32'd1 : 32'd0;
      cut_d = left_d != '0;
    end
    if (start_i && !abort_i) begin
      left_d = words_i;
      begun_d = 1'b0;
      cut_d = 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin : p_regs
    if (!rst_ni) begin
      left_q <= '0;
      begun_q <= 1'b0;
      cut_q <= 1'b0;
    end else begin
      left_q <= left_d;
      begun_q <= begun_d;
      cut_q <= cut_d;
    end
  end

  // tlast on exactly the final beat of the pending frame; a cut frame's last allowed beat has tlast.
  `ACCEL_ASSERT(LastIffFinalBeat_A, !hs || left_q == '0 || cut_q || last_i == final_beat,
                clk_i, rst_ni)
  `ACCEL_ASSERT(CutFrameEnds_A, !hs || !cut_q || !final_beat || last_i, clk_i, rst_ni)
  `ACCEL_ASSERT_NEVER(BeatWithoutFrame_A, hs && left_q == '0, clk_i, rst_ni)
  // A start is legal once the previous frame is sent, at the latest with its final beat this edge.
  wire frame_ends_now = hs && (final_beat || (cut_q && last_i));
  `ACCEL_ASSERT(StartAfterFrameSent_A, !start_i || abort_i || left_q == '0 || frame_ends_now,
                clk_i, rst_ni)
  `ACCEL_ASSERT_NEVER(StartEmptyFrame_A, start_i && !abort_i && words_i == '0, clk_i, rst_ni)
endmodule
