"""Start-up stays instant: ``--version`` and ``--help`` load neither NumPy, SymPy nor SciPy."""

import os
import subprocess
import sys

import pytest

from analysis.parallel import THREAD_ENV

HEAVY = ("numpy", "sympy", "scipy", "matplotlib", "mpmath", "flint", "dask")

# Runs the command line the way the `canlearn` script does, then lists the heavy modules loaded.
_PROBE = """
import contextlib, io, sys
from analysis.__main__ import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
print(code, *sorted(m for m in {heavy!r} if m in sys.modules))
"""


def _loaded(*argv: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    code, *modules = out.stdout.split()
    assert code in ("0", "None"), out.stdout + out.stderr
    return modules


@pytest.mark.parametrize(
    "argv", [("--version",), ("--help",), ("train", "--help"), ("atlas", "--help"), ("certify", "--help")]
)
def test_start_up_loads_no_heavy_module(argv):
    assert _loaded(*argv) == []


def test_entry_point_limits_blas_threads_before_numpy_loads():
    code = (
        "import os, sys; from analysis.__main__ import main; main(['train', '--iterations', '1']);"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.stdout.split()[-1] == "1", run.stdout + run.stderr
    # A count the user chose is kept.
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(env, OPENBLAS_NUM_THREADS="2"),
    )
    assert run.stdout.split()[-1] == "2", run.stdout + run.stderr


def test_probe_sees_a_heavy_import():
    """Negative control: a command that does load SciPy is reported as loading it."""
    assert "scipy" in _loaded("train", "--iterations", "1")


def test_python_dash_m_is_the_same_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    from analysis import __version__

    assert out.stdout.strip() == f"canlearn {__version__}"


def test_every_public_name_is_listed_without_importing_it():
    import analysis

    assert set(dir(analysis)) >= set(analysis.__all__)
