"""Rendering the report dict (``summary.build_report``) as self-contained HTML and as Markdown."""

from __future__ import annotations

import html

from .summary import CHANGE_WORDS, TOP_ENTRIES

__all__ = ["render_html", "render_markdown"]


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


def _list_health(health: dict | None) -> list[str]:
    """The "List health" section: the list doctor's findings, worst first (none when no findings were given)."""
    if health is None:
        return []
    c = health["counts"]["severity"]
    head = (f"<h2>List health</h2><p>{len(health['findings']):,} findings: "
            f"<span class='{'bad' if c['error'] else 'ok'}'>{c['error']:,} errors</span>, {c['warning']:,} warnings, "
            f"{c['info']:,} notes · own domains: {_n(', '.join(health['own_domains']) or 'none')} "
            f"({_n(health['own_domains_source'])})</p>")
    kinds = [{"kind": k, "findings": v} for k, v in health["counts"]["kind"].items()]
    return [head, _table(kinds, [("kind", "kind"), ("findings", "findings")]),
            _table(health["findings"], [("severity", "severity"), ("kind", "kind"), ("list", "list"),
                                        ("owner", "owner"), ("entry", "entry"), ("evidence", "evidence"),
                                        ("suggestion", "suggestion")], limit=100)]


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
              *_list_health(report.get("list_health")),
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
