"""Reliability under abuse: finite, warning-free numbers at huge weights, and a CLI that never
shows a traceback for bad input or a failing stdout."""

import subprocess
import sys
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import backprop, compiled, exact, preset
from analysis.network import PRESET_NAMES

CLI = [sys.executable, "-m", "analysis"]


def magnitudes(n: int):
    """Points of n weights, each 0 or +-10^e with e in [-300, 300] (log-uniform up to 1e300)."""
    one = st.one_of(
        st.just(0.0),
        st.builds(
            lambda s, e: s * 10.0**e, st.sampled_from([-1.0, 1.0]), st.floats(-300, 300, allow_nan=False)
        ),
    )
    return st.lists(one, min_size=n, max_size=n)


def _quietly(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):  # numpy floating-point errors raise here, not just warn
            return f(*args)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_loss_gradient_hessian_finite_and_warning_free(name):
    p = preset(name)
    c = compiled(p)

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(magnitudes(p.n_params))
    def check(w):
        w = np.array(w)
        for f in (
            c.loss,
            c.gradient,
            c.hessian,
            lambda v: backprop.loss(p, v),
            lambda v: backprop.gradient(p, v),
        ):
            assert np.all(np.isfinite(_quietly(f, w))), (name, w)

    check()


def test_issue_point_hessian_is_finite_and_exact():
    """compiled(preset('none')).hessian([1.0, 1.4e154]) was NaN (overflow in a scalar power)."""
    c = compiled(preset("none"))
    w = [1.0, 1.4e154]
    h = _quietly(c.hessian, w)
    with mpmath.workdps(1000):
        ref = np.array([float(v) for v in c._hess_mp(mpmath.mpf(1.0), mpmath.mpf(1.4e154))]).reshape(2, 2)
    assert np.all(np.isfinite(h)) and np.array_equal(h, ref)
    # Vectorised calls repair only the points that need it; the others keep their float values.
    batch = _quietly(c.hessian, np.array([w, [0.0, 0.0], [0.3, -2.0]]))
    assert np.array_equal(batch[0], ref) and np.array_equal(
        batch[1:], c.hessian(np.array([[0.0, 0.0], [0.3, -2.0]]))
    )


def test_overflow_repair_gives_the_true_value_not_a_placeholder():
    """Negative control: at W2 = -2 b2 = 2e154 the float Hessian is NaN, the true one is ~1.6e306."""
    c = compiled(preset("both"))
    w = (0.0, 2e154, 0.0, -1e154)
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(np.array(c._hess_f(*np.array(w)), dtype=float)))
    h = _quietly(c.hessian, w)
    with mpmath.workdps(1000):
        ref = np.array([float(v) for v in c._hess_mp(*[mpmath.mpf(v) for v in w])]).reshape(4, 4)
    assert np.array_equal(h, ref) and 1e306 < h[0, 0] < 2e306


def test_one_point_falls_back_to_numpy_where_python_floats_raise(monkeypatch):
    """One point computes in Python floats, whose ** raises OverflowError (and x/0
    ZeroDivisionError) where NumPy gives inf: such a point takes NumPy's scalars and the exact
    redo instead, and every way of asking gives the batch's values."""
    x = sp.Symbol("x", real=True)
    f = exact._on_floats(exact._lambdify((x,), [x**3, 1 / x], "float"), [x**3, 1 / x])
    with pytest.raises(OverflowError):
        f(1e200)
    with pytest.raises(ZeroDivisionError):
        f(0.0)
    c = compiled(preset("both"))
    w = np.array([0.3, 1.4e154, 0.5, -1.2])  # W2 * W2 overflows: redone exactly either way
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(np.array(c._hess_f(*w), dtype=float)))  # the redo is needed
    batch = {k: _quietly(getattr(c, k), w[None, :])[0] for k in ("loss", "gradient", "hessian")}
    raised = []

    def overflow(*args):
        raised.append(args)
        raise OverflowError("(34, 'Numerical result out of range')")

    for name in ("_loss_p", "_grad_p", "_hess_p"):
        monkeypatch.setitem(c.__dict__, name, overflow)
    for k, v in batch.items():
        assert _quietly(getattr(c, k), w).tobytes() == v.tobytes(), k
    assert _quietly(c.point_loss, w) == batch["loss"]
    assert _quietly(c.point_gradient, w).tobytes() == batch["gradient"].tobytes()
    assert len(raised) >= 5  # each of the five calls tried Python floats first


