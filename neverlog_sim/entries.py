"""Never Log entries (see docs/rules.md#entry-syntax): the two HubSpot forms, normalisation, syntax and hints.

Also the lenient reading of recipient addresses found in data, which keeps addresses that
break the entry syntax but still have a local part and a domain.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from email.utils import getaddresses

import idna

from .errors import EntryError, EntryProblem

MAX_LOCAL = 64
MAX_DOMAIN = 253
MAX_ADDRESS = 254
MAX_LABEL = 63

# RFC 5322 atext less "*", which HubSpot reserves for the domain wildcard.
_ATEXT_PUNCT = set("!#$%&'+/=?^_`{|}~-")
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ANGLE_RE = re.compile(r"<([^<>]*)>")
FORM = "an entry is name@domain.com (one recipient) or *@domain.com (a whole domain)"


@functools.total_ordering
@dataclass(frozen=True)
class Entry:
    """One normalised Never Log entry. ``local`` is ``None`` for a domain entry.

    >>> str(parse_entry(" Jo@ACME.com "))
    'jo@acme.com'
    """

    domain: str
    local: str | None = None

    @property
    def kind(self) -> str:
        return "domain" if self.local is None else "address"

    @property
    def address(self) -> str | None:
        return None if self.local is None else f"{self.local}@{self.domain}"

    def __str__(self) -> str:
        return f"*@{self.domain}" if self.local is None else f"{self.local}@{self.domain}"

    def __repr__(self) -> str:
        return f"Entry({str(self)!r})"

    def __lt__(self, other: object) -> bool:
        # Sort as the HubSpot text form sorts; field order would compare local=None with a str.
        if not isinstance(other, Entry):
            return NotImplemented
        return str(self) < str(other)


class _Invalid(Exception):
    def __init__(self, reason: str, hint: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def to_ascii_domain(domain: str) -> str:
    """Lower-case a domain and convert it to its IDNA (ASCII) form; raise ``ValueError`` if impossible."""
    domain = domain.lower()
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"has a domain that cannot be converted to IDNA ({exc})") from None


def _check_domain(domain: str) -> str:
    """Return the ASCII form of a valid entry domain, or raise ``_Invalid``."""
    if not domain:
        raise _Invalid("has no domain after '@'")
    if domain.endswith("."):
        raise _Invalid("ends its domain with a dot")
    try:
        ascii_domain = to_ascii_domain(domain)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    if len(ascii_domain) > MAX_DOMAIN:
        raise _Invalid(f"has a domain of {len(ascii_domain)} characters; at most {MAX_DOMAIN} are allowed")
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        raise _Invalid("has a domain with one label; a domain needs at least two (acme.com)")
    for label in labels:
        if not label:
            raise _Invalid("has an empty label in its domain (two dots in a row, or a leading dot)")
        if len(label) > MAX_LABEL:
            raise _Invalid(f"has a domain label of {len(label)} characters; at most {MAX_LABEL} are allowed")
        if not _LABEL_RE.match(label):
            raise _Invalid(
                f"has the domain label {label!r}; labels are letters, digits and hyphens, "
                "with no hyphen at either end"
            )
    return ascii_domain


def _check_local(local: str) -> None:
    if not local:
        raise _Invalid("has nothing before '@'")
    if len(local) > MAX_LOCAL:
        raise _Invalid(f"has a local part of {len(local)} characters; at most {MAX_LOCAL} are allowed")
    if "*" in local:
        raise _Invalid(
            "uses a wildcard in the local part; HubSpot only accepts '*' as the whole local part "
            "(*@domain.com) — list each address, or block the whole domain"
        )
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise _Invalid("has a dot at the start or end of its local part, or two dots in a row")
    for ch in local:
        if not (ch == "." or ch.isalnum() or ch in _ATEXT_PUNCT):
            raise _Invalid(f"has the character {ch!r} in its local part, which HubSpot does not accept")


def _domain_only_hint(text: str) -> str | None:
    """For texts with no local part (``acme.com``, ``*.acme.com``, ``*acme.com``), the entry meant."""
    # A domain copied in its DNS form ("acme.com.") means the same domain.
    candidate = text.rstrip(".") if text.rstrip(".") else text
    for prefix in ("*.", "*", "."):
        if candidate.startswith(prefix):
            candidate = candidate[len(prefix):]
            break
    try:
        return f"*@{_check_domain(candidate)}"
    except _Invalid:
        return None


def _parse(text: str) -> Entry:
    """Parse an already stripped, lower-cased text strictly; raise ``_Invalid`` with a hint."""
    if not text:
        raise _Invalid("is empty")
    if "<" in text or ">" in text or '"' in text:
        inner = _ANGLE_RE.search(text)
        hint = None
        if inner:
            try:
                hint = str(_parse(inner.group(1).strip()))
            except _Invalid:
                hint = None
        raise _Invalid("has a display name or angle brackets; list the bare address", hint)
    if text.startswith("mailto:"):
        hint = None
        try:
            hint = str(_parse(text[len("mailto:"):]))
        except _Invalid:
            pass
        raise _Invalid("starts with 'mailto:'", hint)
    if any(ch.isspace() for ch in text):
        raise _Invalid("has white space inside it")
    if "@" not in text:
        raise _Invalid("has no '@'", _domain_only_hint(text))
    local, _, domain = text.rpartition("@")
    if local == "":
        raise _Invalid("has nothing before '@'", _domain_only_hint(domain))
    if "@" in local:
        raise _Invalid("has more than one '@'")
    if domain.endswith(".") and domain.rstrip("."):
        fixed = domain.rstrip(".")
        hint = None
        try:
            hint = str(_parse(f"{local}@{fixed}"))
        except _Invalid:
            pass
        raise _Invalid("ends its domain with a dot", hint)
    if local == "*":
        return Entry(domain=_check_domain(domain))
    if local in ("*.", ".*"):
        raise _Invalid("has a malformed wildcard", f"*@{_check_domain(domain)}")
    _check_local(local)
    ascii_domain = _check_domain(domain)
    entry = Entry(domain=ascii_domain, local=local)
    if len(str(entry)) > MAX_ADDRESS:
        raise _Invalid(f"is {len(str(entry))} characters long; an address has at most {MAX_ADDRESS}")
    return entry


def _prepare(text: object) -> str:
    if not isinstance(text, str):
        raise _Invalid(f"is a {type(text).__name__}, not text")
    stripped = text.strip()
    if _has_control(stripped):
        raise _Invalid("contains a control or invisible character")
    return stripped.lower()


def parse_entry(text: str) -> Entry:
    """Parse one Never Log entry strictly and return it normalised.

    Parameters: ``text``, e.g. ``"Jo@Acme.com"`` or ``"*@acme.com"``.
    Raises ``EntryError`` (a ``ValueError``) naming the rule broken and, for the usual
    mistakes, the entry that was probably meant.

    >>> parse_entry("*@Bücher.de").domain
    'xn--bcher-kva.de'
    """
    try:
        return _parse(_prepare(text))
    except _Invalid as exc:
        raise EntryError(EntryProblem(text=str(text), reason=exc.reason, hint=exc.hint)) from None


def parse_entry_lenient(text: str) -> tuple[Entry, str | None]:
    """Parse an entry, applying the hint of a usual mistake; return the entry and what was changed.

    Raises ``EntryError`` where no hint applies.
    """
    try:
        return _parse(_prepare(text)), None
    except _Invalid as exc:
        if exc.hint is None:
            raise EntryError(EntryProblem(text=str(text), reason=exc.reason)) from None
        return _parse(exc.hint), f"{exc.reason}; read as {exc.hint!r}"


# --- recipients found in data (lenient) -------------------------------------------------

_STANDARD_LOCAL_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.") | _ATEXT_PUNCT


def classify_recipient(raw: object) -> tuple[str | None, str]:
    """Read one address from data leniently; return ``(address, status)``.

    ``status`` is ``"standard"`` (passes entry syntax), ``"non_standard"`` (breaks it but has a
    local part and a domain, and is kept) or ``"unparseable"`` (no usable ``local@domain``; the
    address is ``None``). Display names and comments are stripped by ``email.utils``.
    """
    if raw is None or not isinstance(raw, str):
        return None, "unparseable"
    text = raw.strip()
    if not text:
        return None, "unparseable"
    if "<" in text or "(" in text or '"' in text:
        pairs = [addr for _, addr in getaddresses([text]) if addr]
        text = pairs[0].strip() if pairs else ""
    text = text.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:"):]
    quoted = len(text) > 2 and text[0] == text[-1] and text[0] in "'`"
    if quoted:
        # A whole address in stray quotes ('jo@acme.com'): the domain is acme.com, not "acme.com'".
        text = text[1:-1]
    local, at, domain = text.rpartition("@")
    local = local.strip()
    domain = domain.strip().rstrip(".").lower()
    if not at or not local or not domain or any(ch.isspace() for ch in domain) or _has_control(text):
        return None, "unparseable"
    try:
        domain = to_ascii_domain(domain)
    except ValueError:
        return None, "unparseable"
    address = f"{local.lower()}@{domain}"
    if quoted or local[0] in "'`" or local[-1] in "'`":
        # Legal atext, but in real data a leading or trailing quote is a paste accident
        # ('hutcheson@enron.com): kept as written, counted as non-standard (docs/rules.md#u2-stray-quotes).
        return address, "non_standard"
    try:
        entry = _parse(address)
        return str(entry), "standard"
    except _Invalid:
        return address, "non_standard"


def split_address_field(value: object) -> list[str]:
    """Split one To/Cc/Bcc field into address strings with a real address parser.

    Accepts ``,`` and ``;`` as separators, display names, quoted names with commas, comments
    and RFC 5322 groups (``Team: a@x.com, b@x.com;``). Returns raw address strings, each to be
    read by :func:`classify_recipient`; pieces with no address come back as they are so that
    the load report can count them.
    """
    if value is None or not isinstance(value, str):
        return []
    text = value.strip()
    if not text:
        return []
    # ';' separates addresses in Outlook pastes, and closes an RFC 5322 group; getaddresses
    # reads each piece, group name ("Team: a@x.com") included.
    pieces = _split_outside_quotes(text)
    out: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if not piece or (piece.endswith(":") and "@" not in piece):
            continue  # empty group, e.g. "Undisclosed recipients:;"
        parsed = [addr for _, addr in getaddresses([piece]) if addr]
        if parsed and all("@" in a for a in parsed):
            out.extend(parsed)
        else:
            out.append(piece)
    return out


def _split_outside_quotes(text: str) -> list[str]:
    pieces, buf, quoted, angle, depth = [], [], False, False, 0
    for ch in text:
        if ch == '"' and not angle:
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle = True
        elif ch == ">" and not quoted:
            angle = False
        elif ch == "(" and not quoted:
            depth += 1
        elif ch == ")" and not quoted and depth:
            depth -= 1
        if ch in ",;" and not quoted and not angle and not depth:
            pieces.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    pieces.append("".join(buf))
    return pieces
