"""The history: sent mail in the canonical model, one row per message × recipient, held by an engine.

``load_sent`` picks a reader (canonical tables, HubSpot exports, mail files: ``readers/``), and every
reader's canonical table goes through :func:`build_sent`, so the lenient address reading and the
load report (docs/rules.md#recipients-in-your-data) are the same whatever the source.
"""

from __future__ import annotations

import html
import itertools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import duckdb
import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from ._version import __version__
from .engine import DuckDBEngine, sql
from .entries import classify_recipient, split_address_field
from .errors import ArgumentError, InputError, SetAsideError, WorkspaceError, quote, set_aside_line, set_aside_share
from .readers.canonical import MESSAGE_LEVEL, OPTIONAL, RECIPIENT_LEVEL, ROW_COLUMNS, canonical_table, looks_like_mail
from .readers import hubspot, mailfiles
from .readers.dates import check_dayfirst, iso_dates
from .readers.events import load_contacts, load_tracking
from .readers.tables import ParquetFile, as_text, check_columns, direct_columns, frame_to_arrow, parquet_file, read_table
from .rules import CHANNELS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SentMail", "build_sent", "load_sent", "open_sent", "save_workspace", "load_hubspot", "load_mail", "load_contacts", "load_tracking",
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


# What the load report says about incoming mail and reply threads (docs/rules.md#reply-threads).
INCOMING = "incoming emails (kept; governed in profile 2026 only)"
THREADS = "reply threads of two or more emails (thread_id, in_reply_to)"
UNRESOLVED = "replies whose parent is not in the history (threaded by thread_id only)"
NO_THREADS = "incoming emails with no thread data (logging_rule replies_only logs none of them)"


def _build_threads(engine: DuckDBEngine, table: str, out: str) -> None:
    """Each message's reply thread: smallest-label propagation over the thread graph, one SQL round a step."""
    edges, labels, step = f"{out}_edges", f"{out}_labels", f"{out}_step"
    engine.run(sql.thread_edges(table, edges))
    engine.run(sql.thread_labels_init(table, edges, labels))
    while True:
        engine.run(sql.thread_labels_step(labels, edges, step))
        changed = engine.rows(sql.labels_changed(labels, step))[0][0]
        engine.run(sql.drop(labels))
        engine.run(sql.rename(step, labels))
        if not changed:
            break
    engine.run(sql.thread_table(table, labels, out))
    for t in (edges, labels):
        engine.run(sql.drop(t))


class SentMail:
    """Sent mail in the canonical model: one row per message × recipient, held in DuckDB.

    ``len()`` counts recipient rows; ``to_pandas()`` returns them; ``problems`` is the load
    report (nothing is dropped without being counted there). ``incoming`` counts incoming emails,
    ``thread_count`` reply threads of two or more emails and ``unresolved_replies`` replies whose parent
    is not in the history; ``threads`` names the DuckDB table ``message_id, thread`` (None without
    ``thread_id``/``in_reply_to`` data; see docs/rules.md#reply-threads).

    >>> from neverlog_sim.samples import sample_path
    >>> sent = load_sent(sample_path("sent_canonical.csv"), progress=False)  # doctest: +SKIP
    >>> len(sent), sent.problems                                          # doctest: +SKIP
    """

    def __init__(self, engine: DuckDBEngine, table: str, problems: list[dict], source: str,
                 tracking: pd.DataFrame | None = None, set_aside: dict | None = None, *,
                 known: dict | None = None, loaded: dict | None = None):
        self.engine = engine
        #: What the load set aside: ``messages``/``messages_total`` and ``rows``/``rows_total``.
        self.set_aside = dict(set_aside or {"messages": 0, "messages_total": 0, "rows": 0, "rows_total": 0})
        self.table = table
        self.source = source
        self._problems = problems
        self.tracking = tracking
        # ``known``: the figures a reopened workspace brings (no pass over the rows; see save_workspace)
        if known is None:
            # ``loaded``: the figures build_sent counted on its way (no pass over the rows again)
            stats = loaded["stats"] if loaded else engine.rows(sql.sent_stats(table))[0]
            channels = (loaded or {}).get("channels")
            if channels is None:
                channels = [c for (c,) in engine.rows(sql.distinct_channels(table))]
        else:
            stats, channels = known["stats"], known["channels"]
        self._rows, self.messages, self.senders, self.recipients, first, last = stats
        self.span = (first, last)
        self.channels = channels
        # Summaries the rules pick from: what channels and toggles each recipient's sends used, and
        # row counts by channel, role, direction and toggle. Built once, they spare the first
        # simulation on a history a pass over every row (see simulate.py).
        self.profile, self.row_profile = f"{table}_profile", f"{table}_rowprofile"
        if known is None and not (loaded and loaded.get("profiles")):  # the load builds them on its way;
            engine.run(sql.recipient_profile(table, self.profile))  # a reopened workspace brings them
            engine.run(sql.row_profile(table, self.row_profile))
        self.workspace: Path | None = None
        # Reply threads (docs/rules.md#reply-threads): which thread each message belongs to, when the
        # history has thread_id or in_reply_to; profile 2026's replies_only reads it.
        self.threads, self.thread_count, self.unresolved_replies = None, 0, 0
        if known is not None:
            self.incoming, self.thread_count, self.unresolved_replies = known["threads"]
            self.threads = f"{table}_threads" if known["has_threads"] else None
        else:
            known_threads = loaded.get("thread_data") if loaded else None
            thread_rows, self.incoming = known_threads or engine.rows(sql.has_thread_data(table))[0]
            examples = []
            if thread_rows:
                self.threads = f"{table}_threads"
                _build_threads(engine, table, self.threads)
                self.thread_count, self.unresolved_replies, examples = engine.rows(
                    sql.thread_counts(table, self.threads))[0]
            self._problems = list(problems) + [p for p in (
                _problem(INCOMING, self.incoming, []),
                _problem(THREADS, self.thread_count, []),
                _problem(UNRESOLVED, self.unresolved_replies, examples or []),
                _problem(NO_THREADS, self.incoming if not thread_rows else 0, []),
            ) if p["count"]]
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
        if not hasattr(self.engine, "con"):
            raise AttributeError("a Spark-backed history has no DuckDB connection; its rows are the Spark "
                                 "DataFrame sent.engine.relation(sent.table) (see docs/spark.md)")
        return self.engine.con

    def save(self, path) -> Path:
        """Keep this history in a workspace file that :func:`open_sent` reopens (see :func:`save_workspace`)."""
        return save_workspace(self, path)

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
            example = f" (e.g. {', '.join(p['examples'][:2])})" if p["examples"] else ""
            lines.append(f"  {p['problem']}: {p['count']:,}{example}")
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

