"""canlearn: can this network learn this data? Exact derivatives, machine-checked proofs, numbers.

The public API, for analysis scripts::

    from analysis import preset, symbolic, compiled, loss, gradient, seed_loop, train, gradcheck
"""

__version__ = "0.1.0"

from .backprop import forward, gradient, loss
from .check import GradcheckResult, ParamCheck, gradcheck, sample_points
from .dynamics import DynamicsReport, basin_map, critical_points, valleys
from .exact import Compiled, SymbolicModel, compiled, seed_gradient_exprs, sigma, symbolic
from .network import PRESET_NAMES, Dataset, Layer, Network, Problem, chain, preset
from .numerics import sigmoid
from .optimise import OptimiseReport
from .seed import seed_gradient, seed_loop
from .training import TrainResult, random_init, train

# Imported on first use (python-flint, matplotlib). The functions optimise() and dynamics() are
# not re-exported: they share their modules' names, and `import analysis.dynamics` must give the
# module. Use `from analysis.optimise import optimise` and `from analysis.dynamics import dynamics`.
_LAZY = {
    "prove": ("proofs", "prove"),
    "ProofReport": ("proofs", "ProofReport"),
    "render_markdown": ("proofs", "render_markdown"),
    "render_latex": ("proofs", "render_latex"),
    "run_all": ("report", "run_all"),
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    *_LAZY,
    "DynamicsReport",
    "OptimiseReport",
    "basin_map",
    "critical_points",
    "valleys",
    "PRESET_NAMES",
    "Compiled",
    "Dataset",
    "GradcheckResult",
    "Layer",
    "Network",
    "ParamCheck",
    "Problem",
    "SymbolicModel",
    "TrainResult",
    "chain",
    "compiled",
    "forward",
    "gradcheck",
    "gradient",
    "loss",
    "preset",
    "random_init",
    "sample_points",
    "seed_gradient",
    "seed_gradient_exprs",
    "seed_loop",
    "sigma",
    "sigmoid",
    "symbolic",
    "train",
]
