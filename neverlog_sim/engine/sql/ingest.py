"""SQL of ingestion: staging, address reading, the canonical rows table and the load report.

Only internal table names (chosen by the toolkit, never by a user) are formatted into the text;
user values — entries, addresses, paths, flags — arrive as registered tables or bound parameters.
"""

from __future__ import annotations

from .common import CHANNELS


def _text(col: str) -> str:
    # trim() copies every string; only values that start or end with a space need it (the rest pass as they are).
    c = f"CAST({col} AS VARCHAR)"
    return f"NULLIF(CASE WHEN starts_with({c}, ' ') OR ends_with({c}, ' ') THEN trim({c}) ELSE {c} END, '')"


# The 1-based row number of the source table, added by ingest.build_sent: DuckDB's own row order
# is not the source's once insertion order is not preserved, and "row-N" ids must be stable.
SOURCE_ROW = "_source_row"
_ROLE_RANK = "CASE role WHEN 'to' THEN 1 WHEN 'cc' THEN 2 WHEN 'bcc' THEN 3 ELSE 4 END"
_TRUE = "('true', 't', '1', 'yes', 'y', 'on')"
_FALSE = "('false', 'f', '0', 'no', 'n', 'off')"
_INBOUND = "('inbound', 'incoming', 'in', 'received')"
_OUTBOUND = "('outbound', 'outgoing', 'out', 'sent')"
_KNOWN_CHANNELS = "(" + ", ".join(f"'{c}'" for c in CHANNELS) + ")"


def _message_columns(typed_sent_at: bool, has_log: bool, has_dir: bool, has_thread: bool = False,
                     has_reply: bool = False) -> str:
    """The message-level columns of a staged row, read once: dates parsed, flags and directions normalised.

    Odd values are kept beside the reading (``*_bad``) so that the load report can quote them.
    """
    if typed_sent_at:
        sent = "CAST(sent_at AS TIMESTAMP) AS sent_at, NULL::VARCHAR AS sent_at_bad"
    else:
        # Dates may carry an offset: read as TIMESTAMPTZ (session zone UTC), keep the UTC wall time.
        parsed = f"CAST(TRY_CAST({_text('sent_at')} AS TIMESTAMPTZ) AS TIMESTAMP)"
        sent = f"{parsed} AS sent_at, CASE WHEN {parsed} IS NULL THEN {_text('sent_at')} END AS sent_at_bad"
    log = _text("log_enabled") if has_log else "NULL::VARCHAR"
    dr = _text("direction") if has_dir else "NULL::VARCHAR"
    return f"""{_text('message_id')} AS message_id, {sent}, {_text('sender')} AS sender_raw,
           lower({_text('channel')}) AS channel,
           CASE WHEN {_text('channel')} IS NULL AND lower({dr}) IN {_INBOUND} THEN NULL  -- read as client (2026)
                WHEN {_text('channel')} IS NULL OR lower({_text('channel')}) NOT IN {_KNOWN_CHANNELS}
                THEN coalesce({_text('channel')}, '(empty)') END AS channel_bad,
           coalesce(lower({log}) NOT IN {_FALSE}, true) AS log_enabled,
           CASE WHEN lower({log}) NOT IN {_TRUE} AND lower({log}) NOT IN {_FALSE} THEN {log} END AS log_bad,
           CASE WHEN lower({dr}) IN {_INBOUND} THEN 'inbound' ELSE 'outbound' END AS direction,
           CASE WHEN lower({dr}) NOT IN {_INBOUND} AND lower({dr}) NOT IN {_OUTBOUND} THEN {dr} END AS dir_bad,
           {_text('thread_id') if has_thread else 'NULL::VARCHAR'} AS thread_id,
           {_text('in_reply_to') if has_reply else 'NULL::VARCHAR'} AS in_reply_to"""


