"""Independent analyses in parallel processes, results returned as data, in input order.

Processes, not threads: the analyses are Python-bound (SymPy, small SciPy calls). Workers are
forked from this process at the first task, once it has imported the tasks' modules, so each
worker starts warm and nothing is imported twice. Forking a process that runs other threads can
deadlock: then (and off Linux) they are forked from a server process that imports the modules
itself. Every task is a deterministic function of its arguments, so the results are the same
values a serial run computes, and the artifacts made from them are byte-identical.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from .errors import InputError

#: Environment variable: the number of worker processes (1: run serially, in this process).
WORKERS_ENV = "CANLEARN_WORKERS"

# The BLAS/OpenMP thread-count variables, read once when a library loads. canlearn makes many
# tiny BLAS calls (L-BFGS-B on 2-4 weights, 2x2 eigenproblems), where waking threads costs
# far more than the arithmetic.
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads(environ=None) -> bool:
    """Ask for one BLAS thread, unless the user chose a count. Call before NumPy loads.

    Returns False (and changes nothing) when NumPy is already loaded: then it is too late.
    """
    import sys

    if "numpy" in sys.modules:
        return False
    env = os.environ if environ is None else environ
    for name in THREAD_ENV:
        env.setdefault(name, "1")
    return True


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off inside, then back as it was: for imports, whose objects
    live to the end, so that a collection during them frees nothing (measured: about 0.4 s of the
    2.5 s ``canlearn all`` imports)."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def default_workers() -> int:
    """Worker processes: ``$CANLEARN_WORKERS`` if set, else the CPUs this process may use."""
    text = os.environ.get(WORKERS_ENV, "").strip()
    if text:
        try:
            n = int(text)
        except ValueError:
            raise InputError(f"{WORKERS_ENV} must be a positive integer, got {text!r}") from None
        if n < 1:
            raise InputError(f"{WORKERS_ENV} must be a positive integer, got {text!r}")
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_tasks(
    fn: Callable[[Any], Any], items: Iterable, workers: int | None = None, preload: Iterable[str] = ()
) -> list:
    """``[fn(x) for x in items]``, computed in up to ``workers`` processes, in input order.

    ``fn`` and the items must be picklable (module-level functions, ``functools.partial`` of
    them); so must the results. Put the longest tasks first: they are started in input order.
    With one worker or one item nothing is spawned. ``preload``: more modules to import once,
    before the workers start (those of ``fn`` and of the partials are imported anyway).
    """
    items = list(items)
    n = default_workers() if workers is None else int(workers)
    if n < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    n = max(1, min(n, len(items)))
    # The tasks' modules are imported once (SymPy, SciPy: seconds), before any fork.
    with TaskPool(n, preload=[*_task_modules(fn, items), *preload]) as pool:
        handles = [pool.submit(fn, x) for x in items]
        return [h.get() for h in handles]


#: Seconds to wait for a joined thread to leave the process (an earlier pool's: Python has joined
#: it, but the system lists it for a few more milliseconds).
THREAD_EXIT_WAIT = 0.1


def _one_thread() -> bool:
    """Whether this process runs no thread but the calling one (native threads counted too)."""
    import threading
    import time

    deadline = time.monotonic() + THREAD_EXIT_WAIT
    while True:
        try:
            if len(os.listdir("/proc/self/task")) == 1:
                return True
        except OSError:
            return False
        # A thread Python still runs, or one not a Python thread (BLAS), stays: no waiting for it.
        if threading.active_count() > 1 or time.monotonic() > deadline:
            return False
        time.sleep(0.001)


def _start_method() -> str:
    """``fork`` where forking this process is safe (Linux, one thread), else ``forkserver``."""
    import sys

    return "fork" if sys.platform.startswith("linux") and _one_thread() else "forkserver"


def _worker_init() -> None:
    import gc
    import signal

    # Ctrl-C is for the parent; SIGTERM stops a worker at once (a forked worker would otherwise
    # inherit the parent's handler, which turns it into KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # What was imported lives as long as the worker: the collector need not walk it.
    gc.freeze()


def _task_modules(fn, items) -> list[str]:
    """The package's modules that ``fn`` and the ``functools.partial`` items come from."""
    funcs = [x.func if isinstance(x, partial) else x for x in [fn, *items]]
    names = {getattr(f, "__module__", None) or "" for f in funcs}
    return sorted(m for m in names if m.split(".")[0] == __package__)


