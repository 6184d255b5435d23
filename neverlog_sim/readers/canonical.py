"""The canonical sent-mail table: its columns, and mapping another table's columns onto them.

Message level: ``message_id, sent_at, sender, channel, to, cc, bcc`` [+ ``log_enabled``, ``direction``,
``subject``, ``thread_id``, ``in_reply_to``]; recipient level: ``message_id, sent_at, sender, channel,
recipient, role`` [+ the same]. ``channel`` may be left out when the loader is given a default channel.
``in_reply_to`` names the message(s) an email replies to (several ids separated by white space, as in
the ``References`` header); see docs/rules.md#reply-threads.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from .tables import canon_name, map_columns

MESSAGE_LEVEL = ("message_id", "sent_at", "sender", "channel", "to", "cc", "bcc")
RECIPIENT_LEVEL = ("message_id", "sent_at", "sender", "channel", "recipient", "role")
OPTIONAL = ("log_enabled", "direction", "subject", "thread_id", "in_reply_to")
ROW_COLUMNS = ["message_id", "sent_at", "sender", "channel", "recipient", "role", "log_enabled", "direction"]
TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv")


def canonical_table(table: pa.Table, columns: dict | None, source: str,
                    channel: str | None = None) -> tuple[pa.Table, str]:
    """Map ``table`` onto the canonical columns; return it and its level (``"message"`` or ``"recipient"``).

    ``channel``: the channel of every row when the table has no ``channel`` column (e.g. ``"client"``
    for a mailbox whose mail was not logged by hand); without it the column is required.
    """
    names = [canon_name(c) for c in table.column_names]
    what = f"sent mail from {source}"
    present = set(names) | set((columns or {}).values())
    channel_col = ("channel",) if channel is None or "channel" in present else ()
    if "recipient" in present:
        required, optional, level = ("message_id", "sent_at", "sender") + channel_col + ("recipient",), \
            ("role",) + OPTIONAL, "recipient"
    else:
        required = ("message_id", "sent_at", "sender") + channel_col
        optional = tuple(c for c in ("to", "cc", "bcc") if c in present) + OPTIONAL
        if not any(c in present for c in ("to", "cc", "bcc")):
            required = required + ("to",)
        level = "message"
    if not channel_col and "channel" not in present:
        optional = optional + ("channel",)
    mapped = map_columns(table, required, optional, columns, what)
    if "channel" not in mapped.column_names:
        mapped = mapped.append_column("channel", pa.array([channel] * mapped.num_rows, type=pa.string()))
    return mapped, level


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
