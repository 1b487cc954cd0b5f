"""SciPy optimisers vs the proved infimum; each check has a negative control that must fail."""

import json

import mpmath
import numpy as np
import pytest
import sympy as sp

from analysis import backprop
from analysis.check import gradcheck
from analysis.errors import InputError
from analysis.exact import compiled
from analysis.network import preset
from analysis.optimise import METHODS, on_boundary, optimise, projected_gradient, sweep, working_dps
from analysis.tolerances import KKT_ATOL, MP_DPS

BOXES = (5, 10, 20)

# One worker runs this module (pytest-xdist), so its fixture (every method on every box) is made once.
pytestmark = pytest.mark.xdist_group("optimise")


@pytest.fixture(scope="module")
def none_report():
    return optimise("none", boxes=BOXES, infimum=sp.Rational(1, 8))


def test_every_method_and_box_reported(none_report):
    runs = none_report.runs
    assert {(r.method, r.box) for r in runs} == {(m, float(b)) for m in METHODS for b in BOXES}
    assert all(r.nfev > 0 and len(r.weights) == 2 for r in runs)


def test_none_agrees_with_proved_infimum(none_report):
    assert none_report.agrees is True
    assert none_report.infimum_proved == "1/8"
    # The optimum sits on the boundary and the best loss falls towards 1/8 as the box grows.
    assert none_report.interior is False
    t = none_report.trend
    assert t.non_increasing and all(g > 0 for g in t.gaps)
    assert t.model in ("exp", "power") and dict(t.params)["C"] > 0
    assert none_report.backprop_ok and none_report.kkt_ok


@pytest.mark.parametrize("wrong", [sp.Rational(1, 10), sp.Rational(1, 4), sp.Rational(1, 7)])
def test_wrong_infimum_disagrees(wrong):
    rep = optimise("none", boxes=BOXES, infimum=wrong, methods=("L-BFGS-B", "trust-exact"))
    assert rep.agrees is False
    assert any("DISAGREES" in c for c in rep.conclusions)


def test_no_infimum_gives_null_and_json_keys():
    rep = optimise("none", boxes=(5, 10), methods=("L-BFGS-B", "direct"))
    j = rep.to_json()
    assert {"arch", "runs", "trend", "infimum_proved", "agrees"} <= set(j)
    assert j["agrees"] is None and j["infimum_proved"] is None
    for r in j["runs"]:
        assert {"method", "box", "loss", "weights", "on_boundary", "nfev"} <= set(r)
    json.dumps(j, allow_nan=False)
    assert "optimise none" in rep.summary()


@pytest.mark.slow
def test_deterministic():
    a = optimise("hidden", boxes=(5, 10), infimum=sp.Rational(1, 8), methods=METHODS).to_json()
    b = optimise("hidden", boxes=(5, 10), infimum=sp.Rational(1, 8), methods=METHODS).to_json()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("arch", ["output", "both"])
def test_bias_presets_approach_zero(arch):
    rep = optimise(arch, boxes=(5, 10, 20, 40), infimum=sp.S.Zero, methods=("L-BFGS-B", "trust-exact"))
    assert rep.agrees is True
    assert rep.trend.non_increasing and rep.trend.falling and rep.interior is False
    # Reported losses are the high-precision ones, quoted consistently with the gap.
    for r in rep.runs:
        assert r.loss_hp == float(mpmath.mpf(r.loss_mp)) and r.dps == working_dps(r.box)
        assert r.gap == pytest.approx(r.loss_hp, rel=1e-12)  # infimum 0: gap = loss
    largest = rep.best(40.0)
    (line,) = [c for c in rep.conclusions if c.startswith("numeric best")]
    assert f"numeric best {largest.loss_hp:.15g} " in line
    assert rep.trend.best == tuple(r.loss_hp for r in rep.best_per_box())


