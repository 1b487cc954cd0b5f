"""Exact loss, gradient and Hessian in SymPy, and their compiled numeric forms.

``sigma`` is a proper SymPy function: sigma(0) = 1/2, sigma(+-oo) = 1, 0, derivative
sigma*(1 - sigma), real and positive for real arguments, printed as \\sigma in LaTeX. Its
numeric forms are ``numerics.sigmoid`` (float) and 1/(1 + exp(-t)) in mpmath (high precision).
Everything is built lazily and cached per problem: importing this module does no algebra.
"""

from __future__ import annotations

import contextlib
import math
import types
from dataclasses import dataclass
from functools import cache, cached_property

import mpmath
import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from . import validate
from .errors import InputError
from .network import Problem
from .numerics import all_finite, as_points, floats_finite, sigmoid
from .tolerances import MP_DPS, MP_MAX_DPS


class sigma(sp.Function):  # noqa: N801 - SymPy functions are lower-case by convention
    """The logistic sigmoid 1/(1 + exp(-t))."""

    nargs = 1

    @classmethod
    def eval(cls, t):
        if t.is_zero:
            return sp.S.Half
        if t is sp.S.Infinity:
            return sp.S.One
        if t is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        if self.args[0].is_extended_real:
            return True
        return None

    def _eval_is_finite(self):
        if self.args[0].is_extended_real:
            return True
        return None

    def _eval_rewrite_as_exp(self, t, **kwargs):
        return 1 / (1 + sp.exp(-t))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return rf"{body}^{{{exp}}}" if exp is not None else body


def mp_sigma(t):
    """sigma at mpmath precision."""
    return 1 / (1 + mpmath.exp(-t))


def _exact(v: float) -> sp.Rational:
    """The exact rational value of a float (datasets are stored as floats)."""
    return sp.Rational(v)


def _build_outputs(problem: Problem, params):
    """Network outputs as SymPy expressions: one tuple of outputs per sample."""
    net = problem.network
    # Reuse the numeric unpacking on an object array of symbols, so the order is defined once.
    layers = net.unpack(np.array(params, dtype=object))
    outs = []
    for x in problem.data.inputs:
        h = [_exact(v) for v in x]
        for (W, b), layer in zip(layers, net.layers):
            a = [sum((W[o, i] * h[i] for i in range(len(h))), sp.S.Zero) for o in range(layer.size)]
            if b is not None:
                a = [a_o + b[o] for o, a_o in enumerate(a)]
            h = [sigma(a_o) for a_o in a]
        outs.append(tuple(h))
    return tuple(outs)


@dataclass(frozen=True, eq=False)
class SymbolicModel:
    """Exact expressions for one problem. Build with :func:`symbolic`."""

    problem: Problem
    params: tuple[sp.Symbol, ...]
    outputs: tuple[tuple[sp.Expr, ...], ...]
    loss: sp.Expr

    @cached_property
    def gradient(self) -> tuple[sp.Expr, ...]:
        return tuple(sp.diff(self.loss, p) for p in self.params)

    @cached_property
    def hessian(self) -> sp.ImmutableMatrix:
        g = self.gradient
        return sp.ImmutableMatrix(len(g), len(g), lambda i, j: sp.diff(g[i], self.params[j]))

    def __repr__(self) -> str:
        return f"SymbolicModel({self.problem.name!r}, L = {self.loss})"


@cache
def symbolic(problem: Problem) -> SymbolicModel:
    """The exact loss L = 1/2 sum (d - z)^2 of ``problem`` (gradient and Hessian on demand)."""
    params = tuple(sp.Symbol(name, real=True) for name in problem.param_names)
    outputs = _build_outputs(problem, params)
    loss = sp.S.Half * sum(
        ((_exact(d) - z) ** 2 for ds, zs in zip(problem.data.targets, outputs) for d, z in zip(ds, zs)),
        sp.S.Zero,
    )
    return SymbolicModel(problem, params, outputs, loss)


def lambdify(args, expr, **kwargs):
    """``sympy.lambdify`` without the expression printed into the function's docstring: a third of
    lambdify's time on a Hessian, for text nobody reads."""
    return sp.lambdify(args, expr, docstring_limit=0, **kwargs)


def _lambdify(params, exprs, precision: str):
    if precision == "float":
        # lambdify's own settings for its NumPy printer, with sigma a user function.
        settings = {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True}
        modules = [{"sigma": sigmoid}, "numpy"]
        printer = _FloatPrinter({**settings, "user_functions": {"sigma": "sigma"}})
    else:
        modules, printer = [{"sigma": mp_sigma}, "mpmath"], None
    return lambdify(params, list(exprs), modules=modules, cse=True, printer=printer)


