"""SQL of the simulation (docs/rules.md#what-a-block-does, #scenarios-and-change): matching, blocks, contacts, timelines, feed, entries.

Only internal table names (chosen by the toolkit, never by a user) are formatted into the text;
user values — entries, addresses, paths, flags — arrive as registered tables or bound parameters.
"""

from __future__ import annotations

from .ingest import _ROLE_RANK

# Named parameters every simulation statement may use:
#   $applies   channels the lists govern          $roles     recipient roles a list can block (A3)
#   $known     the canonical channels             $unknown   whether unknown channels are governed (U1)
#   $creating  channels whose logged sends create a contact (A4; ``client`` with A6's client_creates)
#   $crm       whether a crm send implies an existing record (A4)
#   $inbound   whether incoming mail in a connected inbox is governed and logged (profile 2026)
#   $in_channels  the channels of such incoming mail (extension, client)
#   $silent    channels whose sends are never logged (``client`` unless profile 2026 logs all)
#
# In profile 2026 the statements read the *contact rows* (``contact_rows``): the same columns, with
# an incoming row's ``recipient`` the contact (the external sender) and its ``sender`` the receiving
# user, whose personal list applies (docs/rules.md#incoming-email-in-2026). Outside 2026 ``$inbound``
# is false and incoming rows pass through (U3).

# A send with no channel is an unknown channel (U1). Read through CHANNEL it compares as '' — never
# NULL, which would make `applies` and a contact's existence three-valued.
CHANNEL = "coalesce(channel, '')"
INCOMING = "($inbound AND direction = 'inbound' AND list_contains($in_channels, channel))"
# Rows that can be on a contact's timeline: sent mail, and governed incoming mail in profile 2026.
COUNTED = f"(direction = 'outbound' OR {INCOMING})"
# Rows logged when nothing blocks them and their record exists (U4: the toggle; $silent: client sends).
LOGGABLE = "(log_enabled AND NOT coalesce(direction = 'outbound' AND list_contains($silent, channel), false))"
CREATES = f"(direction = 'outbound' AND list_contains($creating, {CHANNEL}))"
IMPLIES = f"(direction = 'outbound' AND {CHANNEL} = 'crm' AND $crm)"
APPLIES = ("((direction = 'outbound' AND log_enabled AND list_contains($roles, role) AND "
           f"(list_contains($applies, {CHANNEL}) OR ($unknown AND NOT list_contains($known, {CHANNEL})))) "
           f"OR ({INCOMING} AND log_enabled))")


def contact_rows(rows: str, threads: str | None, out: str) -> str:
    """Profile 2026: every row keyed by its contact (docs/rules.md#incoming-email-in-2026).

    An incoming row's contact is its sender and its list owner the receiving user (the row's
    recipient); an incoming row with no channel counts as ``client``. ``mail_sender`` and
    ``mail_recipient`` keep the row as written; ``thread`` is its reply thread (``threads``).
    """
    thread = "t.thread" if threads else "NULL::VARCHAR"
    join = f"LEFT JOIN {threads} t ON t.message_id = r.message_id" if threads else ""
    inbound = "r.direction = 'inbound'"
    return f"""
    CREATE TABLE {out} AS
    SELECT r.row_id, r.message_id, r.sent_at,
           CASE WHEN {inbound} THEN r.recipient ELSE r.sender END AS sender,
           CASE WHEN {inbound} THEN coalesce(r.channel, 'client') ELSE r.channel END AS channel,
           r.role,
           CASE WHEN {inbound} THEN r.sender ELSE r.recipient END AS recipient,
           CASE WHEN {inbound} THEN split_part(r.sender, '@', -1) ELSE r.rdomain END AS rdomain,
           r.log_enabled, r.direction, r.sender AS mail_sender, r.recipient AS mail_recipient,
           {thread} AS thread
    FROM {rows} r {join}"""


def domain_suffixes(rows: str, out: str) -> str:
    """Every recipient domain with each of its parent domains (two labels at least), for A2's sub-domain what-if."""
    return f"""
    CREATE TABLE {out} AS
    WITH d AS (SELECT DISTINCT rdomain, string_split(rdomain, '.') AS parts FROM {rows})
    SELECT rdomain, array_to_string(parts[i:], '.') AS suffix
    FROM (SELECT rdomain, parts, unnest(generate_series(1, greatest(len(parts) - 1, 1))) AS i FROM d)"""


def candidate_rows(rows: str, entries: str, out: str, suffixes: str | None) -> str:
    """The rows whose recipient an address key names or whose domain a domain key covers: every row of
    every recipient an entry can match (a recipient's rows share its domain), in one scan of the rows —
    matching and the affected rows then read this smaller table, not every row twice."""
    return f"""
    CREATE TABLE {out} AS SELECT * FROM {rows}
    WHERE recipient IN (SELECT key FROM {entries} WHERE kind = 'address') OR rdomain IN {_domains(entries, suffixes)}"""


def _domains(entries: str, suffixes: str | None) -> str:
    """The recipient domains a domain entry of ``entries`` covers (its own; with ``suffixes``, A2's sub-domains too)."""
    domain_keys = f"(SELECT key FROM {entries} WHERE kind = 'domain')"
    return domain_keys if suffixes is None else f"(SELECT rdomain FROM {suffixes} WHERE suffix IN {domain_keys})"


def matches(rows: str, entries: str, out: str, suffixes: str | None) -> str:
    """Every (row, scenario, entry) that matches: team entries for every sender, personal ones for their owner's."""
    return f"CREATE TABLE {out} AS {matches_select(rows, entries, suffixes)}"


