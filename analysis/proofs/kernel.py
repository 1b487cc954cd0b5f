"""The trusted kernel: the only maker of a :class:`Fact`, a formal statement it derived. Rules:

R1  check(step): a step of one of the closed classes in engine.CHECKERS (exact type, never a
    subclass) passes its checker; the fact is the statement read off the step.
R2  conj(*facts), part(fact, i): conjunction introduction and elimination.
R3  cases(facts, var, where): one relation on domains differing only in var's set; the union of
    those sets must contain ``where``.
R4  add(f, g, k): e R 0, e' R' 0 give e + k e' R'' 0 (k > 0; any rational k when g is e' = 0):
    transitivity (a - b >= 0, b - c > 0 give a - c > 0), and an identity used in a linear context.
R5  mul(f, g): the sign of a product from its factors'. R6 weaken(f): > 0 or = 0 give >= 0.
R7  subst(identity, f): a = b replaces the subterm a by b in f.
R8  instantiate(f, mapping, where, members): a lemma for all v in S used at v := e on ``where``;
    each e must lie in its S: a symbol by set inclusion, R by SymPy's assumptions, an interval
    by membership facts e - lo R 0 and hi - e R 0 holding on ``where``.
R9  infimum(lower, limit, f, where, value, path): f - value >= 0 on all of ``where`` (= R^n) and
    a real path along which f tends to value give inf f = value.
R10 not_attained(strict, ...): f - value > 0 on all of the domain.
R11 not_separable(problem, f): (z_i - 1/2)(z_j - 1/2) >= 0 for all weights, d_i = 0, d_j = 1.
    separable(problem, inf): inf L = 0 over all weights (0/1 targets, L = 1/2 sum (d - z)^2, so
    L < 1/8 somewhere puts every output on its target's side of 1/2).
R12 contradict(fact, claim): Not(claim) when the claim negates the fact.

Relations are compared by their normal form ``e op 0`` (op > >= =), e up to polynomial expansion
with sigma(...), derivatives and At(...) as opaque atoms; a symbol only one side quantifies must
range over a nonempty set. Facts are unforgeable through the API: each is recorded when minted
here, with its statement's shape; any other object (a copy, a subclass, object.__new__) or a
fact edited in place (object.__setattr__) is not a fact.
"""

from __future__ import annotations

from dataclasses import fields

import sympy as sp

from ..exact import reduces_to_zero, symbolic
from . import engine as _engine
from .statements import REAL, At, Attained, Conj, ForAll, Infimum, LimitIs, Not, Separable, normal_form, rel


class KernelError(Exception):
    """A step failed its check or a rule's side condition does not hold: nothing was derived."""


def _snap(s) -> tuple:
    """A statement's shape down to its SymPy leaves (which are immutable): detects in-place edits."""
    if isinstance(s, Conj):
        return (Conj, tuple(_snap(p) for p in s.parts))
    if isinstance(s, Not):
        return (Not, _snap(s.claim))
    return (type(s), tuple(getattr(s, f.name) for f in fields(s)))


def _make():
    """Fact and its minting function live in this closure: only the kernel can make a Fact."""
    minted: dict[int, tuple] = {}  # id -> (fact, shape of its statement, premises) at minting

    class Fact:
        __slots__ = ("stmt", "rule", "premises", "check", "comment")

        def __setattr__(self, name, value):
            raise AttributeError("facts are immutable")

        def __reduce__(self):
            raise TypeError("facts cannot be copied or pickled")

    def mint(stmt, rule, premises=(), check="", comment=""):
        if isinstance(stmt, ForAll):
            _well_formed(stmt)
        f = object.__new__(Fact)
        for k, v in zip(Fact.__slots__, (stmt, rule, tuple(premises), check, comment)):
            object.__setattr__(f, k, v)
        minted[id(f)] = (f, _snap(stmt), f.premises)  # holding f keeps its id from being reused
        return f

    def is_fact(f) -> bool:
        rec = minted.get(id(f))
        return type(f) is Fact and rec is not None and rec[0] is f and rec[1:] == (_snap(f.stmt), f.premises)

    return Fact, mint, is_fact


Fact, _mint, is_fact = _make()
del _make


def _need(ok: bool, why: str) -> None:
    if not ok:
        raise KernelError(why)


