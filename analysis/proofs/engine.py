"""A small proof engine: theorems are ordered steps, and every step is a claim checked by machine.

Step kinds (each ``check`` returns a :class:`Verdict`; nothing is accepted because code says so):

* :class:`Identity` - ``lhs - rhs`` reduces to 0, either as a polynomial in its sigma(...) atoms
  (each atom an independent symbol) or after writing sigma(t) = 1/(1 + e^{-t}) and every e^{c m}
  as a power of one positive symbol per monomial m (a rational-function identity).
* :class:`Sign` - the sign of an expression under sign conditions on its symbols. Each sigma(a)
  is replaced, innermost first, by 1/(1 + E) with E > 0 a fresh symbol (E = e^{-a}); when the sign
  of a is already known, E = 1/(1 + P) (a > 0) or E = 1 + P (a < 0) with P > 0. The result is a
  rational function whose numerator and (strictly signed) denominator SymPy's assumption system
  must sign. Sound because every real value of the replaced atom is covered; uses L1, L2, L5.
* :class:`SignCases` - a sign claim per case of the trichotomy of one symbol (all three cases).
* :class:`Monotone` - f strictly monotone in v on an open interval, from the sign of df/dv (mean
  value theorem).
* :class:`MonotoneCompare` - f(a) <= f(b) from a cited monotonicity (whose conditions it inherits),
  a and b in the interval it was checked on, and a sign claim on b - a.
* :class:`Limit` - a one-variable SymPy limit after rewriting sigma via exp, compared exactly.
* :class:`Certificate` - ``expr rel bound`` on a box of exact rationals, decided by the engine's
  own arb interval arithmetic on a cover of the box (uses L6, and L5 for exp).
* :class:`Cite` - a previously proved theorem or lemma (its status is checked, not assumed).

Conditions: every claim is about all real values of its symbols satisfying its conditions - the
step's ``assume`` where given, otherwise the condition built into the symbol (``positive=True``
etc.) - and every claim renders them. Refused outright (the step fails): non-real symbols, two
symbols sharing a name, an ``assume`` weaker than the symbol's own condition, and sigma/exp of an
argument not known to be real under the conditions.

Every SymPy call is bounded: expressions above ``PROOF_MAX_OPS`` operations are refused, and
calls run under a ``SYMPY_TIMEOUT`` alarm when on the main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache, reduce

import sympy as sp

from ..exact import reduces_to_zero, sigma
from ..tolerances import PROOF_MAX_OPS, SYMPY_TIMEOUT
from .intervals import CoverResult, Iv, cover, iv_eval

PROVED, REFUTED, UNPROVED = "proved", "refuted", "unproved"

# Lemmas the sign and identity checkers rely on; a step using them fails unless they are proved.
DEFINITION, RANGE, DERIVATIVE, EXP_MONO, MONOTONE_SIGMA = "L1", "L2", "L3", "L5", "L6"


class RefusedError(Exception):
    """The checker refuses its input: the claim is outside what it can decide soundly."""


class BoundedError(RefusedError):
    """A SymPy call exceeded its size or time bound."""


@contextmanager
def bounded(seconds: float = SYMPY_TIMEOUT):
    """Raise :class:`BoundedError` if the block runs longer than ``seconds`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _alarm(signum, frame):
        raise BoundedError(f"SymPy call exceeded {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _guard(expr: sp.Expr) -> sp.Expr:
    if sp.count_ops(expr) > PROOF_MAX_OPS:
        raise BoundedError(f"expression too large to manipulate ({PROOF_MAX_OPS} operations max)")
    return expr


@dataclass(frozen=True)
class Verdict:
    ok: bool
    method: str
    uses: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Conditions: every claim is about real values of its symbols, under stated sign conditions

KINDS = ("positive", "negative", "zero", "nonnegative", "nonpositive", "nonzero", "real")
ASSUMPTIONS = KINDS
_IMPLIES = {  # kind -> the kinds it implies
    "positive": {"positive", "nonnegative", "nonzero", "real"},
    "negative": {"negative", "nonpositive", "nonzero", "real"},
    "zero": {"zero", "nonnegative", "nonpositive", "real"},
    "nonnegative": {"nonnegative", "real"},
    "nonpositive": {"nonpositive", "real"},
    "nonzero": {"nonzero", "real"},
    "real": {"real"},
}
_SPLIT = {
    "nonnegative": ("zero", "positive"),
    "nonpositive": ("zero", "negative"),
    "nonzero": ("negative", "positive"),
}
_EXTRA = ("integer", "rational", "irrational", "algebraic", "transcendental")


def symbol_kind(s: sp.Symbol) -> str:
    """The condition built into a real Symbol (``positive=True`` etc.), as one of :data:`KINDS`."""
    if not isinstance(s, sp.Symbol):
        raise RefusedError(f"{s} is not a symbol")
    if s.is_real is not True:
        raise RefusedError(f"symbol {s} is not declared real")
    if any(getattr(s, f"is_{p}") for p in _EXTRA):
        raise RefusedError(f"symbol {s} carries assumptions other than a sign condition")
    for k in ("zero", "positive", "negative", "nonnegative", "nonpositive", "nonzero"):
        if getattr(s, f"is_{k}"):
            return k
    return "real"


def _distinct_names(symbols) -> None:
    seen: dict[str, sp.Symbol] = {}
    for s in sorted(symbols, key=sp.default_sort_key):
        if seen.setdefault(s.name, s) != s:
            raise RefusedError(f"two different symbols are named {s.name}")


def conditions(exprs, assume: Mapping[sp.Symbol, str]) -> dict[sp.Symbol, str]:
    """The condition on every symbol of a claim: ``assume`` where given, else the symbol's own.

    RefusedError: non-real symbols, two symbols with one name, and an ``assume`` entry that does not
    imply the condition built into its symbol (it would silently be narrowed, not widened).
    """
    syms = set(assume)
    for e in exprs:
        if isinstance(e, sp.Basic):
            syms |= e.free_symbols
    _distinct_names(syms)
    out = {}
    for s in syms:
        if s in assume:
            k = assume[s]
            if k not in KINDS:
                raise ValueError(f"unknown assumption {k!r}")
            if not isinstance(s, sp.Symbol) or s.is_real is False:
                raise RefusedError(f"{s} is not a real symbol")
            own = symbol_kind(s) if s.is_real else "real"
            if own not in _IMPLIES[k]:
                raise RefusedError(
                    f"the condition {s} {k} does not imply the one built into the symbol ({s} {own})"
                )
        else:
            k = symbol_kind(s)
        out[s] = k
    return out


def _cases(conds: Mapping[sp.Symbol, str]) -> list[dict[sp.Symbol, str]]:
    """Split non-strict conditions into strict cases (x >= 0 is x = 0 or x > 0; x != 0 is x < 0 or x > 0)."""
    out = [{}]
    for s, kind in sorted(conds.items(), key=lambda kv: kv[0].name):
        if kind not in KINDS:
            raise ValueError(f"unknown assumption {kind!r}")
        out = [{**c, s: o} for c in out for o in _SPLIT.get(kind, (kind,))]
    return out


def _apply(expr: sp.Expr, case: Mapping[sp.Symbol, str]) -> sp.Expr:
    """Each symbol replaced by 0 or by a fresh real symbol carrying exactly its case's condition."""
    sub = {}
    for s, kind in case.items():
        if kind == "zero":
            sub[s] = sp.S.Zero
        elif kind == "real":
            sub[s] = sp.Dummy(s.name, real=True)
        else:
            sub[s] = sp.Dummy(s.name, real=True, **{kind: True})
    return expr.xreplace(sub)


def require_real_arguments(*exprs: sp.Expr) -> None:
    """Refuse unless every argument of sigma and exp is real (the encodings assume it)."""
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        for a in sorted(e.atoms(sigma, sp.exp), key=sp.default_sort_key):
            if a.args[0].is_extended_real is not True:
                raise RefusedError(f"the argument of {a} is not known to be real")


# ---------------------------------------------------------------------------------------------
# Algebra: exp normal form, sigma encoding, deciding signs of rational functions


def sigma_to_exp(expr: sp.Expr) -> sp.Expr:
    """Replace every sigma(t) by its definition 1/(1 + e^{-t}) (lemma L1)."""
    return expr.replace(lambda e: isinstance(e, sigma), lambda e: 1 / (1 + sp.exp(-e.args[0])))


def exp_normal(expr: sp.Expr, refine: bool = False) -> tuple[sp.Expr, frozenset[str]]:
    """sigma via exp, then each e^{c m} (c rational, m a monomial) as u_m^{c q}: a rational function.

    u_m stands for e^{m/q} (q the lcm of the denominators of m's coefficients), so rewriting every
    exponential consistently keeps all algebraic relations between them. With ``refine``,
    u_m = 1 + P when m > 0 and 1/(1 + P) when m < 0 (P > 0), by lemma L5. Returns the lemmas used.
    RefusedError unless every exponent (and each monomial m) is real: u_m > 0 needs it.
    """
    require_real_arguments(expr)
    uses = {DEFINITION} if expr.atoms(sigma) else set()
    e = sigma_to_exp(expr)
    atoms = sorted(e.atoms(sp.exp), key=sp.default_sort_key)
    terms: dict[sp.Expr, list[sp.Rational]] = {}
    split: dict[sp.Expr, list[tuple[sp.Rational, sp.Expr]]] = {}
    for a in atoms:
        if a.args[0].atoms(sp.exp):
            raise BoundedError("nested exponentials are outside the exp normal form")
        parts = []
        for term in sp.Add.make_args(sp.expand(a.args[0])):
            c, m = term.as_coeff_Mul()
            if not c.is_Rational:
                raise BoundedError(f"irrational coefficient in exponent: {term}")
            if m.is_extended_real is not True:
                raise RefusedError(f"the exponent term {term} is not known to be real")
            terms.setdefault(m, []).append(c)
            parts.append((c, m))
        split[a] = parts
    base = {}
    for i, (m, cs) in enumerate(sorted(terms.items(), key=lambda kv: sp.default_sort_key(kv[0]))):
        q = reduce(sp.ilcm, (c.q for c in cs), 1)
        if refine and m.is_positive:
            v = 1 + sp.Dummy(f"p{i}", positive=True)
            uses.add(EXP_MONO)
        elif refine and m.is_negative:
            v = 1 / (1 + sp.Dummy(f"p{i}", positive=True))
            uses.add(EXP_MONO)
        else:
            v = sp.Dummy(f"u{i}", positive=True)
        base[m] = (v, q)
    repl = {}
    for a, parts in split.items():
        val = sp.S.One
        for c, m in parts:
            v, q = base[m]
            val *= v ** (c * q)
        repl[a] = val
    return e.xreplace(repl), frozenset(uses)


def _nesting(a: sp.Expr) -> int:
    inner = a.args[0].atoms(sigma)
    return 1 + max((_nesting(b) for b in inner), default=0)


def encode_sigmas(expr: sp.Expr) -> tuple[sp.Expr, frozenset[str]]:
    """Replace each sigma(a), innermost first, by 1/(1 + E) with E > 0 refined by the sign of a.

    RefusedError unless every argument of sigma (and exp) is real: E = e^{-a} > 0 needs it.
    """
    require_real_arguments(expr)
    atoms = sorted(expr.atoms(sigma), key=lambda a: (_nesting(a), sp.default_sort_key(a)))
    repl: dict[sp.Expr, sp.Expr] = {}
    uses = {DEFINITION, RANGE} if atoms else set()
    for i, a in enumerate(atoms):
        arg = a.args[0].xreplace(repl)
        if arg.is_extended_real is not True:
            raise RefusedError(f"the argument of {a} is not known to be real")
        P = sp.Dummy(f"P{i}", positive=True)
        if arg.is_positive:
            E = 1 / (1 + P)
            uses.add(EXP_MONO)
        elif arg.is_negative:
            E = 1 + P
            uses.add(EXP_MONO)
        else:
            E = P
        repl[a] = 1 / (1 + E)
    return expr.xreplace(repl), frozenset(uses)


_SIGNS = ("pos", "neg", "zero", "nonneg", "nonpos")


def _sign_of(e: sp.Expr) -> str | None:
    if e == 0:
        return "zero"
    if e.is_positive:
        return "pos"
    if e.is_negative:
        return "neg"
    if e.is_nonnegative:
        return "nonneg"
    if e.is_nonpositive:
        return "nonpos"
    return None


def _product_sign(signs) -> str | None:
    if any(s is None for s in signs):
        return None
    if "zero" in signs:
        return "zero"
    neg = sum(s in ("neg", "nonpos") for s in signs) % 2 == 1
    weak = any(s in ("nonneg", "nonpos") for s in signs)
    return ("nonpos" if weak else "neg") if neg else ("nonneg" if weak else "pos")


def _poly_sign(n: sp.Expr) -> str | None:
    s = _sign_of(n)
    if s is None:
        s = _sign_of(sp.expand(_guard(n)))
    if s is None:
        f = sp.factor(_guard(n))
        c, factors = f.as_coeff_mul()
        s = _product_sign([_sign_of(c)] + [_sign_of(x) for x in factors])
    return s


def rational_sign(e: sp.Expr) -> str | None:
    """The sign of a rational function of signed symbols, or None if SymPy cannot decide it.

    The denominator must be strictly signed: where it may vanish the function is undefined, so
    no claim "for all values" can hold there.
    """
    s = _sign_of(e)
    if s is not None:
        return s
    n, d = sp.fraction(sp.together(_guard(e)))
    ds = _poly_sign(d)
    if ds not in ("pos", "neg"):
        return None
    return _product_sign([_poly_sign(n), ds])


_SATISFIES = {
    ">0": {"pos"},
    "<0": {"neg"},
    ">=0": {"pos", "zero", "nonneg"},
    "<=0": {"neg", "zero", "nonpos"},
    "=0": {"zero"},
    "!=0": {"pos", "neg"},
}
_REL_TEX = {">0": ">0", "<0": "<0", ">=0": r"\ge 0", "<=0": r"\le 0", "=0": "=0", "!=0": r"\ne 0"}
_ASSUME_TEX = {
    "positive": ">0",
    "negative": "<0",
    "zero": "=0",
    "nonnegative": r"\ge 0",
    "nonpositive": r"\le 0",
    "nonzero": r"\ne 0",
}


def _refusal(exc: Exception) -> str:
    if isinstance(exc, BoundedError):
        return f"bounded SymPy call gave up: {exc}"
    return f"refused: {exc}"


def check_sign(expr: sp.Expr, rel: str, assume: Mapping[sp.Symbol, str]) -> Verdict:
    """Decide ``expr rel 0`` for all real values of its symbols satisfying ``assume`` (and the
    conditions built into the symbols)."""
    if rel not in _SATISFIES:
        raise ValueError(f"unknown relation {rel!r}")
    expr = sp.sympify(expr)
    try:
        cases = _cases(conditions([expr], assume))
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    uses: set[str] = set()
    methods = []
    for case in cases:
        e = _apply(expr, case)
        verdict = None
        try:
            with bounded():
                require_real_arguments(e)
                enc, u = encode_sigmas(e)
                if rational_sign(enc) in _SATISFIES[rel]:
                    verdict = ("sigma encoding" if u else "SymPy sign rules", u)
                else:
                    enc, u = exp_normal(e, refine=True)
                    if rational_sign(enc) in _SATISFIES[rel]:
                        verdict = ("exp normal form", u)
        except RefusedError as exc:
            return Verdict(False, _refusal(exc))
        if verdict is None:
            label = ", ".join(f"{k.name} {v}" for k, v in case.items()) or "no conditions"
            return Verdict(False, f"could not establish the sign in case ({label})")
        methods.append(verdict[0])
        uses |= verdict[1]
    n = len(cases)
    how = "/".join(sorted(set(methods)))
    return Verdict(True, f"sign decided by {how} in {n} case{'s' if n > 1 else ''}", tuple(sorted(uses)))


def check_real(expr: sp.Expr, assume: Mapping[sp.Symbol, str]) -> Verdict:
    """``expr`` is a (finite) real number for all values of its symbols satisfying ``assume``."""
    expr = sp.sympify(expr)
    try:
        cases = _cases(conditions([expr], assume))
        with bounded():
            for case in cases:
                if _apply(expr, case).is_real is not True:
                    label = ", ".join(f"{k.name} {v}" for k, v in case.items()) or "no conditions"
                    return Verdict(False, f"{expr} is not known to be real in case ({label})")
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    return Verdict(True, "real by SymPy's assumption rules")


def check_identity(lhs: sp.Expr, rhs: sp.Expr) -> Verdict:
    """``lhs - rhs`` is identically 0 (for all real values of its symbols, under their own conditions)."""
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    diff = lhs - rhs
    try:
        conditions([lhs, rhs], {})
        with bounded():
            require_real_arguments(lhs, rhs)
            _guard(diff)
            if reduces_to_zero(diff):
                return Verdict(True, "difference expands to 0 (sigma atoms as independent symbols)")
            enc, uses = exp_normal(diff)
            n, _ = sp.fraction(sp.together(enc))
            if sp.expand(_guard(n)) == 0:
                return Verdict(
                    True, "difference cancels to 0 as a rational function of exponentials", tuple(uses)
                )
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    return Verdict(False, "difference does not reduce to 0")


@cache
def compute_limit(expr: sp.Expr, var: sp.Symbol, point, direction: str = "+") -> sp.Expr:
    """SymPy's limit of ``expr`` (sigma rewritten via exp), bounded in time."""
    with bounded():
        return sp.limit(sigma_to_exp(expr), var, point, direction)


# ---------------------------------------------------------------------------------------------
# Steps


def tex(e) -> str:
    return sp.latex(e) if isinstance(e, sp.Basic) else str(e)


def _assume_tex(assume: Mapping[sp.Symbol, str]) -> str:
    items = sorted(assume.items(), key=lambda kv: kv[0].name)
    return r",\ ".join(f"{tex(s)} {_ASSUME_TEX[k]}" for s, k in items if k != "real")


def _for(conds: Mapping[sp.Symbol, str]) -> str:
    cond = _assume_tex(conds)
    return rf"\quad\text{{for }} {cond}" if cond else ""


def _claim_conditions(exprs, assume: Mapping[sp.Symbol, str]) -> dict[sp.Symbol, str]:
    """The conditions a claim is checked under, for rendering (as given if they are refused)."""
    try:
        return conditions(exprs, assume)
    except (RefusedError, ValueError):
        return {s: k for s, k in assume.items() if k in _ASSUME_TEX}


class Context:
    """Results established so far, by id (lemmas and theorems a step may rely on)."""

    def __init__(self, established: Mapping[str, TheoremResult] | None = None):
        self.established = dict(established or {})

    def proved(self, ident: str) -> bool:
        r = self.established.get(ident)
        return r is not None and r.status == PROVED


@dataclass(frozen=True, eq=False)
class Step:
    """Base class: ``text`` says the claim in words; ``claim_tex`` states it in LaTeX."""

    text: str

    kind = "step"

    @property
    def claim_tex(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def check(self, ctx: Context) -> Verdict:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Identity(Step):
    """``lhs = rhs`` for all real values of the symbols (under the conditions built into them)."""

    lhs: sp.Expr = sp.S.Zero
    rhs: sp.Expr = sp.S.Zero
    label: str = ""  # LaTeX name shown for lhs (e.g. a derivative SymPy has already evaluated)
    kind = "identity"

    @property
    def claim_tex(self) -> str:
        conds = _claim_conditions([self.lhs, self.rhs], {})
        return f"{self.label or tex(self.lhs)} = {tex(self.rhs)}" + _for(conds)

    def check(self, ctx):
        return check_identity(self.lhs, self.rhs)


@dataclass(frozen=True, eq=False)
class Sign(Step):
    expr: sp.Expr = sp.S.Zero
    rel: str = ">0"
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "sign"

    @property
    def claim_tex(self) -> str:
        conds = _claim_conditions([self.expr], self.assume)
        return f"{tex(self.expr)} {_REL_TEX[self.rel]}" + _for(conds)

    def check(self, ctx):
        return check_sign(self.expr, self.rel, self.assume)


_TRICHOTOMY = ("negative", "zero", "positive")


@dataclass(frozen=True, eq=False)
class SignCases(Step):
    """``expr`` has relation rels[c] to 0 in each case c of the trichotomy of ``symbol``."""

    expr: sp.Expr = sp.S.Zero
    symbol: sp.Symbol | None = None
    rels: Mapping[str, str] = field(default_factory=dict)
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "sign cases"

    @property
    def claim_tex(self) -> str:
        s = tex(self.symbol)
        cases = r"\\ ".join(
            f"{_REL_TEX[self.rels[c]]} \\text{{ if }} {s} {_ASSUME_TEX[c]}"
            for c in _TRICHOTOMY
            if c in self.rels
        )
        conds = _claim_conditions([self.expr], self.assume)
        conds.pop(self.symbol, None)
        return rf"{tex(self.expr)}\ \begin{{cases}}{cases}\end{{cases}}" + _for(conds)

    def check(self, ctx):
        if tuple(c for c in _TRICHOTOMY if c in self.rels) != _TRICHOTOMY or len(self.rels) != 3:
            return Verdict(False, "the cases do not cover the trichotomy <0, =0, >0")
        if self.symbol in self.assume:
            return Verdict(False, f"the case symbol {self.symbol} may not carry another condition")
        uses: set[str] = set()
        for c in _TRICHOTOMY:
            v = check_sign(self.expr, self.rels[c], {**self.assume, self.symbol: c})
            if not v.ok:
                return Verdict(False, f"case {self.symbol} {c}: {v.method}")
            uses |= set(v.uses)
        return Verdict(True, "each case of the trichotomy decided by sign rules", tuple(sorted(uses)))


_DOMAIN_TEX = {"real": r"\mathbb{R}", "positive": r"(0, \infty)", "negative": r"(-\infty, 0)"}


@dataclass(frozen=True, eq=False)
class Monotone(Step):
    """``expr`` is strictly increasing/decreasing in ``var`` on the open interval its condition
    gives (R, (0, oo) or (-oo, 0)), for all values of the other symbols satisfying theirs."""

    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    direction: str = "increasing"
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "monotonicity"

    def conditions(self) -> dict[sp.Symbol, str]:
        return conditions([self.expr, self.var], self.assume)

    @property
    def claim_tex(self) -> str:
        conds = _claim_conditions([self.expr, self.var], self.assume)
        dom = conds.pop(self.var, "real")
        domain = _DOMAIN_TEX.get(dom, rf"\{{{tex(self.var)} {_ASSUME_TEX.get(dom, '')}\}}")
        return (
            rf"{tex(self.expr)}\ \text{{is strictly {self.direction} in }} {tex(self.var)} \in {domain}"
            + _for(conds)
        )

    def check(self, ctx):
        if self.direction not in ("increasing", "decreasing"):
            return Verdict(False, f"unknown direction {self.direction!r}")
        if not isinstance(self.var, sp.Symbol):
            return Verdict(False, "the variable must be a symbol")
        try:
            conds = self.conditions()
        except RefusedError as exc:
            return Verdict(False, _refusal(exc))
        other = {type(a) for a in self.expr.atoms(sp.Function)} - {sigma, sp.exp}
        if other:
            names = ", ".join(sorted(c.__name__ for c in other))
            return Verdict(False, f"refused: only sigma and exp are differentiated here, not {names}")
        if conds[self.var] not in _DOMAIN_TEX:
            return Verdict(False, "the domain of the variable must be an open interval (R, x > 0 or x < 0)")
        rel = ">0" if self.direction == "increasing" else "<0"
        v = check_sign(sp.diff(self.expr, self.var), rel, conds)
        if not v.ok:
            return Verdict(False, f"derivative sign not established: {v.method}")
        uses = set(v.uses) | ({DERIVATIVE} if self.expr.has(sigma) else set())
        sign = "> 0" if rel == ">0" else "< 0"
        return Verdict(
            True,
            f"derivative d/d{self.var} {sign} ({v.method}), so strictly {self.direction} "
            "(mean value theorem)",
            tuple(sorted(uses)),
        )


@dataclass(frozen=True, eq=False)
class MonotoneCompare(Step):
    """f(a) < f(b) (or <=), from a strict monotonicity step for f and a sign claim on the arguments.

    The comparison holds under its own conditions and, inherited, the cited step's conditions on
    the other symbols of f (both are rendered); a and b must lie in the interval on which the
    monotonicity was checked.
    """

    f: sp.Lambda | None = None
    a: sp.Expr = sp.S.Zero
    b: sp.Expr = sp.S.Zero
    monotone: Monotone | None = None
    strict: bool = True
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "monotone comparison"

    def _own_exprs(self):
        a, b = sp.sympify(self.a), sp.sympify(self.b)
        return [self.f(a), self.f(b), a, b]

    def conditions(self) -> dict[sp.Symbol, str]:
        """The compare's conditions, with the cited step's conditions on other symbols inherited."""
        mono = self.monotone
        side = {s: k for s, k in mono.conditions().items() if s != mono.var}
        merged = conditions(self._own_exprs(), self.assume)
        for s, k in side.items():
            o = merged.get(s)
            if o is None or (o in _IMPLIES[k] and s not in self.assume):
                merged[s] = k  # inherited: the comparison is only claimed where f is monotone
            elif k not in _IMPLIES[o]:
                raise RefusedError(
                    f"the comparison's condition {s} {o} does not imply the monotone step's {s} {k}"
                )
        _distinct_names(merged)
        return merged

    @property
    def claim_tex(self) -> str:
        rel = "<" if self.strict else r"\le"
        try:
            conds = self.conditions()
        except (RefusedError, ValueError, AttributeError):
            conds = _claim_conditions(self._own_exprs(), self.assume)
        return f"{tex(self.f(self.a))} {rel} {tex(self.f(self.b))}" + _for(conds)

    def check(self, ctx):
        mono = self.monotone
        if not isinstance(self.f, sp.Lambda) or len(self.f.variables) != 1 or not isinstance(mono, Monotone):
            return Verdict(False, "f must be a one-variable Lambda and the cited step a Monotone step")
        if mono.var in self.f.free_symbols:
            # f(var) would conflate f's parameter with the variable the monotonicity is about.
            return Verdict(False, f"refused: f has the monotone variable {mono.var} as a parameter")
        try:
            conds = self.conditions()
            domain = mono.conditions()[mono.var]
        except RefusedError as exc:
            return Verdict(False, _refusal(exc))
        same = check_identity(self.f(mono.var), mono.expr)
        if not same.ok:
            return Verdict(False, "the cited monotone function is not f")
        mv = mono.check(ctx)
        if not mv.ok:
            return Verdict(False, f"monotonicity failed: {mv.method}")
        # f is only known to be monotone on the interval of the variable: both arguments lie in it.
        a, b = sp.sympify(self.a), sp.sympify(self.b)
        for arg in (a, b):
            if domain == "real":
                inside = check_real(arg, conds)
            else:
                inside = check_sign(arg, {"positive": ">0", "negative": "<0"}[domain], conds)
            if not inside.ok:
                return Verdict(
                    False, f"argument {arg} not shown in the domain ({mono.var} {domain}): {inside.method}"
                )
        gap = b - a if mono.direction == "increasing" else a - b
        v = check_sign(gap, ">0" if self.strict else ">=0", conds)
        if not v.ok:
            return Verdict(False, f"order of the arguments not established: {v.method}")
        how = (
            f"f strictly {mono.direction} ({mv.method}); arguments in its domain; argument order: {v.method}"
        )
        return Verdict(True, how, tuple(sorted(set(mv.uses + v.uses + same.uses))))


@dataclass(frozen=True, eq=False)
class Limit(Step):
    """lim_{var -> point} expr = value; expr may have no symbol but ``var`` (SymPy's limit may
    silently assume generic values of free parameters)."""

    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    point: sp.Expr = sp.oo
    value: sp.Expr = sp.S.Zero
    direction: str = "+"
    kind = "limit"

    @property
    def claim_tex(self) -> str:
        finite = self.point not in (sp.oo, -sp.oo)
        arrow = tex(self.point) + (f"^{{{self.direction}}}" if finite and self.direction in "+-" else "")
        return rf"\lim_{{{tex(self.var)} \to {arrow}}} {tex(self.expr)} = {tex(self.value)}"

    def check(self, ctx):
        if self.direction not in ("+", "-"):
            return Verdict(False, f"unknown direction {self.direction!r}")
        extra = self.expr.free_symbols - {self.var}
        if extra:
            names = ", ".join(sorted(str(s) for s in extra))
            return Verdict(False, f"refused: free parameters {names} (only one-variable limits are checked)")
        if not isinstance(self.var, sp.Symbol) or sp.sympify(self.point).free_symbols:
            return Verdict(False, "refused: the variable must be a symbol and the point a number")
        try:
            conditions([self.expr], {})
            # sigma/exp arguments must be real on the one-sided neighbourhood the limit looks at.
            h = sp.Dummy("h", positive=True)
            if self.point in (sp.oo, -sp.oo):
                near = h if self.point == sp.oo else -h
            else:
                near = self.point + h if self.direction == "+" else self.point - h
            kind = symbol_kind(self.var)
            if kind != "real" and getattr(near, f"is_{kind}") is not True:
                raise RefusedError(f"the limit approaches {self.point} from outside {self.var} {kind}")
            require_real_arguments(self.expr.xreplace({self.var: near}))
            got = compute_limit(self.expr, self.var, self.point, self.direction)
        except RefusedError as exc:
            return Verdict(False, _refusal(exc))
        if got.has(sp.Limit) or got.has(sp.AccumBounds):
            return Verdict(False, f"SymPy could not evaluate the limit (got {got})")
        if got == self.value or sp.simplify(got - self.value) == 0:
            return Verdict(
                True, f"SymPy limit (Gruntz) = {got}", (DEFINITION,) if self.expr.has(sigma) else ()
            )
        return Verdict(False, f"SymPy limit is {got}, not {self.value}")


_CERT_REL = {">": r">", ">=": r"\ge", "<": "<", "<=": r"\le"}


@dataclass(frozen=True, eq=False)
class Certificate(Step):
    """A rigorous interval certificate: ``expr rel bound`` for every point of a box.

    ``expr`` is a SymPy expression built from rationals, +, *, integer powers, sigma and exp;
    ``bound`` an exact rational; ``box`` a tuple of (symbol, lo, hi) with exact rationals
    lo <= hi, naming every symbol of ``expr``. The engine encloses ``expr`` with its own
    interval arithmetic (outward rounding) on an adaptive cover of the box and decides on each
    piece. Endpoint evaluation encloses sigma and exp because they are increasing (lemmas L6, L5).
    """

    expr: sp.Expr = sp.S.Zero
    rel: str = ">"
    bound: sp.Expr = sp.S.Zero
    box: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...] = ()
    max_boxes: int = 20000
    min_width: float = 1e-9
    kind = "interval certificate"

    @property
    def claim_tex(self) -> str:
        where = r",\ ".join(
            rf"{tex(s)} \in \left[{tex(lo)}, {tex(hi)}\right]"
            for s, lo, hi in self.box
            if isinstance(s, sp.Basic)
        )
        rel = _CERT_REL.get(self.rel, "?")
        return rf"{tex(self.expr)} {rel} {tex(self.bound)}" + (
            rf"\quad\text{{for }} {where}" if where else ""
        )

    def _validate(self) -> None:
        if self.rel not in _CERT_REL:
            raise RefusedError(f"unknown relation {self.rel!r}")
        if not isinstance(self.bound, sp.Rational):
            raise RefusedError("the bound must be an exact rational")
        syms = []
        for item in self.box:
            if len(item) != 3:
                raise RefusedError("each box entry is (symbol, lo, hi)")
            s, lo, hi = item
            if not isinstance(s, sp.Symbol):
                raise RefusedError(f"{s} is not a symbol")
            if not (isinstance(lo, sp.Rational) and isinstance(hi, sp.Rational)):
                raise RefusedError(f"the interval of {s} must have exact rational endpoints")
            if lo > hi:
                raise RefusedError(f"the interval [{lo}, {hi}] of {s} is empty (lo > hi)")
            syms.append(s)
        if len(set(syms)) != len(syms):
            raise RefusedError("a symbol appears twice in the box")
        _distinct_names(syms)
        missing = self.expr.free_symbols - set(syms)
        if missing:
            raise RefusedError(f"symbols without an interval: {', '.join(sorted(map(str, missing)))}")
        for node in sp.preorder_traversal(self.expr):
            ok = (
                node.is_Symbol
                or node.is_Rational
                or node.is_Add
                or node.is_Mul
                or (node.is_Pow and node.exp.is_Integer)
                or isinstance(node, sigma | sp.exp)
            )
            if not ok:
                raise RefusedError(f"cannot enclose {node} (rationals, + * integer powers, sigma, exp only)")

    def check(self, ctx):
        try:
            self._validate()
        except RefusedError as exc:
            return Verdict(False, _refusal(exc))
        syms = [s for s, _, _ in self.box]
        box = tuple(
            (Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))) for _, lo, hi in self.box
        )
        expr = self.expr

        def f(ivs):
            return iv_eval(expr, dict(zip(syms, ivs)))

        c = Iv.point(self.bound)
        accept = {
            ">": lambda r: r.lo > c.hi,
            ">=": lambda r: r.lo >= c.hi,
            "<": lambda r: r.hi < c.lo,
            "<=": lambda r: r.hi <= c.lo,
        }[self.rel]
        res: CoverResult = cover(f, accept, box, max_boxes=self.max_boxes, min_width=self.min_width)
        uses = tuple(
            sorted(
                ({MONOTONE_SIGMA} if expr.has(sigma) else set()) | ({EXP_MONO} if expr.has(sp.exp) else set())
            )
        )
        if res.ok:
            how = f"certified on {res.boxes} boxes"
        else:
            where = ", ".join(f"{s} in [{lo}, {hi}]" for s, (lo, hi) in zip(syms, res.failed_box))
            how = f"failed after {res.boxes} boxes; uncertified box {where}"
        return Verdict(
            res.ok, f"arb interval arithmetic, outward rounding, on a cover of the box: {how}", uses
        )


@dataclass(frozen=True, eq=False)
class Cite(Step):
    ident: str = ""
    kind = "citation"

    @property
    def claim_tex(self) -> str:
        return rf"\text{{{self.ident}}}"

    def check(self, ctx):
        if ctx.proved(self.ident):
            return Verdict(True, f"{self.ident} is proved")
        return Verdict(False, f"{self.ident} is not proved")


# ---------------------------------------------------------------------------------------------
# Theorems


@dataclass(frozen=True)
class StepResult:
    kind: str
    text: str
    claim_tex: str
    ok: bool
    check: str
    uses: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "claim": self.claim_tex,
            "ok": self.ok,
            "check": self.check,
            "uses": list(self.uses),
        }


@dataclass(frozen=True)
class TheoremResult:
    id: str
    title: str
    statement: str
    statement_tex: str
    status: str
    steps: tuple[StepResult, ...]
    failing_step: str | None = None
    evidence: tuple[dict, ...] = ()
    counterexample: dict | None = None
    arches: tuple[str, ...] = ()
    conclusion: str = ""
    expected: str = PROVED  # what a correct toolkit must report: "refuted" for the false variants

    def to_json(self) -> dict:
        out = {
            "id": self.id,
            "statement": self.statement,
            "status": self.status,
            "steps": [s.to_json() for s in self.steps],
            "evidence": list(self.evidence),
        }
        if self.failing_step is not None:
            out["failing_step"] = self.failing_step
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample
        return out


@dataclass(frozen=True, eq=False)
class Theorem:
    """A statement, its assumptions (in the statement), and ordered steps."""

    id: str
    title: str
    statement: str
    statement_tex: str
    steps: tuple[Step, ...]
    conclusion: str = ""


def prove_theorem(thm: Theorem, ctx: Context | None = None, evidence: tuple[dict, ...] = ()) -> TheoremResult:
    """Check every step in order; ``proved`` only if all pass, else ``unproved`` naming the first failure.

    A step that relies on the engine's lemmas (L1, L2, L5) fails unless they are proved in ``ctx``
    (lemmas L1, L2, L5 themselves are checked without the sigma encoding).
    """
    ctx = ctx or Context()
    results, failing = [], None
    for i, step in enumerate(thm.steps, start=1):
        try:
            v = step.check(ctx)
        except Exception as exc:  # a checker crash is a failed step, never a proof
            v = Verdict(False, f"checker raised {type(exc).__name__}: {exc}")
        ok, method = v.ok, v.method
        # A lemma may not lean on itself: its own id is never in ctx while it is being proved.
        missing = [u for u in v.uses if not ctx.proved(u)]
        if ok and missing:
            ok, method = False, f"{method}; but relies on unproved {', '.join(missing)}"
        results.append(StepResult(step.kind, step.text, step.claim_tex, ok, method, v.uses))
        if not ok and failing is None:
            failing = f"step {i} ({step.kind}): {step.text}"
    status = PROVED if failing is None else UNPROVED
    return TheoremResult(
        thm.id,
        thm.title,
        thm.statement,
        thm.statement_tex,
        status,
        tuple(results),
        failing,
        evidence,
        conclusion=thm.conclusion,
    )


def point_env(symbols, values) -> dict[sp.Symbol, Iv]:
    """Exact rational weights as degenerate intervals."""
    return {s: Iv.point(v) for s, v in zip(symbols, values)}
