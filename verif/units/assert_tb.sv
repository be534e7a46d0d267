// Test top for the protocol checkers (axi_channel_check, axil_resp_check, axis_frame_check):
// every checker input is a top-level port, driven directly by verif/units/assertions_cocotb.py.
// Test-only (verif/units/test_assertions.py); instantiate the checkers beside real channels elsewhere.
module assert_tb #(
  parameter int MaxOutstanding = 4
) (
  input logic        clk_i,
  input logic        rst_ni,
  // one VALID/READY channel with an 8-bit payload
  input logic        ch_valid_i,
  input logic        ch_ready_i,
  input logic [7:0]  ch_payload_i,
  // AXI4-Lite handshakes and responses
  input logic        aw_hs_i,
  input logic        w_hs_i,
  input logic        b_valid_i,
  input logic        b_ready_i,
  input logic [1:0]  b_resp_i,
  input logic        ar_hs_i,
  input logic        r_valid_i,
  input logic        r_ready_i,
  input logic [1:0]  r_resp_i,
  // a result frame: announcement and AXI4-Stream beats
  input logic        start_i,
  input logic [31:0] words_i,
  input logic        s_valid_i,
  input logic        s_ready_i,
  input logic        s_last_i
);
  axi_channel_check #(.PayloadW(8)) u_chan (
    .clk_i,
    .rst_ni,
    .valid_i  (ch_valid_i),
    .ready_i  (ch_ready_i),
    .payload_i(ch_payload_i)
  );

  axil_resp_check #(.MaxOutstanding(MaxOutstanding)) u_axil (
    .clk_i,
    .rst_ni,
    .aw_hs_i,
    .w_hs_i,
    .b_valid_i,
    .b_ready_i,
    .b_resp_i,
    .ar_hs_i,
    .r_valid_i,
    .r_ready_i,
    .r_resp_i
  );

  axis_frame_check u_frame (
    .clk_i,
    .rst_ni,
    .start_i,
    .words_i,
    .valid_i(s_valid_i),
    .ready_i(s_ready_i),
    .last_i (s_last_i)
  );

  // The frame's stream also obeys the VALID/READY rules (tlast is its payload).
  axi_channel_check #(.PayloadW(1)) u_frame_chan (
    .clk_i,
    .rst_ni,
    .valid_i  (s_valid_i),
    .ready_i  (s_ready_i),
    .payload_i(s_last_i)
  );
endmodule