def _read_odd(values: list, progress, desc: str) -> pd.DataFrame:
    """Python's lenient reading (``classify_recipient``) of the few values the SQL fast path did not settle:
    ``raw, n, address, status`` (``values``: ``(raw, n)`` pairs)."""
    rows = [(raw, n, *classify_recipient(raw)) for raw, n in tqdm(values, desc=desc, delay=1.0,
                                                                  disable=not progress, leave=False)]
    return pd.DataFrame(rows, columns=["raw", "n", "address", "status"]).astype(
        {"raw": "object", "n": "int64", "address": "object", "status": "object"})


def _sender_map(engine: DuckDBEngine, raw_table: str, progress) -> None:
    """Read every distinct raw sender once (SQL for the standard ones, Python for the rest). Leaves
    ``addr_senders`` (``raw, n, address, status, reading, sid``), which every row is joined to."""
    engine.run(sql.sender_counts(raw_table, "addr_counts"))
    engine.run(sql.classify_counted("addr_counts", "addr_fast"), [sql.STANDARD_ADDRESS])
    engine.run(sql.drop("addr_counts"))
    odd = _read_odd([(raw, 0) for (raw,) in engine.rows(sql.odd_counted("addr_fast"))], progress,
                    "reading odd senders")
    with engine.registered("addr_odd_df", odd) as frame:
        engine.run(sql.counted_map("addr_fast", frame, "addr_senders"))
    engine.run(sql.drop("addr_fast"))


def _recipient_map(engine: DuckDBEngine, raw_table: str, staged: str, senders: str, message_level: bool,
                   progress) -> None:
    """Read every distinct recipient once, from the staged rows (each read as ``lower(raw)``): the standard ones
    by SQL; the rows of the others are read from the source again, their raw values by Python, and replace
    their staged rows. Leaves ``addr_odd`` (``raw, n, address, status`` of those raw values; empty when there
    are none) and ``addr_recipients`` (every recipient kept and its profile bitmask)."""
    engine.run(sql.recipient_counts(staged, "addr_counts"))
    engine.run(sql.classify_counted("addr_counts", "addr_fast", read=False), [sql.STANDARD_ADDRESS])
    engine.run(sql.drop("addr_counts"))
    odd_found = bool(engine.rows(sql.odd_count("addr_fast"))[0][0])
    values = []
    if odd_found:
        engine.run(sql.odd_rows(raw_table, "addr_fast", "odd_rows", message_level))
        values = engine.rows(sql.odd_values("odd_rows"))
    odd = _read_odd(values, progress, "reading odd addresses")
    with engine.registered("addr_odd_df", odd) as frame:
        engine.run(sql.odd_map(frame, "addr_odd"))
    if odd_found:
        engine.run(sql.delete_odd(staged, "addr_fast"))
        engine.run(sql.build_staged("odd_rows", staged, message_level, senders, odd="addr_odd"))
        engine.run(sql.drop("odd_rows"))
    engine.run(sql.recipient_map("addr_fast", "addr_odd" if odd_found else None, staged, "addr_recipients"))


