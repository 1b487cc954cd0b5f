"""``canlearn all``: run every analysis, then write figures, proofs, results.json and the report.

Everything is computed first and written last, into a staged folder that replaces the output
folder in one rename, so an interrupted run leaves the old set of artifacts or the new one. The
report is one list of blocks rendered twice, as Markdown and as PDF, so the two cannot drift apart.
"""

from __future__ import annotations

import gc
import math
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import __version__
from .document import Code, Heading, Image, Paragraph, Table
from .io import atomic_write_text, dumps, output_set
from .network import PRESET_NAMES, preset
from .notation import pretty, typeset
from .parallel import collector_paused

if TYPE_CHECKING:
    from .certify import CertifyResult

STEPS = ("prove", "train", "gradcheck", "certify", "dynamics", "optimise", "figures", "write")


@dataclass(frozen=True)
class AllSummary:
    """What ``canlearn all`` wrote, and whether every check it ran came out as it must."""

    out: str
    files: tuple[str, ...]
    checks: tuple[tuple[str, bool], ...]
    results: dict

    @property
    def ok(self) -> bool:
        return all(ok for _, ok in self.checks)

    def to_json(self) -> dict:
        return self.results

    def text(self) -> str:
        lines = [f"wrote {len(self.files)} files to {self.out}/: {', '.join(self.files)}"]
        lines += [f"  {'ok  ' if ok else 'FAIL'} {name}" for name, ok in self.checks]
        return "\n".join(lines)


def bound_value(text: str, value: float) -> Fraction | float:
    """A certify bound as an exact rational: its string where it parses (``"1/8"``, a decimal
    rounded outward), else its float (already rounded outward; may be +-inf)."""
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return value


def _consistent(proved: bool | None, certified) -> bool:
    """Two verdicts contradict only when both are decided (a bool each) and differ."""
    return not (isinstance(proved, bool) and isinstance(certified, bool) and proved != certified)


@dataclass(frozen=True)
class TwoRoutes:
    """One preset's inf L two ways: the kernel's theorems, and ``certify`` (which uses none of them).

    They agree when the proved infimum lies in certify's bracket and neither attainment nor
    separability contradicts ("unknown" on one side is not a contradiction).
    """

    arch: str
    proved: str | None
    proved_attained: bool | None
    proved_separable: bool | None
    certified: CertifyResult
    in_bracket: bool
    attained_consistent: bool
    separable_consistent: bool

    @property
    def agree(self) -> bool:
        return self.in_bracket and self.attained_consistent and self.separable_consistent

    @property
    def closed(self) -> bool:
        return self.certified.status == "closed"


def two_routes(arch: str, proof, cert) -> TwoRoutes:
    """Compare a preset's proof report (``prove(arch)``) with its ``certify`` result."""
    inf = proof.infimum_value
    in_bracket = inf is not None and (
        bound_value(cert.lower, cert.lower_value)
        <= Fraction(str(inf))
        <= bound_value(cert.upper, cert.upper_value)
    )
    return TwoRoutes(
        arch=arch,
        proved=None if inf is None else str(inf),
        proved_attained=proof.infimum_attained,
        proved_separable=proof.separable,
        certified=cert,
        in_bracket=bool(in_bracket),
        attained_consistent=_consistent(proof.infimum_attained, cert.attained),
        separable_consistent=_consistent(proof.separable, cert.separable),
    )


def certify_json(cert) -> dict:
    """A CertifyResult for results.json: everything but its run time (the file is byte-deterministic)."""
    return {k: v for k, v in cert.to_json().items() if k != "seconds"}


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM unwinds like Ctrl-C, so atomic writes clean up their temp files."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _progress(enabled: bool):
    from tqdm import tqdm

    class Bar(tqdm):
        # tqdm's monitor is a thread, and the workers fork from this process: forking a process
        # that runs threads is unsafe, so the pool would start them the slower way.
        monitor_interval = 0

    return Bar(
        total=len(STEPS),
        desc="canlearn all",
        unit="step",
        file=sys.stderr,
        disable=not (enabled and sys.stderr.isatty()),
        bar_format="{desc}: {n}/{total}{postfix} [{elapsed}]",
    )


