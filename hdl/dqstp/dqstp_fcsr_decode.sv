// FCSR decoder of DQ-STP: reads one FCSR frame (row flags, a K-bit bitmap per flagged row, packed
// int8 values; models/formats.py:FCSR with 256-bit words) through the F buffer's one read port and
// writes the non-zero list {row, col, value} in row-major order (up to 16 entries a cycle, at
// consecutive indices) and one (start, end) row-pointer pair per row, 16 bitmap bits per cycle.
// F reads have one cycle of latency: the flag words stream in, then a two-word window per section
// (bitmap, values) is kept filled ahead of the row walk, each word read once; a row step that needs a
// word not yet there waits (wait_o, DECODE_WAIT). It checks the frame and stops at the first fault
// with a core error code (dqstp_csr.rdl). The row flags are cached in MaxN flip-flops.
module dqstp_fcsr_decode
  import accel_pkg::*;
#(
  parameter int MaxN = 1024,
  parameter int FWords = 1024,
  localparam int Chunk = 16,                 // bitmap bits looked at per cycle
  localparam int FAW = FWords > 1 ? $clog2(FWords) : 1
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         soft_reset_i,
  input  logic         start_i,              // pulse: decode with the shape below
  input  logic [15:0]  n_i,                  // rows of S
  input  logic [15:0]  k_i,                  // columns of S
  input  logic [31:0]  nnz_i,                // values the frame carries (FCSR_NNZ)
  input  logic [31:0]  words_i,              // words of the frame (FCSR_WORDS)
  // F buffer read port (sram_1r1w: data the cycle after the read)
  output logic         f_re_o,
  output logic [FAW-1:0] f_raddr_o,
  input  logic [255:0] f_rdata_i,
  // non-zero list and row-pointer writes
  output logic [Chunk-1:0] list_we_o,
  output logic [Chunk-1:0][31:0] list_waddr_o,
  output logic [Chunk-1:0][39:0] list_wdata_o, // {row[15:0], col[15:0], value[7:0]}
  output logic         rp_we_o,
  output logic [15:0]  rp_row_o,
  output logic [31:0]  rp_start_o,           // list index of the row's first non-zero
  output logic [31:0]  rp_end_o,             // one past its last
  output logic         wait_o,               // a row step waits for an F word this cycle
  output logic         busy_o,
  output logic         done_o,               // pulse: list complete and the frame is well formed
  output logic         err_o,                // pulse: the frame is malformed (err_code_o says how)
  output logic [7:0]   err_code_o,
  output logic [31:0]  nnz_o                 // non-zeros written so far
);
  typedef enum logic [2:0] {Idle, Flags, Rows, Pad, Check} state_e;
  state_e state_q;
  logic [MaxN-1:0] flags_q;                  // row flags, cached so rows need no flag read
  logic [31:0] fw_q;                         // words of the flag section
  logic [31:0] flag_c_q;                     // Flags: word read this cycle; word c-1 arrives
  logic [31:0] nflag_q;                      // flagged rows
  logic [31:0] r_q, f_q, c_q;                // row, flagged-row index, chunk in the row
  logic [31:0] cnt_q;                        // non-zeros so far
  logic [31:0] rowcnt_q;                     // non-zeros of the current row so far
  logic pad_in_q;                            // Check: the padding word was read (inside F)

  // Section sizes; each section is at least one word (formats.pack_fields).
  function automatic logic [31:0] words_of(input logic [31:0] bits);
    return bits == 0 ? 32'd1 : (bits + 32'd255) >> 8;
  endfunction
  wire [31:0] bm_bits = nflag_q * 32'(k_i);
  wire [31:0] bw = words_of(bm_bits);
  wire [31:0] vbase = fw_q + bw;
  wire [31:0] vw = words_of(nnz_i << 3);

  // ---------------------------------------------------------------- flag section
  // Word flag_c_q - 1 arrives; bits at or past row N are padding and must be zero.
  wire flag_got = state_q == Flags && flag_c_q != 0;
  wire [31:0] flag_base = (flag_c_q - 32'd1) << 8;
  logic [255:0] flag_valid;
  always_comb begin : p_flag_valid
    for (int b = 0; b < 256; b++) flag_valid[b] = flag_base + 32'(b) < 32'(n_i);
  end
  wire [255:0] flag_word = f_rdata_i;
  wire flag_past_end = flag_got && |(flag_word & ~flag_valid);
  wire [8:0] flag_pc = 9'($countones(flag_word & flag_valid));

  // ---------------------------------------------------------------- section windows
  // Stream 0: the bitmap, at word fw + bit_addr / 256; stream 1: the values, at word
  // vbase + cnt / 32. Each keeps its current word (lo) and the next (hi) in two slots.
  wire row_flag = flags_q[r_q[$clog2(MaxN)-1:0]];
  wire [31:0] bit_addr = f_q * 32'(k_i) + (c_q << 4);  // within the bitmap section
  logic [1:0][31:0] lo_w, hi_w, sec_end;
  assign lo_w[0] = fw_q + (bit_addr >> 8);
  assign lo_w[1] = vbase + (cnt_q >> 5);
  assign hi_w[0] = lo_w[0] + 32'd1;
  assign hi_w[1] = lo_w[1] + 32'd1;
  assign sec_end[0] = vbase;
  assign sec_end[1] = vbase + vw;
  logic pend_q, pend_s_q;                    // a window read was issued last cycle, for stream s
  logic [31:0] pend_w_q;                     // ...of this word
  logic [1:0] lo_ok, hi_ok, lo_need, hi_need;
  logic [1:0][255:0] lo_d, hi_d;

  for (genvar s = 0; s < 2; s++) begin : gen_window
    logic [1:0][31:0] tag_q;
    logic [1:0][255:0] data_q;
    logic [1:0] valid_q;
    wire arriving = pend_q && pend_s_q == 1'(s);
    wire lo_arr = arriving && pend_w_q == lo_w[s];
    wire hi_arr = arriving && pend_w_q == hi_w[s];
    wire [1:0] lo_hit = valid_q & {tag_q[1] == lo_w[s], tag_q[0] == lo_w[s]};
    wire [1:0] hi_hit = valid_q & {tag_q[1] == hi_w[s], tag_q[0] == hi_w[s]};
    // A word past the F buffer reads as zero (a frame whose sections outrun FCSR_WORDS fails Check).
    assign lo_ok[s] = lo_w[s] >= FWords || lo_arr || |lo_hit;
    assign hi_ok[s] = hi_w[s] >= FWords || hi_arr || |hi_hit;
    assign lo_d[s] = lo_w[s] >= FWords ? '0 : lo_arr ? f_rdata_i
                    : lo_hit[0] ? data_q[0] : data_q[1];
    assign hi_d[s] = hi_w[s] >= FWords ? '0 : hi_arr ? f_rdata_i
                    : hi_hit[0] ? data_q[0] : data_q[1];
    assign lo_need[s] = state_q == Rows && !lo_ok[s] && lo_w[s] < sec_end[s];
    assign hi_need[s] = state_q == Rows && !hi_ok[s] && hi_w[s] < sec_end[s];
    // The arriving word takes the slot that does not hold the other word of the window.
    wire victim = valid_q[0] && (tag_q[0] == lo_w[s] || tag_q[0] == hi_w[s]);
    always_ff @(posedge clk_i) begin : p_slots
      if (!rst_ni || soft_reset_i || start_i) begin
        valid_q <= '0;
      end else if (arriving) begin
        valid_q[victim] <= 1'b1;
        tag_q[victim] <= pend_w_q;
        data_q[victim] <= f_rdata_i;
      end
    end
  end

  // One F read a cycle: flag words, then the windows (current words first), then the padding word.
  wire flag_issue = state_q == Flags && flag_c_q < fw_q;
  wire [31:0] pad_w = fw_q + bw - 32'd1;
  wire pad_issue = state_q == Pad && pad_w < FWords;
  wire win_s = !lo_need[0] && (lo_need[1] || !hi_need[0]);
  wire win_req = |lo_need || |hi_need;
  wire [31:0] win_w = lo_need[0] ? lo_w[0] : lo_need[1] ? lo_w[1] : hi_need[0] ? hi_w[0] : hi_w[1];
  assign f_re_o = flag_issue || win_req || pad_issue;
  assign f_raddr_o = FAW'(flag_issue ? flag_c_q : pad_issue ? pad_w : win_w);

  // ---------------------------------------------------------------- one bitmap chunk of row r
  wire [31:0] col0 = c_q << 4;
  wire last_chunk = col0 + Chunk >= 32'(k_i);
  wire [31:0] chunk_len = last_chunk ? 32'(k_i) - col0 : 32'(Chunk);
  logic [511:0] bm_pair, val_pair;
  logic [Chunk-1:0] chunk_bits;
  logic [4:0] chunk_pc;
  logic [4:0] prefix [Chunk];
  assign bm_pair = {hi_d[0], lo_d[0]};
  assign val_pair = {hi_d[1], lo_d[1]};

  always_comb begin : p_chunk
    logic [511:0] shifted;
    logic [4:0] run;
    shifted = bm_pair >> bit_addr[7:0];
    run = '0;
    for (int j = 0; j < Chunk; j++) begin
      chunk_bits[j] = shifted[j] && (col0 + 32'(j) < 32'(k_i));
      prefix[j] = run;
      run = run + 5'(chunk_bits[j]);
    end
    chunk_pc = run;
  end

  // A step needs the chunk's bitmap word(s), and the value word(s) of its non-zeros.
  wire bm_ready = lo_ok[0] && (32'(bit_addr[7:0]) + chunk_len <= 256 || hi_ok[0]);
  wire val_ready = chunk_pc == 0
                   || lo_ok[1] && (6'(cnt_q[4:0]) + 6'(chunk_pc) <= 6'd32 || hi_ok[1]);
  wire rows_step = state_q == Rows && r_q < 32'(n_i);
  wire over_count = rows_step && row_flag && bm_ready && cnt_q + 32'(chunk_pc) > nnz_i;
  wire empty_row = rows_step && row_flag && bm_ready && last_chunk && rowcnt_q + 32'(chunk_pc) == 0;
  wire step_go = rows_step && (!row_flag || bm_ready && (over_count || val_ready));
  wire row_done = step_go && (!row_flag || last_chunk);
  assign wait_o = rows_step && !step_go;

  // Bitmap padding after the last flagged row lies in the section's last word.
  wire [255:0] pad_word = pad_in_q ? f_rdata_i : '0;
  wire [7:0] pad_from = bm_bits[7:0];
  wire bm_pad_bad = bm_bits == 0 ? |pad_word : (pad_from != 0) && |(pad_word >> pad_from);

  // ---------------------------------------------------------------- list and row-pointer writes
  always_comb begin : p_list
    for (int j = 0; j < Chunk; j++) begin
      logic [5:0] vpos;
      vpos = 6'(cnt_q[4:0]) + 6'(prefix[j]);     // byte within the value word pair
      list_we_o[j] = step_go && row_flag && chunk_bits[j] && !over_count;
      list_waddr_o[j] = cnt_q + 32'(prefix[j]);
      list_wdata_o[j] = {r_q[15:0], col0[15:0] + 16'(j), val_pair[vpos*8 +: 8]};
    end
  end
  assign rp_we_o = row_done && !over_count && !empty_row;
  assign rp_row_o = r_q[15:0];
  assign rp_start_o = cnt_q - rowcnt_q;
  assign rp_end_o = cnt_q + (row_flag ? 32'(chunk_pc) : 32'd0);
  assign busy_o = state_q != Idle;
  assign nnz_o = cnt_q;

  // ---------------------------------------------------------------- sequencing and checks
  always_comb begin : p_outcome
    done_o = 1'b0;
    err_o = 1'b0;
    err_code_o = ERR_NONE;
    if (flag_past_end) begin
      err_o = 1'b1;
      err_code_o = DQSTP_ERR_FCSR_ROW_RANGE;
    end else if (over_count) begin
      err_o = 1'b1;
      err_code_o = DQSTP_ERR_FCSR_COUNT;
    end else if (empty_row) begin
      err_o = 1'b1;
      err_code_o = DQSTP_ERR_FCSR_EMPTY_ROW;
    end else if (state_q == Check) begin
      if (bm_pad_bad) begin
        err_o = 1'b1;
        err_code_o = DQSTP_ERR_FCSR_ROW_RANGE;
      end else if (cnt_q != nnz_i || fw_q + bw + vw != words_i) begin
        err_o = 1'b1;
        err_code_o = DQSTP_ERR_FCSR_COUNT;
      end else begin
        done_o = 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i) begin : p_seq
    if (!rst_ni || soft_reset_i) begin
      state_q <= Idle;
      flags_q <= '0;
      fw_q <= '0;
      flag_c_q <= '0;
      nflag_q <= '0;
      r_q <= '0;
      f_q <= '0;
      c_q <= '0;
      cnt_q <= '0;
      rowcnt_q <= '0;
      pend_q <= 1'b0;
      pend_s_q <= 1'b0;
      pend_w_q <= '0;
      pad_in_q <= 1'b0;
    end else if (start_i) begin
      state_q <= Flags;
      fw_q <= words_of(32'(n_i));
      flag_c_q <= '0;
      nflag_q <= '0;
      r_q <= '0;
      f_q <= '0;
      c_q <= '0;
      cnt_q <= '0;
      rowcnt_q <= '0;
      pend_q <= 1'b0;
    end else begin
      pend_q <= win_req && !flag_issue && !pad_issue;
      pend_s_q <= win_s;
      pend_w_q <= win_w;
      pad_in_q <= pad_issue;
      if (err_o || done_o) begin
        state_q <= Idle;
      end else begin
        case (state_q)
          Flags: begin
            flag_c_q <= flag_c_q + 1;
            if (flag_got) begin
              for (int b = 0; b < 256; b++) begin
                if (flag_base + 32'(b) < MaxN) begin
                  flags_q[flag_base + 32'(b)] <= flag_word[b] && flag_valid[b];
                end
              end
              nflag_q <= nflag_q + 32'(flag_pc);
              if (flag_c_q == fw_q) state_q <= Rows;
            end
          end
          Rows: begin
            if (r_q >= 32'(n_i)) begin
              state_q <= Pad;
            end else if (step_go && row_flag) begin
              cnt_q <= cnt_q + 32'(chunk_pc);
              if (last_chunk) begin
                r_q <= r_q + 1;
                f_q <= f_q + 1;
                c_q <= '0;
                rowcnt_q <= '0;
              end else begin
                c_q <= c_q + 1;
                rowcnt_q <= rowcnt_q + 32'(chunk_pc);
              end
            end else if (step_go) begin
              r_q <= r_q + 1;
            end
          end
          Pad: state_q <= Check;
          default: ;
        endcase
      end
    end
  end
endmodule
