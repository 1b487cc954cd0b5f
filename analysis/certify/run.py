"""``certify(problem)``: a certified bracket on inf L over all of R^n, and the verdicts it proves."""

from __future__ import annotations

import math
import sys
import time
from fractions import Fraction

import numpy as np

from ..errors import InputError
from ..network import Problem
from ..tolerances import CERT_TOL
from .bnb import branch_and_bound
from .certificate import _hex, write_certificate
from .enclose import enclosure
from .result import SMT_NOT_REQUESTED, CertifyResult, decimal_down, decimal_up, float_down, float_up
from .witness import (
    DIVERGE,
    Family,
    arb_loss,
    binary_targets,
    family_consistent,
    local_minimise,
    make_family,
    output_layer_indices,
    separates,
    starts,
)

DEFAULT_MAX_BOXES = 200_000
DEFAULT_TIME_LIMIT = 60.0


def _check_args(tol, max_boxes, time_limit):
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not math.isfinite(tol) or tol <= 0:
        raise InputError(f"tol: expected a finite number > 0, got {tol!r}")
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1:
        raise InputError(f"max_boxes: expected an integer >= 1, got {max_boxes!r}")
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not math.isfinite(time_limit)
        or time_limit <= 0
    ):
        raise InputError(f"time_limit: expected a finite number of seconds > 0, got {time_limit!r}")


def _arb_upper(problem: Problem, w) -> Fraction:
    """An exact rational >= L(w), from arb."""
    from flint import arb

    hi = arb_loss(problem, w).hi
    f = float(hi)
    if not arb(f) >= hi:
        f = math.nextafter(f, math.inf)
    return Fraction(f)


def _text(q: Fraction, up: bool) -> str:
    """Exact p/q when short, else a decimal rounded outward."""
    if q.denominator == 1 or (len(str(q.numerator)) + len(str(q.denominator)) <= 12):
        return str(q)
    return decimal_up(q) if up else decimal_down(q)


def _attained_false(problem: Problem, nodes, upper: Fraction) -> bool:
    """No finite minimiser, given inf L <= upper (proved).

    A global minimiser w* is a finite critical point with L(w*) = inf L <= upper, inside some leaf
    (the leaves cover R^n). It cannot lie in a leaf whose bound is > upper, nor in any box under a
    monotone node (a strict gradient sign there excludes critical points), nor in a leaf where
    L > sum_k lo_k >= upper strictly: L's terms 1/2 (d_k - z_k)^2 have enclosures [lo_k, hi_k], and
    a term with a 0/1 target is > 0 at every finite point (0 < z < 1), so if such a term has
    lo_k = 0 then L > sum_k lo_k (the sum taken exactly, in rationals).
    """
    stack, doubtful = [0], []
    while stack:
        nd = nodes[stack.pop()]
        if nd.kind == "monotone":
            continue
        if nd.kind == "split":
            stack += list(nd.children)
        elif not Fraction(nd.bound) > upper:
            doubtful.append(nd)
    if not doubtful:
        return True
    enc = enclosure(problem)
    doubtful.sort(key=lambda nd: nd.bound)  # the likeliest to fail first: stop early
    for start in range(0, len(doubtful), 256):
        chunk = doubtful[start : start + 256]
        terms = enc.terms(np.array([nd.lo for nd in chunk], dtype=float), np.array([nd.hi for nd in chunk]))
        for j in range(len(chunk)):
            los = [float(t.lo[j]) for t in terms]
            strict = any(b and v == 0.0 for b, v in zip(enc.binary_terms, los))
            if not (strict and sum((Fraction(v) for v in los), Fraction(0)) >= upper):
                return False
    return True