def test_hessian_beyond_the_float_range_is_inf_not_nan():
    h = _quietly(compiled(preset("both")).hessian, (0.0, 1e200, 0.0, -0.5e200))
    assert not np.any(np.isnan(h)) and h[0, 0] == np.inf and np.isfinite(h[1, 1])


def test_log_uniform_batch_hessian_is_finite():
    """The issue's experiment, scaled down: log-uniform weights up to 1e300, no NaN."""
    rng = np.random.default_rng(13)
    w = rng.choice([-1.0, 1.0], (40, 2)) * 10.0 ** rng.uniform(-300, 300, (40, 2))
    h = _quietly(compiled(preset("none")).hessian, w)
    assert h.shape == (40, 2, 2) and np.all(np.isfinite(h))


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_backprop_finite_at_the_float_limit(name):
    p = preset(name)
    rng = np.random.default_rng(0)
    w = rng.choice([-1.0, 1.0], (64, p.n_params)) * rng.choice(
        [0.0, 1.0, 1e154, 1e308, 1.7976931348623157e308], (64, p.n_params)
    )
    assert np.all(np.isfinite(_quietly(backprop.loss, p, w)))
    assert np.all(np.isfinite(_quietly(backprop.gradient, p, w)))


def _shell(cmd: str):
    return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)


def _cli(*args: str) -> str:
    return " ".join([sys.executable, "-W", "error", "-m", "analysis", *args])


def test_closed_pipe_is_quiet():
    with subprocess.Popen(
        [*CLI, "train", "--iterations", "3", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        proc.stdout.close()  # the reader is gone before anything is written
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert code == 141 and err == ""


def test_closed_stdout_is_one_line():
    r = _shell(_cli("train", "--iterations", "3") + " >&-")
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("canlearn: error: cannot write the output") and "Traceback" not in r.stderr


def test_full_disk_is_one_line():
    r = _shell(_cli("train", "--iterations", "3", "--json") + " > /dev/full")
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "No space left" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args, named",
    [
        (["train", "--init", "-inf,1"], "--init"),
        (["train", "--init", "-nan,1"], "--init"),
        (["train", "--rate", "-inf"], "--rate"),
        (["train", "--rate", "-nan"], "--rate"),
        (["train", "--rate", "-Infinity"], "--rate"),
        (["optimise", "--boxes", ",".join(["5"] * 5000)], "--boxes"),
    ],
)
def test_negative_and_huge_values_parse_then_are_refused(args, named):
    r = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    assert named in r.stderr and "expected one argument" not in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow  # ~10 s: a fresh interpreter, and the Hessian at 1e308 in mpmath
def test_extreme_train_has_no_runtime_warning():
    r = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "analysis",
            "train",
            "--arch",
            "both",
            "--init",
            "1e308,-1e308,1e308,-1e308",
            "--rate",
            "1e6",
            "--iterations",
            "50",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and r.stderr == "" and "stopped='stalled'" in r.stdout


def test_python_float_code_only_for_arithmetic_and_sigma(monkeypatch):
    """Code calling any NumPy function would bring NumPy scalars (and their warnings) back: such
    code has no Python-float twin, and one point takes NumPy's path, with the same values."""
    x = sp.Symbol("x", real=True)
    for exprs, twin in (
        ([x**3 * exact.sigma(x)], True),
        ([sp.exp(x) + 1], False),  # a NumPy function
        ([x ** sp.Rational(3, 2)], False),  # Python: (-4.0)**1.5 is complex; NumPy: nan
    ):
        assert (exact._on_floats(exact._lambdify((x,), exprs, "float"), exprs) is not None) is twin, exprs
    c = compiled(preset("hidden"))
    w = np.array([0.7, -2.5, 0.25])
    batch = {k: getattr(c, k)(w[None, :])[0] for k in ("loss", "gradient", "hessian")}
    for name in ("_loss_p", "_grad_p", "_hess_p"):
        monkeypatch.setitem(c.__dict__, name, None)
    for k, v in batch.items():
        assert _quietly(getattr(c, k), w).tobytes() == v.tobytes(), k
    assert c.point_loss(w) == batch["loss"] and c.point_gradient(w).tobytes() == batch["gradient"].tobytes()
