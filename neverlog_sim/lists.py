"""Never Log lists and policies (docs/rules.md#never-log-lists): team and personal lists, the cap, duplicates, redundancy."""

from __future__ import annotations

import csv
import html
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from .entries import Entry, _split_outside_quotes, classify_recipient, parse_entry, parse_entry_lenient
from .errors import AmbiguousInputError, ArgumentError, EntryError, EntryProblem, InputError, quote, read_text

CAP = 500
SCOPES = ("team", "personal")
# The team list's owner in every table (entries frames, result.entries, reports, export counts,
# compaction): the empty string. ``NeverLogList.owner`` (a Python attribute) stays None for the team list.
TEAM_OWNER = ""
# Responsibility order when several entries match one recipient (docs/rules.md#responsible-entry).
# No Python csv field limit: a list file with a 5 MB field is read (and its entry refused by line), not a _csv.Error.
csv.field_size_limit(2**31 - 1)
PRIORITY = {("team", "address"): 1, ("team", "domain"): 2, ("personal", "address"): 3, ("personal", "domain"): 4}


def entry_record(text: str, scope: str, owner: str) -> tuple:
    """What simulate() reads of one entry of a list: ``(entry, kind, key, list, owner, priority)``, made
    from the entry's normalised text (``str(Entry)``) and its list's scope and owner (``TEAM_OWNER`` for
    the team list) alone."""
    kind = "domain" if text.startswith("*@") else "address"
    return text, kind, text[2:] if kind == "domain" else text, scope, owner, PRIORITY[(scope, kind)]


@dataclass(frozen=True)
class Duplicate:
    """An entry that appeared again (after normalisation) on ``line``; the first was on ``first_line``."""

    entry: Entry
    text: str
    line: int | None
    first_line: int | None


@dataclass(frozen=True)
class Redundant:
    """An address entry whose domain entry is in the same list: it spends cap and changes nothing."""

    entry: Entry
    covered_by: Entry
    line: int | None


@dataclass(frozen=True)
class Fix:
    """What lenient mode changed on a line."""

    line: int | None
    text: str
    entry: Entry
    note: str


def _owner(owner: str | None, scope: str) -> str | None:
    if scope not in SCOPES:
        raise ArgumentError(f"scope must be one of {list(SCOPES)}, got {quote(scope)}")
    if owner is not None and not isinstance(owner, str):
        raise ArgumentError(f"owner must be the user's sending address as text; got {type(owner).__name__} "
                            f"{quote(owner)}")
    if scope == "team":
        if owner is not None:
            raise ArgumentError(f"a team list has no owner; got owner={quote(owner)} — use scope='personal'")
        return None
    if owner is None:
        raise ArgumentError("a personal list needs owner= (the address of the user whose sends it governs)")
    address, status = classify_recipient(owner)
    if address is None:
        raise InputError(f"owner {owner!r} is not an email address; give the user's sending address")
    return address


