"""Formal statements: what a fact says, as SymPy objects, rendered to text and LaTeX from the object.

A domain is a tuple of (real symbol, SymPy set) pairs sorted by name; every free symbol of a
statement's relation is listed. Relations are SymPy relationals built with ``evaluate=False``
(``rel``), so nothing is decided while a statement is written down. Free text never appears
here: commentary lives on steps and theorems and is not part of what the kernel checks.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import sympy as sp

from ..network import Problem

REAL = sp.S.Reals
KIND_SETS = {
    "real": REAL,
    "positive": sp.Interval.open(0, sp.oo),
    "negative": sp.Interval.open(-sp.oo, 0),
    "zero": sp.FiniteSet(0),
    "nonnegative": sp.Interval(0, sp.oo),
    "nonpositive": sp.Interval(-sp.oo, 0),
    "nonzero": sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval.open(0, sp.oo)),
}
_OPS = {
    "<": sp.StrictLessThan,
    "<=": sp.LessThan,
    ">": sp.StrictGreaterThan,
    ">=": sp.GreaterThan,
    "=": sp.Eq,
}


class At(sp.Expr):
    """``expr`` with ``variables`` set to ``values``, unevaluated until ``doit()``.

    Used instead of SymPy's Subs, whose equality treats its variables as bound and can call two
    different substitutions equal (Subs(D(L, W1, W2), ...) == Subs(D(L, W2, W2), ...)).
    """

    def __new__(cls, expr, variables, values):
        if not isinstance(variables, tuple | list | sp.Tuple):
            variables, values = (variables,), (values,)
        variables, values = sp.Tuple(*variables), sp.Tuple(*values)
        if len(variables) != len(values) or not all(isinstance(v, sp.Symbol) for v in variables):
            raise ValueError("At needs as many values as symbols")
        return sp.Expr.__new__(cls, sp.sympify(expr), variables, values)

    @property
    def free_symbols(self):
        e, vs, xs = self.args
        return (e.free_symbols - set(vs)) | xs.free_symbols

    def doit(self, **hints):
        e, vs, xs = self.args
        done = e.doit(**hints)
        if done.has(sp.Derivative, sp.Subs):  # setting a differentiation variable would be meaningless
            raise ValueError(f"cannot evaluate {e} before substituting")
        return done.xreplace(dict(zip(vs, xs)))

    def _sympystr(self, printer):
        e, vs, xs = self.args
        pts = ", ".join(f"{printer._print(v)}={printer._print(q)}" for v, q in zip(vs, xs))
        return f"[{printer._print(e)}]_({pts})"

    def _latex(self, printer, exp=None):
        e, vs, xs = self.args
        pts = ",".join(f"{printer._print(v)}={printer._print(q)}" for v, q in zip(vs, xs))
        body = rf"\left.{printer._print(e)}\right|_{{{pts}}}"
        return rf"\left({body}\right)^{{{exp}}}" if exp is not None else body


def rel(lhs, op: str, rhs=0) -> sp.Rel:
    """``lhs op rhs`` as an unevaluated SymPy relational (op one of < <= > >= =)."""
    return _OPS[op](sp.sympify(lhs), sp.sympify(rhs), evaluate=False)


def domain(*items) -> tuple[tuple[sp.Symbol, sp.Set], ...]:
    """A domain from (symbol, kind-name or set) pairs, sorted by symbol name."""
    out = {}
    for s, where in items:
        out[s] = KIND_SETS[where] if isinstance(where, str) else where
    return tuple(sorted(out.items(), key=lambda kv: kv[0].name))


def reals(*symbols) -> tuple[tuple[sp.Symbol, sp.Set], ...]:
    return domain(*((s, "real") for s in symbols))


def normal_form(r: sp.Rel) -> tuple[str, sp.Expr]:
    """(op, e) with ``r`` equivalent to ``e op 0`` and op one of > >= = (a < b becomes b - a > 0)."""
    if isinstance(r, sp.StrictGreaterThan):
        return ">", r.lhs - r.rhs
    if isinstance(r, sp.GreaterThan):
        return ">=", r.lhs - r.rhs
    if isinstance(r, sp.StrictLessThan):
        return ">", r.rhs - r.lhs
    if isinstance(r, sp.LessThan):
        return ">=", r.rhs - r.lhs
    if isinstance(r, sp.Equality):
        return "=", r.lhs - r.rhs
    raise TypeError(f"not a supported relation: {r!r}")


# ---------------------------------------------------------------------------------------------
# Rendering helpers


def _set_text(s: sp.Symbol, where: sp.Set) -> str:
    names = {v: k for k, v in KIND_SETS.items()}
    k = names.get(where)
    word = {
        "real": "real",
        "positive": "> 0",
        "negative": "< 0",
        "zero": "= 0",
        "nonnegative": ">= 0",
        "nonpositive": "<= 0",
        "nonzero": "!= 0",
    }
    if k is not None:
        return f"{s} {word[k]}"
    if isinstance(where, sp.Interval) and where.start.is_finite and where.end.is_finite:
        lo = "<" if where.left_open else "<="
        hi = "<" if where.right_open else "<="
        return f"{where.start} {lo} {s} {hi} {where.end}"
    return f"{s} in {where}"


def _set_tex(s: sp.Symbol, where: sp.Set) -> str:
    names = {v: k for k, v in KIND_SETS.items()}
    k = names.get(where)
    word = {
        "real": r"\in \mathbb{R}",
        "positive": "> 0",
        "negative": "< 0",
        "zero": "= 0",
        "nonnegative": r"\ge 0",
        "nonpositive": r"\le 0",
        "nonzero": r"\ne 0",
    }
    if k is not None:
        return f"{sp.latex(s)} {word[k]}"
    if isinstance(where, sp.Interval) and where.start.is_finite and where.end.is_finite:
        lo = "<" if where.left_open else r"\le"
        hi = "<" if where.right_open else r"\le"
        return f"{sp.latex(where.start)} {lo} {sp.latex(s)} {hi} {sp.latex(where.end)}"
    return rf"{sp.latex(s)} \in {sp.latex(where)}"


def _dom_text(dom) -> str:
    return ", ".join(_set_text(s, w) for s, w in dom)


def _dom_tex(dom) -> str:
    return r",\ ".join(_set_tex(s, w) for s, w in dom)


_REL_TEXT = {
    sp.StrictLessThan: "<",
    sp.LessThan: "<=",
    sp.StrictGreaterThan: ">",
    sp.GreaterThan: ">=",
    sp.Equality: "=",
}


def rel_text(r: sp.Rel) -> str:
    return f"{sp.sstr(r.lhs)} {_REL_TEXT[type(r)]} {sp.sstr(r.rhs)}"


# ---------------------------------------------------------------------------------------------
# Statements


def _rendered(method):
    """Keep a statement's rendering on the statement: the derivations, the proofs' documents and
    the report print the same statements again and again. Kept with the very field objects it was
    rendered from, so a statement forged in place (the kernel guards against those) renders anew."""
    key = f"_{method.__name__}_rendered"

    @functools.wraps(method)
    def once(self) -> str:
        parts = tuple(getattr(self, f.name) for f in dataclasses.fields(self))
        kept = self.__dict__.get(key)
        if kept is None or len(kept[0]) != len(parts) or any(a is not b for a, b in zip(kept[0], parts)):
            kept = self.__dict__[key] = (parts, method(self))
        return kept[1]

    return once


@dataclass(frozen=True)
class ForAll:
    """For all values of the domain's symbols in their sets: ``relation``."""

    domain: tuple[tuple[sp.Symbol, sp.Set], ...]
    relation: sp.Rel

    @_rendered
    def text(self) -> str:
        if not self.domain:
            return rel_text(self.relation)
        return f"for all {_dom_text(self.domain)}: {rel_text(self.relation)}"

    @_rendered
    def latex(self) -> str:
        if not self.domain:
            return sp.latex(self.relation)
        return rf"\forall\, {_dom_tex(self.domain)}:\quad {sp.latex(self.relation)}"


