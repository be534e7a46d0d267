"""Each method's technique, checked on small runs."""
import numpy as np
import pytest

from models.dataset import Split
from models.executor import GoldenExecutor, NumpyExecutor
from models.layers import softmax_cross_entropy, zero_derivative
from models.methods import METHODS, make_method
from models.methods.base import Method
from models.methods.dqstp import LowRankConv
from models.methods.swpu import cluster_filters, lane_utilization, select_sub_structured
from models.network import Context, build_cnn
from models.train import run_method
from models.training import TrainConfig, fit


def train(name, data, settings=(), epochs=2, seed=0):
    method = make_method(name, list(settings))
    rng = np.random.default_rng(seed)
    net = build_cnn(rng, 10, method.activation)
    fit(net, method, data, TrainConfig(epochs=epochs), rng)
    return net, method


def test_unknown_methods_and_options_are_rejected():
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        make_method("magic")
    with pytest.raises(ValueError, match="unknown option 'bogus'"):
        make_method("swpu", ["bogus=1"])
    with pytest.raises(ValueError, match="expects a float"):
        make_method("swpu", ["sparsity=lots"])
    with pytest.raises(ValueError, match="sparsity must be in"):
        make_method("structured", ["sparsity=1.5"])
    with pytest.raises(ValueError, match="activation must be one of"):
        make_method("nzpc", ["activation=tanh"])
    with pytest.raises(ValueError, match="NAME=VALUE"):
        make_method("dense", ["sparsity"])
    assert set(METHODS) == {"dense", "unstructured", "structured", "swpu", "trainer", "dqstp", "nzpc", "rowpipe"}


PRUNE_FAST = ["sparsity=0.6", "warmup_epochs=0", "ramp_end=0.5", "interval=1"]


@pytest.mark.parametrize("name", ["unstructured", "structured", "swpu", "trainer"])
def test_pruning_reaches_its_target_and_keeps_pruned_weights_out(name, small_digits):
    settings = PRUNE_FAST + (["compare_without_speculation=false"] if name == "trainer" else [])
    net, method = train(name, small_digits, settings)
    for i, g in enumerate(net.gemm_layers):
        zero = float((method.effective_weight(g) == 0).mean())
        if i == 0:
            assert zero == 0.0                         # the first layer is not pruned
        else:
            assert zero == pytest.approx(0.6, abs=0.02), g.name
            mask = method.masks[g.name]
            np.testing.assert_array_equal(g.weight.frozen, ~mask)
    if name == "structured":
        for g in net.gemm_layers[1:]:
            m = method.masks[g.name].reshape((len(method.masks[g.name]),) + (-1,))
            assert (m == m[:1]).all()                  # the same kernel positions in every filter


def test_sub_structured_selection_is_line_and_shape_masks():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((16, 8, 3, 3))
    ls = select_sub_structured(w, 0.75, 0.5)
    mask = ls.decode()
    assert 1 - mask.mean() == pytest.approx(0.75, abs=3 / w.size)
    assert 1 - ls.shape.mean() == pytest.approx(0.375, abs=1 / ls.shape.size)
    # every kept weight is in a kept line and a kept shape group; pruned lines hold no kept weight
    assert not (mask & ~ls.line[..., None]).any() and not (mask & ~ls.shape[None]).any()
    assert (mask.any(axis=3) == ls.line).all()


def test_hamming_clustering_groups_similar_filters():
    a = np.array([1, 1, 0, 0, 1, 0], bool)
    b = np.array([0, 0, 1, 1, 0, 1], bool)
    masks = np.array([a, b, a, b, a, b, a, b])          # interleaved: natural order mixes them
    order = cluster_filters(masks, 4)
    assert sorted(order.tolist()) == list(range(8))
    assert lane_utilization(masks, order, 4) == 1.0
    assert lane_utilization(masks, np.arange(8), 4) == 0.5


def test_swpu_summary_reports_clustering(small_digits):
    s = run_method("swpu", epochs=2, data=small_digits, progress=None, settings=PRUNE_FAST)
    for layer in s["swpu"]["layers"].values():
        assert 0 < layer["utilization_unclustered"] <= layer["utilization_clustered"] + 1e-9 <= 1 + 1e-9


def one_step_grads(method, data, activation="relu", one_pass_bn=False):
    net = build_cnn(np.random.default_rng(5), 10, activation)
    method.begin(net, 10, 10)
    for s in net.stages[:3]:
        s.bn.one_pass = s.bn.one_pass or one_pass_bn
    ctx = Context(method, training=True)
    _, g = softmax_cross_entropy(net.forward(data.x_train[:32], ctx), data.y_train[:32])
    net.backward(g * 1024, ctx)
    return {p.name: p.grad.copy() for p in net.params()}


