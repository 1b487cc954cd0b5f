"""An optional SMT second opinion (z3, the ``[smt]`` extra): never part of a proof, only a cross-check.

Each for-all part of a statement whose relation is built from rationals, + * integer powers, sigma
and exp is encoded for z3 with every sigma(a) and exp(a) replaced by a fresh real constrained by
true facts only: 0 < sigma(a) < 1 with the sign of sigma(a) - 1/2 that of a, slope at most 1/4
(|sigma(a) - sigma(b)| <= |a - b|/4), monotone and symmetric in pairs; exp(a) > 0,
exp(a) >= 1 + a, monotone in pairs, exp(0) = 1. So "unsat" for the negation is a second proof
of the part, and "unsat" for the part itself says it never holds. The kernel and z3 disagree when
z3 shows a proved part never holds, or shows a refuted claim always holds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import sympy as sp

from ..exact import sigma
from ..tolerances import SMT_RLIMIT
from .statements import At, Conj, ForAll, Not, normal_form


@dataclass(frozen=True)
class SmtOpinion:
    """z3's view of one result: how many for-all parts it could encode and decide."""

    solver: str
    parts: int
    encoded: int
    confirmed: int
    disagreements: tuple[str, ...]
    refuted: bool = False  # the opinion is on a refuted claim, not on a proved statement

    def describe(self) -> str:
        what = "claim" if self.refuted else "statement"
        if self.encoded == 0:
            return f"{self.solver}: no for-all part of the {what} is in the encodable fragment"
        bad = (
            f"; DISAGREES on: {'; '.join(self.disagreements)}" if self.disagreements else "; no disagreement"
        )
        if self.refuted:
            done = f"{self.confirmed} not provable by z3 either (a relaxed counter-model exists)"
        else:
            done = f"{self.confirmed} confirmed (negation unsat)"
        return (
            f"{self.solver}, sigma and exp replaced by sound constraints: {self.encoded} of {self.parts} "
            f"for-all parts of the {what} encoded, {done}{bad}"
        )

    def to_json(self) -> dict:
        return {
            "solver": self.solver,
            "parts": self.parts,
            "encoded": self.encoded,
            "confirmed": self.confirmed,
            "disagreements": list(self.disagreements),
            "refuted": self.refuted,
        }


@cache
def available() -> bool:
    try:
        import z3  # noqa: F401
    except ImportError:
        return False
    return True


class _OutsideError(Exception):
    """The expression is outside the encodable fragment."""


class _Encoder:
    def __init__(self, z3):
        self.z3 = z3
        self.vars: dict = {}
        self.atoms: dict = {}  # sigma/exp atom -> (kind, z3 argument, z3 value)

    def var(self, s: sp.Symbol):
        return self.vars.setdefault(s, self.z3.Real(s.name))

    def enc(self, e: sp.Expr):
        z3 = self.z3
        if e.is_Symbol:
            return self.var(e)
        if e.is_Rational:
            return z3.RealVal(str(e))
        if e.is_Add:
            return z3.Sum([self.enc(a) for a in e.args])
        if e.is_Mul:
            return z3.Product([self.enc(a) for a in e.args])
        if e.is_Pow and e.exp.is_Integer:
            b, k = self.enc(e.base), int(e.exp)
            p = z3.Product([b] * abs(k)) if k else z3.RealVal(1)
            return p if k >= 0 else 1 / p
        if isinstance(e, sigma | sp.exp):
            if e not in self.atoms:
                kind = "sigma" if isinstance(e, sigma) else "exp"
                self.atoms[e] = (kind, self.enc(e.args[0]), z3.Real(f"{kind}_{len(self.atoms)}"))
            return self.atoms[e][2]
        raise _OutsideError(type(e).__name__)

    def facts(self) -> list:
        """True constraints on the atoms (each holds for every real argument)."""
        z3 = self.z3
        half, quarter, out = z3.RealVal("1/2"), z3.RealVal("1/4"), []
        for kind, a, s in self.atoms.values():
            if kind == "sigma":
                out += [s > 0, s < 1, z3.Implies(a > 0, s > half), z3.Implies(a < 0, s < half)]
                out += [z3.Implies(a == 0, s == half)]
                out += [
                    z3.Implies(a >= 0, s - half <= a * quarter),
                    z3.Implies(a <= 0, half - s <= -a * quarter),
                ]
            else:
                out += [s > 0, s >= 1 + a, z3.Implies(a == 0, s == 1)]
        for (k1, a1, s1), (k2, a2, s2) in itertools.combinations(self.atoms.values(), 2):
            if k1 != k2:
                continue
            out += [
                z3.Implies(a1 < a2, s1 < s2),
                z3.Implies(a1 == a2, s1 == s2),
                z3.Implies(a2 < a1, s2 < s1),
            ]
            if k1 == "sigma":
                out += [z3.Implies(a1 == -a2, s1 + s2 == 1)]
                out += [z3.Implies(a1 <= a2, s2 - s1 <= (a2 - a1) * quarter)]
                out += [z3.Implies(a2 <= a1, s1 - s2 <= (a1 - a2) * quarter)]
        return out


