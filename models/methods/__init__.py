"""The sparse-training methods, chosen by name (shared/design/cores.md says what each one is)."""
from __future__ import annotations

from models.methods.base import Method, parse_options
from models.methods.dqstp import Dqstp
from models.methods.nzpc import Nzpc
from models.methods.pruning import Structured, Unstructured
from models.methods.rowpipe import Rowpipe
from models.methods.swpu import Swpu
from models.methods.trainer import Trainer

METHODS = {cls.name: cls for cls in (Method, Unstructured, Structured, Swpu, Trainer, Dqstp, Nzpc, Rowpipe)}


def make_method(name: str, settings: list[str] | None = None) -> Method:
    """A method by name with NAME=VALUE option settings; ValueError for unknown names or options."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; methods are {', '.join(METHODS)}")
    cls = METHODS[name]
    return cls(parse_options(cls.Options, settings or []))
