"""The CSR map has one source: the Python register model and the generated RTL agree on every address."""
from __future__ import annotations

import re

import pytest

from verif.common import runner
from verif.common.cores import core_names, load_core
from verif.common.csr_map import load_csr_map


@pytest.mark.parametrize("core_name", core_names())
def test_generated_rtl_decodes_every_register(core_name):
    core = load_core(core_name)
    csr = load_csr_map(core.rdl)
    rtl = runner.generate_csr(core)[1].read_text()
    decoded = {int(a, 16) for a in re.findall(r"cpuif_addr == \d+'h([0-9a-fA-F]+)", rtl)}
    for reg in csr.registers.values():
        if "[" not in reg.name:  # register arrays decode through a loop over their stride
            assert reg.address in decoded, f"{reg.name} @0x{reg.address:x} is not decoded by the RTL"


@pytest.mark.parametrize("core_name", core_names())
def test_common_block_and_error_codes(core_name):
    csr = load_csr_map(load_core(core_name).rdl)
    assert csr["ID"].address == 0 and csr["CTRL"].address == 4 and csr["STATUS"].address == 8
    errors = csr.enum("accel_err_e")
    assert errors["NONE"] == 0 and len(set(errors.values())) == len(errors)
    package = runner.generate_csr(load_core(core_name))[0].read_text()
    for name, value in errors.items():
        assert f"ERR_{name} = 8'd{value};" in package


def test_field_packing_rejects_overflow():
    csr = load_csr_map(load_core("dense").rdl)
    with pytest.raises(ValueError, match="does not fit"):
        csr["DIM_M"].fields["m"].insert(0, 1 << 16)
    with pytest.raises(KeyError, match="no register"):
        csr["NOPE"]
