"""Independent float references for the golden-model tests: Python floats (IEEE double) rounded to
FP32 by the C library's conversion (struct), with the contract's FP32 flush written out (FP16 operands
are IEEE values, subnormals included). Nothing here
calls numpy's float32 or float16 arithmetic or models/golden.py."""
import struct

FP32_MIN_NORMAL = 2.0**-126


def f32(x: float) -> float:
    """Round a double to FP32 (nearest even), then flush a subnormal result to a signed zero."""
    try:
        r = struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:                       # beyond FP32's range after rounding
        r = float("inf") if x > 0 else float("-inf")
    return r if r != r or abs(r) >= FP32_MIN_NORMAL or r == 0 or abs(r) == float("inf") else 0.0 * r


def gemm_fp16(a, b) -> list[list[float]]:
    """C = A . B for FP16 inputs: each product exact (an FP16 x FP16 product fits FP32 exactly, so the
    double product is that value), accumulated in FP32 from +0 in ascending k, each sum rounded."""
    rows, inner, cols = len(a), len(b), len(b[0])
    out = []
    for i in range(rows):
        line = []
        for j in range(cols):
            acc = 0.0
            for k in range(inner):
                acc = f32(acc + f32(a[i][k] * b[k][j]))
            line.append(acc)
        out.append(line)
    return out


def f16(x: float) -> float:
    """Round a double to FP16 (nearest even, struct's own conversion); beyond its range: infinity."""
    try:
        return struct.unpack("<e", struct.pack("<e", x))[0]
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")
