"""The regression as independent jobs on Dask.distributed (make regress, make cov).

A job is one (core, array size, test, seed) on Verilator. The client builds each (core, size)
once, then hands every job to a Dask cluster: a LocalCluster of one single-threaded worker per CPU
by default, or an existing scheduler (`dask scheduler` / `dask worker`, dask-jobqueue on Slurm or
LSF) given by its address. Workers must see the project's folder at the same path (a shared file
system, as cluster nodes have): a job runs the core's build there and leaves its results, its
coverage.dat and its functional coverage files in the run folder, where the client merges them.

The scheduler and every worker run the project's venv with the project on PYTHONPATH (make
scheduler, make worker): the tasks name this module's functions. A worker that dies mid-job loses
nothing: the scheduler reruns the job elsewhere, and a job works in a scratch folder of its own that
becomes the run folder only when it completes.
"""
from __future__ import annotations

import ast
import os
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BASE_SEED = 1000


@dataclass(frozen=True)
class Job:
    core: str
    size: int          # index into the core's sizes: 0 is the manifest's default
    test: str
    seed: int
    coverage: bool = False
    waves: bool = False

    @property
    def name(self) -> str:
        return f"{self.test}[seed{self.seed}]"

    def options(self):
        from verif.common import runner
        from verif.common.cores import load_core
        opts = runner.BuildOptions("verilator", waves=self.waves, coverage=self.coverage)
        return runner.size_options(load_core(self.core), opts)[self.size]

    def suite(self) -> str:
        """JUnit classname: the core and the build it ran on (simulator, coverage, size)."""
        return f"{self.core}.{self.options().tag}"

    def test_dir(self, out: Path) -> Path:
        return Path(out) / self.options().tag / self.core / self.test / f"seed{self.seed}"

    def reproduce(self) -> str:
        """The command that reruns this job alone, with waves."""
        size = self.options().size
        return (f".venv/bin/python scripts/sim.py --design {self.core} --sim verilator --tests {self.test} "
                f"--seed {self.seed} --waves --no-toggles" + (f" --size {','.join(f'{k}={v}' for k, v in size)}"
                                                             if size else ""))