def _ticker(bar, steps: tuple[str, ...]):
    """``tick(done)`` for a progress bar over ``steps``: count ``done``, name the step that follows."""

    def tick(done: str):
        bar.update()
        following = steps[steps.index(done) + 1 :]
        bar.set_postfix_str(following[0] if following else "")

    bar.set_postfix_str(steps[0])
    return tick


#: What is imported before the workers fork (see :class:`analysis.parallel.TaskPool`). SymPy's
#: units: its ``simplify`` imports them at its first call, in each worker's first dynamics.
PRELOAD = (
    "analysis.dynamics",
    "analysis.figures",
    "analysis.optimise",
    "analysis.report",
    "analysis.seed",
    "sympy.physics.units",
)


def compute(out: Path, pool, tick=lambda name: None) -> dict:
    """Run every analysis for every preset, and start drawing each figure's PNG into ``out`` as
    soon as its inputs exist; returns the objects the artifacts are made from.

    ``pool`` (a :class:`analysis.parallel.TaskPool`) takes the long tasks and the figures, while
    this process proves, trains, checks and certifies. The figures may still be drawing on return:
    ``r["pngs"]`` holds their tasks (each returning the PNG's name and the figure as laid out),
    ``r["svgs"]`` the tasks drawing the SVGs from those (returning their names). Every value is
    the one a serial run (``CANLEARN_WORKERS=1``) computes. ``tick(name)`` reports each step.
    """
    try:
        return _compute(out, pool, tick)
    finally:
        gc.unfreeze()  # what the collector skipped inside is collected as usual again


def _compute(out: Path, pool, tick) -> dict:
    # The collector waits while the modules import (see collector_paused). They, and later the
    # proofs, are then frozen: the collector need not walk them again (compute unfreezes them on
    # its way out, so the caller's garbage is collected as usual).
    with collector_paused():
        from . import backprop
        from . import figures as fg
        from .certify import certify
        from .check import gradcheck
        from .dynamics import basin_map, dynamics
        from .optimise import DEFAULT_BOXES, optimise, sweep
        from .pdfreport import measure
        from .proofs import prove, render_latex, render_markdown
        from .seed import seed_gradient, seed_loop
        from .training import train

        pool.start()  # the workers' modules too (they fork, warm, at the first task)
        gc.freeze()
    problems = {a: preset(a) for a in PRESET_NAMES}
    none = problems["none"]
    r: dict = {"problems": problems, "pngs": {}, "png_sizes": {}, "svgs": []}

    svgs_due: list = []  # the PNG tasks whose SVGs are not yet asked for

    def draw(stem, build, *args, **kwargs):
        # The PNG (which the PDF needs) before any waiting analysis; its SVG later, see draw_svgs.
        r["pngs"][stem] = pool.submit_at(1, _draw, out, stem, build, *args, **kwargs)
        svgs_due.append(r["pngs"][stem])

    def draw_sized(stem, build, *args, **kwargs):
        # Built here for its pixel size, which lets the PDF start while the task draws it.
        fig = build(*args, **kwargs)
        r["png_sizes"][stem] = fg.png_size(fig)
        draw(stem, _built, fig)

    def draw_svgs():
        # One task for the SVGs drawn so far, from their PNGs' layouts, started when nothing else
        # waits: one core draws them while the other finishes the analyses, then draws the PDF.
        r["svgs"].append(pool.submit_at(-1, _draw_svgs, out, *svgs_due))
        svgs_due.clear()

    # Longest first (measured): tasks start in submission order.
    by_size = sorted(PRESET_NAMES, key=lambda a: -problems[a].n_params)
    dyn = {a: pool.submit(dynamics, a) for a in by_size}
    long_run = pool.submit(seed_loop, 0, iterations=10**4)
    bmap = pool.submit(basin_map, "none", n=200, method="gd")
    draw("output_bound", fg.output_map, none)
    draw("gradcheck", fg.gradcheck_errors, list(problems.values()))
    # The optimisers, one task per preset and box; their checks against the proofs come later.
    boxes = list(enumerate(DEFAULT_BOXES))
    sweeps = {(a, k): pool.submit(sweep, a, box, k) for a in by_size for k, box in boxes}
    # Proofs stay in this process: their checked facts refuse to be pickled (by design).
    r["proofs"] = {a: prove(a) for a in PRESET_NAMES}
    gc.freeze()
    tick("prove")
    seed_run = seed_loop(0)
    # The same start for every preset: the seed's W1, W2 and zero biases.
    r["train"] = {"none": seed_run}
    for a in PRESET_NAMES[1:]:
        r["train"][a] = train(problems[a], seed_run.init + (0.0,) * (problems[a].n_params - 2))
    infima = {a: float(p.infimum_value) for a, p in r["proofs"].items()}
    draw("training", fg.training_curves, r["train"], infima)
    tick("train")
    r["gradcheck"] = {a: gradcheck(partial(backprop.gradient, p), p) for a, p in problems.items()}
    r["gradcheck_seed"] = gradcheck(seed_gradient, none)
    tick("gradcheck")
    # The second route: branch and bound over all real weights, none of the theorems (< 1 s each).
    r["certify"] = {a: certify(problems[a]) for a in PRESET_NAMES}
    r["routes"] = {a: two_routes(a, r["proofs"][a], r["certify"][a]) for a in PRESET_NAMES}
    tick("certify")
    r["dynamics"] = {a: dyn[a].get() for a in PRESET_NAMES}
    r["basin_map"], r["long_seed_run"] = bmap.get(), long_run.get()
    args, kwargs = _landscape_args(r)
    draw("landscape", fg.loss_landscape, *args, **kwargs)
    args, kwargs = _basins_args(r)
    draw("basins", fg.basin_figure, *args, **kwargs)
    draw_svgs()
    tick("dynamics")
    # While the optimisers run: the proofs' own documents, and the report's text that needs no
    # optimiser typeset and measured (both cached: the whole report later finds that work done).
    reports = [r["proofs"][a] for a in PRESET_NAMES]
    r["proofs_md"], r["proofs_tex"] = render_markdown(reports), render_latex(reports)
    r["captions"] = _captions(r)
    measure(typeset_blocks(early_blocks(r)))
    # Each preset as soon as its sweeps are in (they finish in submission order), its part of the
    # report typeset and measured while the next preset's sweeps run (the last one's: after the
    # figure that waits for it has started).
    opt = {}
    for a in by_size:
        opt[a] = optimise(
            a,
            infimum=r["proofs"][a].infimum_value,
            infimum_attained=r["proofs"][a].infimum_attained,
            sweeps=[sweeps[a, k].get() for k in range(len(DEFAULT_BOXES))],
        )
        if a != by_size[-1]:
            measure(typeset_blocks(_optimise_blocks(a, opt[a])))
    r["optimise"] = {a: opt[a] for a in PRESET_NAMES}
    trend = {a: [(run.box, run.loss_mp) for run in o.best_per_box()] for a, o in r["optimise"].items()}
    draw_sized("box_trend", fg.box_trend, trend, infima)  # the last figure: the PDF starts beside it
    draw_svgs()
    tick("optimise")
    return r


