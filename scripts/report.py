"""One page over every core: build/report/index.html, from what make compare and make area measured.

Usage: python scripts/report.py [--build build] [--out build/report]
Reads build/compare.json (required: `make compare`; its "cores" section holds the headline figures per
core variant, its "ops" every operation), build/area.json (`make area`: whole-core cells, flip-flop
bits, SRAM bits and the longest path; without it those columns are empty and the page says so) and
scripts/data/paper_claims.hjson (each seed paper's relative claims; "ours" is filled from the run).
Writes index.html, report.json (every number on the page) and the PNG plots beside it. Nothing on the
page is typed in by hand except the papers' claims and the reasons beside them. `make report` runs
make area, make compare and make energy first.
"""
from __future__ import annotations

import argparse
import datetime
import html
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from verif.common.cores import ROOT  # noqa: E402

CLAIMS = ROOT / "scripts" / "data" / "paper_claims.hjson"
PROXY_NOTE = ("Every figure is a proxy measured on the simulated RTL (cycles and events from its counters, "
              "toggles from its wave file, cells from Yosys generic synthesis, energy from per-event figures "
              "at 45 nm): for comparing the cores with each other and with their papers' relative claims, "
              "not for absolute TOPS/W or mm2.")


class ReportError(Exception):
    """An input is missing or does not hold what the page needs."""


def load_inputs(build: Path) -> dict:
    compare_path = build / "compare.json"
    if not compare_path.is_file():
        raise ReportError(f"no {compare_path}: run make compare first")
    compare = json.loads(compare_path.read_text())
    if "cores" not in compare:
        raise ReportError(f"{compare_path} has no per-core figures: it was written by an older make compare")
    area_path = build / "area.json"
    area = json.loads(area_path.read_text()) if area_path.is_file() else None
    import hjson
    claims = hjson.loads(CLAIMS.read_text())["claims"]
    return {"compare": compare, "area": area, "claims": claims}