def _explode_fields(engine: DuckDBEngine, progress) -> None:
    """One row per address of each message: plain To/Cc/Bcc fields split in SQL, the rest (display names,
    quotes, groups, comments) with a real address parser, one call per distinct field."""
    fields = engine.rows(sql.odd_fields("msg"))
    out_field, out_raw = [], []
    for (field,) in tqdm(fields, desc="parsing address fields", delay=1.0, disable=not progress, leave=False):
        for raw in split_address_field(field):
            out_field.append(field)
            out_raw.append(raw)
    odd = pd.DataFrame({"field": pd.Series(out_field, dtype="object"), "raw": pd.Series(out_raw, dtype="object")})
    with engine.registered("field_split_df", odd) as frame:
        engine.run(sql.explode_message_level("msg", frame, "raw_rows"))


def build_sent(messages: pd.DataFrame | pa.Table, *, problems: "Iterable[dict]" = (), source: str = "",
               tracking: pd.DataFrame | None = None, progress: bool = True, columns: dict | None = None,
               dayfirst: bool | None = None, max_set_aside: float = MAX_SET_ASIDE,
               channel: str | None = None, spark: "SparkSession | None" = None) -> SentMail:
    """Build the canonical ``SentMail`` from message- or recipient-level rows: the one door every loader uses.

    Parameters: ``messages`` with canonical columns (see ``load_sent``); ``problems`` a loader's
    own load-report rows (``problem, count, examples``; the rows named in ``READER_SET_ASIDE``
    count messages the reader set aside); ``tracking`` events to attach; ``dayfirst`` how numeric dates
    are written; ``max_set_aside`` the share of messages or rows that may be set aside before
    ``SetAsideError`` is raised (docs/rules.md#the-load-report); ``channel`` the channel of every row
    when the table has no ``channel`` column; ``spark`` a ``SparkSession`` to hold the history in
    (see docs/spark.md; DuckDB when None).

    >>> import pandas as pd
    >>> sent = build_sent(pd.DataFrame({"message_id": ["m1"], "sent_at": ["2024-01-02 10:00"],
    ...     "sender": ["ann@us.com"], "channel": ["extension"], "to": ["jo@acme.com"], "cc": [""], "bcc": [""]}),
    ...     progress=False)
    >>> len(sent)
    1
    """
    dayfirst = check_dayfirst(dayfirst, "build_sent")
    max_set_aside = check_max_set_aside(max_set_aside, "build_sent")
    what = f"sent mail from {source or 'input'}"
    parquet = messages if isinstance(messages, ParquetFile) else None  # load_sent's one Parquet file
    if parquet is not None:
        table = parquet.schema.empty_table()
    elif isinstance(messages, pa.Table):
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
    table, level = canonical_table(table, columns, source, report, _check_channel(channel))
    direct = None
    if parquet is not None:
        # DuckDB reads the file itself (no copy in Python) when every column reads as as_text() would
        # read it; otherwise (and for a Spark history) the file is read into Arrow and loaded as any table.
        direct = direct_columns(parquet, table.column_names, columns) if spark is None else None
        if direct is None:
            table, level = canonical_table(parquet.read(), columns, source, None, _check_channel(channel))
    if (parquet.num_rows if direct is not None else table.num_rows) == 0:
        if set_aside_before:  # the reader set every message aside: say so, as any load over the threshold does
            _check_set_aside({"messages": set_aside_before, "messages_total": set_aside_before, "rows": 0,
                              "rows_total": 0}, max_set_aside, report, hints, what)
        raise InputError(f"{what} has no rows (a header and nothing under it?); figures from an empty history "
                         "would all be zero")
    for p in report:
        hints += p.pop("hints", [])
    engine = DuckDBEngine() if spark is None else _spark_engine(spark)
    if direct is not None:
        constants = {c: _check_channel(channel) for c in table.column_names if c not in direct}  # a default channel
        try:
            engine.register_parquet("src_arrow", parquet.duckdb_path, direct, constants, sql.SOURCE_ROW)
        except duckdb.Error as exc:
            engine.close()
            raise InputError(f"cannot read {what}: {quote(str(exc).splitlines()[0], 160)} — check that it is a "
                             "valid Parquet file") from None
        typed_sent_at = True
    else:
        text = as_text(table, what)
        if pa.types.is_string(text.schema.field("sent_at").type):
            text = text.set_column(text.schema.get_field_index("sent_at"), "sent_at",
                                   iso_dates(text["sent_at"], dayfirst=dayfirst, what=what, column="sent_at"))
        text = text.append_column(sql.SOURCE_ROW, pa.array(range(1, text.num_rows + 1), type=pa.int64()))
        typed_sent_at = pa.types.is_timestamp(text.schema.field("sent_at").type) or pa.types.is_date(
            text.schema.field("sent_at").type)
        engine.register("src_arrow", text)
    return _build(engine, level, set(table.column_names), typed_sent_at, report, hints, set_aside_before,
                  max_set_aside, what, source, tracking, dayfirst, progress, direct=direct is not None)


