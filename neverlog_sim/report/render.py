"""Rendering the report dict (``summary.build_report``) as self-contained HTML and as Markdown."""

from __future__ import annotations

import html

from .summary import CHANGE_WORDS, TOP_ENTRIES

__all__ = ["render_html", "render_markdown", "shown_note", "cap_and_validity"]


def _n(v) -> str:
    if isinstance(v, list):
        return html.escape(", ".join(str(x) for x in v))
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else html.escape(str(v))


def shown_note(shown: int, total: int, rest: str = "") -> str:
    """``"3 of 3 shown"``, or ``"10 of 41 shown; the rest: <where>"`` — every table in every surface says it.

    >>> shown_note(10, 41, "result.entries")
    '10 of 41 shown; all 41: result.entries'
    """
    text = f"{shown:,} of {total:,} shown"
    return text + (f"; all {total:,}: {rest}" if shown < total and rest else "")


def _table(rows: list[dict], cols: list[tuple[str, str]], limit: int | None = None, *, total: int | None = None,
           rest: str = "") -> str:
    """An HTML table of ``rows`` (the first ``limit``), captioned "N of M shown" and where the rest is.

    ``total`` counts rows the caller already left out (``rows`` is then the shown part).
    """
    if not rows:
        return "<p class='nls-muted'>none</p>"
    shown = rows if limit is None else rows[:limit]
    total = len(rows) if total is None else total
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in cols)
    body = "".join(
        "<tr>" + "".join(f"<td class='{'num' if isinstance(r.get(k), int) and not isinstance(r.get(k), bool) else ''}'>"
                         f"{_n(r.get(k, ''))}</td>" for k, _ in cols) + "</tr>" for r in shown)
    caption = f"<caption>{html.escape(shown_note(len(shown), total, rest))}</caption>"
    out = f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if len(shown) < len(rows):
        # The rest is one click away: the whole table, folded.
        out += (f"<details><summary>show all {len(rows):,}</summary>"
                + _table(rows, cols, rest=rest) + "</details>")
    return out


