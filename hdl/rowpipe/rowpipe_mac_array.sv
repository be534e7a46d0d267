// P INT4 x UINT4 MACs sharing one activation: MAC j accumulates w_i[j] * act_i (signed x unsigned)
// into a 24-bit accumulator each enabled cycle, starting from 0 when first_i is set. The FXP4 array
// of a RowPipe conv stage (rowpipe_stage), alone so that `make area` can set it against dense's
// fp16_mac_array at the same number of MACs. Not for operands wider than 4 bits.
module rowpipe_mac_array #(
  parameter int P = 8,
  localparam int AccW = 24,
  localparam int EffW = $clog2(P + 1)
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   en_i,        // perform one MAC in every lane
  input  logic                   first_i,     // this MAC starts a new accumulation
  input  logic [3:0]             act_i,       // UINT4 activation, broadcast
  input  logic [P-1:0][3:0]      w_i,         // INT4 weight of each lane (two's complement)
  input  logic [P-1:0]           lane_ok_i,   // lanes inside the layer's output channels
  output logic [P-1:0][AccW-1:0] acc_next_o,  // accumulators after this cycle's MAC
  output logic [EffW-1:0]        eff_o        // MACs this cycle with two non-zero operands
);
  logic [P-1:0][AccW-1:0] acc_q;

  always_comb begin : p_mac
    eff_o = '0;
    for (int j = 0; j < P; j++) begin
      acc_next_o[j] = (first_i ? '0 : acc_q[j]) + AccW'($signed(w_i[j]) * $signed({1'b0, act_i}));
      if (en_i && lane_ok_i[j] && w_i[j] != 4'd0 && act_i != 4'd0) eff_o = eff_o + 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin : p_acc
    if (!rst_ni) acc_q <= '0;
    else if (en_i) acc_q <= acc_next_o;
  end
endmodule
