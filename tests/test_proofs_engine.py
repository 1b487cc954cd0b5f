"""The step checkers say no when they should: a false step makes no kernel fact, and says why."""

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.exact import sigma, symbolic
from analysis.network import preset
from analysis.proofs import kernel
from analysis.proofs.engine import (
    Certificate,
    Identity,
    Limit,
    Monotone,
    MonotoneCompare,
    Sign,
    check_identity,
    check_sign,
)
from analysis.proofs.intervals import Iv, cover, iv_eval, precision
from analysis.proofs.results import PROVED, UNPROVED

t = sp.Symbol("t", real=True)
n = sp.Symbol("n", positive=True)
M = symbolic(preset("none"))
W1, W2 = M.params
Z0, Z1 = M.outputs[0][0], M.outputs[1][0]


class _Run:
    """Each step checked by the kernel: ``status`` proved iff every step made a fact."""

    def __init__(self, steps):
        self.facts, self.errors = [], []
        for st_ in steps:
            try:
                self.facts.append(kernel.check(st_))
                self.errors.append(None)
            except kernel.KernelError as exc:
                self.facts.append(None)
                self.errors.append(str(exc))
        self.status = PROVED if all(e is None for e in self.errors) else UNPROVED
        bad = [i for i, e in enumerate(self.errors) if e is not None]
        self.failing_step = f"step {bad[0] + 1} ({steps[bad[0]].kind}): {steps[bad[0]].text}" if bad else None
        self.checks = [f.check if f is not None else e for f, e in zip(self.facts, self.errors)]


def _run(*steps):
    return _Run(steps)


def _tex(step):
    return step.statement().latex()


def test_true_steps_prove():
    res = _run(
        Identity("symmetry", sigma(-t), 1 - sigma(t)),
        Sign("user's bound", Z1 - sp.S.Half, "<0", {W2: "negative"}),
        Limit("limit", M.loss.xreplace({W1: -n, W2: -n}), n, sp.oo, sp.Rational(1, 8)),
    )
    assert res.status == "proved" and res.failing_step is None


def test_false_identity_is_unproved_and_named():
    res = _run(
        Identity("a true identity", sigma(-t), 1 - sigma(t)),
        Identity("a false identity", sigma(-t), sigma(t)),
    )
    assert res.status == UNPROVED
    assert res.failing_step.startswith("step 2 (identity): a false identity")
    assert [f is not None for f in res.facts] == [True, False]


def test_false_sign_claim_is_unproved():
    res = _run(Sign("W2 < 0 gives z(1) < 2/5 (false)", Z1 - sp.Rational(2, 5), "<0", {W2: "negative"}))
    assert res.status == UNPROVED and "z(1) < 2/5" in res.failing_step
    # The opposite sign is false too: the user's bound is strict the other way.
    assert not check_sign(Z1 - sp.S.Half, ">0", {W2: "negative"}).ok


def test_wrong_limit_is_unproved():
    res = _run(Limit("wrong value", M.loss.xreplace({W1: -n, W2: -n}), n, sp.oo, sp.Rational(1, 4)))
    assert res.status == UNPROVED and "limit" in res.failing_step
    assert "1/8" in res.checks[0]


def test_wrong_monotonicity_fails():
    assert _run(Monotone("sigma decreasing (false)", sigma(t), t, "decreasing")).status == UNPROVED
    assert _run(Monotone("sigma increasing", sigma(t), t, "increasing")).status == "proved"


def test_identity_checker_rejects_near_misses():
    assert check_identity(sigma(t) * (1 - sigma(t)), sp.diff(sigma(t), t)).ok
    assert not check_identity(sigma(2 * t), 2 * sigma(t)).ok
    assert not check_identity(sigma(t) ** 2, sigma(t)).ok


def test_oversized_expressions_are_refused(monkeypatch):
    from analysis.proofs import engine

    monkeypatch.setattr(engine, "PROOF_MAX_OPS", 20)
    expr = sum(sigma(t + k) ** 3 * sigma(t - k) for k in range(1, 8))
    v = check_identity(expr, expr.subs(t, 2 * t))
    assert not v.ok and "too large" in v.method
    assert not check_sign(expr - 1, "<0", {}).ok