def _checks(r) -> tuple[tuple[str, bool], ...]:
    checks = [(f"gradcheck {a}", g.passed) for a, g in r["gradcheck"].items()]
    checks.append(("gradcheck of the seed's own formulas", r["gradcheck_seed"].passed))
    for a, rep in r["proofs"].items():
        bad = [t.id for t in rep.theorems if t.status != t.expected]
        checks.append((f"proofs {a}" + (f" (unexpected: {', '.join(bad)})" if bad else ""), not bad))
    for a, o in r["optimise"].items():
        checks.append((f"optimum agrees with the proved infimum, {a}", bool(o.agrees)))
    checks += _route_checks(r["routes"])
    return tuple(checks)


def _route_checks(routes) -> list[tuple[str, bool]]:
    """Issue 9 item 6: certify reproduces each proved infimum (a closed bracket holding it)."""
    checks = []
    for a, t in routes.items():
        checks.append((f"certify agrees with the theorems, {a}", t.agree))
        checks.append((f"certify closes the bracket on inf L, {a}", t.closed))
    return checks


def _verdict(v) -> str:
    return {True: "yes", False: "no", None: "n/a"}.get(v, str(v))


def _bracket(c) -> str:
    """The bracket in a table cell: exact when it is a point, else lower + width (full digits in JSON)."""
    if c.lower == c.upper:
        return f"[{c.lower}, {c.upper}]"
    return f"[{c.lower}, {c.lower} + {c.width:.2g}]"


