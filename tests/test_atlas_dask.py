"""The atlas on real Dask clusters (no mocks): worker count does not change a byte, a killed
worker loses no cell, and an interrupted atlas resumes without recomputing a finished cell."""

from __future__ import annotations

import os
import signal

import pytest

from analysis.atlas import CellSettings, atlas

pytestmark = pytest.mark.slow

# The box budget, not the clock, ends every certification here: results then cannot depend on speed.
SMALL = CellSettings(max_boxes=300, time_limit=600.0, uniform_starts=4, normal_starts=4, iterations=200)
FUNCTIONS = ("and", "xor", "or", "nor")
ARCHS = ("2-1:all",)
OUTPUTS = ("atlas.json", "atlas.md", "atlas_infimum.png", "atlas_infimum.svg", "atlas_gd.png", "atlas_gd.svg")


def _run(tmp, name, **kw):
    return atlas(FUNCTIONS, ARCHS, settings=SMALL, out=tmp / name, cache=tmp / f"{name}-cache", **kw)


def _same_outputs(a, b) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A one-worker run: every other run must reproduce its outputs byte for byte."""
    tmp = tmp_path_factory.mktemp("atlas")
    result = _run(tmp, "one", workers=1)
    assert result.workers == 1 and len(result.computed) == len(FUNCTIONS) * len(ARCHS)
    assert not any(c.error for c in result.cells) and all(ch.passed for ch in result.checks)
    assert all(c.result.stopped != "time_limit" for c in result.cells)
    return tmp / "one"


def test_two_workers_give_the_same_bytes_as_one(reference, tmp_path):
    result = _run(tmp_path, "two", workers=2)
    assert result.workers == 2
    _same_outputs(reference, tmp_path / "two")


def test_a_killed_worker_loses_no_cell(reference, tmp_path):
    from distributed import Client, LocalCluster

    killed = []
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as client,
    ):

        def kill_a_busy_worker(key, result, cached):
            if killed:
                return
            busy = [addr for addr, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(busy[0])

        result = _run(tmp_path, "killed", scheduler=cluster.scheduler_address, on_result=kill_a_busy_worker)
    assert killed, "no worker was busy when a cell arrived: nothing was killed"
    assert all(c.result is not None for c in result.cells)
    _same_outputs(reference, tmp_path / "killed")


def test_an_interrupted_atlas_resumes_without_recomputing(reference, tmp_path):
    arrived = []

    def interrupt_after_two(key, result, cached):
        arrived.append(key)
        if len(arrived) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, "resumed", workers=2, on_result=interrupt_after_two)
    cache = tmp_path / "resumed-cache"
    stamps = {p.stem: p.stat().st_mtime_ns for p in cache.rglob("*.json")}
    assert set(arrived) <= set(stamps)
    assert len(stamps) < len(FUNCTIONS) * len(ARCHS)
    result = _run(tmp_path, "resumed", workers=2)
    assert set(result.cached) == set(stamps) and not set(result.computed) & set(stamps)
    assert len(result.cached) + len(result.computed) == len(FUNCTIONS) * len(ARCHS)
    assert all(stamps[k] == (cache / k[:2] / f"{k}.json").stat().st_mtime_ns for k in stamps)
    _same_outputs(reference, tmp_path / "resumed")
    again = _run(tmp_path, "resumed", workers=2)
    assert again.computed == () and again.workers == 0  # nothing new: no cluster, no work
