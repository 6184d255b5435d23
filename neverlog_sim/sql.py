"""All SQL of the toolkit, as functions that return SQL text.

Only internal table names (chosen by the toolkit, never by a user) are formatted into the text;
user values — entries, addresses, paths, flags — arrive as registered tables or bound parameters.
"""

from __future__ import annotations

CHANNELS = ("extension", "crm", "bcc_forward", "team_inbox", "integration")

# A recipient that already passes the entry syntax of SEMANTICS §1 (ASCII fast path); anything
# else is read in Python by entries.classify_recipient. Lengths are checked beside the pattern.
_ATOM = r"[a-z0-9!#$%&'+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
STANDARD_ADDRESS = rf"{_ATOM}(\.{_ATOM})*@({_LABEL}\.)+{_LABEL}"


def drop(table: str) -> str:
    return f"DROP TABLE IF EXISTS {table}"


def read_csv() -> str:
    return "SELECT * FROM read_csv($1, all_varchar = true, header = true, union_by_name = true)"


def read_parquet() -> str:
    return "SELECT * FROM read_parquet($1, union_by_name = true)"


# --- ingestion --------------------------------------------------------------------------------

def _text(col: str) -> str:
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def _optional(present: bool, col: str, alias: str) -> str:
    return f"{_text(col)} AS {alias}" if present else f"NULL::VARCHAR AS {alias}"


def stage_message_level(src: str, out: str, addr_cols: list[str], has_log: bool, has_dir: bool) -> str:
    fields = ", ".join(
        f"{_text(q(c))} AS {c}_field" if c in addr_cols else f"NULL::VARCHAR AS {c}_field" for c in ("to", "cc", "bcc"))
    return f"""
    CREATE TABLE {out} AS
    SELECT row_number() OVER () AS msg_row,
           {_text('message_id')} AS message_id, sent_at AS sent_at_raw, {_text('sender')} AS sender_raw,
           {_text('channel')} AS channel_raw, {fields},
           {_optional(has_log, 'log_enabled', 'log_raw')}, {_optional(has_dir, 'direction', 'dir_raw')}
    FROM {src}"""