def _routes_table(routes) -> Table:
    return Table(
        (
            "preset",
            "theorems: inf L; attained; separable",
            "certify: bracket on inf L",
            "certify: status; attained; separable",
            "boxes",
            "agree",
        ),
        tuple(
            (
                a,
                f"{'unproved' if t.proved is None else t.proved}; {_verdict(t.proved_attained)}; "
                f"{_verdict(t.proved_separable)}",
                _bracket(t.certified),
                f"{t.certified.status}; {_verdict(t.certified.attained)}; {_verdict(t.certified.separable)}",
                str(t.certified.boxes),
                "yes" if t.agree else "NO",
            )
            for a, t in routes.items()
        ),
    )


def _is_lemma(theorem) -> bool:
    """Lemmas about sigma alone, the same in every preset's report: listed once."""
    return theorem.id.startswith("L")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _fmt(v: float, digits: int = 6) -> str:
    return f"{v:.{digits}g}"


def _weights(names, values, digits: int = 6) -> str:
    return ", ".join(f"{n} = {_fmt(v, digits)}" for n, v in zip(names, values))


def _valley_points(dyn, problem) -> list[dict]:
    """Valleys as the landscape figure draws them: a full weight vector, +-inf where it diverges."""
    points = []
    for v in dyn.valleys:
        name, _, sign = v.limit.partition("->")
        at = dict(v.weights)
        w = [float(sign) if n == name else float(at.get(n, 0.0)) for n in problem.param_names]
        points.append({"limit": v.limit, "loss": v.loss, "weights": w})
    return points


def _valley_floors(dyn, names) -> tuple[float, ...] | None:
    """The limit of L in each named valley, in the order of ``names`` (None if one is unknown)."""
    floors = {v.limit: float(v.loss) for v in dyn.valleys}
    return tuple(floors[n] for n in names) if all(n in floors for n in names) else None


#: The figures, in the order the report shows them.
FIGURES = ("training", "output_bound", "landscape", "basins", "box_trend", "gradcheck")


def _draw(out: Path, stem: str, build, *args, **kwargs):
    """Build one figure and save its PNG, checked, into ``out`` (a task); returns the file's name
    and the figure as laid out, from which :func:`_draw_svgs` draws its SVG (the same figure: the
    check holds for it too)."""
    from . import figures as fg

    (path,), laid = fg.save_and_keep(build(*args, **kwargs), out, stem)
    return path.name, laid


def _built(fig):
    """The figure itself: :func:`_draw`'s ``build`` for a figure built in the calling process."""
    return fig


def _draw_svgs(out: Path, *drawn) -> tuple[str, ...]:
    """The SVG of each figure :func:`_draw` drew, one after another (one task); their file names."""
    return tuple(path.name for _, laid in drawn for path in laid.save(out, ("svg",)))


def _landscape_args(r) -> tuple[tuple, dict]:
    none, dyn = r["problems"]["none"], r["dynamics"]["none"]
    args = (none, dyn.to_json()["critical_points"], r["long_seed_run"].trajectory, _valley_points(dyn, none))
    return args, {"run_steps": r["train"]["none"].iterations}


def _basins_args(r) -> tuple[tuple, dict]:
    none, dyn, bm = r["problems"]["none"], r["dynamics"]["none"], r["basin_map"]
    saddle = next((c.weights for c in dyn.critical_points if c.kind == "saddle"), None)
    return (bm.xs, bm.ys, bm.labels, bm.valley_names, saddle, dyn.separatrix_direction), {
        "label_losses": _valley_floors(dyn, bm.valley_names),
        "title": f"Basins of '{none.name}' ({pretty(none.description)}):\n"
        "which valley gradient descent reaches from each start",
    }


