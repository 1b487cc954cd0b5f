"""One mathtext parse per formula per process: what the shared cache returns is a fresh parse."""

import matplotlib as mpl
from matplotlib.backends.backend_agg import get_hinting_flag
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import LoadFlags
from matplotlib.mathtext import MathTextParser

from analysis import mathcache, pdfreport
from analysis.document import Paragraph


def _fresh(kind, s, size, fontset="dejavusans"):
    """A parse by matplotlib's own code, bypassing every cache."""
    with mpl.rc_context({"mathtext.fontset": fontset}):
        prop = FontProperties(family="DejaVu Sans", size=size)
        flags = LoadFlags.NO_HINTING if kind == "path" else get_hinting_flag()
        return mathcache.unshared_parse(MathTextParser(kind), s, 72, prop.copy(), True, flags)


def _cached(kind, s, size, fontset="dejavusans"):
    with mpl.rc_context({"mathtext.fontset": fontset}):
        prop = FontProperties(family="DejaVu Sans", size=size)
        return MathTextParser(kind).parse(s, 72, prop, antialiased=True)


def test_every_parser_shares_one_cache_and_gets_fresh_parses():
    assert mathcache.share_parses() and mathcache.share_parses()  # idempotent
    for kind in ("path", "agg"):
        for s, size in ((r"$W_{1}^{2} \to \infty$", 10.5), (r"$\sigma(x) < 1/2$", 9.0)):
            first = _cached(kind, s, size)
            assert _cached(kind, s, size) is first  # another parser object: the same parse
            fresh = _fresh(kind, s, size)
            if kind == "path":
                assert first == fresh
            else:  # a raster parse holds an image
                assert first.image.tobytes() == fresh.image.tobytes() and first[:3] == fresh[:3]


def test_settings_and_sizes_are_part_of_the_key():
    """Negative control: a parse under other mathtext settings (or another size) is not reused."""
    s = r"$\int_0^1 z\,dx$"
    a = _cached("path", s, 10.0, fontset="dejavusans")
    b = _cached("path", s, 10.0, fontset="cm")
    assert a is not b and a.glyphs != b.glyphs and b == _fresh("path", s, 10.0, fontset="cm")
    assert _cached("path", s, 12.0) is not a and _cached("path", s, 12.0).width > a.width


def test_font_settings_and_threads_are_part_of_the_key():
    """Negative control: the default font comes from the font.* settings, and a parse holds font
    objects that matplotlib keeps per thread; neither may be served from another's parse."""
    import threading

    s = r"$\mathdefault{10^{3}}\ \mathregular{abc}$"
    with mpl.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        sans = MathTextParser("path").parse(s, 72, FontProperties())
    with mpl.rc_context({"font.sans-serif": ["DejaVu Serif"], "font.family": "sans-serif"}):
        serif = MathTextParser("path").parse(s, 72, FontProperties())
    names = {g[0].fname.rsplit("/", 1)[-1] for g in serif.glyphs}
    assert serif is not sans and any("Serif" in n for n in names), names
    here = _cached("path", r"$x_{thread}$", 10.0)
    there = []
    t = threading.Thread(target=lambda: there.append(_cached("path", r"$x_{thread}$", 10.0)))
    t.start()
    t.join()
    assert there[0] is not here and there[0][:3] == here[:3]  # width, height, depth


def test_measure_parses_what_the_pdf_will_draw(tmp_path):
    """After measure, drawing the PDF parses no formula of its text anew; without it, it must."""
    info = MathTextParser._parse_cached.cache_info
    measured = [Paragraph(r"Measured first: $q_{8101} + r_{8101}$ and $\alpha_{8101}$.")]
    pdfreport.measure(measured)
    before = info().misses
    pdfreport.render_pdf(measured, tmp_path / "a.pdf")
    # The page footer's number is plain text: every miss would be one of the paragraph's formulas.
    assert info().misses == before
    unmeasured = [Paragraph(r"Not measured: $q_{8102} + r_{8102}$ and $\alpha_{8102}$.")]
    before = info().misses
    pdfreport.render_pdf(unmeasured, tmp_path / "b.pdf")
    assert info().misses > before


def test_typesetting_a_formula_parses_it_as_the_layout_will():
    """typeset checks that mathtext sets a formula by parsing it as the body's layout measures it:
    measuring that paragraph then parses the formula only at the size the PDF draws it, and a
    formula mathtext cannot set stays text."""
    from analysis.notation import typeset

    info = MathTextParser._parse_cached.cache_info
    text = typeset("where w_8103 ** 2 >= 0 holds")
    assert "$" in text, text
    before = info().misses
    pdfreport.measure([Paragraph(text)])
    assert info().misses == before + 1
    # Negative controls: a formula not typeset first is parsed twice; one mathtext refuses is not
    # set as math.
    before = info().misses
    pdfreport.measure([Paragraph(r"and $w_{8104}^2$ too")])
    assert info().misses == before + 2
    assert pdfreport.sets_formula(r"$w^{8105}$") and not pdfreport.sets_formula(r"$\frac{1}{$")


_FORKED_CHILD = """
from analysis import mathcache
from analysis.parallel import TaskPool
from matplotlib.mathtext import MathTextParser

def cached():
    return mathcache._shared.cache_info().currsize

mathcache.share_parses()
MathTextParser("path").parse(r"$x_{fork}^2$", dpi=72)
with TaskPool(workers=2) as pool:
    print(pool.submit(cached).get() if cached() else "nothing cached here", pool.start_method)
"""


def test_a_forked_worker_parses_anew():
    """A parse holds font objects whose file position a forked process would share: a worker forked
    from a process with cached parses starts with none (negative control: the parent has one)."""
    import os
    import subprocess
    import sys

    from analysis.parallel import THREAD_ENV

    env = {**os.environ, **dict.fromkeys(THREAD_ENV, "1")}
    done = subprocess.run([sys.executable, "-c", _FORKED_CHILD], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "fork"]