def matches_select(rows: str, entries: str, suffixes: str | None = None) -> str:
    """The SELECT of :func:`matches`."""
    # message_id is left out: read for every row it costs more than the join; .entries fetches it.
    if suffixes is None:
        dom_join = f"JOIN {entries} e ON e.key = r.rdomain"
    else:
        dom_join = f"JOIN {suffixes} s ON s.rdomain = r.rdomain JOIN {entries} e ON e.key = s.suffix"
    cols = "r.row_id, r.sender, r.recipient, e.scenario, e.entry, e.list, e.owner, e.rank"
    owner_ok = "(e.list = 'team' OR e.owner = r.sender)"
    # The rows some key can match, found first by a semi-join on the keys alone (a small hash table,
    # probed in parallel), before the joins that fan out to every entry of a key.
    return f"""
    WITH r AS NOT MATERIALIZED (SELECT row_id, sender, recipient, rdomain FROM {rows}
        WHERE (recipient IN (SELECT key FROM {entries} WHERE kind = 'address') OR rdomain IN {_domains(entries, suffixes)})
          AND {APPLIES})
    SELECT {cols} FROM r JOIN {entries} e ON e.key = r.recipient WHERE e.kind = 'address' AND {owner_ok}
    UNION ALL SELECT {cols} FROM r {dom_join} WHERE e.kind = 'domain' AND {owner_ok}"""


# Responsibility order (docs/rules.md#responsible-entry): team address, team domain, personal address, personal domain;
# among sub-domain what-if matches of one kind, the most specific domain. ``rank`` (simulate.py) is
# unique among the entries that can match one row.


def _ranked(matches_t: str) -> str:
    """Matches with how many entries of the scenario match the row, and which one is responsible."""
    return f"""(SELECT *, count(*) OVER w AS n_matching,
                   row_number() OVER (w ORDER BY rank) = 1 AS responsible
            FROM {matches_t} WINDOW w AS (PARTITION BY row_id, scenario))"""


def blocks(matches_t: str, out: str) -> str:
    """One row per blocked row: the responsible entry under each scenario (docs/rules.md#responsible-entry order)."""
    return f"CREATE TABLE {out} AS {blocks_select(matches_t)}"


def blocks_select(matches_t: str) -> str:
    """The SELECT of :func:`blocks`."""
    return f"""
    SELECT row_id,
           bool_or(scenario = 'baseline') AS blocked_before,
           bool_or(scenario = 'candidate') AS blocked_after,
           arg_min(entry, rank) FILTER (WHERE scenario = 'baseline') AS blocked_by_before,
           arg_min(list, rank) FILTER (WHERE scenario = 'baseline') AS blocked_by_list_before,
           arg_min(entry, rank) FILTER (WHERE scenario = 'candidate') AS blocked_by,
           arg_min(list, rank) FILTER (WHERE scenario = 'candidate') AS blocked_by_list
    FROM {matches_t} GROUP BY row_id"""


def affected_rows(rows: str, matches_t: str, blocks_t: str, out: str, everyone: bool = False) -> str:
    """Every row of the recipients some entry matches (all channels and roles: their contact outcome
    needs them), with the blocks under both scenarios. Only these recipients' outcomes can change —
    except under ``replies_only``, where a block in a thread changes other contacts' replies: then
    ``everyone`` keeps every row."""
    return f"CREATE VIEW {out} AS {affected_select(rows, matches_t, blocks_t, everyone)}"


def affected_select(rows: str, matches_t: str, blocks_t: str, everyone: bool = False) -> str:
    """The SELECT of :func:`affected_rows`."""
    where = "" if everyone else f"WHERE r.recipient IN (SELECT DISTINCT recipient FROM {matches_t})"
    return f"""
    SELECT r.*,
           coalesce(b.blocked_before, false) AS blocked_before, coalesce(b.blocked_after, false) AS blocked_after,
           b.blocked_by_before, b.blocked_by_list_before, b.blocked_by, b.blocked_by_list
    FROM {rows} r LEFT JOIN {blocks_t} b ON b.row_id = r.row_id
    {where}"""


def contact_stats(source: str, contacts: str, out: str, *, two_sided: bool = True, late: bool = True,
                  gated: bool = False) -> str:
    """Per recipient, under both scenarios: does a record exist, since when, how many timeline entries (A4).

    ``source`` has the row columns plus ``blocked_before`` and ``blocked_after``. With
    ``two_sided=False`` no list is in force, so one side is computed and serves both. ``late``
    is needed only when some logged row neither creates a contact nor implies one (a channel
    switched off under A4, an unknown channel, a ``client`` send or an incoming email in profile
    2026): such a row is on the timeline only once the record exists. ``gated`` (``replies_only``):
    ``source`` also has ``ok_b``, ``ok_a``, ``ok_u``, whether an incoming row's thread has an earlier
    logged email before, after and with no list (see ``thread_gate``).
    """
    return f"CREATE TABLE {out} AS {contact_stats_select(source, contacts, two_sided=two_sided, late=late, gated=gated)}"


