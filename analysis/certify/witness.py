"""Upper bounds on inf L: finite witnesses checked in arb, and witness families w(t).

The separability lemma, for targets in {0, 1} (any architecture, with or without biases):

    separable  <=>  inf L = 0  <=>  inf L < 1/8,

where *separable* means some finite w puts every output strictly on its target's side of 1/2.

Proof. (inf L < 1/8 => separable) Take w with L(w) < 1/8. Every term 1/2 (d - z)^2 is >= 0, so
each is < 1/8, i.e. |d - z| < 1/2: z > 1/2 where d = 1 and z < 1/2 where d = 0.
(separable => inf L = 0) At a separating w the output pre-activation a = W_out h + b_out is > 0
where d = 1 and < 0 where d = 0 (z > 1/2 <=> a > 0). Multiply the output layer's weights and
bias (if any) by t > 0: the hidden outputs h do not change and a becomes t a, so each z tends
to its target as t -> oo and L -> 0; L >= 0 gives inf L = 0. Hidden layers are never scaled, so
the argument holds for every depth, and without an output bias (a = t W_out h). (inf L = 0 =>
inf L < 1/8) is trivial. Moreover L > 0 at every finite w (0 < z < 1), so inf L = 0 is never
attained. tests/test_certify.py checks both directions numerically, and refutes the variant
that scales a hidden layer instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp
from flint import arb
from scipy.optimize import minimize

from ..exact import compiled, symbolic
from ..network import Problem
from ..proofs.engine import BoundedError, bounded, sigma_to_exp
from ..proofs.intervals import Iv, iv_eval, precision
from ..tolerances import CERT_CHECK_PREC, CERT_FAMILY_STEPS

#: Local searches from these many fixed-seed random starts (plus the branch and bound's best points).
N_STARTS = 6
#: Iterations per local search.
MAX_ITER = 500
#: A coordinate of a local minimiser beyond this magnitude is taken to be running off to infinity.
DIVERGE = 6.0
#: SymPy limit of a witness family: seconds allowed.
LIMIT_SECONDS = 10.0


def binary_targets(problem: Problem) -> bool:
    return all(d in (0.0, 1.0) for row in problem.data.targets for d in row)


def arb_loss(problem: Problem, w) -> Iv:
    """Enclosure of L at the exact float point ``w``, in arb (ball arithmetic)."""
    m = symbolic(problem)
    with precision(CERT_CHECK_PREC):
        env = {p: Iv.point(float(v)) for p, v in zip(m.params, w)}
        return iv_eval(m.loss, env)


def arb_outputs(problem: Problem, w) -> list[list[Iv]]:
    """Enclosures of every network output at ``w``, one list per sample."""
    m = symbolic(problem)
    with precision(CERT_CHECK_PREC):
        env = {p: Iv.point(float(v)) for p, v in zip(m.params, w)}
        memo = {}
        return [[iv_eval(z, env, memo) for z in zs] for zs in m.outputs]


def separates(problem: Problem, w) -> bool:
    """Proved in arb: every output at ``w`` lies strictly on its 0/1 target's side of 1/2."""
    half = arb(1) / 2
    for zs, ds in zip(arb_outputs(problem, w), problem.data.targets):
        for z, d in zip(zs, ds):
            if not ((d == 1.0 and z.lo > half) or (d == 0.0 and z.hi < half)):
                return False
    return True


def output_layer_indices(problem: Problem) -> np.ndarray:
    """Parameter indices of the output layer's weights and bias (the ones the lemma scales)."""
    W, b = problem.network.unpack(np.arange(problem.n_params))[-1]
    idx = list(np.ravel(W))
    if b is not None:
        idx += list(np.ravel(b))
    return np.array(sorted(int(i) for i in idx))


def local_minimise(problem: Problem, starts: np.ndarray) -> tuple[np.ndarray, float]:
    """The best L-BFGS end point from ``starts`` (float estimate only; verify with arb)."""
    c = compiled(problem)
    best_w, best = None, np.inf

    def fun(w):
        return float(c.loss(w)), c.gradient(w)

    for w0 in starts:
        # BFGS, not L-BFGS-B: as fast per step on <= 16 parameters, and it keeps descending
        # along valleys that run off to infinity. Its warnings (precision loss) are irrelevant:
        # whatever point it returns is re-checked in arb.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = minimize(fun, w0, jac=True, method="BFGS", options={"maxiter": MAX_ITER, "gtol": 1e-14})
        if np.all(np.isfinite(r.x)) and r.fun < best:
            best_w, best = np.asarray(r.x, dtype=float), float(r.fun)
    return best_w, best


