"""A second route for certify's verdicts: z3 (the optional ``[smt]`` extra) on L with sound sigma facts.

L is encoded with the proofs' encoding (:class:`analysis.proofs.smt.SigmaEncoder`): every sigma(a)
becomes a fresh real constrained only by true facts (range (0, 1), sign of sigma(a) - 1/2 that of
a, sigma(0) = 1/2, slope at most 1/4, monotone and symmetric in pairs). The relaxation admits every
real L, so "unsat" of "L < c" proves L >= c everywhere, and "unsat" of the strict sign constraints
proves the data not separable. A "sat" model of the relaxation may be spurious: its weights are
re-evaluated in mpmath.iv and count only when the true values there refute the claim (L below c,
or every output on its target's side); otherwise the answer is "unknown". An answer that
contradicts what certify proved raises :class:`SmtDisagreementError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from ..errors import InputError
from ..exact import symbolic
from ..network import Problem
from ..proofs.smt import SigmaEncoder, available
from ..tolerances import CERT_CHECK_PREC, SMT_RLIMIT
from .certificate import _ev
from .witness import binary_targets

CONFIRMED, REFUTED, UNKNOWN = "confirmed", "refuted", "unknown"


class SmtDisagreementError(RuntimeError):
    """z3 (with a real point checked in mpmath, or an unsat) contradicts a certified verdict."""


@dataclass(frozen=True)
class SmtCheck:
    """One claim put to z3: its answer on the claim's negation and what that establishes."""

    claim: str  # e.g. "L >= 1/8", "not separable"
    answer: str  # z3 on the negation: unsat | sat | unknown
    outcome: str  # confirmed | refuted | unknown
    detail: str

    def describe(self) -> str:
        return f"{self.claim}: {self.outcome} (z3: {self.answer}{'; ' + self.detail if self.detail else ''})"


@dataclass(frozen=True)
class SmtReport:
    """z3's cross-checks of one certify result."""

    solver: str
    checks: tuple[SmtCheck, ...]

    def describe(self) -> str:
        return f"{self.solver}, sigma by sound constraints: " + ", ".join(c.describe() for c in self.checks)


def _encoder(problem: Problem):
    import z3

    return z3, symbolic(problem), SigmaEncoder(z3)


def _solve(z3, enc, m, goal):
    """z3 on the facts plus ``goal``: (answer, model weights as exact rationals or None)."""
    s = z3.Solver()
    # A resource limit, not a time limit: the same answer under any machine load.
    s.set("rlimit", SMT_RLIMIT)
    s.add(*enc.facts(), goal)
    answer = str(s.check())
    if answer != "sat":
        return answer, None
    model = s.model()
    return answer, [_rational(z3, model.eval(enc.var(p), model_completion=True)) for p in m.params]


def _rational(z3, v) -> Fraction:
    if z3.is_rational_value(v):
        return Fraction(v.numerator_as_long(), v.denominator_as_long())
    # An algebraic number: a rational near it is as good a point to re-evaluate at.
    r = v.approx(30)
    return Fraction(r.numerator_as_long(), r.denominator_as_long())


def _true(m, w: list[Fraction], exprs: list):
    """mpmath.iv enclosures of ``exprs`` (L, outputs) at the exact point ``w``."""
    old = mpmath.iv.prec
    mpmath.iv.prec = CERT_CHECK_PREC
    try:
        env = {p: _ev(sp.Rational(q.numerator, q.denominator), {}) for p, q in zip(m.params, w)}
        return [_ev(e, env) for e in exprs]
    finally:
        mpmath.iv.prec = old


def _below(enclosure, c: Fraction) -> bool:
    """The enclosed value is proved < c."""
    # mpmath.iv comparisons answer None when undecided: only a decided True counts.
    return (enclosure.b * c.denominator < c.numerator) is True


def _num(enclosure) -> str:
    return f"{float(enclosure.b.a):.8g}"  # display only; the decision is _below's


