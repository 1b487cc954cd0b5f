"""Step checkers: each step class names a formal statement, and its checker decides it by machine.

Only the kernel (``kernel.check``) turns a passing check into a fact, and only for these exact
classes (``CHECKERS``):

* :class:`Identity` - two independently written sides (derivatives and substitutions of the
  model left unevaluated, carried out here); ``lhs - rhs`` reduces to 0 as a polynomial in its
  sigma atoms or as a rational function of exponentials. The same expression on both sides is
  refused as vacuous.
* :class:`Sign` - ``expr rel 0`` under sign conditions: each sigma(a) is replaced, innermost
  first, by 1/(1 + E), E = e^{-a} > 0 (refined by the sign of a), and SymPy's assumption system
  signs the numerator and the strictly signed denominator of the rational function.
* :class:`Monotone` / :class:`MonotoneCompare` - strict monotonicity from the sign of the
  derivative (mean value theorem), and the comparison f(a) <= f(b) it gives.
* :class:`Limit` - SymPy's Gruntz algorithm, accepted only when arb enclosures at points
  approaching the limit (scale 2^j) close in on the same value.
* :class:`Certificate` - ``expr rel bound`` on a box, by arb interval arithmetic on a cover; the
  box is the domain of the statement.
* :class:`Counterexample` - the negation of a for-all claim, at a rational point, by arb.

Every claim is about all real values of its symbols satisfying its conditions (``assume``, or the
condition built into the symbol). Refused: non-real symbols, two symbols sharing a name, an
``assume`` weaker than the symbol's own condition, sigma/exp of an argument not known to be real.
SymPy calls are bounded in size (``PROOF_MAX_OPS``) and time (``SYMPY_TIMEOUT``).
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
from sympy.series.gruntz import gruntz

from ..exact import reduces_to_zero, sigma
from ..tolerances import LIMIT_CONFIRM_TOL, LIMIT_SCALES, PROOF_MAX_OPS, SYMPY_TIMEOUT
from .intervals import CoverResult, Iv, arb_eval, cover, iv_eval, precision
from .statements import KIND_SETS, At, ForAll, LimitIs, domain, normal_form, rel
from .statements import Monotone as MonotoneStmt
from .statements import Not as NotStmt

# Lemmas whose content a check relies on, named in its "uses" (they are part of the trusted base;
# lemmas.py derives them, L1, L2 and L5 without the sigma encoding).
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
def evaluate(expr):
    """Carry out every unevaluated derivative and substitution (SymPy's diff and subs: trusted)."""
    expr = sp.sympify(expr)
    if expr.has(sp.Subs):
        raise RefusedError("Subs is refused (its equality is unreliable): use statements.At")
    return expr.doit() if expr.has(sp.Derivative, At) else expr


@cache
def compute_limit(expr: sp.Expr, var: sp.Symbol, point, direction: str = "+") -> sp.Expr:
    """SymPy's Gruntz algorithm on ``expr`` (sigma rewritten via exp), bounded in time."""
    with bounded():
        return gruntz(sigma_to_exp(expr), var, point, direction)


def _scale_point(point, direction: str, j: int) -> sp.Rational:
    if point == sp.oo:
        return sp.Integer(2) ** j
    if point == -sp.oo:
        return -(sp.Integer(2) ** j)
    return point + (1 if direction == "+" else -1) * sp.Rational(1, 2**j)


def confirm_limit(expr, var, point, direction, value) -> tuple[bool, str]:
    """Second opinion on a limit: arb encloses ``expr`` at points approaching ``point`` (2^j, j in
    LIMIT_SCALES) and the enclosures must close in on ``value`` monotonically (distance below
    LIMIT_CONFIRM_TOL at the last point; for +-oo, beyond 1/LIMIT_CONFIRM_TOL and growing)."""
    with precision():
        vals = [arb_eval(expr, {var: _scale_point(point, direction, j)}) for j in LIMIT_SCALES]
        if not all(v.is_finite() for v in vals):
            return False, "arb could not enclose the expression at every point"
        tail = vals[-4:]
        if value in (sp.oo, -sp.oo):
            sign = 1 if value == sp.oo else -1
            lows = [(sign * v).lower() for v in tail]
            grows = all(a < b for a, b in zip(lows, lows[1:]))
            ok = grows and lows[-1] > 1 / LIMIT_CONFIRM_TOL
            last = lows[-1].str(3, radius=False)
            return bool(ok), f"arb: {'+' if sign > 0 else '-'}f >= {last} at the last point, growing: {grows}"
        if not value.is_Rational:
            return False, "only rational or infinite limit values are confirmed"
        gaps = [abs(v - arb_eval(value, {})).upper() for v in tail]
        shrinks = all(b <= a for a, b in zip(gaps, gaps[1:]))
        ok = shrinks and gaps[-1] < LIMIT_CONFIRM_TOL
        last = gaps[-1].str(3, radius=False)
        return bool(ok), f"arb: |f - {value}| <= {last} at the last point, shrinking: {shrinks}"


# ---------------------------------------------------------------------------------------------
# Steps: each names the statement it claims (``statement()``); the kernel checks it with the
# checker registered in CHECKERS for the step's exact class.


def tex(e) -> str:
    return sp.latex(e) if isinstance(e, sp.Basic) else str(e)


def symbol_set(s: sp.Symbol) -> sp.Set:
    """The set a real symbol's built-in assumption allows."""
    return KIND_SETS[symbol_kind(s)]


def _domain(exprs, assume) -> tuple:
    return domain(*((s, KIND_SETS[k]) for s, k in conditions(exprs, assume).items()))


_OP = {">0": ">", "<0": "<", ">=0": ">=", "<=0": "<=", "=0": "="}


@dataclass(frozen=True, eq=False)
class Step:
    """Base class; ``text`` is commentary only (never checked, never part of a statement)."""

    text: str

    kind = "step"

    def statement(self):  # pragma: no cover - every step class overrides
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Identity(Step):
    """``lhs = rhs`` for all real values of the symbols: two independently obtained sides (write
    derivatives and substitutions of the model unevaluated: the checker carries them out)."""

    lhs: sp.Expr = sp.S.Zero
    rhs: sp.Expr = sp.S.Zero
    kind = "identity"

    def statement(self):
        return ForAll(_domain([self.lhs, self.rhs], {}), rel(self.lhs, "=", self.rhs))


def _check_identity_step(st: Identity) -> Verdict:
    if sp.sympify(st.lhs) == sp.sympify(st.rhs):
        return Verdict(False, "refused: vacuous identity (the same expression on both sides)")
    try:
        with bounded():
            lhs, rhs = evaluate(st.lhs), evaluate(st.rhs)
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    v = check_identity(lhs, rhs)
    done = " after carrying out derivatives/substitutions" if (lhs, rhs) != (st.lhs, st.rhs) else ""
    return Verdict(v.ok, v.method + done, v.uses)


@dataclass(frozen=True, eq=False)
class Sign(Step):
    """``expr rel 0`` for all real values of its symbols under ``assume`` (and their own conditions)."""

    expr: sp.Expr = sp.S.Zero
    rel: str = ">0"
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "sign"

    def statement(self):
        return ForAll(_domain([self.expr], self.assume), rel(self.expr, _OP[self.rel], 0))


def _check_sign_step(st: Sign) -> Verdict:
    return check_sign(evaluate(st.expr), st.rel, st.assume)


@dataclass(frozen=True, eq=False)
class Monotone(Step):
    """``expr`` strictly increasing/decreasing in ``var`` on the set its condition gives, for all
    values of the other symbols satisfying theirs (from the sign of the derivative)."""

    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    direction: str = "increasing"
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "monotonicity"

    def conditions(self) -> dict[sp.Symbol, str]:
        return conditions([self.expr, self.var], self.assume)

    def statement(self):
        return MonotoneStmt(self.expr, self.var, self.direction, _domain([self.expr, self.var], self.assume))


def _check_monotone(st: Monotone) -> Verdict:
    if st.direction not in ("increasing", "decreasing"):
        return Verdict(False, f"unknown direction {st.direction!r}")
    if not isinstance(st.var, sp.Symbol):
        return Verdict(False, "the variable must be a symbol")
    try:
        conds = st.conditions()
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    if conds[st.var] not in ("real", "positive", "negative"):
        return Verdict(False, "monotonicity is checked on R, (0, oo) or (-oo, 0) only")
    bad = [f for f in st.expr.atoms(sp.Function) if not isinstance(f, sigma | sp.exp)]
    if bad:
        return Verdict(False, f"refused: cannot differentiate {bad[0]} soundly")
    rel_ = ">0" if st.direction == "increasing" else "<0"
    v = check_sign(sp.diff(st.expr, st.var), rel_, conds)
    if not v.ok:
        return Verdict(False, f"derivative sign not established: {v.method}")
    uses = set(v.uses) | ({DERIVATIVE} if st.expr.has(sigma) else set())
    return Verdict(True, f"derivative {rel_[0]} 0 ({v.method}); mean value theorem", tuple(sorted(uses)))


@dataclass(frozen=True, eq=False)
class MonotoneCompare(Step):
    """f(a) < f(b) (or <=), from a strict monotonicity step for f and a sign claim on the arguments.

    Holds under its own conditions and, inherited, the cited step's conditions on the other
    symbols of f; a and b must lie in the interval on which the monotonicity was checked.
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

    def statement(self):
        conds = self.conditions()
        dom = domain(*((s, KIND_SETS[k]) for s, k in conds.items()))
        return ForAll(dom, rel(self.f(self.a), "<" if self.strict else "<=", self.f(self.b)))


def _check_compare(st: MonotoneCompare) -> Verdict:
    mono = st.monotone
    if not isinstance(st.f, sp.Lambda) or len(st.f.variables) != 1 or type(mono) is not Monotone:
        return Verdict(False, "f must be a one-variable Lambda and the cited step a Monotone step")
    if mono.var in st.f.free_symbols:
        return Verdict(False, f"refused: f has the monotone variable {mono.var} as a parameter")
    try:
        conds = st.conditions()
        dom = mono.conditions()[mono.var]
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    if not check_identity(st.f(mono.var), mono.expr).ok:
        return Verdict(False, "the cited monotone function is not f")
    mv = _check_monotone(mono)
    if not mv.ok:
        return Verdict(False, f"monotonicity failed: {mv.method}")
    a, b = sp.sympify(st.a), sp.sympify(st.b)
    for arg in (a, b):
        if dom == "real":
            inside = check_real(arg, conds)
        else:
            inside = check_sign(arg, {"positive": ">0", "negative": "<0"}[dom], conds)
        if not inside.ok:
            return Verdict(
                False, f"argument {arg} not shown in the domain ({mono.var} {dom}): {inside.method}"
            )
    gap = b - a if mono.direction == "increasing" else a - b
    v = check_sign(gap, ">0" if st.strict else ">=0", conds)
    if not v.ok:
        return Verdict(False, f"order of the arguments not established: {v.method}")
    how = f"f strictly {mono.direction} ({mv.method}); arguments in its domain; order: {v.method}"
    return Verdict(True, how, tuple(sorted(set(mv.uses + v.uses))))


@dataclass(frozen=True, eq=False)
class Limit(Step):
    """lim_{var -> point} expr = value, one variable only (SymPy may assume generic parameters)."""

    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    point: sp.Expr = sp.oo
    value: sp.Expr = sp.S.Zero
    direction: str = "+"
    kind = "limit"

    def statement(self):
        return LimitIs(
            sp.sympify(self.expr), self.var, sp.sympify(self.point), self.direction, sp.sympify(self.value)
        )


def _check_limit(st: Limit) -> Verdict:
    if st.direction not in ("+", "-"):
        return Verdict(False, f"unknown direction {st.direction!r}")
    if not isinstance(st.var, sp.Symbol) or sp.sympify(st.point).free_symbols:
        return Verdict(False, "refused: the variable must be a symbol and the point a number")
    extra = st.expr.free_symbols - {st.var}
    if extra:
        names = ", ".join(sorted(str(s) for s in extra))
        return Verdict(False, f"refused: free parameters {names} (only one-variable limits are checked)")
    try:
        conditions([st.expr], {})
        h = sp.Dummy("h", positive=True)
        if st.point in (sp.oo, -sp.oo):
            near = h if st.point == sp.oo else -h
        else:
            near = st.point + h if st.direction == "+" else st.point - h
        kind = symbol_kind(st.var)
        if kind != "real" and getattr(near, f"is_{kind}") is not True:
            raise RefusedError(f"the limit approaches {st.point} from outside {st.var} {kind}")
        require_real_arguments(st.expr.xreplace({st.var: near}))
        got = compute_limit(st.expr, st.var, st.point, st.direction)
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    except Exception as exc:  # Gruntz raises on what it cannot do: no value, no fact
        return Verdict(False, f"Gruntz failed: {type(exc).__name__}")
    value = sp.sympify(st.value)
    if not (got == value or (got.is_finite and value.is_finite and sp.expand(got - value) == 0)):
        return Verdict(False, f"SymPy's Gruntz limit is {got}, not {value}")
    ok, how = confirm_limit(st.expr, st.var, st.point, st.direction, value)
    if not ok:
        return Verdict(False, f"Gruntz gives {got} but the arb cross-check disagrees ({how})")
    return Verdict(True, f"Gruntz = {got}; {how}", (DEFINITION,) if st.expr.has(sigma) else ())


_CERT_OP = {">": ">", ">=": ">=", "<": "<", "<=": "<="}


@dataclass(frozen=True, eq=False)
class Certificate(Step):
    """``expr rel bound`` on every point of a box of exact rationals (the statement's domain is the
    box: the region the certificate covers), decided by arb interval arithmetic on a cover."""

    expr: sp.Expr = sp.S.Zero
    rel: str = ">"
    bound: sp.Expr = sp.S.Zero
    box: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...] = ()
    max_boxes: int = 20000
    min_width: float = 1e-9
    kind = "interval certificate"

    def statement(self):
        dom = domain(*((s, sp.Interval(lo, hi)) for s, lo, hi in self.box))
        return ForAll(dom, rel(self.expr, _CERT_OP[self.rel], self.bound))

    def _validate(self) -> None:
        if self.rel not in _CERT_OP:
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


def _check_certificate(st: Certificate) -> Verdict:
    try:
        st._validate()
    except RefusedError as exc:
        return Verdict(False, _refusal(exc))
    syms = [s for s, _, _ in st.box]
    box = tuple((Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))) for _, lo, hi in st.box)
    expr = st.expr

    def f(ivs):
        return iv_eval(expr, dict(zip(syms, ivs)))

    c = Iv.point(st.bound)
    accept = {
        ">": lambda r: r.lo > c.hi,
        ">=": lambda r: r.lo >= c.hi,
        "<": lambda r: r.hi < c.lo,
        "<=": lambda r: r.hi <= c.lo,
    }[st.rel]
    res: CoverResult = cover(f, accept, box, max_boxes=st.max_boxes, min_width=st.min_width)
    uses = ({MONOTONE_SIGMA} if expr.has(sigma) else set()) | ({EXP_MONO} if expr.has(sp.exp) else set())
    if res.ok:
        how = f"certified on {res.boxes} boxes"
    else:
        where = ", ".join(f"{s} in [{lo}, {hi}]" for s, (lo, hi) in zip(syms, res.failed_box))
        how = f"failed after {res.boxes} boxes; uncertified box {where}"
    return Verdict(
        res.ok,
        f"arb interval arithmetic, outward rounding, on a cover of the box: {how}",
        tuple(sorted(uses)),
    )


@dataclass(frozen=True, eq=False)
class Counterexample(Step):
    """The negation of a for-all claim: a rational point of its domain where arb certifies that
    the relation fails."""

    claim: ForAll | None = None
    point: Mapping[sp.Symbol, sp.Rational] = field(default_factory=dict)
    kind = "counterexample"

    def statement(self):
        return NotStmt(self.claim)


_VIOLATED = {">": lambda r: r.upper() <= 0, ">=": lambda r: r.upper() < 0, "=": lambda r: not r.contains(0)}


def _check_counterexample(st: Counterexample) -> Verdict:
    if type(st.claim) is not ForAll:
        return Verdict(False, "only a for-all claim has a counterexample")
    dom = dict(st.claim.domain)
    if set(st.point) != set(dom) or not all(isinstance(q, sp.Rational) for q in st.point.values()):
        return Verdict(False, "the point must give every symbol of the domain an exact rational value")
    for s, q in st.point.items():
        if dom[s].contains(q) is not sp.true:
            return Verdict(False, f"{s} = {q} is outside the claim's domain")
    op, e = normal_form(st.claim.relation)
    e = evaluate(e)
    with precision():
        try:
            r = arb_eval(e, dict(st.point))
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            return Verdict(False, f"arb could not evaluate: {exc}")
        bad = r.is_finite() and _VIOLATED[op](r)
        where = ", ".join(f"{s} = {q}" for s, q in sorted(st.point.items(), key=lambda kv: kv[0].name))
        return Verdict(bad, f"at {where}, arb encloses the normal form in {r.str(6)}, violating {op} 0")


CHECKERS = {
    Identity: _check_identity_step,
    Sign: _check_sign_step,
    Monotone: _check_monotone,
    MonotoneCompare: _check_compare,
    Limit: _check_limit,
    Certificate: _check_certificate,
    Counterexample: _check_counterexample,
}
