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


def _message_texts(typed_sent_at: bool, has_log: bool, has_dir: bool, has_thread: bool = False,
                   has_reply: bool = False) -> str:
    """The message-level fields of a source row as text, each trimmed once (``_message_columns`` reads them)."""
    sent = "CAST(sent_at AS TIMESTAMP) AS sent_at" if typed_sent_at else f"{_text('sent_at')} AS sent_text"
    return f"""{SOURCE_ROW} AS msg_row, {_text('message_id')} AS message_id, {sent}, {_text('sender')} AS sender_raw,
           {_text('channel')} AS channel_text,
           {_text('log_enabled') if has_log else 'NULL::VARCHAR'} AS log_text,
           {_text('direction') if has_dir else 'NULL::VARCHAR'} AS dir_text,
           {_text('thread_id') if has_thread else 'NULL::VARCHAR'} AS thread_id,
           {_text('in_reply_to') if has_reply else 'NULL::VARCHAR'} AS in_reply_to"""


def _message_columns(typed_sent_at: bool, has_log: bool = True, has_dir: bool = True) -> str:
    """The message-level columns of a staged row, from ``_message_texts``: dates parsed, flags and directions
    normalised. Odd values are kept beside the reading (``*_bad``) so that the load report can quote them.
    Without a ``log_enabled`` or ``direction`` column the defaults are constants (nothing to read per row).
    """
    if typed_sent_at:
        sent = "sent_at, NULL::VARCHAR AS sent_at_bad"
    else:
        # Dates may carry an offset: read as TIMESTAMPTZ (session zone UTC), keep the UTC wall time.
        parsed = "CAST(TRY_CAST(sent_text AS TIMESTAMPTZ) AS TIMESTAMP)"
        sent = f"{parsed} AS sent_at, CASE WHEN {parsed} IS NULL THEN sent_text END AS sent_at_bad"
    log, dr = "lower(log_text)", "lower(dir_text)"
    if has_log:
        logs = f"""coalesce({log} NOT IN {_FALSE}, true) AS log_enabled,
           CASE WHEN {log} NOT IN {_TRUE} AND {log} NOT IN {_FALSE} THEN log_text END AS log_bad"""
    else:
        logs = "true AS log_enabled, NULL::VARCHAR AS log_bad"
    if has_dir:
        no_channel = f"channel_text IS NULL AND {dr} IN {_INBOUND}"
        dirs = f"""CASE WHEN {dr} IN {_INBOUND} THEN 'inbound' ELSE 'outbound' END AS direction,
           CASE WHEN {dr} NOT IN {_INBOUND} AND {dr} NOT IN {_OUTBOUND} THEN dir_text END AS dir_bad"""
    else:
        no_channel = "false"
        dirs = "'outbound' AS direction, NULL::VARCHAR AS dir_bad"
    return f"""msg_row, message_id, {sent}, sender_raw,
           lower(channel_text) AS channel,
           CASE WHEN {no_channel} THEN NULL  -- read as client (2026)
                WHEN channel_text IS NULL OR lower(channel_text) NOT IN {_KNOWN_CHANNELS}
                THEN coalesce(channel_text, '(empty)') END AS channel_bad,
           {logs},
           {dirs},
           thread_id, in_reply_to"""


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
        SELECT {_message_columns(typed_sent_at, has_log, has_dir)}, {", ".join(f"{c}_field" for c in ("to", "cc", "bcc"))}
        FROM (SELECT {_message_texts(typed_sent_at, has_log, has_dir, has_thread, has_reply)}, {fields} FROM {src}))"""


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
    SELECT {_message_columns(typed_sent_at, has_log, has_dir)},
           CASE WHEN role_text IN ('to', 'cc', 'bcc') THEN role_text ELSE 'to' END AS role,
           CASE WHEN role_text NOT IN ('to', 'cc', 'bcc') THEN role_text END AS role_bad, raw
    FROM (SELECT {_message_texts(typed_sent_at, has_log, has_dir, has_thread, has_reply)}, {role} AS role_text,
                 {_text('recipient')} AS raw
          FROM {src})"""


