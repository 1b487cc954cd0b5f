"""Search coordinates: the first layer's neurons in vertex form, an exact integer change of variables.

Axis-aligned boxes in weight space bound L poorly where its good region runs to infinity along
a slanted direction: for one neuron with bias on XOR, the pre-activations a(x) = w.x + b obey
a(1,1) = a(0,1) + a(1,0) - a(0,0), which boxes in (w, b) never see. So each first-layer neuron
with a bias is searched in its pre-activations at the input vertices 0, e_1, ..., e_m:

    p_0 = b,   p_i = b + w_i     (so  b = p_0,  w_i = p_i - p_0).

This map is integer and unimodular: w = T p with T an integer matrix of determinant 1, so boxes
covering p-space cover weight space, and L(T p) keeps exact (integer) coefficients for interval
evaluation. Other parameters keep their own coordinate (T is the identity there).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from ..exact import symbolic
from ..network import Problem


@cache
def transform(problem: Problem) -> np.ndarray:
    """T (n x n, integer): weights w = T p for search coordinates p."""
    n = problem.n_params
    T = np.eye(n, dtype=np.int64)
    net = problem.network
    W, b = net.unpack(np.arange(n))[0]
    if b is None:
        return T
    for o in range(net.layers[0].size):
        bi = int(b[o])
        for i in range(net.n_inputs):
            wi = int(W[o, i])
            # w_i = p_i - p_0: the row of w_i has +1 at p_i (already) and -1 at p_0 = b's slot.
            T[wi, bi] = -1
    return T


def coord_names(problem: Problem) -> tuple[str, ...]:
    """Names of the search coordinates (``a0[o]`` = b, ``a<i>[o]`` = b + w_i for neuron o)."""
    names = list(problem.param_names)
    T = transform(problem)
    net = problem.network
    W, b = net.unpack(np.arange(problem.n_params))[0]
    if b is None or np.array_equal(T, np.eye(len(names), dtype=np.int64)):
        return tuple(names)
    for o in range(net.layers[0].size):
        names[int(b[o])] = f"a0[{o}]"
        for i in range(net.n_inputs):
            names[int(W[o, i])] = f"a{i + 1}[{o}]"
    return tuple(names)


def to_weights(problem: Problem, p) -> np.ndarray:
    return np.asarray(p, dtype=float) @ transform(problem).T.astype(float)


def to_coords(problem: Problem, w) -> np.ndarray:
    """p = T^-1 w (T^-1 is integer too: p_0 = b, p_i = b + w_i)."""
    Tinv = np.rint(np.linalg.inv(transform(problem).astype(float))).astype(float)
    return np.asarray(w, dtype=float) @ Tinv.T


@cache
def coordinate_model(problem: Problem):
    """(p symbols, L(T p), grad_p L(T p), terms of L(T p)) as SymPy expressions."""
    m = symbolic(problem)
    T = transform(problem)
    ps = tuple(sp.Symbol(f"p{k}", real=True) for k in range(problem.n_params))
    subs = {
        w: sum((int(T[j, k]) * ps[k] for k in range(len(ps)) if T[j, k]), sp.S.Zero)
        for j, w in enumerate(m.params)
    }
    loss = m.loss.xreplace(subs)
    grad = tuple(sp.diff(loss, p) for p in ps)
    terms = tuple(
        (sp.S.Half * (sp.Rational(d) - z) ** 2).xreplace(subs)
        for ds, zs in zip(problem.data.targets, m.outputs)
        for d, z in zip(ds, zs)
    )
    return ps, loss, grad, terms