def stage_message_level(src: str, out: str, addr_cols: list[str], typed_sent_at: bool, has_log: bool,
                        has_dir: bool, has_thread: bool = False, has_reply: bool = False) -> str:
    """One row per message, its fields read; ``*_plain`` says whether a To/Cc/Bcc field is a plain list of
    addresses that SQL splits ($1: ``PLAIN_FIELD``)."""
    fields = ", ".join(
        f"{_text(q(c))} AS {c}_field" if c in addr_cols else f"NULL::VARCHAR AS {c}_field" for c in ("to", "cc", "bcc"))
    plain = ", ".join(f"coalesce(regexp_full_match({c}_field, $1), false) AS {c}_plain" for c in ("to", "cc", "bcc"))
    return f"""
    CREATE TABLE {out} AS
    SELECT *, {plain} FROM (
        SELECT {SOURCE_ROW} AS msg_row, {_message_columns(typed_sent_at, has_log, has_dir, has_thread, has_reply)},
               {fields}
        FROM {src})"""


def q(name: str) -> str:
    """Quote one of our own column names (``to`` is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


# A To/Cc/Bcc field of plain addresses only (letters, digits, . _ + - around one @), separated by , or ;
# with optional white space: split_address_field gives each address as written, so SQL can split it.
_PLAIN_ADDRESS = r"[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+"
PLAIN_FIELD = rf"\s*{_PLAIN_ADDRESS}(\s*[,;]\s*({_PLAIN_ADDRESS})?)*\s*"


def _split_plain(field: str) -> str:
    return f"unnest(string_split_regex(regexp_replace({field}, '^\\s+|\\s+$', '', 'g'), '\\s*[,;]\\s*'))"


def odd_fields(msg: str) -> str:
    """The distinct To/Cc/Bcc fields that are not plain: Python's address parser splits these."""
    return f"""
    SELECT field FROM (
        SELECT to_field AS field FROM {msg} WHERE NOT to_plain UNION SELECT cc_field FROM {msg} WHERE NOT cc_plain
        UNION SELECT bcc_field FROM {msg} WHERE NOT bcc_plain)
    WHERE field IS NOT NULL ORDER BY field"""


_STAGED = ("message_id", "sent_at", "sent_at_bad", "sender_raw", "channel", "channel_bad", "log_enabled", "log_bad",
           "direction", "dir_bad", "thread_id", "in_reply_to")


def explode_message_level(msg: str, odd_split: str, out: str) -> str:
    """One row per address read from a message's To/Cc/Bcc fields: plain fields split here, the others
    joined to ``odd_split`` (``field, raw``: each odd field's addresses as Python's parser gave them)."""
    cols = ", ".join(_STAGED)
    plain = " UNION ALL ".join(
        f"SELECT msg_row, {cols}, '{c}' AS role, {_split_plain(f'{c}_field')} AS raw FROM {msg} WHERE {c}_plain"
        for c in ("to", "cc", "bcc"))
    odd = " UNION ALL ".join(
        f"SELECT msg_row, '{c}' AS role, {c}_field AS field FROM {msg} WHERE NOT {c}_plain AND {c}_field IS NOT NULL"
        for c in ("to", "cc", "bcc"))
    mcols = ", ".join(f"m.{c}" for c in _STAGED)
    return f"""
    CREATE TABLE {out} AS
    SELECT msg_row, {cols}, role, NULL::VARCHAR AS role_bad, raw FROM ({plain}) WHERE raw <> ''
    UNION ALL
    SELECT m.msg_row, {mcols}, f.role, NULL::VARCHAR AS role_bad, s.raw
    FROM ({odd}) f JOIN {odd_split} s ON s.field = f.field JOIN {msg} m ON m.msg_row = f.msg_row"""


