"""The atlas without a cluster: grid, cache, gradient-descent shares, checks, outputs, CLI errors.

Cells are computed in-process with the real certify on the seed's one-input problems; an atlas
whose every cell is cached starts no cluster, which is how the outputs are tested here.
"""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from analysis.atlas import CellSettings, atlas, build_grid
from analysis.atlas.cache import CellCache, cell_key, cell_seed
from analysis.atlas.cell import compute_cell, descend, gd_shares, start_points
from analysis.atlas.grid import parse_arch
from analysis.atlas.run import consistency_checks
from analysis.cli import main
from analysis.datasets import TWO_INPUT_NAMES
from analysis.errors import InputError
from analysis.network import PRESET_NAMES, preset
from analysis.training import train

# Small enough for a fast test, large enough that every seed preset closes.
FAST = CellSettings(max_boxes=20000, time_limit=60.0, uniform_starts=6, normal_starts=6, iterations=300)


def test_default_grid_is_sixteen_functions_by_six_networks_plus_the_seed_block():
    grid = build_grid()
    two = [c for c in grid if c.n_inputs == 2]
    one = [c for c in grid if c.n_inputs == 1]
    assert {c.row for c in two} == set(TWO_INPUT_NAMES)
    assert len({c.column for c in two}) == 6 and len(two) == 16 * 6
    assert {c.row for c in one} == {"identity", "not"}
    assert {c.column for c in one} == set(PRESET_NAMES) and len(one) == 2 * 4
    # The identity row's problems are exactly the seed's presets (up to their names).
    for c in one:
        if c.row == "identity":
            p = preset(c.column)
            assert (c.problem.network, c.problem.data) == (p.network, p.data)
    # Rows carry the truth tables their names promise: xor is 0 1 1 0 in counting order.
    xor = next(c for c in two if c.row == "xor")
    assert [t[0] for t in xor.problem.data.targets] == [0.0, 1.0, 1.0, 0.0]


def test_other_grids():
    grid = build_grid(("xor", "and"), ("2-2-1:all", "2-1"))
    assert [(c.row, c.column) for c in grid] == [
        ("xor", "2-2-1 b"),
        ("xor", "2-1"),
        ("and", "2-2-1 b"),
        ("and", "2-1"),
    ]
    three = build_grid(inputs=3)
    assert len({c.row for c in three}) == 256 and len(three) == 256 * 6
    assert all(c.problem.network.n_inputs == 3 for c in three)
    assert parse_arch("2-2-1:output").network.layers[-1].bias is True
    for bad in (("2-2-1:some",), ("2-x-1",), ("9-9-9-9",)):
        with pytest.raises(InputError):
            build_grid(("xor",), bad)
    with pytest.raises(InputError, match="unknown function"):
        build_grid(("xr",), None)
    with pytest.raises(InputError, match="empty"):
        build_grid(("xor",), ("none",))  # a two-input function meets no one-input network


def test_spec_dir_gives_one_cell_per_spec(tmp_path):
    (tmp_path / "a.toml").write_text('[network]\nsizes = [2, 1]\nbias = "all"\n[data]\nname = "and"\n')
    (tmp_path / "b.toml").write_text('name = "mine"\n[network]\nsizes = [1, 1, 1]\n[data]\nname = "not"\n')
    grid = build_grid(spec_dir=tmp_path)
    assert [(c.row, c.column) for c in grid] == [("and", "2-1 b"), ("mine", "none")]
    with pytest.raises(InputError):
        build_grid(spec_dir=tmp_path / "missing")