@dataclass(frozen=True)
class LimitIs:
    """lim_{var -> point (from direction)} expr = value."""

    expr: sp.Expr
    var: sp.Symbol
    point: sp.Expr
    direction: str
    value: sp.Expr

    def _arrow(self) -> tuple[str, str]:
        finite = self.point not in (sp.oo, -sp.oo)
        side = self.direction if finite else ""
        return f"{self.point}{side}", sp.latex(self.point) + (f"^{{{side}}}" if side else "")

    @_rendered
    def text(self) -> str:
        return f"lim_({self.var} -> {self._arrow()[0]}) {sp.sstr(self.expr)} = {self.value}"

    @_rendered
    def latex(self) -> str:
        arrow = rf"{sp.latex(self.var)} \to {self._arrow()[1]}"
        return rf"\lim_{{{arrow}}} {sp.latex(self.expr)} = {sp.latex(self.value)}"


@dataclass(frozen=True)
class Monotone:
    """``expr`` is strictly increasing/decreasing in ``var`` on its set, for all values of the rest."""

    expr: sp.Expr
    var: sp.Symbol
    direction: str
    domain: tuple[tuple[sp.Symbol, sp.Set], ...]

    @_rendered
    def text(self) -> str:
        return f"{sp.sstr(self.expr)} is strictly {self.direction} in {self.var} for {_dom_text(self.domain)}"

    @_rendered
    def latex(self) -> str:
        return (
            rf"{sp.latex(self.expr)}\ \text{{strictly {self.direction} in }} {sp.latex(self.var)},\quad "
            rf"{_dom_tex(self.domain)}"
        )