def stage_recipient_level(src: str, out: str, typed_sent_at: bool, has_role: bool, has_log: bool,
                          has_dir: bool, has_thread: bool = False, has_reply: bool = False) -> str:
    role = f"lower({_text('role')})" if has_role else "'to'"
    # A view over the source table: recipient-level input needs no reshaping, and a staged copy
    # would hold every row a second time.
    return f"""
    CREATE VIEW {out} AS
    SELECT {SOURCE_ROW} AS msg_row, {_message_columns(typed_sent_at, has_log, has_dir, has_thread, has_reply)},
           CASE WHEN {role} IN ('to', 'cc', 'bcc') THEN {role} ELSE 'to' END AS role,
           CASE WHEN {role} NOT IN ('to', 'cc', 'bcc') THEN {role} END AS role_bad,
           {_text('recipient')} AS raw
    FROM {src}"""


def join_addresses(raw_rows: str, amap: str, out: str) -> str:
    """Every staged row with its recipient and sender read, through the whole address map: a view the
    load report's examples (and the rare exact checks) read; the rows themselves come from ``build_staged``.
    """
    return f"""
    CREATE VIEW {out} AS
    SELECT r.msg_row, r.message_id, r.sent_at, r.sent_at_bad, r.channel,
           r.channel_bad,
           r.log_enabled, r.log_bad, r.direction, r.dir_bad, r.role, r.role_bad, r.raw, r.thread_id, r.in_reply_to,
           a.address AS recipient, a.status, s.address IS NOT NULL AS sender_ok,
           coalesce(s.address, lower(r.sender_raw)) AS sender
    FROM {raw_rows} r
    LEFT JOIN {amap} a ON a.raw = r.raw
    LEFT JOIN {amap} s ON s.raw = r.sender_raw"""


def row_id_sequence(out: str) -> str:
    # A sequence numbers rows as they stream; row_number() OVER () would buffer every row first.
    return f"CREATE SEQUENCE {out}_row_id"


# The load report (docs/rules.md#recipients-in-your-data: nothing dropped or changed silently): label, the rows it counts,
# and what to quote as examples. Counted over staged rows, before a message's repeats are merged.
_KEPT = "recipient IS NOT NULL"
LOAD_PROBLEMS = (
    ("recipients with no usable local@domain (set aside)", "raw IS NOT NULL AND recipient IS NULL", "raw"),
    ("non-standard recipient addresses (kept and matched)", "status = 'non_standard'", "recipient"),
    ("unknown channels (kept; lists do not apply, rule U1)", f"{_KEPT} AND channel_bad IS NOT NULL", "channel_bad"),
    ("missing sent_at (kept, undated)", f"{_KEPT} AND sent_at IS NULL AND sent_at_bad IS NULL",
     "coalesce(message_id, '?')"),
    ("unreadable sent_at (kept, undated)", f"{_KEPT} AND sent_at_bad IS NOT NULL", "sent_at_bad"),
    ("missing message_id (given row-N ids)", f"{_KEPT} AND message_id IS NULL", "sender"),
    ("senders that are not an address (kept as written)", "NOT sender_ok", "coalesce(sender, '(empty)')"),
    ("unknown roles (read as to)", f"{_KEPT} AND role_bad IS NOT NULL", "role_bad"),
    ("unknown log_enabled values (read as true)", f"{_KEPT} AND log_bad IS NOT NULL", "log_bad"),
    ("unknown direction values (read as outbound)", f"{_KEPT} AND dir_bad IS NOT NULL", "dir_bad"),
)
DUPLICATES = "recipient listed twice in one message (one row kept, role To > Cc > Bcc)"
NO_RECIPIENT = "messages with no usable recipient (set aside)"


# --- the fast load: few passes over the rows (see benchmarks/README.md, "Where the time goes") ------------
# 1. ``address_counts``: one aggregation over the raw recipient and sender values (how many rows name
#    each); the standard ones are read by a regular expression over these distinct values only, the
#    odd ones in Python (``history._address_map``).
# 2. ``build_staged``: one pass writes every kept row with its canonical columns, plus four working
#    columns (``msg_row``, the pair key ``k``, the raw sender's hash ``sh`` and the load report's
#    ``flags``), joined only to the few raw values whose address is not ``lower(raw)``.
# 3. Narrow passes over that table: the flag counts, the repeated pair keys, the messages. Rows are
#    merged (``merge_repeated``) only when a pair repeats; the working columns are then dropped.

