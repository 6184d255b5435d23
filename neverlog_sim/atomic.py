"""Writing files completely or not at all: a temp file in the same folder, fsync, then rename.

Every file the toolkit writes (reports, list files, manifests, tables) goes through here, so a crash
or a full disk never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_text_atomic", "neutralise"]

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` completely or not at all; the file is readable as the umask allows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); a report is an ordinary file, readable as the umask allows.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` completely or not at all."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return write_bytes_atomic(path, text.encode("utf-8"))


def neutralise(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula: text starting with = + - @ gets a leading '.

    >>> neutralise("=HYPERLINK(1)"), neutralise("jo@acme.com"), neutralise(None), neutralise(-3)
    ("'=HYPERLINK(1)", 'jo@acme.com', '', '-3')
    """
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA) else text
