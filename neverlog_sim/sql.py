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
    return (f"SELECT count(*), count(DISTINCT message_id), count(DISTINCT sender) FILTER (WHERE direction = 'outbound'), "
            f"count(DISTINCT recipient), "
            f"min(sent_at), max(sent_at) FROM {table}")


def distinct_channels(table: str) -> str:
    return f"SELECT DISTINCT channel FROM {table} WHERE direction = 'outbound' ORDER BY channel"


def sent_rows(table: str) -> str:
    return (f"SELECT message_id, sent_at, sender, channel, recipient, role, log_enabled, direction FROM {table} "
            f"ORDER BY sent_at NULLS LAST, message_id, {_ROLE_RANK}, recipient")


# --- simulation (SEMANTICS §2–§4) ------------------------------------------------------------
# Named parameters every simulation statement may use:
#   $applies   channels the lists govern          $roles     recipient roles a list can block (A3)
#   $known     the canonical channels             $unknown   whether unknown channels are governed (U1)
#   $creating  channels whose logged sends create a contact (A4)
#   $crm       whether a crm send implies an existing record (A4)

APPLIES = ("(direction = 'outbound' AND log_enabled AND list_contains($roles, role) AND "
           "(list_contains($applies, channel) OR ($unknown AND NOT list_contains($known, channel))))")


def domain_suffixes(rows: str, out: str) -> str:
    """Every recipient domain with each of its parent domains (two labels at least), for A2's sub-domain what-if."""
    return f"""
    CREATE TABLE {out} AS
    WITH d AS (SELECT DISTINCT rdomain, string_split(rdomain, '.') AS parts FROM {rows})
    SELECT rdomain, array_to_string(parts[i:], '.') AS suffix
    FROM (SELECT rdomain, parts, unnest(generate_series(1, greatest(len(parts) - 1, 1))) AS i FROM d)"""


def matches(rows: str, entries: str, out: str, suffixes: str | None) -> str:
    """Every (row, scenario, entry) that matches: team entries for every sender, personal ones for their owner's."""
    if suffixes is None:
        dom_join = f"JOIN {entries} e ON e.key = r.rdomain"
    else:
        dom_join = f"JOIN {suffixes} s ON s.rdomain = r.rdomain JOIN {entries} e ON e.key = s.suffix"
    cols = "r.row_id, r.message_id, r.sender, r.recipient, e.scenario, e.entry, e.list, e.owner, e.priority, e.keylen"
    owner_ok = "(e.owner IS NULL OR e.owner = r.sender)"
    return f"""
    CREATE TABLE {out} AS
    WITH r AS MATERIALIZED (SELECT row_id, message_id, sender, recipient, rdomain FROM {rows} WHERE {APPLIES}),
    m AS (
        SELECT {cols} FROM r JOIN {entries} e ON e.key = r.recipient WHERE e.kind = 'address' AND {owner_ok}
        UNION ALL SELECT {cols} FROM r {dom_join} WHERE e.kind = 'domain' AND {owner_ok}
    )
    SELECT *, count(*) OVER w AS n_matching,
           row_number() OVER (PARTITION BY row_id, scenario ORDER BY priority, keylen DESC, entry) = 1 AS responsible
    FROM m WINDOW w AS (PARTITION BY row_id, scenario)"""


def blocks(matches_t: str, out: str) -> str:
    """One row per blocked row: the responsible entry under each scenario (SEMANTICS §4 order)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT row_id,
           bool_or(scenario = 'baseline') AS blocked_before,
           bool_or(scenario = 'candidate') AS blocked_after,
           any_value(entry) FILTER (WHERE scenario = 'baseline' AND responsible) AS blocked_by_before,
           any_value(list) FILTER (WHERE scenario = 'baseline' AND responsible) AS blocked_by_list_before,
           any_value(entry) FILTER (WHERE scenario = 'candidate' AND responsible) AS blocked_by,
           any_value(list) FILTER (WHERE scenario = 'candidate' AND responsible) AS blocked_by_list
    FROM {matches_t} GROUP BY row_id"""


def affected_rows(rows: str, matches_t: str, blocks_t: str, out: str) -> str:
    """Rows of recipients that some entry matches: the only recipients whose outcome can change."""
    return f"""
    CREATE TABLE {out} AS
    SELECT r.*, {APPLIES} AS applies,
           coalesce(b.blocked_before, false) AS blocked_before, coalesce(b.blocked_after, false) AS blocked_after,
           b.blocked_by_before, b.blocked_by_list_before, b.blocked_by, b.blocked_by_list
    FROM {rows} r LEFT JOIN {blocks_t} b ON b.row_id = r.row_id
    WHERE r.recipient IN (SELECT DISTINCT recipient FROM {matches_t})"""


