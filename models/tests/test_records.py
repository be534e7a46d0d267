"""Operation records: the committed fixtures against the golden model, the spec, slicing and the loader."""
import json
import os
import shutil

import numpy as np
import pytest

from models import golden
from models.formats import FCSR, Bitmap, LineShapeMasks, unpack_mask
from models.lowering import im2col
from models.methods import METHODS
from models.records import OperationRecord, RecordError, RecordSpec, load_records
from models.train import FIXTURES, run_method


@pytest.fixture(scope="module")
def fixtures():
    return load_records(FIXTURES)


def same_bits(x, y):
    np.testing.assert_array_equal(golden.bits(np.asarray(x)), golden.bits(np.asarray(y)))


def test_fixture_set_covers_every_method_layer_kind_phase_and_two_steps(fixtures):
    by_method = {}
    for r in fixtures:
        by_method.setdefault(r.method, []).append(r)
        assert r.meta["samples"] == 2
        assert r.a.dtype == np.float16 and r.b.dtype == np.float16 and r.c.dtype == np.float32
    assert set(by_method) == set(METHODS)
    for method, recs in by_method.items():
        kinds = {(r.meta["layer_type"], r.phase) for r in recs}
        expected = {("conv", "FF"), ("fc", "FF"), ("fc", "WG"), ("fc", "BP")}
        if method != "rowpipe":                     # rowpipe's conv backbone is frozen: FF only
            expected |= {("conv", "BP"), ("conv", "WG")}
        assert expected <= kinds, method
        assert len({r.step for r in recs}) == 2, method


def test_fixture_folder_stays_small():
    # a clone stays light: 3.5 MB for every method's records (rowpipe's three conv layers included)
    size = sum(f.stat().st_size for f in FIXTURES.rglob("*") if f.is_file())
    assert size < 3.5e6, f"{size} bytes"


def test_every_fixture_result_is_the_golden_gemm(fixtures):
    for r in fixtures:
        r.verify()
        record_set = f"-{r.meta['record_set']}" if r.meta.get("record_set") else ""
        assert r.id == f"{r.method}{record_set}/{r.layer}/{r.phase}/{r.step}"
        m, k, n = r.meta["gemm_shape"]["M"], r.meta["gemm_shape"]["K"], r.meta["gemm_shape"]["N"]
        assert r.a.shape == (m, k) and r.b.shape == (k, n)
    ids = [r.id for r in fixtures]
    assert len(ids) == len(set(ids)), "two records share an id"


def test_pruned_records_carry_their_masks(fixtures):
    for r in fixtures:
        if not r.meta.get("pruned"):
            continue
        mask = r.arrays["w_mask"]
        np.testing.assert_array_equal(unpack_mask(r.arrays["w_mask_words"], mask.shape, r.meta["word_bits"]), mask)
        if r.phase in ("FF", "BP"):
            assert not r.a[~mask].any(), r.id                 # pruned weights are zero
        else:
            skip = r.arrays.get("out_skip", np.zeros_like(mask))     # nothing pruned yet: nothing skipped
            np.testing.assert_array_equal(skip, ~mask)
            assert not r.core_result()[~mask].any()


def test_swpu_records_hold_line_and_shape_masks_and_a_schedule(fixtures):
    recs = [r for r in fixtures if r.method == "swpu" and r.meta.get("pruned")]
    assert recs
    for r in recs:
        ls = LineShapeMasks(r.arrays["line_mask"], r.arrays["shape_mask"])
        elements = ls.decode().reshape(len(ls.line), -1)
        np.testing.assert_array_equal(elements, r.arrays["w_mask"] if r.phase != "BP" else r.arrays["w_mask"].T)
        back = LineShapeMasks.unpack(r.arrays["line_shape_words"], r.meta["weight_dims"], r.meta["word_bits"])
        np.testing.assert_array_equal(back.line, ls.line)
        np.testing.assert_array_equal(back.shape, ls.shape)
        assert sorted(r.arrays["schedule"].tolist()) == list(range(len(ls.line)))
        np.testing.assert_array_equal(r.arrays["k_keep"], ls.shape.ravel())
        assert r.meta["utilization_clustered"] >= r.meta["utilization_unclustered"]


