"""Side-by-side timing of the compiled symbolic gradient and hand-coded gradients (not a test)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from . import backprop
from .exact import compiled
from .network import PRESET_NAMES, preset
from .seed import seed_gradient


def _best_of(fn, w, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(w)
        times.append(time.perf_counter() - t0)
    return min(times)


@dataclass(frozen=True)
class BenchRow:
    arch: str
    points: int
    symbolic_s: float
    backprop_s: float
    seed_s: float | None

    @property
    def ratio(self) -> float:
        """Compiled symbolic time over hand-coded backprop time (< 1: symbolic is faster)."""
        return self.symbolic_s / self.backprop_s


@dataclass(frozen=True)
class BenchReport:
    rows: tuple[BenchRow, ...]
    repeats: int

    def to_json(self) -> dict:
        return {
            "repeats": self.repeats,
            "rows": [dict(r.__dict__, ratio=r.ratio) for r in self.rows],
        }

    def summary(self) -> str:
        lines = [f"gradient on N weight points, best of {self.repeats} runs (ratio = symbolic / backprop)"]
        for r in self.rows:
            seed = f", seed formulas {r.seed_s * 1e3:.1f} ms" if r.seed_s is not None else ""
            lines.append(
                f"  {r.arch:>6}: N={r.points}  compiled SymPy {r.symbolic_s * 1e3:.1f} ms, "
                f"hand-coded backprop {r.backprop_s * 1e3:.1f} ms{seed}  ratio {r.ratio:.2f}x"
            )
        return "\n".join(lines)


def run_bench(arch: str = "all", *, n_points: int = 10**6, repeats: int = 5, seed: int = 0) -> BenchReport:
    names = PRESET_NAMES if arch == "all" else (arch,)
    rows = []
    for name in names:
        problem = preset(name)
        w = np.random.default_rng(seed).normal(0.0, 3.0, (n_points, problem.n_params))
        sym = compiled(problem).gradient
        sym(w[:10])  # compile outside the timed region
        rows.append(
            BenchRow(
                arch=name,
                points=n_points,
                symbolic_s=_best_of(sym, w, repeats),
                backprop_s=_best_of(lambda v, p=problem: backprop.gradient(p, v), w, repeats),
                seed_s=_best_of(seed_gradient, w, repeats) if name == "none" else None,
            )
        )
    return BenchReport(tuple(rows), repeats)


# Each command of the pipeline, its time target (seconds, on 2 cores), in a fresh process so
# that nothing is cached; the basin map is timed in-process.
PIPELINE = (
    ("canlearn prove --arch all --json", ("prove", "--arch", "all", "--json"), 30.0),
    ("canlearn optimise --arch all --json", ("optimise", "--arch", "all", "--json"), 60.0),
    ("canlearn dynamics --arch all --json", ("dynamics", "--arch", "all", "--json"), None),
    ("canlearn all --out <tmp>", ("all", "--no-progress", "--out"), 60.0),
)


@dataclass(frozen=True)
class PipelineRow:
    name: str
    seconds: float
    target_s: float | None

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _timed_command(args) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", *args], check=True, capture_output=True)
    return time.perf_counter() - t0


def run_pipeline_bench() -> tuple[PipelineRow, ...]:
    from .dynamics import basin_map

    rows = []
    for name, args, target in PIPELINE:
        if args[-1] == "--out":
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(PipelineRow(name, _timed_command((*args, tmp)), target))
        else:
            rows.append(PipelineRow(name, _timed_command(args), target))
    t0 = time.perf_counter()
    basin_map("none", n=200, method="gd")
    rows.append(PipelineRow("basin map 200 x 200 (gradient descent)", time.perf_counter() - t0, 30.0))
    return tuple(rows)


def pipeline_summary(rows) -> str:
    lines = ["pipeline wall-clock times (fresh process each):"]
    for r in rows:
        target = (
            f"  (target < {r.target_s:g} s: {'met' if r.seconds < r.target_s else 'MISSED'})"
            if r.target_s
            else ""
        )
        lines.append(f"  {r.name:<42} {r.seconds:6.1f} s{target}")
    return "\n".join(lines)
