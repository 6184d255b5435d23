"""Rendering a backtest's report dict (``Backtest.report()``) as self-contained HTML."""

from __future__ import annotations

import html

from .render import _CSS, _PAGE, _table

__all__ = ["render_backtest_html"]

MISMATCHES_SHOWN = 200


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def render_backtest_html(report: dict, fragment: bool = False) -> str:
    """The backtest as static HTML (no scripts, no network); ``fragment=True`` returns a ``<div>`` for notebooks."""
    m = report["matching"]
    rec = report["recommendation"]
    until = report["period"][1] or "the end of the data"
    verdict_class = {"recommend": "ok", "none fits": "bad"}.get(rec["verdict"], "")
    cards = [
        ("agreement", _pct(report["agreement"]), f"of {report['compared_rows']:,} compared recipient rows"),
        ("mismatches", f"{len(report['mismatches']):,}", "rows where prediction and HubSpot disagree"),
        ("emails matched", f"{m['matched_by_message_id'] + m['matched_by_fallback']:,}",
         f"{m['matched_by_message_id']:,} by Message-ID, {m['matched_by_fallback']:,} by sender, recipient, "
         f"subject and time"),
        ("left unmatched", f"{m['unmatched_logged_emails'] + m['ambiguous_sent_emails']:,}",
         f"{m['unmatched_logged_emails']:,} logged emails with no send, {m['ambiguous_sent_emails']:,} ambiguous sends"),
    ]
    parts = [
        f"<h1>{html.escape(report['title'])}</h1>",
        f"<p class='nls-muted'>Sent: {html.escape(report['sent_source'])} · logged: "
        f"{html.escape(report['logged_source'])} · from {html.escape(report['period'][0])} to "
        f"{html.escape(until)} · rules <b>{html.escape(report['rules'])}</b> · tolerance "
        f"{html.escape(report['tolerance'])}</p>",
        "<div class='nls-cards'>" + "".join(
            f"<div class='nls-card'><div class='nls-big'>{html.escape(v)}</div><div>{html.escape(label)}</div>"
            f"<div class='nls-muted'>{html.escape(sub)}</div></div>" for label, v, sub in cards) + "</div>",
        f"<p class='nls-note {verdict_class}'>{html.escape(rec['text'])}.</p>",
        "<h2>Which rules fit best</h2>",
        _table([dict(r, agreement=_pct(r["agreement"])) for r in report["rule_sets"]],
               [("rules", "rule set"), ("agreement", "agreement"), ("mismatches", "mismatches")]),
        "<h2>Prediction against HubSpot</h2>",
        _table(report["confusion"], [("predicted", "predicted"), ("actual_logged", "logged in HubSpot"),
                                     ("actual_not_logged", "not logged")]),
        "<h2>Mismatches by likely cause</h2>",
        _table([r for r in report["likely_causes"] if r["rows"]], [("likely_cause", "likely cause"), ("rows", "rows")]),
        f"<h2>Mismatches ({len(report['mismatches']):,})</h2>",
        _table(report["mismatches"], [("sent_at", "sent"), ("sender", "sender"), ("recipient", "recipient"),
                                      ("channel", "channel"), ("role", "role"), ("predicted", "predicted"),
                                      ("actual", "HubSpot"), ("entry", "entry"), ("likely_cause", "likely cause")],
               limit=MISMATCHES_SHOWN),
        "<h2>Matching</h2>",
        _table([{"what": k.replace("_", " "), "count": v} for k, v in m.items()], [("what", "what"), ("count", "count")]),
        f"<h3>Ambiguous matches ({len(report['ambiguous']):,} candidate pairs, not compared)</h3>",
        _table(report["ambiguous"], [("message_id", "send"), ("sent_at", "sent"), ("sender", "sender"),
                                     ("subject", "subject"), ("logged_id", "logged email"), ("logged_at", "logged")],
               limit=MISMATCHES_SHOWN),
        f"<h3>Logged emails with no send ({len(report['unmatched']):,})</h3>",
        _table(report["unmatched"], [("logged_id", "logged email"), ("logged_at", "logged"), ("sender", "sender"),
                                     ("subject", "subject"), ("recipients", "recipients")], limit=MISMATCHES_SHOWN),
        "<h2>Assumptions in force</h2>",
        _table(report["assumptions"], [("name", "assumption"), ("value", "value"), ("default", "default"),
                                       ("note", "what it means")]),
        f"<p class='nls-muted'>How the backtest works: {html.escape(report['see'])}</p>",
    ]
    body = "<div class='nls-report'>" + "".join(parts) + "</div>"
    if fragment:
        return f"<style>{_CSS}</style>{body}"
    return _PAGE.format(title=html.escape(report["title"]), css=_CSS, body=body)