def _build(engine, level: str, has: set, typed_sent_at: bool, report: list, hints: list, set_aside_before: int,
           max_set_aside: float, what: str, source: str, tracking, dayfirst, progress: bool,
           direct: bool = False) -> SentMail:
    """The canonical rows from the staged source ``src_arrow``: the SQL steps every engine runs.

    ``direct``: ``src_arrow`` is a view DuckDB reads from a Parquet file (dropped, not unregistered)."""
    name = f"sent_{next(_counter)}"
    steps = _progress(6, "loading sent mail", progress)
    try:
        if level == "message":
            engine.run(sql.stage_message_level("src_arrow", "msg", [c for c in ("to", "cc", "bcc") if c in has],
                                                typed_sent_at, "log_enabled" in has, "direction" in has,
                                                "thread_id" in has, "in_reply_to" in has), [sql.PLAIN_FIELD])
            steps.update()
            _explode_fields(engine, progress)
        else:
            engine.run(sql.stage_recipient_level("src_arrow", "raw_rows", typed_sent_at, "role" in has,
                                                  "log_enabled" in has, "direction" in has,
                                                  "thread_id" in has, "in_reply_to" in has))
            steps.update()
        steps.update()
        recipient_level = level == "recipient"
        _sender_map(engine, "raw_rows", progress)
        senders = "addr_senders"
        engine.run(sql.build_staged("raw_rows", name, not recipient_level, senders))
        steps.update()
        _recipient_map(engine, "raw_rows", name, senders, not recipient_level, progress)
        steps.update()
        # The joined view reads every row with its address; only the load report's examples and the rare
        # checks below read it (the counts come from the address maps and the staged rows' flags).
        engine.run(sql.join_addresses("raw_rows", "addr_senders", "addr_odd", "joined"))
        engine.run(sql.row_stats(name, "row_stats"))
        msg = None if recipient_level else "msg"
        problems, kept, inbound, rewritten, empty, rows, recipients, span = _load_report(engine, name)
        if msg:  # message level: every address read is a row; no row stands for an empty recipient
            rows, empty = rows - empty, 0
        no_recipient = None
        rows_aside = problems[0]["count"] + empty
        engine.run(sql.message_check(name, "msg_check"))
        msgs_kept, shared, maybe_repeated = engine.rows(sql.message_counts("msg_check"))[0]
        if msg:
            msgs = engine.rows(sql.row_count(msg))[0][0]
            # As many message ids kept as there are lines: every line kept a row, under an id no other line
            # has. Then no line lost every recipient and no id is shared, and neither check below reads
            # every line again.
            apart = msgs_kept == msgs
            # Before any merge: staged_without_recipient reads each staged row's line.
            count, examples = (0, []) if apart else engine.rows(sql.staged_without_recipient(msg, name))[0]
            no_recipient = _problem(sql.NO_RECIPIENT, count, examples or [])
            exact = not apart
        else:
            if rows_aside:
                msgs = engine.rows(sql.set_aside_counts("raw_rows", name, None))[0][2]
            else:
                msgs = msgs_kept  # every staged row was kept: the same message ids
            exact = shared or rows_aside or rewritten
        # The exact check reads the staged source again: only when the staged rows cannot settle it.
        if exact:
            shared_ids = _problem(sql.SHARED_IDS, *engine.rows(sql.shared_message_ids(msg or "raw_rows"))[0])
        else:
            shared_ids = _problem(sql.SHARED_IDS, 0, [])
        conflicts = None
        engine.run(sql.profile_from_map("addr_recipients", f"{name}_profile"))
        if maybe_repeated:
            engine.run(sql.uncleared_rows(name, "msg_check", "uncleared"))
            engine.run(sql.staged_repeated("uncleared", "repeated"))
        if maybe_repeated and engine.rows(sql.row_count("repeated"))[0][0]:  # repeated pairs: none in most exports
            engine.run(sql.repeated_rows("uncleared", "repeated", "repeated_rows"))
            conflicts = _problem(sql.CONFLICTS, *engine.rows(sql.conflicting_staged("repeated_rows"))[0])
            engine.run(sql.merge_repeated("repeated_rows", "merged", not recipient_level))
            engine.run(sql.delete_repeated(name, "repeated_rows"))
            engine.run(sql.insert_merged(name, "merged"))
            # The merged pairs' recipients may have lost a (channel, toggle) pair with the rows merged away.
            engine.run(sql.merged_recipients("merged", "merged_recipients"))
            engine.run(sql.delete_profiles(f"{name}_profile", "merged_recipients"))
            engine.run(sql.insert_profiles(f"{name}_profile", name, "merged_recipients"))
            engine.run(sql.row_profile_merged("row_stats", "repeated_rows", "merged", f"{name}_rowprofile"))
            for t in ("merged", "merged_recipients", "repeated_rows"):
                engine.run(sql.drop(t))
        else:
            engine.run(sql.row_profile_from_stats("row_stats", f"{name}_rowprofile"))
        if conflicts is not None and conflicts["count"]:  # a merge of rows that disagreed may change the dates
            senders_out, first, last = engine.rows(sql.outbound_stats(name))[0]
        else:
            senders_out, first, last = engine.rows(sql.outbound_senders_count(name))[0][0], *span
        channels = [c for (c,) in engine.rows(sql.profile_channels(f"{name}_rowprofile"))]
        for statement in sql.drop_work_columns(name, not recipient_level):
            engine.run(statement)
        rows_kept = engine.rows(sql.row_count(name))[0][0]
        problems.append(_problem(sql.DUPLICATES, kept - rows_kept, []))
        if no_recipient is not None:
            problems.append(no_recipient)
        if empty:
            problems.append(_problem(sql.EMPTY_RECIPIENT, empty,
                                     [e for (e,) in engine.rows(sql.empty_recipient_examples("joined"))]))
        if conflicts is not None:
            problems.append(conflicts)
        problems.append(shared_ids)
        report += problems
        msgs_aside = no_recipient["count"] if msg else msgs - msgs_kept
        steps.update()
    except getattr(engine, "errors", (duckdb.Error,)) as exc:
        raise InputError(f"cannot load {what}: {quote(str(exc).splitlines()[0], 160)}") from None
    finally:
        steps.close()
    engine.run(sql.drop_view("joined"))
    engine.run(sql.drop_view("raw_rows") if level == "recipient" else sql.drop("raw_rows"))
    engine.run(sql.drop_view("src_arrow")) if direct else engine.unregister("src_arrow")
    engine.run(sql.drop_view("addr_recipients"))
    for t in ("uncleared", "repeated", "msg_check", "row_stats", "addr_senders", "addr_odd", "addr_fast", "msg"):
        engine.run(sql.drop(t))
    set_aside = {"messages": int(msgs_aside) + set_aside_before, "messages_total": int(msgs) + set_aside_before,
                 "rows": int(rows_aside), "rows_total": int(rows)}
    report = [p for p in report if p["count"]]
    _check_set_aside(set_aside, max_set_aside, report, hints, what)
    if tracking is not None and not isinstance(tracking, pd.DataFrame):
        tracking = load_tracking(tracking, dayfirst=dayfirst)
    threads = (0, 0) if not ({"thread_id", "in_reply_to"} & has) and not inbound else None
    figures = {"stats": (rows_kept, msgs_kept, senders_out, recipients, first, last), "thread_data": threads,
               "profiles": True,
               "channels": channels}
    return SentMail(engine, name, report, source or "input", tracking, set_aside, loaded=figures)


