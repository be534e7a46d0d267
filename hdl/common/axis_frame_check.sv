// Frame checker for a result AXI4-Stream whose length is announced by a start pulse (buf_drain).
// Each start_i announces words_i >= 1 beats, sent after start_i; tlast marks exactly the last one.
// Not for streams without an announced length; pair it with axi_channel_check for VALID/READY rules.
`include "accel_assert.svh"

module axis_frame_check (
  input logic        clk_i,
  input logic        rst_ni,
  input logic        start_i,
  input logic [31:0] words_i,
  input logic        valid_i,
  input logic        ready_i,
  input logic        last_i
);
  // Beats of the announced frame not yet handshaken; 0: no frame pending.
  logic [31:0] left_d, left_q;
  logic hs, final_beat;

  assign hs = valid_i && ready_i;
  assign final_beat = left_q == 32'd1;

  always_comb begin : p_left
    left_d = left_q;
    if (hs && left_q != '0) left_d = left_q - 32'd1;
    if (start_i) left_d = words_i;
  end

  always_ff @(posedge clk_i) begin : p_regs
    if (!rst_ni) begin
      left_q <= '0;
    end else begin
      left_q <= left_d;
    end
  end

  // tlast on exactly the final beat of the pending frame.
  `ACCEL_ASSERT(LastIffFinalBeat_A, !hs || left_q == '0 || last_i == final_beat, clk_i, rst_ni)
  `ACCEL_ASSERT_NEVER(BeatWithoutFrame_A, hs && left_q == '0, clk_i, rst_ni)
  // A start is legal once the previous frame is sent, at the latest with its final beat this edge.
  `ACCEL_ASSERT(StartAfterFrameSent_A, !start_i || left_q == '0 || (hs && final_beat),
                clk_i, rst_ni)
  `ACCEL_ASSERT_NEVER(StartEmptyFrame_A, start_i && words_i == '0, clk_i, rst_ni)
endmodule
