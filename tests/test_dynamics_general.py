"""Dynamics and optimise for any problem: certified critical points, where descent goes, basin maps
over chosen parameters, and their consistency with each other; each check has a negative control."""

import json
import math

import numpy as np
import pytest

from analysis.dynamics import (
    BasinMap,
    CriticalPoint,
    Destinations,
    certify,
    critical_points,
    destinations,
    general_basin_map,
    kind_of,
    valleys,
)
from analysis.dynamics import critical as crit
from analysis.exact import compiled
from analysis.network import Dataset, Layer, Network, Problem
from analysis.optimise import optimise
from analysis.spec import problem_from_flags
from analysis.tolerances import DEST_LOSS_ATOL, INFIMUM_UNDERCUT_ATOL

XOR = problem_from_flags("2-2-1", "all", "xor")
AND = problem_from_flags("2-1", "all", "and")
CHAIN3 = problem_from_flags("1-1-1-1", "none", "identity")
# A single neuron with bias whose targets lie inside (0, 1): an isolated minimum at finite weights,
# w = 2 ln 3, b = -ln 3 (sigma(b) = 1/4, sigma(w + b) = 3/4).
FIT = Problem("fit", Network(1, (Layer(1, bias=True),)), Dataset(((0.0,), (1.0,)), ((0.25,), (0.75,))))
FIT_MIN = np.array([2 * math.log(3), -math.log(3)])
OPT = {"boxes": (5, 10), "methods": ("L-BFGS-B", "trust-exact")}


def test_certified_minimum_holds_the_true_minimiser():
    (c,) = critical_points(FIT)
    assert c.certified and c.method == "krawczyk" and c.kind == "minimum"
    assert np.max(np.abs(np.array(c.weights) - FIT_MIN)) <= c.radius
    # The eigenvalue enclosures hold the float eigenvalues and exclude 0.
    eig = np.linalg.eigvalsh(compiled(FIT).hessian(FIT_MIN))
    assert all(lo <= e <= hi and lo > 0 for e, (lo, hi) in zip(eig, c.eigenvalue_bounds))
    # The true minimum value, 0, lies in the box, so the rigorous loss enclosure must contain it.
    assert c.loss_bounds[0] <= 0.0 <= c.loss_bounds[1]


def test_perturbed_critical_point_fails_certification():
    good = certify(FIT, FIT_MIN)
    assert good.certified and good.reason is None
    for delta in ([1e-3, 0.0], [0.0, -1e-2], [0.3, 0.3]):
        bad = certify(FIT, FIT_MIN + np.array(delta))
        assert not bad.certified and bad.reason and bad.eigenvalue_bounds is None


def test_wrong_hessian_sign_is_caught(monkeypatch):
    # A Hessian of the wrong sign cannot pass the Krawczyk test (its Newton map does not contract).
    true = crit.ball_model(FIT)
    flipped = crit.BallModel(true.n, true.loss, true.gradient, lambda xs: [-h for h in true.hessian(xs)])
    monkeypatch.setattr(crit, "ball_model", lambda problem: flipped)
    assert not certify(FIT, FIT_MIN).certified
    monkeypatch.undo()
    # And a kind read from enclosures of the wrong sign is not the true kind.
    (c,) = critical_points(FIT)
    assert kind_of([(-hi, -lo) for lo, hi in c.eigenvalue_bounds]) == "maximum" != c.kind
    assert kind_of([(-1.0, 1e-30), (1.0, 2.0)]) == "degenerate"
    assert kind_of([(-2.0, -1.0), (1.0, 2.0)]) == "saddle"


def test_chain3_origin_is_exact_and_degenerate():
    cps = critical_points(CHAIN3)
    origin = next(c for c in cps if c.exact == ("0", "0", "0"))
    # L is constant along W1 when W2 = W3 = 0: a line of critical points, so not isolated.
    assert origin.kind == "degenerate" and origin.method == "exact" and origin.certified
    assert sum(lo <= 0 <= hi for lo, hi in origin.eigenvalue_bounds) >= 1
    for c in cps:
        assert c.certified or c.reason, "an uncertified point must say why"


