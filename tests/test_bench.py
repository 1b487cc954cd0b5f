"""Speed machinery: parallel tasks give serial results, the fused backend agrees with NumPy, the
one-point fast path changes no value, and the bench reports every target next to its goal."""

import contextlib
import functools
import operator
import os
import pickle
import signal
import time
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from analysis import compiled, preset
from analysis.backends import available, fused_gradient
from analysis.errors import InputError
from analysis.parallel import THREAD_ENV, TaskPool, call, default_workers, limit_blas_threads, map_tasks
from analysis.tolerances import GRAD_ATOL, GRAD_RTOL


def test_map_tasks_keeps_order_and_values_in_two_processes():
    # Builtins and the light analysis.parallel only: the workers import nothing heavy.
    items = list(range(7, -3, -1))
    assert map_tasks(operator.neg, items, workers=2) == [-x for x in items]
    # Really in other processes (negative control for a silently serial pool).
    assert os.getpid() not in map_tasks(call, [os.getpid] * 4, workers=2)
    assert map_tasks(call, [os.getpid] * 3, workers=1) == [os.getpid()] * 3


def test_parallel_analysis_is_the_serial_one():
    from analysis.seed import seed_loop

    jobs = [functools.partial(seed_loop, s, iterations=50) for s in (0, 1)]
    par = map_tasks(call, jobs, workers=2)
    assert [pickle.dumps(r) for r in par] == [pickle.dumps(j()) for j in jobs]


def test_task_pool_runs_tasks_elsewhere_and_returns_their_values():
    with TaskPool(workers=2) as pool:
        handles = [pool.submit(operator.pow, x, 2) for x in range(6)]
        pids = [pool.submit(os.getpid) for _ in range(4)]
        assert [h.get() for h in handles] == [x**2 for x in range(6)]
        assert os.getpid() not in {h.get() for h in pids}  # negative control: not silently serial
    with TaskPool(workers=1) as pool:  # one worker: each task runs at once, here
        assert pool.submit(os.getpid).get() == os.getpid()
        assert pool.submit(operator.neg, 3).get() == -3


def test_task_pool_raises_a_task_error_and_stops_its_workers():
    with pytest.raises(ZeroDivisionError), TaskPool(workers=2) as pool:
        pool.submit(time.sleep, 60)
        workers = list(pool._pool._processes.values())
        pool.submit(operator.truediv, 1, 0).get()
    assert not any(p.is_alive() for p in workers)  # stopped on the way out, not after a minute


def test_task_pool_raises_when_a_worker_dies():
    """A killed worker (out of memory, SIGKILL) raises at get(); the run never waits for ever."""
    with pytest.raises(BrokenProcessPool), TaskPool(workers=2) as pool:
        pool.submit(signal.raise_signal, signal.SIGKILL).get()
    with pytest.raises(ValueError, match="workers"):
        TaskPool(workers=0)


def test_task_pool_starts_waiting_tasks_by_priority_then_in_order():
    with TaskPool(workers=2) as pool:
        # Both workers busy; one frees first and then runs the waiting tasks one after another.
        pool.submit(time.sleep, 0.1)
        pool.submit(time.sleep, 0.6)
        first, urgent, second = pool.submit(time.time), pool.submit_at(1, time.time), pool.submit(time.time)
        assert urgent.get() < first.get() < second.get()  # negative control: equal priorities keep order


@pytest.mark.parametrize("workers", [1, 2])
def test_task_pool_task_on_tasks_values(workers):
    """A task given other tasks' handles gets their values, and starts only when they are done,
    even before more urgent tasks that wait for nothing."""
    with TaskPool(workers=workers) as pool:
        slow = pool.submit(_sleep_then, 0.4, 3)
        quick = pool.submit(operator.neg, 4)
        product = pool.submit_at(5, _product, slow, b=quick)
        stamped = pool.submit_at(5, _after, slow)
        free = pool.submit_at(1, time.time)
        assert product.get() == -12
        if workers > 1:  # negative control: the urgent task waiting for ``slow`` let ``free`` pass
            assert free.get() < stamped.get()


def test_task_pool_task_on_a_failed_task_fails_without_running(tmp_path):
    with pytest.raises(ZeroDivisionError), TaskPool(workers=2) as pool:
        bad = pool.submit(operator.truediv, 1, 0)
        dependent = pool.submit(_touch_then, tmp_path / "ran", bad)
        with pytest.raises(ZeroDivisionError):
            dependent.get()
        assert not (tmp_path / "ran").exists()
        bad.get()
    with TaskPool(workers=2) as a, TaskPool(workers=2) as b, pytest.raises(ValueError, match="same pool"):
        b.submit(operator.neg, a.submit(operator.neg, 1))


