// Test wrapper: swpu_compact feeding swpu_expand, each slot carrying its own index as payload, so
// a round trip must put every taken position's index back on that position.
// Test-only top for verif/swpu/test_compaction.py.
module swpu_network_tb #(
  parameter int N = 128,
  parameter int Lanes = 16,
  localparam int IdxW = $clog2(N)
) (
  input  logic [N-1:0]        mask_i,
  output logic [Lanes-1:0]    valid_o,
  output logic [Lanes*IdxW-1:0] idx_o,
  output logic [N-1:0]        taken_o,
  output logic [N-1:0]        back_valid_o,
  output logic [N*IdxW-1:0]   back_data_o
);
  logic [Lanes*IdxW-1:0] shift;
  swpu_compact #(.N(N), .Out(Lanes)) u_compact (
    .mask_i, .valid_o, .idx_o, .shift_o(shift), .taken_o);
  swpu_expand #(.N(N), .In(Lanes), .W(IdxW)) u_expand (
    .valid_i(valid_o), .shift_i(shift), .data_i(idx_o), .valid_o(back_valid_o), .data_o(back_data_o));
endmodule
