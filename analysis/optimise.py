"""SciPy optimisers on growing boxes, checked against the hand-coded backprop and the proved infimum.

For each preset and each box [-B, B]^n, local multi-start methods (BFGS, L-BFGS-B, Newton-CG,
trust-exact with exact derivatives, Nelder-Mead as a derivative-free control) and global ones
(shgo, differential_evolution, dual_annealing, direct, basinhopping) minimise L. Methods without
bounds run on u in R^n with w = B sin(u): that map is onto the closed box and has a genuine
critical point wherever the box optimum has w_i = +-B, so they converge onto the boundary rather
than creeping towards it. Every returned optimum is checked: hand-coded gradient vs the SymPy
gradient (gradcheck tolerances), and the projected gradient on the box (the optimality condition).
The best loss per box is measured against the proved infimum at mpmath precision, and its gap is
fitted against B (power law or exponential, whichever fits better).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp
from scipy import optimize

from . import backprop
from .check import gradcheck
from .errors import InputError
from .exact import compiled
from .network import Problem
from .results import Result, mapping
from .spec import as_problem
from .tolerances import (
    BOUNDARY_RTOL,
    GAP_FIT_FLOOR,
    INFIMUM_UNDERCUT_ATOL,
    KKT_ATOL,
    MP_DPS,
    MP_MAX_DPS,
    OPT_LOSS_ATOL,
)

LOCAL_METHODS = ("BFGS", "L-BFGS-B", "Newton-CG", "trust-exact", "Nelder-Mead")
GLOBAL_METHODS = ("shgo", "differential_evolution", "dual_annealing", "direct", "basinhopping")
METHODS = LOCAL_METHODS + GLOBAL_METHODS
DEFAULT_BOXES = (5, 10, 20, 40, 80)
#: Starts per local method and box (uniform in the box, fixed seed).
LOCAL_STARTS = 6
# Methods that take bounds natively; the rest run through w = B sin(u).
_BOUNDED_LOCAL = ("L-BFGS-B", "Nelder-Mead")


def working_dps(box: float) -> int:
    """mpmath digits for losses on the box [-B, B]: MP_DPS plus one per unit of B.

    Gaps to an infimum approached at infinity shrink like exp(-k B) (k ~ 0.93 here, about
    0.4 B decimal digits), so a fixed precision would round them to 0 on large boxes.
    """
    return MP_DPS + math.ceil(box)


class _Objective:
    """L, its gradient and Hessian on the box, counting evaluations (points, not calls)."""

    def __init__(self, problem, box: float):
        self.c = compiled(problem)
        self.n = problem.n_params
        self.box = float(box)
        self.nfev = self.njev = self.nhev = 0

    def loss(self, w):
        w = np.asarray(w, dtype=float)
        if w.ndim == 1:
            self.nfev += 1
            return self.c.point_loss(w)  # the optimisers pass finite float64 points
        self.nfev += int(np.prod(w.shape[:-1], dtype=int))
        return self.c.loss(w)

    def grad(self, w):
        self.njev += 1
        return self.c.point_gradient(np.asarray(w, dtype=float))

    def hess(self, w):
        self.nhev += 1
        return self.c.hessian(np.asarray(w, dtype=float))

    # The sine reparametrisation w = B sin(u) and its chain rule.
    def w_of(self, u):
        return self.box * np.sin(u)

    def loss_u(self, u):
        return self.loss(self.w_of(u))

    def grad_u(self, u):
        return self.grad(self.w_of(u)) * self.box * np.cos(u)

    def hess_u(self, u):
        w = self.w_of(u)
        j = self.box * np.cos(u)
        return self.hess(w) * np.outer(j, j) - np.diag(self.grad(w) * self.box * np.sin(u))


def _clip(w, box):
    return np.clip(np.asarray(w, dtype=float), -box, box)


def _local(obj: _Objective, method: str, starts: np.ndarray):
    """Best result of ``method`` over ``starts``."""
    best = None
    bounds = [(-obj.box, obj.box)] * obj.n
    for w0 in starts:
        if method in _BOUNDED_LOCAL:
            if method == "L-BFGS-B":
                opts = {"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000}
                res = optimize.minimize(
                    obj.loss, w0, jac=obj.grad, method=method, bounds=bounds, options=opts
                )
            else:
                opts = {"xatol": 1e-10, "fatol": 1e-16, "maxfev": 4000, "adaptive": True}
                res = optimize.minimize(obj.loss, w0, method=method, bounds=bounds, options=opts)
            w = _clip(res.x, obj.box)
        else:
            u0 = np.arcsin(w0 / obj.box)
            kw = {"jac": obj.grad_u, "method": method}
            if method == "BFGS":
                kw["options"] = {"gtol": 1e-12, "maxiter": 2000}
            elif method == "Newton-CG":
                kw.update(hess=obj.hess_u, options={"xtol": 1e-14, "maxiter": 500})
            else:
                kw.update(hess=obj.hess_u, options={"gtol": 1e-12, "maxiter": 500})
            res = optimize.minimize(obj.loss_u, u0, **kw)
            w = _clip(obj.w_of(res.x), obj.box)
        f = float(obj.c.loss(w))
        if best is None or f < best[0]:
            best = (f, w)
    return best


def _global(obj: _Objective, method: str, seed: int):
    bounds = [(-obj.box, obj.box)] * obj.n
    local_kw = {"method": "L-BFGS-B", "jac": obj.grad, "bounds": bounds}
    rng = np.random.default_rng(seed)
    if method == "shgo":
        res = optimize.shgo(
            obj.loss,
            bounds,
            n=64,
            iters=2,
            sampling_method="sobol",
            minimizer_kwargs={"method": "L-BFGS-B", "jac": obj.grad, "bounds": bounds},
        )
    elif method == "differential_evolution":
        # All members of a generation are evaluated together as one array.
        res = optimize.differential_evolution(
            lambda x: obj.loss(x.T),
            bounds,
            maxiter=150,
            popsize=10,
            tol=1e-12,
            rng=rng,
            vectorized=True,
            updating="deferred",
            polish=False,
        )
        res = optimize.minimize(obj.loss, res.x, **local_kw)
    elif method == "dual_annealing":
        res = optimize.dual_annealing(obj.loss, bounds, maxiter=60, rng=rng, minimizer_kwargs=local_kw)
    elif method == "direct":
        res = optimize.direct(obj.loss, bounds, maxfun=1500 * obj.n, eps=1e-4, len_tol=1e-8, vol_tol=1e-30)
    else:

        def step(w):
            return _clip(w + rng.uniform(-obj.box / 4, obj.box / 4, w.shape), obj.box)

        res = optimize.basinhopping(
            obj.loss,
            rng.uniform(-obj.box, obj.box, obj.n),
            niter=15,
            minimizer_kwargs=local_kw,
            take_step=step,
            rng=rng,
        )
    w = _clip(res.x, obj.box)
    return float(obj.c.loss(w)), w


def on_boundary(w, box: float) -> bool:
    """True iff some coordinate lies on the boundary of [-box, box]^n."""
    return bool(np.any(np.abs(np.asarray(w, dtype=float)) >= box * (1 - BOUNDARY_RTOL)))


def projected_gradient(grad, w, box: float) -> np.ndarray:
    """clip(w - g, -B, B) - w: zero exactly at points satisfying the box's first-order conditions."""
    w = np.asarray(w, dtype=float)
    return np.clip(w - grad, -box, box) - w