def _spark_engine(spark, check_only: bool = False):
    """A ``SparkEngine`` on the user's session; pyspark is imported only here (the ``spark`` extra)."""
    try:
        from .engine.spark import SparkEngine
    except ImportError as exc:
        raise ImportError(f"spark= needs pyspark and sqlglot: pip install 'neverlog-sim[spark]' ({exc})") from None
    from pyspark.sql import SparkSession
    if not isinstance(spark, SparkSession):
        raise ArgumentError(f"spark= must be a pyspark.sql.SparkSession (e.g. the notebook's spark); "
                            f"got {type(spark).__name__} {quote(spark)}")
    return None if check_only else SparkEngine(spark)


def _build_spark(frame, spark, label: str, columns: dict | None, channel: str | None, max_set_aside: float,
                 progress: bool) -> SentMail:
    """A Spark DataFrame with canonical (or mapped) columns into a Spark-backed ``SentMail``.

    The columns are mapped as for any table (``canonical_table`` reads the names); the values stay in
    Spark. Unlike files read on the driver, text dates are read by the SQL step alone: ISO 8601 with or
    without an offset (day/month dates are counted as unreadable, not read with ``dayfirst``).
    """
    from .readers.spark import canonical_frame
    channel = _check_channel(channel)
    what = f"sent mail from {label}"
    report: list[dict] = []
    frame, level, has, typed_sent_at = canonical_frame(frame, columns, label, report, channel)
    hints = []
    for p in report:
        hints += p.pop("hints", [])
    engine = _spark_engine(spark)
    engine.register("src_arrow", frame)
    if not engine.rows(sql.row_count("src_arrow"))[0][0]:
        raise InputError(f"{what} has no rows; figures from an empty history would all be zero")
    return _build(engine, level, has, typed_sent_at, report, hints, 0, max_set_aside, what, label, None, None,
                  progress)


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