def _facts(*fs) -> None:
    _need(all(is_fact(f) for f in fs), "a premise is not a kernel-made fact")


def _well_formed(s: ForAll) -> None:
    dom = dict(s.domain)
    _need(len(dom) == len(s.domain), "a symbol appears twice in the domain")
    _need(len({v.name for v in dom}) == len(dom), "two symbols share a name")
    _need(s.relation.free_symbols <= set(dom), "the relation has a symbol outside the domain")
    for v, where in dom.items():
        try:
            _need(where.is_subset(_engine.symbol_set(v)) is True, f"the set of {v} exceeds the symbol's own")
        except _engine.RefusedError as exc:
            raise KernelError(str(exc)) from exc


def _opaque(e: sp.Expr, memo: dict) -> sp.Expr:
    _need(not e.has(sp.Subs), "Subs is refused: its equality is unreliable")
    return e.replace(lambda a: isinstance(a, sp.Derivative | At), lambda a: memo.setdefault(a, sp.Dummy()))


def same_relation(r1, r2) -> bool:
    (o1, e1), (o2, e2), memo = normal_form(r1), normal_form(r2), {}
    a, b = _opaque(e1, memo), _opaque(e2, memo)
    return o1 == o2 and (reduces_to_zero(a - b) or (o1 == "=" and reduces_to_zero(a + b)))


def _same_domain(a: ForAll, b: ForAll) -> bool:
    """Both well formed (every free symbol quantified), equal sets on shared symbols; a symbol only
    one side quantifies ranges over a nonempty set (then for all v in S: P is P)."""
    da, db = dict(a.domain), dict(b.domain)
    if not (a.relation.free_symbols <= set(da) and b.relation.free_symbols <= set(db)):
        return False
    return all(
        da[v] == db[v] if v in da and v in db else {**da, **db}[v].is_empty is False for v in {*da, *db}
    )


