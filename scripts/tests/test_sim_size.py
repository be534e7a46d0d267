"""scripts/sim.py --size: a partial override of a core's manifest parameters, checked as the
manifest's `sizes` are (no simulator)."""
import pytest
from scriptload import load_script

from verif.common.cores import load_core

sim = load_script("sim")
DENSE = load_core("dense").parameters


def test_a_size_overrides_only_the_parameters_it_names():
    assert sim.parse_size("TileRows=16, Rows=1,Cols=16", DENSE) == {"TileRows": 16, "Rows": 1, "Cols": 16}


@pytest.mark.parametrize("text,error", [
    ("Tiles=16", "overrides some of the parameters"),   # not a parameter of the core
    ("Rows", "not Name=integer"),
    ("Rows=four", "not Name=integer"),
    ("Rows=2,Rows=4", "given twice"),
    (",", "overrides some of the parameters"),         # names nothing
])
def test_a_bad_size_is_refused_with_its_reason(text, error):
    with pytest.raises(ValueError, match=error):
        sim.parse_size(text, DENSE)


def test_the_command_line_refuses_a_bad_size_before_building(capsys):
    with pytest.raises(SystemExit):
        sim.main(["--design", "dense", "--size", "Tiles=16"])
    assert "--size" in capsys.readouterr().err
