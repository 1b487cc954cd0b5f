"""The seed's case study (critical point, valleys, its run, separatrix, basins) through the general
dynamics API; each check has a negative control."""

import json

import mpmath
import numpy as np
import pytest
import sympy as sp

from analysis import dynamics as dyn
from analysis import seedcase
from analysis.exact import compiled, mp_sigma, sigma, symbolic
from analysis.network import preset
from analysis.seed import seed_loop
from analysis.tolerances import VALLEY_DIGITS

SMALL = {"n_samples": 300, "map_n": 48, "checkpoints": (800, 3000), "destination_samples": 40}


@pytest.fixture(scope="module")
def none_report():
    return dyn.dynamics("none", **SMALL)


def test_only_critical_point_of_none_is_exact_saddle():
    (c,) = dyn.critical_points("none")
    assert c.exact == ("0", "0") and c.kind == "saddle" and c.loss == 0.25
    assert c.certified and c.method in ("krawczyk", "exact")
    assert c.eigenvalues[0] < 0 < c.eigenvalues[1]
    # The enclosures hold the exact eigenvalues (1 -+ sqrt 5) / 64.
    (lo0, hi0), (lo1, hi1) = c.eigenvalue_bounds
    assert lo0 <= (1 - 5**0.5) / 64 <= hi0 < 0 < lo1 <= (1 + 5**0.5) / 64 <= hi1
    assert c.loss_bounds[0] <= 0.25 <= c.loss_bounds[1]


def test_separatrix_is_stable_eigenvector():
    v, saddle, _ = seedcase.separatrix_direction("none")
    H = compiled(preset("none")).hessian(np.zeros(2))
    v = np.array(v)
    lam = v @ H @ v
    assert abs(np.linalg.norm(v) - 1) < 1e-12 and lam > 0
    assert np.allclose(H @ v, lam * v, atol=1e-15)
    # Negative control: the unstable eigenvector is not stable.
    u = np.array([-v[1], v[0]])
    assert u @ H @ u < 0


def test_basin_boundary_meets_saddle_along_separatrix():
    bm = seedcase.seed_basin_map("none", n=80, method="gd")
    v = np.array(seedcase.separatrix_direction("none")[0])
    assert seedcase.map_angle(bm, (0.0, 0.0), v) < 5.0
    assert seedcase.map_angle(bm, (0.0, 0.0), np.array([-v[1], v[0]])) > 60.0  # wrong direction fails
    assert bm.undecided == 0 and bm.nonmonotone == 0


@pytest.mark.parametrize("n", [21, 20])
def test_basin_grid_never_starts_on_the_saddle(n):
    bm = seedcase.seed_basin_map("none", n=n, method="gd")
    assert not np.any(np.isclose(bm.xs, 0.0)) and not np.any(np.isclose(bm.ys, 0.0))
    assert bm.undecided == 0 and bm.max_iterations > 0
    # Negative control: the old grid (linspace with an odd n) had a start exactly on the saddle.
    assert np.any(np.linspace(-4, 4, 21) == 0.0)


def test_basin_map_labels_and_determinism():
    a = seedcase.seed_basin_map("none", n=40, method="flow")
    b = seedcase.seed_basin_map("none", n=40, method="flow")
    assert np.array_equal(a.labels, b.labels)
    g = seedcase.seed_basin_map("none", n=40, method="gd")
    assert np.mean(a.labels == g.labels) > 0.98
    # Straddle the separatrix W2 = -phi W1: below it the better valley (label 0), above it the other.
    i, j = np.searchsorted(a.ys, -2.0), np.searchsorted(a.xs, -1.0)
    assert a.labels[i, j] == 0 and a.valley_names[0] == "W1->-inf"
    i, j = np.searchsorted(a.ys, 1.0), np.searchsorted(a.xs, 1.0)
    assert a.labels[i, j] == 1
    with pytest.raises(ValueError):
        seedcase.seed_basin_map("hidden", n=10)  # no exact nondegenerate saddle: no plane rule


@pytest.mark.slow
def test_coordinate_limits_match_sympy_limit():
    assert dyn.check_limit_with_sympy("none", 0, 1)
    assert dyn.check_limit_with_sympy("none", 0, -1)
    m = symbolic(preset("none"))
    W1, _ = m.params
    assert dyn.coordinate_limit(m.loss, W1, 1) != dyn.coordinate_limit(m.loss, W1, -1)
    with pytest.raises(ValueError):
        dyn.coordinate_limit(sigma(W1**2), W1, 1)  # not affine: refused, not guessed