def contact_stats(source: str, contacts: str, out: str, *, two_sided: bool = True, late: bool = True) -> str:
    """Per recipient, under both scenarios: does a record exist, since when, how many timeline entries (A4).

    ``source`` has the row columns plus ``blocked_before`` and ``blocked_after``. With
    ``two_sided=False`` no list is in force, so one side is computed and serves both. ``late``
    is needed only when some logged send neither creates a contact nor implies one (a channel
    switched off under A4, or an unknown channel): such a send is on the timeline only once
    the record exists.
    """
    def side(s: str) -> str:
        text = f"""
        bool_or(l{s} AND creates) AS has_create_{s}, min(sent_at) FILTER (WHERE l{s} AND creates) AS first_create_{s},
        count(*) FILTER (WHERE l{s} AND (creates OR implies)) AS sure_{s},"""
        if late:
            text += f" list(sent_at) FILTER (WHERE l{s} AND NOT creates AND NOT implies) AS late_{s},"
        return text

    def outcome(s: str, name: str) -> str:
        created = f"least(known_at, first_crm, first_create_{s})"
        cmp = f"least(CASE WHEN known AND known_at IS NULL THEN TIMESTAMP '-infinity' END, {created})"
        late_part = (f" + len(list_filter(coalesce(late_{s}, []), lambda t: t IS NULL OR {cmp} IS NULL OR t >= {cmp}))"
                     if late else "")
        return f"""
        (known OR has_crm OR has_create_{s}) AS exists_{name},
        CASE WHEN known OR has_crm OR has_create_{s} THEN {created} END AS created_at_{name},
        CASE WHEN known OR has_crm OR has_create_{s} THEN sure_{s}{late_part} ELSE 0 END AS timeline_{name},"""
    after = "a" if two_sided else "b"
    blocked = ("(log_enabled AND NOT blocked_before) AS lb, (log_enabled AND NOT blocked_after) AS la" if two_sided
               else "log_enabled AS lb")
    return f"""
    CREATE TABLE {out} AS
    WITH x AS (
        SELECT recipient, sent_at, {blocked},
               list_contains($creating, channel) AS creates, (channel = 'crm' AND $crm) AS implies
        FROM {source} WHERE direction = 'outbound'
    ), g AS (
        SELECT recipient, bool_or(implies) AS has_crm, min(sent_at) FILTER (WHERE implies) AS first_crm,
               {side('b')} {side('a') if two_sided else ''}
               count(*) AS sends
        FROM x GROUP BY recipient
    ), k AS (
        SELECT g.*, c.email IS NOT NULL AS known, c.created_at AS known_at
        FROM g LEFT JOIN {contacts} c ON c.email = g.recipient
    ), o AS (
        SELECT recipient AS contact, known AS known_before_history, sends,
               {outcome('b', 'before')} {outcome(after, 'after')}
        FROM k
    )
    SELECT *, {change_class()} AS change FROM o"""


def change_class() -> str:
    """SEMANTICS §4: the first class that holds."""
    return """CASE
        WHEN exists_before AND NOT exists_after THEN 'not_created'
        WHEN exists_before AND exists_after AND created_at_after > created_at_before THEN 'created_later'
        WHEN exists_before AND exists_after AND timeline_before > 0 AND timeline_after = 0 THEN 'timeline_emptied'
        WHEN timeline_after < timeline_before AND timeline_after > 0 THEN 'timeline_reduced'
        WHEN NOT exists_before AND exists_after THEN 'newly_created'
        WHEN exists_before AND exists_after AND created_at_after < created_at_before THEN 'created_earlier'
        WHEN timeline_after > timeline_before THEN 'timeline_added'
        ELSE 'unchanged' END"""


def contacts_view(all_stats: str, affected_stats: str, out: str) -> str:
    return f"""
    CREATE VIEW {out} AS
    SELECT * FROM {affected_stats}
    UNION ALL SELECT * FROM {all_stats} WHERE contact NOT IN (SELECT contact FROM {affected_stats})"""


