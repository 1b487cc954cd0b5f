"""The report's figures: plain data in, a matplotlib Figure out, checked, then saved reproducibly.

Every figure is built with the object-oriented API on its own Agg canvas (no pyplot, no global
backend switch) under one fixed style with constrained layout. Numbers shown come from the data
passed in; nothing is typed in here. :func:`check_figure` is the gate before :func:`save_figure`,
which writes PNG and SVG byte-identically on every run, each file atomically.

Drawing is the cost here (text measuring, constrained layout), so nothing is drawn twice that need
not be: :func:`save_figure` runs the layout engine on its own rather than in whole draws, lays the
figure out once for both files, and checks its texts as the PNG drew them.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import pickle
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import mpmath
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import NullFormatter

from . import backprop
from .check import exact_gradient, finite_differences, ill_conditioned, sample_points
from .exact import compiled
from .io import atomic_write_bytes
from .mathcache import share_parses
from .network import Problem
from .tolerances import (
    FD_ATOL,
    FD_MAX_ABS_WEIGHT,
    FD_RTOL,
    FIG_ERROR_CLIP,
    FIG_MIN_FONT_PT,
    FIG_SAME_FLOOR_RTOL,
    FIG_ZERO_ROW,
    GRAD_ATOL,
    GRAD_RTOL,
)

share_parses()  # one parse per label for every figure and every draw (see analysis.mathcache)

__all__ = [
    "basin_figure",
    "loss_slice",
    "box_trend",
    "check_figure",
    "figure_problems",
    "gradcheck_errors",
    "loss_landscape",
    "output_map",
    "LaidOut",
    "save_and_keep",
    "save_figure",
    "training_curves",
]

# rcParams are read both when artists are created and when they are drawn, so every figure
# function and every save runs inside this context. The SVG salt makes element ids reproducible.
STYLE = {
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.9,
    "figure.titlesize": 12,
    "image.cmap": "viridis",
    "svg.hashsalt": "canlearn",
    "svg.fonttype": "path",
}
PNG_DPI = 150
FIGSIZE = (7.0, 5.2)
# Landscape frames: at least this half-width around the origin, padded beyond the data.
MIN_HALF_WIDTH = 6.0
FRAME_PAD = 1.15
# Legend entries longer than this (characters) get a legend of one column.
LEGEND_TWO_COLUMN_CHARS = 48
# One colour per preset, the same in every figure.
PRESET_COLOURS = {"none": "C0", "hidden": "C1", "output": "C2", "both": "C3"}


def _styled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def _new_figure(figsize=FIGSIZE) -> tuple[Figure, object]:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _figure_legend(fig: Figure, handles) -> None:
    """A legend below the axes: two columns only where the longest entry leaves room for them."""
    wide = max((len(h.get_label()) for h in handles), default=0) > LEGEND_TWO_COLUMN_CHARS
    fig.legend(handles=handles, loc="outside lower center", ncols=1 if wide else 2)


def _colour(arch: str, k: int) -> str:
    return PRESET_COLOURS.get(arch, f"C{(len(PRESET_COLOURS) + k) % 10}")


def _two_params(problem: Problem) -> tuple[str, str]:
    if problem.n_params != 2:
        raise ValueError(f"this figure needs a 2-parameter problem; {problem.name!r} has {problem.n_params}")
    return problem.param_names


def _grid(extent, resolution: int):
    x0, x1, y0, y1 = extent
    w1 = np.linspace(x0, x1, resolution)
    w2 = np.linspace(y0, y1, resolution)
    W1, W2 = np.meshgrid(w1, w2)
    return w1, w2, np.stack([W1, W2], axis=-1)


def _auto_extent(*point_sets) -> tuple[float, float, float, float]:
    """A square frame around the origin holding every point, padded."""
    half = MIN_HALF_WIDTH
    for pts in point_sets:
        pts = np.asarray(pts, dtype=float).reshape(-1, 2)
        finite = pts[np.all(np.isfinite(pts), axis=1)]
        if finite.size:
            half = max(half, FRAME_PAD * float(np.abs(finite).max()))
    return (-half, half, -half, half)


def _pretty_limit(limit: str) -> str:
    text = re.sub(r"\s*(->|→)\s*", " → ", limit)
    text = re.sub(r"\s*,\s*", ", ", text)
    text = re.sub(r"\b(inf|oo)\b", "∞", text)
    return text.replace("-∞", "−∞")


_VALUE = r"[+-]?\s*(?:inf|oo|∞|[0-9.]+(?:[eE][+-]?\d+)?)"


def limit_direction(limit: str, names: Sequence[str]) -> np.ndarray:
    """Unit direction of a limit such as "W1->+inf", "W1,W2->-inf" or "(W1, W2) -> (-inf, 0.7)"."""
    name = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    lhs = rf"\(?\s*((?:{name})(?:\s*,\s*(?:{name}))*)\s*\)?"
    rhs = rf"\(?\s*({_VALUE}(?:\s*,\s*{_VALUE})*)\s*\)?"
    d = np.zeros(len(names))
    for m in re.finditer(rf"{lhs}\s*(?:->|→)\s*{rhs}", limit):
        targets = [t.strip() for t in m.group(1).split(",")]
        values = [v.replace(" ", "") for v in m.group(2).split(",")]
        if len(values) == 1:
            values = values * len(targets)
        for t, v in zip(targets, values):
            if re.fullmatch(r"[+-]?(inf|oo|∞)", v):
                d[list(names).index(t)] = -1.0 if v.startswith("-") else 1.0
    if not d.any():
        raise ValueError(
            f"no parameter tends to +-inf in the limit {limit!r} (parameters: {', '.join(names)})"
        )
    return d / np.linalg.norm(d)


# Drawing order on the landscape: arrows under the trajectory, its markers above everything.
Z_ARROW, Z_TRAJECTORY, Z_LABEL, Z_MARKER = 3.0, 4.0, 5.0, 6.0


def _draw_valley(ax, valley: Mapping, names, extent, colour: str):
    """An arrow toward the valley's limit, ending just inside the frame, labelled at its tail."""
    x0, x1, y0, y1 = extent
    span = np.array([x1 - x0, y1 - y0])
    lo, hi = np.array([x0, y0]), np.array([x1, y1])
    d = limit_direction(valley["limit"], names)
    w = np.asarray(valley.get("weights", (0.0, 0.0)), dtype=float)[:2]
    w = np.where(np.isfinite(w), w, np.sign(np.nan_to_num(w)) * span.max())
    # Coordinates that do not diverge stay where the valley is; diverging ones run to the edge.
    inner_lo, inner_hi = lo + 0.25 * span, hi - 0.25 * span
    anchor = np.clip(w, inner_lo, inner_hi)
    edge_lo, edge_hi = lo + 0.03 * span, hi - 0.03 * span
    steps = [((edge_hi[i] if d[i] > 0 else edge_lo[i]) - anchor[i]) / d[i] for i in range(2) if d[i] != 0]
    head = anchor + d * min(steps)
    tail = head - d * 0.22 * span
    # The label sits at the arrow's tail, up and back from it: toward the frame's inside, and
    # off the arrow's line (which the trajectory may follow).
    n = np.array([-d[1], d[0]])
    if n[1] < 0 or (n[1] == 0 and n[0] > 0):
        n = -n
    n = (n - d) / np.linalg.norm(n - d)
    label = f"{_pretty_limit(valley['limit'])}\nL → {float(valley['loss']):.4g}"
    ha = "left" if n[0] > 0.3 else ("right" if n[0] < -0.3 else "center")
    va = "bottom" if n[1] > 0.3 else ("top" if n[1] < -0.3 else "center")
    ax.annotate(
        "",
        xy=tuple(head),
        xytext=tuple(tail),
        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2.2, "mutation_scale": 16},
        zorder=Z_ARROW,
    )
    return ax.annotate(
        label,
        xy=tuple(tail),
        xytext=tuple(4 * n),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=8.5,
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "alpha": 0.9},
        zorder=Z_LABEL,
    )