def certify(
    problem,
    *,
    tol: float = CERT_TOL,
    max_boxes: int = DEFAULT_MAX_BOXES,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    progress: bool = False,
    certificate=None,
    exact: bool = False,
    smt: bool = False,
) -> CertifyResult:
    """Certify lower <= inf L <= upper over all real weights; 'closed' iff upper - lower <= tol.

    ``problem`` is a Problem or a preset name. A run stopped by ``max_boxes`` or ``time_limit``
    is 'open' with its (valid) bracket. ``certificate``: a path to write the certificate to.
    ``exact``: also try an exact upper bound (SymPy's limit along a witness ray; seconds more).
    ``smt``: also cross-check "L >= lower" and "not separable" with z3 (the ``[smt]`` extra; see
    certify/smt.py); a contradiction between the two routes raises SmtDisagreementError.
    """
    from ..spec import as_problem

    problem = as_problem(problem)
    _check_args(tol, max_boxes, time_limit)
    t0 = time.monotonic()
    # The search stops at 90% of the time limit: what follows (verdicts, certificate) needs time too.
    deadline = t0 + (0.9 * time_limit if time_limit is not None else math.inf)
    binary = binary_targets(problem)

    # 1. Upper bound: a local minimiser, checked in arb; exactly 0 by the lemma where it separates.
    w, _ = local_minimise(problem, starts(problem))
    if w is None:  # every local search overflowed: any finite point is a (weak) witness
        w = np.zeros(problem.n_params)
    upper, kind, family = _arb_upper(problem, w), "point", None
    if binary and separates(problem, w):
        upper, kind = Fraction(0), "lemma"
        family = make_family(
            problem, w, output_layer_indices(problem), symbolic_limit=False, reason="separability lemma"
        )

    # 2. Lower bound: branch and bound over R^n.
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=max_boxes, desc=f"certify {problem.name}", unit="box", file=sys.stderr, leave=False)
    try:
        bnb = branch_and_bound(
            problem,
            tol=tol,
            upper=float(upper),
            upper_point=w,
            max_boxes=max_boxes,
            deadline=deadline,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.close()
    lower = Fraction(bnb.lower)

    # 3. A better point found by the search may tighten a point upper bound.
    if kind == "point" and bnb.best_loss < float(upper) and len(bnb.best_points):
        w2, _ = local_minimise(problem, bnb.best_points[:4])
        u2 = _arb_upper(problem, w2)
        if u2 < upper:
            upper, w = u2, w2

    # 4. Asked for an exact upper bound, and the witness runs off to infinity: try the ray through
    #    it (SymPy's limit, cross-checked in arb). Opt-in: a limit SymPy cannot take costs seconds.
    if kind == "point" and exact and np.any(np.abs(w) > DIVERGE):
        for signs in (True, False):
            fam = make_family(
                problem,
                w,
                np.flatnonzero(np.abs(w) > DIVERGE),
                symbolic_limit=True,
                reason="ray",
                signs=signs,
            )
            if fam.limit is not None and fam.limit.is_Rational and family_consistent(fam, problem):
                lim = Fraction(int(fam.limit.p), int(fam.limit.q))
                # A limit below the proved lower bound can only be a wrong limit: never use it.
                if lower <= lim < upper:
                    upper, kind, family = lim, "family", fam
                    break

    width = upper - lower
    status = "closed" if bnb.complete and width <= Fraction(tol) else "open"
    if binary and kind == "lemma":
        attained = False  # inf L = 0 and L > 0 at every finite point (0 < z < 1)
    elif _attained_false(problem, bnb.nodes, upper):
        attained = False
    else:
        attained = "unknown"
    if not binary:
        separable = None
    elif kind == "lemma":
        separable = True
    elif lower > 0:
        separable = False
    else:
        separable = "unknown"

    upper_doc = {"kind": kind, "value": str(upper), "point": [_hex(v) for v in w]}
    if family is not None:
        upper_doc["family"] = family.to_json()
    witness = {"kind": kind, "point": [float(v) for v in w], "loss_upper": decimal_up(_arb_upper(problem, w))}
    if family is not None:
        witness["family"] = family.to_json()
    # Before the certificate is written: a disagreement between the routes leaves no certificate.
    smt_text = _smt(problem, lower, upper, separable, _text(lower, up=False)) if smt else SMT_NOT_REQUESTED
    if certificate is not None:
        write_certificate(certificate, problem, bnb.lower, upper_doc, bnb.nodes)
    msg = _message(status, bnb, kind, family, attained)
    return CertifyResult(
        problem=problem.name,
        network=problem.network.describe(),
        params=tuple(problem.param_names),
        lower=_text(lower, up=False),
        upper=_text(upper, up=True),
        lower_value=float_down(lower),
        upper_value=float_up(upper),
        width=float_up(width),
        tol=float(tol),
        status=status,
        attained=attained,
        separable=separable,
        witness=witness,
        boxes=len(bnb.nodes),
        leaves=bnb.leaves,
        seconds=round(time.monotonic() - t0, 3),
        message=msg,
        certificate=None if certificate is None else str(certificate),
        stopped=bnb.stopped,
        smt=smt_text,
    )


def _smt(problem: Problem, lower: Fraction, upper: Fraction, separable, lower_text: str) -> str:
    from .smt import cross_check

    report = cross_check(problem, lower, upper, separable, lower_text)
    return "not run (z3 not installed: pip install canlearn[smt])" if report is None else report.describe()


def _message(status, bnb, kind, family: Family | None, attained) -> str:
    parts = []
    if bnb.stopped:
        parts.append(f"stopped by {bnb.stopped}: the bracket is valid but not closed")
    elif status == "open":
        parts.append("search complete but the bracket is wider than tol (boxes too small to split)")
    limit = family.limit if family else ""
    up = {
        "point": "upper bound: L at a finite witness, checked in arb",
        "lemma": "upper bound 0: the witness separates the data (arb), so inf L = 0 by the "
        "separability lemma",
        "family": f"upper bound: SymPy's limit of L along the witness family ({limit}), cross-checked in arb",
    }[kind]
    parts.append(up)
    if attained == "unknown":
        parts.append("attainment not decided (some leaf's bound is not above the upper bound)")
    return "; ".join(parts)
