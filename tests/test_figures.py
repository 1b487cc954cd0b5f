"""Figures and the PDF report: each builds from real data, passes its checks, and saves reproducibly."""

import io
import os
import pickle
import subprocess
import sys
import textwrap

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.image import imread
from PIL import Image as PILImage

from analysis import backprop, compiled, preset, seed_loop, train
from analysis import figures as fg
from analysis import pdfreport as pr
from analysis.network import PRESET_NAMES
from analysis.tolerances import FD_ATOL, GRAD_ATOL

NONE = preset("none")


@pytest.fixture(scope="module")
def landscape_data():
    """The saddle from the Hessian at the origin, the seed's trajectory, and two valleys, all computed."""
    comp = compiled(NONE)
    origin = np.zeros(2)
    eig = np.linalg.eigvalsh(comp.hessian(origin))
    crit = [
        {
            "weights": [0.0, 0.0],
            "loss": float(comp.loss(origin)),
            "eigenvalues": eig.tolist(),
            "kind": "saddle",
        }
    ]
    run = seed_loop(0, iterations=100)
    far = np.array([-40.0, -40.0])
    valleys = [
        {"limit": "W1->+inf", "weights": list(run.weights), "loss": run.loss},
        {"limit": "W1,W2->-inf", "weights": far.tolist(), "loss": float(comp.loss(far))},
    ]
    return crit, run.trajectory, valleys


@pytest.fixture(scope="module")
def runs():
    start = seed_loop(0, iterations=1).init
    out = {}
    for name in PRESET_NAMES:
        p = preset(name)
        out[name] = train(p, init=np.r_[start, np.zeros(p.n_params - 2)], iterations=60)
    return out


def _texts(fig):
    return [t.get_text() for t in fig.findobj(mpl.text.Text)]


def _legend_texts(fig):
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for lg in legends for t in lg.get_texts()]


def _main_axes(fig):
    return [ax for ax in fig.axes if not hasattr(ax, "_colorbar")]


def _basics(fig):
    """Title, both axis labels and a legend on the one main axes; then the full check."""
    (ax,) = _main_axes(fig)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert _legend_texts(fig)
    assert fg.check_figure(fig) is fig
    return ax


# --- each figure from real data ------------------------------------------------------------------


def test_loss_landscape(landscape_data):
    crit, traj, valleys = landscape_data
    fig = fg.loss_landscape(NONE, crit, traj, valleys, resolution=41)
    ax = _basics(fig)
    assert (ax.get_xlabel(), ax.get_ylabel()) == NONE.param_names
    assert any(isinstance(c.norm, LogNorm) for c in ax.collections)  # log colour scale
    cbar = [a for a in fig.axes if hasattr(a, "_colorbar")]
    assert len(cbar) == 1 and cbar[0].get_ylabel()
    # The trajectory is drawn as given, and lies inside the automatic frame.
    line = next(ln for ln in ax.lines if len(ln.get_xdata()) == len(traj))
    np.testing.assert_array_equal(line.get_xydata(), traj)
    x0, x1 = ax.get_xlim()
    assert x0 < traj[:, 0].min() and traj[:, 0].max() < x1
    # One arrow per valley, pointing the named way; labels carry limit and loss.
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == len(valleys)
    dx = [a.xy[0] - a.xyann[0] for a in arrows]
    assert dx[0] > 0 and dx[1] < 0
    labels = " ".join(_texts(fig))
    assert "W1 → +∞" in labels and "W1, W2 → −∞" in labels
    assert f"{valleys[0]['loss']:.4g}" in labels and "saddle" in " ".join(_legend_texts(fig))


def test_loss_landscape_counts_the_run_and_its_continuation_apart(landscape_data):
    crit, traj, valleys = landscape_data
    fig = fg.loss_landscape(NONE, crit, traj, valleys, resolution=31, run_steps=40)
    (ax,) = _main_axes(fig)
    legend = _legend_texts(fig)
    assert any("(40 steps)" in t for t in legend)
    assert any(f"continued to {len(traj) - 1:,} steps" in t for t in legend)
    run = next(ln for ln in ax.lines if "(40 steps)" in ln.get_label())
    np.testing.assert_array_equal(run.get_xydata(), traj[:41])


