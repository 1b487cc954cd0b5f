"""Machine-checked proofs of what the seed network can and cannot do.

``prove(arch)`` checks the lemmas, the theorems T1-T7 relevant to the preset and refutes its false
variants, with independent numeric evidence; ``render_markdown``/``render_latex`` turn reports
into documents for people.
"""

from .engine import PROVED, REFUTED, UNPROVED, TheoremResult
from .render import render_latex, render_markdown, write_documents
from .report import ProofReport, prove

__all__ = [
    "PROVED",
    "REFUTED",
    "UNPROVED",
    "ProofReport",
    "TheoremResult",
    "prove",
    "render_latex",
    "render_markdown",
    "write_documents",
]
