"""The history: sent mail in the canonical model, one row per message × recipient, held by an engine.

``load_sent`` picks a reader (canonical tables, HubSpot exports, mail files: ``readers/``), and every
reader's canonical table goes through :func:`build_sent`, so the lenient address reading and the
load report (docs/rules.md#recipients-in-your-data) are the same whatever the source.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from .engine import DuckDBEngine, sql
from .entries import classify_recipient, split_address_field
from .errors import ArgumentError, InputError, SetAsideError, quote, set_aside_line, set_aside_share
from .readers.canonical import MESSAGE_LEVEL, OPTIONAL, RECIPIENT_LEVEL, ROW_COLUMNS, canonical_table, looks_like_mail
from .readers import hubspot, mailfiles
from .readers.dates import check_dayfirst, iso_dates
from .readers.events import load_contacts, load_tracking
from .readers.tables import as_text, check_columns, frame_to_arrow, read_table

__all__ = ["SentMail", "build_sent", "load_sent", "load_hubspot", "load_mail", "load_contacts", "load_tracking",
           "MESSAGE_LEVEL", "RECIPIENT_LEVEL", "OPTIONAL", "ROW_COLUMNS"]
_counter = itertools.count(1)


def _progress(total: int | None, desc: str, enabled: bool):
    # delay=1: a bar appears only for loads that run longer than about a second.
    return tqdm(total=total, desc=desc, unit="step", delay=1.0, disable=not enabled, leave=False)


# --- the load report ---------------------------------------------------------------------

def _problem(problem: str, count: int, examples) -> dict:
    return {"problem": problem, "count": int(count), "examples": [quote(str(e))[1:-1] if len(str(e)) > 80 else str(e)
                                                                 for e in list(examples)[:3]]}


#: The share of messages or rows a load may set aside before it refuses (``max_set_aside=``).
MAX_SET_ASIDE = 0.01
#: Load-report rows of readers that count messages set aside before ``build_sent`` sees them.
READER_SET_ASIDE = (mailfiles.NO_RECIPIENT, hubspot.NO_DIRECTION)
#: Every load-report row that counts messages or rows set aside (the causes a ``SetAsideError`` names).
SET_ASIDE = READER_SET_ASIDE + (sql.LOAD_PROBLEMS[0][0], sql.NO_RECIPIENT, sql.EMPTY_RECIPIENT)


def check_max_set_aside(value, function: str = "load_sent") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{function}(): max_set_aside must be a share between 0 and 1 (0.01 = 1%); "
                            f"got {type(value).__name__} {quote(value)}")
    if not 0 <= value <= 1:
        raise InputError(f"{function}(): max_set_aside must be between 0 and 1 (0.01 = 1%, 1.0 accepts any loss); "
                         f"got {value!r}")
    return float(value)


class SentMail:
    """Sent mail in the canonical model: one row per message × recipient, held in DuckDB.

    ``len()`` counts recipient rows; ``to_pandas()`` returns them; ``problems`` is the load
    report (nothing is dropped without being counted there).
    """

    def __init__(self, engine: DuckDBEngine, table: str, problems: list[dict], source: str,
                 tracking: pd.DataFrame | None = None, set_aside: dict | None = None):
        self.engine = engine
        #: What the load set aside: ``messages``/``messages_total`` and ``rows``/``rows_total``.
        self.set_aside = dict(set_aside or {"messages": 0, "messages_total": 0, "rows": 0, "rows_total": 0})
        self.table = table
        self.source = source
        self._problems = problems
        self.tracking = tracking
        stats = engine.rows(sql.sent_stats(table))[0]
        self._rows, self.messages, self.senders, self.recipients, first, last = stats
        self.span = (first, last)
        self.channels = [c for (c,) in engine.rows(sql.distinct_channels(table))]
        # Summaries the rules pick from: what channels and toggles each recipient's sends used, and
        # row counts by channel, role, direction and toggle. Built once, they spare the first
        # simulation on a history a pass over every row (see simulate.py).
        self.profile, self.row_profile = f"{table}_profile", f"{table}_rowprofile"
        engine.run(sql.recipient_profile(table, self.profile))
        engine.run(sql.row_profile(table, self.row_profile))
        # Tables that depend on the history and the rules but not on the lists (see simulate.py).
        self.cache: dict = {}
        self._pandas: pd.DataFrame | None = None

    def clear_cache(self) -> None:
        """Drop the per-history tables simulate() keeps for reuse (contacts, unblocked outcomes)."""
        for value in self.cache.values():
            if isinstance(value, str):  # a table name; the other entries are figures
                self.engine.run(sql.drop(value))
        self.cache.clear()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection behind the history (for your own SQL on ``self.table``)."""
        return self.engine.con

    def __len__(self) -> int:
        return int(self._rows)

    @property
    def problems(self) -> pd.DataFrame:
        """The load report: ``problem, count, examples``, one row per kind of oddity found."""
        return pd.DataFrame(self._problems, columns=["problem", "count", "examples"])

    def to_pandas(self) -> pd.DataFrame:
        """The recipient rows: message_id, sent_at, sender, channel, recipient, role, log_enabled, direction."""
        if self._pandas is None:
            self._pandas = self.engine.df(sql.sent_rows(self.table))
        return self._pandas.copy()

    def summary(self) -> dict:
        first, last = self.span
        return {
            "source": self.source, "rows": len(self), "messages": int(self.messages),
            "senders": int(self.senders), "recipients": int(self.recipients),
            "first_sent_at": None if first is None else str(first), "last_sent_at": None if last is None else str(last),
            "problems": self._problems, "set_aside": dict(self.set_aside),
        }

    def __repr__(self) -> str:
        first, last = self.span
        warning = set_aside_line(self.set_aside)
        lines = [f"WARNING {warning}"] if warning else []
        lines += [f"<SentMail {len(self):,} recipient rows, {self.messages:,} messages, {self.senders:,} senders, "
                 f"{self.recipients:,} recipients; {first} .. {last}>"]
        for p in self._problems:
            lines.append(f"  {p['problem']}: {p['count']:,} (e.g. {', '.join(p['examples'][:2])})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        first, last = self.span
        head = (f"<b>Sent mail</b> from {html.escape(self.source)}: {len(self):,} recipient rows, "
                f"{self.messages:,} messages, {self.senders:,} senders, {self.recipients:,} recipients, "
                f"{html.escape(str(first))} to {html.escape(str(last))}")
        warning = set_aside_line(self.set_aside)
        if warning:
            head = f"<p style='color:#cf222e'><b>Warning</b>: {html.escape(warning)}.</p>" + head
        if not self._problems:
            return f"<div>{head}<br>Load report: no problems.</div>"
        rows = "".join(
            f"<tr><td>{html.escape(p['problem'])}</td><td style='text-align:right'>{p['count']:,}</td>"
            f"<td>{html.escape(', '.join(p['examples']))}</td></tr>" for p in self._problems)
        return (f"<div>{head}<table><thead><tr><th>load report</th><th>count</th><th>examples</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")


# --- building the canonical model ---------------------------------------------------------

def _address_map(engine: DuckDBEngine, raw_table: str, progress) -> None:
    """Classify every distinct raw address once: SQL for the standard ones, Python for the rest."""
    engine.run(sql.classify_fast(raw_table, "addr_fast"), [sql.STANDARD_ADDRESS])
    odd = engine.rows(sql.odd_addresses("addr_fast"))
    rows = [(raw, *classify_recipient(raw)) for (raw,) in tqdm(odd, desc="reading odd addresses", delay=1.0,
                                                              disable=not progress, leave=False)]
    odd_df = pd.DataFrame(rows, columns=["raw", "address", "status"]).astype(
        {"raw": "object", "address": "object", "status": "object"})
    engine.register("addr_odd_df", odd_df)
    engine.run(sql.address_map("addr_fast", "addr_odd_df", "addr_map"))
    engine.unregister("addr_odd_df")
    engine.run(sql.drop("addr_fast"))  # addr_map holds all of it now


def _explode_fields(engine: DuckDBEngine, progress) -> None:
    """Split each distinct To/Cc/Bcc field with a real address parser (one call per distinct field)."""
    fields = engine.rows(sql.distinct_fields("msg"))
    out_field, out_pos, out_raw = [], [], []
    for (field,) in tqdm(fields, desc="parsing address fields", delay=1.0, disable=not progress, leave=False):
        for pos, raw in enumerate(split_address_field(field)):
            out_field.append(field)
            out_pos.append(pos)
            out_raw.append(raw)
    engine.register("field_split_df", pd.DataFrame({"field": pd.Series(out_field, dtype="object"),
                                                 "pos": pd.Series(out_pos, dtype="int64"),
                                                 "raw": pd.Series(out_raw, dtype="object")}))
    engine.run(sql.explode_message_level("msg", "field_split_df", "raw_rows"))
    engine.unregister("field_split_df")


def build_sent(messages: pd.DataFrame | pa.Table, *, problems=(), source: str = "", tracking=None,
               progress: bool = True, columns: dict | None = None, dayfirst: bool | None = None,
               max_set_aside: float = MAX_SET_ASIDE) -> SentMail:
    """Build the canonical ``SentMail`` from message- or recipient-level rows: the one door every loader uses.

    Parameters: ``messages`` with canonical columns (see ``load_sent``); ``problems`` a loader's
    own load-report rows (``problem, count, examples``; the rows named in ``READER_SET_ASIDE``
    count messages the reader set aside); ``tracking`` events to attach; ``dayfirst`` how numeric dates
    are written; ``max_set_aside`` the share of messages or rows that may be set aside before
    ``SetAsideError`` is raised (docs/rules.md#the-load-report).
    """
    dayfirst = check_dayfirst(dayfirst, "build_sent")
    max_set_aside = check_max_set_aside(max_set_aside, "build_sent")
    what = f"sent mail from {source or 'input'}"
    if isinstance(messages, pa.Table):
        table = messages
    elif isinstance(messages, pd.DataFrame):
        table = frame_to_arrow(messages, what)
    else:
        raise ArgumentError(f"build_sent(): messages must be a DataFrame or an Arrow table; got "
                            f"{type(messages).__name__} {quote(messages)}")
    report, hints = [], []
    for p in problems:
        p = dict(p)
        hints += p.pop("hints", [])
        report.append(p)
    set_aside_before = sum(p["count"] for p in report if p["problem"] in READER_SET_ASIDE)
    table, level = canonical_table(table, columns, source, report)
    if table.num_rows == 0:
        if set_aside_before:  # the reader set every message aside: say so, as any load over the threshold does
            _check_set_aside({"messages": set_aside_before, "messages_total": set_aside_before, "rows": 0,
                              "rows_total": 0}, max_set_aside, report, hints, what)
        raise InputError(f"{what} has no rows (a header and nothing under it?); figures from an empty history "
                         "would all be zero")
    for p in report:
        hints += p.pop("hints", [])
    engine = DuckDBEngine()
    name = f"sent_{next(_counter)}"
    text = as_text(table, what)
    if pa.types.is_string(text.schema.field("sent_at").type):
        text = text.set_column(text.schema.get_field_index("sent_at"), "sent_at",
                               iso_dates(text["sent_at"], dayfirst=dayfirst, what=what, column="sent_at"))
    text = text.append_column(sql.SOURCE_ROW, pa.array(range(1, text.num_rows + 1), type=pa.int64()))
    typed_sent_at = pa.types.is_timestamp(text.schema.field("sent_at").type) or pa.types.is_date(
        text.schema.field("sent_at").type)
    engine.register("src_arrow", text)
    has = set(table.column_names)
    steps = _progress(6, "loading sent mail", progress)
    try:
        if level == "message":
            engine.run(sql.stage_message_level("src_arrow", "msg", [c for c in ("to", "cc", "bcc") if c in has],
                                                typed_sent_at, "log_enabled" in has, "direction" in has))
            steps.update()
            _explode_fields(engine, progress)
        else:
            engine.run(sql.stage_recipient_level("src_arrow", "raw_rows", typed_sent_at, "role" in has,
                                                  "log_enabled" in has, "direction" in has))
            steps.update()
        steps.update()
        _address_map(engine, "raw_rows", progress)
        steps.update()
        engine.run(sql.join_addresses("raw_rows", "addr_map", "joined"))
        steps.update()
        engine.run(sql.repeated_keys("joined", "repeated"))
        engine.run(sql.row_id_sequence(name))
        engine.run(sql.build_rows("joined", "repeated", name))
        steps.update()
        msg = "msg" if level == "message" else None
        loaded = _load_report(engine, name, msg)
        report += loaded
        rows, empty, msgs, msgs_kept = engine.rows(sql.set_aside_counts("raw_rows", name, msg))[0]
        if empty:
            report.append(_problem(sql.EMPTY_RECIPIENT, empty,
                                   [e for (e,) in engine.rows(sql.empty_recipient_examples("joined"))]))
        rows_aside = loaded[0]["count"] + empty
        if engine.rows(sql.row_count("repeated"))[0][0]:  # conflicts need repeated pairs: none in most exports
            count, examples = engine.rows(sql.conflicting_pairs("joined", "repeated"))[0]
            report.append(_problem(sql.CONFLICTS, count, examples))
        count, examples = engine.rows(sql.shared_message_ids(msg or "raw_rows"))[0]
        report.append(_problem(sql.SHARED_IDS, count, examples))
        # Message level: messages with no usable recipient (ids may repeat); recipient level: ids with no row kept.
        msgs_aside = loaded[-1]["count"] if msg else msgs - msgs_kept
        steps.update()
    except duckdb.Error as exc:
        raise InputError(f"cannot load {what}: {quote(str(exc).splitlines()[0], 160)}") from None
    finally:
        steps.close()
    engine.run(sql.drop_view("joined"))
    engine.run(sql.drop_view("raw_rows") if level == "recipient" else sql.drop("raw_rows"))
    engine.unregister("src_arrow")
    for t in ("repeated", "addr_map", "msg"):
        engine.run(sql.drop(t))
    set_aside = {"messages": int(msgs_aside) + set_aside_before, "messages_total": int(msgs) + set_aside_before,
                 "rows": int(rows_aside), "rows_total": int(rows)}
    report = [p for p in report if p["count"]]
    _check_set_aside(set_aside, max_set_aside, report, hints, what)
    if tracking is not None and not isinstance(tracking, pd.DataFrame):
        tracking = load_tracking(tracking, dayfirst=dayfirst)
    return SentMail(engine, name, report, source or "input", tracking, set_aside)


def _check_set_aside(set_aside: dict, limit: float, report: list[dict], hints: list, what: str) -> None:
    """Raise ``SetAsideError`` when more than ``limit`` of the messages or rows were set aside."""
    share = set_aside_share(set_aside)
    if share <= limit:
        return
    aside = [p for p in report if p["problem"] in SET_ASIDE]
    reason = max(aside, key=lambda p: p["count"]) if aside else None
    why = ""
    if reason:
        why = f"; largest cause: {reason['problem']}: {reason['count']:,}"
        if reason["examples"]:
            why += f" (e.g. {', '.join(reason['examples'][:2])})"
    line = set_aside_line(set_aside).split(" — ")[0]
    fix_lib = "; ".join(f"column {theirs!r} was not used — map it with columns={{{theirs!r}: {ours!r}}}"
                        for theirs, ours in hints)
    fix_cli = "; ".join(f"column {theirs!r} was not used — map it with --columns '{theirs}={ours}'"
                        for theirs, ours in hints)
    message = (f"{what}: {line}, more than max_set_aside={limit:g} allows{why}. "
               + (fix_lib + "; or " if fix_lib else "Fix the input, or ")
               + "pass max_set_aside=1.0 to accept figures without them (docs/rules.md#the-load-report)")
    cli = (f"{line}, over --max-set-aside {limit:g}{why}; "
           + (fix_cli + " (or accept it with --max-set-aside 1)" if fix_cli
              else "fix the input, or accept it with --max-set-aside 1"))
    raise SetAsideError(message, share=share, limit=limit, problems=report, hints=hints, cli_message=cli)


def _load_report(engine: DuckDBEngine, rows: str, msg: str | None) -> list[dict]:
    """Count every oddity in one pass; quote examples only for the ones that occur."""
    *counts, kept = engine.rows(sql.load_report_counts("joined"))[0]
    out = []
    for i, ((label, _, _), count) in enumerate(zip(sql.LOAD_PROBLEMS, counts)):
        examples = [e for (e,) in engine.rows(sql.load_report_examples("joined", i))] if count else []
        out.append(_problem(label, count, examples))
    merged = kept - engine.rows(sql.row_count(rows))[0][0]
    out.append(_problem(sql.DUPLICATES, merged, []))
    if msg:
        count, examples = engine.rows(sql.messages_without_recipient(msg, "joined"))[0]
        out.append(_problem(sql.NO_RECIPIENT, count, examples or []))
    return out


def load_sent(source, *, columns: dict | None = None, format: str | None = None, progress: bool = True,
              encoding: str | None = None, dayfirst: bool | None = None, max_set_aside: float = MAX_SET_ASIDE,
              **loader_options) -> SentMail:
    """Load sent mail into the canonical model.

    Parameters: ``source`` a DataFrame, a CSV or Parquet file, a folder or a glob — or an mbox /
    mail folder / HubSpot export, recognised automatically or named with ``format=``
    (``"canonical"``, ``"hubspot_api"``, ``"hubspot_ui"``, ``"mail"``); ``columns`` maps
    ``{"their name": "our name"}`` (``None`` leaves a column out); ``encoding`` of CSV files (UTF-8
    by default, a UTF-16 byte-order mark is detected); ``dayfirst`` ``True`` for 31/12/2024,
    ``False`` for 12/31/2024 (numeric day/month dates are refused without it); ``max_set_aside``
    the share of messages or rows that may be set aside (default 1%) before ``SetAsideError``.

    Canonical message level: ``message_id, sent_at, sender, channel, to, cc, bcc`` [+ ``log_enabled``,
    ``direction``]; recipient level: ``message_id, sent_at, sender, channel, recipient, role``.
    An existing path is read as that file, never as a pattern.

    >>> sent = load_sent("data/samples/sent_canonical.csv")  # doctest: +SKIP
    """
    formats = ("canonical", "hubspot_api", "hubspot_ui", "mail", None)
    if format not in formats:
        raise InputError(f"format must be one of {list(formats)!r}, got {quote(format)}")
    if not isinstance(source, (str, Path, pd.DataFrame, pa.Table)) and not hasattr(source, "__fspath__"):
        raise ArgumentError(f"load_sent(): source must be a path (CSV, Parquet, folder, mbox, HubSpot export), a "
                            f"DataFrame or an Arrow table; got {type(source).__name__} {quote(source)}")
    if not isinstance(progress, bool):
        raise ArgumentError(f"load_sent(): progress must be True or False; got {quote(progress)}")
    columns = check_columns(columns, "load_sent")
    dayfirst = check_dayfirst(dayfirst, "load_sent")
    max_set_aside = check_max_set_aside(max_set_aside, "load_sent")
    if format in (None, "hubspot_api", "hubspot_ui") and isinstance(source, (str, Path)) and \
            Path(source).suffix.lower() in (".xlsx", ".xls") and Path(source).is_file():
        # A workbook is only ever a HubSpot UI export: the HubSpot reader opens it.
        return load_hubspot(source, format=format, columns=columns, progress=progress, dayfirst=dayfirst,
                            max_set_aside=max_set_aside, **loader_options)
    if format == "mail" or (format is None and isinstance(source, (str, Path)) and looks_like_mail(source)):
        return load_mail(source, progress=progress, max_set_aside=max_set_aside, **loader_options)
    notes: list[dict] = []
    table, label = read_table(source, what="sent mail", encoding=encoding, report=notes)
    if format in ("hubspot_api", "hubspot_ui") or format is None:
        detected = hubspot.detect_format(table.column_names) if format is None else format
        if detected:
            return load_hubspot(source, format=detected, columns=columns, progress=progress, encoding=encoding,
                                dayfirst=dayfirst, max_set_aside=max_set_aside, **loader_options)
    if loader_options:
        raise InputError(f"options {sorted(loader_options)!r} apply to HubSpot or mail-file sources only")
    return build_sent(table, problems=notes, source=label, progress=progress, columns=columns, dayfirst=dayfirst,
                      max_set_aside=max_set_aside)


def load_hubspot(source, *, owners=None, mapping=None, format: str | None = None, columns=None,
                 progress: bool = True, encoding: str | None = None, dayfirst: bool | None = None,
                 max_set_aside: float = MAX_SET_ASIDE) -> SentMail:
    """Load a HubSpot email export (API / warehouse shape or UI export) as a :class:`SentMail`.

    Parameters: ``source`` a DataFrame, CSV or Parquet (file, folder or glob), or an .xlsx UI
    export; ``owners`` an ``id, email`` table for rows with no from address; ``mapping``
    overrides of ``readers.hubspot.HUBSPOT_MAPPING``; ``format`` ``"hubspot_api"`` / ``"hubspot_ui"``
    (detected when None); ``columns`` ``{"their name": "our name"}``; ``progress`` bars on;
    ``encoding``, ``dayfirst`` and ``max_set_aside`` as in :func:`load_sent`.

    HubSpot holds logged email only, so ``log_enabled`` is True for every row; open and click
    counts become unattributed tracking events (``SentMail.tracking``).

    >>> sent = load_hubspot("emails.csv", owners="owners.csv")  # doctest: +SKIP
    """
    messages, tracking, problems, label = hubspot.read_hubspot(source, owners=owners, mapping=mapping,
                                                               format=format, columns=columns, progress=progress,
                                                               encoding=encoding, dayfirst=dayfirst)
    return build_sent(messages, problems=problems, source=label, tracking=tracking, progress=progress,
                      max_set_aside=max_set_aside)


def load_mail(path, *, aliases=None, channel: str = "extension", progress: bool = True,
              max_set_aside: float = MAX_SET_ASIDE) -> SentMail:
    """Load an mbox or a folder of message files as a :class:`SentMail`, through ``build_sent``.

    Parameters as ``readers.mailfiles.read_mail``; the problems it counts (duplicates folded,
    malformed dates, ...) are part of the load report (``SentMail.problems``); ``max_set_aside``
    as in :func:`load_sent`.

    >>> sent = load_mail("enron-sent/buy-r", aliases={"rick.buy@enron.com": "rbuy@enron.com"})  # doctest: +SKIP
    """
    messages, problems = mailfiles.read_mail(path, aliases=aliases, channel=channel, progress=progress)
    return build_sent(messages, problems=problems, source=str(path), progress=progress, max_set_aside=max_set_aside)
