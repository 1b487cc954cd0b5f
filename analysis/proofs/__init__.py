"""Machine-checked proofs of what the seed network can and cannot do.

``prove(arch)`` derives the lemmas and the theorems T1-T7 relevant to the preset in a small
trusted kernel (``kernel.py``) and refutes its false variants, with independent numeric evidence;
``render_markdown``/``render_latex`` turn reports into documents for people. ``infimum(arch)``
reads inf L and its attainment off the same facts, proving only the theorems that state them.
"""

from .render import render_latex, render_markdown, write_documents
from .report import ProofReport, infimum, prove
from .results import PROVED, REFUTED, UNPROVED, TheoremResult

__all__ = [
    "PROVED",
    "REFUTED",
    "UNPROVED",
    "ProofReport",
    "TheoremResult",
    "infimum",
    "prove",
    "render_latex",
    "render_markdown",
    "write_documents",
]