class _FloatPrinter(NumPyPrinter):
    """NumPy code whose value at one point (NumPy scalars) is bit for bit its value in a batch.

    NumPy evaluates an array's ``x**2`` as ``x*x`` and ``x**-1`` as ``1/x``, but a scalar's with
    ``pow()``, which differs in the last bit at about 1 point in 1,500: printed as the product and
    the quotient, both ways compute the same correctly rounded value (the batch's, unchanged).
    """

    def _print_Pow(self, expr, rational=False):
        if expr.exp == 2:
            base = self.parenthesize(expr.base, PRECEDENCE["Mul"], strict=False)
            return f"({base}*{base})"
        if expr.exp == -1:
            return f"(1/{self.parenthesize(expr.base, PRECEDENCE['Pow'], strict=False)})"
        return super()._print_Pow(expr, rational=rational)


def _float_sigma(t) -> float:
    return float(sigmoid(t))


def _on_floats(f, exprs):
    """``f`` (compiled from ``exprs``) with sigma returning Python floats, for one point given as
    Python floats.

    Python's float arithmetic performs the same IEEE operations as NumPy's scalars (so gives the
    same values, bit for bit) at under half the cost, and never warns, so it needs no errstate:
    an overflow gives inf or raises OverflowError, x/0 raises ZeroDivisionError. Only for code
    that calls nothing but sigma (a NumPy function would bring NumPy scalars back) and raises to
    integer powers only (Python's (-4.0)**1.5 is complex, NumPy's nan); else None.
    """
    if set(f.__code__.co_names) - {"sigma"}:
        return None
    if any(not p.exp.is_Integer for e in exprs for p in sp.sympify(e).atoms(sp.Pow)):
        return None
    namespace = {**f.__globals__, "sigma": _float_sigma}
    return types.FunctionType(f.__code__, namespace, f.__name__, f.__defaults__, f.__closure__)


#: Batches of at most this many points are evaluated point by point (measured: below about 8
#: points that is faster than NumPy's arrays, whose every operation has a fixed cost).
POINTWISE_MAX = 8


