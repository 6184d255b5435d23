"""The canonical sent-mail table: its columns, and mapping another table's columns onto them.

Message level: ``message_id, sent_at, sender, channel, to, cc, bcc`` [+ ``log_enabled``, ``direction``,
``subject``]; recipient level: ``message_id, sent_at, sender, channel, recipient, role`` [+ the same].
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from .tables import canon_name, map_columns

MESSAGE_LEVEL = ("message_id", "sent_at", "sender", "channel", "to", "cc", "bcc")
RECIPIENT_LEVEL = ("message_id", "sent_at", "sender", "channel", "recipient", "role")
OPTIONAL = ("log_enabled", "direction", "subject")
ROW_COLUMNS = ["message_id", "sent_at", "sender", "channel", "recipient", "role", "log_enabled", "direction"]
TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv")


def canonical_table(table: pa.Table, columns: dict | None, source: str) -> tuple[pa.Table, str]:
    """Map ``table`` onto the canonical columns; return it and its level (``"message"`` or ``"recipient"``)."""
    names = [canon_name(c) for c in table.column_names]
    what = f"sent mail from {source}"
    if "recipient" in names or "recipient" in (columns or {}).values():
        return map_columns(table, RECIPIENT_LEVEL[:-1], ("role",) + OPTIONAL, columns, what), "recipient"
    present = set(names) | set((columns or {}).values())
    required = ("message_id", "sent_at", "sender", "channel")
    optional = tuple(c for c in ("to", "cc", "bcc") if c in present) + OPTIONAL
    if not any(c in present for c in ("to", "cc", "bcc")):
        required = required + ("to",)
    return map_columns(table, required, optional, columns, what), "message"


def looks_like_mail(source) -> bool:
    """Whether a path holds mail files (mbox, .eml, a folder without tables) rather than tables."""
    path = Path(str(source))
    if path.is_file():
        if path.suffix.lower() in (".mbox", ".mbx", ".eml"):
            return True
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    if path.is_dir():
        return not any(p.suffix.lower() in TABLE_SUFFIXES for p in path.rglob("*"))
    return False