_CSS = """
.nls-report{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.4;max-width:1100px}
.nls-report h1{font-size:1.5em;margin:.2em 0}.nls-report h2{font-size:1.2em;margin:1.2em 0 .4em;
 border-bottom:1px solid #8884}.nls-report h3{font-size:1.05em;margin:1em 0 .3em}
.nls-report .nls-cards{display:flex;flex-wrap:wrap;gap:12px}
.nls-report .nls-card{border:1px solid #8886;border-radius:6px;padding:8px 12px;min-width:180px;flex:1}
.nls-report .nls-big{font-size:1.8em;font-weight:600}.nls-report .nls-muted{color:#595959}
.nls-report caption{caption-side:bottom;text-align:left;font-size:.85em;color:#595959;padding-top:2px}
.nls-report details{margin:.3em 0}.nls-report summary{cursor:pointer}
@media (prefers-color-scheme: dark){.nls-report .nls-muted,.nls-report caption{color:#b0b0b0}}
.nls-report table{border-collapse:collapse;margin:.3em 0}.nls-report th,.nls-report td{border-bottom:1px solid #8884;
 padding:2px 8px;text-align:left}.nls-report td.num{text-align:right;font-variant-numeric:tabular-nums}
.nls-report .ok{color:#1a7f37}.nls-report .bad{color:#c9302c}.nls-report .nls-note{border-left:3px solid #e3a008;
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


_ENTRY_COLS = [("entry", "entry"), ("list", "list"), ("owner", "owner"), ("responsible_rows", "recipient rows blocked"),
               ("exclusive_rows", "only this entry blocks"), ("recipients", "recipients"), ("messages", "emails"),
               ("senders", "senders")]


def cap_and_validity(headline: dict) -> tuple[str, str]:
    """The two verdicts on the candidate lists, in words: the cap, and invalid lines — never one for the other.

    >>> cap_and_validity({"lists_within_cap": True, "invalid_entries": 1})
    ('every list is within the cap', '1 invalid line (left out of the simulation)')
    """
    cap = "every list is within the cap" if headline["lists_within_cap"] else "a list is over the cap"
    n = headline.get("invalid_entries", 0)
    valid = "no invalid lines" if not n else f"{n:,} invalid line{'s' if n != 1 else ''} (left out of the simulation)"
    return cap, valid


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _drilldowns(details: list[dict]) -> str:
    """Collapsible sections, one per top entry: the recipients and senders it alone changes."""
    if not details:
        return ""
    out = ["<h3>What the top entries alone change</h3>"]
    for e in details:
        who = e["list"] if not e["owner"] else f"personal list of {e['owner']}"
        out.append(
            f"<details><summary><code>{html.escape(e['entry'])}</code> ({html.escape(who)}): alone blocks "
            f"{_count(e['exclusive_rows'], 'recipient row')} to {_count(e['recipient_count'], 'recipient')} from "
            f"{_count(e['sender_count'], 'sender')}</summary>"
            + _table(e["recipients"], [("recipient", "recipient"), ("rows", "rows"), ("change", "contact")],
                     total=e["recipient_count"], rest=f"result.entry({e['entry']!r}).recipients")
            + _table(e["senders"], [("sender", "sender"), ("rows", "rows"), ("recipients", "recipients")],
                     total=e["sender_count"], rest=f"result.entry({e['entry']!r}).senders")
            + "</details>")
    return "".join(out)
def _suggestions(suggested: dict | None) -> list[str]:
    """The advisor's suggested entries with their reasons and impact (none when no suggestions were given)."""
    if suggested is None:
        return []
    reasons = ", ".join(f"{k} {v:,}" for k, v in suggested["by_reason"].items()) or "none"
    head = (f"<h3>Suggested entries</h3><p>{suggested['suggestions']:,} entries the history supports "
            f"({suggested['in_policy']:,} fit the caps: <code>suggestions.policy()</code>) · by reason: "
            f"{html.escape(reasons)}</p>")
    return [head, _table(suggested["entries"], [("reason", "reason"), ("list", "list"), ("owner", "owner"),
                                                ("entry", "entry"), ("rows", "rows"), ("recipients", "recipients"),
                                                ("contacts_not_created", "contacts not created"),
                                                ("evidence", "evidence")], limit=50,
                         rest="suggestions.table")]


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
         f"emails logged on timelines: {h['timeline_entries_before']:,} now, {h['timeline_entries_after']:,} after"
         + _directions(h, report.get('logging_rule'))),
        ("tracking events leave contact timelines", h["tracking_events_leaving_timelines"],
         "opens and clicks no longer shown on a contact's timeline"),
        ("feed events stay visible", h["feed_events_after"],
         f"of them {h['feed_events_of_blocked_recipients']:,} belong to blocked recipients"),
    ]
    scenario = report.get("scenario")
    scenario_line = ""
    if scenario:
        changed = "; ".join(f"{k} = {v}" for k, v in scenario["assumptions"].items()) or "none"
        scenario_line = (f"<p class='nls-muted'>Scenario <b>{html.escape(scenario['name'] or '(unnamed)')}</b>"
                         + (f" from {html.escape(str(scenario['source']))}" if scenario.get("source") else "")
                         + f" · assumptions changed: {html.escape(changed)}</p>")
    warning = ([f"<p class='nls-note bad'><b>Warning</b>: {html.escape(report['set_aside'])}.</p>"]
               if report.get("set_aside") else [])
    parts = warning + [f"<h1>{html.escape(report['title'])}</h1>",
             f"<p class='nls-muted'>Source: {html.escape(report['source'])} · {html.escape(span)} · rules "
             f"<b>{html.escape(report['rules'])}</b> · {h['recipient_rows']:,} recipient rows"
             f"{' · addresses redacted' if report.get('redacted') else ''} · the rules: docs/rules.md</p>"
             + scenario_line,
             f"<p class='nls-muted'>Profile: {html.escape(_profile_line(report))}</p>",
             "<div class='nls-cards'>" + "".join(
                 f"<div class='nls-card'><div class='nls-big'>{v:,}</div><div>{html.escape(label)}</div>"
                 f"<div class='nls-muted'>{html.escape(sub)}</div></div>" for label, v, sub in cards) + "</div>",
             f"<p class='nls-note'>{html.escape(h['feed_note'])}.</p>"]
    verdicts = cap_and_validity(h)
    status = (f"<p><span class='{'ok' if h['lists_within_cap'] else 'bad'}'>{html.escape(verdicts[0])}</span>; "
              f"<span class='{'ok' if not h['invalid_entries'] else 'bad'}'>{html.escape(verdicts[1])}</span></p>")
    d = report["details"]
    all_entries = [e for e in d["entries"]]
    parts += ["<h2>Top entries by impact</h2>",
              _table(h["top_entries"], _ENTRY_COLS, total=h.get("live_entries", len(h["top_entries"])),
                     rest="'All entries' under Details below, and result.entries"),
              _drilldowns(d.get("entry_details", [])),
              f"<h2>Dead entries ({len(h['dead_entries']):,})</h2>",
              "<p class='nls-muted'>Entries that match nothing in the history: they spend cap and change nothing.</p>",
              _table(h["dead_entries"], [("entry", "entry"), ("list", "list"), ("owner", "owner")], limit=50,
                     rest="result.entries.query('dead')"),
              f"<h2>Cap and validity</h2>{status}",
              _table(h["lists"], [("name", "list"), ("entries", "entries"), ("cap", "cap"), ("over_cap", "over the cap"),
                                  ("duplicates", "duplicates"), ("redundant", "redundant"), ("invalid", "invalid"),
                                  ("status", "status")]),
              *_list_health(report.get("list_health")),
              *_suggestions(report.get("suggestions")),
              "<h2>Assumptions in force</h2>",
              _table(report["assumptions"], [("name", "assumption"), ("value", "value"), ("default", "default"),
                                             ("note", "what it means")])]
    parts += [f"<p class='nls-note'>{html.escape(n)}.</p>" for n in report["notes"] if n != h["feed_note"]]
    parts.append("<h2>Details</h2>")
    if charts:
        parts.append("<div class='nls-charts'>" + "".join(f"<figure>{svg}</figure>" for svg in _charts_svg(report))
                     + "</div>")
    parts += ["<h3>Baseline and candidate</h3>",
              _table(d["summary"], [("metric", "metric"), ("baseline", "now (baseline)"), ("candidate", "candidate"),
                                    ("change", "change")]),
              "<h3>Contacts by change</h3>", _table(d["changes"], [("label", "change"), ("contacts", "contacts")]),
              "<h3>All entries</h3>",
              "<details><summary>every entry of the candidate and baseline lists, ranked by impact</summary>"
              + _table(all_entries, [("entry", "entry"), ("list", "list"), ("owner", "owner"),
                                     ("responsible_rows", "recipient rows blocked"),
                                     ("exclusive_rows", "only this entry blocks"), ("recipients", "recipients"),
                                     ("dead", "dead")], rest="result.entries") + "</details>",
              "<h3>By sender</h3>",
              "<p class='nls-muted'>Your users' sends only: replies received are not counted here.</p>",
              _table(d["by_user"], [("sender", "sender"), ("rows", "recipient rows"), ("blocked_after", "blocked"),
                                    ("timeline_before", "timeline entries now"),
                                    ("timeline_after", "after"), ("timeline_removed", "removed")], limit=25,
                     rest="result.recipients.query(\"direction == 'outbound'\")"),
              "<h3>By channel</h3>",
              _table(d["by_channel"], [("channel", "channel"), ("rows", "recipient rows"),
                                       ("governed", "governed by the lists"), ("blocked_after", "blocked"),
                                       ("timeline_before", "timeline entries now"), ("timeline_after", "after")]),
              "<h3>Load report</h3>",
              _table(d["load_report"], [("problem", "problem"), ("count", "count"), ("examples", "examples")],
                     rest="sent.problems")]
    body = "<div class='nls-report'>" + "".join(parts) + "</div>"
    if fragment:
        return f"<style>{_CSS}</style>{body}"
    return _PAGE.format(title=html.escape(report["title"]), css=_CSS, body=body)