def _label_boxes(fig, labels):
    """Display-space boxes of annotation labels, with their rounded frame."""
    renderer = fig.canvas.get_renderer()
    # Only the layout moves a label (with its axes): running the engine is enough, no whole draw.
    if fig.get_layout_engine() is not None:
        fig.get_layout_engine().execute(fig)
    pad = 3.0 * fig.dpi / 72
    return [a.get_window_extent(renderer).padded(pad) for a in labels]


def _separate_labels(fig, ax, labels, *, max_rounds: int = 40) -> None:
    """Move labels apart vertically (in offset points) until no two frames overlap.

    Of two overlapping labels the later one moves, away from the other, by the overlap plus a gap;
    a move that would push it out of the axes goes the other way.
    """
    gap = 3.0
    for _ in range(max_rounds):
        boxes = _label_boxes(fig, labels)
        moved = False
        for j in range(len(labels)):
            for i in range(j):
                a, b = boxes[i], boxes[j]
                if not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1):
                    continue
                up = (a.y1 - b.y0) * 72 / fig.dpi + gap
                down = (b.y1 - a.y0) * 72 / fig.dpi + gap
                frame = ax.bbox
                dy = up if b.y1 + up * fig.dpi / 72 <= frame.y1 else -down
                if b.y1 > a.y1 and b.y0 - down * fig.dpi / 72 < frame.y0:
                    dy = up
                ox, oy = labels[j].xyann
                labels[j].xyann = (ox, oy + dy)
                moved = True
                break
            if moved:
                break
        if not moved:
            return


def labels_overlap(fig, labels) -> list[tuple[int, int]]:
    """Index pairs of annotation labels whose frames overlap (empty when all are apart)."""
    boxes = _label_boxes(fig, labels)
    return [
        (i, j)
        for j in range(len(boxes))
        for i in range(j)
        if boxes[i].x0 < boxes[j].x1
        and boxes[j].x0 < boxes[i].x1
        and boxes[i].y0 < boxes[j].y1
        and boxes[j].y0 < boxes[i].y1
    ]


