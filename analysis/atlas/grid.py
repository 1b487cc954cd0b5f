"""The atlas grid: rows are datasets (boolean functions), columns are architectures, cells pair them.

A cell is one Problem plus the labels it is shown under. Rows and columns only meet where the
network's input count matches the data's, so one grid can hold several blocks (the two-input
functions against two-input networks, identity and not against the seed's four presets).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..datasets import DATASET_NAMES, TWO_INPUT_NAMES, boolean_function, dataset
from ..errors import InputError
from ..network import PRESET_NAMES, Dataset, Network, Problem, preset
from ..spec import BIAS_CHOICES, _biases, build_network, load_spec, parse_net

#: Default columns for n-input rows: a single neuron without and with bias, an n-1-1 chain with
#: biases, and n-2-1 without biases, with an output bias only, and with all biases.
DEFAULT_ARCH_PATTERNS = (
    "{n}-1:none",
    "{n}-1:all",
    "{n}-1-1:all",
    "{n}-2-1:none",
    "{n}-2-1:output",
    "{n}-2-1:all",
)
ONE_INPUT_ROWS = ("identity", "not")
SUPPORTED_INPUTS = (2, 3)
_BIAS_SUFFIX = {"none": "", "all": " b", "output": " ob", "hidden": " hb"}


@dataclass(frozen=True)
class Arch:
    """A column: a network and the label it is shown under."""

    label: str
    network: Network


@dataclass(frozen=True)
class Row:
    """A row: a dataset and the label it is shown under."""

    label: str
    data: Dataset

    @property
    def n_inputs(self) -> int:
        return len(self.data.inputs[0])


@dataclass(frozen=True)
class Cell:
    """One cell of the atlas: a row label, a column label and the Problem they name."""

    row: str
    column: str
    problem: Problem

    @property
    def n_inputs(self) -> int:
        return self.problem.network.n_inputs


def network_label(network: Network) -> str:
    """``2-2-1 b`` style label; a seed preset's chain is called by the preset's name."""
    for name in PRESET_NAMES:
        if preset(name).network == network:
            return name
    sizes = "-".join(str(s) for s in (network.n_inputs, *(layer.size for layer in network.layers)))
    flags = tuple(layer.bias for layer in network.layers)
    for choice, suffix in _BIAS_SUFFIX.items():
        if _biases(choice, len(flags), "bias") == flags:
            return sizes + suffix
    return sizes + " b[" + ",".join(str(int(f)) for f in flags) + "]"


def parse_arch(token: str) -> Arch:
    """``2-2-1:all`` (sizes, then a bias choice, default none) or a seed preset name."""
    token = token.strip()
    if token in PRESET_NAMES:
        return Arch(token, preset(token).network)
    sizes_text, _, bias = token.partition(":")
    bias = bias or "none"
    if bias not in BIAS_CHOICES:
        raise InputError(f"--archs: bias {bias!r} in {token!r}: expected one of {', '.join(BIAS_CHOICES)}")
    sizes = parse_net(sizes_text)
    network = build_network(sizes, _biases(bias, len(sizes) - 1, "--archs"))
    return Arch(network_label(network), network)


def default_archs(n_inputs: int) -> tuple[Arch, ...]:
    archs = tuple(parse_arch(p.format(n=n_inputs)) for p in DEFAULT_ARCH_PATTERNS)
    if n_inputs == 2:
        archs += tuple(parse_arch(name) for name in PRESET_NAMES)
    return archs


def parse_function(token: str, n_inputs: int) -> Row:
    """A built-in dataset by name, or ``fK``: the boolean function of ``n_inputs`` bits with index K."""
    token = token.strip()
    key = token.lower()
    if key.startswith("f") and key[1:].isdigit() and key == f"f{int(key[1:])}" and n_inputs != 2:
        return Row(key, boolean_function(int(key[1:]), n_inputs))
    if key in TWO_INPUT_NAMES:
        return Row(key, dataset(key))
    if key not in DATASET_NAMES:
        raise InputError(f"--functions: unknown function {token!r}; known: {', '.join(DATASET_NAMES)}, fK")
    return Row(key, dataset(key))


def default_rows(n_inputs: int) -> tuple[Row, ...]:
    if n_inputs == 2:
        rows = tuple(Row(name, boolean_function(k, 2)) for name, k in TWO_INPUT_NAMES.items())
        return rows + tuple(Row(name, dataset(name)) for name in ONE_INPUT_ROWS)
    return tuple(Row(f"f{k}", boolean_function(k, n_inputs)) for k in range(2 ** (2**n_inputs)))


def build_grid(
    functions: tuple[str, ...] | None = None,
    archs: tuple[str, ...] | None = None,
    *,
    inputs: int = 2,
    spec_dir=None,
) -> tuple[Cell, ...]:
    """The cells of an atlas, in display order (row by row).

    ``functions`` and ``archs`` default to the standard grid for ``inputs`` bits; ``spec_dir``
    adds one cell per ``*.toml`` problem spec in that folder (sorted by file name).
    """
    if inputs not in SUPPORTED_INPUTS:
        raise InputError(f"--inputs: expected one of {', '.join(map(str, SUPPORTED_INPUTS))}, got {inputs!r}")
    rows = default_rows(inputs) if functions is None else tuple(parse_function(f, inputs) for f in functions)
    cols = default_archs(inputs) if archs is None else tuple(parse_arch(a) for a in archs)
    cells = []
    if not (spec_dir is not None and functions is None and archs is None):
        for row in rows:
            for arch in cols:
                if arch.network.n_inputs == row.n_inputs:
                    name = f"{row.label}|{arch.label}"
                    cells.append(Cell(row.label, arch.label, Problem(name, arch.network, row.data)))
    if spec_dir is not None:
        cells += spec_cells(spec_dir)
    if not cells:
        raise InputError("the atlas grid is empty: no function matches any architecture's input count")
    seen = set()
    unique = []
    for c in cells:
        if (c.row, c.column) not in seen:
            seen.add((c.row, c.column))
            unique.append(c)
    return tuple(unique)


def spec_cells(spec_dir) -> tuple[Cell, ...]:
    """One cell per TOML spec in ``spec_dir``: row = the data (by function name where it is one)."""
    from ..datasets import truth_table_index, two_input_name

    folder = Path(spec_dir)
    if not folder.is_dir():
        raise InputError(f"--spec-dir: {str(spec_dir)!r} is not a folder")
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise InputError(f"--spec-dir: no *.toml spec in {str(spec_dir)!r}")
    cells = []
    for path in paths:
        problem = load_spec(path)
        index = truth_table_index(problem.data)
        n = problem.network.n_inputs
        row = two_input_name(index) if index is not None and n == 2 else problem.name
        cells.append(Cell(row, network_label(problem.network), problem))
    return tuple(cells)
