"""``atlas(...)``: build the grid, compute the cells on Dask, check them, write the outputs."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from ..results import Result
from ..tolerances import INFIMUM_UNDERCUT_ATOL
from .cache import CellCache, cell_key
from .cell import CellResult, CellSettings
from .engine import DEFAULT_RETRIES, run_cells
from .grid import Cell, build_grid


@dataclass(frozen=True)
class AtlasCell(Result):
    """One cell as shown: its labels, its problem and its result (None if its task failed)."""

    row: str
    column: str
    n_inputs: int
    network: str
    key: str
    result: CellResult | None
    error: str | None = None


@dataclass(frozen=True)
class Check(Result):
    """A consistency check over every cell; ``failures`` names the cells that break it."""

    name: str
    statement: str
    checked: int
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    def _json_extra(self) -> dict:
        return {"passed": self.passed}


@dataclass(frozen=True)
class AtlasResult(Result):
    """A finished atlas. ``to_json`` includes run facts (timings, cache use); ``atlas.json`` does not."""

    settings: CellSettings
    cells: tuple[AtlasCell, ...]
    checks: tuple[Check, ...]
    computed: tuple[str, ...]
    cached: tuple[str, ...]
    rejected: tuple[str, ...]
    workers: int
    seconds: float

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks) and not any(c.error for c in self.cells)

    def count(self, status: str) -> int:
        return sum(1 for c in self.cells if c.result is not None and c.result.status == status)

    def summary(self) -> str:
        from .render import summary_text

        return summary_text(self)


def consistency_checks(cells: tuple[AtlasCell, ...]) -> tuple[Check, ...]:
    """Facts every certified cell must satisfy, whatever the certifier or the optimiser did."""
    done = [c for c in cells if c.result is not None]

    def failing(pred) -> tuple[str, ...]:
        return tuple(f"{c.row} | {c.column}" for c in done if not pred(c.result))

    return (
        Check(
            "separable-zero",
            "a separable cell's bracket contains 0 (separable <=> inf L = 0 for 0/1 targets)",
            len(done),
            failing(lambda r: r.separable is not True or r.lower_value <= 0.0),
        ),
        Check(
            "inseparable-positive",
            "a cell proved not separable has an upper bound above 0",
            len(done),
            failing(lambda r: r.separable is not False or r.upper_value > 0.0),
        ),
        Check(
            "gd-above-lower",
            "no gradient-descent loss lies below the certified lower bound",
            len(done),
            failing(lambda r: not r.gd_best_loss < r.lower_value - INFIMUM_UNDERCUT_ATOL),
        ),
        Check(
            "bracket-ordered",
            "every bracket has lower <= upper",
            len(done),
            failing(lambda r: r.lower_value <= r.upper_value),
        ),
    )


class _Progress:
    """Cells done / total and cells open, on stderr: a bar on a terminal, else a line per 10%."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.open = total, 0, 0
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.bar = None
        self.next_line = 0
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="atlas", unit="cell", file=sys.stderr, bar_format=_BAR)

    def update(self, result: CellResult | None) -> None:
        self.done += 1
        self.open += result is not None and result.status != "closed"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.open} open", refresh=False)
            self.bar.update()
        elif self.enabled and (self.done >= self.next_line or self.done == self.total):
            print(f"atlas: {self.done}/{self.total} cells done, {self.open} open", file=sys.stderr)
            self.next_line = self.done + max(1, self.total // 10)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


_BAR = "{desc}: {n}/{total} cells, {postfix} [{elapsed}]"


def atlas(
    functions=None,
    archs=None,
    *,
    inputs: int = 2,
    spec_dir=None,
    grid: tuple[Cell, ...] | None = None,
    settings: CellSettings | None = None,
    out=None,
    cache="default",
    workers: int | None = None,
    scheduler=None,
    retries: int = DEFAULT_RETRIES,
    progress: bool = False,
    on_result=None,
) -> AtlasResult:
    """The learnability atlas: every cell certified, with gradient-descent success shares.

    ``functions``/``archs``/``inputs``/``spec_dir`` choose the grid (see :func:`build_grid`), or
    pass ``grid`` itself. ``out`` (a folder) receives atlas.json, atlas.md, timings.json and the
    heatmaps. ``cache`` is a folder of finished cells (default ``out/cache``; None: no cache).
    ``workers`` sizes the LocalCluster (default: one per core); ``scheduler`` is the address of an
    existing Dask scheduler (or a ``distributed.Client``). ``on_result(key, result, cached)`` is
    called as each cell arrives.
    """
    t0 = time.perf_counter()
    settings = settings or CellSettings()
    cells = grid if grid is not None else build_grid(functions, archs, inputs=inputs, spec_dir=spec_dir)
    if cache == "default":
        cache = None if out is None else f"{out}/cache"
    keys = [cell_key(c.problem, settings) for c in cells]
    problems = dict(zip(keys, (c.problem for c in cells)))
    bar = _Progress(len(problems), progress)

    def arrived(key, result, cached):
        bar.update(result)
        if on_result is not None:
            on_result(key, result, cached)

    try:
        run = run_cells(
            problems,
            settings,
            CellCache(cache),
            workers=workers,
            scheduler=scheduler,
            retries=retries,
            on_result=arrived,
        )
    finally:
        bar.close()

    shown = tuple(
        AtlasCell(
            row=c.row,
            column=c.column,
            n_inputs=c.n_inputs,
            network=c.problem.network.describe(),
            key=k,
            result=run.results.get(k),
            error=run.errors.get(k),
        )
        for c, k in zip(cells, keys)
    )
    result = AtlasResult(
        settings=settings,
        cells=shown,
        checks=consistency_checks(shown),
        computed=run.computed,
        cached=run.cached,
        rejected=run.rejected,
        workers=run.workers,
        seconds=time.perf_counter() - t0,
    )
    if out is not None:
        from .render import write_outputs

        write_outputs(result, out)
    return result
