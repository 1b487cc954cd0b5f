"""certify: preset verdicts, certificates and their negative controls, limits, the lemma, the CLI."""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from analysis.certify import CertifyResult, certify, check_certificate
from analysis.certify.certificate import CertificateError
from analysis.certify.witness import arb_loss, local_minimise, output_layer_indices, separates, starts
from analysis.cli import main
from analysis.exact import compiled
from analysis.network import Dataset, Layer, Network, Problem, preset
from analysis.spec import problem_from_flags

EIGHTH = Fraction(1, 8)


@pytest.fixture(scope="module")
def certified(tmp_path_factory):
    """Each preset certified once, with its certificate file."""
    out = {}
    folder = tmp_path_factory.mktemp("certs")
    for name in ("none", "hidden", "output", "both"):
        path = folder / f"{name}.json"
        out[name] = (certify(name, certificate=path), path)
    return out


def _q(text: str) -> Fraction:
    return Fraction(text)


@pytest.mark.parametrize("name", ["none", "hidden"])
def test_no_output_bias_presets_close_at_one_eighth(certified, name):
    r, _ = certified[name]
    assert isinstance(r, CertifyResult)
    assert r.status == "closed"
    assert _q(r.lower) <= EIGHTH <= _q(r.upper)
    assert _q(r.upper) - _q(r.lower) <= Fraction(r.tol)
    assert r.lower_value <= 0.125 <= r.upper_value
    assert r.separable is False  # lower > 0 proves it
    assert r.attained in (False, "unknown")


@pytest.mark.parametrize("name", ["output", "both"])
def test_output_bias_presets_close_at_zero(certified, name):
    r, _ = certified[name]
    assert (r.status, r.lower, r.upper) == ("closed", "0", "0")
    assert r.separable is True
    assert r.attained is False
    assert r.witness["kind"] == "lemma"
    assert separates(preset(name), r.witness["point"])


@pytest.fixture(scope="module")
def exact_none(tmp_path_factory):
    path = tmp_path_factory.mktemp("exact") / "none.json"
    return certify("none", exact=True, certificate=path), path


def test_exact_none_is_one_eighth_not_attained(exact_none):
    """The seed's answer, decided by the branch and bound and a witness ray (no hand-written theorem)."""
    r, path = exact_none
    assert (r.lower, r.upper, r.status) == ("1/8", "1/8", "closed")
    assert r.attained is False and r.separable is False
    assert r.witness["kind"] == "family" and r.witness["family"]["limit"] == "1/8"
    assert check_certificate(path).ok


def test_family_witness_tampered_is_refused(exact_none, tmp_path):
    doc = _load(exact_none[1])
    doc["upper"]["family"]["base"] = ["-1", "1"]  # W2 -> +oo: L -> 1/2 + 1/8, not 1/8
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "limit" in c.message


def test_top_level_certify_is_callable_whatever_the_import_order():
    import analysis
    import analysis.certify as package
    from analysis import certify as top

    assert callable(package) and callable(top) and callable(analysis.certify)
    for f in (package, top, analysis.certify):
        with pytest.raises(ValueError, match="tol"):
            f("none", tol=0)  # reaches the function's own argument check


def test_result_fields_for_callers(certified):
    r, _ = certified["none"]
    js = r.to_json()
    for key in ("lower", "upper", "lower_value", "upper_value", "status", "attained", "separable", "boxes"):
        assert key in js
    assert isinstance(r.lower, str) and isinstance(r.upper, str)
    assert isinstance(r.lower_value, float) and r.seconds >= 0
    json.dumps(js, allow_nan=False)
    assert "closed" in r.summary()


@pytest.mark.parametrize("name", ["none", "hidden", "output", "both"])
def test_certificates_recheck(certified, name):
    r, path = certified[name]
    c = check_certificate(path)
    assert c.ok, c.message
    assert c.lower == r.lower_value


def _load(path):
    return json.loads(path.read_text())


def _save(doc, path):
    path.write_text(json.dumps(doc))
    return path


def _leaf_ids(doc):
    return [n["id"] for n in doc["nodes"] if n["kind"] == "leaf"]


def test_box_removed_is_refused(certified, tmp_path):
    doc = _load(certified["none"][1])
    victim = _leaf_ids(doc)[0]
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] != victim]
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "missing" in c.message


def test_bound_lowered_is_refused(certified, tmp_path):
    doc = _load(certified["none"][1])
    leaf = next(n for n in doc["nodes"] if n["kind"] == "leaf")
    leaf["bound"] = (float.fromhex(doc["lower"]) - 0.01).hex()
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "below the claimed lower" in c.message


