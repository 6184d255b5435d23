"""The simulation report: first a plain JSON-ready dict, then rendered to HTML and Markdown.

The dict leads with the answer (SEMANTICS §3–§4): contacts not created, timeline entries and
tracking events that leave contact timelines, feed events that stay visible, the top entries,
dead entries and the cap status of each list; then the assumptions in force; then details.

>>> rep = build_report(result)                     # doctest: +SKIP
>>> write_text_atomic("report.html", render_html(rep))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from .results import CHANGE_CLASSES, FEED_NOTE, NO_CONTACTS_NOTE

__all__ = ["build_report", "render_html", "render_markdown", "write_text_atomic", "redact_address",
           "entry_impact", "by_user", "by_channel", "weekly_timeline", "TOP_ENTRIES"]

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

def build_report(result, redact: bool = False) -> dict:
    """Summarise a ``SimulationResult`` as a plain, JSON-ready dict: headline, assumptions, details.

    Parameters: ``result`` a SimulationResult; ``redact`` replace the local part of every address
    with a stable placeholder (domains kept) so the report can be shared.

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
    if redact:
        assumptions = report.pop("assumptions")
        notes = report.pop("notes")
        report = _redact(report)
        report["assumptions"], report["notes"] = assumptions, notes
        report = {k: report[k] for k in ("title", "source", "span", "rules", "redacted", "headline", "assumptions",
                                         "notes", "details")}
    return report


# --- rendering --------------------------------------------------------------------------------

def _n(v) -> str:
    if isinstance(v, list):
        return html.escape(", ".join(str(x) for x in v))
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else html.escape(str(v))


