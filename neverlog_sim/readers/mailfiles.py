"""Sent mail from mail files: an mbox (Gmail Takeout "Sent", Thunderbird) or a folder of messages.

Each message becomes one canonical message-level row (``message_id, sent_at, sender, channel,
to, cc, bcc, log_enabled, direction``) that :func:`neverlog_sim.ingest.build_sent` turns into
recipient rows. Only headers are read. Real mail is untidy, so every oddity met on the way
(folded headers, encoded words, groups, comments, repeated headers, missing To, non-UTF-8
bytes, malformed dates, the same message filed twice) is counted in the load report with an
example; a message is kept wherever it has a recipient.
"""

from __future__ import annotations

import hashlib
import mailbox
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from ..entries import classify_recipient, split_address_field
from ..errors import InputError
from .tables import read_lookup_csv

__all__ = ["load_mail", "read_mail", "read_aliases"]

# Mailboxes repeat the same few addresses thousands of times: read each one once.
_classify = lru_cache(maxsize=100_000)(classify_recipient)

MESSAGE_COLUMNS = [
    "message_id", "sent_at", "sender", "channel", "to", "cc", "bcc", "log_enabled", "direction", "subject",
    "in_reply_to",
]
# Folder names that say which way a message went (docs/rules.md#incoming-email-in-2026).
_INBOX_WORDS = {"inbox", "received", "incoming"}
_SENT_WORDS = {"sent", "sent_mail", "sent_items", "sent mail", "sent items", "outbox", "sent messages"}
_MESSAGE_ID_RE = re.compile(r"<([^<>\s]+)>")
ROLES = ("to", "cc", "bcc")
NO_RECIPIENT = "messages with no recipient (set aside)"
MAX_EXAMPLES = 3

# compat32 keeps header bytes as they came (non-ASCII as surrogate escapes), which lets us see
# and count non-UTF-8 bytes; the "default" policy repairs them silently and raises on some
# malformed address headers found in the Enron folders.
_PARSER = BytesParser(policy=compat32)
_FIELD_RE = re.compile(rb"^[!-9;-~]+:")
_ENCODED_WORD_RE = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_QUOTED_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUP_RE = re.compile(r"(?:^|[,;])\s*[^,;:<>@()]*:")
_NOT_MAIL_SUFFIXES = {
    ".msf", ".md", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".zip", ".gz", ".json", ".csv", ".xlsx",
    ".xls", ".doc", ".docx", ".html", ".htm", ".py", ".sqlite", ".dat", ".db", ".pst", ".ost",
}
_MAIL_HEADERS = (b"from:", b"to:", b"date:", b"subject:", b"message-id:", b"cc:", b"bcc:")


class _Problems:
    """Counted problems with a few examples each, in the order first met."""

    def __init__(self) -> None:
        self._items: dict[str, dict] = {}

    def add(self, problem: str, example: str, count: int = 1) -> None:
        item = self._items.setdefault(problem, {"problem": problem, "count": 0, "examples": []})
        item["count"] += count
        example = example if len(example) <= 120 else example[:119] + "…"
        if len(item["examples"]) < MAX_EXAMPLES and example not in item["examples"]:
            item["examples"].append(example)

    def to_list(self) -> list[dict]:
        return [dict(item, examples=list(item["examples"])) for item in self._items.values()]


# --- aliases -------------------------------------------------------------------------------

