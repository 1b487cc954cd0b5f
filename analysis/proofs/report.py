"""``prove(arch)``: lemmas, theorems and false variants for one preset, with evidence, as a report.

The summary values (infimum, attained, separable) are read off the kernel facts of the proved
theorems; where no proved fact settles one, it is None ("unknown"), never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache

import sympy as sp

from ..network import PRESET_NAMES, preset
from . import evidence as ev
from . import kernel, smt
from . import theorems as tm
from .lemmas import lemma_results
from .results import PROVED, REFUTED, UNPROVED, Theorem, TheoremResult, prove_theorem
from .statements import Attained, Conj, Infimum, Separable


@dataclass(frozen=True)
class ProofReport:
    """Everything proved (or refuted) about one preset."""

    arch: str
    theorems: tuple[TheoremResult, ...]
    infimum_value: sp.Rational | None
    infimum_attained: bool | None
    separable: bool | None
    facts: Mapping[str, dict] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict:
        theorems = []
        for r in self.theorems:
            d = r.to_json()
            if r.id in self.facts and self.facts[r.id]:
                d["facts"] = self.facts[r.id]
            theorems.append(d)
        return {
            "arch": self.arch,
            "theorems": theorems,
            "infimum": {"value": _str(self.infimum_value), "attained": self.infimum_attained},
            "separable": self.separable,
        }

    def summary(self) -> str:
        counts = {k: sum(r.status == k for r in self.theorems) for k in (PROVED, REFUTED, UNPROVED)}
        main = [r for r in self.theorems if r.id.startswith("T")]
        bad = [r.id for r in self.theorems if r.status == UNPROVED]
        att = {True: "attained", False: "not attained", None: "attainment unknown"}[self.infimum_attained]
        sep = {True: "separable", False: "not separable", None: "separability unknown"}[self.separable]
        lines = [
            f"{self.arch}: inf L = {_str(self.infimum_value) or 'unknown'} ({att}), "
            f"{sep} by thresholding at 1/2",
            f"  theorems {', '.join(f'{r.id} {r.status}' for r in main)}; "
            f"{counts[PROVED]} proved, {counts[REFUTED]} false variants refuted, {counts[UNPROVED]} unproved"
            + (f" ({', '.join(bad)})" if bad else ""),
        ]
        return "\n".join(lines)


def _str(v) -> str | None:
    return None if v is None else str(v)


@cache
def _lemmas() -> tuple[TheoremResult, ...]:
    return tuple(
        TheoremResult(**{**r.__dict__, "evidence": ev.lemma_evidence(r.id), "arches": tuple(PRESET_NAMES)})
        for r in lemma_results()
    )


_EVIDENCE = {
    "T1": lambda arch: ev.evidence_t1(),
    "T2": lambda arch: ev.evidence_t2(),
    "T3": lambda arch: ev.evidence_t3(),
    "T4": lambda arch: ev.evidence_t4(tm.model("none")),
    "T5": lambda arch: ev.evidence_t5(),
    "T6": lambda arch: ev.evidence_t6(arch),
    "T7": lambda arch: ev.evidence_t7(),
}


@cache
def _build(key: str):
    name, _, arch = key.partition(":")
    builders = {"T1": tm.t1, "T2": tm.t2, "T3": tm.t3, "T4": tm.t4, "T5": tm.t5, "T7": tm.t7}
    return tm.t6(arch) if name == "T6" else builders[name]()


@cache
def _theorem(key: str) -> tuple[TheoremResult, dict]:
    """Prove one theorem (key "T6:both" for arch-specific ones)."""
    name, _, arch = key.partition(":")
    built = _build(key)
    res = prove_theorem(built.theorem, _EVIDENCE[name](arch or "none"), built.arches)
    return with_smt(res, built.theorem.statement), built.facts


def with_smt(res: TheoremResult, stmt, refuted: bool = False) -> TheoremResult:
    """Attach z3's second opinion (when installed); a disagreement unproves the result."""
    op = smt.opinion(stmt, refuted=refuted)
    if op is None:
        return res
    if op.disagreements:
        why = f"the SMT second opinion disagrees: {'; '.join(op.disagreements)}"
        return replace(res, status=UNPROVED, failing_step=why, fact=None, smt=op)
    return replace(res, smt=op)


