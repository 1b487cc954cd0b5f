"""Branch and bound over all of R^n: a proven lower bound on inf L, and the tree that proves it.

Boxes may be unbounded. The root is [-inf, inf]^n; a box is split at 0 when a side is
[-inf, inf], at max(1, 2a) when it is [a, inf] with a >= 0 (doubling, so saturated regions
become a few boxes with tight enclosures), at 0 when it is [a, inf] with a < 0, and at the
midpoint when bounded. Each box ends as one node of a tree:

* ``leaf``: a lower bound of L on the box (natural or centred interval form);
* ``split``: coordinate k at a point c; two children [lo_k, c] and [c, hi_k];
* ``monotone``: the interval gradient has a strict sign in coordinate k on the box, so the
  infimum over the box equals the infimum over the part ``keep`` = [lo_k, c] (increasing) or
  [c, hi_k] (decreasing) of coordinate k; one child, the box with coordinate k in ``keep``
  (a face when lo_k, resp. hi_k, is finite).

The lower bound is the minimum over the leaves. Boxes left when a limit stops the search become
leaves with their parent's bound, so a stopped run still has a valid (looser) lower bound.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass

import numpy as np

from ..exact import compiled
from ..network import Problem
from ..tolerances import CERT_MIN_WIDTH
from .coords import to_weights
from .enclose import enclosure

BATCH = 512


@dataclass(frozen=True)
class Node:
    """One box of the search tree; ``children`` index into the node list.

    Only leaves keep their box (``lo``, ``hi``); inner boxes follow from the root and the splits.
    """

    lo: tuple[float, ...]
    hi: tuple[float, ...]
    kind: str  # leaf | split | monotone
    bound: float = -math.inf
    form: str = ""  # leaf: natural | centred | inherited
    coord: int = -1
    at: float = math.nan  # split point, or the end of the kept part (monotone)
    side: str = ""  # monotone: lo (increasing: keep [lo_k, at]) or hi (decreasing: keep [at, hi_k])
    children: tuple[int, ...] = ()


@dataclass(frozen=True)
class BnBResult:
    lower: float
    nodes: tuple[Node, ...]
    leaves: int
    complete: bool  # every box was decided (no limit stopped the search)
    stopped: str  # "" or the limit that stopped it
    best_points: np.ndarray  # (k, n) finite weights with the smallest float losses seen
    best_loss: float


def split_point(lo: float, hi: float) -> float | None:
    """Where to split [lo, hi]; None if it cannot be split into two nonempty smaller parts."""
    if lo == -math.inf and hi == math.inf:
        return 0.0
    if hi == math.inf:
        c = max(1.0, 2.0 * lo) if lo >= 0 else 0.0
        return c if math.isfinite(c) else None
    if lo == -math.inf:
        c = min(-1.0, 2.0 * hi) if hi <= 0 else 0.0
        return c if math.isfinite(c) else None
    c = lo + (hi - lo) / 2
    if not math.isfinite(c):
        c = lo / 2 + hi / 2
    return c if lo < c < hi else None


def _proxy_width(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Finite widths as they are; a half-line [a, inf] counts 4 max(1, |a|); a line, inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        w = hi - lo
    half = np.isfinite(lo) ^ np.isfinite(hi)
    end = np.where(np.isfinite(lo), lo, hi)
    w = np.where(half, 4.0 * np.maximum(1.0, np.abs(np.where(half, end, 0.0))), w)
    return np.where(np.isinf(lo) & np.isinf(hi), np.inf, w)


def _sample_points(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One finite point in each box: its centre, or a point near its finite end."""
    p = np.zeros_like(lo)
    both = np.isfinite(lo) & np.isfinite(hi)
    with np.errstate(invalid="ignore", over="ignore"):
        p = np.where(both, lo + (hi - lo) / 2, p)
    p = np.where(np.isfinite(lo) & ~np.isfinite(hi), np.where(lo >= 0, 2 * lo + 1, 0.0), p)
    p = np.where(~np.isfinite(lo) & np.isfinite(hi), np.where(hi <= 0, 2 * hi - 1, 0.0), p)
    return np.where(np.isfinite(p), p, np.where(np.isfinite(lo), lo, hi))