def contact_stats_select(source: str, contacts: str, *, two_sided: bool = True, late: bool = True,
                         gated: bool = False) -> str:
    """The SELECT of :func:`contact_stats`."""
    def side(s: str) -> str:
        text = f"""
        bool_or(l{s} AND creates) AS has_create_{s}, min(sent_at) FILTER (WHERE l{s} AND creates) AS first_create_{s},
        count(*) FILTER (WHERE l{s} AND (creates OR implies)) AS sure_{s},
        count(*) FILTER (WHERE l{s} AND (creates OR implies) AND incoming) AS sure_in_{s},"""
        if late:
            text += (f" list(sent_at) FILTER (WHERE l{s} AND NOT creates AND NOT implies) AS late_{s},"
                     f" list(sent_at) FILTER (WHERE l{s} AND NOT creates AND NOT implies AND incoming) AS late_in_{s},")
        return text

    def outcome(s: str, name: str) -> str:
        created = f"least(known_at, first_crm, first_create_{s})"
        cmp = f"least(CASE WHEN known AND known_at IS NULL THEN TIMESTAMP '-infinity' END, {created})"

        # U10: an undated row is on the timeline whenever the record exists; a dated one from the
        # record's earliest dated creation on (U11: that moment included) — never when only undated
        # sends created it, which would let a block (of the dated creation) add timeline entries.
        def late_part(col: str) -> str:
            return (f" + len(list_filter(coalesce({col}_{s}, []), lambda t: t IS NULL OR coalesce(t >= {cmp}, false)))"
                    if late else "")
        return f"""
        (known OR has_crm OR has_create_{s}) AS exists_{name},
        CASE WHEN known AND known_at IS NULL THEN NULL  -- a record from before the history, date unknown
             WHEN known OR has_crm OR has_create_{s} THEN {created} END AS created_at_{name},
        CASE WHEN known OR has_crm OR has_create_{s} THEN sure_{s}{late_part('late')} ELSE 0 END AS timeline_{name},
        CASE WHEN known OR has_crm OR has_create_{s} THEN sure_in_{s}{late_part('late_in')} ELSE 0 END
            AS timeline_incoming_{name},"""
    after = "a" if two_sided else "b"

    def ok(s: str) -> str:
        return f" AND ok_{s}" if gated else ""
    if two_sided:
        blocked = (f"({LOGGABLE} AND NOT blocked_before{ok('b')}) AS lb, ({LOGGABLE} AND NOT blocked_after{ok('a')}) AS la, "
                   f"({LOGGABLE}{ok('u')}) AS lu")
    else:
        blocked = f"({LOGGABLE}{ok('u')}) AS lb"
    return f"""
    WITH x AS (
        SELECT recipient, sent_at, {blocked}, {APPLIES} AS governed, NOT log_enabled AS log_disabled,
               {CREATES} AS creates, {IMPLIES} AS implies, direction = 'inbound' AS incoming
        FROM {source} WHERE {COUNTED}
    ), g AS (
        SELECT recipient, bool_or(implies) AS has_crm, min(sent_at) FILTER (WHERE implies) AS first_crm,
               {side('b')} {side('a') + side('u') if two_sided else ''}
               count(*) FILTER (WHERE NOT incoming) AS sends, count(*) FILTER (WHERE incoming) AS received,
               count(*) FILTER (WHERE governed) AS governed_rows,
               count(*) FILTER (WHERE log_disabled AND NOT incoming) AS log_disabled_rows
        FROM x GROUP BY recipient
    ), k AS (
        SELECT g.*, c.email IS NOT NULL AS known, c.created_at AS known_at
        FROM g LEFT JOIN {contacts} c ON c.email = g.recipient
    ), o AS (
        SELECT recipient AS contact, known AS known_before_history, sends, received, governed_rows, log_disabled_rows,
               {outcome('b', 'before')} {outcome(after, 'after')}
               {outcome('u', 'unlisted') if two_sided else ''}
        FROM k
    )
    SELECT *, {change_class()} AS change FROM o"""


# Columns two-sided statistics add: the same recipients with no list in force (the part of the
# history-wide figures they replace); contacts_view leaves them out.
UNLISTED = ("exists_unlisted", "created_at_unlisted", "timeline_unlisted", "timeline_incoming_unlisted")


def change_class(before: str = "before", after: str = "after") -> str:
    """docs/rules.md#change-classes: the first class that holds, between the outcome columns ``*_{before}``
    and ``*_{after}``."""
    b, a = before, after
    return f"""CASE
        WHEN exists_{b} AND NOT exists_{a} THEN 'not_created'
        WHEN exists_{b} AND exists_{a} AND created_at_{a} > created_at_{b} THEN 'created_later'
        WHEN exists_{b} AND exists_{a} AND timeline_{b} > 0 AND timeline_{a} = 0 THEN 'timeline_emptied'
        WHEN timeline_{a} < timeline_{b} AND timeline_{a} > 0 THEN 'timeline_reduced'
        WHEN NOT exists_{b} AND exists_{a} THEN 'newly_created'
        WHEN exists_{b} AND exists_{a} AND created_at_{a} < created_at_{b} THEN 'created_earlier'
        WHEN timeline_{a} > timeline_{b} THEN 'timeline_added'
        ELSE 'unchanged' END"""


def contacts_view(all_stats: str, affected_stats: str, out: str) -> str:
    return f"CREATE VIEW {out} AS {contacts_select(all_stats, affected_stats)}"


def contacts_select(all_stats: str, affected_stats: str) -> str:
    """The SELECT of :func:`contacts_view`: the affected recipients' statistics, then everyone else's."""
    return f"""
    SELECT * EXCLUDE ({", ".join(UNLISTED)}) FROM {affected_stats}
    UNION ALL SELECT * FROM {all_stats} WHERE contact NOT IN (SELECT contact FROM {affected_stats})"""


def _on_timeline(s: str, contact: str, gated: bool = False) -> str:
    """Whether a row is a timeline entry of its contact under side ``s`` (before, after, unlisted)."""
    cmp = (f"coalesce({contact}.created_at_{s}, CASE WHEN {contact}.known_before_history THEN TIMESTAMP '-infinity' END)")
    blocked = {"before": " AND NOT blocked_before", "after": " AND NOT blocked_after", "unlisted": ""}[s]
    ok = f" AND ok_{s[0] if s != 'unlisted' else 'u'}" if gated else ""
    return (f"({COUNTED} AND {LOGGABLE}{blocked}{ok} AND coalesce({contact}.exists_{s}, false) AND "
            f"({CREATES} OR {IMPLIES} OR sent_at IS NULL OR coalesce(sent_at >= {cmp}, false)))")


def recipients_view(rows: str, blocks_t: str, contacts: str, gated: bool = False, contact_rows: bool = False) -> str:
    """SimulationResult.recipients: every row with its outcome under both scenarios.

    With ``contact_rows`` (profile 2026) ``sender`` and ``recipient`` are the row as written and
    ``contact`` the record it concerns (an incoming email's sender).
    """
    who = ("r.mail_sender AS sender, r.channel, r.role, r.mail_recipient AS recipient, r.recipient AS contact"
           if contact_rows else "r.sender, r.channel, r.role, r.recipient")
    return f"""
    WITH r AS (
        SELECT r.*, coalesce(b.blocked_before, false) AS blocked_before, coalesce(b.blocked_after, false) AS blocked_after,
               b.blocked_by, b.blocked_by_list
        FROM {rows} r LEFT JOIN {blocks_t} b ON b.row_id = r.row_id
    )
    SELECT r.message_id, r.sent_at, {who}, {APPLIES} AS applies,
           r.blocked_before, r.blocked_after, coalesce(r.blocked_by, '') AS blocked_by,
           coalesce(r.blocked_by_list, '') AS blocked_by_list,
           (r.log_enabled AND NOT r.blocked_before) AS logged_before, (r.log_enabled AND NOT r.blocked_after) AS logged_after,
           {_on_timeline('before', 'c', gated)} AS on_timeline_before, {_on_timeline('after', 'c', gated)} AS on_timeline_after,
           r.log_enabled, r.direction
    FROM r LEFT JOIN {contacts} c ON c.contact = r.recipient
    ORDER BY r.sent_at NULLS LAST, r.message_id, {_ROLE_RANK}, r.recipient"""


