"""Loading sent mail into the canonical model: one row per message × recipient, in DuckDB.

Every loader (canonical tables, HubSpot exports, mail files) ends in :func:`build_sent`, so the
lenient address reading and the load report (SEMANTICS §1) are the same whatever the source.
"""

from __future__ import annotations

import difflib
import glob as globmod
import html
import io
import itertools
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from . import sql
from .entries import classify_recipient, split_address_field
from .errors import InputError, MissingColumnsError, read_utf8

MESSAGE_LEVEL = ("message_id", "sent_at", "sender", "channel", "to", "cc", "bcc")
RECIPIENT_LEVEL = ("message_id", "sent_at", "sender", "channel", "recipient", "role")
OPTIONAL = ("log_enabled", "direction", "subject")
ROW_COLUMNS = ["message_id", "sent_at", "sender", "channel", "recipient", "role", "log_enabled", "direction"]
_counter = itertools.count(1)


def arrow_table(result) -> pa.Table:
    """A DuckDB result as an Arrow table (``to_arrow_table`` in DuckDB 2, ``fetch_arrow_table`` before)."""
    fetch = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DuckDB 2 notes the copy; these tables are read once
        return fetch()


def _progress(total: int | None, desc: str, enabled: bool):
    # delay=1: a bar appears only for loads that run longer than about a second.
    return tqdm(total=total, desc=desc, unit="step", delay=1.0, disable=not enabled, leave=False)


# --- reading ------------------------------------------------------------------------------

def _files(source: str | Path, suffixes: tuple[str, ...], what: str = "input") -> list[Path]:
    text = str(source)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in globmod.glob(text, recursive=True))
    else:
        path = Path(text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes)
        elif path.exists():
            files = [path]
        else:
            raise InputError(f"{what} {text!r} does not exist; give a CSV or Parquet file, a glob or a folder")
    if not files:
        raise InputError(f"{what} {text!r} matches no {' or '.join(suffixes)} files")
    return files


def read_table(source, *, what: str = "input") -> tuple[pa.Table, str]:
    """Read a DataFrame, Arrow table, CSV or Parquet (file, glob or folder) as text-typed Arrow; return it and a label."""
    if isinstance(source, pd.DataFrame):
        return pa.Table.from_pandas(source, preserve_index=False), "DataFrame"
    if isinstance(source, pa.Table):
        return source, "Arrow table"
    if not isinstance(source, (str, Path)):
        raise InputError(f"{what} must be a DataFrame or a path to CSV/Parquet, got {type(source).__name__}")
    files = _files(source, (".csv", ".parquet", ".pq", ".tsv"), what)
    kinds = {"parquet" if f.suffix.lower() in (".parquet", ".pq") else "csv" for f in files}
    if len(kinds) > 1:
        raise InputError(f"{str(source)!r} mixes CSV and Parquet files; point at one kind")
    con = duckdb.connect()
    names = [str(f) for f in files]
    try:
        if kinds == {"parquet"}:
            table = arrow_table(con.execute(sql.read_parquet(), [names]))
        else:
            table = arrow_table(con.execute(sql.read_csv(), [names]))
    except duckdb.Error as exc:
        if kinds == {"csv"}:
            for f in files:
                _diagnose_csv(f, what)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {what} {str(source)!r}: {first} — check that it is a valid "
                         f"{'Parquet' if kinds == {'parquet'} else 'CSV (UTF-8, header row)'} file") from None
    finally:
        con.close()
    if kinds == {"csv"} and (table.num_columns <= 1 or not _header_matches(files, table.column_names)):
        # DuckDB's sniffer copes with a ragged file by reading each line as one column, or by taking
        # a later line as the header; find the real fault so the message says which line to fix.
        for f in files:
            _diagnose_csv(f, what)
    return table, str(source)


def _header_matches(files: list[Path], columns: list[str]) -> bool:
    """Whether every file's first line holds the column names DuckDB read (empty names aside)."""
    import csv
    for f in files:
        with f.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline()
        delim = _delimiter(first)
        header = [h.strip() for h in next(csv.reader([first], delimiter=delim), [])]
        if any(h and h not in columns for h in header):
            return False
    return True


