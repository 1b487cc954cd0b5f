"""``canlearn report``: for any problem, the same kind of artifacts ``canlearn all`` writes for the
seed's: figures, results.json, report.md and report.pdf, written into the output folder as one set.

It runs what applies to every problem: gradient descent from the seed-style start, the gradient
check, a certified bracket on inf L over all real weights (``certify``), the certified critical
points, where descent goes from many starts, and a basin map and a slice of the loss over two
chosen parameters (the others held at the trained weights).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import __version__, validate
from .document import Code, Heading, Image, Paragraph, Table
from .io import atomic_write_text, dumps, output_set
from .network import Problem
from .notation import pretty
from .report import (
    AllSummary,
    _fmt,
    _json_safe,
    _sigterm_as_interrupt,
    _ticker,
    _verdict,
    _weights,
    bound_value,
    certify_json,
    to_markdown,
    typeset_blocks,
)
from .tolerances import INFIMUM_UNDERCUT_ATOL, OPT_LOSS_ATOL

STEPS = (
    "train",
    "gradcheck",
    "optimise",
    "certify",
    "critical points",
    "destinations",
    "basins",
    "figures",
    "write",
)
#: Grid size of the basin map (starts per side) and half-width of its square around the trained weights.
BASIN_GRID = 60
#: SciPy's local optimisers and boxes for any problem: the global ones (shgo, DIRECT, annealing,
#: ...) take minutes on 9 parameters, beyond this report's one-minute budget.
OPT_METHODS = ("BFGS", "L-BFGS-B", "trust-exact")
OPT_BOXES = (5.0, 10.0, 20.0, 40.0)
#: Critical points that could not be certified, listed in the report (all are in results.json).
MAX_UNCERTIFIED_ROWS = 3
BASIN_HALF_WIDTH = 6.0
#: certify's budget per problem. The box count is what normally stops an undecided search, so the
#: bracket (and results.json) is the same on any machine; the time limit is only a backstop
#: (measured: ~13,000 boxes/s on a 3-parameter net, so ~4 s; XOR 2-2-1 with biases closes in 1 s).
CERTIFY_MAX_BOXES = 50_000
CERTIFY_TIME_LIMIT = 30.0


def _progress(enabled: bool, name: str):
    from tqdm import tqdm

    return tqdm(
        total=len(STEPS),
        desc=f"canlearn report {name}",
        unit="step",
        file=sys.stderr,
        disable=not (enabled and sys.stderr.isatty()),
        bar_format="{desc}: {n}/{total}{postfix} [{elapsed}]",
    )


def default_params(problem: Problem, run) -> tuple[int, int]:
    """The two parameters training moved most (ties: the earlier one): where the picture is."""
    moved = np.abs(np.subtract(run.weights, run.init))
    order = sorted(range(problem.n_params), key=lambda k: (-moved[k], k))
    return tuple(sorted(order[:2]))


def compute(problem: Problem, params=None, tick=lambda name: None) -> dict:
    """Run every analysis that applies to any problem; returns the objects the artifacts use."""
    from . import backprop
    from .certify import certify
    from .check import gradcheck
    from .dynamics import critical_points, destinations, general_basin_map
    from .optimise import optimise
    from .training import train

    chosen = None if params is None else validate.two_params(problem, params)  # before any work
    r: dict = {"problem": problem}
    r["train"] = train(problem, seed=0)
    tick("train")
    r["gradcheck"] = gradcheck(lambda w: backprop.gradient(problem, w), problem)
    tick("gradcheck")
    r["optimise"] = optimise(problem, boxes=OPT_BOXES, methods=OPT_METHODS)
    tick("optimise")
    r["certify"] = certify(problem, max_boxes=CERTIFY_MAX_BOXES, time_limit=CERTIFY_TIME_LIMIT)
    tick("certify")
    r["critical_points"] = critical_points(problem)
    tick("critical points")
    r["destinations"] = destinations(problem)
    tick("destinations")
    r["params"] = default_params(problem, r["train"]) if chosen is None else chosen
    centre = np.asarray(r["train"].weights)
    i, j = r["params"]
    extent = (
        centre[i] - BASIN_HALF_WIDTH,
        centre[i] + BASIN_HALF_WIDTH,
        centre[j] - BASIN_HALF_WIDTH,
        centre[j] + BASIN_HALF_WIDTH,
    )
    r["basin_map"] = general_basin_map(problem, params=r["params"], fixed=centre, n=BASIN_GRID, extent=extent)
    tick("basins")
    return r


def _checks(r) -> tuple[tuple[str, bool], ...]:
    checks = [("gradcheck of the hand-coded backprop", bool(r["gradcheck"].passed))]
    # Descent that ends at a certified critical point must end inside its loss enclosure.
    ends = [
        (d.loss, d.point.loss_bounds)
        for d in r["destinations"].destinations
        if d.kind == "critical" and d.point is not None and d.point.certified and d.point.loss_bounds
    ]
    checks.append(
        (
            f"descent ends at certified critical points within their loss enclosures ({len(ends)} checked)",
            all(lo - OPT_LOSS_ATOL <= loss <= hi + OPT_LOSS_ATOL for loss, (lo, hi) in ends),
        )
    )
    checks.append(certify_check(r["certify"], r["optimise"].best().loss_hp))
    return tuple(checks)


def certify_check(cert, best_loss: float) -> tuple[str, bool]:
    """No optimiser may find a loss below certify's proven lower bound (up to float rounding of L)."""
    lower = bound_value(cert.lower, cert.lower_value)
    ok = best_loss >= lower - INFIMUM_UNDERCUT_ATOL
    return (f"the optimisers' best loss {best_loss:.12g} is >= certify's lower bound {cert.lower}", bool(ok))