def _load_report(engine: DuckDBEngine, staged: str) -> tuple:
    """The ten address and row problems of the load report: counts from the address maps (one row per
    distinct value) and the staged rows' flags (``row_stats``); examples quoted only for the ones that occur.

    Returns the problems, the rows kept, the inbound rows kept, the rows whose raw sender was rewritten,
    the rows with no recipient, all rows staged, the distinct recipients kept and the first and last date.
    """
    unusable, non_standard, bad_senders, recipients, rewritten = engine.rows(
        sql.map_problem_counts("addr_senders", "addr_odd", "addr_recipients"))[0]
    kept, *flagged, inbound, first, last = engine.rows(sql.staged_counts("row_stats"))[0]
    total = engine.rows(sql.row_count("raw_rows"))[0][0]
    counts = dict(zip(sql.FLAGGED, flagged))
    counts.update(zip(sql.MAP_COUNTED, (unusable, non_standard, bad_senders)))
    out = []
    for i, (label, _, _) in enumerate(sql.LOAD_PROBLEMS):
        count = counts[i]
        if not count:
            examples = []
        elif i in sql.MAP_COUNTED:
            examples = [e for (e,) in engine.rows(sql.map_problem_examples("addr_senders", "addr_odd", i))]
        else:
            examples = [e for (e,) in engine.rows(sql.load_report_examples("joined", i))]
        out.append(_problem(label, count, examples))
    empty = total - kept - unusable  # every row names a usable recipient, an unusable one, or none
    return out, kept, inbound, rewritten, empty, total, recipients, (first, last)


def _check_channel(channel: str | None) -> str | None:
    if channel is None:
        return None
    if not isinstance(channel, str) or channel.strip().lower() not in CHANNELS:
        raise InputError(f"channel must be one of {list(CHANNELS)!r} (the channel of rows that name none; "
                         f"'client' for mail sent with no logging action), got {quote(channel)}; "
                         f"see docs/rules.md#channels")
    return channel.strip().lower()


def load_sent(source: "str | Path | pd.DataFrame | pa.Table", *, columns: dict | None = None,
              format: str | None = None, progress: bool = True, encoding: str | None = None,
              dayfirst: bool | None = None, max_set_aside: float = MAX_SET_ASIDE, channel: str | None = None,
              workspace: "str | Path | None" = None, spark: "SparkSession | None" = None,
              **loader_options) -> SentMail:
    """Load sent mail into the canonical model.

    Parameters: ``source`` a DataFrame, a CSV or Parquet file, a folder or a glob — or an mbox /
    mail folder / HubSpot export, recognised automatically or named with ``format=``
    (``"canonical"``, ``"hubspot_api"``, ``"hubspot_ui"``, ``"mail"``); ``columns`` maps
    ``{"their name": "our name"}`` (``None`` leaves a column out); ``encoding`` of CSV files (UTF-8
    by default, a UTF-16 byte-order mark is detected); ``dayfirst`` ``True`` for 31/12/2024,
    ``False`` for 12/31/2024 (numeric day/month dates are refused without it); ``max_set_aside``
    the share of messages or rows that may be set aside (default 1%) before ``SetAsideError``;
    ``workspace`` a ``.duckdb`` file to keep the parsed history in (reopen it with :func:`open_sent`,
    or pass the file as ``source``); ``spark`` a ``SparkSession``: the history is held and simulated in
    Spark, and ``source`` may also be a Spark DataFrame, a table name or Parquet / Delta / CSV paths
    (docs/spark.md).

    Canonical message level: ``message_id, sent_at, sender, channel, to, cc, bcc`` [+ ``log_enabled``,
    ``direction``, ``thread_id``, ``in_reply_to``]; recipient level: ``message_id, sent_at, sender, channel,
    recipient, role``. ``channel``: the channel of every row of a table with no ``channel`` column, and of
    every message of mail files (``"extension"`` when not given; ``"client"`` for a mailbox whose mail
    was not logged by hand, see docs/rules.md#client-sends). HubSpot exports map their own channels.
    An existing path is read as that file, never as a pattern.

    >>> sent = load_sent("data/samples/sent_canonical.csv")  # doctest: +SKIP
    """
    formats = ("canonical", "hubspot_api", "hubspot_ui", "mail", None)
    if format not in formats:
        raise InputError(f"format must be one of {list(formats)!r}, got {quote(format)}")
    if spark is None and not isinstance(source, (str, Path, pd.DataFrame, pa.Table)) and \
            not hasattr(source, "__fspath__"):
        raise ArgumentError(f"load_sent(): source must be a path (CSV, Parquet, folder, mbox, HubSpot export), a "
                            f"DataFrame or an Arrow table; got {type(source).__name__} {quote(source)}")
    if not isinstance(progress, bool):
        raise ArgumentError(f"load_sent(): progress must be True or False; got {quote(progress)}")
    columns = check_columns(columns, "load_sent")
    dayfirst = check_dayfirst(dayfirst, "load_sent")
    max_set_aside = check_max_set_aside(max_set_aside, "load_sent")
    channel = _check_channel(channel)
    if spark is not None:
        _spark_engine(spark, check_only=True)  # pyspark present and a session given, before any file is read
        if workspace is not None:
            raise InputError("workspace= keeps a history in a DuckDB file; a Spark-backed history lives in "
                             "the Spark session (save the source as a table instead; see docs/spark.md)")
        from .readers.spark import is_spark_source, load_spark_frame
        if is_spark_source(source, spark):
            if format not in (None, "canonical") or loader_options:
                raise InputError("a Spark DataFrame, table or path is read as canonical columns; format= and "
                                 "reader options apply to files loaded without spark= (see docs/spark.md)")
            if dayfirst is not None:
                raise InputError("dayfirst= applies to files read on the driver; a Spark source's text dates are "
                                 "read as ISO 8601 — convert day/month dates with to_timestamp() first "
                                 "(see docs/spark.md#what-differs)")
            frame, label = load_spark_frame(source, spark, encoding=encoding)
            return _build_spark(frame, spark, label, columns, channel, max_set_aside, progress)
        if not isinstance(source, (str, Path, pd.DataFrame, pa.Table)) and not hasattr(source, "__fspath__"):
            raise ArgumentError(f"load_sent(spark=...): source must be a Spark DataFrame, a table name, paths, a "
                                f"pandas DataFrame or an Arrow table; got {type(source).__name__} {quote(source)}")
    if _is_workspace(source):
        if columns or format or loader_options or workspace is not None or channel is not None:
            raise InputError(f"{str(source)!r} is a workspace (an already parsed history); open it without "
                             "columns=, format=, channel=, workspace= or reader options")
        return open_sent(source)
    sent = _load_source(source, columns, format, progress, encoding, dayfirst, max_set_aside, channel,
                        loader_options, spark)
    if workspace is not None:
        save_workspace(sent, workspace)
    return sent


