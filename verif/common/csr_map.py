"""The register map of a core, read from its SystemRDL source: the one place addresses, fields,
reset values and enums (error codes, phases) come from, for the RTL generator and the testbenches.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from systemrdl import RDLCompiler
from systemrdl.node import FieldNode, RegNode

ROOT = Path(__file__).resolve().parents[2]
COMMON_RDL_DIR = ROOT / "hdl" / "common"


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int
    writable: bool
    reset: int
    encode: str | None = None  # name of the enum the field's values come from
    hw_writable: bool = False  # hardware drives it (status, counters)
    hw_readable: bool = False  # hardware reads it (configuration)

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb

    def extract(self, word: int) -> int:
        return (word & self.mask) >> self.lsb

    def insert(self, word: int, value: int) -> int:
        if not 0 <= value < (1 << self.width):
            raise ValueError(f"field {self.name} is {self.width} bits wide; {value} does not fit")
        return (word & ~self.mask) | (value << self.lsb)


@dataclass(frozen=True)
class Register:
    name: str      # path below the core's addrmap without the common block's prefix: "STATUS", "DIM_M", "SRAM_RD[1]"
    address: int
    fields: dict[str, Field] = field(default_factory=dict)
    common: bool = False  # in the common block (accel_common.rdl) that the shell owns

    @property
    def reset(self) -> int:
        return sum(f.reset << f.lsb for f in self.fields.values())

    def pack(self, word: int | None = None, **values: int) -> int:
        """`word` (default: the reset value) with the named fields set to their values."""
        word = self.reset if word is None else word
        for name, value in values.items():
            if name not in self.fields:
                raise KeyError(f"{self.name} has no field {name!r}; it has {sorted(self.fields)}")
            word = self.fields[name].insert(word, value)
        return word


@dataclass(frozen=True)
class CsrMap:
    name: str
    registers: dict[str, Register]
    enums: dict[str, dict[str, int]]   # enum type name -> member -> value
    addr_width: int

    def __getitem__(self, name: str) -> Register:
        try:
            return self.registers[name]
        except KeyError:
            raise KeyError(f"{self.name} has no register {name!r}; it has {sorted(self.registers)}") from None

    def core_registers(self) -> list[Register]:
        """The core's own registers (not the common block), in address order."""
        return sorted((r for r in self.registers.values() if not r.common), key=lambda r: r.address)

    @property
    def sram_counters(self) -> int:
        """Per-buffer SRAM counter slots of the common block (SRAM_RD[i] / SRAM_WR[i])."""
        return sum(1 for name in self.registers if name.startswith("SRAM_RD["))

    @property
    def core_counters(self) -> tuple[str, ...]:
        """The core's own event counters: its registers whose one field is `count`."""
        return tuple(r.name for r in self.core_registers() if set(r.fields) == {"count"})

    @property
    def in_beat_bits(self) -> int:
        """Bits of an operand beat (SHELL.in_beat_bits: the shell's port width, one source)."""
        return self["SHELL"].fields["in_beat_bits"].reset

    @property
    def out_beat_bits(self) -> int:
        """Bits of a result beat (SHELL.out_beat_bits: the same for every core)."""
        return self["SHELL"].fields["out_beat_bits"].reset

    @property
    def common_counters(self) -> tuple[str, ...]:
        """The common block's scalar event counters (CYC_TOTAL ... OUT_BEATS), in address order."""
        return tuple(r.name for r in sorted(self.registers.values(), key=lambda r: r.address)
                     if r.common and "[" not in r.name and set(r.fields) == {"count"})

    def enum(self, enum_name: str) -> dict[str, int]:
        return self.enums[enum_name]

    def decode_error(self, value: int) -> str:
        """An ERR_CODE value's name: a common code (accel_err_e) or one of the core's (<core>_err_e)."""
        names = ["accel_err_e"] + sorted(e for e in self.enums if e.endswith("_err_e") and e != "accel_err_e")
        for enum_name in names:
            for member, v in self.enums[enum_name].items():
                if v == value:
                    return member
        return f"<unknown error code {value}>"

    def decode(self, enum_name: str, value: int) -> str:
        for member, v in self.enums[enum_name].items():
            if v == value:
                return member
        return f"<unknown {enum_name} {value}>"


def _enum_members(enum_cls) -> dict[str, int]:
    return {member.name: member.value for member in enum_cls}


@functools.cache
def load_csr_map(rdl_path: str | Path) -> CsrMap:
    """Compile a core's .rdl (which includes hdl/common/accel_common.rdl) into a CsrMap."""
    rdl_path = Path(rdl_path)
    if not rdl_path.is_file():
        raise FileNotFoundError(f"no SystemRDL file at {rdl_path}")
    compiler = RDLCompiler()
    compiler.compile_file(str(rdl_path), incl_search_paths=[str(COMMON_RDL_DIR), str(rdl_path.parent)])
    top = compiler.elaborate().top
    registers: dict[str, Register] = {}
    enums: dict[str, dict[str, int]] = {}
    for node in top.descendants(unroll=True):
        if not isinstance(node, RegNode):
            continue
        path = node.get_path(hier_separator=".")
        name = path.split(".", 1)[1]
        common = name.startswith("common.")
        if common:
            name = name[len("common."):]
        if name in registers:
            raise ValueError(f"{rdl_path}: register name {name} is used twice")
        fields = {}
        for f in node.fields():
            assert isinstance(f, FieldNode)
            encode = f.get_property("encode")
            if encode is not None:
                enums[encode.type_name] = _enum_members(encode)
            reset = f.get_property("reset")
            fields[f.inst_name] = Field(f.inst_name, f.lsb, f.width, f.is_sw_writable,
                                        int(reset) if isinstance(reset, int) else 0,
                                        encode.type_name if encode is not None else None,
                                        f.is_hw_writable, f.is_hw_readable)
        registers[name] = Register(name, node.absolute_address, fields, common)
    size = top.size
    return CsrMap(top.inst_name, registers, enums, max(1, (size - 1).bit_length()))
