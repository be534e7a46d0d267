"""The RowPipe codec without a simulator: packing and decoding against element-by-element readings of
the layouts in hdl/rowpipe/rowpipe_top.sv's spec, and the counter model against a literal walk of the
stages' loops (written here independently of the codec's closed forms)."""
from __future__ import annotations

import numpy as np
import pytest

from verif.rowpipe.rowpipe_codec import FIELDS, RowpipeCodec, geometry
from verif.rowpipe.rowpipe_stimulus import conv_op

PARAMS = {"StageMacs": 8, "Banks": 4, "BankRows": 2, "RowWords": 32, "WWords": 1024, "XWords": 256,
          "CWords": 1024, "HeadRows": 4, "HeadCols": 4}


def codec(p: int) -> RowpipeCodec:
    return RowpipeCodec(None, {**PARAMS, "StageMacs": p})


def nibble(words: list[int], f: int) -> int:
    return (words[f // FIELDS] >> (4 * (f % FIELDS))) & 0xF


@pytest.mark.parametrize("p", [4, 8])
def test_x_layout(p):
    rng = np.random.default_rng(p)
    x = rng.integers(0, 16, (11, 3, 5)).astype(np.uint8)
    words = codec(p).pack_x(x)
    g = -(-11 // p)
    assert len(words) == -(-3 * 5 * g * p // FIELDS)
    for c in range(g * p):
        for y in range(3):
            for xx in range(5):
                f = ((y * 5 + xx) * g + c // p) * p + c % p
                assert nibble(words, f) == (x[c, y, xx] if c < 11 else 0)


@pytest.mark.parametrize("p", [4, 8])
def test_weight_and_dequantizer_layout(p):
    rng = np.random.default_rng(10 + p)
    co, ci, k = 13, 21, 3
    w = rng.integers(-8, 8, (co, ci, k, k)).astype(np.int8)
    scale = rng.standard_normal(co).astype(np.float16)
    shift = rng.standard_normal(co).astype(np.float16)
    words = codec(p).pack_weights(w, scale, shift)
    cpw, g_out = FIELDS // p, -(-co // p)
    cb_n = -(-ci // cpw)
    nw = g_out * k * k * cb_n
    assert len(words) == nw + -(-co // 8)
    for o in range(co):
        for i in range(ci):
            for ky in range(k):
                for kx in range(k):
                    word = ((o // p * k + ky) * k + kx) * cb_n + i // cpw
                    field = (i % cpw) * p + o % p
                    got = nibble(words, word * FIELDS + field)
                    assert got - 16 * (got >= 8) == w[o, i, ky, kx]
        dq = words[nw + o // 8] >> (32 * (o % 8))
        assert dq & 0xFFFF == scale[o:o + 1].view(np.uint16)[0]
        assert (dq >> 16) & 0xFFFF == shift[o:o + 1].view(np.uint16)[0]
    # padding channels and unused dequantizer lanes are zero
    assert words[nw + co // 8] >> (32 * (co % 8)) == 0


@pytest.mark.parametrize("p", [4, 8])
def test_result_decode(p):
    rng = np.random.default_rng(20 + p)
    op = conv_op(rng, "decode", 5, 4, 2, 3, 11)
    c = codec(p)
    g = geometry(op)
    y2 = rng.integers(0, 1 << 16, (11, g.ho2, g.wo2)).astype(np.uint16)
    groups = -(-11 // p)
    beats = []
    for y in range(g.ho2):
        for x in range(g.wo2):
            for gi in range(groups):
                beats.append(sum(int(y2[gi * p + j, y, x]) << (16 * j) for j in range(p) if gi * p + j < 11))
    assert len(beats) == c.result_words(op)
    np.testing.assert_array_equal(c.decode(op, beats), y2.astype(np.uint32))


def walk_counts(op, p: int) -> dict[str, int]:
    """The stages' loops as the spec writes them, one iteration at a time."""
    g = geometry(op)
    cpw = FIELDS // p
    groups = lambda c: -(-c // p)           # noqa: E731
    n = {"S1_MAC_CYC": 0, "S2_MAC_CYC": 0, "SRAM_RD[3]": 0, "SRAM_RD[0]": 0, "SRAM_RD[1]": 0,
         **{f"LB_RD{b}": 0 for b in range(4)}, **{f"LB_WR{b}": 0 for b in range(4)}}
    stages = ((g.h, g.w, g.c0, g.c1, g.k1, g.p1, g.ho1, g.wo1, "S1_MAC_CYC", "SRAM_RD[0]"),
              (g.hi2, g.wi2, g.c1, g.c2, g.k2, g.p2, g.ho2, g.wo2, "S2_MAC_CYC", "SRAM_RD[1]"))
    for stage, (hi, wi, ci, co, k, pad, ho, wo, macs, wreads) in enumerate(stages):
        for yo in range(ho):
            for gi in range(groups(co)):
                n[wreads] += 1                                  # the dequantizer word
                for xo in range(wo):
                    for ky in range(k):
                        for kx in range(k):
                            iy, ix = yo + ky - pad, xo + kx - pad
                            if not (0 <= iy < hi and 0 <= ix < wi):
                                continue
                            for c in range(ci):
                                n[macs] += 1
                                if c % p == 0:                  # a new input group
                                    if stage == 0:
                                        n["SRAM_RD[3]"] += 1
                                    else:
                                        n[f"LB_RD{iy % (g.k2 + 1)}"] += 1
                                if c % cpw == 0:
                                    n[wreads] += 1
    for r in range(g.hi2):
        n[f"LB_WR{r % (g.k2 + 1)}"] += g.wi2 * groups(g.c1)
    return n


@pytest.mark.parametrize("p", [4, 8])
@pytest.mark.parametrize("shape", [dict(h=6, w=5, c0=3, c1=10, c2=7),
                                   dict(h=8, w=8, c0=17, c1=9, c2=3, pool=True),
                                   dict(h=1, w=3, c0=1, c1=2, c2=2, k1=3, p1=2, k2=3, p2=2),
                                   dict(h=7, w=4, c0=70, c1=5, c2=9, k1=2, p1=1, k2=1, p2=0)])
def test_counts_equal_the_loop_walk(p, shape):
    op = conv_op(np.random.default_rng(3), "walk", **shape)
    counts = codec(p).conv_counts(op)
    for name, want in walk_counts(op, p).items():
        assert counts[name] == want, name


def test_check_fits_names_the_buffer():
    op = conv_op(np.random.default_rng(4), "big", 40, 16, 32, 8, 8)
    with pytest.raises(ValueError, match="X needs"):
        codec(8).check_fits(op)
    wide = conv_op(np.random.default_rng(5), "wide", 2, 40, 1, 8, 2, k1=1, p1=0)
    with pytest.raises(ValueError, match="line-buffer row"):
        codec(8).check_fits(wide)
