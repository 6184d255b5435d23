"""SQL of the backtest (docs/rules.md#backtest): match sends to logged emails, compare prediction and reality.

Only internal table names (chosen by the toolkit, never by a user) are formatted into the text;
user values — dates, the tolerance, channels, roles, entries — arrive as bound parameters or
registered tables. Named parameters:

    $since, $until   the period (``$until`` NULL: no end)      $tol   the send-time tolerance (an interval)
    $universe        channels whose sends are compared           $applies, $roles, $subdomains  one rule set
    $header_like     the pattern of a message id written like a Message-ID
"""

from __future__ import annotations

__all__ = ["bt_copy_logged_rows", "bt_messages", "bt_pairs", "bt_matched", "bt_compared", "bt_entry_flags",
           "bt_predicted", "bt_confusion", "bt_confusion_of", "bt_mismatches", "bt_matching_counts", "bt_matches", "bt_rows", "bt_ambiguous",
           "bt_unmatched_logged", "bt_extra_logged"]

# A Message-ID compared as HubSpot and mail clients write it: without the angle brackets, lower-cased.
_HEADER = "nullif(lower(trim(trim(CAST({c} AS VARCHAR)), '<> ')), '')"
# A subject compared with its spacing collapsed and lower-cased; an empty subject is no subject.
_SUBJECT = r"nullif(lower(trim(regexp_replace(CAST({c} AS VARCHAR), '\s+', ' ', 'g'))), '')"
_SINCE, _UNTIL, _TOL = "CAST($since AS TIMESTAMP)", "CAST($until AS TIMESTAMP)", "CAST($tol AS INTERVAL)"
# Time buckets as wide as the tolerance (at least a second): a pair within the tolerance is in the same
# or a neighbouring bucket, so the fallback join compares only sends close in time.
_BUCKET = "CAST(floor(epoch({c}) / greatest(epoch(CAST($tol AS INTERVAL)), 1)) AS BIGINT)"
_IN_PERIOD = f"(sent_at >= {_SINCE} AND ({_UNTIL} IS NULL OR sent_at < {_UNTIL}))"


def bt_copy_logged_rows(rows: str) -> str:
    """The logged emails' recipient rows, read out of their own engine to be registered beside the sends."""
    return f"""
    SELECT message_id, sent_at, sender, channel, role, recipient, direction FROM {rows}"""


def bt_messages(rows: str, extras: str, out: str, *, logged: bool) -> str:
    """One row per outbound message: when, who, its Message-ID and subject (normalised), and whether it
    falls in the period. The Message-ID is the one ``extras`` gives, else the message id itself when it
    is written like one ($header_like, e.g. ``<id@host>``). Logged emails are kept up to the tolerance outside the period, so that a send
    near an edge still finds the copy HubSpot logged a little later."""
    if logged:
        where = f"sent_at >= {_SINCE} - {_TOL} AND ({_UNTIL} IS NULL OR sent_at < {_UNTIL} + {_TOL})"
    else:
        where = _IN_PERIOD
    return f"""
    CREATE TABLE {out} AS
    WITH m AS (
        SELECT message_id, any_value(sent_at) AS sent_at, any_value(sender) AS sender,
               any_value(channel) AS channel, count(*) AS recipients,
               regexp_full_match(message_id, $header_like) AS header_like
        FROM {rows} WHERE direction = 'outbound' AND sent_at IS NOT NULL AND {where}
        GROUP BY message_id
    ), x AS (
        SELECT CAST(message_id AS VARCHAR) AS message_id, any_value({_HEADER.format(c='header_id')}) AS header_id,
               any_value({_SUBJECT.format(c='subject')}) AS subject
        FROM {extras} GROUP BY 1
    )
    SELECT m.* EXCLUDE (header_like),
           coalesce(x.header_id, CASE WHEN m.header_like THEN {_HEADER.format(c='m.message_id')} END) AS header_id,
           x.subject, {_IN_PERIOD.replace('sent_at', 'm.sent_at')} AS in_period
    FROM m LEFT JOIN x ON x.message_id = m.message_id"""


