"""Theorems (a formal statement and a derivation) and their results, as reported and rendered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import kernel
from .statements import Conj

PROVED, REFUTED, UNPROVED = "proved", "refuted", "unproved"


@dataclass(frozen=True)
class StepResult:
    """One node of a derivation: the rule (or step kind), the fact's statement, and its check."""

    kind: str
    text: str
    claim_tex: str
    ok: bool
    check: str
    uses: tuple[str, ...]
    claim: str = ""

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "claim": self.claim,
            "claim_tex": self.claim_tex,
            "ok": self.ok,
            "check": self.check,
            "premises": list(self.uses),
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
    comment: str = ""
    fact: object = None  # the kernel fact behind "proved"/"refuted" (None otherwise)
    formal: object = None  # the formal statement (for a false variant: the false claim)
    smt: object = None  # the optional z3 second opinion (smt.SmtOpinion), None when z3 is absent

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
        if self.smt is not None:
            out["smt"] = self.smt.to_json()
        return out


@dataclass(frozen=True, eq=False)
class Theorem:
    """A formal statement and a derivation: a function returning the kernel fact meant to prove it."""

    id: str
    title: str
    statement: object
    derive: Callable[[], object]
    comment: str = ""
    conclusion: str = ""


def derivation(fact, cited=None) -> tuple[StepResult, ...]:
    """The fact's derivation tree, premises first, each node once (numbered from 1); the facts of
    ``cited`` results ({name: fact}) are shown as one line each, not expanded again."""
    order: list = []
    index: dict[int, int] = {}
    names = {id(f): name for name, f in (cited or {}).items()}

    def walk(f):
        if id(f) in index:
            return
        for p in f.premises if id(f) not in names else ():
            walk(p)
        order.append(f)
        index[id(f)] = len(order)

    walk(fact)
    out = []
    for f in order:
        if id(f) in names:
            name = names[id(f)]
            out.append(
                StepResult(
                    "proved result",
                    f"{name}, derived above",
                    rf"\text{{the statement of {name}}}",
                    True,
                    "",
                    (),
                    f"the statement of {name}",
                )
            )
            continue
        uses = tuple(f"({index[id(p)]})" for p in f.premises)
        parts = f.stmt.parts if isinstance(f.stmt, Conj) and f.premises else None
        tex = r"\text{(the conjunction of the premises)}" if parts else f.stmt.latex()
        text = "the conjunction of the premises" if parts else f.stmt.text()
        out.append(StepResult(f.rule, f.comment, tex, True, f.check, uses, text))
    return tuple(out)


def prove_theorem(
    thm: Theorem, evidence: tuple[dict, ...] = (), arches=(), expected=PROVED, cited=None
) -> TheoremResult:
    """Run the derivation; ``proved`` only if the kernel made a fact whose statement is the theorem's."""
    st, failing, fact = UNPROVED, None, None
    try:
        fact = thm.derive()
    except kernel.KernelError as exc:
        failing = str(exc)
    if failing is None and not kernel.proves(fact, thm.statement):
        failing = "the derived fact is not the theorem's statement"
    if failing is None:
        st = REFUTED if expected == REFUTED else PROVED
    steps = derivation(fact, cited) if failing is None else ()
    return TheoremResult(
        thm.id,
        thm.title,
        thm.statement.text(),
        thm.statement.latex(),
        st,
        steps,
        failing,
        evidence,
        arches=tuple(arches),
        conclusion=thm.conclusion,
        expected=expected,
        comment=thm.comment,
        fact=fact if failing is None else None,
        formal=thm.statement,
    )