def test_loss_slice_over_two_parameters_of_a_bigger_problem():
    from analysis.spec import problem_from_flags

    xor = problem_from_flags("2-2-1", "all", "xor")
    run = train(xor, seed=0, iterations=50)
    fig = fg.loss_slice(xor, run.weights, (0, 4), trajectory=run.trajectory, resolution=31)
    ax = _basics(fig)
    assert (ax.get_xlabel(), ax.get_ylabel()) == (xor.param_names[0], xor.param_names[4])
    # The marked centre's loss is the loss at the trained weights, from the compiled model.
    centre = next(ln for ln in ax.lines if "centre" in ln.get_label())
    assert f"{float(compiled(xor).loss(np.asarray(run.weights))):.4g}" in centre.get_label()
    np.testing.assert_array_equal(centre.get_xydata()[0], np.asarray(run.weights)[[0, 4]])
    with pytest.raises(ValueError, match="two different"):
        fg.loss_slice(xor, run.weights, (1, 1))
    with pytest.raises(ValueError, match="centre"):
        fg.loss_slice(xor, run.weights[:3], (0, 1))


def test_limit_direction_parses_the_valley_notations():
    names = ("W1", "W2")
    np.testing.assert_allclose(fg.limit_direction("W1->+inf", names), [1, 0])
    np.testing.assert_allclose(fg.limit_direction("W1,W2->-inf", names), [-(0.5**0.5)] * 2)
    np.testing.assert_allclose(fg.limit_direction("(W1, W2) -> (-inf, 0.73)", names), [-1, 0])
    np.testing.assert_allclose(fg.limit_direction("W1 → ∞, W2 → -oo", names), np.array([1, -1]) / 2**0.5)
    with pytest.raises(ValueError, match="no parameter tends"):
        fg.limit_direction("W1->0.5", names)


def test_output_map_marks_the_bound():
    fig = fg.output_map(NONE, resolution=40)
    ax = _basics(fig)
    assert any(np.allclose(getattr(c, "levels", []), [0.5]) for c in ax.collections)
    assert any(p.get_hatch() for p in ax.patches)  # the W2 < 0 half-plane
    note = next(t.get_text() for t in ax.texts if "Rightarrow" in t.get_text())
    largest = float(note.rsplit(":", 1)[1].strip(" )"))
    assert largest < 0.5
    with pytest.raises(ValueError, match="2-parameter"):
        fg.output_map(preset("both"))


def test_basin_figure():
    axis = np.linspace(-4, 4, 9)
    W1, W2 = np.meshgrid(axis, axis)
    w = np.stack([W1, W2], -1)
    for _ in range(100):
        w = w - 5.0 * backprop.gradient(NONE, w)
    labels = (w[..., 0] < 0).astype(int)
    vals, vecs = np.linalg.eigh(compiled(NONE).hessian(np.zeros(2)))
    names = ["W1 → +∞ valley", "W1 → −∞ valley"]
    fig = fg.basin_figure(axis, axis, labels, names, saddle=(0.0, 0.0), direction=vecs[:, np.argmax(vals)])
    ax = _basics(fig)
    legend = " ".join(_legend_texts(fig))
    assert all(n in legend for n in names) and "separatrix" in legend and "% of starts" in legend
    assert any(ln.get_linestyle() == "--" for ln in ax.lines)
    # With each valley's floor, the legend names the lowest one, in the figures' one arrow notation.
    floors = [float(compiled(NONE).loss(w[0, -1])), float(compiled(NONE).loss(w[0, 0]))]
    ascii_names = ["W1->+inf", "W1->-inf"]
    fig = fg.basin_figure(axis, axis, labels, ascii_names, label_losses=floors, title="Basins of 'none'")
    legend = _legend_texts(fig)
    lowest = int(np.argmin(floors))
    assert "lowest valley" in legend[lowest] and "lowest" not in legend[1 - lowest]
    assert legend[0].startswith("W1 → +∞") and legend[1].startswith("W1 → −∞")
    assert not any("->" in t for t in _texts(fig))
    with pytest.raises(ValueError, match="one loss per label"):
        fg.basin_figure(axis, axis, labels, ascii_names, label_losses=floors[:1])
    with pytest.raises(ValueError, match="shape"):
        fg.basin_figure(axis, axis[:-1], labels, names)
    with pytest.raises(ValueError, match="labels must lie"):
        fg.basin_figure(axis, axis, labels + 1, names)


