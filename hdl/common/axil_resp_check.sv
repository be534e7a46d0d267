// Response checker for one AXI4-Lite port: one B per write, one R per read, legal response codes.
// Feed it the per-channel handshakes (valid && ready) of either side; simulation only.
// Not for full AXI4 (IDs, bursts, out-of-order responses) nor for EXOKAY from exclusive access.
`include "accel_assert.svh"

module axil_resp_check #(
  parameter int MaxOutstanding = 4
) (
  input logic       clk_i,
  input logic       rst_ni,
  input logic       aw_hs_i,
  input logic       w_hs_i,
  input logic       b_valid_i,
  input logic       b_ready_i,
  input logic [1:0] b_resp_i,
  input logic       ar_hs_i,
  input logic       r_valid_i,
  input logic       r_ready_i,
  input logic [1:0] r_resp_i
);
  // Counts saturate one above the limit, so an excess is seen (and asserted) rather than wrapped.
  localparam int CntW = $clog2(MaxOutstanding + 2);
  localparam logic [CntW-1:0] CntMax = CntW'(MaxOutstanding + 1);
  localparam logic [1:0] RespOkay = 2'b00;
  localparam logic [1:0] RespSlvErr = 2'b10;

  // AW and W handshakes not yet answered by a B; AR handshakes not yet answered by an R.
  logic [CntW-1:0] aw_cnt_d, aw_cnt_q, w_cnt_d, w_cnt_q, ar_cnt_d, ar_cnt_q;
  logic b_hs, r_hs;

  assign b_hs = b_valid_i && b_ready_i;
  assign r_hs = r_valid_i && r_ready_i;

  // Decrement on the answer, then increment on a new request; both saturate.
  always_comb begin : p_cnt_next
    aw_cnt_d = aw_cnt_q;
    w_cnt_d  = w_cnt_q;
    ar_cnt_d = ar_cnt_q;
    if (b_hs && aw_cnt_d != '0) aw_cnt_d = aw_cnt_d - 1'b1;
    if (b_hs && w_cnt_d != '0) w_cnt_d = w_cnt_d - 1'b1;
    if (r_hs && ar_cnt_d != '0) ar_cnt_d = ar_cnt_d - 1'b1;
    if (aw_hs_i && aw_cnt_d != CntMax) aw_cnt_d = aw_cnt_d + 1'b1;
    if (w_hs_i && w_cnt_d != CntMax) w_cnt_d = w_cnt_d + 1'b1;
    if (ar_hs_i && ar_cnt_d != CntMax) ar_cnt_d = ar_cnt_d + 1'b1;
  end

  always_ff @(posedge clk_i) begin : p_cnt
    if (!rst_ni) begin
      aw_cnt_q <= '0;
      w_cnt_q  <= '0;
      ar_cnt_q <= '0;
    end else begin
      aw_cnt_q <= aw_cnt_d;
      w_cnt_q  <= w_cnt_d;
      ar_cnt_q <= ar_cnt_d;
    end
  end

  `ACCEL_ASSERT_INIT(MaxOutstandingPositive_A, MaxOutstanding >= 1)
  // A B handshake answers a write whose AW and W were both taken at an earlier edge.
  `ACCEL_ASSERT(BOnlyAfterWrite_A, !b_hs || (aw_cnt_q != '0 && w_cnt_q != '0), clk_i, rst_ni)
  // An R handshake answers an AR taken at an earlier edge.
  `ACCEL_ASSERT(ROnlyAfterRead_A, !r_hs || ar_cnt_q != '0, clk_i, rst_ni)
  `ACCEL_ASSERT(WrOutstandingMax_A, aw_cnt_q != CntMax && w_cnt_q != CntMax, clk_i, rst_ni)
  `ACCEL_ASSERT(RdOutstandingMax_A, ar_cnt_q != CntMax, clk_i, rst_ni)
  // OKAY or SLVERR only: EXOKAY (01) needs exclusive access, DECERR (11) a decode hole.
  `ACCEL_ASSERT(BRespLegal_A, !b_valid_i || b_resp_i == RespOkay || b_resp_i == RespSlvErr,
                clk_i, rst_ni)
  `ACCEL_ASSERT(RRespLegal_A, !r_valid_i || r_resp_i == RespOkay || r_resp_i == RespSlvErr,
                clk_i, rst_ni)
endmodule
