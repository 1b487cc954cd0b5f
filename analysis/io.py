"""Atomic, deterministic output: single files by temp file + ``os.replace``, and whole output
folders as one set, staged beside the folder and switched in with one rename.

Every temporary name this program creates starts with :data:`OWNED_PREFIX`, so cleaning up after
a killed run removes only what canlearn made, never a user's own ``*.tmp`` files.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError

#: Every temporary file or folder canlearn creates is named with this prefix (and only those).
OWNED_PREFIX = ".canlearn-"
TEMP_PREFIX = OWNED_PREFIX + "tmp."
PROBE_PREFIX = OWNED_PREFIX + "probe."
STAGING_PREFIX = OWNED_PREFIX + "staging."
ASIDE_PREFIX = OWNED_PREFIX + "aside."


class FolderBusyError(InputError):
    """Another canlearn run is writing into the same output folder."""


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dumps(obj) -> str:
    """Deterministic JSON: sorted keys, floats as Python's shortest round-trip repr."""
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _staging_prefix(out: Path) -> str:
    return f"{STAGING_PREFIX}{out.name}."


def _aside_prefix(out: Path) -> str:
    return f"{ASIDE_PREFIX}{out.name}."


def remove_stale_temps(folder) -> list[Path]:
    """Delete what a killed run (SIGKILL: no cleanup possible) left behind, and nothing else.

    That is: temp files and probes in ``folder`` named with :data:`OWNED_PREFIX`, and staging or
    set-aside folders of ``folder`` beside it. Returns what was removed.
    """
    folder = Path(folder)
    stale = []
    if folder.is_dir():
        stale += [
            p
            for p in folder.iterdir()
            if p.name.startswith((TEMP_PREFIX, PROBE_PREFIX)) and p.is_file() and not p.is_symlink()
        ]
    parent = folder.parent
    if parent.is_dir() and folder.name:
        stale += [
            p
            for p in parent.iterdir()
            if p.name.startswith((_staging_prefix(folder), _aside_prefix(folder)))
            and p.is_dir()
            and not p.is_symlink()
        ]
    for p in sorted(stale):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return sorted(stale)


def _restore_aside(out: Path) -> None:
    """Undo a fallback switch (two renames) killed between its renames: put the old set back."""
    if out.exists() or not out.parent.is_dir():
        return
    asides = sorted(p for p in out.parent.iterdir() if p.name.startswith(_aside_prefix(out)) and p.is_dir())
    if asides:
        os.rename(asides[-1], out)


@contextmanager
def folder_lock(out) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on the folder ``out`` (created if missing).

    A second run into the same folder refuses at once with :class:`FolderBusyError`. The lock is
    on the folder itself (no lock file in it); since a switch replaces the folder, the lock is
    retaken until the locked folder is the one at ``out``.
    """
    out = Path(out)
    while True:
        _restore_aside(out)
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderBusyError(
                f"output folder {str(out)!r} is in use by another canlearn run; wait for it to finish"
            ) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(out))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the folder was switched while we waited: lock the new one
    try:
        yield
    finally:
        os.close(fd)


def check_output_folder(out) -> None:
    """Refuse, before any work, an output folder that cannot be replaced as a whole (it holds
    folders of its own, or is a filesystem root)."""
    out = Path(os.path.abspath(out))
    if not out.name or out.resolve() == out.resolve().parent:
        raise InputError(f"output folder {str(out)!r} must be a named folder canlearn can replace")
    if out.is_dir():
        sub = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink())
        if sub:
            raise InputError(
                f"output folder {str(out)!r} holds the folder {sub[0]!r}; canlearn replaces its output "
                "folder as a whole, so give it a folder of its own"
            )


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _carry_over(old: Path, new: Path) -> None:
    """Files in the old folder that the new set does not replace (a user's own) stay: hard-link
    them into the staged set (a copy where links are impossible)."""
    for p in old.iterdir():
        if p.name.startswith(OWNED_PREFIX) or (new / p.name).exists() or (new / p.name).is_symlink():
            continue
        if p.is_symlink():
            os.symlink(os.readlink(p), new / p.name)
        elif p.is_dir():
            raise InputError(
                f"the folder {str(p)!r} appeared in the output folder during the run; not replaced"
            )
        elif p.is_file():
            try:
                os.link(p, new / p.name)
            except OSError:
                shutil.copy2(p, new / p.name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch(staging: Path, out: Path) -> Path | None:
    """Put the staged set at ``out`` in one step; returns the path now holding the old set."""
    if not out.exists():
        os.rename(staging, out)
        return None
    if _exchange(staging, out):
        return staging
    # No atomic exchange on this filesystem: two renames, and a kill between them is undone by
    # the next run (_restore_aside), so a reader still never sees a mixed set.
    aside = Path(tempfile.mkdtemp(prefix=_aside_prefix(out), dir=out.parent))
    os.rmdir(aside)
    os.rename(out, aside)
    os.rename(staging, out)
    return aside


@contextmanager
def output_set(out) -> Iterator[Path]:
    """Write a set of files as one: ``with output_set(out) as staging:`` write into ``staging``;
    on a normal exit the folder ``out`` becomes the staged set in one rename.

    Readers of ``out`` see the complete old set or the complete new one, never a mix, even if the
    process is killed at any point (what a kill leaves beside ``out`` is cleaned by the next run).
    Files of ``out`` that the new set does not contain are kept. The folder is locked for the
    whole write (see :func:`folder_lock`). An exception inside the block leaves ``out`` untouched.
    """
    out = Path(os.path.abspath(out))
    check_output_folder(out)
    with folder_lock(out):
        remove_stale_temps(out)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out), dir=out.parent))
        try:
            os.chmod(staging, stat.S_IMODE(os.stat(out).st_mode))
            yield staging
            _carry_over(out, staging)
            lock_fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
            try:
                # Keep the new folder locked through the switch, until the old set is gone.
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                old = _switch(staging, out)
                _fsync_dir(out.parent)
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
            finally:
                os.close(lock_fd)
        except BaseException:
            # Before the switch this is the unfinished new set; after it, the old one.
            shutil.rmtree(staging, ignore_errors=True)
            raise