# ---------------------------------------------------------------- paper claims
def buffer_cut() -> tuple[float, str]:
    """RowPipe's feature-map buffer cut: the largest of scripts/rowpipe_figures.py's shapes, with its
    digits and with-weights figures as the explanation."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from rowpipe_figures import buffer_table
    from verif.common.cores import load_core
    table = buffer_table(load_core("rowpipe").parameters["StageMacs"])
    top = max(table, key=lambda r: r["ratio"])
    digits = ", ".join(f"{r['shape']} {r['ratio']:.1f}x" for r in table if r["shape"].startswith("digits"))
    return top["ratio"], (f"{top['shape']}: {top['ratio']:.1f}x ({top['ratio_with_weights']:.1f}x with both "
                          f"layers' weights); {digits}")


def claim_rows(claims: list[dict], cores: list[dict]) -> list[dict]:
    """Each claim with ours filled in from the run (None where the run has no such figure)."""
    by_variant = {(c["variant"], c["records"]): c for c in cores}
    rows = []
    for c in claims:
        fig = by_variant.get((c.get("variant"), c.get("records", c["core"])))
        ours, detail = None, ""
        if c["ours"] == "speedup_end_to_end" and fig:
            ours, detail = fig["speedup_end_to_end"], f"{fig['records']} records, end to end"
        elif c["ours"] == "energy_ratio" and fig:
            ours, detail = fig.get("energy_ratio"), f"{fig['records']} records, event energy"
        elif c["ours"] == "iso_area" and fig:
            ours, detail = fig.get("iso_area_speedup"), "end-to-end speedup per logic cell"
        elif c["ours"] == "buffer_cut":
            ours, detail = buffer_cut()
        elif c["ours"] == "none":
            detail = "not measured"
        rows.append({**c, "ours_value": ours, "ours_detail": detail})
    return rows


# ---------------------------------------------------------------- plots
def label(fig: dict, baseline: str) -> str:
    """A core variant's name; a variant of the baseline itself (dense@tile16x16) runs every record set, so
    it is named with the records it is totalled over."""
    return f"{fig['variant']} on {fig['records']}" if fig["core"] == baseline else fig["variant"]
def plot_all(report: dict, out: Path) -> list[tuple[str, str]]:
    """The page's figures: (file name, caption)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cores = report["cores"]
    baseline = report["compare"]["baseline"]
    labels = [label(c, baseline) for c in cores]
    x = range(len(cores))
    made = []

    def save(fig, name, caption):
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
        made.append((name, caption))

    def stacked(bars, ylabel, name, caption):
        """One stacked bar per (label, {part: count}, effectual MACs), parts divided by the MACs; a label
        seen twice (dense on one record set, next to each of its variants) is drawn once."""
        bars = list({lab: (lab, parts, e) for lab, parts, e in bars if parts and e}.values())
        if not bars:
            return
        # the largest parts by their share over all bars, the rest as "other" (a legend stays readable)
        share = {}
        for _, parts, e in bars:
            for k, v in parts.items():
                share[k] = share.get(k, 0) + v / e
        keys = sorted(share, key=share.get, reverse=True)[:9]
        bars = [(lab, {**{k: parts.get(k, 0) for k in keys},
                       "other": sum(v for k, v in parts.items() if k not in keys)}, e) for lab, parts, e in bars]
        keys = keys + (["other"] if any(parts["other"] for _, parts, _ in bars) else [])
        fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(bars)), 5))
        bottom = [0.0] * len(bars)
        for key in keys:
            vals = [parts.get(key, 0) / e for _, parts, e in bars]
            ax.bar(range(len(bars)), vals, 0.7, bottom=bottom, label=key)
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_xticks(range(len(bars)), [b[0] for b in bars], rotation=60, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7, ncol=2)
        save(fig, name, caption)

    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(cores)), 4.5))
    ax.bar(x, [c["speedup_end_to_end"] or 0 for c in cores], 0.6, label="end to end (load + compute + drain)")
    ax.scatter(x, [c["speedup"] or 0 for c in cores], color="black", zorder=3, s=14, label="compute only")
    ax.scatter(x, [c["ideal_speedup"] or 0 for c in cores], marker="_", s=400, color="red", zorder=3,
               label="ideal (dense MACs / effectual MACs)")
    ax.axhline(1, color="grey", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(list(x), labels, rotation=45, ha="right")
    ax.set_ylabel("speedup over dense (log)")
    ax.legend(fontsize=8)
    save(fig, "speedup.png", "Speedup over dense on each core's own records, end to end and compute only, "
                             "against the ideal.")

    fig, axes = plt.subplots(2, 1, figsize=(max(8, 0.6 * len(cores)), 9))
    w = 0.4
    axes[0].bar([i - w / 2 for i in x], [c["utilization"] or 0 for c in cores], w, label="core")
    axes[0].bar([i + w / 2 for i in x], [c.get("baseline_utilization") or 0 for c in cores], w,
                label="dense on the same records")
    axes[0].set_ylabel("utilization (effectual MACs / MAC slots)")
    axes[1].bar([i - w / 2 for i in x], [c["sram_reads"] or 0 for c in cores], w, label="core")
    axes[1].bar([i + w / 2 for i in x], [c["baseline_sram_reads"] or 0 for c in cores], w,
                label="dense on the same records")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("SRAM reads (log; words of each buffer's own width)")
    for ax in axes:
        ax.set_xticks(list(x), labels, rotation=45, ha="right")
        ax.legend(fontsize=8)
    save(fig, "utilization_traffic.png", "Utilization and SRAM reads, each core against dense on the same records.")

    # Event energy per effectual MAC by kind, each core variant beside dense on its records.
    bars = []
    for c in cores:
        bars.append((label(c, baseline), c.get("energy_breakdown_pj") or {}, c.get("effectual_macs")))
        bars.append((f"dense on {c['records']}", c.get("baseline_energy_breakdown_pj") or {},
                     c.get("baseline_effectual_macs")))
    stacked(bars, "pJ / effectual MAC (45 nm event energy)", "energy.png",
            "Event energy per effectual MAC by kind (compute, SRAM, accumulator registers), each core beside "
            "dense on the same records; per buffer and per MAC kind in report.json.")

    # Toggles per effectual MAC by top-level instance, each core variant beside dense on its records.
    def with_rest(by_instance: dict, per_mac, macs) -> dict:
        """Toggles by sub-instance, and what the top level and generate blocks toggle (the whole core's
        count less the named instances') as one more part, so that each bar is the core's total."""
        rest = (per_mac or 0) * (macs or 0) - sum(by_instance.values())
        return {**by_instance, "top level and generate blocks": max(rest, 0)}

    bars = []
    for c in cores:
        bars.append((label(c, baseline), with_rest(c.get("toggles_by_instance") or {}, c["toggles_per_effectual_mac"],
                                                    c.get("effectual_macs")), c.get("effectual_macs")))
        bars.append((f"dense on {c['records']}",
                     with_rest(c.get("baseline_toggles_by_instance") or {}, c.get("baseline_toggles_per_effectual_mac"),
                               c.get("baseline_effectual_macs")), c.get("baseline_effectual_macs")))
    stacked(bars, "bit toggles / effectual MAC", "toggles.png",
            "Toggle power proxy per effectual MAC, by top-level instance (u_shell: CSRs, loader, drain, "
            "counters), each core beside dense on the same records.")

    if any(c.get("iso_area_speedup") for c in cores):
        fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(cores)), 4.5))
        ax.bar(x, [c.get("iso_area_speedup") or 0 for c in cores], 0.6)
        ax.axhline(1, color="grey", lw=0.8)
        ax.set_xticks(list(x), labels, rotation=45, ha="right")
        ax.set_ylabel("end-to-end speedup x dense cells / core cells")
        save(fig, "iso_area.png", "Iso-area throughput: end-to-end speedup per whole-core logic cell, against dense.")
    return made