def test_trainer_records_follow_the_golden_speculation_rule(fixtures):
    recs = [r for r in fixtures if r.method == "trainer"]
    speculated = [r for r in recs if "spec_estimate" in r.arrays]
    assert speculated
    for r in speculated:
        est = golden.speculation_estimate(r.a, r.b, r.meta["keep_mantissa_bits"])
        same_bits(est, r.arrays["spec_estimate"])
        skip = golden.speculation_skip(est, r.arrays["spec_threshold"], r.arrays["spec_direction"])
        np.testing.assert_array_equal(skip, r.arrays["out_skip"])
        assert 0 < skip.mean() < 1
        core = r.core_result()
        same_bits(core[skip], est[skip])
        same_bits(core[~skip], r.c[~skip])
    for r in recs:
        if "bn_sum" in r.arrays:
            s, q = golden.row_sum_sumsq(r.core_result())
            same_bits(s, r.arrays["bn_sum"])
            same_bits(q, r.arrays["bn_sumsq"])
        mode = r.meta["dataflow"]
        operand = r.a if mode == "compress_A" else r.b
        back = Bitmap.unpack(r.arrays["compressed_words"], operand.shape, np.float16, r.meta["word_bits"]).decode()
        np.testing.assert_array_equal(back, np.where(operand == 0, 0, operand))
    bp = [r for r in recs if r.phase == "BP" and r.meta["layer_type"] == "conv"]
    assert bp and all(r.arrays["out_skip"].any() for r in bp)


def test_dqstp_records_hold_integer_operands_and_the_exact_accumulator(fixtures):
    recs = [r for r in fixtures if r.method == "dqstp"]
    assert {r.meta["kind"] for r in recs} == {"shift_add", "int_mac"}
    for r in recs:
        wb = r.meta["word_bits"]
        if r.meta["kind"] == "shift_add":
            acc = golden.shift_add_gemm(r.arrays["a_codes"], r.arrays["b_q"], r.meta["code_bits"], r.meta["b_bits"])
            if r.meta["dense_equivalent_exact"]:
                np.testing.assert_array_equal(
                    r.a.astype(np.float64), golden.pow2_values(r.arrays["a_codes"], r.meta["a_exp_base"], r.meta["code_bits"]))
        else:
            acc = golden.int_gemm(r.arrays["a_q"], r.arrays["b_q"], r.meta["a_bits"], r.meta["b_bits"])
            a_back = FCSR.unpack(r.arrays["a_fcsr_words"], r.arrays["a_q"].shape, np.int8, wb, r.meta["a_bits"])
            np.testing.assert_array_equal(a_back.decode(), r.arrays["a_q"])
        np.testing.assert_array_equal(acc, r.arrays["acc"])
        b_back = FCSR.unpack(r.arrays["b_fcsr_words"], r.arrays["b_q"].shape, np.int8, wb, r.meta["b_bits"])
        np.testing.assert_array_equal(b_back.decode(), r.arrays["b_q"])
        if r.meta["dense_equivalent_exact"]:        # the FP16 dense equivalent is the same product
            np.testing.assert_allclose(acc * 2.0 ** r.meta["result_exp"], r.c, rtol=1e-5,
                                       atol=1e-6 * max(1.0, float(np.abs(r.c).max())))


def test_nzpc_records_hold_the_estimator_state_and_the_masks_of_the_same_step(fixtures):
    from models.methods.nzpc import allowed, estimate_state
    recs = [r for r in fixtures if r.method == "nzpc"]
    assert {r.meta["activation"] for r in recs} == {"relu", "relu6", "leakyrelu", "none"}
    ff = {(r.meta["network_activation"], r.layer, r.step): r for r in recs if r.phase == "FF"}
    assert len(ff) == 3 * 2 * 2                         # three activations, conv2 and fc, two steps
    for r in recs:
        if r.phase == "FF":
            st = r.arrays["state"]
            np.testing.assert_array_equal(st, estimate_state(r.c, r.meta["activation"]))
            np.testing.assert_array_equal(r.arrays["row_count"], allowed(st).sum(axis=1))
            np.testing.assert_array_equal(r.arrays["col_count"], allowed(st).sum(axis=0))
            continue
        mask = r.arrays["mask"]
        dz = r.b if r.phase == "BP" else r.a
        assert mask.shape == dz.shape
        assert not dz[~allowed(mask)].any()            # the zeros are known without looking
        twin = ff[r.meta["network_activation"], r.layer, r.step]
        np.testing.assert_array_equal(mask, twin.arrays["state"])      # FF's estimate = training's state