def join_addresses(raw_rows: str, senders: str, odd: str, out: str) -> str:
    """Every staged row with its recipient and sender read (``senders``: every raw sender's reading; ``odd``:
    the raw recipients not read as ``lower(raw)``): a view the load report's examples (and the rare exact
    checks) read; the rows themselves come from ``build_staged``.
    """
    return f"""
    CREATE VIEW {out} AS
    SELECT r.msg_row, r.message_id, r.sent_at, r.sent_at_bad, r.channel,
           r.channel_bad,
           r.log_enabled, r.log_bad, r.direction, r.dir_bad, r.role, r.role_bad, r.raw, r.thread_id, r.in_reply_to,
           CASE WHEN o.raw IS NULL THEN lower(r.raw) ELSE o.address END AS recipient,
           coalesce(o.status, 'standard') AS status, s.address IS NOT NULL AS sender_ok,
           coalesce(s.address, lower(r.sender_raw)) AS sender
    FROM {raw_rows} r
    LEFT JOIN {odd} o ON o.raw = r.raw
    LEFT JOIN {senders} s ON s.raw = r.sender_raw"""


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


# --- the fast load: few passes over the rows (see benchmarks/README.md, "Loading: where the time went") ----
# 1. ``sender_counts``: the distinct raw senders (few: the org's users, and the people who wrote in), read
#    as addresses, each reading numbered (``sid``); every row is joined to this small map.
# 2. ``build_staged``: one pass writes every row that names a recipient, its recipient read as
#    ``lower(raw)``, plus the working columns (``flags`` for the load report; ``msg_row`` at message level).
# 3. ``recipient_counts``: one aggregation of that table by recipient gives every distinct recipient, the
#    rows naming it, and the bitmask of (channel, log toggle) pairs its outbound rows used (the recipient
#    profile the simulation reads): the standard ones are settled there by a regular expression. The rare
#    values that are not (display names, quotes, no usable address) are read from the source again, by
#    Python's address parser, and their rows replaced (``odd_rows``, ``delete_odd``, ``build_staged``).
# 4. ``row_stats``: the load report's flag counts, the row profile and the date span, in one small grouping.
# 5. ``message_check``: one aggregation by message gives the message count, the ids shared by two
#    messages, and the only messages that may name a recipient twice (a 63-bit fingerprint of their
#    recipients has fewer bits than they have rows); ``uncleared_rows`` and ``staged_repeated`` check exactly those alone.

def _codes_bit() -> str:
    """A row's bit of the recipient profile (``recipient_profile``): bit 2 × channel code + log toggle."""
    return f"CAST(1 AS BIGINT) << ({channel_code()} * 2 + CAST(log_enabled AS INTEGER))"


def sender_counts(raw_rows: str, out: str) -> str:
    """Each distinct raw sender (NULL included) with the rows that name it."""
    return f"CREATE TABLE {out} AS SELECT sender_raw AS raw, count(*) AS n FROM {raw_rows} GROUP BY sender_raw"


def classify_counted(counts: str, out: str, read: bool = True) -> str:
    """``counts`` (``raw, n``; and ``codes`` from ``recipient_counts``) with the address where the ASCII fast
    path settles it ($1: the standard pattern). ``read=False``: the values are already trimmed and lower case
    (``recipient_counts``)."""
    a, cols = ("lower(trim(raw))", "raw, n") if read else ("raw", "raw, n, codes")
    return f"""
    CREATE TABLE {out} AS
    WITH norm AS (SELECT {cols}, {a} AS a FROM {counts})
    SELECT {cols},
           CASE WHEN regexp_full_match(a, $1)
                 AND length(split_part(a, '@', 1)) <= 64 AND length(split_part(a, '@', 2)) <= 253
                 AND length(a) <= 254
                 AND NOT (starts_with(a, '''') OR split_part(a, '@', 1)[-1:] = '''')
                THEN a END AS address
    FROM norm"""


def odd_counted(fast: str) -> str:
    return f"SELECT raw FROM {fast} WHERE raw IS NOT NULL AND address IS NULL ORDER BY raw"


def counted_map(fast: str, odd: str, out: str) -> str:
    """Every distinct raw sender: its row count, address and status (the odd ones as Python read them), the
    sender its rows get (``reading``: the address, else the raw value in lower case) and a small number per
    reading (``sid``: ``message_check`` compares a message's senders by it, not by their text)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT *, CAST(dense_rank() OVER (ORDER BY reading) AS INTEGER) AS sid FROM (
        SELECT f.raw, f.n, coalesce(f.address, o.address) AS address,
               CASE WHEN f.address IS NOT NULL THEN 'standard' ELSE o.status END AS status,
               coalesce(f.address, o.address, lower(f.raw)) AS reading
        FROM {fast} f LEFT JOIN {odd} o ON o.raw = f.raw)"""


def recipient_counts(staged: str, out: str) -> str:
    """Each distinct recipient as staged (``lower(raw)``): its rows, and its outbound rows' profile bitmask
    (NULL when it has none)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT recipient AS raw, count(*) AS n, bit_or({_codes_bit()}) FILTER (WHERE direction = 'outbound') AS codes
    FROM {staged} GROUP BY recipient"""