@dataclass(frozen=True)
class Run(Result):
    """One optimiser on one box: its best point and the checks made there."""

    method: str
    box: float
    loss: float
    weights: tuple[float, ...]
    on_boundary: bool
    nfev: int
    njev: int
    nhev: int
    loss_mp: str
    gap: float
    kkt_residual: float
    backprop_matches: bool
    #: mpmath working precision (decimal digits) of ``loss_mp`` and ``gap``.
    dps: int = MP_DPS

    @property
    def kkt_ok(self) -> bool:
        return self.kkt_residual <= KKT_ATOL

    @property
    def loss_hp(self) -> float:
        """The loss at mpmath precision, correctly rounded to a float.

        Use this rather than ``loss``: near an infimum of 0 the float loss is dominated by rounding
        (e.g. 4.66e-37 where the loss at these very weights is 1.79e-34).
        """
        with mpmath.workprec(53):
            return float(mpmath.mpf(self.loss_mp))

    @property
    def gap_resolved(self) -> bool:
        """False iff the loss equals the reference at the working precision (gap below 10^-dps)."""
        return self.gap != 0.0

    def _json_extra(self) -> dict:
        return {"loss_hp": self.loss_hp, "kkt_ok": self.kkt_ok}


@dataclass(frozen=True)
class Trend(Result):
    """Best loss per box and the fitted decay of its gap to the reference value."""

    reference: str
    boxes: tuple[float, ...]
    best: tuple[float, ...]
    gaps: tuple[float, ...]
    non_increasing: bool
    falling: bool
    model: str | None
    params: tuple[tuple[str, float], ...] = mapping()
    rms_log_residual: float | None
    alternative: tuple[tuple[str, float], ...] = mapping()

    def describe(self) -> str:
        p = dict(self.params)
        if self.model == "exp":
            law = f"gap ~ {p['C']:.3g} exp(-{p['k']:.4g} B)"
        elif self.model == "power":
            law = f"gap ~ {p['C']:.3g} B^(-{p['p']:.4g})"
        else:
            law = "no fit (fewer than two resolvable gaps)"
        if len(self.boxes) < 2:
            return f"one box (B = {self.boxes[0]:g}): no trend in B can be read off; {law}"
        mono = "non-increasing" if self.non_increasing else "NOT monotone"
        return f"best loss {mono} in B; {law} (gap to the {self.reference})"

    def _json_extra(self) -> dict:
        return {"description": self.describe()}