def refute(vr: tm.Variant, theorems: Mapping[str, TheoremResult]) -> TheoremResult:
    """Refute a false variant: a kernel fact Not(claim), from a certified counterexample or from
    a proved theorem's fact it contradicts; otherwise it stays unproved."""
    cx = None
    if vr.contradicts is not None:
        src = theorems.get(vr.contradicts)

        def derive():
            if src is None or src.fact is None:
                raise kernel.KernelError(f"{vr.contradicts} is not proved")
            parts = (
                [kernel.part(src.fact, i) for i in range(len(src.fact.stmt.parts))]
                if isinstance(src.fact.stmt, Conj)
                else [src.fact]
            )
            for p in parts:
                try:
                    return kernel.contradict(p, vr.claim)
                except kernel.KernelError:
                    continue
            raise kernel.KernelError(f"no fact of {vr.contradicts} contradicts the claim")
    else:
        cx = _counterexample(vr)

        def derive():
            if cx is None:
                raise kernel.KernelError("no certified counterexample found")
            return tm.refutation(vr.claim, cx)

    thm = Theorem(vr.id, vr.title, tm.not_claim(vr), derive)
    cited = {vr.contradicts: src.fact} if vr.contradicts is not None and src is not None and src.fact else {}
    res = prove_theorem(thm, arches=vr.arches, expected=REFUTED, cited=cited)
    res = with_smt(res, thm.statement, refuted=True)
    extra = {"point": {str(k): str(q) for k, q in cx.items()}} if cx and res.status == REFUTED else None
    return TheoremResult(
        **{
            **res.__dict__,
            "statement": vr.claim.text(),
            "statement_tex": vr.claim.latex(),
            "counterexample": extra,
            "formal": vr.claim,
        }
    )


def _counterexample(vr: tm.Variant) -> dict | None:
    """A candidate point (found numerically; the kernel's counterexample check decides it)."""
    from .statements import normal_form

    op, e = normal_form(vr.claim.relation)
    kinds = {s: k for s, w in vr.claim.domain for k, st in tm.KIND_SETS.items() if st == w and k != "real"}
    params = [s for s, _ in vr.claim.domain]
    found = ev.find_counterexample(e, {">": ">0", ">=": ">=0"}.get(op, ">=0"), kinds, params)
    if found is None:
        return None
    return {s: sp.Rational(found["point"][str(s)]) for s in params}


_MAIN = {"none": ("T1", "T2", "T3", "T4", "T7"), "hidden": ("T7", "T5"), "output": ("T6",), "both": ("T6",)}


def _settled(results, arch: str):
    """(infimum, attained, separable) read off proved facts about this preset's loss and problem."""
    from ..exact import symbolic

    m = symbolic(preset(arch))
    full = {p: sp.S.Reals for p in m.params}
    inf = att = sep = None
    for r in results:
        if r.status != PROVED or r.fact is None or not kernel.is_fact(r.fact):
            continue
        parts = r.fact.stmt.parts if isinstance(r.fact.stmt, Conj) else (r.fact.stmt,)
        for p in parts:
            if isinstance(p, Infimum) and p.f == m.loss and dict(p.domain) == full:
                inf = p.value
            elif isinstance(p, Attained) and p.f == m.loss and dict(p.domain) == full:
                att = (p.value, p.attained)
            elif isinstance(p, Separable) and p.problem == m.problem:
                sep = p.holds
    attained = att[1] if att is not None and inf is not None and att[0] == inf else None
    return inf, attained, sep


def _main_keys(arch: str) -> list[str]:
    if arch not in PRESET_NAMES:
        what = repr(arch) if isinstance(arch, str) else f"a {type(arch).__name__}"
        raise ValueError(f"prove takes a preset name, one of {', '.join(PRESET_NAMES)}; got {what}")
    return [f"T6:{arch}" if t == "T6" else t for t in _MAIN[arch]]


def infimum(arch: str) -> tuple[sp.Expr | None, bool | None]:
    """(inf L, attained) for preset ``arch``, read off proved facts exactly as :func:`prove` reads
    them, but proving only the theorems whose statements speak of the infimum (~3x cheaper; the
    theorems are cached, so a later ``prove(arch)`` reuses them). None where nothing settles it."""
    keys = [k for k in _main_keys(arch) if _states_infimum(_build(k).theorem.statement)]
    inf, attained, _ = _settled([_theorem(k)[0] for k in keys], arch)
    return inf, attained


def _states_infimum(stmt) -> bool:
    return any(isinstance(p, Infimum | Attained) for p in (stmt.parts if isinstance(stmt, Conj) else (stmt,)))


@cache
def prove(arch: str) -> ProofReport:
    """Prove everything about preset ``arch`` (none | hidden | output | both)."""
    keys = _main_keys(arch)
    proved = {k: _theorem(k) for k in keys}
    main = [r for r, _ in proved.values()]
    by_id = {r.id: r for r in main}
    results = list(_lemmas()) + main + [refute(vr, by_id) for vr in tm.variants(arch)]
    inf, attained, sep = _settled(main, arch)
    facts = {r.id: f for r, f in proved.values()}
    return ProofReport(arch, tuple(results), inf, attained, sep, facts)
