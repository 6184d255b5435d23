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
        msg = f"{where}{quote(self.text)} {self.reason}"
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
            f"it has {quote(available, 400)}. Rename them in the file, or map them with "
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

class AmbiguousInputError(InputError):
    """The input could be read in more than one way (two columns for one name, day/month dates, two shapes);
    the toolkit refuses to guess and says what to pass.

    >>> import pandas as pd
    >>> from neverlog_sim import load_sent
    >>> frame = pd.DataFrame({"message_id": ["m1"], "sent_at": ["01/02/2024"], "sender": ["ann@us.com"],
    ...                       "channel": ["extension"], "to": ["jo@acme.com"]})
    >>> try:
    ...     load_sent(frame, progress=False)
    ... except AmbiguousInputError as exc:
    ...     "dayfirst" in str(exc)
    True
    """


class SetAsideError(InputError):
    """More of the input was set aside than ``max_set_aside`` allows: figures from the rest would mislead.

    ``share`` the share set aside, ``limit`` the allowed share, ``problems`` the load report,
    ``hints`` ``[(their column, our name)]`` for columns that were not used but look like ours.

    >>> import pandas as pd
    >>> from neverlog_sim import load_sent
    >>> frame = pd.DataFrame({"message_id": ["m1", "m2"], "sent_at": ["2024-01-02", "2024-01-03"],
    ...                       "sender": ["ann@us.com"] * 2, "channel": ["extension"] * 2,
    ...                       "to": ["jo@acme.com", "not an address"]})
    >>> try:
    ...     load_sent(frame, progress=False)
    ... except SetAsideError as exc:
    ...     round(exc.share, 2)
    0.5
    """

    def __init__(self, message: str, *, share: float, limit: float, problems: list[dict],
                 hints: list[tuple[str, str]] = (), cli_message: str | None = None):
        self.share, self.limit, self.problems, self.hints = share, limit, list(problems), list(hints)
        self.cli_message = cli_message or message
        super().__init__(message)


def set_aside_share(set_aside: dict) -> float:
    """The larger of the shares of messages and of rows set aside (0 for an empty input)."""
    shares = [set_aside[k] / set_aside[t] for k, t in (("messages", "messages_total"), ("rows", "rows_total"))
              if set_aside.get(t)]
    return max(shares, default=0.0)


def set_aside_line(set_aside: dict) -> str | None:
    """One sentence saying how much was set aside, or None when nothing was."""
    parts = []
    for key, total, noun in (("messages", "messages_total", "messages"), ("rows", "rows_total", "recipient rows")):
        if set_aside.get(key):
            parts.append(f"{set_aside[key]:,} of {set_aside[total]:,} {noun} ({set_aside[key] / set_aside[total]:.1%})")
    return ("set aside: " + " and ".join(parts) + " — the figures leave them out; see the load report") if parts else None


class ArgumentError(NeverLogError, TypeError, ValueError):
    """An argument of a public function has a type it does not accept; the message names the argument.

    >>> from neverlog_sim import Policy
    >>> try:
    ...     Policy(team=5)
    ... except ArgumentError as exc:
    ...     str(exc).startswith("Policy(): team must be")
    True
    """


def argument_error(function: str, name: str, accepts: str, value) -> ArgumentError:
    """``ArgumentError`` saying which argument of which function got what, and what it accepts."""
    return ArgumentError(f"{function}(): {name} must be {accepts}; got {type(value).__name__} {quote(value)}")


class RulesError(NeverLogError, ValueError):
    """A rule profile or assumption value is not one the simulator knows (docs/rules.md#rule-profiles).

    >>> from neverlog_sim import get_rules
    >>> try:
    ...     get_rules("2024")
    ... except RulesError as exc:
    ...     "must be one of" in str(exc)
    True
    """


class CollectLimitError(NeverLogError, RuntimeError):
    """A result table of a Spark-backed history has more rows than may be brought to the driver.

    Raised by ``SimulationResult.recipients`` (``.contacts``, ``.timeline``, ``.feed``) past
    ``result.collect_limit`` rows; ``result.relation(name)`` keeps the table in Spark instead.
    """

    def __init__(self, table: str, limit: int):
        self.table, self.limit = table, limit
        super().__init__(
            f"result.{table} has more than {limit:,} rows, the most collect_limit brings to the driver as pandas; "
            f"keep it in Spark with result.relation({table!r}) (filter, aggregate or write it there), or raise "
            f"the limit: result.collect_limit = {limit * 10:,} (None: no limit) — see docs/spark.md#result-tables")


class ExportError(NeverLogError):
    """An export could not be written, or failed its own verification; nothing was left behind.

    >>> from neverlog_sim import Policy, export_lists
    >>> export_lists(Policy(team=["*@rival.com"]), "lists")  # doctest: +SKIP
    """


MAX_QUOTE = 80


def quote(value, limit: int = MAX_QUOTE) -> str:
    """``repr`` of a value for a message, cut to about ``limit`` characters (a 5 MB field is not quoted whole)."""
    text = repr(value)
    if not isinstance(value, str):
        text = " ".join(text.split())  # a Series or a frame prints on many lines; a message is one
    if len(text) <= limit:
        return text
    return text[: limit - 1] + f"… ({len(str(value)):,} characters)"


# Byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's mark).
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def detect_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``head`` names (None without a mark)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def check_encoding(encoding) -> str | None:
    """``encoding=`` checked: None, or a codec Python knows (an ``InputError`` names it otherwise)."""
    import codecs
    if encoding is None:
        return None
    if not isinstance(encoding, str):
        raise ArgumentError(f"encoding must be a codec name such as 'utf-8', 'utf-16' or 'cp1252'; "
                            f"got {type(encoding).__name__} {quote(encoding)}")
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"encoding {quote(encoding)} is not a codec Python knows; use e.g. 'utf-8', 'utf-16', "
                         "'cp1252' or 'latin-1'") from None


def decode_text(raw: bytes, label: str, encoding: str | None = None) -> str:
    """Bytes as text: a byte-order mark wins, then ``encoding`` (UTF-8 by default); the error names the line."""
    encoding = check_encoding(encoding)
    bom = detect_encoding(raw[:4])
    use = bom or encoding or "utf-8"
    if use in ("utf-8", "utf_8") and not bom:
        use = "utf-8-sig"
    try:
        return raw.decode(use)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        if encoding is None or bom:
            name = "UTF-8" if use.startswith("utf-8") else use.upper()
            fix = ("save the file as UTF-8, or pass encoding= (command line --encoding) with its encoding, "
                   "e.g. 'cp1252'")
        else:
            name, fix = encoding, "check the encoding= given"
        raise InputError(f"{label}: line {line} is not {name} (byte {raw[exc.start]:#x}); {fix}") from None


def read_text(path: Path, label: str, encoding: str | None = None) -> str:
    """A whole text file: UTF-8 (or ``encoding``; a UTF-16/32 byte-order mark is detected); errors name the line."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({exc.strerror or exc}); check the path and its permissions"
                         ) from None
    return decode_text(raw, label, encoding)


def read_utf8(path: Path, label: str) -> str:
    """A whole text file (UTF-8, BOM allowed); an ``InputError`` names the first line that is not UTF-8."""
    return read_text(path, label)