def _sleep_then(seconds, value):
    time.sleep(seconds)
    return value


def _product(a, b):
    return a * b


def _after(value):
    return time.time()


def _touch_then(path, value):
    path.touch()
    return value


def test_task_pool_waits_on_exit_for_tasks_never_asked_for(tmp_path):
    with TaskPool(workers=2) as pool:
        for k in range(4):
            pool.submit_at(-k, (tmp_path / f"f{k}").touch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0", "f1", "f2", "f3"]


def test_task_pool_tasks_waiting_when_a_worker_dies_never_hang():
    """Tasks waiting when a worker dies each return their own value or raise BrokenProcessPool at
    get(), and the death is raised on leaving the block. (Python 3.11's executor notices a death
    only at its next event, so the other worker may run some waiting tasks first.)"""
    with pytest.raises(BrokenProcessPool), TaskPool(workers=2) as pool:
        pool.submit(time.sleep, 0.5)
        killed = pool.submit(signal.raise_signal, signal.SIGKILL)
        waiting = [pool.submit(operator.neg, k) for k in range(3)]
        with pytest.raises(BrokenProcessPool):
            killed.get()
        for k, h in enumerate(waiting):
            with contextlib.suppress(BrokenProcessPool):
                assert h.get() == -k


def test_task_pool_raises_on_exit_when_a_worker_died_unasked():
    """A dead worker is never swallowed, even when nobody asked for that task's value."""
    with pytest.raises(BrokenProcessPool), TaskPool(workers=2) as pool:
        pool.submit(signal.raise_signal, signal.SIGKILL)
        time.sleep(0.5)


def test_task_pool_error_exit_stops_workers_and_waiting_tasks_raise():
    """On an error the workers stop at once; tasks that never started raise, they never hang."""
    from concurrent.futures import CancelledError

    with pytest.raises(ZeroDivisionError), TaskPool(workers=2) as pool:
        running = [pool.submit(time.sleep, 60) for _ in range(2)]
        waiting = pool.submit(operator.neg, 1)
        workers = list(pool._pool._processes.values())
        raise ZeroDivisionError("an analysis failed")
    assert not any(p.is_alive() for p in workers)
    with pytest.raises(CancelledError):
        waiting.get()
    with pytest.raises(BrokenProcessPool):  # the running ones were stopped, not finished
        running[0].get()
    with pytest.raises(RuntimeError, match="no more tasks"):
        pool.submit(operator.neg, 2)
    with pytest.raises(RuntimeError, match="no more tasks"):
        pool.start()


_FORK_SCRIPT = """
import os, signal, sys, threading, time
from analysis.parallel import TaskPool

def imported(name):
    return name in sys.modules

def stubborn():
    # Outlives an interrupt: only a SIGTERM that kills (its default action) stops it at once.
    for _ in range(3):
        try:
            time.sleep(20)
        except KeyboardInterrupt:
            pass

if sys.argv[1] == "thread":  # negative control: a running thread rules forking this process out
    threading.Thread(target=threading.Event().wait, daemon=True).start()
with TaskPool(workers=2, preload=["analysis.seed"]) as pool:
    before = "analysis.seed" in sys.modules
    pids = [pool.submit(os.getpid) for _ in range(3)]
    warm = pool.submit(imported, "analysis.seed").get() if sys.argv[1] == "main" else True
    print(pool.start_method, before, warm, os.getpid() not in {p.get() for p in pids})
if sys.argv[1] == "main":
    # Pools one after another fork each time (a joined thread lingers a moment in the system).
    methods = set()
    for _ in range(5):
        with TaskPool(workers=2) as pool:
            pool.submit(os.getpid).get()
        methods.add(pool.start_method)
    assert methods == {"fork"}, methods
    # start() imports the preload at once; the workers still fork at the first task, with it.
    import multiprocessing
    with TaskPool(workers=2, preload=["colorsys"]) as pool:
        assert "colorsys" not in sys.modules
        pool.start()
        assert "colorsys" in sys.modules and not multiprocessing.active_children()
        assert pool.submit(imported, "colorsys").get() and pool.start_method == "fork"
    # A forked worker must still stop at SIGTERM, though this process turns it into an interrupt.
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)
    t = time.monotonic()
    try:
        with TaskPool(workers=2) as pool:
            pool.submit(stubborn)
            workers = list(pool._pool._processes.values())
            time.sleep(0.5)  # stubborn has started
            pool.submit(divmod, 1, 0).get()
    except ZeroDivisionError:
        # The executor's own thread may reap a worker at the same moment: allow it that moment.
        deadline = time.monotonic() + 10
        while any(p.is_alive() for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        print(pool.start_method, not any(p.is_alive() for p in workers), time.monotonic() - t < 10)
"""


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("main", "fork False True True\nfork True True"),
        ("thread", "forkserver False True True"),
    ],
)
def test_workers_fork_from_this_process_after_its_imports(case, expected):
    """One thread: the workers fork from this process at the first task, after it has imported
    ``preload`` (so they start with it), and stop at SIGTERM whatever handler they inherited.
    With another thread running they start from a server instead, with the same values."""
    import subprocess
    import sys

    # One BLAS thread, as the CLI sets it before NumPy loads: BLAS threads rule forking out too.
    env = {**os.environ, **dict.fromkeys(THREAD_ENV, "1")}
    done = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT, case], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("CANLEARN_WORKERS", "3")
    assert default_workers() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("CANLEARN_WORKERS", bad)
        with pytest.raises(InputError, match="CANLEARN_WORKERS"):
            default_workers()
    with pytest.raises(ValueError, match="workers"):
        map_tasks(operator.neg, [1, 2], workers=0)


