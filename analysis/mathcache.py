"""One mathtext parse per formula per process, shared by every matplotlib renderer.

matplotlib caches parses per parser object, and each renderer (each PDF page, each figure's draw)
makes its own parser, in a cache of 50 entries: the report's pages parsed each formula once in the
layout and again on every page, and the figures again on each draw. A parse is a pure function of
the formula, the font, the resolution, the ``mathtext.*`` and ``font.*`` settings and the fonts
matplotlib knows, so one cache keyed by all of them returns what a fresh parse returns
(tests/test_mathcache.py; the artifact tests compare bytes). The key holds the thread too: a parse
holds font objects, which matplotlib keeps per thread; and a forked process starts with none.
"""

from __future__ import annotations

import functools
import os
import threading

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.mathtext import MathTextParser

#: Distinct formulas kept (the report and its figures use a few hundred).
CACHE_SIZE = 4096

#: matplotlib's own parse, uncached: ``unshared_parse(parser, s, dpi, prop, antialiased, flags)``;
#: None where its parser has no cached method to wrap (then nothing is shared).
unshared_parse = getattr(MathTextParser.__dict__.get("_parse_cached"), "__wrapped__", None)


@functools.cache
def _setting_names() -> tuple[str, ...]:
    return tuple(sorted(k for k in mpl.rcParams if k.startswith(("mathtext.", "font."))))


def _settings() -> tuple:
    """Everything besides the call's own arguments that a parse reads."""
    rc = mpl.rcParams
    fonts = font_manager.fontManager
    return (
        *(str(rc[k]) for k in _setting_names()),
        id(fonts),
        len(fonts.ttflist),  # fonts added at run time (addfont)
        threading.get_ident(),
    )


@functools.lru_cache(CACHE_SIZE)
def _shared(kind, settings, s, dpi, prop, antialiased, load_glyph_flags):
    # The parser object only contributes its output kind ("path" or "agg").
    parser = MathTextParser({"vector": "path", "raster": "agg"}[kind])
    return unshared_parse(parser, s, dpi, prop, antialiased, load_glyph_flags)


def _parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
    return _shared(self._output_type, _settings(), s, dpi, prop, antialiased, load_glyph_flags)


_parse_cached.cache_info = _shared.cache_info

# A parse holds font objects, whose file position a forked process would share with this one
# (matplotlib empties its own font cache at a fork for that reason): a child parses anew.
os.register_at_fork(after_in_child=_shared.cache_clear)


def share_parses() -> bool:
    """Route every parser's parses through one cache; idempotent. False (and nothing done) where
    matplotlib's parser has no cached method to wrap: then each renderer parses on its own."""
    if unshared_parse is None:
        return False
    MathTextParser._parse_cached = _parse_cached
    return True
