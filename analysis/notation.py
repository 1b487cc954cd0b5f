"""Mathematics as mathematics: turn the plain-text formulas the analyses write into ``$...$`` math.

The analyses describe their results in plain text (``sigma(W2/2)**2/2 + 1/8``, ``W1->+inf``,
``L >= 1/8``). :func:`typeset` finds the formula runs in such text and rewrites each as a LaTeX
subset that both matplotlib's mathtext (the PDF) and GitHub's Markdown math understand, leaving
the prose around them alone. A run mathtext cannot parse stays as it was, in plain symbols.
"""

from __future__ import annotations

import functools
import re

__all__ = ["latex", "pretty", "typeset"]

# Single letters that are variables when they stand alone (not "a", "I", ...).
_VARS = set("LxyzutdnkWBNvw")
_FUNCS = ("sigma", "sqrt", "log", "exp")
_OPS = {
    "+",
    "-",
    "−",
    "=",
    "<",
    ">",
    "<=",
    ">=",
    "->",
    "→",
    "*",
    "/",
    "=>",
    "!=",
    "~",
    "∈",
    "≤",
    "≥",
    "·",
    "×",
}
_PARAM = re.compile(r"^[Wwb]\d+(\[\d+(,\s*\d+)?\])?$")
_NUMBER = re.compile(r"^[+\-−]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_TRAIL = ",.;:?!"
_OPENERS, _CLOSERS = "([{", ")]}"


def _depth(s: str) -> int:
    return sum((c in _OPENERS) - (c in _CLOSERS) for c in s)


def _tokens(line: str) -> list[tuple[str, str]]:
    """(token, whitespace before it): words, with unbalanced brackets and trailing punctuation
    split off as tokens of their own (glued to the word, no space)."""
    out = []
    for m in re.finditer(r"(\s*)(\S+)", line):
        space, word = m.group(1), m.group(2)
        lead = ""
        while word and word[0] in _OPENERS and _depth(word) > 0:
            lead, word = lead + word[0], word[1:]
        tail = ""
        while word and (word[-1] in _TRAIL or (word[-1] in _CLOSERS and _depth(word) < 0)):
            tail, word = word[-1] + tail, word[:-1]
        pieces = list(lead) + ([word] if word else []) + list(tail)
        out += [(piece, space if k == 0 else "") for k, piece in enumerate(pieces)]
    return out


def _kind(token: str) -> str:
    if token in _OPENERS:
        return "open"
    if token in _CLOSERS:
        return "close"
    if token in _TRAIL:
        return "punct"
    if token in _OPS:
        return "op"
    core = token.lstrip("+-−")
    if _NUMBER.match(token):
        return "num"
    if core in _VARS or _PARAM.match(core) or re.fullmatch(r"[A-Za-z]_[A-Za-z0-9]+|\d+[a-z]", core):
        return "math"
    if core in ("oo", "inf", "eps", "infty", "sigma"):
        return "math"
    if re.match(r"^[A-Za-z]'?\(", core):
        return "math"  # z(0), L(saddle)
    if any(core.startswith((f + "(", f + "'(")) for f in _FUNCS):
        return "math"
    if re.search(r"\*\*|\^|->|<=|>=|[=<>]", token) or re.search(r"\d/|/\d|[Wb]\d", token):
        return "math"
    return "text"


def _starts_formula(kinds: list[str], i: int) -> bool:
    """A number opens a formula only when an operator and more formula follow (``0 < sigma(t)``)."""
    return i + 2 < len(kinds) and kinds[i + 1] == "op" and kinds[i + 2] in ("math", "num")


def _extend(tokens: list[str], kinds: list[str], i: int) -> int:
    """End (exclusive) of the formula starting at token ``i``, brackets balanced inside it."""
    j, depth, opened = i, 0, []
    while j < len(kinds):
        k, d = kinds[j], _depth(tokens[j])
        if k == "text" or (k == "punct" and depth == 0) or depth + d < 0:
            break
        if depth == 0 and k == "math" and j > i and kinds[j - 1] == "num":
            break  # "on B = 80 L is flat": a number then a variable starts the prose again
        if d > 0:
            opened += [j] * d
        elif d < 0:
            del opened[d:]
        depth += d
        j += 1
    if depth > 0:
        j = opened[0]  # an unclosed bracket (prose inside it): the formula ends before it
    while j > i and kinds[j - 1] in ("op", "open"):
        j -= 1
    return j


def _runs(tokens: list[str]) -> list[tuple[int, int]]:
    """Index ranges [i, j) of formula runs: math, operator and number tokens that belong together."""
    kinds = [_kind(t) for t in tokens]
    for m, t in enumerate(tokens[:-1]):
        if t in ("log", "exp") and kinds[m + 1] in ("math", "num"):
            kinds[m] = "math"  # "log 3", but not "log colour scale"
    runs, i, n = [], 0, len(tokens)
    while i < n:
        k = kinds[i]
        starts = k == "math" or (k == "num" and _starts_formula(kinds, i))
        starts |= (
            k == "op"
            and i + 1 < n
            and kinds[i + 1] in ("math", "num")
            and tokens[i] in ("-", "−", "->", "→", "<=", ">=", "<", ">", "≤", "≥")
        )
        starts |= k == "open" and i + 1 < n and kinds[i + 1] in ("math", "num", "open", "op")
        if not starts:
            i += 1
            continue
        j = _extend(tokens, kinds, i)
        if j > i and any(kinds[m] in ("math", "op") for m in range(i, j)):
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _group(s: str, start: int) -> int:
    """Index just past the bracket group opening at ``s[start]``."""
    depth = 0
    for k in range(start, len(s)):
        depth += (s[k] in _OPENERS) - (s[k] in _CLOSERS)
        if depth == 0:
            return k + 1
    return len(s)


def _braces(s: str, marker: str, build) -> str:
    """Rewrite ``marker(...)`` groups with ``build(inner)``, innermost arguments first."""
    out, k = [], 0
    while True:
        m = s.find(marker, k)
        if m < 0:
            return "".join(out) + s[k:]
        start = m + len(marker) - 1
        end = _group(s, start)
        out.append(s[k:m] + build(_braces(s[start + 1 : end - 1], marker, build)))
        k = end


def latex(formula: str) -> str:
    """A plain-text formula as mathtext/MathJax LaTeX (without the ``$``)."""
    s = formula.replace("**", "^")
    s = s.replace("{", r"\{").replace("}", r"\}")
    s = _braces(s, "sqrt(", lambda inner: r"\sqrt{" + inner + "}")
    s = _braces(s, "^(", lambda inner: "^{" + inner + "}")
    s = re.sub(r"\^([A-Za-z0-9.]+)", r"^{\1}", s)
    s = re.sub(r"(?<=[+\-−>])(\s*)inf\b", r"\1\\infty", s)  # after a sign or arrow: infinity
    s = re.sub(r"\binf\b", r"\\mathrm{inf}\\,", s)  # otherwise: the infimum
    s = re.sub(r"(?<!\\)\b(oo|infty)\b", r"\\infty", s)
    s = re.sub(r"\bR\^", r"\\mathbb{R}^", s)
    s = re.sub(r"\beps\b", r"\\varepsilon", s)
    s = re.sub(r"\b(sigma|log|exp|sum)\b", r"\\\1", s)
    s = re.sub(r"\b([Wwb])(\d+)\b", r"\1_{\2}", s)
    # 1.6e-05: the exponent's sign is unary, not a subtraction.
    s = re.sub(r"(\d)[eE]([+-]?\d+)\b", r"\1\\mathrm{e}{\2}", s)
    for a, b in (("->", r"\to "), ("→", r"\to "), (">=", r"\geq "), ("≥", r"\geq "), ("<=", r"\leq ")):
        s = s.replace(a, b)
    for a, b in (
        ("≤", r"\leq "),
        ("=>", r"\Rightarrow "),
        ("!=", r"\neq "),
        ("∈", r"\in "),
        ("×", r"\times "),
        ("·", r"\cdot "),
    ):
        s = s.replace(a, b)
    s = re.sub(r"(?<=\d)\s*\*\s*(?=[A-Za-z\\(])", r"\\,", s)
    s = s.replace("*", r"\cdot ").replace("~", r"\sim ").replace("%", r"\%").replace("−", "-")
    return re.sub(r"\s+", " ", s).strip()


@functools.cache
def _mathtext_ok(tex: str) -> bool:
    from .pdfreport import sets_formula

    return sets_formula(f"${tex}$")


def pretty(text: str) -> str:
    """Plain symbols where LaTeX is not available: arrows, infinity, minus, sigma."""
    s = re.sub(r"\s*->\s*", " → ", text)
    s = re.sub(r"\b(oo|inf)\b", "∞", s).replace("-∞", "−∞")
    s = re.sub(r"\bsigma\b", "σ", s).replace("**", "^").replace(">=", "≥").replace("<=", "≤")
    return s


def _typeset_prose(line: str) -> str:
    tokens = _tokens(line)
    words = [t for t, _ in tokens]
    out, k = [], 0
    for i, j in _runs(words):
        out += [sp + t for t, sp in tokens[k:i]]
        formula = "".join((sp if m > i else "") + t for m, (t, sp) in enumerate(tokens[i:j], start=i))
        tex = latex(formula)
        out.append(tokens[i][1] + (f"${tex}$" if tex and _mathtext_ok(tex) else pretty(formula)))
        k = j
    out += [sp + t for t, sp in tokens[k:]]
    return "".join(out) + line[len(line.rstrip()) :]


@functools.cache
def typeset(text: str) -> str:
    """``text`` with every formula run as ``$...$`` math; prose, and ``$...$`` already in it, stay."""
    text = text.replace("`", "")  # code quotes are Markdown markup, not content
    text = re.sub(r"(?<=\w) in (?=\{)", " ∈ ", text)
    parts = re.split(r"(\$[^$]*\$)", text)
    return "".join(
        part if k % 2 else "\n".join(_typeset_prose(line) for line in part.split("\n"))
        for k, part in enumerate(parts)
    )