def test_training_curves(runs):
    infima = {"none": 0.125, "hidden": 0.125, "output": 0.0, "both": 0.0}
    fig = fg.training_curves(runs, infima)
    fg.check_figure(fig)
    ax, gx = _main_axes(fig)
    assert ax.get_yscale() == "log" and gx.get_yscale() == "log"
    curves = {ln.get_label().split(":")[0]: ln for ln in ax.lines if "final" in ln.get_label()}
    np.testing.assert_array_equal(curves["none"].get_ydata(), -runs["none"].errors)
    # Equal infima share one line, drawn under the curves, naming every run it belongs to: it
    # cannot hide the hidden preset's curve running along it.
    (line,) = [ln for ln in ax.lines if "proved infimum" in ln.get_label()]
    assert line.get_ydata()[0] == 0.125 and "(none, hidden)" in line.get_label()
    assert all(line.get_zorder() < c.get_zorder() for c in curves.values())
    assert sum("(infimum 0" in t for t in _legend_texts(fig)) == 2
    # The gap panel: L - infimum for every run, so approaching 1/8 and stalling above it differ.
    gaps = {ln.get_label().split(":")[0]: ln for ln in gx.lines}
    assert set(gaps) == set(PRESET_NAMES)
    np.testing.assert_allclose(gaps["hidden"].get_ydata(), -runs["hidden"].errors - 0.125)
    assert gaps["hidden"].get_ydata()[-1] < gaps["none"].get_ydata()[-1]
    # Unknown infima: no line and no gap panel.
    single = fg.training_curves({"none": runs["none"]}, {"none": None}, title="one run")
    assert len(_main_axes(single)) == 1 and fg.check_figure(single) is single


def test_box_trend():
    rows, infima = {}, {"none": 0.125, "hidden": 0.125, "output": 0.0}
    for name in infima:
        p = preset(name)
        rows[name] = []
        for B in (1.0, 2.0, 4.0):
            grid = np.stack(np.meshgrid(*[np.linspace(-B, B, 9)] * p.n_params), -1).reshape(-1, p.n_params)
            rows[name].append((B, float(compiled(p).loss(grid).min())))
    # A high-precision string keeps a gap that float subtraction would round to 0.
    rows["hidden"][-1] = (4.0, "0.125" + "0" * 30 + "7")
    fig = fg.box_trend(rows, infima)
    fg.check_figure(fig)
    ax, gx = _main_axes(fig)
    assert ax.get_title() and gx.get_title() and _legend_texts(fig)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and gx.get_yscale() == "log"
    assert any("output" in t and "infimum 0" in t for t in _legend_texts(fig))
    (inf_line,) = [ln for ln in ax.lines if "proved infimum" in ln.get_label()]
    assert inf_line.get_ydata()[0] == 0.125 and "(none, hidden)" in inf_line.get_label()
    # Headroom: the highest series and infimum line stay clear of the top frame.
    top = max(max(ln.get_ydata()) for ln in ax.lines)
    lo, hi = ax.get_ylim()
    assert np.log(hi / top) > 0.05 * np.log(hi / lo)
    # Equal series are told apart by their markers; the gap panel holds the infimum > 0 presets.
    series = {ln.get_label().split(":")[0]: ln for ln in ax.lines if "best loss" in ln.get_label()}
    assert series["none"].get_marker() != series["hidden"].get_marker()
    assert series["hidden"].get_markerfacecolor() == "none"
    # ... and offset sideways, as the axis label says, so none and hidden do not sit on each other.
    x_none, x_hidden = series["none"].get_xdata(), series["hidden"].get_xdata()
    assert np.all(x_none < x_hidden) and np.allclose(x_hidden / x_none, x_hidden[0] / x_none[0])
    assert "offset sideways" in ax.get_xlabel()
    gaps = {ln.get_label().split(":")[0]: ln for ln in gx.lines}
    assert set(gaps) == {"none", "hidden"}
    assert gaps["hidden"].get_ydata()[-1] == pytest.approx(7e-32)
    np.testing.assert_allclose(gaps["none"].get_ydata(), [b - 0.125 for _, b in rows["none"]])
    # Without a positive infimum there is no gap panel.
    single = fg.box_trend({"output": rows["output"]}, {"output": 0.0})
    assert len(_main_axes(single)) == 1 and fg.check_figure(single) is single