def call(thunk: Callable[[], Any]) -> Any:
    """``thunk()``: with :func:`map_tasks`, runs a list of different ``functools.partial`` tasks."""
    return thunk()


class TaskPool:
    """Worker processes that take tasks as they come: ``submit`` now, ``.get()`` the value later.

    For work whose tasks become ready at different times (a task needing a value this process is
    still computing). Waiting tasks start highest priority first (:meth:`submit_at`), then in
    submission order; a task's arguments are pickled when it starts, so leave them unchanged. The
    workers start at the first task, forked from this process once it has imported ``preload``
    (see the module's docstring; ``start_method`` says how they were started). With one worker
    each task runs at once, in this process. A task's
    error is raised by its ``.get()``; a worker that dies (killed, out of memory) raises
    ``BrokenProcessPool`` there, and on leaving the with-block, instead of leaving the run waiting.
    Leaving the with-block waits for every task; on an error or interrupt (Ctrl-C, or SIGTERM
    turned into one), even one arriving while it waits, it stops the workers at once instead (they
    leave Ctrl-C to this process), and a task that never started raises ``CancelledError``.
    """

    def __init__(self, workers: int | None = None, preload: Iterable[str] = ()):
        n = default_workers() if workers is None else int(workers)
        if n < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.workers = n
        self._preload = tuple(preload)
        self._pool = None  # the executor, made at the first task
        #: "fork" or "forkserver" once the workers have started (None before, and with one worker).
        self.start_method: str | None = None
        if n > 1:
            import itertools
            import threading

            # The executor runs what it is given in order: waiting tasks stay here, so that a
            # later, more urgent task can pass them. Each completion (a callback, on whichever
            # thread completes the future) hands out the next task.
            self._lock = threading.Condition(threading.RLock())
            self._waiting: list = []  # (-priority, order, task), most urgent first
            self._order = itertools.count()
            self._busy = 0
            self._closed = False
            # Why no task can start any more: a dead worker, or the pool stopped on an error.
            self._broken: BaseException | None = None

    def start(self) -> None:
        """Import ``preload`` now (the workers still fork at the first task), e.g. while the caller
        has the collector paused; with one worker, nothing."""
        if self.workers > 1:
            with self._lock:
                self._check_open()
                self._executor()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this TaskPool's with-block has ended: it takes no more tasks")

    def submit(self, fn: Callable[..., Any], *args, **kwargs):
        """Start ``fn(*args, **kwargs)`` (picklable, like :func:`map_tasks`'s); returns its handle."""
        return self.submit_at(0, fn, *args, **kwargs)

    def submit_at(self, priority: int, fn: Callable[..., Any], *args, **kwargs):
        """:meth:`submit`, starting before every waiting task of lower ``priority``.

        An argument that is the handle of an earlier task of this pool stands for that task's
        value: the task waits until those tasks are done (and fails with the first one's error).
        """
        handles = [a for a in (*args, *kwargs.values()) if isinstance(a, _Task | _Done)]
        if any(h.pool is not self for h in handles):
            raise ValueError("a task's inputs must be tasks of the same pool")
        if self.workers == 1:
            args = [a.get() if isinstance(a, _Done) else a for a in args]
            kwargs = {k: v.get() if isinstance(v, _Done) else v for k, v in kwargs.items()}
            return _Done(self, fn(*args, **kwargs))
        task = _Task(self, fn, args, kwargs)
        with self._lock:
            self._check_open()
            self._waiting.append((-priority, next(self._order), task))
            self._waiting.sort(key=lambda entry: entry[:2])
            self._dispatch()
        return task

    def _dispatch(self) -> None:
        with self._lock:
            while self._busy < self.workers and self._broken is None:
                # The most urgent task whose inputs are all done.
                k = next((k for k, (*_, t) in enumerate(self._waiting) if t.ready()), None)
                if k is None:
                    break
                task = self._waiting.pop(k)[2]
                error = next(filter(None, map(_failure, task.deps)), None)
                if error is not None:  # an input failed: so does this task, without running
                    from concurrent.futures import Future

                    task.future = Future()
                    task.future.set_exception(error)
                    task.fn = task.args = task.kwargs = None
                    self._lock.notify_all()
                    continue
                args = [a.future.result() if isinstance(a, _Task) else a for a in task.args]
                kwargs = {k: v.future.result() if isinstance(v, _Task) else v for k, v in task.kwargs.items()}
                try:
                    task.future = self._executor().submit(task.fn, *args, **kwargs)
                except Exception as e:  # the executor is broken (a worker died): no task can start
                    self._broken = e
                    self._lock.notify_all()
                    break
                task.fn = task.args = task.kwargs = None  # the executor holds them now
                self._busy += 1
                task.future.add_done_callback(self._done)

    def _executor(self):
        if self._pool is None:
            import importlib
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            with collector_paused():
                for name in self._preload:
                    importlib.import_module(name)
            method = _start_method()
            ctx = multiprocessing.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(sorted({__name__, *self._preload}))
            # With fork, the executor forks every worker at its first task, before its own thread.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init)
            self.start_method = method
        return self._pool

    def _done(self, future) -> None:
        from concurrent.futures.process import BrokenProcessPool

        with self._lock:
            self._busy -= 1
            if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
                self._broken = self._broken or future.exception()
            self._dispatch()
            self._lock.notify_all()

    def __enter__(self) -> TaskPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.workers == 1:
            return
        with self._lock:
            self._closed = True
        if exc_type is not None:
            self._stop()
            return
        try:
            with self._lock:
                self._lock.wait_for(lambda: not self._waiting or self._broken is not None)
            if self._pool is not None:
                self._pool.shutdown(wait=True)
        except BaseException:  # interrupted while waiting: stop, as on any error
            self._stop()
            raise
        if self._broken is not None:
            raise self._broken

    def _stop(self) -> None:
        from concurrent.futures import CancelledError

        with self._lock:
            self._broken = self._broken or CancelledError("the pool stopped before this task started")
            self._waiting.clear()
            self._lock.notify_all()
        if self._pool is None:
            return
        # The executor cannot terminate its workers before Python 3.14: stop them here.
        procs = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()


class _Task:
    """A task of a :class:`TaskPool`: ``get()`` waits for its value (or raises its error)."""

    def __init__(self, pool: TaskPool, fn, args, kwargs):
        self.pool, self.fn, self.args, self.kwargs = pool, fn, args, kwargs
        self.future = None
        # The tasks whose values are its arguments: it starts when they are done.
        self.deps = [a for a in (*args, *kwargs.values()) if isinstance(a, _Task)]

    def ready(self) -> bool:
        return all(d.future is not None and d.future.done() for d in self.deps)

    def get(self):
        pool = self.pool
        with pool._lock:
            pool._lock.wait_for(lambda: self.future is not None or pool._broken is not None)
        if self.future is None:  # never started: the pool broke or stopped first
            raise pool._broken
        return self.future.result()


def _failure(task: _Task) -> BaseException | None:
    """The error a finished task raises, if it raises one."""
    from concurrent.futures import CancelledError

    if task.future.cancelled():
        return CancelledError("an input of this task was cancelled")
    return task.future.exception()


class _Done:
    """A task already run: the handle :meth:`TaskPool.submit` returns with one worker."""

    def __init__(self, pool: TaskPool, value):
        self.pool, self._value = pool, value

    def get(self):
        return self._value