def odd_rows(raw_rows: str, fast: str, out: str, message_level: bool = False) -> str:
    """The source rows whose recipient the fast path did not settle, kept to be read by Python (at message
    level with their row's id, ``split_row``: see ``build_staged``)."""
    split = ", rowid AS split_row" if message_level else ""
    return f"""
    CREATE TABLE {out} AS
    SELECT *{split} FROM {raw_rows} WHERE lower(raw) IN (SELECT raw FROM {fast} WHERE address IS NULL)"""


def odd_count(fast: str) -> str:
    return f"SELECT count(*) FROM {fast} WHERE address IS NULL"


def odd_values(rows: str) -> str:
    return f"SELECT raw, count(*) FROM {rows} GROUP BY raw ORDER BY raw"


def odd_map(values: str, out: str) -> str:
    """The odd raw recipients as Python read them (``raw, n, address, status``); empty when there are none."""
    return f"CREATE TABLE {out} AS SELECT raw, n, address, status FROM {values}"


def delete_odd(staged: str, fast: str) -> str:
    return f"DELETE FROM {staged} WHERE recipient IN (SELECT raw FROM {fast} WHERE address IS NULL)"


def recipient_map(fast: str, odd: str | None, staged: str, out: str) -> str:
    """Every recipient kept and its profile bitmask (a view): the fast path's, and the odd ones' counted again
    over the rows (an odd value may read as an address that is also written plainly). ``odd`` None: there
    were none, every recipient is the fast path's."""
    if odd is None:
        return f"CREATE VIEW {out} AS SELECT raw AS recipient, codes FROM {fast}"
    return f"""
    CREATE VIEW {out} AS
    SELECT raw AS recipient, codes FROM {fast} f
    WHERE address IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {odd} o WHERE o.address = f.raw)
    UNION ALL
    SELECT recipient, bit_or({_codes_bit()}) FILTER (WHERE direction = 'outbound') FROM {staged}
    WHERE recipient IN (SELECT address FROM {odd} WHERE address IS NOT NULL) GROUP BY recipient"""


def profile_from_map(rmap: str, out: str) -> str:
    """The recipient profile (``recipient_profile``'s table) from the recipient map: its outbound recipients."""
    return f"CREATE TABLE {out} AS SELECT recipient, codes FROM {rmap} WHERE codes IS NOT NULL"


def map_problem_counts(senders: str, odd: str, rmap: str) -> str:
    """Problems settled per distinct value (rows counted through ``n``): unusable recipients, non-standard
    recipients, senders that are not an address; the distinct recipients kept; and the rows whose raw sender
    is not already its reading (``shared_message_ids`` then runs exactly)."""
    return f"""
    SELECT (SELECT coalesce(sum(n), 0) FROM {odd} WHERE address IS NULL),
           (SELECT coalesce(sum(n), 0) FROM {odd} WHERE status = 'non_standard'),
           (SELECT coalesce(sum(n), 0) FROM {senders} WHERE address IS NULL),
           (SELECT count(*) FROM {rmap}),
           (SELECT coalesce(sum(n), 0) FROM {senders} WHERE raw IS DISTINCT FROM address)"""


def map_problem_examples(senders: str, odd: str, index: int) -> str:
    """Examples of a map-settled problem (``LOAD_PROBLEMS`` 0, 1 and 6), as ``load_report_examples`` quotes them."""
    table, expr, cond = {0: (odd, "raw", "address IS NULL"),
                         1: (odd, "address", "status = 'non_standard'"),
                         6: (senders, "coalesce(lower(raw), '(empty)')", "address IS NULL")}[index]
    return f"SELECT DISTINCT {expr} AS example FROM {table} WHERE n > 0 AND {cond} ORDER BY 1 LIMIT 3"


#: ``LOAD_PROBLEMS`` counted over kept rows (a flag bit each); 0, 1 and 6 are counted on the address maps.
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


def work_columns(message_level: bool) -> tuple[str, ...]:
    return ("msg_row", "flags", "sid") if message_level else ("flags", "sid")


