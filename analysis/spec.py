"""Problems from TOML spec files and from command-line flags, parsed as data.

Nothing is eval'd or sympified: numbers are parsed by ``tomllib`` (or ``float``/``int``), names are
looked up in fixed tables. A spec looks like::

    name = "xor-2-2-1"            # optional
    [network]
    sizes = [2, 2, 1]             # inputs, hidden layers..., outputs (as in --net 2-2-1)
    bias = "all"                  # none | hidden | output | all, or one true/false per layer
    activation = "sigmoid"        # the only one for now
    [data]
    name = "xor"                  # a built-in dataset (analysis.datasets.DATASET_NAMES), or:
    # inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]
    # targets = [0, 1, 1, 0]      # one number per point for one output, else one list per point

Every mistake raises :class:`SpecError` (an :class:`~analysis.errors.InputError`) naming the field.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from .datasets import dataset
from .errors import InputError
from .network import ACTIVATIONS, PRESET_NAMES, Dataset, Layer, Network, Problem, preset

#: Stated limits: beyond them exact derivatives and certification stop being tiny-network work.
MAX_PARAMS = 16
MAX_POINTS = 64
MAX_LAYERS = 6
MAX_WIDTH = 8
MAX_SPEC_BYTES = 1 << 16

BIAS_CHOICES = ("none", "hidden", "output", "all")
_TOP_KEYS = {"name", "description", "network", "data"}
_NETWORK_KEYS = {"sizes", "bias", "activation"}
_DATA_KEYS = {"name", "inputs", "targets"}


class SpecError(InputError):
    """A spec (file or flags) that does not describe a problem canlearn can take."""


def _field_error(where: str, message: str) -> SpecError:
    return SpecError(f"{where}: {message}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _field_error(where, f"expected a number, got {type(v).__name__} {v!r}")
    x = float(v)
    if not math.isfinite(x):
        raise _field_error(where, f"expected a finite number, got {v!r}")
    return x


def _sizes(v, where: str) -> tuple[int, ...]:
    if not isinstance(v, list) or len(v) < 2:
        raise _field_error(where, "expected a list of at least two layer sizes, e.g. [2, 2, 1]")
    if len(v) - 1 > MAX_LAYERS:
        raise _field_error(where, f"at most {MAX_LAYERS} layers after the inputs, got {len(v) - 1}")
    for k, s in enumerate(v):
        if not _is_int(s) or not 1 <= s <= MAX_WIDTH:
            raise _field_error(
                f"{where}[{k}]", f"a layer size must be an integer from 1 to {MAX_WIDTH}, got {s!r}"
            )
    return tuple(v)


def _biases(v, n_layers: int, where: str) -> tuple[bool, ...]:
    if isinstance(v, str):
        if v not in BIAS_CHOICES:
            raise _field_error(where, f"expected one of {', '.join(BIAS_CHOICES)}, got {v!r}")
        last = n_layers - 1
        return tuple(
            v == "all" or (v == "hidden" and k < last) or (v == "output" and k == last)
            for k in range(n_layers)
        )
    if isinstance(v, list):
        if len(v) != n_layers or not all(isinstance(b, bool) for b in v):
            raise _field_error(where, f"expected {n_layers} true/false values (one per layer), got {v!r}")
        return tuple(v)
    raise _field_error(where, f"expected one of {', '.join(BIAS_CHOICES)} or a list of true/false, got {v!r}")


def build_network(sizes: tuple[int, ...], biases: tuple[bool, ...], activation: str = "sigmoid") -> Network:
    """A network from sizes (inputs first) and one bias flag per layer, within the stated limits."""
    if activation not in ACTIVATIONS:
        raise SpecError(f"activation: only {', '.join(ACTIVATIONS)} is supported, got {activation!r}")
    net = Network(sizes[0], tuple(Layer(s, bias=b, activation=activation) for s, b in zip(sizes[1:], biases)))
    if net.n_params > MAX_PARAMS:
        raise SpecError(f"network: {net.n_params} parameters; canlearn handles at most {MAX_PARAMS}")
    return net


def _rows(v, where: str, width: int | None) -> tuple[tuple[float, ...], ...]:
    if not isinstance(v, list) or not v:
        raise _field_error(where, "expected a non-empty list")
    if len(v) > MAX_POINTS:
        raise _field_error(where, f"at most {MAX_POINTS} points, got {len(v)}")
    rows = []
    for k, row in enumerate(v):
        row = row if isinstance(row, list) else [row]
        if not row:
            raise _field_error(f"{where}[{k}]", "expected at least one number")
        rows.append(tuple(_number(x, f"{where}[{k}]") for x in row))
    if width is not None and any(len(r) != width for r in rows):
        bad = next(k for k, r in enumerate(rows) if len(r) != width)
        raise _field_error(f"{where}[{bad}]", f"expected {width} numbers, got {len(rows[bad])}")
    return tuple(rows)


def _data(table, net: Network) -> Dataset:
    if not isinstance(table, dict):
        raise SpecError("data: expected a table with name, or inputs and targets")
    _known_keys(table, _DATA_KEYS, "data")
    if "name" in table:
        if "inputs" in table or "targets" in table:
            raise SpecError("data: give either name or inputs/targets, not both")
        if not isinstance(table["name"], str):
            raise SpecError(f"data.name: expected a string, got {table['name']!r}")
        try:
            return dataset(table["name"])
        except InputError as e:
            raise SpecError(f"data.name: {e}") from None
    for key in ("inputs", "targets"):
        if key not in table:
            raise SpecError(f"data.{key}: missing (or give data.name for a built-in dataset)")
    inputs = _rows(table["inputs"], "data.inputs", net.n_inputs)
    targets = _rows(table["targets"], "data.targets", net.n_outputs)
    if len(inputs) != len(targets):
        raise SpecError(f"data.targets: {len(targets)} targets for {len(inputs)} inputs")
    for k, row in enumerate(targets):
        if any(not 0.0 <= t <= 1.0 for t in row):
            raise SpecError(f"data.targets[{k}]: targets must lie in [0, 1], the range of a sigmoid output")
    return Dataset(inputs=inputs, targets=targets)


def _known_keys(table: dict, known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        prefix = f"{where}." if where else ""
        raise SpecError(f"{prefix}{unknown[0]}: unknown field; known: {', '.join(sorted(known))}")


def _check_fits(net: Network, data: Dataset, where: str) -> None:
    if len(data.inputs) > MAX_POINTS:
        raise SpecError(f"{where}: {len(data.inputs)} points; canlearn handles at most {MAX_POINTS}")
    if len(data.inputs[0]) != net.n_inputs:
        raise SpecError(
            f"{where}: the data has {len(data.inputs[0])} inputs per point, the network {net.n_inputs}"
        )
    if len(data.targets[0]) != net.n_outputs:
        raise SpecError(
            f"{where}: the data has {len(data.targets[0])} targets per point, "
            f"the network {net.n_outputs} outputs"
        )
    for k, row in enumerate(data.targets):
        if any(not 0.0 <= t <= 1.0 for t in row):
            raise SpecError(f"{where}: target {k} lies outside [0, 1], the range of a sigmoid output")


def parse_spec(table: dict, source: str = "spec") -> Problem:
    """A Problem from a parsed TOML table (see the module docstring for the fields)."""
    if not isinstance(table, dict):
        raise SpecError(f"{source}: expected a TOML table")
    _known_keys(table, _TOP_KEYS, "")
    for key in ("network", "data"):
        if key not in table:
            raise SpecError(f"{key}: missing section [{key}]")
    net_t = table["network"]
    if not isinstance(net_t, dict):
        raise SpecError("network: expected a table")
    _known_keys(net_t, _NETWORK_KEYS, "network")
    if "sizes" not in net_t:
        raise SpecError("network.sizes: missing (e.g. sizes = [2, 2, 1])")
    sizes = _sizes(net_t["sizes"], "network.sizes")
    biases = _biases(net_t.get("bias", "none"), len(sizes) - 1, "network.bias")
    activation = net_t.get("activation", "sigmoid")
    if not isinstance(activation, str):
        raise SpecError(f"network.activation: expected a string, got {activation!r}")
    try:
        net = build_network(sizes, biases, activation)
    except SpecError as e:
        raise SpecError(f"network.{e}") from None
    data = _data(table["data"], net)
    _check_fits(net, data, "data")
    name = table.get("name", Path(source).stem if source != "spec" else "spec")
    description = table.get("description", "")
    for key, v in (("name", name), ("description", description)):
        if not isinstance(v, str):
            raise SpecError(f"{key}: expected a string, got {v!r}")
    if not name.strip():
        raise SpecError("name: must not be empty")
    return Problem(name, net, data, description)


def load_spec(path) -> Problem:
    """Read and parse a TOML spec file."""
    p = Path(path)
    try:
        raw = p.read_bytes()[: MAX_SPEC_BYTES + 1]
    except OSError as e:
        raise SpecError(f"cannot read spec {str(path)!r}: {e.strerror or e}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"spec {str(path)!r}: larger than {MAX_SPEC_BYTES} bytes")
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"spec {str(path)!r}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"spec {str(path)!r}: not valid TOML ({e})") from None
    return parse_spec(table, str(p))


def parse_net(text: str) -> tuple[int, ...]:
    """``"2-2-1"`` -> (2, 2, 1): inputs, hidden sizes..., outputs."""
    parts = text.strip().split("-") if isinstance(text, str) else []
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise SpecError(f"--net: expected sizes like 2-2-1 (inputs-hidden-...-outputs), got {text!r}")
    return _sizes([int(p) for p in parts], "--net")


def problem_from_flags(net: str, bias: str = "none", data: str = "identity") -> Problem:
    """A Problem from ``--net 2-2-1 --bias all --data xor``."""
    sizes = parse_net(net)
    if bias not in BIAS_CHOICES:
        raise SpecError(f"--bias: expected one of {', '.join(BIAS_CHOICES)}, got {bias!r}")
    network = build_network(sizes, _biases(bias, len(sizes) - 1, "--bias"))
    try:
        ds = dataset(data)
    except InputError as e:
        raise SpecError(f"--data: {e}") from None
    _check_fits(network, ds, "--data")
    name = f"{data}_{net}_{bias}"
    return Problem(name, network, ds, f"{data} on a {net} sigmoid network, bias: {bias}")


def as_problem(problem) -> Problem:
    """A Problem as given, or a seed preset by name (sugar accepted by every analysis)."""
    if isinstance(problem, Problem):
        return problem
    if isinstance(problem, str):
        return preset(problem)
    raise InputError(
        f"problem: expected a Problem or a preset name ({', '.join(PRESET_NAMES)}), "
        f"got {type(problem).__name__}"
    )