@dataclass(frozen=True)
class Infimum:
    """inf of ``f`` over the domain equals ``value``."""

    f: sp.Expr
    domain: tuple[tuple[sp.Symbol, sp.Set], ...]
    value: sp.Expr

    @_rendered
    def text(self) -> str:
        return f"inf over {_dom_text(self.domain)} of {sp.sstr(self.f)} = {self.value}"

    @_rendered
    def latex(self) -> str:
        return rf"\inf_{{{_dom_tex(self.domain)}}} \left({sp.latex(self.f)}\right) = {sp.latex(self.value)}"


@dataclass(frozen=True)
class Attained:
    """``attained``: some point of the domain has f = value; otherwise no point has."""

    f: sp.Expr
    domain: tuple[tuple[sp.Symbol, sp.Set], ...]
    value: sp.Expr
    attained: bool

    @_rendered
    def text(self) -> str:
        q = "there are" if self.attained else "there are no"
        return f"{q} {_dom_text(self.domain)} with {sp.sstr(self.f)} = {self.value}"

    @_rendered
    def latex(self) -> str:
        q = r"\exists" if self.attained else r"\nexists"
        return rf"{q}\, {_dom_tex(self.domain)}:\ {sp.latex(self.f)} = {sp.latex(self.value)}"


@dataclass(frozen=True)
class Separable:
    """``holds``: some weights put every output on its target's side of 1/2 (0/1 targets)."""

    problem: Problem
    holds: bool

    @_rendered
    def text(self) -> str:
        q = "some" if self.holds else "no"
        return f"{q} weights of {self.problem.name} put every output strictly on its target's side of 1/2"

    @_rendered
    def latex(self) -> str:
        q = r"\exists" if self.holds else r"\nexists"
        return rf"{q}\, w:\ (z_i(w) - \tfrac12)(2 d_i - 1) > 0\ \forall i\quad \text{{({self.problem.name})}}"


@dataclass(frozen=True)
class Not:
    claim: object

    @_rendered
    def text(self) -> str:
        return f"NOT [{self.claim.text()}]"

    @_rendered
    def latex(self) -> str:
        return rf"\neg\left[{self.claim.latex()}\right]"


@dataclass(frozen=True)
class Conj:
    parts: tuple

    @_rendered
    def text(self) -> str:
        return " AND ".join(f"({p.text()})" for p in self.parts)

    @_rendered
    def latex(self) -> str:
        return r"\begin{gathered}" + r" \\ \wedge\ ".join(p.latex() for p in self.parts) + r"\end{gathered}"
