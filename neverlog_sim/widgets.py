"""preview(): a live ipywidgets app to edit Never Log lists and see what they would change.

The sent mail is loaded once and kept; each edit re-runs only ``simulate`` with the new policy
and computes ``metrics()`` eagerly. The lists whose text did not change are reused, so simulate()
answers an edit incrementally (only the recipients the changed entries match are re-counted) and
the numbers follow an edit on a ten-million-row history quickly; the result's tables are built when
the chart, drawn after the numbers, reads them.

>>> app = preview(sent, team="*@rival.com")   # doctest: +SKIP
>>> app      # shows the app in Jupyter      # doctest: +SKIP
"""

from __future__ import annotations

import html
import threading
import time
import weakref
from pathlib import Path

import ipywidgets as w
import pandas as pd

from .history import SentMail, load_contacts, load_sent, load_tracking
from .lists import NeverLogList, Policy, at_line, repeats
from .report.render import shown_note
from .rules import LOGGING_RULES, PROFILES, ROLES, Rules, get_rules
from .simulate import simulate

__all__ = ["preview", "PreviewApp"]

# One lock per history: apps on the same SentMail share its DuckDB connection, which refuses two calls at
# once; a debounced refresh of one app (numbers, chart, list health) finishes before another app's starts.
_HISTORY_LOCKS: "weakref.WeakKeyDictionary[SentMail, threading.RLock]" = weakref.WeakKeyDictionary()


def _senders(sent: SentMail) -> list[str]:
    from .engine import sql
    return [str(s) for (s,) in sent.engine.rows(sql.outbound_senders(sent.table)) if s]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, NeverLogList):
        return value.to_text()
    if isinstance(value, str):
        return value
    return "\n".join(str(v) for v in value)