def test_rowpipe_records_hold_the_integer_pipeline(fixtures):
    recs = [r for r in fixtures if r.method == "rowpipe" and r.meta["kind"] == "int_dequant"]
    assert recs
    for r in recs:
        acc = golden.int_gemm(r.arrays["a_q"], r.arrays["b_q"], r.meta["w_bits"], r.meta["act_bits"], b_signed=False)
        np.testing.assert_array_equal(acc, r.arrays["acc"])
        y = golden.dequant_affine(acc, r.arrays["scale"], r.arrays["shift"])
        same_bits(y, r.arrays["y"])
        if "q_out" in r.arrays:
            np.testing.assert_array_equal(golden.requantize_unsigned(y, r.meta["act_bits"]), r.arrays["q_out"])
        k, pad = r.meta["kernel"], r.meta["pad"]
        np.testing.assert_array_equal(im2col(r.arrays["x_q"], k, k, pad), r.arrays["b_q"])


def test_rowpipe_pipeline_pair_is_the_training(fixtures):
    """The RowPipe core's CONV job (two frozen layers, requantize, pool between) computed by
    models.methods.rowpipe.pipeline_pair equals what the training did layer by layer: the second
    layer's recorded input map and output, bit for bit, for conv1 -> conv2 and conv2 -> pool -> conv3."""
    from models.methods.rowpipe import FrozenConv, pipeline_pair
    ff = {(r.layer, r.step): r for r in fixtures if r.method == "rowpipe" and r.meta["kind"] == "int_dequant"}
    pairs = 0
    for (first, step), r1 in ff.items():
        nxt = f"conv{int(first[-1]) + 1}"
        if (nxt, step) not in ff:
            continue
        r2 = ff[nxt, step]
        layer = lambda r: FrozenConv(r.arrays["a_q"].reshape(r.meta["w_shape"]), r.arrays["scale"],  # noqa: E731
                                     r.arrays["shift"], r.meta["pad"])
        pool = r2.meta["x_shape"][2] < r1.meta["y_shape"][2]
        for image, x in enumerate(r1.arrays["x_q"]):
            out = pipeline_pair(x, layer(r1), layer(r2), pool)
            np.testing.assert_array_equal(out["q1p"], r2.arrays["x_q"][image])
            ho, wo = r2.meta["y_shape"][2:]
            y2 = r2.arrays["y"].reshape(-1, r2.meta["samples"], ho, wo)[:, image]
            same_bits(out["y2"], y2)
            pairs += 1
    assert pairs == 8          # 2 pairs x 2 steps x 2 images


def test_sparsity_differs_between_early_and_late_records(fixtures):
    for method in ("unstructured", "structured", "swpu"):
        ff = sorted((r for r in fixtures if r.method == method and r.layer == "conv2" and r.phase == "FF"),
                    key=lambda r: r.step)
        assert ff[0].meta["sparsity_a"] < 0.1 < 0.5 < ff[-1].meta["sparsity_a"], method


def test_record_spec_parsing():
    spec = RecordSpec.parse("layers=conv2,fc; phases=FF,WG; steps=0,last,17; samples=3")
    assert spec.layers == ("conv2", "fc") and spec.phases == ("FF", "WG")
    assert spec.steps == (0, "last", 17) and spec.samples == 3
    assert RecordSpec.parse("samples=all").samples is None
    assert spec.wants_layer("conv2.lr") and not spec.wants_layer("conv3")
    for bad, msg in [("phases=XX", "unknown phase"), ("steps=-1", "non-negative"), ("samples=0", "positive"),
                     ("colour=red", "unknown record spec key"), ("layers", "KEY=VALUE"), ("layers=", "no values")]:
        with pytest.raises(ValueError, match=msg):
            RecordSpec.parse(bad)