def _on_timeline(s: str, contact: str) -> str:
    cmp = (f"coalesce({contact}.created_at_{s}, CASE WHEN {contact}.known_before_history THEN TIMESTAMP '-infinity' END)")
    blocked = "blocked_before" if s == "before" else "blocked_after"
    return (f"(direction = 'outbound' AND log_enabled AND NOT {blocked} AND coalesce({contact}.exists_{s}, false) AND "
            f"(list_contains($creating, channel) OR (channel = 'crm' AND $crm) OR sent_at IS NULL OR {cmp} IS NULL "
            f"OR sent_at >= {cmp}))")


def recipients_view(rows: str, blocks_t: str, contacts: str) -> str:
    """SimulationResult.recipients: every row with its outcome under both scenarios."""
    return f"""
    WITH r AS (
        SELECT r.*, coalesce(b.blocked_before, false) AS blocked_before, coalesce(b.blocked_after, false) AS blocked_after,
               b.blocked_by, b.blocked_by_list
        FROM {rows} r LEFT JOIN {blocks_t} b ON b.row_id = r.row_id
    )
    SELECT r.message_id, r.sent_at, r.sender, r.channel, r.role, r.recipient, {APPLIES} AS applies,
           r.blocked_before, r.blocked_after, coalesce(r.blocked_by, '') AS blocked_by,
           coalesce(r.blocked_by_list, '') AS blocked_by_list,
           (r.log_enabled AND NOT r.blocked_before) AS logged_before, (r.log_enabled AND NOT r.blocked_after) AS logged_after,
           {_on_timeline('before', 'c')} AS on_timeline_before, {_on_timeline('after', 'c')} AS on_timeline_after,
           r.log_enabled, r.direction
    FROM r LEFT JOIN {contacts} c ON c.contact = r.recipient
    ORDER BY r.sent_at NULLS LAST, r.message_id, {_ROLE_RANK}, r.recipient"""


def timeline_rows(arows: str, astats: str, out: str) -> str:
    """The (message, recipient) rows whose logging or timeline entry changes."""
    return f"""
    CREATE TABLE {out} AS
    SELECT * FROM (
        SELECT a.row_id, a.message_id, a.sent_at, a.sender, a.channel, a.role, a.recipient,
               (a.log_enabled AND NOT a.blocked_before) AS logged_before, (a.log_enabled AND NOT a.blocked_after) AS logged_after,
               {_on_timeline('before', 'c')} AS on_timeline_before, {_on_timeline('after', 'c')} AS on_timeline_after,
               coalesce(a.blocked_by, a.blocked_by_before, '') AS blocked_by,
               coalesce(a.blocked_by_list, a.blocked_by_list_before, '') AS blocked_by_list,
               CASE WHEN a.blocked_after AND NOT a.blocked_before THEN 'removed'
                    WHEN a.blocked_before AND NOT a.blocked_after THEN 'added' ELSE 'changed' END AS change
        FROM {arows} a JOIN {astats} c ON c.contact = a.recipient
    ) WHERE logged_before <> logged_after OR on_timeline_before <> on_timeline_after"""


def feed(tracking: str, rows: str, contacts: str, blocks_t: str, out: str) -> str:
    """SimulationResult.feed: every tracking event; the feed keeps all of them (SEMANTICS §3), timelines don't."""
    return f"""
    CREATE TABLE {out} AS
    WITH r AS (
        SELECT r.*, coalesce(b.blocked_before, false) AS blocked_before, coalesce(b.blocked_after, false) AS blocked_after
        FROM {rows} r LEFT JOIN {blocks_t} b ON b.row_id = r.row_id
        WHERE r.message_id IN (SELECT message_id FROM {tracking})
    ), t AS (
        SELECT t.*, r.row_id IS NOT NULL AS known_row,
               coalesce({_on_timeline('before', 'c')}, false) AS on_timeline_before,
               coalesce({_on_timeline('after', 'c')}, false) AS on_timeline_after,
               coalesce(r.blocked_after, false) AS blocked_after, coalesce(r.blocked_before, false) AS blocked_before
        FROM {tracking} t
        LEFT JOIN r ON r.message_id = t.message_id AND r.recipient = t.recipient
        LEFT JOIN {contacts} c ON c.contact = r.recipient
    )
    SELECT message_id, recipient, event, occurred_at, true AS in_feed_before, true AS in_feed_after,
           on_timeline_before AND recipient IS NOT NULL AS on_timeline_before,
           on_timeline_after AND recipient IS NOT NULL AS on_timeline_after,
           blocked_before, blocked_after, known_row
    FROM t ORDER BY occurred_at NULLS LAST, message_id, recipient NULLS FIRST, event"""


