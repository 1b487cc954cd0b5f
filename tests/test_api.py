"""The public API: every exported name resolves, and submodules stay modules."""

import importlib
import subprocess
import sys
import types

import analysis


def test_every_exported_name_resolves():
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name


def test_submodules_are_modules():
    for name in ("optimise", "dynamics", "proofs", "report", "figures", "exact", "check", "backprop", "seed"):
        mod = importlib.import_module(f"analysis.{name}")
        assert isinstance(mod, types.ModuleType)
        assert isinstance(getattr(analysis, name), types.ModuleType), name


def test_import_does_no_heavy_work():
    """Importing the package loads neither matplotlib nor the proofs, and builds no SymPy model."""
    code = "import sys, analysis; print('matplotlib' in sys.modules, 'analysis.proofs' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    code = "import analysis.exact as s; print(s.symbolic.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_unknown_attribute_is_an_attribute_error():
    try:
        analysis.no_such_name  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("expected AttributeError")