class NeverLogList:
    """A team list, or a personal list with its owner, normalised and checked against the cap.

    The list may hold more than ``cap`` entries (a wish list often does); it then reports
    that it is not compliant and by how much.

    >>> lst = NeverLogList.from_text("jo@acme.com\\n*@acme.com\\nJO@acme.com")
    >>> len(lst), [str(d.entry) for d in lst.duplicates], [str(r.entry) for r in lst.redundant]
    (2, ['jo@acme.com'], ['jo@acme.com'])
    """

    def __init__(
        self,
        entries: Iterable[str | Entry] = (),
        scope: str = "team",
        owner: str | None = None,
        *,
        lenient: bool = False,
        source: str | None = None,
        cap: int = CAP,
    ):
        self.scope = scope
        self.owner = _owner(owner, scope)
        self.cap = _check_cap(cap)
        self.source = source
        self.lenient = lenient
        if not isinstance(entries, str) and (isinstance(entries, (bytes, Mapping)) or not isinstance(entries, Iterable)):
            raise ArgumentError(f"NeverLogList(): entries must be entries as text (a list of strings such as "
                                f"['jo@acme.com', '*@acme.com']); got {type(entries).__name__} {quote(entries)}")
        items = [(e, None) for e in entries] if not isinstance(entries, str) else [(entries, None)]
        self._build(items)

    def _build(self, items: list[tuple[object, int | None]], on_invalid: str = "raise",
               originals: dict[int, str] | None = None) -> None:
        seen: dict[Entry, int | None] = {}
        self.duplicates: list[Duplicate] = []
        self.problems: list[EntryProblem] = []
        self.fixes: list[Fix] = []
        for text, line in items:
            if isinstance(text, Entry):
                entry, note = text, None
            else:
                try:
                    entry, note = (parse_entry_lenient(text) if self.lenient else (parse_entry(text), None))
                except EntryError as exc:
                    p = exc.problems[0]
                    self.problems.append(EntryProblem(p.text, p.reason, p.hint, line, self.source))
                    continue
                if note:
                    self.fixes.append(Fix(line, str(text), entry, note))
            if entry in seen:
                self.duplicates.append(Duplicate(entry, str(text), line, seen[entry]))
            else:
                seen[entry] = line
        if on_invalid not in ("raise", "collect"):
            raise ArgumentError(f"on_invalid must be one of ['raise', 'collect'], got {quote(on_invalid)}")
        if originals and self.problems:
            self.problems = _comma_hints(self.problems, originals, self.source)
            if self.lenient:  # a comma typo is a fix a hint gives, like any other (docs/rules.md#lenient-mode)
                kept = []
                for p in self.problems:
                    if not p.reason.startswith(COMMA_SPLIT):
                        kept.append(p)
                        continue
                    entry = parse_entry(p.hint)
                    self.fixes.append(Fix(p.line, p.text, entry, f"{p.text!r} → {p.hint!r} (comma typed for a dot)"))
                    if entry in seen:
                        self.duplicates.append(Duplicate(entry, p.text, p.line, seen[entry]))
                    else:
                        seen[entry] = p.line
                self.problems = kept
                self.fixes.sort(key=lambda f: (f.line is None, f.line or 0))
        if self.problems and not self.lenient and on_invalid == "raise":
            raise EntryError(self.problems, self.source)
        self.entries: list[Entry] = list(seen)
        self._lines = seen
        domains = {e.domain: e for e in self.entries if e.kind == "domain"}
        self.redundant: list[Redundant] = [
            Redundant(e, domains[e.domain], seen[e]) for e in self.entries if e.kind == "address" and e.domain in domains
        ]
        # What simulate() reads of a list, made with the list: a what-if compares two policies list by list
        # on these records, and a list's entries do not change after it is built.
        self._records = self._texts = None
        self._entry_texts()

    # --- readers ----------------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str, scope: str = "team", owner: str | None = None, lenient: bool = False, *,
                  source: str | None = None, cap: int = CAP, on_invalid: str = "raise") -> "NeverLogList":
        """Read entries from text: one a line, or separated by ``,`` / ``;``; blank lines and ``# `` comments skipped.

        Invalid lines raise one ``EntryError`` listing them all; with ``lenient=True`` a line a hint
        can fix is fixed (see ``.fixes``), and with ``lenient=True`` or ``on_invalid="collect"`` the
        rest are kept in ``.problems`` instead of raising.
        """
        if not isinstance(text, str):
            raise ArgumentError(f"NeverLogList.from_text(): text must be a str; got {type(text).__name__} {quote(text)}")
        obj = cls.__new__(cls)
        obj.scope, obj.owner, obj.cap, obj.source, obj.lenient = (scope, _owner(owner, scope), _check_cap(cap), source,
                                                                   lenient)
        originals = {n: line.strip() for n, line in enumerate(text.splitlines(), start=1) if "," in line}
        obj._build(list(_text_items(text)), on_invalid, originals)
        return obj

    @classmethod
    def from_file(cls, path: str | Path, scope: str = "team", owner: str | None = None, lenient: bool = False, *,
                  cap: int = CAP, on_invalid: str = "raise", encoding: str | None = None) -> "NeverLogList":
        """Read a ``.txt`` list (one entry a line) or a ``.csv`` with an ``entry`` column.

        ``encoding`` the file's encoding (UTF-8 by default; a UTF-16 byte-order mark is detected).
        """
        if not isinstance(path, (str, os.PathLike)):
            raise ArgumentError(f"NeverLogList.from_file(): path must be a path; got {type(path).__name__} "
                                f"{quote(path)}")
        path = Path(path)
        if not path.is_file():
            raise InputError(f"list file {quote(str(path))} does not exist (or is not a file)")
        text = read_text(path, str(path), encoding)
        if path.suffix.lower() == ".csv":
            items = _csv_items(text, str(path))
            obj = cls.__new__(cls)
            obj.scope, obj.owner, obj.cap, obj.source, obj.lenient = (scope, _owner(owner, scope), _check_cap(cap),
                                                                      str(path), lenient)
            obj._build(items, on_invalid)
            return obj
        return cls.from_text(text, scope=scope, owner=owner, lenient=lenient, source=str(path), cap=cap,
                             on_invalid=on_invalid)

    # --- views ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            try:
                item = parse_entry(item)
            except EntryError:
                return False
        return item in self._lines

    @property
    def over_cap(self) -> int:
        """How many entries must go for the list to fit the cap (0 when it fits)."""
        return max(0, len(self) - self.cap)

    @property
    def within_cap(self) -> bool:
        """True when the list has at most ``cap`` entries (invalid lines aside: see ``is_valid``)."""
        return self.over_cap == 0

    @property
    def is_valid(self) -> bool:
        """True when every line is a valid entry (the cap aside: see ``within_cap``)."""
        return not self.problems

    @property
    def is_compliant(self) -> bool:
        """True when HubSpot would accept the list: within the cap and no invalid lines."""
        return self.over_cap == 0 and not self.problems

    @property
    def name(self) -> str:
        return "team list" if self.scope == "team" else f"personal list of {self.owner}"

    def cap_status(self) -> str:
        if self.over_cap:
            return (f"{self.name} has {len(self)} entries; the cap is {self.cap} — remove {self.over_cap}, "
                    "or let export_lists() compact it")
        return f"{self.name} has {len(self)} of {self.cap} entries"

    def to_text(self) -> str:
        """The HubSpot form: sorted, one entry a line, LF line ends."""
        return "".join(f"{e}\n" for e in sorted(self.entries, key=str))

    def to_frame(self) -> pd.DataFrame:
        """One row per entry: ``entry, kind, key, list, owner, line, redundant``."""
        red = {r.entry for r in self.redundant}
        return pd.DataFrame({
            "entry": [str(e) for e in self.entries],
            "kind": [e.kind for e in self.entries],
            "key": [e.address if e.kind == "address" else e.domain for e in self.entries],
            "list": self.scope,
            "owner": self.owner or TEAM_OWNER,
            "line": pd.array([self._lines[e] for e in self.entries], dtype="Int64"),
            "redundant": [e in red for e in self.entries],
        })

    def _entry_records(self) -> list[tuple]:
        # Cached: a list's entries do not change after it is built, and a live preview
        # re-simulates many times with the same personal lists.
        cached = getattr(self, "_records", None)
        if cached is None:
            owner = self.owner or TEAM_OWNER
            cached = self._records = [entry_record(str(e), self.scope, owner) for e in self.entries]
        return cached

    def _entry_texts(self) -> tuple[str, ...]:
        """The entries' text, in order (cached): a record is made from its entry's text and the list's
        scope and owner alone, so two lists of one scope and owner have equal records exactly when
        these are equal — a quicker comparison for simulate()'s what-ifs (interned: equal texts are
        mostly one object, compared at once)."""
        cached = getattr(self, "_texts", None)
        if cached is None:
            cached = self._texts = tuple(sys.intern(r[0]) for r in self._entry_records())
        return cached

    def summary(self) -> dict:
        """A JSON-ready account of the list: size, cap status and every problem."""
        return {
            "list": self.scope, "owner": self.owner or TEAM_OWNER, "source": self.source,
            "entries": len(self), "cap": self.cap, "over_cap": self.over_cap, "within_cap": self.within_cap,
            "valid": self.is_valid, "compliant": self.is_compliant,
            "address_entries": sum(e.kind == "address" for e in self.entries),
            "domain_entries": sum(e.kind == "domain" for e in self.entries),
            "duplicates": [{"entry": str(d.entry), "line": d.line, "first_line": d.first_line} for d in self.duplicates],
            "redundant": [{"entry": str(r.entry), "covered_by": str(r.covered_by), "line": r.line} for r in self.redundant],
            "invalid": [{"line": p.line, "text": p.text, "reason": p.reason, "hint": p.hint} for p in self.problems],
            "fixed": [{"line": f.line, "text": f.text, "entry": str(f.entry), "note": f.note} for f in self.fixes],
        }

    def __repr__(self) -> str:
        bits = [f"{len(self)} entries", "compliant" if self.is_compliant else "NOT compliant"]
        if self.over_cap:
            bits.append(f"{self.over_cap} over the cap of {self.cap}")
        for label, items in (("duplicates", self.duplicates), ("redundant", self.redundant),
                             ("invalid", self.problems), ("fixed", self.fixes)):
            if items:
                bits.append(f"{len(items)} {label}")
        owner = f" owner={self.owner!r}" if self.owner else ""
        return f"<NeverLogList {self.scope}{owner}: {', '.join(bits)}>"

    def _repr_html_(self) -> str:
        s = self.summary()
        colour = "#1a7f37" if self.is_compliant else "#cf222e"
        rows = [f"<b>{html.escape(self.name)}</b>: {s['entries']} of {s['cap']} entries "
                f"(<span style='color:{colour}'>{'compliant' if self.is_compliant else 'not compliant'}</span>)"]
        for key, fmt in (("duplicates", lambda d: f"{at_line(d['line'])}{d['entry']} {repeats(d['first_line'])}"),
                         ("redundant", lambda r: f"{at_line(r['line'])}{r['entry']} is covered by {r['covered_by']}"),
                         ("invalid", lambda p: f"{at_line(p['line'])}{p['text']!r} {p['reason']}"
                                               + (f" — did you mean {p['hint']!r}?" if p["hint"] else "")),
                         ("fixed", lambda f: f"{at_line(f['line'])}{f['note']}")):
            if s[key]:
                items = "".join(f"<li>{html.escape(fmt(x))}</li>" for x in s[key][:20])
                more = (f"<li>20 of {len(s[key])} shown; all {len(s[key])}: .summary()[{key!r}]</li>"
                        if len(s[key]) > 20 else "")
                rows.append(f"{len(s[key])} {key}:<ul>{items}{more}</ul>")
        return "<div class='neverlog-list'>" + "<br>".join(rows) + "</div>"