def bt_pairs(sent_rows: str, sent_msgs: str, logged_rows: str, logged_msgs: str, out: str) -> str:
    """Every candidate (send, logged email) pair: the same Message-ID where both have one; else the same
    sender, a shared recipient, the same subject (when both have one) and send times within $tol."""
    return f"""
    CREATE TABLE {out} AS
    WITH by_id AS (
        SELECT s.message_id AS sent_id, l.message_id AS logged_id, 'message_id' AS matched_by
        FROM {sent_msgs} s JOIN {logged_msgs} l ON l.header_id = s.header_id
    ), sr AS (
        SELECT r.message_id, r.recipient, s.sender, s.sent_at, s.subject, s.header_id, {_BUCKET.format(c='s.sent_at')} AS bucket
        FROM {sent_rows} r JOIN {sent_msgs} s ON s.message_id = r.message_id
        WHERE NOT EXISTS (SELECT 1 FROM by_id b WHERE b.sent_id = s.message_id)
    ), lr AS (
        -- each logged row in its time bucket and both neighbours: a send within the tolerance is in one of them
        SELECT r.message_id, r.recipient, l.sender, l.sent_at, l.subject, l.header_id, {_BUCKET.format(c='l.sent_at')} + d.step AS bucket
        FROM {logged_rows} r JOIN {logged_msgs} l ON l.message_id = r.message_id
        CROSS JOIN (VALUES (-1), (0), (1)) d(step)
        WHERE NOT EXISTS (SELECT 1 FROM by_id b WHERE b.logged_id = l.message_id)
    ), fallback AS (
        SELECT DISTINCT sr.message_id AS sent_id, lr.message_id AS logged_id, 'fallback' AS matched_by
        FROM sr JOIN lr ON lr.recipient = sr.recipient AND lr.sender = sr.sender AND lr.bucket = sr.bucket
        WHERE lr.sent_at BETWEEN sr.sent_at - {_TOL} AND sr.sent_at + {_TOL}
          AND (sr.subject IS NULL OR lr.subject IS NULL OR sr.subject = lr.subject)
          AND (sr.header_id IS NULL OR lr.header_id IS NULL)
    )
    SELECT * FROM by_id UNION ALL SELECT * FROM fallback"""


def bt_matched(pairs: str, out: str) -> str:
    """Each pair with whether it is the only candidate of both its send and its logged email (a match);
    any other pair is ambiguous, and neither side of it is matched (never guessed)."""
    return f"""
    CREATE TABLE {out} AS
    SELECT *, count(*) OVER (PARTITION BY sent_id) = 1 AND count(*) OVER (PARTITION BY logged_id) = 1 AS is_match
    FROM {pairs}"""


def bt_compared(sent_rows: str, sent_msgs: str, matched: str, logged_rows: str, out: str) -> str:
    """The compared rows: every outbound recipient row in the period, "Log in CRM" on, on a channel in
    $universe, whose send is not ambiguous; with its logged counterpart and whether it was logged."""
    return f"""
    CREATE TABLE {out} AS
    WITH s AS (
        SELECT s.message_id, m.logged_id, coalesce(m.matched_by, 'none') AS matched_by
        FROM {sent_msgs} s
        LEFT JOIN (SELECT sent_id, any_value(logged_id) AS logged_id, any_value(matched_by) AS matched_by,
                          bool_and(is_match) AS is_match FROM {matched} GROUP BY sent_id) m ON m.sent_id = s.message_id
        WHERE coalesce(m.is_match, true)  -- an ambiguous send is not compared
    )
    SELECT r.row_id, r.message_id, r.sent_at, r.sender, r.channel, r.role, r.recipient, r.rdomain,
           s.logged_id, s.matched_by, l.recipient IS NOT NULL AS actual_logged
    FROM {sent_rows} r
    JOIN s ON s.message_id = r.message_id
    LEFT JOIN {logged_rows} l ON l.message_id = s.logged_id AND l.recipient = r.recipient AND l.direction = 'outbound'
    WHERE r.direction = 'outbound' AND r.log_enabled AND list_contains($universe, r.channel)"""


def bt_entry_flags(compared: str, entries: str, out: str) -> str:
    """Per compared row, which entries match it whatever the channel and role: of the team list or the
    sender's personal list ("own") or of another user's personal list; exactly or on a parent domain."""
    return f"""
    CREATE TABLE {out} AS
    WITH d AS (SELECT DISTINCT rdomain, string_split(rdomain, '.') AS parts FROM {compared}),
    suf AS (
        SELECT rdomain, array_to_string(parts[i:], '.') AS suffix, i = 1 AS exact
        FROM (SELECT rdomain, parts, unnest(generate_series(1, greatest(len(parts) - 1, 1))) AS i FROM d)
    ), m AS (
        SELECT c.row_id, e.entry, e.list, e.owner, e.rank, true AS exact, (e.list = 'team' OR e.owner = c.sender) AS own
        FROM {compared} c JOIN {entries} e ON e.kind = 'address' AND e.key = c.recipient
        UNION ALL
        SELECT c.row_id, e.entry, e.list, e.owner, e.rank, s.exact, (e.list = 'team' OR e.owner = c.sender) AS own
        FROM {compared} c JOIN suf s ON s.rdomain = c.rdomain JOIN {entries} e ON e.kind = 'domain' AND e.key = s.suffix
    )
    SELECT row_id,
           bool_or(own AND exact) AS own_exact, bool_or(own AND NOT exact) AS own_sub,
           bool_or(NOT own AND exact) AS other_exact, bool_or(NOT own AND NOT exact) AS other_sub,
           arg_min(entry, rank) FILTER (WHERE own) AS own_entry, arg_min(list, rank) FILTER (WHERE own) AS own_list,
           arg_min(entry, rank) FILTER (WHERE NOT own) AS other_entry,
           arg_min(owner, rank) FILTER (WHERE NOT own) AS other_owner
    FROM m GROUP BY row_id"""


