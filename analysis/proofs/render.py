"""proofs.md (Markdown with LaTeX math) and proofs.tex (standalone, pdflatex) from proof reports."""

from __future__ import annotations

from pathlib import Path

from ..network import preset
from .results import TheoremResult
from .statements import Conj

TITLE = "Proofs: what the seed network can and cannot do, checked by machine"

INTRO = " ".join(
    (
        "The seed network is a chain of two sigmoid neurons, y = sigma(W1 x + b1), z = sigma(W2 y + b2),",
        "trained on the inputs x = 0 and x = 1 with targets d = x under the loss L = 1/2 sum (d - z)^2.",
        "The four presets differ only in which biases exist: none, hidden (b1 only), output (b2 only), both.",
        "Each result below has a formal statement (SymPy relations over named real variables, with their",
        "domains and quantifiers), rendered from the object itself. A result is proved only when the",
        "proof kernel derived exactly that statement: every step is a fact made by a step checker or by",
        "one of the kernel's inference rules from earlier facts, and each is listed with its check. A",
        "false variant is refuted only when the kernel derived its negation (a counterexample certified",
        "in interval arithmetic, or a proved fact it contradicts). Free text is commentary: nothing in",
        "it is checked. Independent numeric evidence (interval covers of large boxes, dense sampling with",
        "extreme weights) is listed with each result; it is not part of any proof.",
    )
)

TRUSTED_TITLE = "Trusted base"
TRUSTED = (
    "The kernel (analysis/proofs/kernel.py) and its inference rules: conjunction, case split with "
    "covering checked by SymPy's set arithmetic, addition of signed facts (transitivity), product of "
    "signs, weakening, substitution of an identity, instantiation of a lemma with its hypotheses "
    "checked, infimum from a lower bound on the whole domain plus a path limit, non-attainment, "
    "separability from inf L = 0 and non-separability from a sign fact, contradiction.",
    "The step checkers (analysis/proofs/engine.py): identities by SymPy's expand, together and cancel "
    "(after writing sigma(t) = 1/(1 + e^(-t)) and each exponential as a power of a positive symbol); "
    "derivatives and point evaluations by SymPy's diff and substitution; signs by SymPy's assumption "
    "system on the sigma encoding (which rests on sigma(t) = 1/(1 + e^(-t)), e^(-t) > 0 and e^(-t) "
    "against 1: lemmas L1, L2, L5, derived below without that encoding); monotonicity by the sign of "
    "the derivative and the mean value theorem.",
    "Limits: SymPy's Gruntz algorithm, accepted only when arb enclosures at points 2^j from the limit "
    "point close in on the same value (a cross-check, not a proof of the limit).",
    "Interval certificates and counterexamples: python-flint arb ball arithmetic with outward rounding, "
    "and sigma enclosed by its endpoint values (it is increasing, lemma L6).",
    "Matching of statements: relations compared as e op 0 up to SymPy polynomial expansion.",
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


def _parts(r: TheoremResult) -> list[tuple[str, str]]:
    """(text, LaTeX) of each conjunct of the formal statement."""
    st = r.formal
    if st is None:
        return [(r.statement, r.statement_tex)]
    parts = st.parts if isinstance(st, Conj) else (st,)
    return [(p.text(), p.latex()) for p in parts]


def _value(v) -> str:
    return "unknown" if v is None else str(v)


def _yes(b) -> str:
    return "unknown" if b is None else ("yes" if b else "no")


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
            f"| `{rep.arch}` | {preset(rep.arch).description} | ${_value(rep.infimum_value)}$ | "
            f"{_yes(rep.infimum_attained)} | {_yes(rep.separable)} |"
        )
    out += ["", "These values are read off the kernel facts of the proved theorems.", "", NUMBERING]
    out += ["", f"## {TRUSTED_TITLE}", ""] + [f"- {t}" for t in TRUSTED]
    for title, items in _sections(reports):
        out += ["", f"## {title}"]
        variants = False
        for r, arches, first in items:
            if r.id.startswith("F") and not variants:
                variants = True
                out += ["", "*False variants (a correct toolkit refutes each):*"]
            if first:
                out += _md_result(r, arches)
            else:
                out += [
                    "",
                    f"*{r.id}. {r.title} - **{r.status}**: written out above, under preset {arches[0]}.*",
                ]
    return "\n".join(out).rstrip() + "\n"


