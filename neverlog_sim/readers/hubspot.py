"""Sent mail from HubSpot email engagements: the CRM API / warehouse shape and the UI export.

HubSpot holds logged email only, so every row it gives is a logged send (``log_enabled`` is
True). How HubSpot's fields become our channel, direction and sender is one table,
:data:`HUBSPOT_MAPPING`, documented below and overridable with ``mapping=``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from ..entries import classify_recipient
import io

import pyarrow as pa

from ..errors import AmbiguousInputError, InputError, MissingColumnsError, detect_encoding, quote, read_text
from .dates import iso_dates
from .tables import DIFFERENT_COLUMNS, find_files, read_lookup_csv

__all__ = ["HUBSPOT_MAPPING", "detect_format", "load_hubspot", "read_owners", "to_canonical"]

#: HubSpot fields → our channel, direction and which rows are sends. Override any section with
#: ``mapping={"logged_from": {"SALES_EXTENSION": "extension"}}`` (sections are merged).
#: Values are compared upper-cased with spaces as underscores, so UI labels ("Incoming email")
#: read like API values ("INCOMING_EMAIL").
#:
#: * ``object_source``: ``hs_object_source`` values whose channel wins over everything else.
#: * ``logged_from``: ``hs_email_logged_from`` → channel.
#: * ``direction_channel``: channel from ``hs_email_direction`` when ``logged_from`` is empty.
#: * ``direction``: ``hs_email_direction`` → ``outbound`` / ``inbound``.
#: * ``sent_status`` / ``unsent_status``: ``hs_email_status`` values kept as sent mail, and
#:   values never sent (set aside and counted). An empty status is read as sent.
#: * ``empty_channel``: the channel of a row with neither a known source nor ``logged_from``
#:   (reported by ``build_sent`` as an unknown channel, so it is never silently exempt).
HUBSPOT_MAPPING: dict = {
    "object_source": {"INTEGRATION": "integration"},
    "logged_from": {
        "CRM": "crm",
        "EXTENSION": "extension",
        "BCC": "bcc_forward",
        "FORWARD": "bcc_forward",
        "TEAM_INBOX": "team_inbox",
        "CONVERSATIONS": "team_inbox",
        "INTEGRATION": "integration",
    },
    "direction_channel": {"FORWARDED_EMAIL": "bcc_forward"},
    "direction": {"EMAIL": "outbound", "FORWARDED_EMAIL": "outbound", "INCOMING_EMAIL": "inbound"},
    "sent_status": ["SENT", "BOUNCED"],
    "unsent_status": ["FAILED", "SCHEDULED", "SENDING"],
    "empty_channel": "unknown",
}

# Our internal names are the API property names; UI labels are matched ignoring case and spacing.
API_FIELDS = (
    "hs_object_id", "hs_timestamp", "hs_email_direction", "hs_email_status", "hs_email_from_email",
    "hs_email_to_email", "hs_email_cc_email", "hs_email_bcc_email", "hubspot_owner_id", "hs_email_logged_from",
    "hs_email_sent_via", "hs_object_source", "hs_email_open_count", "hs_email_click_count", "hs_email_thread_id",
    "hs_email_subject",
)
UI_LABELS = {
    "record id": "hs_object_id",
    "activity date": "hs_timestamp",
    "activity assigned to": "hubspot_owner_id",
    "email direction": "hs_email_direction",
    "email send status": "hs_email_status",
    "from": "hs_email_from_email",
    "from email": "hs_email_from_email",
    "to": "hs_email_to_email",
    "to email": "hs_email_to_email",
    "cc": "hs_email_cc_email",
    "bcc": "hs_email_bcc_email",
    "logged from": "hs_email_logged_from",
    "sent via": "hs_email_sent_via",
    "object source": "hs_object_source",
    "record source": "hs_object_source",
    "number of opens": "hs_email_open_count",
    "number of clicks": "hs_email_click_count",
    "thread id": "hs_email_thread_id",
    "email subject": "hs_email_subject",
    "subject": "hs_email_subject",
}
REQUIRED = ("hs_object_id", "hs_timestamp", "hs_email_to_email")
NO_DIRECTION = "emails with an unknown or empty direction (set aside)"
FORMATS = ("hubspot_api", "hubspot_ui")
_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".xlsx", ".xls")
MAX_EXAMPLES = 3


def _squash(name: object) -> str:
    return re.sub(r"[\s_\-.]+", "", str(name)).lower()


_UI_SQUASHED = {_squash(label): field for label, field in UI_LABELS.items()}


def _api_name(name: object) -> str | None:
    text = str(name).strip().lower()
    if text.startswith("property_"):
        text = text[len("property_"):]  # warehouse syncs prefix every property
    return text if text in API_FIELDS else None


def detect_format(columns) -> str | None:
    """Say which HubSpot shape a table's columns are: ``"hubspot_api"``, ``"hubspot_ui"`` or None.

    The API / warehouse shape needs ``hs_timestamp`` and one ``hs_email_*`` property (with or
    without the ``property_`` prefix); the UI export needs "Activity date" and "Email direction"
    or "Email send status" (case and spacing ignored).

    >>> detect_format(["hs_object_id", "hs_timestamp", "hs_email_to_email"])
    'hubspot_api'
    """
    api = {_api_name(c) for c in columns} - {None}
    if "hs_timestamp" in api and any(f.startswith("hs_email_") for f in api):
        return "hubspot_api"
    ui = {_UI_SQUASHED.get(_squash(c)) for c in columns} - {None}
    if "hs_timestamp" in ui and ui & {"hs_email_direction", "hs_email_status", "hs_email_logged_from"}:
        return "hubspot_ui"
    return None


class _Problems:
    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def add(self, problem: str, count: int, examples) -> None:
        if count:
            item = self.items.setdefault(problem, {"problem": problem, "count": 0, "examples": []})
            item["count"] += int(count)
            for ex in examples:
                ex = str(ex) if len(str(ex)) <= 80 else quote(str(ex))[1:-1]  # a 5 MB cell is not quoted whole
                if len(item["examples"]) < MAX_EXAMPLES and ex not in item["examples"]:
                    item["examples"].append(ex)


def _merge_mapping(mapping) -> dict:
    merged = copy.deepcopy(HUBSPOT_MAPPING)
    if mapping is None:
        return merged
    if not isinstance(mapping, Mapping):
        raise InputError(f"mapping must be a dict of sections of HUBSPOT_MAPPING, got a {type(mapping).__name__}")
    for section, value in mapping.items():
        if section not in merged:
            raise InputError(f"mapping section {section!r} is not one of {sorted(merged)!r}")
        if isinstance(merged[section], dict):
            if not isinstance(value, Mapping):
                raise InputError(f"mapping[{section!r}] must be a dict of HubSpot value → ours, got {value!r}")
            merged[section].update(value)
        elif isinstance(merged[section], list):
            merged[section] = list(value) if not isinstance(value, str) else [value]
        else:
            merged[section] = value
    norm = {}
    for section, value in merged.items():
        if isinstance(value, dict):
            norm[section] = {_value_key(k): str(v).strip().lower() for k, v in value.items()}
        elif isinstance(value, list):
            norm[section] = [_value_key(v) for v in value]
        else:
            norm[section] = str(value).strip().lower()
    return norm


def _value_key(value: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip()).upper()


def read_owners(owners) -> pd.DataFrame:
    """Read the owners table (``id, email``; an optional ``name`` also matches) as text.

    >>> read_owners({"101": "ana@acme.com"})["email"].tolist()
    ['ana@acme.com']
    """
    if owners is None:
        return pd.DataFrame(columns=["id", "email", "name"])
    if isinstance(owners, Mapping):
        frame = pd.DataFrame({"id": list(owners.keys()), "email": list(owners.values())})
        where = "owners table"
    elif isinstance(owners, pd.DataFrame):
        frame, where = owners, "owners table"
    elif isinstance(owners, (str, os.PathLike)):
        where = f"owners table {str(owners)!r}"
        frame = read_lookup_csv(owners, "owners table", "id, email")
    else:
        raise InputError(f"owners must be a DataFrame, a dict or a CSV path with columns id, email; "
                         f"got a {type(owners).__name__}")
    cols = {_squash(c): c for c in frame.columns}
    aliases = {"id": ("id", "ownerid", "hubspotownerid"), "email": ("email", "owneremail"), "name": ("name",)}
    found = {ours: next((cols[a] for a in names if a in cols), None) for ours, names in aliases.items()}
    missing = [c for c in ("id", "email") if found[c] is None]
    if missing:
        raise MissingColumnsError(where, missing, [str(c) for c in frame.columns], {})
    out = pd.DataFrame({k: frame[v].astype("object") if v is not None else None for k, v in found.items()})
    return out.astype("object").where(out.notna(), "").astype(str).apply(lambda s: s.str.strip())


def _rename(df: pd.DataFrame, fmt: str, columns: dict | None) -> pd.DataFrame:
    if columns:
        left_out = [k for k, v in columns.items() if v is None and k in df.columns]  # {"theirs": None} drops it
        columns = {k: v for k, v in columns.items() if v is not None}
        unknown = sorted(set(map(str, columns.values())) - set(API_FIELDS) - set(UI_LABELS))
        if unknown:
            raise InputError(f"columns= maps to {unknown!r}, which a HubSpot export does not use; "
                             f"our names are the API properties {list(API_FIELDS)!r} or their UI labels")
        df = df.drop(columns=left_out).rename(columns={k: v for k, v in columns.items() if k in df.columns})
    squashed: dict[str, list[str]] = {}
    for col in df.columns:
        squashed.setdefault(_squash(col), []).append(str(col))
    clash = next((names for names in squashed.values() if len(names) > 1), None)
    if clash:
        raise AmbiguousInputError(f"HubSpot export: the columns {' and '.join(repr(n) for n in clash)} read as the "
                                  f"same name; we will not pick one — rename or remove one of them")
    renamed, taken = {}, {}
    for col in df.columns:
        field = _api_name(col) if fmt == "hubspot_api" else _UI_SQUASHED.get(_squash(col))
        if field is None and fmt == "hubspot_ui":
            field = _api_name(col)  # a mapped column given its API name
        if field and field in taken:
            # Two columns for one property ("To" and "To email", or a label beside its API name):
            # keeping either would silently drop the other's values.
            raise AmbiguousInputError(
                f"HubSpot export: the columns {taken[field]!r} and {str(col)!r} both read as {field!r}; we will not "
                f"pick one — remove one, or leave it out with columns={{{str(col)!r}: None}} "
                f"(command line: --columns '{col}=')")
        if field:
            renamed[col] = field
            taken[field] = str(col)
    return df[list(renamed)].rename(columns=renamed)


def _per_value(values: pd.Series, fn) -> pd.Series:
    """``values.map(fn)`` computed once per distinct value (exports repeat a few values many times)."""
    return values.map({v: fn(v) for v in values.unique()})


def _as_text(values: pd.Series) -> pd.Series:
    """A column as stripped text, "" for missing; whole floats (ids read by pandas with NaN) lose ".0"."""
    if pd.api.types.is_float_dtype(values):
        whole = values.notna() & (values == values.round())
        text = values.astype(str).where(~whole, values.where(whole, 0).astype("int64").astype(str))
    elif pd.api.types.is_datetime64_any_dtype(values):
        text = values.astype(str)
    else:
        text = values.astype("object").astype(str)
    return text.where(values.notna(), "").str.strip()


def _timestamps(values: pd.Series, dayfirst: bool | None = None) -> pd.Series:
    text = values.astype(str).str.strip()
    iso = iso_dates(pa.array(text.where(text != "", None), type=pa.string(), from_pandas=True), dayfirst=dayfirst,
                    what="HubSpot export", column="hs_timestamp")
    text = pd.Series(iso.to_pandas(), index=values.index).fillna("").astype(str)
    numeric = pd.to_numeric(text.where(text.str.fullmatch(r"\d{9,14}(\.0+)?"), None), errors="coerce")
    # The API gives ISO 8601 text, warehouse syncs often epoch milliseconds; seconds below 1e11.
    from_epoch = pd.to_datetime(numeric.where(numeric >= 1e11) // 1, unit="ms", utc=True, errors="coerce")
    from_epoch = from_epoch.fillna(pd.to_datetime(numeric.where(numeric < 1e11) // 1, unit="s", utc=True,
                                                  errors="coerce"))
    from_text = pd.to_datetime(text.where(numeric.isna() & (text != ""), None), utc=True, errors="coerce",
                               format="mixed")
    return from_epoch.fillna(from_text)


def _counts(values: pd.Series, name: str, ids: pd.Series, problems: _Problems) -> pd.Series:
    text = values.astype(str).str.strip()
    number = pd.to_numeric(text.where(text != "", "0"), errors="coerce")
    bad = number.isna() | (number < 0) | (number != number.round())
    problems.add(f"{name} values that are not a whole number (read as 0)", int(bad.sum()),
                 [f"{i}: {v!r}" for i, v in zip(ids[bad], text[bad])])
    return number.where(~bad, 0).astype("int64")


def to_canonical(df: pd.DataFrame, *, owners=None, mapping=None, format: str | None = None, columns=None,
                 dayfirst: bool | None = None):
    """Turn a HubSpot email export into canonical message rows, tracking events and problems.

    Parameters: ``df`` the export as read (text columns); ``owners`` an ``id, email`` table
    (DataFrame, dict or CSV) giving a sender where ``hs_email_from_email`` is empty; ``mapping``
    overrides of :data:`HUBSPOT_MAPPING`; ``format`` ``"hubspot_api"`` / ``"hubspot_ui"`` (detected
    when None); ``columns`` maps ``{"their name": "our name"}`` first.

    Returns ``(messages, tracking, problems)``: ``messages`` has ``message_id, sent_at, sender,
    channel, to, cc, bcc, log_enabled, direction, subject``; ``tracking`` one unattributed event
    (recipient empty, at the send's time) per counted open or click; ``problems`` the rows set
    aside or read with a default, each counted with examples.

    >>> messages, tracking, problems = to_canonical(pd.read_csv("emails.csv", dtype=str))  # doctest: +SKIP
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"a HubSpot export must be read into a DataFrame first, got a {type(df).__name__}")
    cols = list(df.columns)
    if columns:
        cols = [columns.get(c, c) for c in cols]
    fmt = format or detect_format(cols)
    if fmt not in FORMATS:
        if format is not None:
            raise InputError(f"format must be one of {list(FORMATS)!r}, got {format!r}")
        raise InputError(
            f"the table is not a HubSpot email export: its columns {[str(c) for c in df.columns]!r} have neither "
            "the API properties (hs_timestamp, hs_email_...) nor the UI labels ('Activity date', 'Email direction')"
        )
    rules = _merge_mapping(mapping)
    owner_table = read_owners(owners)
    data = _rename(df, fmt, columns)
    missing = [c for c in REQUIRED if c not in data.columns]
    if missing:
        wanted = missing if fmt == "hubspot_api" else [next(k for k, v in UI_LABELS.items() if v == m) for m in missing]
        raise MissingColumnsError(f"HubSpot export ({fmt})", wanted, [str(c) for c in df.columns], {})
    data = pd.DataFrame({c: _as_text(data[c]) for c in data.columns}, index=data.index)
    problems = _Problems()
    if "hs_email_direction" not in data.columns:
        # Exports of a "sent emails" view often leave the direction out; say what we assumed.
        data["hs_email_direction"] = "EMAIL"
        problems.add("no email direction column (every row read as a sent EMAIL)", len(data), [fmt])
    for col in API_FIELDS:
        if col not in data.columns:
            data[col] = ""
    ids = data["hs_object_id"]
    # Rows without a record id are named by their CSV line (header = line 1).
    where = ids.where(ids != "", "line " + pd.Series(range(2, len(data) + 2), index=data.index).astype(str))

    # Which rows are sends: status first (never-sent rows are set aside), then direction.
    status = data["hs_email_status"].pipe(_per_value, _value_key)
    unsent = status.isin(rules["unsent_status"])
    for value in sorted(status[unsent].unique()):
        hit = status == value
        problems.add(f"emails with status {value} (never sent; set aside)", int(hit.sum()), where[hit])
    odd_status = ~unsent & (status != "") & ~status.isin(rules["sent_status"])
    problems.add("unknown email status values (kept as sent)", int(odd_status.sum()),
                 [f"{w}: {v!r}" for w, v in zip(where[odd_status], data["hs_email_status"][odd_status])])
    direction_key = data["hs_email_direction"].pipe(_per_value, _value_key)
    direction = direction_key.map(rules["direction"])
    no_dir = direction.isna() & ~unsent
    problems.add(NO_DIRECTION, int(no_dir.sum()),
                 [f"{w}: {quote(v)}" for w, v in zip(where[no_dir], data["hs_email_direction"][no_dir])])

    keep = ~unsent & ~no_dir

    # Channel: object source wins, then logged_from, then the direction (forwarded), else unknown.
    source_key = data["hs_object_source"].pipe(_per_value, _value_key)
    logged_key = data["hs_email_logged_from"].pipe(_per_value, _value_key)
    channel = source_key.map(rules["object_source"])
    channel = channel.fillna(logged_key.map(rules["logged_from"]))
    from_direction = direction_key.map(rules["direction_channel"]).where(logged_key == "")
    channel = channel.fillna(from_direction)
    unknown_logged = channel.isna() & (logged_key != "") & keep
    problems.add("unknown logged_from values (kept; channel is the value lower-cased)", int(unknown_logged.sum()),
                 [f"{w}: {v!r}" for w, v in zip(where[unknown_logged], data["hs_email_logged_from"][unknown_logged])])
    channel = channel.fillna(data["hs_email_logged_from"].str.lower().where(logged_key != ""))
    no_channel = channel.isna() & keep
    problems.add(f"emails with no logged_from or source (channel {rules['empty_channel']!r})", int(no_channel.sum()),
                 where[no_channel])
    channel = channel.fillna(rules["empty_channel"])

    sender = _per_value(data["hs_email_from_email"], lambda v: classify_recipient(v)[0] or v if v else "")
    # The owner sent an outbound email; on an inbound one the owner is who received it.
    use_owner = (sender == "") & (direction == "outbound") & keep
    owner_email = _owner_emails(data["hubspot_owner_id"], owner_table, where, use_owner, problems)
    sender = sender.where(~use_owner, owner_email)
    no_sender = (sender == "") & keep & (data["hubspot_owner_id"] == "")
    problems.add("emails with no sender (no from address, no owner)", int(no_sender.sum()), where[no_sender])

    sent_at = _timestamps(data["hs_timestamp"], dayfirst)
    bad_time = sent_at.isna() & keep
    problems.add("unreadable timestamps (kept, undated)", int(bad_time.sum()),
                 [f"{w}: {v!r}" for w, v in zip(where[bad_time], data["hs_timestamp"][bad_time])])

    message_id = ids.copy()
    no_id = (ids == "") & keep
    if no_id.any():
        hashed = data[no_id].apply(lambda r: "sha1:" + hashlib.sha1("\x1f".join(r).encode()).hexdigest()[:20], axis=1)
        message_id[no_id] = hashed
    problems.add("emails with no record id (a stable hash used)", int(no_id.sum()), where[no_id])
    dup = message_id.where(keep).duplicated() & keep
    problems.add("record ids listed twice (loaded once)", int(dup.sum()), message_id[dup])
    keep &= ~dup

    messages = pd.DataFrame({
        "message_id": message_id, "sent_at": sent_at, "sender": sender.replace("", None), "channel": channel,
        "to": data["hs_email_to_email"], "cc": data["hs_email_cc_email"], "bcc": data["hs_email_bcc_email"],
        "log_enabled": True, "direction": direction, "subject": data["hs_email_subject"],
        # HubSpot's thread id places an incoming email in its thread (docs/rules.md#reply-threads).
        "thread_id": data["hs_email_thread_id"].replace("", None),
    })[keep].reset_index(drop=True)
    opens = _counts(data["hs_email_open_count"][keep], "open count", where[keep], problems).reset_index(drop=True)
    clicks = _counts(data["hs_email_click_count"][keep], "click count", where[keep], problems).reset_index(drop=True)
    tracking = _tracking(messages, opens, clicks)
    return messages, tracking, list(problems.items.values())


