"""Extended interval arithmetic: enclosures contain the exact value, on any box, at any weight."""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.certify.coords import coordinate_model, transform
from analysis.certify.enclose import enclosure
from analysis.certify.intervals import IA
from analysis.exact import compiled, mp_sigma, symbolic
from analysis.network import preset
from analysis.spec import problem_from_flags

PROBLEMS = {name: preset(name) for name in ("none", "hidden", "output", "both")}
PROBLEMS["xor"] = problem_from_flags("2-2-1", "all", "xor")

finite = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
moderate = st.floats(min_value=-60, max_value=60, allow_nan=False)
coordinate = st.one_of(moderate, moderate, finite)


@st.composite
def box_and_point(draw, n):
    """A box (sides may be [-inf, a], [a, inf] or [-inf, inf]) and a finite point in it."""
    lo, hi, pt = [], [], []
    for _ in range(n):
        a, b = sorted((draw(coordinate), draw(coordinate)))
        x = draw(st.floats(min_value=a, max_value=b)) if a < b else a
        kind = draw(st.sampled_from(["bounded", "bounded", "left", "right", "line", "point"]))
        if kind == "left":
            a = -math.inf
        elif kind == "right":
            b = math.inf
        elif kind == "line":
            a, b = -math.inf, math.inf
        elif kind == "point":
            a = b = x
        lo.append(a)
        hi.append(b)
        pt.append(x)
    return np.array([lo]), np.array([hi]), np.array(pt)


def _inside(enc: IA, k: int, value) -> bool:
    return mpmath.mpf(float(enc.lo[k])) <= value <= mpmath.mpf(float(enc.hi[k]))


@functools.cache
def _mp_model(problem):
    """L and grad L in search coordinates, and L in weights, at mpmath precision."""
    ps, loss, grad, _ = coordinate_model(problem)
    mods = [{"sigma": mp_sigma, "cc": lambda q0, q1, h: (1 - h) * q0 + h * q1}, "mpmath"]
    m = symbolic(problem)
    return sp.lambdify(ps, [loss, *grad], modules=mods), sp.lambdify(m.params, m.loss, modules=mods)


@pytest.mark.parametrize(
    "name",
    [*(n for n in PROBLEMS if n != "xor"), pytest.param("xor", marks=pytest.mark.slow)],  # xor: ~12 s
)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_enclosure_contains_exact_loss_and_gradient(name, data):
    """Boxes are in search coordinates p (w = T p, T integer): the exact values at a point p of
    the box, at 60 digits, lie in the enclosures; and L in p agrees with L at w = T p."""
    p = PROBLEMS[name]
    lo, hi, pt = data.draw(box_and_point(p.n_params))
    L, G = enclosure(p).evaluate(lo, hi)
    f_p, _ = _mp_model(p)
    assert _agree_in_p_and_w(p, pt)
    with mpmath.workdps(60):
        exact = f_p(*[mpmath.mpf(v) for v in pt])
        assert _inside(L, 0, exact[0])
        for g, e in zip(G, exact[1:]):
            assert _inside(g, 0, e)
        bb = enclosure(p).bounds(lo, hi)
        assert mpmath.mpf(float(bb.bound[0])) <= exact[0]


#: Working precisions (bits) comparing L in p with L at w = T p, to 2^-2000: T p is exact for any
#: floats from 2200 bits (their exponents differ by < 2100 bits), but huge cancelling weights (w2
#: sigma(a) + b2 with w2 = -b2 ~ 1e61) lose about 900 bits more (a draw found it), so a pair that
#: differs is compared again at twice the precision, up to the last.
P_AND_W_PRECS = (2200, 4400, 8800, 17600, 35200)


def _loss_in_p_and_w(problem, pt, prec: int, pt_w=None):
    """L at ``pt`` in p, and L at w = T ``pt_w`` (default ``pt``), at ``prec`` bits."""
    f_p, f_w = _mp_model(problem)
    T = transform(problem)
    n = problem.n_params
    pt_w = pt if pt_w is None else pt_w
    with mpmath.workprec(prec):
        w = [sum(int(T[j, k]) * mpmath.mpf(pt_w[k]) for k in range(n)) for j in range(n)]
        return f_p(*[mpmath.mpf(v) for v in pt])[0], f_w(*w)


def _agree_in_p_and_w(problem, pt, precs=P_AND_W_PRECS, pt_w=None) -> bool:
    """L in p equals L at w = T p to 2^-2000 at one of ``precs`` (two routes agreeing that far
    by accident at too low a precision is not a worry; a real difference fails at every one)."""
    two = mpmath.mpf(2) ** -2000
    return any(mpmath.almosteq(*_loss_in_p_and_w(problem, pt, prec, pt_w), rel_eps=two) for prec in precs)


def test_loss_in_p_is_the_loss_in_w_at_huge_cancelling_weights():
    """Pinned: the draw that showed 2200 bits too few for this comparison."""
    pt = np.array([158.0, 0.0, -2.5715241581522106e61])
    assert _agree_in_p_and_w(PROBLEMS["output"], pt)
    # Negative controls: at 2200 bits alone the two evaluations part before 2^-2000; and L at a
    # point moved in p only differs at every precision.
    assert not _agree_in_p_and_w(PROBLEMS["output"], pt, precs=(2200,))
    assert not _agree_in_p_and_w(PROBLEMS["output"], pt + np.array([1.0, 0.0, 0.0]), pt_w=pt)


def test_centred_form_is_a_lower_bound_and_tighter_on_small_boxes():
    p = PROBLEMS["hidden"]
    c = np.array([[0.3, -1.2, 0.7]])
    lo, hi = c - 1e-3, c + 1e-3
    bb = enclosure(p).bounds(lo, hi)
    assert bb.centred[0] > bb.natural[0]
    pts = np.random.default_rng(0).uniform(lo, hi, (500, 3))
    assert bb.bound[0] <= compiled(p).loss(pts).min()


def test_set_based_products_and_sigma_at_infinity():
    zero = IA.point(np.array([0.0]))
    ray = IA(np.array([2.0]), np.array([np.inf]))
    prod = zero * ray
    assert prod.lo[0] == 0.0 and prod.hi[0] == 0.0  # 0 * [2, inf] = 0: intervals hold reals only
    s = ray.sigma()
    assert s.hi[0] == 1.0 and s.lo[0] < 1 / (1 + math.exp(-2.0)) < s.lo[0] + 1e-14
    line = IA(np.array([-np.inf]), np.array([np.inf]))
    assert (line.sigma().lo[0], line.sigma().hi[0]) == (0.0, 1.0)
    assert (IA.point(np.array([0.0])).sigma().lo[0]) == 0.5  # sigma(0) = 1/2 exactly
    sq = IA(np.array([-3.0]), np.array([np.inf])) ** 2
    assert sq.lo[0] == 0.0 and sq.hi[0] == np.inf


@settings(max_examples=200, deadline=None)
@given(a=finite, b=finite, c=finite, d=finite)
def test_arithmetic_is_rounded_outward(a, b, c, d):
    x = IA(np.array([min(a, b)]), np.array([max(a, b)]))
    y = IA(np.array([min(c, d)]), np.array([max(c, d)]))
    with mpmath.workdps(700):
        for u in (min(a, b), max(a, b)):
            for v in (min(c, d), max(c, d)):
                U, V = mpmath.mpf(u), mpmath.mpf(v)
                for enc, exact in ((x + y, U + V), (x - y, U - V), (x * y, U * V)):
                    assert mpmath.mpf(float(enc.lo[0])) <= exact <= mpmath.mpf(float(enc.hi[0]))
