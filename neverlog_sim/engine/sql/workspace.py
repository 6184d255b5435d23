"""SQL of workspaces: a parsed history kept in one DuckDB file, written whole and reopened read-only.

The file's path is a bound parameter, never SQL text; the table names are the toolkit's own.
"""

from __future__ import annotations

WORKSPACE_TABLES = ("sent", "sent_profile", "sent_rowprofile")
META = "neverlog_meta"


def attach(alias: str, read_only: bool) -> str:
    return f"ATTACH $1 AS {alias}" + (" (READ_ONLY)" if read_only else "")


def detach(alias: str) -> str:
    return f"DETACH {alias}"


def copy_into(src: str, alias: str, name: str) -> str:
    return f"CREATE TABLE {alias}.{name} AS SELECT * FROM {src}"


def view_of(src: str, out: str) -> str:
    return f"CREATE VIEW {out} AS SELECT * FROM {src}"


def workspace_tables() -> str:
    """The tables of an attached database; its alias is bound as $1."""
    return "SELECT table_name FROM information_schema.tables WHERE table_catalog = $1"


def read_meta(alias: str) -> str:
    return f"SELECT key, value FROM {alias}.{META}"