def _owner_emails(owner_ids: pd.Series, owners: pd.DataFrame, where: pd.Series, keep: pd.Series,
                  problems: _Problems) -> pd.Series:
    """Owner id (or, in UI exports, owner name or email) → email; unknown owners counted."""
    by_id = dict(zip(owners["id"], owners["email"]))
    by_name = {n.lower(): e for n, e in zip(owners["name"], owners["email"]) if n}

    def one(value: str) -> str:
        if not value:
            return ""
        hit = by_id.get(value) or by_id.get(value.split(".")[0]) or by_name.get(value.lower())
        if hit:
            return hit.lower()
        address, _ = classify_recipient(value)
        return address or ""

    emails = _per_value(owner_ids, one)
    needed = keep & (emails == "") & (owner_ids != "")
    problems.add("owner ids not in the owners table (no sender)", int(needed.sum()),
                 [f"{w}: owner {v!r}" for w, v in zip(where[needed], owner_ids[needed])])
    return emails


def _tracking(messages: pd.DataFrame, opens: pd.Series, clicks: pd.Series) -> pd.DataFrame:
    parts = []
    for event, counts in (("open", opens), ("click", clicks)):
        idx = messages.index.repeat(counts.to_numpy())
        parts.append(pd.DataFrame({"message_id": messages["message_id"].to_numpy()[idx], "event": event,
                                   "occurred_at": messages["sent_at"].to_numpy()[idx]}))
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "recipient", pd.Series([None] * len(out), dtype="object"))
    out["occurred_at"] = pd.to_datetime(out["occurred_at"], utc=True).dt.tz_localize(None).astype("datetime64[us]")
    return out[["message_id", "recipient", "event", "occurred_at"]]