def read_aliases(aliases: object) -> dict[str, str]:
    """Read an alias table (one person, several addresses) into ``{address: user}``.

    Parameters: ``aliases`` — a dict ``{alias: user}``, a DataFrame or a CSV path with columns
    ``alias, user``; addresses are compared lower-cased.

    >>> read_aliases({"Rick.Buy@enron.com": "rbuy@enron.com"})
    {'rick.buy@enron.com': 'rbuy@enron.com'}
    """
    if aliases is None:
        return {}
    if isinstance(aliases, Mapping):
        pairs = list(aliases.items())
    else:
        if isinstance(aliases, (str, os.PathLike)):
            frame = read_lookup_csv(aliases, "alias table", "alias, user")
            where = f"alias table {str(aliases)!r}"
        elif isinstance(aliases, pd.DataFrame):
            frame, where = aliases, "alias table"
        else:
            raise InputError(
                f"aliases must be a dict, a DataFrame or a CSV path with columns alias, user; "
                f"got a {type(aliases).__name__}"
            )
        cols = {str(c).strip().lower(): c for c in frame.columns}
        missing = [c for c in ("alias", "user") if c not in cols]
        if missing:
            raise InputError(
                f"{where} is missing column(s) {missing!r}; it has {list(map(str, frame.columns))!r}. "
                "An alias table has columns alias (an address) and user (who it belongs to)"
            )
        pairs = list(zip(frame[cols["alias"]], frame[cols["user"]]))
    out: dict[str, str] = {}
    for alias, user in pairs:
        if not isinstance(alias, str) or not isinstance(user, str) or not alias.strip() or not user.strip():
            raise InputError(f"alias table has an empty or non-text pair ({alias!r}, {user!r}); both must be addresses")
        out[alias.strip().lower()] = user.strip().lower()
    return out


# --- finding messages ------------------------------------------------------------------------

def _natural_key(path: Path) -> list:
    # Enron files are named 1., 2., ..., 10.: sort them as numbers so "first filed" is stable.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def _sniff(head: bytes) -> str:
    """Return ``"mbox"``, ``"message"`` or ``"other"`` for the first bytes of a file."""
    if b"\x00" in head:
        return "other"
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head  # a UTF-8 byte-order mark
    text = text.lstrip(b"\r\n")
    if text.startswith(b"From "):
        return "mbox"
    lines = text.splitlines()
    if lines and lines[0].strip().isdigit():  # Apple Mail .emlx: a byte count, then the message
        lines = lines[1:]
    if not lines or not _FIELD_RE.match(lines[0]):
        return "other"
    header_block = []
    for line in lines:
        if not line.strip():
            break
        header_block.append(line.lower())
    return "message" if any(line.startswith(_MAIL_HEADERS) for line in header_block) else "other"


def _message_sources(root: Path, problems: _Problems) -> list[tuple[str, Path]]:
    """List ``(kind, path)`` under ``root`` (a file or a folder searched recursively)."""
    if not root.exists():
        raise InputError(f"mail source {str(root)!r} does not exist; give an mbox file or a folder of message files")
    files = [root] if root.is_file() else sorted((p for p in root.rglob("*") if p.is_file()), key=_natural_key)
    found: list[tuple[str, Path]] = []
    for path in files:
        shown = path.relative_to(root).as_posix() if path != root else path.name
        if path.name.startswith(".") or path.suffix.lower() in _NOT_MAIL_SUFFIXES:
            kind = "other"
        else:
            try:
                with open(path, "rb") as fh:
                    kind = _sniff(fh.read(4096))
            except OSError as exc:
                problems.add("files that could not be read (skipped)", f"{shown}: {exc.strerror}")
                continue
        if kind == "other":
            if path == root:
                raise InputError(
                    f"{str(root)!r} is neither an mbox file (first line 'From ...') nor a mail message "
                    "(header lines such as 'From:', 'To:', 'Date:'); give an mbox or a folder of messages"
                )
            problems.add("files that are not mail messages (skipped)", shown)
            continue
        found.append((kind, path))
    return found