def build_staged(raw_rows: str, out: str, message_level: bool, senders: str, odd: str | None = None) -> str:
    """Every row that names a recipient: the canonical columns and the working ones (``flags``, ``sid``;
    ``msg_row`` at message level), in one pass, before any merge. ``row_id``: the source row at recipient
    level (unique), the split row's ``rowid`` in ``raw_rows`` at message level (a message gives several rows).

    ``senders``: every raw sender's reading (``counted_map``). ``odd``: append (INSERT) the rows of
    ``raw_rows`` whose raw recipient ``odd`` reads as an address, instead of creating ``out`` from every row,
    its recipient read as ``lower(raw)``.
    """
    # Message level: raw_rows is a table (the split fields), whose rowid numbers its rows in parallel (a
    # sequence's nextval() would number them one at a time). An odd row re-inserted takes its split row's
    # id (odd_rows copied it) negated: Spark numbers rows per statement, and a second numbering could give
    # it an id the build gave another row.
    rid = ("-1 - split_row" if odd else "split_row") if message_level else "msg_row"
    split = "r.rowid AS split_row, " if message_level and not odd else ""
    if odd:
        source, rec = f"{raw_rows} r JOIN {odd} o ON o.raw = r.raw AND o.address IS NOT NULL", "o.address"
    else:
        source, rec = f"{raw_rows} r", "lower(r.raw)"
    source += f" LEFT JOIN {senders} s ON s.raw = r.sender_raw"
    cols = ", ".join(STAGED_COLUMNS) + (", msg_row" if message_level else "") + ", flags, sid"
    head = f"INSERT INTO {out} ({cols})" if odd else f"CREATE TABLE {out} AS"
    return f"""
    {head}
    SELECT {rid} AS row_id, coalesce(message_id, 'row-' || msg_row) AS message_id, sent_at, snd AS sender,
           channel, role, rec AS recipient, split_part(rec, '@', -1) AS rdomain, log_enabled, direction,
           thread_id, in_reply_to, {"msg_row, " if message_level else ""}
           CAST({_flags()} AS INTEGER) AS flags,  -- INTEGER, not USMALLINT: Spark has no unsigned types
           sid
    FROM (SELECT r.*, {split}{rec} AS rec, s.reading AS snd, s.sid FROM {source}
          WHERE r.raw IS NOT NULL)"""


def row_stats(staged: str, out: str) -> str:
    """Rows by the columns the rules look at and the load report's flags, with their date span (a few dozen
    rows): the flag counts, the row profile and the span all come from it."""
    return f"""
    CREATE TABLE {out} AS
    SELECT channel, role, direction, log_enabled, flags, count(*) AS n, min(sent_at) AS first, max(sent_at) AS last
    FROM {staged} GROUP BY channel, role, direction, log_enabled, flags"""


def staged_counts(stats: str) -> str:
    """Kept rows, each flagged problem's count (``FLAGGED`` order), inbound rows, and the first and last date."""
    counts = ", ".join(f"coalesce(sum(n) FILTER (WHERE flags & {1 << i} <> 0), 0)" for i in FLAGGED)
    return (f"SELECT coalesce(sum(n), 0), {counts}, coalesce(sum(n) FILTER (WHERE direction = 'inbound'), 0), "
            f"min(first), max(last) FROM {stats}")


def row_profile_from_stats(stats: str, out: str) -> str:
    """``row_profile``'s table from ``row_stats`` (when no rows were merged since)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT channel, role, direction, log_enabled, CAST(sum(n) AS BIGINT) AS n FROM {stats}
    GROUP BY channel, role, direction, log_enabled"""


def message_check(staged: str, out: str) -> str:
    """One row per message kept: whether its rows differ in sender or date (``shared``), and whether it may
    name a recipient twice (``maybe_repeated``). From the recipients' hashes: two rows may repeat when their
    hashes are equal; of three, the middle hash is the XOR of all three less the smallest and the largest,
    and may repeat one of them only if equal to it; beyond three, a 63-bit fingerprint with fewer bits set
    than rows says it may. A repeat always gives equal hashes, so a message cleared here names each recipient
    once; ``staged_repeated`` checks exactly the ones it cannot clear (repeats, and rare hash collisions)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT message_id, shared,
           CASE WHEN n <= 2 THEN lo = hi
                WHEN n = 3 THEN lo = hi OR xor(xor(x, lo), hi) IN (lo, hi)
                ELSE bits < n END AS maybe_repeated
    FROM (
        SELECT message_id, min(sid) <> max(sid) OR min(sent_at) <> max(sent_at) AS shared, count(*) AS n,
               min(h) AS lo, max(h) AS hi, bit_xor(h) AS x,
               bit_count(bit_or(CAST(1 AS BIGINT) << CAST(h % 63 AS INTEGER))) AS bits
        FROM (SELECT message_id, sid, sent_at, hash(recipient) AS h FROM {staged}) GROUP BY message_id)"""


def message_counts(checked: str) -> str:
    """Messages kept, how many have rows that differ in sender or date (``shared_message_ids`` exactly, when
    every raw sender was already its reading and no row was set aside), and how many may repeat a recipient."""
    return (f"SELECT count(*), count(*) FILTER (WHERE shared), count(*) FILTER (WHERE maybe_repeated) "
            f"FROM {checked}")