def timeline_rows(arows: str, astats: str, out: str, gated: bool = False, contact_rows: bool = False) -> str:
    """The (message, recipient) rows whose logging or timeline entry changes."""
    return f"CREATE TABLE {out} AS {_timeline_select(arows, astats, gated, contact_rows)}"


def timeline_changes(arows: str, astats: str, gated: bool = False) -> str:
    """Timeline entries that leave and that join contact timelines (both ways when a baseline is in force)."""
    return f"""
    SELECT count(*) FILTER (WHERE on_timeline_before AND NOT on_timeline_after) AS left_timeline,
           count(*) FILTER (WHERE on_timeline_after AND NOT on_timeline_before) AS joined_timeline
    FROM ({_timeline_select(arows, astats, gated)})"""


def _timeline_select(arows: str, astats: str, gated: bool = False, contact_rows: bool = False) -> str:
    """Rows whose timeline entry changes; ``direction`` is ``outgoing`` or ``incoming``, ``contact`` the record."""
    who = ("a.mail_sender AS sender, a.channel, a.role, a.mail_recipient AS recipient, a.recipient AS contact"
           if contact_rows else "a.sender, a.channel, a.role, a.recipient, a.recipient AS contact")
    return f"""
    SELECT * FROM (
        SELECT a.row_id, a.message_id, a.sent_at, {who},
               CASE WHEN a.direction = 'inbound' THEN 'incoming' ELSE 'outgoing' END AS direction,
               (a.log_enabled AND NOT a.blocked_before) AS logged_before, (a.log_enabled AND NOT a.blocked_after) AS logged_after,
               {_on_timeline('before', 'c', gated)} AS on_timeline_before, {_on_timeline('after', 'c', gated)} AS on_timeline_after,
               coalesce(a.blocked_by, a.blocked_by_before, '') AS blocked_by,
               coalesce(a.blocked_by_list, a.blocked_by_list_before, '') AS blocked_by_list,
               CASE WHEN a.blocked_after AND NOT a.blocked_before THEN 'removed'
                    WHEN a.blocked_before AND NOT a.blocked_after THEN 'added' ELSE 'changed' END AS change
        FROM {arows} a JOIN {astats} c ON c.contact = a.recipient
    ) WHERE logged_before <> logged_after OR on_timeline_before <> on_timeline_after"""


def feed(tracking: str, rows: str, contacts: str, blocks_t: str, out: str, gated: bool = False) -> str:
    """SimulationResult.feed: every tracking event; the feed keeps all of them (docs/rules.md#the-activity-feed-never-changes),
    timelines don't. Incoming email carries no tracking: events naming one are left out (profile 2026)."""
    return f"CREATE TABLE {out} AS {feed_select(tracking, rows, contacts, blocks_t, gated)}"


def feed_select(tracking: str, rows: str, contacts: str, blocks_t: str, gated: bool = False,
                unlisted: bool = False) -> str:
    """The SELECT of :func:`feed`; ``unlisted`` adds ``on_timeline_unlisted`` (``contacts`` has the
    two-sided statistics' ``*_unlisted`` columns: what-ifs, see :func:`whatif_pair_figures`)."""
    u_inner = f" coalesce({_on_timeline('unlisted', 'c', gated)}, false) AS on_timeline_unlisted," if unlisted else ""
    u_outer = " on_timeline_unlisted AND recipient IS NOT NULL AS on_timeline_unlisted," if unlisted else ""
    return f"""
    WITH r AS (
        SELECT r.*, coalesce(b.blocked_before, false) AS blocked_before, coalesce(b.blocked_after, false) AS blocked_after
        FROM {rows} r LEFT JOIN {blocks_t} b ON b.row_id = r.row_id
        WHERE r.message_id IN (SELECT message_id FROM {tracking}) AND r.direction = 'outbound'
    ), t AS (
        SELECT t.*, r.row_id IS NOT NULL AS known_row,
               coalesce({_on_timeline('before', 'c', gated)}, false) AS on_timeline_before,
               coalesce({_on_timeline('after', 'c', gated)}, false) AS on_timeline_after,{u_inner}
               coalesce(r.blocked_after, false) AS blocked_after, coalesce(r.blocked_before, false) AS blocked_before
        FROM {tracking} t
        LEFT JOIN r ON r.message_id = t.message_id AND r.recipient = t.recipient
        LEFT JOIN {contacts} c ON c.contact = r.recipient
        WHERE NOT ($inbound AND t.message_id IN (SELECT message_id FROM {rows} WHERE direction = 'inbound'))
    )
    SELECT message_id, recipient, event, occurred_at, true AS in_feed_before, true AS in_feed_after,
           on_timeline_before AND recipient IS NOT NULL AS on_timeline_before,
           on_timeline_after AND recipient IS NOT NULL AS on_timeline_after,{u_outer}
           blocked_before, blocked_after, known_row
    FROM t ORDER BY occurred_at NULLS LAST, message_id, recipient NULLS FIRST, event"""


def entry_stats(entries: str, matches_t: str, rows: str, incoming: bool = False) -> str:
    """SimulationResult.entries: what each entry matches, its exclusive impact, and the dead ones.

    ``incoming`` (profile 2026) adds ``incoming_rows``: the incoming emails among the rows it matches."""
    ranked = (f"(SELECT k.*, r.message_id, r.direction FROM {_ranked(matches_t)} k "
              f"JOIN {rows} r ON r.row_id = k.row_id)")
    extra = ("count(m.row_id) FILTER (WHERE m.direction = 'inbound') AS incoming_rows,"
             if incoming else "")
    return f"""
    SELECT e.scenario AS policy, e.entry, e.list, coalesce(e.owner, '') AS owner, e.kind,
           count(m.row_id) AS rows, count(DISTINCT m.message_id) AS messages,
           count(DISTINCT m.recipient) AS recipients, count(DISTINCT m.sender) AS senders,
           count(m.row_id) FILTER (WHERE m.n_matching = 1) AS exclusive_rows,
           count(DISTINCT m.recipient) FILTER (WHERE m.n_matching = 1) AS exclusive_recipients,
           count(m.row_id) FILTER (WHERE m.responsible) AS responsible_rows, {extra}
           count(m.row_id) = 0 AS dead
    FROM {entries} e LEFT JOIN {ranked} m
      ON m.scenario = e.scenario AND m.entry = e.entry AND m.list = e.list
     AND coalesce(m.owner, '') = coalesce(e.owner, '')
    GROUP BY ALL
    ORDER BY policy DESC, rows DESC, entry, list, owner NULLS FIRST"""


