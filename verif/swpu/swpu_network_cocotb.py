"""cocotb test of the SWPU compaction network and its mirror (through swpu_network_tb): for random
masks at every density, slot s holds the s-th set position, `taken` marks the first Lanes of them,
and the mirror puts each slot's payload (its index) back on its own position and nowhere else.
Env: SEED (default cocotb's), NMASK (masks per run; test_compaction.py sets it)."""
from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

SEED = int(os.environ.get("SEED", cocotb.RANDOM_SEED))
NMASK = int(os.environ.get("NMASK", 1000))


def masks(rng: np.random.Generator, n: int, count: int):
    yield np.zeros(n, bool)
    yield np.ones(n, bool)
    yield np.arange(n) == n - 1                       # the longest move: last position to slot 0
    yield np.arange(n) % 2 == 1
    for _ in range(count):
        yield rng.random(n) < rng.choice([0.02, 0.1, 0.3, 0.6, 0.9, 1.0])


@cocotb.test()
async def compaction_round_trip(dut):
    n, lanes = len(dut.mask_i), len(dut.valid_o)
    idx_w = len(dut.idx_o) // lanes
    rng = np.random.default_rng(SEED)
    checked = 0
    for mask in masks(rng, n, NMASK):
        dut.mask_i.value = int(sum(1 << int(i) for i in np.flatnonzero(mask)))
        await Timer(1, "ns")
        want = np.flatnonzero(mask)[:lanes]
        valid = [(int(dut.valid_o.value) >> s) & 1 for s in range(lanes)]
        idx = [(int(dut.idx_o.value) >> (s * idx_w)) & (n - 1) for s in range(lanes)]
        assert valid == [1] * len(want) + [0] * (lanes - len(want)), f"mask {mask.nonzero()}: valid {valid}"
        assert idx[:len(want)] == want.tolist(), f"slots {idx[:len(want)]}, expected {want.tolist()}"
        taken = int(dut.taken_o.value)
        assert taken == int(sum(1 << int(i) for i in want)), f"taken {taken:#x} for slots {want.tolist()}"
        back_valid, back = int(dut.back_valid_o.value), int(dut.back_data_o.value)
        assert back_valid == taken, f"scatter valid {back_valid:#x}, expected {taken:#x}"
        for p in want:
            got = (back >> (int(p) * idx_w)) & (n - 1)
            assert got == p, f"position {p} got the payload of slot holding {got}"
        checked += 1
    dut._log.info(f"seed {SEED}: {checked} masks round-tripped through the {n}-wide networks")