class _Capture:
    """An executor that keeps every training op it runs (golden arithmetic)."""

    def __init__(self):
        self.ops, self.run = [], GoldenExecutor()

    def __call__(self, op):
        c = self.run(op)
        self.ops.append((op, c))
        return c


@pytest.mark.parametrize("activation", ["relu", "relu6", "leakyrelu"])
def test_nzpc_estimator_state_is_the_training_state_and_masks_only_zero_gradients(activation, small_digits):
    """Without BN the estimator's rule on the FF result is the activation state the training used,
    and every position the mask disallows holds a zero dZ in the same layer's BP and WG."""
    from models.methods.nzpc import allowed, estimate_state
    nz = make_method("nzpc", [f"activation={activation}"])
    net = build_cnn(np.random.default_rng(5), 10, activation, batch_norm=nz.batch_norm)
    nz.begin(net, 10, 10)
    cap = _Capture()
    ctx = Context(nz, executor=cap, training=True)
    _, g = softmax_cross_entropy(net.forward(small_digits.x_train[:16], ctx), small_digits.y_train[:16])
    net.backward(g * 1024, ctx)
    ff = {op.layer: c for op, c in cap.ops if op.phase == "FF"}
    checked = 0
    for op, _ in cap.ops:
        if op.phase == "FF":
            continue
        mask = op.aux_array("mask")
        np.testing.assert_array_equal(mask, estimate_state(ff[op.layer], op.meta["activation"]), err_msg=op.layer)
        dz = op.b if op.phase == "BP" else op.a
        assert not dz[~allowed(mask)].any(), (op.layer, op.phase)
        checked += op.meta["activation"] != "none"
    assert checked >= 5                          # conv1-3 WG, conv2-3 BP
    if activation == "leakyrelu":
        assert all(allowed(op.aux_array("mask")).all() for op, _ in cap.ops if op.phase != "FF")


def test_nzpc_balance_evens_lane_loads_and_is_a_permutation_per_block():
    from models.methods.nzpc import balance, line_costs
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 60, 100)
    lanes = 16
    lane_of = balance(counts, lanes)
    for b in range(len(lane_of) // lanes):
        assert sorted(lane_of[b * lanes:(b + 1) * lanes]) == list(range(lanes))
    cost = np.zeros(len(lane_of), np.int64)
    cost[:100] = line_costs(counts)
    loads = np.bincount(lane_of, weights=cost, minlength=lanes)
    identity = np.bincount(np.arange(len(lane_of)) % lanes, weights=cost, minlength=lanes)
    assert loads.max() - loads.min() <= cost.max() and loads.max() <= identity.max()
    # hand-checked: costs 5, 1, 9, 1 on 2 lanes -> block 0: line 0 (5) to lane 0, line 1 (1) to lane 1;
    # block 1: line 2 (9) to lane 1 (load 1), line 3 (1) to lane 0
    assert balance([5, 0, 9, 1], 2).tolist() == [0, 1, 1, 0]


def test_trainer_bp_and_wg_redundancy_masks_are_exact(small_digits):
    """Without speculation and pruning, Trainer's removed BP/WG outputs leave every gradient unchanged."""
    tr = make_method("trainer", ["speculate=false", "sparsity=0", "compare_without_speculation=false"])
    ref = one_step_grads(Method(), small_digits, one_pass_bn=True)      # Trainer's BN statistics
    got = one_step_grads(tr, small_digits)
    for name in ref:
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-5, atol=1e-6 * np.abs(ref[name]).max(), err_msg=name)


def test_trainer_speculation_forces_zeros_and_counts_mistakes(small_digits):
    net, tr = train("trainer", small_digits, ["speculation_start_epochs=0", "compare_without_speculation=false"])
    c = tr.counts
    assert c["outputs"] > 0 and 0 < c["skipped"] < c["outputs"] and c["wrong"] <= c["skipped"]
    net.forward(small_digits.x_train[:32], Context(tr, training=True, step=tr.total_steps))
    block = net.stages[0]                    # no pooling: the activation state lines up with the conv output
    assert block.conv.ff_skip is not None and block.conv.ff_skip.any()
    assert (block.act.state[block.conv.ff_skip] == 0).all()     # skipped outputs leave the activation at 0