def _captions(r) -> dict[str, str]:
    dyn, bm = r["dynamics"]["none"], r["basin_map"]
    return {
        "landscape": "The loss of the seed's network over (W1, W2), log colour scale. The seed's training "
        f"({r['train']['none'].iterations} iterations of its own loop, solid; the same loop continued to "
        f"{r['long_seed_run'].iterations} iterations, dotted) slides along the valley "
        f"{dyn.seed_run.valley}; the lowest valley, {', '.join(dyn.lowest_valley)}, lies the other way "
        "across the saddle.",
        "output_bound": "z(1) over (W1, W2): the z = 1/2 contour is the line W2 = 0, and the whole "
        "half-plane W2 < 0 has z(1) < 1/2 (theorem T2).",
        "basins": f"Which valley gradient descent at the seed's rate reaches from each start of a "
        f"{len(bm.xs)} × {len(bm.ys)} grid of the seed's network; the dashed line is the saddle's "
        "stable direction from the exact Hessian.",
        "training": "Loss against iteration from the same start (the seed's W1, W2; biases 0) for the four "
        "presets, with each proved infimum dashed.",
        "box_trend": "Best loss any optimiser found with every weight in [-B, B], against B, with the proved "
        "infima: the gap closes as B grows but never reaches the infimum at a finite B.",
        "gradcheck": "Per-point errors of the hand-coded backprop and of central finite differences against "
        "the compiled SymPy gradient, with the tolerances the checks use.",
    }


def blocks(r) -> list:
    """The report, as blocks: every number in it is read from the computed results."""
    head, summary = _opening(r)
    return [*head, _brief(r), *summary, *_sections_1_to_3(r), *_optimise_section(r), *_gradcheck_section(r)]


def early_blocks(r) -> list:
    """The report's blocks that need no optimiser result: all but the brief table and section 4's
    results."""
    head, summary = _opening(r)
    return [*head, *summary, *_sections_1_to_3(r), *_optimise_intro(), *_gradcheck_section(r)]


def _image(r, stem: str) -> Image:
    return Image(Path(stem + ".png"), r["captions"][stem])


def _opening(r) -> tuple[list, list]:
    """The report's opening around its brief table (:func:`_brief`), which needs the optimisers."""
    P, T = r["proofs"], r["train"]
    none_p = P["none"]
    dyn = r["dynamics"]["none"]
    head = [
        Heading("canlearn report: can a two-neuron sigmoid chain learn x -> x?", 1),
        Paragraph(
            "The question: a network y = sigma(W1 x), z = sigma(W2 y) without bias, trained by hand-coded "
            "backprop on x in {0, 1} with target d = x, never learns. Its loss is "
            r"$L = \sum (d - z)^2 / 2$, summed over the two points. "
            "This report is generated by canlearn all; every number in it is computed or proved by the "
            "run that wrote it."
        ),
        Heading("The answer in brief", 2),
    ]
    summary = [
        Paragraph(
            f"Without a bias, {'some' if none_p.separable else 'no'} weights put z(0) < 1/2 < z(1), "
            f"and L > {none_p.infimum_value} at every weight, with inf L = {none_p.infimum_value} "
            f"{'attained' if none_p.infimum_attained else 'approached but never attained'}. "
            f"With a bias on the hidden neuron alone: separable {_yes(P['hidden'].separable)}, inf L = "
            f"{P['hidden'].infimum_value}. With a bias on the output neuron: separable "
            f"{_yes(P['output'].separable)}, inf L = {P['output'].infimum_value}. The seed's run ends at "
            f"L = {_fmt(T['none'].loss)} after {T['none'].iterations} iterations, on its way down the valley "
            f"{dyn.seed_run.valley}, whose floor is {dyn.seed_run.valley_loss:.12g}."
        ),
    ]
    return head, summary


def _brief(r) -> Table:
    P = r["proofs"]
    return Table(
        (
            "preset",
            "network",
            "separable",
            "inf L (proved)",
            "attained",
            "best loss found",
            "gap to inf L",
            "verdict",
        ),
        tuple(
            (
                a,
                r["problems"][a].description,
                "yes" if P[a].separable else "no",
                str(P[a].infimum_value),
                "yes" if P[a].infimum_attained else "no",
                _fmt(r["optimise"][a].best().loss_hp, 8),
                "n/a" if r["optimise"][a].gap is None else f"{r['optimise'][a].gap:.2g}",
                r["optimise"][a].verdict,
            )
            for a in PRESET_NAMES
        ),
    )


