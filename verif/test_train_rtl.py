"""Training through the RTL in `make test`: one step of dense training on the dense core under Verilator,
bit-identical to the golden executor (every operation's C, weights, momentum, BN statistics, loss);
and the same step with one bit of conv2's BP result flipped on its way back from the core, which must
stop the run naming that operation."""
from __future__ import annotations

import json
import re
import sys

from verif.common import runner
from verif.common.cores import ROOT, load_core

sys.path.insert(0, str(ROOT / "scripts"))
import train_rtl  # noqa: E402


def test_one_step_on_the_dense_core_is_bit_identical(tmp_path, capsys):
    out = tmp_path / "dense"
    assert train_rtl.main(["--design", "dense", "--steps", "1", "--batch", "2", "--no-toggles",
                           "--out", str(out)]) == 0, capsys.readouterr().out[-3000:]
    summary = json.loads((out / "train_rtl_summary.json").read_text())
    assert summary["passed"] and summary["failure"] is None
    (step,) = summary["steps"]
    assert step["identical"] and step["ops"] == step["ops_on_core"] == 11   # FF x4, BP x3, WG x4
    assert step["effectual_macs"] > 0 and 0 < step["utilization"] <= 1
    assert summary["off_core"] == {}
    assert (out / "train_rtl.png").stat().st_size > 0


def test_a_flipped_result_bit_stops_the_run_naming_the_operation(tmp_path):
    config = {"steps": 1, "batch": 2, "corrupt": "conv2/BP"}
    run = runner.run(load_core("dense"), runner.BuildOptions("verilator"), tmp_path, tests=[train_rtl.TEST],
                     seed=1, extra_env={"TRAIN_RTL": json.dumps(config)})
    assert run.failed == [train_rtl.TEST]
    result = json.loads((tmp_path / "train_rtl.json").read_text())
    assert result["steps"] == []
    assert re.match(r"step \d+ conv2/BP: the core's C differs from the golden executor's: 1 of \d+ elements differ",
                    result["failure"]), result["failure"]