def _fit(boxes, gaps):
    """Least squares in log space: log gap = log C - k B (exp) or log C - p log B (power)."""
    B = np.array(boxes, dtype=float)
    g = np.array(gaps, dtype=float)
    keep = g > GAP_FIT_FLOOR
    if keep.sum() < 2:
        return None, (), None, ()
    B, y = B[keep], np.log(g[keep])
    fits = {}
    for name, x in (("exp", B), ("power", np.log(B))):
        A = np.stack([np.ones_like(x), -x], axis=1)
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        rms = float(np.sqrt(np.mean((A @ coef - y) ** 2)))
        rate = "k" if name == "exp" else "p"
        fits[name] = ((("C", float(np.exp(coef[0]))), (rate, float(coef[1]))), rms)
    model = min(fits, key=lambda m: fits[m][1])
    other = "power" if model == "exp" else "exp"
    alt = fits[other][0] + (("model_" + other + "_rms", fits[other][1]),)
    return model, fits[model][0], fits[model][1], alt


#: What the numbers say about the proved infimum. Only "disagrees" is a contradiction with the proof.


@dataclass(frozen=True)
class OptimiseReport(Result):
    """Every optimiser on every box for one problem, and what the numbers imply.

    ``agrees``: True iff nothing contradicts what is proved (``verdict`` "agrees", or "consistent
    (box-limited)" when the best loss is still above an infimum the boxes cannot reach); False on a
    contradiction ("disagrees"); None without a proved infimum. ``gap``: best loss on the largest box
    minus the proved infimum.
    """

    arch: str
    param_names: tuple[str, ...]
    runs: tuple[Run, ...]
    trend: Trend
    infimum_proved: str | None
    agrees: bool | None
    interior: bool
    backprop_ok: bool
    kkt_ok: bool
    conclusions: tuple[str, ...]
    verdict: str = "no infimum given"
    infimum_attained: bool | None = None
    gap: float | None = None

    def __repr__(self) -> str:
        best = min(self.runs, key=_rank)
        if self.infimum_proved is None:
            loss = f"best loss {best.loss_hp:.12g}"
        else:
            loss = f"best loss {self.infimum_proved} + {_gap_str(best.gap)}"
        return (
            f"OptimiseReport(arch={self.arch!r}, runs={len(self.runs)}, {loss} (box {best.box:g}), "
            f"infimum_proved={self.infimum_proved}, agrees={self.agrees}, verdict={self.verdict!r})"
        )

    def best(self, box: float | None = None) -> Run:
        """The lowest run (ranked by the loss at mpmath precision), on one box or over all."""
        return min((r for r in self.runs if box is None or r.box == box), key=_rank)

    def best_per_box(self) -> tuple[Run, ...]:
        return tuple(self.best(b) for b in sorted({r.box for r in self.runs}))

    def summary(self) -> str:
        boxes = sorted({r.box for r in self.runs})
        head = f"{'method':>22} | " + " | ".join(f"{'B=' + format(b, 'g'):>22}" for b in boxes)
        lines = [f"optimise {self.arch}: params {', '.join(self.param_names)}", head, "-" * len(head)]
        for m in dict.fromkeys(r.method for r in self.runs):
            cells = []
            for b in boxes:
                r = next(r for r in self.runs if r.method == m and r.box == b)
                flag = "B" if r.on_boundary else "i"
                cells.append(f"{r.loss_hp:.10f} {flag} {r.nfev:>6}")
            lines.append(f"{m:>22} | " + " | ".join(f"{c:>22}" for c in cells))
        lines.append("(cell: best loss, B = optimum on the box boundary / i = interior, loss evaluations)")
        for b in boxes:
            r = min((r for r in self.runs if r.box == b), key=_rank)
            w = ", ".join(f"{n}={v:.6g}" for n, v in zip(self.param_names, r.weights))
            gap = "" if self.infimum_proved is None else f" = {self.infimum_proved} + {_gap_str(r.gap)}"
            lines.append(f"  best on B={b:g}: {r.loss_hp:.15g}{gap} at ({w}) by {r.method}")
        lines += [f"  * {c}" for c in self.conclusions]
        return "\n".join(lines)


