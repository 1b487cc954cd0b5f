"""Atlas outputs: atlas.json, atlas.md, timings.json and two heatmaps, byte-deterministic.

Only ``timings.json`` holds machine-dependent numbers (seconds, workers, cache use); everything
else is a function of the grid and the settings.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..io import atomic_write_text, dumps
from .cell import SCHEMES

OPEN_HATCH = "////"
# Beyond this many rows a heatmap block drops its per-cell numbers (they would not be legible).
MAX_ANNOTATED_ROWS = 40


def _blocks(result) -> list[tuple[int, list[str], list[str], dict]]:
    """Cells grouped by input count (most inputs first): rows, columns, {(row, column): cell}."""
    blocks = []
    for n in sorted({c.n_inputs for c in result.cells}, reverse=True):
        cells = [c for c in result.cells if c.n_inputs == n]
        rows = list(dict.fromkeys(c.row for c in cells))
        cols = list(dict.fromkeys(c.column for c in cells))
        blocks.append((n, rows, cols, {(c.row, c.column): c for c in cells}))
    return blocks


def atlas_json(result) -> dict:
    """The deterministic content of atlas.json."""
    from .. import __version__

    cells = []
    for c in result.cells:
        d = c.to_json()
        d["result"] = None if c.result is None else c.result.deterministic_json()
        cells.append(d)
    return {
        "canlearn": __version__,
        "settings": result.settings.to_json(),
        "cells": cells,
        "counts": {
            "cells": len(result.cells),
            "closed": result.count("closed"),
            "open": result.count("open"),
            "failed": sum(1 for c in result.cells if c.result is None),
        },
        "checks": [ch.to_json() for ch in result.checks],
    }


def timings_json(result) -> dict:
    return {
        "seconds": result.seconds,
        "workers": result.workers,
        "computed": len(result.computed),
        "cached": len(result.cached),
        "rejected_cache_entries": len(result.rejected),
        "cells": [
            {
                "row": c.row,
                "column": c.column,
                "key": c.key,
                "seconds": None if c.result is None else c.result.seconds,
                "certify_seconds": None if c.result is None else c.result.certify_seconds,
                "cpu_seconds": None if c.result is None else c.result.cpu_seconds,
                "from_cache": c.key in set(result.cached),
            }
            for c in result.cells
        ],
    }


def _g(v: float, digits: int = 3) -> str:
    return f"{v:.{digits}g}"


def infimum_text(r) -> str:
    """inf L as shown in a table: the exact value when the bracket is closed, else the bracket."""
    if r.status == "closed":
        return r.lower if r.lower == r.upper else f"≈{_g(r.upper_value, 6)}"
    return f"open [{_g(r.lower_value)}, {_g(r.upper_value)}]"


def _share_text(s) -> str:
    if s.starts == 0:
        return "–"
    text = f"{s.hits / s.starts:.0%}"
    if s.undecided:
        text += f"–{(s.hits + s.undecided) / s.starts:.0%}"
    return text


def cell_text(c) -> str:
    if c.result is None:
        return "failed"
    r = c.result
    marks = "s" if r.separable is True else ""
    marks += "a" if r.attained is True else ""
    head = infimum_text(r) + (f" ({marks})" if marks else "")
    return head + " · " + " / ".join(_share_text(s) for s in r.gd)


def markdown(result) -> str:
    s = result.settings
    lines = [
        "# Learnability atlas",
        "",
        "Each cell: the certified infimum of L = ½ Σ (d − z)² over all real weights (an exact value when",
        "the bracket closed, else `open [lower, upper]`), `s` if the data are separable by thresholding",
        "at ½, `a` if the infimum is attained; then the share of gradient-descent starts that end",
        f"within {_g(s.success_gap)} of the infimum, {SCHEMES[0]} / {SCHEMES[1]} "
        f"({s.uniform_starts} / {s.normal_starts} starts, rate {_g(s.rate)}, {s.iterations} iterations).",
        f"A range means the bracket was too wide to decide every start. Certification: tol {_g(s.tol)},"
        f" at most {s.max_boxes} boxes and {_g(s.time_limit)} s per cell.",
        "",
    ]
    for n, rows, cols, by in _blocks(result):
        lines += [f"## Functions of {n} input{'s' if n > 1 else ''}", ""]
        lines.append("| function | " + " | ".join(cols) + " |")
        lines.append("| --- |" + " --- |" * len(cols))
        for row in rows:
            texts = [cell_text(by[(row, col)]) if (row, col) in by else "" for col in cols]
            lines.append(f"| {row} | " + " | ".join(texts) + " |")
        lines.append("")
    lines += [
        "## Every cell",
        "",
        "| function | network | lower | upper | status | attained | separable | boxes | stopped by | "
        + " | ".join(f"GD {sch}: hits/starts [{_pct('Wilson')}]" for sch in SCHEMES)
        + " | best GD loss |",
        "| --- |" + " --- |" * (9 + len(SCHEMES)),
    ]
    for c in result.cells:
        r = c.result
        if r is None:
            lines.append(f"| {c.row} | {c.column} | failed: {c.error} |" + " |" * (7 + len(SCHEMES)))
            continue
        gd = [
            f"{g.hits}/{g.starts}"
            + (f" (+{g.undecided}?)" if g.undecided else "")
            + f" [{g.low:.2f}, {g.high:.2f}]"
            for g in r.gd
        ]
        lines.append(
            f"| {c.row} | {c.column} | {r.lower} | {r.upper} | {r.status} | {_fmt(r.attained)} | "
            f"{_fmt(r.separable)} | {r.boxes} | {r.stopped or '–'} | "
            + " | ".join(gd)
            + f" | {_g(r.gd_best_loss, 6)} |"
        )
    lines += ["", "## Checks", ""]
    for ch in result.checks:
        verdict = "passed" if ch.passed else "FAILED: " + ", ".join(ch.failures)
        lines.append(f"- {ch.statement} ({ch.checked} cells): {verdict}")
    return "\n".join(lines) + "\n"


def _pct(name: str) -> str:
    from ..tolerances import BASIN_CONFIDENCE

    return f"{BASIN_CONFIDENCE:.0%} {name}"


def _fmt(v) -> str:
    return "unknown" if v is None else str(v).lower() if isinstance(v, bool) else str(v)


def summary_text(result) -> str:
    n = len(result.cells)
    failed = sum(1 for c in result.cells if c.result is None)
    head = f"atlas: {n} cells, {result.count('closed')} closed, {result.count('open')} open"
    if failed:
        head += f", {failed} failed"
    lines = [
        head + f"; {len(result.computed)} computed, {len(result.cached)} from cache, "
        f"{result.workers} workers, {result.seconds:.1f} s"
    ]
    for ch in result.checks:
        if not ch.passed:
            lines.append(f"  check {ch.name} FAILED: {', '.join(ch.failures)}")
    return "\n".join(lines)


def _heatmap(result, title: str, values, texts, hatched, colour_label: str, marks=None, vmax=None):
    """One heatmap figure: a panel per block (and per column of ``values``), open cells hatched."""
    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    from ..figures import STYLE

    blocks = _blocks(result)
    n_panels = len(values)
    with mpl.rc_context(STYLE):
        heights = [
            max(len(rows), 2) * (0.34 if len(rows) <= MAX_ANNOTATED_ROWS else 0.12)
            for _, rows, _, _ in blocks
        ]
        width = max(1.8 + 0.85 * max(len(cols) for _, _, cols, _ in blocks), 4.5) * n_panels + 1.0
        fig = Figure(figsize=(width, sum(heights) + 2.2), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(len(blocks), n_panels, squeeze=False, height_ratios=heights)
        norm = mpl.colors.Normalize(0.0, vmax if vmax is not None else 1.0)
        image = None
        for b, (n, rows, cols, by) in enumerate(blocks):
            for p, (panel_title, value) in enumerate(values):
                ax = axes[b][p]
                grid = np.full((len(rows), len(cols)), np.nan)
                for i, row in enumerate(rows):
                    for j, col in enumerate(cols):
                        c = by.get((row, col))
                        if c is not None and c.result is not None:
                            grid[i, j] = value(c.result)
                image = ax.imshow(np.ma.masked_invalid(grid), norm=norm, cmap="viridis", aspect="auto")
                annotate = len(rows) <= MAX_ANNOTATED_ROWS
                for i, row in enumerate(rows):
                    for j, col in enumerate(cols):
                        c = by.get((row, col))
                        if c is None:
                            continue
                        if c.result is None or hatched(c.result):
                            ax.add_patch(
                                Rectangle(
                                    (j - 0.5, i - 0.5), 1, 1, fill=False, hatch=OPEN_HATCH, lw=0, ec="0.4"
                                )
                            )
                        if annotate and c.result is not None:
                            v = grid[i, j]
                            colour = "white" if norm(v) < 0.6 else "black"
                            ax.text(
                                j, i, texts(c.result, p), ha="center", va="center", fontsize=7, color=colour
                            )
                        if marks is not None and c.result is not None and marks(c.result):
                            ax.plot(j + 0.36, i - 0.3, marker="o", ms=3.5, color="tab:red", ls="none")
                ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=8)
                ax.set_yticks(range(len(rows)), rows, fontsize=8 if annotate else 7)
                ax.set_xlabel("network")
                ax.set_ylabel("function")
                ax.set_title(f"{panel_title}{' — ' if panel_title else ''}{n} input{'s' if n > 1 else ''}")
        handles = [
            Patch(facecolor="white", edgecolor="0.4", hatch=OPEN_HATCH, label="open (bracket not closed)")
        ]
        if marks is not None:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], marker="o", ms=4, color="tab:red", ls="none", label="separable"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label=colour_label)
        fig.suptitle(title)
    return fig


def infimum_figure(result):
    """inf L per cell (the bracket's midpoint when open, hatched), separable cells marked."""
    finite = [
        c.result.upper_value
        for c in result.cells
        if c.result is not None and math.isfinite(c.result.upper_value)
    ]
    return _heatmap(
        result,
        "Certified inf L per cell",
        [("", lambda r: 0.5 * (r.lower_value + r.upper_value))],
        lambda r, p: infimum_text(r).replace("open ", ""),
        lambda r: r.status != "closed",
        "inf L (open cells: bracket midpoint)",
        marks=lambda r: r.separable is True,
        vmax=max(finite + [0.5]),
    )


def gd_figure(result):
    """Share of gradient-descent starts reaching the infimum, one panel per start scheme."""
    return _heatmap(
        result,
        "Gradient descent: share of starts ending within reach of inf L",
        [(sch, lambda r, k=k: r.gd[k].share) for k, sch in enumerate(SCHEMES)],
        lambda r, p: _share_text(r.gd[p]),
        lambda r: r.status != "closed",
        "share of starts (sure hits)",
    )


def write_outputs(result, out) -> list[Path]:
    """atlas.json, atlas.md, timings.json, atlas_infimum.{png,svg}, atlas_gd.{png,svg} in ``out``."""
    from ..figures import save_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (
        ("atlas.json", dumps(atlas_json(result))),
        ("atlas.md", markdown(result)),
        ("timings.json", dumps(timings_json(result))),
    ):
        atomic_write_text(out / name, text)
        paths.append(out / name)
    paths += save_figure(infimum_figure(result), out, "atlas_infimum")
    paths += save_figure(gd_figure(result), out, "atlas_gd")
    return paths