def at_line(line: int | None) -> str:
    """``"line 3: "`` for an entry read from a file or text, ``""`` for one given as a Python value.

    >>> at_line(3), at_line(None)
    ('line 3: ', '')
    """
    return "" if line is None else f"line {line}: "


def repeats(first_line: int | None) -> str:
    """How a duplicate names the entry it repeats: ``"(first on line 2)"``, or ``"(repeats an earlier entry)"``.

    >>> repeats(2), repeats(None)
    ('(first on line 2)', '(repeats an earlier entry)')
    """
    return "(repeats an earlier entry)" if first_line is None else f"(first on line {first_line})"


COMMA_SPLIT = "was split at its comma into"


def _comma_hints(problems: list[EntryProblem], originals: dict[int, str], source: str | None) -> list[EntryProblem]:
    """A line split at a comma into invalid pieces, that reads as one entry with a dot there: one problem, hinted.

    ``*@yahoo,com`` is split into ``*@yahoo`` and ``com`` (a comma separates entries in a paste); the
    problem names the whole line and hints ``*@yahoo.com`` (docs/rules.md#hints-for-common-mistakes).
    """
    by_line: dict[int, list[EntryProblem]] = {}
    for p in problems:
        if p.line in originals:
            by_line.setdefault(p.line, []).append(p)
    replaced: dict[int, EntryProblem] = {}
    for line, found in by_line.items():
        original = originals[line]
        candidate = "".join(original.split()).replace(",", ".")
        try:
            fixed = parse_entry(candidate)
        except EntryError:
            continue
        pieces = ", ".join(repr(p.text) for p in found)
        replaced[line] = EntryProblem(original, f"{COMMA_SPLIT} {pieces} (a comma separates entries); "
                                                "a comma inside an entry is a typo for a dot", str(fixed), line, source)
    out, done = [], set()
    for p in problems:
        if p.line in replaced:
            if p.line not in done:
                out.append(replaced[p.line])
                done.add(p.line)
            continue
        out.append(p)
    return out