def address_counts(raw_rows: str, out: str) -> str:
    """Each distinct raw recipient and sender (NULL included) with the rows that name it as recipient / sender."""
    return f"""
    CREATE TABLE {out} AS
    SELECT raw, count(*) FILTER (WHERE side = 0) AS nr, count(*) FILTER (WHERE side = 1) AS ns
    FROM (SELECT raw, 0 AS side FROM {raw_rows} UNION ALL SELECT sender_raw, 1 FROM {raw_rows})
    GROUP BY raw"""


def classify_counted(counts: str, out: str) -> str:
    """``address_counts`` with the address where the ASCII fast path settles it ($1: the standard pattern)."""
    return f"""
    CREATE TABLE {out} AS
    WITH norm AS (SELECT raw, nr, ns, lower(trim(raw)) AS a FROM {counts})
    SELECT raw, nr, ns,
           CASE WHEN regexp_full_match(a, $1)
                 AND length(split_part(a, '@', 1)) <= 64 AND length(split_part(a, '@', 2)) <= 253
                 AND length(a) <= 254
                 AND NOT (starts_with(a, '''') OR split_part(a, '@', 1)[-1:] = '''')
                THEN a END AS address
    FROM norm"""


def odd_counted(fast: str) -> str:
    return f"SELECT raw FROM {fast} WHERE raw IS NOT NULL AND address IS NULL ORDER BY raw"


def counted_map(fast: str, odd: str, out: str) -> str:
    """Every distinct raw value: its row counts, address and status (the odd ones as Python read them)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT f.raw, f.nr, f.ns, coalesce(f.address, o.address) AS address,
           CASE WHEN f.address IS NOT NULL THEN 'standard' ELSE o.status END AS status
    FROM {fast} f LEFT JOIN {odd} o ON o.raw = f.raw"""


def address_exceptions(amap: str, out: str) -> str:
    """The raw values whose reading is not simply ``lower(raw)``: the only ones a row must be joined to."""
    return f"""
    CREATE TABLE {out} AS
    SELECT raw, address FROM {amap}
    WHERE raw IS NOT NULL AND (address IS DISTINCT FROM lower(raw) OR status <> 'standard')"""


def map_problem_counts(amap: str) -> str:
    """Problems settled per raw value (rows counted through ``nr``/``ns``): unusable recipients,
    non-standard recipients, senders that are not an address, rows with no recipient, all rows,
    distinct recipients kept."""
    return f"""
    SELECT coalesce(sum(nr) FILTER (WHERE raw IS NOT NULL AND address IS NULL), 0),
           coalesce(sum(nr) FILTER (WHERE status = 'non_standard'), 0),
           coalesce(sum(ns) FILTER (WHERE address IS NULL), 0),
           coalesce(sum(nr) FILTER (WHERE raw IS NULL), 0),
           coalesce(sum(nr), 0),
           count(DISTINCT address) FILTER (WHERE nr > 0)
    FROM {amap}"""


def map_problem_examples(amap: str, index: int) -> str:
    """Examples of a map-settled problem (``LOAD_PROBLEMS`` 0, 1 and 6), as ``load_report_examples`` quotes them."""
    expr, cond = {0: ("raw", "nr > 0 AND raw IS NOT NULL AND address IS NULL"),
                  1: ("address", "nr > 0 AND status = 'non_standard'"),
                  6: ("coalesce(lower(raw), '(empty)')", "ns > 0 AND address IS NULL")}[index]
    return f"SELECT DISTINCT {expr} AS example FROM {amap} WHERE {cond} ORDER BY 1 LIMIT 3"


#: ``LOAD_PROBLEMS`` counted over kept rows (a flag bit each); 0, 1 and 6 are counted on the address map.
FLAGGED = (2, 3, 4, 5, 7, 8, 9)
MAP_COUNTED = (0, 1, 6)


