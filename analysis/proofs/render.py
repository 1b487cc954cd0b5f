"""proofs.md (Markdown with LaTeX math) and proofs.tex (standalone, pdflatex) from proof reports."""

from __future__ import annotations

from pathlib import Path

from ..network import preset
from .engine import TheoremResult

TITLE = "Proofs: what the seed network can and cannot do, checked by machine"

INTRO = " ".join(
    (
        "The seed network is a chain of two sigmoid neurons, y = sigma(W1 x + b1), z = sigma(W2 y + b2),",
        "trained on the inputs x = 0 and x = 1 with targets d = x under the loss L = 1/2 sum (d - z)^2.",
        "The four presets differ only in which biases exist: none, hidden (b1 only), output (b2 only), both.",
        "Every statement below was proved by the canlearn proof engine when this document was generated:",
        "each step is a claim that a machine checked, and the check is written under it. Identities are",
        "checked by expanding the difference to 0 (treating each sigma(...) as an independent symbol) or,",
        "after writing sigma(t) = 1/(1 + e^(-t)), by cancelling it as a rational function of exponentials.",
        "Sign facts are checked by replacing each sigma(a), innermost first, by 1/(1 + E) with",
        "E = e^(-a) > 0 (E < 1 when a > 0, E > 1 when a < 0), which covers every value sigma(a) can take,",
        "and asking SymPy to sign the resulting rational function of positive symbols. Limits are SymPy",
        "limits of the exponential form; interval certificates use arb ball arithmetic with outward",
        "rounding on a cover of a box. Each claim states the conditions it was checked under (for",
        "example 'for t > 0'); symbols without one range over all real numbers. A theorem is proved",
        "only when every step checks. False variants",
        "are refuted by a counterexample certified in interval arithmetic (or, for an existence claim, by",
        "the proved negation). Independent numeric evidence (interval covers of large boxes, dense",
        "sampling with extreme weights) is listed with each result.",
    )
)


NUMBERING = (
    "Theorems are numbered across presets and listed by number within each preset's section; a "
    "theorem that serves several presets (T7) is written out once, under the first, and referred to "
    "from the others."
)
LEMMAS = "Lemmas about the sigmoid (used by every preset)"


def _key(r: TheoremResult) -> tuple:
    return (r.id, r.title, r.statement)


def _order(r: TheoremResult) -> tuple:
    """Lemmas, then theorems, then false variants; by number within each."""
    group = "LTF".index(r.id[0]) if r.id[0] in "LTF" else 3
    return (group, int(r.id[1:]) if r.id[1:].isdigit() else 0, r.id)


def _sections(reports) -> list[tuple[str, list[tuple[TheoremResult, list[str], bool]]]]:
    """[(title, [(result, presets, first)])]: the lemmas once, then one section per preset.

    ``first`` is False for a result already written out in an earlier section (a shared theorem).
    """
    arches: dict[tuple, list[str]] = {}
    for rep in reports:
        for r in rep.theorems:
            arches.setdefault(_key(r), []).append(rep.arch)
    seen: set[tuple] = set()
    lemmas, sections = [], []
    for rep in reports:
        items = []
        for r in sorted(rep.theorems, key=_order):
            k = _key(r)
            if r.id.startswith("L"):
                if k not in seen:
                    lemmas.append((r, arches[k], True))
                    seen.add(k)
                continue
            items.append((r, arches[k], k not in seen))
            seen.add(k)
        sections.append((f"Preset {rep.arch}: {preset(rep.arch).description}", items))
    return [(LEMMAS, lemmas)] + sections


def _mark(s) -> str:
    if s.ok:
        return "checked"
    if s.kind == "attempted proof":
        return "not proved; the engine's reason"
    return "FAILED"


def _ev_line(e: dict) -> str:
    extra = [
        f"{k} {v}" for k, v in e.items() if k in ("boxes", "samples", "violations", "min_gap", "max_error")
    ]
    return f"{e['kind']}: {e['claim']} - {'passed' if e['passed'] else 'FAILED'}" + (
        f" ({', '.join(extra)})" if extra else ""
    )


# ---------------------------------------------------------------------------------------------
# Markdown


def render_markdown(reports) -> str:
    """One Markdown document covering every report (shared lemmas rendered once)."""
    out = [
        f"# {TITLE}",
        "",
        INTRO,
        "",
        "## Summary",
        "",
        "| preset | network | inf L | attained | separable |",
        "|---|---|---|---|---|",
    ]
    for rep in reports:
        out.append(
            f"| `{rep.arch}` | {preset(rep.arch).description} | ${rep.infimum_value}$ | "
            f"{'yes' if rep.infimum_attained else 'no'} | {'yes' if rep.separable else 'no'} |"
        )
    out += ["", NUMBERING]
    for title, items in _sections(reports):
        out += ["", f"## {title}"]
        variants = False
        for r, arches, first in items:
            if r.id.startswith("F") and not variants:
                variants = True
                out += ["", "*False variants, each refuted:*"]
            if first:
                out += _md_result(r, arches)
            else:
                out += [
                    "",
                    f"*{r.id}. {r.title} - **{r.status}**: written out above, under preset {arches[0]}.*",
                ]
    return "\n".join(out).rstrip() + "\n"