def test_trainer_counts_its_speculation_estimate_apart_from_effectual_macs(small_digits):
    """The estimate runs on every output of a conv FF: with a margin so large that nothing is skipped,
    its MACs are exactly the FF's effectual MACs; with the default margin it skips outputs, so in the
    same run the estimate takes more pairs than the full-precision MACs left; other ops and methods
    have none."""
    spec = ["speculation_start_epochs=0", "compare_without_speculation=false"]
    never = run_method("trainer", epochs=1, data=small_digits, progress=None, settings=spec + ["margin=1e9"])
    skips = run_method("trainer", epochs=1, data=small_digits, progress=None, settings=spec)
    dense = run_method("dense", epochs=1, data=small_digits, progress=None)
    for layer, phases in never["layers"].items():
        for phase, row in phases.items():
            if layer.startswith("conv") and phase == "FF":
                assert row["estimate_macs"] == row["effectual_macs"] > 0, layer
                with_skips = skips["layers"][layer][phase]
                assert with_skips["estimate_macs"] > with_skips["effectual_macs"] > 0, layer
            else:
                assert row["estimate_macs"] == 0, (layer, phase)
    assert skips["trainer"]["speculated_outputs_fraction"] > 0
    assert 0 < skips["estimate_mac_fraction"] < 1 and dense["estimate_mac_fraction"] == 0


def test_dqstp_quantizes_weights_to_powers_of_two_and_decomposes(small_digits):
    s = run_method("dqstp", epochs=1, data=small_digits, progress=None, settings=["pretrain_epochs=1"])
    assert s["dqstp"]["ranks"] == {"conv2": 8, "conv3": 16}
    assert {"conv2.lr", "conv2.pw", "conv3.lr", "conv3.pw"} <= set(s["layers"])
    assert s["mac_fraction"] < 1.0                         # low rank does fewer MACs than the dense net


def test_low_rank_conv_at_full_rank_is_the_original_conv(small_digits):
    from models.layers import Conv2d
    rng = np.random.default_rng(1)
    conv = Conv2d("c", 4, 6, 3, 1, rng)
    low = LowRankConv(conv, 6, rng)
    x = rng.standard_normal((2, 4, 5, 5)).astype(np.float32)
    ctx = Context(Method(), executor=lambda op: op.a.astype(np.float64) @ op.b.astype(np.float64))
    np.testing.assert_allclose(low.forward(x, ctx), conv.forward(x, ctx), rtol=1e-4, atol=1e-4)


def test_dqstp_weights_are_powers_of_two(small_digits):
    net, m = train("dqstp", small_digits, ["pretrain_epochs=0"], epochs=1)
    for g in net.gemm_layers:
        w = m.effective_weight(g)
        nz = w[w != 0]
        np.testing.assert_array_equal(np.log2(np.abs(nz)), np.round(np.log2(np.abs(nz))))
        assert len(np.unique(np.abs(nz))) <= 7


def test_rowpipe_trains_only_the_head(digits):
    data = Split(digits.x_train[:400], digits.y_train[:400], digits.x_test[:100], digits.y_test[:100])
    s = run_method("rowpipe", epochs=1, data=data, progress=None,
                   settings=["pretrain_epochs=2", "compare_whole_network=false"])
    assert s["rowpipe"]["source_accuracy_int"] > 0.2
    assert set(s["layers"]["conv2"]) == {"FF"} and set(s["layers"]["fc2"]) == {"FF", "BP", "WG"}
    assert "BP" not in s["layers"]["fc1"]                    # nothing before the head is trained


def test_rowpipe_backbone_numpy_and_golden_executors_agree(digits):
    from models.methods.rowpipe import Rowpipe
    from models.train import Run
    data = Split(digits.x_train[:300], digits.y_train[:300], digits.x_test[:50], digits.y_test[:50])
    method = Rowpipe(Rowpipe.Options(pretrain_epochs=1))
    run = Run(method, TrainConfig(epochs=1), None, data)
    method.prepare(run)
    backbone = run.net.stages[0]
    q = np.clip(np.rint(data.x_test[:4] / backbone.s_in0), 0, 15).astype(np.float32)
    for layer in backbone.layers:
        fast = layer.forward(q, Context(method, executor=NumpyExecutor()))
        exact = layer.forward(q, Context(method, executor=GoldenExecutor()))
        if layer.s_out is not None:          # INT MACs, FP16 dequantizer, requantization: bit-exact
            np.testing.assert_array_equal(fast, exact)
        else:                                # FP16 features of the last block: float32 vs FP16 rounding
            np.testing.assert_allclose(fast, exact, rtol=1e-3, atol=1e-3)
        q = exact


def test_same_seed_same_result(small_digits):
    a = run_method("swpu", epochs=1, data=small_digits, progress=None, settings=PRUNE_FAST)
    b = run_method("swpu", epochs=1, data=small_digits, progress=None, settings=PRUNE_FAST)
    for key in ("test_accuracy", "weight_sparsity", "effectual_mac_fraction"):
        assert a[key] == b[key]
    assert a["history"][0]["train_loss"] == b["history"][0]["train_loss"]


def test_zero_derivative_states():
    assert zero_derivative(np.array([0, 1, 2, 3])).tolist() == [True, False, True, False]
