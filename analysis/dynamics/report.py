"""The dynamics report of one problem: critical points, valleys, where descent goes, and for the
seed's presets its case study (the stall, the separatrix, the share of starts reaching the lowest
valley)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..exact import compiled
from ..network import PRESET_NAMES, Problem, preset
from ..results import Result, keyed, mapping
from ..tolerances import BASIN_CONFIDENCE, OPT_LOSS_ATOL
from ..training import random_init
from .basins import BasinFraction
from .critical import CriticalPoint, _as_problem, critical_points
from .descent import RATE, Destinations, descend, destinations
from .valley import Valley, short, valleys

if TYPE_CHECKING:
    from ..seedcase.stall import SeedRun

#: Valleys (exact limits, then a numeric infimum per direction) are taken up to this many parameters.
MAX_VALLEY_PARAMS = 4
#: Gradient-flow budget (in GD-step units of time) before the flow's ends are classified.
FLOW_MAX_ITER = 400


@dataclass(frozen=True)
class DynamicsReport(Result):
    """Critical points, valleys, where descent goes, and the seed's case study for its presets."""

    arch: str
    critical_points: tuple[CriticalPoint, ...]
    valleys: tuple[Valley, ...]
    lowest_valley: tuple[str, ...]
    seed_run: SeedRun | None
    better_run: SeedRun | None
    train_run: tuple[tuple[str, float], ...] | None = mapping(None)
    basins: tuple[BasinFraction, ...] = keyed("scheme", ())
    basins_flow: tuple[BasinFraction, ...] = keyed("scheme", ())
    threshold: float = math.inf
    separatrix_direction: tuple[float, ...] | None = None
    separatrix_check: tuple[tuple[str, float], ...] | None = mapping(None)
    conclusions: tuple[str, ...] = ()
    destinations: Destinations | None = None
    destinations_flow: Destinations | None = None

    @classmethod
    def _json_types(cls) -> dict:
        from ..seedcase.stall import SeedRun

        return {"SeedRun": SeedRun}

    @property
    def problem(self) -> str:
        return self.arch

    def __repr__(self) -> str:
        b = ", ".join(f"{f.scheme}: {f.fraction:.3f}" for f in self.basins)
        if self.destinations is not None and not b:
            b = f"{len(self.destinations.destinations)} destinations of descent"
        low = ", ".join(self.lowest_valley) or "-"
        return f"DynamicsReport(arch={self.arch!r}, lowest valley {low}; {b})"

    def markdown(self) -> str:
        """The critical points and destinations as Markdown tables."""
        return _markdown(self)

    def summary(self) -> str:
        lines = [f"dynamics {self.arch}:", "  critical points:"]
        shown: dict[tuple[str, str], list[CriticalPoint]] = {}
        for c in self.critical_points:
            if c.certified:
                w = ", ".join(f"{v:.6g}" for v in c.weights)
                e = ", ".join(f"{v:.6g}" for v in c.eigenvalues)
                how = "exact" if c.method == "exact" else f"unique within {c.radius:.1e}"
                lines.append(f"    ({w})  L = {c.loss:.12g}  eigenvalues ({e})  {c.kind} (certified: {how})")
            else:
                shown.setdefault((f"{c.loss:.9g}", c.reason or ""), []).append(c)
        # Uncertified points of one loss level (typically a manifold of critical points) in one line.
        for (loss, reason), group in shown.items():
            kinds = ", ".join(sorted({c.kind for c in group}))
            w = ", ".join(f"{v:.4g}" for v in group[0].weights)
            lines.append(
                f"    {len(group)} UNCERTIFIED at L = {loss} ({kinds}, float reading; {reason}), e.g. ({w})"
            )
        if not self.critical_points:
            lines.append("    none found")
        if self.valleys:
            lines.append("  valleys (limit of L along a direction to infinity, then its infimum):")
        for v in self.valleys:
            mark = " <- lowest" if v.limit in self.lowest_valley else ""
            lines.append(f"    {v.limit:>9}: L -> {v.expression}")
            lines.append(f"               {v.describe()}{mark}")
        if self.seed_run is not None:
            s = self.seed_run
            lines.append(f"  the seed's loop goes to the valley {s.valley} (inf {short(s.valley_loss)}):")
            for c in s.checkpoints:
                lines.append(
                    f"    after {c.iterations:>6} iterations (ran {c.ran}, {c.stopped}): W = "
                    f"({c.weights[0]:.6f}, {c.weights[1]:.9f}), printed error {c.printed_error:.9f}, "
                    f"L - valley {c.valley_gap:.3g}"
                )
            lines.append(f"    W1 grows like {s.w1_log_intercept:.3f} + {s.w1_log_slope:.4f} log t")
        if self.better_run is not None:
            b = self.better_run
            lines.append(
                f"  the same loop from {b.init} (mirror of the seed's init) goes to {b.valley} "
                f"(inf {short(b.valley_loss)}):"
            )
            for c in b.checkpoints:
                lines.append(
                    f"    after {c.iterations:>6} iterations: W = ({c.weights[0]:.6f}, {c.weights[1]:.6f}), "
                    f"L = {c.loss:.9f}, L - valley {c.valley_gap:.3g}"
                )
        if self.train_run is not None:
            t = ", ".join(f"{k} = {v:.9g}" for k, v in self.train_run)
            lines.append(f"  GD at rate {RATE:g} from the seed's init convention: {t}")
        if self.basins:
            lines.append(
                f"  basins (share reaching the lowest valley, {BASIN_CONFIDENCE:.0%} Wilson interval):"
            )
        for g, f in zip(self.basins, self.basins_flow):
            lines.append(
                f"    {g.scheme:>14}: GD rate {RATE:g} {g.fraction:.4f} [{g.low:.4f}, {g.high:.4f}]"
                f" (undecided {g.undecided}/{g.samples});  flow {f.fraction:.4f} [{f.low:.4f}, {f.high:.4f}]"
            )
        for d in (self.destinations, self.destinations_flow):
            if d is not None:
                lines.append("  where descent goes (share of starts, Wilson interval, count):")
                lines.append(d.summary())
        if self.separatrix_direction is not None:
            d = ", ".join(f"{v:.9f}" for v in self.separatrix_direction)
            lines.append(f"  separatrix tangent at the saddle: ({d})")
        lines += [f"  * {c}" for c in self.conclusions]
        return "\n".join(lines)


