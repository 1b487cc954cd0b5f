"""canlearn: can this network learn this data? Exact derivatives, machine-checked proofs, numbers.

The public API, for analysis scripts::

    from analysis import preset, symbolic, compiled, loss, gradient, seed_loop, train, gradcheck
"""

__version__ = "0.1.0"

from .backprop import forward, gradient, loss
from .gradcheck import GradcheckResult, ParamCheck, gradcheck, sample_points
from .network import PRESET_NAMES, Dataset, Layer, Network, Problem, chain, preset
from .numerics import sigmoid
from .seed import seed_gradient, seed_loop
from .symbolic import Compiled, SymbolicModel, compiled, seed_gradient_exprs, sigma, symbolic
from .training import TrainResult, random_init, train

__all__ = [
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