def _md_result(r: TheoremResult, arches) -> list[str]:
    what = "Claim (false)" if r.expected == "refuted" else "Statement"
    out = ["", f"### {r.id}. {r.title} - **{r.status}**", "", f"*Presets:* {', '.join(arches)}", ""]
    out += [f"**{what}** (formal; {len(_parts(r))} part{'s' if len(_parts(r)) > 1 else ''}):", ""]
    for text, tex in _parts(r):
        out += [f"- {text}", "", f"  $$ {tex} $$", ""]
    if r.smt is not None:
        out += [f"*SMT second opinion (not part of the proof):* {r.smt.describe()}", ""]
    if r.comment:
        out += [f"*Commentary (not checked):* {r.comment}", ""]
    if r.steps:
        out += ["**Derivation** (each line a kernel fact: rule, premises, check).", ""]
    for i, s in enumerate(r.steps, start=1):
        prem = f" from {', '.join(s.uses)}" if s.uses else ""
        note = f" - {s.text}" if s.text else ""
        out += [
            f"{i}. *{s.kind}*{prem}{note}",
            "",
            f"   $$ {s.claim_tex} $$",
            "",
            f"   Check: {s.check}" if s.check else "",
            "",
        ]
    if r.failing_step:
        out += [f"**Not derived:** {r.failing_step}.", ""]
    if r.counterexample and "point" in r.counterexample:
        pt = ", ".join(f"{k} = {v}" for k, v in r.counterexample["point"].items())
        out += [f"**Counterexample:** {pt}.", ""]
    if r.conclusion:
        out += [f"**Conclusion.** {r.conclusion}", ""]
    if r.evidence:
        out += ["**Independent evidence.**", ""] + [f"- {_ev_line(e)}" for e in r.evidence] + [""]
    return [line for i, line in enumerate(out) if line or not (i and out[i - 1] == "")]


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
            rf"{esc(rep.arch)} & {esc(preset(rep.arch).description)} & ${_value(rep.infimum_value)}$ & "
            rf"{_yes(rep.infimum_attained)} & {_yes(rep.separable)} \\"
        )
    out += [
        r"\end{tabular}",
        "",
        esc("These values are read off the kernel facts of the proved theorems."),
        "",
    ]
    out += [esc(NUMBERING), rf"\section*{{{TRUSTED_TITLE}}}", r"\begin{itemize}"]
    out += [rf"\item {esc(t)}" for t in TRUSTED] + [r"\end{itemize}"]
    for title, items in _sections(reports):
        out.append(rf"\section*{{{esc(title)}}}")
        variants = False
        for r, arches, first in items:
            if r.id.startswith("F") and not variants:
                variants = True
                out.append(r"\emph{False variants (a correct toolkit refutes each):}")
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
    what = "Claim (false)" if r.expected == "refuted" else "Statement"
    out = [
        rf"\subsection*{{{esc(r.id)}. {esc(r.title)} --- \textbf{{{esc(r.status)}}}}}",
        rf"\emph{{Presets:}} {esc(', '.join(arches))}",
        "",
        rf"\textbf{{{what}}} (formal):",
    ]
    out += [_display(tex) for _, tex in _parts(r)]
    if r.smt is not None:
        out.append(rf"\emph{{SMT second opinion (not part of the proof):}} {esc(r.smt.describe())}")
    if r.comment:
        out.append(rf"\emph{{Commentary (not checked):}} {esc(r.comment)}")
    if r.steps:
        out += [
            r"\textbf{Derivation} (each line a kernel fact: rule, premises, check).",
            r"\begin{enumerate}",
        ]
        for s in r.steps:
            prem = f" from {', '.join(s.uses)}" if s.uses else ""
            note = f" --- {esc(s.text)}" if s.text else ""
            out += [rf"\item \emph{{{esc(s.kind)}}}{esc(prem)}{note}", _display(s.claim_tex)]
            if s.check:
                out.append(rf"{{\small Check: {esc(s.check)}}}")
        out.append(r"\end{enumerate}")
    if r.failing_step:
        out.append(rf"\textbf{{Not derived:}} {esc(r.failing_step)}.")
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
