"""The Dask driver: one task per uncached cell, results cached as they arrive.

By default an in-process ``distributed.LocalCluster`` (one single-threaded worker process per
core); ``scheduler`` connects to an existing cluster instead. A task whose worker dies is
rescheduled by Dask; ``retries`` also reruns a task that raised. Nothing is started when every
cell is already in the cache.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import InputError
from ..network import Problem
from .cache import CellCache, cell_seed
from .cell import CellResult, CellSettings, compute_cell

#: How often Dask reruns a task that raised (a killed worker's task is rescheduled regardless).
DEFAULT_RETRIES = 1
#: Seconds to wait for an existing scheduler to answer.
CONNECT_TIMEOUT = 30


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class EngineRun:
    """What one run of the engine did: results by key, and which cells it computed or reused."""

    results: Mapping[str, CellResult]
    errors: Mapping[str, str]
    computed: tuple[str, ...]
    cached: tuple[str, ...]
    rejected: tuple[str, ...]
    workers: int


@contextmanager
def dask_client(workers: int | None = None, scheduler=None):
    """A distributed Client: to ``scheduler`` (an address or a Client) or to a fresh LocalCluster."""
    from distributed import Client, LocalCluster

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler  # a Client the caller owns
        return
    if scheduler is not None:
        with _connect(scheduler) as client:
            yield client
        return
    n = workers or default_workers()
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: "None" still means 8787, which may be taken
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def check_address(address: str) -> None:
    """Raise InputError unless ``address`` parses as a Dask address (tcp://host:port, ...)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except (ValueError, TypeError) as e:
        raise InputError(f"--scheduler: not a Dask scheduler address: {address!r} ({e})") from None


def _connect(address: str):
    """A Client to the scheduler at ``address``; a malformed or unreachable address is bad input."""
    from distributed import Client

    check_address(address)
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except OSError as e:
        raise InputError(f"--scheduler: cannot connect to {address!r}: {e}") from None


def run_cells(
    problems: Mapping[str, Problem],
    settings: CellSettings,
    cache: CellCache,
    *,
    workers: int | None = None,
    scheduler=None,
    retries: int = DEFAULT_RETRIES,
    on_result: Callable[[str, CellResult | None, bool], None] = lambda key, result, cached: None,
) -> EngineRun:
    """Compute every cell of ``problems`` (content key -> Problem) not already in ``cache``.

    ``on_result(key, result, cached)`` is called in the calling thread as each cell arrives
    (``result`` None for a cell whose task failed); it may raise (e.g. KeyboardInterrupt) to stop
    the run: the cells cached so far stay cached, and the cluster is shut down.
    """
    results: dict[str, CellResult] = {}
    errors: dict[str, str] = {}
    cached, todo = [], []
    for key in problems:
        hit = cache.get(key)
        if hit is None:
            todo.append(key)
        else:
            results[key] = hit
            cached.append(key)
            on_result(key, hit, True)
    used = 0
    if todo:
        from distributed import as_completed

        with dask_client(workers, scheduler) as client:
            used = len(client.scheduler_info(n_workers=-1)["workers"])
            futures = {
                client.submit(
                    compute_cell,
                    problems[key],
                    settings,
                    key,
                    cell_seed(problems[key], settings),
                    key=f"atlas-cell-{key}",
                    retries=retries,
                    pure=False,
                ): key
                for key in todo
            }
            pending = set(futures)
            try:
                for future in as_completed(futures, loop=client.loop):
                    pending.discard(future)
                    key = futures[future]
                    if future.status == "error":
                        exc = future.exception()
                        errors[key] = f"{type(exc).__name__}: {exc}"
                        on_result(key, None, False)
                    else:
                        result = future.result()
                        cache.put(result)
                        results[key] = result
                        on_result(key, result, False)
                    future.release()
            finally:
                if pending:  # interrupted: leave nothing running on a cluster we do not own
                    client.cancel(list(pending))
    return EngineRun(
        results=results,
        errors=errors,
        computed=tuple(k for k in todo if k in results),
        cached=tuple(cached),
        rejected=tuple(cache.rejected),
        workers=used,
    )
