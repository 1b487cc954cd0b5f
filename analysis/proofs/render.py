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
        "rounding on a cover of a box. A theorem is proved only when every step checks. False variants",
        "are refuted by a counterexample certified in interval arithmetic (or, for an existence claim, by",
        "the proved negation). Independent numeric evidence (interval covers of large boxes, dense",
        "sampling with extreme weights) is listed with each result.",
    )
)


def _unique(reports) -> list[tuple[TheoremResult, list[str]]]:
    """Each result once (lemmas and T7 are shared), in first-seen order, with the presets it serves."""
    seen: dict[tuple, tuple[TheoremResult, list[str]]] = {}
    for rep in reports:
        for r in rep.theorems:
            key = (r.id, r.title, r.statement)
            if key not in seen:
                seen[key] = (r, [])
            seen[key][1].append(rep.arch)
    return list(seen.values())


def _group(r: TheoremResult) -> str:
    return {"L": "Lemmas about the sigmoid", "T": "Theorems", "F": "False variants (refuted)"}[r.id[0]]


def _mark(s) -> str:
    if s.ok:
        return "checked"
    return "fails, as it must for a false claim" if s.kind == "attempted proof" else "FAILED"


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
    group = None
    for r, arches in _unique(reports):
        if _group(r) != group:
            group = _group(r)
            out += ["", f"## {group}"]
        out += [
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
            mark = _mark(s)
            out += [
                f"{i}. *{s.kind}* - {s.text}",
                "",
                f"   $$ {s.claim_tex} $$",
                "",
                f"   Check ({mark}): {s.check}" + (f"; uses {', '.join(s.uses)}" if s.uses else ""),
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
    return "\n".join(out).rstrip() + "\n"


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
    out.append(r"\end{tabular}")
    group = None
    for r, arches in _unique(reports):
        if _group(r) != group:
            group = _group(r)
            out.append(rf"\section*{{{esc(group)}}}")
        out += [
            rf"\subsection*{{{esc(r.id)}. {esc(r.title)} --- \textbf{{{esc(r.status)}}}}}",
            rf"\emph{{Presets:}} {esc(', '.join(arches))}",
            "",
            rf"\textbf{{Statement.}} {esc(r.statement)}",
            _display(r.statement_tex),
            r"\textbf{Proof.}",
            r"\begin{enumerate}",
        ]
        for s in r.steps:
            mark = _mark(s)
            uses = f"; uses {', '.join(s.uses)}" if s.uses else ""
            out += [
                rf"\item \emph{{{esc(s.kind)}}} --- {esc(s.text)}",
                _display(s.claim_tex),
                rf"{{\small Check ({mark}): {esc(s.check + uses)}}}",
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
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def write_documents(reports, out_dir) -> tuple[Path, Path]:
    """Write proofs.md and proofs.tex into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, tex = out / "proofs.md", out / "proofs.tex"
    md.write_text(render_markdown(reports))
    tex.write_text(render_latex(reports))
    return md, tex