def certify_words(cert) -> list[str]:
    """What a CertifyResult means, in sentences (every value read from it)."""
    # Not "inf L ..." first: after the bullet's "- " that would typeset as minus infinity.
    bracket = f"Over all real weights, inf L lies in [{cert.lower}, {cert.upper}]"
    if cert.status == "closed":
        first = f"{bracket} (closed: width {cert.width:.3g} <= tol {cert.tol:g})."
    else:
        why = f"stopped by {cert.stopped}" if cert.stopped else "not closed"
        first = f"{bracket} (open, {why}: the bracket is proven, but wider than tol {cert.tol:g})."
    attained = {
        True: "The infimum is attained: a certified minimiser at finite weights.",
        False: "The infimum is never attained: L > inf L at every finite weight, so descent can only "
        "approach it with weights growing without bound.",
    }.get(cert.attained, "Whether finite weights attain the infimum is not decided.")
    separable = {
        True: "The data are separable (thresholding z at 1/2), so inf L = 0.",
        False: "No weights separate the data (thresholding z at 1/2): proved, so inf L > 0.",
        None: "Separability does not apply: the targets are not all 0 or 1.",
    }.get(cert.separable, "Separability is not decided.")
    return [first, attained, separable]


def _describe_data(problem: Problem) -> Table:
    data = problem.data
    return Table(
        ("input", "target"),
        tuple(
            (", ".join(f"{v:g}" for v in x), ", ".join(f"{v:g}" for v in d))
            for x, d in zip(data.inputs, data.targets)
        ),
    )


