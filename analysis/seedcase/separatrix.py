"""The seed's saddle and its separatrix: the exact stable direction, the proved separating plane,
and the commit rule it gives basin maps (a start is decided once L drops below the saddle value)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..dynamics.basins import BasinMap, basin_map
from ..dynamics.critical import CriticalPoint, _as_problem, _orient, critical_points
from ..dynamics.valley import limit_label
from ..exact import reduces_to_zero, sigma, symbolic
from ..network import Problem


def exact_saddle(problem) -> CriticalPoint:
    """The exact (rational) nondegenerate saddle of a 2-parameter problem such as the seed's."""
    problem = _as_problem(problem)
    for c in critical_points(problem):
        if c.kind == "saddle" and c.exact is not None:
            return c
    raise ValueError(f"{problem.name}: no exact nondegenerate saddle")


def separatrix_direction(problem="none") -> tuple[tuple[float, ...], tuple[str, ...], tuple[str, ...]]:
    """Stable direction of gradient descent at the exact saddle of a 2-parameter problem.

    Near the saddle w' = -H (w - s): the eigenvector of the exact Hessian with positive eigenvalue
    is the tangent of the stable manifold, the curve that splits the plane into basins. Returns
    (unit vector, exact saddle, exact eigenvalues).
    """
    problem = _as_problem(problem)
    m = symbolic(problem)
    s = exact_saddle(problem)
    sub = dict(zip(m.params, (sp.Rational(v) for v in s.exact)))
    H = sp.Matrix(m.hessian.subs(sub)).applyfunc(sp.nsimplify)
    stable = [(ev, vecs) for ev, _, vecs in H.eigenvects() if ev.is_positive]
    if len(stable) != 1 or len(stable[0][1]) != 1:
        raise ValueError(f"{problem.name}: the saddle's stable space is not one-dimensional")
    _, (vec,) = stable[0]
    v = np.array([float(sp.N(c, 30)) for c in vec])
    return (
        tuple(float(x) for x in _orient(v)),
        s.exact,
        tuple(str(sp.nsimplify(e)) for e in H.eigenvals()),
    )


def separating_plane(problem="none") -> tuple[str, sp.Expr]:
    """Prove min over W1 = 0 of L minus the saddle value is >= 0: returns (param, factored excess)."""
    problem = _as_problem(problem)
    m = symbolic(problem)
    saddle = exact_saddle(problem)
    value = m.loss.subs(dict(zip(m.params, (sp.Rational(v) for v in saddle.exact))))
    on_plane = m.loss.subs(m.params[0], 0)
    atoms = sorted(on_plane.atoms(sigma), key=sp.default_sort_key)
    if len(atoms) != 1:
        raise ValueError("the plane W1 = 0 does not reduce L to one sigma")
    a = sp.Symbol("a", real=True)
    excess = sp.factor(sp.expand(on_plane.xreplace({atoms[0]: a}) - value))
    if not excess.is_nonnegative:
        raise ArithmeticError(f"L - L(saddle) on W1 = 0 is {excess}: not provably >= 0")
    if not reduces_to_zero(excess.subs(a, atoms[0]) - (on_plane - value)):
        raise ArithmeticError("factorisation does not reproduce L on the plane")
    return str(m.params[0]), excess.subs(a, atoms[0])


def side_names(problem: Problem) -> tuple[str, str]:
    """The two valleys the separating plane splits the starts between, label 0 then 1."""
    p = problem.param_names[0]
    return (limit_label(p, -1), limit_label(p, 1))


def plane_classifier(saddle_loss: float):
    """Commit rule: once L < the saddle value, the sign of W1 can never change (L >= the saddle
    value on the plane W1 = 0, proved by :func:`separating_plane`), so the valley is decided."""

    def classify(w, L):
        lab = np.where(w[:, 0] < 0, 0, 1).astype(np.int8)
        return np.where(saddle_loss > L, lab, -1).astype(np.int8)

    return classify


def seed_basin_map(
    problem="none", n: int = 200, extent=(-4.0, 4.0, -4.0, 4.0), method: str = "gd"
) -> BasinMap:
    """The seed's (W1, W2) basin map, starts committed by the proved separating plane."""
    problem = _as_problem(problem)
    separating_plane(problem)  # the commit rule is sound only where this proof goes through
    rule = plane_classifier(exact_saddle(problem).loss)
    return basin_map(
        problem,
        (0, 1),
        None,
        n,
        extent,
        method,
        classify=rule,
        names=side_names(problem),
        kinds=("infinity",) * 2,
    )


def map_angle(bm: BasinMap, saddle, direction, radius: float = 0.6) -> float:
    """Angle (degrees) between the basin boundary near the saddle (principal axis of the boundary
    cells within ``radius``) and ``direction``."""
    lab = bm.labels
    edge = np.zeros(lab.shape, dtype=bool)
    edge[:, :-1] |= lab[:, :-1] != lab[:, 1:]
    edge[:-1, :] |= lab[:-1, :] != lab[1:, :]
    X, Y = np.meshgrid(bm.xs, bm.ys)
    pts = np.stack([X[edge], Y[edge]], axis=1) - np.asarray(saddle, dtype=float)
    pts = pts[np.linalg.norm(pts, axis=1) < radius]
    if len(pts) < 3:
        return 90.0
    _, _, vt = np.linalg.svd(pts - pts.mean(axis=0))
    c = abs(float(np.dot(vt[0], direction)))
    return math.degrees(math.acos(min(1.0, c)))
