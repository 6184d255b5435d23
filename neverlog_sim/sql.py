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


_ROLE_RANK = "CASE role WHEN 'to' THEN 1 WHEN 'cc' THEN 2 WHEN 'bcc' THEN 3 ELSE 4 END"
_TRUE = "('true', 't', '1', 'yes', 'y', 'on')"
_FALSE = "('false', 'f', '0', 'no', 'n', 'off')"
_INBOUND = "('inbound', 'incoming', 'in', 'received')"
_OUTBOUND = "('outbound', 'outgoing', 'out', 'sent')"
_KNOWN_CHANNELS = "(" + ", ".join(f"'{c}'" for c in CHANNELS) + ")"


def _message_columns(typed_sent_at: bool, has_log: bool, has_dir: bool) -> str:
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
           CASE WHEN {_text('channel')} IS NULL OR lower({_text('channel')}) NOT IN {_KNOWN_CHANNELS}
                THEN coalesce({_text('channel')}, '(empty)') END AS channel_bad,
           coalesce(lower({log}) NOT IN {_FALSE}, true) AS log_enabled,
           CASE WHEN lower({log}) NOT IN {_TRUE} AND lower({log}) NOT IN {_FALSE} THEN {log} END AS log_bad,
           CASE WHEN lower({dr}) IN {_INBOUND} THEN 'inbound' ELSE 'outbound' END AS direction,
           CASE WHEN lower({dr}) NOT IN {_INBOUND} AND lower({dr}) NOT IN {_OUTBOUND} THEN {dr} END AS dir_bad"""


def stage_message_level(src: str, out: str, addr_cols: list[str], typed_sent_at: bool, has_log: bool,
                        has_dir: bool) -> str:
    fields = ", ".join(
        f"{_text(q(c))} AS {c}_field" if c in addr_cols else f"NULL::VARCHAR AS {c}_field" for c in ("to", "cc", "bcc"))
    return f"""
    CREATE TABLE {out} AS
    SELECT {_message_columns(typed_sent_at, has_log, has_dir)}, {fields}
    FROM {src}"""


def q(name: str) -> str:
    """Quote one of our own column names (``to`` is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


def distinct_fields(msg: str) -> str:
    return f"""
    SELECT DISTINCT field FROM (
        SELECT to_field AS field FROM {msg} UNION ALL SELECT cc_field FROM {msg} UNION ALL SELECT bcc_field FROM {msg}
    ) WHERE field IS NOT NULL"""


_STAGED = ("message_id", "sent_at", "sent_at_bad", "sender_raw", "channel", "channel_bad", "log_enabled", "log_bad", "direction",
           "dir_bad")


def explode_message_level(msg: str, split: str, out: str) -> str:
    cols = ", ".join(f"m.{c}" for c in _STAGED)
    return f"""
    CREATE TABLE {out} AS
    WITH m AS (SELECT rowid + 1 AS msg_row, * FROM {msg}),
    fields AS (
        SELECT msg_row, 'to' AS role, to_field AS field FROM m WHERE to_field IS NOT NULL
        UNION ALL SELECT msg_row, 'cc', cc_field FROM m WHERE cc_field IS NOT NULL
        UNION ALL SELECT msg_row, 'bcc', bcc_field FROM m WHERE bcc_field IS NOT NULL
    )
    SELECT m.msg_row, {cols}, f.role, NULL::VARCHAR AS role_bad, s.raw
    FROM fields f JOIN {split} s ON s.field = f.field JOIN m ON m.msg_row = f.msg_row"""


def stage_recipient_level(src: str, out: str, typed_sent_at: bool, has_role: bool, has_log: bool,
                          has_dir: bool) -> str:
    role = f"lower({_text('role')})" if has_role else "'to'"
    return f"""
    CREATE TABLE {out} AS
    SELECT NULL::BIGINT AS msg_row, {_message_columns(typed_sent_at, has_log, has_dir)},
           CASE WHEN {role} IN ('to', 'cc', 'bcc') THEN {role} ELSE 'to' END AS role,
           CASE WHEN {role} NOT IN ('to', 'cc', 'bcc') THEN {role} END AS role_bad,
           {_text('recipient')} AS raw
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


def join_addresses(raw_rows: str, amap: str, out: str) -> str:
    """Every staged row with its recipient and sender read (the load report counts from here)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT coalesce(r.msg_row, r.rowid + 1) AS msg_row, r.message_id, r.sent_at, r.sent_at_bad, r.channel,
           r.channel_bad,
           r.log_enabled, r.log_bad, r.direction, r.dir_bad, r.role, r.role_bad, r.raw,
           a.address AS recipient, a.status, s.address IS NOT NULL AS sender_ok,
           coalesce(s.address, lower(r.sender_raw)) AS sender
    FROM {raw_rows} r
    LEFT JOIN {amap} a ON a.raw = r.raw
    LEFT JOIN {amap} s ON s.raw = r.sender_raw"""


def build_rows(joined: str, out: str) -> str:
    """The canonical rows table: one row per message × recipient (role by To > Cc > Bcc)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT row_number() OVER () AS row_id, message_id, sent_at, sender, channel, role, recipient,
           split_part(recipient, '@', -1) AS rdomain, log_enabled, direction
    FROM (
        SELECT coalesce(message_id, 'row-' || msg_row) AS message_id, recipient,
               any_value(sent_at) AS sent_at, any_value(sender) AS sender, any_value(channel) AS channel,
               arg_min(role, {_ROLE_RANK}) AS role, bool_and(log_enabled) AS log_enabled,
               any_value(direction) AS direction
        FROM {joined} WHERE recipient IS NOT NULL
        GROUP BY 1, 2
    )"""


# The load report (SEMANTICS §1: nothing dropped or changed silently): label, the rows it counts,
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


def load_report_counts(joined: str) -> str:
    counts = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _ in LOAD_PROBLEMS)
    return f"SELECT {counts}, count(*) FILTER (WHERE {_KEPT}) FROM {joined}"


def load_report_examples(joined: str, index: int) -> str:
    _, cond, expr = LOAD_PROBLEMS[index]
    return f"SELECT DISTINCT {expr} AS example FROM {joined} WHERE {cond} ORDER BY 1 LIMIT 3"


def messages_without_recipient(msg: str, joined: str) -> str:
    return f"""
    SELECT count(*), list(coalesce(message_id, '?') ORDER BY msg_row)[1:3] FROM (
        SELECT rowid + 1 AS msg_row, message_id FROM {msg}
        WHERE rowid + 1 NOT IN (SELECT msg_row FROM {joined} WHERE {_KEPT}))"""


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
    WITH r AS (SELECT row_id, message_id, sender, recipient, rdomain FROM {rows} WHERE {APPLIES})
    SELECT {cols} FROM r JOIN {entries} e ON e.key = r.recipient WHERE e.kind = 'address' AND {owner_ok}
    UNION ALL SELECT {cols} FROM r {dom_join} WHERE e.kind = 'domain' AND {owner_ok}"""


# SEMANTICS §4 responsibility order: team address, team domain, personal address, personal domain;
# among sub-domain what-if matches of one rank, the most specific domain.
_RESPONSIBLE_ORDER = "(priority, -keylen, entry)"


def _ranked(matches_t: str) -> str:
    """Matches with how many entries of the scenario match the row, and which one is responsible."""
    return f"""(SELECT *, count(*) OVER w AS n_matching,
                   row_number() OVER (w ORDER BY priority, keylen DESC, entry) = 1 AS responsible
            FROM {matches_t} WINDOW w AS (PARTITION BY row_id, scenario))"""


def blocks(matches_t: str, out: str) -> str:
    """One row per blocked row: the responsible entry under each scenario (SEMANTICS §4 order)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT row_id,
           bool_or(scenario = 'baseline') AS blocked_before,
           bool_or(scenario = 'candidate') AS blocked_after,
           arg_min(entry, {_RESPONSIBLE_ORDER}) FILTER (WHERE scenario = 'baseline') AS blocked_by_before,
           arg_min(list, {_RESPONSIBLE_ORDER}) FILTER (WHERE scenario = 'baseline') AS blocked_by_list_before,
           arg_min(entry, {_RESPONSIBLE_ORDER}) FILTER (WHERE scenario = 'candidate') AS blocked_by,
           arg_min(list, {_RESPONSIBLE_ORDER}) FILTER (WHERE scenario = 'candidate') AS blocked_by_list
    FROM {matches_t} GROUP BY row_id"""


def affected_rows(rows: str, matches_t: str, blocks_t: str, out: str) -> str:
    """Every row of the recipients some entry matches (all channels and roles: their contact outcome
    needs them), with the blocks under both scenarios. Only these recipients' outcomes can change."""
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
        SELECT recipient, sent_at, {blocked}, {APPLIES} AS governed, NOT log_enabled AS log_disabled,
               list_contains($creating, channel) AS creates, (channel = 'crm' AND $crm) AS implies
        FROM {source} WHERE direction = 'outbound'
    ), g AS (
        SELECT recipient, bool_or(implies) AS has_crm, min(sent_at) FILTER (WHERE implies) AS first_crm,
               {side('b')} {side('a') if two_sided else ''}
               count(*) AS sends, count(*) FILTER (WHERE governed) AS governed_rows,
               count(*) FILTER (WHERE log_disabled) AS log_disabled_rows
        FROM x GROUP BY recipient
    ), k AS (
        SELECT g.*, c.email IS NOT NULL AS known, c.created_at AS known_at
        FROM g LEFT JOIN {contacts} c ON c.email = g.recipient
    ), o AS (
        SELECT recipient AS contact, known AS known_before_history, sends, governed_rows, log_disabled_rows,
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
    FROM {entries} e LEFT JOIN {_ranked(matches_t)} m
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


def contact_totals(contacts: str, only_in: str | None = None) -> str:
    """Contact figures summed over ``contacts`` (or over those of its contacts that are in ``only_in``)."""
    where = f"WHERE contact IN (SELECT contact FROM {only_in})" if only_in else ""
    return f"""
    SELECT count(*) AS recipients,
           count(*) FILTER (WHERE exists_before) AS records_before, count(*) FILTER (WHERE exists_after) AS records_after,
           count(*) FILTER (WHERE exists_before AND NOT known_before_history) AS created_before,
           count(*) FILTER (WHERE exists_after AND NOT known_before_history) AS created_after,
           coalesce(sum(timeline_before), 0) AS timeline_before, coalesce(sum(timeline_after), 0) AS timeline_after
    FROM {contacts} {where}"""


def change_counts(contacts: str) -> str:
    return f"SELECT change, count(*) FROM {contacts} GROUP BY change"


def row_totals(stats: str) -> str:
    """Outbound row figures that depend on the rules but not on the lists, summed per recipient."""
    return f"""
    SELECT coalesce(sum(sends), 0) AS outbound, coalesce(sum(log_disabled_rows), 0) AS log_disabled,
           coalesce(sum(governed_rows), 0) AS governed
    FROM {stats}"""


def blocked_totals(blocks_t: str) -> str:
    return (f"SELECT count(*) FILTER (WHERE blocked_before) AS blocked_before, "
            f"count(*) FILTER (WHERE blocked_after) AS blocked_after FROM {blocks_t}")


def drop_view(view: str) -> str:
    return f"DROP VIEW IF EXISTS {view}"


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