def starts(problem: Problem, extra=None, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = rng.normal(0.0, 3.0, (N_STARTS, problem.n_params))
    if extra is not None and len(extra):
        pts = np.vstack([np.asarray(extra, dtype=float), pts])
    return pts


@dataclass(frozen=True)
class Family:
    """A witness family w(t): ``base`` with the coordinates in ``scaled`` multiplied by t."""

    base: tuple[Fraction, ...]
    scaled: tuple[int, ...]
    limit: sp.Expr | None  # SymPy's limit of L(w(t)) as t -> oo, or None (not computed)
    values: tuple[tuple[int, str], ...]  # (t, arb upper bound of L(w(t))) at t = 2^k
    reason: str

    def point(self, t: int) -> list[Fraction]:
        return [b * t if i in self.scaled else b for i, b in enumerate(self.base)]

    def to_json(self) -> dict:
        return {
            "base": [str(b) for b in self.base],
            "scaled": list(self.scaled),
            "limit": None if self.limit is None else str(self.limit),
            "values": [[t, v] for t, v in self.values],
            "reason": self.reason,
        }


def _round(v: float) -> Fraction:
    """A short exact rational near ``v`` (a family's start point need not be a float)."""
    return Fraction(str(float(f"{v:.4g}")))


def _arb_family_values(problem: Problem, base, scaled) -> list[tuple[int, arb]]:
    m = symbolic(problem)
    out = []
    with precision(CERT_CHECK_PREC):
        for k in range(CERT_FAMILY_STEPS + 1):
            t = 2**k
            env = {
                p: Iv.point(sp.Rational(b.numerator, b.denominator) * (t if i in scaled else 1))
                for i, (p, b) in enumerate(zip(m.params, base))
            }
            out.append((t, iv_eval(m.loss, env).hi))
    return out


def family_limit(problem: Problem, base, scaled) -> sp.Expr | None:
    """SymPy's limit of L along the ray (sigma rewritten with exp), or None if it gives up."""
    m = symbolic(problem)
    t = sp.Symbol("t", positive=True)
    subs = {
        p: sp.Rational(b.numerator, b.denominator) * (t if i in scaled else 1)
        for i, (p, b) in enumerate(zip(m.params, base))
    }
    try:
        with bounded(LIMIT_SECONDS):
            lim = sp.limit(sigma_to_exp(m.loss.xreplace(subs)), t, sp.oo)
    except (BoundedError, NotImplementedError, ValueError, TypeError):
        return None
    if not (lim.is_real and lim.is_finite):
        return None
    return sp.nsimplify(lim) if lim.is_Rational else lim


def make_family(
    problem: Problem, w: np.ndarray, scaled, *, symbolic_limit: bool, reason: str, signs: bool = False
) -> Family:
    """The ray through ``w`` scaling coordinates ``scaled``; with ``signs``, scaled coordinates
    start at +-1 and the others are rounded to 2 digits (SymPy's limits are much faster then)."""
    scaled = tuple(int(i) for i in scaled)
    if signs:
        base = tuple(
            Fraction(int(np.sign(v))) if i in scaled else Fraction(str(float(f"{v:.2g}")))
            for i, v in enumerate(w)
        )
    else:
        base = tuple(_round(v) for v in w)
    vals = _arb_family_values(problem, base, scaled)
    lim = family_limit(problem, base, scaled) if symbolic_limit else None
    return Family(base, scaled, lim, tuple((t, v.str(20, radius=False)) for t, v in vals), reason)


def family_consistent(fam: Family, problem: Problem) -> bool:
    """Cross-check SymPy's limit with arb: L(w(t)) at the largest t is within reach of it.

    Not a proof of the limit (SymPy's is); a guard against a wrong or misapplied limit: the arb
    values must approach the limit (the last one closer than the first) and must not undercut
    it by more than their own radius.
    """
    if fam.limit is None:
        return False
    vals = [v for _, v in _arb_family_values(problem, fam.base, fam.scaled)]
    with precision(CERT_CHECK_PREC):
        if fam.limit.is_Rational:
            lim = arb(int(fam.limit.p)) / int(fam.limit.q)
        else:
            lim = arb(str(sp.N(fam.limit, 40)))
        first, last = abs(vals[0] - lim), abs(vals[-1] - lim)
        return bool(last <= first) and bool(vals[-1] >= lim - arb(2) ** -100)