def test_gradcheck_errors():
    fig = fg.gradcheck_errors([preset(n) for n in PRESET_NAMES], n_points=12)
    ax = _basics(fig)
    assert ax.get_yscale() == "log"
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "exact 0" in ticks
    # Errors are drawn as a share of what each check allows: one limit line, at 1, for both.
    (limit,) = [ln for ln in ax.lines if "limit" in ln.get_label()]
    assert limit.get_ydata()[0] == 1.0
    legend = " ".join(_legend_texts(fig))
    assert "GRAD_ATOL" not in legend and "FD_ATOL" not in legend
    assert f"{GRAD_ATOL:g}" in legend and f"{FD_ATOL:g}" in legend
    shares = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    assert shares.size and np.all(shares <= 1.0), "a passing gradient has every point under the limit"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(PRESET_NAMES)


def test_gradcheck_errors_shows_a_wrong_gradient_above_the_limit(monkeypatch):
    """Negative control: a backprop gradient 1% off puts points above the limit line."""
    true_gradient = backprop.gradient
    monkeypatch.setattr(fg.backprop, "gradient", lambda p, w: true_gradient(p, w) * 1.01)
    fig = fg.gradcheck_errors([NONE], n_points=12)
    (ax,) = _main_axes(fig)
    shares = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    assert np.any(shares > 1.0)


# --- check_figure and its negative controls ------------------------------------------------------


