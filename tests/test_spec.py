"""Problems from spec files and flags: built-in datasets, parsing as data, one-line errors."""

import operator
import subprocess
import sys

import pytest

from analysis.cli import main
from analysis.datasets import (
    DATASET_NAMES,
    TWO_INPUT_NAMES,
    boolean_function,
    dataset,
    truth_table_index,
    two_input_name,
)
from analysis.errors import InputError
from analysis.network import preset
from analysis.spec import MAX_PARAMS, SpecError, as_problem, load_spec, parse_spec, problem_from_flags

# Independent references: Python's own boolean operators on (a, b).
REFERENCE = {
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xnor": lambda a, b: int(a == b),
    "implies": lambda a, b: int((not a) or b),
    "converse": lambda a, b: int(a or not b),
    "nimplies": lambda a, b: int(a and not b),
    "nconverse": lambda a, b: int(b and not a),
    "a": lambda a, b: a,
    "b": lambda a, b: b,
    "not_a": lambda a, b: 1 - a,
    "not_b": lambda a, b: 1 - b,
    "false": lambda a, b: 0,
    "true": lambda a, b: 1,
}


@pytest.mark.parametrize("name", sorted(TWO_INPUT_NAMES))
def test_two_input_functions_match_python_operators(name):
    ds = dataset(name)
    assert len(ds.inputs) == 4
    for (a, b), (t,) in zip(ds.inputs, ds.targets):
        assert t == REFERENCE[name](int(a), int(b))
    k = TWO_INPUT_NAMES[name]
    assert dataset(f"f{k}") == ds
    assert truth_table_index(ds) == k
    assert two_input_name(k) == name


def test_sixteen_distinct_functions_and_three_bit_sets():
    tables = {dataset(f"f{k}").targets for k in range(16)}
    assert len(tables) == 16
    parity = dataset("parity3")
    majority = dataset("majority3")
    for row, (p,), (m,) in zip(parity.inputs, parity.targets, majority.targets):
        assert p == sum(row) % 2
        assert m == (1.0 if sum(row) >= 2 else 0.0)
    assert len({boolean_function(k, 3).targets for k in range(256)}) == 256
    assert dataset("identity") == preset("none").data
    assert [t for (t,) in dataset("not").targets] == [1.0, 0.0]
    assert set(DATASET_NAMES) >= {"and", "xor", "f0", "f15", "identity", "not", "parity3", "majority3"}


XOR_SPEC = """
name = "xor-net"
[network]
sizes = [2, 2, 1]
bias = "all"
[data]
name = "xor"
"""

INLINE_SPEC = """
[network]
sizes = [2, 1]
bias = [true]
[data]
inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]
targets = [0, 0, 0, 1]
"""


def test_spec_files_and_flags_build_the_same_problems(tmp_path):
    f = tmp_path / "xor.toml"
    f.write_text(XOR_SPEC)
    p = load_spec(f)
    q = problem_from_flags("2-2-1", "all", "xor")
    assert p.name == "xor-net" and p.network == q.network and p.data == q.data
    assert p.n_params == 9

    g = tmp_path / "and.toml"
    g.write_text(INLINE_SPEC)
    a = load_spec(g)
    assert a.network == problem_from_flags("2-1", "all", "and").network
    assert a.data == dataset("and") and a.n_params == 3

    chain3 = problem_from_flags("1-1-1-1", "none", "identity")
    assert chain3.param_names == ("W1", "W2", "W3")
    assert as_problem("none") == preset("none") and as_problem(chain3) is chain3


def test_bias_choices_place_biases_where_named():
    for bias, expected in {"none": 0, "hidden": 2, "output": 1, "all": 3}.items():
        assert problem_from_flags("2-2-1", bias, "xor").n_params == 6 + expected


