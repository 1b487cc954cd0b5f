"""Typeset a report as a multi-page A4 PDF with matplotlib's PDF backend, byte-identical on every run.

The content is a list of blocks (:class:`Heading`, :class:`Paragraph`, :class:`Table`,
:class:`Image`, :class:`Code`). Layout runs first (word wrapping measured with the same font
metrics the PDF uses, tables and code split across pages, images scaled to fit), then each page
is drawn on an A4 figure. The file is rendered in memory and written atomically.

Formulas (``$...$``, see :mod:`analysis.notation`) are set by matplotlib's own mathtext, never by
an installed LaTeX (``text.usetex``): the committed report must come out byte-identical on every
machine, with or without a TeX installation, and mathtext needs nothing outside the pinned wheels.
"""

from __future__ import annotations

import functools
import io
import math
import re
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import imread
from matplotlib.mathtext import MathTextParser
from matplotlib.patches import Rectangle
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Affine2D
from PIL import Image as PILImage

from .document import HEADING_LEVELS, Code, Heading, Image, Paragraph, Table
from .io import atomic_write_bytes
from .mathcache import share_parses

# One parse per formula and size for every page, the PDF's as the layout's (analysis.mathcache).
_SHARED_PARSES = share_parses()

__all__ = ["Code", "Heading", "Image", "Paragraph", "Table", "measure", "render_pdf"]


# Geometry in points (1/72 in). A4 is 210 x 297 mm.
PAGE_W, PAGE_H = 595.28, 841.89
MARGIN = 56.7
TEXT_W = PAGE_W - 2 * MARGIN
TOP, BOTTOM = PAGE_H - MARGIN, MARGIN
FOOTER_Y = MARGIN / 2
BODY_SIZE = 10.5
LEADING = 1.38
HEADING_SIZES = dict(zip(HEADING_LEVELS, (17.0, 14.0, 12.0), strict=True))
TABLE_SIZE = 9.0
CODE_SIZE = 8.5
CAPTION_SIZE = 9.0
CELL_PAD = 4.0
# Points of slack when fitting text into a column measured from that same text.
FIT_SLACK = 1e-6
CODE_PAD = 5.0
BLOCK_GAP = 7.0
CONTINUATION = "↪ "
# Lines holding formulas are measured word by word; this fraction of their width is kept spare for
# the spacing mathtext adds around operators at the joins.
MATH_WIDTH_SLACK = 0.03

STYLE = {
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    # TrueType embedding keeps the PDF's text selectable and searchable.
    "pdf.fonttype": 42,
    "pdf.compression": 6,
}
METADATA = {
    "Creator": "canlearn",
    "Producer": "canlearn pdfreport (matplotlib)",
    "CreationDate": None,
    "ModDate": None,
}


def _font(size: float, *, weight: str = "normal", style: str = "normal", mono: bool = False):
    family = "DejaVu Sans Mono" if mono else "DejaVu Sans"
    return FontProperties(family=family, size=size, weight=weight, style=style)


def _is_math(s: str) -> bool:
    n = s.count("$") - s.count(r"\$")
    return n > 0 and n % 2 == 0


@functools.cache
def _metrics(s: str, prop: FontProperties, ismath: bool) -> tuple[float, float, float]:
    """(width, height, descent) in points; cached, since parsing mathtext is the layout's main cost."""
    return tuple(text_to_path.get_text_width_height_descent(s, prop, ismath))


def _measure(s: str, prop: FontProperties, ismath: bool) -> float:
    return _metrics(s, prop, ismath)[0]


def sets_formula(s: str) -> bool:
    """Whether mathtext can set ``s`` (``$...$``). Measured as the layout measures a formula in
    body text: most formulas in the report then find that parse done (:mod:`analysis.mathcache`)."""
    try:
        with mpl.rc_context(STYLE):
            _metrics(s, _font(BODY_SIZE), True)
    except ValueError:
        return False
    return True


def _width(s: str, prop: FontProperties, math_ok: bool = True) -> float:
    """Width in points, from the font's own (unhinted) metrics, as the PDF lays the text out."""
    return _measure(s, prop, math_ok and _is_math(s)) if s else 0.0