def test_loss_hp_is_not_the_float_artefact():
    # At B = 80 on 'both' the float loss of a tiny L is rounding noise; loss_hp is the real value.
    rep = optimise("both", boxes=(80,), infimum=sp.S.Zero, methods=("trust-exact",))
    (run,) = rep.runs
    comp = compiled(preset("both"))
    exact = comp.loss_mp(np.array(run.weights), 200)
    assert run.loss_hp == pytest.approx(float(exact), rel=1e-14)
    assert f"{run.loss_hp:.15g}" in rep.summary()


def test_one_box_draws_no_trend_conclusion():
    rep = optimise("none", boxes=(0.001,), infimum=sp.Rational(1, 8), methods=("L-BFGS-B",))
    text = " ".join(rep.conclusions)
    assert "keeps falling as B grows and sits" not in text and "not attained" not in text
    assert "undetermined" in text and "one box" in rep.trend.describe()
    assert rep.trend.falling is False
    # Two boxes with a falling best loss on the boundary do support it (positive control).
    two = optimise("none", boxes=(5, 10), infimum=sp.Rational(1, 8), methods=("L-BFGS-B",))
    assert two.trend.falling and any("keeps falling" in c for c in two.conclusions)


def test_large_box_gap_resolved_beyond_mp_dps():
    # gap ~ exp(-0.93 B) ~ 1e-81 at B = 200: far below 10^-MP_DPS, so the precision must grow with B.
    rep = optimise("none", boxes=(200,), infimum=sp.Rational(1, 8), methods=("trust-exact",))
    (run,) = rep.runs
    assert run.dps >= MP_DPS + 200 and 0 < run.gap < 1e-40
    assert not any("(gap 0" in c for c in rep.conclusions)
    # Negative control: at the old fixed precision the same point shows no gap at all.
    comp = compiled(preset("none"))
    with mpmath.workdps(MP_DPS):
        assert comp.loss_mp(np.array(run.weights), MP_DPS) - mpmath.mpf(1) / 8 == 0


def test_perturbed_optimum_fails_optimality(none_report):
    problem = preset("none")
    comp = compiled(problem)
    best = min((r for r in none_report.runs if r.box == 10.0), key=lambda r: r.loss)
    w = np.array(best.weights)
    ok = np.max(np.abs(projected_gradient(comp.gradient(w), w, 10.0)))
    assert ok <= KKT_ATOL
    moved = w + np.array([0.0, 0.5])  # off the boundary, into the box
    bad = np.max(np.abs(projected_gradient(comp.gradient(moved), moved, 10.0)))
    assert bad > KKT_ATOL


def test_wrong_gradient_caught_at_optimum(none_report):
    problem = preset("none")
    pts = np.array([r.weights for r in none_report.runs if r.box == 5.0])
    good = gradcheck(lambda w: backprop.gradient(problem, w), problem, points=pts)
    bad = gradcheck(lambda w: backprop.gradient(problem, w) * (1 + 1e-6), problem, points=pts)
    assert good.passed and not bad.passed


def test_on_boundary():
    assert on_boundary([5.0, 0.0], 5.0) and on_boundary([0.0, -5.0], 5.0)
    assert not on_boundary([4.99, 0.0], 5.0)


def test_bad_arguments():
    with pytest.raises(ValueError):
        optimise("none", boxes=(0,))
    with pytest.raises(ValueError):
        optimise("none", methods=("nope",))


def test_box_limited_is_consistent_not_a_disagreement():
    # issue 13: one box too small to reach an infimum approached at infinity is what the proof
    # predicts, not a contradiction: exit 0 ("consistent (box-limited)"), with the gap shown.
    rep = optimise("output", boxes=(20,), infimum=sp.S.Zero, methods=("L-BFGS-B",))
    assert rep.verdict == "consistent (box-limited)" and rep.agrees is True
    assert rep.gap > 1e-6 and "0 + " in repr(rep)
    assert any("CONSISTENT (box-limited)" in c for c in rep.conclusions)
    assert not any("DISAGREES" in c for c in rep.conclusions)