# ---------------------------------------------------------------- HTML
def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def table(columns: list[tuple[str, str]], rows: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in columns)
    body = "".join("<tr>" + "".join(cell(r.get(key)) for key, _ in columns) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def cell(value) -> str:
    """Numbers right-aligned, text left."""
    numeric = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
    return f"<td class={'num' if numeric else 'txt'}>{fmt(value)}</td>"


HEADLINE = [("variant", "core variant"), ("records", "records"), ("speedup_end_to_end", "speedup e2e"),
            ("speedup", "speedup compute"), ("ideal_speedup", "ideal"),
            ("fraction_of_ideal_end_to_end", "fraction of ideal e2e"), ("utilization", "utilization"),
            ("baseline_utilization", "dense utilization"), ("sram_reads", "SRAM reads"),
            ("baseline_sram_reads", "dense SRAM reads"), ("toggles_per_effectual_mac", "toggles / eff. MAC"),
            ("baseline_toggles_per_effectual_mac", "dense toggles / eff. MAC"),
            ("pj_per_effectual_mac", "pJ / eff. MAC"), ("baseline_pj_per_effectual_mac", "dense pJ / eff. MAC"),
            ("energy_ratio", "energy: dense / core"), ("bank_conflicts", "bank conflicts"),
            ("software_bits", "driver-prepared bits"), ("cells", "cells"), ("iso_area_speedup", "iso-area speedup")]
CLAIM_COLUMNS = [("paper", "paper"), ("claim", "claim"), ("paper_value", "paper"), ("ours_value", "ours"),
                 ("ours_detail", "ours, measured as"), ("why", "why they differ")]
AREA_COLUMNS = [("core", "core"), ("cells", "cells"), ("ff_bits", "flip-flop bits"), ("sram_bits", "SRAM bits"),
                ("behavioural_mem_bits", "behavioural memory bits"), ("longest_path_gates", "longest path (gates)")]
OP_COLUMNS = [("op", "operation"), ("variant", "variant"), ("phase", "phase"), ("end_to_end_cycles", "e2e cycles"),
              ("speedup_end_to_end", "speedup e2e"), ("cycles", "compute cycles"), ("speedup", "speedup compute"),
              ("ideal_speedup", "ideal"), ("utilization", "utilization"), ("sram_reads", "SRAM reads"),
              ("toggles_per_effectual_mac", "toggles / eff. MAC"), ("bank_conflicts", "bank conflicts")]


def page(report: dict, figures: list[tuple[str, str]]) -> str:
    compare = report["compare"]
    area_note = ("" if report["area"] else "<p class=warn>No build/area.json: run <code>make area</code> for the "
                 "cells, flip-flop and SRAM bits, longest path and iso-area figures.</p>")
    costs = "".join(
        f"<h3>{html.escape(core)}</h3>" + table([("what", "what the driver computes"), ("how_often", "how often"),
                                                  ("bits", "size (bits, over M N K J)"),
                                                  ("phases", "phases")], items)
        for core, items in compare["software_costs"].items() if items)
    figs = "".join(f"<figure><img src='{name}' alt='{html.escape(cap)}'><figcaption>{html.escape(cap)}"
                   f"</figcaption></figure>" for name, cap in figures)
    defs = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in compare["definitions"].items())
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>Sparse-training cores: comparison report</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; max-width: 1600px; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }}
th, td {{ border: 1px solid #bbb; padding: 3px 6px; }}
th {{ background: #eee; }} td.num {{ text-align: right; }} td.txt {{ text-align: left; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
.warn {{ color: #a40; }} .note {{ color: #444; font-size: 13px; }}
</style></head><body>
<h1>Sparse-training cores against the dense baseline</h1>
<p class=note>{html.escape(report["generated"])}. {html.escape(PROXY_NOTE)}</p>
<p class=note>Records: {html.escape(", ".join(Path(r).name for r in compare["records"]))}.
Commands: <code>make report</code> (= <code>make area</code>, <code>make compare</code>, <code>make energy</code>,
then this page). Per-operation energy with its breakdown: <a href="../energy.csv">energy.csv</a>; Accelergy
action counts per operation: <code>build/accelergy/</code>.</p>
{area_note}
<h2>Per core, over its own records</h2>
{table(HEADLINE, report["cores"])}
{figs}
<h2>The papers' claims and ours</h2>
{table(CLAIM_COLUMNS, report["claims"])}
<h2>Area and clock proxy (whole cores)</h2>
{table(AREA_COLUMNS, report["area_rows"])}
<h2>What the driver computes in Python (software cost)</h2>
{costs}
<h2>Every operation</h2>
<details><summary>{len(compare["ops"])} operations</summary>{table(OP_COLUMNS, compare["ops"])}</details>
<h2>Definitions</h2><dl>{defs}</dl>
</body></html>
"""


def build_report(build: Path, out: Path) -> Path:
    inputs = load_inputs(build)
    compare, area = inputs["compare"], inputs["area"]
    cores = compare["cores"]

    area_rows = [{"core": core, **fig} for core, fig in ((area or {}).get("cores") or {}).items()]
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    report = {"compare": compare, "area": area, "cores": cores, "area_rows": area_rows,
              "claims": claim_rows(inputs["claims"], cores),
              "generated": f"generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC "
                           f"at commit {rev or 'unknown'}"}
    out.mkdir(parents=True, exist_ok=True)
    figures = plot_all(report, out)
    (out / "index.html").write_text(page(report, figures))
    (out / "report.json").write_text(json.dumps(
        {k: report[k] for k in ("cores", "claims", "area_rows", "generated")}, indent=1, default=str))
    return out / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=ROOT / "build", help="where compare.json and area.json are")
    parser.add_argument("--out", type=Path, default=None, help="default: <build>/report")
    args = parser.parse_args(argv)
    try:
        path = build_report(args.build, args.out or args.build / "report")
    except ReportError as exc:
        parser.error(str(exc))
    print(f"[report] wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