@dataclass(frozen=True, eq=False)
class Compiled:
    """Compiled numeric loss, gradient and Hessian of a problem; vectorised over (..., n_params)."""

    problem: Problem
    model: SymbolicModel

    @cached_property
    def _loss_f(self):
        return _lambdify(self.model.params, [self.model.loss], "float")

    @cached_property
    def _grad_f(self):
        return _lambdify(self.model.params, self.model.gradient, "float")

    @cached_property
    def _hess_f(self):
        return _lambdify(self.model.params, list(self.model.hessian), "float")

    @cached_property
    def _loss_p(self):
        return _on_floats(self._loss_f, [self.model.loss])

    @cached_property
    def _grad_p(self):
        return _on_floats(self._grad_f, self.model.gradient)

    @cached_property
    def _hess_p(self):
        return _on_floats(self._hess_f, list(self.model.hessian))

    @cached_property
    def _grad_mp(self):
        return _lambdify(self.model.params, self.model.gradient, "mpmath")

    @cached_property
    def _loss_mp(self):
        return _lambdify(self.model.params, [self.model.loss], "mpmath")

    @cached_property
    def _hess_mp(self):
        return _lambdify(self.model.params, list(self.model.hessian), "mpmath")

    def _call(self, f, p, w, shape, kind):
        if not (type(w) is np.ndarray and w.dtype == np.float64 and w.shape == (self.problem.n_params,)):
            w = as_points(w, self.problem.n_params)
        elif not all_finite(w):
            w = as_points(w, self.problem.n_params)  # raises, naming the weight
        out = None
        if w.ndim == 1 and p is not None:
            # One point (optimisers, root finders, ODE steps): Python floats, no stacking.
            with contextlib.suppress(ArithmeticError):  # where NumPy gives inf or nan: below
                out = np.array(p(*w.tolist()), dtype=float).reshape(shape)
        elif p is not None and w.size <= POINTWISE_MAX * w.shape[-1]:
            # A few points (descent's last starts): point by point, the same values, since a
            # batch's fixed cost (tens of microseconds) is more than a few points' arithmetic.
            with contextlib.suppress(ArithmeticError):
                rows = [p(*x) for x in w.reshape(-1, w.shape[-1]).tolist()]
                out = np.array(rows, dtype=float).reshape(w.shape[:-1] + shape)
        if out is None:
            # At huge weights a float intermediate overflows (W2**2 = inf, times sigma' = 0 gives
            # nan) although the value is finite: such points are redone in mpmath below, so no warning.
            with np.errstate(all="ignore"):
                if w.ndim == 1:
                    out = np.array(f(*w), dtype=float).reshape(shape)
                else:
                    lead = w.shape[:-1]
                    cols = f(*(w[..., k] for k in range(w.shape[-1])))
                    out = np.empty(lead + (len(cols),))
                    for k, c in enumerate(cols):
                        out[..., k] = c  # a constant entry broadcasts
                    out = out.reshape(lead + shape)
        if not all_finite(out):
            out = self._redo_nonfinite(kind, w, out)
        return out

    def _redo_nonfinite(self, kind: str, w: np.ndarray, out: np.ndarray) -> np.ndarray:
        pts = w.reshape(-1, w.shape[-1])
        vals = out.reshape(len(pts), -1).copy()
        for i in np.flatnonzero(~np.isfinite(vals).all(axis=1)):
            vals[i] = self.exact(kind, pts[i])
        return vals.reshape(out.shape)

    def loss(self, w) -> np.ndarray:
        return self._call(self._loss_f, self._loss_p, w, (), "loss")

    def point_loss(self, w: np.ndarray) -> float:
        """L at one point given as a float64 vector of ``n_params`` finite weights, not checked: for
        optimisers' inner loops, where :meth:`loss`'s checks cost more than L. Same value as ``loss``."""
        if self._loss_p is None:
            return float(self.loss(w))
        try:
            (v,) = self._loss_p(*w.tolist())
        except ArithmeticError:
            v = math.nan
        return float(v) if math.isfinite(v) else float(self.loss(w))  # checked, redone exactly

    def point_gradient(self, w: np.ndarray) -> np.ndarray:
        """:meth:`point_loss`'s gradient: ``gradient`` at one unchecked float64 point, same values."""
        if self._grad_p is None:
            return self.gradient(w)
        try:
            g = self._grad_p(*w.tolist())
        except ArithmeticError:
            return self.gradient(w)
        return np.array(g, dtype=float) if floats_finite(g) else self.gradient(w)

    def gradient(self, w) -> np.ndarray:
        return self._call(self._grad_f, self._grad_p, w, (self.problem.n_params,), "gradient")

    def hessian(self, w) -> np.ndarray:
        n = self.problem.n_params
        return self._call(self._hess_f, self._hess_p, w, (n, n), "hessian")

    def _one_point(self, w) -> list[mpmath.mpf]:
        w = as_points(w, self.problem.n_params)
        if w.ndim != 1:
            raise InputError(f"w: expected one point of {self.problem.n_params} weights, got shape {w.shape}")
        return [mpmath.mpf(float(v)) for v in w]

    def gradient_mp(self, w, dps: int) -> list[mpmath.mpf]:
        """The exact gradient at one point, evaluated with ``dps`` decimal digits."""
        args, dps = self._one_point(w), validate.integer("dps", dps, 1, validate.MAX_DPS)
        with mpmath.workdps(dps):
            return [mpmath.mpf(g) for g in self._grad_mp(*args)]

    def loss_mp(self, w, dps: int) -> mpmath.mpf:
        """The exact loss at one point, evaluated with ``dps`` decimal digits."""
        args, dps = self._one_point(w), validate.integer("dps", dps, 1, validate.MAX_DPS)
        with mpmath.workdps(dps):
            return mpmath.mpf(self._loss_mp(*args)[0])

    def exact(self, kind: str, w) -> np.ndarray:
        """``kind`` ("loss", "gradient" or "hessian", flattened) at one point, rounded to float.

        mpmath at doubling precision until two precisions round alike. Weights spanning many
        decades cancel (1e300 * sigma(1e-300) - 1e300 / 2 needs ~600 digits), so the first
        precision covers the decades the weights span.
        """
        f = {"loss": self._loss_mp, "gradient": self._grad_mp, "hessian": self._hess_mp}[kind]
        args = self._one_point(w)
        mags = np.abs(np.array([float(a) for a in args]))
        decades = np.abs(np.log10(mags[mags > 0])) if np.any(mags > 0) else np.zeros(1)
        dps = MP_DPS + 2 * int(np.ceil(decades.max()))

        def at(dps: int) -> np.ndarray:
            with mpmath.workdps(dps):
                return np.array([float(v) for v in f(*args)])

        prev = at(dps)
        while dps < MP_MAX_DPS:
            dps *= 2
            cur = at(dps)
            if np.array_equal(cur, prev):
                return cur
            prev = cur
        raise ArithmeticError(
            f"exact {kind} at {[float(a) for a in args]} did not settle by {MP_MAX_DPS} digits"
        )


@cache
def compiled(problem: Problem) -> Compiled:
    """Compiled functions for ``problem`` (each lambdified on first use, then cached)."""
    return Compiled(problem, symbolic(problem))


def seed_gradient_exprs() -> tuple[sp.Expr, sp.Expr]:
    """The seed's hand-coded ``gradient[0]``, ``gradient[1]`` transcribed into SymPy, summed over x."""
    from .network import preset

    W1, W2 = symbolic(preset("none")).params
    g0 = g1 = sp.S.Zero
    for x in (sp.S.Zero, sp.S.One):
        d = x
        y = sigma(W1 * x)
        z = sigma(W2 * y)
        g0 += z * W2 * y * x * (d - z) * (1 - y) * (1 - z)
        g1 += y * z * (d - z) * (1 - z)
    return g0, g1


def reduces_to_zero(expr: sp.Expr) -> bool:
    """True iff ``expr`` expands to exactly 0 as a polynomial in its sigma(...) atoms and symbols.

    Treating each sigma(...) as an independent symbol makes this a sound (if incomplete) test.
    """
    atoms = sorted(expr.atoms(sigma), key=sp.default_sort_key)
    subs = {a: sp.Dummy(f"s{i}") for i, a in enumerate(atoms)}
    return sp.expand(expr.xreplace(subs)) == 0