def test_samples_keep_the_first_samples_of_the_batch(tmp_path, small_digits):
    full = RecordSpec.parse("layers=conv3,fc;phases=FF,BP,WG;steps=0;samples=all")
    two = RecordSpec.parse("layers=conv3,fc;phases=FF,BP,WG;steps=0;samples=2")
    run_method("dense", epochs=1, data=small_digits, out=tmp_path / "all", record=full, progress=None)
    run_method("dense", epochs=1, data=small_digits, out=tmp_path / "two", record=two, progress=None)
    big = {r.id: r for r in load_records(tmp_path / "all")}
    small = load_records(tmp_path / "two", verify=True)
    assert len(small) == 6
    for r in small:
        ref = big[r.id]
        keep = 2 * r.meta["per_sample"]
        if r.meta["sample_axis"] == "N":
            np.testing.assert_array_equal(r.a, ref.a)
            np.testing.assert_array_equal(r.b, ref.b[:, :keep])
        else:
            np.testing.assert_array_equal(r.a, ref.a[:, :keep])
            np.testing.assert_array_equal(r.b, ref.b[:keep])
        assert r.meta["x_shape"][0] == 2 and ref.meta["x_shape"][0] == 32


def test_save_and_load_round_trip(tmp_path):
    a = np.array([[1, 0], [0, 2]], np.float16)
    rec = OperationRecord("m", "l", "WG", 3, a, a, golden.gemm_fp16(a, a), {"mask": a != 0}, {"layer_type": "fc"})
    rec.save(tmp_path)
    (back,) = load_records(tmp_path / "m" / "l" / "WG-3.npz", verify=True)
    assert back.id == "m/l/WG/3" and back.meta == {"layer_type": "fc"}
    np.testing.assert_array_equal(back.arrays["mask"], a != 0)
    assert load_records(tmp_path, phase="WG")[0].id == "m/l/WG/3"
    with pytest.raises(RecordError, match="no records match"):
        load_records(tmp_path, phase="FF")



def test_several_record_paths_load_as_one_set(tmp_path):
    a = np.array([[1, 0], [0, 2]], np.float16)
    for method, where in (("m1", "x"), ("m2", "y")):
        OperationRecord(method, "l", "FF", 0, a, a, golden.gemm_fp16(a, a)).save(tmp_path / where)
    both = ["m1/l/FF/0", "m2/l/FF/0"]
    assert [r.id for r in load_records([tmp_path / "x", tmp_path / "y"])] == both
    assert [r.id for r in load_records(f"{tmp_path / 'y'}{os.pathsep}{tmp_path / 'x'}")] == both
    assert [r.id for r in load_records([tmp_path / "x", tmp_path], method="m1")] == ["m1/l/FF/0"]  # no twice
    with pytest.raises(RecordError, match="no such file"):
        load_records([tmp_path / "x", tmp_path / "missing"])


def test_loader_rejects_malformed_records(tmp_path):
    with pytest.raises(RecordError, match="no such file"):
        load_records(tmp_path / "missing")
    with pytest.raises(RecordError, match="no operation records"):
        load_records(tmp_path)
    a = np.ones((2, 2), np.float16)
    good = OperationRecord("m", "l", "FF", 0, a, a, golden.gemm_fp16(a, a))
    path = good.save(tmp_path / "r")

    def broken(edit):
        d = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
        shutil.copytree(tmp_path / "r", d)
        edit(d / "m" / "l")
        return d

    d = broken(lambda p: (p / "FF-0.json").unlink())
    with pytest.raises(RecordError, match="no metadata file"):
        load_records(d)
    d = broken(lambda p: (p / "FF-0.json").write_text("{"))
    with pytest.raises(RecordError, match="not valid JSON"):
        load_records(d)
    d = broken(lambda p: (p / "FF-0.json").write_text(json.dumps({"id": "x", "method": "m", "layer": "l",
                                                                   "phase": "FF", "step": 0, "meta": {}})))
    with pytest.raises(RecordError, match="does not match"):
        load_records(d)
    d = broken(lambda p: np.savez(p / "FF-0.npz", a=a.astype(np.float32), b=a, c=np.ones((2, 2), np.float32)))
    with pytest.raises(RecordError, match="float16"):
        load_records(d)
    d = broken(lambda p: np.savez(p / "FF-0.npz", a=a, b=a, c=np.ones((2, 2), np.float32)))
    with pytest.raises(RecordError, match="not golden"):
        load_records(d, verify=True)
    d = broken(lambda p: (p / "FF-0.npz").write_bytes(b"junk"))
    with pytest.raises(RecordError, match="not a readable npz"):
        load_records(d)
    other = tmp_path / "note.txt"
    other.write_text("x")
    with pytest.raises(RecordError, match="a record is a .npz"):
        load_records(other)
    assert load_records(path)[0].id == "m/l/FF/0"