def _flags() -> str:
    parts = []
    for i in FLAGGED:
        cond = LOAD_PROBLEMS[i][1]
        assert cond.startswith(f"{_KEPT} AND ")
        parts.append(f"CASE WHEN {cond[len(_KEPT) + 5:]} THEN {1 << i} ELSE 0 END")
    return " + ".join(parts)


STAGED_COLUMNS = ("row_id", "message_id", "sent_at", "sender", "channel", "role", "recipient", "rdomain",
                  "log_enabled", "direction", "thread_id", "in_reply_to")
#: The flag bit of rows whose raw sender is not already its reading (``shared_message_ids`` then runs exactly).
SENDER_REWRITTEN = 1 << 15
_PAIR = "hash(message_id, recipient)"  # the pair key, on the staged table (message_id already given its row-N id)


def work_columns(message_level: bool) -> tuple[str, ...]:
    return ("msg_row", "flags") if message_level else ("flags",)


def build_staged(raw_rows: str, exceptions: str, out: str, message_level: bool) -> str:
    """Every kept row: the canonical columns and the working ones (``flags``; ``msg_row`` at message level),
    in one pass, before any merge. ``row_id``: the source row at recipient level (unique), a sequence at
    message level (a message gives several rows)."""
    rid = f"nextval('{out}_row_id')" if message_level else "msg_row"
    return f"""
    CREATE TABLE {out} AS
    WITH j AS NOT MATERIALIZED (
        SELECT r.*, CASE WHEN a.raw IS NULL THEN lower(r.raw) ELSE a.address END AS rec,
               coalesce(s.address, lower(r.sender_raw)) AS snd,
               r.raw IS NOT NULL AND (a.raw IS NULL OR a.address IS NOT NULL) AS kept  -- rec IS NOT NULL, without lower()
        FROM {raw_rows} r LEFT JOIN {exceptions} a ON a.raw = r.raw LEFT JOIN {exceptions} s ON s.raw = r.sender_raw
    )
    SELECT {rid} AS row_id, coalesce(message_id, 'row-' || msg_row) AS message_id, sent_at, snd AS sender,
           channel, role, rec AS recipient, split_part(rec, '@', -1) AS rdomain, log_enabled, direction,
           thread_id, in_reply_to, {"msg_row, " if message_level else ""}
           CAST({_flags()} + CASE WHEN sender_raw IS DISTINCT FROM snd THEN {SENDER_REWRITTEN} ELSE 0 END
                AS INTEGER) AS flags  -- INTEGER, not USMALLINT: Spark has no unsigned types
    FROM j WHERE kept"""


def staged_counts(staged: str) -> str:
    """Kept rows, each flagged problem's count (``FLAGGED`` order), inbound rows, rows whose sender was rewritten."""
    counts = ", ".join(f"count(*) FILTER (WHERE flags & {1 << i} <> 0)" for i in FLAGGED)
    return (f"SELECT count(*), {counts}, count(*) FILTER (WHERE direction = 'inbound'), "
            f"count(*) FILTER (WHERE flags & {SENDER_REWRITTEN} <> 0) FROM {staged}")


def staged_repeated(staged: str, out: str) -> str:
    """Pair keys (an 8-byte hash) staged more than once: the only rows ``merge_repeated`` merges; a hash
    shared by two different pairs only sends both through the exact merge."""
    return f"CREATE TABLE {out} AS SELECT {_PAIR} AS k FROM {staged} GROUP BY k HAVING count(*) > 1"


def staged_messages(staged: str) -> str:
    """Messages kept, and how many have rows that differ in sender or date (``shared_message_ids`` exactly,
    when every raw sender was already its reading and no row was set aside)."""
    return f"""
    SELECT count(*), count(*) FILTER (WHERE shared) FROM (
        SELECT message_id, min(sender) <> max(sender) OR min(sent_at) <> max(sent_at) AS shared FROM {staged}
        GROUP BY message_id)"""


