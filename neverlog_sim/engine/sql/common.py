"""SQL shared by every stage: channels, table upkeep, file readers.

Only internal table names (chosen by the toolkit, never by a user) are formatted into the text;
user values — entries, addresses, paths, flags — arrive as registered tables or bound parameters.
"""

from __future__ import annotations

from ...rules import CHANNELS  # noqa: F401  (one list of channels, in the rule profile)

# A recipient that already passes the entry syntax of docs/rules.md#entry-syntax (ASCII fast path); anything
# else is read in Python by entries.classify_recipient. Lengths are checked beside the pattern.
_ATOM = r"[a-z0-9!#$%&'+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
STANDARD_ADDRESS = rf"{_ATOM}(\.{_ATOM})*@({_LABEL}\.)+{_LABEL}"


def drop(table: str) -> str:
    return f"DROP TABLE IF EXISTS {table}"


def read_csv() -> str:
    return "SELECT * FROM read_csv($1, all_varchar = true, header = true, union_by_name = true)"


def read_parquet() -> str:
    return "SELECT * FROM read_parquet($1, union_by_name = true)"


def drop_view(view: str) -> str:
    return f"DROP VIEW IF EXISTS {view}"


def copy_table(src: str, out: str) -> str:
    """Materialise a registered frame as a table of the connection."""
    return f"CREATE TABLE {out} AS SELECT * FROM {src}"


def read_table(table: str, order_by: str | None = None) -> str:
    return f"SELECT * FROM {table}" + (f" ORDER BY {order_by}" if order_by else "")


def rename(table: str, new: str) -> str:
    return f"ALTER TABLE {table} RENAME TO {new}"
