"""The ``canlearn`` command line. Every command prints a short summary, or JSON with ``--json``.

Bad input gets one line on stderr and exit code 2, never a traceback. Any other failure gets one
line and exit code 1 (``--debug`` adds the traceback); a closed pipe on stdout ends quietly (141).
"""

from __future__ import annotations

import argparse
import math
import re
import sys

from . import __version__
from .errors import InputError
from .network import PRESET_NAMES
from .validate import MAX_GRADCHECK_POINTS, MAX_ITERATIONS, MAX_RATE, MAX_SEED

EXIT_USAGE = 2
EXIT_FAILURE = 1
EXIT_BROKEN_PIPE = 128 + 13  # killed by SIGPIPE, as a shell reports it


class UsageError(InputError):
    """Bad input from the user: reported in one line, exit code 2."""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults in the form a user types them (``5,10,20``, not a tuple); none shown for None/False."""

    def _get_help_string(self, action):
        text = action.help or ""
        d = action.default
        if "%(default)" in text or d is None or isinstance(d, bool) or d is argparse.SUPPRESS:
            return text
        if not action.option_strings:
            return text
        return f"{text} (default: {_as_typed(d).replace('%', '%%')})"


def _as_typed(v) -> str:
    if isinstance(v, (tuple, list)):
        return ",".join(_as_typed(x) for x in v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return str(v)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


# Input limits: beyond them a run would exhaust memory or precision, not answer better (the
# API's own limits, MAX_ITERATIONS, MAX_RATE, ..., are in analysis.validate).
MAX_BENCH_POINTS = 10**7
MAX_REPEATS = 1000
MAX_BOXES = 20  # each box is a full optimiser sweep (seconds); more would run for hours
MAX_BOX = 100.0  # beyond this the gap to the infimum (~e^-B) is below the optimiser's working precision
MIN_BOX = 1e-3


def _finite(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return v


def _int_in(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer from {lo} to {hi}, got {v}")
        return v

    return parse


def _rate(text: str) -> float:
    v = _finite(text)
    if not 0 < v <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"must be > 0 and <= {MAX_RATE:g}, got {text!r}")
    return v


def _floats(text: str) -> tuple[float, ...]:
    return tuple(_finite(t.strip()) for t in text.split(","))


def _boxes(text: str) -> tuple[float, ...]:
    vals = _floats(text)
    if len(vals) > MAX_BOXES:
        raise argparse.ArgumentTypeError(f"at most {MAX_BOXES} boxes, got {len(vals)}")
    if any(not MIN_BOX <= v <= MAX_BOX for v in vals):
        raise argparse.ArgumentTypeError(
            f"every box half-width must be in [{MIN_BOX:g}, {MAX_BOX:g}]: {text!r}"
        )
    return vals


def _seed(text: str) -> int:
    return _int_in(0, MAX_SEED)(text)


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder must not be empty")
    return text


# A value may start with '-' (a negative number, -inf, -nan): "--init -1,2" means "--init=-1,2",
# for every long option, so the value is parsed and then accepted or refused by its own check.
_NUMBERISH = re.compile(r"^-([0-9.]|inf|nan)", re.IGNORECASE)


def _join_negative_values(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        opt = argv[i]
        if opt.startswith("--") and "=" not in opt and i + 1 < len(argv) and _NUMBERISH.match(argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="canlearn", description="Can this network learn this data? Proofs and numbers.")
    p.add_argument("--version", action="version", version=f"canlearn {__version__}")
    # main() takes --debug from anywhere on the line before parsing; listed here for --help.
    p.add_argument("--debug", action="store_true", help="on an internal error, also print the traceback")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fmt = _HelpFormatter
    arch_all = PRESET_NAMES + ("all",)
    json_help = "print machine-readable JSON on stdout instead of a summary"

    t = sub.add_parser(
        "train", help="train a network by gradient descent (defaults reproduce the seed)", formatter_class=fmt
    )
    add_problem_args(t)
    t.add_argument(
        "--seed", type=_seed, default=0, help=f"np.random.seed for the initial weights, 0 to {MAX_SEED}"
    )
    t.add_argument(
        "--rate",
        type=_rate,
        default=5.0,
        help=f"learning rate, > 0 and at most {MAX_RATE:g} (the seed's is 5)",
    )
    t.add_argument(
        "--iterations",
        type=_int_in(1, MAX_ITERATIONS),
        default=800,
        help=f"maximum number of iterations, 1 to {MAX_ITERATIONS:,}; the run stops earlier when a step "
        "is shorter than 1e-5 (the seed's rule), and says whether it converged or stalled",
    )
    t.add_argument(
        "--init",
        type=_floats,
        default=None,
        metavar="W1,W2,...",
        help="initial weights instead of random ones: one finite number per parameter, in order",
    )
    t.add_argument("--json", action="store_true", help=json_help)

    g = sub.add_parser(
        "gradcheck",
        help="check the hand-coded backprop against SymPy and finite differences",
        formatter_class=fmt,
    )
    add_problem_args(g)
    g.add_argument(
        "--points",
        type=_int_in(1, MAX_GRADCHECK_POINTS),
        default=200,
        help=f"number of weight points, 1 to {MAX_GRADCHECK_POINTS:,}",
    )
    g.add_argument(
        "--function",
        choices=("backprop", "seed"),
        default="backprop",
        help="which hand-coded gradient to check (seed: the question's formulas, arch none)",
    )
    g.add_argument("--json", action="store_true", help=json_help)

    b = sub.add_parser(
        "bench", help="time the compiled symbolic gradient against hand-coded backprop", formatter_class=fmt
    )
    b.add_argument("--arch", choices=arch_all, default="all", help="network preset")
    b.add_argument(
        "--points",
        type=_int_in(1, MAX_BENCH_POINTS),
        default=10**6,
        help=f"weight points per timing, 1 to {MAX_BENCH_POINTS:,}",
    )
    b.add_argument(
        "--repeats",
        type=_int_in(1, MAX_REPEATS),
        default=5,
        help=f"timings per method (best kept), 1 to {MAX_REPEATS}",
    )
    b.add_argument("--pipeline", action="store_true", help="also time prove, optimise, dynamics and all")
    b.add_argument("--certify", action="store_true", help="also time certify on presets and small problems")
    b.add_argument("--json", action="store_true", help=json_help)

    pr = sub.add_parser(
        "prove",
        help="prove what each preset can and cannot do (SymPy + interval arithmetic)",
        formatter_class=fmt,
    )
    add_problem_args(pr, default="all", allow_all=True)
    pr.add_argument(
        "--out",
        type=_folder,
        default=None,
        metavar="DIR",
        help="also write proofs.md and proofs.tex (for the presets asked for) into this folder",
    )
    pr.add_argument("--json", action="store_true", help=json_help)

    op = sub.add_parser(
        "optimise", help="confirm the optimum with SciPy's local and global optimisers", formatter_class=fmt
    )
    add_problem_args(op, default="all", allow_all=True)
    op.add_argument(
        "--boxes",
        type=_boxes,
        default=(5.0, 10.0, 20.0, 40.0, 80.0),
        metavar="B1,B2,...",
        help=f"box half-widths B, every weight in [-B, B]; each in [{MIN_BOX:g}, {MAX_BOX:g}], "
        f"at most {MAX_BOXES} boxes",
    )
    op.add_argument("--json", action="store_true", help=json_help)

    dy = sub.add_parser(
        "dynamics", help="where training goes: critical points, valleys, basins", formatter_class=fmt
    )
    add_problem_args(dy, default="all", allow_all=True)
    dy.add_argument("--json", action="store_true", help=json_help)

    _add_atlas_parser(sub, fmt, json_help)
    _add_certify_parsers(sub, fmt, json_help)

    al = sub.add_parser(
        "all", help="regenerate every proof, figure, table and the report", formatter_class=fmt
    )
    al.add_argument("--out", type=_folder, default="figures", metavar="DIR", help="output folder")
    al.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    al.add_argument("--json", action="store_true", help="print results.json to stdout")

    rp = sub.add_parser(
        "report",
        help="for one problem: figures, results.json, report.md and report.pdf (like all)",
        formatter_class=fmt,
    )
    add_problem_args(rp)
    rp.add_argument(
        "--out", type=_folder, default=None, metavar="DIR", help="output folder (default: report-NAME)"
    )
    rp.add_argument(
        "--params",
        default=None,
        metavar="P,Q",
        help="the two parameters of the basin map and loss slice, by name or index "
        "(default: the two that training moved most)",
    )
    rp.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    rp.add_argument("--json", action="store_true", help="print results.json to stdout")
    return p


def _out_dir(path: str):
    """Create the output folder up front, so a bad --out fails before minutes of work."""
    import os
    import tempfile
    from pathlib import Path

    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create output folder {path!r}: {e.strerror}") from None
    try:  # os.access says yes to root even where writing fails: try it
        fd, probe = tempfile.mkstemp(prefix=".canlearn-probe.", suffix=".tmp", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"cannot write into output folder {path!r}: {e.strerror}") from None
    return out


def _archs(arch: str) -> tuple[str, ...]:
    return PRESET_NAMES if arch == "all" else (arch,)


def add_problem_args(parser, *, default: str = "none", allow_all: bool = False) -> None:
    """The problem options every command takes: a preset, a spec file, or net/bias/data flags."""
    choices = PRESET_NAMES + (("all",) if allow_all else ())
    parser.add_argument(
        "--arch",
        choices=choices,
        default=None,
        help=f"one of the seed's network presets{' (all: every preset)' if allow_all else ''}; "
        f"default {default} when no --spec/--net/--data is given",
    )
    parser.add_argument(
        "--spec", default=None, metavar="FILE", help="a TOML problem spec (see README, Problems)"
    )
    parser.add_argument(
        "--net", default=None, metavar="SIZES", help="layer sizes, inputs first, e.g. 2-2-1 (with --data)"
    )
    parser.add_argument(
        "--bias", default=None, choices=("none", "hidden", "output", "all"), help="which layers have biases"
    )
    parser.add_argument(
        "--data", default=None, metavar="NAME", help="a built-in dataset, e.g. xor, and, identity"
    )
    parser.set_defaults(problem_default=default)


def resolve_problems(args) -> tuple:
    """The Problems the problem options name (several only for ``--arch all``)."""
    from .network import preset
    from .spec import load_spec, problem_from_flags

    flags = [f for f in ("net", "bias", "data") if getattr(args, f, None) is not None]
    chosen = [
        name for name, on in (("--arch", args.arch), ("--spec", args.spec), ("--net/--data", flags)) if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"give one of --arch, --spec or --net/--bias/--data, not {' and '.join(chosen)}")
    if args.spec is not None:
        return (load_spec(args.spec),)
    if flags:
        if args.net is None or args.data is None:
            raise UsageError(
                "--net and --data go together (and --bias, default none), e.g. --net 2-2-1 --data xor"
            )
        return (problem_from_flags(args.net, args.bias or "none", args.data),)
    arch = args.arch or args.problem_default
    return tuple(preset(a) for a in _archs(arch))


def _sugar(problem):
    """A preset by its name (the analyses' byte-compatible path), any other problem as itself."""
    return problem.name if _is_preset(problem) else problem


def _is_preset(problem) -> bool:
    """True for an unmodified seed preset (its name and its structure)."""
    from .network import preset

    return problem.name in PRESET_NAMES and problem == preset(problem.name)


def _many(reports, single: bool):
    """One report: its object; ``--arch all``: a list of them, in preset order."""
    payload = reports[0].to_json() if single else [r.to_json() for r in reports]
    return payload, "\n\n".join(r.summary() for r in reports)


def _prove(args):
    from .parallel import collector_paused

    with collector_paused():  # imports
        from .proofs import prove, render_latex, render_markdown

        problems = resolve_problems(args)
    for p in problems:
        if not _is_preset(p):
            raise UsageError(
                f"prove: the kernel-checked theorems cover the seed's presets only, not {p.name!r}; "
                "`canlearn certify` proves inf L for any problem"
            )
    out = _out_dir(args.out) if args.out is not None else None
    reports = [prove(p.name) for p in problems]
    if out is not None:
        from .io import atomic_write_text

        atomic_write_text(out / "proofs.md", render_markdown(reports))
        atomic_write_text(out / "proofs.tex", render_latex(reports))
    payload, text = _many(reports, len(problems) == 1)
    ok = all(t.status == t.expected for r in reports for t in r.theorems)
    return payload, text, (0 if ok else 1)


def _optimise(args):
    from functools import partial

    from .parallel import call, collector_paused, map_tasks

    with collector_paused():  # imports
        problems = resolve_problems(args)
        from .optimise import optimise, sweep
        from .proofs import infimum

    boxes = tuple(args.boxes)
    # One task per (problem, box), the most weights first, and one per proved infimum (presets only
    # have hand-proved theorems; only those stating the infimum are proved): the cores stay busy to
    # the end. The reports are the ones a serial run makes.
    order = sorted(range(len(problems)), key=lambda i: -problems[i].n_params)
    keys = [(i, k) for i in order for k in range(len(boxes))]
    jobs = [partial(sweep, _sugar(problems[i]), boxes[k], k) for i, k in keys]
    presets = [p.name for p in problems if _is_preset(p)]
    jobs += [partial(infimum, name) for name in presets]
    done = map_tasks(call, jobs)
    found = dict(zip(keys, done))
    proved = dict(zip(presets, done[len(keys) :]))
    reports = []
    for i, p in enumerate(problems):
        inf, attained = proved.get(p.name, (None, None)) if _is_preset(p) else (None, None)
        sweeps = [found[i, k] for k in range(len(boxes))]
        reports.append(optimise(_sugar(p), boxes, infimum=inf, infimum_attained=attained, sweeps=sweeps))
    payload, text = _many(reports, len(problems) == 1)
    return payload, text, (0 if all(r.agrees is not False for r in reports) else 1)


def _dynamics(args):
    from .parallel import collector_paused, map_tasks

    with collector_paused():  # imports
        problems = resolve_problems(args)
        from .dynamics import dynamics

    # Independent problems in parallel processes, the most weights first (they take longest); the
    # reports are the ones a serial run makes, in the order asked for.
    order = sorted(range(len(problems)), key=lambda i: -problems[i].n_params)
    # SymPy's simplify imports its units at its first call: imported once, before the workers fork.
    items = [_sugar(problems[i]) for i in order]
    done = dict(zip(order, map_tasks(dynamics, items, preload=["sympy.physics.units"])))
    return _many([done[i] for i in range(len(problems))], len(problems) == 1)


def _add_atlas_parser(sub, fmt, json_help) -> None:
    from .atlas.settings import CellSettings

    d = CellSettings()
    at = sub.add_parser(
        "atlas",
        help="certify every boolean function of two inputs against small networks, on Dask",
        formatter_class=fmt,
    )
    at.add_argument(
        "--functions",
        type=_names,
        default=None,
        metavar="F1,F2,...",
        help="rows: dataset names (default: all)",
    )
    at.add_argument(
        "--archs",
        type=_names,
        default=None,
        metavar="A1,A2,...",
        help="columns: SIZES[:BIAS] (2-2-1:all) or presets",
    )
    at.add_argument("--spec-dir", default=None, metavar="DIR", help="one cell per *.toml problem spec")
    at.add_argument(
        "--inputs", type=_int_in(2, 3), default=2, metavar="N", help="bits per function: 2, or 3 (256 rows)"
    )
    at.add_argument("--out", type=_folder, default="atlas", metavar="DIR", help="output folder")
    at.add_argument("--cache", default=None, metavar="DIR", help="finished-cell cache (default OUT/cache)")
    at.add_argument("--no-cache", action="store_true", help="neither read nor write the cell cache")
    at.add_argument(
        "--workers",
        type=_int_in(1, 1024),
        default=None,
        metavar="N",
        help="LocalCluster workers, 1 to 1024 (default: cores)",
    )
    at.add_argument("--scheduler", default=None, metavar="ADDRESS", help="an existing Dask scheduler")
    at.add_argument(
        "--time-limit",
        type=_positive,
        default=d.time_limit,
        metavar="S",
        help="certify seconds per cell, > 0",
    )
    at.add_argument(
        "--max-boxes",
        type=_int_in(1, 10**9),
        default=d.max_boxes,
        metavar="N",
        help="certify boxes per cell, 1 to 1e9",
    )
    at.add_argument(
        "--tol", type=_positive, default=d.tol, help="certify: closed when upper - lower <= tol, > 0"
    )
    at.add_argument(
        "--uniform-starts",
        type=_int_in(0, 10**6),
        default=d.uniform_starts,
        metavar="N",
        help="GD starts, 0 to 1e6",
    )
    at.add_argument(
        "--normal-starts",
        type=_int_in(0, 10**6),
        default=d.normal_starts,
        metavar="N",
        help="GD starts, 0 to 1e6",
    )
    at.add_argument(
        "--iterations",
        type=_int_in(1, MAX_ITERATIONS),
        default=d.iterations,
        metavar="N",
        help="GD steps, 1 to 1e7",
    )
    at.add_argument("--rate", type=_rate, default=d.rate, help="GD learning rate, in (0, 1e6]")
    at.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    at.add_argument(
        "--bench",
        action="store_true",
        help="time the grid uncached on 1 worker, then on --workers (default 2); writes OUT/bench.json",
    )
    at.add_argument("--json", action="store_true", help=json_help)


def _names(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return names


def _positive(text: str) -> float:
    v = _finite(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return v


def _atlas(args):
    from .atlas import atlas, build_grid
    from .atlas.settings import CellSettings

    grid = build_grid(args.functions, args.archs, inputs=args.inputs, spec_dir=args.spec_dir)
    if args.scheduler is not None:
        from .atlas.engine import check_address

        check_address(args.scheduler)
    settings = CellSettings(
        tol=args.tol,
        max_boxes=args.max_boxes,
        time_limit=args.time_limit,
        uniform_starts=args.uniform_starts,
        normal_starts=args.normal_starts,
        rate=args.rate,
        iterations=args.iterations,
    )
    out = _out_dir(args.out)
    if args.bench:
        return _atlas_bench(args, grid, settings, out)
    cache = None if args.no_cache else (args.cache or str(out / "cache"))
    result = atlas(
        grid=grid,
        settings=settings,
        out=out,
        cache=cache,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    return result.to_json(), result.summary(), (0 if result.ok else 1)


def _atlas_bench(args, grid, settings, out):
    from .atlas.bench import scaling
    from .io import atomic_write_text, dumps

    if args.scheduler is not None:
        raise UsageError("--bench times LocalClusters; it does not take --scheduler")
    workers = tuple(sorted({1, args.workers or 2}))
    result = scaling(grid=grid, settings=settings, workers=workers, progress=not args.no_progress, out=out)
    atomic_write_text(out / "bench.json", dumps(result.to_json()))
    return result.to_json(), result.summary()


def _all(args):
    from .parallel import default_workers
    from .report import run_all

    default_workers()  # a bad CANLEARN_WORKERS fails before the output folder is made
    summary = run_all(_out_dir(args.out), progress=not args.no_progress)
    return summary.to_json(), summary.text(), (0 if summary.ok else 1)


def _report(args):
    from . import validate

    (problem,) = resolve_problems(args)
    out = args.out or f"report-{problem.name}"
    params = None
    if args.params is not None:
        params = tuple(int(t) if t.strip().isdigit() else t.strip() for t in args.params.split(","))
        validate.two_params(problem, params)  # before the heavy imports: bad input fails at once
    chosen = [f"--{k} {getattr(args, k)}" for k in ("arch", "spec", "net", "bias", "data", "params")]
    command = " ".join(["canlearn report", *(c for c in chosen if not c.endswith(" None")), f"--out {out}"])
    progress = not args.no_progress
    from .problem_report import run_report

    summary = run_report(problem, _out_dir(out), params=params, progress=progress, command=command)
    return summary.to_json(), summary.text(), (0 if summary.ok else 1)


def _train(args):
    from .seed import seed_loop
    from .training import train

    (problem,) = resolve_problems(args)
    if args.init is not None and len(args.init) != problem.n_params:
        names = ", ".join(problem.param_names)
        raise UsageError(f"--init needs {problem.n_params} weights ({names}), got {len(args.init)}")
    progress = sys.stderr.isatty()  # a bar only for a person watching, never in logs or pipes
    if _is_preset(problem) and problem.name == "none":
        result = seed_loop(
            args.seed, rate=args.rate, iterations=args.iterations, init=args.init, progress=progress
        )
    else:
        result = train(
            problem, args.init, seed=args.seed, rate=args.rate, iterations=args.iterations, progress=progress
        )
    return result.to_json(), result.summary()


def _gradcheck(args):
    from . import backprop
    from .check import gradcheck
    from .seed import seed_gradient

    (problem,) = resolve_problems(args)
    if args.function == "seed":
        if not (_is_preset(problem) and problem.name == "none"):
            raise UsageError("--function seed exists only for --arch none (the seed's own network)")
        fn = seed_gradient
    else:

        def fn(w):
            return backprop.gradient(problem, w)

    result = gradcheck(fn, problem, n_points=args.points)
    lines = [repr(result)]
    for c in result.per_parameter:
        nonfinite = f", not finite at {c.nonfinite_points} points" if c.nonfinite_points else ""
        lines.append(
            f"  {c.name:>4}: max abs {_g(c.max_abs_error)}, max rel {_g(c.max_rel_error)}, "
            f"finite differences {_g(c.fd_max_abs_error)}{nonfinite}  {'ok' if c.passed else 'FAIL'}"
        )
    if not result.passed:
        lines.append(result.message)
    return result.to_json(), "\n".join(lines), (0 if result.passed else 1)


def _g(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def _bench(args):
    from .bench import pipeline_summary, run_bench, run_pipeline_bench

    report = run_bench(args.arch, n_points=args.points, repeats=args.repeats)
    rows = run_pipeline_bench() if args.pipeline else ()
    payload = dict(report.to_json(), pipeline=[r.to_json() for r in rows])
    text = report.summary() + ("\n" + pipeline_summary(rows) if rows else "")
    if getattr(args, "certify", False):
        from .bench import certify_summary, run_certify_bench

        crows = run_certify_bench()
        payload["certify"] = [r.to_json() for r in crows]
        text += "\n" + certify_summary(crows)
    return payload, text


def _positive_float(text: str) -> float:
    v = _finite(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return v


def _add_certify_parsers(sub, fmt, json_help) -> None:
    from .tolerances import CERT_TOL

    ce = sub.add_parser(
        "certify",
        help="certified bracket on inf L over ALL real weights (interval branch and bound), with verdicts",
        formatter_class=fmt,
    )
    add_problem_args(ce)
    ce.add_argument("--tol", type=_positive_float, default=CERT_TOL, help="closed iff upper - lower <= tol")
    ce.add_argument(
        "--max-boxes", type=_int_in(1, 10**8), default=200_000, help="stop (open) after this many boxes"
    )
    ce.add_argument(
        "--time-limit", type=_positive_float, default=60.0, help="stop (open) after this many seconds"
    )
    ce.add_argument(
        "--certificate", default=None, metavar="FILE", help="write the certificate (JSON) to this file"
    )
    ce.add_argument(
        "--exact", action="store_true", help="also try an exact upper bound (SymPy limit along a ray)"
    )
    ce.add_argument(
        "--smt",
        action="store_true",
        help="also cross-check 'L >= lower' and 'not separable' with z3 (the [smt] extra; off by default)",
    )
    ce.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    ce.add_argument("--json", action="store_true", help=json_help)
    cc = sub.add_parser(
        "check-certificate",
        help="re-check a certify certificate in independent arithmetic (mpmath.iv, arb)",
        formatter_class=fmt,
    )
    cc.add_argument("file", metavar="FILE", help="the certificate written by certify --certificate")
    cc.add_argument("--json", action="store_true", help=json_help)


def _certify(args):
    from pathlib import Path

    from .certify import certify

    problems = resolve_problems(args)
    if args.certificate is not None:
        if len(problems) > 1:
            raise UsageError("--certificate takes one problem, not --arch all")
        _out_dir(str(Path(args.certificate).parent))
    results = [
        certify(
            p,
            tol=args.tol,
            max_boxes=args.max_boxes,
            time_limit=args.time_limit,
            progress=not args.no_progress,
            certificate=args.certificate,
            exact=args.exact,
            smt=args.smt,
        )
        for p in problems
    ]
    return _many(results, len(results) == 1)


def _check_certificate(args):
    from .certify import check_certificate

    result = check_certificate(args.file)
    return result.to_json(), result.summary(), (0 if result.ok else 1)


COMMANDS = {
    "certify": _certify,
    "check-certificate": _check_certificate,
    "train": _train,
    "gradcheck": _gradcheck,
    "bench": _bench,
    "prove": _prove,
    "optimise": _optimise,
    "dynamics": _dynamics,
    "atlas": _atlas,
    "all": _all,
    "report": _report,
}


def _say(message: str, debug: bool) -> None:
    """One line on stderr (after the traceback with ``--debug``)."""
    if debug:
        import traceback

        traceback.print_exc()
    print(" ".join(str(message).split()), file=sys.stderr)


def _quiet_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's final flush cannot fail a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no real stdout (closed, or captured by a test)
        pass


def _emit(text: str, debug: bool) -> int | None:
    """Write the result to stdout; None on success, else the exit code."""
    try:
        if sys.stdout is None:  # started with stdout closed (>&-)
            raise OSError(9, "standard output is closed")
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (| head): the Unix way is to end quietly
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as e:
        _quiet_stdout()
        _say(f"canlearn: error: cannot write the output: {e.strerror or e}", debug)
        return EXIT_FAILURE
    return None


def main(argv=None) -> int:
    """Run one command. Exit codes: 0 done, 1 a check failed or an internal or output error,
    2 bad input, 130 interrupted, 141 stdout closed by its reader."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        from .io import dumps

        args = build_parser().parse_args(_join_negative_values(argv))
        out = COMMANDS[args.command](args)
        payload, text, code = out if len(out) == 3 else (*out, 0)
        text = dumps(payload) if getattr(args, "json", False) else text + "\n"
    except InputError as e:  # validation, anywhere (UsageError, SpecError, ... are InputErrors)
        _say(f"canlearn: error: {e}", debug)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. --help into a closed pipe
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except MemoryError:
        _say("canlearn: error: not enough memory for this request; ask for fewer points", debug)
        return EXIT_FAILURE
    except OSError as e:  # e.g. the output folder became unwritable mid-run
        _say(f"canlearn: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), debug)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("canlearn: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not bad input: say so, and how to see where
        _say(
            f"canlearn: internal error: {type(e).__name__}: {e}; rerun with --debug for the traceback", debug
        )
        return EXIT_FAILURE
    failed = _emit(text, debug)
    return code if failed is None else failed


if __name__ == "__main__":
    sys.exit(main())