def _md_table(rows: list[dict], cols: list[tuple[str, str]], limit: int | None = None, *, total: int | None = None,
              rest: str = "") -> str:
    if not rows:
        return "_none_\n"
    shown = rows if limit is None else rows[:limit]
    total = len(rows) if total is None else total
    def cell(v):
        text = f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v if v is not None else "")
        return text.replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(label for _, label in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(k, "")) for k, _ in cols) + " |" for r in shown]
    lines.append(f"\n_{shown_note(len(shown), total, rest)}_")
    return "\n".join(lines) + "\n"


def _profile_line(report: dict) -> str:
    """Which HubSpot the profile describes (docs/rules.md#rule-profiles)."""
    return report.get("profile_note") or str(report.get("rules"))


def _directions(h: dict, logging_rule) -> str:
    """Outgoing and incoming timeline entries apart, when incoming mail is logged (profile 2026)."""
    if not logging_rule:
        return ""
    return (f"; outgoing {h['timeline_entries_outgoing_before']:,} → {h['timeline_entries_outgoing_after']:,}, "
            f"incoming {h['timeline_entries_incoming_before']:,} → {h['timeline_entries_incoming_after']:,}")


def render_markdown(report: dict) -> str:
    """Render a report dict as Markdown: the same sections as the HTML, without charts."""
    h = report["headline"]
    span = " to ".join(s for s in report["span"] if s) or "no dates"
    cap, valid = cap_and_validity(h)
    scenario = report.get("scenario")
    out = ([f"> **Warning**: {report['set_aside']}.\n"] if report.get("set_aside") else []) + [
           f"# {report['title']}\n",
           f"Source: {report['source']} · {span} · rules **{report['rules']}** · {h['recipient_rows']:,} recipient rows"
           + (" · addresses redacted" if report.get("redacted") else "")
           + f" · profile: {_profile_line(report)} · the rules: docs/rules.md\n"]
    if scenario:
        changed = "; ".join(f"{k} = {v}" for k, v in scenario["assumptions"].items()) or "none"
        out.append(f"Scenario **{scenario['name'] or '(unnamed)'}**"
                   + (f" from {scenario['source']}" if scenario.get("source") else "")
                   + f" · assumptions changed: {changed}\n")
    out += [f"- **{h['contacts_not_created']:,}** contacts would not be created",
           f"- **{h['timeline_entries_removed']:,}** timeline entries leave contact timelines "
           f"({h['timeline_entries_before']:,} → {h['timeline_entries_after']:,}{_directions(h, report.get('logging_rule'))})",
           f"- **{h['tracking_events_leaving_timelines']:,}** tracking events leave contact timelines",
           f"- **{h['feed_events_after']:,}** feed events stay visible, "
           f"{h['feed_events_of_blocked_recipients']:,} of them of blocked recipients\n",
           f"> {h['feed_note']}.\n",
           "## Top entries by impact\n",
           _md_table(h["top_entries"], [("entry", "entry"), ("list", "list"), ("owner", "owner"),
                                        ("responsible_rows", "recipient rows blocked"),
                                        ("exclusive_rows", "only this entry blocks")],
                     total=h.get("live_entries", len(h["top_entries"])), rest="result.entries"),
           f"## Dead entries ({len(h['dead_entries']):,})\n",
           _md_table(h["dead_entries"], [("entry", "entry"), ("list", "list"), ("owner", "owner")], limit=50,
                     rest="result.entries.query('dead')"),
           "## Cap and validity\n",
           f"{cap}; {valid}\n",
           _md_table(h["lists"], [("name", "list"), ("entries", "entries"), ("cap", "cap"), ("invalid", "invalid"),
                                  ("status", "status")]),
           "## Assumptions in force\n",
           _md_table(report["assumptions"], [("name", "assumption"), ("value", "value"), ("note", "what it means")])]
    out += [f"> {n}.\n" for n in report["notes"] if n != h["feed_note"]]
    d = report["details"]
    out += ["## Details\n", "### Baseline and candidate\n",
            _md_table(d["summary"], [("metric", "metric"), ("baseline", "now"), ("candidate", "candidate"),
                                     ("change", "change")]),
            "### Contacts by change\n", _md_table(d["changes"], [("label", "change"), ("contacts", "contacts")]),
            "### By sender\n", "Your users' sends only: replies received are not counted here.\n",
            _md_table(d["by_user"], [("sender", "sender"), ("rows", "recipient rows"), ("timeline_removed",
                                                                                       "timeline entries removed")],
                      limit=25, rest="result.recipients.query(\"direction == 'outbound'\")"),
            "### By channel\n",
            _md_table(d["by_channel"], [("channel", "channel"), ("rows", "recipient rows"),
                                        ("governed", "governed"), ("blocked_after", "blocked")]),
            "### Load report\n", _md_table(d["load_report"], [("problem", "problem"), ("count", "count")],
                                            rest="sent.problems")]
    return "\n".join(out)
