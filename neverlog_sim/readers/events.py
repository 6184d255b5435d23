"""Contacts and tracking events: the two small tables a simulation reads beside the sent mail."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..entries import classify_recipient
from ..errors import InputError, quote
from .dates import iso_dates
from .tables import as_text, map_columns, read_table

#: Tracking event kinds, compared lower-cased with spaces and hyphens as underscores. Only opens and
#: clicks are tracking activity in the feed and on timelines (docs/rules.md#tracking-events); the
#: other kinds that email tools export are known, counted in ``tracking.attrs["problems"]`` and left out.
EVENT_KINDS = {
    "open": "open", "opened": "open", "opens": "open", "email_open": "open", "email_opened": "open",
    "open_event": "open",
    "click": "click", "clicked": "click", "clicks": "click", "email_click": "click", "email_clicked": "click",
    "click_event": "click", "link_click": "click", "link_clicked": "click",
}
OTHER_KINDS = ("sent", "send", "delivered", "delivery", "processed", "deferred", "dropped", "bounce", "bounced",
               "hard_bounce", "soft_bounce", "reply", "replied", "forward", "forwarded", "print", "printed",
               "spamreport", "spam_report", "spam", "unsubscribe", "unsubscribed", "statuschange", "status_change",
               "suppressed", "failed", "scheduled")
NOT_FEED = "tracking events that are not opens or clicks (left out of the feed and timelines)"
UNKNOWN_KIND = "tracking events of unknown kind (left out; opens and clicks are read)"
NO_EVENT = "tracking rows with no event (left out)"


def load_tracking(source: "str | Path | pd.DataFrame", *, columns: dict | None = None, encoding: str | None = None,
                  dayfirst: bool | None = None) -> pd.DataFrame:
    """Read tracking events ``message_id, recipient, event, occurred_at``; an empty recipient is an open by "Someone".

    Event kinds are mapped (HubSpot's ``OPEN``/``CLICK``, ``opened``, ``email_click``, ...); only
    opens and clicks are kept. Rows of other kinds (sent, delivered, bounce, reply, ...) and of
    unknown kinds are counted in ``result.attrs["problems"]`` (the tracking load report), with
    examples, never read as feed events.

    >>> load_tracking(pd.DataFrame({"message_id": ["m1"], "recipient": ["Jo@Acme.com"], "event": ["OPEN"],
    ...                             "occurred_at": ["2024-01-02 10:00"]}))["event"].tolist()
    ['open']
    """
    notes: list[dict] = list(source.attrs.get("problems", [])) if isinstance(source, pd.DataFrame) else []
    table, label = read_table(source, what="tracking events", encoding=encoding, report=notes)
    what = f"tracking events from {label}"
    table = map_columns(table, ("message_id", "event"), ("recipient", "occurred_at"), columns, what, notes)
    df = as_text(table, what).to_pandas()
    if "recipient" not in df:
        df["recipient"] = None
    if "occurred_at" not in df:
        df["occurred_at"] = pd.NaT
    df["occurred_at"] = _to_utc(df["occurred_at"], what, "occurred_at", dayfirst)
    raw = df["event"].astype("object")
    key = raw.str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    kind = key.map(EVENT_KINDS)
    other = kind.isna() & key.isin(OTHER_KINDS)
    empty = key.isna() | (key == "")
    unknown = kind.isna() & ~other & ~empty
    rows = pd.Series(range(1, len(df) + 1), index=df.index)
    for label_, mask in ((NOT_FEED, other), (UNKNOWN_KIND, unknown), (NO_EVENT, empty)):
        if mask.any():
            examples = ([f"row {r}" for r in rows[mask].head(3)] if label_ == NO_EVENT else
                        [f"{quote(v)}: {n:,} rows" for v, n in raw[mask].value_counts().head(3).items()])
            notes.append({"problem": label_, "count": int(mask.sum()), "examples": examples})
    df["event"] = kind
    df["recipient"] = _read_addresses(df["recipient"])
    out = df.loc[kind.notna(), ["message_id", "recipient", "event", "occurred_at"]].reset_index(drop=True)
    out.attrs["problems"] = [{k: v for k, v in p.items() if k != "hints"} for p in notes]
    return out


def load_contacts(source: "str | Path | pd.DataFrame", *, columns: dict | None = None, encoding: str | None = None,
                  dayfirst: bool | None = None) -> pd.DataFrame:
    """Read a contacts table ``email, created_at`` (the CRM's contact records before the history).

    >>> load_contacts(pd.DataFrame({"email": ["jo@acme.com"], "created_at": ["2023-05-01"]})).columns.tolist()
    ['email', 'created_at']
    """
    notes: list[dict] = list(source.attrs.get("problems", [])) if isinstance(source, pd.DataFrame) else []
    table, label = read_table(source, what="contacts", encoding=encoding, report=notes)
    what = f"contacts from {label}"
    table = map_columns(table, ("email",), ("created_at",), columns, what, notes)
    df = as_text(table, what).to_pandas()
    if "created_at" not in df:
        df["created_at"] = pd.NaT
    df["created_at"] = _to_utc(df["created_at"], what, "created_at", dayfirst)
    df["email"] = _read_addresses(df["email"])
    out = df[["email", "created_at"]]
    out.attrs["problems"] = [{k: v for k, v in p.items() if k != "hints"} for p in notes]
    return out


def _read_addresses(series: pd.Series) -> pd.Series:
    """Read addresses written with display names or comments as the rows read them (docs/rules.md#recipients-in-your-data).

    Only values with a character a bare ``local@domain`` never has go through the Python parser;
    SQL lower-cases the rest. A value with no address stays as written, so it matches nothing
    rather than turning into an open by "Someone".
    """
    import pyarrow.compute as pc
    values = pa.array(series, type=pa.string(), from_pandas=True)
    # Non-ASCII too: an internationalised domain is matched in its IDNA form (docs/rules.md#normalisation).
    odd = pc.unique(pc.filter(values, pc.match_substring_regex(values, r'[<>(),;:"\s]|[^\x00-\x7f]'))).to_pylist()
    found = {v: a for v in odd if (a := classify_recipient(v)[0])}
    return series.replace(found) if found else series


def _to_utc(series: pd.Series, what: str, column: str, dayfirst: bool | None = None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series
    else:
        text = series.astype("object").where(series.notna(), None)
        text = text.where(text.map(type).eq(str), text.astype(str).where(series.notna(), None))
        iso = iso_dates(pa.array(text, type=pa.string(), from_pandas=True), dayfirst=dayfirst, what=what, column=column)
        iso = pd.Series(iso.to_pandas(), index=series.index, dtype="object")
        try:
            s = pd.to_datetime(iso, errors="coerce", utc=True, format="mixed")
        except (ValueError, OverflowError, TypeError) as exc:
            raise InputError(f"{what}: column {column!r} cannot be read as dates ({quote(str(exc))}); "
                             "use ISO 8601, e.g. 2024-03-01T09:30:00Z") from None
        bad = series.notna() & (series.astype("object").astype(str).str.strip() != "") & s.isna()
        if bad.any():
            first = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(f"{what}: column {column!r}, row {first + 1}: {quote(series.iloc[first])} is not a "
                             "date; use ISO 8601, e.g. 2024-03-01T09:30:00Z")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.astype("datetime64[us]")
