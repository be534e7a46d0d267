// FCSR decoder of DQ-STP: reads one FCSR frame (row flags, a K-bit bitmap per flagged row, packed
// int8 values; models/formats.py:FCSR with 256-bit words) from the F buffer and writes the non-zero
// list {row, col, value} in row-major order plus a row-pointer table, 16 bitmap bits per cycle.
// It checks the frame and stops at the first fault with a core error code (dqstp_csr.rdl).
module dqstp_fcsr_decode
  import accel_pkg::*;
#(
  parameter int MaxN = 1024,
  localparam int Chunk = 16                  // bitmap bits looked at per cycle
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         soft_reset_i,
  input  logic         start_i,              // pulse: decode with the shape below
  input  logic [15:0]  n_i,                  // rows of S
  input  logic [15:0]  k_i,                  // columns of S
  input  logic [31:0]  nnz_i,                // values the frame carries (FCSR_NNZ)
  input  logic [31:0]  words_i,              // words of the frame (FCSR_WORDS)
  // F buffer read ports (combinational): 0/1 bitmap word pair, 2/3 value word pair
  output logic [3:0][31:0]  f_raddr_o,
  input  logic [3:0][255:0] f_rdata_i,
  output logic [2:0]   f_reads_o,            // F words read this cycle (SRAM_RD counter)
  // non-zero list and row-pointer table write ports
  output logic [Chunk-1:0] list_we_o,
  output logic [Chunk-1:0][31:0] list_waddr_o,
  output logic [Chunk-1:0][39:0] list_wdata_o, // {row[15:0], col[15:0], value[7:0]}
  output logic         rp_we_o,
  output logic [31:0]  rp_waddr_o,
  output logic [31:0]  rp_wdata_o,
  output logic         busy_o,
  output logic         done_o,               // pulse: list complete and the frame is well formed
  output logic         err_o,                // pulse: the frame is malformed (err_code_o says how)
  output logic [7:0]   err_code_o,
  output logic [31:0]  nnz_o                 // non-zeros written so far
);
  typedef enum logic [1:0] {Idle, Flags, Rows, Check} state_e;
  state_e state_q;
  logic [MaxN-1:0] flags_q;                  // row flags, cached so rows need no flag read
  logic [31:0] fw_q;                         // words of the flag section
  logic [31:0] wp_q;                         // flag word being read
  logic [31:0] nflag_q;                      // flagged rows
  logic [31:0] r_q, f_q, c_q;                // row, flagged-row index, chunk in the row
  logic [31:0] cnt_q;                        // non-zeros so far
  logic [31:0] rowcnt_q;                     // non-zeros of the current row so far

  // Section sizes; each section is at least one word (formats.pack_fields).
  function automatic logic [31:0] words_of(input logic [31:0] bits);
    return bits == 0 ? 32'd1 : (bits + 32'd255) >> 8;
  endfunction
  wire [31:0] bm_bits = nflag_q * 32'(k_i);
  wire [31:0] bw = words_of(bm_bits);
  wire [31:0] vbase = fw_q + bw;
  wire [31:0] vw = words_of(nnz_i << 3);

  // ---------------------------------------------------------------- flag section
  // Flag word wp_q: bits at or past row N are padding and must be zero.
  wire [31:0] flag_base = wp_q << 8;
  logic [255:0] flag_valid;
  always_comb begin : p_flag_valid
    for (int b = 0; b < 256; b++) flag_valid[b] = flag_base + 32'(b) < 32'(n_i);
  end
  wire [255:0] flag_word = f_rdata_i[0];
  wire flag_past_end = |(flag_word & ~flag_valid);
  wire [8:0] flag_pc = 9'($countones(flag_word & flag_valid));

  // ---------------------------------------------------------------- one bitmap chunk of row r
  wire row_flag = flags_q[r_q[$clog2(MaxN)-1:0]];
  wire [31:0] bit_addr = f_q * 32'(k_i) + (c_q << 4);  // within the bitmap section
  wire [31:0] col0 = c_q << 4;
  wire last_chunk = col0 + Chunk >= 32'(k_i);
  logic [511:0] bm_pair, val_pair;
  logic [Chunk-1:0] chunk_bits;
  logic [4:0] chunk_pc;
  logic [4:0] prefix [Chunk];
  assign bm_pair = {f_rdata_i[1], f_rdata_i[0]};
  assign val_pair = {f_rdata_i[3], f_rdata_i[2]};

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

  // Bitmap padding after the last flagged row lies in the section's last word.
  wire [7:0] pad_from = bm_bits[7:0];
  wire bm_pad_bad = bm_bits == 0 ? |f_rdata_i[0]
                  : (pad_from != 0) && |(f_rdata_i[0] >> pad_from);

  // Each read address is assigned once (a default-then-override would glitch the read loop in Icarus).
  wire [31:0] bm_word = state_q == Check ? fw_q + bw - 32'd1 : fw_q + (bit_addr >> 8);
  assign f_raddr_o[0] = state_q == Flags ? wp_q : bm_word;
  assign f_raddr_o[1] = fw_q + (bit_addr >> 8) + 32'd1;
  assign f_raddr_o[2] = vbase + (cnt_q >> 5);
  assign f_raddr_o[3] = vbase + (cnt_q >> 5) + 32'd1;
  assign f_reads_o = state_q == Flags || state_q == Check ? 3'd1
                   : state_q == Rows && row_flag && r_q < 32'(n_i) ? (chunk_pc != 0 ? 3'd4 : 3'd2)
                   : 3'd0;

  // ---------------------------------------------------------------- list writes
  wire rows_step = state_q == Rows && r_q < 32'(n_i);
  wire row_done = rows_step && (!row_flag || last_chunk);
  wire over_count = rows_step && row_flag && cnt_q + 32'(chunk_pc) > nnz_i;
  wire empty_row = rows_step && row_flag && last_chunk && rowcnt_q + 32'(chunk_pc) == 0;

  always_comb begin : p_list
    for (int j = 0; j < Chunk; j++) begin
      logic [5:0] vpos;
      vpos = 6'(cnt_q[4:0]) + 6'(prefix[j]);     // byte within the value word pair
      list_we_o[j] = rows_step && row_flag && chunk_bits[j] && !over_count;
      list_waddr_o[j] = cnt_q + 32'(prefix[j]);
      list_wdata_o[j] = {r_q[15:0], col0[15:0] + 16'(j), val_pair[vpos*8 +: 8]};
    end
  end
  assign rp_we_o = row_done && !over_count && !empty_row;
  assign rp_waddr_o = r_q + 32'd1;
  assign rp_wdata_o = cnt_q + (row_flag ? 32'(chunk_pc) : 32'd0);
  assign busy_o = state_q != Idle;
  assign nnz_o = cnt_q;

  // ---------------------------------------------------------------- sequencing and checks
  always_comb begin : p_outcome
    done_o = 1'b0;
    err_o = 1'b0;
    err_code_o = ERR_NONE;
    if (state_q == Flags && flag_past_end) begin
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
      wp_q <= '0;
      nflag_q <= '0;
      r_q <= '0;
      f_q <= '0;
      c_q <= '0;
      cnt_q <= '0;
      rowcnt_q <= '0;
    end else if (start_i) begin
      state_q <= Flags;
      fw_q <= words_of(32'(n_i));
      wp_q <= '0;
      nflag_q <= '0;
      r_q <= '0;
      f_q <= '0;
      c_q <= '0;
      cnt_q <= '0;
      rowcnt_q <= '0;
    end else if (err_o || done_o) begin
      state_q <= Idle;
    end else begin
      case (state_q)
        Flags: begin
          for (int b = 0; b < 256; b++) begin
            if (flag_base + 32'(b) < MaxN) begin
              flags_q[flag_base + 32'(b)] <= flag_word[b] && flag_valid[b];
            end
          end
          nflag_q <= nflag_q + 32'(flag_pc);
          wp_q <= wp_q + 1;
          if (wp_q + 1 == fw_q) state_q <= Rows;
        end
        Rows: begin
          if (r_q >= 32'(n_i)) begin
            state_q <= Check;
          end else if (row_flag) begin
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
          end else begin
            r_q <= r_q + 1;
          end
        end
        default: ;
      endcase
    end
  end
endmodule