def _good_figure():
    fig = Figure(layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([1, 2], [3, 4], label="data")
    ax.set_title("title")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    return fig, ax


def _no_title(fig, ax):
    ax.set_title("")


def _no_xlabel(fig, ax):
    ax.set_xlabel("")


def _no_ylabel(fig, ax):
    ax.set_ylabel("")


def _no_legend(fig, ax):
    ax.get_legend().remove()


def _tiny_font(fig, ax):
    ax.set_xlabel("x", fontsize=4)


def _off_figure(fig, ax):
    fig.text(0.98, 0.5, "a long note that runs off the right edge")


def _spills_axes(fig, ax):
    ax.text(2.0, 3.5, "an annotation running past the axes")


def _no_layout(fig, ax):
    fig.set_layout_engine("none")


def _unlabelled_colorbar(fig, ax):
    im = ax.imshow([[0, 1], [1, 0]])
    fig.colorbar(im, ax=ax)


@pytest.mark.parametrize(
    "spoil, message",
    [
        (_no_title, "no title"),
        (_no_xlabel, "no x-axis label"),
        (_no_ylabel, "no y-axis label"),
        (_no_legend, "no legend"),
        (_tiny_font, "pt"),
        (_off_figure, "cut off"),
        (_spills_axes, "spills out"),
        (_no_layout, "layout engine"),
        (_unlabelled_colorbar, "colour bar"),
    ],
)
def test_check_figure_negative_controls(spoil, message):
    fig, ax = _good_figure()
    assert fg.figure_problems(fig) == []
    spoil(fig, ax)
    with pytest.raises(ValueError, match=message):
        fg.check_figure(fig)


# --- saving ---------------------------------------------------------------------------------------


def test_save_figure_is_byte_identical_and_leaves_no_temp_files(tmp_path, runs):
    fig = fg.training_curves(runs, {"none": 0.125, "hidden": 0.125, "output": 0.0, "both": 0.0})
    first = {p.name: p.read_bytes() for p in fg.save_figure(fig, tmp_path / "a", "curves")}
    second = {p.name: p.read_bytes() for p in fg.save_figure(fig, tmp_path / "a", "curves")}
    assert sorted(first) == ["curves.png", "curves.svg"]
    assert first == second
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["curves.png", "curves.svg"]
    assert first["curves.png"][:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in first["curves.png"]
    assert b"<dc:date>" not in first["curves.svg"]


def test_save_figure_negative_control_default_svg_differs():
    """Without the fixed salt and Date the SVG changes run to run: the byte comparison can fail."""
    fig, _ = _good_figure()

    def render():
        buf = io.BytesIO()
        with mpl.rc_context({"svg.hashsalt": None}):
            fig.savefig(buf, format="svg")
        return buf.getvalue()

    assert render() != render()


@pytest.mark.parametrize(
    "spoil, message",
    [
        (_no_title, "no title"),
        (_tiny_font, "pt"),
        (_off_figure, "cut off"),
        (_spills_axes, "spills out"),
    ],
)
def test_save_figure_refuses_a_failing_figure(tmp_path, spoil, message):
    """The texts are checked on the PNG's own draw: a failure there still writes no file."""
    fig, ax = _good_figure()
    spoil(fig, ax)
    with pytest.raises(ValueError, match=message):
        fg.save_figure(fig, tmp_path, "bad")
    assert list(tmp_path.iterdir()) == []


def test_save_figure_leaves_the_figure_as_it_was(tmp_path):
    fig, ax = _good_figure()
    engine, canvas = fig.get_layout_engine(), fig.canvas
    fg.save_figure(fig, tmp_path, "good")
    assert (fig.get_layout_engine(), fig.canvas, fig.dpi) == (engine, canvas, 100)
    assert fg.figure_problems(fig) == []
    ax.set_title("")
    with pytest.raises(ValueError, match="no title"):
        fg.save_figure(fig, tmp_path, "bad")
    assert (fig.get_layout_engine(), fig.canvas, fig.dpi) == (engine, canvas, 100)


def test_save_figure_png_is_the_one_savefig_makes_after_check_figure(tmp_path):
    """Layout passes instead of whole draws: the PNG is byte for byte the one ``check_figure``
    followed by ``savefig`` makes (the output map's colour bar needs both passes to match)."""
    png = fg.save_figure(fg.output_map(NONE, resolution=30), tmp_path, "map")[0].read_bytes()
    fig = fg.check_figure(fg.output_map(NONE, resolution=30))
    buf = io.BytesIO()
    with mpl.rc_context(fg.STYLE):
        fig.savefig(buf, format="png", dpi=fg.PNG_DPI, metadata={"Software": None})
    assert png == buf.getvalue()


def test_save_figure_each_format_alone_is_the_file_written_with_the_other(tmp_path):
    """``canlearn all`` draws a figure's PNG and SVG in separate tasks: the files must not change."""

    def fig():
        return fg.output_map(NONE, resolution=30)

    both = {p.suffix: p.read_bytes() for p in fg.save_figure(fig(), tmp_path, "m")}
    (png,) = fg.save_figure(fig(), tmp_path / "p", "m", formats=("png",))
    (svg,) = fg.save_figure(fig(), tmp_path / "s", "m", formats=("svg",), check=False)
    assert (png.read_bytes(), svg.read_bytes()) == (both[".png"], both[".svg"])
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["m.svg"]


def test_svg_from_the_kept_layout_is_the_svg_save_figure_writes(tmp_path):
    """``canlearn all`` draws each SVG from its PNG's layout, in another process: a pickled
    LaidOut draws the very files save_figure writes, and the PNG is the checked one."""

    def fig():
        return fg.output_map(NONE, resolution=30)

    both = {p.suffix: p.read_bytes() for p in fg.save_figure(fig(), tmp_path, "m")}
    (png,), laid = fg.save_and_keep(fig(), tmp_path / "k", "m")
    laid = pickle.loads(pickle.dumps(laid))
    (svg,) = laid.save(tmp_path / "l")
    assert (png.read_bytes(), svg.read_bytes()) == (both[".png"], both[".svg"])
    assert sorted(p.name for p in (tmp_path / "l").iterdir()) == ["m.svg"]
    # Negative control: another figure's layout draws another file.
    (_,), other = fg.save_and_keep(fg.output_map(NONE, resolution=31), tmp_path / "o", "m")
    assert other.save(tmp_path / "o2")[0].read_bytes() != both[".svg"]
    # The check runs as in save_figure: a failing figure is refused, and nothing is written.
    bad = fig()
    bad.axes[0].set_title("")
    with pytest.raises(ValueError, match="no title"):
        fg.save_and_keep(bad, tmp_path / "bad", "m")
    assert not (tmp_path / "bad").exists() or list((tmp_path / "bad").iterdir()) == []


@pytest.mark.parametrize("formats", [(), ("pdf",), ("png", "png")])
def test_save_figure_refuses_unknown_formats(tmp_path, formats):
    fig, _ = _good_figure()
    with pytest.raises(ValueError, match="formats"):
        fg.save_figure(fig, tmp_path, "f", formats=formats)
    assert list(tmp_path.iterdir()) == []


def test_save_figure_check_needs_the_png(tmp_path):
    """The text check measures the PNG's draw: an SVG alone cannot be checked, and says so."""
    fig, _ = _good_figure()
    with pytest.raises(ValueError, match="needs 'png'"):
        fg.save_figure(fig, tmp_path, "f", formats=("svg",))
    assert list(tmp_path.iterdir()) == []


_CROSS_PROCESS = textwrap.dedent(
    """
    import hashlib, sys
    from pathlib import Path
    from analysis import figures as fg, pdfreport as pr, preset
    out = Path(sys.argv[1])
    fig = fg.output_map(preset("none"), resolution=30)
    png, svg = fg.save_figure(fig, out, "map")
    pr.render_pdf([pr.Heading("T", 1), pr.Paragraph("$x^2$ and text"), pr.Image(png, "c")], out / "r.pdf")
    print(*(hashlib.sha256(p.read_bytes()).hexdigest() for p in (png, svg, out / "r.pdf")))
    """
)


@pytest.mark.slow
def test_outputs_identical_across_processes_and_hash_seeds(tmp_path):
    # Two interpreters with different hash seeds, run side by side to keep the test quick.
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CROSS_PROCESS, str(tmp_path / seed)],
            env=dict(os.environ, PYTHONHASHSEED=seed),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    digests = [out.split() for out, _ in outputs]
    assert len(digests[0]) == 3 and digests[0] == digests[1]


# --- the PDF report -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def png(tmp_path_factory, landscape_data):
    crit, traj, valleys = landscape_data
    fig = fg.loss_landscape(NONE, crit, traj, valleys, resolution=31)
    return fg.save_figure(fig, tmp_path_factory.mktemp("figs"), "landscape")[0]


def _document(png):
    return [
        pr.Heading("Can this network learn this data?", 1),
        pr.Paragraph("The seed is $z = \\sigma(W_2 \\sigma(W_1 x))$ and a price of $5 stays text. " * 12),
        pr.Heading("A table", 2),
        pr.Table(["preset", "note"], [[n, "word " * 30] for n in PRESET_NAMES * 6]),
        pr.Image(png, "The landscape."),
        pr.Code("def f(x):\n    return x  # " + "long comment " * 20 + "\n" * 3),
        pr.Paragraph("Closing words. " * 300),
    ]


@pytest.mark.slow
def test_render_pdf_is_byte_identical_and_atomic(tmp_path, png):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    pages = pr.render_pdf(_document(png), a)
    assert pr.render_pdf(_document(png), b) == pages
    data = a.read_bytes()
    assert data == b.read_bytes() and data.startswith(b"%PDF")
    assert pr.page_count(data) == pages >= 3
    assert b"CreationDate" not in data and b"ModDate" not in data and b"(canlearn)" in data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "b.pdf"]