def _infimum_string(infimum) -> str | None:
    if infimum is None:
        return None
    return str(sp.nsimplify(infimum) if not isinstance(infimum, sp.Basic) else infimum)


def _mp_value(infimum, dps: int = MP_DPS):
    """The infimum as an mpmath number at ``dps`` digits (exact rationals stay exact to that precision)."""
    with mpmath.workdps(dps):
        if isinstance(infimum, sp.Basic):
            return mpmath.mpf(sp.N(infimum, dps + 10))
        if isinstance(infimum, Fraction):
            return mpmath.mpf(infimum.numerator) / infimum.denominator
        return mpmath.mpf(infimum)


def _gap_str(gap: float) -> str:
    return "0 (to working precision)" if gap == 0.0 else f"{gap:.3g}"


@dataclass(frozen=True)
class Found:
    """One optimiser's best point on one box, with its evaluation counts (before any checks), and
    what made it: the problem, the box's index and the seed and starts that drew its starts."""

    method: str
    box: float
    weights: tuple[float, ...]
    nfev: int
    njev: int
    nhev: int
    problem: Problem
    index: int
    seed: int
    starts: int


def sweep(problem, box: float, index: int, seed: int = 0, methods=METHODS, starts: int = LOCAL_STARTS):
    """Every method on the box [-box, box]^n: the costly part of :func:`optimise`, one task per box.

    ``index`` is the box's place in optimise's list: with ``seed`` it fixes the starts. Returns a
    tuple of :class:`Found`, one per method, in ``methods`` order.
    """
    problem = as_problem(problem)
    box, methods = _checked_box(box), _checked_methods(methods)
    n = problem.n_params
    rng = np.random.default_rng([seed, index])
    start_pts = rng.uniform(-box, box, (starts, n))
    found = []
    with warnings.catch_warnings():
        # Nothing is silenced: any warning from an optimiser is a bug to surface, even outside pytest.
        warnings.simplefilter("error")
        for j, method in enumerate(methods):
            obj = _Objective(problem, box)
            if method in LOCAL_METHODS:
                _, w = _local(obj, method, start_pts)
            else:
                _, w = _global(obj, method, seed * 1000 + 17 * index + j)
            w = tuple(float(v) for v in w)
            found.append(Found(method, box, w, obj.nfev, obj.njev, obj.nhev, problem, index, seed, starts))
    return tuple(found)