def branch_and_bound(
    problem: Problem,
    *,
    tol: float,
    upper: float,
    upper_point: np.ndarray | None,
    max_boxes: int,
    deadline: float,
    progress=None,
) -> BnBResult:
    """Bound inf L over R^n from below; ``upper`` (a float estimate of inf L) drives pruning."""
    enc = enclosure(problem)
    f = compiled(problem).loss
    n = problem.n_params
    nodes: list[Node | None] = [None]
    pending_box = {0: (np.full(n, -np.inf), np.full(n, np.inf))}
    heap = [(-math.inf, 0, 0)]  # (inherited bound, tie, id)
    ub = upper
    best = [(upper, tuple(upper_point))] if upper_point is not None else []
    prune = tol / 2
    processed = 0
    stopped = ""
    leaf_min = math.inf
    while heap:
        # The root is always processed, so even a stopped run has a finite lower bound.
        if processed >= max_boxes:
            stopped = "max_boxes"
            break
        if processed and time.monotonic() > deadline:
            stopped = "time_limit"
            break
        take = min(len(heap), BATCH, max(1, max_boxes - processed))
        batch = [heapq.heappop(heap) for _ in range(take)]
        ids = [b[2] for b in batch]
        lo = np.stack([pending_box[i][0] for i in ids])
        hi = np.stack([pending_box[i][1] for i in ids])
        for i in ids:
            del pending_box[i]
        bb = enc.bounds(lo, hi)
        pts = to_weights(problem, _sample_points(lo, hi))
        with np.errstate(all="ignore"):
            vals = f(np.where(np.isfinite(pts), pts, 0.0))
        for v, p in zip(vals, pts):
            if np.isfinite(v) and v < ub:
                ub = float(v)
            if np.isfinite(v):
                best.append((float(v), tuple(p)))
        if len(best) > 64:
            best = sorted(best)[:16]
        processed += take
        width = _proxy_width(lo, hi)
        mag = np.maximum(np.abs(bb.grad_lo), np.abs(bb.grad_hi))
        with np.errstate(invalid="ignore", over="ignore"):
            score = np.where(np.isinf(width), np.inf, np.nan_to_num(mag * width, nan=np.inf, posinf=np.inf))
            tiny = CERT_MIN_WIDTH * (1 + np.abs(np.where(np.isfinite(lo), lo, 0.0)))
        small = np.all((width <= tiny) | (width == 0), axis=1)
        # Infinite sides first (any pre-activation they enter is unbounded): lines, then the
        # half-line [a, inf] with the largest |g| / (1 + |a|) (far out, sigma is saturated and a
        # doubling split gains nothing); bounded sides by the largest gradient smear |g| * width.
        unbounded = ~(np.isfinite(lo) & np.isfinite(hi))
        end = np.where(np.isfinite(lo), lo, np.where(np.isfinite(hi), hi, 0.0))
        with np.errstate(invalid="ignore"):
            half_score = np.nan_to_num(mag / (1.0 + np.abs(end)), nan=np.inf, posinf=np.inf)
        score = np.where(unbounded, np.where(np.isinf(width), np.inf, half_score), score)
        order = np.lexsort((-width, -score, ~unbounded), axis=1)
        for j, node_id in enumerate(ids):
            nd = _decide(
                lo[j], hi[j], bb, j, ub - prune, nodes, pending_box, heap, width[j], small[j], order[j]
            )
            nodes[node_id] = nd
            if nd.kind == "leaf":
                leaf_min = min(leaf_min, nd.bound)
        if progress is not None:
            live = heap[0][0] if heap else math.inf
            progress.update(take)
            progress.set_postfix_str(f"lower {min(live, leaf_min):.12g}  upper {ub:.12g}  open {len(heap)}")
    # Whatever is left keeps its parent's bound: valid for any subset of the parent's box.
    for inherited, _, node_id in heap:
        blo, bhi = pending_box.pop(node_id)
        nodes[node_id] = Node(
            tuple(blo.tolist()), tuple(bhi.tolist()), "leaf", bound=inherited, form="inherited"
        )
    leaf_bounds = [nd.bound for nd in nodes if nd.kind == "leaf"]
    best_sorted = sorted(best)[:8]
    return BnBResult(
        lower=min(leaf_bounds),
        nodes=tuple(nodes),
        leaves=len(leaf_bounds),
        complete=not stopped,
        stopped=stopped,
        best_points=np.array([p for _, p in best_sorted], dtype=float).reshape(-1, n),
        best_loss=ub,
    )


def _decide(lo, hi, bb, j, threshold, nodes, pending_box, heap, width, small, order):
    bound = float(bb.bound[j])
    form = "centred" if bb.centred[j] > bb.natural[j] else "natural"

    def push(clo, chi):
        cid = len(nodes)
        nodes.append(None)
        pending_box[cid] = (clo, chi)
        heapq.heappush(heap, (bound, cid, cid))
        return cid

    def leaf():
        return Node(tuple(lo.tolist()), tuple(hi.tolist()), "leaf", bound=bound, form=form)

    if bound >= threshold:
        return leaf()
    # Monotonicity: the infimum lies towards one end of a coordinate; keep only that part.
    glo, ghi = bb.grad_lo[j], bb.grad_hi[j]
    for k in np.flatnonzero((glo > 0) | (ghi < 0)):
        if lo[k] == hi[k]:
            continue
        side = "lo" if glo[k] > 0 else "hi"
        end = float(lo[k] if side == "lo" else hi[k])
        at = end if math.isfinite(end) else split_point(float(lo[k]), float(hi[k]))
        if at is None:
            continue
        clo, chi = lo.copy(), hi.copy()
        if side == "lo":
            chi[k] = at
        else:
            clo[k] = at
        return Node(
            (), (), "monotone", bound=bound, coord=int(k), at=at, side=side, children=(push(clo, chi),)
        )
    if small:
        return leaf()
    # Split the coordinate with the largest gradient smear (|g| times width).
    for k in order:
        if width[k] == 0:
            continue
        at = split_point(float(lo[k]), float(hi[k]))
        if at is None:
            continue
        llo, lhi, rlo, rhi = lo.copy(), hi.copy(), lo.copy(), hi.copy()
        lhi[k] = at
        rlo[k] = at
        left, right = push(llo, lhi), push(rlo, rhi)
        return Node((), (), "split", bound=bound, coord=int(k), at=at, children=(left, right))
    return leaf()
