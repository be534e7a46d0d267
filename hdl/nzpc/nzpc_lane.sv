// One NZPC lane: walks its lines of a round (one line a block), fetching S words and the matching
// vector-copy words, and issues one FP16 MAC a visited position into its FP32 accumulator; each
// line's result goes into its C bank. Only a part of nzpc_top, which loads and sequences it.
module nzpc_lane #(
  parameter int SWords = 256,    // S bank words (lines of the lane x words a line)
  parameter int MapWords = 32,   // lines a lane holds (QMax / Lanes): nonempty-word maps
  parameter int CWords = 2048,   // C bank words
  localparam int SAW = $clog2(SWords),
  localparam int MAW = $clog2(MapWords),
  localparam int CAW = $clog2(CWords)
) (
  input  logic           clk_i,
  input  logic           rst_ni,
  input  logic           clear_counts_i,  // perf_clear: the SRAM counters
  input  logic           clear_i,         // soft reset or job start: back to idle
  // S bank and nonempty maps (loader)
  input  logic           s_we_i,
  input  logic [SAW-1:0] s_waddr_i,
  input  logic [271:0]   s_wdata_i,       // {16 allowed flags, 16 FP16 values}
  input  logic           map_we_i,
  input  logic [MAW-1:0] map_waddr_i,
  input  logic [15:0]    map_wdata_i,
  // vector copy (broadcast to every lane)
  input  logic           vc_we_i,
  input  logic           vc_bank_i,
  input  logic [3:0]     vc_waddr_i,
  input  logic [255:0]   vc_wdata_i,
  // job (latched by the top at start)
  input  logic           est_i,           // estimator mode: visit the flagged positions
  input  logic [4:0]     pw_i,            // words a line, 1..16
  input  logic [8:0]     p_i,             // positions a line, 1..256
  input  logic           has_lines_i,     // the lane has a real line in some block
  input  logic [MAW-1:0] last_b_i,        // its last block with a real line
  input  logic           map_prep_i,      // read the map of block 0 (before the first round)
  input  logic           go_i,            // a round starts: fetch its first item now
  input  logic           go_bank_i,       // vector-copy bank of that round
  input  logic [CAW-1:0] rbase_i,         // C address of block 0 of the running round
  // status, for the top's sequencing and counters
  output logic           busy_o,          // working on the round this cycle
  output logic           free_o,          // done with the round after this cycle
  output logic           detect_o,        // a detect cycle
  output logic           eff_o,           // a MAC with two non-zero operands
  output logic           line_end_o,      // a line's result is written this cycle
  output logic [31:0]    line_val_o,
  output logic [MAW-1:0] line_b_o,
  output logic [8:0]     line_skip_o,     // positions of the line not visited
  // C bank: the readback writes it, the drain reads it
  input  logic           rb_we_i,
  input  logic [CAW-1:0] rb_waddr_i,
  input  logic [31:0]    rb_wdata_i,
  input  logic           c_re_i,
  input  logic [CAW-1:0] c_raddr_i,
  output logic [31:0]    c_rdata_o,
  output logic [31:0]    s_rd_o,
  output logic [31:0]    s_wr_o,
  output logic [31:0]    vc_rd_o,
  output logic [31:0]    vc_wr_o,
  output logic [31:0]    c_rd_o,
  output logic [31:0]    c_wr_o
);
  // Lowest set bit of a 16-bit set (0 when empty).
  function automatic logic [3:0] lowest(input logic [15:0] v);
    logic [3:0] idx;
    idx = '0;
    for (int i = 15; i >= 0; i--) begin
      if (v[i]) idx = 4'(i);
    end
    return idx;
  endfunction

  // Positions of word w inside the line (p = 16w + i < P).
  function automatic logic [15:0] pos_mask(input logic [3:0] w, input logic [8:0] p);
    logic [15:0] m;
    for (int i = 0; i < 16; i++) m[i] = {1'b0, w, 4'(i)} < p;
    return m;
  endfunction

  // Non-zero FP16 values (+0 and -0 are zero, subnormals are not).
  function automatic logic [15:0] nonzero(input logic [255:0] word);
    logic [15:0] nz;
    for (int i = 0; i < 16; i++) nz[i] = 15'(word >> (16 * i)) != 15'd0;
    return nz;
  endfunction

  // ---------------------------------------------------------------- banks
  logic           s_re, vc_re, map_re;
  logic [SAW-1:0] s_raddr;
  logic [3:0]     vc_raddr;
  logic [MAW-1:0] map_raddr;
  logic [271:0]   s_rdata;
  logic [15:0]    map_rdata;
  logic [1:0][255:0] vc_rdata;
  logic [1:0][31:0]  vc_rd, vc_wr;
  logic           fetch_bank, c_we;
  logic [CAW-1:0] c_waddr;
  logic [31:0]    c_wdata, map_rd, map_wr;

  sram_1r1w #(.Words(SWords), .Width(272)) u_s_bank (
    .clk_i, .rst_ni, .clear_counts_i,
    .we_i(s_we_i), .waddr_i(s_waddr_i), .wdata_i(s_wdata_i),
    .re_i(s_re), .raddr_i(s_raddr), .rdata_o(s_rdata),
    .rd_count_o(s_rd_o), .wr_count_o(s_wr_o));

  sram_1r1w #(.Words(MapWords), .Width(16)) u_map (
    .clk_i, .rst_ni, .clear_counts_i,
    .we_i(map_we_i), .waddr_i(map_waddr_i), .wdata_i(map_wdata_i),
    .re_i(map_re), .raddr_i(map_raddr), .rdata_o(map_rdata),
    .rd_count_o(map_rd), .wr_count_o(map_wr));

  for (genvar k = 0; k < 2; k++) begin : gen_vc
    sram_1r1w #(.Words(16), .Width(256)) u_vc_bank (
      .clk_i, .rst_ni, .clear_counts_i,
      .we_i(vc_we_i && vc_bank_i == 1'(k)), .waddr_i(vc_waddr_i), .wdata_i(vc_wdata_i),
      .re_i(vc_re && fetch_bank == 1'(k)), .raddr_i(vc_raddr), .rdata_o(vc_rdata[k]),
      .rd_count_o(vc_rd[k]), .wr_count_o(vc_wr[k]));
  end
  assign vc_rd_o = vc_rd[0] + vc_rd[1];
  assign vc_wr_o = vc_wr[0] + vc_wr[1];

  sram_1r1w #(.Words(CWords), .Width(32)) u_c_bank (
    .clk_i, .rst_ni, .clear_counts_i,
    .we_i(c_we), .waddr_i(c_waddr), .wdata_i(c_wdata),
    .re_i(c_re_i), .raddr_i(c_raddr_i), .rdata_o(c_rdata_o),
    .rd_count_o(c_rd_o), .wr_count_o(c_wr_o));

  // ---------------------------------------------------------------- fetch
  // Items: a word with at least one visit, or (estimator mode) one empty-line item that writes +0.
  // The next item is read in the cycle the current one issues its last visit, so the issue stage
  // never waits; a line's nonempty map is read when the line before it starts (wrapping to block 0
  // for the next round), one cycle or more before it is needed.
  logic           f_act_q, f_inl_q, bank_q;
  logic [MAW-1:0] fb_q;
  logic [SAW-1:0] fbase_q;
  logic [3:0]     fw_q;
  logic [15:0]    frem_q;
  logic           iv_q, it_ph_q, it_ll_q, it_rl_q, it_bank_q, fresh_q;
  logic [MAW-1:0] it_b_q;
  logic [3:0]     it_w_q;
  logic           item_done;

  wire            start_line = go_i || !f_inl_q;
  wire [MAW-1:0]  cur_b = go_i ? '0 : fb_q;
  wire [SAW-1:0]  cur_base = go_i ? '0 : fbase_q;
  wire [15:0]     words = start_line ? map_rdata : frem_q;
  wire [3:0]      est_word = lowest(words);
  wire [15:0]     est_rest = words & ~(16'd1 << est_word);
  wire [3:0]      det_word = start_line ? 4'd0 : fw_q;
  wire            phantom = est_i && words == '0;
  wire [3:0]      word = est_i ? est_word : det_word;
  wire            last_in_line = est_i ? est_rest == '0 : {1'b0, det_word} == pw_i - 5'd1;
  wire            last_line = cur_b == last_b_i;
  wire            fire = has_lines_i && (go_i || (f_act_q && (!iv_q || item_done)));

  assign fetch_bank = go_i ? go_bank_i : bank_q;
  assign s_re = fire && !phantom;
  assign s_raddr = cur_base + SAW'(word);
  assign vc_re = fire && !phantom;
  assign vc_raddr = word;
  assign map_re = map_prep_i || (fire && est_i && start_line);
  assign map_raddr = (map_prep_i || last_line) ? '0 : cur_b + MAW'(1);

  always_ff @(posedge clk_i) begin : p_fetch
    if (!rst_ni || clear_i) begin
      f_act_q <= 1'b0;
      f_inl_q <= 1'b0;
      fb_q <= '0;
      fbase_q <= '0;
      fw_q <= '0;
      frem_q <= '0;
      bank_q <= 1'b0;
    end else begin
      if (go_i) bank_q <= go_bank_i;
      if (fire) begin
        f_inl_q <= !last_in_line;
        f_act_q <= !(last_in_line && last_line);
        fb_q <= last_in_line ? cur_b + MAW'(1) : cur_b;
        fbase_q <= last_in_line ? cur_base + SAW'(pw_i) : cur_base;
        fw_q <= word + 4'd1;
        frem_q <= est_rest;
      end
    end
  end

  // ---------------------------------------------------------------- issue
  logic [15:0]    rem_q;
  logic           acc_zero_q;
  logic [31:0]    acc_q;
  logic [8:0]     vis_q;

  wire [15:0]     pm = pos_mask(it_w_q, p_i);
  wire [15:0]     s_nz = nonzero(s_rdata[255:0]) & pm;
  wire [15:0]     s_fl = s_rdata[271:256] & pm;
  wire            det_cyc = iv_q && !it_ph_q && !est_i && fresh_q;
  wire [15:0]     cur = (est_i && fresh_q) ? s_fl : rem_q;
  wire            mac = iv_q && !it_ph_q && !det_cyc;
  wire [3:0]      pick = lowest(cur);
  wire [15:0]     rest = cur & ~(16'd1 << pick);
  assign item_done = iv_q && (it_ph_q || (det_cyc ? s_nz == '0 : rest == '0));
  wire            line_end = item_done && it_ll_q;

  wire [15:0]     v_val = 16'(vc_rdata[it_bank_q] >> {pick, 4'd0});
  wire [15:0]     s_val = 16'(s_rdata >> {pick, 4'd0});
  wire [31:0]     acc_in = acc_zero_q ? 32'd0 : acc_q;
  logic [31:0]    prod, sum;

  fp16_mul u_mul (.a_i(v_val), .b_i(s_val), .p_o(prod));
  fp32_add u_add (.a_i(acc_in), .b_i(prod), .s_o(sum));

  always_ff @(posedge clk_i) begin : p_issue
    if (!rst_ni || clear_i) begin
      iv_q <= 1'b0;
      fresh_q <= 1'b0;
      acc_zero_q <= 1'b1;
      vis_q <= '0;
    end else begin
      fresh_q <= fire;
      if (fire) begin
        iv_q <= 1'b1;
        it_ph_q <= phantom;
        it_ll_q <= last_in_line;
        it_rl_q <= last_in_line && last_line;
        it_b_q <= cur_b;
        it_w_q <= word;
        it_bank_q <= fetch_bank;
      end else if (item_done) begin
        iv_q <= 1'b0;
      end
      if (iv_q) rem_q <= det_cyc ? s_nz : rest;
      if (mac) acc_q <= sum;
      if (line_end) begin
        acc_zero_q <= 1'b1;
        vis_q <= '0;
      end else if (mac) begin
        acc_zero_q <= 1'b0;
        vis_q <= vis_q + 9'd1;
      end
    end
  end

  assign busy_o = iv_q;
  assign free_o = !iv_q || (item_done && it_rl_q);
  assign detect_o = det_cyc;
  assign eff_o = mac && v_val[14:0] != 15'd0 && s_val[14:0] != 15'd0;
  assign line_end_o = line_end;
  assign line_val_o = mac ? sum : acc_in;
  assign line_b_o = it_b_q;
  assign line_skip_o = p_i - vis_q - 9'(mac);

  assign c_we = line_end || rb_we_i;
  assign c_waddr = line_end ? rbase_i + CAW'(it_b_q) : rb_waddr_i;
  assign c_wdata = line_end ? line_val_o : rb_wdata_i;

  // The map counters are not a shell slot (the map is part of the S storage).
  logic unused_map;
  assign unused_map = ^{map_rd, map_wr};
endmodule
