"""Shared test set-up: one BLAS thread, and the expensive regeneration run once per session.

Quick loop: ``make test-fast`` (``pytest -m "not slow"``). ``make test`` runs everything.
"""

from analysis.parallel import limit_blas_threads

# Before any test module imports NumPy: the suite makes many tiny BLAS calls, where threads only
# add overhead (and ~6 processes share 2 cores). A count set by the user is kept.
limit_blas_threads()

import pytest  # noqa: E402

#: A file of the user's, put into the output folder before the run: it must survive the run.
USER_FILE = ".user-notes.tmp"


@pytest.fixture(scope="session")
def regenerated(tmp_path_factory):
    """``run_all`` into a fresh folder holding one user file: (folder, AllSummary). Run once."""
    from analysis.report import run_all

    # A folder of its own, so that anything a run leaves beside it (a staging folder) shows.
    out = tmp_path_factory.mktemp("regenerated") / "figures"
    out.mkdir()
    (out / USER_FILE).write_text("mine")
    summary = run_all(out, progress=False)
    return out, summary


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the group marks
def pytest_collection_modifyitems(config, items):
    """Every test that needs the full regeneration is slow, wherever it is defined; under
    pytest-xdist (``make test``) they share one worker, so the regeneration runs once."""
    for item in items:
        if "regenerated" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group("regenerated"))