def test_seed_valley_minimiser_to_12_digits():
    vals = {v.limit: v for v in dyn.valleys("none")}
    v = vals["W1->+inf"]
    assert v.attained and v.exact is None
    ((name, w2),) = v.weights
    assert name == "W2"
    with mpmath.workdps(40):
        E = lambda t: mp_sigma(t / 2) ** 2 / 2 + (1 - mp_sigma(t)) ** 2 / 2  # noqa: E731
        star = mpmath.findroot(lambda t: mpmath.diff(E, t), mpmath.mpf(0.7))
        assert mpmath.nstr(star, VALLEY_DIGITS) == w2
        assert mpmath.nstr(E(star), VALLEY_DIGITS) == v.loss_digits
        # Negative control: a minimiser off in the 12th digit has a nonzero derivative.
        assert abs(mpmath.diff(E, mpmath.mpf(w2) + mpmath.mpf("1e-10"))) > 1e-13
    low = vals["W1->-inf"]
    assert low.exact == "1/8" and not low.attained and dict(low.weights) == {"W2": "-inf"}
    assert vals["W2->+inf"].exact == "1/2"


def test_seed_trajectory_is_the_seed_loop():
    # The run behind the report is seed_loop's own trajectory; seed_trajectory recomputes it from
    # the seed's gradient formulas, bit for bit (this equality is a test, not a run-time cost).
    run = seed_loop(0, iterations=800)
    assert np.array_equal(seedcase.seed_trajectory(0, 800), run.trajectory)
    other = seed_loop(3, iterations=50, init=(-1, 2))
    assert np.array_equal(seedcase.seed_trajectory(3, 50, init=(-1.0, 2.0)), other.trajectory)
    # Negative control: a different seed gives a different trajectory.
    assert not np.array_equal(seedcase.seed_trajectory(1, 800), run.trajectory)


def test_seed_run_slides_down_its_valley(none_report):
    s = none_report.seed_run
    assert s.valley == "W1->+inf"
    gaps = [c.valley_gap for c in s.checkpoints]
    w1 = [c.weights[0] for c in s.checkpoints]
    assert all(g > 0 for g in gaps) and gaps == sorted(gaps, reverse=True)
    assert w1 == sorted(w1)
    assert all(abs(c.printed_error + c.loss) < 1e-3 for c in s.checkpoints)
    assert 0.8 < s.w1_log_slope < 1.2  # W1 ~ log t: dW1/dt decays like exp(-W1)
    b = none_report.better_run
    b_gaps = [c.valley_gap for c in b.checkpoints]
    assert b.valley == "W1->-inf" and b_gaps == sorted(b_gaps, reverse=True)
    assert b.checkpoints[-1].loss < b.valley_loss + 1e-3 < s.valley_loss


def test_basin_fractions(none_report):
    f = {x.scheme: x for x in none_report.basins}
    seed_init = f["uniform[0,1)"]
    assert seed_init.hits == 0 and seed_init.low == 0.0 and 0 < seed_init.high < 0.02
    wide = f["uniform[-3,3]"]
    assert wide.low < wide.fraction < wide.high and 0.3 < wide.fraction < 0.7
    for g, fl in zip(none_report.basins, none_report.basins_flow):
        assert g.undecided == 0 and fl.undecided == 0
        assert fl.low <= g.fraction + 0.1 and g.fraction - 0.1 <= fl.high


def test_wilson_interval():
    lo, hi = dyn.wilson(0, 100)
    assert lo == 0.0 and 0.03 < hi < 0.04
    lo, hi = dyn.wilson(50, 100)
    assert lo < 0.5 < hi and abs((lo + hi) / 2 - 0.5) < 1e-12


def test_separating_plane_is_proved():
    plane, excess = seedcase.separating_plane("none")
    assert plane == "W1"
    a = sp.Symbol("a", real=True)
    assert excess.xreplace({next(iter(excess.atoms(sigma))): a}).is_nonnegative


@pytest.mark.slow
def test_report_json_keys_and_determinism(none_report):
    j = none_report.to_json()
    # One JSON path: the report reads back from its own JSON and writes the same JSON again.
    back = dyn.DynamicsReport.from_json(json.loads(json.dumps(j)))
    assert json.dumps(back.to_json(), sort_keys=True) == json.dumps(j, sort_keys=True)
    keys = {"arch", "critical_points", "valleys", "seed_run", "basins", "separatrix_direction"}
    assert keys <= set(j)
    assert {"weights", "loss", "eigenvalues", "kind"} <= set(j["critical_points"][0])
    assert all({"limit", "weights", "loss"} <= set(v) for v in j["valleys"])
    again = dyn.dynamics("none", **SMALL).to_json()
    assert json.dumps(j, sort_keys=True, allow_nan=False) == json.dumps(again, sort_keys=True)
    assert "separatrix" in none_report.summary()


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["hidden", "both"])
def test_bias_presets(arch):
    rep = dyn.dynamics(arch, n_samples=120, destination_samples=60)
    j = rep.to_json()
    json.dumps(j, allow_nan=False)
    assert rep.separatrix_direction is None and rep.threshold == 0.25
    # The origin: exact zero of the gradient on a line of critical points, so an eigenvalue
    # enclosure contains 0 and the kind is degenerate (never guessed as a saddle).
    (c,) = rep.critical_points
    assert c.exact is not None and c.kind == "degenerate" and c.method == "exact"
    assert any(lo <= 0 <= hi for lo, hi in c.eigenvalue_bounds)
    assert all(0.9 < f.fraction <= 1.0 for f in rep.basins)
    assert "W1->-inf" in rep.lowest_valley