def test_lower_bound_above_the_truth_is_refused(certified, tmp_path):
    """Claim inf L >= 1/8 + 1e-6 (false: the witness gets within 1e-14 of 1/8) consistently."""
    doc = _load(certified["none"][1])
    false_lower = 0.125 + 1e-6
    doc["lower"] = false_lower.hex()
    doc["upper"]["value"] = str(Fraction(1, 4))
    for n in doc["nodes"]:
        if n["kind"] == "leaf":
            n["bound"] = false_lower.hex()
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "not >=" in c.message


def test_box_changed_is_refused(certified, tmp_path):
    doc = _load(certified["hidden"][1])
    leaf = next(n for n in doc["nodes"] if n["kind"] == "leaf")
    leaf["box"][0][0] = (1.5).hex()
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "box" in c.message


@pytest.mark.parametrize("name", ["none", "output"])
def test_witness_moved_is_refused(certified, tmp_path, name):
    doc = _load(certified[name][1])
    w = [float.fromhex(v) for v in doc["upper"]["point"]]
    # none: a point witness moved uphill; output: a separating witness moved to the origin.
    moved = [v + 1.0 for v in w] if name == "none" else [0.0] * len(w)
    doc["upper"]["point"] = [v.hex() for v in moved]
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "witness" in c.message.lower()


def test_perturbed_witness_exceeds_the_claimed_upper(certified):
    r, _ = certified["none"]
    w = np.array(r.witness["point"])
    upper = arb(r.upper_value)  # exact: a float, rounded up from the certified upper bound
    assert arb_loss(preset("none"), w).hi <= upper
    worse = arb_loss(preset("none"), w / 4)  # the witness pulled back out of the saturated valley
    assert worse.lo > upper


@pytest.fixture(scope="module")
def mixed_certificate(tmp_path_factory):
    """A stopped run whose tree has splits, monotone reductions, natural and centred leaves."""
    path = tmp_path_factory.mktemp("mixed") / "c.json"
    r = certify(problem_from_flags("2-1", "none", "xor"), max_boxes=400, certificate=path)
    kinds = {n["kind"] for n in _load(path)["nodes"]} | {n.get("form") for n in _load(path)["nodes"]}
    assert {"split", "monotone", "leaf", "centred", "natural"} <= kinds
    return r, path


def test_mixed_certificate_rechecks(mixed_certificate):
    r, path = mixed_certificate
    assert r.status == "open" and 0 < r.lower_value <= r.upper_value
    assert check_certificate(path).ok


def test_monotone_direction_flipped_is_refused(mixed_certificate, tmp_path):
    doc = _load(mixed_certificate[1])
    node = next(n for n in doc["nodes"] if n["kind"] == "monotone")
    node["side"] = "hi" if node["side"] == "lo" else "lo"
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "strict sign" in c.message


def test_centred_bounds_raised_are_refused(mixed_certificate, tmp_path):
    doc = _load(mixed_certificate[1])
    raised = float.fromhex(doc["lower"]) + 1e-3
    doc["lower"] = raised.hex()
    for n in doc["nodes"]:
        if n["kind"] == "leaf":
            n["bound"] = max(float.fromhex(n["bound"]), raised).hex()
    c = check_certificate(_save(doc, tmp_path / "t.json"))
    assert not c.ok and "not >=" in c.message