def _read_file(path: Path, encoding: str | None = None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path).astype("object")
        if suffix in (".xlsx", ".xls"):
            try:
                return pd.read_excel(path, dtype=str, keep_default_na=False)
            except ImportError:
                raise
            except Exception as exc:  # zipfile, openpyxl and xlrd each have their own errors for a bad workbook
                raise InputError(f"cannot read the workbook {quote(str(path))} ({type(exc).__name__}: "
                                 f"{quote(str(exc), 120)[1:-1]}); export the view from HubSpot again, or as CSV"
                                 ) from None
        sep = "\t" if suffix == ".tsv" else ","
        with path.open("rb") as fh:
            bom = detect_encoding(fh.read(4))
        if encoding is None and bom in (None, "utf-8-sig"):
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=sep)
        text = read_text(path, f"HubSpot export {quote(str(path))}", encoding)
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except ImportError as exc:
        raise InputError(f"{str(path)!r} needs an optional package to be read ({exc.name}); export the view as "
                         "CSV from HubSpot, or install it") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(f"{quote(str(path))}, line {line}: byte {exc.object[exc.start]:#04x} is not UTF-8; "
                         "export the file as UTF-8 (HubSpot's own exports are)") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{quote(str(path))} is empty; expected a header row of HubSpot email properties") from None
    except (pd.errors.ParserError, ValueError, OSError, TypeError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read HubSpot export {quote(str(path))}: {quote(text, 160)[1:-1]}") from None


def _read(source, progress, encoding=None, notes: list | None = None) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source, "DataFrame"
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"a HubSpot export must be a DataFrame or a path to CSV/Parquet/.xlsx, "
                         f"got a {type(source).__name__}")
    files = find_files(source, _SUFFIXES, "HubSpot export", notes)
    frames = [_read_file(f, encoding) for f in tqdm(files, desc="reading HubSpot export", unit="file", delay=1.0,
                                                    disable=not progress, leave=False)]
    first = {_squash(c) for c in frames[0].columns}
    odd = [(f, sorted(first ^ {_squash(c) for c in fr.columns})) for f, fr in zip(files[1:], frames[1:])
           if {_squash(c) for c in fr.columns} != first]
    if odd and notes is not None:
        notes.append({"problem": DIFFERENT_COLUMNS, "count": len(odd),
                      "examples": [f"{f.name}: {', '.join(cols[:4])}" for f, cols in odd[:3]]})
    return (frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)), str(source)


def read_hubspot(source, *, owners=None, mapping=None, format: str | None = None, columns=None,
                 progress: bool = True, encoding: str | None = None, dayfirst: bool | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict], str]:
    """Read a HubSpot email export into canonical messages, tracking events and load-report rows.

    Returns ``(messages, tracking, problems, label)``; ``history.load_hubspot`` turns them into a
    ``SentMail``. Parameters as there.
    """
    notes: list[dict] = []
    frame, label = _read(source, progress, encoding, notes)
    messages, tracking, problems = to_canonical(frame, owners=owners, mapping=mapping, format=format,
                                                columns=columns, dayfirst=dayfirst)
    problems = notes + problems
    if messages.empty:
        raise InputError(f"HubSpot export {label!r} has no sent or received emails to load "
                         f"({len(frame)} rows; see the problems: "
                         f"{', '.join(p['problem'] for p in problems) or 'none'})")
    return messages, tracking, problems, label
