"""SQL of the list doctor and the list advisor: what entries match, what they miss, who the history's counterparts are.

Only internal table names (chosen by the toolkit, never by a user) are formatted into the text;
user values — entries, domains, own domains, patterns, thresholds — arrive as registered tables or
bound parameters. ``$roles``, ``$applies``, ``$known`` and ``$unknown`` are the rule profile's
(see ``simulation.APPLIES``): a row counts when the lists govern it.

Entry tables have the columns ``entry, kind, key, list, owner`` (``owner`` ``''`` for the team
list), plus ``base`` (an address entry's address without its ``+tag``) where named.
"""

from __future__ import annotations

from .simulation import APPLIES

# An address without its +tag: jo+news@acme.com -> jo@acme.com.
_BASE = "regexp_replace(split_part({x}, '@', 1), '\\+.*$', '') || '@' || split_part({x}, '@', 2)"
_SCOPE = "(e.owner = '' OR e.owner = r.sender)"


def advice_pairs(rows: str, out: str) -> str:
    """Governed rows counted per (sender, recipient): whether an entry matches a row depends on nothing else,
    so every question the doctor asks is answered on this (much smaller) table. Depends on the history and the
    rules only, not on the lists."""
    return f"""
    CREATE TEMP TABLE {out} AS
    SELECT sender, recipient, any_value(rdomain) AS rdomain, count(*) AS n
    FROM {rows} WHERE {APPLIES} GROUP BY sender, recipient"""


def advice_matches(pairs: str, entries: str, out: str) -> str:
    """Every (sender, recipient) pair an entry matches in its own scope (A2: exact domain), with its rows."""
    cols = "r.sender, r.recipient, r.rdomain, r.n, e.entry, e.list, e.owner"
    return f"""
    CREATE TEMP TABLE {out} AS
    SELECT {cols} FROM {pairs} r JOIN {entries} e ON e.kind = 'address' AND e.key = r.recipient WHERE {_SCOPE}
    UNION ALL
    SELECT {cols} FROM {pairs} r JOIN {entries} e ON e.kind = 'domain' AND e.key = r.rdomain WHERE {_SCOPE}"""


def entry_evidence(matches: str, entries: str) -> str:
    """Per entry: governed rows and recipients it matches, its senders, and its three most frequent recipients."""
    return f"""
    WITH per AS (SELECT entry, list, owner, recipient, sum(n) AS n FROM {matches} GROUP BY ALL),
    snd AS (SELECT entry, list, owner, count(DISTINCT sender) AS senders, min(sender) AS sender
            FROM {matches} GROUP BY ALL),
    agg AS (SELECT entry, list, owner, sum(n) AS rows, count(*) AS recipients,
                   list(recipient ORDER BY n DESC, recipient)[1:3] AS examples
            FROM per GROUP BY ALL)
    SELECT e.entry, e.kind, e.key, e.list, e.owner, coalesce(a.rows, 0) AS rows,
           coalesce(a.recipients, 0) AS recipients, coalesce(s.senders, 0) AS senders, s.sender,
           coalesce(a.examples, []) AS examples
    FROM {entries} e
    LEFT JOIN agg a ON a.entry = e.entry AND a.list = e.list AND a.owner = e.owner
    LEFT JOIN snd s ON s.entry = e.entry AND s.list = e.list AND s.owner = e.owner
    ORDER BY e.list DESC, e.owner, e.entry"""


def parent_domains(pairs: str, out: str) -> str:
    """Every recipient domain with itself and each parent domain of two labels or more."""
    return f"""
    CREATE TEMP TABLE {out} AS
    WITH d AS (SELECT DISTINCT rdomain, string_split(rdomain, '.') AS parts FROM {pairs} WHERE rdomain IS NOT NULL)
    SELECT rdomain, array_to_string(parts[i:], '.') AS suffix
    FROM (SELECT rdomain, parts, unnest(generate_series(1, greatest(len(parts) - 1, 1))) AS i FROM d)"""


def _missed(pairs: str, matches: str) -> str:
    """The (sender, recipient) pairs no entry in scope matches (the anti-join against ``matches``)."""
    return f"""(SELECT g.* FROM {pairs} g WHERE NOT EXISTS (
                 SELECT 1 FROM {matches} m WHERE m.sender = g.sender AND m.recipient = g.recipient))"""


def _grouped(missed_join: str) -> str:
    """Per entry: rows, recipients, three example recipients and three example domains of ``missed_join``."""
    return f"""
    per AS ({missed_join}),
    rec AS (SELECT entry, list, owner, recipient, any_value(rdomain) AS rdomain, sum(n) AS n FROM per GROUP BY ALL)
    SELECT entry, list, owner, sum(n) AS rows, count(*) AS recipients,
           list(recipient ORDER BY n DESC, recipient)[1:3] AS examples,
           list(DISTINCT rdomain ORDER BY rdomain)[1:3] AS domains
    FROM rec GROUP BY ALL ORDER BY list DESC, owner, entry"""