def test_collector_paused_restores_the_collector_as_it_was():
    import gc

    from analysis.parallel import collector_paused

    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            pass
        assert not gc.isenabled(), "the inner block leaves it paused for the outer one"
        divmod(1, 0)
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled(), "a collector the caller had off stays off"
    finally:
        gc.enable()


def test_thread_limit_is_too_late_once_numpy_is_loaded():
    env = {}
    assert limit_blas_threads(env) is False and env == {}  # NumPy is loaded in this process


@pytest.mark.xdist_group("guard")
def test_xdist_groups_take_effect(request):
    """Under ``make test`` (pytest-xdist, --dist loadgroup) a group's tests share one worker, so the
    full regeneration runs once: its tests get the group in their node id. (pytest 9.2 with
    pytest-xdist 3.8 silently dropped it, and the regeneration ran on both workers.)"""
    if not hasattr(request.config, "workerinput") or not request.config.getvalue("loadgroup"):
        pytest.skip("not under pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@guard"), request.node.nodeid


def test_thread_env_names_only_thread_counts():
    # OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be tuned on a machine: never touched here.
    assert all(name.endswith("_NUM_THREADS") for name in THREAD_ENV)


@pytest.mark.parametrize("arch", ["none", "both"])
@pytest.mark.slow
def test_one_point_fast_path_equals_the_batched_values(arch):
    # Enough points to catch a difference at 1 point in 1,500 (NumPy's scalar x**2 is pow(), its
    # array x**2 a product: the compiled code prints products, so both agree; with x**2, about 7
    # of these points differ in the last bit).
    c = compiled(preset(arch))
    pts = np.random.default_rng(3).normal(0.0, 4.0, (10_000, c.problem.n_params))
    for f in (c.loss, c.gradient, c.hessian):
        batched = f(pts)
        one = np.stack([f(w) for w in pts])
        assert one.shape == batched.shape
        assert one.tobytes() == batched.tobytes(), f.__name__
    # The unchecked inner-loop calls of the optimisers: the same values, at huge weights too.
    huge = pts * np.array([1e150, 1.0] * c.problem.n_params)[: c.problem.n_params]
    for w in [*pts, *huge]:
        assert c.point_loss(w) == c.loss(w)
        assert c.point_gradient(w).tobytes() == c.gradient(w).tobytes()
    with pytest.raises(InputError, match="finite"):  # what it does not check, loss still refuses
        c.point_loss(np.full(c.problem.n_params, np.nan))