def _diagnose_csv(path: Path, what: str) -> None:
    """Raise an ``InputError`` naming the first line whose field count differs from the header's."""
    import csv
    text = read_utf8(path, f"{what} {str(path)!r}")
    if not text.strip():
        raise InputError(f"{what} {str(path)!r} is empty; it needs a header row and at least one row")
    delim = _delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = next(reader)
    start = 1
    for row in reader:
        if row and len(row) != len(header):
            raise InputError(f"{what} {str(path)!r}: line {start + 1} has {len(row)} fields, the header has "
                             f"{len(header)} — quote fields that contain {delim!r}, or remove the extra ones")
        start = reader.line_num


def _delimiter(header_line: str) -> str:
    """The field separator a CSV header line uses most."""
    return max(",;\t|", key=header_line.count)


def read_lookup_csv(path: str | Path, what: str, columns: str) -> pd.DataFrame:
    """Read a small lookup table (owners, aliases) as text; a missing or unreadable file is an ``InputError``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {str(path)!r} does not exist; give a CSV with columns {columns}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{what} {str(path)!r} is not a readable UTF-8 CSV: {exc}") from None


def _canon_name(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def map_columns(table: pa.Table, required: tuple[str, ...], optional: tuple[str, ...], columns: dict | None,
                what: str) -> pa.Table:
    """Rename columns to ours (case and spacing ignored, ``columns`` maps the rest); raise on missing ones."""
    columns = {str(k): str(v) for k, v in (columns or {}).items()}
    unknown_targets = sorted(set(columns.values()) - set(required) - set(optional))
    if unknown_targets:
        raise InputError(f"columns= maps to {unknown_targets!r}, which {what} does not use; "
                         f"our names are {list(required) + list(optional)!r}")
    new_names = []
    for name in table.column_names:
        if name in columns:
            new_names.append(columns[name])
        else:
            new_names.append(_canon_name(name))
    table = table.rename_columns(new_names)
    missing = [c for c in required if c not in new_names]
    if missing:
        suggestions = {}
        for col in missing:
            close = difflib.get_close_matches(col, table.column_names, n=1, cutoff=0.5)
            if close:
                suggestions[col] = close[0]
        raise MissingColumnsError(what, missing, list(table.column_names), suggestions)
    keep = [c for c in list(required) + list(optional) if c in new_names]
    return table.select(keep)


# --- the load report ---------------------------------------------------------------------

def _problem(problem: str, count: int, examples) -> dict:
    return {"problem": problem, "count": int(count), "examples": [str(e) for e in list(examples)[:3]]}


class SentMail:
    """Sent mail in the canonical model: one row per message × recipient, held in DuckDB.

    ``len()`` counts recipient rows; ``to_pandas()`` returns them; ``problems`` is the load
    report (nothing is dropped without being counted there).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, problems: list[dict], source: str,
                 tracking: pd.DataFrame | None = None):
        self.con = con
        self.table = table
        self.source = source
        self._problems = problems
        self.tracking = tracking
        stats = con.execute(sql.sent_stats(table)).fetchall()[0]
        self._rows, self.messages, self.senders, self.recipients, first, last = stats
        self.span = (first, last)
        self.channels = [c for (c,) in con.execute(sql.distinct_channels(table)).fetchall()]
        # Summaries the rules pick from: what channels and toggles each recipient's sends used, and
        # row counts by channel, role, direction and toggle. Built once, they spare the first
        # simulation on a history a pass over every row (see simulate.py).
        self.profile, self.row_profile = f"{table}_profile", f"{table}_rowprofile"
        con.execute(sql.recipient_profile(table, self.profile)).fetchall()
        con.execute(sql.row_profile(table, self.row_profile)).fetchall()
        # Tables that depend on the history and the rules but not on the lists (see simulate.py).
        self.cache: dict = {}
        self._pandas: pd.DataFrame | None = None

    def clear_cache(self) -> None:
        """Drop the per-history tables simulate() keeps for reuse (contacts, unblocked outcomes)."""
        for value in self.cache.values():
            if isinstance(value, str):  # a table name; the other entries are figures
                self.con.execute(sql.drop(value)).fetchall()
        self.cache.clear()

    def __len__(self) -> int:
        return int(self._rows)

    @property
    def problems(self) -> pd.DataFrame:
        """The load report: ``problem, count, examples``, one row per kind of oddity found."""
        return pd.DataFrame(self._problems, columns=["problem", "count", "examples"])

    def to_pandas(self) -> pd.DataFrame:
        """The recipient rows: message_id, sent_at, sender, channel, recipient, role, log_enabled, direction."""
        if self._pandas is None:
            self._pandas = self.con.execute(sql.sent_rows(self.table)).df()
        return self._pandas.copy()

    def summary(self) -> dict:
        first, last = self.span
        return {
            "source": self.source, "rows": len(self), "messages": int(self.messages),
            "senders": int(self.senders), "recipients": int(self.recipients),
            "first_sent_at": None if first is None else str(first), "last_sent_at": None if last is None else str(last),
            "problems": self._problems,
        }

    def __repr__(self) -> str:
        first, last = self.span
        lines = [f"<SentMail {len(self):,} recipient rows, {self.messages:,} messages, {self.senders:,} senders, "
                 f"{self.recipients:,} recipients; {first} .. {last}>"]
        for p in self._problems:
            lines.append(f"  {p['problem']}: {p['count']:,} (e.g. {', '.join(p['examples'][:2])})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        first, last = self.span
        head = (f"<b>Sent mail</b> from {html.escape(self.source)}: {len(self):,} recipient rows, "
                f"{self.messages:,} messages, {self.senders:,} senders, {self.recipients:,} recipients, "
                f"{html.escape(str(first))} to {html.escape(str(last))}")
        if not self._problems:
            return f"<div>{head}<br>Load report: no problems.</div>"
        rows = "".join(
            f"<tr><td>{html.escape(p['problem'])}</td><td style='text-align:right'>{p['count']:,}</td>"
            f"<td>{html.escape(', '.join(p['examples']))}</td></tr>" for p in self._problems)
        return (f"<div>{head}<table><thead><tr><th>load report</th><th>count</th><th>examples</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")


# --- building the canonical model ---------------------------------------------------------

def _address_map(con, raw_table: str, progress) -> None:
    """Classify every distinct raw address once: SQL for the standard ones, Python for the rest."""
    con.execute(sql.classify_fast(raw_table, "addr_fast"), [sql.STANDARD_ADDRESS])
    odd = con.execute(sql.odd_addresses("addr_fast")).fetchall()
    rows = [(raw, *classify_recipient(raw)) for (raw,) in tqdm(odd, desc="reading odd addresses", delay=1.0,
                                                              disable=not progress, leave=False)]
    odd_df = pd.DataFrame(rows, columns=["raw", "address", "status"]).astype(
        {"raw": "object", "address": "object", "status": "object"})
    con.register("addr_odd_df", odd_df)
    con.execute(sql.address_map("addr_fast", "addr_odd_df", "addr_map")).fetchall()
    con.unregister("addr_odd_df")
    con.execute(sql.drop("addr_fast")).fetchall()  # addr_map holds all of it now


def _explode_fields(con, progress) -> None:
    """Split each distinct To/Cc/Bcc field with a real address parser (one call per distinct field)."""
    fields = con.execute(sql.distinct_fields("msg")).fetchall()
    out_field, out_pos, out_raw = [], [], []
    for (field,) in tqdm(fields, desc="parsing address fields", delay=1.0, disable=not progress, leave=False):
        for pos, raw in enumerate(split_address_field(field)):
            out_field.append(field)
            out_pos.append(pos)
            out_raw.append(raw)
    con.register("field_split_df", pd.DataFrame({"field": pd.Series(out_field, dtype="object"),
                                                 "pos": pd.Series(out_pos, dtype="int64"),
                                                 "raw": pd.Series(out_raw, dtype="object")}))
    con.execute(sql.explode_message_level("msg", "field_split_df", "raw_rows"))
    con.unregister("field_split_df")


def build_sent(messages: pd.DataFrame | pa.Table, *, problems=(), source: str = "", tracking=None,
               progress: bool = True, columns: dict | None = None) -> SentMail:
    """Build the canonical ``SentMail`` from message- or recipient-level rows: the one door every loader uses.

    Parameters: ``messages`` with canonical columns (see ``load_sent``); ``problems`` a loader's
    own load-report rows (``problem, count, examples``); ``tracking`` events to attach.
    """
    table = messages if isinstance(messages, pa.Table) else pa.Table.from_pandas(messages, preserve_index=False)
    names = [_canon_name(c) for c in table.column_names]
    if "recipient" in names or "recipient" in (columns or {}).values():
        table = map_columns(table, RECIPIENT_LEVEL[:-1], ("role",) + OPTIONAL, columns, f"sent mail from {source}")
        level = "recipient"
    else:
        present = set(names) | set((columns or {}).values())
        required = ("message_id", "sent_at", "sender", "channel")
        optional = tuple(c for c in ("to", "cc", "bcc") if c in present) + OPTIONAL
        if not any(c in present for c in ("to", "cc", "bcc")):
            required = required + ("to",)
        table = map_columns(table, required, optional, columns, f"sent mail from {source}")
        level = "message"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # Row order is never relied on (rows are sorted when read out); without it DuckDB streams
    # large CREATE TABLE ... AS statements with much less memory.
    con.execute("SET preserve_insertion_order = false")
    name = f"sent_{next(_counter)}"
    text = _as_text(table)
    text = text.append_column(sql.SOURCE_ROW, pa.array(range(1, text.num_rows + 1), type=pa.int64()))
    typed_sent_at = pa.types.is_timestamp(text.schema.field("sent_at").type) or pa.types.is_date(
        text.schema.field("sent_at").type)
    con.register("src_arrow", text)
    has = set(table.column_names)
    steps = _progress(6, "loading sent mail", progress)
    try:
        report = list(problems)
        if level == "message":
            con.execute(sql.stage_message_level("src_arrow", "msg", [c for c in ("to", "cc", "bcc") if c in has],
                                                typed_sent_at, "log_enabled" in has, "direction" in has))
            steps.update()
            _explode_fields(con, progress)
        else:
            con.execute(sql.stage_recipient_level("src_arrow", "raw_rows", typed_sent_at, "role" in has,
                                                  "log_enabled" in has, "direction" in has))
            steps.update()
        steps.update()
        _address_map(con, "raw_rows", progress)
        steps.update()
        con.execute(sql.join_addresses("raw_rows", "addr_map", "joined")).fetchall()
        steps.update()
        con.execute(sql.repeated_keys("joined", "repeated")).fetchall()
        con.execute(sql.row_id_sequence(name)).fetchall()
        con.execute(sql.build_rows("joined", "repeated", name)).fetchall()
        steps.update()
        report += _load_report(con, name, "msg" if level == "message" else None)
        steps.update()
    except duckdb.Error as exc:
        raise InputError(f"cannot load sent mail from {source or 'input'}: {str(exc).splitlines()[0]}") from None
    finally:
        steps.close()
    con.execute(sql.drop_view("joined")).fetchall()
    con.execute(sql.drop_view("raw_rows") if level == "recipient" else sql.drop("raw_rows")).fetchall()
    con.unregister("src_arrow")
    for t in ("repeated", "addr_map", "msg"):
        con.execute(sql.drop(t)).fetchall()
    if tracking is not None and not isinstance(tracking, pd.DataFrame):
        tracking = load_tracking(tracking)
    return SentMail(con, name, [p for p in report if p["count"]], source or "input", tracking)


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as text except timestamps and booleans, so ids like 00123 and 123 stay as written."""
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_timestamp(t) or pa.types.is_boolean(t) or pa.types.is_date(t):
            cols.append(col)
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            cols.append(col.cast(pa.string()))
        elif pa.types.is_null(t):
            cols.append(pa.nulls(len(col), pa.string()))
        elif pa.types.is_dictionary(t):
            cols.append(col.cast(pa.string()))
        elif pa.types.is_floating(t):
            # Integer ids read through pandas as floats (NaN present) must not become "12.0".
            import pyarrow.compute as pc
            as_int = pc.if_else(pc.equal(col, pc.floor(col)), pc.cast(pc.floor(col), pa.int64(), safe=False), None)
            cols.append(pc.if_else(pc.is_null(as_int), pc.cast(col, pa.string()), pc.cast(as_int, pa.string())))
        else:
            cols.append(col.cast(pa.string()))
    return pa.table(cols, names=table.column_names)


def _load_report(con, rows: str, msg: str | None) -> list[dict]:
    """Count every oddity in one pass; quote examples only for the ones that occur."""
    *counts, kept = con.execute(sql.load_report_counts("joined")).fetchall()[0]
    out = []
    for i, ((label, _, _), count) in enumerate(zip(sql.LOAD_PROBLEMS, counts)):
        examples = [e for (e,) in con.execute(sql.load_report_examples("joined", i)).fetchall()] if count else []
        out.append(_problem(label, count, examples))
    merged = kept - con.execute(sql.row_count(rows)).fetchall()[0][0]
    out.append(_problem(sql.DUPLICATES, merged, []))
    if msg:
        count, examples = con.execute(sql.messages_without_recipient(msg, "joined")).fetchall()[0]
        out.append(_problem(sql.NO_RECIPIENT, count, examples or []))
    return out


def load_sent(source, *, columns: dict | None = None, format: str | None = None, progress: bool = True,
              **loader_options) -> SentMail:
    """Load sent mail into the canonical model.

    Parameters: ``source`` a DataFrame, a CSV or Parquet file, a glob or a folder — or an mbox /
    mail folder / HubSpot export, recognised automatically or named with ``format=``
    (``"canonical"``, ``"hubspot_api"``, ``"hubspot_ui"``, ``"mail"``); ``columns`` maps
    ``{"their name": "our name"}``.

    Canonical message level: ``message_id, sent_at, sender, channel, to, cc, bcc`` [+ ``log_enabled``,
    ``direction``]; recipient level: ``message_id, sent_at, sender, channel, recipient, role``.

    >>> sent = load_sent("data/samples/sent_canonical.csv")  # doctest: +SKIP
    """
    formats = ("canonical", "hubspot_api", "hubspot_ui", "mail", None)
    if format not in formats:
        raise InputError(f"format must be one of {list(formats)!r}, got {format!r}")
    if format == "mail" or (format is None and isinstance(source, (str, Path)) and _looks_like_mail(source)):
        from .mailfiles import load_mail
        return load_mail(source, progress=progress, **loader_options)
    table, label = read_table(source, what="sent mail")
    if format in ("hubspot_api", "hubspot_ui") or format is None:
        from . import hubspot
        detected = hubspot.detect_format(table.column_names) if format is None else format
        if detected:
            return hubspot.load_hubspot(source, format=detected, columns=columns, progress=progress,
                                        **loader_options)
    if loader_options:
        raise InputError(f"options {sorted(loader_options)!r} apply to HubSpot or mail-file sources only")
    return build_sent(table, source=label, progress=progress, columns=columns)


def _looks_like_mail(source) -> bool:
    path = Path(str(source))
    if path.is_file():
        if path.suffix.lower() in (".mbox", ".mbx", ".eml"):
            return True
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    if path.is_dir():
        return not any(p.suffix.lower() in (".csv", ".parquet", ".pq", ".tsv") for p in path.rglob("*"))
    return False


# --- tracking events and contacts ------------------------------------------------------------

def load_tracking(source, *, columns: dict | None = None) -> pd.DataFrame:
    """Read tracking events ``message_id, recipient, event, occurred_at``; an empty recipient is an open by "Someone"."""
    table, label = read_table(source, what="tracking events")
    table = map_columns(table, ("message_id", "event"), ("recipient", "occurred_at"), columns,
                        f"tracking events from {label}")
    df = _as_text(table).to_pandas()
    if "recipient" not in df:
        df["recipient"] = None
    if "occurred_at" not in df:
        df["occurred_at"] = pd.NaT
    df["occurred_at"] = _to_utc(df["occurred_at"], f"tracking events from {label}", "occurred_at")
    df["event"] = df["event"].astype("object").str.strip().str.lower()
    df["recipient"] = _read_addresses(df["recipient"])
    return df[["message_id", "recipient", "event", "occurred_at"]]


def load_contacts(source, *, columns: dict | None = None) -> pd.DataFrame:
    """Read a contacts table ``email, created_at`` (the CRM's contact records before the history)."""
    table, label = read_table(source, what="contacts")
    table = map_columns(table, ("email",), ("created_at",), columns, f"contacts from {label}")
    df = _as_text(table).to_pandas()
    if "created_at" not in df:
        df["created_at"] = pd.NaT
    df["created_at"] = _to_utc(df["created_at"], f"contacts from {label}", "created_at")
    df["email"] = _read_addresses(df["email"])
    return df[["email", "created_at"]]


def _read_addresses(series: pd.Series) -> pd.Series:
    """Read addresses written with display names or comments as the rows read them (SEMANTICS §1).

    Only values with a character a bare ``local@domain`` never has go through the Python parser;
    SQL lower-cases the rest. A value with no address stays as written, so it matches nothing
    rather than turning into an open by "Someone".
    """
    import pyarrow.compute as pc
    values = pa.array(series, type=pa.string(), from_pandas=True)
    # Non-ASCII too: an internationalised domain is matched in its IDNA form (SEMANTICS §1).
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
