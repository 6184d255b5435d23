"""SQL of export compaction (docs/rules.md#compaction): what wanted entries match, their impact, collateral.

Only internal table names (chosen by the toolkit, never by a user) are formatted into the text;
user values — entries, addresses, paths, flags — arrive as registered tables or bound parameters.
"""

from __future__ import annotations

from .simulation import APPLIES


def _rows(rows: str) -> str:
    return f"(SELECT row_id, sender, recipient, rdomain, direction, {APPLIES} AS governed FROM {rows})"


def matches_sql(rows: str, entries: str, out: str) -> str:
    """Every (row, entry) where the entry matches the row's recipient in its own scope (A2: exact domain).

    Channel rules do not filter here (``governed`` says whether the list applies to the row), so
    "seen in the history" counts every row, which can only over-count collateral.
    """
    cols = "r.row_id, r.sender, r.recipient, r.rdomain, r.direction, r.governed, e.entry, e.list, e.owner"
    scope = "(e.owner = '' OR e.owner = r.sender)"
    return f"""
    CREATE TEMP TABLE {out} AS
    WITH r AS NOT MATERIALIZED {_rows(rows)}
    SELECT {cols} FROM r JOIN {entries} e ON e.kind = 'address' AND e.key = r.recipient WHERE {scope}
    UNION ALL
    SELECT {cols} FROM r JOIN {entries} e ON e.kind = 'domain' AND e.key = r.rdomain WHERE {scope}"""


def impact_sql(matches: str, entries: str) -> str:
    """Per entry: governed rows and recipients it blocks; the senders whose sends it ever matched."""
    return f"""
    SELECT e.entry, e.list, e.owner,
           count(m.row_id) FILTER (WHERE m.governed) AS rows,
           count(DISTINCT m.recipient) FILTER (WHERE m.governed) AS recipients,
           count(DISTINCT m.sender) FILTER (WHERE m.direction = 'outbound') AS senders,
           min(m.sender) FILTER (WHERE m.direction = 'outbound') AS sender
    FROM {entries} e LEFT JOIN {matches} m ON m.entry = e.entry AND m.list = e.list AND m.owner = e.owner
    GROUP BY ALL ORDER BY e.owner, e.entry"""


def collateral_sql(rows: str, wanted_matches: str, candidates: str) -> str:
    """Per candidate (owner, domain): the recipients of that domain, in the list's scope, on rows the wanted
    lists do not match — whom ``*@domain`` would block besides the wanted — with their governed rows."""
    return f"""
    WITH r AS NOT MATERIALIZED {_rows(rows)},
    w AS (SELECT DISTINCT row_id FROM {wanted_matches})
    SELECT c.owner, c.domain, r.recipient, count(*) FILTER (WHERE r.governed) AS rows
    FROM {candidates} c
    JOIN r ON r.rdomain = c.domain AND (c.owner = '' OR c.owner = r.sender)
    LEFT JOIN w ON w.row_id = r.row_id
    WHERE w.row_id IS NULL
    GROUP BY ALL ORDER BY c.owner, c.domain, r.recipient"""


def newly_blocked_sql(final_matches: str, wanted_matches: str) -> str:
    """Recipients the final lists match on rows the wanted lists do not (collateral), with governed rows."""
    return f"""
    WITH w AS (SELECT DISTINCT row_id FROM {wanted_matches}),
    f AS (SELECT row_id, any_value(recipient) AS recipient, bool_or(governed) AS governed,
                 min(entry) AS entry FROM {final_matches} GROUP BY row_id)
    SELECT f.recipient, count(*) FILTER (WHERE f.governed) AS rows, min(f.entry) AS entry
    FROM f LEFT JOIN w ON w.row_id = f.row_id WHERE w.row_id IS NULL
    GROUP BY ALL ORDER BY f.recipient"""


def totals_sql(final_matches: str, wanted_matches: str) -> str:
    """Governed rows and recipients the final lists block, and those the wanted lists block but the final do not."""
    return f"""
    WITH f AS (SELECT DISTINCT row_id, recipient FROM {final_matches} WHERE governed),
    w AS (SELECT DISTINCT row_id, recipient FROM {wanted_matches} WHERE governed),
    lost AS (SELECT * FROM w WHERE row_id NOT IN (SELECT row_id FROM f))
    SELECT (SELECT count(*) FROM f), (SELECT count(DISTINCT recipient) FROM f),
           (SELECT count(*) FROM lost), (SELECT count(DISTINCT recipient) FROM lost)"""