def _point_text(w: list[Fraction]) -> str:
    return "(" + ", ".join(f"{float(q):.6g}" for q in w) + ")"


def check_lower(problem: Problem, c: Fraction, label: str | None = None) -> SmtCheck:
    """Put "L >= c for all real weights" to z3 (which must be installed); ``label`` names c."""
    z3, m, enc = _encoder(problem)
    loss = enc.enc(m.loss)
    claim = f"L >= {label or c}"
    answer, w = _solve(z3, enc, m, loss < z3.RealVal(f"{c.numerator}/{c.denominator}"))
    if answer == "unsat":
        return SmtCheck(claim, answer, CONFIRMED, "")
    if w is None:
        return SmtCheck(claim, answer, UNKNOWN, f"z3 gave up (rlimit {SMT_RLIMIT})")
    (true,) = _true(m, w, [m.loss])
    if _below(true, c):
        return SmtCheck(
            claim, answer, REFUTED, f"at w = {_point_text(w)} L <= {_num(true)} < {c} in mpmath.iv"
        )
    return SmtCheck(
        claim, answer, UNKNOWN, f"relaxed model spurious: at w = {_point_text(w)} the true L is {_num(true)}"
    )


def check_not_separable(problem: Problem) -> SmtCheck:
    """Put "no weights put every output strictly on its 0/1 target's side of 1/2" to z3."""
    if not binary_targets(problem):
        raise InputError(f"{problem.name}: separability needs targets in {{0, 1}}")
    z3, m, enc = _encoder(problem)
    half = z3.RealVal("1/2")
    sides = [
        enc.enc(z) > half if d == 1.0 else enc.enc(z) < half
        for zs, ds in zip(m.outputs, problem.data.targets)
        for z, d in zip(zs, ds)
    ]
    claim = "not separable"
    answer, w = _solve(z3, enc, m, z3.And(*sides))
    if answer == "unsat":
        return SmtCheck(claim, answer, CONFIRMED, "")
    if w is None:
        return SmtCheck(claim, answer, UNKNOWN, f"z3 gave up (rlimit {SMT_RLIMIT})")
    zs = [z for row in m.outputs for z in row]
    ds = [d for row in problem.data.targets for d in row]
    true = _true(m, w, zs)
    half = mpmath.iv.mpf(1) / 2
    # iv comparisons answer None when undecided: only a decided True counts.
    if all(((z > half) if d == 1.0 else (z < half)) is True for z, d in zip(true, ds)):
        return SmtCheck(claim, answer, REFUTED, f"w = {_point_text(w)} separates the data (mpmath.iv)")
    return SmtCheck(claim, answer, UNKNOWN, f"relaxed model spurious: w = {_point_text(w)} does not separate")


def cross_check(
    problem: Problem, lower: Fraction, upper: Fraction, separable, lower_text: str | None = None
) -> SmtReport | None:
    """z3 on certify's "L >= lower" and, for 0/1 targets, on "not separable"; None without z3.

    Raises SmtDisagreementError when the two routes contradict each other: z3 proves L >= lower with
    lower > upper (impossible), a real point has L < lower, or separability is proved one way by
    certify and the other way by z3 (unsat, or a model that really separates).
    """
    if not available():
        return None
    import z3

    checks = [check_lower(problem, lower, lower_text)]
    first = checks[0]
    if first.outcome == CONFIRMED and lower > upper:
        raise SmtDisagreementError(f"z3 proves L >= {lower}, above certify's upper bound {upper}")
    if first.outcome == REFUTED:
        raise SmtDisagreementError(f"certify's lower bound is false: {first.detail}")
    if binary_targets(problem):
        sep = check_not_separable(problem)
        checks.append(sep)
        if sep.outcome == CONFIRMED and separable is True:
            raise SmtDisagreementError("z3 proves the data not separable, certify found a separating witness")
        if sep.outcome == REFUTED and separable is False:
            raise SmtDisagreementError(f"certify proved the data not separable, but {sep.detail}")
    return SmtReport(f"z3 {z3.get_version_string()}", tuple(checks))