def test_render_pdf_embeds_the_same_image_from_uint8_pixels(tmp_path, png, monkeypatch):
    """The PNG is read as uint8 (faster to draw); the PDF is byte for byte the one from imread's floats."""
    assert pr._read_image(png).dtype == np.uint8
    doc = [pr.Paragraph("x"), pr.Image(png, "c")]
    pr.render_pdf(doc, tmp_path / "uint8.pdf")
    monkeypatch.setattr(pr, "_read_image", imread)
    pr.render_pdf(doc, tmp_path / "float.pdf")
    assert (tmp_path / "uint8.pdf").read_bytes() == (tmp_path / "float.pdf").read_bytes()


def test_render_pdf_page_count(tmp_path):
    per_page = pr.lines_per_page()
    one = pr.render_pdf([pr.Heading("Short", 1), pr.Paragraph("one line")], tmp_path / "one.pdf")
    three = pr.render_pdf([pr.Paragraph("\n".join(["line"] * (2 * per_page + 1)))], tmp_path / "three.pdf")
    assert (one, three) == (1, 3)
    assert pr.page_count((tmp_path / "three.pdf").read_bytes()) == 3
    # Negative control: the counter does not count the page tree itself.
    assert pr.page_count(b"<< /Type /Pages /Count 2 >>") == 0


