// SWPU result scatter: the mirror of swpu_compact. Slot s's payload moves right by its shift_i
// (the distance the compaction moved it left), one power of two per stage, MSB first: the inverse
// stages in reverse order, so entries never collide and each lands back on its original index.
module swpu_expand #(
  parameter int N = 128,
  parameter int In = 16,
  parameter int W = 32,
  localparam int IdxW = $clog2(N)
) (
  input  logic [In-1:0]           valid_i,
  input  logic [In*IdxW-1:0]      shift_i,   // slot s: bits [s*IdxW +: IdxW]
  input  logic [In*W-1:0]         data_i,
  output logic [N-1:0]            valid_o,
  output logic [N*W-1:0]          data_o     // position i: bits [i*W +: W]
);
  localparam int Stages = $clog2(N);

  logic [N-1:0] v, v_next;
  logic [N*IdxW-1:0] z, z_next;
  logic [N*W-1:0] d, d_next;
  int src;
  logic collide, in_from_left, stays;

  always_comb begin : p_network
    v = '0;
    z = '0;
    d = '0;
    for (int s = 0; s < In; s++) begin
      v[s] = valid_i[s];
      z[s*IdxW +: IdxW] = shift_i[s*IdxW +: IdxW];
      d[s*W +: W] = data_i[s*W +: W];
    end
    collide = 1'b0;
    for (int t = Stages - 1; t >= 0; t--) begin
      for (int p = 0; p < N; p++) begin
        src = (p + N - (1 << t)) % N;
        in_from_left = (p >= (1 << t)) && v[src] && z[src*IdxW + t];
        stays = v[p] && !z[p*IdxW + t];
        collide = collide || (in_from_left && stays);
        v_next[p] = in_from_left || stays;
        z_next[p*IdxW +: IdxW] = in_from_left ? z[src*IdxW +: IdxW] : z[p*IdxW +: IdxW];
        d_next[p*W +: W] = in_from_left ? d[src*W +: W] : d[p*W +: W];
      end
      v = v_next;
      z = z_next;
      d = d_next;
    end
    valid_o = v;
    data_o = d;
  end

`ifdef VERILATOR
  always_comb begin : p_no_collision
    assert (!collide) else $error("swpu_expand: two entries met in one position");
  end
`endif
endmodule
