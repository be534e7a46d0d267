// Synchronous FIFO with a registered count, first-word fall-through (rdata_o is valid with !empty_o).
// Use for short elastic buffers (stream skid, read-latency absorption); not for clock crossing.
module sync_fifo #(
  parameter int Depth = 4,
  parameter int Width = 32,
  localparam int PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int CountW = $clog2(Depth + 1)
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              flush_i,
  input  logic              push_i,
  input  logic [Width-1:0]  wdata_i,
  input  logic              pop_i,
  output logic [Width-1:0]  rdata_o,
  output logic              empty_o,
  output logic              full_o,
  output logic [CountW-1:0] count_o
);
  logic [Width-1:0] mem [Depth];
  logic [PtrW-1:0] wptr_q, rptr_q;

  wire do_push = push_i && !full_o;
  wire do_pop  = pop_i && !empty_o;

  function automatic logic [PtrW-1:0] next_ptr(input logic [PtrW-1:0] ptr);
    return (32'(ptr) == Depth - 1) ? '0 : ptr + 1'b1;
  endfunction

  always_ff @(posedge clk_i) begin : p_ptrs
    if (!rst_ni || flush_i) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_o <= '0;
    end else begin
      if (do_push) wptr_q <= next_ptr(wptr_q);
      if (do_pop) rptr_q <= next_ptr(rptr_q);
      count_o <= count_o + CountW'(do_push) - CountW'(do_pop);
    end
  end

  always_ff @(posedge clk_i) begin : p_mem
    if (do_push) mem[wptr_q] <= wdata_i;
  end

  assign rdata_o = mem[rptr_q];
  assign empty_o = (count_o == '0);
  assign full_o  = (32'(count_o) == Depth);
endmodule
