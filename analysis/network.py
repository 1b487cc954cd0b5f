"""Networks as data: layers, datasets, problems, and the seed's four presets.

Parameter order, used everywhere: every weight matrix layer by layer (row-major, output
neuron then input), then every bias vector layer by layer. For the seed's chain this is
W1, W2, b1, b2 (the biases only where present).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    import numpy as np

ACTIVATIONS = ("sigmoid",)


@dataclass(frozen=True)
class Layer:
    """A dense layer: ``size`` neurons, each with a bias iff ``bias``."""

    size: int
    bias: bool = False
    activation: str = "sigmoid"

    def __post_init__(self):
        if not isinstance(self.size, int) or self.size < 1:
            raise InputError(f"layer size must be a positive integer, got {self.size!r}")
        if self.activation not in ACTIVATIONS:
            raise InputError(f"unknown activation {self.activation!r}; known: {', '.join(ACTIVATIONS)}")


@dataclass(frozen=True)
class Network:
    """A feed-forward network: ``n_inputs`` inputs, then ``layers`` (the last is the output)."""

    n_inputs: int
    layers: tuple[Layer, ...]

    def __post_init__(self):
        if not isinstance(self.n_inputs, int) or self.n_inputs < 1:
            raise InputError(f"n_inputs must be a positive integer, got {self.n_inputs!r}")
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.layers:
            raise InputError("a network needs at least one layer")

    @property
    def fan_in(self) -> tuple[int, ...]:
        return (self.n_inputs,) + tuple(layer.size for layer in self.layers[:-1])

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].size

    @cached_property  # hot: every compiled call validates its points against n_params
    def param_names(self) -> tuple[str, ...]:
        names = []
        for k, (layer, n_in) in enumerate(zip(self.layers, self.fan_in), start=1):
            if layer.size == 1 and n_in == 1:
                names.append(f"W{k}")
            else:
                names += [f"W{k}[{o},{i}]" for o in range(layer.size) for i in range(n_in)]
        for k, layer in enumerate(self.layers, start=1):
            if layer.bias:
                names += [f"b{k}"] if layer.size == 1 else [f"b{k}[{o}]" for o in range(layer.size)]
        return tuple(names)

    @cached_property
    def n_params(self) -> int:
        return len(self.param_names)

    def unpack(self, w):
        """Split points of shape (..., n_params) into [(W (..., out, in), b (..., out) | None)]."""
        import numpy as np  # here, not at the top: `canlearn --help` needs this module, not NumPy

        w = np.asarray(w)
        lead = w.shape[:-1]
        out, pos = [], 0
        shapes = [(layer.size, n_in) for layer, n_in in zip(self.layers, self.fan_in)]
        weights = []
        for rows, cols in shapes:
            weights.append(w[..., pos : pos + rows * cols].reshape(lead + (rows, cols)))
            pos += rows * cols
        for layer, W in zip(self.layers, weights):
            b = None
            if layer.bias:
                b = w[..., pos : pos + layer.size]
                pos += layer.size
            out.append((W, b))
        return out

    def describe(self) -> str:
        parts = [f"{self.n_inputs} input" + ("s" if self.n_inputs > 1 else "")]
        for k, layer in enumerate(self.layers, start=1):
            role = "output" if k == len(self.layers) else "hidden"
            bias = "with bias" if layer.bias else "no bias"
            parts.append(f"{layer.size} {role} {layer.activation} ({bias})")
        return " -> ".join(parts)


@dataclass(frozen=True)
class Dataset:
    """Inputs (n_samples, n_inputs) and targets (n_samples, n_outputs), stored as tuples."""

    inputs: tuple[tuple[float, ...], ...]
    targets: tuple[tuple[float, ...], ...]

    def __post_init__(self):
        inputs = tuple(tuple(float(v) for v in row) for row in self.inputs)
        targets = tuple(tuple(float(v) for v in row) for row in self.targets)
        if len(inputs) != len(targets) or not inputs:
            raise InputError("a dataset needs as many targets as inputs, and at least one sample")
        if len({len(r) for r in inputs}) != 1 or len({len(r) for r in targets}) != 1:
            raise InputError("every input (and every target) must have the same length")
        for field_name, rows in (("inputs", inputs), ("targets", targets)):
            for k, row in enumerate(rows):
                if not all(math.isfinite(v) for v in row):
                    raise InputError(f"{field_name}[{k}]: dataset values must be finite, got {row}")
        for k, row in enumerate(targets):
            if any(not 0.0 <= t <= 1.0 for t in row):
                raise InputError(
                    f"targets[{k}]: {row} lies outside [0, 1], which a sigmoid output can never reach"
                )
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "targets", targets)

    @property
    def X(self) -> np.ndarray:
        import numpy as np

        return np.array(self.inputs, dtype=float)

    @property
    def D(self) -> np.ndarray:
        import numpy as np

        return np.array(self.targets, dtype=float)


@dataclass(frozen=True)
class Problem:
    """A network and the dataset it should fit, under L = 1/2 sum (d - z)^2."""

    name: str
    network: Network
    data: Dataset
    description: str = field(default="", compare=False)

    def __post_init__(self):
        if len(self.data.inputs[0]) != self.network.n_inputs:
            raise InputError("dataset inputs do not match the network's input count")
        if len(self.data.targets[0]) != self.network.n_outputs:
            raise InputError("dataset targets do not match the network's output count")

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.network.param_names

    @property
    def n_params(self) -> int:
        return self.network.n_params

    def __repr__(self) -> str:
        return f"Problem({self.name!r}: {self.network.describe()}; params {', '.join(self.param_names)})"


IDENTITY_01 = Dataset(inputs=((0.0,), (1.0,)), targets=((0.0,), (1.0,)))


def chain(hidden_bias: bool, output_bias: bool) -> Network:
    """The seed's chain x -> sigmoid -> sigmoid, one neuron per layer."""
    return Network(1, (Layer(1, bias=hidden_bias), Layer(1, bias=output_bias)))


_PRESETS = {
    "none": (chain(False, False), "the seed: y = sigma(W1 x), z = sigma(W2 y)"),
    "hidden": (chain(True, False), "bias on the hidden neuron: y = sigma(W1 x + b1)"),
    "output": (chain(False, True), "bias on the output neuron: z = sigma(W2 y + b2)"),
    "both": (chain(True, True), "biases on both neurons"),
}
PRESET_NAMES = tuple(_PRESETS)


def preset(name: str) -> Problem:
    """The seed's network variants on x in {0, 1} with target x: none, hidden, output, both."""
    if not isinstance(name, str):
        raise InputError(
            f"expected a preset name (one of {', '.join(PRESET_NAMES)}), got a {type(name).__name__}"
        )
    try:
        net, text = _PRESETS[name]
    except KeyError:
        raise InputError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}") from None
    return Problem(name, net, IDENTITY_01, text)
