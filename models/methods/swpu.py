"""SWPU: dynamic sub-structured pruning, shape-wise plus line-wise groups, with lane clustering.

Shape group: W[:, c, i, j], one kernel position across all filters (a whole row of im2col(x) is never
loaded). Line group: W[n, c, i, :], one kernel row of one filter (our interpretation). Re-selection:
first the lowest-L2 shape groups until ``shape_share`` of the target sparsity, then the lines with the
lowest L2 norm of their remaining weights until the target. W[n, c, i, j] is kept iff its shape group
and its line are kept, so the masks are exactly formats.LineShapeMasks.

Clustering: filters are processed ``lanes`` at a time and a group of lanes steps through the union of
their kept lines (each line's input is broadcast to the group), so lanes idle where their filter's line
is pruned. Greedy Hamming clustering of the filters' line masks (cluster_filters) gives the schedule
handed to the core, or the natural order if clustering does not beat it; lane utilization of both is
reported.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.formats import LineShapeMasks, pack_mask
from models.methods.pruning import PruningMethod, PruningOptions, keep_top, weight_view4


@dataclass
class SwpuOptions(PruningOptions):
    shape_share: float = 0.5   # part of the target sparsity removed by shape groups
    lanes: int = 8             # filters the core processes together

    def validate(self):
        super().validate()
        if not 0.0 <= self.shape_share <= 1.0:
            raise ValueError("shape_share must be in [0, 1]")
        if self.lanes < 1:
            raise ValueError("lanes must be at least 1")


def select_sub_structured(w4: np.ndarray, sparsity: float, shape_share: float) -> LineShapeMasks:
    n, c, kh, kw = w4.shape
    total = w4.size
    shape_score = np.sqrt(np.square(w4).sum(axis=0))                          # [C, kh, kw]
    shape = keep_top(shape_score, int(round(shape_share * sparsity * shape_score.size)))
    remaining = w4 * shape[None]
    live = shape.sum(axis=2)                                                  # kept weights per line [C, kh]
    line_score = np.sqrt(np.square(remaining).sum(axis=3)) / np.sqrt(np.maximum(live, 1))[None]
    line = np.ones((n, c, kh), dtype=bool)
    need = int(round(sparsity * total)) - (total - n * int(live.sum()))
    if need > 0:
        order = np.argsort(line_score.ravel(), kind="stable")
        sizes = np.broadcast_to(live[None], (n, c, kh)).ravel()[order]
        order = order[sizes > 0]                                              # lines already empty
        count = int(np.searchsorted(np.cumsum(sizes[sizes > 0]), need)) + 1
        line.ravel()[order[:count]] = False
    line[:, live == 0] = False        # every weight of the line is in pruned shape groups: nothing to fetch
    return LineShapeMasks(line=line, shape=shape)


def cluster_filters(line_masks: np.ndarray, lanes: int) -> np.ndarray:
    """A schedule (filter order) grouping filters with similar line masks [N, ...] into groups of lanes.

    Greedy: a group starts from the unassigned filter with the most kept lines and grows by the filter
    at the smallest Hamming distance from the group's union of lines (new lines make every other lane
    idle, missing lines idle this one).
    """
    masks = line_masks.reshape(line_masks.shape[0], -1)
    rem = np.arange(len(masks))
    order = []
    while len(rem):
        seed = rem[np.argmax(masks[rem].sum(axis=1))]
        union = masks[seed].copy()
        order.append(seed)
        rem = rem[rem != seed]
        for _ in range(lanes - 1):
            if not len(rem):
                break
            pick = rem[np.argmin((masks[rem] != union).sum(axis=1))]
            union |= masks[pick]
            order.append(pick)
            rem = rem[rem != pick]
    return np.array(order, dtype=np.int64)


def lane_utilization(line_masks: np.ndarray, order: np.ndarray, lanes: int) -> float:
    """Kept lines / (lanes x union of the group's lines), summed over groups of ``lanes`` filters."""
    masks = line_masks.reshape(line_masks.shape[0], -1)[order]
    work = slots = 0
    for g in range(0, len(masks), lanes):
        grp = masks[g:g + lanes]
        work += int(grp.sum())
        slots += lanes * int(grp.any(axis=0).sum())
    return work / slots if slots else 1.0


class Swpu(PruningMethod):
    name = "swpu"
    Options = SwpuOptions
    description = "dynamic sub-structured (shape + line) pruning with Hamming clustering of line masks"

    def begin(self, net, total_steps, steps_per_epoch):
        super().begin(net, total_steps, steps_per_epoch)
        self.structure: dict[str, LineShapeMasks] = {}

    def select(self, layer, sparsity):
        w4 = weight_view4(layer)
        ls = select_sub_structured(w4, sparsity, self.options.shape_share)
        self.structure[layer.name] = ls
        return ls.decode().reshape(layer.weight.value.shape)

    def structure_of(self, layer_name: str, dims) -> LineShapeMasks:
        n, c, kh, kw = dims
        return self.structure.get(layer_name) or LineShapeMasks(np.ones((n, c, kh), bool), np.ones((c, kh, kw), bool))

    def clustering(self, layer_name: str, dims) -> dict:
        ls = self.structure_of(layer_name, dims)
        lanes = self.options.lanes
        natural = np.arange(dims[0])
        order = cluster_filters(ls.line, lanes)
        clustered, unclustered = lane_utilization(ls.line, order, lanes), lane_utilization(ls.line, natural, lanes)
        if clustered < unclustered:          # the scheduler keeps the natural order when clustering loses
            order, clustered = natural, unclustered
        return {"order": order, "utilization_clustered": clustered, "utilization_unclustered": unclustered}

    def record_arrays(self, op, ctx, a16, b16, c):
        arrays, meta = super().record_arrays(op, ctx, a16, b16, c)
        if not meta.get("pruned"):
            return arrays, meta
        dims = _dims(op.meta)
        ls = self.structure_of(op.layer, dims)
        cl = self.clustering(op.layer, dims)
        wb = ctx.recorder.word_bits
        arrays.update(line_mask=ls.line, shape_mask=ls.shape, line_shape_words=ls.pack(wb),
                      schedule=cl["order"].astype(np.int16), k_keep=ls.shape.ravel(),
                      k_keep_words=pack_mask(ls.shape.ravel(), wb))
        meta["lanes"] = self.options.lanes
        meta["weight_dims"] = list(dims)
        meta["utilization_clustered"] = cl["utilization_clustered"]
        meta["utilization_unclustered"] = cl["utilization_unclustered"]
        meta["arrays"].update(
            line_mask="bool[N, C, kh]: line W[n, c, i, :] kept",
            shape_mask="bool[C, kh, kw]: shape group W[:, c, i, j] kept",
            line_shape_words="formats.LineShapeMasks.pack: shape bits then line bits",
            schedule="filter order from Hamming clustering; groups of `lanes` consecutive filters",
            k_keep="bool per weight column (c, i, j): False = the whole im2col row is pruned, never loaded",
            k_keep_words="k_keep packed 1 bit each")
        return arrays, meta

    def summary(self, run):
        out = {}
        for g in self.pruned:
            dims = weight_view4(g).shape
            ls = self.structure_of(g.name, dims)
            cl = self.clustering(g.name, dims)
            out[g.name] = {
                "shape_groups_pruned": float(1 - ls.shape.mean()),
                "lines_pruned": float(1 - ls.line.mean()),
                "utilization_clustered": cl["utilization_clustered"],
                "utilization_unclustered": cl["utilization_unclustered"],
            }
        return {"swpu": {"lanes": self.options.lanes, "shape_share": self.options.shape_share, "layers": out}}


def _dims(meta: dict) -> tuple:
    w = meta["w_shape"]
    return tuple(w) if len(w) == 4 else (w[0],) + tuple(meta["group_view"])


def group_unions(masks: np.ndarray, order: np.ndarray, lanes: int) -> np.ndarray:
    """Positions kept by some row of each group of ``lanes`` rows taken in ``order`` (masks [R, D]).

    This is what the SWPU core's detect-before-load fetches per group and tile: a position no row of
    the group keeps is never read (its count is the core's STEPS_SKIPPED per tile).
    """
    masks = np.asarray(masks, dtype=bool)
    order = np.asarray(order)
    if sorted(order.tolist()) != list(range(len(masks))):
        raise ValueError(f"order must be a permutation of 0..{len(masks) - 1}")
    return np.array([int(masks[order[g:g + lanes]].any(axis=0).sum()) for g in range(0, len(masks), lanes)],
                    dtype=np.int64)