def _iter_raw(sources: list[tuple[str, Path]], root: Path, problems: _Problems):
    """Yield ``(where, raw bytes)`` for every message of every source."""
    for kind, path in sources:
        shown = path.relative_to(root).as_posix() if path != root else path.name
        if kind == "message":
            try:
                raw = path.read_bytes()
            except OSError as exc:
                problems.add("files that could not be read (skipped)", f"{shown}: {exc.strerror}")
                continue
            if path.suffix.lower() == ".emlx":
                raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark would hide the first header
            yield shown, raw
            continue
        try:
            box = mailbox.mbox(str(path), create=False)
            keys = list(box.iterkeys())
        except (OSError, mailbox.Error) as exc:
            raise InputError(f"mbox {str(path)!r} cannot be read: {exc}") from None
        for number, key in enumerate(keys, start=1):
            yield f"{shown}, message {number}", box.get_bytes(key)
        box.close()


# --- reading one message -----------------------------------------------------------------------

def _text(value: object, where: str, name: str, problems: _Problems) -> str:
    """Header value as text: bytes decoded (UTF-8, else Windows-1252, counted), folds unfolded."""
    value = str(value)
    try:
        raw = value.encode("ascii", "surrogateescape")
        text = raw.decode("utf-8")
    except UnicodeEncodeError:
        text = value  # already text (e.g. a Header object rendered by str())
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        problems.add("headers with non-UTF-8 bytes (read as Windows-1252)", f"{where}: {name}: {text.strip()[:80]}")
    if "\n" in text or "\r" in text:
        problems.add("headers folded over several lines (unfolded)", f"{where}: {name}")
        text = re.sub(r"\r?\n[ \t]*", " ", text)
    return text.strip()


def _decode_words(text: str, where: str, name: str, problems: _Problems) -> str:
    """Decode RFC 2047 encoded words (``=?utf-8?q?...?=``); count them; never raise."""
    if not _ENCODED_WORD_RE.search(text):
        return text
    try:
        decoded = str(make_header(decode_header(text)))
    except (UnicodeError, LookupError, ValueError, TypeError):
        problems.add("RFC 2047 encoded words that could not be decoded (kept as written)", f"{where}: {name}: {text[:80]}")
        return text
    problems.add("RFC 2047 encoded words (decoded)", f"{where}: {name}: {decoded[:80]}")
    return decoded


def _headers(msg: Message, name: str, where: str, problems: _Problems) -> list[str]:
    values = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
    return [_text(v, where, name, problems) for v in values]


def _addresses(msg: Message, name: str, where: str, problems: _Problems) -> list[str]:
    """The address pieces of every ``name`` header (repeated headers merged), as build_sent reads them."""
    values = _headers(msg, name, where, problems)
    if len(values) > 1:
        problems.add(f"repeated {name} headers (merged)", f"{where}: {len(values)} {name} headers")
    pieces: list[str] = []
    for value in values:
        bare = _QUOTED_RE.sub('""', value)
        if _GROUP_RE.search(bare):
            problems.add("address groups (read as their members)", f"{where}: {name}: {value[:80]}")
        if "(" in bare:
            problems.add("comments in addresses (removed)", f"{where}: {name}: {value[:80]}")
        if _ENCODED_WORD_RE.search(value):
            # Display names are dropped anyway; only an address hidden inside an encoded word
            # (some mailers encode the whole field) needs decoding to be found.
            problems.add("RFC 2047 encoded words (decoded)", f"{where}: {name}: {value[:80]}")
        for piece in split_address_field(value):
            if "@" not in piece and _ENCODED_WORD_RE.search(piece):
                piece = _decode_words(piece, where, name, problems)
            pieces.append(piece)
    return pieces


def _first(msg: Message, name: str, where: str, problems: _Problems) -> str:
    values = _headers(msg, name, where, problems)
    if len(values) > 1 and len(set(values)) > 1:
        problems.add(f"repeated {name} headers (the first one used)", f"{where}: {len(values)} {name} headers")
    return values[0] if values else ""