def _height(s: str, prop: FontProperties) -> float:
    """Height of a rendered line: mathtext (fractions, exponents) may be taller than the leading.

    Taken from the line's math words, each measured (and cached) on its own: parsing a whole line
    as mathtext costs far more than parsing its formulas.
    """
    if not _is_math(s):
        return prop.get_size_in_points() * LEADING
    h = max((_metrics(w, prop, True)[1] for w in _WORD.findall(s) if _is_math(w)), default=0.0)
    return max(prop.get_size_in_points() * LEADING, h + 0.35 * prop.get_size_in_points())


_WORD = re.compile(r"(?:\\\$|\$[^$]*\$|[^\s$])+")


def _gap(prop: FontProperties) -> float:
    """The width of a space between two words, in points."""
    return _width("x x", prop) - 2 * _width("x", prop)


def _line_width(words: list[str], prop: FontProperties, gap: float) -> float:
    """Width of words joined by spaces: plain text measured whole (kerning); a line with formulas
    from its cached word widths, with MATH_WIDTH_SLACK to spare."""
    line = " ".join(words)
    if not _is_math(line):
        return _width(line, prop)
    return (sum(_width(w, prop) for w in words) + gap * (len(words) - 1)) * (1 + MATH_WIDTH_SLACK)


def _plain(text: str) -> str:
    """Text with an odd number of ``$`` is plain: escape every ``$`` so no line turns into math."""
    return text if _is_math(text) or "$" not in text else re.sub(r"(?<!\\)\$", r"\\$", text)


def _break_word(word: str, prop: FontProperties, width: float) -> list[str]:
    """Split a word wider than ``width`` by characters (math spans are kept whole)."""
    if _is_math(word) or _width(word, prop) <= width:
        return [word]
    pieces, cur = [], ""
    for ch in word:
        if cur and _width(cur + ch, prop) > width:
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    return pieces + [cur]


def wrap(text: str, prop: FontProperties, width: float) -> list[str]:
    """Greedy word wrap to ``width`` points.

    Lines are filled using cached word widths plus the font's word gap, then each line is measured
    (see :func:`_line_width`) and shortened if it is still too wide.
    """
    gap = _gap(prop)
    lines = []
    for para in _plain(text).split("\n"):
        words = [piece for w in _WORD.findall(para) for piece in _break_word(w, prop, width)]
        if not words:
            lines.append("")
        i = 0
        while i < len(words):
            j, est = i + 1, _width(words[i], prop)
            while j < len(words) and est + gap + _width(words[j], prop) <= width:
                est += gap + _width(words[j], prop)
                j += 1
            while j > i + 1 and _line_width(words[i:j], prop, gap) > width:
                j -= 1
            lines.append(" ".join(words[i:j]))
            i = j
    return lines