def _md_row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _markdown(rep: DynamicsReport) -> str:
    """Markdown tables of the critical points and of where descent goes, from the report itself."""
    lines = [f"## Dynamics of `{rep.arch}`", "", "### Critical points", ""]
    lines += [_md_row(("weights", "L", "kind", "certified", "Hessian eigenvalues")), _md_row(("---",) * 5)]
    for c in rep.critical_points:
        w = ", ".join(f"{v:.6g}" for v in c.weights)
        if c.eigenvalue_bounds is not None:
            eig = ", ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in c.eigenvalue_bounds)
        else:
            eig = ", ".join(f"{e:.4g}" for e in c.eigenvalues) + " (float)"
        how = ("exact" if c.method == "exact" else f"unique within {c.radius:.1e}") if c.certified else "no"
        lines.append(_md_row((w, f"{c.loss:.12g}", c.kind, how if c.certified else f"no: {c.reason}", eig)))
    for d in (rep.destinations, rep.destinations_flow):
        if d is None:
            continue
        lines += ["", f"### Where {d.method} goes from {d.samples} starts ({d.scheme})", ""]
        lines += [
            _md_row(("share", f"{d.confidence:.0%} interval", "starts", "destination")),
            _md_row(("---",) * 4),
        ]
        for x in d.destinations:
            where = x.describe().split(": ", 1)[1]
            lines.append(_md_row((f"{x.share:.3f}", f"[{x.low:.3f}, {x.high:.3f}]", x.count, where)))
    return "\n".join(lines) + "\n"


def _is_seed_preset(problem: Problem) -> bool:
    return problem.name in PRESET_NAMES and problem == preset(problem.name)


def _train_checkpoints(problem: Problem, seed: int, checkpoints=(800, 10**4)) -> tuple[float, ...]:
    """Loss after each number of GD iterations at the seed's rate from the seed's init convention:
    one run, continued from one checkpoint to the next (multiples of the descent's check interval)."""
    w = random_init(problem, seed)[None, :]
    out, done = [], 0
    for k in checkpoints:
        d = descend(problem, w, lambda x, L: np.full(len(x), -1, dtype=np.int8), "gd", max_iter=k - done)
        w, done = d.final, k
        out.append(float(compiled(problem).loss(w[0])))
    return tuple(out)