def test_interval_certificate_can_fail():
    box = ((W1, sp.Integer(-8), sp.Integer(8)), (W2, sp.Integer(-8), sp.Integer(8)))
    good = Certificate("L > 1/8", expr=M.loss, rel=">", bound=sp.Rational(1, 8), box=box)
    bad = Certificate(
        "L > 1/4 (false)", expr=M.loss, rel=">", bound=sp.Rational(1, 4), box=box, max_boxes=2000
    )
    res = _run(good)
    assert res.status == "proved" and "L6" in res.checks[0]
    res = _run(bad)
    assert res.status == UNPROVED and "uncertified box" in res.checks[0]


def test_cover_excludes_and_reports():
    res = cover(
        lambda b: b[0],
        lambda r: r.lo > 0,
        ((-1.0, 1.0),),
        max_boxes=100,
        min_width=1e-3,
        exclude=lambda b: b[0][1] <= -0.5,
    )
    assert not res.ok  # boxes in [-1/2, 0] never have lo > 0
    ok = cover(
        lambda b: b[0],
        lambda r: r.lo > 0,
        ((-1.0, 1.0),),
        max_boxes=100,
        min_width=1e-3,
        exclude=lambda b: b[0][1] <= 0.125,
    )
    assert ok.ok and ok.skipped > 0


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-50, 50, allow_nan=False),
    st.floats(0, 5, allow_nan=False),
    st.floats(-50, 50, allow_nan=False),
    st.floats(0, 5, allow_nan=False),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_interval_enclosures_contain_the_true_loss(a, wa, b, wb, fa, fb):
    """Any point of the box evaluates (in mpmath at high precision) inside the enclosure."""
    import mpmath

    box = [(a, a + wa), (b, b + wb)]
    pt = [lo + f * (hi - lo) for (lo, hi), f in zip(box, (fa, fb))]
    with precision():
        enc = iv_eval(M.loss, {W1: Iv.span(*box[0]), W2: Iv.span(*box[1])})
    with mpmath.workdps(80):
        s = lambda u: 1 / (1 + mpmath.exp(-u))  # noqa: E731
        z0 = s(mpmath.mpf(pt[1]) / 2)
        z1 = s(mpmath.mpf(pt[1]) * s(mpmath.mpf(pt[0])))
        true = z0**2 / 2 + (1 - z1) ** 2 / 2
        lo, hi = (
            mpmath.mpf(enc.lo.mid().str(60, radius=False)),
            mpmath.mpf(enc.hi.mid().str(60, radius=False)),
        )
        assert lo - mpmath.mpf(10) ** -50 <= true <= hi + mpmath.mpf(10) ** -50


def test_monotone_compare_respects_the_domain():
    s = sp.Symbol("s", real=True)
    # 1/s is decreasing on s > 0 only; comparing across 0 must fail, inside (0, oo) must pass.
    mono = Monotone("1/s decreasing on s > 0", 1 / s, s, "decreasing", {s: "positive"})
    inside = MonotoneCompare(
        "1/(t+2) < 1/(t+1)", sp.Lambda(s, 1 / s), t + 2, t + 1, mono, assume={t: "positive"}
    )
    across = MonotoneCompare("1/1 < 1/(-1) (false)", sp.Lambda(s, 1 / s), sp.S.One, -sp.S.One, mono)
    assert _run(inside).status == "proved"
    assert _run(across).status == UNPROVED


# ---------------------------------------------------------------------------------------------
# Negative controls for the audit findings B1-B6: each false claim is now rejected, naming the step.

s = sp.Symbol("s", real=True)
w = sp.Symbol("w", real=True)
x = sp.Symbol("x", real=True)
v = sp.Symbol("v", real=True)


