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

from ..errors import AmbiguousInputError
from .tables import canon_name, check_columns, map_columns

MESSAGE_LEVEL = ("message_id", "sent_at", "sender", "channel", "to", "cc", "bcc")
RECIPIENT_LEVEL = ("message_id", "sent_at", "sender", "channel", "recipient", "role")
OPTIONAL = ("log_enabled", "direction", "subject", "thread_id", "in_reply_to")
ROW_COLUMNS = ["message_id", "sent_at", "sender", "channel", "recipient", "role", "log_enabled", "direction"]
TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv")


def canonical_table(table: pa.Table, columns: dict | None, source: str, report: list | None = None,
                    channel: str | None = None) -> tuple[pa.Table, str]:
    """Map ``table`` onto the canonical columns; return it and its level (``"message"`` or ``"recipient"``).

    A table with both a ``recipient`` column (one row per recipient) and ``to``/``cc``/``bcc``
    columns (one row per message) is refused: which shape is meant cannot be guessed. ``channel``:
    the channel of every row when the table has no ``channel`` column (e.g. ``"client"`` for a
    mailbox whose mail was not logged by hand); without it the column is required.
    """
    columns = check_columns(columns)
    names = [columns[c] if c in columns else canon_name(c) for c in table.column_names]
    what = f"sent mail from {source}"
    fields = [c for c in ("to", "cc", "bcc") if c in names]
    if "recipient" in names and fields:
        theirs = {n: c for c, n in zip(table.column_names, names)}
        drop_fields = ", ".join(f"{theirs[f]!r}: None" for f in fields)
        raise AmbiguousInputError(
            f"{what} has both a recipient column ({theirs['recipient']!r}: one row per recipient) and "
            f"message-level address columns ({', '.join(repr(theirs[f]) for f in fields)}: one row per message); "
            f"keep one shape — columns={{{theirs['recipient']!r}: None}} reads the message columns, "
            f"columns={{{drop_fields}}} reads the recipient column (command line: --columns 'NAME=')")
    channel_col = ("channel",) if channel is None or "channel" in names else ()
    if "recipient" in names:
        required, optional, level = ("message_id", "sent_at", "sender") + channel_col + ("recipient",), \
            ("role",) + OPTIONAL, "recipient"
    else:
        required = ("message_id", "sent_at", "sender") + channel_col
        optional = ("to", "cc", "bcc") + OPTIONAL
        if not fields:
            required = required + ("to",)
            optional = ("cc", "bcc") + OPTIONAL
        level = "message"
    if not channel_col:
        optional = optional + ("channel",)
    mapped = map_columns(table, required, optional, columns, what, report)
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