def dynamics(
    problem,
    seed: int = 0,
    n_samples: int = 2000,
    map_n: int = 100,
    checkpoints=None,
    destination_samples: int = 200,
) -> DynamicsReport:
    """Critical points, valleys, where descent goes; for the seed's presets also where its loop
    goes, the separatrix and the share of starts reaching the lowest valley.

    Flow fractions use the first quarter of the GD samples (same starts; the ODE costs more).
    """
    problem = _as_problem(problem)
    crits = critical_points(problem, seed)
    vals = valleys(problem, seed) if problem.n_params <= MAX_VALLEY_PARAMS else ()
    conclusions = []
    if vals:
        lowest = min(v.loss for v in vals)
        lowest_names = tuple(v.limit for v in vals if v.loss - lowest <= OPT_LOSS_ATOL)
        # The next level above the lowest valley: no trajectory ending elsewhere gets below it.
        levels = [v.loss for v in vals] + [c.loss for c in crits]
        threshold = min((x for x in levels if x > lowest + OPT_LOSS_ATOL), default=math.inf)
    else:
        lowest, lowest_names, threshold = math.nan, (), math.inf
        conclusions.append(
            f"valleys are taken for at most {MAX_VALLEY_PARAMS} parameters; this problem has "
            f"{problem.n_params}: where descent escapes to infinity is read from the destinations"
        )
    gd_dest = destinations(problem, destination_samples, seed, "gd")
    # The ODE costs more: a quarter of the starts, a shorter run before the ends are continued.
    flow_dest = destinations(problem, max(1, destination_samples // 4), seed, "flow", max_iter=FLOW_MAX_ITER)
    seed_run = better_run = train_run = direction = check = None
    basins = basins_flow = ()
    if _is_seed_preset(problem):
        from .. import seedcase

        checkpoints = seedcase.SEED_CHECKPOINTS if checkpoints is None else checkpoints
        if problem.n_params == 2:
            seed_run = seedcase.seed_run(seed, vals, checkpoints)
            # The mirror image of the seed's init lies across the separatrix: the same loop from there.
            better_run = seedcase.seed_run(seed, vals, checkpoints, init=tuple(-v for v in seed_run.init))
            direction, saddle_exact, eig_exact = seedcase.separatrix_direction(problem)
            plane, excess = seedcase.separating_plane(problem)
            bm = seedcase.seed_basin_map(problem, n=map_n, method="gd")
            saddle = seedcase.exact_saddle(problem).weights
            angle = seedcase.map_angle(bm, saddle, direction)
            check = (
                ("map_boundary_angle_deg", angle),
                ("map_n", float(map_n)),
                ("map_undecided", float(bm.undecided)),
            )
            conclusions += [
                f"the saddle ({', '.join(saddle_exact)}) has exact Hessian eigenvalues "
                f"{', '.join(eig_exact)}; its stable direction ({direction[0]:.9f}, {direction[1]:.9f}) is "
                f"the basin boundary's tangent (the {map_n}x{map_n} map's boundary near the saddle is "
                f"{angle:.2f} degrees from it)",
                f"on the plane {plane} = 0, L - L(saddle) = {excess} >= 0, so once L < L(saddle) the sign "
                f"of {plane} is fixed: starts are labelled by it",
            ]
            s = seed_run
            conclusions.append(
                f"the seed's loop does not stall at a local maximum: it slides down the valley {s.valley}, "
                f"whose infimum {short(s.valley_loss)} is above the lowest {short(lowest)}; W1 grows like "
                f"{s.w1_log_slope:.3f} log t"
            )
        else:
            r800, r1e4 = _train_checkpoints(problem, seed, (800, 10**4))
            train_run = (("loss_800", r800), ("loss_10000", r1e4))
        basins = seedcase.lowest_valley_fractions(problem, n_samples, seed, "gd", threshold)
        basins_flow = seedcase.lowest_valley_fractions(
            problem, max(1, n_samples // 4), seed, "flow", threshold
        )
        for f in basins:
            conclusions.append(
                f"{f.scheme}: {f.fraction:.4f} of starts reach the lowest valley by GD at rate {RATE:g} "
                f"({BASIN_CONFIDENCE:.0%} interval [{f.low:.4f}, {f.high:.4f}], n = {f.samples})"
            )
    uncertified = [c for c in crits if not c.certified]
    if uncertified:
        conclusions.append(
            f"{len(uncertified)} of {len(crits)} critical points found could not be certified "
            "(kept, with the reason; their kind is a float reading only)"
        )
    best = gd_dest.best()
    conclusions.append(
        f"gradient descent from {gd_dest.samples} starts ({gd_dest.scheme}) ends at "
        f"{len(gd_dest.destinations)} destinations; the lowest has L -> {best.loss:.9g} "
        f"({best.kind}, share {best.share:.3f})"
    )
    return DynamicsReport(
        arch=problem.name,
        critical_points=crits,
        valleys=vals,
        lowest_valley=lowest_names,
        seed_run=seed_run,
        better_run=better_run,
        train_run=train_run,
        basins=basins,
        basins_flow=basins_flow,
        threshold=float(threshold),
        separatrix_direction=direction,
        separatrix_check=check,
        conclusions=tuple(conclusions),
        destinations=gd_dest,
        destinations_flow=flow_dest,
    )