def _checked_box(box) -> float:
    box = float(box)
    if not np.isfinite(box) or box <= 0:
        raise InputError("boxes must be positive finite half-widths")
    return box


def _checked_methods(methods) -> tuple[str, ...]:
    methods = tuple(methods)
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise InputError(f"unknown methods {sorted(unknown)}; known: {', '.join(METHODS)}")
    return methods


def optimise(
    problem,
    boxes=DEFAULT_BOXES,
    infimum=None,
    seed: int = 0,
    methods=METHODS,
    starts: int = LOCAL_STARTS,
    infimum_attained: bool | None = None,
    sweeps=None,
) -> OptimiseReport:
    """Run every method on every box for ``problem`` (a Problem or a preset name) and compare with
    the proved ``infimum`` (``infimum_attained``: whether the proof says it is attained, if known).

    ``sweeps``: the :func:`sweep` of each box, if already computed (e.g. in worker processes, one
    task per box); they must be the sweeps of these boxes, methods and seed.
    """
    problem = as_problem(problem)
    arch = problem.name
    boxes = tuple(float(b) for b in boxes)
    if not boxes:
        raise InputError("boxes must be positive finite half-widths")
    boxes, methods = tuple(_checked_box(b) for b in boxes), _checked_methods(methods)
    if sweeps is None:
        sweeps = [sweep(problem, box, k, seed, methods, starts) for k, box in enumerate(boxes)]
    sweeps = [tuple(sw) for sw in sweeps]
    made = [tuple((f.problem, f.index, f.seed, f.starts, f.method, f.box) for f in sw) for sw in sweeps]
    if made != [tuple((problem, k, seed, starts, m, box) for m in methods) for k, box in enumerate(boxes)]:
        raise InputError(
            "sweeps: expected one sweep per box of this problem, seed and starts, with every method in order"
        )
    comp = compiled(problem)
    top_dps = working_dps(max(boxes))
    ref_mp = None if infimum is None else _mp_value(infimum, top_dps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runs = [_make_run(problem, comp, f, ref_mp) for sw in sweeps for f in sw]
    # Rank by the loss at mpmath precision: near the infimum float losses tie at rounding level.
    best_per_box = [min((r for r in runs if r.box == b), key=_rank) for b in boxes]
    order = np.argsort(boxes)
    bs = tuple(boxes[i] for i in order)
    best = tuple(best_per_box[i].loss_hp for i in order)
    if ref_mp is not None:
        gaps = tuple(best_per_box[i].gap for i in order)
        reference = "proved infimum"
    else:
        # Without a proof, the smallest loss seen is the reference.
        with mpmath.workdps(top_dps):
            floor = min(mpmath.mpf(r.loss_mp) for r in best_per_box)
            gaps = tuple(float(mpmath.mpf(best_per_box[i].loss_mp) - floor) for i in order)
        reference = "smallest loss found"
    model, params, rms, alt = _fit(bs, gaps)
    mp_best = [_rank(best_per_box[i]) for i in order]
    non_inc = all(b2 <= b1 for b1, b2 in zip(mp_best, mp_best[1:]))
    # A trend needs two boxes at least, and a best loss that actually went down.
    falling = bool(len(mp_best) >= 2 and non_inc and mp_best[-1] < mp_best[0])
    trend = Trend(reference, bs, best, gaps, non_inc, falling, model, params, rms, alt)
    # Where L is within float resolution of its infimum, no optimiser can tell interior from
    # boundary; the verdict rests on the boxes whose gap is resolvable.
    flat = [best_per_box[i] for i, g in zip(order, gaps) if not g > GAP_FIT_FLOOR]
    resolvable = [r for r in best_per_box if r not in flat] or list(best_per_box)
    interior = not any(r.on_boundary for r in resolvable)
    backprop_ok = all(r.backprop_matches for r in runs)
    kkt_ok = all(r.kkt_ok for r in best_per_box)
    agrees, verdict, gap, why = None, "no infimum given", None, ""
    if ref_mp is not None:
        largest = best_per_box[int(np.argmax(boxes))]
        verdict, why = _verdict(runs, largest, trend, infimum_attained)
        agrees, gap = verdict != "disagrees", largest.gap
    conclusions = _conclusions(
        runs,
        best_per_box,
        resolvable,
        flat,
        trend,
        interior,
        verdict,
        why,
        infimum,
        kkt_ok,
        backprop_ok,
        ref_mp,
    )
    return OptimiseReport(
        arch=arch,
        param_names=problem.param_names,
        runs=tuple(runs),
        trend=trend,
        infimum_proved=_infimum_string(infimum),
        agrees=agrees,
        interior=interior,
        backprop_ok=backprop_ok,
        kkt_ok=kkt_ok,
        conclusions=tuple(conclusions),
        verdict=verdict,
        infimum_attained=infimum_attained,
        gap=gap,
    )


def _verdict(runs, largest: Run, trend: Trend, attained: bool | None) -> tuple[str, str]:
    """(verdict, reason). A contradiction with the proof is: a loss below the proved infimum; an
    attained minimum missed by an interior point meeting the first-order conditions; or, over two
    boxes or more, best losses that do not approach the infimum. Else "agrees" when the largest box
    gets within OPT_LOSS_ATOL, and "consistent (box-limited)" when it does not."""
    lowest = min(runs, key=lambda r: r.gap)
    if lowest.gap < -INFIMUM_UNDERCUT_ATOL:
        return "disagrees", f"{lowest.method} on B={lowest.box:g} found a loss below the proved infimum"
    close = abs(largest.gap) <= OPT_LOSS_ATOL
    if attained and not close and not largest.on_boundary and largest.kkt_ok:
        return "disagrees", "the infimum is proved attained, yet the best interior KKT point misses it"
    if not close and len(trend.boxes) >= 2 and not (trend.non_increasing and _approaches(trend)):
        return "disagrees", "over the boxes the best loss does not approach the proved infimum"
    if close:
        return "agrees", ""
    return "consistent (box-limited)", "the best point is still above an infimum these boxes cannot reach"


def _approaches(trend: Trend) -> bool:
    """The gap to the infimum falls by at least half from the smallest box to the largest (or has
    reached OPT_LOSS_ATOL): approaching, not levelling off above it."""
    g0, g1 = trend.gaps[0], trend.gaps[-1]
    return g1 <= OPT_LOSS_ATOL or g1 <= g0 / 2


def _rank(run: Run):
    # mpf values compare exactly whatever the precision they were made at.
    with mpmath.workdps(max(run.dps, MP_DPS)):
        return mpmath.mpf(run.loss_mp)


def _make_run(problem, comp, found: Found, ref_mp) -> Run:
    method, box, w = found.method, found.box, np.array(found.weights)
    g_sym = comp.gradient(w)
    g_bp = backprop.gradient(problem, w)
    check = gradcheck(lambda p: backprop.gradient(problem, p), problem, points=w[None, :])
    dps = working_dps(box)
    while True:
        with mpmath.workdps(dps):
            value = comp.loss_mp(w, dps)
            diff = value - ref_mp if ref_mp is not None else None
        # A loss equal to the reference at this precision may still differ below it: look closer.
        if diff is None or diff != 0 or 2 * dps > MP_MAX_DPS:
            break
        dps *= 2
    with mpmath.workdps(dps):
        gap = float(diff) if diff is not None else 0.0
        if diff is not None and diff != 0 and gap == 0.0:
            # Below the smallest float: keep the sign, at the smallest positive double.
            gap = math.copysign(5e-324, float(mpmath.sign(diff)))
        loss_mp = mpmath.nstr(value, dps)
    return Run(
        method=method,
        box=box,
        loss=float(comp.loss(w)),
        weights=tuple(float(v) for v in w),
        on_boundary=on_boundary(w, box),
        nfev=found.nfev,
        njev=found.njev,
        nhev=found.nhev,
        loss_mp=loss_mp,
        gap=gap,
        kkt_residual=float(np.max(np.abs(projected_gradient(g_sym, w, box)))),
        backprop_matches=bool(check.passed and np.all(np.isfinite(g_bp))),
        dps=dps,
    )


def _gap_text(run: Run, ref_mp) -> str:
    """best - reference at the run's precision; never a bare 0 where the precision ran out."""
    with mpmath.workdps(run.dps):
        d = mpmath.mpf(run.loss_mp) - ref_mp
        if d == 0:
            return f"0 to {run.dps} digits (below the working precision)"
        return mpmath.nstr(d, 3)


def _conclusions(
    runs, best_per_box, resolvable, flat, trend, interior, verdict, why, infimum, kkt_ok, backprop_ok, ref_mp
):
    out = []
    where = "in the interior of every box" if interior else "on the box boundary"
    n_bd = sum(r.on_boundary for r in resolvable)
    unresolved = [f"{r.box:g}" for r in best_per_box if r in flat]
    if len(unresolved) == len(best_per_box):
        out.append(
            f"on every box (B = {', '.join(unresolved)}) L is flat to float precision at the best point: "
            "no optimiser can tell the interior from the boundary there, so where the best point lies "
            "is undetermined"
        )
    else:
        out.append(
            f"the best point lies {where} ({n_bd} of {len(resolvable)} boxes with a resolvable gap have "
            "it on the boundary"
            + (f"; on B = {', '.join(unresolved)} L is flat to float precision there)" if unresolved else ")")
        )
    if len(unresolved) == len(best_per_box):
        pass
    elif len(trend.boxes) < 2:
        out.append(
            f"only one box (B = {trend.boxes[0]:g}): whether the best loss keeps falling as B grows, and so "
            "whether the infimum is attained, is undetermined (needs at least two boxes)"
        )
    elif not interior and trend.falling:
        out.append(
            "the best loss keeps falling as B grows and sits on the boundary: numerically the infimum "
            "is approached at infinity, not attained (evidence over these boxes, not a proof)"
        )
    elif not interior:
        out.append(
            "the best point sits on the boundary but the best loss does not fall as B grows over these "
            "boxes: whether the infimum is attained is undetermined"
        )
    out.append(trend.describe())
    kkt_bad = [f"{r.method}@{r.box:g}" for r in runs if not r.kkt_ok]
    out.append(
        "first-order conditions (projected gradient <= "
        f"{KKT_ATOL:g}) hold at the best point of every box"
        + ("" if kkt_ok else " -- FAILED")
        + (f"; runs that stopped short: {', '.join(kkt_bad)}" if kkt_bad else "; and at every run")
    )
    out.append(
        "hand-coded backprop equals the SymPy gradient at every optimum"
        if backprop_ok
        else "hand-coded backprop DISAGREES with the SymPy gradient at some optimum"
    )
    if ref_mp is None:
        out.append("no proved infimum given: nothing to compare with")
    else:
        largest = max(best_per_box, key=lambda r: r.box)
        word = {
            "agrees": "AGREES with",
            "consistent (box-limited)": "is CONSISTENT (box-limited) with",
            "disagrees": "!!! DISAGREES WITH",
        }[verdict]
        lowest = min(runs, key=_rank)
        out.append(
            f"numeric best {largest.loss_hp:.15g} on B={largest.box:g} {word} the proved infimum "
            f"{_infimum_string(infimum)} (gap {_gap_text(largest, ref_mp)}, tolerance {OPT_LOSS_ATOL:g}; "
            f"lowest gap over all runs {_gap_text(lowest, ref_mp)}; losses at {largest.dps}-digit "
            "mpmath precision)" + (f": {why}" if why else "")
        )
    return out