def bt_predicted(compared: str, flags: str, blocks: str, out: str) -> str:
    """The compared rows under one rule set: the simulator's prediction (its ``blocks`` table) beside reality."""
    return f"""
    CREATE TABLE {out} AS
    SELECT c.*, coalesce(b.blocked_after, false) AS predicted_blocked, b.blocked_by, b.blocked_by_list,
           coalesce(f.own_exact, false) AS own_exact, coalesce(f.own_sub, false) AS own_sub,
           coalesce(f.other_exact, false) AS other_exact, coalesce(f.other_sub, false) AS other_sub,
           f.own_entry, f.own_list, f.other_entry, f.other_owner,
           list_contains($applies, c.channel) AS channel_governed, list_contains($roles, c.role) AS role_governed
    FROM {compared} c LEFT JOIN {blocks} b ON b.row_id = c.row_id LEFT JOIN {flags} f ON f.row_id = c.row_id"""


def bt_confusion_of(compared: str, blocks: str) -> str:
    """The 2×2 counts of one rule set straight from the simulator's ``blocks`` (no table kept)."""
    predicted = (f"(SELECT c.actual_logged, coalesce(b.blocked_after, false) AS predicted_blocked FROM {compared} c "
                 f"LEFT JOIN {blocks} b ON b.row_id = c.row_id)")
    return bt_confusion(predicted)


def bt_confusion(predicted: str) -> str:
    return f"""
    SELECT count(*) FILTER (WHERE NOT predicted_blocked AND actual_logged) AS logged_logged,
           count(*) FILTER (WHERE NOT predicted_blocked AND NOT actual_logged) AS logged_not,
           count(*) FILTER (WHERE predicted_blocked AND actual_logged) AS blocked_logged,
           count(*) FILTER (WHERE predicted_blocked AND NOT actual_logged) AS blocked_not
    FROM {predicted}"""


def bt_mismatches(predicted: str) -> str:
    """Every compared row where prediction and reality disagree, with its likely cause
    (docs/rules.md#likely-causes), checked in a fixed order; the first that holds is named."""
    return f"""
    WITH ch AS (
        SELECT channel, count(*) FILTER (WHERE predicted_blocked AND NOT actual_logged AND matched_by <> 'none') AS confirmed
        FROM {predicted} GROUP BY channel
    ), ro AS (
        SELECT role, count(*) FILTER (WHERE predicted_blocked AND NOT actual_logged AND matched_by <> 'none') AS confirmed
        FROM {predicted} GROUP BY role
    )
    SELECT p.message_id, p.sent_at, p.sender, p.channel, p.role, p.recipient,
           CASE WHEN p.predicted_blocked THEN 'blocked' ELSE 'logged' END AS predicted,
           CASE WHEN p.actual_logged THEN 'logged' ELSE 'not logged' END AS actual,
           coalesce(CASE WHEN p.predicted_blocked THEN p.blocked_by ELSE coalesce(p.own_entry, p.other_entry) END, '')
               AS entry,
           coalesce(CASE WHEN p.predicted_blocked THEN p.blocked_by_list
                         WHEN p.own_entry IS NOT NULL THEN p.own_list
                         WHEN p.other_entry IS NOT NULL THEN 'personal of ' || p.other_owner END, '') AS list,
           CASE WHEN NOT p.predicted_blocked THEN CASE
                    WHEN NOT p.channel_governed AND (p.own_exact OR p.own_sub) THEN 'channel rule'
                    WHEN NOT p.role_governed AND (p.own_exact OR p.own_sub) THEN 'role'
                    WHEN NOT $subdomains AND p.own_sub THEN 'sub-domain'
                    WHEN p.other_exact OR ($subdomains AND p.other_sub) THEN 'sender alias'
                    WHEN p.matched_by = 'none' THEN 'log toggle'
                    ELSE 'unmatched' END
                ELSE CASE
                    WHEN $subdomains AND NOT p.own_exact THEN 'sub-domain'
                    WHEN ch.confirmed = 0 THEN 'channel rule'
                    WHEN ro.confirmed = 0 THEN 'role'
                    WHEN p.blocked_by_list = 'personal' THEN 'sender alias'
                    ELSE 'unmatched' END
           END AS likely_cause,
           p.matched_by, coalesce(p.logged_id, '') AS logged_id
    FROM {predicted} p JOIN ch ON ch.channel = p.channel JOIN ro ON ro.role = p.role
    WHERE p.predicted_blocked = p.actual_logged
    ORDER BY p.sent_at, p.message_id, p.recipient"""