def _sender(value: str, aliases: dict[str, str], where: str, problems: _Problems) -> str | None:
    """The From address, mapped through the alias table; a From with no address is passed as written."""
    if not value:
        problems.add("messages with no From header (sender left empty)", where)
        return None
    candidates = [addr for _, addr in getaddresses([value]) if "@" in addr]
    address = _classify(candidates[0])[0] if candidates else None
    if address is None:
        return value  # build_sent reports it as "senders that are not an address", with the value
    return aliases.get(address, address)


def _parse_date(value: str, where: str, problems: _Problems):
    if not value:
        problems.add("messages with no Date header (sent_at left empty)", where)
        return pd.NaT
    try:
        moment = parsedate_to_datetime(value)
        stamp = pd.Timestamp(moment)
        return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")
    except (TypeError, ValueError, IndexError, OverflowError):
        problems.add("malformed Date headers (sent_at left empty)", f"{where}: Date: {value[:60]!r}")
        return pd.NaT


def _has_recipient(pieces: list[str]) -> bool:
    return any(_classify(piece)[0] is not None for piece in pieces)


def _stable_id(key: tuple) -> str:
    return "sha1:" + hashlib.sha1(repr(key).encode("utf-8", "surrogatepass")).hexdigest()[:20]


# --- public -------------------------------------------------------------------------------------

def read_mail(path, *, aliases=None, channel: str = "extension", progress: bool = True) -> tuple[pd.DataFrame, list[dict]]:
    """Read an mbox or a folder of message files into canonical message rows and a problems list.

    Parameters: ``path`` — an mbox file, one message file, or a folder searched recursively
    (files of any name: ``.eml``, Enron's ``1.``; non-mail files are skipped and counted);
    ``aliases`` — ``{alias: user}``, DataFrame or CSV (``alias, user``) mapping a From address
    to the user it belongs to; ``channel`` — the channel of every message (``"extension"``);
    ``progress`` — show a progress bar on loads longer than a second.

    Messages filed twice (same Date, From, recipients and Subject) are read once; a message
    with no recipient is set aside. ``log_enabled`` is True (mail files do not record the
    "Log in CRM" toggle; the simulation assumes it was on).

    ``direction``: ``inbound`` for a message in a folder or mbox named like an inbox (``inbox``,
    ``received``, ``incoming``), ``outbound`` in one named like a sent folder; elsewhere, with an
    alias table, ``inbound`` when From is none of the users or their aliases, else ``outbound``. An
    incoming message's recipients are the users (and aliases) among its To/Cc/Bcc when the alias
    table names any, else all of them. ``in_reply_to`` holds the ids of its ``In-Reply-To`` and
    ``References`` headers (docs/rules.md#reply-threads).

    >>> messages, problems = read_mail("Sent.mbox", progress=False)  # doctest: +SKIP
    """
    if not isinstance(channel, str) or not channel.strip():
        raise InputError(f"channel must be a channel name such as 'extension', got {channel!r}")
    alias_map = read_aliases(aliases)
    users = set(alias_map) | set(alias_map.values())
    root = Path(path)
    problems = _Problems()
    sources = _message_sources(root, problems)
    if not sources:
        raise InputError(
            f"no mail messages found in {str(root)!r}; expected an mbox file or message files "
            "(header lines such as 'From:', 'To:', 'Date:')"
        )
    rows: list[dict] = []
    seen_keys: dict[tuple, str] = {}
    seen_ids: dict[str, tuple] = {}
    bar = tqdm(total=None if any(k == "mbox" for k, _ in sources) else len(sources), desc="reading mail",
               unit="msg", delay=1.0, disable=not progress)
    try:
        for where, raw in _iter_raw(sources, root, problems):
            bar.update(1)
            msg = _PARSER.parsebytes(raw, headersonly=True)
            row = _read_message(msg, where, alias_map, problems)
            if row is None:
                continue
            key = row.pop("_key")
            if key in seen_keys:
                problems.add(
                    "duplicate messages folded (same Date, From, recipients and Subject)",
                    f"{where} = {seen_keys[key]}",
                )
                continue
            seen_keys[key] = where
            mid = row["message_id"]
            if mid in seen_ids:
                problems.add("Message-IDs shared by different messages (made unique)", f"{where}: {mid}")
                row["message_id"] = f"{mid}#{_stable_id(key)}"
            seen_ids[row["message_id"]] = key
            row["channel"] = channel
            _set_direction(row, root, where, users, alias_map)
            rows.append(row)
    finally:
        bar.close()
    frame = pd.DataFrame(rows, columns=MESSAGE_COLUMNS)
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True)
    frame["log_enabled"] = frame["log_enabled"].astype(bool)
    return frame, problems.to_list()


