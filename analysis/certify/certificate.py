"""Certificate files: the search tree, the claimed bounds and the witness; an independent re-check.

The search runs in NumPy float intervals (nextafter rounding, lambdified SymPy formulas). The
check runs in a second arithmetic: mpmath's interval context ``mpmath.iv`` at
``CERT_CHECK_PREC`` bits for the leaves and the gradient signs (its own evaluator of the SymPy
expression trees), and arb (python-flint) for the witness. It re-derives every box from the root
[-inf, inf]^n through the recorded splits (so the leaves provably cover R^n; boxes are in the
search coordinates p of :mod:`.coords`, w = T p with T integer and unimodular), recomputes every
leaf's bound and every monotonicity sign, and re-evaluates the witness. Floats are stored as
``float.hex`` strings: exact, and infinities are legal.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import mpmath
import sympy as sp

from ..errors import InputError
from ..exact import sigma
from ..io import atomic_write_text
from ..network import Dataset, Layer, Network, Problem
from ..tolerances import CERT_CHECK_PREC
from .coords import cc, coord_names, coordinate_model, transform

FORMAT = "canlearn-certificate"
VERSION = 1
MAX_CERT_BYTES = 1 << 30


class CertificateError(InputError):
    """A file that is not a well-formed certificate (reported in one line, exit code 2)."""


def _hex(v: float) -> str:
    return float(v).hex() if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def _unhex(s, where: str) -> float:
    if not isinstance(s, str):
        raise CertificateError(f"{where}: expected a float.hex string, got {type(s).__name__}")
    try:
        v = float.fromhex(s) if s not in ("inf", "-inf") else float(s)
    except (ValueError, OverflowError):
        raise CertificateError(f"{where}: not a float.hex string: {s[:40]!r}") from None
    if math.isnan(v):
        raise CertificateError(f"{where}: NaN is not a number")
    return v


# -- writing ----------------------------------------------------------------------------------------
def problem_json(problem: Problem) -> dict:
    net = problem.network
    return {
        "name": problem.name,
        "n_inputs": net.n_inputs,
        "layers": [[layer.size, layer.bias] for layer in net.layers],
        "inputs": [[_hex(v) for v in row] for row in problem.data.inputs],
        "targets": [[_hex(v) for v in row] for row in problem.data.targets],
    }


def node_json(i: int, nd) -> dict:
    out = {"id": i, "kind": nd.kind}
    if nd.kind == "leaf":
        out["box"] = [[_hex(a), _hex(b)] for a, b in zip(nd.lo, nd.hi)]
        out["bound"] = _hex(nd.bound)
        out["form"] = nd.form
    else:
        out["coord"] = nd.coord
        out["at"] = _hex(nd.at)
        out["children"] = list(nd.children)
        if nd.kind == "monotone":
            out["side"] = nd.side
    return out


def write_certificate(path, problem: Problem, lower: float, upper: dict, nodes) -> None:
    """Write the certificate atomically (readers never see half a file)."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "problem": problem_json(problem),
        "params": list(problem.param_names),
        "coords": {"names": list(coord_names(problem)), "T": transform(problem).tolist()},
        "lower": _hex(lower),
        "upper": upper,
        "nodes": [node_json(i, nd) for i, nd in enumerate(nodes)],
    }
    # Compact, one node per line: json's C encoder (indent would fall back to pure Python, ~10 s
    # for 10^5 nodes); sorted keys keep the bytes deterministic.
    head = {k: v for k, v in doc.items() if k != "nodes"}
    lines = [json.dumps(n, sort_keys=True, separators=(",", ":"), allow_nan=False) for n in doc["nodes"]]
    body = json.dumps(head, sort_keys=True, indent=1, allow_nan=False)[:-2]
    atomic_write_text(path, body + ',\n "nodes": [\n' + ",\n".join(lines) + "\n ]\n}\n")


# -- reading --------------------------------------------------------------------------------------
def _field(doc: dict, key: str, kind, where: str = "certificate"):
    if not isinstance(doc, dict) or key not in doc:
        raise CertificateError(f"{where}: missing field {key!r}")
    v = doc[key]
    if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
        raise CertificateError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}")
    return v


