// Operand stream -> on-chip buffers. Each frame (tlast-terminated) loads one buffer, named by tdest,
// with exactly the word count the core expects for its configuration; anything else is an error
// with a specific code, the rest of a bad frame is dropped up to tlast, and nothing hangs.
// Part of accel_shell; a core never instantiates it (it gets the shell's buffer write port).
module axis_loader
  import accel_pkg::*;
#(
  parameter int NumBufs = 2,
  parameter int DataW = 256,
  parameter int DestW = 4
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             soft_reset_i,
  input  logic             enable_i,            // low while the core computes: operands are in use
  input  logic             cfg_ok_i,            // the configuration is valid...
  input  logic [7:0]       cfg_err_code_i,      // ...or why not
  input  logic [NumBufs-1:0][31:0] expected_words_i,
  input  logic             clear_loaded_i,      // a job started: its operands are consumed
  // AXI4-Stream slave
  input  logic [DataW-1:0] s_axis_tdata,
  input  logic             s_axis_tvalid,
  output logic             s_axis_tready,
  input  logic             s_axis_tlast,
  input  logic [DestW-1:0] s_axis_tdest,
  // buffer write port (shared address and data, one enable per buffer)
  output logic [NumBufs-1:0] we_o,
  output logic [31:0]      waddr_o,
  output logic [DataW-1:0] wdata_o,
  output logic [NumBufs-1:0] loaded_o,
  output logic             loading_o,
  output logic             err_o,               // one-cycle pulse
  output logic [7:0]       err_code_o
);
  typedef enum logic [1:0] {Idle, Load, Drop} state_e;
  localparam int BufW = (NumBufs > 1) ? $clog2(NumBufs) : 1;
  state_e state_q, state_d;
  logic [31:0] count_q, count_d;
  logic [DestW-1:0] dest_q, dest_d;
  logic [NumBufs-1:0] loaded_d;

  wire beat = s_axis_tvalid && s_axis_tready;
  assign s_axis_tready = enable_i;
  assign loading_o = (state_q != Idle) || beat;
  assign wdata_o = s_axis_tdata;
  assign waddr_o = (state_q == Idle) ? 32'd0 : count_q;

  // The buffer a beat goes to: tdest on the first beat of a frame, then the frame's.
  wire [DestW-1:0] cur_dest = (state_q == Idle) ? s_axis_tdest : dest_q;
  wire dest_ok = 32'(cur_dest) < NumBufs;
  wire [BufW-1:0] buf_idx = cur_dest[BufW-1:0];
  wire [31:0] expected = dest_ok ? expected_words_i[buf_idx] : 32'd0;

  always_comb begin : p_next
    state_d = state_q;
    count_d = count_q;
    dest_d = dest_q;
    loaded_d = clear_loaded_i ? '0 : loaded_o;
    we_o = '0;
    err_o = 1'b0;
    err_code_o = ERR_NONE;
    if (beat) begin
      if (state_q == Drop) begin
        if (s_axis_tlast) state_d = Idle;
      end else begin
        if (state_q == Idle) begin
          dest_d = s_axis_tdest;
          count_d = '0;
          if (dest_ok) loaded_d[buf_idx] = 1'b0;
        end
        if (!dest_ok || !cfg_ok_i) begin
          err_o = 1'b1;
          err_code_o = !dest_ok ? ERR_BAD_DEST : cfg_err_code_i;
          if (!s_axis_tlast) state_d = Drop;
          else state_d = Idle;
        end else begin
          we_o[buf_idx] = 1'b1;
          count_d = waddr_o + 32'd1;
          if (s_axis_tlast) begin
            state_d = Idle;
            if (count_d == expected) loaded_d[buf_idx] = 1'b1;
            else begin
              err_o = 1'b1;
              err_code_o = ERR_STREAM_SHORT;
            end
          end else if (count_d == expected) begin
            err_o = 1'b1;
            err_code_o = ERR_STREAM_LONG;
            state_d = Drop;
          end else begin
            state_d = Load;
          end
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin : p_regs
    if (!rst_ni || soft_reset_i) begin
      state_q <= Idle;
      count_q <= '0;
      dest_q <= '0;
      loaded_o <= '0;
    end else begin
      state_q <= state_d;
      count_q <= count_d;
      dest_q <= dest_d;
      loaded_o <= loaded_d;
    end
  end
endmodule