@pytest.mark.slow
def test_xor_critical_points_nine_parameters():
    cps = critical_points(XOR)
    assert XOR.n_params == 9 and cps
    g = compiled(XOR).gradient(np.array([c.weights for c in cps]))
    assert np.max(np.abs(g)) < 1e-9
    for c in cps:
        assert c.kind in crit.KINDS
        if not c.certified:
            assert c.reason and c.eigenvalue_bounds is None and c.method == "none"
    assert cps[0].exact == ("0",) * 9 and cps[0].kind == "degenerate"


def _consistent(problem, dest: Destinations, opt):
    best_opt = opt.best().loss_hp
    low = dest.best().loss
    # Descent gets at least as low as the optimisers on these boxes, up to the grouping tolerance,
    assert low <= best_opt + DEST_LOSS_ATOL
    # and no destination is below what an optimiser can approach (L >= 0 always).
    assert all(d.loss >= -INFIMUM_UNDERCUT_ATOL for d in dest.destinations)
    assert abs(sum(d.share for d in dest.destinations) - 1.0) < 1e-12
    for d in dest.destinations:
        assert d.low <= d.share <= d.high
        assert (d.kind == "critical") == (d.point is not None)
        assert (d.kind == "infinity") == bool(d.saturated)


def test_fit_optimisers_end_at_the_certified_minimum():
    (c,) = critical_points(FIT)
    opt = optimise(FIT, **OPT)
    best = opt.best()
    assert np.max(np.abs(np.array(best.weights) - np.array(c.weights))) < 1e-5
    assert opt.agrees is None and opt.verdict == "no infimum given"
    dest = destinations(FIT, n_samples=60)
    (only,) = dest.destinations
    assert only.kind == "critical" and only.point == c and only.count == 60
    _consistent(FIT, dest, opt)


def test_and_neuron_escapes_to_zero_loss():
    opt = optimise(AND, **OPT)
    dest = destinations(AND, n_samples=60)
    _consistent(AND, dest, opt)
    best = dest.best()
    assert best.kind == "infinity" and best.loss < 1e-9
    # The output saturates on every point, to the side of its target.
    sides = {s.input: s.side for s in best.saturated if s.layer == 1}
    assert sides == {(0.0, 0.0): -1, (0.0, 1.0): -1, (1.0, 0.0): -1, (1.0, 1.0): 1}
    assert critical_points(AND) == ()


def test_chain3_destinations_and_optimise_agree():
    opt = optimise(CHAIN3, **OPT)
    dest = destinations(CHAIN3, n_samples=80)
    _consistent(CHAIN3, dest, opt)
    # Its lowest valley is the seed's 1/8 (the last two neurons act like the seed's chain).
    assert abs(dest.best().loss - 0.125) < 1e-6


@pytest.mark.slow
def test_xor_destinations_and_optimise_agree():
    opt = optimise(XOR, **OPT)
    dest = destinations(XOR, n_samples=60)
    _consistent(XOR, dest, opt)
    assert dest.best().loss < 1e-9 and dest.best().kind == "infinity"


def test_seed_destinations_are_its_exact_valleys():
    dest = destinations("none", n_samples=60)
    vals = {v.limit: v for v in valleys("none")}
    by_side = {}
    for d in dest.destinations:
        assert d.kind == "infinity"
        (hidden,) = [s for s in d.saturated if s.layer == 1]
        assert hidden.input == (1.0,)
        by_side[hidden.side] = d
    assert abs(by_side[-1].loss - vals["W1->-inf"].loss) < 1e-9
    assert abs(by_side[1].loss - vals["W1->+inf"].loss) < 1e-6
    # Negative control: the two valleys are told apart (their limits differ by far more than that).
    assert abs(by_side[-1].loss - by_side[1].loss) > 0.1