def entry_stats(entries: str, matches_t: str) -> str:
    """SimulationResult.entries: what each entry matches, its exclusive impact, and the dead ones."""
    return f"""
    SELECT e.scenario AS policy, e.entry, e.list, coalesce(e.owner, '') AS owner, e.kind,
           count(m.row_id) AS rows, count(DISTINCT m.message_id) AS messages,
           count(DISTINCT m.recipient) AS recipients, count(DISTINCT m.sender) AS senders,
           count(m.row_id) FILTER (WHERE m.n_matching = 1) AS exclusive_rows,
           count(DISTINCT m.recipient) FILTER (WHERE m.n_matching = 1) AS exclusive_recipients,
           count(m.row_id) FILTER (WHERE m.responsible) AS responsible_rows,
           count(m.row_id) = 0 AS dead
    FROM {entries} e LEFT JOIN {matches_t} m
      ON m.scenario = e.scenario AND m.entry = e.entry AND m.list = e.list
     AND coalesce(m.owner, '') = coalesce(e.owner, '')
    GROUP BY ALL
    ORDER BY policy DESC, rows DESC, entry"""


def entry_counts(entries: str, matches_t: str) -> str:
    """Candidate entries and how many match nothing (dead weight against the cap), without the full stats."""
    return f"""
    SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
        SELECT 1 FROM {matches_t} m WHERE m.scenario = e.scenario AND m.entry = e.entry AND m.list = e.list
          AND coalesce(m.owner, '') = coalesce(e.owner, '')))
    FROM {entries} e WHERE e.scenario = 'candidate'"""


def contact_totals(contacts: str) -> str:
    return f"""
    SELECT count(*) AS recipients,
           count(*) FILTER (WHERE exists_before) AS records_before, count(*) FILTER (WHERE exists_after) AS records_after,
           count(*) FILTER (WHERE exists_before AND NOT known_before_history) AS created_before,
           count(*) FILTER (WHERE exists_after AND NOT known_before_history) AS created_after,
           coalesce(sum(timeline_before), 0) AS timeline_before, coalesce(sum(timeline_after), 0) AS timeline_after
    FROM {contacts}"""


def change_counts(contacts: str) -> str:
    return f"SELECT change, count(*) FROM {contacts} GROUP BY change"


def row_totals(rows: str, blocks_t: str) -> str:
    return f"""
    SELECT count(*) AS rows,
           count(*) FILTER (WHERE direction = 'inbound') AS inbound,
           count(*) FILTER (WHERE direction = 'outbound' AND NOT log_enabled) AS log_disabled,
           count(*) FILTER (WHERE {APPLIES}) AS governed,
           (SELECT count(*) FILTER (WHERE blocked_before) FROM {blocks_t}) AS blocked_before,
           (SELECT count(*) FILTER (WHERE blocked_after) FROM {blocks_t}) AS blocked_after
    FROM {rows}"""


def feed_totals(feed_t: str) -> str:
    return f"""
    SELECT count(*) AS events, count(*) FILTER (WHERE recipient IS NULL) AS unattributed,
           count(*) FILTER (WHERE on_timeline_before) AS on_timeline_before,
           count(*) FILTER (WHERE on_timeline_after) AS on_timeline_after,
           count(*) FILTER (WHERE blocked_before) AS blocked_before, count(*) FILTER (WHERE blocked_after) AS blocked_after,
           count(*) FILTER (WHERE NOT known_row AND recipient IS NOT NULL) AS unmatched
    FROM {feed_t}"""


def normalise_emails(src: str, out: str) -> str:
    """A contacts table keyed by the same lower-cased address as the rows (A1)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT lower(trim(email)) AS email, min(created_at) AS created_at
    FROM {src} WHERE email IS NOT NULL AND trim(email) <> '' GROUP BY 1"""


def normalise_tracking(src: str, out: str) -> str:
    return f"""
    CREATE TABLE {out} AS
    SELECT CAST(message_id AS VARCHAR) AS message_id, NULLIF(lower(trim(recipient)), '') AS recipient,
           lower(trim(event)) AS event, CAST(occurred_at AS TIMESTAMP) AS occurred_at
    FROM {src}"""
