"""Timings of issue 12's targets, side by side in one run (not a test): ``make bench``.

The machines are shared, so absolute times move with the load: every row says its goal, the
load average is printed with the numbers, and the gradient rows are ratios of two timings taken
in the same run. ``--help`` is shown next to the floor of any Python CLI, ``import argparse, numpy``.
"""

from __future__ import annotations

import os
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

#: Goals of issue 12 for the compiled gradient over hand-coded backprop, on 10^6 points.
RATIO_GOAL = 1.0
FUSED_RATIO_GOAL = 0.5


def _best_of(fn, w, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(w)
        times.append(time.perf_counter() - t0)
    return min(times)


def _verdict(value: float, goal: float) -> str:
    return f"(goal <= {goal:g}: {'met' if value <= goal else 'MISSED'})"


@dataclass(frozen=True)
class BenchRow:
    arch: str
    points: int
    symbolic_s: float
    backprop_s: float
    seed_s: float | None
    #: The fused backend (JAX) on the same points, where the [fast] extra is installed.
    fused_s: float | None = None

    @property
    def ratio(self) -> float:
        """Compiled symbolic time over hand-coded backprop time (< 1: symbolic is faster)."""
        return self.symbolic_s / self.backprop_s

    @property
    def fused_ratio(self) -> float | None:
        return None if self.fused_s is None else self.fused_s / self.backprop_s


@dataclass(frozen=True)
class BenchReport:
    rows: tuple[BenchRow, ...]
    repeats: int
    backend: str | None = None

    def to_json(self) -> dict:
        return {
            "repeats": self.repeats,
            "backend": self.backend,
            "rows": [dict(r.__dict__, ratio=r.ratio, fused_ratio=r.fused_ratio) for r in self.rows],
        }

    def summary(self) -> str:
        lines = [
            f"gradient on N weight points, best of {self.repeats} runs "
            "(ratio = time / hand-coded backprop's, same run)"
        ]
        for r in self.rows:
            seed = f", seed formulas {r.seed_s * 1e3:.1f} ms" if r.seed_s is not None else ""
            lines.append(
                f"  {r.arch:>6}: N={r.points}  compiled SymPy {r.symbolic_s * 1e3:.1f} ms, "
                f"hand-coded backprop {r.backprop_s * 1e3:.1f} ms{seed}  "
                f"ratio {r.ratio:.2f} {_verdict(r.ratio, RATIO_GOAL)}"
            )
            if r.fused_s is not None:
                lines.append(
                    f"  {'':>6}  fused {self.backend} {r.fused_s * 1e3:.1f} ms  "
                    f"ratio {r.fused_ratio:.2f} {_verdict(r.fused_ratio, FUSED_RATIO_GOAL)}"
                )
        if self.backend is None:
            lines.append("  (fused backend not installed: pip install 'canlearn[fast]' to time it)")
        return "\n".join(lines)


def run_bench(arch: str = "all", *, n_points: int = 10**6, repeats: int = 5, seed: int = 0) -> BenchReport:
    from .backends import available, fused_gradient

    names = PRESET_NAMES if arch == "all" else (arch,)
    backend = "jax" if available("jax") else None
    rows = []
    for name in names:
        problem = preset(name)
        w = np.random.default_rng(seed).normal(0.0, 3.0, (n_points, problem.n_params))
        sym = compiled(problem).gradient
        sym(w[:10])  # compile outside the timed region
        fused_s = None
        if backend is not None:
            fused = fused_gradient(problem, backend)
            fused(w)  # jit-compile for this batch size outside the timed region
            fused_s = _best_of(fused, w, repeats)
        rows.append(
            BenchRow(
                arch=name,
                points=n_points,
                symbolic_s=_best_of(sym, w, repeats),
                backprop_s=_best_of(lambda v, p=problem: backprop.gradient(p, v), w, repeats),
                seed_s=_best_of(seed_gradient, w, repeats) if name == "none" else None,
                fused_s=fused_s,
            )
        )
    return BenchReport(tuple(rows), repeats, backend)


# Each command of the pipeline, its goal (seconds, on 2 cores; None: timed, no goal) and how many
# runs, each in a fresh process so that nothing is cached (the best is the row's time, and every
# run is printed: on a shared machine they differ by a quarter); the basin map runs in-process.
PIPELINE = (
    # How fast this machine's Python is right now (shared hosts vary by up to two times).
    ("python: 10^7 loop additions (machine speed)", ("-c", "s = 0\nfor i in range(10**7): s += i"), None, 3),
    ("python -c 'import argparse, numpy' (floor)", ("-c", "import argparse, numpy"), None, 5),
    ("canlearn --help", ("-m", "analysis", "--help"), 0.3, 5),
    ("canlearn prove --arch all --json", ("-m", "analysis", "prove", "--arch", "all", "--json"), None, 1),
    (
        "canlearn optimise --arch all --json",
        ("-m", "analysis", "optimise", "--arch", "all", "--json"),
        10.0,
        3,
    ),
    (
        "canlearn dynamics --arch all --json",
        ("-m", "analysis", "dynamics", "--arch", "all", "--json"),
        8.0,
        3,
    ),
    ("canlearn all --out <tmp>", ("-m", "analysis", "all", "--no-progress", "--out"), 20.0, 3),
)


@dataclass(frozen=True)
class PipelineRow:
    name: str
    seconds: float  # the best run
    target_s: float | None
    runs: tuple[float, ...] = ()  # every run, in order

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _timed_command(args) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    return time.perf_counter() - t0


def run_pipeline_bench() -> tuple[PipelineRow, ...]:
    from .dynamics import basin_map

    rows = []
    for name, args, target, runs in PIPELINE:
        times = []
        for _ in range(runs):
            if args[-1] == "--out":
                with tempfile.TemporaryDirectory() as tmp:
                    times.append(_timed_command((*args, tmp)))
            else:
                times.append(_timed_command(args))
        rows.append(PipelineRow(name, min(times), target, tuple(times)))
    t0 = time.perf_counter()
    basin_map("none", n=200, method="gd")
    rows.append(PipelineRow("basin map 200 x 200 (gradient descent)", time.perf_counter() - t0, None))
    return tuple(rows)


def load_average() -> str:
    try:
        return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "load average unknown"


def pipeline_summary(rows) -> str:
    lines = [f"wall-clock times, fresh process each, best of the runs ({load_average()} at the end):"]
    for r in rows:
        goal = (
            f"  (goal < {r.target_s:g} s: {'met' if r.seconds < r.target_s else 'MISSED'})"
            if r.target_s
            else ""
        )
        every = f"  [runs: {', '.join(f'{t:.2f}' for t in r.runs)} s]" if len(r.runs) > 1 else ""
        lines.append(f"  {r.name:<44} {r.seconds:7.2f} s{goal}{every}")
    return "\n".join(lines)


# certify: each problem in a fresh process, median of CERTIFY_RUNS runs of its own `seconds`;
# (label, command-line problem flags, goal in seconds or None).
CERTIFY_RUNS = 3
CERTIFY_PROBLEMS = (
    ("none (2 params)", ("--arch", "none"), 1.0),
    ("hidden (3 params)", ("--arch", "hidden"), 1.0),
    ("output (3 params)", ("--arch", "output"), 1.0),
    ("both (4 params)", ("--arch", "both"), 1.0),
    ("xor 2-1 all (3 params)", ("--net", "2-1", "--bias", "all", "--data", "xor"), 5.0),
    ("xor 2-1-1 all (5 params)", ("--net", "2-1-1", "--bias", "all", "--data", "xor"), 60.0),
    ("xor 2-2-1 all (9 params)", ("--net", "2-2-1", "--bias", "all", "--data", "xor"), 60.0),
)


@dataclass(frozen=True)
class CertifyRow:
    name: str
    seconds: float  # median of the runs' own `seconds`
    status: str
    lower: str
    upper: str
    boxes: int
    target_s: float | None
    peak_mib: float

    def to_json(self) -> dict:
        return dict(self.__dict__)


def run_certify_bench(runs: int = CERTIFY_RUNS, time_limit: float = 60.0) -> tuple[CertifyRow, ...]:
    import json
    import resource
    import statistics

    rows = []
    for name, flags, target in CERTIFY_PROBLEMS:
        outs = []
        for _ in range(runs):
            cmd = [sys.executable, "-m", "analysis", "certify", *flags, "--json", "--no-progress"]
            done = subprocess.run([*cmd, "--time-limit", str(time_limit)], check=True, capture_output=True)
            outs.append(json.loads(done.stdout))
        # ru_maxrss of the children is the largest any one of them reached (KiB on Linux).
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        last = outs[-1]
        rows.append(
            CertifyRow(
                name,
                statistics.median(o["seconds"] for o in outs),
                last["status"],
                last["lower"],
                last["upper"],
                last["boxes"],
                target,
                peak,
            )
        )
    return tuple(rows)


def certify_summary(rows) -> str:
    lines = [f"certify, fresh process, median of {CERTIFY_RUNS} runs ({load_average()} at the end):"]
    for r in rows:
        goal = (
            f"  (goal < {r.target_s:g} s: {'met' if r.seconds < r.target_s else 'MISSED'})"
            if r.target_s
            else ""
        )
        lines.append(
            f"  {r.name:<30} {r.seconds:7.2f} s  {r.status:<6} [{r.lower}, {r.upper}]  {r.boxes} boxes{goal}"
        )
    lines.append(
        f"  peak memory of any run: {max((r.peak_mib for r in rows), default=0):.0f} MiB (goal < 2048)"
    )
    return "\n".join(lines)