def test_general_basin_map_over_chosen_parameters():
    bm = general_basin_map(CHAIN3, params=(1, 2), fixed=(1.0, 0.0, 0.0), n=6, extent=(-3, 3, -3, 3))
    assert bm.axis_names == ("W2", "W3") and bm.fixed == (1.0, 0.0, 0.0)
    assert not np.any(np.isclose(bm.xs, 0.0)) and not np.any(np.isclose(bm.ys, 0.0))
    assert bm.labels.shape == (6, 6) and bm.labels.max() < len(bm.destinations)
    assert all(not name.startswith("W") for name in bm.destinations)  # destinations, not weight signs
    assert set(bm.destination_kinds) <= {"critical", "infinity", "unsettled"}
    assert len(bm.destination_kinds) == len(bm.destinations) == len(bm.destination_losses)
    again = general_basin_map(CHAIN3, params=(1, 2), fixed=(1.0, 0.0, 0.0), n=6, extent=(-3, 3, -3, 3))
    assert np.array_equal(bm.labels, again.labels) and bm.destinations == again.destinations
    with pytest.raises(ValueError, match="params"):
        general_basin_map(CHAIN3, params=(1, 1))
    with pytest.raises(ValueError, match="fixed"):
        general_basin_map(CHAIN3, fixed=(0.0,))


def test_basin_map_start_on_a_critical_point_is_labelled_with_it():
    x, y = FIT_MIN
    bm = general_basin_map(FIT, n=2, extent=(x - 0.5, x + 1.5, y - 0.5, y + 1.5))
    assert abs(bm.xs[0] - x) < 1e-12 and abs(bm.ys[0] - y) < 1e-12
    (c,) = critical_points(FIT)
    assert bm.destinations[bm.labels[0, 0]].startswith("minimum")
    assert bm.destination_losses[bm.labels[0, 0]] == c.loss


def test_results_round_trip_through_json():
    dest = destinations(FIT, n_samples=10)
    text = json.dumps(dest.to_json(), allow_nan=False)
    assert Destinations.from_json(json.loads(text)) == dest
    (c,) = critical_points(FIT)
    assert CriticalPoint.from_json(json.loads(json.dumps(c.to_json()))) == c
    bm = general_basin_map(FIT, n=2)
    back = BasinMap.from_json(json.loads(json.dumps(bm.to_json(), allow_nan=False)))
    assert np.array_equal(back.labels, bm.labels) and np.array_equal(back.xs, bm.xs)
    # Strings that look like non-finite numbers stay strings where the hint allows a string.
    from analysis.dynamics import Valley

    for v in valleys("none"):
        assert Valley.from_json(json.loads(json.dumps(v.to_json(), allow_nan=False))) == v
    # Negative control: a tampered field type is refused, not coerced.
    bad = c.to_json() | {"certified": "yes"}
    with pytest.raises(ValueError, match="certified"):
        CriticalPoint.from_json(bad)


def test_ball_hessian_encloses_the_exact_one_on_balls_holding_zero():
    # arb's own power of a ball holding 0 is nan: powers are products, so the enclosure is finite.
    import flint

    from analysis.network import preset

    bm = crit.ball_model(preset("none"))
    with crit._prec():
        H = bm.hessian([flint.arb(0, 1e-10), flint.arb(0, 1e-10)])
        exact = (0.0, -1 / 32, -1 / 32, 1 / 32)
        assert all(h.is_finite() and h.contains(flint.arb(e)) for h, e in zip(H, exact))
        # Negative control: a wrong value is not contained.
        assert not H[3].contains(flint.arb(1 / 16))
    (c,) = critical_points("none")
    assert c.method == "krawczyk" and c.radius > 0


@pytest.mark.slow
def test_no_destination_below_the_proved_infimum():
    from analysis.proofs import prove

    inf = float(prove("none").infimum_value)
    dest = destinations("none", n_samples=60)
    assert all(d.loss >= inf - INFIMUM_UNDERCUT_ATOL for d in dest.destinations)
    # Negative control: a false, larger lower bound is caught by the lowest destination.
    assert dest.best().loss < inf + 1e-3


def test_valley_values_are_never_rounded_to_a_nearby_rational():
    """Negative control: 1/8 + sigma(-20)/2 is within 1e-9 of 1/8, but it is not 1/8."""
    import sympy as sp

    from analysis.dynamics.valley import _exact_value, _infimum
    from analysis.exact import sigma

    x = sp.Symbol("x", real=True)
    near = sp.Rational(1, 8) + sigma(-20) / 2
    assert _infimum(near, (), 0).exact != "1/8"
    assert _exact_value((x - 1) ** 2 / 2 + near, (x,), (1.0,)) is None
    assert _exact_value((x - 1) ** 2 / 2 + sp.Rational(1, 8), (x,), (1.0,)) == "1/8"
