"""The ``canlearn`` command line. Every command prints a short summary, or JSON with ``--json``.

Bad input gets one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import re
import sys

from . import __version__
from .network import PRESET_NAMES

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


# Input limits: beyond them a run would exhaust memory or precision, not answer better.
MAX_ITERATIONS = 10**7
MAX_GRADCHECK_POINTS = 10**6
MAX_BENCH_POINTS = 10**7
MAX_REPEATS = 1000
MAX_RATE = 1e6
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
    if any(not MIN_BOX <= v <= MAX_BOX for v in vals):
        raise argparse.ArgumentTypeError(
            f"every box half-width must be in [{MIN_BOX:g}, {MAX_BOX:g}]: {text!r}"
        )
    return vals


def _seed(text: str) -> int:
    return _int_in(0, 2**32 - 1)(text)


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder must not be empty")
    return text


# Options whose value may start with '-' (negative numbers): "--init -1,2" means "--init=-1,2".
_NEGATIVE_OK = ("--init", "--rate", "--boxes", "--seed", "--iterations", "--points", "--repeats")
_NUMBERISH = re.compile(r"^-[0-9.]")


def _join_negative_values(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        if argv[i] in _NEGATIVE_OK and i + 1 < len(argv) and _NUMBERISH.match(argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="canlearn", description="Can this network learn this data? Proofs and numbers.")
    p.add_argument("--version", action="version", version=f"canlearn {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fmt = argparse.ArgumentDefaultsHelpFormatter
    arch_all = PRESET_NAMES + ("all",)
    json_help = "print machine-readable JSON on stdout instead of a summary"

    t = sub.add_parser(
        "train", help="train a preset by gradient descent (defaults reproduce the seed)", formatter_class=fmt
    )
    t.add_argument("--arch", choices=PRESET_NAMES, default="none", help="network preset")
    t.add_argument("--seed", type=_seed, default=0, help="np.random.seed for the initial weights")
    t.add_argument("--rate", type=_rate, default=5.0, help="learning rate (the seed's is 5)")
    t.add_argument(
        "--iterations", type=_int_in(1, MAX_ITERATIONS), default=800, help="maximum number of iterations"
    )
    t.add_argument(
        "--init",
        type=_floats,
        default=None,
        metavar="W1,W2,...",
        help="initial weights instead of random ones",
    )
    t.add_argument("--json", action="store_true", help=json_help)

    g = sub.add_parser(
        "gradcheck",
        help="check the hand-coded backprop against SymPy and finite differences",
        formatter_class=fmt,
    )
    g.add_argument("--arch", choices=PRESET_NAMES, default="none", help="network preset")
    g.add_argument(
        "--points", type=_int_in(1, MAX_GRADCHECK_POINTS), default=200, help="number of weight points"
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
        "--points", type=_int_in(1, MAX_BENCH_POINTS), default=10**6, help="weight points per timing"
    )
    b.add_argument(
        "--repeats", type=_int_in(1, MAX_REPEATS), default=5, help="timings per method (best kept)"
    )
    b.add_argument("--pipeline", action="store_true", help="also time prove, optimise, dynamics and all")
    b.add_argument("--json", action="store_true", help=json_help)

    pr = sub.add_parser(
        "prove",
        help="prove what each preset can and cannot do (SymPy + interval arithmetic)",
        formatter_class=fmt,
    )
    pr.add_argument("--arch", choices=arch_all, default="all", help="network preset")
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
    op.add_argument("--arch", choices=arch_all, default="all", help="network preset")
    op.add_argument(
        "--boxes",
        type=_boxes,
        default=(5.0, 10.0, 20.0, 40.0, 80.0),
        metavar="B1,B2,...",
        help=f"box half-widths B, every weight in [-B, B]; each in [{MIN_BOX:g}, {MAX_BOX:g}]",
    )
    op.add_argument("--json", action="store_true", help=json_help)

    dy = sub.add_parser(
        "dynamics", help="where training goes: critical points, valleys, basins", formatter_class=fmt
    )
    dy.add_argument("--arch", choices=arch_all, default="all", help="network preset")
    dy.add_argument("--json", action="store_true", help=json_help)

    al = sub.add_parser(
        "all", help="regenerate every proof, figure, table and the report", formatter_class=fmt
    )
    al.add_argument("--out", type=_folder, default="figures", metavar="DIR", help="output folder")
    al.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    al.add_argument("--json", action="store_true", help="print results.json to stdout")
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


def _many(reports, single: bool):
    """One report: its object; ``--arch all``: a list of them, in preset order."""
    payload = reports[0].to_json() if single else [r.to_json() for r in reports]
    return payload, "\n\n".join(r.summary() for r in reports)


def _prove(args):
    from .proofs import prove, render_latex, render_markdown

    out = _out_dir(args.out) if args.out is not None else None
    reports = [prove(a) for a in _archs(args.arch)]
    if out is not None:
        from .io import atomic_write_text

        atomic_write_text(out / "proofs.md", render_markdown(reports))
        atomic_write_text(out / "proofs.tex", render_latex(reports))
    payload, text = _many(reports, args.arch != "all")
    ok = all(t.status == t.expected for r in reports for t in r.theorems)
    return payload, text, (0 if ok else 1)


def _optimise(args):
    from .optimise import optimise
    from .proofs import prove

    reports = [optimise(a, boxes=args.boxes, infimum=prove(a).infimum_value) for a in _archs(args.arch)]
    payload, text = _many(reports, args.arch != "all")
    return payload, text, (0 if all(r.agrees for r in reports) else 1)


def _dynamics(args):
    from .dynamics import dynamics

    return _many([dynamics(a) for a in _archs(args.arch)], args.arch != "all")


def _all(args):
    from .report import run_all

    summary = run_all(_out_dir(args.out), progress=not args.no_progress)
    return summary.to_json(), summary.text(), (0 if summary.ok else 1)


def _train(args):
    from .network import preset
    from .seed import seed_loop
    from .training import train

    problem = preset(args.arch)
    if args.init is not None and len(args.init) != problem.n_params:
        names = ", ".join(problem.param_names)
        raise UsageError(f"--init needs {problem.n_params} weights ({names}), got {len(args.init)}")
    if args.arch == "none":
        result = seed_loop(args.seed, rate=args.rate, iterations=args.iterations, init=args.init)
    else:
        result = train(problem, args.init, seed=args.seed, rate=args.rate, iterations=args.iterations)
    return result.to_json(), repr(result)


def _gradcheck(args):
    from . import backprop
    from .check import gradcheck
    from .network import preset
    from .seed import seed_gradient

    problem = preset(args.arch)
    if args.function == "seed":
        if args.arch != "none":
            raise UsageError("--function seed exists only for --arch none (the seed's own network)")
        fn = seed_gradient
    else:

        def fn(w):
            return backprop.gradient(problem, w)

    result = gradcheck(fn, problem, n_points=args.points)
    lines = [repr(result)]
    for c in result.per_parameter:
        lines.append(
            f"  {c.name:>4}: max abs {c.max_abs_error:.3g}, max rel {c.max_rel_error:.3g}, "
            f"finite differences {c.fd_max_abs_error:.3g}  {'ok' if c.passed else 'FAIL'}"
        )
    if not result.passed:
        lines.append(result.message)
    return result.to_json(), "\n".join(lines), (0 if result.passed else 1)


def _bench(args):
    from .bench import pipeline_summary, run_bench, run_pipeline_bench

    report = run_bench(args.arch, n_points=args.points, repeats=args.repeats)
    rows = run_pipeline_bench() if args.pipeline else ()
    payload = dict(report.to_json(), pipeline=[r.to_json() for r in rows])
    return payload, report.summary() + ("\n" + pipeline_summary(rows) if rows else "")


COMMANDS = {
    "train": _train,
    "gradcheck": _gradcheck,
    "bench": _bench,
    "prove": _prove,
    "optimise": _optimise,
    "dynamics": _dynamics,
    "all": _all,
}


def main(argv=None) -> int:
    from .io import dumps

    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = build_parser().parse_args(_join_negative_values(argv))
        out = COMMANDS[args.command](args)
    except (UsageError, ValueError) as e:
        print(f"canlearn: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("canlearn: error: not enough memory for this request; ask for fewer points", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # e.g. the output folder became unwritable mid-run
        print(f"canlearn: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("canlearn: interrupted", file=sys.stderr)
        return 130
    payload, text, code = out if len(out) == 3 else (*out, 0)
    sys.stdout.write(dumps(payload) if getattr(args, "json", False) else text + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