@_styled
def loss_landscape(
    problem: Problem,
    critical_points: Sequence[Mapping],
    trajectory,
    valleys: Sequence[Mapping],
    extent=None,
    *,
    resolution: int = 241,
    trajectory_label: str = "seed's training trajectory",
    run_steps: int | None = None,
) -> Figure:
    """L over (W1, W2) on a log colour scale, with critical points, a trajectory and valley arrows.

    ``critical_points``: dicts {weights, loss, eigenvalues, kind}; ``trajectory``: (n, 2) weights;
    ``valleys``: dicts {limit ("W1->+inf"), weights, loss}; ``extent``: (W1 min, max, W2 min, max),
    by default a square around the origin holding the trajectory and critical points.
    ``run_steps``: the trajectory's first ``run_steps`` steps are the run itself (solid, its end
    marked); the rest is the same loop continued (dotted), so the legend counts each truthfully.
    """
    names = _two_params(problem)
    traj = np.asarray(trajectory, dtype=float).reshape(-1, 2)
    crit = [np.asarray(c["weights"], dtype=float) for c in critical_points]
    extent = tuple(float(v) for v in (extent or _auto_extent(traj, *crit)))
    w1, w2, pts = _grid(extent, resolution)
    L = compiled(problem).loss(pts)
    lmin, lmax = float(L.min()), float(L.max())
    fig, ax = _new_figure()
    levels = np.geomspace(lmin, lmax, 25)
    cs = ax.contourf(w1, w2, L, levels=levels, norm=LogNorm(lmin, lmax), cmap="viridis")
    ax.contour(w1, w2, L, levels=levels[::3], colors="black", linewidths=0.4, alpha=0.35)
    cbar = fig.colorbar(cs, ax=ax, ticks=np.geomspace(lmin, lmax, 6), format="%.3g")
    cbar.minorticks_off()
    cbar.set_label(f"loss L (log colour scale; grid min {lmin:.4g}, max {lmax:.4g})")

    total = len(traj) - 1
    run = total if run_steps is None else min(int(run_steps), total)
    ax.plot(
        traj[: run + 1, 0],
        traj[: run + 1, 1],
        color="red",
        lw=2,
        label=f"{trajectory_label} ({run:,} steps)",
        zorder=Z_TRAJECTORY,
    )
    if run < total:
        ax.plot(
            traj[run:, 0],
            traj[run:, 1],
            color="red",
            lw=1.6,
            ls=(0, (1.0, 1.5)),
            label=f"the same loop continued to {total:,} steps",
            zorder=Z_TRAJECTORY,
        )
    ax.plot(
        *traj[0], "o", color="red", mec="white", ms=7, ls="none", label="trajectory start", zorder=Z_MARKER
    )
    ax.plot(
        *traj[run],
        ">",
        color="red",
        mec="white",
        mew=1.2,
        ms=10,
        ls="none",
        label=f"after {run:,} steps",
        zorder=Z_MARKER,
    )
    if run < total:
        ax.plot(
            *traj[-1],
            ">",
            color="white",
            mec="red",
            mew=1.4,
            ms=9,
            ls="none",
            label=f"after {total:,} steps",
            zorder=Z_MARKER,
        )
    for c, w in zip(critical_points, crit):
        eig = ", ".join(f"{float(e):.3g}" for e in c.get("eigenvalues", ()))
        ax.plot(
            *w[:2],
            "X",
            ms=12,
            color="white",
            mec="black",
            ls="none",
            label=f"{c['kind']} ({w[0]:.3g}, {w[1]:.3g}): L = {float(c['loss']):.4g}, Hessian eig. {eig}",
        )
    labels = [
        _draw_valley(ax, v, names, extent, colour=("orange", "magenta", "cyan", "yellow")[k % 4])
        for k, v in enumerate(valleys)
    ]
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"Loss landscape of '{problem.name}': critical points, training, valleys")
    fig.legend(loc="outside lower center", ncols=2)
    _separate_labels(fig, ax, labels)  # after the layout is complete: positions are final
    return fig


@_styled
def loss_slice(
    problem: Problem,
    centre,
    params: tuple[int, int],
    *,
    trajectory=None,
    half_width: float | None = None,
    resolution: int = 161,
) -> Figure:
    """L over two parameters ``params`` (indices), every other parameter held at ``centre``, on a
    log colour scale, with ``centre`` marked and ``trajectory`` (n, n_params) drawn projected onto
    the two parameters. The square frame holds the projected trajectory (at least
    ``MIN_HALF_WIDTH`` around the centre unless ``half_width`` is given)."""
    centre = np.asarray(centre, dtype=float)
    if centre.shape != (problem.n_params,):
        raise ValueError(f"centre: expected {problem.n_params} values, got shape {centre.shape}")
    i, j = (int(k) for k in params)
    if not (0 <= i < problem.n_params and 0 <= j < problem.n_params and i != j):
        raise ValueError(
            f"params: expected two different indices in 0..{problem.n_params - 1}, got {params!r}"
        )
    names = problem.param_names
    c = centre[[i, j]]
    traj = None if trajectory is None else np.asarray(trajectory, dtype=float).reshape(-1, problem.n_params)
    if half_width is None:
        half_width = MIN_HALF_WIDTH
        if traj is not None:
            half_width = max(half_width, FRAME_PAD * float(np.max(np.abs(traj[:, [i, j]] - c))))
    extent = (c[0] - half_width, c[0] + half_width, c[1] - half_width, c[1] + half_width)
    xs, ys, grid2 = _grid(extent, resolution)
    pts = np.broadcast_to(centre, grid2.shape[:2] + (problem.n_params,)).copy()
    pts[..., i], pts[..., j] = grid2[..., 0], grid2[..., 1]
    L = compiled(problem).loss(pts)
    lmin, lmax = float(L.min()), float(L.max())
    fig, ax = _new_figure()
    if lmax > lmin > 0:
        levels = np.geomspace(lmin, lmax, 25)
        cs = ax.contourf(xs, ys, L, levels=levels, norm=LogNorm(lmin, lmax), cmap="viridis")
        ticks = np.geomspace(lmin, lmax, 6)
        scale = "log colour scale"
    else:  # a flat slice, or one touching 0: a log scale cannot show it
        levels = np.linspace(lmin, lmax if lmax > lmin else lmin + 1.0, 25)
        cs = ax.contourf(xs, ys, L, levels=levels, cmap="viridis")
        ticks = np.linspace(levels[0], levels[-1], 6)
        scale = "linear colour scale"
    ax.contour(xs, ys, L, levels=levels[::3], colors="black", linewidths=0.4, alpha=0.35)
    cbar = fig.colorbar(cs, ax=ax, ticks=ticks, format="%.3g")
    cbar.minorticks_off()
    cbar.set_label(f"loss L ({scale}; grid min {lmin:.4g}, max {lmax:.4g})")
    if traj is not None:
        ax.plot(
            traj[:, i],
            traj[:, j],
            color="red",
            lw=2,
            label=f"training trajectory, projected ({len(traj) - 1:,} steps)",
            zorder=Z_TRAJECTORY,
        )
        ax.plot(
            *traj[0, [i, j]], "o", color="red", mec="white", ms=7, ls="none", label="start", zorder=Z_MARKER
        )
    ax.plot(
        *c,
        "X",
        ms=12,
        color="white",
        mec="black",
        ls="none",
        label=f"the slice's centre: L = {float(compiled(problem).loss(centre)):.4g}",
        zorder=Z_MARKER,
    )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    ax.set_title(f"Loss of '{problem.name}' over ({names[i]}, {names[j]}), the other parameters fixed")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def _sample_index(problem: Problem, x: float) -> int:
    for i, row in enumerate(problem.data.inputs):
        if row == (x,):
            return i
    raise ValueError(f"problem {problem.name!r} has no sample with input {x}")


