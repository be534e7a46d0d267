// SWPU operand compaction: a log2(N)-stage network that moves the set positions of mask_i to the
// front, in order, so slot s holds the index of the s-th set position. Stage t shifts an entry
// left by 2^t when bit t of its zero count (unset positions before it) is set; taken LSB first,
// the shifts never collide. Only indices travel: lanes fetch operands by index. Mirror: swpu_expand.
module swpu_compact #(
  parameter int N = 128,
  parameter int Out = 16,
  localparam int IdxW = $clog2(N)
) (
  input  logic [N-1:0]             mask_i,
  output logic [Out-1:0]           valid_o,
  output logic [Out*IdxW-1:0]      idx_o,     // slot s: bits [s*IdxW +: IdxW]
  output logic [Out*IdxW-1:0]      shift_o,   // how far each slot's entry moved: idx - slot
  output logic [N-1:0]             taken_o    // set positions that reached a slot below Out
);
  localparam int Stages = $clog2(N);

  // One block for the whole network (Icarus evaluates it once per input change). Flat vectors:
  // Icarus 11 cannot bit-select a variably indexed element of a 2-D packed array.
  logic [N-1:0] v, v_next;
  logic [N*IdxW-1:0] id, id_next, z, z_next;
  int src;
  logic collide, in_from_right, stays;
  logic [IdxW:0] seen;

  always_comb begin : p_network
    seen = '0;
    for (int i = 0; i < N; i++) begin
      v[i] = mask_i[i];
      id[i*IdxW +: IdxW] = IdxW'(i);
      z[i*IdxW +: IdxW] = IdxW'(i - int'(seen));   // unset positions before i
      taken_o[i] = mask_i[i] && int'(seen) < Out;
      seen = seen + (IdxW+1)'(mask_i[i]);
    end
    collide = 1'b0;
    for (int t = 0; t < Stages; t++) begin
      for (int p = 0; p < N; p++) begin
        src = (p + (1 << t)) % N;
        in_from_right = (p + (1 << t) < N) && v[src] && z[src*IdxW + t];
        stays = v[p] && !z[p*IdxW + t];
        collide = collide || (in_from_right && stays);
        v_next[p] = in_from_right || stays;
        id_next[p*IdxW +: IdxW] = in_from_right ? id[src*IdxW +: IdxW] : id[p*IdxW +: IdxW];
        z_next[p*IdxW +: IdxW] = in_from_right ? z[src*IdxW +: IdxW] : z[p*IdxW +: IdxW];
      end
      v = v_next;
      id = id_next;
      z = z_next;
    end
    for (int s = 0; s < Out; s++) begin
      valid_o[s] = v[s];
      idx_o[s*IdxW +: IdxW] = v[s] ? id[s*IdxW +: IdxW] : '0;
      shift_o[s*IdxW +: IdxW] = v[s] ? z[s*IdxW +: IdxW] : '0;
    end
  end

  initial begin : p_check_params
    assert (Out <= N && (1 << Stages) == N)
      else $fatal(1, "swpu_compact: N must be a power of 2 >= Out");
  end
`ifdef VERILATOR
  always_comb begin : p_no_collision
    assert (!collide) else $error("swpu_compact: two entries met in one position");
  end
`endif
endmodule