def _sections_1_to_3(r) -> list:
    P, T = r["proofs"], r["train"]
    none_p = P["none"]
    dyn = r["dynamics"]["none"]
    return [
        Heading("1. The seed's run", 2),
        Paragraph(
            f"The question's loop, ported bit for bit (seed 0), starts at "
            f"{_weights(('W1', 'W2'), T['none'].init)} and after {T['none'].iterations} iterations stops "
            f"({T['none'].stopped}) at {_weights(('W1', 'W2'), T['none'].weights)}, with outputs "
            f"z(0) = {_fmt(T['none'].outputs[0])} and z(1) = {_fmt(T['none'].outputs[1])}, L = "
            f"{_fmt(T['none'].loss)}. From the same start, with every bias starting at 0 (so that only "
            "the biases differ; canlearn train --arch hidden instead draws every weight and bias at "
            "random, as the seed draws its two weights):"
        ),
        Table(
            ("preset", "final weights", "z(0)", "z(1)", "L"),
            tuple(
                (
                    a,
                    _weights(r["problems"][a].param_names, t.weights),
                    _fmt(t.outputs[0]),
                    _fmt(t.outputs[1]),
                    _fmt(t.loss),
                )
                for a, t in T.items()
            ),
        ),
        _image(r, "training"),
        Heading("2. What is proved", 2),
        Paragraph(
            "Each theorem is a formal statement (a SymPy relation with its domain and quantifier). Step "
            "checkers turn checked steps (an identity reducing to 0, a sign fact, a limit confirmed by ball "
            "arithmetic, an interval certificate) into facts, and a small kernel derives the statement from "
            "those facts by a short list of inference rules; only then is it proved. False variants go "
            "through the same kernel and must come out refuted from a checked counterexample. The full "
            "proofs, with each formal statement and the trusted base, are in proofs.md and proofs.tex."
        ),
        Table(
            ("lemma", "statement", "status"),
            tuple((t.id, t.title, t.status) for t in none_p.theorems if _is_lemma(t)),
        ),
        Table(
            ("preset", "id", "statement", "status"),
            tuple(
                (a, t.id, t.title, t.status) for a in PRESET_NAMES for t in P[a].theorems if not _is_lemma(t)
            ),
        ),
        _image(r, "output_bound"),
        Heading("Two routes to inf L", 3),
        Paragraph(
            "The theorems above are written by hand for these presets. canlearn certify knows none of "
            "them: it brackets inf L over all real weights by interval branch and bound (a proven lower "
            "bound) and a witness checked in ball arithmetic (an upper bound), and decides attainment and "
            "separability on its own, or says unknown. Both routes, side by side; they agree when the "
            "proved infimum lies in the bracket and no verdict contradicts the other:"
        ),
        _routes_table(r["routes"]),
        Paragraph(
            f"{sum(t.agree for t in r['routes'].values())} of {len(r['routes'])} presets agree; certify "
            f"closes the bracket (width <= its tolerance) on {sum(t.closed for t in r['routes'].values())}."
        ),
        Heading("3. Where training goes, and why it stalls", 2),
        Paragraph(
            "Critical points of the seed's loss (exact Hessian eigenvalues) and the valleys: the limit of L "
            "along each direction to infinity, minimised over the remaining weights."
        ),
        Table(
            ("critical point", "L", "Hessian eigenvalues", "kind"),
            tuple(
                (
                    _weights(("W1", "W2"), c.weights),
                    _fmt(c.loss),
                    ", ".join(_fmt(e) for e in c.eigenvalues),
                    c.kind,
                )
                for c in dyn.critical_points
            ),
        ),
        Table(
            ("valley", "limit of L", "infimum"),
            tuple((v.limit, v.expression, v.describe()) for v in dyn.valleys),
        ),
        Table(
            ("iterations", "W1", "W2", "printed error (-L before the last step)", "L - valley floor"),
            tuple(
                (
                    str(c.iterations),
                    _fmt(c.weights[0], 8),
                    _fmt(c.weights[1], 9),
                    _fmt(c.printed_error, 9),
                    _fmt(c.valley_gap, 3),
                )
                for c in dyn.seed_run.checkpoints
            ),
        ),
        Paragraph(
            "The question's author suspected that training was stuck at a local maximum of its "
            "error (-L). What the numbers say:"
        ),
        *[Paragraph(f"- {c}.") for c in dyn.conclusions],
        _image(r, "landscape"),
        _image(r, "basins"),
        Table(
            ("preset", "init", "share reaching the lowest valley", "95% interval", "samples"),
            tuple(
                (a, f.scheme, _fmt(f.fraction, 4), f"[{f.low:.4f}, {f.high:.4f}]", str(f.samples))
                for a in PRESET_NAMES
                for f in r["dynamics"][a].basins
            ),
        ),
    ]