def _text_items(text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("# ") or stripped == "#":
            continue
        for piece in _split_outside_quotes(stripped):
            # Strip here so that problems and duplicates quote the entry, not the paste's spacing.
            if piece.strip():
                yield piece.strip(), number


def _check_cap(cap) -> int:
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ArgumentError(f"cap must be a whole number of entries ≥ 1 (HubSpot's is {CAP}); got {quote(cap)}")
    return cap


def _csv_items(text: str, source: str) -> list[tuple[str, int]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        raise InputError(f"{source}: line 1 is not valid CSV ({exc})") from None
    names = [h.strip().lower() for h in header]
    if "entry" not in names:
        raise InputError(f"{source}: a CSV list needs an 'entry' column; the header has {header!r}")
    col = names.index("entry")
    items = []
    # reader.line_num is the line a record ends on; a quoted field may span lines, so the
    # record's own line is the one after where the previous record ended.
    line = reader.line_num + 1
    try:
        for row in reader:
            if col < len(row) and row[col].strip():
                items.append((row[col], line))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{source}: line {line} is not valid CSV ({exc}); check its quotes") from None
    return items


def as_list(value, scope: str = "team", owner: str | None = None) -> NeverLogList:
    """Accept a ``NeverLogList``, text, or an iterable of strings, and return a list of that scope."""
    if isinstance(value, NeverLogList):
        if value.scope != scope or (scope == "personal" and value.owner != _owner(owner, scope)):
            raise InputError(f"expected the {scope} list{' of ' + owner if owner else ''}, got {value!r}")
        return value
    if value is None:
        return NeverLogList((), scope=scope, owner=owner)
    if isinstance(value, (str, Path)) and Path(str(value)).suffix.lower() in (".txt", ".csv") and Path(str(value)).is_file():
        return NeverLogList.from_file(value, scope=scope, owner=owner)
    if isinstance(value, Path):  # a path that is not a list file: from_file says why, in an InputError
        return NeverLogList.from_file(value, scope=scope, owner=owner)
    if isinstance(value, str):
        if "\n" not in value and "@" not in value and Path(value).suffix.lower() in (".txt", ".csv"):
            # Meant as a list file, not as list text: say that it is missing rather than
            # suggesting '*@team.txt'.
            return NeverLogList.from_file(value, scope=scope, owner=owner)
        return NeverLogList.from_text(value, scope=scope, owner=owner)
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        what = "team" if scope == "team" else f"personal[{owner!r}]"
        raise ArgumentError(f"Policy(): {what} must be a NeverLogList, entries (a list of strings such as "
                            f"['*@rival.com']), list text, or a .txt/.csv list file; got {type(value).__name__} "
                            f"{quote(value)}")
    return NeverLogList(list(value), scope=scope, owner=owner)


class Policy:
    """The lists in force for a scenario: one team list and personal lists keyed by owner address.

    >>> Policy(team=["*@rival.com"], personal={"ann@us.com": ["jo@friend.org"]}).size
    2
    """

    def __init__(self, team: "NeverLogList | Iterable[str] | str | Path | None" = None,
                 personal: Mapping[str, object] | None = None):
        self.team = as_list(team, "team")
        self.personal: dict[str, NeverLogList] = {}
        #: Files in a policy folder that were not read, with the reason (``Policy.from_dir``).
        self.skipped: list[tuple[str, str]] = []
        if personal is not None and not isinstance(personal, Mapping):
            raise ArgumentError(f"Policy(): personal must be a dict {{owner address: entries}}; got "
                                f"{type(personal).__name__} {quote(personal)}")
        for owner, lst in (personal or {}).items():
            if not isinstance(owner, str):
                raise ArgumentError(f"Policy(): personal list owners must be addresses as text; got "
                                    f"{type(owner).__name__} {quote(owner)}")
            lst = as_list(lst, "personal", owner)
            if lst.owner in self.personal:
                raise InputError(f"two personal lists for owner {lst.owner!r}; merge them into one")
            self.personal[lst.owner] = lst

    @classmethod
    def from_dir(cls, path: str | Path, lenient: bool = False, *, encoding: str | None = None) -> "Policy":
        """Read ``team.txt`` and ``personal/<owner>.txt`` from a folder (either may be missing).

        File names are compared case-insensitively (``personal/ann@x.com.TXT``); other files in
        ``personal/`` are skipped and named in ``.skipped``; a ``team.txt`` that cannot be read is an
        error, never an empty team list.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise ArgumentError(f"Policy.from_dir(): path must be a folder path; got {type(path).__name__} "
                                f"{quote(path)}")
        path = Path(path)
        if not path.is_dir():
            raise InputError(f"policy folder {quote(str(path))} does not exist; it should hold team.txt "
                             "and/or personal/<owner address>.txt")
        skipped: list[tuple[str, str]] = []
        teams = [p for p in sorted(path.iterdir()) if p.name.lower() == "team.txt"]
        if len(teams) > 1:
            raise AmbiguousInputError(f"policy folder {quote(str(path))} has {' and '.join(p.name for p in teams)}; "
                                      "keep one team list")
        team = None
        if teams:
            if not teams[0].is_file():  # a broken link or a folder: an error, never an empty team list
                raise InputError(f"{quote(str(teams[0]))} is not a readable file (a broken link or a folder?); "
                                 "fix or remove it")
            team = NeverLogList.from_file(teams[0], lenient=lenient, encoding=encoding)
        personal = {}
        pdir = path / "personal"
        if pdir.exists() and not pdir.is_dir():
            raise InputError(f"{quote(str(pdir))} is not a folder; personal lists go in personal/<owner address>.txt")
        if pdir.is_dir():
            for f in sorted(pdir.iterdir()):
                if f.name.startswith("."):
                    skipped.append((f"personal/{f.name}", "hidden file"))
                elif f.suffix.lower() != ".txt":
                    skipped.append((f"personal/{f.name}", "not a .txt list file"))
                elif not f.is_file():
                    raise InputError(f"{quote(str(f))} is not a readable file (a broken link or a folder?); "
                                     "fix or remove it")
                else:
                    owner = f.name[: -len(f.suffix)]
                    personal[owner] = NeverLogList.from_file(f, scope="personal", owner=owner, lenient=lenient,
                                                             encoding=encoding)
        if team is None and not personal:
            raise InputError(f"policy folder {quote(str(path))} has neither team.txt nor personal/*.txt"
                             + (f" (skipped: {', '.join(f'{n}: {w}' for n, w in skipped[:3])})" if skipped else ""))
        policy = cls(team=team, personal=personal)
        policy.skipped = skipped
        return policy

    def to_dir(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the policy as the folder ``Policy.from_dir`` reads: ``team.txt`` and ``personal/<owner>.txt``.

        Each file is written atomically in HubSpot's form (sorted, one entry a line). A folder that
        holds files already needs ``overwrite=True``; personal lists not in the policy are then removed.

        >>> Policy(team=["*@rival.com"]).to_dir("my-lists")          # doctest: +SKIP
        >>> Policy.from_dir("my-lists").team.entries                 # doctest: +SKIP
        """
        from .atomic import write_text_atomic
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise InputError(f"{str(path)!r} is a file; a policy is written as a folder — give a folder path")
        if path.is_dir() and any(path.iterdir()) and not overwrite:
            raise InputError(f"{str(path)!r} is not empty; choose another folder or pass overwrite=True")
        write_text_atomic(path / "team.txt", self.team.to_text())
        written = set()
        for owner, lst in self.personal.items():
            write_text_atomic(path / "personal" / f"{owner}.txt", lst.to_text())
            written.add(f"{owner}.txt")
        for stale in sorted((path / "personal").glob("*.txt")) if (path / "personal").is_dir() else []:
            if stale.name not in written:
                stale.unlink()
        return path

    def to_dict(self) -> dict:
        """``{"team": [entries], "personal": {owner: [entries]}}``, entries in HubSpot's form, sorted.

        >>> Policy(team=["*@Rival.com"], personal={"ann@us.com": ["jo@friend.org"]}).to_dict()
        {'team': ['*@rival.com'], 'personal': {'ann@us.com': ['jo@friend.org']}}
        """
        return {"team": sorted(map(str, self.team.entries)),
                "personal": {o: sorted(map(str, l.entries)) for o, l in sorted(self.personal.items())}}

    @classmethod
    def empty(cls) -> "Policy":
        return cls()

    @property
    def lists(self) -> list[NeverLogList]:
        return [self.team, *self.personal.values()]

    @property
    def size(self) -> int:
        return sum(len(lst) for lst in self.lists)

    @property
    def within_cap(self) -> bool:
        """True when every list has at most its cap of entries."""
        return all(lst.within_cap for lst in self.lists)

    @property
    def is_valid(self) -> bool:
        """True when no list has an invalid line."""
        return all(lst.is_valid for lst in self.lists)

    @property
    def is_compliant(self) -> bool:
        """True when HubSpot would accept every list: within the cap and no invalid lines."""
        return all(lst.is_compliant for lst in self.lists)

    def entries_frame(self) -> pd.DataFrame:
        """Every entry of every list: ``entry, kind, key, list, owner, priority``."""
        records = [row for lst in self.lists for row in lst._entry_records()]
        df = pd.DataFrame.from_records(records, columns=["entry", "kind", "key", "list", "owner", "priority"])
        df = df.astype({"entry": "object", "kind": "object", "key": "object", "list": "object", "owner": "object"})
        df["priority"] = df["priority"].astype("int32")
        return df

    def __repr__(self) -> str:
        personal = ", ".join(f"{o}: {len(l)}" for o, l in self.personal.items()) or "none"
        skipped = f"; skipped: {', '.join(f'{n} ({w})' for n, w in self.skipped)}" if self.skipped else ""
        return f"<Policy team: {len(self.team)} entries; personal lists: {personal}{skipped}>"

    def _repr_html_(self) -> str:
        return "".join(lst._repr_html_() for lst in self.lists)