class PreviewApp:
    """The preview app: list editors, rule toggles, validation, numbers, a chart and an export button.

    Widgets (attributes): ``team_text``, ``owner``, ``personal_text``, ``profile``, ``logging_rule``
    (profile 2026's contact email logging rule), ``subdomains``
    (A2), ``roles`` (A3, a dict role → Checkbox), ``messages``, ``numbers``, ``chart`` (SVG),
    ``export_folder``, ``export_button``, ``status``, ``health`` (the list doctor's findings beside the lists);
    state: ``result``, ``findings``, ``policy``, ``rules``,
    ``problems`` (validation rows ``list, line, text, problem, hint``), ``last_timing``.
    """

    def __init__(self, sent, *, team=None, personal=None, rules="seed-2023", contacts=None, tracking=None,
                 debounce: float = 0.3, export_folder: str = "neverlog-export"):
        if not isinstance(sent, SentMail):
            sent = load_sent(sent, progress=False)
        self.sent = sent
        self.contacts = None if contacts is None or isinstance(contacts, pd.DataFrame) else load_contacts(contacts)
        if isinstance(contacts, pd.DataFrame):
            self.contacts = contacts
        self.tracking = tracking if tracking is None or isinstance(tracking, pd.DataFrame) else load_tracking(tracking)
        self.debounce = float(debounce)
        base = get_rules(rules)
        self._profiles = dict(PROFILES)
        self._profiles.setdefault(base.name, base)
        personal = {str(k).strip().lower(): _text(v) for k, v in (personal or {}).items()}
        # Every read of the history holds its lock: another app's debounced refresh may be running on it.
        self._lock = _HISTORY_LOCKS.setdefault(sent, threading.RLock())
        with self._lock:
            senders = _senders(sent)
        owners = sorted(set(senders) | set(personal))
        self._personal_texts: dict[str, str] = dict(personal)
        self._timer: threading.Timer | None = None
        self._old_tables: list[str] = []
        self._parsed_lists: dict[tuple, NeverLogList] = {}
        self.result = None
        self.figure = None
        self.policy = Policy()
        self.rules: Rules = base
        self.problems: list[dict] = []
        self.last_timing: dict[str, float] = {}

        layout = w.Layout(width="100%", height="180px")
        self.team_text = w.Textarea(value=_text(team), placeholder="*@rival.com\njo@acme.com", layout=layout,
                                    description="")
        self.owner = w.Dropdown(options=owners, value=(next(iter(personal)) if personal else
                                                       (owners[0] if owners else None)),
                                description="owner", layout=w.Layout(width="100%"))
        self.personal_text = w.Textarea(value=self._personal_texts.get(self.owner.value, ""), layout=layout,
                                        placeholder="entries for this user's sends only")
        self.profile = w.Dropdown(options=list(self._profiles), value=base.name, description="rules")
        # Profile 2026's contact email logging rule (docs/rules.md#logging-rule); off for older profiles.
        self.logging_rule = w.Dropdown(options=list(LOGGING_RULES), value=base.logging_rule or "log_all",
                                       description="logging rule", disabled=base.logging_rule is None)
        self.subdomains = w.Checkbox(value=base.subdomains, description="A2: domain entries match sub-domains",
                                     indent=False)
        self.roles = {r: w.Checkbox(value=r in base.roles, description=r.capitalize(), indent=False,
                                    layout=w.Layout(width="70px")) for r in ROLES}
        self.messages = w.HTML()
        self.numbers = w.HTML()
        self.chart = w.HTML()
        self.health = w.HTML()  # the list doctor's findings, beside the lists (docs: README "List health")
        self.findings = None
        self.export_folder = w.Text(value=str(export_folder), description="folder")
        self.export_button = w.Button(description="Export lists", icon="download", button_style="primary")
        self.status = w.HTML()

        self.profile.observe(self._profile_changed, names="value")
        for widget in (self.team_text, self.personal_text, self.profile, self.logging_rule, self.subdomains,
                       *self.roles.values()):
            widget.observe(self._changed, names="value")
        self.owner.observe(self._owner_changed, names="value")
        self.export_button.on_click(lambda _b: self.export())

        editors = w.HBox([
            w.VBox([w.HTML("<b>Team list</b> (every user's sends)"), self.team_text], layout=w.Layout(width="36%")),
            w.VBox([w.HTML("<b>Personal list</b>"), self.owner, self.personal_text], layout=w.Layout(width="36%")),
            w.VBox([w.HTML("<b>List health</b>"), self.health], layout=w.Layout(width="28%")),
        ])
        toggles = w.HBox([self.profile, self.logging_rule, self.subdomains, w.HTML("A3: roles a list can block:"),
                          *self.roles.values()])
        export = w.HBox([self.export_folder, self.export_button])
        self.widget = w.VBox([editors, toggles, self.messages, self.numbers, self.chart, export, self.status])
        self.refresh()

    # --- events --------------------------------------------------------------------------
    def _profile_changed(self, change) -> None:
        """The logging rule control is live only for a profile that has one (2026)."""
        self.logging_rule.disabled = self._profiles[change["new"]].logging_rule is None

    def _owner_changed(self, change) -> None:
        # Switching owner shows that owner's list; the edit box belongs to one owner at a time.
        with self._lock:
            self._loading_owner = True
            try:
                self.personal_text.value = self._personal_texts.get(change["new"], "")
            finally:
                self._loading_owner = False
            if self.findings is not None:
                self.health.value = self._health_html()

    def _changed(self, change) -> None:
        if change["owner"] is self.personal_text:
            if getattr(self, "_loading_owner", False):
                return
            self._personal_texts[self.owner.value] = change["new"]
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.debounce <= 0:
            self.refresh()
            return
        self._timer = threading.Timer(self.debounce, self._refresh_quietly)
        self._timer.daemon = True
        self._timer.start()

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # a background refresh must report, not vanish
            self.status.value = f"<span style='color:#d9534f'>refresh failed: {html.escape(str(exc))}</span>"

    # --- the work ------------------------------------------------------------------------
    def _parsed(self, fresh: dict, text: str, scope: str = "team", owner: str | None = None) -> NeverLogList:
        """A list's text parsed, reused while the text is unchanged (kept in ``fresh`` for the next
        reading): an edit re-reads one list, and simulate() sees the others unchanged and answers
        the edit incrementally."""
        key = (scope, owner, text)
        lst = self._parsed_lists.get(key)
        if lst is None:
            source = "team list" if scope == "team" else f"personal list of {owner}"
            lst = NeverLogList.from_text(text, scope=scope, owner=owner, source=source, on_invalid="collect")
        fresh[key] = lst
        return lst

    def _read_lists(self) -> Policy:
        problems = []
        fresh: dict[tuple, NeverLogList] = {}
        team = self._parsed(fresh, self.team_text.value)
        lists = [team]
        personal = {}
        for owner, text in self._personal_texts.items():
            if text.strip():
                lst = self._parsed(fresh, text, "personal", owner)
                personal[owner] = lst
                lists.append(lst)
        self._parsed_lists = fresh  # this reading's lists only: the next edit changes one of them
        for lst in lists:
            for p in lst.problems:
                problems.append({"list": lst.name, "line": p.line, "text": p.text, "problem": p.reason,
                                 "hint": p.hint or ""})
        self.problems = problems
        self._lists = lists
        return Policy(team=team, personal=personal)

    def _profile_rules(self) -> Rules:
        """The chosen profile with the chosen logging rule (what exports use)."""
        base = self._profiles[self.profile.value]
        if base.logging_rule is not None and self.logging_rule.value != base.logging_rule:
            return base.replace(logging_rule=self.logging_rule.value, name=f"{base.name} {self.logging_rule.value}")
        return base

    def _read_rules(self) -> Rules:
        base = self._profile_rules()
        roles = frozenset(r for r, box in self.roles.items() if box.value)
        if roles == base.roles and self.subdomains.value == base.subdomains:
            return base
        return base.replace(subdomains=self.subdomains.value, roles=roles)

    def refresh(self, chart: bool = True) -> dict:
        """Re-read the editors and toggles, re-simulate, update messages, numbers and (optionally) the chart.

        Returns the headline numbers (``metrics()``). Synchronous: tests and scripts call it directly.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        with self._lock:
            t0 = time.perf_counter()
            policy = self._read_lists()
            rules = self._read_rules()
            if not any(self.roles[r].value for r in ROLES):
                self.messages.value = self._messages_html(extra="A3: tick at least one recipient role")
                return {}
            result = simulate(self.sent, policy, rules=rules, contacts=self.contacts, tracking=self.tracking,
                              progress=False)
            metrics = result.metrics()
            self._retire(self.result)
            self.result, self.policy, self.rules, self.metrics = result, policy, rules, metrics
            self.messages.value = self._messages_html()
            self.numbers.value = self._numbers_html(metrics)
            t1 = time.perf_counter()
            if chart:
                self._draw_chart()
            t2 = time.perf_counter()
            if chart:  # after the numbers, like the chart: the doctor reads the history again
                self._check_health()
            t3 = time.perf_counter()
            self.last_timing = {"numbers_ms": 1000 * (t1 - t0), "chart_ms": 1000 * (t2 - t1),
                                "health_ms": 1000 * (t3 - t2)}
            return metrics

    def _retire(self, result) -> None:
        # Each simulate() leaves its working tables in the SentMail's DuckDB; drop the previous edit's
        # so a long session does not grow memory.
        if result is not None:
            result.close()

    def _draw_chart(self) -> None:
        # The chart goes in as inline SVG text: a plain trait update, safe from the debounce timer's
        # thread (an Output widget's capture is tied to the main thread's cell).
        from .report.charts import pareto_chart, to_svg
        self.figure = pareto_chart(self.result)
        self.chart.value = to_svg(self.figure)

    def _check_health(self) -> None:
        from .advice import doctor
        self.findings = doctor(self.policy, self.sent, rules=self.rules)
        self.health.value = self._health_html()

    # --- rendering -----------------------------------------------------------------------
    MESSAGES_SHOWN = 50
    def _health_html(self, limit: int = 8) -> str:
        """The doctor's errors and warnings on the team list and on the personal list shown, then a count of notes."""
        t = self.findings.table
        shown = t[(t["list"] == "team") | (t["owner"] == self.owner.value) | (t["owner"] == "")]
        worst = shown[shown["severity"] != "info"]
        colour = {"error": "#d9534f", "warning": "#b58105"}
        items = "".join(f"<li><span style='color:{colour[r.severity]}'>{html.escape(r.kind)}</span> "
                        f"<code>{html.escape(str(r.entry or r.list))}</code>: {html.escape(r.evidence)}</li>"
                        for r in worst.head(limit).itertuples(index=False))
        more = len(worst) - min(len(worst), limit)
        notes = int((shown["severity"] == "info").sum())
        return ("<div class='nls-health'>" + (f"<ul>{items}</ul>" if items else
                                              "<span style='color:#2e9e4f'>no errors or warnings</span>")
                + (f"<small>… {more} more; </small>" if more else "")
                + f"<small>{notes} notes (dead, redundant, placement …); all in <code>app.findings.table</code></small>"
                + "</div>")


    def _messages_html(self, extra: str = "") -> str:
        rows = []
        for p in self.problems[:self.MESSAGES_SHOWN]:
            hint = f"did you mean <code>{html.escape(p['hint'])}</code>?" if p["hint"] else ""
            rows.append(f"<tr><td>{html.escape(p['list'])}</td><td>{at_line(p['line']).rstrip(': ')}</td>"
                        f"<td><code>{html.escape(str(p['text']))}</code> {html.escape(p['problem'])}</td>"
                        f"<td>{hint}</td></tr>")
        notes = []
        for lst in getattr(self, "_lists", []):
            for d in lst.duplicates:
                notes.append(f"{lst.name}, {at_line(d.line)}{d.entry} {repeats(d.first_line)}")
            for r in lst.redundant:
                notes.append(f"{lst.name}, {at_line(r.line)}{r.entry} is redundant, {r.covered_by} covers it")
            if lst.over_cap:
                notes.append(lst.cap_status())
        parts = []
        if extra:
            parts.append(f"<p style='color:#c9302c'>{html.escape(extra)}</p>")
        if rows:
            n = len(self.problems)
            parts.append(f"<b style='color:#c9302c'>{n} invalid entr{'y' if n == 1 else 'ies'}</b> "
                         "(left out of the preview)<table><tr><th>list</th><th>line</th><th>problem</th>"
                         "<th>hint</th></tr>" + "".join(rows) + "</table>"
                         f"<small>{html.escape(shown_note(len(rows), n, 'app.problems'))}</small>")
        if notes:
            shown = notes[:self.MESSAGES_SHOWN]
            parts.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in shown) + "</ul>"
                         + (f"<small>{html.escape(shown_note(len(shown), len(notes), 'each list in app.policy'))}"
                            "</small>" if len(shown) < len(notes) else ""))
        if not parts:
            parts.append("<span style='color:#2e9e4f'>all entries valid</span>")
        return "<div class='nls-messages'>" + "".join(parts) + "</div>"

    def _numbers_html(self, m: dict) -> str:
        rows = [
            ("contacts would not be created", f"{m['contacts_not_created']:,}"),
            ("timeline entries leave contact timelines",
             f"{m['timeline_entries_removed']:,} ({m['timeline_entries_before']:,} → {m['timeline_entries_after']:,})"),
        ]
        if m["logging_rule"]:  # profile 2026: incoming mail is logged too
            rows += [
                ("  outgoing (sent by your users)",
                 f"{m['timeline_entries_outgoing_before']:,} → {m['timeline_entries_outgoing_after']:,}"),
                ("  incoming (received from contacts)",
                 f"{m['timeline_entries_incoming_before']:,} → {m['timeline_entries_incoming_after']:,}"),
            ]
        rows += [
            ("tracking events leave contact timelines", f"{m['tracking_events_leaving_timelines']:,}"),
            ("feed events stay visible", f"{m['feed_events_after']:,} (of blocked recipients: "
                                         f"{m['feed_events_of_blocked_recipients']:,})"),
            ("recipient rows blocked", f"{m['blocked_rows_after']:,} of {m['recipient_rows']:,}"),
            ("dead entries", f"{m['dead_entries']:,} of {m['candidate_entries']:,}"),
            ("lists within the cap", "yes" if m["lists_within_cap"] else "no — see the messages above"),
            ("invalid lines", f"{m['invalid_entries']:,}" + (" (left out of the preview)" if m["invalid_entries"]
                                                             else "")),
        ]
        body = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right'><b>{html.escape(v)}</b></td></tr>"
                       for k, v in rows)
        rule = f", logging rule {self.rules.logging_rule}" if self.rules.logging_rule else ""
        return (f"<table class='nls-numbers'>{body}</table><small>rules {html.escape(self.rules.name + rule)}; "
                "the activity feed never changes because of a Never Log list</small>")

    # --- export --------------------------------------------------------------------------
    def export(self, folder=None, *, overwrite: bool = True):
        """Write the current lists as HubSpot-ready, cap-compliant files via ``export_lists``; return its report.

        Exports use the chosen profile's HubSpot matching (exact domains, A2), whatever the what-if toggles.
        """
        from .export import export_lists
        folder = Path(folder or self.export_folder.value)
        try:
            with self._lock:  # export_lists reads the history, which a debounced refresh may be using
                report = export_lists(self.policy, folder, sent=self.sent, rules=self._profile_rules(),
                                      overwrite=overwrite)
        except Exception as exc:
            # A message of several lines keeps them apart (HTML would run them together).
            lines = "<br>".join(html.escape(line) for line in str(exc).splitlines())
            self.status.value = f"<div style='color:#c9302c'>export failed:<br>{lines}</div>"
            raise
        cut = len(report.manifest.get("not_exported", []))
        self.status.value = (f"exported {len(report.files)} files to <code>{html.escape(str(folder))}</code>"
                             + (f"; {cut} entries did not fit the cap (see cut.csv)" if cut else ""))
        self.export_report = report
        return report

    # --- display -------------------------------------------------------------------------
    def snapshot_html(self) -> str:
        """A static HTML snapshot of the state shown: the lists' messages, the numbers, and the HTML report.

        It travels in the widget's mimebundle as ``text/html``, so a notebook rendered without a
        kernel (nbconvert, GitHub) shows the preview as it was instead of a blank cell.
        """
        head = ("<p><b>Never Log preview</b> (a static snapshot; run the notebook to edit the lists)</p>"
                + self.messages.value + self.numbers.value)
        if self.result is None:
            return f"<div class='nls-preview-snapshot'>{head}</div>"
        return f"<div class='nls-preview-snapshot'>{head}{self.result._repr_html_()}</div>"

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data["text/html"] = self.snapshot_html()
        data["text/plain"] = repr(self)
        return (data, bundle[1]) if isinstance(bundle, tuple) else data

    def __repr__(self) -> str:
        m = getattr(self, "metrics", None) or {}
        return (f"<PreviewApp team list {len(self.policy.team)} entries, {len(self.policy.personal)} personal lists; "
                f"contacts not created: {m.get('contacts_not_created', '?')}; display it in Jupyter to edit>")


def preview(sent, *, team=None, personal=None, rules: "str | Rules" = "seed-2023", contacts=None, tracking=None,
            debounce: float = 0.3) -> PreviewApp:
    """Open the live preview on a sent-mail history.

    Parameters: ``sent`` a ``SentMail`` (or anything ``load_sent`` reads); ``team`` and ``personal``
    (``{owner: entries}``) the starting lists as text or entries; ``rules`` a profile name;
    ``contacts`` and ``tracking`` as for ``simulate``; ``debounce`` seconds to wait after an edit.

    >>> app = preview(sent, team="*@rival.com")  # doctest: +SKIP
    >>> app.team_text.value += "\\njo@acme.com"; app.refresh()["contacts_not_created"]  # doctest: +SKIP
    """
    return PreviewApp(sent, team=team, personal=personal, rules=rules, contacts=contacts, tracking=tracking,
                      debounce=debounce)
