"""``prove(arch)``: lemmas, theorems and false variants for one preset, with evidence, as a report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from ..network import PRESET_NAMES
from . import evidence as ev
from . import theorems as tm
from .engine import PROVED, REFUTED, UNPROVED, Cite, Context, StepResult, TheoremResult, prove_theorem
from .lemmas import lemma_context, lemma_results


@dataclass(frozen=True)
class ProofReport:
    """Everything proved (or refuted) about one preset."""

    arch: str
    theorems: tuple[TheoremResult, ...]
    infimum_value: sp.Rational
    infimum_attained: bool
    separable: bool
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
            "infimum": {"value": str(self.infimum_value), "attained": self.infimum_attained},
            "separable": self.separable,
        }

    def summary(self) -> str:
        counts = {k: sum(r.status == k for r in self.theorems) for k in (PROVED, REFUTED, UNPROVED)}
        main = [r for r in self.theorems if r.id.startswith("T")]
        bad = [r.id for r in self.theorems if r.status == UNPROVED]
        lines = [
            f"{self.arch}: inf L = {self.infimum_value} "
            f"({'attained' if self.infimum_attained else 'not attained'}), "
            f"{'separable' if self.separable else 'not separable'} by thresholding at 1/2",
            f"  theorems {', '.join(f'{r.id} {r.status}' for r in main)}; "
            f"{counts[PROVED]} proved, {counts[REFUTED]} false variants refuted, {counts[UNPROVED]} unproved"
            + (f" ({', '.join(bad)})" if bad else ""),
        ]
        return "\n".join(lines)


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
def _theorem(key: str) -> tuple[TheoremResult, dict]:
    """Prove one theorem (key "T6:both" for arch-specific ones); T5 cites T7."""
    name, _, arch = key.partition(":")
    built = {
        "T1": tm.t1,
        "T2": tm.t2,
        "T3": tm.t3,
        "T4": tm.t4,
        "T5": tm.t5,
        "T7": tm.t7,
        "T6": lambda: tm.t6(arch),
    }[name]()
    ctx = lemma_context()
    if name == "T5":
        ctx.established["T7"] = _theorem("T7")[0]
    res = prove_theorem(built.theorem, ctx, evidence=_EVIDENCE[name](arch or "none"))
    return TheoremResult(**{**res.__dict__, "arches": built.arches}), built.facts


def refute(vr: tm.Variant, ctx: Context) -> TheoremResult:
    """Refute a false variant: a certified counterexample, or (existential claims) a proved negation."""
    if vr.negation is not None:
        step = Cite(f"the negation is proved in {vr.negation}", ident=vr.negation)
        v = step.check(ctx)
        sr = StepResult(step.kind, step.text, step.claim_tex, v.ok, v.method, v.uses)
        status = REFUTED if v.ok else UNPROVED
        cx = {"negation": vr.negation} if v.ok else None
        return TheoremResult(
            vr.id,
            vr.title,
            vr.statement,
            vr.statement_tex,
            status,
            (sr,),
            None if v.ok else f"step 1: {step.text}",
            (),
            cx,
            vr.arches,
            expected=REFUTED,
        )
    attempt = tm.sign_claim(vr)
    v = attempt.check(ctx)
    steps = [
        StepResult(
            "attempted proof",
            "the engine tries to prove the claim",
            attempt.claim_tex,
            v.ok,
            v.method,
            v.uses,
        )
    ]
    if v.ok:
        return TheoremResult(
            vr.id,
            vr.title,
            vr.statement,
            vr.statement_tex,
            PROVED,
            tuple(steps),
            arches=vr.arches,
            expected=REFUTED,
        )
    cx = ev.find_counterexample(vr.expr, vr.rel, dict(vr.assume), list(vr.params))
    if cx is None:
        return TheoremResult(
            vr.id,
            vr.title,
            vr.statement,
            vr.statement_tex,
            UNPROVED,
            tuple(steps),
            "no certified counterexample found",
            arches=vr.arches,
            expected=REFUTED,
        )
    pt = ", ".join(f"{k} = {val}" for k, val in cx["point"].items())
    steps.append(
        StepResult(
            "counterexample",
            f"at {pt} the claim fails",
            rf"\text{{at }} {pt}",
            True,
            f"arb encloses the expression in [{cx['value_enclosure'][0]}, "
            f"{cx['value_enclosure'][1]}], contradicting '{vr.rel}'",
            (),
        )
    )
    return TheoremResult(
        vr.id,
        vr.title,
        vr.statement,
        vr.statement_tex,
        REFUTED,
        tuple(steps),
        counterexample=cx,
        arches=vr.arches,
        expected=REFUTED,
    )


_MAIN = {"none": ("T1", "T2", "T3", "T4", "T7"), "hidden": ("T7", "T5"), "output": ("T6",), "both": ("T6",)}
# Which theorem settles the infimum and separability of each preset.
_INFIMUM = {"none": "T3", "hidden": "T5", "output": "T6", "both": "T6"}
_SEPARABLE = {"none": "T2", "hidden": "T5", "output": "T6", "both": "T6"}


@cache
def prove(arch: str) -> ProofReport:
    """Prove everything about preset ``arch`` (none | hidden | output | both)."""
    if arch not in PRESET_NAMES:
        what = repr(arch) if isinstance(arch, str) else f"a {type(arch).__name__}"
        raise ValueError(f"prove takes a preset name, one of {', '.join(PRESET_NAMES)}; got {what}")
    keys = [f"T6:{arch}" if t == "T6" else t for t in _MAIN[arch]]
    proved = {k: _theorem(k) for k in keys}
    ctx = lemma_context()
    for r, _ in proved.values():
        ctx.established[r.id] = r
    results = list(_lemmas()) + [r for r, _ in proved.values()]
    results += [refute(vr, ctx) for vr in tm.variants(arch)]
    facts = {r.id: f for r, f in proved.values()}
    _, inf_facts = proved[next(k for k in keys if k.startswith(_INFIMUM[arch]))]
    _, sep_facts = proved[next(k for k in keys if k.startswith(_SEPARABLE[arch]))]
    return ProofReport(
        arch,
        tuple(results),
        sp.Rational(inf_facts["infimum"]),
        bool(inf_facts["attained"]),
        bool(sep_facts["separable"]),
        facts,
    )