def _load_source(source, columns, format, progress, encoding, dayfirst, max_set_aside, channel,
                 loader_options, spark: "SparkSession | None" = None) -> SentMail:
    if format in (None, "hubspot_api", "hubspot_ui") and isinstance(source, (str, Path)) and \
            Path(source).suffix.lower() in (".xlsx", ".xls") and Path(source).is_file():
        # A workbook is only ever a HubSpot UI export: the HubSpot reader opens it.
        return load_hubspot(source, format=format, columns=columns, progress=progress, dayfirst=dayfirst,
                            max_set_aside=max_set_aside, spark=spark, **loader_options)
    if format == "mail" or (format is None and isinstance(source, (str, Path)) and looks_like_mail(source)):
        return load_mail(source, progress=progress, max_set_aside=max_set_aside, channel=channel or "extension",
                         spark=spark, **loader_options)
    notes: list[dict] = []
    parquet = parquet_file(source, what="sent mail", report=notes)  # one Parquet file: never read into Python
    if parquet is not None:
        table, label = parquet, parquet.label
    else:
        table, label = read_table(source, what="sent mail", encoding=encoding, report=notes)
    if format in ("hubspot_api", "hubspot_ui") or format is None:
        detected = hubspot.detect_format(table.column_names) if format is None else format
        if detected:
            if channel is not None:
                raise InputError("channel= applies to canonical tables and mail files; a HubSpot export names "
                                 "each email's source, which becomes its channel (see readers/hubspot.py)")
            return load_hubspot(source, format=detected, columns=columns, progress=progress, encoding=encoding,
                                dayfirst=dayfirst, max_set_aside=max_set_aside, spark=spark, **loader_options)
    if loader_options:
        raise InputError(f"options {sorted(loader_options)!r} apply to HubSpot or mail-file sources only")
    return build_sent(table, problems=notes, source=label, progress=progress, columns=columns, dayfirst=dayfirst,
                      max_set_aside=max_set_aside, channel=channel, spark=spark)


def load_hubspot(source, *, owners=None, mapping=None, format: str | None = None, columns=None,
                 progress: bool = True, encoding: str | None = None, dayfirst: bool | None = None,
                 max_set_aside: float = MAX_SET_ASIDE, spark: "SparkSession | None" = None) -> SentMail:
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
                      max_set_aside=max_set_aside, spark=spark)


def load_mail(path, *, aliases=None, channel: str = "extension", progress: bool = True,
              max_set_aside: float = MAX_SET_ASIDE, spark: "SparkSession | None" = None) -> SentMail:
    """Load an mbox or a folder of message files as a :class:`SentMail`, through ``build_sent``.

    Parameters as ``readers.mailfiles.read_mail``; the problems it counts (duplicates folded,
    malformed dates, ...) are part of the load report (``SentMail.problems``); ``max_set_aside``
    as in :func:`load_sent`.

    >>> sent = load_mail("enron-sent/buy-r", aliases={"rick.buy@enron.com": "rbuy@enron.com"})  # doctest: +SKIP
    """
    messages, problems = mailfiles.read_mail(path, aliases=aliases, channel=channel, progress=progress)
    return build_sent(messages, problems=problems, source=str(path), progress=progress, max_set_aside=max_set_aside,
                      spark=spark)


# --- workspaces: a parsed history kept in one DuckDB file ----------------------------------------
# The file is written whole under a temporary name and renamed into place, so a killed process
# leaves either the old workspace or the new one, never a file that opens with partial data. It is
# reopened read-only, attached to an in-memory engine where the simulations keep their own tables.

WORKSPACE_SUFFIX = ".duckdb"
WORKSPACE_FORMAT = "1"  # bump when the tables' columns or meanings change


