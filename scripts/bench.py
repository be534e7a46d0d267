"""Throughput bench of the dense core (`make bench`): DUT cycles per wall-second of one large operation
through the cocotb/pyuvm testbench under Icarus and Verilator, and through a Verilator C++ harness
with no Python in the loop, fed by memory images that this script writes. Every result is checked
bit for bit against models.golden.gemm_fp16; any mismatch or failure exits non-zero.

Usage: python scripts/bench.py [--m 64 --n 64 --k 576] [--sparsity 0.5] [--seed 2026]
                               [--sims icarus,verilator] [--reps 5] [--harness-reps 5] [--experiments]

Paths measured (DUT cycles = first CSR write of the operation to its last result beat):
  cocotb     verif/dense/dense_bench.py: one operation through OpDriver.execute (the real testbench);
             wall time measured inside the simulation around that operation.
  harness    verif/dense/bench_harness.cpp: the same protocol over the same ports from C++; built from
             the same sources, parameters and Verilator flags as the cocotb build (it is built through
             verif/common/runner.build with a runner subclass that swaps cocotb's main for the harness).
  The cocotb-Verilator build is the project's own (verif/common/runner.py): only the shell's ports
  public, clk toggled by the simulator's main (the native clock).
  --experiments adds what each remedy buys:
             (i)   the harness built with --public-flat-rw (its cost without cocotb), and cocotb-Verilator
                   built by cocotb's runner with --public-depth 1 and cocotb's main (GPI clock);
             (ii)  the project's build with cocotb's GPI clock (a VPI write and a timer per edge)
                   instead of the native clock;
             (iii) leaner stream models (BENCH_STREAMS=lean, dense_bench.py: the per-beat Python of the
                   load and drain), and a lean AXI4-Lite master too (BENCH_CSR=lean: no callbacks
                   registered while idle);
             and for each of (i) and (ii) cocotb's floor (clock running, no Python for 150k cycles).

Timing: the headline pair (harness, cocotb-Verilator) runs interleaved, --reps runs each (one process
each), so that other work on the shared machine falls on both alike; each path's median counts and
gives the ratio. Every run, and the best, are in bench.json; CPU time is reported next to wall time.

Everything lands under build/bench/: sim_build/<variant>/ (builds, reused), <path>/ (test dirs),
image.txt (the harness's input, format in bench_harness.cpp), harness_out.hex, bench.json.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np  # noqa: E402

from verif.common import runner  # noqa: E402
from verif.common.cores import ROOT, load_core  # noqa: E402

BENCH = ROOT / "build" / "bench"
HARNESS_CPP = ROOT / "verif" / "dense" / "bench_harness.cpp"
BENCH_MODULE = "verif.dense.dense_bench"
BENCH_TEST = "test_bench_dense"
FLOOR_TEST = "test_bench_clock_floor"
TARGET_RATIO = 2.0  # issue 16: cocotb + Verilator within 2x of the no-Python harness


def say(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


# ------------------------------------------------------------------ builds through verif/common/runner
def _verilator_runner_class():
    from cocotb_tools.runner import Verilator
    return Verilator


def public_depth_runner(flags: tuple[str, ...] = ("--public-depth", "1")):
    """cocotb's Verilator runner (with cocotb's main) with its hard-coded --public-flat-rw replaced by `flags`."""
    base = _verilator_runner_class()

    class VerilatorVariant(base):
        def _build_command(self):
            cmds = super()._build_command()
            verilate = cmds[0]
            i = verilate.index("--public-flat-rw")
            verilate[i:i + 1] = list(flags)
            return cmds
    return VerilatorVariant


def harness_runner(harness_cpp: Path = HARNESS_CPP, keep: tuple[str, ...] = ()):
    """cocotb's Verilator runner turned into the no-Python harness build: the same verilator command
    (sources, -G parameters, the project's build_args, timescale) minus cocotb's VPI main, VPI and
    public flags (except those in `keep`, for experiments), plus the harness main and --build."""
    base = _verilator_runner_class()

    class HarnessBuild(base):
        def _build_command(self):
            cmds = super()._build_command()
            verilate = cmds[0]
            out = []
            skip = 0
            for j, arg in enumerate(verilate):
                if skip:
                    skip -= 1
                    continue
                if arg in ("--vpi", "--public-flat-rw") and arg not in keep:
                    continue
                if arg == "-LDFLAGS" and "cocotbvpi" in verilate[j + 1]:
                    skip = 1
                    continue
                if arg.endswith("/verilator.cpp"):
                    out.append(str(harness_cpp))
                    continue
                if arg == "-o":
                    out += ["-o", "bench_harness"]
                    skip = 1
                    continue
                out.append(arg)
            if str(harness_cpp) not in out:
                raise RuntimeError("cocotb's Verilator command changed: no verilator.cpp to replace")
            make = cmds[1]
            jobs = make[make.index("-j") + 1] if "-j" in make else "2"
            return [out[:1] + ["--build", "-j", jobs] + out[1:]]
    return HarnessBuild


@contextlib.contextmanager
def bench_runner(variant: str, runner_cls=None):
    """runner.build/run with their build folder under build/bench/sim_build/<variant> and, when
    given, another cocotb runner class. Only this process is affected; verif/common/runner.py is
    unchanged."""
    import cocotb_tools.runner as cocotb_runner
    saved_dir, saved_get, saved_vlt = runner.build_dir, cocotb_runner.get_runner, runner._verilator_runner
    runner.build_dir = lambda core, opts: BENCH / "sim_build" / variant
    if runner_cls is not None:
        cocotb_runner.get_runner = lambda sim: runner_cls()
        runner._verilator_runner = lambda vlt: runner_cls()
    try:
        yield
    finally:
        runner.build_dir, cocotb_runner.get_runner, runner._verilator_runner = saved_dir, saved_get, saved_vlt


# ------------------------------------------------------------------ the operation and its image
def make_operation(args):
    from verif.dense.dense_bench import bench_operation
    return bench_operation(args.m, args.n, args.k, args.sparsity, args.seed)


def reg_word(reg, **fields) -> int:
    word = reg.reset
    for name, value in fields.items():
        word = reg.fields[name].insert(word, value)
    return word


def write_image(path: Path, codec, op, beat_bits: int) -> int:
    """The OpDriver.execute sequence for a good job, as harness commands; returns the result beat count."""
    csr = codec.map
    lines = [f"# dense bench image: {op.op_id}; format in verif/dense/bench_harness.cpp", "T"]
    lines.append(f"W {csr['CTRL'].address:x} {reg_word(csr['CTRL'], perf_clear=1, irq_clear=1):x}")
    for name, value in codec.csr_writes(op):
        lines.append(f"W {csr[name].address:x} {value:x}")
    digits = beat_bits // 4
    for dest, beats in codec.frames(op):
        lines.append(f"F {dest} {len(beats)}")
        lines.extend(f"{b:0{digits}x}" for b in beats)
    lines.append("C 2")
    lines.append(f"R {csr['STATUS'].address:x} STATUS_BEFORE_START")
    lines.append(f"W {csr['CTRL'].address:x} {reg_word(csr['CTRL'], start=1):x}")
    lines.append(f"I {4 * codec.compute_cycles_bound(op) + 2000}")
    lines.append(f"R {csr['STATUS'].address:x} STATUS")
    lines.append(f"R {csr['ERR_CODE'].address:x} ERR_CODE")
    n_beats = codec.result_beats(op)
    lines.append(f"D {n_beats} {20 * n_beats + 1000}")
    buffers = range(csr.sram_counters)
    for name in csr.common_counters + tuple(f"SRAM_{k}[{i}]" for k in ("RD", "WR") for i in buffers):
        lines.append(f"R {csr[name].address:x} {name}")
    lines.append(f"W {csr['CTRL'].address:x} {reg_word(csr['CTRL'], irq_clear=1):x}")
    path.write_text("\n".join(lines) + "\n")
    return n_beats


def check_result(op, result: np.ndarray | None) -> tuple[bool, str]:
    from models import golden
    from verif.common.env import result_mismatch
    why = result_mismatch(golden.gemm_fp16(op.operands["a"], op.operands["b"]), result)
    return why is None, why or "bit-exact with models.golden.gemm_fp16"


# ------------------------------------------------------------------ the paths
def run_cocotb(core, sim: str, build_variant: str, args, op_digest: str, runner_cls=None,
               streams: str = "normal", csr: str = "normal", floor: bool = False, gpi_clock: bool = False,
               reps: int = 1) -> dict:
    """Build once, then run the bench test `reps` times (one simulator process each); the best
    (shortest) wall time counts, and every run's result must match."""
    from verif.common.runner import BuildOptions
    opts = BuildOptions(sim)
    bench_core = dataclasses.replace(core, test_module=BENCH_MODULE)
    variant = (build_variant + ("+gpi-clock" if gpi_clock and build_variant == sim else "")
               + ("+lean-streams" if streams == "lean" else "") + ("+lean-csr" if csr == "lean" else ""))
    test_dir = BENCH / f"cocotb-{variant}"
    row = {"path": "cocotb", "sim": sim, "variant": variant, "ok": False, "wall_s_reps": [], "process_s": []}
    env = {"BENCH_M": str(args.m), "BENCH_N": str(args.n), "BENCH_K": str(args.k),
           "BENCH_SPARSITY": str(args.sparsity), "BENCH_SEED": str(args.seed), "BENCH_STREAMS": streams,
           "BENCH_CSR": csr}
    if gpi_clock:  # the testbench starts cocotb's GPI clock; the main (native or stock) toggles nothing
        env[runner.NATIVE_CLOCK_ENV] = ""
    op = make_operation(args)
    with bench_runner(build_variant, runner_cls):
        say(f"building {build_variant} (cocotb runner, build/bench/sim_build/{build_variant})")
        t0 = time.perf_counter()
        sim_runner = runner.build(core, opts)
        row["build_s"] = time.perf_counter() - t0
        for rep in range(reps):
            say(f"running one {args.m}x{args.n}x{args.k} operation under cocotb + {variant}"
                + (f" ({rep + 1}/{reps})" if reps > 1 else ""))
            for name in ("bench_result.json", "bench_result.npy", "bench_floor.json"):
                (test_dir / name).unlink(missing_ok=True)
            t0 = time.perf_counter()
            res = runner.run(bench_core, opts, test_dir, tests=[BENCH_TEST] + ([FLOOR_TEST] if floor else []),
                             seed=args.seed, extra_env=env, runner=sim_runner)
            row["process_s"].append(time.perf_counter() - t0)
            floor_path = test_dir / "bench_floor.json"
            if floor_path.exists():
                row.setdefault("clock_floor_reps", []).append(json.loads(floor_path.read_text()))
            summary_path = test_dir / "bench_result.json"
            if not summary_path.exists():
                row["error"] = f"the test wrote no {summary_path.relative_to(ROOT)} (failed: {res.failed})"
                return row
            s = json.loads(summary_path.read_text())
            if s["operand_digest"] != op_digest:
                row["error"] = f"the test used other operands (digest {s['operand_digest']}, expected {op_digest})"
                return row
            npy = test_dir / "bench_result.npy"
            ok, why = check_result(op, np.load(npy) if npy.exists() else None)
            row["check"] = why
            if not (ok and res.ok and s["match"]):
                row["error"] = f"cocotb test failed: {res.failed}" if not res.ok else why
                return row
            row["wall_s_reps"].append(s["wall_s"])
            row.setdefault("cpu_s_reps", []).append(s["cpu_s"])
            if rep == 0 or s["wall_s"] <= min(row["wall_s_reps"]):
                row.update(cycles=s["cycles"], cyc_compute=s["counters"]["CYC_COMPUTE"], err_code=s["err_code"],
                           counters=s["counters"], breakdown_s=s.get("breakdown_s"))
    row["ok"] = True
    return with_medians(row)


def build_harness(core, variant: str = "harness", keep: tuple[str, ...] = ()) -> Path:
    from verif.common.runner import BuildOptions
    with bench_runner(variant, harness_runner(keep=keep)):
        say(f"building the C++ harness{' with ' + ' '.join(keep) if keep else ''} (same sources, parameters "
            f"and flags as cocotb's build, no cocotb main; build/bench/sim_build/{variant})")
        runner.build(core, BuildOptions("verilator"))
    exe = BENCH / "sim_build" / variant / "bench_harness"
    if not exe.exists():
        raise SystemExit(f"harness build produced no {exe}")
    return exe


def merge_runs(runs: list[dict]) -> dict:
    """One row of several single runs of one path: every run's times, the medians as the figures."""
    bad = [r for r in runs if not r.get("ok")]
    if bad:
        return bad[0]
    row = dict(runs[0])
    for key in ("wall_s_reps", "cpu_s_reps", "clock_floor_reps"):
        if any(key in r for r in runs):
            row[key] = [x for r in runs for x in r.get(key, [])]
    row["interleaved_runs"] = len(runs)
    return with_medians(row)


def with_medians(row: dict) -> dict:
    """The row's figures from its runs: the median wall and CPU time (the best kept beside), and
    the median clock floor."""
    row["wall_s"], row["wall_s_best"] = statistics.median(row["wall_s_reps"]), min(row["wall_s_reps"])
    row["cpu_s"], row["cpu_s_best"] = statistics.median(row["cpu_s_reps"]), min(row["cpu_s_reps"])
    if row.get("clock_floor_reps"):
        floors = sorted(row["clock_floor_reps"], key=lambda f: f["cycles_per_s"])
        row["clock_floor"] = floors[len(floors) // 2]
    return row


def run_harness(exe: Path, core, codec, op, args, variant: str = "harness", reps: int | None = None) -> dict:
    image = BENCH / "image.txt"
    out = BENCH / f"{variant}_out.hex"
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    n_beats = write_image(image, codec, op, beat_bits=256)
    say(f"wrote {image.relative_to(ROOT)} ({image.stat().st_size // 1024} KiB) in {time.perf_counter() - t0:.2f} s")
    reps = reps or args.harness_reps
    say(f"running the harness, {reps} repetition(s) in one process")
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), str(image), str(out), "--repeat", str(reps)],
                          capture_output=True, text=True, cwd=BENCH)
    row = {"path": "harness", "sim": "verilator", "variant": variant, "ok": False,
           "process_s": time.perf_counter() - t0}
    for line in proc.stdout.splitlines():
        if not line.startswith("BENCH_JSON"):
            print("  " + line, flush=True)
    if proc.returncode != 0:
        row["error"] = f"harness exited {proc.returncode}: {proc.stderr.strip()}"
        return row
    m = re.search(r"^BENCH_JSON (.*)$", proc.stdout, re.M)
    s = json.loads(m.group(1))
    reads = s["reads"]
    row.update(with_medians({"wall_s_reps": s["wall_s"], "cpu_s_reps": s["cpu_s"]}), cycles=s["cycles"],
               cyc_compute=reads["CYC_COMPUTE"], counters={k: reads[k] for k in codec.map.common_counters})
    status = codec.map["STATUS"].fields
    st = reads["STATUS"]
    err = codec.map.decode("accel_err_e", codec.map["ERR_CODE"].fields["code"].extract(reads["ERR_CODE"]))
    row["err_code"] = err
    if status["error"].extract(reads["STATUS_BEFORE_START"]) or status["error"].extract(st) or not status["done"].extract(st) or err != "NONE":
        row["error"] = f"job did not complete cleanly: STATUS 0x{st:x}, ERR_CODE {err}"
        return row
    beats = [int(line, 16) for line in out.read_text().split()]
    if len(beats) != n_beats:
        row["error"] = f"{len(beats)} result beats, expected {n_beats}"
        return row
    ok, why = check_result(op, codec.decode_frame(op, beats))
    row["check"] = why
    row["ok"] = ok
    return row