def pyuvm_test_names(core) -> list[str]:
    """Names of the pyuvm tests in a core's test module (read from source, no simulator needed)."""
    path = ROOT / (core.test_module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    return [node.name for node in tree.body if isinstance(node, ast.ClassDef)
            and any("test" in ast.unparse(d) for d in node.decorator_list)]


def regress_jobs(seeds: int, *, coverage: bool = False, designs: list[str] | None = None,
                 tests: list[str] | None = None, base_seed: int = DEFAULT_BASE_SEED) -> list[Job]:
    """Every test of every core at its default size, its smoke tests at each further size, each at
    `seeds` seeds (base_seed, base_seed + 1, ...). `designs` and `tests` narrow the set."""
    from verif.common.cores import core_names, load_core
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, not {seeds}")
    known = core_names()
    unknown = sorted(set(designs or []) - set(known))
    if unknown:
        raise ValueError(f"unknown design(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    jobs = []
    for name in designs or known:
        core = load_core(name)
        cases = [(0, t) for t in pyuvm_test_names(core)]
        cases += [(i, t) for i in range(1, len(core.all_sizes())) for t in core.smoke_tests]
        if tests:
            cases = [(i, t) for i, t in cases if t in tests]
        jobs += [Job(name, i, t, base_seed + s, coverage) for i, t in cases for s in range(seeds)]
    if tests and not jobs:
        raise ValueError(f"no test named {', '.join(tests)} in {', '.join(designs or known)}")
    return jobs


def build_all(jobs: list[Job], log=print) -> None:
    """Build every (core, options) the jobs need, once, before any job starts."""
    from verif.common import runner
    from verif.common.cores import load_core
    for name, opts in dict.fromkeys((j.core, j.options()) for j in jobs):
        core = load_core(name)
        build_log = runner.build_dir(core, opts) / "build.log"
        log(f"[regress] building {name} for Verilator ({opts.tag}): {os.path.relpath(build_log)}")
        try:
            runner.build(core, opts, log_file=build_log)
        except Exception as err:
            tail = build_log.read_text()[-3000:] if build_log.exists() else ""
            raise RuntimeError(f"building {name} ({opts.tag}) failed: {err}\n{tail}") from err


def run_job(job: dict, out: str) -> dict:
    """One job, on a worker: run it in a scratch folder, then make that the run folder.

    Takes and returns plain dicts, so that the client and the workers share no classes."""
    import shutil
    import socket
    from verif.common import runner
    from verif.common.cores import load_core
    j = Job(**job)
    final = j.test_dir(Path(out))
    worker = f"{socket.gethostname()}:{os.getpid()}"
    scratch = final.parent / f".{final.name}.{worker.replace(':', '.')}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    start = time.monotonic()
    core, opts = load_core(j.core), j.options()
    try:
        sim = runner.build(core, opts, log_file=scratch / "build.log")  # up to date: the client built it
        result = runner.run(core, opts, scratch, tests=[j.test], seed=j.seed, runner=sim,
                            log_file=scratch / "sim.log")
        passed, failed = result.passed == [j.test] and not result.failed, result.failed
    except Exception as err:  # a build or runner error is this job's failure, not the regression's end
        passed, failed = False, [f"{j.test}: {type(err).__name__}: {err}"]
    seconds = time.monotonic() - start
    shutil.rmtree(final, ignore_errors=True)
    os.replace(scratch, final)
    return {"job": asdict(j), "passed": passed, "seconds": round(seconds, 2), "worker": worker,
            "test_dir": str(final), "failed": failed}


def write_junit(outcomes: list[dict], path: Path) -> None:
    """JUnit XML of the outcomes, one testcase per job, in a stable order."""
    suite = ET.Element("testsuite", name="regress", tests=str(len(outcomes)),
                       failures=str(sum(not o["passed"] for o in outcomes)),
                       time=f"{sum(o['seconds'] for o in outcomes):.1f}")
    for o in sorted(outcomes, key=lambda o: (Job(**o["job"]).suite(), Job(**o["job"]).name)):
        job = Job(**o["job"])
        case = ET.SubElement(suite, "testcase", classname=job.suite(), name=job.name, time=f"{o['seconds']:.2f}")
        if not o["passed"]:
            failure = ET.SubElement(case, "failure", message=f"{job.test} failed: see {o['test_dir']}")
            failure.text = (f"failed: {', '.join(o['failed']) or job.test}\nrun folder: {o['test_dir']}\n"
                            f"{o.get('rerun', '')}\nreproduce: {job.reproduce()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="unicode", xml_declaration=True)


def read_junit(path: Path) -> dict[str, bool]:
    """{classname::name: passed} of a JUnit XML (for comparing two runs of the same jobs)."""
    outcome = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        outcome[f"{case.get('classname')}::{case.get('name')}"] = not bad
    return outcome


def summary(outcomes: list[dict]) -> list[dict]:
    """Per core: jobs, passed, failed, and the jobs' wall seconds summed."""
    rows: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "passed": 0, "failed": 0, "seconds": 0.0})
    for o in outcomes:
        row = rows[o["job"]["core"]]
        row["jobs"] += 1
        row["passed" if o["passed"] else "failed"] += 1
        row["seconds"] += o["seconds"]
    return [{"core": core, **row, "seconds": round(row["seconds"], 1)} for core, row in sorted(rows.items())]


def format_summary(rows: list[dict]) -> str:
    lines = [f"{'core':10s} {'jobs':>5s} {'passed':>7s} {'failed':>7s} {'job-seconds':>12s}"]
    lines += [f"{r['core']:10s} {r['jobs']:5d} {r['passed']:7d} {r['failed']:7d} {r['seconds']:12.1f}" for r in rows]
    total = {k: sum(r[k] for r in rows) for k in ("jobs", "passed", "failed", "seconds")}
    lines.append(f"{'total':10s} {total['jobs']:5d} {total['passed']:7d} {total['failed']:7d} {total['seconds']:12.1f}")
    return "\n".join(lines)


class Progress:
    """Jobs done of total, failures so far and an ETA, printed at most every `every` seconds (and
    at once for a failure and for the last job)."""

    def __init__(self, total: int, log=print, every: float = 10.0):
        self.total, self.log, self.every = total, log, every
        self.done = self.failed = 0
        self.start = self.last = time.monotonic()

    def update(self, outcome: dict) -> None:
        self.done += 1
        self.failed += not outcome["passed"]
        now = time.monotonic()
        if not outcome["passed"]:
            job = Job(**outcome["job"])
            self.log(f"[regress] FAILED {job.suite()} {job.name}: {outcome['test_dir']}")
        if outcome["passed"] and now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        eta = elapsed / self.done * (self.total - self.done)
        self.log(f"[regress] {self.done}/{self.total} jobs done, {self.failed} failed, "
                 f"{elapsed:.0f} s elapsed, ETA {eta:.0f} s")


def connect(scheduler: str | None, workers: int | None = None):
    """A Dask client: on the scheduler at `scheduler` (tcp://host:port), or on a new LocalCluster of
    `workers` single-threaded worker processes (default: one per CPU). A job changes its process's
    environment while it runs, so a worker runs one job at a time."""
    from distributed import Client, LocalCluster
    if scheduler:
        return Client(scheduler, timeout="60s")
    # The workers are new processes with this environment: they import this module from ROOT.
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    return Client(cluster)


def run_jobs(client, jobs: list[Job], out: Path, *, log=print, timeout: float = 3600) -> list[dict]:
    """Every job on the cluster; a failed job is then rerun once on its own with waves, and its
    outcome says whether it failed again. Raises TimeoutError if the jobs take longer than `timeout`."""
    from distributed import as_completed
    progress = Progress(len(jobs), log)
    futures = [client.submit(run_job, asdict(j), str(out), key=f"regress-{i}-{j.core}-{j.test}-{j.seed}",
                             pure=False) for i, j in enumerate(jobs)]
    outcomes = []
    for future in as_completed(futures, timeout=timeout):  # raises TimeoutError past `timeout`
        outcome = future.result()
        outcomes.append(outcome)
        progress.update(outcome)
    for outcome in (o for o in outcomes if not o["passed"]):
        job = Job(**outcome["job"])
        rerun_job = Job(job.core, job.size, job.test, job.seed, job.coverage, waves=True)
        log(f"[regress] rerunning {job.suite()} {job.name} alone with waves")
        client.submit(build_all, [rerun_job], lambda *a: None, pure=False).result(timeout=timeout)
        rerun = client.submit(run_job, asdict(rerun_job), str(out), pure=False).result(timeout=timeout)
        verdict = "failed again" if not rerun["passed"] else "PASSED on the rerun (not reproducible)"
        outcome["rerun"] = f"rerun alone with waves: {verdict}; waves and log in {rerun['test_dir']}"
        log(f"[regress] {job.suite()} {job.name}: {outcome['rerun']}\n[regress]   reproduce: {job.reproduce()}")
    return outcomes
