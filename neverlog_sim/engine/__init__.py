"""Engines run the toolkit's SQL steps (``engine.sql``: functions that return SQL text).

``DuckDBEngine`` (the default) runs them in-process. Nothing outside ``engine`` executes SQL.
"""

from .base import Engine, one_row
from .duckdb import SETTINGS, DuckDBEngine, EngineError, arrow_table, configure

__all__ = ["DuckDBEngine", "Engine", "EngineError", "SETTINGS", "arrow_table", "configure", "one_row"]