def subdomain_misses(pairs: str, matches: str, parents: str, entries: str) -> str:
    """Per domain entry: governed rows of recipients on its sub-domains that nothing in scope blocks (A2)."""
    return f"""
    WITH r AS NOT MATERIALIZED {_missed(pairs, matches)},
    {_grouped(f'''SELECT e.entry, e.list, e.owner, r.recipient, r.rdomain, r.n
        FROM r JOIN {parents} s ON s.rdomain = r.rdomain AND s.suffix <> r.rdomain
        JOIN {entries} e ON e.kind = 'domain' AND e.key = s.suffix WHERE {_SCOPE}''')}"""


def registrable_misses(pairs: str, matches: str, parents: str, groups: str) -> str:
    """Per sub-domain entry (``groups``: ``entry, list, owner, key, reg``): governed rows nothing in scope blocks
    of recipients on the same registrable domain, neither on the entry's domain nor below it."""
    return f"""
    WITH r AS NOT MATERIALIZED {_missed(pairs, matches)},
    {_grouped(f'''SELECT e.entry, e.list, e.owner, r.recipient, r.rdomain, r.n
        FROM r JOIN {parents} s ON s.rdomain = r.rdomain JOIN {groups} e ON e.reg = s.suffix
        WHERE {_SCOPE} AND r.rdomain <> e.key AND NOT ends_with(r.rdomain, '.' || e.key)''')}"""


def plus_variants(pairs: str, matches: str, entries: str) -> str:
    """Per address entry: governed rows nothing in scope blocks of the same address with another ``+tag``."""
    base = _BASE.format(x="recipient")
    return f"""
    WITH r AS NOT MATERIALIZED (SELECT *, CASE WHEN contains(split_part(recipient, '@', 1), '+') THEN {base}
                                          ELSE recipient END AS base FROM {_missed(pairs, matches)}),
    {_grouped(f'''SELECT e.entry, e.list, e.owner, r.recipient, r.rdomain, r.n
        FROM r JOIN {entries} e ON e.kind = 'address' AND e.base = r.base AND r.recipient <> e.key
        WHERE {_SCOPE}''')}"""


def typo_neighbours(pairs: str, entries: str) -> str:
    """Domain entries one edit (insert, delete, substitute, swap) from a frequent governed recipient domain.

    ``entries`` holds ``entry, list, owner, key, rows`` (the entry's own governed rows); a neighbour
    counts when it has at least ``$min_rows`` rows, ten times the entry's, and is not itself on the list.
    """
    return f"""
    WITH d AS (SELECT rdomain, sum(n) AS rows, count(DISTINCT recipient) AS recipients
               FROM {pairs} GROUP BY rdomain HAVING sum(n) >= $min_rows),
    hit AS (SELECT e.entry, e.list, e.owner, d.rdomain, d.rows, d.recipients
            FROM {entries} e JOIN d ON abs(length(d.rdomain) - length(e.key)) <= 1
             AND damerau_levenshtein(e.key, d.rdomain) = 1 AND d.rows >= 10 * e.rows
            WHERE NOT EXISTS (SELECT 1 FROM {entries} x WHERE x.list = e.list AND x.owner = e.owner
                                                          AND x.key = d.rdomain))
    SELECT * FROM hit ORDER BY list DESC, owner, entry, rows DESC, rdomain"""


def sender_domains(rows: str) -> str:
    """The domains users send from: outbound senders' domains, with senders and rows."""
    return f"""
    SELECT split_part(sender, '@', 2) AS domain, count(DISTINCT sender) AS senders, count(*) AS rows
    FROM {rows} WHERE direction = 'outbound' AND sender IS NOT NULL GROUP BY 1 ORDER BY senders DESC, domain"""


def counterparts(rows: str, free_mail: str) -> str:
    """Per counterpart address of the history (outbound recipients, inbound senders): governed rows, its users,
    whether a CRM send ever went to it, whether it is on free mail, whether its local part is automated
    (``$automated``), and how many of its domain's counterparts are automated."""
    return f"""
    WITH o AS (SELECT recipient AS address, rdomain AS domain, sender AS user_address, channel,
                      {APPLIES} AS governed, direction FROM {rows} WHERE direction = 'outbound'
               UNION ALL
               SELECT sender, split_part(sender, '@', 2), recipient, channel, {APPLIES}, direction
               FROM {rows} WHERE direction = 'inbound' AND sender IS NOT NULL),
    a AS (SELECT address, any_value(domain) AS domain,
                 count(*) FILTER (WHERE governed) AS rows,
                 count(DISTINCT user_address) AS users, min(user_address) AS user_address,
                 bool_or(channel = 'crm') AS crm, bool_or(direction = 'outbound') AS written_to,
                 regexp_matches(split_part(address, '@', 1), $automated) AS automated
          FROM o GROUP BY address)
    SELECT a.*, f.domain IS NOT NULL AS free_mail,
           count(*) OVER (PARTITION BY a.domain) AS domain_addresses,
           count(*) FILTER (WHERE a.automated) OVER (PARTITION BY a.domain) AS domain_automated
    FROM a LEFT JOIN {free_mail} f ON f.domain = a.domain
    ORDER BY a.address"""
