"""The proof engine says no when it should: false steps leave a theorem unproved, naming the step."""

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.exact import sigma, symbolic
from analysis.network import preset
from analysis.proofs.engine import (
    UNPROVED,
    Certificate,
    Cite,
    Context,
    Identity,
    Limit,
    Monotone,
    Sign,
    SignCases,
    Theorem,
    check_identity,
    check_sign,
    prove_theorem,
)
from analysis.proofs.evidence import iv_loss
from analysis.proofs.intervals import Iv, cover, iv_eval, precision
from analysis.proofs.lemmas import lemma_context

t = sp.Symbol("t", real=True)
n = sp.Symbol("n", positive=True)
M = symbolic(preset("none"))
W1, W2 = M.params
Z0, Z1 = M.outputs[0][0], M.outputs[1][0]


def _run(*steps, ctx=None):
    return prove_theorem(Theorem("X", "test", "a test theorem", "x", tuple(steps)), ctx or lemma_context())


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
    assert [s.ok for s in res.steps] == [True, False]


def test_false_sign_claim_is_unproved():
    res = _run(Sign("W2 < 0 gives z(1) < 2/5 (false)", Z1 - sp.Rational(2, 5), "<0", {W2: "negative"}))
    assert res.status == UNPROVED and "z(1) < 2/5" in res.failing_step
    # The opposite sign is false too: the user's bound is strict the other way.
    assert not check_sign(Z1 - sp.S.Half, ">0", {W2: "negative"}).ok


def test_wrong_limit_is_unproved():
    res = _run(Limit("wrong value", M.loss.xreplace({W1: -n, W2: -n}), n, sp.oo, sp.Rational(1, 4)))
    assert res.status == UNPROVED and "limit" in res.failing_step
    assert "1/8" in res.steps[0].check


def test_incomplete_case_split_fails():
    step = SignCases("only two cases", Z1 - sp.S.Half, W2, {"negative": "<0", "positive": ">0"})
    assert _run(step).status == UNPROVED


def test_wrong_case_relation_fails():
    step = SignCases("wrong at zero", Z1 - sp.S.Half, W2, {"negative": "<0", "zero": ">0", "positive": ">0"})
    assert _run(step).status == UNPROVED


def test_wrong_monotonicity_fails():
    assert _run(Monotone("sigma decreasing (false)", sigma(t), t, "decreasing")).status == UNPROVED
    assert _run(Monotone("sigma increasing", sigma(t), t, "increasing")).status == "proved"


def test_sign_steps_need_the_lemmas():
    # Without L1/L2 proved, the sigma encoding may not be used.
    res = _run(Sign("sigma positive", sigma(t), ">0"), ctx=Context())
    assert res.status == UNPROVED and "relies on unproved" in res.steps[0].check


def test_citing_an_unproved_result_fails():
    assert _run(Cite("nothing", ident="T99")).status == UNPROVED


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
    p = preset("none")

    def f(box):
        return iv_loss(p, box)

    good = Certificate(
        "L > 1/8", f=f, accept=lambda r: r.lo > Iv.point(sp.Rational(1, 8)).hi, box=((-8.0, 8.0),) * 2
    )
    bad = Certificate(
        "L > 1/4 (false)",
        f=f,
        accept=lambda r: r.lo > Iv.point(sp.Rational(1, 4)).hi,
        box=((-8.0, 8.0),) * 2,
        max_boxes=2000,
    )
    assert _run(good).status == "proved"
    res = _run(bad)
    assert res.status == UNPROVED and "uncertified box" in res.steps[0].check


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
    from analysis.proofs.engine import MonotoneCompare

    s = sp.Symbol("s", real=True)
    # 1/s is decreasing on s > 0 only; comparing across 0 must fail, inside (0, oo) must pass.
    mono = Monotone("1/s decreasing on s > 0", 1 / s, s, "decreasing", {s: "positive"})
    inside = MonotoneCompare(
        "1/(t+2) < 1/(t+1)", sp.Lambda(s, 1 / s), t + 2, t + 1, mono, assume={t: "positive"}
    )
    across = MonotoneCompare("1/1 < 1/(-1) (false)", sp.Lambda(s, 1 / s), sp.S.One, -sp.S.One, mono)
    assert _run(inside).status == "proved"
    assert _run(across).status == UNPROVED