def figures(r, out: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """Build, check and save the figures; returns (stem, caption, file names) in report order."""
    from . import figures as fg

    problem, run, bm = r["problem"], r["train"], r["basin_map"]
    i, j = r["params"]
    names = problem.param_names
    labels = np.asarray(bm.labels)
    dest_names, dest_losses = list(bm.destinations), list(bm.destination_losses)
    if np.any(labels < 0):  # starts descent left undecided get a label of their own
        labels = np.where(labels < 0, len(dest_names), labels)
        dest_names.append("undecided within the budget")
        dest_losses.append(float("nan"))
    finite = [v for v in dest_losses if np.isfinite(v)]
    # Legend entries stay short; the report's table spells out each numbered destination.
    dest_names = [_short_destination(k, name) for k, name in enumerate(dest_names)]
    made = [
        (
            "training",
            fg.training_curves(
                {problem.name: run},
                {problem.name: None},
                title=f"Gradient descent on '{problem.name}' from the seed-style start",
            ),
            f"Loss against iteration of gradient descent from the seed-style start (seed 0, weights "
            f"uniform in [0, 1)): {run.iterations} iterations, stopped: {run.stopped}.",
        ),
        (
            "box_trend",
            fg.box_trend(
                {problem.name: [(run_.box, run_.loss_mp) for run_ in r["optimise"].best_per_box()]},
                {problem.name: None},
                title=f"Best loss on [−B, B]ⁿ for '{problem.name}' against B",
            ),
            f"Best loss SciPy's local optimisers ({', '.join(OPT_METHODS)}) found with every parameter in "
            "[-B, B], against B.",
        ),
        (
            "landscape",
            fg.loss_slice(problem, run.weights, (i, j), trajectory=run.trajectory),
            f"The loss over ({names[i]}, {names[j]}), every other parameter held at its trained value; "
            "the training trajectory is drawn projected onto these two parameters.",
        ),
        (
            "basins",
            fg.basin_figure(
                bm.xs,
                bm.ys,
                labels,
                dest_names,
                axis_names=(names[i], names[j]),
                label_losses=dest_losses if len(finite) == len(dest_losses) else None,
                title=f"Basins of '{problem.name}' over ({names[i]}, {names[j]}):\n"
                "where gradient descent goes from each start",
            ),
            f"Where gradient descent goes from each start of a {len(bm.xs)} × {len(bm.ys)} grid over "
            f"({names[i]}, {names[j]}), every other parameter starting at its trained value.",
        ),
        (
            "gradcheck",
            fg.gradcheck_errors([problem]),
            "Per-component errors of the hand-coded backprop against the exact gradient, and of central "
            "finite differences against backprop, each as a share of the error its check allows.",
        ),
    ]
    saved = []
    for stem, fig, caption in made:
        paths = fg.save_figure(fig, out, stem)
        saved.append((stem, caption, tuple(p.name for p in paths)))
    return saved


def blocks(r, figs, command: str) -> list:
    """The report, as blocks: every number in it is read from the computed results."""
    problem, run, g = r["problem"], r["train"], r["gradcheck"]
    caption = {stem: text for stem, text, _ in figs}
    names = problem.param_names

    def image(stem):
        return Image(Path(stem + ".png"), caption[stem])

    crit = r["critical_points"]
    # Every certified point, and the first few others: the rest only in results.json.
    uncertified = [c for c in crit if not c.certified][:MAX_UNCERTIFIED_ROWS]
    shown = [c for c in crit if c.certified or any(c is u for u in uncertified)]
    dests = r["destinations"]
    bm = r["basin_map"]
    cert = r["certify"]
    out = [
        Heading(f"canlearn report: can '{problem.name}' learn its data?", 1),
        Paragraph(
            f"The network: {pretty(problem.description)}, with {problem.n_params} parameters "
            f"({', '.join(names)}). Its loss is $L = \\sum (d - z)^2 / 2$ over the "
            f"{len(problem.data.inputs)} points below. This report is generated by {command}; every number "
            "in it is computed by the run that wrote it."
        ),
        _describe_data(problem),
        Heading("1. Training", 2),
        Paragraph(
            f"Gradient descent with hand-coded backprop from {_weights(names, run.init)} stops after "
            f"{run.iterations} iterations ({run.stopped}) at L = {_fmt(run.loss)}."
        ),
        Table(
            ("input", "target", "output z"),
            tuple(
                (", ".join(f"{v:g}" for v in x), ", ".join(f"{v:g}" for v in d), _fmt(z))
                for x, d, z in zip(problem.data.inputs, problem.data.targets, run.outputs)
            ),
        ),
        Table(("parameter", "trained value"), tuple((n, _fmt(v, 9)) for n, v in zip(names, run.weights))),
        image("training"),
        Heading("2. SciPy's optimisers", 2),
        Paragraph(
            f"Local multi-start optimisers ({', '.join(OPT_METHODS)}) on boxes [-B, B]^n; the best loss "
            "per box, and what the numbers imply (the smallest loss seen is their reference; section 3 "
            "holds what is proved)."
        ),
        Table(
            ("B", "best loss", "method", "on boundary"),
            tuple(
                (f"{o.box:g}", _fmt(o.loss_hp, 10), o.method, "yes" if o.on_boundary else "no")
                for o in r["optimise"].best_per_box()
            ),
        ),
        *[Paragraph(f"- {c}.") for c in r["optimise"].conclusions],
        image("box_trend"),
        Heading("3. What certify proves over all real weights", 2),
        Paragraph(
            "canlearn certify brackets inf L over all of R^n: a lower bound proven by interval branch and "
            "bound, an upper bound from a witness checked in ball arithmetic; attainment and separability "
            f"are proved or left unknown, never guessed. Budget: {CERTIFY_MAX_BOXES} boxes, "
            f"{CERTIFY_TIME_LIMIT:g} s."
        ),
        Table(
            ("lower", "upper", "width", "status", "attained", "separable", "boxes"),
            (
                (
                    cert.lower,
                    cert.upper,
                    f"{cert.width:.3g}",
                    cert.status,
                    _verdict(cert.attained),
                    _verdict(cert.separable),
                    str(cert.boxes),
                ),
            ),
        ),
        *[Paragraph(f"- {w}") for w in certify_words(cert)],
        Paragraph(f"- {_versus_optimisers(cert, r['optimise'].best().loss_hp)}"),
        Heading("4. Critical points", 2),
        Paragraph(
            "Zeros of the gradient found from many starts; each is certified (a unique zero in a stated box, "
            "by the Krawczyk test in ball arithmetic) or marked as not certified, and its kind comes from "
            "enclosures of the Hessian eigenvalues (degenerate when an enclosure contains 0)."
        ),
        Table(
            ("point", "L", "Hessian eigenvalues", "kind", "certified"),
            tuple(
                (
                    _weights(names, c.weights, 4),
                    _fmt(c.loss),
                    ", ".join(_fmt(e, 4) for e in c.eigenvalues),
                    c.kind,
                    "yes" if c.certified else f"no ({c.reason})" if c.reason else "no",
                )
                for c in shown
            )
            or (("none found", "", "", "", ""),),
        ),
        *(
            [Paragraph(f"{len(crit) - len(shown)} more points, not certified, are listed in results.json.")]
            if len(shown) < len(crit)
            else []
        ),
        Heading("5. Where descent goes", 2),
        Paragraph(
            f"Gradient descent ({dests.method}) from {dests.samples} starts drawn {dests.scheme}, at most "
            f"{dests.max_iterations} iterations each: each end is a critical point, an escape to infinity "
            f"(named by the units that saturate, at its limiting loss), or unsettled. Shares with "
            f"{dests.confidence:.0%} Wilson intervals."
        ),
        Table(
            ("destination", "L", "share", f"{dests.confidence:.0%} interval", "starts"),
            tuple(
                (
                    _destination_text(problem, d),
                    _fmt(d.loss, 9),
                    _fmt(d.share, 4),
                    f"[{d.low:.4f}, {d.high:.4f}]",
                    str(d.count),
                )
                for d in dests.destinations
            ),
        ),
        image("landscape"),
        image("basins"),
        Table(
            ("basin map destination", "where descent goes", "L", "share of the grid"),
            tuple(
                (str(k + 1), name, _fmt(loss, 9), _fmt(bm.fraction(k), 4))
                for k, (name, loss) in enumerate(zip(bm.destinations, bm.destination_losses))
            ),
        ),
        Heading("6. Gradient check", 2),
        Paragraph(
            "Hand-coded backprop against the exact gradient (mpmath at high precision breaks ties) and "
            "central finite differences, at points including weights up to 1e300."
        ),
        Table(
            ("points", "max abs error", "max rel error", "finite-difference points", "passed"),
            (
                (
                    str(g.points),
                    f"{g.max_abs_error:.3g}",
                    f"{g.max_rel_error:.3g}",
                    str(g.fd_points),
                    "yes" if g.passed else "NO",
                ),
            ),
        ),
        image("gradcheck"),
        Heading("Reproduce", 2),
        Code(command),
    ]
    return out


def _versus_optimisers(cert, best_loss: float) -> str:
    lower = bound_value(cert.lower, cert.lower_value)
    upper = bound_value(cert.upper, cert.upper_value)
    where = (
        "below the proven lower bound: a contradiction (this report's checks fail)"
        if best_loss < lower - INFIMUM_UNDERCUT_ATOL
        else "inside the bracket"
        if best_loss <= upper
        else f"{best_loss - float(upper):.3g} above the certified upper bound, within {OPT_LOSS_ATOL:g}: the "
        "optimisers reach the infimum to that accuracy"
        if best_loss <= upper + OPT_LOSS_ATOL
        else f"{best_loss - float(upper):.3g} above the certified upper bound: inside every box tried, the "
        "optimisers stop short of the infimum"
    )
    return f"The optimisers' best loss, {_fmt(best_loss, 10)}, lies {where}."


def _short_destination(k: int, name: str) -> str:
    kind = name.split(":")[0].split(" (")[0]
    return f"destination {k + 1}: {kind}"


def _destination_text(problem: Problem, d) -> str:
    if d.kind == "critical" and d.point is not None:
        return f"{d.point.kind} at {_weights(problem.param_names, d.point.weights, 4)}"
    if d.kind == "infinity":
        return "to infinity: " + "; ".join(s.describe() for s in d.saturated)
    return "unsettled within the budget"


def results_json(r, checks) -> dict:
    problem = r["problem"]
    return _json_safe(
        {
            "canlearn_version": __version__,
            "checks": [{"name": n, "ok": ok} for n, ok in checks],
            "problem": {
                "name": problem.name,
                "description": problem.description,
                "params": list(problem.param_names),
                "inputs": [list(x) for x in problem.data.inputs],
                "targets": [list(d) for d in problem.data.targets],
            },
            "train": r["train"].to_json(),
            "gradcheck": r["gradcheck"].to_json(),
            "optimise": r["optimise"].to_json(),
            "certify": certify_json(r["certify"]),
            "critical_points": [c.to_json() for c in r["critical_points"]],
            "destinations": r["destinations"].to_json(),
            "basin_map": {
                "params": [problem.param_names[k] for k in r["params"]],
                "grid": [len(r["basin_map"].xs), len(r["basin_map"].ys)],
                "fractions": {
                    name: r["basin_map"].fraction(k) for k, name in enumerate(r["basin_map"].destinations)
                },
            },
        }
    )


def run_report(problem: Problem, out, *, params=None, progress: bool = True, command: str | None = None):
    """Compute the report for ``problem``, then write its artifacts into ``out`` as one set."""
    from .pdfreport import render_pdf
    from .report import _absolute

    out = Path(out)
    command = command or f"canlearn report ... --out {out}"
    with _sigterm_as_interrupt(), output_set(out) as stage, _progress(progress, problem.name) as bar:
        tick = _ticker(bar, STEPS)
        r = compute(problem, params, tick)
        checks = _checks(r)
        results = results_json(r, checks)
        figs = figures(r, stage)
        written = [name for _, _, names in figs for name in names]
        tick("figures")
        bl = typeset_blocks(blocks(r, figs, command))
        atomic_write_text(stage / "results.json", dumps(results))
        atomic_write_text(stage / "report.md", to_markdown(bl))
        render_pdf([_absolute(b, stage) for b in bl], stage / "report.pdf")
        written += ["results.json", "report.md", "report.pdf"]
        tick("write")
    return AllSummary(str(out), tuple(sorted(written)), checks, results)