def equivalent(a, b) -> bool:
    """Same statement: equal, or ForAll on equal domains with relations of equal normal form."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ForAll):
        return _same_domain(a, b) and same_relation(a.relation, b.relation)
    if isinstance(a, Conj):
        return len(a.parts) == len(b.parts) and all(equivalent(x, y) for x, y in zip(a.parts, b.parts))
    if isinstance(a, Not):
        return equivalent(a.claim, b.claim)
    return a == b


def proves(f, stmt) -> bool:
    """``f`` is a kernel fact whose statement is ``stmt``: the only test of "proved"."""
    return is_fact(f) and equivalent(f.stmt, stmt)


def check(step) -> Fact:
    checker = _engine.CHECKERS.get(type(step))
    _need(checker is not None, f"{type(step).__name__} is not one of the kernel's step classes")
    try:
        stmt = step.statement()
        v = checker(step)
    except Exception as exc:  # a checker crash is a failed check, never a fact
        raise KernelError(f"{step.kind}: checker raised {type(exc).__name__}: {exc}") from exc
    _need(v.ok, f"{step.kind} failed: {v.method}")
    return _mint(stmt, step.kind, (), v.method + (f"; uses {', '.join(v.uses)}" if v.uses else ""), step.text)


def conj(*fs, comment="") -> Fact:
    _facts(*fs)
    return _mint(Conj(tuple(f.stmt for f in fs)), "conjunction", fs, "all parts are facts", comment)


def part(f, i: int) -> Fact:
    _facts(f)
    _need(isinstance(f.stmt, Conj) and 0 <= i < len(f.stmt.parts), "no such part of a conjunction")
    return _mint(f.stmt.parts[i], "conjunction elimination", (f,), f"part {i + 1}")


def _forall(*fs) -> list:
    _facts(*fs)
    _need(all(isinstance(f.stmt, ForAll) for f in fs), "the rule needs for-all facts")
    return [normal_form(f.stmt.relation) for f in fs]


def _meet(*doms) -> tuple:
    out: dict = {}
    for d in doms:
        for v, w in d:
            out[v] = sp.Intersection(out[v], w) if v in out else w
    return tuple(sorted(out.items(), key=lambda kv: kv[0].name))


def cases(fs, var: sp.Symbol, where: sp.Set, comment="") -> Fact:
    _forall(*fs)
    _need(len(fs) > 0, "no cases")
    first = fs[0].stmt
    rest = {k: w for k, w in first.domain if k != var}
    for f in fs:
        d = dict(f.stmt.domain)
        _need(var in d and {k: w for k, w in d.items() if k != var} == rest, "case domains differ elsewhere")
        _need(same_relation(f.stmt.relation, first.relation), "the cases do not state the same relation")
    covered = sp.Union(*(dict(f.stmt.domain)[var] for f in fs))
    _need(where.is_subset(covered) is True, f"the cases do not cover {var} in {where}")
    dom = tuple(sorted({**rest, var: where}.items(), key=lambda kv: kv[0].name))
    return _mint(ForAll(dom, first.relation), "case split", fs, f"the cases cover {var} in {where}", comment)


_STRONGER = {(">", ">"): ">", (">", ">="): ">", (">=", ">"): ">", (">=", ">="): ">="}


def add(f, g, k=1, comment="") -> Fact:
    (o1, e1), (o2, e2) = _forall(f, g)
    k = sp.Rational(k)
    _need(o2 == "=" or k > 0, "only an equation may be added with a non-positive factor")
    o = o1 if o2 == "=" else (o2 if o1 == "=" else _STRONGER[(o1, o2)])
    dom = _meet(f.stmt.domain, g.stmt.domain)
    return _mint(ForAll(dom, rel(e1 + k * e2, o)), "addition", (f, g), f"first + ({k}) x second", comment)


def mul(f, g, comment="") -> Fact:
    (o1, e1), (o2, e2) = _forall(f, g)
    o = "=" if "=" in (o1, o2) else (">" if (o1, o2) == (">", ">") else ">=")
    dom = _meet(f.stmt.domain, g.stmt.domain)
    return _mint(ForAll(dom, rel(e1 * e2, o)), "product of signs", (f, g), "", comment)


def weaken(f, comment="") -> Fact:
    ((o, e),) = _forall(f)
    _need(o in (">", "=", ">="), "nothing to weaken")
    return _mint(ForAll(f.stmt.domain, rel(e, ">=")), "weakening", (f,), f"{o} 0 implies >= 0", comment)


def subst(identity, f, comment="") -> Fact:
    _forall(identity, f)
    _need(isinstance(identity.stmt.relation, sp.Equality), "the first fact must be an equation a = b")
    a, b = identity.stmt.relation.lhs, identity.stmt.relation.rhs
    _need(not f.stmt.relation.has(sp.Derivative, sp.Subs, At), "cannot substitute under a derivative")
    new = f.stmt.relation.xreplace({a: b})
    _need(isinstance(new, sp.Rel) and new != f.stmt.relation, f"{a} does not occur in the fact")
    dom = _meet(identity.stmt.domain, f.stmt.domain)
    return _mint(ForAll(dom, new), "substitution of an identity", (identity, f), f"{a} := {b}", comment)


def _member(e, where: sp.Set, dom: dict, members) -> str:
    if e in dom:
        _need(dom[e].is_subset(where) is True, f"{e} ranges over {dom[e]}, not inside {where}")
        return "set inclusion"
    _need(e.free_symbols <= set(dom), f"{e} has symbols outside the domain")
    if where == REAL:
        _need(e.is_extended_real is True and e.is_finite is True, f"{e} is not known to be real")
        return "real by SymPy's assumptions"
    _need(isinstance(where, sp.Interval), f"cannot check membership in {where}")
    ends = ((where.start, where.left_open, e - where.start), (where.end, where.right_open, where.end - e))
    for o, gap in [(">" if open_ else ">=", gap) for end, open_, gap in ends if end.is_finite]:
        _need(any(_member_fact(m, o, gap, dom) for m in members), f"no membership fact for {gap} {o} 0")
    return "membership facts"


def _member_fact(m, o: str, gap: sp.Expr, dom: dict) -> bool:
    _facts(m)
    if not isinstance(m.stmt, ForAll):
        return False
    md = dict(m.stmt.domain)
    if not (set(md) <= set(dom) and all(dom[v].is_subset(md[v]) is True for v in md)):
        return False
    mo, me = normal_form(m.stmt.relation)
    return (mo == o or (o == ">=" and mo in (">", "="))) and reduces_to_zero(me - gap)


def instantiate(f, mapping: dict, where, members=(), comment="") -> Fact:
    _forall(f)
    _need(not f.stmt.relation.has(sp.Derivative, sp.Subs, At), "cannot instantiate through a derivative")
    fdom, dom = dict(f.stmt.domain), dict(where)
    _need(set(mapping) <= set(fdom), "the mapping names a symbol the lemma does not quantify")
    how = [_member(sp.sympify(mapping.get(v, v)), w, dom, members) for v, w in fdom.items()]
    new = f.stmt.relation.xreplace({v: sp.sympify(e) for v, e in mapping.items()})
    _need(isinstance(new, sp.Rel), "the instance is not a relation")
    return _mint(
        ForAll(_meet(where), new), "instantiation", (f, *members), "; ".join(sorted(set(how))), comment
    )


def _lower(f_fact, f, where, value, strict):
    ((o, e),) = _forall(f_fact)
    _need(o == ">" or (o == ">=" and not strict), "not a lower bound of the needed strictness")
    _need(reduces_to_zero(e - (f - value)), "the bound is not about f - value")
    fd, dom = dict(f_fact.stmt.domain), dict(where)
    _need(set(fd) == set(dom) and all(dom[v].is_subset(fd[v]) is True for v in dom), "bound not on domain")


def infimum(lower, limit, f, where, value, path: dict, comment="") -> Fact:
    _lower(lower, f, where, value, strict=False)
    _facts(limit)
    lim, value = limit.stmt, sp.sympify(value)
    _need(isinstance(lim, LimitIs) and lim.value == value and value.is_finite, "not a limit to the value")
    _need(f.free_symbols == set(dict(where)), "f has symbols outside the domain")
    _need(set(path) == set(dict(where)) and all(w == REAL for _, w in where), "the path must cover R^n")
    comps = [sp.sympify(path[v]) for v, _ in where]
    _need(all(c.free_symbols <= {lim.var} and c.is_extended_real is True for c in comps), "path not real")
    _need(lim.expr == f.xreplace(path), "the limit is not of f along the path")
    return _mint(Infimum(f, where, value), "infimum", (lower, limit), "lower bound + path limit", comment)


def not_attained(strict, f, where, value, comment="") -> Fact:
    _lower(strict, f, where, value, strict=True)
    return _mint(Attained(f, where, value, False), "not attained", (strict,), "f - value > 0", comment)


def _binary(problem) -> tuple:
    m, ts = symbolic(problem), [d for ds in problem.data.targets for d in ds]
    _need(all(len(z) == 1 for z in m.outputs) and set(ts) <= {0, 1}, "needs one output and 0/1 targets")
    return m, ts


def not_separable(problem, f, comment="") -> Fact:
    m, ts = _binary(problem)
    ((o, e),) = _forall(f)
    _need(dict(f.stmt.domain) == {p: REAL for p in m.params}, "not a fact for all weights")
    _need(0 in ts and 1 in ts and o in (">", ">="), "needs a >= 0 fact and both targets")
    zi, zj = m.outputs[ts.index(0)][0] - sp.S.Half, m.outputs[ts.index(1)][0] - sp.S.Half
    _need(reduces_to_zero(e - zi * zj), "not the product (z_i - 1/2)(z_j - 1/2)")
    return _mint(Separable(problem, False), "not separable", (f,), "z_i < 1/2 < z_j makes it < 0", comment)


def separable(problem, inf, comment="") -> Fact:
    m, _ = _binary(problem)
    _facts(inf)
    s = inf.stmt
    ok = isinstance(s, Infimum) and s.f == m.loss and s.value == 0
    _need(ok and dict(s.domain) == {p: REAL for p in m.params}, "not inf L = 0 over all weights")
    return _mint(Separable(problem, True), "separable", (inf,), "L < 1/8 somewhere", comment)


def contradict(f, claim, comment="") -> Fact:
    _facts(f)
    s = f.stmt
    other_inf = (
        isinstance(s, Infimum) and isinstance(claim, Infimum) and (claim.f, claim.domain) == (s.f, s.domain)
    )
    ok = (
        (isinstance(s, Separable) and claim == Separable(s.problem, not s.holds))
        or (isinstance(s, Attained) and claim == Attained(s.f, s.domain, s.value, not s.attained))
        or (other_inf and (claim.value - s.value).is_zero is False)
    )
    _need(ok, "the claim is not the negation of the fact")
    return _mint(Not(claim), "contradiction", (f,), "the claim contradicts a proved fact", comment)