@_styled
def output_map(problem: Problem, extent=(-8.0, 8.0, -8.0, 8.0), *, resolution: int = 240) -> Figure:
    """z(1) over (W1, W2), its z = 1/2 contour, and the half-plane W2 < 0 where z(1) < 1/2."""
    names = _two_params(problem)
    w1, w2, pts = _grid(extent, resolution)
    z1 = backprop.forward(problem, pts)[..., _sample_index(problem, 1.0), 0]
    fig, ax = _new_figure()
    cs = ax.contourf(w1, w2, z1, levels=np.linspace(0.0, 1.0, 21), cmap="RdBu_r", vmin=0.0, vmax=1.0)
    cbar = fig.colorbar(cs, ax=ax, ticks=np.linspace(0.0, 1.0, 6))
    cbar.set_label("network output z(1) at input x = 1 (target 1)")
    ax.contour(w1, w2, z1, levels=[0.5], colors="black", linewidths=2.2)
    ax.axhspan(extent[2], 0.0, facecolor="none", edgecolor="0.15", hatch="//", lw=0)
    below = z1[pts[..., 1] < 0]
    ax.text(
        0.5,
        0.2,
        "$W_2 < 0 \\;\\Rightarrow\\; z(1) < \\frac{1}{2}$\n"
        f"(largest z(1) on this grid with W2 < 0: {below.max():.6f})",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "black", "alpha": 0.92},
    )
    handles = [
        Line2D([], [], color="black", lw=2.2, label="z(1) = ½ (contour of the computed grid)"),
        Patch(facecolor="none", edgecolor="0.15", hatch="//", label="half-plane W2 < 0"),
    ]
    ax.legend(handles=handles, loc="upper left")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"Output for x = 1 of '{problem.name}': the user's bound")
    return fig


@_styled
def basin_figure(
    w1_axis,
    w2_axis,
    labels,
    label_names: Sequence[str],
    saddle=None,
    direction=None,
    *,
    axis_names: Sequence[str] = ("W1", "W2"),
    title: str = "Basins: which valley gradient descent reaches from each start",
    label_losses: Sequence[float] | None = None,
) -> Figure:
    """Categorical map of ``labels[i, j]`` (the valley reached from (w1_axis[j], w2_axis[i])).

    With ``saddle`` and ``direction``, the separatrix direction is drawn as a line through it.
    With ``label_losses`` (the limit of L in each valley) the legend gives each valley's floor and
    marks the lowest one.
    """
    w1_axis = np.asarray(w1_axis, dtype=float)
    w2_axis = np.asarray(w2_axis, dtype=float)
    labels = np.asarray(labels)
    k = len(label_names)
    if labels.shape != (len(w2_axis), len(w1_axis)):
        raise ValueError(f"labels have shape {labels.shape}, expected {(len(w2_axis), len(w1_axis))}")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in 0..{k - 1}, one per entry of label_names")
    palette = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
    colours = [palette[i % len(palette)] for i in range(k)]
    fig, ax = _new_figure()
    ax.pcolormesh(
        w1_axis,
        w2_axis,
        labels,
        cmap=ListedColormap(colours),
        norm=BoundaryNorm(np.arange(-0.5, k + 0.5), k),
        shading="nearest",
        rasterized=True,
    )
    if label_losses is not None and len(label_losses) != k:
        raise ValueError(f"label_losses needs one loss per label ({k}), got {len(label_losses)}")
    lowest = None if label_losses is None else min(float(v) for v in label_losses)

    def describe(i: int, name: str) -> str:
        share = f"{np.mean(labels == i):.1%} of starts"
        if label_losses is None:
            return f"{_pretty_limit(name)} ({share})"
        floor = float(label_losses[i])
        rank = "lowest valley, " if math.isclose(floor, lowest, rel_tol=FIG_SAME_FLOOR_RTOL) else ""
        return f"{_pretty_limit(name)}: {rank}L → {floor:.4g} ({share})"

    handles = [
        Patch(facecolor=c, label=describe(i, name)) for i, (name, c) in enumerate(zip(label_names, colours))
    ]
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    if saddle is not None:
        s = np.asarray(saddle, dtype=float)[:2]
        if direction is not None:
            d = np.asarray(direction, dtype=float)[:2]
            d = d / np.linalg.norm(d)
            t = 2.0 * np.hypot(x1 - x0, y1 - y0)
            (line,) = ax.plot(
                [s[0] - t * d[0], s[0] + t * d[0]],
                [s[1] - t * d[1], s[1] + t * d[1]],
                color="black",
                ls="--",
                lw=1.8,
                label=f"separatrix direction ({d[0]:.3g}, {d[1]:.3g}) at the saddle",
            )
            handles.append(line)
        (pt,) = ax.plot(
            *s, "X", ms=12, color="white", mec="black", ls="none", label=f"saddle ({s[0]:.3g}, {s[1]:.3g})"
        )
        handles.append(pt)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(f"start {axis_names[0]}")
    ax.set_ylabel(f"start {axis_names[1]}")
    ax.set_title(title)
    _figure_legend(fig, handles)
    return fig


def _same_value_groups(values: Mapping[str, float | None]) -> dict[str, list[str]]:
    """Names grouped by equal value (to 12 significant digits), in first-seen order; None left out."""
    groups: dict[str, list[str]] = {}
    for name, v in values.items():
        if v is not None:
            groups.setdefault(f"{float(v):.12g}", []).append(name)
    return groups