def read_certificate(path) -> dict:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise CertificateError(f"cannot read certificate {str(path)!r}: {e.strerror}") from None
    if len(raw) > MAX_CERT_BYTES:
        raise CertificateError(f"certificate {str(path)!r} is larger than {MAX_CERT_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CertificateError(f"{str(path)!r} is not a JSON certificate (truncated?): {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CertificateError(f"{str(path)!r} is not a {FORMAT} file")
    if doc.get("version") != VERSION:
        raise CertificateError(f"unsupported certificate version {doc.get('version')!r}")
    return doc


def problem_from_json(pj) -> Problem:
    where = "certificate.problem"
    try:
        layers = tuple(Layer(int(s), bias=bool(b)) for s, b in _field(pj, "layers", list, where))
        net = Network(int(_field(pj, "n_inputs", int, where)), layers)
        inputs = [[_unhex(v, f"{where}.inputs") for v in row] for row in _field(pj, "inputs", list, where)]
        targets = [[_unhex(v, f"{where}.targets") for v in row] for row in _field(pj, "targets", list, where)]
        return Problem(str(_field(pj, "name", str, where)), net, Dataset(inputs, targets))
    except CertificateError:
        raise
    except (ValueError, TypeError) as e:
        raise CertificateError(f"{where}: {e}") from None


# -- the independent evaluator (mpmath.iv on SymPy trees) ------------------------------------------
class _IvProgram:
    """L and grad L as straight-line code (SymPy cse), evaluated in ``mpmath.iv``."""

    def __init__(self, problem: Problem):
        ps, loss, grad, _ = coordinate_model(problem)
        self.params = ps
        self.steps, reduced = sp.cse([loss, *grad])
        self.outputs = reduced

    def run(self, box) -> list:
        iv = mpmath.iv
        env = {p: iv.mpf([lo, hi]) if lo < hi else iv.mpf(lo) for p, (lo, hi) in zip(self.params, box)}
        for sym, expr in self.steps:
            env[sym] = _ev(expr, env)
        return [_ev(e, env) for e in self.outputs]


def _ev(e, env):
    iv = mpmath.iv
    if e in env:
        return env[e]
    if e.is_Integer:
        return iv.mpf(int(e))
    if e.is_Rational:
        return iv.mpf(int(e.p)) / int(e.q)
    if e.is_Add:
        out = _ev(e.args[0], env)
        for a in e.args[1:]:
            out = out + _ev(a, env)
        return out
    if e.is_Mul:
        out = _ev(e.args[0], env)
        for a in e.args[1:]:
            out = out * _ev(a, env)
        return out
    if e.is_Pow and e.exp.is_Integer and e.exp >= 0:
        base = _ev(e.base, env)
        if int(e.exp) % 2 == 0:  # |x|^n: mpmath's ** on a 0-straddling interval is fine, be explicit
            lo, hi = base.a, base.b
            m_lo = 0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
            m_hi = max(abs(lo), abs(hi))
            base = iv.mpf([m_lo, m_hi])
        out = iv.mpf(1)
        for _ in range(int(e.exp)):
            out = out * base
        return out
    if isinstance(e, sigma):
        x = _ev(e.args[0], env)
        return 1 / (1 + iv.exp(-x))
    if isinstance(e, cc):  # (1 - h) q0 + h q1, h in [0, 1]: see coords.cc
        q0, q1, h = (_ev(a, env) for a in e.args)
        h_lo, h_hi = max(h.a, 0), min(h.b, 1)

        def at(t, a, b):  # set-based: a zero weight kills an infinite endpoint
            return (0 if t == 1 else (1 - t) * a) + (0 if t == 0 else t * b)

        lo = min(at(h_lo, q0.a, q1.a).a, at(h_hi, q0.a, q1.a).a)
        hi = max(at(h_lo, q0.b, q1.b).b, at(h_hi, q0.b, q1.b).b)
        return iv.mpf([lo, hi])
    raise CertificateError(f"cannot evaluate {type(e).__name__} in the certificate check")


# -- checking ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckResult:
    """Outcome of :func:`check_certificate`."""

    ok: bool
    problem: str
    lower: float
    upper: str
    leaves: int
    nodes: int
    message: str

    def to_json(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        verdict = "VALID" if self.ok else "INVALID"
        return (
            f"certificate for {self.problem}: {verdict}\n"
            f"  lower {self.lower!r} <= inf L <= {self.upper}; {self.leaves} leaves, {self.nodes} nodes\n"
            f"  {self.message}"
        )


class _RefutedError(Exception):
    pass


def check_certificate(path) -> CheckResult:
    """Re-check a certificate file in mpmath.iv and arb; CertificateError if it is not one."""
    doc = read_certificate(path)
    problem = problem_from_json(_field(doc, "problem", dict))
    params = _field(doc, "params", list)
    if list(params) != list(problem.param_names):
        raise CertificateError("certificate.params do not match the problem's parameters")
    coords = _field(doc, "coords", dict)
    T = transform(problem)
    if coords.get("T") != T.tolist():
        raise CertificateError("certificate.coords.T is not the problem's search transform")
    if abs(sp.Matrix(T.tolist()).det()) != 1:  # integer, unimodular: boxes cover p-space <=> weights
        raise CertificateError("certificate.coords.T is not unimodular")
    lower = _unhex(_field(doc, "lower", str), "certificate.lower")
    upper = _field(doc, "upper", dict)
    raw_nodes = _field(doc, "nodes", list)
    nodes = {}
    for k, nd in enumerate(raw_nodes):
        i = _field(nd, "id", int, f"certificate.nodes[{k}]")
        if i in nodes:
            raise CertificateError(f"certificate.nodes: duplicate id {i}")
        nodes[i] = nd
    upper_text = str(upper.get("value"))
    try:
        old = mpmath.iv.prec
        mpmath.iv.prec = CERT_CHECK_PREC
        try:
            leaves = _check_tree(problem, nodes, lower)
        finally:
            mpmath.iv.prec = old
        _check_upper(problem, upper, lower)
    except _RefutedError as e:
        return CheckResult(False, problem.name, lower, upper_text, 0, len(nodes), f"refuted: {e}")
    return CheckResult(
        True,
        problem.name,
        lower,
        upper_text,
        leaves,
        len(nodes),
        f"the leaves cover R^{problem.n_params}; every leaf's bound re-checked in mpmath.iv "
        f"({CERT_CHECK_PREC} bits) is >= lower; witness re-checked in arb",
    )


def _check_tree(problem: Problem, nodes: dict, lower: float) -> int:
    prog = _IvProgram(problem)
    n = problem.n_params
    seen = set()
    leaves = 0
    stack = [(0, [(-math.inf, math.inf)] * n)]
    while stack:
        i, box = stack.pop()
        if i not in nodes:
            raise _RefutedError(f"node {i} is missing: part of R^n is not covered")
        if i in seen:
            raise _RefutedError(f"node {i} is used twice")
        seen.add(i)
        nd = nodes[i]
        kind = nd.get("kind")
        where = f"certificate.nodes[id={i}]"
        if kind == "leaf":
            leaves += 1
            stored = [[_unhex(a, where), _unhex(b, where)] for a, b in _field(nd, "box", list, where)]
            if stored != [list(b) for b in box]:
                raise _RefutedError(f"leaf {i}: its box is not the one its parents' splits define")
            bound = _unhex(_field(nd, "bound", str, where), where)
            if not bound >= lower:
                raise _RefutedError(
                    f"leaf {i}: its bound {bound!r} is below the claimed lower bound {lower!r}"
                )
            if not _leaf_bound_ok(prog, box, lower):
                raise _RefutedError(f"leaf {i}: L on its box is not >= {lower!r} in mpmath.iv")
            continue
        k = _field(nd, "coord", int, where)
        if not 0 <= k < n:
            raise _RefutedError(f"node {i}: no coordinate {k}")
        at = _unhex(_field(nd, "at", str, where), where)
        kids = _field(nd, "children", list, where)
        lo, hi = box[k]
        if kind == "split":
            if len(kids) != 2 or not (lo < at < hi) or not math.isfinite(at):
                raise _RefutedError(f"split {i}: needs two children and a finite point inside the side")
            left = list(box)
            right = list(box)
            left[k] = (lo, at)
            right[k] = (at, hi)
            stack += [(kids[1], right), (kids[0], left)]
        elif kind == "monotone":
            side = nd.get("side")
            if len(kids) != 1 or side not in ("lo", "hi") or not (lo <= at <= hi) or not math.isfinite(at):
                raise _RefutedError(f"monotone {i}: needs one child, a side and a finite point in the box")
            g = prog.run(box)[1 + k]
            if not ((side == "lo" and g.a > 0) or (side == "hi" and g.b < 0)):
                raise _RefutedError(
                    f"monotone {i}: dL/d{problem.param_names[k]} has no strict sign on the box"
                )
            kept = list(box)
            kept[k] = (lo, at) if side == "lo" else (at, hi)
            stack.append((kids[0], kept))
        else:
            raise CertificateError(f"{where}: unknown kind {kind!r}")
    if len(seen) != len(nodes):
        raise _RefutedError(f"{len(nodes) - len(seen)} nodes are not part of the tree")
    return leaves


def _leaf_bound_ok(prog: _IvProgram, box, lower: float) -> bool:
    vals = prog.run(box)
    if vals[0].a >= lower:
        return True
    if not all(math.isfinite(a) and math.isfinite(b) for a, b in box):
        return False
    # Centred form: L(c) + sum_i dL/dp_i(box) * (box_i - c_i), for any point c of the box (the
    # mean value theorem holds for every c in the box; the float midpoint, clipped into it).
    iv = mpmath.iv
    c = [min(max(a + (b - a) / 2, a), b) for a, b in box]
    total = prog.run([(x, x) for x in c])[0]
    for g, (a, b), x in zip(vals[1:], box, c):
        total = total + g * (iv.mpf([a, b]) - x)
    return bool(total.a >= lower)


def _check_upper(problem: Problem, upper: dict, lower: float) -> None:
    from .witness import arb_loss, binary_targets, family_consistent, family_limit, separates

    kind = upper.get("kind")
    value = upper.get("value")
    if not isinstance(value, str):
        raise CertificateError("certificate.upper.value: expected a string")
    point = upper.get("point")
    if not isinstance(point, list) or len(point) != problem.n_params:
        raise CertificateError(f"certificate.upper.point: expected {problem.n_params} float.hex strings")
    w = [_unhex(v, "certificate.upper.point") for v in point]
    if not all(math.isfinite(v) for v in w):
        raise _RefutedError("the witness point must be finite")
    try:
        claimed = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise CertificateError(f"certificate.upper.value: not a rational number: {value!r}") from None
    if claimed < Fraction(lower):
        raise _RefutedError(f"claimed upper {value} is below the claimed lower bound")
    if kind == "point":
        from flint import arb

        hi = arb_loss(problem, w).hi
        if not hi <= arb(claimed.numerator) / claimed.denominator:
            raise _RefutedError(f"L(witness) is not <= the claimed upper bound {value} in arb")
    elif kind == "lemma":
        if claimed != 0 or not binary_targets(problem):
            raise _RefutedError("the separability lemma gives upper 0, and only for 0/1 targets")
        if not separates(problem, w):
            raise _RefutedError("the witness does not separate the data (checked in arb)")
    elif kind == "family":
        from .witness import Family

        fam = upper.get("family")
        if not isinstance(fam, dict):
            raise CertificateError("certificate.upper.family: expected an object")
        try:
            base = tuple(Fraction(b) for b in fam["base"])
            scaled = tuple(int(i) for i in fam["scaled"])
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            raise CertificateError("certificate.upper.family: expected base (rationals) and scaled") from None
        if len(base) != problem.n_params or any(not 0 <= i < problem.n_params for i in scaled):
            raise CertificateError("certificate.upper.family: wrong length or coordinate")
        lim = family_limit(problem, base, scaled)
        if lim is None or not lim.is_Rational or Fraction(int(lim.p), int(lim.q)) != claimed:
            raise _RefutedError(f"SymPy's limit along the family is {lim}, not the claimed {value}")
        if not family_consistent(Family(base, scaled, lim, (), ""), problem):
            raise _RefutedError("arb values along the family do not approach the claimed limit")
    else:
        raise CertificateError(f"certificate.upper.kind: expected point, lemma or family, got {kind!r}")