def entry_counts(entries: str, matches_t: str) -> str:
    """Candidate entries and how many match nothing (dead weight against the cap), without the full stats."""
    return f"""
    SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
        SELECT 1 FROM {matches_t} m WHERE m.scenario = e.scenario AND m.entry = e.entry AND m.list = e.list
          AND coalesce(m.owner, '') = coalesce(e.owner, '')))
    FROM {entries} e WHERE e.scenario = 'candidate'"""


def _contact_total_columns(before: str, after: str) -> list[tuple[str, str]]:
    """(name, aggregate) of each contact figure, over the ``{before}``/``{after}`` columns."""
    return [("recipients", "count(*)"),
            ("records_before", f"count(*) FILTER (WHERE exists_{before})"),
            ("records_after", f"count(*) FILTER (WHERE exists_{after})"),
            ("created_before", f"count(*) FILTER (WHERE exists_{before} AND NOT known_before_history)"),
            ("created_after", f"count(*) FILTER (WHERE exists_{after} AND NOT known_before_history)"),
            ("timeline_before", f"coalesce(sum(timeline_{before}), 0)"),
            ("timeline_after", f"coalesce(sum(timeline_{after}), 0)"),
            ("timeline_incoming_before", f"coalesce(sum(timeline_incoming_{before}), 0)"),
            ("timeline_incoming_after", f"coalesce(sum(timeline_incoming_{after}), 0)")]


# The names of those figures, in that order.
CONTACT_TOTALS = tuple(name for name, _ in _contact_total_columns("before", "after"))


def contact_totals(contacts: str, before: str = "before", after: str = "after") -> str:
    """Contact figures summed over ``contacts``; ``before``/``after`` pick the columns (``unlisted``: no list)."""
    columns = ", ".join(f"{expr} AS {name}" for name, expr in _contact_total_columns(before, after))
    return f"SELECT {columns} FROM {contacts}"


def _contact_totals_struct(before: str = "before", after: str = "after") -> str:
    """The figures of :func:`contact_totals` as one struct (an aggregate over the contacts read)."""
    return "struct_pack(" + ", ".join(f"{name} := {expr}" for name, expr in _contact_total_columns(before, after)) + ")"


def change_counts(contacts: str) -> str:
    return f"SELECT change, count(*) FROM {contacts} GROUP BY change"


def row_totals(stats: str) -> str:
    """Outbound row figures that depend on the rules but not on the lists, summed per recipient."""
    return f"""
    SELECT coalesce(sum(sends), 0) AS outbound, coalesce(sum(log_disabled_rows), 0) AS log_disabled,
           coalesce(sum(governed_rows), 0) AS governed
    FROM {stats}"""


def thread_gate(arows: str, ostats: str, out: str) -> str:
    """``replies_only``: per incoming row, whether its thread has an earlier email on a contact's timeline
    before (``ok_b``), after (``ok_a``) and with no list (``ok_u``) — docs/rules.md#reply-threads.

    ``ostats`` are the two-sided contact statistics of the sent rows alone: incoming mail creates no
    record, so they fix every record's date; and since an incoming email is logged only after an
    earlier logged one, the first logged email of a thread is always a sent one.
    """
    first = ", ".join(
        f"min(a.sent_at) FILTER (WHERE {_on_timeline(s, 'c')}) AS f{s[0] if s != 'unlisted' else 'u'}"
        for s in ("before", "after", "unlisted"))
    return f"""
    CREATE TABLE {out} AS
    WITH t AS (
        SELECT a.thread, {first}
        FROM {arows} a JOIN {ostats} c ON c.contact = a.recipient
        WHERE a.direction = 'outbound' AND a.thread IS NOT NULL GROUP BY a.thread
    )
    SELECT a.row_id, coalesce(a.sent_at > t.fb, false) AS ok_b, coalesce(a.sent_at > t.fa, false) AS ok_a,
           coalesce(a.sent_at > t.fu, false) AS ok_u
    FROM {arows} a LEFT JOIN t ON t.thread = a.thread WHERE a.direction = 'inbound'"""


def gated_rows(rows: str, gate: str, out: str) -> str:
    """The contact rows with the thread gate of ``thread_gate`` (sent rows are never gated)."""
    return f"""
    CREATE VIEW {out} AS
    SELECT r.*, coalesce(g.ok_b, r.direction = 'outbound') AS ok_b, coalesce(g.ok_a, r.direction = 'outbound') AS ok_a,
           coalesce(g.ok_u, r.direction = 'outbound') AS ok_u
    FROM {rows} r LEFT JOIN {gate} g ON g.row_id = r.row_id"""


def outbound_rows(rows: str, out: str) -> str:
    return f"CREATE VIEW {out} AS SELECT * FROM {rows} WHERE direction = 'outbound'"


def blocked_totals(blocks_t: str) -> str:
    return (f"SELECT count(*) FILTER (WHERE blocked_before) AS blocked_before, "
            f"count(*) FILTER (WHERE blocked_after) AS blocked_after FROM {blocks_t}")