#: Infimum lines sit under the curves, thin and grey: a curve running along one stays visible.
INFIMUM_STYLE = {"color": "0.2", "ls": (0, (2.0, 2.5)), "lw": 1.0, "zorder": 1.5}


@_styled
def training_curves(runs: Mapping, infima: Mapping[str, float | None], *, title: str | None = None) -> Figure:
    """Loss per iteration (log scale) of each run, the proved infima beneath the curves (one line
    per distinct value, naming the runs it belongs to), and below it the gap L - infimum, where a
    curve that approaches its infimum stays distinguishable from one that stalls above it.

    ``infima[name]`` may be None (nothing proved): that run gets no line and no gap.
    """
    known = {a: infima.get(a) for a in runs}
    with_gap = any(v is not None for v in known.values())
    fig = Figure(figsize=(FIGSIZE[0], FIGSIZE[1] * (1.45 if with_gap else 1.0)), layout="constrained")
    FigureCanvasAgg(fig)
    ax, gx = fig.subplots(2, 1, height_ratios=(1.2, 1.0)) if with_gap else (fig.add_subplot(), None)
    for key, names in _same_value_groups(known).items():
        v = float(key)
        if v > 0:
            ax.axhline(v, **INFIMUM_STYLE, label=f"proved infimum {v:.4g} ({', '.join(names)})")
    for k, (arch, result) in enumerate(runs.items()):
        c = _colour(arch, k)
        loss = -np.asarray(result.errors, dtype=float)
        steps = np.arange(1, len(loss) + 1)
        inf = known[arch]
        note = " (infimum 0, below any log axis)" if inf is not None and float(inf) == 0 else ""
        ax.plot(steps, loss, color=c, lw=1.8, zorder=3, label=f"{arch}: final L = {result.loss:.3g}{note}")
        if gx is not None and inf is not None:
            gap = loss - float(inf)
            shown = gap > 0
            hidden = "" if shown.all() else f"; {int(np.sum(~shown))} steps at or below it, not drawn"
            gx.plot(
                steps[shown],
                gap[shown],
                color=c,
                lw=1.8,
                label=f"{arch}: L − {float(inf):.4g}{hidden}",
            )
    for a in (ax,) if gx is None else (ax, gx):
        a.set_yscale("log")
        a.set_xlabel("iteration")
    ax.set_ylabel("loss L before the step (log scale)")
    inits = {tuple(round(float(v), 4) for v in r.init[:2]) for r in runs.values()}
    start = f" from (W1, W2) = {next(iter(inits))}" if len(inits) == 1 else ""
    ax.set_title(title or f"Gradient descent on each preset{start}")
    if gx is not None:
        gx.set_ylabel("L − proved infimum (log scale)")
        gx.set_title("Gap to the proved infimum: approaching it, or stalled above it (colours as above)")
    _figure_legend(fig, ax.get_legend_handles_labels()[0])
    return fig


#: Sideways offset (log B units) between neighbouring series in the box-trend figure.
BOX_DODGE = 0.035
#: Marker per preset in the box-trend figure: series with equal values stay distinguishable.
PRESET_MARKERS = {
    "none": ("o", 6.0, True),
    "hidden": ("s", 10.0, False),
    "output": ("^", 6.5, True),
    "both": ("D", 5.0, True),
}


def _preset_marker(arch: str, k: int) -> tuple[str, float, bool]:
    """(marker, size, filled) for a preset: a small filled one over a larger hollow one."""
    return PRESET_MARKERS.get(arch, (("D", "v", "P", "*")[k % 4], 6.0, True))


def _hp(value):
    """A loss as an mpmath number: decimal strings (``Run.loss_mp``) keep all their digits."""
    if isinstance(value, str):
        with mpmath.workdps(max(30, len(value) + 10)):
            return mpmath.mpf(value)
    return mpmath.mpf(value)


def _box_series(pairs, inf: float):
    """(B, best as float, best - inf as float or nan) per row; rows are (B, best) or (B, best, gap)."""
    B, best, gap = [], [], []
    for row in pairs:
        b, v = float(row[0]), row[1]
        B.append(b)
        with mpmath.workdps(max(30, len(v) + 10) if isinstance(v, str) else 30):
            hp = _hp(v)
            best.append(float(hp))
            g = float(row[2]) if len(row) > 2 else float(hp - mpmath.mpf(inf))
        gap.append(g if g > 0 else np.nan)
    return np.array(B), np.array(best), np.array(gap)