def test_contradictions_are_disagreements():
    # A loss below the claimed infimum (1/4 is above the true 1/8).
    below = optimise("none", boxes=(5,), infimum=sp.Rational(1, 4), methods=("L-BFGS-B",))
    assert below.verdict == "disagrees" and below.agrees is False
    # A trend that levels off above the claimed infimum (1/10 is below the true 1/8).
    flat = optimise("none", boxes=(5, 10, 20), infimum=sp.Rational(1, 10), methods=("L-BFGS-B",))
    assert flat.verdict == "disagrees" and "does not approach" in flat.conclusions[-1]
    # A minimum claimed attained, missed by an interior point meeting the first-order conditions:
    # the single neuron fitting (1/4, 3/4) attains 0 inside [-5, 5]^2; claim 0.01 attained instead.
    from analysis.network import Dataset, Layer, Network, Problem

    fit = Problem("fit", Network(1, (Layer(1, bias=True),)), Dataset(((0.0,), (1.0,)), ((0.25,), (0.75,))))
    ok = optimise(fit, boxes=(5,), infimum=sp.S.Zero, infimum_attained=True, methods=("L-BFGS-B",))
    assert ok.verdict == "agrees" and ok.interior
    wrong = optimise(
        fit, boxes=(5,), infimum=sp.Rational(-1, 100), infimum_attained=True, methods=("L-BFGS-B",)
    )
    assert wrong.verdict == "disagrees" and "attained" in wrong.conclusions[-1]


def test_any_problem_and_json_round_trip():
    from analysis.optimise import OptimiseReport
    from analysis.spec import problem_from_flags

    rep = optimise(problem_from_flags("2-1", "all", "and"), boxes=(5, 10), methods=("L-BFGS-B", "direct"))
    assert rep.arch == "and_2-1_all" and rep.param_names == ("W1[0,0]", "W1[0,1]", "b1")
    assert rep.agrees is None and rep.verdict == "no infimum given"
    j = json.loads(json.dumps(rep.to_json(), allow_nan=False))
    back = OptimiseReport.from_json(j)
    assert back == rep
    with pytest.raises(ValueError):
        optimise(42)


@pytest.mark.slow
def test_sweeps_computed_elsewhere_give_the_same_report(none_report):
    """optimise from per-box sweeps (worker tasks) is the report it computes itself; the wrong
    sweeps are refused."""
    sweeps = [sweep("none", box, k) for k, box in enumerate(BOXES)]
    again = optimise("none", boxes=BOXES, infimum=sp.Rational(1, 8), sweeps=sweeps)
    assert json.dumps(again.to_json()) == json.dumps(none_report.to_json())
    for bad in (sweeps[:2], sweeps[::-1], [sweeps[0], sweeps[1], sweeps[2][1:]]):
        with pytest.raises(InputError, match="sweeps"):
            optimise("none", boxes=BOXES, infimum=sp.Rational(1, 8), sweeps=bad)
    # Made with another seed, or for another problem: refused too.
    with pytest.raises(InputError, match="sweeps"):
        optimise("none", boxes=BOXES, seed=1, sweeps=sweeps)
    other = [sweep("hidden", box, k, methods=("BFGS",)) for k, box in enumerate(BOXES)]
    with pytest.raises(InputError, match="sweeps"):
        optimise("output", boxes=BOXES, methods=("BFGS",), sweeps=other)
    # Any iterable of sweeps, a generator included.
    again = optimise("none", boxes=BOXES, infimum=sp.Rational(1, 8), sweeps=(sw for sw in sweeps))
    assert json.dumps(again.to_json()) == json.dumps(none_report.to_json())
    # A sweep with another box index draws other starts: its points differ.
    assert sweep("none", BOXES[0], 1) != sweeps[0]