#: The encoding, public for the other z3 route (analysis/certify/smt.py): one encoding of sigma.
SigmaEncoder = _Encoder


def _domain(enc: _Encoder, dom) -> list:
    out = []
    for s, where in dom:
        x = enc.var(s)
        if where == sp.S.Reals:
            continue
        if isinstance(where, sp.FiniteSet) and len(where) == 1:
            out.append(x == enc.enc(next(iter(where))))
        elif isinstance(where, sp.Interval):
            if where.start.is_finite:
                lo = enc.enc(where.start)
                out.append(x > lo if where.left_open else x >= lo)
            if where.end.is_finite:
                hi = enc.enc(where.end)
                out.append(x < hi if where.right_open else x <= hi)
        else:
            raise _OutsideError(str(where))
    return out


def _holds(enc: _Encoder, part: ForAll):
    op, e = normal_form(part.relation)
    ez = enc.enc(e)
    return {">": ez > 0, ">=": ez >= 0, "=": ez == 0}[op]


def _sat(z3, constraints) -> str:
    s = z3.Solver()
    s.set("rlimit", SMT_RLIMIT)
    s.add(*constraints)
    return str(s.check())


def _decide(part: ForAll) -> tuple[str, str] | None:
    """(negation, part) satisfiability: "sat" / "unsat" / "unknown"; None outside the fragment."""
    import z3

    if part.relation.has(sp.Derivative, sp.Subs, At):
        return None
    enc = _Encoder(z3)
    try:
        dom = _domain(enc, part.domain)
        holds = _holds(enc, part)
    except _OutsideError:
        return None
    base = dom + enc.facts()
    neg = _sat(z3, [*base, z3.Not(holds)])
    # When z3 proves the part, whether the part can hold at all only matters for an empty domain.
    return neg, ("sat" if neg == "unsat" else _sat(z3, [*base, holds]))


def _parts(stmt) -> list:
    return [p for p in (stmt.parts if isinstance(stmt, Conj) else (stmt,)) if type(p) is ForAll]


def opinion(stmt, refuted: bool = False) -> SmtOpinion | None:
    """z3 on the for-all parts of a proved statement, or on a refuted for-all claim (Not(claim))."""
    if not available():
        return None
    import z3

    claim = stmt.claim if isinstance(stmt, Not) else None
    parts = _parts(claim if refuted and claim is not None else stmt)
    encoded = confirmed = 0
    bad = []
    for p in parts:
        got = _decide(p)
        if got is None:
            continue
        encoded += 1
        neg, pos = got
        if refuted:
            if neg == "unsat":  # z3 proves the claim the kernel refuted
                bad.append(p.text()[:120])
            confirmed += neg == "sat"
        else:
            if pos == "unsat":  # z3 shows the proved part never holds
                bad.append(p.text()[:120])
            confirmed += neg == "unsat"
    return SmtOpinion(f"z3 {z3.get_version_string()}", len(parts), encoded, confirmed, tuple(bad), refuted)
