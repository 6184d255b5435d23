"""The DuckDB engine: runs the SQL steps of ``engine.sql`` on one in-process DuckDB connection.

An engine is the only object that executes SQL. The steps are plain functions returning SQL text;
an engine runs them, registers frames as tables (user values never become SQL text) and reads
results back as pandas, Arrow or one-row dicts. Everything above the engine (history, simulate,
results, export) talks to it through these few methods, so another engine can run the same steps.

>>> engine = DuckDBEngine()
>>> engine.one_row("SELECT 1 AS one")
{'one': 1}
"""

from __future__ import annotations

import os
import warnings

import duckdb
import pandas as pd
import pyarrow as pa

from .base import Engine

__all__ = ["DuckDBEngine", "EngineError", "configure", "SETTINGS"]

# DuckDB settings every new engine takes, each from configure(), else from its environment variable.
SETTINGS = {"memory_limit": "NEVERLOG_DUCKDB_MEMORY_LIMIT", "threads": "NEVERLOG_DUCKDB_THREADS",
            "temp_directory": "NEVERLOG_DUCKDB_TEMP_DIRECTORY"}
_configured: dict = {}


def configure(*, memory_limit: str | None = None, threads: int | None = None, temp_directory: str | None = None) -> dict:
    """Set DuckDB's memory limit, threads and spill folder for every history loaded from now on.

    Each can also come from the environment: ``NEVERLOG_DUCKDB_MEMORY_LIMIT`` (e.g. ``6GB``),
    ``NEVERLOG_DUCKDB_THREADS``, ``NEVERLOG_DUCKDB_TEMP_DIRECTORY``; an argument wins. Returns the
    settings in force. A limit makes DuckDB spill large joins to the temp folder instead of failing.

    >>> configure(memory_limit="6GB", threads=2)  # doctest: +SKIP
    """
    given = {"memory_limit": memory_limit, "threads": threads, "temp_directory": temp_directory}
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a whole number of at least 1, got {threads!r}")
    _configured.update({k: v for k, v in given.items() if v is not None})
    return _settings({})


def _settings(explicit: dict) -> dict:
    out = {}
    for key, env in SETTINGS.items():
        value = explicit.get(key)
        if value is None:
            value = _configured.get(key, os.environ.get(env) or None)
        if value is not None:
            out[key] = int(value) if key == "threads" else str(value)
    return out


class EngineError(RuntimeError):
    """A SQL step failed inside the engine (a bug or a resource limit, never bad user input)."""


class DuckDBEngine(Engine):
    """Runs SQL steps on one DuckDB connection (in memory unless ``database`` names a file).

    Parameters: ``database`` a DuckDB file or ``":memory:"``; ``threads``, ``memory_limit`` and
    ``temp_directory`` DuckDB's own settings (None takes :func:`configure`'s, else the environment's,
    else DuckDB's defaults).
    """

    name = "duckdb"
    # simulate() may answer a what-if from a remembered policy (bound lists of entries, a sorted copy
    # of the rows whose row groups DuckDB skips): see "what-ifs" in simulate.py.
    whatifs = True

    def __init__(self, database: str = ":memory:", *, threads: int | None = None, memory_limit: str | None = None,
                 temp_directory: str | None = None):
        self.settings = _settings({"threads": threads, "memory_limit": memory_limit,
                                   "temp_directory": temp_directory})
        self.con = duckdb.connect(database, config=self.settings)
        self.con.execute("SET TimeZone = 'UTC'")
        # Row order is never relied on (rows are sorted when read out); without it DuckDB streams
        # large CREATE TABLE ... AS statements with much less memory.
        self.con.execute("SET preserve_insertion_order = false")
        # Memory freed by a large step (the sort a first what-if makes) is handed back to the system by
        # background threads; otherwise the next small queries do it, and a what-if then takes 2-3x longer.
        self.con.execute("SET allocator_background_threads = true")

    # --- running steps ------------------------------------------------------------------------
    def execute(self, statement: str, params: dict | list | None = None):
        """Run one statement; ``params`` are bound (``$name`` or ``$1``), never formatted into the text."""
        return self.con.execute(statement, params) if params else self.con.execute(statement)

    def arrow(self, statement: str, params: dict | list | None = None) -> pa.Table:
        return arrow_table(self.execute(statement, params))

    def relation(self, table: str):
        """The DuckDB relation of a table or view, for results too big to become pandas."""
        return self.con.table(table)

    def query_relation(self, statement: str, params: dict | list | None = None):
        """A lazy DuckDB relation of a SELECT (``params`` bound, never formatted into the text)."""
        return self.con.sql(statement, params=params) if params else self.con.sql(statement)

    # --- frames in ----------------------------------------------------------------------------
    def register(self, name: str, frame) -> None:
        """Make a pandas DataFrame or Arrow table readable as ``name`` (no copy)."""
        self.con.register(name, frame)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def register_parquet(self, name: str, path: str, columns: dict, constants: dict, row_column: str) -> None:
        """Make one Parquet file readable as the view ``name`` without reading it into Python.

        ``columns`` maps our names to the file's, ``constants`` our names to a value every row takes;
        ``row_column`` numbers the rows from 1 in file order. Names and values travel as expressions of
        DuckDB's relation API, never as SQL text.
        """
        rel = self.con.read_parquet(path, file_row_number=True)
        exprs = [duckdb.ColumnExpression(theirs).alias(ours) for ours, theirs in columns.items()]
        exprs += [duckdb.ConstantExpression(value).alias(ours) for ours, value in constants.items()]
        exprs.append((duckdb.ColumnExpression("file_row_number") + duckdb.ConstantExpression(1)).alias(row_column))
        rel.select(*exprs).create_view(name)

    def close(self) -> None:
        self.con.close()

    def __repr__(self) -> str:
        return f"<DuckDBEngine {self.con}>"



def arrow_table(result) -> pa.Table:
    """A DuckDB result as an Arrow table (``to_arrow_table`` in DuckDB 2, ``fetch_arrow_table`` before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DuckDB 2 notes the copy; these tables are read once
        return (getattr(result, "to_arrow_table", None) or result.fetch_arrow_table)()