def test_pdf_draws_its_pages_while_a_picture_is_still_drawing(tmp_path, png):
    """A picture given its size is read only when its page is drawn (await_image first): the
    layout and the pages before it never touch the file. The PDF is the one made with the file
    there all along; a wrong size costs a second layout, never a different PDF."""
    import shutil

    document = [pr.Heading("Pictures", 1), pr.Paragraph("Before it. " * 40), pr.Image(png, "It.")]
    document += [pr.Paragraph("After it.")]
    done = pr.render_pdf(document, tmp_path / "ref.pdf")
    ref = (tmp_path / "ref.pdf").read_bytes()
    later = tmp_path / "later.png"  # written only when the PDF asks for it
    calls = []

    def await_image(path):
        calls.append(path)
        if not later.exists():
            shutil.copy(png, later)

    with PILImage.open(png) as im:
        size = im.size
    doc = [pr.Image(later, b.caption, size) if isinstance(b, pr.Image) else b for b in document]
    assert pr.render_pdf(doc, tmp_path / "a.pdf", await_image=await_image) == done
    assert (tmp_path / "a.pdf").read_bytes() == ref and calls == [later]
    # Negative control: a size other than the file's is caught, and the PDF laid out again.
    later.unlink()
    calls.clear()
    wrong = [
        pr.Image(later, b.caption, (size[0], size[1] + 40)) if isinstance(b, pr.Image) else b for b in doc
    ]
    assert pr.render_pdf(wrong, tmp_path / "b.pdf", await_image=await_image) == done
    assert (tmp_path / "b.pdf").read_bytes() == ref and calls == [later, later]
    with pytest.raises(ValueError, match="pixels"):
        pr.Image(later, "", (0, 3))


def test_png_size_is_the_size_save_figure_writes(tmp_path):
    for fig in (_good_figure()[0], fg.output_map(NONE, resolution=20)):
        fig.set_size_inches(7.1, 5.02)  # 5.02 * 150 is 752.9999999999999 in Python: Agg makes 753
        size = fg.png_size(fig)
        (path,) = fg.save_figure(fig, tmp_path, "f", formats=("png",))
        with PILImage.open(path) as im:
            assert im.size == size


def test_layout_keeps_everything_on_the_page(png):
    pages = pr.layout(_document(png))
    for ops in pages:
        for op in ops:
            if op[0] == "text":
                _, x, y, s, prop, ha, *_ = op
                left = x - (pr._width(s, prop) / 2 if ha == "center" else 0)
                assert pr.BOTTOM - 1e-6 <= y <= pr.TOP + 1e-6
                assert left >= pr.MARGIN - 1e-6 and left + pr._width(s, prop) <= pr.PAGE_W - pr.MARGIN + 1e-6
            else:
                x, y, w, h = op[1:5]
                assert x >= pr.MARGIN - 1e-6 and x + w <= pr.PAGE_W - pr.MARGIN + 1e-6
                assert y >= pr.BOTTOM - 1e-6 and y + h <= pr.TOP + 1e-6
    # The table's header is repeated on every page the table reaches.
    header_pages = [
        k for k, ops in enumerate(pages) if any(op[0] == "text" and op[3] == "preset" for op in ops)
    ]
    assert len(header_pages) >= 2