def uncleared_rows(staged: str, checked: str, out: str) -> str:
    """The rows of the messages ``message_check`` could not clear (the others name each recipient once)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT * FROM {staged} WHERE message_id IN (SELECT message_id FROM {checked} WHERE maybe_repeated)"""


def staged_repeated(uncleared: str, out: str) -> str:
    """The (message, recipient) pairs staged more than once, among ``uncleared_rows``."""
    return f"""
    CREATE TABLE {out} AS
    SELECT message_id, recipient FROM {uncleared} GROUP BY message_id, recipient HAVING count(*) > 1"""


def repeated_rows(uncleared: str, repeated: str, out: str) -> str:
    """The staged rows of the repeated pairs: the only rows ``merge_repeated`` merges."""
    return f"""
    CREATE TABLE {out} AS
    SELECT c.* FROM {uncleared} c JOIN {repeated} p ON p.message_id = c.message_id AND p.recipient = c.recipient"""


def row_profile_merged(stats: str, rows: str, merged: str, out: str) -> str:
    """``row_profile``'s table after a merge: ``row_stats`` less the repeated pairs' rows, plus the merged ones."""
    cols = "channel, role, direction, log_enabled"
    return f"""
    CREATE TABLE {out} AS
    SELECT {cols}, CAST(sum(n) AS BIGINT) AS n FROM (
        SELECT {cols}, n FROM {stats}
        UNION ALL SELECT {cols}, -1 AS n FROM {rows}
        UNION ALL SELECT {cols}, 1 AS n FROM {merged})
    GROUP BY {cols} HAVING sum(n) <> 0"""


def profile_channels(row_profile: str) -> str:
    """``distinct_channels`` from the row profile."""
    return f"SELECT DISTINCT channel FROM {row_profile} WHERE direction = 'outbound' ORDER BY channel"


def merged_recipients(merged: str, out: str) -> str:
    return f"CREATE TABLE {out} AS SELECT DISTINCT recipient FROM {merged}"


def delete_profiles(profile: str, recipients: str) -> str:
    return f"DELETE FROM {profile} WHERE recipient IN (SELECT recipient FROM {recipients})"


def insert_profiles(profile: str, staged: str, recipients: str) -> str:
    """The profile rows of ``recipients`` counted again over the rows (after their repeated rows were merged)."""
    return f"""
    INSERT INTO {profile} (recipient, codes)
    SELECT recipient, bit_or({_codes_bit()}) FROM {staged}
    WHERE direction = 'outbound' AND recipient IN (SELECT recipient FROM {recipients}) GROUP BY recipient"""


def staged_without_recipient(msg: str, staged: str) -> str:
    """Message level: staged messages none of whose rows was kept (count and three ids)."""
    return f"""
    SELECT count(*), list(coalesce(message_id, '?') ORDER BY msg_row)[1:3] FROM (
        SELECT msg_row, message_id FROM {msg} m
        WHERE NOT EXISTS (SELECT 1 FROM {staged} s WHERE s.msg_row = m.msg_row))"""


def conflicting_staged(rows: str) -> str:
    """(message, recipient) pairs staged more than once whose rows disagree (``rows``: the rows of the repeated
    pairs, ``repeated_rows``): count and three examples."""
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
        FROM {rows}
        GROUP BY message_id, recipient
        HAVING count(DISTINCT sender) > 1 OR count(DISTINCT channel) > 1 OR count(DISTINCT sent_at) > 1)"""


def merge_repeated(rows: str, out: str, message_level: bool) -> str:
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
    FROM {rows} GROUP BY message_id, recipient"""


def delete_repeated(staged: str, rows: str) -> str:
    return f"DELETE FROM {staged} WHERE row_id IN (SELECT row_id FROM {rows})"


def insert_merged(staged: str, merged: str) -> str:
    cols = ", ".join(STAGED_COLUMNS)
    return f"INSERT INTO {staged} ({cols}) SELECT {cols} FROM {merged}"


def drop_work_columns(staged: str, message_level: bool) -> list[str]:
    return [f"ALTER TABLE {staged} DROP COLUMN {c}" for c in work_columns(message_level)]


def outbound_senders_count(table: str) -> str:
    return f"SELECT count(DISTINCT sender) FILTER (WHERE direction = 'outbound') FROM {table}"


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
    SELECT recipient, bit_or({_codes_bit()}) AS codes FROM {rows} WHERE direction = 'outbound' GROUP BY recipient"""


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
