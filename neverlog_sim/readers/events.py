"""Contacts and tracking events: the two small tables a simulation reads beside the sent mail."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..entries import classify_recipient
from ..errors import InputError
from .tables import as_text, map_columns, read_table

def load_tracking(source: "str | Path | pd.DataFrame", *, columns: dict | None = None) -> pd.DataFrame:
    """Read tracking events ``message_id, recipient, event, occurred_at``; an empty recipient is an open by "Someone".

    >>> load_tracking(pd.DataFrame({"message_id": ["m1"], "recipient": ["Jo@Acme.com"], "event": ["OPEN"],
    ...                             "occurred_at": ["2024-01-02 10:00"]}))["event"].tolist()
    ['open']
    """
    table, label = read_table(source, what="tracking events")
    table = map_columns(table, ("message_id", "event"), ("recipient", "occurred_at"), columns,
                        f"tracking events from {label}")
    df = as_text(table).to_pandas()
    if "recipient" not in df:
        df["recipient"] = None
    if "occurred_at" not in df:
        df["occurred_at"] = pd.NaT
    df["occurred_at"] = _to_utc(df["occurred_at"], f"tracking events from {label}", "occurred_at")
    df["event"] = df["event"].astype("object").str.strip().str.lower()
    df["recipient"] = _read_addresses(df["recipient"])
    return df[["message_id", "recipient", "event", "occurred_at"]]


def load_contacts(source: "str | Path | pd.DataFrame", *, columns: dict | None = None) -> pd.DataFrame:
    """Read a contacts table ``email, created_at`` (the CRM's contact records before the history).

    >>> load_contacts(pd.DataFrame({"email": ["jo@acme.com"], "created_at": ["2023-05-01"]})).columns.tolist()
    ['email', 'created_at']
    """
    table, label = read_table(source, what="contacts")
    table = map_columns(table, ("email",), ("created_at",), columns, f"contacts from {label}")
    df = as_text(table).to_pandas()
    if "created_at" not in df:
        df["created_at"] = pd.NaT
    df["created_at"] = _to_utc(df["created_at"], f"contacts from {label}", "created_at")
    df["email"] = _read_addresses(df["email"])
    return df[["email", "created_at"]]


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


def _to_utc(series: pd.Series, what: str, column: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series
    else:
        s = pd.to_datetime(series.astype("object"), errors="coerce", utc=True, format="mixed")
        bad = series.notna() & (series.astype("object").astype(str).str.strip() != "") & s.isna()
        if bad.any():
            first = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(f"{what}: column {column!r}, row {first + 1}: {series.iloc[first]!r} is not a date; "
                             "use ISO 8601, e.g. 2024-03-01T09:30:00Z")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.astype("datetime64[us]")