def q(name: str) -> str:
    """Quote one of our own column names (``to`` is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


def distinct_fields(msg: str) -> str:
    return f"""
    SELECT DISTINCT field FROM (
        SELECT to_field AS field FROM {msg} UNION ALL SELECT cc_field FROM {msg} UNION ALL SELECT bcc_field FROM {msg}
    ) WHERE field IS NOT NULL"""


def explode_message_level(msg: str, split: str, out: str) -> str:
    return f"""
    CREATE TABLE {out} AS
    WITH fields AS (
        SELECT msg_row, 'to' AS role, to_field AS field FROM {msg} WHERE to_field IS NOT NULL
        UNION ALL SELECT msg_row, 'cc', cc_field FROM {msg} WHERE cc_field IS NOT NULL
        UNION ALL SELECT msg_row, 'bcc', bcc_field FROM {msg} WHERE bcc_field IS NOT NULL
    )
    SELECT m.msg_row, m.message_id, m.sent_at_raw, m.sender_raw, m.channel_raw, f.role, s.raw,
           m.log_raw, m.dir_raw
    FROM fields f JOIN {split} s ON s.field = f.field JOIN {msg} m ON m.msg_row = f.msg_row"""


def stage_recipient_level(src: str, out: str, has_role: bool, has_log: bool, has_dir: bool) -> str:
    role = f"lower({_text('role')})" if has_role else "'to'"
    return f"""
    CREATE TABLE {out} AS
    SELECT row_number() OVER () AS msg_row, {_text('message_id')} AS message_id, sent_at AS sent_at_raw,
           {_text('sender')} AS sender_raw, {_text('channel')} AS channel_raw, {role} AS role,
           {_text('recipient')} AS raw,
           {_optional(has_log, 'log_enabled', 'log_raw')}, {_optional(has_dir, 'direction', 'dir_raw')}
    FROM {src}"""


def classify_fast(raw_rows: str, out: str) -> str:
    """Every distinct raw recipient and sender, with its address where the ASCII fast path settles it."""
    return f"""
    CREATE TABLE {out} AS
    WITH raws AS (SELECT raw FROM {raw_rows} WHERE raw IS NOT NULL
                  UNION SELECT sender_raw FROM {raw_rows} WHERE sender_raw IS NOT NULL),
    norm AS (SELECT raw, lower(trim(raw)) AS a FROM raws)
    SELECT raw,
           CASE WHEN regexp_full_match(a, $1)
                 AND length(split_part(a, '@', 1)) <= 64 AND length(split_part(a, '@', 2)) <= 253
                 AND length(a) <= 254
                 AND NOT (starts_with(a, '''') OR split_part(a, '@', 1)[-1:] = '''')
                THEN a END AS address
    FROM norm"""


def odd_addresses(fast: str) -> str:
    return f"SELECT raw FROM {fast} WHERE address IS NULL ORDER BY raw"


def address_map(fast: str, odd: str, out: str) -> str:
    return f"""
    CREATE TABLE {out} AS
    SELECT raw, address, 'standard' AS status FROM {fast} WHERE address IS NOT NULL
    UNION ALL SELECT raw, address, status FROM {odd}"""


_ROLE_RANK = "CASE role WHEN 'to' THEN 1 WHEN 'cc' THEN 2 WHEN 'bcc' THEN 3 ELSE 4 END"
_TRUE = "('true', 't', '1', 'yes', 'y', 'on')"
_FALSE = "('false', 'f', '0', 'no', 'n', 'off')"


def _sent_at(col: str) -> str:
    # Dates may carry an offset; read them as TIMESTAMPTZ (session zone UTC) and keep UTC wall time.
    # Typed timestamps go through text too, so one expression serves every source type.
    return f"CAST(TRY_CAST(NULLIF(trim(CAST({col} AS VARCHAR)), '') AS TIMESTAMPTZ) AS TIMESTAMP)"


def build_rows(raw_rows: str, amap: str, out: str) -> str:
    """The canonical rows table: one row per message × recipient (role by To > Cc > Bcc)."""
    return f"""
    CREATE TABLE {out} AS
    WITH r AS (
        SELECT coalesce(r.message_id, 'row-' || r.msg_row) AS message_id,
               {_sent_at('r.sent_at_raw')} AS sent_at,
               coalesce(s.address, lower(r.sender_raw)) AS sender,
               lower(r.channel_raw) AS channel,
               CASE WHEN r.role IN ('to', 'cc', 'bcc') THEN r.role ELSE 'to' END AS role,
               a.address AS recipient,
               CASE WHEN lower(r.log_raw) IN {_FALSE} THEN false ELSE true END AS log_enabled,
               CASE WHEN lower(r.dir_raw) IN ('inbound', 'incoming', 'in', 'received') THEN 'inbound'
                    ELSE 'outbound' END AS direction
        FROM {raw_rows} r
        LEFT JOIN {amap} a ON a.raw = r.raw
        LEFT JOIN {amap} s ON s.raw = r.sender_raw
        WHERE a.address IS NOT NULL
    )
    SELECT row_number() OVER () AS row_id, message_id, sent_at, sender, channel, role, recipient,
           split_part(recipient, '@', -1) AS rdomain, log_enabled, direction
    FROM (
        SELECT *, row_number() OVER (PARTITION BY message_id, recipient ORDER BY {_ROLE_RANK}) AS k FROM r
    ) WHERE k = 1"""


def load_report(raw_rows: str, amap: str, msg: str | None) -> str:
    """The load report: ``problem, count, examples`` for each kind of oddity (SEMANTICS §1: never silent)."""
    ch = ", ".join(f"'{c}'" for c in CHANNELS)
    no_recipient = ""
    if msg:
        no_recipient = f"""
        UNION ALL
        SELECT 'messages with no usable recipient (set aside)', count(*), list(coalesce(message_id, '?') ORDER BY msg_row)[1:3]
        FROM {msg} m WHERE NOT EXISTS (
            SELECT 1 FROM {raw_rows} r JOIN {amap} a ON a.raw = r.raw WHERE r.msg_row = m.msg_row AND a.address IS NOT NULL)"""
    return f"""
    WITH j AS (SELECT r.*, a.address, a.status FROM {raw_rows} r LEFT JOIN {amap} a ON a.raw = r.raw),
    s AS (SELECT r.*, a.address AS sender FROM {raw_rows} r LEFT JOIN {amap} a ON a.raw = r.sender_raw)
    SELECT 'recipients with no usable local@domain (set aside)', count(*), list(DISTINCT raw ORDER BY raw)[1:3]
        FROM j WHERE raw IS NOT NULL AND address IS NULL
    UNION ALL SELECT 'non-standard recipient addresses (kept and matched)', count(*),
        list(DISTINCT address ORDER BY address)[1:3] FROM j WHERE status = 'non_standard'
    UNION ALL SELECT 'unknown channels (kept; lists do not apply, rule U1)', count(*),
        list(DISTINCT coalesce(channel_raw, '(empty)') ORDER BY coalesce(channel_raw, '(empty)'))[1:3]
        FROM j WHERE address IS NOT NULL AND (channel_raw IS NULL OR lower(channel_raw) NOT IN ({ch}))
    UNION ALL SELECT 'missing sent_at (kept, undated)', count(*), list(DISTINCT coalesce(message_id, '?') ORDER BY coalesce(message_id, '?'))[1:3]
        FROM j WHERE address IS NOT NULL AND (sent_at_raw IS NULL OR trim(CAST(sent_at_raw AS VARCHAR)) = '')
    UNION ALL SELECT 'unreadable sent_at (kept, undated)', count(*), list(DISTINCT CAST(sent_at_raw AS VARCHAR) ORDER BY CAST(sent_at_raw AS VARCHAR))[1:3]
        FROM j WHERE address IS NOT NULL AND sent_at_raw IS NOT NULL AND trim(CAST(sent_at_raw AS VARCHAR)) <> ''
              AND {_sent_at('sent_at_raw')} IS NULL
    UNION ALL SELECT 'missing message_id (given row-N ids)', count(*), list(DISTINCT coalesce(sender_raw, '?') ORDER BY coalesce(sender_raw, '?'))[1:3]
        FROM j WHERE address IS NOT NULL AND message_id IS NULL
    UNION ALL SELECT 'senders that are not an address (kept as written)', count(*),
        list(DISTINCT coalesce(sender_raw, '(empty)') ORDER BY coalesce(sender_raw, '(empty)'))[1:3]
        FROM s WHERE sender IS NULL
    UNION ALL SELECT 'unknown roles (read as to)', count(*), list(DISTINCT role ORDER BY role)[1:3]
        FROM j WHERE address IS NOT NULL AND role IS NOT NULL AND role NOT IN ('to', 'cc', 'bcc')
    UNION ALL SELECT 'unknown log_enabled values (read as true)', count(*), list(DISTINCT log_raw ORDER BY log_raw)[1:3]
        FROM j WHERE address IS NOT NULL AND log_raw IS NOT NULL AND lower(log_raw) NOT IN {_TRUE} AND lower(log_raw) NOT IN {_FALSE}
    UNION ALL SELECT 'unknown direction values (read as outbound)', count(*), list(DISTINCT dir_raw ORDER BY dir_raw)[1:3]
        FROM j WHERE address IS NOT NULL AND dir_raw IS NOT NULL
              AND lower(dir_raw) NOT IN ('inbound', 'incoming', 'in', 'received', 'outbound', 'outgoing', 'out', 'sent')
    UNION ALL SELECT 'recipient listed twice in one message (one row kept, role To > Cc > Bcc)', count(*) - count(DISTINCT (coalesce(message_id, 'row-' || msg_row), address)),
        [] FROM j WHERE address IS NOT NULL
    {no_recipient}"""


def sent_stats(table: str) -> str:
    return (f"SELECT count(*), count(DISTINCT message_id), count(DISTINCT sender), count(DISTINCT recipient), "
            f"min(sent_at), max(sent_at) FROM {table}")


def sent_rows(table: str) -> str:
    return (f"SELECT message_id, sent_at, sender, channel, recipient, role, log_enabled, direction FROM {table} "
            f"ORDER BY sent_at NULLS LAST, message_id, {_ROLE_RANK}, recipient")