# ------------------------------------------------------------------ report
def print_table(rows: list[dict], ratio: float | None, cpu_ratio: float | None = None) -> None:
    head = (f"{'path':<9} {'simulator (median of runs)':<36} {'DUT cycles':>10} {'CYC_COMPUTE':>11} {'wall s':>8} {'cycles/s':>11} "
            f"{'CPU s':>8} {'cycles/CPU-s':>12} {'x harness':>9}  result")
    print(head)
    print("-" * len(head))
    for r in rows:
        sim = r["sim"] if r["variant"] in (r["sim"], "harness") else f"{r['sim']} ({r['variant'].removeprefix('verilator-').removeprefix('harness-')})"
        if "cycles" in r and r.get("wall_s"):
            cpu = f"{r['cpu_s']:>8.3f} {r['cycles'] / r['cpu_s']:>12,.0f}" if r.get("cpu_s") else f"{'-':>8} {'-':>12}"
            slower = f"{r['harness_over_this']:>8.2f}x" if r.get("harness_over_this") else f"{'-':>9}"
            print(f"{r['path']:<9} {sim:<36} {r['cycles']:>10} {r['cyc_compute']:>11} {r['wall_s']:>8.3f} "
                  f"{r['cycles'] / r['wall_s']:>11,.0f} {cpu} {slower}  {'ok' if r['ok'] else 'FAIL'}")
        else:
            print(f"{r['path']:<9} {sim:<36} {'-':>10} {'-':>11} {'-':>8} {'-':>11} {'-':>8} {'-':>12} {'-':>9}  "
                  f"FAIL: {r.get('error', '?')}")
    for r in rows:
        if r.get("clock_floor"):
            f = r["clock_floor"]
            print(f"cocotb floor on the {r['variant']} build (clock running, models idle, no Python): "
                  f"{f['cycles_per_s']:,.0f} cycles/s, {f.get('cycles_per_cpu_s') or 0:,.0f} cycles/CPU-s")
    for r in rows:
        if r.get("breakdown_s"):
            print(f"where the time of cocotb {r['variant']} goes (inside OpDriver.execute, fastest run):")
            for name, b in r["breakdown_s"].items():
                rate = f"{b['cycles'] / b['wall_s']:>11,.0f} cycles/s" if b["wall_s"] > 0 else ""
                print(f"  {name:<34} {b['wall_s']:>8.3f} s wall {b.get('cpu_s', 0):>8.3f} s CPU "
                      f"{b['cycles']:>8} cycles {b['calls']:>4} calls {rate}")
    if ratio is not None:
        print(f"ratio cocotb-Verilator / no-Python (harness cycles/s over cocotb-Verilator cycles/s): {ratio:.2f}x "
              f"by wall time (target <= {TARGET_RATIO:g}x)" + (f", {cpu_ratio:.2f}x by CPU time" if cpu_ratio else ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Dense core throughput: cocotb vs no-Python harness")
    parser.add_argument("--m", type=int, default=64)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--k", type=int, default=576)
    parser.add_argument("--sparsity", type=float, default=0.5, help="fraction of zeros in A and in B")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sims", default="icarus,verilator", help="cocotb simulators to measure (comma list; may be empty)")
    parser.add_argument("--harness-reps", type=int, default=5, help="harness repetitions; the best wall time counts")
    parser.add_argument("--reps", type=int, default=5,
                        help="runs of each Verilator path (one process each; harness and cocotb interleaved); "
                             "the median counts. Icarus runs once")
    parser.add_argument("--experiments", action="store_true",
                        help="also measure what each remedy buys: public signals, the native clock, lean bus models")
    parser.add_argument("--no-harness", action="store_true")
    args = parser.parse_args(argv)
    sims = [s for s in args.sims.split(",") if s]
    for s in sims:
        if s not in runner.SIMULATORS:
            parser.error(f"--sims: unknown simulator {s!r}; choose from {', '.join(runner.SIMULATORS)}")

    runner.setup_tool_env()
    core = load_core("dense")
    from verif.common.csr_map import load_csr_map
    from verif.dense.dense_bench import operand_digest
    from verif.dense.dense_codec import DenseCodec
    codec = DenseCodec(load_csr_map(core.rdl), core.parameters["Rows"], core.parameters["Cols"])
    p = core.parameters
    if min(args.m, args.n, args.k) < 1 or max(args.m, args.n, args.k) > 0xFFFF:
        parser.error("--m, --n, --k must be 1..65535")
    words = (-(-args.m // p["Rows"]) * -(-args.k // (16 // p["Rows"])),
             -(-args.n // p["Cols"]) * -(-args.k // (16 // p["Cols"])), args.m * -(-args.n // p["Cols"]))
    if words[0] > p["AWords"] or words[1] > p["BWords"] or words[2] > p["CWords"]:
        parser.error(f"{args.m}x{args.n}x{args.k} does not fit the buffers (A/B/C words {words}, "
                     f"buffers {p['AWords']}/{p['BWords']}/{p['CWords']})")
    BENCH.mkdir(parents=True, exist_ok=True)
    op = make_operation(args)
    digest = operand_digest(op)
    say(f"operation {op.op_id}: sparsity {args.sparsity}, seed {args.seed}, operands {digest}, "
        f"{len(codec.pack_a(op.operands['a']))}+{len(codec.pack_b(op.operands['b']))} operand beats, "
        f"{codec.result_beats(op)} result beats")

    rows = []
    # The headline pair interleaved (harness, cocotb-Verilator, harness, ...; --reps runs each, one
    # process each), so that other load on the machine falls on both alike; each path's median counts.
    pair = []
    if not args.no_harness:
        exe = build_harness(core)
        pair.append(lambda: run_harness(exe, core, codec, op, args, reps=1))
    if "verilator" in sims:
        pair.append(lambda: run_cocotb(core, "verilator", "verilator", args, digest, floor=args.experiments))
    runs = [[run() for run in pair] for _ in range(args.reps)]
    rows += [merge_runs([r[i] for r in runs]) for i in range(len(pair))]
    if "icarus" in sims:  # about 2 minutes a run: once
        rows.append(run_cocotb(core, "icarus", "icarus", args, digest))
    if args.experiments:
        # (i) what --public-flat-rw costs the model alone (no cocotb, no VPI callbacks) ...
        exe = build_harness(core, "harness-public-flat-rw", keep=("--public-flat-rw",))
        rows.append(run_harness(exe, core, codec, op, args, "harness-public-flat-rw"))
        # ... and the cocotb path built with less of it than cocotb's default (cocotb's own main)
        rows.append(run_cocotb(core, "verilator", "verilator-public-depth1", args, digest,
                               runner_cls=public_depth_runner(), floor=True, gpi_clock=True, reps=args.reps))
        # (ii) the clock: cocotb's GPI clock (a VPI write and a timer per edge) instead of the native one
        rows.append(run_cocotb(core, "verilator", "verilator", args, digest, floor=True, gpi_clock=True,
                               reps=args.reps))
        # (iii) the per-beat Python of the load and drain (lean streams), and the AXI4-Lite master's
        # always-registered callbacks (lean CSR), on the native-clock build
        rows.append(run_cocotb(core, "verilator", "verilator", args, digest, streams="lean", reps=args.reps))
        rows.append(run_cocotb(core, "verilator", "verilator", args, digest, streams="lean", csr="lean",
                               reps=args.reps))

    def cps(path, variant):
        for r in rows:
            if r["path"] == path and r["variant"] == variant and r.get("ok"):
                return r["cycles"] / r["wall_s"]
        return None

    def cpu_cps(path, variant):
        for r in rows:
            if r["path"] == path and r["variant"] == variant and r.get("ok") and r.get("cpu_s"):
                return r["cycles"] / r["cpu_s"]
        return None

    harness_cps, vlt_cps = cps("harness", "harness"), cps("cocotb", "verilator")
    ratio = harness_cps / vlt_cps if harness_cps and vlt_cps else None
    harness_cpu, vlt_cpu = cpu_cps("harness", "harness"), cpu_cps("cocotb", "verilator")
    cpu_ratio = harness_cpu / vlt_cpu if harness_cpu and vlt_cpu else None
    for r in rows:
        if r.get("ok") and r.get("wall_s"):
            r["cycles_per_s"] = r["cycles"] / r["wall_s"]
            if harness_cps:
                r["harness_over_this"] = harness_cps / r["cycles_per_s"]
        if r.get("ok") and r.get("cpu_s"):
            r["cycles_per_cpu_s"] = r["cycles"] / r["cpu_s"]
            if harness_cpu:
                r["harness_over_this_cpu"] = harness_cpu / r["cycles_per_cpu_s"]
    print()
    print_table(rows, ratio, cpu_ratio)
    out = {"params": {"m": args.m, "n": args.n, "k": args.k, "sparsity": args.sparsity, "seed": args.seed,
                      "operand_digest": digest, "core_parameters": p},
           "rows": rows, "ratio_cocotb_verilator_over_harness": ratio,
           "ratio_cocotb_verilator_over_harness_cpu": cpu_ratio, "target_ratio": TARGET_RATIO}
    (BENCH / "bench.json").write_text(json.dumps(out, indent=1))
    say(f"wrote {(BENCH / 'bench.json').relative_to(ROOT)}")
    bad = [r for r in rows if not r.get("ok")]
    for r in bad:
        say(f"FAIL {r['path']} {r['variant']}: {r.get('error') or r.get('check')}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
