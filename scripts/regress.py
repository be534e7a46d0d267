"""make regress: every core's tests over seeds on Verilator, each (test, seed) a Dask.distributed job.

Usage: python scripts/regress.py [--seeds N] [--scheduler tcp://host:port] [--workers N]
       [--designs "a b"] [--tests a,b] [--coverage-build] [--out DIR] [--junit FILE]

Without --scheduler (or the SCHEDULER environment variable) the jobs run on a LocalCluster of one
worker per CPU. With it they run on that Dask cluster: `make scheduler` on one host and, on each
host that shares this folder at the same path, `make worker SCHEDULER=tcp://host:8786` (both put the
project on PYTHONPATH; one thread per worker process, as a job sets its process's environment).
Builds are made here first.
Outputs: <out>/<build tag>/<core>/<test>/seed<seed>/ per job (results.xml, sim.log, coverage files),
<out>/junit.xml (or --junit), <out>/summary.json. Exit status 1 if a job failed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common import regression  # noqa: E402
from verif.common.cores import ROOT  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Regression on Dask.distributed (Verilator)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per test (default 3)")
    parser.add_argument("--base-seed", type=int, default=int(os.environ.get("SEED") or regression.DEFAULT_BASE_SEED))
    parser.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None,
                        help="tcp://host:port of a running Dask scheduler (default: a LocalCluster here)")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per CPU)")
    parser.add_argument("--designs", default="", help="cores, space or comma separated (default: every core)")
    parser.add_argument("--tests", default="", help="test names, comma separated (default: every test)")
    parser.add_argument("--coverage-build", action="store_true", help="run on the Verilator coverage build")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "regress")
    parser.add_argument("--junit", type=Path, default=None, help="JUnit XML path (default <out>/junit.xml)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds the whole run may take")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        parser.error(f"--scheduler {args.scheduler!r} is not an address like tcp://host:8786")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    designs = [d for d in args.designs.replace(",", " ").split() if d]
    tests = [t for t in args.tests.split(",") if t]
    try:
        jobs = regression.regress_jobs(args.seeds, coverage=args.coverage_build, designs=designs or None,
                                       tests=tests or None, base_seed=args.base_seed)
    except ValueError as err:
        raise SystemExit(f"[regress] {err}")
    start = time.monotonic()
    regression.build_all(jobs, log=lambda m: print(m, flush=True))
    built = time.monotonic()
    log = lambda m: print(m, flush=True)  # noqa: E731
    with regression.connect(args.scheduler, args.workers) as client:
        workers = len(client.scheduler_info(n_workers=-1)["workers"])
        where = args.scheduler or "a LocalCluster"
        log(f"[regress] {len(jobs)} jobs on {where} ({workers} workers)")
        outcomes = regression.run_jobs(client, jobs, args.out, log=log, timeout=args.timeout)
    junit = args.junit or args.out / "junit.xml"
    regression.write_junit(outcomes, junit)
    rows = regression.summary(outcomes)
    wall = {"build_s": round(built - start, 1), "jobs_s": round(time.monotonic() - built, 1)}
    summary = {"cores": rows, "wall": wall, "workers": workers, "scheduler": args.scheduler, "jobs": outcomes}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(regression.format_summary(rows))
    failed = sum(not o["passed"] for o in outcomes)
    print(f"[regress] {len(outcomes) - failed}/{len(outcomes)} passed; builds {wall['build_s']} s, "
          f"jobs {wall['jobs_s']} s wall; JUnit {os.path.relpath(junit)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