def _is_workspace(source) -> bool:
    return isinstance(source, (str, Path)) and str(source).lower().endswith(WORKSPACE_SUFFIX)


def _rebuild_hint(path: Path) -> str:
    return (f"rebuild it with load_sent(SOURCE, workspace={str(path)!r}) or "
            f"`neverlog-sim load SOURCE --workspace {path}`")


def save_workspace(sent: SentMail, path: "str | Path") -> Path:
    """Write ``sent`` (rows, load-time profiles, load report, tracking) to the workspace file ``path``.

    The file is complete or absent: it is written under a temporary name, flushed, then renamed.

    >>> sent = load_sent("sent.csv", workspace="history.duckdb")  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() != WORKSPACE_SUFFIX:
        raise InputError(f"workspace {str(path)!r} must end in {WORKSPACE_SUFFIX}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    engine = sent.engine
    first, last = sent.span
    stats = [len(sent), int(sent.messages), int(sent.senders), int(sent.recipients),
             None if first is None else first.isoformat(), None if last is None else last.isoformat()]
    threads = [int(sent.incoming), int(sent.thread_count), int(sent.unresolved_replies)]
    meta = pd.DataFrame({"key": ["format", "version", "source", "problems", "stats", "channels", "has_tracking",
                                 "threads", "has_threads", "set_aside"],
                         "value": [WORKSPACE_FORMAT, __version__, sent.source, json.dumps(sent._problems),
                                   json.dumps(stats), json.dumps(sent.channels), json.dumps(sent.tracking is not None),
                                   json.dumps(threads), json.dumps(sent.threads is not None),
                                   json.dumps(sent.set_aside)]})
    try:
        engine.run(sql.attach("ws_out", read_only=False), [str(tmp)])
        try:
            for src, name in zip((sent.table, sent.profile, sent.row_profile), sql.WORKSPACE_TABLES):
                engine.run(sql.copy_into(src, "ws_out", name))
            with engine.registered("ws_meta_df", meta) as frame:
                engine.run(sql.copy_into(frame, "ws_out", sql.META))
            if sent.tracking is not None:
                with engine.registered("ws_tracking_df", sent.tracking) as frame:
                    engine.run(sql.copy_into(frame, "ws_out", "tracking"))
            if sent.threads is not None:
                engine.run(sql.copy_into(sent.threads, "ws_out", "sent_threads"))
        finally:
            engine.run(sql.detach("ws_out"))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sent.workspace = path
    return path


def open_sent(path: "str | Path") -> SentMail:
    """Reopen a history kept with ``load_sent(..., workspace=path)``: no file is read again.

    Raises ``WorkspaceError`` (saying how to rebuild it) when the file is missing, damaged, or
    written by an incompatible version.

    >>> sent = open_sent("history.duckdb")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise WorkspaceError(f"workspace {str(path)!r} does not exist; {_rebuild_hint(path)}")
    engine = DuckDBEngine()
    alias = f"ws_{next(_counter)}"
    try:
        engine.run(sql.attach(alias, read_only=True), [str(path)])
        tables = {t for (t,) in engine.rows(sql.workspace_tables(), [alias])}
        missing = sorted(set(sql.WORKSPACE_TABLES + (sql.META,)) - tables)
        if missing:
            raise WorkspaceError(f"workspace {str(path)!r} is incomplete (no {', '.join(missing)}); "
                                 f"{_rebuild_hint(path)}")
        meta = dict(engine.rows(sql.read_meta(alias)))
    except duckdb.Error as exc:
        engine.close()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WorkspaceError(f"workspace {str(path)!r} cannot be opened ({first}); {_rebuild_hint(path)}") from None
    if meta.get("format") != WORKSPACE_FORMAT:
        engine.close()
        raise WorkspaceError(f"workspace {str(path)!r} was written by neverlog-sim {meta.get('version')} "
                             f"(format {meta.get('format')}); this is {__version__} (format {WORKSPACE_FORMAT}): "
                             f"{_rebuild_hint(path)}")
    name = f"sent_{next(_counter)}"
    for table, suffix in zip(sql.WORKSPACE_TABLES, ("", "_profile", "_rowprofile")):
        engine.run(sql.view_of(f"{alias}.{table}", name + suffix))
    has_threads = json.loads(meta["has_threads"])
    if has_threads:
        engine.run(sql.view_of(f"{alias}.sent_threads", f"{name}_threads"))
    tracking = engine.df(sql.read_table(f"{alias}.tracking")) if json.loads(meta["has_tracking"]) else None
    stats = json.loads(meta["stats"])
    stats[4:] = [None if t is None else pd.Timestamp(t).to_pydatetime() for t in stats[4:]]
    known = {"stats": tuple(stats), "channels": json.loads(meta["channels"]), "threads": json.loads(meta["threads"]),
             "has_threads": has_threads}
    sent = SentMail(engine, name, json.loads(meta["problems"]), meta["source"], tracking,
                    json.loads(meta["set_aside"]), known=known)
    sent.workspace = path
    return sent