def test_cache_key_is_content_settings_and_version():
    p = preset("none")
    renamed = dataclasses.replace(p, name="other name")
    key = cell_key(p, FAST)
    assert cell_key(renamed, FAST) == key  # a name is not content
    assert cell_key(preset("hidden"), FAST) != key
    assert cell_key(p, dataclasses.replace(FAST, iterations=301)) != key
    assert len(key) == 64
    seed = cell_seed(p, FAST)
    assert cell_seed(renamed, FAST) == seed and cell_seed(preset("hidden"), FAST) != seed
    import analysis.atlas.cache as cache_module

    with pytest.MonkeyPatch.context() as mp:  # edited code: a new key, the same random starts
        mp.setattr(cache_module, "code_fingerprint", lambda: "edited")
        assert cell_key(p, FAST) != key and cell_seed(p, FAST) == seed
    with pytest.raises(InputError):
        CellSettings(uniform_starts=-1)
    with pytest.raises(InputError):
        CellSettings(time_limit=math.nan)


def test_descend_matches_the_single_start_trainer():
    p = preset("both")
    starts = start_points(p, FAST, seed=7)
    w0 = starts["normal(0,1)"][:3]
    batch = descend(p, w0, rate=5.0, iterations=200)
    for k in range(3):
        one = train(p, w0[k], rate=5.0, iterations=200, tol=1e-300)  # never stops early
        assert one.iterations == 200
        assert math.isclose(batch[k], one.loss, rel_tol=1e-9, abs_tol=1e-15)


def test_gd_shares_count_against_the_bracket():
    p = preset("output")
    shares, best = gd_shares(p, FAST, seed=3, lower=0.0, upper=0.0)
    finals = np.concatenate(
        [descend(p, w, rate=FAST.rate, iterations=FAST.iterations) for w in start_points(p, FAST, 3).values()]
    )
    assert sum(s.hits for s in shares) == int(np.sum(finals <= FAST.success_gap))
    assert all(s.undecided == 0 and 0.0 <= s.low <= s.share <= s.high <= 1.0 for s in shares)
    assert best == pytest.approx(finals.min(), abs=0)
    # A wide bracket cannot decide: starts between lower + gap and upper + gap are undecided, not hits.
    wide, _ = gd_shares(p, FAST, seed=3, lower=0.0, upper=1.0)
    assert sum(s.hits for s in wide) == sum(s.hits for s in shares)
    assert sum(s.hits + s.undecided for s in wide) == FAST.uniform_starts + FAST.normal_starts


@pytest.fixture(scope="module")
def seed_cells():
    """The identity row against the seed's four presets, certified in-process."""
    grid = build_grid(("identity",), PRESET_NAMES)
    out = {}
    for c in grid:
        key = cell_key(c.problem, FAST)
        out[c.column] = (c, compute_cell(c.problem, FAST, key, cell_seed(c.problem, FAST)))
    return out


def test_seed_presets_agree_with_the_seed_report(seed_cells):
    """The committed seed report (figures/results.json, the hand-written proofs) against certify."""
    report = json.loads((Path(__file__).parent.parent / "figures" / "results.json").read_text())["presets"]
    for name, (_, r) in seed_cells.items():
        proved = report[name]["proofs"]["infimum"]
        assert Fraction(r.lower) <= Fraction(proved["value"]) <= Fraction(r.upper), (name, r.lower, r.upper)
        assert r.status == "closed"
        assert r.separable is (Fraction(proved["value"]) == 0)
        assert r.attained in (proved["attained"], "unknown")
        assert r.gd_best_loss >= r.lower_value - 1e-12


def test_consistency_checks_catch_false_results(seed_cells):
    from analysis.atlas.run import AtlasCell

    def shown(r):
        return AtlasCell("identity", "x", 1, "", r.key, r)

    good = tuple(shown(r) for _, r in seed_cells.values())
    assert all(ch.passed for ch in consistency_checks(good))
    r = seed_cells["output"][1]  # separable, inf L = 0
    lifted = dataclasses.replace(r, lower_value=0.01, lower="0.01")  # a false lower bound above GD's loss
    failed = {ch.name for ch in consistency_checks((shown(lifted),)) if not ch.passed}
    assert failed == {"separable-zero", "gd-above-lower", "bracket-ordered"}
    n = seed_cells["none"][1]  # inf L = 1/8, not separable: an upper bound of 0 contradicts that
    failed = {
        ch.name
        for ch in consistency_checks((shown(dataclasses.replace(n, upper_value=0.0)),))
        if not ch.passed
    }
    assert failed == {"inseparable-positive", "bracket-ordered"}


