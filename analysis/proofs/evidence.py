"""Independent numeric evidence for each theorem, and counterexample search for the false variants.

(a) rigorous: arb interval arithmetic (outward rounding) through a forward pass written here from
the network description (not from the SymPy expressions the proofs manipulate), on covers of
large boxes; what lies outside a box is handled by the symbolic proof. (b) dense float sampling
with the hand-coded numpy forward pass, including extreme weights. No SMT cross-check (optional
in the issue). Everything is deterministic (fixed grids, fixed seeds).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import mpmath
import numpy as np
import sympy as sp

from ..backprop import forward
from ..exact import lambdify, mp_sigma
from ..network import Problem, preset
from ..numerics import sigmoid
from ..tolerances import PROOF_BOX, PROOF_SAMPLE_ATOL
from .intervals import Iv, arb_sigma, cover, iv_eval, precision

B = PROOF_BOX
# Sign certificates need W2 bounded away from 0 (at W2 = 0 both outputs are exactly 1/2).
DELTA = 2.0**-10
EXTREMES = (-1e6, -1e3, -100.0, -40.0, -20.0, -10.0, -5.0, -2.0, -1.0, -0.5, -0.1, -1e-3, 0.0)
GRID = tuple(sorted(set(EXTREMES) | {-v for v in EXTREMES}))
SEED = 20240601


def _fmt(x) -> float:
    return float(f"{float(x):.6g}")


def _arb_str(a) -> str:
    return a.mid().str(12, radius=False)


# ---------------------------------------------------------------------------------------------
# Forward passes, independent of the SymPy model


def iv_forward(problem: Problem, w: Sequence[Iv]) -> list[Iv]:
    """Enclosures of the (single) output for each sample, for all weights in the boxes ``w``."""
    layers = problem.network.unpack(np.array(list(w) + [None], dtype=object)[:-1])
    outs = []
    for xs in problem.data.inputs:
        h = [Iv.point(v) for v in xs]
        for (Wm, b), layer in zip(layers, problem.network.layers):
            a = []
            for o in range(layer.size):
                acc = Wm[o, 0] * h[0]
                for i in range(1, len(h)):
                    acc = acc + Wm[o, i] * h[i]
                if b is not None:
                    acc = acc + b[o]
                a.append(acc)
            h = [ai.sigma() for ai in a]
        outs.append(h[0])
    return outs


def iv_loss(problem: Problem, w: Sequence[Iv]) -> Iv:
    zs = iv_forward(problem, w)
    total = None
    for z, d in zip(zs, problem.data.targets):
        term = (Iv.point(d[0]) - z) ** 2
        total = term if total is None else total + term
    return Iv.point(0.5) * total


def mp_forward(problem: Problem, w, dps: int = 60) -> list:
    """High-precision outputs (mpmath) from the network description."""
    with mpmath.workdps(dps):
        layers = problem.network.unpack(np.array([mpmath.mpf(v) for v in w] + [None], dtype=object)[:-1])
        outs = []
        for xs in problem.data.inputs:
            h = [mpmath.mpf(v) for v in xs]
            for Wm, b in layers:
                a = Wm[0, 0] * h[0] + (b[0] if b is not None else 0)
                h = [mp_sigma(a)]
            outs.append(h[0])
        return outs


def sample_points(n_params: int, n_random: int = 20000, max_grid: int = 100000) -> np.ndarray:
    """The extreme-value grid (every combination, or a seeded subset when too many) plus seeded
    Gaussian samples at four scales."""
    rng = np.random.default_rng(SEED)
    values = np.array(GRID)
    if len(values) ** n_params <= max_grid:
        grid = np.array(list(itertools.product(values, repeat=n_params)), dtype=float)
    else:
        grid = values[rng.integers(0, len(values), (max_grid, n_params))]
    scale = np.array([1.0, 5.0, 30.0, 300.0])[rng.integers(0, 4, (n_random, 1))]
    return np.concatenate([grid, rng.standard_normal((n_random, n_params)) * scale])


def _ev(kind: str, claim: str, passed: bool, **details) -> dict:
    return {"kind": kind, "claim": claim, "passed": bool(passed), **details}


def _box(problem: Problem, **fixed) -> tuple[tuple[float, float], ...]:
    return tuple(fixed.get(name, (-B, B)) for name in problem.param_names)


def _cover_ev(claim: str, f, accept, box, **kw) -> dict:
    res = cover(
        f, accept, box, max_boxes=kw.pop("max_boxes", 60000), min_width=kw.pop("min_width", 1e-6), **kw
    )
    return _ev("interval", claim, res.ok, boxes=res.boxes, excluded=res.skipped, box=[list(b) for b in box])


# ---------------------------------------------------------------------------------------------
# Lemmas

_T_POINTS = (
    -1e6,
    -700.0,
    -40.0,
    -5.0,
    -1.0,
    -0.5,
    -(2.0**-20),
    0.0,
    2.0**-20,
    0.5,
    1.0,
    5.0,
    40.0,
    700.0,
    1e6,
)
# sigma(t) is within 2^-PREC of 0 or 1 beyond |t| ~ 170, so range and order are checked inside.
_T_MODERATE = tuple(t for t in _T_POINTS if abs(t) <= B)


def lemma_evidence(ident: str) -> tuple[dict, ...]:
    ts = np.array(_T_POINTS)
    with precision():
        sig = [arb_sigma(Iv.point(t).lo) for t in _T_POINTS]
        mod = [arb_sigma(Iv.point(t).lo) for t in _T_MODERATE]
        if ident == "L1":
            zero = arb_sigma(Iv.point(0.0).lo)
            ok = zero.contains(0.5) and zero.rad() < 2.0**-100
            return (_ev("arb points", "sigma(0) encloses exactly 1/2", ok),)
        if ident == "L2":
            ok = all(s > 0 and s < 1 for s in mod) and all(s > 0 for s in sig)
            fl = sigmoid(ts[np.abs(ts) < 30])
            return (
                _ev("arb points", "0 < sigma(t) < 1 at t in " + ", ".join(f"{t:g}" for t in _T_MODERATE), ok),
                _ev("sampling", "float sigmoid in (0, 1) for |t| < 30", bool(np.all((fl > 0) & (fl < 1)))),
            )
        if ident == "L3":
            hs = np.linspace(-8, 8, 161)
            fd = (sigmoid(hs + 1e-6) - sigmoid(hs - 1e-6)) / 2e-6
            err = float(np.max(np.abs(fd - sigmoid(hs) * (1 - sigmoid(hs)))))
            return (
                _ev(
                    "sampling", "central differences match sigma(1 - sigma)", err < 1e-8, max_error=_fmt(err)
                ),
            )
        if ident == "L4":
            ok = all((arb_sigma(-Iv.point(t).lo) + s - 1).contains(0) for t, s in zip(_T_POINTS, sig))
            return (_ev("arb points", "sigma(-t) + sigma(t) - 1 encloses 0", ok),)
        if ident == "L5":
            ok = all(((-Iv.point(t).lo).exp() < 1) == (t > 0) for t in _T_POINTS if t != 0)
            return (_ev("arb points", "e^(-t) < 1 exactly when t > 0", ok),)
        if ident == "L6":
            ok = all(a < b for a, b in zip(mod, mod[1:]))
            return (_ev("arb points", "sigma strictly increasing along the sorted points", ok),)
        if ident == "L7":
            ok = all(
                (s > 0.5 if t > 0 else s < 0.5 if t < 0 else s.contains(0.5)) for t, s in zip(_T_POINTS, sig)
            )
            return (_ev("arb points", "sigma(t) - 1/2 has the sign of t", ok),)
    return ()


# ---------------------------------------------------------------------------------------------
# Theorems


def _same_side_sampling(problem: Problem, wk_index: int) -> dict:
    w = sample_points(problem.n_params)
    z = forward(problem, w)[..., 0]
    sgn = np.sign(w[:, wk_index])[:, None]
    bad = int(np.sum((z - 0.5) * sgn < -PROOF_SAMPLE_ATOL))
    return _ev(
        "sampling",
        "no sample puts z - 1/2 against the sign of the output weight",
        bad == 0,
        samples=len(w),
        violations=bad,
    )


def _sign_cover(problem: Problem, k_name: str) -> list[dict]:
    out = []
    for sign, span in ((1, (DELTA, B)), (-1, (-B, -DELTA))):
        box = _box(problem, **{k_name: span})

        def accept(zs, sign=sign):
            return all((z.lo > 0.5) if sign > 0 else (z.hi < 0.5) for z in zs)

        rel = ">" if sign > 0 else "<"
        out.append(
            _cover_ev(
                f"{k_name} {rel} 0 on the box: every output {rel} 1/2",
                lambda b: iv_forward(problem, b),
                accept,
                box,
            )
        )
    return out


def _loss_cover(problem: Problem, value: sp.Rational) -> dict:
    q = Iv.point(value)
    return _cover_ev(
        f"L - {value} > 0 on the box", lambda b: iv_loss(problem, b), lambda r: r.lo > q.hi, _box(problem)
    )


def _loss_sampling(problem: Problem, value) -> dict:
    w = sample_points(problem.n_params)
    zs = forward(problem, w)[..., 0]
    L = 0.5 * np.sum((problem.data.D[:, 0] - zs) ** 2, axis=-1)
    gap = float(np.min(L) - float(value))
    return _ev(
        "sampling", f"no sample has L < {value}", gap >= -PROOF_SAMPLE_ATOL, samples=len(w), min_gap=_fmt(gap)
    )


def evidence_t1() -> tuple[dict, ...]:
    p = preset("none")
    ok = True
    with precision():
        for w2 in GRID:
            z0 = iv_forward(p, [Iv.span(-B, B), Iv.point(w2)])[0]
            ref = arb_sigma(Iv.point(w2 / 2).lo)
            ok &= bool((z0.lo <= ref) and (ref <= z0.hi) and (z0.hi - z0.lo) < 2.0**-100)
    w = sample_points(2)
    z = forward(p, w)[:, 0, 0]
    err = float(np.max(np.abs(z - sigmoid(w[:, 1] / 2))))
    return (
        _ev(
            "interval",
            "for W1 in the whole box [-B, B] at once, z(0) encloses sigma(W2/2) to 2^-100",
            ok,
            w2_points=len(GRID),
        ),
        _ev(
            "sampling",
            "z(0) equals sigma(W2/2) whatever W1",
            err <= PROOF_SAMPLE_ATOL,
            samples=len(w),
            max_error=_fmt(err),
        ),
    )


def evidence_t2() -> tuple[dict, ...]:
    p = preset("none")
    return (*_sign_cover(p, "W2"), _same_side_sampling(p, 1))


def evidence_t3() -> tuple[dict, ...]:
    p = preset("none")
    value = sp.Rational(1, 8)
    seq = []
    for k in (5, 10, 20, 40, 80):
        z0, z1 = mp_forward(p, [-k, -k])
        with mpmath.workdps(60):
            seq.append(0.5 * z0**2 + 0.5 * (1 - z1) ** 2 - mpmath.mpf(1) / 8)
    ok = all(a > b > 0 for a, b in zip(seq, seq[1:])) and seq[-1] < 1e-15
    return (
        _loss_cover(p, value),
        _loss_sampling(p, value),
        _ev(
            "mpmath sequence",
            "L(-n, -n) - 1/8 > 0 decreases to 0 (n = 5, 10, 20, 40, 80)",
            ok,
            gaps=[mpmath.nstr(g, 5) for g in seq],
        ),
    )


def evidence_t4(model) -> tuple[dict, ...]:
    from scipy.optimize import root

    W1, W2 = model.params
    g = model.gradient
    r = 2.0**-6

    def f(b):
        env = {W1: b[0], W2: b[1]}
        return [iv_eval(gi, env) for gi in g]

    def inside(b):
        return all(-r <= lo and hi <= r for lo, hi in b)

    res = cover(
        f,
        lambda gs: any(not gi.contains_zero() for gi in gs),
        ((-B, B), (-B, B)),
        max_boxes=200000,
        min_width=1e-7,
        exclude=inside,
    )
    H = model.hessian
    with precision():
        env = {W1: Iv.span(-r, r), W2: Iv.span(-r, r)}
        Hi = [[iv_eval(H[i, j], env) for j in range(2)] for i in range(2)]
        det = Hi[0][0] * Hi[1][1] - Hi[0][1] * Hi[1][0]
        saddle_box = bool(det.hi < 0)
    from ..exact import compiled

    c = compiled(model.problem)
    roots = []
    for a, b in itertools.product((-6.0, -3.0, -1.0, -0.3, 0.3, 1.0, 3.0, 6.0), repeat=2):
        sol = root(lambda w: c.gradient(w), [a, b], jac=lambda w: c.hessian(w), method="hybr")
        if sol.success and np.max(np.abs(c.gradient(sol.x))) < 1e-12 and np.max(np.abs(sol.x)) < B:
            roots.append(sol.x)
    far = max((float(np.max(np.abs(x))) for x in roots), default=0.0)
    return (
        _ev(
            "interval",
            f"grad L != 0 on [-{B:g}, {B:g}]^2 outside [-{r}, {r}]^2",
            res.ok,
            boxes=res.boxes,
            excluded=res.skipped,
        ),
        _ev(
            "interval",
            f"Hessian determinant < 0 on all of [-{r}, {r}]^2 (interval enclosure): every critical point "
            "in that box is a nondegenerate saddle (uniqueness is the symbolic proof's job)",
            saddle_box,
            det_upper=_arb_str(det.hi),
        ),
        _ev(
            "sampling",
            "root finding from 64 starts finds no critical point but the origin",
            far < 1e-6,
            converged=len(roots),
            max_distance=_fmt(far),
        ),
    )


def evidence_t5() -> tuple[dict, ...]:
    p = preset("hidden")
    return (
        *_sign_cover(p, "W2"),
        _loss_cover(p, sp.Rational(1, 8)),
        _same_side_sampling(p, 1),
        _loss_sampling(p, sp.Rational(1, 8)),
    )


def evidence_t6(arch: str) -> tuple[dict, ...]:
    p = preset(arch)
    names = p.param_names
    rows, ok = [], True
    with precision():
        for e in (sp.Rational(1, 10), sp.Rational(1, 100), sp.Rational(1, 10**4), sp.Rational(1, 10**8)):
            t = (Iv.point(1 + 1 / e)).log()
            vals = {"W1": Iv.point(3).log(), "W2": Iv.point(8) * t, "b1": Iv.point(0), "b2": Iv.point(-5) * t}
            L = iv_loss(p, [vals[n_] for n_ in names])
            good = bool(L.hi < Iv.point(e).lo)
            ok &= good
            rows.append({"epsilon": str(e), "L_upper": _arb_str(L.hi), "certified": good})
        vals = {"W1": Iv.point(3).log(), "W2": Iv.point(8), "b1": Iv.point(0), "b2": Iv.point(-5)}
        z0, z1 = iv_forward(p, [vals[n_] for n_ in names])
        sep = bool(z0.hi < 0.5 and z1.lo > 0.5)
    positive = _cover_ev("L > 0 on the box", lambda b: iv_loss(p, b), lambda r: r.lo > 0, _box(p))
    w = sample_points(p.n_params)
    zs = forward(p, w)[..., 0]
    L = 0.5 * np.sum((p.data.D[:, 0] - zs) ** 2, axis=-1)
    return (
        _ev(
            "interval",
            "the epsilon-weights give L < epsilon (arb, irrational weights enclosed)",
            ok,
            rows=rows,
        ),
        _ev("interval", "W1 = log 3, W2 = 8, b2 = -5 give z(0) < 1/2 < z(1)", sep),
        positive,
        _ev(
            "sampling",
            "no sample has L < 0; samples reach small L",
            bool(np.min(L) >= 0),
            samples=len(w),
            min_loss=_fmt(np.min(L)),
        ),
    )


def evidence_t7() -> tuple[dict, ...]:
    from .theorems import T7_KS, chain_problem

    out = []
    for k in T7_KS:
        p = chain_problem(k)
        covers = _sign_cover(p, f"W{k}")
        out.append(
            _ev(
                "interval",
                f"k = {k}: both sign covers",
                all(c["passed"] for c in covers),
                boxes=sum(c["boxes"] for c in covers),
            )
        )
        out.append(_same_side_sampling(p, k - 1) | {"claim": f"k = {k}: no sample against the sign of W{k}"})
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Counterexamples for false universal claims

_CANDIDATES = tuple(
    sp.Rational(v)
    for v in ("-8", "-4", "-2", "-1", "-1/2", "-1/4", "-1/10", "0", "1/10", "1/4", "1/2", "1", "2", "4", "8")
)
_VIOLATES = {  # the enclosure that certifies "expr rel 0" is false
    "<0": lambda r: r.lo >= 0,
    ">0": lambda r: r.hi <= 0,
    "<=0": lambda r: r.lo > 0,
    ">=0": lambda r: r.hi < 0,
}
_MARGIN = {"<0": lambda e: e, ">0": lambda e: -e, "<=0": lambda e: e, ">=0": lambda e: -e}


_MASK = {
    "positive": lambda c: c > 0,
    "negative": lambda c: c < 0,
    "zero": lambda c: c == 0,
    "nonnegative": lambda c: c >= 0,
    "nonpositive": lambda c: c <= 0,
    "nonzero": lambda c: c != 0,
    "real": lambda c: np.ones_like(c, dtype=bool),
}


def find_counterexample(expr: sp.Expr, rel: str, assume: dict, params: Sequence[sp.Symbol]) -> dict | None:
    """A rational point satisfying ``assume`` where arb certifies that ``expr rel 0`` fails."""
    f = lambdify(params, expr, modules=[{"sigma": sigmoid}, "numpy"])
    k = len(params)
    idx = np.indices((len(_CANDIDATES),) * k).reshape(k, -1).T  # every grid point, as candidate indices
    vals = np.array([float(c) for c in _CANDIDATES])[idx]
    keep = np.ones(len(idx), dtype=bool)
    for s_, kind in assume.items():
        keep &= _MASK[kind](vals[:, params.index(s_)])
    idx, vals = idx[keep], vals[keep]
    with np.errstate(all="ignore"):
        margin = np.asarray(_MARGIN[rel](f(*vals.T)), dtype=float) * np.ones(len(idx))
    order = np.argsort(-np.nan_to_num(margin, nan=-np.inf), kind="stable")
    cands = [tuple(_CANDIDATES[j] for j in idx[int(i)]) for i in order[:10]]
    with precision():
        for point in cands:
            r = iv_eval(expr, {s: Iv.point(v) for s, v in zip(params, point)})
            if _VIOLATES[rel](r):
                return {
                    "point": {str(s): str(v) for s, v in zip(params, point)},
                    "value_enclosure": [_arb_str(r.lo), _arb_str(r.hi)],
                    "violates": rel,
                }
    return None
