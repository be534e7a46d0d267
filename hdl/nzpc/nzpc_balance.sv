// Static lane balance at the end of an FF job: for BP's lines (FF columns) then WG's (FF rows),
// per block the line of largest cost goes to the least loaded free lane, one step a cycle.
// Only a part of nzpc_top (it reads the counts through the top and writes its schedule buffers).
module nzpc_balance #(
  parameter int Lanes = 16,
  parameter int BW = 5,                           // block address bits (the larger list)
  localparam int SW = $clog2(Lanes),              // bits of a schedule field
  localparam int LW = $clog2(Lanes + 1)
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clear_i,         // soft reset
  input  logic                   start_i,
  input  logic [15:0]            lines_bp_i,      // FF N
  input  logic [15:0]            lines_wg_i,      // FF M
  output logic                   busy_o,
  // counts of a block: read at cycle t, cnt_i holds them at t+1
  output logic                   cnt_re_o,
  output logic                   cnt_list_o,      // 0 BP (column counts), 1 WG (row counts)
  output logic [BW-1:0]          cnt_raddr_o,
  input  logic [Lanes-1:0][15:0] cnt_i,
  // schedule word of a block: field j = lane of line b * Lanes + j
  output logic                   sched_we_o,
  output logic                   sched_list_o,
  output logic [BW-1:0]          sched_waddr_o,
  output logic [Lanes*SW-1:0]    sched_wdata_o
);
  typedef enum logic [1:0] {Idle, Read, Load, Step} state_e;
  state_e state_q;
  logic list_q;
  logic [BW-1:0] b_q;
  logic [LW-1:0] step_q;
  logic [Lanes-1:0][16:0] cost_q;
  logic [Lanes-1:0][31:0] load_q;
  logic [Lanes-1:0] line_taken_q, lane_taken_q;
  logic [Lanes-1:0][SW-1:0] perm_q;

  wire [15:0] lines = list_q ? lines_wg_i : lines_bp_i;
  wire [31:0] blocks = (32'(lines) + Lanes - 1) / Lanes;
  wire last_block = 32'(b_q) + 1 == blocks;

  // The free line of largest cost (lowest j on ties), the free lane of least load (lowest lane).
  function automatic logic [SW-1:0] pick_line(input logic [Lanes-1:0][16:0] cost,
                                              input logic [Lanes-1:0] taken);
    logic [SW-1:0] best;
    logic found;
    best = '0;
    found = 1'b0;
    for (int j = 0; j < Lanes; j++) begin
      if (!taken[j] && (!found || cost[j] > cost[best])) begin
        best = SW'(j);
        found = 1'b1;
      end
    end
    pick_line = best;  // not `return`: Yosys (make area) rejects it here
  endfunction

  function automatic logic [SW-1:0] pick_lane(input logic [Lanes-1:0][31:0] load,
                                              input logic [Lanes-1:0] taken);
    logic [SW-1:0] best;
    logic found;
    best = '0;
    found = 1'b0;
    for (int l = 0; l < Lanes; l++) begin
      if (!taken[l] && (!found || load[l] < load[best])) begin
        best = SW'(l);
        found = 1'b1;
      end
    end
    pick_lane = best;
  endfunction

  wire [SW-1:0] jmax = pick_line(cost_q, line_taken_q);
  wire [SW-1:0] lmin = pick_lane(load_q, lane_taken_q);
  logic [Lanes-1:0][SW-1:0] perm_next;
  always_comb begin : p_perm
    for (int j = 0; j < Lanes; j++) perm_next[j] = SW'(j) == jmax ? lmin : perm_q[j];
  end

  wire step_last = 32'(step_q) == Lanes - 1;

  always_ff @(posedge clk_i) begin : p_fsm
    if (!rst_ni || clear_i) begin
      state_q <= Idle;
      list_q <= 1'b0;
      b_q <= '0;
      step_q <= '0;
      load_q <= '0;
    end else begin
      case (state_q)
        Idle: begin
          if (start_i) begin
            state_q <= Read;
            list_q <= 1'b0;
            b_q <= '0;
            load_q <= '0;
          end
        end
        Read: state_q <= Load;
        Load: begin
          for (int j = 0; j < Lanes; j++) begin
            cost_q[j] <= 32'(b_q) * Lanes + 32'(j) >= 32'(lines) ? 17'd0
                       : cnt_i[j] == 16'd0 ? 17'd1 : {1'b0, cnt_i[j]};
          end
          line_taken_q <= '0;
          lane_taken_q <= '0;
          step_q <= '0;
          state_q <= Step;
        end
        default: begin  // Step
          perm_q <= perm_next;
          load_q[lmin] <= load_q[lmin] + 32'(cost_q[jmax]);
          line_taken_q[jmax] <= 1'b1;
          lane_taken_q[lmin] <= 1'b1;
          step_q <= step_q + LW'(1);
          if (step_last) begin
            state_q <= Read;
            if (last_block) begin
              b_q <= '0;
              load_q <= '0;
              list_q <= 1'b1;
              if (list_q) state_q <= Idle;
            end else begin
              b_q <= b_q + BW'(1);
            end
          end
        end
      endcase
    end
  end

  assign busy_o = state_q != Idle;
  assign cnt_re_o = state_q == Read;
  assign cnt_list_o = list_q;
  assign cnt_raddr_o = b_q;
  assign sched_we_o = state_q == Step && step_last;
  assign sched_list_o = list_q;
  assign sched_waddr_o = b_q;
  assign sched_wdata_o = perm_next;
endmodule