def test_cache_rejects_tampered_and_truncated_entries(tmp_path, seed_cells):
    cache = CellCache(tmp_path)
    r = seed_cells["none"][1]
    cache.put(r)
    assert cache.get(r.key) == r
    path = cache.path(r.key)
    entry = json.loads(path.read_text())
    entry["result"]["lower"] = "1/4"  # a raised lower bound
    path.write_text(json.dumps(entry))
    assert cache.get(r.key) is None and cache.rejected == [r.key]
    cache.put(r)
    path.write_text(path.read_text()[:100])
    assert cache.get(r.key) is None
    assert not list(tmp_path.rglob("*.tmp"))


def _cached_seed_atlas(tmp_path, seed_cells, out=None):
    cache = CellCache(tmp_path / "cache")
    for _, r in seed_cells.values():
        cache.put(r)
    return atlas(("identity",), PRESET_NAMES, settings=FAST, out=out, cache=tmp_path / "cache")


def test_cached_atlas_starts_no_cluster(tmp_path, seed_cells):
    from analysis.atlas.render import atlas_json, markdown

    res = _cached_seed_atlas(tmp_path, seed_cells)
    assert res.computed == () and len(res.cached) == 4 and res.workers == 0  # nothing recomputed
    assert res.ok and res.count("closed") == 4
    data = atlas_json(res)
    assert "seconds" not in json.dumps(data)  # machine speed stays in timings.json
    cells = {c["column"]: c["result"] for c in data["cells"]}
    assert cells["none"]["lower"] == seed_cells["none"][1].lower
    md = markdown(res)
    assert "| identity |" in md and seed_cells["none"][1].lower in md
    tables = [b.splitlines() for b in md.split("\n\n") if b.startswith("|")]
    assert len(tables) == 2
    for rows in tables:  # every row of a table has as many columns as its header
        assert len({r.count("|") for r in rows}) == 1, rows


@pytest.mark.slow
def test_outputs_are_byte_identical_across_runs_and_doors(tmp_path, seed_cells, capsys):
    """The API and the command line, both from the cache, write the same bytes."""
    _cached_seed_atlas(tmp_path, seed_cells, out=tmp_path / "out0")
    argv = [
        "atlas",
        "--functions",
        "identity",
        "--archs",
        ",".join(PRESET_NAMES),
        "--out",
        str(tmp_path / "out1"),
    ]
    argv += [
        "--cache",
        str(tmp_path / "cache"),
        "--max-boxes",
        str(FAST.max_boxes),
        "--no-progress",
        "--json",
    ]
    argv += ["--time-limit", str(FAST.time_limit), "--uniform-starts", str(FAST.uniform_starts)]
    argv += ["--normal-starts", str(FAST.normal_starts), "--iterations", str(FAST.iterations)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["computed"] == [] and len(printed["cached"]) == 4
    names = [
        "atlas.json",
        "atlas.md",
        "atlas_infimum.png",
        "atlas_infimum.svg",
        "atlas_gd.png",
        "atlas_gd.svg",
    ]
    for name in names:
        assert (tmp_path / "out0" / name).read_bytes() == (tmp_path / "out1" / name).read_bytes(), name
    timings = json.loads((tmp_path / "out1" / "timings.json").read_text())
    assert timings["cached"] == 4 and timings["computed"] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["atlas", "--functions", "xr"],
        ["atlas", "--archs", "2-2-1:sometimes"],
        ["atlas", "--inputs", "4"],
        ["atlas", "--spec-dir", "/nonexistent/folder"],
        ["atlas", "--workers", "0"],
        ["atlas", "--time-limit", "-1"],
        ["atlas", "--functions", "xor", "--archs", "none"],
        ["atlas", "--functions", "xor", "--scheduler", "tcp://localhost:port"],
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(argv, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("canlearn: error:")
    assert not (tmp_path / "o").exists()
