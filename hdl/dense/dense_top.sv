// Dense baseline core: C[MxN] = A[MxK] . B[KxN] on a Rows x Cols output-stationary FP16 array,
// FP32 accumulation in ascending k. The yardstick every sparse core's speedup is measured against.
// Operand words (256-bit beats): A word = Rows rows x (16/Rows) k-steps, B word = Cols cols x (16/Cols)
// k-steps, lane = kstep * Rows + row (A) or kstep * Cols + col (B). Results: one Cols-wide FP32 row
// segment per beat, row-major (m, then n-tile); see verif/dense/dense_codec.py for the packing.
module dense_top
  import accel_pkg::*;
#(
  parameter int Rows = 4,
  parameter int Cols = 4,
  parameter int AWords = 4096,
  parameter int BWords = 4096,
  parameter int CWords = 4096
) (
  input  logic                clk,
  input  logic                rst_n,
  // AXI4-Lite CSR slave
  input  logic                s_axil_awvalid,
  output logic                s_axil_awready,
  input  logic [11:0]         s_axil_awaddr,
  input  logic [2:0]          s_axil_awprot,
  input  logic                s_axil_wvalid,
  output logic                s_axil_wready,
  input  logic [31:0]         s_axil_wdata,
  input  logic [3:0]          s_axil_wstrb,
  output logic                s_axil_bvalid,
  input  logic                s_axil_bready,
  output logic [1:0]          s_axil_bresp,
  input  logic                s_axil_arvalid,
  output logic                s_axil_arready,
  input  logic [11:0]         s_axil_araddr,
  input  logic [2:0]          s_axil_arprot,
  output logic                s_axil_rvalid,
  input  logic                s_axil_rready,
  output logic [31:0]         s_axil_rdata,
  output logic [1:0]          s_axil_rresp,
  // AXI4-Stream operands in
  input  logic [255:0]        s_axis_tdata,
  input  logic                s_axis_tvalid,
  output logic                s_axis_tready,
  input  logic                s_axis_tlast,
  input  logic [3:0]          s_axis_tdest,
  // AXI4-Stream results out
  output logic [Cols*32-1:0]  m_axis_tdata,
  output logic                m_axis_tvalid,
  input  logic                m_axis_tready,
  output logic                m_axis_tlast,
  output logic                irq
);
  localparam int Lanes = 16;                 // FP16 values per operand beat
  localparam int KbA = Lanes / Rows;         // k-steps per A word
  localparam int KbB = Lanes / Cols;         // k-steps per B word
  localparam int NumMult = Rows * Cols;
  localparam int BufA = 0, BufB = 1, BufC = 2;
  localparam int AAddrW = $clog2(AWords), BAddrW = $clog2(BWords), CAddrW = $clog2(CWords);
  localparam int CountW = $clog2(NumMult + 1);
  localparam int RowCntW = $clog2(Rows + 1);
  localparam logic [RowCntW-1:0] RowsCnt = RowCntW'(Rows);
  localparam int SelAW = KbA > 1 ? $clog2(KbA) : 1;
  localparam int SelBW = KbB > 1 ? $clog2(KbB) : 1;

  initial begin : p_check_params
    assert (Rows * KbA == Lanes && Cols * KbB == Lanes)
      else $fatal(1, "Rows and Cols must divide %0d", Lanes);
  end

  // ---------------------------------------------------------------- CSR block
  logic csr_start, csr_soft_reset, csr_irq_clear, csr_perf_clear;
  logic [15:0] dim_m, dim_n, dim_k;
  logic [1:0] phase;
  logic busy, done, error, draining;
  logic [7:0] err_code;
  logic [31:0] cyc_total, cyc_load, cyc_compute, cyc_drain, mac_slots, mac_effectual, mac_skipped;
  logic [31:0] in_stall, out_stall, in_beats, out_beats;
  logic [31:0] sram_rd [3:0];   // descending, as the generated CSR block declares it
  logic [31:0] sram_wr [3:0];

  dense_csr u_csr (
    .clk, .rst_n,
    .s_axil_awready, .s_axil_awvalid, .s_axil_awaddr(s_axil_awaddr[CSR_ADDR_W-1:0]), .s_axil_awprot,
    .s_axil_wready, .s_axil_wvalid, .s_axil_wdata, .s_axil_wstrb,
    .s_axil_bready, .s_axil_bvalid, .s_axil_bresp,
    .s_axil_arready, .s_axil_arvalid, .s_axil_araddr(s_axil_araddr[CSR_ADDR_W-1:0]), .s_axil_arprot,
    .s_axil_rready, .s_axil_rvalid, .s_axil_rdata, .s_axil_rresp,
    .hwif_out_common_ctrl_start(csr_start),
    .hwif_out_common_ctrl_soft_reset(csr_soft_reset),
    .hwif_out_common_ctrl_irq_clear(csr_irq_clear),
    .hwif_out_common_ctrl_perf_clear(csr_perf_clear),
    .hwif_in_common_status_busy(busy),
    .hwif_in_common_status_done(done),
    .hwif_in_common_status_error(error),
    .hwif_in_common_status_draining(draining),
    .hwif_in_common_err_code_code(err_code),
    .hwif_in_common_caps_num_mult(16'(NumMult)),
    .hwif_in_common_caps_num_bufs(8'd3),
    .hwif_in_common_cyc_total_count(cyc_total),
    .hwif_in_common_cyc_load_count(cyc_load),
    .hwif_in_common_cyc_compute_count(cyc_compute),
    .hwif_in_common_cyc_drain_count(cyc_drain),
    .hwif_in_common_mac_slots_count(mac_slots),
    .hwif_in_common_mac_effectual_count(mac_effectual),
    .hwif_in_common_mac_skipped_count(mac_skipped),
    .hwif_in_common_in_stall_count(in_stall),
    .hwif_in_common_out_stall_count(out_stall),
    .hwif_in_common_in_beats_count(in_beats),
    .hwif_in_common_out_beats_count(out_beats),
    .hwif_in_common_sram_rd_count(sram_rd),
    .hwif_in_common_sram_wr_count(sram_wr),
    .hwif_out_dim_m_m(dim_m),
    .hwif_out_dim_n_n(dim_n),
    .hwif_out_dim_k_k(dim_k),
    .hwif_out_phase(phase),
    .hwif_in_array_rows(8'(Rows)),
    .hwif_in_array_cols(8'(Cols)),
    .hwif_in_buf_a_words_words(32'(AWords)),
    .hwif_in_buf_b_words_words(32'(BWords)),
    .hwif_in_buf_c_words_words(32'(CWords))
  );

  // ---------------------------------------------------------------- configuration check
  // Word counts of each buffer for the configured shape; both the loader and start check them.
  function automatic logic [31:0] ceil_div(input logic [31:0] x, input int d);
    return (x + 32'(d) - 1) / 32'(d);
  endfunction

  wire [31:0] m_tiles = ceil_div(32'(dim_m), Rows);
  wire [31:0] n_tiles = ceil_div(32'(dim_n), Cols);
  wire [31:0] a_words = m_tiles * ceil_div(32'(dim_k), KbA);
  wire [31:0] b_words = n_tiles * ceil_div(32'(dim_k), KbB);
  wire [31:0] c_words = 32'(dim_m) * n_tiles;
  wire dims_zero = dim_m == 0 || dim_n == 0 || dim_k == 0;
  wire dims_big = a_words > AWords || b_words > BWords || c_words > CWords;
  wire dims_ok = !dims_zero && !dims_big;
  wire [7:0] dims_err = dims_zero ? ERR_DIM_ZERO : ERR_DIM_OVERSIZE;

  // ---------------------------------------------------------------- operand load
  logic [2:0] buf_we;
  logic [31:0] buf_waddr;
  logic [255:0] buf_wdata;
  logic [1:0] loaded;
  logic loading, load_err;
  logic [7:0] load_err_code;
  logic job_start;       // a start that was not ignored: it ends in compute or in an error
  logic error_at_start;  // the job cannot run: bad shape or phase, operands not loaded
  logic [31:0] expected_words [2];
  assign expected_words[BufA] = a_words;
  assign expected_words[BufB] = b_words;

  axis_loader #(.NumBufs(2), .DataW(256), .DestW(4)) u_loader (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(csr_soft_reset),
    .enable_i(!busy),
    .cfg_ok_i(dims_ok), .cfg_err_code_i(dims_err),
    .expected_words_i(expected_words),
    .clear_loaded_i(job_start && !error_at_start),
    .s_axis_tdata, .s_axis_tvalid, .s_axis_tready, .s_axis_tlast, .s_axis_tdest,
    .we_o(buf_we[1:0]), .waddr_o(buf_waddr), .wdata_o(buf_wdata),
    .loaded_o(loaded), .loading_o(loading),
    .err_o(load_err), .err_code_o(load_err_code)
  );

  // ---------------------------------------------------------------- buffers
  logic a_re, b_re, c_re, c_we;
  logic [AAddrW-1:0] a_raddr;
  logic [BAddrW-1:0] b_raddr;
  logic [CAddrW-1:0] c_raddr, c_waddr;
  logic [255:0] a_rdata, b_rdata;
  logic [Cols*32-1:0] c_rdata, c_wdata;
  wire perf_clear = csr_perf_clear || csr_soft_reset;

  sram_1r1w #(.Words(AWords), .Width(256)) u_buf_a (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufA]), .waddr_i(buf_waddr[AAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(a_re), .raddr_i(a_raddr), .rdata_o(a_rdata),
    .rd_count_o(sram_rd[BufA]), .wr_count_o(sram_wr[BufA]));

  sram_1r1w #(.Words(BWords), .Width(256)) u_buf_b (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(buf_we[BufB]), .waddr_i(buf_waddr[BAddrW-1:0]), .wdata_i(buf_wdata),
    .re_i(b_re), .raddr_i(b_raddr), .rdata_o(b_rdata),
    .rd_count_o(sram_rd[BufB]), .wr_count_o(sram_wr[BufB]));

  sram_1r1w #(.Words(CWords), .Width(Cols*32)) u_buf_c (
    .clk_i(clk), .rst_ni(rst_n), .clear_counts_i(perf_clear),
    .we_i(c_we), .waddr_i(c_waddr), .wdata_i(c_wdata),
    .re_i(c_re), .raddr_i(c_raddr), .rdata_o(c_rdata),
    .rd_count_o(sram_rd[BufC]), .wr_count_o(sram_wr[BufC]));

  assign sram_rd[3] = '0;
  assign sram_wr[3] = '0;
  assign buf_we[BufC] = 1'b0;

  // ---------------------------------------------------------------- job control
  typedef enum logic [0:0] {Idle, Run} state_e;
  state_e state_q;
  logic [15:0] m_q, n_q, k_q;              // shape latched at start
  logic [31:0] m_tiles_q, n_tiles_q;
  logic job_err, job_done;
  logic [7:0] job_err_code;

  wire start_busy = csr_start && (state_q != Idle || draining);
  assign job_start = csr_start && !start_busy;
  wire bad_phase = 8'(phase) > PHASE_WG;
  assign error_at_start = !dims_ok || bad_phase || loaded != 2'b11;
  assign busy = state_q == Run;

  always_comb begin : p_start_check
    job_err = 1'b0;
    job_err_code = ERR_NONE;
    if (start_busy) begin
      job_err = 1'b1;
      job_err_code = ERR_BUSY;
    end else if (job_start && error_at_start) begin
      job_err = 1'b1;
      job_err_code = !dims_ok ? dims_err
                   : bad_phase ? ERR_BAD_PHASE
                   : ERR_NOT_LOADED;
    end
  end

  // ---------------------------------------------------------------- stage 0: step issue and reads
  // Loop order: m-tile, n-tile, k. A step reads a new A (B) word every KbA (KbB) k-steps.
  logic [31:0] mt0_q, nt0_q;
  logic [15:0] k0_q;
  logic issuing_q;                          // stage 0 still has steps to issue
  logic advance;                            // the pipeline moves this cycle

  wire s0_valid = busy && issuing_q;
  wire s0_step = s0_valid && advance;
  wire s0_last_k = k0_q == k_q - 1;
  wire s0_last_n = nt0_q == n_tiles_q - 1;
  wire s0_last_m = mt0_q == m_tiles_q - 1;
  wire [31:0] k_blocks_a = ceil_div(32'(k_q), KbA);
  wire [31:0] k_blocks_b = ceil_div(32'(k_q), KbB);

  assign a_re = s0_step && (32'(k0_q) % KbA == 0);
  assign b_re = s0_step && (32'(k0_q) % KbB == 0);
  assign a_raddr = AAddrW'(mt0_q * k_blocks_a + 32'(k0_q) / KbA);
  assign b_raddr = BAddrW'(nt0_q * k_blocks_b + 32'(k0_q) / KbB);

  // ---------------------------------------------------------------- stage 1: MAC
  logic s1_valid_q, s1_first_q, s1_last_q;
  logic [31:0] s1_mt_q, s1_nt_q;
  logic [SelAW-1:0] s1_sel_a_q;
  logic [SelBW-1:0] s1_sel_b_q;
  logic [Rows-1:0][15:0] a_vec;
  logic [Cols-1:0][15:0] b_vec;
  logic [Rows-1:0] row_valid;
  logic [Cols-1:0] col_valid;
  logic [Rows*Cols*32-1:0] acc_next;
  logic [CountW-1:0] effectual;

  always_comb begin : p_operands
    for (int i = 0; i < Rows; i++) begin
      a_vec[i] = a_rdata[(32'(s1_sel_a_q) * Rows + i) * 16 +: 16];
      row_valid[i] = s1_mt_q * Rows + 32'(i) < 32'(m_q);
    end
    for (int j = 0; j < Cols; j++) begin
      b_vec[j] = b_rdata[(32'(s1_sel_b_q) * Cols + j) * 16 +: 16];
      col_valid[j] = s1_nt_q * Cols + 32'(j) < 32'(n_q);
    end
  end

  wire mac_en = s1_valid_q && advance;

  dense_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i(clk), .rst_ni(rst_n),
    .en_i(mac_en), .first_i(s1_first_q),
    .a_i(a_vec), .b_i(b_vec), .row_valid_i(row_valid), .col_valid_i(col_valid),
    .acc_next_o(acc_next), .effectual_o(effectual)
  );

  // ---------------------------------------------------------------- writeback
  // A finished tile is copied to wb_data_q and written one row per cycle while the next tile
  // computes; the pipeline holds only if a tile finishes before the previous one is written.
  logic [Rows*Cols*32-1:0] wb_data_q;
  logic [31:0] wb_mt_q, wb_nt_q;
  logic [Cols-1:0] wb_col_valid_q;
  logic [RowCntW-1:0] wb_left_q, wb_row_q;

  assign advance = !(s1_valid_q && s1_last_q && wb_left_q > 1);
  wire tile_end = mac_en && s1_last_q;
  wire [31:0] rows_left = 32'(m_q) - s1_mt_q * Rows;
  wire [RowCntW-1:0] rows_in_tile = rows_left < Rows ? rows_left[RowCntW-1:0] : RowsCnt;

  assign c_we = wb_left_q != 0;
  assign c_waddr = CAddrW'((wb_mt_q * Rows + 32'(wb_row_q)) * n_tiles_q + wb_nt_q);
  always_comb begin : p_wb_row
    for (int j = 0; j < Cols; j++) begin
      c_wdata[j*32 +: 32] = wb_col_valid_q[j] ? wb_data_q[(32'(wb_row_q) * Cols + j) * 32 +: 32] : 32'd0;
    end
  end

  // ---------------------------------------------------------------- sequencing
  wire pipeline_empty = !issuing_q && !s1_valid_q && wb_left_q == 0;
  assign job_done = busy && pipeline_empty;

  always_ff @(posedge clk) begin : p_seq
    if (!rst_n || csr_soft_reset) begin
      state_q <= Idle;
      issuing_q <= 1'b0;
      s1_valid_q <= 1'b0;
      wb_left_q <= '0;
      m_q <= '0;
      n_q <= '0;
      k_q <= '0;
      m_tiles_q <= '0;
      n_tiles_q <= '0;
      mt0_q <= '0;
      nt0_q <= '0;
      k0_q <= '0;
    end else begin
      if (job_start && !error_at_start) begin
        state_q <= Run;
        issuing_q <= 1'b1;
        m_q <= dim_m;
        n_q <= dim_n;
        k_q <= dim_k;
        m_tiles_q <= m_tiles;
        n_tiles_q <= n_tiles;
        mt0_q <= '0;
        nt0_q <= '0;
        k0_q <= '0;
      end else if (job_done) begin
        state_q <= Idle;
      end
      // stage 0 counters
      if (s0_step) begin
        k0_q <= s0_last_k ? '0 : k0_q + 1;
        if (s0_last_k) begin
          nt0_q <= s0_last_n ? '0 : nt0_q + 1;
          if (s0_last_n) begin
            mt0_q <= mt0_q + 1;
            if (s0_last_m) issuing_q <= 1'b0;
          end
        end
      end
      // stage 1 registers
      if (advance) begin
        s1_valid_q <= s0_valid;
        s1_first_q <= k0_q == 0;
        s1_last_q <= s0_last_k;
        s1_mt_q <= mt0_q;
        s1_nt_q <= nt0_q;
        s1_sel_a_q <= SelAW'(32'(k0_q) % KbA);
        s1_sel_b_q <= SelBW'(32'(k0_q) % KbB);
      end
      // writeback
      if (tile_end) begin
        wb_data_q <= acc_next;
        wb_mt_q <= s1_mt_q;
        wb_nt_q <= s1_nt_q;
        wb_col_valid_q <= col_valid;
        wb_left_q <= rows_in_tile;
        wb_row_q <= '0;
      end else if (wb_left_q != 0) begin
        wb_left_q <= wb_left_q - 1;
        wb_row_q <= wb_row_q + 1;
      end
    end
  end

  // ---------------------------------------------------------------- results out
  buf_drain #(.DataW(Cols*32), .AddrW(CAddrW)) u_drain (
    .clk_i(clk), .rst_ni(rst_n), .soft_reset_i(csr_soft_reset),
    .start_i(job_done), .words_i(32'(m_q) * n_tiles_q), .draining_o(draining),
    .re_o(c_re), .raddr_o(c_raddr), .rdata_i(c_rdata),
    .m_axis_tdata, .m_axis_tvalid, .m_axis_tready, .m_axis_tlast
  );

  // ---------------------------------------------------------------- status and counters
  accel_ctrl #(.NumMult(NumMult)) u_ctrl (
    .clk_i(clk), .rst_ni(rst_n),
    .start_i(job_start), .soft_reset_i(csr_soft_reset), .irq_clear_i(csr_irq_clear),
    .perf_clear_i(csr_perf_clear),
    .job_done_i(job_done), .job_err_i(job_err), .job_err_code_i(job_err_code),
    .load_err_i(load_err), .load_err_code_i(load_err_code),
    .busy_i(busy), .loading_i(loading), .draining_i(draining),
    .mac_units_i(CountW'(NumMult)), .mac_effectual_inc_i(effectual), .mac_skipped_inc_i(CountW'(0)),
    .in_valid_i(s_axis_tvalid), .in_ready_i(s_axis_tready),
    .out_valid_i(m_axis_tvalid), .out_ready_i(m_axis_tready),
    .done_o(done), .error_o(error), .err_code_o(err_code), .irq_o(irq),
    .cyc_total_o(cyc_total), .cyc_load_o(cyc_load), .cyc_compute_o(cyc_compute),
    .cyc_drain_o(cyc_drain), .mac_slots_o(mac_slots), .mac_effectual_o(mac_effectual),
    .mac_skipped_o(mac_skipped), .in_stall_o(in_stall), .out_stall_o(out_stall),
    .in_beats_o(in_beats), .out_beats_o(out_beats)
  );
endmodule
