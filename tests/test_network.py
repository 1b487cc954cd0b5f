"""Networks are data: presets, parameter order, general shapes, and validation."""

import dataclasses

import numpy as np
import pytest

from analysis import Dataset, Layer, Network, Problem, preset
from analysis.network import PRESET_NAMES


def test_preset_parameter_order():
    assert preset("none").param_names == ("W1", "W2")
    assert preset("hidden").param_names == ("W1", "W2", "b1")
    assert preset("output").param_names == ("W1", "W2", "b2")
    assert preset("both").param_names == ("W1", "W2", "b1", "b2")


def test_presets_share_the_seed_dataset():
    for name in PRESET_NAMES:
        p = preset(name)
        assert p.data.inputs == ((0.0,), (1.0,)) and p.data.targets == p.data.inputs


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        preset("nope")


def test_general_network_can_be_described():
    """2 inputs, 2 hidden sigmoid neurons with biases, 1 output."""
    net = Network(2, (Layer(2, bias=True), Layer(1)))
    assert net.param_names == (
        "W1[0,0]",
        "W1[0,1]",
        "W1[1,0]",
        "W1[1,1]",
        "W2[0,0]",
        "W2[0,1]",
        "b1[0]",
        "b1[1]",
    )
    w = np.arange(8.0)
    (W1, b1), (W2, b2) = net.unpack(w)
    assert W1.tolist() == [[0, 1], [2, 3]] and b1.tolist() == [6, 7]
    assert W2.tolist() == [[4, 5]] and b2 is None
    assert net.describe() == "2 inputs -> 2 hidden sigmoid (with bias) -> 1 output sigmoid (no bias)"


def test_specs_are_immutable_and_hashable():
    p = preset("none")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "other"
    assert hash(p) == hash(preset("none")) and p == preset("none")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Layer(0),
        lambda: Layer(-1),
        lambda: Layer(1, activation="relu"),
        lambda: Network(0, (Layer(1),)),
        lambda: Network(1, ()),
        lambda: Dataset(((0.0,),), ((0.0,), (1.0,))),
        lambda: Dataset(((float("nan"),),), ((0.0,),)),
        lambda: Problem("bad", Network(2, (Layer(1),)), Dataset(((0.0,),), ((0.0,),))),
    ],
)
def test_bad_specs_are_rejected(make):
    with pytest.raises(ValueError):
        make()
