"""A small proof engine: theorems are ordered steps, and every step is a claim checked by machine.

Step kinds (each ``check`` returns a :class:`Verdict`; nothing is accepted because code says so):

* :class:`Identity` - ``lhs - rhs`` reduces to 0, either as a polynomial in its sigma(...) atoms
  (each atom an independent symbol) or after writing sigma(t) = 1/(1 + e^{-t}) and every e^{c m}
  as a power of one positive symbol per monomial m (a rational-function identity).
* :class:`Sign` - the sign of an expression under sign assumptions on some symbols. Each sigma(a)
  is replaced, innermost first, by 1/(1 + E) with E > 0 a fresh symbol (E = e^{-a}); when the sign
  of a is already known, E = 1/(1 + P) (a > 0) or E = 1 + P (a < 0) with P > 0. The result is a
  rational function whose numerator and denominator SymPy's assumption system must sign.
  Sound because every real value of the replaced atom is covered; it uses lemmas L1, L2, L5.
* :class:`SignCases` - a sign claim per case of the trichotomy of one symbol (all three cases).
* :class:`Monotone` - f strictly monotone in v, from the sign of df/dv (mean value theorem).
* :class:`MonotoneCompare` - f(a) <= f(b) from a cited monotonicity and a sign claim on b - a.
* :class:`Limit` - a SymPy limit after rewriting sigma via exp, compared exactly.
* :class:`Certificate` - a rigorous arb interval certificate on a box cover.
* :class:`Cite` - a previously proved theorem or lemma (its status is checked, not assumed).

Every SymPy call is bounded: expressions above ``PROOF_MAX_OPS`` operations are refused, and
calls run under a ``SYMPY_TIMEOUT`` alarm when on the main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, reduce

import sympy as sp

from ..exact import reduces_to_zero, sigma
from ..tolerances import PROOF_MAX_OPS, SYMPY_TIMEOUT
from .intervals import Box, CoverResult, Iv, cover

PROVED, REFUTED, UNPROVED = "proved", "refuted", "unproved"

# Lemmas the sign and identity checkers rely on; a step using them fails unless they are proved.
DEFINITION, RANGE, DERIVATIVE, EXP_MONO = "L1", "L2", "L3", "L5"


class BoundedError(Exception):
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
# Algebra: exp normal form, sigma encoding, deciding signs of rational functions


def sigma_to_exp(expr: sp.Expr) -> sp.Expr:
    """Replace every sigma(t) by its definition 1/(1 + e^{-t}) (lemma L1)."""
    return expr.replace(lambda e: isinstance(e, sigma), lambda e: 1 / (1 + sp.exp(-e.args[0])))


def exp_normal(expr: sp.Expr, refine: bool = False) -> tuple[sp.Expr, frozenset[str]]:
    """sigma via exp, then each e^{c m} (c rational, m a monomial) as u_m^{c q}: a rational function.

    u_m stands for e^{m/q} (q the lcm of the denominators of m's coefficients), so rewriting every
    exponential consistently keeps all algebraic relations between them. With ``refine``,
    u_m = 1 + P when m > 0 and 1/(1 + P) when m < 0 (P > 0), by lemma L5. Returns the lemmas used.
    """
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
    """Replace each sigma(a), innermost first, by 1/(1 + E) with E > 0 refined by the sign of a."""
    atoms = sorted(expr.atoms(sigma), key=lambda a: (_nesting(a), sp.default_sort_key(a)))
    repl: dict[sp.Expr, sp.Expr] = {}
    uses = {DEFINITION, RANGE} if atoms else set()
    for i, a in enumerate(atoms):
        arg = a.args[0].xreplace(repl)
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
    """The sign of a rational function of signed symbols, or None if SymPy cannot decide it."""
    s = _sign_of(e)
    if s is not None:
        return s
    n, d = sp.fraction(sp.together(_guard(e)))
    return _product_sign([_poly_sign(n), _poly_sign(d)])


_SATISFIES = {
    ">0": {"pos"},
    "<0": {"neg"},
    ">=0": {"pos", "zero", "nonneg"},
    "<=0": {"neg", "zero", "nonpos"},
    "=0": {"zero"},
    "!=0": {"pos", "neg"},
}
_REL_TEX = {">0": ">0", "<0": "<0", ">=0": r"\ge 0", "<=0": r"\le 0", "=0": "=0", "!=0": r"\ne 0"}
ASSUMPTIONS = ("positive", "negative", "zero", "nonnegative", "nonpositive", "real")
_ASSUME_TEX = {
    "positive": ">0",
    "negative": "<0",
    "zero": "=0",
    "nonnegative": r"\ge 0",
    "nonpositive": r"\le 0",
}


def _cases(assume: Mapping[sp.Symbol, str]) -> list[dict[sp.Symbol, str]]:
    """Split non-strict assumptions into strict cases (x >= 0 is x = 0 or x > 0)."""
    out = [{}]
    for s, kind in sorted(assume.items(), key=lambda kv: kv[0].name):
        if kind not in ASSUMPTIONS:
            raise ValueError(f"unknown assumption {kind!r}")
        opts = {"nonnegative": ("zero", "positive"), "nonpositive": ("zero", "negative")}.get(kind, (kind,))
        out = [dict(c, **{s.name: o}) for c in out for o in opts]
    return out


def _apply(expr: sp.Expr, assume: Mapping[sp.Symbol, str], case: Mapping[str, str]) -> sp.Expr:
    sub = {}
    for s in assume:
        kind = case[s.name]
        if kind == "zero":
            sub[s] = sp.S.Zero
        elif kind != "real":
            sub[s] = sp.Dummy(s.name, real=True, **{kind: True})
    return expr.xreplace(sub)


def check_sign(expr: sp.Expr, rel: str, assume: Mapping[sp.Symbol, str]) -> Verdict:
    """Decide ``expr rel 0`` for all real values of its symbols satisfying ``assume``."""
    if rel not in _SATISFIES:
        raise ValueError(f"unknown relation {rel!r}")
    uses: set[str] = set()
    methods = []
    for case in _cases(assume):
        e = _apply(expr, assume, case)
        verdict = None
        try:
            with bounded():
                enc, u = encode_sigmas(e)
                if rational_sign(enc) in _SATISFIES[rel]:
                    verdict = ("sigma encoding" if u else "SymPy sign rules", u)
                else:
                    enc, u = exp_normal(e, refine=True)
                    if rational_sign(enc) in _SATISFIES[rel]:
                        verdict = ("exp normal form", u)
        except BoundedError as exc:
            return Verdict(False, f"bounded SymPy call gave up: {exc}")
        if verdict is None:
            label = ", ".join(f"{k} {v}" for k, v in case.items()) or "no assumptions"
            return Verdict(False, f"could not establish the sign in case ({label})")
        methods.append(verdict[0])
        uses |= verdict[1]
    n = len(_cases(assume))
    how = "/".join(sorted(set(methods)))
    return Verdict(True, f"sign decided by {how} in {n} case{'s' if n > 1 else ''}", tuple(sorted(uses)))


def check_identity(lhs: sp.Expr, rhs: sp.Expr) -> Verdict:
    """``lhs - rhs`` is identically 0 (for all real values of its symbols)."""
    diff = lhs - rhs
    try:
        with bounded():
            _guard(diff)
            if reduces_to_zero(diff):
                return Verdict(True, "difference expands to 0 (sigma atoms as independent symbols)")
            enc, uses = exp_normal(diff)
            n, _ = sp.fraction(sp.together(enc))
            if sp.expand(_guard(n)) == 0:
                return Verdict(
                    True, "difference cancels to 0 as a rational function of exponentials", tuple(uses)
                )
    except BoundedError as exc:
        return Verdict(False, f"bounded SymPy call gave up: {exc}")
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
    lhs: sp.Expr = sp.S.Zero
    rhs: sp.Expr = sp.S.Zero
    label: str = ""  # LaTeX name shown for lhs (e.g. a derivative SymPy has already evaluated)
    kind = "identity"

    @property
    def claim_tex(self) -> str:
        return f"{self.label or tex(self.lhs)} = {tex(self.rhs)}"

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
        cond = _assume_tex(self.assume)
        return f"{tex(self.expr)} {_REL_TEX[self.rel]}" + (rf"\quad\text{{for }} {cond}" if cond else "")

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
        cases = r",\quad ".join(
            f"{_REL_TEX[self.rels[c]]} \\text{{ if }} {s} {_ASSUME_TEX[c]}"
            for c in _TRICHOTOMY
            if c in self.rels
        )
        cond = _assume_tex(self.assume)
        return rf"{tex(self.expr)}\ \begin{{cases}}{cases}\end{{cases}}".replace(r",\quad ", r"\\ ") + (
            rf"\quad\text{{for }} {cond}" if cond else ""
        )

    def check(self, ctx):
        if tuple(c for c in _TRICHOTOMY if c in self.rels) != _TRICHOTOMY or len(self.rels) != 3:
            return Verdict(False, "the cases do not cover the trichotomy <0, =0, >0")
        uses: set[str] = set()
        for c in _TRICHOTOMY:
            v = check_sign(self.expr, self.rels[c], {**self.assume, self.symbol: c})
            if not v.ok:
                return Verdict(False, f"case {self.symbol} {c}: {v.method}")
            uses |= set(v.uses)
        return Verdict(True, "each case of the trichotomy decided by sign rules", tuple(sorted(uses)))


@dataclass(frozen=True, eq=False)
class Monotone(Step):
    """``expr`` is strictly increasing/decreasing in ``var`` where ``assume`` holds (an interval)."""

    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    direction: str = "increasing"
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "monotonicity"

    @property
    def claim_tex(self) -> str:
        return rf"{tex(self.expr)}\ \text{{is strictly {self.direction} in }} {tex(self.var)}"

    def check(self, ctx):
        if self.var in self.assume and self.assume[self.var] not in ("real", "positive", "negative"):
            return Verdict(False, "the domain of the variable must be an open interval")
        rel = ">0" if self.direction == "increasing" else "<0"
        v = check_sign(sp.diff(self.expr, self.var), rel, self.assume)
        if not v.ok:
            return Verdict(False, f"derivative sign not established: {v.method}")
        uses = set(v.uses) | ({DERIVATIVE} if self.expr.has(sigma) else set())
        return Verdict(True, f"d/d{self.var} {rel} 0 ({v.method}), mean value theorem", tuple(sorted(uses)))


@dataclass(frozen=True, eq=False)
class MonotoneCompare(Step):
    """f(a) < f(b) (or <=), from a strict monotonicity step for f and a sign claim on the arguments."""

    f: sp.Lambda | None = None
    a: sp.Expr = sp.S.Zero
    b: sp.Expr = sp.S.Zero
    monotone: Monotone | None = None
    strict: bool = True
    assume: Mapping[sp.Symbol, str] = field(default_factory=dict)
    kind = "monotone comparison"

    @property
    def claim_tex(self) -> str:
        rel = "<" if self.strict else r"\le"
        cond = _assume_tex(self.assume)
        return f"{tex(self.f(self.a))} {rel} {tex(self.f(self.b))}" + (
            rf"\quad\text{{for }} {cond}" if cond else ""
        )

    def check(self, ctx):
        same = check_identity(self.f(self.monotone.var), self.monotone.expr)
        if not same.ok:
            return Verdict(False, "the cited monotone function is not f")
        mono = self.monotone.check(ctx)
        if not mono.ok:
            return Verdict(False, f"monotonicity failed: {mono.method}")
        domain = self.monotone.assume.get(self.monotone.var, "real")
        if domain != "real":
            # f is only known to be monotone on that half-line: both arguments must lie in it.
            rel = {"positive": ">0", "negative": "<0"}[domain]
            if not all(check_sign(arg, rel, self.assume).ok for arg in (self.a, self.b)):
                return Verdict(False, f"an argument is not in the domain ({self.monotone.var} {domain})")
        gap = self.b - self.a if self.monotone.direction == "increasing" else self.a - self.b
        v = check_sign(gap, ">0" if self.strict else ">=0", self.assume)
        if not v.ok:
            return Verdict(False, f"order of the arguments not established: {v.method}")
        how = f"f strictly {self.monotone.direction} ({mono.method}); argument order: {v.method}"
        return Verdict(True, how, tuple(sorted(set(mono.uses + v.uses + same.uses))))


@dataclass(frozen=True, eq=False)
class Limit(Step):
    expr: sp.Expr = sp.S.Zero
    var: sp.Symbol | None = None
    point: sp.Expr = sp.oo
    value: sp.Expr = sp.S.Zero
    direction: str = "+"
    kind = "limit"

    @property
    def claim_tex(self) -> str:
        arrow = tex(self.point) + (
            "^{+}" if self.point not in (sp.oo, -sp.oo) and self.direction == "+" else ""
        )
        return rf"\lim_{{{tex(self.var)} \to {arrow}}} {tex(self.expr)} = {tex(self.value)}"

    def check(self, ctx):
        try:
            got = compute_limit(self.expr, self.var, self.point, self.direction)
        except BoundedError as exc:
            return Verdict(False, f"bounded SymPy limit gave up: {exc}")
        if got.has(sp.Limit) or got.has(sp.AccumBounds):
            return Verdict(False, f"SymPy could not evaluate the limit (got {got})")
        if got == self.value or sp.simplify(got - self.value) == 0:
            return Verdict(
                True, f"SymPy limit (Gruntz) = {got}", (DEFINITION,) if self.expr.has(sigma) else ()
            )
        return Verdict(False, f"SymPy limit is {got}, not {self.value}")


@dataclass(frozen=True, eq=False)
class Certificate(Step):
    """A rigorous interval certificate: ``accept(f(B))`` on every box B of a cover of ``box``."""

    claim: str = ""
    f: Callable | None = None
    accept: Callable | None = None
    box: Box = ()
    max_boxes: int = 20000
    min_width: float = 1e-9
    kind = "interval certificate"

    @property
    def claim_tex(self) -> str:
        return self.claim

    def check(self, ctx):
        res: CoverResult = cover(
            self.f, self.accept, self.box, max_boxes=self.max_boxes, min_width=self.min_width
        )
        return Verdict(res.ok, f"arb interval arithmetic, outward rounding: {res.describe()}")


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