def _rejected(step, *, why: str):
    """The theorem is unproved, the failing step is named, and the check says why."""
    res = _run(Identity("a true step first", sigma(-t), 1 - sigma(t)), step)
    assert res.status == UNPROVED, res.checks[-1]
    assert res.failing_step.startswith(f"step 2 ({step.kind}): {step.text}")
    assert why in res.checks[1], res.checks[1]
    return res


def test_b1_monotone_compare_keeps_the_cited_conditions():
    mono = Monotone("w*s increasing in s for w > 0", w * s, s, "increasing", assume={w: "positive"})
    # Claimed for all real w (false for w <= 0): the compare's condition w real does not imply w > 0.
    _rejected(
        MonotoneCompare(
            "0 < w for all real w (false)", sp.Lambda(s, w * s), sp.S.Zero, sp.S.One, mono, assume={w: "real"}
        ),
        why="does not imply the monotone step's w positive",
    )
    # Without a condition of its own the comparison inherits w > 0, and says so.
    ok = MonotoneCompare("0 < w for w > 0", sp.Lambda(s, w * s), sp.S.Zero, sp.S.One, mono)
    res = _run(ok)
    assert res.status == "proved" and "w > 0" in res.facts[0].stmt.latex()


def test_b1_f_may_not_reuse_the_monotone_variable():
    # s^2 is increasing on s > 0, and f(q) = q s agrees with it at q = s; but f(1) < f(2), i.e.
    # s < 2 s "for all real s", is false for s < 0.
    mono = Monotone("s^2 increasing for s > 0", s**2, s, "increasing", assume={s: "positive"})
    q = sp.Symbol("q", real=True)
    _rejected(
        MonotoneCompare("s < 2 s for all s (false)", sp.Lambda(q, q * s), sp.S.One, sp.Integer(2), mono),
        why="as a parameter",
    )


def test_monotone_only_differentiates_known_functions():
    _rejected(Monotone("s + Heaviside(s) increasing", s + sp.Heaviside(s), s, "increasing"), why="Heaviside")


def test_b2_compared_points_must_lie_in_the_checked_domain():
    s_pos = sp.Symbol("s", positive=True)
    mono = Monotone("s^2 increasing for s > 0", s_pos**2, s_pos, "increasing")
    assert "s > 0" in _tex(mono)
    _rejected(
        MonotoneCompare("(-2)^2 < (-1)^2, i.e. 4 < 1 (false)", sp.Lambda(s_pos, s_pos**2), -2, -1, mono),
        why="not shown in the domain",
    )
    s_nz = sp.Symbol("s", real=True, nonzero=True)
    mono_nz = Monotone("-1/s increasing on s != 0", -1 / s_nz, s_nz, "increasing")
    _rejected(
        MonotoneCompare("f(-1) < f(1), i.e. 1 < -1 (false)", sp.Lambda(s_nz, -1 / s_nz), -1, 1, mono_nz),
        why="R, (0, oo) or (-oo, 0)",
    )


def test_b2_built_in_conditions_are_rendered_and_not_silently_narrowed():
    tp = sp.Symbol("t", positive=True)
    assert r"\forall\, t > 0" in _tex(Sign("t > 0", tp, ">0"))
    assert r"\forall\, t > 0" in _tex(Identity("id", sp.sqrt(tp**2), tp))
    # "for real t" would be a lie: the positivity built into the symbol would narrow the claim.
    _rejected(Sign("t > 0 for all real t (false)", tp, ">0", {tp: "real"}), why="built into the symbol")


def test_b3_sigma_and_exp_need_real_arguments():
    z = sp.Symbol("z")
    _rejected(Sign("sigma(z) < 1 for complex z", sigma(z) - 1, "<0"), why="not declared real")
    _rejected(
        Sign("sigma(sqrt x) > 0 for real x (false)", sigma(sp.sqrt(x)), ">0"), why="not known to be real"
    )
    _rejected(Sign("exp(i x) > 0 (false at x = pi)", sp.exp(sp.I * x), ">0"), why="not known to be real")
    _rejected(
        Sign("exp(sqrt x) > 0 (false at x = -pi^2)", sp.exp(sp.sqrt(x)), ">0"), why="not known to be real"
    )
    _rejected(
        Identity(
            "sqrt(exp(2 sqrt x)) = exp(sqrt x) (false at x = -pi^2)",
            sp.sqrt(sp.exp(2 * sp.sqrt(x))),
            sp.exp(sp.sqrt(x)),
        ),
        why="not known to be real",
    )
    _rejected(
        Identity(
            "sqrt(exp(2 i x)) = exp(i x) (false at x = pi)", sp.sqrt(sp.exp(2 * sp.I * x)), sp.exp(sp.I * x)
        ),
        why="not known to be real",
    )


