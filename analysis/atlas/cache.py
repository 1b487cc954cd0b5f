"""A content-addressed cache of finished atlas cells, one JSON file per cell, written atomically.

A cell's key is the SHA-256 of its problem's content (network and data, not its name), the cell
settings, the canlearn version and a fingerprint of canlearn's source (so an edited certifier
never serves results of the old one). The cell's random seed comes from the content and settings
alone, so it does not move when unrelated code does. An entry
also carries a digest of its own result, so a truncated or edited file is rejected and recomputed.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from ..io import atomic_write_text, dumps
from ..network import Problem
from .cell import CellResult, CellSettings

CACHE_FORMAT = 1


def problem_content(problem: Problem) -> dict:
    """What makes a problem the problem it is (its name and description do not count)."""
    net = problem.network
    return {
        "n_inputs": net.n_inputs,
        "layers": [[layer.size, layer.bias, layer.activation] for layer in net.layers],
        "inputs": [list(r) for r in problem.data.inputs],
        "targets": [list(r) for r in problem.data.targets],
    }


def _digest(data) -> str:
    return hashlib.sha256(dumps(data).encode("utf-8")).hexdigest()


@cache
def code_fingerprint() -> str:
    """SHA-256 over canlearn's own Python source files (paths and bytes), read once per process."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def content_digest(problem: Problem, settings: CellSettings) -> str:
    """What the cell computes: the problem's content and the settings (no code, no version)."""
    return _digest({"problem": problem_content(problem), "settings": settings.to_json()})


def cell_key(problem: Problem, settings: CellSettings) -> str:
    """The cache key: what the cell computes, and the code that computes it."""
    from .. import __version__

    return _digest(
        {
            "canlearn": __version__,
            "code": code_fingerprint(),
            "content": content_digest(problem, settings),
            "format": CACHE_FORMAT,
        }
    )


def cell_seed(problem: Problem, settings: CellSettings) -> int:
    """The cell's random seed: 64 bits of its content digest (independent of order and of code edits)."""
    return int(content_digest(problem, settings)[:16], 16)


class CellCache:
    """Finished cells under ``root/<key[:2]>/<key>.json``; ``None`` as root disables the cache."""

    def __init__(self, root):
        self.root = None if root is None else Path(root)
        self.rejected: list[str] = []

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CellResult | None:
        """The cached result for ``key``, or None if absent or not intact (then it is recomputed)."""
        if self.root is None:
            return None
        path = self.path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            result = entry["result"]
            ok = (
                entry.get("key") == key
                and result.get("key") == key
                and entry.get("digest") == _digest(result)
            )
            cell = CellResult.from_json(result) if ok else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            cell = None
        if cell is None:
            self.rejected.append(key)
        return cell

    def put(self, cell: CellResult) -> None:
        if self.root is None:
            return
        result = cell.to_json()
        atomic_write_text(
            self.path(cell.key),
            dumps({"key": cell.key, "format": CACHE_FORMAT, "digest": _digest(result), "result": result}),
        )