@_styled
def box_trend(
    rows: Mapping[str, Sequence], infima: Mapping[str, float | None], *, title: str | None = None
) -> Figure:
    """Best loss with weights confined to [-B, B] against B (log-log) with the proved infima, and
    below it the gap best - infimum (log scale) for the presets whose infimum is above 0.

    ``rows[arch]``: (B, best) pairs, or (B, best, gap) triples. ``best`` may be a decimal string
    (``Run.loss_mp``): the gap is then taken at its full precision; from a float ``best`` a gap below
    float resolution of the infimum cannot be drawn (it is counted in the legend instead). Without
    any drawable gap the lower panel is left out. ``infima[arch]`` None: nothing proved, no line.
    Series are offset sideways by a few percent of B (said on the axis) so equal values stay visible.
    """
    known = {arch: infima.get(arch) for arch in rows}
    series = {}
    for arch, pairs in rows.items():
        inf = known[arch]
        B, best, gap = _box_series(pairs, 0.0 if inf is None else float(inf))
        series[arch] = (
            float("nan") if inf is None else float(inf),
            B,
            best,
            gap if inf is not None else gap * np.nan,
        )
    with_gap = any(inf > 0 and np.isfinite(gap).any() for inf, _, _, gap in series.values())
    if with_gap:
        fig = Figure(figsize=(FIGSIZE[0], FIGSIZE[1] * 1.45), layout="constrained")
        FigureCanvasAgg(fig)
        ax, gx = fig.subplots(2, 1, height_ratios=(1.25, 1.0))
    else:
        fig, ax = _new_figure()
        gx = None
    handles, tops = [], []
    for key, names in _same_value_groups(known).items():
        if float(key) > 0:
            handles.append(
                ax.axhline(
                    float(key), **INFIMUM_STYLE, label=f"proved infimum {float(key):.4g} ({', '.join(names)})"
                )
            )
            tops.append(float(key))
    n_series = len(series)
    for k, (arch, (inf, B0, best, gap)) in enumerate(series.items()):
        B = B0 * np.exp(BOX_DODGE * (k - (n_series - 1) / 2))
        c = _colour(arch, k)
        marker, ms, filled = _preset_marker(arch, k)
        mstyle = {"marker": marker, "ms": ms, "mec": c, "mfc": c if filled else "none", "mew": 1.6}
        tops.append(float(np.max(best)))
        note = " (infimum 0)" if inf == 0 else ""
        (line,) = ax.plot(
            B, best, "-", color=c, lw=1.6, zorder=3, label=f"{arch}: best loss on the box{note}", **mstyle
        )
        handles.append(line)
        if inf > 0:
            shown = np.isfinite(gap)
            if gx is not None and shown.any():
                n_hidden = int(np.sum(~shown))
                extra = f" ({n_hidden} below float resolution, not drawn)" if n_hidden else ""
                gx.plot(
                    B[shown],
                    gap[shown],
                    "-",
                    color=c,
                    lw=1.6,
                    label=f"{arch}: best − {inf:.4g}{extra}",
                    **mstyle,
                )
    ax.set_yscale("log")
    # Headroom above the highest series or infimum line: nothing pressed against the frame.
    lo, hi = ax.get_ylim()
    top = max(tops)
    ax.set_ylim(lo, max(hi, top * (top / lo) ** 0.08))
    sizes = sorted({float(row[0]) for pairs in rows.values() for row in pairs})
    for a in (ax,) if gx is None else (ax, gx):
        a.set_xscale("log")
        if len(sizes) <= 12:  # label the box sizes actually tried rather than bare decades
            a.set_xticks(sizes, [f"{b:g}" for b in sizes])
            a.xaxis.set_minor_formatter(NullFormatter())
        a.set_xlabel(
            "box half-width B (every weight in [−B, B])\n"
            f"series offset sideways by up to ±{100 * (np.exp(BOX_DODGE * (n_series - 1) / 2) - 1):.0f}% "
            "so that equal values stay visible"
            if n_series > 1
            else "box half-width B (every weight in [−B, B])"
        )
    ax.set_ylabel("best loss found on the box (log scale)")
    ax.set_title(title or "Best box-constrained loss against the box size")
    if gx is not None:
        gx.set_yscale("log")
        gx.set_ylabel("best − proved infimum (log scale)")
        gx.set_title("Gap to the proved infimum (presets with infimum > 0)")
        gx.legend(loc="upper right")
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    return fig


def _display_errors(e: np.ndarray) -> np.ndarray:
    """Shares as drawn: exact zeros on their own row, tiny ones clipped to the clip level."""
    out = np.where(e < FIG_ERROR_CLIP, FIG_ERROR_CLIP, e)
    return np.where(e == 0, FIG_ZERO_ROW, out)