@pytest.mark.slow
def test_diagonal_valley_gets_exact_limit_along_its_ray():
    vals = {v.limit: v for v in dyn.valleys("output")}
    v = vals["W1->+inf"]
    assert v.exact == "0" and v.loss == 0.0 and not v.attained and not v.estimate
    assert v.direction.startswith("(W2, b2) = t*(1, -3/4)")
    # Independent check with sympy.limit on the exp-rewritten limit expression along that ray.
    m = symbolic(preset("output"))
    W1, W2, b2 = m.params
    expr = dyn.coordinate_limit(m.loss, W1, 1)
    t = sp.Symbol("t", positive=True)
    along = expr.rewrite(sp.exp).subs({W2: t, b2: -sp.Rational(3, 4) * t})
    assert sp.limit(along, t, sp.oo) == 0
    assert "inf = 0" in v.describe() and "<=" not in v.describe()
    # Negative control: along a single coordinate the same valley only reaches 1/2.
    assert dyn.coordinate_limit(expr, W2, 1) == sp.Rational(1, 2)


def test_valley_exact_is_consistent():
    for arch in ("none", "hidden", "output", "both"):
        for v in dyn.valleys(arch):
            if v.exact is not None:
                assert float(sp.Rational(v.exact)) == v.loss
            # A value approached at infinity is exact here (a limit), or flagged as an estimate.
            assert v.attained or v.estimate or v.exact is not None, (arch, v.limit)
    hidden = {v.limit: v for v in dyn.valleys("hidden")}
    assert hidden["W1->-inf"].exact == hidden["W1->+inf"].exact == "1/8"
    j = hidden["W1->-inf"].to_json()
    assert {"exact", "direction", "estimate", "description"} <= set(j)


def test_numeric_valley_is_reported_as_upper_estimate(monkeypatch):
    # Without the ray limit the diagonal valley only has a numeric value at finite weights:
    # it must say so (an upper estimate, not exact), not pass it off as the infimum.
    def refuse(*args, **kwargs):
        raise ValueError("no ray limit")

    from analysis.dynamics import valley as vmod

    monkeypatch.setattr(vmod, "ray_limit", refuse)
    m = symbolic(preset("output"))
    W1, W2, b2 = m.params
    inf = vmod._infimum(dyn.coordinate_limit(m.loss, W1, 1), (W2, b2), 0)
    assert inf.estimate and inf.exact is None and 0 < float(inf.value) < 1e-6
    v = dyn.Valley("W1->+inf", "", inf.weights, float(inf.value), "x", None, False, inf.direction, True)
    text = v.describe()
    assert text.startswith("inf <= ") and "not exact" in text and "(W2, b2) ~ (" in text


@pytest.mark.parametrize("method", ["gd", "flow"])
def test_a_lone_start_descends_exactly_as_in_a_batch(method, monkeypatch):
    """One start left takes the one-point gradient (faster): the same path, bit for bit, as the
    batch gradient of a batch of one gives."""
    from analysis.dynamics.descent import descend
    from analysis.exact import Compiled

    p = preset("both")
    start = np.array([[0.7, -1.3, 0.4, 0.2]])
    never = lambda x, L: np.full(len(x), -1, dtype=np.int8)  # noqa: E731
    fast = descend(p, start, never, method, max_iter=200)
    monkeypatch.setattr(Compiled, "point_gradient", lambda self, w: self.gradient(w[None, :])[0])
    batch = descend(p, start, never, method, max_iter=200)
    assert fast.final.tobytes() == batch.final.tobytes()
    assert fast.halfway.tobytes() == batch.halfway.tobytes()
    if method == "gd":  # and a start in a larger batch follows the same path too
        pair = descend(p, np.vstack([start, start + 1.0]), never, method, max_iter=200)
        assert pair.final[0].tobytes() == fast.final[0].tobytes()