def test_b4_two_symbols_with_one_name_are_refused():
    tp = sp.Symbol("t", positive=True)
    _rejected(
        Sign("t > 0 given t < 0 (false)", t, ">0", {t: "negative", tp: "positive"}),
        why="two different symbols",
    )
    assert not check_sign(t, ">0", {t: "negative", tp: "positive"}).ok


def test_b5_certificates_are_checked_mathematical_objects():
    # A reversed box used to certify a false claim; now the box is validated first.
    _rejected(
        Certificate(
            "v^2 >= 1/2 on [1, 3/4]",
            expr=v**2,
            rel=">=",
            bound=sp.S.Half,
            box=((v, sp.S.One, sp.Rational(3, 4)),),
        ),
        why="empty",
    )
    _rejected(
        Certificate("float box", expr=v**2, rel=">=", bound=sp.S.Half, box=((v, 0.75, 1.0),)),
        why="exact rational endpoints",
    )
    _rejected(
        Certificate(
            "v^2 >= 1/2 on [0, 1] (false)",
            expr=v**2,
            rel=">=",
            bound=sp.S.Half,
            box=((v, sp.S.Zero, sp.S.One),),
            max_boxes=200,
        ),
        why="uncertified box",
    )
    _rejected(
        Certificate(
            "unnamed symbol", expr=v * w, rel=">", bound=sp.S.Zero, box=((v, sp.S.One, sp.Integer(2)),)
        ),
        why="without an interval",
    )
    _rejected(
        Certificate(
            "unsupported function",
            expr=sp.sin(v),
            rel=">",
            bound=sp.S.Zero,
            box=((v, sp.S.One, sp.Integer(2)),),
        ),
        why="cannot enclose",
    )
    ok = Certificate(
        "sigma(v) > 1/2 on [1, 2]",
        expr=sigma(v),
        rel=">",
        bound=sp.S.Half,
        box=((v, sp.S.One, sp.Integer(2)),),
    )
    res = _run(ok)
    assert res.status == "proved" and res.checks[0].endswith("uses L6")
    assert r"1 \le v \le 2" in _tex(ok) and r"\sigma\left(v\right) > \frac{1}{2}" in _tex(ok)


def test_b6_claims_render_what_is_checked():
    left = Limit("left limit", sigma(1 / t), t, sp.S.Zero, sp.S.Zero, direction="-")
    assert r"t \to 0^{-}" in _tex(left) and _run(left).status == "proved"
    right = Limit("right limit (false value)", sigma(1 / t), t, sp.S.Zero, sp.S.Zero, direction="+")
    assert r"t \to 0^{+}" in _tex(right)
    _rejected(right, why="not 0")
    mono = Monotone("s^2 increasing for s > 0", s**2, s, "increasing", assume={s: "positive"})
    assert "s > 0" in _tex(mono)
    side = Monotone("w s increasing for w > 0", w * s, s, "increasing", assume={w: "positive"})
    assert "w > 0" in _tex(side)
    # A limit with a free parameter is refused (SymPy may assume a generic sign for it).
    _rejected(
        Limit("lim sigma(w t) = 1 for all w (false)", sigma(w * t), t, sp.oo, sp.S.One), why="free parameters"
    )


def test_denominators_must_not_vanish():
    assert not check_sign(1 / x**2, ">=0", {}).ok  # undefined at x = 0
    assert check_sign(1 / (1 + x**2), ">0", {}).ok