def _read_message(msg: Message, where: str, aliases: dict[str, str], problems: _Problems) -> dict | None:
    to, cc, bcc = (_addresses(msg, name, where, problems) for name in ("To", "Cc", "Bcc"))
    if not to and (cc or bcc):
        problems.add("messages with no To (recipients from Cc/Bcc)", where)
    if not _has_recipient(to + cc + bcc):
        problems.add(NO_RECIPIENT, where)
        return None
    date_text = _first(msg, "Date", where, problems)
    sent_at = _parse_date(date_text, where, problems)
    from_text = _first(msg, "From", where, problems)
    sender = _sender(from_text, aliases, where, problems)
    subject = " ".join(_decode_words(_first(msg, "Subject", where, problems), where, "Subject", problems).split())
    recipients = tuple(
        tuple(sorted(a for a in (_classify(p)[0] for p in pieces) if a)) for pieces in (to, cc, bcc)
    )
    from_address = _classify(from_text)[0] if from_text else None
    key = (sent_at.isoformat() if sent_at is not pd.NaT else date_text, from_address or from_text, recipients, subject)
    message_id = _first(msg, "Message-ID", where, problems).strip()
    if not message_id:
        problems.add("messages with no Message-ID (a stable hash used)", where)
        message_id = _stable_id(key)
    refs = " ".join(_headers(msg, "In-Reply-To", where, problems) + _headers(msg, "References", where, problems))
    reply_ids = list(dict.fromkeys(_MESSAGE_ID_RE.findall(refs))) or refs.split()
    return {
        "message_id": message_id,
        "sent_at": sent_at,
        "sender": sender,
        "to": ", ".join(to),
        "cc": ", ".join(cc),
        "bcc": ", ".join(bcc),
        "log_enabled": True,
        "direction": "outbound",
        "subject": subject,
        "in_reply_to": " ".join(reply_ids) or None,
        "_key": key,
        "_from": from_address,
        "_pieces": (to, cc, bcc),
    }


def _folder_direction(root: Path, where: str) -> str | None:
    """``inbound``/``outbound`` when a folder or mbox name on the message's path says so."""
    path = where.split(", message ")[0]
    words = [root.name] + path.split("/")
    found = None
    for word in words:
        w = word.lower().lstrip("_").rsplit(".", 1)[0] if "." in word.lstrip(".") else word.lower().lstrip("_")
        w = w.replace("-", "_")
        if w in _INBOX_WORDS:
            found = "inbound"
        elif w in _SENT_WORDS or w.replace("_", " ") in _SENT_WORDS:
            found = "outbound"
    return found


def _set_direction(row: dict, root: Path, where: str, users: set[str], aliases: dict[str, str]) -> None:
    """The message's direction (folder name, else whether From is a user); an incoming message goes to its users."""
    pieces = row.pop("_pieces")
    from_address = row.pop("_from")
    direction = _folder_direction(root, where)
    if direction is None:
        direction = "inbound" if users and from_address not in users else "outbound"
    row["direction"] = direction
    if direction == "inbound" and users:
        mine = [[aliases.get(a, a) for a in (_classify(p)[0] for p in group) if a in users] for group in pieces]
        if any(mine):
            row["to"], row["cc"], row["bcc"] = (", ".join(dict.fromkeys(g)) for g in mine)
