// One RowPipe conv stage: P INT4 x UINT4 MACs (MAC j computes output channel g*P + j), the
// sequencer of the loop order row, channel group, x, valid tap, input channel, and a serial FP16
// dequantizer. Where its input words come from (X buffer or line buffer) and where its outputs go
// (line buffer, pool row or results) is the top's business. Not for strided or non-square kernels.
//   per output row: SRowWait (>= 1 cycle, until row_go_i), then per channel group g:
//   SDqRead (read the dequantizer word), SDqCheck (latch it, BAD_SCALE), SRun (one MAC step a cycle,
//   blocks back to back; the last step of a block waits while the dequantizer is still busy).
// Reads: an input word when ci % P == 0, a weight word when ci % CPW == 0 (both held by the SRAMs'
// output registers for the following steps); the dequantizer word once per (row, g).
module rowpipe_stage #(
  parameter int P = 8,                  // MAC units (output channels at once): 4 or 8
  parameter int MaxK = 3,               // largest kernel (the top rejects larger ones)
  parameter int WAW = 10,               // weight buffer address width
  parameter int RowW = 16,              // width of rows, columns and counts
  localparam int AccW = 24,
  localparam int CntW = $clog2(P + 1),
  localparam int EffW = $clog2(P + 1)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 clear_i,   // soft reset or job abort: back to idle
  input  logic                 start_i,   // begin the job (the shape below holds until it ends)
  // the layer's shape
  input  logic [RowW-1:0]      hin_i,     // input map height, width
  input  logic [RowW-1:0]      win_i,
  input  logic [7:0]           ci_i,      // input channels (>= 1)
  input  logic [7:0]           co_i,      // output channels (>= 1)
  input  logic [2:0]           k_i,       // kernel (1 .. MaxK)
  input  logic [2:0]           p_i,       // padding (< k_i)
  input  logic [RowW-1:0]      ho_i,      // output height, width (>= 1)
  input  logic [RowW-1:0]      wo_i,
  input  logic [7:0]           gco_i,     // ceil(co / P)
  input  logic [7:0]           cb_i,      // ceil(ci / CPW): weight words of a tap
  input  logic [WAW-1:0]       nw_i,      // address of the first dequantizer word
  // row gating (the line buffer's rules live in the top)
  output logic                 row_wait_o, // waiting to begin output row row_o
  output logic [RowW-1:0]      row_o,
  input  logic                 row_go_i,   // row_o may begin
  // input words: position (in_y_o, in_x_o), channel group in_cg_o; P UINT4 one cycle later
  output logic                 in_re_o,
  output logic [RowW-1:0]      in_y_o,
  output logic [RowW-1:0]      in_x_o,
  output logic [7:0]           in_cg_o,
  input  logic [P*4-1:0]       in_data_i,
  // weight buffer (weights and dequantizer words), one cycle latency
  output logic                 w_re_o,
  output logic [WAW-1:0]       w_addr_o,
  input  logic [255:0]         w_data_i,
  // dequantized blocks: FP16 lanes j < min(P, co - g*P) are valid
  output logic                 out_valid_o,
  output logic [P-1:0][15:0]   out_y_o,
  output logic [RowW-1:0]      out_row_o,
  output logic [RowW-1:0]      out_x_o,
  output logic [7:0]           out_g_o,
  // events
  output logic                 mac_o,      // a MAC cycle
  output logic [EffW-1:0]      eff_o,      // its effectual MACs
  output logic                 dq_op_o,    // a dequantizer output
  output logic                 dq_stall_o, // the MACs wait for the dequantizer
  output logic                 bad_o,      // BAD_SCALE: the word just read has a bad lane
  output logic                 idle_o
);
  localparam int CPW = 64 / P;          // input channels of a weight word
  localparam int LogP = $clog2(P);
  localparam int LogCpw = $clog2(CPW);
  localparam int NT = MaxK * MaxK;      // taps, index ky * MaxK + kx
  localparam int TW = $clog2(NT + 1);
  localparam int TagW = 2 * RowW + 8;

  typedef enum logic [2:0] {SIdle, SRowWait, SDqRead, SDqCheck, SRun} state_e;
  state_e state_q;
  logic [RowW-1:0] yo_q, xo_q;
  logic [7:0] g_q, ci_q;
  logic [TW-1:0] tap_q;
  logic first_q;                        // the next step is the first of its block
  logic [P-1:0][15:0] scale_q, shift_q; // the current group's dequantizer lanes

  // ---------------------------------------------------------------- valid taps
  // A tap is valid when its input position is inside the map; taps outside take no cycles.
  logic [MaxK-1:0] ky_ok, kx_ok_cur, kx_ok_nxt;
  logic [NT-1:0] mask_cur, mask_nxt;
  logic [TW-1:0] first_cur, first_nxt, next_tap;
  logic has_next_tap;
  logic signed [RowW+1:0] iy_s, ix_s;

  always_comb begin : p_taps
    for (int t = 0; t < MaxK; t++) begin
      iy_s = $signed({2'b00, yo_q}) + (RowW+2)'(t) - (RowW+2)'(p_i);
      ky_ok[t] = t < 32'(k_i) && iy_s >= 0 && iy_s < $signed({2'b00, hin_i});
      ix_s = $signed({2'b00, xo_q}) + (RowW+2)'(t) - (RowW+2)'(p_i);
      kx_ok_cur[t] = t < 32'(k_i) && ix_s >= 0 && ix_s < $signed({2'b00, win_i});
      ix_s = ix_s + 1'b1;
      kx_ok_nxt[t] = t < 32'(k_i) && ix_s >= 0 && ix_s < $signed({2'b00, win_i});
    end
    for (int ky = 0; ky < MaxK; ky++) begin
      for (int kx = 0; kx < MaxK; kx++) begin
        mask_cur[ky * MaxK + kx] = ky_ok[ky] && kx_ok_cur[kx];
        mask_nxt[ky * MaxK + kx] = ky_ok[ky] && kx_ok_nxt[kx];
      end
    end
    // Lowest valid tap (of this x, of the next x) and the lowest valid one after tap_q.
    first_cur = '0;
    first_nxt = '0;
    next_tap = '0;
    has_next_tap = 1'b0;
    for (int t = NT - 1; t >= 0; t--) begin
      if (mask_cur[t]) first_cur = TW'(t);
      if (mask_nxt[t]) first_nxt = TW'(t);
      if (mask_cur[t] && TW'(t) > tap_q) begin
        next_tap = TW'(t);
        has_next_tap = 1'b1;
      end
    end
  end

  // ---------------------------------------------------------------- issue (one step a cycle)
  logic advance;                        // the MAC stage moves (not held by the dequantizer)
  wire [TW-1:0] ky = TW'(tap_q / TW'(MaxK));
  wire [TW-1:0] kx = TW'(tap_q % TW'(MaxK));
  wire last_ci = ci_q == ci_i - 1'b1;
  wire last_x = xo_q == wo_i - 1'b1;
  wire last_g = g_q == gco_i - 1'b1;
  wire last_row = yo_q == ho_i - 1'b1;
  wire run_step = state_q == SRun && advance;
  wire block_end = run_step && last_ci && !has_next_tap;

  assign in_re_o = run_step && ci_q[LogP-1:0] == '0;
  assign in_y_o = RowW'(yo_q + RowW'(ky) - RowW'(p_i));
  assign in_x_o = RowW'(xo_q + RowW'(kx) - RowW'(p_i));
  assign in_cg_o = ci_q >> LogP;
  wire [WAW-1:0] w_word = WAW'(((32'(g_q) * 32'(k_i) + 32'(ky)) * 32'(k_i) + 32'(kx)) * 32'(cb_i)
                              + 32'(ci_q >> LogCpw));
  wire [WAW-1:0] dq_word = WAW'(32'(nw_i) + ((32'(g_q) * P) >> 3));
  wire dq_read = state_q == SDqRead && advance;
  assign w_re_o = dq_read || (run_step && ci_q[LogCpw-1:0] == '0);
  assign w_addr_o = dq_read ? dq_word : w_word;
  assign row_wait_o = state_q == SRowWait;
  assign row_o = yo_q;

  // ---------------------------------------------------------------- dequantizer word check
  // Lane j of group g is channel co = g*P + j: scale at bits 32*(co%8), shift 16 bits above.
  logic [P-1:0][15:0] dq_scale, dq_shift;
  logic [P-1:0] lane_ok_g;              // g_q * P + j < co
  logic [P-1:0] lane_bad;
  for (genvar j = 0; j < P; j++) begin : g_dq_lane
    wire [31:0] pair = w_data_i[32 * (((32'(g_q) * P) % 8) + j) +: 32];
    assign dq_scale[j] = pair[15:0];
    assign dq_shift[j] = pair[31:16];
    assign lane_ok_g[j] = 32'(g_q) * P + j < 32'(co_i);
    // A zero, inf or NaN scale, or an inf or NaN shift; subnormals are ordinary values.
    assign lane_bad[j] = lane_ok_g[j] && (pair[14:0] == 15'd0 || pair[14:10] == 5'h1F
                                          || pair[30:26] == 5'h1F);
  end
  wire bad_lane = lane_bad != '0;
  assign bad_o = state_q == SDqCheck && bad_lane;

  // ---------------------------------------------------------------- MAC stage
  logic s1_valid_q, s1_first_q, s1_last_q;
  logic [LogP-1:0] s1_sel_in_q;
  logic [LogCpw-1:0] s1_sel_w_q;
  logic [RowW-1:0] s1_yo_q, s1_xo_q;
  logic [7:0] s1_g_q;
  logic [P-1:0] s1_lane_ok_q;
  logic [P-1:0][AccW-1:0] acc_next;
  logic [P-1:0][3:0] w_lanes;
  logic dq_ready;

  assign w_lanes = w_data_i[32'(s1_sel_w_q) * P * 4 +: P * 4];
  assign advance = !(s1_valid_q && s1_last_q && !dq_ready);
  wire mac_en = s1_valid_q && advance;
  assign mac_o = mac_en;

  rowpipe_mac_array #(.P(P)) u_macs (
    .clk_i, .rst_ni, .en_i(mac_en), .first_i(s1_first_q), .act_i(in_data_i[4 * s1_sel_in_q +: 4]),
    .w_i(w_lanes), .lane_ok_i(s1_lane_ok_q), .acc_next_o(acc_next), .eff_o
  );
  assign dq_stall_o = s1_valid_q && s1_last_q && !dq_ready;

  // ---------------------------------------------------------------- dequantizer
  wire [31:0] lanes_left = 32'(co_i) - 32'(s1_g_q) * P;
  wire [CntW-1:0] dq_n = lanes_left < P ? CntW'(lanes_left) : CntW'(P);
  logic dq_busy;
  logic [TagW-1:0] out_tag;

  rowpipe_dequant #(.P(P), .AccW(AccW), .TagW(TagW)) u_dequant (
    .clk_i, .rst_ni, .clear_i,
    .ready_o(dq_ready), .load_i(mac_en && s1_last_q), .n_i(dq_n),
    .acc_i(acc_next), .scale_i(scale_q), .shift_i(shift_q), .tag_i({s1_yo_q, s1_xo_q, s1_g_q}),
    .op_o(dq_busy), .out_valid_o, .out_y_o, .out_tag_o(out_tag)
  );
  assign dq_op_o = dq_busy;
  assign {out_row_o, out_x_o, out_g_o} = out_tag;
  assign idle_o = state_q == SIdle && !s1_valid_q && !dq_busy && !out_valid_o;

  // ---------------------------------------------------------------- sequencing
  always_ff @(posedge clk_i) begin : p_seq
    if (!rst_ni || clear_i) begin
      state_q <= SIdle;
      s1_valid_q <= 1'b0;
      yo_q <= '0;
      xo_q <= '0;
      g_q <= '0;
      ci_q <= '0;
      tap_q <= '0;
      first_q <= 1'b0;
    end else begin
      case (state_q)
        SIdle: begin
          if (start_i) begin
            state_q <= SRowWait;
            yo_q <= '0;
          end
        end
        SRowWait: begin
          if (row_go_i) begin
            state_q <= SDqRead;
            g_q <= '0;
            xo_q <= '0;
          end
        end
        SDqRead: begin
          if (advance) state_q <= SDqCheck;
        end
        SDqCheck: begin
          state_q <= SRun;
          scale_q <= dq_scale;
          shift_q <= dq_shift;
          tap_q <= first_cur;
          ci_q <= '0;
          first_q <= 1'b1;
        end
        SRun: begin
          if (advance) begin
            first_q <= 1'b0;
            if (!last_ci) begin
              ci_q <= ci_q + 1'b1;
            end else begin
              ci_q <= '0;
              if (has_next_tap) begin
                tap_q <= next_tap;
              end else if (!last_x) begin
                xo_q <= xo_q + 1'b1;
                tap_q <= first_nxt;
                first_q <= 1'b1;
              end else begin
                xo_q <= '0;
                if (!last_g) begin
                  g_q <= g_q + 1'b1;
                  state_q <= SDqRead;
                end else begin
                  g_q <= '0;
                  state_q <= last_row ? SIdle : SRowWait;
                  if (!last_row) yo_q <= yo_q + 1'b1;
                end
              end
            end
          end
        end
        default: state_q <= SIdle;
      endcase
      if (advance) begin
        s1_valid_q <= run_step;
        s1_first_q <= first_q;
        s1_last_q <= block_end;
        s1_sel_in_q <= ci_q[LogP-1:0];
        s1_sel_w_q <= ci_q[LogCpw-1:0];
        s1_yo_q <= yo_q;
        s1_xo_q <= xo_q;
        s1_g_q <= g_q;
        s1_lane_ok_q <= lane_ok_g;
      end
    end
  end
endmodule