def _allowed_share(problem: Problem, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per component, each error as a share of what its check allows (pass <= 1), exactly as
    ``gradcheck`` judges it: backprop against the compiled gradient (the exact one where they
    disagree), finite differences against backprop at moderate weights only."""
    ref = compiled(problem).gradient(pts)
    analytic = backprop.gradient(problem, pts)
    far = np.abs(analytic - ref) > GRAD_ATOL + GRAD_RTOL * np.abs(ref)
    for i in np.flatnonzero(far.any(axis=1)):
        ref[i] = exact_gradient(problem, pts[i])
    share = np.abs(analytic - ref) / (GRAD_ATOL + GRAD_RTOL * np.abs(ref))
    moderate = np.all(np.abs(pts) <= FD_MAX_ABS_WEIGHT, axis=1)
    fd = finite_differences(problem, pts[moderate])
    fd_share = np.abs(analytic[moderate] - fd) / (FD_ATOL + FD_RTOL * np.abs(fd))
    return share.ravel(), fd_share.ravel()


@_styled
def gradcheck_errors(problems: Sequence[Problem], n_points: int = 200, *, seed: int = 0) -> Figure:
    """Per gradient component, the backprop error and the finite-difference disagreement, each as a
    share of the error its check allows (atol + rtol |g|): a point above 1 fails the check.

    Points come from ``sample_points`` (extremes included), less those ``ill_conditioned`` marks;
    finite differences are only evaluated where every |w| <= FD_MAX_ABS_WEIGHT, as ``gradcheck`` does.
    """
    rng = np.random.default_rng(seed)
    fig, ax = _new_figure()
    methods = [
        (
            "C0",
            "o",
            -0.2,
            f"backprop vs exact gradient, allowed {GRAD_ATOL:g} + {GRAD_RTOL:g}·|g| (all points)",
        ),
        (
            "C3",
            "s",
            0.2,
            f"finite differences vs backprop, allowed {FD_ATOL:g} + {FD_RTOL:g}·|g| "
            f"(points with all |w| ≤ {FD_MAX_ABS_WEIGHT:g})",
        ),
    ]
    top = 1.0
    nonfinite = 0
    for i, p in enumerate(problems):
        pts = sample_points(p, n_points, seed)
        pts = pts[~ill_conditioned(p, pts)]  # gradcheck does not compare these either (float cancellation)
        for (colour, marker, offset, label), e in zip(methods, _allowed_share(p, pts)):
            bad = ~np.isfinite(e)
            nonfinite += int(bad.sum())
            e = e[~bad]
            top = max(top, float(e.max(initial=0.0)))
            x = i + offset + rng.uniform(-0.12, 0.12, e.size)
            ax.scatter(
                x,
                _display_errors(e),
                s=10,
                color=colour,
                marker=marker,
                alpha=0.5,
                lw=0,
                label=label if i == 0 else None,
            )
            zeros = int(np.sum(e == 0))
            ax.text(
                i + offset, FIG_ZERO_ROW / 4, f"{zeros}/{e.size}\nexact", ha="center", va="top", fontsize=7.5
            )
    ax.axhline(1.0, color="black", ls="--", lw=1.3, label="the check's limit: a point above it fails")
    ax.axhline(np.sqrt(FIG_ZERO_ROW * FIG_ERROR_CLIP), color="0.5", lw=0.8, ls=":")
    ax.set_yscale("log")
    bottom = FIG_ZERO_ROW / 1e3
    ax.set_ylim(bottom, top * 30)
    decades = np.arange(np.log10(FIG_ERROR_CLIP) + 2, np.log10(top * 30), 2)
    ticks = [FIG_ZERO_ROW, FIG_ERROR_CLIP, *(10.0**decades)]
    ax.set_yticks(ticks, ["exact 0", f"≤ {FIG_ERROR_CLIP:g}", *(f"$10^{{{int(d)}}}$" for d in decades)])
    ax.minorticks_off()
    ax.set_xticks(range(len(problems)), [p.name for p in problems])
    ax.set_xlim(-0.6, len(problems) - 0.4)
    ax.set_xlabel("problem")
    ax.set_ylabel("error / error the check allows")
    extra = f"; {nonfinite} non-finite errors not drawn" if nonfinite else ""
    ax.set_title(f"Gradient check on {n_points} points per problem{extra}")
    fig.legend(loc="outside lower center", ncols=1)
    return fig


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar")


def _ticks_out_of_view(fig: Figure) -> set[int]:
    """Ids of tick labels outside their axis' view interval: matplotlib keeps but never draws them."""
    out = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if loc is None or not lo <= loc <= hi:
                    out.update({id(tick.label1), id(tick.label2)})
    return out


def _layout_problems(fig: Figure) -> list[str]:
    """What :func:`figure_problems` finds without drawing: layout engine, titles, labels, legends."""
    problems = []
    if fig.get_layout_engine() is None or isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        problems.append("figure does not use a layout engine (constrained layout expected)")
    has_suptitle = fig._suptitle is not None and fig._suptitle.get_text().strip()
    has_fig_legend = bool(fig.legends)
    axes = [ax for ax in fig.axes if not _is_colorbar(ax)]
    if not axes:
        problems.append("figure has no axes")
    for n, ax in enumerate(axes):
        where = f"axes {n}"
        if not (has_suptitle or any(ax.get_title(loc).strip() for loc in ("center", "left", "right"))):
            problems.append(f"{where} has no title")
        if not ax.get_xlabel().strip():
            problems.append(f"{where} has no x-axis label")
        if not ax.get_ylabel().strip():
            problems.append(f"{where} has no y-axis label")
        labelled = [lbl for lbl in ax.get_legend_handles_labels()[1] if not lbl.startswith("_")]
        if labelled and ax.get_legend() is None and not has_fig_legend:
            problems.append(f"{where} has labelled artists ({labelled[0]!r}, ...) but no legend")
        if not (ax.has_data() or ax.images or ax.collections):
            problems.append(f"{where} is empty")
    for ax in fig.axes:
        if _is_colorbar(ax) and not (ax.get_ylabel().strip() or ax.get_xlabel().strip()):
            problems.append("colour bar has no label")
    return problems


#: How far (inches) a text may overhang the figure or its axes: one pixel at 100 dpi.
TEXT_SLACK_IN = 0.01


def _text_problems(fig: Figure) -> list[str]:
    """Tiny texts, and texts cut off by the figure edge or spilling out of their axes, measured as
    ``fig`` was last drawn, on its Agg canvas at ``fig.dpi``."""
    renderer = fig.canvas.get_renderer()
    slack = TEXT_SLACK_IN * fig.dpi

    def outside(t, box) -> bool:
        ext = t.get_window_extent(renderer)
        return (
            ext.x0 < box.x0 - slack
            or ext.y0 < box.y0 - slack
            or ext.x1 > box.x1 + slack
            or ext.y1 > box.y1 + slack
        )

    problems = []
    hidden = _ticks_out_of_view(fig)
    for t in fig.findobj(Text):
        if not (t.get_visible() and t.get_text().strip()) or t.figure is None or id(t) in hidden:
            continue
        if t.get_fontsize() < FIG_MIN_FONT_PT:
            problems.append(f"text {t.get_text()!r} is {t.get_fontsize():g} pt (< {FIG_MIN_FONT_PT:g} pt)")
        if outside(t, fig.bbox):
            problems.append(f"text {t.get_text()!r} is cut off at the figure edge")
    for ax in fig.axes:
        if _is_colorbar(ax):
            continue
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip() and outside(t, ax.bbox):
                problems.append(f"annotation {t.get_text()!r} spills out of its axes")
    return problems


def figure_problems(fig: Figure) -> list[str]:
    """Everything :func:`check_figure` objects to, as readable strings (empty if the figure is fine)."""
    problems = _layout_problems(fig)
    with mpl.rc_context(STYLE):
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)
        fig.draw_without_rendering()
        return problems + _text_problems(fig)


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise ValueError("figure check failed: " + "; ".join(problems))