@pytest.mark.parametrize("arch", ["none", "both"])
def test_small_batches_point_by_point_equal_the_batched_values(arch):
    from analysis.exact import POINTWISE_MAX, Compiled

    c = compiled(preset(arch))
    n = c.problem.n_params
    rng = np.random.default_rng(4)
    pts = rng.normal(0.0, 4.0, (960, n))
    pts[::7] *= np.array([1e150, 1.0] * n)[:n]  # overflowing intermediates, redone exactly
    for f in (c.loss, c.gradient, c.hessian):
        batched = f(pts)
        for k in (2, 3, POINTWISE_MAX):
            small = np.concatenate([f(pts[i : i + k]) for i in range(0, len(pts), k)])
            assert small.tobytes() == batched.tobytes(), (f.__name__, k)
        # Any leading shape, and no point at all.
        grid = batched[:6].reshape((2, 3) + batched.shape[1:])
        assert f(pts[:6].reshape(2, 3, n)).tobytes() == grid.tobytes()
        assert f(pts[:0]).shape == batched[:0].shape
    # The route is taken (a count of the one-point calls): up to POINTWISE_MAX points, not above.
    fresh = Compiled(c.problem, c.model)
    calls = []
    one = fresh._loss_p
    fresh.__dict__["_loss_p"] = lambda *w: calls.append(1) or one(*w)
    fresh.loss(pts[:POINTWISE_MAX])
    assert len(calls) == POINTWISE_MAX
    fresh.loss(pts[: POINTWISE_MAX + 1])
    assert len(calls) == POINTWISE_MAX, "a larger batch runs as one array"


def test_numpy_backend_is_the_compiled_gradient():
    p = preset("none")
    assert fused_gradient(p, "numpy") == compiled(p).gradient
    assert available("numpy")
    with pytest.raises(ValueError, match="backend"):
        available("cuda")


@pytest.mark.skipif(not available("jax"), reason="the [fast] extra (jax) is not installed")
@pytest.mark.parametrize("arch", ["none", "hidden", "output", "both"])
def test_jax_backend_agrees_with_numpy(arch):
    p = preset(arch)
    g = fused_gradient(p, "jax")
    w = np.random.default_rng(0).normal(0.0, 3.0, (3000, p.n_params))
    w[0] = 1e300  # overflowing intermediates: redone by the NumPy/mpmath path, never NaN
    got, ref = g(w), compiled(p).gradient(w)
    assert got.shape == ref.shape and np.isfinite(got).all()
    assert np.all(np.abs(got - ref) <= GRAD_ATOL + GRAD_RTOL * np.abs(ref))
    assert g(w[:5]).shape == (5, p.n_params)  # small batches go the NumPy way
    # Negative control: a gradient with one factor wrong is caught by the same comparison.
    bad = got * np.r_[1.0 + 1e-6, np.ones(p.n_params - 1)]
    assert not np.all(np.abs(bad - ref) <= GRAD_ATOL + GRAD_RTOL * np.abs(ref))


def test_bench_reports_each_ratio_next_to_its_goal():
    from analysis.bench import RATIO_GOAL, run_bench

    rep = run_bench("none", n_points=3000, repeats=1)
    (row,) = rep.rows
    assert row.points == 3000 and row.symbolic_s > 0 and row.backprop_s > 0
    assert row.ratio == pytest.approx(row.symbolic_s / row.backprop_s)
    verdict = "met" if row.ratio <= RATIO_GOAL else "MISSED"
    assert f"ratio {row.ratio:.2f} (goal <= {RATIO_GOAL:g}: {verdict})" in rep.summary()
    assert (row.fused_s is not None) == available("jax")


def test_pipeline_summary_marks_a_missed_goal():
    from analysis.bench import PipelineRow, pipeline_summary

    text = pipeline_summary(
        [PipelineRow("fast", 1.0, 2.0), PipelineRow("slow", 3.0, 2.0), PipelineRow("x", 1.0, None)]
    )
    fast, slow, untimed = text.splitlines()[1:]
    assert fast.endswith("met)") and slow.endswith("MISSED)") and "goal" not in untimed
    # Every run is shown beside the best, which alone decides the verdict.
    (row,) = pipeline_summary([PipelineRow("all", 19.5, 20.0, (23.0, 19.5, 21.25))]).splitlines()[1:]
    assert "19.50 s  (goal < 20 s: met)  [runs: 23.00, 19.50, 21.25 s]" in row


def test_the_suite_itself_runs_with_limited_blas_threads():
    # conftest.py asked before NumPy loaded; a count the user set is kept.
    assert all(os.environ.get(name) for name in THREAD_ENV)


@pytest.mark.skipif(not available("jax"), reason="the [fast] extra (jax) is not installed")
def test_jax_backend_over_several_chunks_keeps_every_point_in_place():
    from analysis.backends import CHUNK

    p = preset("none")
    w = np.random.default_rng(1).normal(0.0, 3.0, (CHUNK + 5, p.n_params))
    got, ref = fused_gradient(p, "jax")(w), compiled(p).gradient(w)
    assert np.all(np.abs(got - ref) <= GRAD_ATOL + GRAD_RTOL * np.abs(ref))
