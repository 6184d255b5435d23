"""Writing files completely or not at all: a temp file in the same folder, fsync, then rename.

Every file the toolkit writes (reports, list files, manifests, tables) goes through here, so a crash
or a full disk never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_text_atomic", "write_csv_atomic", "neutralise", "neutralise_frame"]

#: Cell starts a spreadsheet may run as a formula (CSV injection): = + - @, tab and carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula: text starting with = + - @ tab CR gets a leading '.

    >>> neutralise("=HYPERLINK(1)"), neutralise("jo@acme.com"), neutralise(None), neutralise(-3)
    ("'=HYPERLINK(1)", 'jo@acme.com', '', '-3')
    """
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def neutralise_frame(frame):
    """A copy of a DataFrame whose text cells are neutralised (vectorised; numbers are left as they are)."""
    import pandas as pd
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            text = s.where(s.map(type).eq(str))
            risky = text.str.match(r"^[=+\-@\t\r]", na=False)
            if risky.any():
                out[col] = s.astype(object).where(~risky, "'" + text.astype(object))
    return out


def write_csv_atomic(path, frame) -> Path:
    """A DataFrame as a UTF-8 CSV (LF line ends, no index), formula-like cells neutralised, written atomically."""
    return write_text_atomic(path, neutralise_frame(frame).to_csv(index=False, lineterminator="\n"))


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` completely or not at all; the file is readable as the umask allows."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder; give the name of the file to write")
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
        from .errors import ArgumentError
        raise ArgumentError(f"write_text_atomic(): text must be a str, got {type(text).__name__}")
    return write_bytes_atomic(path, text.encode("utf-8"))