def _md_result(r: TheoremResult, arches) -> list[str]:
    out = [
        "",
        f"### {r.id}. {r.title} - **{r.status}**",
        "",
        f"*Presets:* {', '.join(arches)}",
        "",
        f"**Statement.** {r.statement}",
        "",
        f"$$ {r.statement_tex} $$",
        "",
        "**Proof.**",
        "",
    ]
    for i, s in enumerate(r.steps, start=1):
        out += [
            f"{i}. *{s.kind}* - {s.text}",
            "",
            f"   $$ {s.claim_tex} $$",
            "",
            f"   Check ({_mark(s)}): {s.check}" + (f"; uses {', '.join(s.uses)}" if s.uses else ""),
            "",
        ]
    if r.failing_step:
        out += [f"**Unproved:** the first failing step is {r.failing_step}.", ""]
    if r.counterexample and "point" in r.counterexample:
        pt = ", ".join(f"{k} = {v}" for k, v in r.counterexample["point"].items())
        out += [f"**Counterexample:** {pt}.", ""]
    if r.conclusion:
        out += [f"**Conclusion.** {r.conclusion}", ""]
    if r.evidence:
        out += ["**Independent evidence.**", ""] + [f"- {_ev_line(e)}" for e in r.evidence] + [""]
    return out


# ---------------------------------------------------------------------------------------------
# LaTeX

_ESC = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def esc(text: str) -> str:
    return "".join(_ESC.get(c, c) for c in str(text).encode("ascii", "replace").decode())


def _display(math: str) -> str:
    # Long formulas are scaled to the line width rather than overflowing the page.
    if len(math) > 140:
        return rf"\[\resizebox{{\linewidth}}{{!}}{{$\displaystyle {math}$}}\]"
    return rf"\[ {math} \]"


def render_latex(reports) -> str:
    """A standalone LaTeX document (pdflatex, base packages only) covering every report."""
    out = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2.2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage{graphicx}",
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}\setlength{\parskip}{4pt}",
        rf"\title{{{esc(TITLE)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        esc(INTRO),
        r"\section*{Summary}",
        r"\begin{tabular}{lllll}",
        r"preset & network & $\inf L$ & attained & separable \\ \hline",
    ]
    for rep in reports:
        out.append(
            rf"{esc(rep.arch)} & {esc(preset(rep.arch).description)} & ${rep.infimum_value}$ & "
            rf"{'yes' if rep.infimum_attained else 'no'} & {'yes' if rep.separable else 'no'} \\"
        )
    out += [r"\end{tabular}", "", esc(NUMBERING)]
    for title, items in _sections(reports):
        out.append(rf"\section*{{{esc(title)}}}")
        variants = False
        for r, arches, first in items:
            if r.id.startswith("F") and not variants:
                variants = True
                out.append(r"\emph{False variants, each refuted:}")
            if first:
                out += _tex_result(r, arches)
            else:
                out.append(
                    rf"\emph{{{esc(r.id)}. {esc(r.title)} --- \textbf{{{esc(r.status)}}}: written out above, "
                    rf"under preset {esc(arches[0])}.}}"
                )
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _tex_result(r: TheoremResult, arches) -> list[str]:
    out = [
        rf"\subsection*{{{esc(r.id)}. {esc(r.title)} --- \textbf{{{esc(r.status)}}}}}",
        rf"\emph{{Presets:}} {esc(', '.join(arches))}",
        "",
        rf"\textbf{{Statement.}} {esc(r.statement)}",
        _display(r.statement_tex),
        r"\textbf{Proof.}",
        r"\begin{enumerate}",
    ]
    for s in r.steps:
        uses = f"; uses {', '.join(s.uses)}" if s.uses else ""
        out += [
            rf"\item \emph{{{esc(s.kind)}}} --- {esc(s.text)}",
            _display(s.claim_tex),
            rf"{{\small Check ({esc(_mark(s))}): {esc(s.check + uses)}}}",
        ]
    out.append(r"\end{enumerate}")
    if r.failing_step:
        out.append(rf"\textbf{{Unproved:}} the first failing step is {esc(r.failing_step)}.")
    if r.counterexample and "point" in r.counterexample:
        pt = ", ".join(f"{k} = {v}" for k, v in r.counterexample["point"].items())
        out.append(rf"\textbf{{Counterexample:}} {esc(pt)}.")
    if r.conclusion:
        out.append(rf"\textbf{{Conclusion.}} {esc(r.conclusion)}")
    if r.evidence:
        out += [r"\textbf{Independent evidence.}", r"\begin{itemize}"]
        out += [rf"\item {{\small {esc(_ev_line(e))}}}" for e in r.evidence]
        out.append(r"\end{itemize}")
    return out


def write_documents(reports, out_dir) -> tuple[Path, Path]:
    """Write proofs.md and proofs.tex into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, tex = out / "proofs.md", out / "proofs.tex"
    md.write_text(render_markdown(reports))
    tex.write_text(render_latex(reports))
    return md, tex