def _optimise_intro() -> list:
    return [
        Heading("4. SciPy confirms the optimum", 2),
        Paragraph(
            "Local multi-start (BFGS, L-BFGS-B, Newton-CG, trust-exact, Nelder-Mead) and global (shgo, "
            "differential evolution, dual annealing, DIRECT, basin hopping) optimisers on boxes [-B, B]^n. "
            "Best loss per box, and what the numbers imply:"
        ),
    ]


def _optimise_section(r) -> list:
    out = _optimise_intro()
    for a in PRESET_NAMES:
        out += _optimise_blocks(a, r["optimise"][a])
    out.append(_image(r, "box_trend"))
    return out


def _optimise_blocks(a: str, o) -> list:
    """One preset's part of section 4: its best loss per box, and what the numbers imply."""
    table = Table(
        (f"{a}: B", "best loss", "method", "weights", "on boundary"),
        tuple(
            (
                f"{run.box:g}",
                _fmt(run.loss_hp, 10),
                run.method,
                _weights(o.param_names, run.weights, 9),
                "yes" if run.on_boundary else "no",
            )
            for run in o.best_per_box()
        ),
    )
    return [table, *[Paragraph(f"- {a}: {c}.") for c in o.conclusions]]


def _gradcheck_section(r) -> list:
    return [
        Heading("5. Gradient checks", 2),
        Paragraph(
            "Hand-coded backprop against the compiled SymPy gradient (mpmath at high precision breaks "
            "ties) and central finite differences, at points including weights up to 1e300."
        ),
        Table(
            ("preset", "points", "max abs error", "max rel error", "finite-difference points", "passed"),
            tuple(
                (
                    a,
                    str(g.points),
                    f"{g.max_abs_error:.3g}",
                    f"{g.max_rel_error:.3g}",
                    str(g.fd_points),
                    "yes" if g.passed else "NO",
                )
                for a, g in r["gradcheck"].items()
            ),
        ),
        _image(r, "gradcheck"),
        Heading("Reproduce", 2),
        Code("make all      # regenerates this folder\nmake test     # the regression checks"),
    ]


def typeset_blocks(blocks) -> list:
    """The blocks with every plain-text formula as ``$...$`` math (see :mod:`analysis.notation`):
    the same notation in report.md (GitHub math) and report.pdf (mathtext)."""
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            b = Heading(typeset(b.text), b.level)
        elif isinstance(b, Paragraph):
            b = Paragraph(typeset(b.text))
        elif isinstance(b, Table):
            b = Table(
                tuple(typeset(h) for h in b.header), tuple(tuple(typeset(c) for c in r) for r in b.rows)
            )
        elif isinstance(b, Image):
            b = Image(b.path, typeset(b.caption))
        out.append(b)
    return out


def to_markdown(blocks) -> str:
    """Render report blocks as GitHub-flavoured Markdown."""
    parts = []
    for b in blocks:
        if isinstance(b, Heading):
            parts.append("#" * b.level + " " + b.text)
        elif isinstance(b, Paragraph):
            parts.append(b.text)
        elif isinstance(b, Table):
            esc = [[c.replace("|", "\\|") for c in row] for row in (b.header, *b.rows)]
            lines = ["| " + " | ".join(esc[0]) + " |", "|" + " --- |" * len(b.header)]
            lines += ["| " + " | ".join(row) + " |" for row in esc[1:]]
            parts.append("\n".join(lines))
        elif isinstance(b, Image):
            parts.append(f"![{b.path.stem}]({b.path.as_posix()})\n\n*{b.caption}*")
        elif isinstance(b, Code):
            parts.append(f"```\n{b.text}\n```")
    return "\n\n".join(parts) + "\n"