def test_time_limit_too_short_gives_open_valid_bracket():
    p = problem_from_flags("2-1", "all", "xor")  # not separable: branch and bound cannot close fast
    r = certify(p, time_limit=0.3, progress=False)
    assert r.status == "open"
    assert r.lower_value <= r.upper_value
    pts = np.random.default_rng(1).normal(0, 5, (2000, p.n_params))
    assert r.lower_value <= float(np.min(compiled(p).loss(pts)))
    assert r.upper_value >= float(arb_loss(p, r.witness["point"]).lo.mid())


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar_on_a_terminal_only_when_asked(progress, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    certify(problem_from_flags("2-1", "none", "xor"), max_boxes=600, progress=progress)
    err = capsys.readouterr().err
    assert ("box/s" in err and "lower" in err) == progress


def test_max_boxes_stop_is_open_never_closed(tmp_path):
    r = certify("none", max_boxes=1, certificate=tmp_path / "c.json")
    assert r.status == "open" and r.lower_value <= 0.125 <= r.upper_value
    assert check_certificate(tmp_path / "c.json").ok


def test_same_inputs_same_certificate_bytes(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    certify("none", certificate=a)
    certify("none", certificate=b)
    assert a.read_bytes() == b.read_bytes()


# -- the separability lemma (see analysis/certify/witness.py) ---------------------------------------
OR = Dataset(((0, 0), (0, 1), (1, 0), (1, 1)), ((0,), (1,), (1,), (1,)))
LEMMA_PROBLEMS = (
    Problem("no-output-bias", Network(2, (Layer(2, bias=True), Layer(1, bias=False))), OR),
    Problem(
        "two-hidden", Network(1, (Layer(1), Layer(1, bias=True), Layer(1, bias=True))), preset("none").data
    ),
    preset("output"),
)


@pytest.fixture(scope="module")
def lemma_points():
    """Per problem: points on segments from random starts to a local minimiser (L on both sides
    of 1/8), with the arb enclosure of L at each."""
    out = []
    for p in LEMMA_PROBLEMS:
        best, _ = local_minimise(p, starts(p)[:2])
        for w0 in np.random.default_rng(2).normal(0, 2, (3, p.n_params)):
            for s in np.linspace(0, 1, 12):
                w = (1 - s) * w0 + s * best
                out.append((p, w, arb_loss(p, w)))
    return out


def _scaled(w, t, idx):
    v = np.array(w, dtype=float)
    v[idx] *= t
    return v


def test_lemma_loss_below_one_eighth_separates(lemma_points):
    """L(w) < 1/8 => every output strictly on its target's side of 1/2."""
    below = [(p, w) for p, w, L in lemma_points if L.hi < arb(1) / 8]
    assert len(below) >= 6 and len({p.name for p, _ in below}) == len(LEMMA_PROBLEMS)
    for p, w in below:
        assert separates(p, w)


def test_lemma_scaling_the_output_layer_drives_loss_to_zero(lemma_points):
    """At a separating w, the output layer scaled by t: L decreases towards 0 (any depth, any bias)."""
    for prob in LEMMA_PROBLEMS:
        idx = output_layer_indices(prob)
        sep = [w for p, w, _ in lemma_points if p is prob and separates(p, w)][:2]
        assert sep, prob.name
        for w in sep:
            losses = [arb_loss(prob, _scaled(w, 2.0**k, idx)).hi for k in (0, 4, 8)]
            assert losses[1] < losses[0] and losses[2] < losses[1]
            assert losses[2] < arb(1) / 8


def test_lemma_variant_scaling_a_hidden_layer_is_refuted(lemma_points):
    """Scaling the first (hidden) layer instead does not keep the data separated: a counterexample."""
    found = 0
    for prob in LEMMA_PROBLEMS[:2]:
        W, b = prob.network.unpack(np.arange(prob.n_params))[0]
        hidden = np.array(sorted(int(i) for i in [*np.ravel(W), *([] if b is None else np.ravel(b))]))
        for p, w, _ in lemma_points:
            if p is prob and separates(p, w) and not separates(p, _scaled(w, -(2.0**8), hidden)):
                found += 1
                break
    assert found >= 1


def test_non_binary_targets_have_no_separability_verdict():
    p = Problem("soft", preset("none").network, Dataset(((0,), (1,)), ((0.25,), (0.75,))))
    r = certify(p, time_limit=5)
    assert r.separable is None
    assert r.lower_value <= r.upper_value


# -- bad input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"tol": 0},
        {"tol": -1e-9},
        {"tol": math.nan},
        {"max_boxes": 0},
        {"time_limit": -1.0},
        {"time_limit": 0},
    ],
)
def test_api_bad_input(kwargs):
    with pytest.raises(ValueError):
        certify("none", **kwargs)


@pytest.mark.parametrize(
    "argv",
    [
        ["certify", "--tol", "0"],
        ["certify", "--tol", "nan"],
        ["certify", "--tol", "-1"],
        ["certify", "--time-limit", "-1"],
        ["certify", "--max-boxes", "-5"],
        ["certify", "--arch", "nope"],
    ],
)
def test_cli_bad_flags_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err


def test_cli_unknown_spec_field_exit_2(tmp_path, capsys):
    spec = tmp_path / "p.toml"
    spec.write_text(
        '[network]\nsizes = [1, 1, 1]\nbias = "none"\ncolour = "red"\n[data]\nname = "identity"\n'
    )
    assert main(["certify", "--spec", str(spec)]) == 2
    assert "colour" in capsys.readouterr().err


def test_cli_bad_certificate_files_exit_2(certified, tmp_path, capsys):
    good = certified["none"][1].read_text()
    cases = {
        "not_json.json": "this is not json",
        "truncated.json": good[: len(good) // 2],
        "wrong.json": json.dumps({"format": "canlearn-certificate", "version": 1}),
        "other.json": json.dumps([1, 2, 3]),
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        assert main(["check-certificate", str(path)]) == 2, name
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "Traceback" not in err
    assert main(["check-certificate", str(tmp_path / "absent.json")]) == 2
    with pytest.raises(CertificateError):
        check_certificate(tmp_path / "truncated.json")


def test_cli_certify_and_check(tmp_path, capsys):
    cert = tmp_path / "c.json"
    assert main(["certify", "--arch", "both", "--json", "--no-progress", "--certificate", str(cert)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "closed" and out["upper"] == "0"
    assert main(["check-certificate", str(cert)]) == 0
    doc = json.loads(cert.read_text())
    doc["upper"]["point"] = [(0.0).hex()] * len(doc["upper"]["point"])
    cert.write_text(json.dumps(doc))
    assert main(["check-certificate", str(cert)]) == 1
