"""Atlas scaling benchmark: the same grid, uncached, on LocalClusters of different sizes.

Wall time includes starting the cluster. The machine's load average is recorded beside each
run, because on a shared machine it decides the numbers as much as the worker count does.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..results import Result
from .cell import CellSettings
from .run import atlas


@dataclass(frozen=True)
class BenchRun(Result):
    workers: int
    cells: int
    seconds: float
    cell_seconds: float  # the cells' wall times, summed
    cpu_seconds: float  # the CPU time the cells used, summed: the work, whatever else shares the cores
    open_cells: int
    time_limited: int  # cells whose certification the clock stopped (speed-dependent results)
    load_before: float
    load_after: float


@dataclass(frozen=True)
class BenchResult(Result):
    runs: tuple[BenchRun, ...]

    @property
    def ratio(self) -> float | None:
        """Wall time of the largest cluster over the smallest one's."""
        if len(self.runs) < 2:
            return None
        return self.runs[-1].seconds / self.runs[0].seconds

    def _json_extra(self) -> dict:
        return {"ratio": self.ratio}

    def summary(self) -> str:
        lines = [
            f"atlas bench: {r.cells} cells on {r.workers} worker{'s' if r.workers > 1 else ''}: "
            f"{r.seconds:.1f} s wall, cells {r.cell_seconds:.1f} s wall / {r.cpu_seconds:.1f} s CPU, "
            f"{r.open_cells} open "
            f"({r.time_limited} stopped by the clock), load average {r.load_before:.1f} -> {r.load_after:.1f}"
            for r in self.runs
        ]
        if self.ratio is not None:
            lines.append(
                f"wall-time ratio {self.runs[-1].workers} vs {self.runs[0].workers} workers: {self.ratio:.2f}"
            )
        return "\n".join(lines)


def scaling(
    functions=None,
    archs=None,
    *,
    inputs: int = 2,
    grid=None,
    settings: CellSettings | None = None,
    workers: tuple[int, ...] = (1, 2),
    progress: bool = False,
    out=None,
) -> BenchResult:
    """Run the atlas once per worker count, without a cache, and time each run.

    ``out``: a folder; each run writes its outputs into ``out/workers-N`` (timed too).
    """
    runs = []
    for n in workers:
        before = os.getloadavg()[0]
        t0 = time.perf_counter()
        res = atlas(
            functions,
            archs,
            inputs=inputs,
            grid=grid,
            settings=settings,
            cache=None,
            workers=n,
            progress=progress,
            out=None if out is None else f"{out}/workers-{n}",
        )
        seconds = time.perf_counter() - t0
        done = [c.result for c in res.cells if c.result is not None]
        runs.append(
            BenchRun(
                workers=n,
                cells=len(res.cells),
                seconds=seconds,
                cell_seconds=sum(r.seconds for r in done),
                cpu_seconds=sum(r.cpu_seconds for r in done),
                open_cells=res.count("open"),
                time_limited=sum(1 for r in done if r.stopped == "time_limit"),
                load_before=before,
                load_after=os.getloadavg()[0],
            )
        )
    return BenchResult(tuple(runs))