def check_figure(fig: Figure) -> Figure:
    """Raise ValueError listing every problem (missing title/labels/legend, clipped or tiny text)."""
    _raise_problems(figure_problems(fig))
    return fig


# set_layout_engine(None) must mean "no engine", whatever the rcParams.
_LAYOUT_OFF = {**STYLE, "figure.autolayout": False, "figure.constrained_layout.use": False}


@contextlib.contextmanager
def _laid_out(fig: Figure, dpi: float):
    """Inside the block ``fig`` is laid out for ``dpi`` on an Agg canvas, its layout engine off.

    ``savefig`` would lay the figure out in a whole draw of its own before each file; running only
    the engine, once for both files, saves those draws. It runs at the figure's own dpi, then at
    ``dpi``, as ``check_figure``'s draw and the PNG's layout draw did: constrained layout does not
    settle in one pass (a single pass moves the output map's colour bar), and the PNG stays the same
    file. The SVG, drawn at 72 dpi, takes this layout rather than one of its own: no draw more, and
    in the report's figures no axes edge moves by more than 1.5 pt.
    """
    canvas, own_dpi, engine = fig.canvas, fig.dpi, fig.get_layout_engine()
    with mpl.rc_context(_LAYOUT_OFF):
        try:
            if not isinstance(canvas, FigureCanvasAgg):
                FigureCanvasAgg(fig)
            if engine is not None:
                engine.execute(fig)
            fig.dpi = dpi
            if engine is not None:
                engine.execute(fig)
                fig.set_layout_engine(None)
            yield
        finally:
            fig.set_canvas(canvas)
            fig.dpi = own_dpi
            if engine is not None:
                fig.set_layout_engine(engine)


def _render(fig: Figure, fmt: str, dpi: float) -> bytes:
    buf = io.BytesIO()
    # PNG: no Software key (it names the matplotlib version); SVG: no Date, fixed Creator.
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": "canlearn"}
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


#: The files :func:`save_figure` writes, in order.
FORMATS = ("png", "svg")


def png_size(fig: Figure, dpi: float = PNG_DPI) -> tuple[int, int]:
    """(width, height) in pixels of the PNG :func:`save_figure` writes for ``fig`` at ``dpi``,
    known before the PNG is drawn: the canvas's size at ``dpi``, as Agg takes it."""
    own = fig.dpi
    try:
        fig.dpi = dpi
        return fig.canvas.get_width_height(physical=True)
    finally:
        fig.dpi = own


def _checked_formats(formats, check: bool) -> tuple[str, ...]:
    formats = tuple(formats)
    if not formats or set(formats) - set(FORMATS) or len(set(formats)) < len(formats):
        raise ValueError(f"formats must be distinct, from {FORMATS}; got {formats!r}")
    if check and "png" not in formats:
        raise ValueError("the figure check measures the PNG's draw: check=True needs 'png' in formats")
    return formats


def _write(out_dir, stem: str, rendered: dict[str, bytes]) -> list[Path]:
    paths = [Path(out_dir) / f"{stem}.{fmt}" for fmt in rendered]
    for path, data in zip(paths, rendered.values(), strict=True):
        atomic_write_bytes(path, data)
    return paths


def save_figure(
    fig: Figure, out_dir, stem: str, *, dpi: float = PNG_DPI, check: bool = True, formats=FORMATS
) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` (``formats``) into ``out_dir``, byte-identical on every run.

    With ``check``, the figure must pass :func:`check_figure`'s checks, its texts measured as the
    PNG drew them (so a check needs the PNG among ``formats``). Each file comes out the same
    whether it is written alone or with the other: both take one layout, made at ``dpi``. Every
    file is rendered in memory first, so a failed check or render leaves no file; each write is
    atomic.
    """
    return _save(fig, out_dir, stem, dpi, check, _checked_formats(formats, check), keep=False)[0]


@dataclass(frozen=True)
class LaidOut:
    """A figure as :func:`save_and_keep` laid it out, pickled: :meth:`save` draws more files from it
    as :func:`save_figure` would draw them from the figure, with no build and no layout of their own
    (the layout is most of a figure's cost). It crosses processes: one draws the PNG, another the SVG.
    """

    pickled: bytes
    dpi: float
    stem: str

    def save(self, out_dir, formats=("svg",)) -> list[Path]:
        """Write ``formats`` of the figure into ``out_dir``, unchecked: :func:`save_and_keep` checked
        the figure when it laid it out."""
        formats = _checked_formats(formats, check=False)
        fig = pickle.loads(self.pickled)
        with mpl.rc_context(_LAYOUT_OFF):
            FigureCanvasAgg(fig)
            fig.dpi = self.dpi
            rendered = {fmt: _render(fig, fmt, self.dpi) for fmt in formats}
        return _write(out_dir, self.stem, rendered)


def save_and_keep(
    fig: Figure, out_dir, stem: str, *, dpi: float = PNG_DPI, check: bool = True, formats=("png",)
) -> tuple[list[Path], LaidOut]:
    """:func:`save_figure`, also returning the figure as laid out, for :meth:`LaidOut.save` to draw
    the other files later (elsewhere) without laying it out again."""
    return _save(fig, out_dir, stem, dpi, check, _checked_formats(formats, check), keep=True)


def _save(fig: Figure, out_dir, stem: str, dpi: float, check: bool, formats, keep: bool):
    problems = _layout_problems(fig) if check else []
    rendered, kept = {}, None
    with _laid_out(fig, dpi):
        for fmt in sorted(formats, key=FORMATS.index):
            rendered[fmt] = _render(fig, fmt, dpi)
            if fmt == "png" and check:
                _raise_problems(problems + _text_problems(fig))
        if keep:
            kept = LaidOut(pickle.dumps(fig, protocol=pickle.HIGHEST_PROTOCOL), float(dpi), stem)
    return _write(out_dir, stem, {fmt: rendered[fmt] for fmt in formats}), kept