def test_wrap_keeps_math_whole_and_within_width():
    prop = pr._font(pr.BODY_SIZE)
    text = "words $\\frac{a}{b} + c$ and more words " * 20 + "x" * 200
    lines = pr.wrap(text, prop, pr.TEXT_W)
    assert all(pr._width(s, prop) <= pr.TEXT_W for s in lines)
    assert all((s.count("$") - s.count("\\$")) % 2 == 0 for s in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_tall_image_is_scaled_to_fit_one_page(tmp_path):
    fig = Figure(figsize=(2, 12), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="l")
    ax.set(title="tall", xlabel="x", ylabel="y")
    ax.legend()
    tall = fg.save_figure(fig, tmp_path, "tall")[0]
    pages = pr.layout([pr.Paragraph("before"), pr.Image(tall, "caption")])
    (image,) = [op for ops in pages for op in ops if op[0] == "image"]
    assert image[4] <= pr.TOP - pr.BOTTOM and image[3] < pr.TEXT_W


def test_blocks_are_validated(tmp_path):
    with pytest.raises(ValueError, match="every row"):
        pr.Table(["a", "b"], [["1"]])
    with pytest.raises(ValueError, match="level"):
        pr.Heading("x", 7)
    with pytest.raises(ValueError, match="at least one block"):
        pr.render_pdf([], tmp_path / "x.pdf")
    with pytest.raises(TypeError, match="unknown block"):
        pr.render_pdf(["just a string"], tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
    assert pr.Table(["a"], [["1"]]) == pr.Table(("a",), (("1",),))  # lists become tuples: frozen, hashable
    assert hash(pr.Code("x")) == hash(pr.Code("x"))


def _table_words(pages, table_words):
    """Every text fragment drawn on the pages that is part of one of ``table_words``."""
    return [op[3] for ops in pages for op in ops if op[0] == "text" and op[3] in table_words]


def test_table_columns_keep_whole_words():
    # Wide cells squeeze the other columns; a header word ("status", "saddle") must not break.
    header = ["preset", "status", "saddle", "eigenvalues", "valley", "attained", "separable", "note", "more"]
    rows = [
        ["none " * 9, "ok " * 9, "yes " * 9, "-0.0193 " * 5, "W1->-inf " * 3, "no " * 9, "a b " * 9]
        + ["a long note " * 25, "z " * 40],
        [
            "hidden",
            "approached",
            "degenerate",
            "x " * 20,
            "y " * 20,
            "n " * 9,
            "y " * 9,
            "x " * 80,
            "w " * 40,
        ],
    ]
    body, bold = pr._font(pr.TABLE_SIZE), pr._font(pr.TABLE_SIZE, weight="bold")
    widths = pr._column_widths([header, *rows], [bold] + [body] * len(rows))
    assert sum(widths) <= pr.TEXT_W + 1e-6
    for j, word in enumerate(header):
        longest = max([pr._width(word, bold)] + [pr._width(w, body) for r in rows for w in r[j].split()])
        assert widths[j] >= longest + 2 * pr.CELL_PAD
    pages = pr.layout([pr.Table(header, rows)])
    drawn = [op[3] for ops in pages for op in ops if op[0] == "text"]
    for word in ("status", "saddle", "eigenvalues", "approached", "degenerate"):
        assert word in drawn
    # A narrow table at its natural widths: each column exactly as wide as its widest word.
    narrow = pr.Table(
        ["critical point", "L", "Hessian eigenvalues", "kind"],
        [["W1 = 0, W2 = 0", "0.25", "-0.0193136, 0.0505636", "saddle"], ["x", "1", "2", "status"]],
    )
    drawn = [op[3] for ops in pr.layout([narrow]) for op in ops if op[0] == "text"]
    assert {"saddle", "status", "Hessian eigenvalues", "critical point"} <= set(drawn)
    # Negative control: a single word wider than the page still breaks (and stays on the page).
    huge = "x" * 400
    pages = pr.layout([pr.Table(["a", "b"], [[huge, "y"]])])
    pieces = [op[3] for ops in pages for op in ops if op[0] == "text" and set(op[3]) == {"x"}]
    assert len(pieces) > 1 and "".join(pieces) == huge


def test_landscape_labels_apart_and_trajectory_on_top():
    # Valleys whose labels start out on top of each other (W1 -> -inf and W2 -> -inf side by side).
    crit = [{"weights": [0.0, 0.0], "loss": 0.25, "eigenvalues": [-0.02, 0.05], "kind": "saddle"}]
    traj = np.array([[0.6, 0.7], [3.0, 0.72], [7.8, 0.73]])
    valleys = [
        {"limit": "W1->-inf", "weights": [-float("inf"), -4.5], "loss": 0.125},
        {"limit": "W1->+inf", "weights": [float("inf"), 0.73], "loss": 0.227},
        {"limit": "W2->-inf", "weights": [0.0, -float("inf")], "loss": 0.5},
        {"limit": "W2->+inf", "weights": [0.0, float("inf")], "loss": 0.5},
    ]
    fig = fg.loss_landscape(NONE, crit, traj, valleys, extent=(-9, 9, -9, 9), resolution=41)
    fg.check_figure(fig)
    (ax,) = _main_axes(fig)
    labels = [t for t in ax.texts if t.get_text().strip()]
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(labels) == 4 and fg.labels_overlap(fig, labels) == []
    # The trajectory's end marker is drawn above every arrow (and the line above the arrows too).
    end = next(ln for ln in ax.lines if ln.get_label().startswith("after "))
    line = next(ln for ln in ax.lines if len(ln.get_xdata()) == len(traj))
    assert end.get_zorder() > max(a.get_zorder() for a in arrows + labels)
    assert line.get_zorder() > max(a.get_zorder() for a in arrows)
    # Negative control: put two labels back on top of each other and the check sees it.
    labels[1].xyann, labels[1].xy = labels[0].xyann, labels[0].xy
    assert fg.labels_overlap(fig, labels) != []
