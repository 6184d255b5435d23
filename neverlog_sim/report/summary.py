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

from ..rules import CHANGE_CLASSES, FEED_NOTE, NO_CONTACTS_NOTE

__all__ = ["build_report", "redact_address", "entry_impact", "by_user", "by_channel", "weekly_timeline",
           "TOP_ENTRIES", "CHANGE_WORDS"]

TOP_ENTRIES = 10
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
    e = e.sort_values(["responsible_rows", "rows", "entry"], ascending=[False, False, True], kind="stable")
    cols = ["entry", "list", "owner", "kind", "rows", "messages", "recipients", "senders", "exclusive_rows",
            "exclusive_recipients", "responsible_rows", "dead"]
    return _records(e[cols])


def _row_groups(result, key: str) -> pd.DataFrame:
    r = result.recipients
    g = r.groupby(key, dropna=False, observed=True).agg(
        rows=("recipient", "size"), governed=("applies", "sum"),
        blocked_before=("blocked_before", "sum"), blocked_after=("blocked_after", "sum"),
        timeline_before=("on_timeline_before", "sum"), timeline_after=("on_timeline_after", "sum"))
    g["timeline_removed"] = g["timeline_before"] - g["timeline_after"]
    return g.reset_index().astype({c: "int64" for c in g.columns})


def by_user(result) -> list[dict]:
    """Per sender: recipient rows, rows blocked before/after, timeline entries before/after and removed."""
    g = _row_groups(result, "sender")
    g = g.sort_values(["timeline_removed", "blocked_after", "sender"], ascending=[False, False, True], kind="stable")
    return _records(g)


def by_channel(result) -> list[dict]:
    """Per channel: recipient rows, rows governed by the lists, blocked, timeline entries before/after."""
    g = _row_groups(result, "channel").sort_values("channel", kind="stable")
    return _records(g)


def weekly_timeline(result) -> list[dict]:
    """Emails logged on contact timelines per ISO week (Monday), before and after."""
    r = result.recipients
    r = r[r["sent_at"].notna()]
    if r.empty:
        return []
    week = r["sent_at"].dt.to_period("W-SUN").dt.start_time
    g = r.groupby(week).agg(before=("on_timeline_before", "sum"), after=("on_timeline_after", "sum"))
    g.index.name = "week"
    g = g.reset_index()
    g["week"] = g["week"].dt.strftime("%Y-%m-%d")
    return _records(g.astype({"before": "int64", "after": "int64"}))


def _lists(policy) -> list[dict]:
    out = []
    for lst in policy.lists:
        if lst.scope == "personal" or len(lst) or lst.problems:
            out.append({"list": lst.scope, "owner": lst.owner or "", "name": lst.name, "entries": len(lst),
                        "cap": lst.cap, "over_cap": lst.over_cap, "compliant": bool(lst.is_compliant),
                        "duplicates": len(lst.duplicates), "redundant": len(lst.redundant),
                        "invalid": len(lst.problems), "status": lst.cap_status()})
    return out


# --- the report dict ------------------------------------------------------------------------

def build_report(result, redact: bool = False, findings=None) -> dict:
    """Summarise a ``SimulationResult`` as a plain, JSON-ready dict: headline, assumptions, details.

    Parameters: ``result`` a SimulationResult; ``redact`` replace the local part of every address
    with a stable placeholder (domains kept) so the report can be shared; ``findings`` the list
    doctor's ``Findings`` (default: ``result.findings`` when attached) for a "List health" section.

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
        "contacts_created_before": m["contacts_created_before"],
        "contacts_created_after": m["contacts_created_after"],
        "blocked_rows_before": m["blocked_rows_before"],
        "blocked_rows_after": m["blocked_rows_after"],
        "recipient_rows": m["recipient_rows"],
        "top_entries": [e for e in impact if not e["dead"]][:TOP_ENTRIES],
        "dead_entries": [{"entry": e["entry"], "list": e["list"], "owner": e["owner"]} for e in impact if e["dead"]],
        "lists": _lists(result.candidate),
        "lists_compliant": m["lists_compliant"],
    }
    report = {
        "title": "What the candidate Never Log lists would change",
        "source": str(result.sent.source),
        "span": [None if first is None else str(first), None if last is None else str(last)],
        "rules": result.rules.name,
        "redacted": bool(redact),
        "headline": headline,
        "assumptions": result.assumptions,
        "notes": ([] if result.has_contacts else [NO_CONTACTS_NOTE]) + [FEED_NOTE],
        "details": {
            "summary": _records(result.summary()),
            "changes": [{"change": k, "label": CHANGE_WORDS[k], "contacts": m["changes"][k]} for k in CHANGE_CLASSES],
            "entries": impact,
            "by_user": by_user(result),
            "by_channel": by_channel(result),
            "weekly_timeline": weekly_timeline(result),
            "baseline_lists": _lists(result.baseline),
            "load_report": _records(result.sent.problems),
            "metrics": {k: v for k, v in m.items() if k != "changes"},
        },
    }
    findings = findings if findings is not None else getattr(result, "findings", None)
    if findings is not None:
        report["list_health"] = findings.to_dict()
    if redact:
        assumptions = report.pop("assumptions")
        notes = report.pop("notes")
        report = _redact(report)
        report["assumptions"], report["notes"] = assumptions, notes
        report = {k: report[k] for k in ("title", "source", "span", "rules", "redacted", "headline", "assumptions",
                                         "notes", "details", "list_health") if k in report}
    return report