def staged_without_recipient(msg: str, staged: str) -> str:
    """Message level: staged messages none of whose rows was kept (count and three ids)."""
    return f"""
    SELECT count(*), list(coalesce(message_id, '?') ORDER BY msg_row)[1:3] FROM (
        SELECT msg_row, message_id FROM {msg} m
        WHERE NOT EXISTS (SELECT 1 FROM {staged} s WHERE s.msg_row = m.msg_row))"""


def conflicting_staged(staged: str, repeated: str) -> str:
    """(message, recipient) pairs staged more than once whose rows disagree: count and three examples."""
    # The distinct values in order, as a sorted list (not string_agg(DISTINCT ... ORDER BY ...), which
    # Spark's planner cannot rewrite): the same text on both engines.
    def values(col: str, label: str) -> str:
        return (f"CASE WHEN count(DISTINCT {col}) > 1 "
                f"THEN '{label} ' || array_to_string(list_sort(list_distinct(list(CAST({col} AS VARCHAR)) "
                f"FILTER (WHERE {col} IS NOT NULL))), ' / ') END")
    return f"""
    SELECT count(*), coalesce(list(ex ORDER BY ex)[1:3], []) FROM (
        SELECT message_id || ' to ' || recipient || ': '
               || concat_ws('; ', {values('sender', 'senders')}, {values('channel', 'channels')}, {values('sent_at', 'dates')}) AS ex
        FROM {staged}
        WHERE {_PAIR} IN (SELECT k FROM {repeated})
        GROUP BY message_id, recipient
        HAVING count(DISTINCT sender) > 1 OR count(DISTINCT channel) > 1 OR count(DISTINCT sent_at) > 1)"""


def merge_repeated(staged: str, repeated: str, out: str, message_level: bool) -> str:
    """The exact merge of the pairs whose key repeats: one row per message × recipient (role To > Cc > Bcc,
    the rest from the first source row)."""
    order = "msg_row" if message_level else "row_id"
    return f"""
    CREATE TABLE {out} AS
    SELECT min(row_id) AS row_id, message_id, arg_min(sent_at, {order}) AS sent_at, arg_min(sender, {order}) AS sender,
           arg_min(channel, {order}) AS channel, arg_min(role, {_ROLE_RANK}) AS role, recipient,
           split_part(recipient, '@', -1) AS rdomain, bool_and(log_enabled) AS log_enabled,
           arg_min(direction, {order}) AS direction, arg_min(thread_id, {order}) AS thread_id,
           arg_min(in_reply_to, {order}) AS in_reply_to
    FROM {staged} WHERE {_PAIR} IN (SELECT k FROM {repeated}) GROUP BY message_id, recipient"""


def delete_repeated(staged: str, repeated: str) -> str:
    return f"DELETE FROM {staged} WHERE {_PAIR} IN (SELECT k FROM {repeated})"


def insert_merged(staged: str, merged: str) -> str:
    cols = ", ".join(STAGED_COLUMNS)
    return f"INSERT INTO {staged} ({cols}) SELECT {cols} FROM {merged}"


def drop_work_columns(staged: str, message_level: bool) -> list[str]:
    return [f"ALTER TABLE {staged} DROP COLUMN {c}" for c in work_columns(message_level)]


def outbound_stats(table: str) -> str:
    """The figures of ``sent_stats`` the load does not already know: outbound senders and the date span."""
    return (f"SELECT count(DISTINCT sender) FILTER (WHERE direction = 'outbound'), min(sent_at), "
            f"max(sent_at) FROM {table}")


def load_report_examples(joined: str, index: int) -> str:
    _, cond, expr = LOAD_PROBLEMS[index]
    return f"SELECT DISTINCT {expr} AS example FROM {joined} WHERE {cond} ORDER BY 1 LIMIT 3"


CONFLICTS = "rows for one message and recipient that disagree on sender, channel or date (the first row kept)"
SHARED_IDS = "message ids shared by different messages (different sender or date)"
EMPTY_RECIPIENT = "rows with an empty recipient (set aside)"