def _json_safe(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return _json_safe(obj.item())
    return obj


def results_json(r, checks) -> dict:
    return _json_safe(
        {
            "canlearn_version": __version__,
            "checks": [{"name": n, "ok": ok} for n, ok in checks],
            "presets": {
                a: {
                    "description": r["problems"][a].description,
                    "params": list(r["problems"][a].param_names),
                    "train": r["train"][a].to_json(),
                    "gradcheck": r["gradcheck"][a].to_json(),
                    "proofs": r["proofs"][a].to_json(),
                    "certify": {**certify_json(r["certify"][a]), "agrees_with_proofs": r["routes"][a].agree},
                    "optimise": r["optimise"][a].to_json(),
                    "dynamics": r["dynamics"][a].to_json(),
                }
                for a in PRESET_NAMES
            },
            "gradcheck_seed_formulas": r["gradcheck_seed"].to_json(),
            "basin_map": {
                "arch": r["basin_map"].arch,
                "method": r["basin_map"].method,
                "grid": [len(r["basin_map"].xs), len(r["basin_map"].ys)],
                "fractions": {
                    name: r["basin_map"].fraction(k) for k, name in enumerate(r["basin_map"].valley_names)
                },
            },
        }
    )


def run_all(out="figures", progress: bool = True) -> AllSummary:
    """Compute everything, then write every artifact into ``out`` as one set (see
    :func:`analysis.io.output_set`): a reader never sees old and new files side by side."""
    from .parallel import TaskPool

    out = Path(out)
    # The pool first: a bad worker count fails before the output folder is touched. Its workers
    # fork at compute's first task, after its imports. Entered inside output_set: on an error its
    # workers are stopped before the staged files are removed, so none can write there afterwards.
    with _sigterm_as_interrupt():
        pool = TaskPool(preload=PRELOAD)
        with output_set(out) as stage, pool, _progress(progress) as bar:
            tick = _ticker(bar, STEPS)
            r = compute(stage, pool, tick)
            from .pdfreport import measure, render_pdf

            checks = _checks(r)
            results = results_json(r, checks)
            bl = typeset_blocks(blocks(r))
            atomic_write_text(stage / "proofs.md", r["proofs_md"])
            atomic_write_text(stage / "proofs.tex", r["proofs_tex"])
            atomic_write_text(stage / "results.json", dumps(results))
            atomic_write_text(stage / "report.md", to_markdown(bl))
            measure(bl)  # while the last figures draw: the PDF's layout then finds its text measured
            sizes = r["png_sizes"]
            written = [r["pngs"][stem].get()[0] for stem in FIGURES if stem not in sizes]
            tick("figures")
            # The PDF's pages are drawn while the last PNG still draws (each waits for the
            # pictures it shows), and the last SVGs beside them. The results live on past it:
            # the collector need not walk them during its many small drawings.
            gc.freeze()
            try:
                render_pdf(
                    [_absolute(b, stage, sizes) for b in bl],
                    stage / "report.pdf",
                    await_image=lambda path: r["pngs"][path.stem].get(),
                )
            finally:
                gc.unfreeze()
            written += [r["pngs"][stem].get()[0] for stem in sizes]
            written += [name for task in r["svgs"] for name in task.get()]
            written += ["proofs.md", "proofs.tex", "results.json", "report.md", "report.pdf"]
            tick("write")
    files = sorted(written)
    return AllSummary(str(out), tuple(files), checks, results)


def _absolute(block, out: Path, sizes=None):
    if not isinstance(block, Image):
        return block
    return Image(out / block.path, block.caption, (sizes or {}).get(block.path.stem))


def compare_results(new, old, path: str = "$") -> list[str]:
    """Differences between two results.json trees: numbers within the regression tolerances,
    everything else exactly. An empty list means they agree."""
    from .tolerances import REGRESSION_ATOL, REGRESSION_RTOL

    if (
        isinstance(new, bool)
        or isinstance(old, bool)
        or not (isinstance(new, int | float) and isinstance(old, int | float))
    ):
        if type(new) is not type(old):
            return [f"{path}: {old!r} became {new!r}"]
        if isinstance(new, dict):
            diffs = [f"{path}.{k}: missing" for k in old.keys() - new.keys()]
            diffs += [f"{path}.{k}: unexpected" for k in new.keys() - old.keys()]
            for k in sorted(new.keys() & old.keys()):
                diffs += compare_results(new[k], old[k], f"{path}.{k}")
            return diffs
        if isinstance(new, list):
            if len(new) != len(old):
                return [f"{path}: length {len(old)} became {len(new)}"]
            return [
                d for i, (a, b) in enumerate(zip(new, old)) for d in compare_results(a, b, f"{path}[{i}]")
            ]
        return [] if new == old else [f"{path}: {old!r} became {new!r}"]
    if abs(new - old) <= REGRESSION_ATOL + REGRESSION_RTOL * abs(old):
        return []
    return [f"{path}: {old!r} became {new!r}"]
