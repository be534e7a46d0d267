// Test top for the protocol checkers (axi_channel_check, axil_resp_check, axis_frame_check) and the
// RowPipe line buffer's conflict assertion (rowpipe_linebuf, small: 4 banks of 2 rows of 4 words):
// every input is a top-level port, driven directly by verif/units/assertions_cocotb.py.
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
  input logic        abort_i,
  input logic        s_valid_i,
  input logic        s_ready_i,
  input logic        s_last_i,
  // rowpipe_linebuf: 4 banks of 2 rows of 4 16-bit words
  input logic          lb_clear_i,
  input logic          lb_start_i,
  input logic          lb_layerwise_i,
  input logic  [2:0]   lb_k_i,
  input logic  [15:0]  lb_released_i,
  input logic          lb_we_i,
  input logic  [15:0]  lb_wrow_i,
  input logic  [1:0]   lb_waddr_i,
  input logic  [15:0]  lb_wdata_i,
  input logic          lb_re_i,
  input logic  [15:0]  lb_rrow_i,
  input logic  [1:0]   lb_raddr_i,
  output logic [15:0]  lb_rdata_o,
  output logic         lb_conflict_o,
  output logic [31:0]  lb_conflicts_o,
  output logic [31:0]  lb_peak_o,
  output logic [127:0] lb_wr_count_o,  // bank b at [32*b +: 32]
  output logic [127:0] lb_rd_count_o
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
    .abort_i,
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

  rowpipe_linebuf #(
    .Banks(4), .BankRows(2), .RowWords(4), .WordW(16), .RowW(16)
  ) u_linebuf (
    .clk_i,
    .rst_ni,
    .clear_i    (lb_clear_i),
    .start_i    (lb_start_i),
    .layerwise_i(lb_layerwise_i),
    .k_i        (lb_k_i),
    .released_i (lb_released_i),
    .we_i       (lb_we_i),
    .wrow_i     (lb_wrow_i),
    .waddr_i    (lb_waddr_i),
    .wdata_i    (lb_wdata_i),
    .re_i       (lb_re_i),
    .rrow_i     (lb_rrow_i),
    .raddr_i    (lb_raddr_i),
    .rdata_o    (lb_rdata_o),
    .conflict_o (lb_conflict_o),
    .conflicts_o(lb_conflicts_o),
    .peak_o     (lb_peak_o),
    .wr_count_o (lb_wr_count_o),
    .rd_count_o (lb_rd_count_o)
  );
endmodule
