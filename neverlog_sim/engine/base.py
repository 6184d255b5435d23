"""What every engine shares: the read-out methods built on its own ``execute`` and ``register``.

An engine (``DuckDBEngine``, ``SparkEngine``) implements ``execute`` (one statement, parameters
bound), ``arrow``, ``register`` and ``unregister``; the rest is written once here.
"""

from __future__ import annotations

from contextlib import contextmanager

import pandas as pd

__all__ = ["Engine", "one_row"]


def one_row(result) -> dict:
    """A one-row result (anything with ``description`` and ``fetchall``) as ``{column: value}``, NULL
    (an empty sum) read as 0."""
    return {d[0]: (0 if v is None else v) for d, v in zip(result.description, result.fetchall()[0])}


class Engine:
    """The methods every engine has on top of ``execute``, ``register`` and ``unregister``."""

    def execute(self, statement: str, params: dict | list | None = None):  # pragma: no cover - abstract
        raise NotImplementedError

    def register(self, name: str, frame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def unregister(self, name: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, statement: str, params: dict | list | None = None) -> None:
        """Run a statement for its effect (CREATE ..., DROP ...)."""
        self.execute(statement, params).fetchall()

    def rows(self, statement: str, params: dict | list | None = None) -> list[tuple]:
        return self.execute(statement, params).fetchall()

    def df(self, statement: str, params: dict | list | None = None) -> pd.DataFrame:
        return self.execute(statement, params).df()

    def one_row(self, statement: str, params: dict | list | None = None) -> dict:
        """A one-row result as ``{column: value}``, NULL (an empty sum) read as 0."""
        return one_row(self.execute(statement, params))

    @contextmanager
    def registered(self, name: str, frame):
        """A frame readable as ``name`` for the duration of a ``with`` block."""
        self.register(name, frame)
        try:
            yield name
        finally:
            self.unregister(name)
