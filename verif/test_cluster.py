"""The regression across hosts: a Dask scheduler and two workers in two network namespaces of this
machine, joined only by a veth pair, run a small coverage regression; one worker is killed in the
middle of a job. The cluster's JUnit outcomes and merged coverage (code and functional) must equal
those of the same jobs run on a LocalCluster. Needs root (network namespaces) and iproute2.

In make test it runs two dense tests at two seeds. CLUSTER_DESIGNS, CLUSTER_TESTS (either "all")
and CLUSTER_SEEDS make it a bigger regression, e.g. the whole one:
  CLUSTER_DESIGNS=all CLUSTER_TESTS=all CLUSTER_SEEDS=2 .venv/bin/python -m pytest verif/test_cluster.py"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from verif.common import regression
from verif.common.cores import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import coverage as cov  # noqa: E402  (scripts/coverage.py, not the PyPI package)

# Addresses and port of the project's choosing, only ever inside the two namespaces.
SUBNET = "10.213.57.{}/24"
SCHEDULER_IP, WORKER_B_IP = "10.213.57.1", "10.213.57.2"
PORT = 48786
DESIGNS = os.environ.get("CLUSTER_DESIGNS", "dense")
# By default two dense tests that are not smoke tests, so they run at the default size only.
TESTS = os.environ.get("CLUSTER_TESTS", "test_stream_pressure,test_error_priority")
SEEDS = int(os.environ.get("CLUSTER_SEEDS", "2"))
DASK = str(Path(sys.executable).parent / "dask")


def can_make_namespaces() -> str | None:
    """Why this machine cannot run the test, or None: root, iproute2, and a namespace made and
    removed for real (a container may refuse it even to root)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "iproute2 (ip) is missing: apt-get install iproute2"
    probe = f"stpprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return f"cannot make a network namespace: {made.stderr.strip()}" if made.returncode else None


NAMESPACES_UNAVAILABLE = can_make_namespaces()


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@contextmanager
def two_namespaces():
    """Namespaces a and b, a veth pair between them and nothing else: no route out of either."""
    tag = str(os.getpid())[-6:]
    ns_a, ns_b = f"stp{tag}a", f"stp{tag}b"
    try:
        ip("netns", "add", ns_a)
        ip("netns", "add", ns_b)
        ip("link", "add", f"v{tag}a", "type", "veth", "peer", "name", f"v{tag}b")
        for ns, dev, addr in ((ns_a, f"v{tag}a", SCHEDULER_IP), (ns_b, f"v{tag}b", WORKER_B_IP)):
            ip("link", "set", dev, "netns", ns)
            ip("-n", ns, "addr", "add", SUBNET.format(addr.rsplit(".", 1)[1]), "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        yield ns_a, ns_b
    finally:
        for ns in (ns_a, ns_b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def start(stack: ExitStack, ns: str, cmd: list[str], log: Path) -> subprocess.Popen:
    """A process in namespace ns, in a session of its own (so killing it kills its simulator too);
    stopped when the test ends."""
    out = stack.enter_context(open(log, "w"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # as make scheduler and make worker set it
    proc = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(lambda: proc.poll() is None and os.killpg(proc.pid, signal.SIGKILL))
    return proc


def regress_cmd(out: Path, *extra: str) -> list[str]:
    narrow = [] if DESIGNS == "all" else ["--designs", DESIGNS]
    narrow += [] if TESTS == "all" else ["--tests", TESTS]
    return [sys.executable, "scripts/regress.py", *narrow, "--seeds", str(SEEDS), "--coverage-build",
            "--out", str(out), *extra]


def merged(out: Path, tmp: Path) -> tuple[dict, dict, dict]:
    """JUnit outcomes, merged code coverage and merged functional coverage (per core) of a
    regression folder."""
    cores = sorted({job["job"]["core"] for job in json.loads((out / "summary.json").read_text())["jobs"]})
    functional = {core: cov.merge_functional(cov.functional_files(core, out), tmp / f"{out.name}_{core}.yml")
                  for core in cores}
    return regression.read_junit(out / "junit.xml"), cov.code_coverage(cov.run_files("coverage.dat", out)), functional


def wait_for(what: str, condition, timeout: float, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


@pytest.mark.skipif(NAMESPACES_UNAVAILABLE is not None, reason=str(NAMESPACES_UNAVAILABLE))
def test_two_namespace_cluster_with_a_killed_worker_equals_a_local_run(tmp_path):
    local, cluster = tmp_path / "local", tmp_path / "cluster"
    subprocess.run(regress_cmd(local, "--workers", "2"), cwd=ROOT, check=True, capture_output=True, timeout=3600)

    with two_namespaces() as (ns_a, ns_b), ExitStack() as stack:
        address = f"tcp://{SCHEDULER_IP}:{PORT}"
        start(stack, ns_a, [DASK, "scheduler", "--host", SCHEDULER_IP, "--port", str(PORT), "--no-dashboard"],
              tmp_path / "scheduler.log")
        worker_a = start(stack, ns_a, [DASK, "worker", address, "--host", SCHEDULER_IP, "--nthreads", "1",
                                       "--no-nanny", "--no-dashboard", "--name", "a"], tmp_path / "worker_a.log")
        worker_b = start(stack, ns_b, [DASK, "worker", address, "--host", WORKER_B_IP, "--nthreads", "1",
                                       "--no-nanny", "--no-dashboard", "--name", "b"], tmp_path / "worker_b.log")
        client = start(stack, ns_a, regress_cmd(cluster, "--scheduler", address), tmp_path / "client.log")
        # Kill worker b (and the simulator it runs) as soon as it has a job in progress: its scratch
        # folder (named after its host and pid) exists.
        def worker_b_busy():
            assert client.poll() is None, "the client ended early:\n" + (tmp_path / "client.log").read_text()[-3000:]
            return list(cluster.rglob(f".seed*.{worker_b.pid}"))
        in_progress = wait_for("worker b to start a job", worker_b_busy, 600)
        os.killpg(worker_b.pid, signal.SIGKILL)
        killed_job = in_progress[0]
        assert client.wait(timeout=3600) == 0, (tmp_path / "client.log").read_text()[-3000:]
        assert worker_a.poll() is None, "worker a should have survived"

    log = (tmp_path / "client.log").read_text()
    jobs = json.loads((cluster / "summary.json").read_text())["jobs"]
    # The killed job was run again elsewhere and completed: its run folder holds worker a's result.
    rerun = [j for j in jobs if Path(j["test_dir"]) == killed_job.parent / killed_job.name.split(".")[1]]
    assert rerun and rerun[0]["passed"] and rerun[0]["worker"].endswith(f":{worker_a.pid}"), (rerun, log[-2000:])

    for name, out in (("local", local), ("cluster", cluster)):
        summary = json.loads((out / "summary.json").read_text())
        print(f"{name}: {len(summary['jobs'])} jobs on {summary['workers']} workers, wall {summary['wall']}")
    local_junit, local_code, local_functional = merged(local, tmp_path)
    cluster_junit, cluster_code, cluster_functional = merged(cluster, tmp_path)
    local_jobs = json.loads((local / "summary.json").read_text())["jobs"]
    assert all(local_junit.values()) and len(local_junit) == len(local_jobs)
    if TESTS != "all" and DESIGNS == "dense":
        assert len(local_junit) == len(TESTS.split(",")) * SEEDS
    assert cluster_junit == local_junit
    assert cluster_code == local_code
    assert cluster_functional == local_functional