@pytest.mark.parametrize(
    "text, field",
    [
        ("[network]\nsizes=[2,1]\n", "data"),
        ("[data]\nname='xor'\n", "network"),
        ("x=1\n[network]\nsizes=[2,1]\n[data]\nname='and'\n", "x"),
        ("[network]\nsizes=[2,1]\nwidth=3\n[data]\nname='and'\n", "network.width"),
        ("[network]\nsizes=[2,1]\nactivation='relu'\n[data]\nname='and'\n", "activation"),
        ("[network]\nsizes=[2,0]\n[data]\nname='and'\n", "network.sizes[1]"),
        ("[network]\nsizes=[2]\n[data]\nname='and'\n", "network.sizes"),
        ("[network]\nsizes=[2,true]\n[data]\nname='and'\n", "network.sizes[1]"),
        ("[network]\nsizes=[2,1]\nbias='some'\n[data]\nname='and'\n", "network.bias"),
        ("[network]\nsizes=[2,2,1]\nbias=[true]\n[data]\nname='and'\n", "network.bias"),
        ("[network]\nsizes=[2,1]\n[data]\nname='nope'\n", "data.name"),
        ("[network]\nsizes=[2,1]\n[data]\ninputs=[[0,0]]\n", "data.targets"),
        ("[network]\nsizes=[2,1]\n[data]\ninputs=[[0,0]]\ntargets=[2]\n", "data.targets[0]"),
        ("[network]\nsizes=[2,1]\n[data]\ninputs=[[0]]\ntargets=[1]\n", "data.inputs[0]"),
        ("[network]\nsizes=[2,1]\n[data]\ninputs=[[0,'a']]\ntargets=[1]\n", "data.inputs[0]"),
        ("[network]\nsizes=[2,1]\n[data]\ninputs=[[0,nan]]\ntargets=[1]\n", "data.inputs[0]"),
        ("[network]\nsizes=[2,1]\n[data]\ninputs=[[0,0],[1,1]]\ntargets=[1]\n", "data.targets"),
        ("[network]\nsizes=[2,1]\n[data]\nname='parity3'\n", "data"),
        ("[network]\nsizes=[8,8,8]\n[data]\nname='and'\n", "parameters"),
        ("[network]\nsizes=[2,1]\n[data]\nname='and'\ninputs=[[0,0]]\n", "not both"),
        ("name=3\n[network]\nsizes=[2,1]\n[data]\nname='and'\n", "name"),
    ],
)
def test_bad_specs_name_the_field(text, field):
    import tomllib

    with pytest.raises(SpecError) as e:
        parse_spec(tomllib.loads(text))
    assert field in str(e.value)
    assert isinstance(e.value, InputError) and "\n" not in str(e.value)


def test_parameter_limit_is_stated():
    with pytest.raises(SpecError, match=str(MAX_PARAMS)):
        problem_from_flags("2-4-2", "all", "xor")


def run(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True)


BAD_CLI = [
    ["train", "--spec", "/no/such/file.toml"],
    ["train", "--net", "2-2-1"],
    ["train", "--data", "xor"],
    ["train", "--net", "2-x-1", "--data", "xor"],
    ["train", "--net", "2", "--data", "xor"],
    ["train", "--net", "2-2-1", "--data", "nope"],
    ["train", "--net", "2-2-1", "--data", "parity3"],
    ["train", "--net", "2-2-1", "--bias", "some", "--data", "xor"],
    ["train", "--net", "2-9-1", "--data", "xor"],
    ["train", "--net", "2-2-1", "--data", "identity"],
    ["train", "--arch", "none", "--net", "2-1", "--data", "and"],
    ["gradcheck", "--spec", "/no/such/file.toml"],
    ["optimise", "--net", "2-1", "--data", "xor", "--arch", "all"],
    ["dynamics", "--net", "0-1", "--data", "identity"],
    ["train", "--net", "2-1", "--data", "and", "--init", "1,2,3"],
]


@pytest.mark.parametrize("args", BAD_CLI)
def test_bad_problem_flags_exit_2_with_one_line(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("canlearn: error:") and "\n" not in err and "Traceback" not in err


def test_bad_spec_files_exit_2(tmp_path, capsys):
    cases = {
        "binary.toml": b"\xff\xfe\x00",
        "broken.toml": b"[network\nsizes=",
        "unknown.toml": b"[network]\nsizes=[2,1]\ncolour='red'\n[data]\nname='and'\n",
        "empty.toml": b"",
    }
    for name, raw in cases.items():
        f = tmp_path / name
        f.write_bytes(raw)
        assert main(["train", "--spec", str(f)]) == 2, name
        err = capsys.readouterr().err.strip()
        assert err.startswith("canlearn: error:") and "\n" not in err, (name, err)
    main(["train", "--spec", str(tmp_path / "unknown.toml")])
    assert "network.colour" in capsys.readouterr().err


def test_cli_runs_a_spec_problem_end_to_end(tmp_path):
    f = tmp_path / "and.toml"
    f.write_text(INLINE_SPEC)
    r = run("gradcheck", "--spec", str(f), "--points", "20")
    assert r.returncode == 0, r.stderr
    assert "passed on 20 points" in r.stdout
