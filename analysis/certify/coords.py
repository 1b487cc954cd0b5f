"""Search coordinates: neurons in vertex form, an exact integer change of variables.

Axis-aligned boxes in weight space bound L poorly where its good region runs to infinity along
a slanted direction: for one neuron with bias on XOR, the pre-activations a(x) = w.x + b obey
a(1,1) = a(0,1) + a(1,0) - a(0,0), which boxes in (w, b) never see. So each first-layer neuron
with a bias is searched in its pre-activations at the input vertices 0, e_1, ..., e_m:

    p_0 = b,   p_i = b + w_i     (so  b = p_0,  w_i = p_i - p_0).

This map is integer and unimodular: w = T p with T an integer matrix of determinant 1, so boxes
covering p-space cover weight space, and L(T p) keeps exact (integer) coefficients for interval
evaluation. A later layer's neuron with a bias and a single input h (a sigmoid output, in
[0, 1]) gets the same form, q0 = b and q1 = b + W, and its pre-activation W h + b is written
cc(q0, q1, h) = (1 - h) q0 + h q1, a convex combination that intervals enclose tightly (it is
increasing in q0 and q1, and linear in h). Other parameters keep their own coordinate.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from ..exact import symbolic
from ..network import Problem


class cc(sp.Function):  # noqa: N801 - SymPy functions are lower-case by convention
    """cc(q0, q1, h) = (1 - h) q0 + h q1: a fan-in-1 neuron's pre-activation W h + b in vertex
    form (q0 = b, q1 = b + W), for an input h in [0, 1] (a sigmoid output)."""

    nargs = 3

    def fdiff(self, argindex=1):
        q0, q1, h = self.args
        return (1 - h, h, q1 - q0)[argindex - 1]

    def _eval_is_extended_real(self):
        return all(a.is_extended_real for a in self.args) or None


def _neurons(problem: Problem):
    """(layer, W slots, b slot) of every neuron searched in vertex form."""
    net = problem.network
    out = []
    for k, (W, b) in enumerate(net.unpack(np.arange(problem.n_params))):
        if b is None or (k > 0 and W.shape[1] != 1):
            continue
        for o in range(W.shape[0]):
            out.append((k, tuple(int(i) for i in W[o]), int(b[o])))
    return out


@cache
def _plan(problem: Problem):
    """T, the search symbols p, and L, grad L, terms of L in p (SymPy)."""
    m = symbolic(problem)
    n = problem.n_params
    ps = tuple(sp.Symbol(f"p{k}", real=True) for k in range(n))
    T = np.eye(n, dtype=np.int64)
    loss, terms = (
        m.loss,
        [
            sp.S.Half * (sp.Rational(d) - z) ** 2
            for ds, zs in zip(problem.data.targets, m.outputs)
            for d, z in zip(ds, zs)
        ],
    )
    subs = dict(zip(m.params, ps))
    for k, ws, bslot in _neurons(problem):
        if k == 0:  # first layer: w_i = p_i - p_0, b = p_0 (pre-activations at the input vertices)
            for wi in ws:
                T[wi, bslot] = -1
                subs[m.params[wi]] = ps[wi] - ps[bslot]
            continue
        (wi,) = ws
        W, b = m.params[wi], m.params[bslot]

        def match(e, W=W, b=b):
            return (
                e.is_Add
                and len(e.args) == 2
                and b in e.args
                and any(a.is_Mul and W in a.args for a in e.args)
            )

        def repl(e, W=W, b=b, wi=wi, bslot=bslot):
            h = next(a for a in e.args if a != b) / W
            return cc(ps[bslot], ps[wi], h)

        new_loss = loss.replace(match, repl)
        new_terms = [t.replace(match, repl) for t in terms]
        if any({W, b} & e.free_symbols for e in [new_loss, *new_terms]):
            continue  # not of the expected form: keep this neuron in weight coordinates
        loss, terms = new_loss, new_terms
        T[wi, bslot] = -1
    loss = loss.xreplace(subs)
    terms = tuple(t.xreplace(subs) for t in terms)
    grad = tuple(sp.diff(loss, p) for p in ps)
    return T, ps, loss, grad, terms


def transform(problem: Problem) -> np.ndarray:
    """T (n x n, integer, determinant 1): weights w = T p for search coordinates p."""
    return _plan(problem)[0]


def coord_names(problem: Problem) -> tuple[str, ...]:
    """Names of the search coordinates: ``v0(b)`` = b and ``v1(W)`` = b + W in vertex form."""
    names = list(problem.param_names)
    T = transform(problem)
    for _, ws, bslot in _neurons(problem):
        if all(T[wi, bslot] == -1 for wi in ws):
            for wi in ws:
                names[wi] = f"v({names[bslot]}+{names[wi]})"
            names[bslot] = f"v({names[bslot]})"
    return tuple(names)


def to_weights(problem: Problem, p) -> np.ndarray:
    return np.asarray(p, dtype=float) @ transform(problem).T.astype(float)


def coordinate_model(problem: Problem):
    """(p symbols, L(T p), grad_p L(T p), terms of L(T p)) as SymPy expressions."""
    _, ps, loss, grad, terms = _plan(problem)
    return ps, loss, grad, terms
