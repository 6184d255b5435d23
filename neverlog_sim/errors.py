"""Named exceptions, one per family of bad input or failed operation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EntryProblem:
    """One invalid entry: where it was, what it said, why it is wrong, and a fix if one is known.

    >>> str(EntryProblem("acme.com", "has no '@'", "*@acme.com", line=2, source="team.txt"))
    "team.txt, line 2: 'acme.com' has no '@' — did you mean '*@acme.com'?"
    """

    text: str
    reason: str
    hint: str | None = None
    line: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.source and self.line is not None:
            where = f"{self.source}, line {self.line}: "
        elif self.line is not None:
            where = f"line {self.line}: "
        msg = f"{where}{self.text!r} {self.reason}"
        if self.hint:
            msg += f" — did you mean {self.hint!r}?"
        return msg


class NeverLogError(Exception):
    """Base class of every error this toolkit raises on purpose.

    >>> issubclass(EntryError, NeverLogError), issubclass(InputError, ValueError)
    (True, True)
    """


class EntryError(NeverLogError, ValueError):
    """One or more Never Log entries are not of the form name@domain.com or *@domain.com.

    ``problems`` lists each invalid entry (``EntryProblem``: text, reason, hint, line, source);
    the rules: docs/rules.md#entry-syntax.

    >>> from neverlog_sim import parse_entry
    >>> try:
    ...     parse_entry("acme.com")
    ... except EntryError as exc:
    ...     exc.problems[0].hint
    '*@acme.com'
    """

    def __init__(self, problems: list[EntryProblem] | EntryProblem, source: str | None = None):
        if isinstance(problems, EntryProblem):
            problems = [problems]
        self.problems = list(problems)
        self.source = source
        if len(self.problems) == 1:
            msg = str(self.problems[0])
        else:
            head = f"{len(self.problems)} invalid entries"
            if source:
                head += f" in {source}"
            msg = head + ":\n" + "\n".join(f"  {p}" for p in self.problems)
        msg += "\nA Never Log entry is name@domain.com (one recipient) or *@domain.com (a whole domain)."
        super().__init__(msg)


class InputError(NeverLogError, ValueError):
    """A data file or table cannot be read as the format it is meant to be.

    The message says what, where (file, line, column, row) and how to fix it.

    >>> from neverlog_sim import load_sent
    >>> try:
    ...     load_sent("no-such-file.csv")
    ... except InputError as exc:
    ...     "does not exist" in str(exc)
    True
    """


class MissingColumnsError(InputError):
    """Required columns are absent from an input table: ``missing``, ``available``, ``suggestions``.

    >>> import pandas as pd
    >>> from neverlog_sim import load_contacts
    >>> try:
    ...     load_contacts(pd.DataFrame({"mail": ["jo@acme.com"]}))
    ... except MissingColumnsError as exc:
    ...     exc.missing
    ['email']
    """

    def __init__(self, what: str, missing: list[str], available: list[str], suggestions: dict[str, str]):
        self.missing = missing
        self.available = available
        self.suggestions = suggestions
        parts = []
        for col in missing:
            s = suggestions.get(col)
            parts.append(f"{col!r}" + (f" (closest: {s!r})" if s else ""))
        msg = (
            f"{what} is missing required column(s) {', '.join(parts)}; "
            f"it has {available!r}. Rename them in the file, or map them with "
            f"columns={{'their name': 'our name'}}"
        )
        super().__init__(msg)


class WorkspaceError(InputError):
    """A workspace file (a parsed history kept on disk) is missing, damaged or from another version.

    The message says how to rebuild it (README, *The command line*).

    >>> from neverlog_sim import open_sent
    >>> try:
    ...     open_sent("no-such-history.duckdb")
    ... except WorkspaceError as exc:
    ...     "rebuild it with load_sent(SOURCE" in str(exc)
    True
    """


class RulesError(NeverLogError, ValueError):
    """A rule profile or assumption value is not one the simulator knows (docs/rules.md#rule-profiles).

    >>> from neverlog_sim import get_rules
    >>> try:
    ...     get_rules("2024")
    ... except RulesError as exc:
    ...     "must be one of" in str(exc)
    True
    """


class ExportError(NeverLogError):
    """An export could not be written, or failed its own verification; nothing was left behind.

    >>> from neverlog_sim import Policy, export_lists
    >>> export_lists(Policy(team=["*@rival.com"]), "lists")  # doctest: +SKIP
    """


def read_utf8(path: Path, label: str) -> str:
    """A whole text file (UTF-8, BOM allowed); an ``InputError`` names the first line that is not UTF-8."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{label}: line {line} is not UTF-8 (byte {raw[exc.start]:#x}); save the file as UTF-8"
                         ) from None