def feed_totals(feed_t: str) -> str:
    return f"""
    SELECT count(*) AS events, count(*) FILTER (WHERE recipient IS NULL) AS unattributed,
           count(*) FILTER (WHERE on_timeline_before) AS on_timeline_before,
           count(*) FILTER (WHERE on_timeline_after) AS on_timeline_after,
           count(*) FILTER (WHERE blocked_before) AS blocked_before, count(*) FILTER (WHERE blocked_after) AS blocked_after,
           count(*) FILTER (WHERE NOT known_row AND recipient IS NOT NULL) AS unmatched,
           count(*) FILTER (WHERE on_timeline_before AND NOT on_timeline_after) AS left_timeline
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


def unblocked_totals(profile: str, row_profile: str, contacts: str) -> str:
    """History-wide figures with no list in force, from the load-time profiles.

    ``$history_mask`` has the bits of the (channel, log toggle) pairs whose sends make a record
    exist (a crm send, or a logged send on a creating channel). Valid when every logged send
    creates a contact or implies one (no ``late`` sends): then each such send is a timeline entry.
    """
    return f"""
    WITH p AS (
        SELECT (p.codes & $history_mask) <> 0 AS from_history, c.email IS NOT NULL AS known
        FROM {profile} p LEFT JOIN {contacts} c ON c.email = p.recipient
    ), r AS (
        SELECT coalesce(sum(n) FILTER (WHERE direction = 'outbound'), 0) AS outbound,
               coalesce(sum(n) FILTER (WHERE direction = 'outbound' AND NOT log_enabled), 0) AS log_disabled,
               coalesce(sum(n) FILTER (WHERE {APPLIES}), 0) AS governed,
               coalesce(sum(n) FILTER (WHERE direction = 'outbound' AND log_enabled AND
                        ({CREATES} OR {IMPLIES})), 0) AS timeline
        FROM {row_profile}
    )
    SELECT (SELECT count(*) FROM p) AS recipients,
           (SELECT count(*) FROM p WHERE from_history OR known) AS records_before,
           (SELECT count(*) FROM p WHERE from_history OR known) AS records_after,
           (SELECT count(*) FROM p WHERE from_history AND NOT known) AS created_before,
           (SELECT count(*) FROM p WHERE from_history AND NOT known) AS created_after,
           timeline AS timeline_before, timeline AS timeline_after,
           0 AS timeline_incoming_before, 0 AS timeline_incoming_after, outbound, log_disabled, governed
    FROM r"""


def exclusive_rows(matches_t: str, rows: str) -> str:
    """The candidate rows one entry alone blocks (no other candidate entry matches them): ``$entry, $list, $owner``.

    The rows it alone changes: take the entry out and exactly these rows are logged again.
    """
    return f"""
    WITH k AS (SELECT row_id, entry, list, coalesce(owner, '') AS owner,
                      count(*) OVER (PARTITION BY row_id) AS n_matching
               FROM {matches_t} WHERE scenario = 'candidate')
    SELECT r.message_id, r.sent_at, r.sender, r.channel, r.role, r.recipient, k.list, k.owner
    FROM k JOIN {rows} r ON r.row_id = k.row_id
    WHERE k.n_matching = 1 AND k.entry = $entry AND k.list = $list AND k.owner = $owner
    ORDER BY r.sent_at NULLS LAST, r.message_id, r.recipient"""
def incoming_tracking(tracking: str, rows: str) -> str:
    """Tracking events naming an incoming email: incoming mail carries no tracking, so they are left out."""
    return f"""
    SELECT count(*) AS incoming_tracking FROM {tracking}
    WHERE message_id IN (SELECT message_id FROM {rows} WHERE direction = 'inbound')"""


# --- incremental what-ifs (simulate.py: "what-ifs") -----------------------------------------------
# A policy a few entries away from one already simulated on the history changes only the recipients
# those entries match. These statements re-count just them, over the rows of those recipients alone.

WHATIF_COLUMNS = "row_id, message_id, sent_at, sender, channel, role, recipient, rdomain, log_enabled, direction"


def whatif_rows(rows: str, out: str) -> str:
    """The rows a what-if reads, sorted by domain then recipient (built once per history).

    An edit reads the rows of the few recipients and domains its entries name; sorted, those rows
    sit in a few row groups and DuckDB skips every other group by its min/max.
    """
    return f"CREATE TEMP TABLE {out} AS SELECT {WHATIF_COLUMNS} FROM {rows} ORDER BY rdomain, recipient"


def whatif_domain_check(rows: str) -> str:
    """Rows whose ``rdomain`` is not the part of the recipient after its last ``@`` (none, as loaded).

    A what-if finds a recipient's rows by its domain; were a row's domain another, it would miss it."""
    return f"SELECT count(*) AS odd FROM {rows} WHERE rdomain IS DISTINCT FROM split_part(recipient, '@', -1)"


# The bound lists a what-if passes (user values stay parameters): the changed keys, and each side's entries.
WHATIF_KEYS = "(SELECT unnest(CAST($w_keys AS STRUCT(kind VARCHAR, key VARCHAR)[]), recursive := true))"
WHATIF_NAMED = "(SELECT unnest(CAST($w_named AS VARCHAR[])))"
_WHATIF_ENTRY = ("STRUCT(scenario VARCHAR, entry VARCHAR, kind VARCHAR, key VARCHAR, list VARCHAR, owner VARCHAR, "
                 "priority INTEGER, rank INTEGER, changed BOOLEAN)[]")


def whatif_entries(param: str) -> str:
    """A bound list of entries (``$w_old``, ``$w_new``: ``_entries_frame`` rows with ``changed``) as rows."""
    return f"(SELECT unnest(CAST(${param} AS {_WHATIF_ENTRY}), recursive := true))"


def touched_rows(srows: str, keys: str = WHATIF_KEYS) -> str:
    """Every row of the recipients the entries in ``keys`` (``kind, key``) can match: the recipient an
    address key names, every recipient of a domain key's domain.

    Two branches, each filtered by one semi-join on a sorted column, so DuckDB skips the row groups of
    other domains and, within a large domain, of other recipients (an OR of the two would read the
    whole domain of an address key)."""
    domains = f"(SELECT key FROM {keys} WHERE kind = 'domain')"
    return f"""
    SELECT * FROM {srows} WHERE rdomain IN {domains}
    UNION ALL
    SELECT * FROM {srows}
    WHERE rdomain IN (SELECT split_part(key, '@', -1) FROM {keys} WHERE kind = 'address')
      AND recipient IN (SELECT key FROM {keys} WHERE kind = 'address') AND rdomain NOT IN {domains}"""


def whatif_tracking(tracking: str, rows: str, out: str) -> str:
    """The tracking events the feed reads: all but those naming an incoming email when ``$inbound``
    (the history-wide part of :func:`feed`'s filter, applied once per history)."""
    return f"""
    CREATE TEMP TABLE {out} AS SELECT * FROM {tracking} t
    WHERE NOT ($inbound AND t.message_id IN (SELECT message_id FROM {rows} WHERE direction = 'inbound'))"""


def whatif_figures(touched: str, entries: dict[str, str], contacts: str, late: bool, tracking: str | None = None,
                   timeline: bool = True, dead: bool = True) -> str:
    """Policy pairs over the touched recipients: the figures ``metrics()`` sums, for them alone.

    ``touched`` selects every row of the recipients an edit can touch (:func:`touched_rows`), so each
    figure here is exactly those recipients' share of the history-wide one. ``entries`` maps a side
    (``old``, ``new``) to its pair's entries with a ``changed`` flag (``dead`` counts the changed
    candidate entries that match nothing); each side's figures are a struct column ``{side}``.
    ``tracking`` the events the feed reads (:func:`whatif_tracking`). The same SELECTs as a full
    simulation: matches, blocks, affected rows, contact statistics, feed — with every touched
    recipient counted as affected (one no entry matches has the same outcome on both sides, so
    adds nothing but an ``unchanged``). ``timeline`` and ``dead`` leave out the timeline entries
    that change and the dead changed entries when the caller needs neither.
    """
    ctes = [f"w_rows AS ({touched})"]
    if tracking is not None:
        ctes += [f"w_t AS (SELECT * FROM {tracking} WHERE recipient IN (SELECT recipient FROM w_rows))",
                 f"w_g AS ({contact_stats_select('w_rows', contacts, two_sided=False, late=late)})"]
    sides = []
    for side, source in entries.items():
        table = f"w_{side}_e"
        m, b, a, st = (f"w_{side}_{k}" for k in ("m", "b", "a", "s"))
        ctes += [f"{table} AS {source}", f"{m} AS ({matches_select('w_rows', table)})", f"{b} AS ({blocks_select(m)})",
                 f"{a} AS ({affected_select('w_rows', m, b, everyone=True)})",
                 f"{st} AS ({contact_stats_select(a, contacts, late=late)})"]
        figures = [
            f"contacts := (SELECT struct_pack(listed := {_contact_totals_struct()}, "
            f"unlisted := {_contact_totals_struct('unlisted', 'unlisted')}, "
            f"changes := map_entries(histogram(change))) FROM {st})",
            f"blocked := (SELECT x FROM ({blocked_totals(b)}) x)",
        ]
        if timeline:
            figures.append(f"timeline := (SELECT x FROM ({timeline_changes(a, st)}) x)")
        if dead:
            figures.append(f"""dead := (SELECT count(*) FROM {table} e WHERE e.scenario = 'candidate' AND e.changed AND NOT EXISTS (
                SELECT 1 FROM {m} m WHERE m.scenario = e.scenario AND m.entry = e.entry AND m.list = e.list
                  AND coalesce(m.owner, '') = coalesce(e.owner, '')))""")
        if tracking is not None:
            ctes += [f"w_{side}_cv AS ({contacts_select('w_g', st)})",
                     f"w_{side}_f AS ({feed_select('w_t', 'w_rows', f'w_{side}_cv', b)})"]
            figures.append(f"feed := (SELECT x FROM ({feed_totals(f'w_{side}_f')}) x)")
        sides.append(f"struct_pack({', '.join(figures)}) AS {side}")
    return f"WITH {', '.join(ctes)}\nSELECT {', '.join(sides)}"


def whatif_pair_figures(touched: str, entries: str, contacts: str, late: bool, tracking: str | None = None,
                        timeline: bool = True, recipients: str | None = None, n_domains: int = 0,
                        named: str = WHATIF_NAMED) -> str:
    """One pass for an edit of the candidate alone: the touched recipients' figures under the old and
    the new candidate, when no entry of the baseline (the same in both pairs) can match them.

    There the baseline's outcome is the one with no list (the ``unlisted`` side of the statistics),
    so one two-sided run answers both pairs: ``entries`` (a SELECT of ``_entries_frame`` rows with
    ``changed``) holds the old candidate's entries near the edit as scenario ``baseline`` and the new
    candidate's as ``candidate``; ``*_before`` is then the old candidate's outcome, ``*_after`` the
    new one's. Each side's figures are a struct column ``old`` / ``new`` shaped as
    :func:`whatif_figures`' (the baseline's share: unlisted figures, nothing blocked), read the same way.
    ``timeline``: the timeline entries that leave (a baseline is in force elsewhere). ``recipients``
    (:func:`whatif_recipients`) adds a column ``domains``: :func:`whatif_recipient_shares`' rows for
    ``n_domains`` domains (the recipients ``named`` counted apart), as a list.
    """
    ctes = [f"w_rows AS ({touched})", f"w_e AS {entries}", f"w_m AS ({matches_select('w_rows', 'w_e')})",
            f"w_b AS ({blocks_select('w_m')})", f"w_a AS ({affected_select('w_rows', 'w_m', 'w_b', everyone=True)})",
            f"w_s AS ({contact_stats_select('w_a', contacts, late=late)})"]
    if tracking is not None:
        ctes += [f"w_t AS (SELECT * FROM {tracking} WHERE recipient IN (SELECT recipient FROM w_rows))",
                 f"w_f AS ({feed_select('w_t', 'w_rows', 'w_s', 'w_b', unlisted=True)})"]
    # Each figure is aggregated once for both sides (fewer operators: planning is most of an edit's time).
    sides = (("old", "before", "baseline"), ("new", "after", "candidate"))
    ctes += ["w_cs AS (SELECT " + ", ".join(
        [f"{_contact_totals_struct('unlisted', column)} AS listed_{side}, "
         f"map_entries(histogram({change_class('unlisted', column)})) AS changes_{side}" for side, column, _ in sides]
        + [f"{_contact_totals_struct('unlisted', 'unlisted')} AS unlisted"]) + " FROM w_s)",
             "w_bs AS (SELECT " + ", ".join(f"count(*) FILTER (WHERE blocked_{column}) AS {side}"
                                            for side, column, _ in sides) + " FROM w_b)",
             "w_ds AS (SELECT " + ", ".join(f"count(*) FILTER (WHERE e.scenario = '{scenario}') AS {side}"
                                            for side, _, scenario in sides) + """ FROM w_e e
                WHERE e.changed AND NOT EXISTS (
                SELECT 1 FROM w_m m WHERE m.scenario = e.scenario AND m.entry = e.entry AND m.list = e.list
                  AND coalesce(m.owner, '') = coalesce(e.owner, '')))"""]
    reads = ["w_cs", "w_bs", "w_ds"]
    if timeline:
        ctes.append("w_ts AS (SELECT " + ", ".join(f"count(*) FILTER (WHERE on_u AND NOT on_{side}) AS {side}"
                                                   for side, _, _ in sides)
                    + f" FROM (SELECT {_on_timeline('unlisted', 'c')} AS on_u, {_on_timeline('before', 'c')} AS on_old, "
                      f"{_on_timeline('after', 'c')} AS on_new FROM w_a a JOIN w_s c ON c.contact = a.recipient))")
        reads.append("w_ts")
    if tracking is not None:
        ctes.append("w_fs AS (SELECT count(*) AS events, count(*) FILTER (WHERE recipient IS NULL) AS unattributed, "
                    "count(*) FILTER (WHERE NOT known_row AND recipient IS NOT NULL) AS unmatched, "
                    "count(*) FILTER (WHERE on_timeline_unlisted) AS on_unlisted, "
                    + ", ".join(f"count(*) FILTER (WHERE on_timeline_{column}) AS on_{side}, "
                                f"count(*) FILTER (WHERE blocked_{column}) AS blocked_{side}, "
                                f"count(*) FILTER (WHERE on_timeline_unlisted AND NOT on_timeline_{column}) AS left_{side}"
                                for side, column, _ in sides) + " FROM w_f)")
        reads.append("w_fs")
    out = []
    for side, _, _ in sides:
        parts = [f"contacts := struct_pack(listed := w_cs.listed_{side}, unlisted := w_cs.unlisted, "
                 f"changes := w_cs.changes_{side})",
                 f"blocked := struct_pack(blocked_before := 0, blocked_after := w_bs.{side})", f"dead := w_ds.{side}"]
        if timeline:
            parts.append(f"timeline := struct_pack(left_timeline := w_ts.{side})")
        if tracking is not None:
            parts.append(f"feed := struct_pack(events := w_fs.events, unattributed := w_fs.unattributed, "
                         f"on_timeline_before := w_fs.on_unlisted, on_timeline_after := w_fs.on_{side}, "
                         f"blocked_before := 0, blocked_after := w_fs.blocked_{side}, unmatched := w_fs.unmatched, "
                         f"left_timeline := w_fs.left_{side})")
        out.append(f"struct_pack({', '.join(parts)}) AS {side}")
    if recipients is not None:
        ctes.append(f"w_p AS ({whatif_recipient_shares(recipients, timeline, n_domains, named)})")
        out.append("(SELECT list(struct_pack(part := part, rdomain := rdomain, \"full\" := \"full\", \"none\" := \"none\")) "
                   "FROM w_p) AS domains")
    return f"WITH {', '.join(ctes)}\nSELECT {', '.join(out)} FROM {', '.join(reads)}"



def whatif_recipients(rows: str, contacts: str, late: bool, timeline: bool, out: str) -> str:
    """Every recipient's outcome with no list and with every governed row blocked (built once per
    history and rules; sorted by domain, so that a domain's recipients sit in a few row groups).

    A team entry ``*@domain`` blocks every governed row of the domain whatever else matches there, and
    a recipient no entry names keeps its no-list outcome: a what-if that adds or removes such an
    entry reads the domain's share here instead of re-counting its rows (simulate.py, "what-ifs").
    Columns: ``rdomain``, ``contact``, the statistics' outcome columns ``*_unlisted`` (no list) and
    ``*_after`` (every governed row blocked), ``governed`` (those rows); with ``timeline`` also
    ``left_full`` (the timeline entries the block removes).
    """
    source = f"(SELECT r.*, false AS blocked_before, coalesce({APPLIES}, false) AS blocked_after FROM {rows} r)"
    outcome = ", ".join(f"s.{c}_{side}" for side in ("unlisted", "after")
                        for c in ("exists", "created_at", "timeline", "timeline_incoming"))
    left = ""
    if timeline:
        left = f""", l AS (
        SELECT a.recipient, count(*) FILTER (WHERE {_on_timeline('unlisted', 'c')} AND NOT {_on_timeline('after', 'c')}) AS left_full
        FROM {source} a JOIN s c ON c.contact = a.recipient GROUP BY a.recipient)"""
    return f"""
    CREATE TEMP TABLE {out} AS
    WITH s AS ({contact_stats_select(source, contacts, late=late)}){left}
    SELECT split_part(s.contact, '@', -1) AS rdomain, s.contact, s.known_before_history, {outcome},
           s.governed_rows AS governed{", coalesce(l.left_full, 0) AS left_full" if timeline else ""}
    FROM s {"LEFT JOIN l ON l.recipient = s.contact" if timeline else ""}
    ORDER BY rdomain, s.contact"""


def whatif_recipient_shares(recipients: str, timeline: bool, n_domains: int, named: str = WHATIF_NAMED) -> str:
    """From :func:`whatif_recipients`: per domain ``$w_dom0`` … (``n_domains`` of them: bound one by
    one, DuckDB skips the row groups of other domains), its recipients' figures with every governed
    row blocked (``full``) and with no list (``none``), over all of them (``part = 'domain'``) and
    over those in ``named`` (a SELECT of addresses, ``$w_named`` by default; ``part = 'named'``)."""
    left = ", left_timeline := coalesce(sum(left_full), 0)" if timeline else ""
    figures = (f"struct_pack(listed := {_contact_totals_struct('unlisted', 'after')}, "
               f"changes := map_entries(histogram({change_class('unlisted', 'after')})), "
               f"governed := coalesce(sum(governed), 0){left}) AS full, "
               f"{_contact_totals_struct('unlisted', 'unlisted')} AS none")
    doms = f"rdomain IN ({', '.join(f'$w_dom{i}' for i in range(n_domains))})"
    return f"""
    SELECT 'domain' AS part, rdomain, {figures} FROM {recipients} WHERE {doms} GROUP BY rdomain
    UNION ALL
    SELECT 'named' AS part, rdomain, {figures} FROM {recipients}
    WHERE {doms} AND contact IN {named} GROUP BY rdomain"""
