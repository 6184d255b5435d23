"""The simulation report: first a plain JSON-ready dict, then rendered to HTML and Markdown.

The dict leads with the answer (docs/rules.md#scenarios-and-change): contacts not created, timeline entries and
tracking events that leave contact timelines, feed events that stay visible, the top entries,
dead entries and the cap status of each list; then the assumptions in force; then details.

>>> rep = build_report(result)                     # doctest: +SKIP
>>> write_text_atomic("report.html", render_html(rep))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from ..errors import set_aside_line
from ..lists import TEAM_OWNER
from ..rules import CHANGE_CLASSES, FEED_NOTE, NO_CONTACTS_NOTE, profile_note

__all__ = ["build_report", "redact_address", "entry_impact", "by_user", "by_channel", "weekly_timeline",
           "entry_details", "TOP_ENTRIES", "DRILLDOWN_ENTRIES", "CHANGE_WORDS"]

TOP_ENTRIES = 10
# Top entries the HTML report opens up (collapsible): recipients and senders each one alone changes.
DRILLDOWN_ENTRIES = 5
DRILLDOWN_ROWS = 10
CHANGE_WORDS = {
    "not_created": "never created", "created_later": "created later", "timeline_emptied": "timeline emptied",
    "timeline_reduced": "timeline reduced", "newly_created": "newly created", "created_earlier": "created earlier",
    "timeline_added": "timeline added", "unchanged": "unchanged",
}
# An address anywhere in a string: local part (no '*', which marks a domain entry) @ domain.
_ADDRESS = re.compile(r"(?<![\w.!#$%&'+/=?^`{|}~-])([\w.!#$%&'+/=?^`{|}~-]+)@([A-Za-z0-9.-]+\.[A-Za-z0-9-]+)")


# --- redaction ------------------------------------------------------------------------------

def redact_address(text: str) -> str:
    """Replace the local part of every address in ``text`` by a stable placeholder, keeping the domain.

    >>> redact_address("jo@acme.com, *@rival.com")
    'user-4ca15528@acme.com, *@rival.com'
    """
    def sub(m: re.Match) -> str:
        # Hash the whole address: jo@a.com and jo@b.com are different people and stay distinct.
        digest = hashlib.sha256(f"{m.group(1)}@{m.group(2)}".lower().encode("utf-8")).hexdigest()[:8]
        return f"user-{digest}@{m.group(2)}"
    return _ADDRESS.sub(sub, text)


def _redact(value):
    if isinstance(value, str):
        return redact_address(value)
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    return value


# --- aggregates on the result's tables (pandas; the engine's SQL stays in neverlog_sim.sql) -------------

def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for row in df.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if hasattr(v, "item"):  # numpy scalars → Python
                v = v.item()
            if isinstance(v, pd.Timestamp):
                v = v.isoformat()
            elif v is pd.NaT or (isinstance(v, float) and v != v):
                v = None
            clean[k] = v
        out.append(clean)
    return out


def entry_impact(result) -> list[dict]:
    """Candidate entries ranked by the recipient rows they are responsible for (the Pareto order)."""
    e = result.entries
    e = e[e["policy"] == "candidate"].copy()
    # Entry text alone ties when one entry is on several lists: list and owner make the order total, so
    # identical inputs give byte-identical reports.
    e = e.sort_values(["responsible_rows", "rows", "entry", "list", "owner"], ascending=[False, False, True, True, True],
                      kind="stable", na_position="first")
    cols = ["entry", "list", "owner", "kind", "rows", "messages", "recipients", "senders", "exclusive_rows",
            "exclusive_recipients", "responsible_rows", "dead"]
    if "incoming_rows" in e.columns:  # profile 2026: the incoming mail among the rows it matches
        cols.insert(cols.index("rows") + 1, "incoming_rows")
    return _records(e[cols])


def _row_groups(result, key: str, outbound: bool = False) -> pd.DataFrame:
    r = result.recipients
    if key == "sender" and "contact" in r.columns:
        # Profile 2026: an incoming email belongs to the user who received it (the row's recipient).
        r = r.assign(sender=r["sender"].where(r["direction"] != "inbound", r["recipient"]))
    elif outbound:
        r = r[r["direction"] == "outbound"]
    g = r.groupby(key, dropna=False, observed=True).agg(
        rows=("recipient", "size"), governed=("applies", "sum"),
        blocked_before=("blocked_before", "sum"), blocked_after=("blocked_after", "sum"),
        timeline_before=("on_timeline_before", "sum"), timeline_after=("on_timeline_after", "sum"))
    g["timeline_removed"] = g["timeline_before"] - g["timeline_after"]
    return g.reset_index().astype({c: "int64" for c in g.columns})


def by_user(result) -> list[dict]:
    """Per user (sender of outbound mail): recipient rows, rows blocked before/after, timeline entries before/after.

    Replies received (``direction == "inbound"``) are not the company's users' sends and are left out
    (docs/rules.md#incoming-mail); in profile 2026 they count for the user whose inbox received them
    (docs/rules.md#incoming-email-in-2026).
    """
    g = _row_groups(result, "sender", outbound=True)
    g = g.sort_values(["timeline_removed", "blocked_after", "sender"], ascending=[False, False, True], kind="stable")
    return _records(g)


def by_channel(result) -> list[dict]:
    """Per channel: recipient rows, rows governed by the lists, blocked, timeline entries before/after."""
    g = _row_groups(result, "channel").sort_values("channel", kind="stable")
    return _records(g)


def weekly_timeline(result) -> list[dict]:
    """Emails logged on contact timelines per ISO week (Monday), before and after.

    ``complete`` is False for a first or last week the history covers only in part (it starts after
    that Monday or ends before that Sunday): its low count is the history's edge, not a collapse.
    """
    r = result.recipients
    r = r[r["sent_at"].notna()]
    if r.empty:
        return []
    week = r["sent_at"].dt.to_period("W-SUN").dt.start_time
    g = r.groupby(week).agg(before=("on_timeline_before", "sum"), after=("on_timeline_after", "sum"))
    g.index.name = "week"
    g = g.reset_index()
    first, last = r["sent_at"].min(), r["sent_at"].max()
    first_day = first.tz_localize(None) if getattr(first, "tzinfo", None) else first
    last_day = last.tz_localize(None) if getattr(last, "tzinfo", None) else last
    weeks = g["week"].dt.tz_localize(None) if getattr(g["week"].dt, "tz", None) else g["week"]
    # A week is complete when the history covers it from Monday 00:00 to Sunday (its last day).
    g["complete"] = (weeks >= first_day.normalize()) & (weeks + pd.Timedelta(days=6) <= last_day.normalize())
    g["week"] = g["week"].dt.strftime("%Y-%m-%d")
    return _records(g.astype({"before": "int64", "after": "int64", "complete": "bool"}))


def entry_details(result, entries: list[dict]) -> list[dict]:
    """For each of ``entries`` (rows of ``entry_impact``), what it alone changes: top recipients and senders.

    Read from ``result.entry(...)`` (docs/rules.md#exclusive-impact); ``recipients``/``senders`` hold the
    first ``DRILLDOWN_ROWS`` rows, ``recipient_count``/``sender_count`` how many there are.
    """
    out = []
    for e in entries:  # the few top entries the report opens up, one drill-down query each
        d = result.entry(e["entry"], list=e["list"], owner=e["owner"])
        recipients = d.recipients.head(DRILLDOWN_ROWS).copy()
        recipients["change"] = recipients["change"].astype("object").map(CHANGE_WORDS)
        out.append({"entry": e["entry"], "list": e["list"], "owner": e["owner"], "exclusive_rows": len(d.rows),
                    "recipient_count": len(d.recipients), "sender_count": len(d.senders),
                    "timeline_removed": len(d.timeline),
                    "recipients": _records(recipients[["recipient", "rows", "change"]]),
                    "senders": _records(d.senders.head(DRILLDOWN_ROWS))})
    return out


def _lists(policy) -> list[dict]:
    out = []
    for lst in policy.lists:
        if lst.scope == "personal" or len(lst) or lst.problems:
            out.append({"list": lst.scope, "owner": lst.owner or TEAM_OWNER, "name": lst.name, "entries": len(lst),
                        "cap": lst.cap, "over_cap": lst.over_cap, "within_cap": bool(lst.within_cap),
                        "valid": bool(lst.is_valid), "compliant": bool(lst.is_compliant),
                        "duplicates": len(lst.duplicates), "redundant": len(lst.redundant),
                        "invalid": len(lst.problems), "status": lst.cap_status()})
    return out


# --- the report dict ------------------------------------------------------------------------

def build_report(result, redact: bool = False, findings=None, suggestions=None) -> dict:
    """Summarise a ``SimulationResult`` as a plain, JSON-ready dict: headline, assumptions, details.

    Parameters: ``result`` a SimulationResult; ``redact`` replace the local part of every address
    with a stable placeholder (domains kept) so the report can be shared; ``findings`` the list
    doctor's ``Findings`` (default: ``result.findings`` when attached) for a "List health" section;
    ``suggestions`` the advisor's ``Suggestions`` (default: ``result.suggestions`` when attached) beside it.

    >>> rep = build_report(result)            # doctest: +SKIP
    >>> rep["headline"]["contacts_not_created"]  # doctest: +SKIP
    """
    m = result.metrics()
    impact = entry_impact(result)
    first, last = result.sent.span
    headline = {
        "contacts_not_created": m["contacts_not_created"],
        "timeline_entries_removed": m["timeline_entries_removed"],
        "tracking_events_leaving_timelines": m["tracking_events_leaving_timelines"],
        "feed_events_before": m["feed_events_before"],
        "feed_events_after": m["feed_events_after"],
        "feed_events_of_blocked_recipients": m["feed_events_of_blocked_recipients"],
        "feed_note": FEED_NOTE,
        "timeline_entries_before": m["timeline_entries_before"],
        "timeline_entries_after": m["timeline_entries_after"],
        "timeline_entries_outgoing_before": m["timeline_entries_outgoing_before"],
        "timeline_entries_outgoing_after": m["timeline_entries_outgoing_after"],
        "timeline_entries_incoming_before": m["timeline_entries_incoming_before"],
        "timeline_entries_incoming_after": m["timeline_entries_incoming_after"],
        "contacts_created_before": m["contacts_created_before"],
        "contacts_created_after": m["contacts_created_after"],
        "blocked_rows_before": m["blocked_rows_before"],
        "blocked_rows_after": m["blocked_rows_after"],
        "recipient_rows": m["recipient_rows"],
        "top_entries": [e for e in impact if not e["dead"]][:TOP_ENTRIES],
        "live_entries": sum(not e["dead"] for e in impact),
        "dead_entries": [{"entry": e["entry"], "list": e["list"], "owner": e["owner"]} for e in impact if e["dead"]],
        "lists": _lists(result.candidate),
        "lists_compliant": m["lists_compliant"],
        "lists_within_cap": m["lists_within_cap"],
        "invalid_entries": m["invalid_entries"],
    }
    report = {
        "title": "What the candidate Never Log lists would change",
        "source": getattr(result, "source_label", None) or str(result.sent.source),
        "scenario": None if getattr(result, "scenario", None) is None else result.scenario.summary(),
        "span": [None if first is None else str(first), None if last is None else str(last)],
        "set_aside": set_aside_line(result.sent.set_aside),
        "rules": result.rules.name,
        "logging_rule": result.rules.logging_rule,
        "profile_note": profile_note(result.rules),
        "redacted": bool(redact),
        "headline": headline,
        "assumptions": result.assumptions,
        "notes": ([] if result.has_contacts else [NO_CONTACTS_NOTE]) + [FEED_NOTE],
        "details": {
            "summary": _records(result.summary()),
            "changes": [{"change": k, "label": CHANGE_WORDS[k], "contacts": m["changes"][k]} for k in CHANGE_CLASSES],
            "entries": impact,
            "by_user": by_user(result),
            "entry_details": entry_details(result, headline["top_entries"][:DRILLDOWN_ENTRIES]),
            "by_channel": by_channel(result),
            "weekly_timeline": weekly_timeline(result),
            "baseline_lists": _lists(result.baseline),
            "load_report": _records(result.sent.problems) + [
                {k: p[k] for k in ("problem", "count", "examples")} for p in getattr(result, "input_problems", [])],
            "metrics": {k: v for k, v in m.items() if k != "changes"},
        },
    }
    findings = findings if findings is not None else getattr(result, "findings", None)
    if findings is not None:
        report["list_health"] = findings.to_dict()
    suggestions = suggestions if suggestions is not None else getattr(result, "suggestions", None)
    if suggestions is not None:
        report["suggestions"] = suggestions.to_dict()
    if redact:
        assumptions = report.pop("assumptions")
        notes = report.pop("notes")
        report = _redact(report)
        report["assumptions"], report["notes"] = assumptions, notes
        report = {k: report[k] for k in ("title", "source", "scenario", "span", "set_aside", "rules", "logging_rule",
                                         "profile_note", "redacted", "headline", "assumptions", "notes", "details",
                                         "list_health", "suggestions") if k in report}
    return report