def _table(rows: list[dict], cols: list[tuple[str, str]], limit: int | None = None) -> str:
    if not rows:
        return "<p class='nls-muted'>none</p>"
    shown = rows if limit is None else rows[:limit]
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in cols)
    body = "".join(
        "<tr>" + "".join(f"<td class='{'num' if isinstance(r.get(k), int) and not isinstance(r.get(k), bool) else ''}'>"
                         f"{_n(r.get(k, ''))}</td>" for k, _ in cols) + "</tr>" for r in shown)
    more = (f"<p class='nls-muted'>… and {len(rows) - len(shown):,} more</p>" if len(rows) > len(shown) else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


_CSS = """
.nls-report{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.4;max-width:1100px}
.nls-report h1{font-size:1.5em;margin:.2em 0}.nls-report h2{font-size:1.2em;margin:1.2em 0 .4em;
 border-bottom:1px solid #8884}.nls-report h3{font-size:1.05em;margin:1em 0 .3em}
.nls-report .nls-cards{display:flex;flex-wrap:wrap;gap:12px}
.nls-report .nls-card{border:1px solid #8886;border-radius:6px;padding:8px 12px;min-width:180px;flex:1}
.nls-report .nls-big{font-size:1.8em;font-weight:600}.nls-report .nls-muted{color:#888}
.nls-report table{border-collapse:collapse;margin:.3em 0}.nls-report th,.nls-report td{border-bottom:1px solid #8884;
 padding:2px 8px;text-align:left}.nls-report td.num{text-align:right;font-variant-numeric:tabular-nums}
.nls-report .ok{color:#2e9e4f}.nls-report .bad{color:#d9534f}.nls-report .nls-note{border-left:3px solid #e3a008;
 padding:4px 10px;margin:.6em 0}.nls-report .nls-charts svg{max-width:100%;height:auto}
"""
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>:root{{color-scheme:light dark}}body{{margin:24px;background:Canvas;color:CanvasText}}{css}</style>
</head><body>{body}</body></html>
"""


def _charts_svg(report: dict) -> list[str]:
    from . import charts
    out = []
    for fn in (charts.pareto_chart, charts.change_classes_chart, charts.weekly_timeline_chart,
               charts.by_user_chart, charts.by_channel_chart):
        fig = fn(report)
        out.append(charts.to_svg(fig))
    return out


def render_html(report: dict, fragment: bool = False, charts: bool = True) -> str:
    """Render a report dict as self-contained static HTML (inline SVG charts, no scripts, no network).

    Parameters: ``fragment=True`` returns a ``<div>`` for ``_repr_html_``; ``charts=False`` leaves the charts out.
    """
    h = report["headline"]
    span = " to ".join(s for s in report["span"] if s) or "no dates"
    cards = [
        ("contacts would not be created", h["contacts_not_created"],
         f"created by the history: {h['contacts_created_before']:,} now, {h['contacts_created_after']:,} after"),
        ("timeline entries leave contact timelines", h["timeline_entries_removed"],
         f"emails logged on timelines: {h['timeline_entries_before']:,} now, {h['timeline_entries_after']:,} after"),
        ("tracking events leave contact timelines", h["tracking_events_leaving_timelines"],
         "opens and clicks no longer shown on a contact's timeline"),
        ("feed events stay visible", h["feed_events_after"],
         f"of them {h['feed_events_of_blocked_recipients']:,} belong to blocked recipients"),
    ]
    parts = [f"<h1>{html.escape(report['title'])}</h1>",
             f"<p class='nls-muted'>Source: {html.escape(report['source'])} · {html.escape(span)} · rules "
             f"<b>{html.escape(report['rules'])}</b> · {h['recipient_rows']:,} recipient rows"
             f"{' · addresses redacted' if report.get('redacted') else ''}</p>",
             "<div class='nls-cards'>" + "".join(
                 f"<div class='nls-card'><div class='nls-big'>{v:,}</div><div>{html.escape(label)}</div>"
                 f"<div class='nls-muted'>{html.escape(sub)}</div></div>" for label, v, sub in cards) + "</div>",
             f"<p class='nls-note'>{html.escape(h['feed_note'])}.</p>"]
    lists_ok = "<span class='ok'>every list fits the cap</span>" if h["lists_compliant"] else \
        "<span class='bad'>not every list is compliant</span>"
    parts += ["<h2>Top entries by impact</h2>",
              _table(h["top_entries"], [("entry", "entry"), ("list", "list"), ("owner", "owner"),
                                        ("responsible_rows", "recipient rows blocked"),
                                        ("exclusive_rows", "only this entry blocks"), ("recipients", "recipients"),
                                        ("messages", "emails"), ("senders", "senders")]),
              f"<h2>Dead entries ({len(h['dead_entries']):,})</h2>",
              "<p class='nls-muted'>Entries that match nothing in the history: they spend cap and change nothing.</p>",
              _table(h["dead_entries"], [("entry", "entry"), ("list", "list"), ("owner", "owner")], limit=50),
              f"<h2>Cap status</h2><p>{lists_ok}</p>",
              _table(h["lists"], [("name", "list"), ("entries", "entries"), ("cap", "cap"), ("over_cap", "over the cap"),
                                  ("duplicates", "duplicates"), ("redundant", "redundant"), ("invalid", "invalid"),
                                  ("status", "status")]),
              "<h2>Assumptions in force</h2>",
              _table(report["assumptions"], [("name", "assumption"), ("value", "value"), ("default", "default"),
                                             ("note", "what it means")])]
    parts += [f"<p class='nls-note'>{html.escape(n)}.</p>" for n in report["notes"] if n != h["feed_note"]]
    d = report["details"]
    parts.append("<h2>Details</h2>")
    if charts:
        parts.append("<div class='nls-charts'>" + "".join(f"<figure>{svg}</figure>" for svg in _charts_svg(report))
                     + "</div>")
    parts += ["<h3>Baseline and candidate</h3>",
              _table(d["summary"], [("metric", "metric"), ("baseline", "now (baseline)"), ("candidate", "candidate"),
                                    ("change", "change")]),
              "<h3>Contacts by change</h3>", _table(d["changes"], [("label", "change"), ("contacts", "contacts")]),
              "<h3>By sender</h3>",
              _table(d["by_user"], [("sender", "sender"), ("rows", "recipient rows"), ("blocked_after", "blocked"),
                                    ("timeline_before", "timeline entries now"),
                                    ("timeline_after", "after"), ("timeline_removed", "removed")], limit=25),
              "<h3>By channel</h3>",
              _table(d["by_channel"], [("channel", "channel"), ("rows", "recipient rows"),
                                       ("governed", "governed by the lists"), ("blocked_after", "blocked"),
                                       ("timeline_before", "timeline entries now"), ("timeline_after", "after")]),
              "<h3>Load report</h3>",
              _table(d["load_report"], [("problem", "problem"), ("count", "count"), ("examples", "examples")])]
    body = "<div class='nls-report'>" + "".join(parts) + "</div>"
    if fragment:
        return f"<style>{_CSS}</style>{body}"
    return _PAGE.format(title=html.escape(report["title"]), css=_CSS, body=body)


def _md_table(rows: list[dict], cols: list[tuple[str, str]], limit: int | None = None) -> str:
    if not rows:
        return "_none_\n"
    shown = rows if limit is None else rows[:limit]
    def cell(v):
        text = f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v if v is not None else "")
        return text.replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(label for _, label in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(k, "")) for k, _ in cols) + " |" for r in shown]
    if len(rows) > len(shown):
        lines.append(f"\n… and {len(rows) - len(shown):,} more")
    return "\n".join(lines) + "\n"


def render_markdown(report: dict) -> str:
    """Render a report dict as Markdown: the same sections as the HTML, without charts."""
    h = report["headline"]
    span = " to ".join(s for s in report["span"] if s) or "no dates"
    out = [f"# {report['title']}\n",
           f"Source: {report['source']} · {span} · rules **{report['rules']}** · {h['recipient_rows']:,} recipient rows"
           + (" · addresses redacted" if report.get("redacted") else "") + "\n",
           f"- **{h['contacts_not_created']:,}** contacts would not be created",
           f"- **{h['timeline_entries_removed']:,}** timeline entries leave contact timelines "
           f"({h['timeline_entries_before']:,} → {h['timeline_entries_after']:,})",
           f"- **{h['tracking_events_leaving_timelines']:,}** tracking events leave contact timelines",
           f"- **{h['feed_events_after']:,}** feed events stay visible, "
           f"{h['feed_events_of_blocked_recipients']:,} of them of blocked recipients\n",
           f"> {h['feed_note']}.\n",
           "## Top entries by impact\n",
           _md_table(h["top_entries"], [("entry", "entry"), ("list", "list"), ("owner", "owner"),
                                        ("responsible_rows", "recipient rows blocked"),
                                        ("exclusive_rows", "only this entry blocks")]),
           f"## Dead entries ({len(h['dead_entries']):,})\n",
           _md_table(h["dead_entries"], [("entry", "entry"), ("list", "list"), ("owner", "owner")], limit=50),
           "## Cap status\n",
           _md_table(h["lists"], [("name", "list"), ("entries", "entries"), ("cap", "cap"), ("status", "status")]),
           "## Assumptions in force\n",
           _md_table(report["assumptions"], [("name", "assumption"), ("value", "value"), ("note", "what it means")])]
    out += [f"> {n}.\n" for n in report["notes"] if n != h["feed_note"]]
    d = report["details"]
    out += ["## Details\n", "### Baseline and candidate\n",
            _md_table(d["summary"], [("metric", "metric"), ("baseline", "now"), ("candidate", "candidate"),
                                     ("change", "change")]),
            "### Contacts by change\n", _md_table(d["changes"], [("label", "change"), ("contacts", "contacts")]),
            "### By sender\n",
            _md_table(d["by_user"], [("sender", "sender"), ("rows", "recipient rows"), ("timeline_removed",
                                                                                       "timeline entries removed")],
                      limit=25),
            "### By channel\n",
            _md_table(d["by_channel"], [("channel", "channel"), ("rows", "recipient rows"),
                                        ("governed", "governed"), ("blocked_after", "blocked")]),
            "### Load report\n", _md_table(d["load_report"], [("problem", "problem"), ("count", "count")])]
    return "\n".join(out)


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` completely or not at all: a temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); a report is an ordinary file, readable as the umask allows.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