def bt_matching_counts(sent_msgs: str, logged_msgs: str, matched: str, logged_rows: str) -> str:
    """How the sends of the period and the logged emails matched: counts for the report."""
    return f"""
    WITH ok AS (SELECT * FROM {matched} WHERE is_match), amb AS (SELECT * FROM {matched} WHERE NOT is_match)
    SELECT (SELECT count(*) FROM {sent_msgs}) AS sent_emails,
           (SELECT count(*) FROM {logged_msgs} WHERE in_period) AS logged_emails,
           (SELECT count(*) FROM ok WHERE matched_by = 'message_id') AS matched_by_message_id,
           (SELECT count(*) FROM ok WHERE matched_by = 'fallback') AS matched_by_fallback,
           (SELECT count(DISTINCT sent_id) FROM amb) AS ambiguous_sent_emails,
           (SELECT count(DISTINCT logged_id) FROM amb) AS ambiguous_logged_emails,
           (SELECT count(*) FROM {sent_msgs} WHERE message_id NOT IN (SELECT sent_id FROM {matched}))
               AS sent_emails_not_logged,
           (SELECT count(*) FROM {logged_msgs} WHERE in_period AND message_id NOT IN (SELECT logged_id FROM {matched})
              AND sender IN (SELECT sender FROM {sent_msgs})) AS unmatched_logged_emails,
           (SELECT count(*) FROM {logged_msgs} WHERE in_period AND sender NOT IN (SELECT sender FROM {sent_msgs}))
               AS logged_emails_of_other_senders,
           (SELECT count(DISTINCT message_id) FROM {logged_rows} WHERE direction = 'inbound' AND {_IN_PERIOD})
               AS inbound_logged_emails"""


def bt_rows(predicted: str) -> str:
    """Every compared row with the prediction and what HubSpot did."""
    return f"""
    SELECT message_id, sent_at, sender, channel, role, recipient,
           CASE WHEN predicted_blocked THEN 'blocked' ELSE 'logged' END AS predicted,
           CASE WHEN actual_logged THEN 'logged' ELSE 'not logged' END AS actual,
           predicted_blocked <> actual_logged AS agrees, coalesce(blocked_by, '') AS blocked_by, matched_by,
           coalesce(logged_id, '') AS logged_id
    FROM {predicted} ORDER BY sent_at, message_id, recipient"""


def bt_matches(matched: str) -> str:
    return f"SELECT sent_id AS message_id, logged_id, matched_by FROM {matched} WHERE is_match ORDER BY sent_id, logged_id"


def bt_ambiguous(matched: str, sent_msgs: str, logged_msgs: str) -> str:
    """Every candidate pair of an ambiguous match: listed, never resolved."""
    return f"""
    SELECT a.sent_id AS message_id, s.sent_at, s.sender, s.subject, a.logged_id, l.sent_at AS logged_at,
           a.matched_by
    FROM {matched} a JOIN {sent_msgs} s ON s.message_id = a.sent_id JOIN {logged_msgs} l ON l.message_id = a.logged_id
    WHERE NOT a.is_match
    ORDER BY s.sent_at, a.sent_id, l.sent_at, a.logged_id"""


def bt_unmatched_logged(logged_msgs: str, sent_msgs: str, matched: str, logged_rows: str) -> str:
    """Logged emails of the period that no send matches (nor ambiguously), of the senders the sends have:
    a logged email of a sender the mailbox does not hold is outside the backtest (counted apart)."""
    return f"""
    SELECT l.message_id AS logged_id, l.sent_at AS logged_at, l.sender, l.subject, l.channel,
           (SELECT string_agg(r.recipient, ', ' ORDER BY r.recipient) FROM {logged_rows} r
             WHERE r.message_id = l.message_id) AS recipients
    FROM {logged_msgs} l
    WHERE l.in_period AND l.message_id NOT IN (SELECT logged_id FROM {matched})
      AND l.sender IN (SELECT sender FROM {sent_msgs})
    ORDER BY l.sent_at, l.message_id"""


def bt_extra_logged(matched: str, sent_rows: str, logged_rows: str) -> str:
    """Recipients a matched logged email names that its send does not (a mailbox without Bcc, say)."""
    return f"""
    SELECT count(*) FROM {logged_rows} l JOIN {matched} m ON m.logged_id = l.message_id AND m.is_match
    WHERE NOT EXISTS (SELECT 1 FROM {sent_rows} r WHERE r.message_id = m.sent_id AND r.recipient = l.recipient)"""
