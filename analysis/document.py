"""A report as data: a list of blocks, rendered as Markdown (:func:`analysis.report.to_markdown`)
and as PDF (:func:`analysis.pdfreport.render_pdf`), so the two cannot drift apart.

Plain dataclasses, free of matplotlib: a report's content is built before anything is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["HEADING_LEVELS", "Code", "Heading", "Image", "Paragraph", "Table"]

#: Heading levels, 1 the largest.
HEADING_LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1 is the largest."""

    text: str
    level: int = 1

    def __post_init__(self):
        if self.level not in HEADING_LEVELS:
            raise ValueError(f"heading level must be one of {list(HEADING_LEVELS)}, got {self.level!r}")


@dataclass(frozen=True)
class Paragraph:
    """Word-wrapped body text; ``$...$`` spans are mathtext (an odd number of ``$`` means plain text)."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table with a bold header row; cells wrap within their column and rows flow across pages."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self):
        header = tuple(str(h) for h in self.header)
        rows = tuple(tuple(str(c) for c in row) for row in self.rows)
        if not header or any(len(r) != len(header) for r in rows):
            raise ValueError("a table needs a header, and every row as many cells as the header")
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class Image:
    """A PNG scaled to the text width (or down to fit a page), with a caption below.

    ``size``, (width, height) in pixels, is for a PNG still being drawn when the PDF starts: the
    layout takes it on trust, and the page showing the picture waits for the file (see
    :func:`analysis.pdfreport.render_pdf`, which checks the size against the file's).
    """

    path: Path
    caption: str = ""
    size: tuple[int, int] | None = None

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))
        if self.size is not None:
            size = tuple(self.size)
            if len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size):
                raise ValueError(f"an image's size is (width, height) in pixels, got {self.size!r}")
            object.__setattr__(self, "size", size)


@dataclass(frozen=True)
class Code:
    """Monospace text, kept line by line; over-long lines are wrapped with a continuation mark."""

    text: str