def _wrap_code(text: str, prop: FontProperties, width: float) -> list[str]:
    per_line = max(8, int(width // _width("M", prop, math_ok=False)))
    lines = []
    for raw in text.expandtabs(4).rstrip("\n").split("\n"):
        lines.append(raw[:per_line])
        rest = raw[per_line:]
        while rest:
            take = per_line - len(CONTINUATION)
            lines.append(CONTINUATION + rest[:take])
            rest = rest[take:]
    return lines


class _Layout:
    """Pages as lists of drawing operations; ``y`` is the top of the free space on the last page."""

    def __init__(self):
        self.pages: list[list[tuple]] = [[]]
        self.y = TOP

    def new_page(self):
        self.pages.append([])
        self.y = TOP

    def room(self) -> float:
        return self.y - BOTTOM

    def ensure(self, height: float):
        # A fresh page is as good as it gets: never leave an empty page behind.
        if height > self.room() and self.y < TOP:
            self.new_page()

    def text(self, x, y, s, prop, *, ha="left", colour="black", math_ok=True):
        self.pages[-1].append(("text", x, y, s, prop, ha, colour, math_ok))

    def rect(self, x, y, w, h, *, fc="none", ec="none", lw=0.0):
        self.pages[-1].append(("rect", x, y, w, h, fc, ec, lw))

    def image(self, x, y, w, h, path, size):
        self.pages[-1].append(("image", x, y, w, h, path, size))

    def gap(self, h: float):
        self.y = max(self.y - h, BOTTOM) if self.y < TOP else self.y


def _lay_lines(lay: _Layout, lines, prop, *, x=MARGIN, ha="left", colour="black"):
    for line in lines:
        h = _height(line, prop)
        lay.ensure(h)
        lay.text(x, lay.y, line, prop, ha=ha, colour=colour)
        lay.y -= h


def _lay_heading(lay: _Layout, b: Heading):
    prop = _font(HEADING_SIZES[b.level], weight="bold")
    lines = wrap(b.text, prop, TEXT_W)
    height = sum(_height(s, prop) for s in lines)
    lay.gap(prop.get_size_in_points() * 0.8)
    # Keep a heading with at least three lines of what follows.
    lay.ensure(height + 3 * BODY_SIZE * LEADING)
    _lay_lines(lay, lines, prop)
    lay.gap(2.0)


def _lay_paragraph(lay: _Layout, b: Paragraph):
    prop = _font(BODY_SIZE)
    _lay_lines(lay, wrap(b.text, prop, TEXT_W), prop)
    lay.gap(BLOCK_GAP)


def _lay_code(lay: _Layout, b: Code):
    prop = _font(CODE_SIZE, mono=True)
    lh = CODE_SIZE * 1.3
    lines = _wrap_code(b.text, prop, TEXT_W - 2 * CODE_PAD)
    i = 0
    while i < len(lines):
        lay.ensure(lh * min(2, len(lines) - i) + 2 * CODE_PAD)
        fit = max(1, int((lay.room() - 2 * CODE_PAD) // lh))
        chunk = lines[i : i + fit]
        h = len(chunk) * lh + 2 * CODE_PAD
        lay.rect(MARGIN, lay.y - h, TEXT_W, h, fc="#f3f3f3", ec="#c8c8c8", lw=0.6)
        for k, line in enumerate(chunk):
            lay.text(MARGIN + CODE_PAD, lay.y - CODE_PAD - k * lh, line, prop, math_ok=False)
        lay.y -= h
        i += len(chunk)
        if i < len(lines):
            lay.new_page()
    lay.gap(BLOCK_GAP)


def _column_widths(cells: list[list[str]], props) -> list[float]:
    """Natural widths if they fit; otherwise share the text width, narrow columns keeping theirs.

    No column is narrower than its longest single word (header and cells) when those minimums fit
    the text width together: words are only broken when they cannot fit side by side at all.
    """
    n = len(cells[0])
    cols = [[row[j] for row in cells] for j in range(n)]
    natural = [
        max(
            max((_line_width(_WORD.findall(s), p, _gap(p)) for s in _plain(cell).split("\n")), default=0.0)
            for cell, p in zip(col, props)
        )
        + 2 * CELL_PAD
        for col in cols
    ]
    if sum(natural) <= TEXT_W:
        return natural
    minimum = [
        min(
            nat,
            max(
                (_width(w, p) for cell, p in zip(col, props) for w in _WORD.findall(_plain(cell))),
                default=0.0,
            )
            + 2 * CELL_PAD,
        )
        for col, nat in zip(cols, natural)
    ]
    if sum(minimum) > TEXT_W:
        minimum = [0.0] * n  # some word must break anyway: share the width as before

    # Each column gets clamp(level, its minimum, its natural width), the level chosen so that the
    # widths fill the text width: narrow columns keep their natural width, long words stay whole.
    def total(level):
        return sum(min(max(level, lo), hi) for lo, hi in zip(minimum, natural))

    lo_level, hi_level = 0.0, TEXT_W
    for _ in range(60):
        mid = (lo_level + hi_level) / 2
        lo_level, hi_level = (mid, hi_level) if total(mid) <= TEXT_W else (lo_level, mid)
    return [min(max(lo_level, lo), hi) for lo, hi in zip(minimum, natural)]


def _lay_table(lay: _Layout, b: Table):
    body, bold = _font(TABLE_SIZE), _font(TABLE_SIZE, weight="bold")
    cells = [list(b.header)] + [list(r) for r in b.rows]
    widths = _column_widths(cells, [bold] + [body] * len(b.rows))
    xs = [MARGIN + sum(widths[:j]) for j in range(len(widths))]
    total_w = sum(widths)

    def prepare(row, prop):
        # The slack absorbs float rounding of (text width + 2 pad) - 2 pad: a column exactly as wide
        # as a word must not break it.
        wrapped = [wrap(c, prop, w - 2 * CELL_PAD + FIT_SLACK) for c, w in zip(row, widths)]
        heights = [sum(_height(s, prop) for s in lines) for lines in wrapped]
        return wrapped, max(heights) + 2 * CELL_PAD

    header = prepare(b.header, bold)

    def draw(row, prop, fc):
        wrapped, h = row
        lay.rect(MARGIN, lay.y - h, total_w, h, fc=fc, ec="#b0b0b0", lw=0.5)
        for x, lines in zip(xs, wrapped):
            y = lay.y - CELL_PAD
            for s in lines:
                lay.text(x + CELL_PAD, y, s, prop)
                y -= _height(s, prop)
        lay.y -= h

    lay.ensure(header[1] + (prepare(b.rows[0], body)[1] if b.rows else 0.0))
    draw(header, bold, "#e4e8ee")
    for k, row in enumerate(b.rows):
        prepared = prepare(row, body)
        if prepared[1] > lay.room():
            lay.new_page()
            draw(header, bold, "#e4e8ee")  # repeat the header on every page the table reaches
        draw(prepared, body, "white" if k % 2 == 0 else "#f7f7f7")
    lay.gap(BLOCK_GAP)


def _read_image(path: Path):
    """The picture's pixels. 8-bit RGB(A) stays uint8: as the floats ``imread`` gives, matplotlib
    would scale it back to the same bytes, slowly, on every draw."""
    with PILImage.open(path) as im:
        if im.mode in ("RGB", "RGBA"):
            return np.asarray(im)
    return imread(path)


def _pixel_size(path: Path) -> tuple[int, int]:
    with PILImage.open(path) as im:  # reads the header only
        return im.size


def _lay_image(lay: _Layout, b: Image):
    w_px, h_px = b.size or _pixel_size(b.path)
    prop = _font(CAPTION_SIZE, style="italic")
    caption = wrap(b.caption, prop, TEXT_W) if b.caption else []
    cap_h = sum(_height(s, prop) for s in caption) + (4.0 if caption else 0.0)
    w = TEXT_W
    h = w * h_px / w_px
    full = TOP - BOTTOM - cap_h
    if h > full:  # taller than a page: shrink to fit, keeping the aspect ratio
        h, w = full, full * w_px / h_px
    lay.ensure(h + cap_h)
    lay.image(MARGIN + (TEXT_W - w) / 2, lay.y - h, w, h, b.path, (w_px, h_px))
    lay.y -= h + (4.0 if caption else 0.0)
    _lay_lines(lay, caption, prop, x=PAGE_W / 2, ha="center", colour="#333333")
    lay.gap(BLOCK_GAP)


_LAYOUT = {
    Heading: _lay_heading,
    Paragraph: _lay_paragraph,
    Code: _lay_code,
    Table: _lay_table,
    Image: _lay_image,
}


def layout(blocks) -> list[list[tuple]]:
    """Place every block; returns one list of drawing operations per page."""
    blocks = list(blocks)
    if not blocks:
        raise ValueError("a report needs at least one block")
    lay = _Layout()
    with mpl.rc_context(STYLE):
        for b in blocks:
            try:
                step = _LAYOUT[type(b)]
            except KeyError:
                raise TypeError(
                    f"unknown block {b!r}; use Heading, Paragraph, Table, Image or Code"
                ) from None
            step(lay, b)
    if not lay.pages[-1]:
        lay.pages.pop()
    return lay.pages


def measure(blocks) -> None:
    """Measure the text of ``blocks`` now (the measures are cached), skipping images (they need not
    exist yet): a later :func:`render_pdf` of the same blocks then spends its time drawing.

    The formulas are parsed too, as the PDF's renderer will parse them: the layout measures them
    at matplotlib's path scale, the renderer at their own size.
    """
    text = [b for b in blocks if not isinstance(b, Image)]
    if not text:
        return
    pages = layout(text)
    if not _SHARED_PARSES:
        return
    parser = MathTextParser("path")
    with mpl.rc_context(STYLE):
        for op in (op for ops in pages for op in ops):
            if op[0] == "text" and op[7] and _is_math(op[3]):
                for piece, _, is_math in _segments(op[3], op[4]):
                    if is_math:
                        parser.parse(piece, 72, op[4])


def _segments(s: str, prop: FontProperties) -> list[tuple[str, float, bool]]:
    """A line as (text, x offset, is math) pieces: runs of plain words, and each word holding a
    formula on its own, placed at the widths the layout measured."""
    gap = _gap(prop)
    pieces, plain, x = [], [], 0.0

    def flush():
        nonlocal x
        if plain:
            text = " ".join(plain).replace("\\$", "$")
            pieces.append((text, x, False))
            x += _width(text, prop, math_ok=False) + gap
            plain.clear()

    for word in _WORD.findall(s):
        if _is_math(word):
            flush()
            pieces.append((word, x, True))
            x += _width(word, prop) + gap
        else:
            plain.append(word)
    flush()
    return pieces


def _draw_math_line(fig, pt, x, y, s, prop, ha, colour):
    """Draw a line with formulas piece by piece, on one baseline: mathtext parses only the formulas
    (parsing whole sentences as mathtext made rendering the report slow)."""
    pieces = _segments(s, prop)
    total = pieces[-1][1] + _width(pieces[-1][0], prop, math_ok=pieces[-1][2])
    x0 = x - total / 2 if ha == "center" else x
    # The top of the line is the top of its tallest piece, as for a line drawn whole with va="top".
    ascent = max(_metrics(t, prop, m)[1] - _metrics(t, prop, m)[2] for t, _, m in pieces)
    for text, dx, is_math in pieces:
        fig.text(
            x0 + dx,
            y - ascent,
            text,
            fontproperties=prop,
            ha="left",
            va="baseline",
            color=colour,
            transform=pt,
            parse_math=is_math,
        )


class _ImageSizeError(Exception):
    """A picture drawn meanwhile came out another size than its Image block said."""


def _draw_page(ops, number: int, total: int, await_image) -> Figure:
    fig = Figure(figsize=(PAGE_W / 72, PAGE_H / 72), dpi=72)
    pt = Affine2D().scale(1 / 72) + fig.dpi_scale_trans  # points from the lower-left corner
    for op in ops:
        kind = op[0]
        if kind == "text":
            _, x, y, s, prop, ha, colour, math_ok = op
            if math_ok and _is_math(s):
                _draw_math_line(fig, pt, x, y, s, prop, ha, colour)
            else:
                fig.text(
                    x,
                    y,
                    s,
                    fontproperties=prop,
                    ha=ha,
                    va="top",
                    color=colour,
                    transform=pt,
                    parse_math=False,
                )
        elif kind == "rect":
            _, x, y, w, h, fc, ec, lw = op
            fig.add_artist(Rectangle((x, y), w, h, transform=pt, facecolor=fc, edgecolor=ec, linewidth=lw))
        else:
            _, x, y, w, h, path, size = op
            await_image(path)
            array = _read_image(path)
            if array.shape[1::-1] != size:
                raise _ImageSizeError(path)
            ax = fig.add_axes((x / PAGE_W, y / PAGE_H, w / PAGE_W, h / PAGE_H))
            # 'none' embeds the PNG's own pixels in the PDF instead of resampling them.
            ax.imshow(array, interpolation="none", aspect="auto")
            ax.set_axis_off()
    fig.text(
        PAGE_W / 2,
        FOOTER_Y,
        f"{number} / {total}",
        fontproperties=_font(8.5),
        ha="center",
        color="#666666",
        transform=pt,
    )
    return fig


def render_pdf(blocks, path, await_image=lambda path: None) -> int:
    """Typeset ``blocks`` as an A4 PDF at ``path``, atomically and byte-identically; return the pages.

    An :class:`Image` given its ``size`` may still be drawing: ``await_image(path)`` is called
    before each page showing a picture, and returns once that file is written. The pages before
    it are drawn meanwhile. Should the file be another size than its block said, the PDF is laid
    out and drawn again with the file's own size, so the size given only ever saves time.
    """
    blocks = list(blocks)
    try:
        return _render_pdf(blocks, path, await_image)
    except _ImageSizeError:
        sized = [Image(b.path, b.caption) if isinstance(b, Image) else b for b in blocks]
        return _render_pdf(sized, path, await_image)


def _render_pdf(blocks, path, await_image) -> int:
    with mpl.rc_context(STYLE):
        pages = layout(blocks)
        buf = io.BytesIO()
        with PdfPages(buf, metadata=METADATA) as pdf:
            for k, ops in enumerate(pages, start=1):
                pdf.savefig(_draw_page(ops, k, len(pages), await_image))
    atomic_write_bytes(path, buf.getvalue())
    return len(pages)


def page_count(pdf_bytes: bytes) -> int:
    """Pages in a PDF written by :func:`render_pdf` (counts its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf_bytes))


def lines_per_page() -> int:
    """How many body lines fit on a page (used by tests to build a paragraph of known length)."""
    return math.floor((TOP - BOTTOM) / (BODY_SIZE * LEADING))