def shared_message_ids(staged: str) -> str:
    """Message ids whose rows name different senders or dates: two messages under one id."""
    return f"""
    SELECT count(*), coalesce(list(ex ORDER BY ex)[1:3], []) FROM (
        SELECT message_id || ': ' || concat_ws('; ',
                   CASE WHEN min(sender_raw) <> max(sender_raw) THEN 'senders ' || min(sender_raw) || ' / ' || max(sender_raw) END,
                   CASE WHEN min(sent_at) <> max(sent_at)
                        THEN 'dates ' || CAST(min(sent_at) AS VARCHAR) || ' / ' || CAST(max(sent_at) AS VARCHAR) END) AS ex
        FROM {staged} WHERE message_id IS NOT NULL GROUP BY message_id
        HAVING min(sender_raw) <> max(sender_raw) OR min(sent_at) <> max(sent_at))"""


def set_aside_counts(raw_rows: str, rows: str, msg: str | None) -> str:
    """What was given: ``rows`` (addresses read, message level; input rows, recipient level), ``empty_rows``
    (recipient level: rows with an empty recipient), ``messages`` and ``messages_kept``.

    Reads the staged rows and the built rows table, never the address join again.
    """
    if msg:
        return f"""
        SELECT (SELECT count(*) FROM {raw_rows} WHERE raw IS NOT NULL), 0,
               (SELECT count(*) FROM {msg}), (SELECT count(DISTINCT message_id) FROM {rows})"""
    mid = "coalesce(message_id, 'row-' || msg_row)"
    return f"""
    SELECT count(*), count(*) FILTER (WHERE raw IS NULL), count(DISTINCT {mid}),
           (SELECT count(DISTINCT message_id) FROM {rows})
    FROM {raw_rows}"""


def empty_recipient_examples(joined: str) -> str:
    return f"SELECT DISTINCT coalesce(message_id, 'row ' || msg_row) FROM {joined} WHERE raw IS NULL ORDER BY 1 LIMIT 3"


def row_count(table: str) -> str:
    return f"SELECT count(*) FROM {table}"


def sent_stats(table: str) -> str:
    return (f"SELECT count(*), count(DISTINCT message_id), count(DISTINCT sender) FILTER (WHERE direction = 'outbound'), "
            f"count(DISTINCT recipient), "
            f"min(sent_at), max(sent_at) FROM {table}")


def distinct_channels(table: str) -> str:
    return f"SELECT DISTINCT channel FROM {table} WHERE direction = 'outbound' ORDER BY channel"


def sent_rows(table: str) -> str:
    return (f"SELECT message_id, sent_at, sender, channel, recipient, role, log_enabled, direction FROM {table} "
            f"ORDER BY sent_at NULLS LAST, message_id, {_ROLE_RANK}, recipient")


def outbound_senders(table: str) -> str:
    return f"SELECT DISTINCT sender FROM {table} WHERE direction = 'outbound' ORDER BY sender"


# --- per-history summaries, built once at load (the rules pick from them at simulation time) -------

def channel_code() -> str:
    """0..4 for the canonical channels, 5 for any other."""
    whens = " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(CHANNELS))
    return f"CASE channel {whens} ELSE {len(CHANNELS)} END"


def recipient_profile(rows: str, out: str) -> str:
    """Per outbound recipient, a bitmask of the (channel, log toggle) pairs its sends used: bit 2*code + log."""
    return f"""
    CREATE TABLE {out} AS
    SELECT recipient, bit_or(CAST(1 AS BIGINT) << ({channel_code()} * 2 + CAST(log_enabled AS INTEGER))) AS codes
    FROM {rows} WHERE direction = 'outbound' GROUP BY recipient"""


def row_profile(rows: str, out: str) -> str:
    """Row counts by the columns the rules look at (a few dozen rows)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT channel, role, direction, log_enabled, count(*) AS n FROM {rows} GROUP BY ALL"""


