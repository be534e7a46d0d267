"""Operation records: the exact operands and golden results of one layer operation of real training.

A record is one phase of one layer at one training step, with the stable id
``method/layer/phase/step`` (e.g. ``dense/conv2/FF/0``). Testbenches stream them into the cores.

Dense-equivalent GEMM, C[MxN] = A[MxK] . B[KxN] (lowering.py has the table):
  conv FF  A = W[Cout, Cin*kh*kw]          B = im2col(x)[Cin*kh*kw, batch*Ho*Wo]   C = Y
  conv BP  A = W^T[Cin*kh*kw, Cout]        B = dY[Cout, batch*Ho*Wo]               C = column gradient
                                                                                    (col2im -> dX is the driver's job)
  conv WG  A = dY[Cout, batch*Ho*Wo]       B = im2col(x)^T[batch*Ho*Wo, Cin*kh*kw] C = dW
  fc   FF  A = W[out, in]                  B = x^T[in, batch]                      C = Y^T
  fc   BP  A = W^T[in, out]                B = dY^T[out, batch]                    C = dX^T
  fc   WG  A = dY^T[out, batch]            B = x[batch, in]                        C = dW
im2col rows are (c, i, j), columns (sample, ho, wo), row-major. W is the weight FF uses (pruned or
quantized by the method); dY carries the training's loss scale (meta["loss_scale"]).
``a`` and ``b`` are float16 (IEEE, subnormals kept: where small gradients live); ``c`` is
golden.gemm_fp16(a, b) bit for bit. ``samples`` keeps the first samples of the batch: the first samples*Ho*Wo columns (FF, BP) or
rows of K (WG).

``arrays`` holds the method's operands in its core's number format, masks and expected core outputs;
``meta["outputs"]`` names the arrays that are golden results (beyond ``c``), ``meta["arrays"]`` says
what each array is. A method that removes outputs stores ``out_skip``; ``core_result()`` is then the
FP core's expected output (removed outputs +0, or Trainer's speculation estimate).

On disk: ``<dir>/<method>/<layer>/<phase>-<step>.npz`` (a, b, c and arrays as ``x.<name>``) next to
``<phase>-<step>.json`` (id, method, layer, phase, step, meta).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models import golden
from models.executor import PHASES

_PHASE_ORDER = {p: i for i, p in enumerate(PHASES)}


class RecordError(ValueError):
    """A record file or directory that cannot be loaded."""


class RecordSpecError(ValueError):
    """A record spec that does not fit the run (a layer the network lacks, a step past the end)."""


@dataclass
class OperationRecord:
    method: str
    layer: str
    phase: str
    step: int
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    arrays: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        """method/layer/phase/step; a method recorded in several settings (train.py FIXTURE_VARIANTS)
        names the setting: nzpc-relu6/conv2/FF/0."""
        variant = self.meta.get("record_set") if isinstance(self.meta, dict) else None
        return f"{self.method}{'-' + variant if variant else ''}/{self.layer}/{self.phase}/{self.step}"

    def core_result(self) -> np.ndarray:
        """C as the method's FP core delivers it: c, except the outputs its technique removes
        (arrays["out_skip"]), which are +0 or, where meta["skip_fill"] names an array (Trainer's
        speculation estimate), that array's value. Integer cores' results are arrays named in
        meta["outputs"] instead."""
        skip = self.arrays.get("out_skip")
        if skip is None:
            return self.c
        fill = self.arrays[self.meta["skip_fill"]] if self.meta.get("skip_fill") else np.float32(0)
        return np.where(skip, fill, self.c).astype(np.float32)

    def verify(self) -> None:
        """Raise RecordError unless c is golden.gemm_fp16(a, b) bit for bit."""
        if not np.array_equal(golden.bits(golden.gemm_fp16(self.a, self.b)), golden.bits(self.c)):
            raise RecordError(f"{self.id}: c is not golden.gemm_fp16(a, b)")

    def save(self, root) -> Path:
        base = Path(root) / self.method / self.layer / f"{self.phase}-{self.step}"
        base.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(base.with_suffix(".npz"), a=self.a, b=self.b, c=self.c,
                            **{f"x.{k}": v for k, v in self.arrays.items()})
        head = dict(id=self.id, method=self.method, layer=self.layer, phase=self.phase, step=self.step,
                    meta=self.meta)
        base.with_suffix(".json").write_text(json.dumps(head, indent=1, sort_keys=True) + "\n")
        return base.with_suffix(".npz")


def _load_one(npz_path: Path) -> OperationRecord:
    json_path = npz_path.with_suffix(".json")
    if not json_path.exists():
        raise RecordError(f"{npz_path}: no metadata file {json_path.name} next to it")
    try:
        head = json.loads(json_path.read_text())
    except json.JSONDecodeError as e:
        raise RecordError(f"{json_path}: not valid JSON ({e})") from None
    missing = {"id", "method", "layer", "phase", "step", "meta"} - set(head)
    if missing:
        raise RecordError(f"{json_path}: missing keys {sorted(missing)}")
    try:
        with np.load(npz_path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as e:  # noqa: BLE001 - any unreadable archive is one clear error
        raise RecordError(f"{npz_path}: not a readable npz archive ({e})") from None
    for key, dtype in (("a", np.float16), ("b", np.float16), ("c", np.float32)):
        if key not in data:
            raise RecordError(f"{npz_path}: array {key!r} missing")
        if data[key].dtype != dtype or data[key].ndim != 2:
            raise RecordError(f"{npz_path}: {key} must be a 2-D {np.dtype(dtype)} array, "
                              f"got {data[key].dtype}{list(data[key].shape)}")
    a, b, c = data["a"], data["b"], data["c"]
    if a.shape[1] != b.shape[0] or c.shape != (a.shape[0], b.shape[1]):
        raise RecordError(f"{npz_path}: shapes A{list(a.shape)} B{list(b.shape)} C{list(c.shape)} "
                          "do not form C = A.B")
    if head["phase"] not in PHASES:
        raise RecordError(f"{json_path}: phase {head['phase']!r} is not one of {PHASES}")
    rec = OperationRecord(head["method"], head["layer"], head["phase"], int(head["step"]), a, b, c,
                          {k[2:]: v for k, v in data.items() if k.startswith("x.")}, head["meta"])
    if rec.id != head["id"]:
        raise RecordError(f"{json_path}: id {head['id']!r} does not match its fields ({rec.id})")
    return rec


def record_paths(path) -> list[Path]:
    """The record locations a RECORDS value names: a path, a list of them, or paths joined by os.pathsep."""
    parts = list(path) if isinstance(path, (list, tuple)) else str(path).split(os.pathsep)
    paths = [Path(p) for p in parts if str(p)]
    if not paths:
        raise RecordError("no record path given")
    return paths


def _record_files(path: Path) -> list[Path]:
    if not path.exists():
        raise RecordError(f"{path}: no such file or directory")
    if path.is_dir():
        files = sorted(path.rglob("*.npz"))
    elif path.suffix in (".npz", ".json"):
        files = [path.with_suffix(".npz")]
        if not files[0].exists():
            raise RecordError(f"{files[0]}: no such record archive")
    else:
        raise RecordError(f"{path}: a record is a .npz file with its .json, or a directory of them")
    if not files:
        raise RecordError(f"{path}: no operation records (*.npz) found")
    return files


def load_records(path, *, method: str | None = None, layer: str | None = None,
                 phase: str | None = None, verify: bool = False) -> list[OperationRecord]:
    """All records under ``path`` (a directory, searched recursively, or one .npz/.json record file;
    several of them as a list or joined by os.pathsep), sorted by method, layer, phase (FF, BP, WG)
    and step, optionally filtered. ``verify`` recomputes every c with the golden GEMM."""
    paths = record_paths(path)
    files = sorted(dict.fromkeys(f for p in paths for f in _record_files(p)))
    recs = [_load_one(f) for f in files]
    recs = [r for r in recs if (method is None or r.method == method) and (layer is None or r.layer == layer)
            and (phase is None or r.phase == phase)]
    if not recs:
        raise RecordError(f"{path}: no records match method={method} layer={layer} phase={phase}")
    if verify:
        for r in recs:
            r.verify()
    return sorted(recs, key=lambda r: (r.method, r.layer, _PHASE_ORDER[r.phase], r.step))


# ---- what to record ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordSpec:
    """Parsed --record SPEC: ``layers=conv2,fc;phases=FF,BP,WG;steps=first,last;samples=2``.

    layers: names, or "all"; a name also selects its parts (conv2 selects conv2.lr and conv2.pw).
    phases: FF, BP, WG. steps: integers, "first" (the method's first step with its technique active)
    and "last". samples: how many batch samples a record keeps ("all" for the whole batch).
    """

    layers: tuple = ("all",)
    phases: tuple = PHASES
    steps: tuple = ("first", "last")
    samples: int | None = 2

    @classmethod
    def parse(cls, text: str) -> "RecordSpec":
        values: dict = {}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            if "=" not in part:
                raise ValueError(f"record spec part {part!r} is not KEY=VALUE")
            key, raw = (s.strip() for s in part.split("=", 1))
            items = tuple(filter(None, (s.strip() for s in raw.split(","))))
            if not items:
                raise ValueError(f"record spec {key} has no values")
            if key == "layers":
                values["layers"] = items
            elif key == "phases":
                bad = [p for p in items if p not in PHASES]
                if bad:
                    raise ValueError(f"unknown phase(s) {bad}; phases are {', '.join(PHASES)}")
                values["phases"] = items
            elif key == "steps":
                for s in items:
                    if s not in ("first", "last") and not (s.isdigit()):
                        raise ValueError(f"step {s!r} must be a non-negative integer, 'first' or 'last'")
                values["steps"] = tuple(s if s in ("first", "last") else int(s) for s in items)
            elif key == "samples":
                if len(items) != 1 or not (items[0] == "all" or (items[0].isdigit() and int(items[0]) > 0)):
                    raise ValueError(f"samples must be a positive integer or 'all', got {raw!r}")
                values["samples"] = None if items[0] == "all" else int(items[0])
            else:
                raise ValueError(f"unknown record spec key {key!r}; keys are layers, phases, steps, samples")
        return cls(**values)

    def wants_layer(self, name: str) -> bool:
        return "all" in self.layers or any(name == l or name.startswith(l + ".") for l in self.layers)


class Recorder:
    """Captures the ops a RecordSpec selects during training and writes them under ``root``."""

    def __init__(self, spec: RecordSpec, root, word_bits: int = 32, loss_scale: float = 1.0):
        self.spec, self.root, self.word_bits, self.loss_scale = spec, Path(root), word_bits, loss_scale
        self.written: list[Path] = []

    def check_layers(self, names: list[str]) -> None:
        for wanted in self.spec.layers:
            if wanted != "all" and not any(n == wanted or n.startswith(wanted + ".") for n in names):
                raise RecordSpecError(f"--record: no layer {wanted!r} in this network; layers are {', '.join(names)}")

    def begin(self, method, total_steps: int) -> None:
        self.method = method
        late = [s for s in self.spec.steps if isinstance(s, int) and s >= total_steps]
        if late:
            raise RecordSpecError(f"--record: step(s) {late} past the last step {total_steps - 1} of this run")
        self.steps = {method.first_active_step if s == "first" else total_steps - 1 if s == "last" else s
                      for s in self.spec.steps}

    def wants(self, op, step: int) -> bool:
        return step in self.steps and op.phase in self.spec.phases and self.spec.wants_layer(op.layer)

    def capture(self, op, ctx) -> None:
        if not self.wants(op, ctx.step):
            return
        if self.spec.samples is not None:
            op = op.first_samples(self.spec.samples)
        rec = make_record(self.method, op, ctx, self.word_bits, self.loss_scale)
        self.written.append(rec.save(self.root))


@dataclass
class RecordContext:
    """What a method's record_arrays reads of a training Context, for a record made outside a
    Recorder (the RTL trainer's): the step and the word size of packed arrays."""
    step: int
    word_bits: int = 32
    training: bool = True

    @property
    def recorder(self) -> "RecordContext":
        return self


def make_record(method, op, ctx, word_bits: int = 32, loss_scale: float = 1.0) -> OperationRecord:
    """The record of ``op`` (a GemmOp as the method decorated it, at ctx.step): FP16 operands, the
    golden C and the method's arrays for its core."""
    a = golden.to_fp16(op.a)
    b = golden.to_fp16(op.b)
    c = golden.gemm_fp16(a, b)
    arrays, extra = method.record_arrays(op, ctx, a, b, c)
    m, k, n = op.shape
    meta = dict(op.meta)
    for key in ("x_shape", "y_shape"):      # the batch of the kept samples, not of the training step
        if key in meta:
            meta[key] = [op.samples] + list(meta[key][1:])
    meta.update(kind=op.kind, gemm_shape=dict(M=m, K=k, N=n), samples=op.samples,
                sample_axis=op.sample_axis, per_sample=op.per_sample,
                sparsity_a=float((a == 0).mean()), sparsity_b=float((b == 0).mean()),
                word_bits=word_bits, loss_scale=loss_scale)
    outputs = list(extra.pop("outputs", []))
    described = dict(extra.pop("arrays", {}))
    meta.update(extra)
    if op.out_skip is not None and "out_skip" not in arrays:
        arrays["out_skip"] = op.out_skip
        described["out_skip"] = "bool[M, N]: outputs the method removes (core_result() has them +0)"
    meta.update(outputs=outputs, arrays=described)
    return OperationRecord(method.name, op.layer, op.phase, ctx.step, a, b, c, arrays, _jsonable(meta))


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x
