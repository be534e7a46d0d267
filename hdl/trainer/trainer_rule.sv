// The speculation rule of one output: skip when the estimate is on ReLU's zero side of its row's
// threshold. Exact FP32 comparison on the bit patterns (subnormals compare exactly, -0 == +0, NaN
// compares false), as numpy compares float32 in golden.speculation_skip.
module trainer_rule (
  input  logic [31:0] est_i,
  input  logic [31:0] thr_i,
  input  logic [1:0]  dir_i,   // 2-bit two's complement: 01 = +1 (est < thr), 11 = -1 (est > thr)
  output logic        skip_o
);
  function automatic logic fp32_lt(input logic [31:0] a, input logic [31:0] b);
    logic a_nan, b_nan, zeros;
    a_nan = a[30:23] == 8'hFF && a[22:0] != 23'd0;
    b_nan = b[30:23] == 8'hFF && b[22:0] != 23'd0;
    zeros = a[30:0] == 31'd0 && b[30:0] == 31'd0;
    return !a_nan && !b_nan && !zeros
           && ((a[31] && !b[31]) || (!a[31] && !b[31] && a[30:0] < b[30:0])
               || (a[31] && b[31] && a[30:0] > b[30:0]));
  endfunction

  assign skip_o = dir_i == 2'b01 ? fp32_lt(est_i, thr_i)
                : dir_i == 2'b11 ? fp32_lt(thr_i, est_i)
                : 1'b0;
endmodule