# --- reply threads (docs/rules.md#reply-threads), built once at load when the history has thread data --

def has_thread_data(rows: str) -> str:
    return (f"SELECT count(*) FILTER (WHERE thread_id IS NOT NULL OR in_reply_to IS NOT NULL), "
            f"count(DISTINCT message_id) FILTER (WHERE direction = 'inbound') FROM {rows}")


def thread_edges(rows: str, out: str) -> str:
    """The thread graph: an email and each message of the history its ``in_reply_to`` names (ids in
    ``<>`` or bare, several separated by white space or commas), and an email and its ``thread_id``."""
    return f"""
    CREATE TABLE {out} AS
    WITH m AS (SELECT message_id, any_value(thread_id) AS thread_id, any_value(in_reply_to) AS in_reply_to
               FROM {rows} GROUP BY message_id),
    k AS (SELECT message_id, trim(message_id, '<> ') AS key FROM m),
    refs AS (SELECT message_id, unnest(regexp_extract_all(in_reply_to, '[^\\s<>,]+')) AS ref
             FROM m WHERE in_reply_to IS NOT NULL),
    e AS (SELECT 'm:' || r.message_id AS a, 'm:' || k.message_id AS b FROM refs r JOIN k ON k.key = r.ref
          WHERE k.message_id <> r.message_id
          UNION SELECT 'm:' || message_id, 't:' || thread_id FROM m WHERE thread_id IS NOT NULL)
    SELECT a, b FROM e UNION SELECT b, a FROM e"""


def thread_labels_init(rows: str, edges: str, out: str) -> str:
    return f"""
    CREATE TABLE {out} AS
    SELECT node, node AS label FROM (SELECT DISTINCT 'm:' || message_id AS node FROM {rows} UNION SELECT a FROM {edges})"""


def thread_labels_step(labels: str, edges: str, out: str) -> str:
    """One round of smallest-label propagation over the thread graph (with a jump to the label's label)."""
    return f"""
    CREATE OR REPLACE TABLE {out} AS
    WITH n AS (
        SELECT l.node, least(l.label, coalesce(min(o.label), l.label)) AS label
        FROM {labels} l LEFT JOIN {edges} e ON e.a = l.node LEFT JOIN {labels} o ON o.node = e.b
        GROUP BY l.node, l.label
    )
    SELECT n.node, least(n.label, coalesce(j.label, n.label)) AS label FROM n LEFT JOIN {labels} j ON j.node = n.label"""


def labels_changed(old: str, new: str) -> str:
    return f"SELECT count(*) FROM {old} o JOIN {new} n ON n.node = o.node WHERE n.label <> o.label"


def thread_table(rows: str, labels: str, out: str) -> str:
    """Each message of the history and its thread (the smallest node of its part of the thread graph)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT DISTINCT r.message_id, l.label AS thread FROM {rows} r JOIN {labels} l ON l.node = 'm:' || r.message_id"""


def thread_counts(rows: str, threads: str) -> str:
    """Threads of more than one email, and replies whose ``in_reply_to`` names no message of the history."""
    return f"""
    WITH sizes AS (SELECT thread, count(*) AS n FROM {threads} GROUP BY thread),
    m AS (SELECT message_id, any_value(in_reply_to) AS in_reply_to FROM {rows} GROUP BY message_id),
    k AS (SELECT trim(message_id, '<> ') AS key FROM m),
    refs AS (SELECT message_id, unnest(regexp_extract_all(in_reply_to, '[^\\s<>,]+')) AS ref
             FROM m WHERE in_reply_to IS NOT NULL),
    unresolved AS (SELECT message_id FROM refs GROUP BY message_id
                   HAVING NOT bool_or(ref IN (SELECT key FROM k)))
    SELECT (SELECT count(*) FROM sizes WHERE n > 1),
           (SELECT count(*) FROM unresolved),
           (SELECT list(message_id ORDER BY message_id)[1:3] FROM unresolved)"""
