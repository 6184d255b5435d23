"""SimulationResult: the four levels of change of docs/rules.md#four-levels-of-change as pandas tables, and the summary."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import pandas as pd

from .engine import one_row, sql
from .errors import CollectLimitError
from .rules import CHANGE_CLASSES, FEED_NOTE, NO_CONTACTS_NOTE, NO_TRACKING_NOTE

if TYPE_CHECKING:
    from .history import SentMail
    from .lists import Policy
    from .rules import Rules
    from .scenario import Scenario

class SimulationResult:
    """What a candidate policy changes against a baseline, over one sent-mail history.

    Tables (pandas): ``recipients``, ``contacts``, ``timeline``, ``feed``, ``entries`` (``relation(name)``
    gives each as a lazy DuckDB relation); ``summary()`` a tidy ``metric, baseline, candidate, change``
    table; ``metrics()`` the headline numbers as a dict; ``entry(e)`` what one entry alone changes;
    ``to_html``, ``to_markdown``, ``to_json``, ``to_excel``, ``to_csv`` to take it away.

    >>> result = simulate(sent, Policy(team=["*@gmail.com"]))      # doctest: +SKIP
    >>> result.contacts.query("change != 'unchanged'")              # doctest: +SKIP
    >>> result.entry("*@gmail.com").senders                         # doctest: +SKIP
    >>> result.to_excel("impact.xlsx")                              # doctest: +SKIP
    """

    def __init__(self, *, sent: "SentMail", candidate: "Policy", baseline: "Policy", rules: "Rules",
                 run: "Callable", has_contacts: bool, has_tracking: bool, tables: dict[str, str] | None = None,
                 global_totals: dict | None = None, contacts_view: "Callable[[], str] | None" = None,
                 shared: "Iterable[str]" = (), rows: str | None = None, gated: bool = False,
                 contact_rows: bool = False, views: "Iterable[str]" = ("contacts", "arows"),
                 scenario: "Scenario | None" = None, binds: dict | None = None,
                 build: "Callable[[], dict] | None" = None, totals: dict | None = None,
                 entry_counts: tuple | None = None, on_metrics: "Callable[[dict, tuple], None] | None" = None):
        # ``build`` (an incremental what-if, see simulate.py): the full simulation, run when a table is
        # first read; it returns ``tables``, ``global_totals``, ``contacts_view``, ``shared`` and ``rows``.
        # ``totals``/``entry_counts``: the figures, already known. ``on_metrics`` hears the figures once read.
        self._build = build
        self._given_counts = entry_counts
        self._on_metrics = on_metrics
        if totals is not None:
            self.__dict__["_totals"] = totals
        self.sent = sent
        self._bind_values = dict(binds or {})
        self.scenario = scenario
        # The rows the simulation read: the history's, or in profile 2026 the rows keyed by contact.
        self._rows = rows or sent.table
        self._gated = gated
        self._contact_rows = contact_rows
        self._views = tuple(views)
        self._global = global_totals
        self._view_of_contacts = contacts_view
        self._shared = set(shared)
        self.candidate = candidate
        self.baseline = baseline
        self.rules = rules
        self._tables = tables or {}
        self._run = run
        self.has_contacts = has_contacts
        self.has_tracking = has_tracking
        #: The most rows ``.recipients``, ``.contacts``, ``.timeline`` and ``.feed`` bring to the driver:
        #: None (no limit) on DuckDB; on a Spark-backed history the engine's (docs/spark.md#result-tables).
        self.collect_limit = getattr(sent.engine, "collect_limit", None)

    # --- tables -------------------------------------------------------------------------
    def _materialise(self) -> None:
        """Run the full simulation of an incremental what-if's result (its first table read)."""
        build, self._build = self._build, None
        built = build()
        self._tables, self._global = built["tables"], built["global_totals"]
        self._view_of_contacts, self._shared, self._rows = built["contacts_view"], set(built["shared"]), built["rows"]

    @property
    def _t(self) -> dict[str, str]:
        """The names of this result's DuckDB tables (built now if the figures came incrementally)."""
        if self._build is not None:
            self._materialise()
        return self._tables

    def _contacts_view(self) -> str:
        if self._build is not None:
            self._materialise()
        return self._view_of_contacts()

    @cached_property
    def recipients(self) -> pd.DataFrame:
        """One row per message × recipient with its outcome under baseline and candidate.

        Columns: ``message_id, sent_at, sender, channel, role, recipient, applies, blocked_before,
        blocked_after, blocked_by, blocked_by_list, logged_before, logged_after, on_timeline_before,
        on_timeline_after, log_enabled, direction`` — filter ``direction == "outbound"`` for your users' sends
        (replies received are ``"inbound"``, docs/rules.md#incoming-mail).

        >>> result.recipients.query("direction == 'outbound' and blocked_after")  # doctest: +SKIP
        """
        return self._collect("recipients", self._run(sql.recipients_view(
            self._rows, self._t["blocks"], self._contacts_view(), self._gated, self._contact_rows)))

    def _collect(self, name: str, result) -> pd.DataFrame:
        """A result as pandas, refused past ``collect_limit`` rows (engines that can hold more than the driver)."""
        limit = self.collect_limit
        if limit is not None and hasattr(result, "exceeds") and result.exceeds(limit):
            raise CollectLimitError(name, limit)
        return result.df()

    @cached_property
    def contacts(self) -> pd.DataFrame:
        """One row per recipient: ``contact, change, created_at_before, created_at_after, timeline_before, timeline_after``."""
        df = self._collect("contacts", self._run(sql.read_table(self._contacts_view(), "contact"), bind=False))
        cols = ["contact", "change", "created_at_before", "created_at_after", "timeline_before", "timeline_after",
                "exists_before", "exists_after", "known_before_history", "sends"]
        if self._contact_rows:  # profile 2026: incoming emails logged to the contact, and received
            cols += ["timeline_incoming_before", "timeline_incoming_after", "received"]
        df = df[cols]
        df["change"] = pd.Categorical(df["change"], categories=list(CHANGE_CLASSES))
        return df

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """The (message, recipient) rows whose timeline entry changes, the responsible entry, and tracking events lost."""
        # Built on first use: most callers (the live preview) need only the numbers.
        if not self._timeline_built:
            self._run(sql.timeline_rows(self._t["arows"], self._t["astats"], self._t["timeline"], self._gated,
                                        self._contact_rows)).fetchall()
            self._timeline_built = True
        df = self._collect("timeline", self._run(sql.read_table(self._t["timeline"],
                                                                "sent_at NULLS LAST, message_id, recipient"), bind=False))
        feed = self.feed
        lost = feed[feed["on_timeline_before"] != feed["on_timeline_after"]]
        counts = lost.groupby(["message_id", "recipient"]).size().rename("tracking_events_removed")
        df = df.drop(columns=["row_id"]).merge(counts, how="left", left_on=["message_id", "recipient"],
                                               right_index=True)
        df["tracking_events_removed"] = df["tracking_events_removed"].fillna(0).astype("int64")
        return df.reset_index(drop=True)

    @cached_property
    def feed(self) -> pd.DataFrame:
        """One row per tracking event: in the feed before and after (always), on a contact timeline before and after."""
        cols = ["message_id", "recipient", "event", "occurred_at", "in_feed_before", "in_feed_after",
                "on_timeline_before", "on_timeline_after", "blocked_after"]
        if not self.has_tracking:
            return pd.DataFrame({c: pd.Series(dtype="bool" if c.startswith(("in_", "on_", "blocked")) else "object")
                                 for c in cols})
        return self._collect("feed", self._run(sql.read_table(self._t["feed"]), bind=False))[cols]

    @cached_property
    def entries(self) -> pd.DataFrame:
        """One row per entry of both policies: what it matches, its exclusive impact, dead weight."""
        return self._run(sql.entry_stats(self._t["entries"], self._t["matches"], self._rows, self._contact_rows),
                         bind=False).df()

    # --- DuckDB access, drill-down, take-away files ---------------------------------------------
    RELATIONS = ("recipients", "contacts", "timeline", "feed", "entries")

    def relation(self, name: str):
        """The DuckDB relation behind ``.recipients``, ``.contacts``, ``.timeline``, ``.feed`` or ``.entries``.

        Lazy and in DuckDB: filter, aggregate or write a 10-million-row table without making it pandas.
        On a Spark-backed history (``load_sent(..., spark=session)``) it is the Spark DataFrame.
        The relation belongs to this result's DuckDB; read it before ``close()``. (The pandas
        ``.timeline`` adds ``tracking_events_removed`` from the feed.)

        >>> result.relation("recipients").filter("blocked_after").aggregate("count(*)").fetchall()  # doctest: +SKIP
        >>> result.relation("timeline").write_parquet("timeline.parquet")                           # doctest: +SKIP
        """
        engine = self.sent.engine
        if name == "recipients":
            statement = sql.recipients_view(self._rows, self._t["blocks"], self._contacts_view(), self._gated,
                                            self._contact_rows)
            used = {k: v for k, v in self._binds().items() if f"${k}" in statement}
            return engine.query_relation(statement, used)
        if name == "contacts":
            return engine.query_relation(sql.read_table(self._contacts_view(), "contact"))
        if name == "timeline":
            if not self._timeline_built:
                self._run(sql.timeline_rows(self._t["arows"], self._t["astats"], self._t["timeline"], self._gated,
                                        self._contact_rows)).fetchall()
                self._timeline_built = True
            return engine.relation(self._t["timeline"])
        if name == "feed":
            if not self.has_tracking:
                raise ValueError("no tracking events were given, so there is no feed table (result.feed is empty)")
            return engine.relation(self._t["feed"])
        if name == "entries":
            return engine.query_relation(sql.entry_stats(self._t["entries"], self._t["matches"], self._rows,
                                                         self._contact_rows))
        raise ValueError(f"relation name must be one of {list(self.RELATIONS)}, got {name!r}")

    _timeline_built = False

    def _binds(self) -> dict:
        return self._bind_values

    def entry(self, entry: str, *, list: str | None = None, owner: str | None = None):
        """What one candidate entry alone changes: its recipients, senders and timeline entries.

        The rows no other candidate entry blocks (docs/rules.md#exclusive-impact): take the entry out
        and exactly these are logged again. ``list``/``owner`` pick one when the entry is on several lists.

        >>> d = result.entry("*@gmail.com")      # doctest: +SKIP
        >>> d.recipients.head(); d.senders; d.timeline  # doctest: +SKIP
        """
        from .takeaway import entry_drilldown
        return entry_drilldown(self, entry, list=list, owner=owner)

    def affected_contacts(self) -> pd.DataFrame:
        """Contacts whose record or timeline changes, with change class and responsible entry.

        >>> result.affected_contacts().head()  # doctest: +SKIP
        """
        from .takeaway import affected_contacts
        return affected_contacts(self)

    def to_excel(self, path) -> Path:
        """Write an ``.xlsx`` workbook: a README sheet, the summary, affected contacts and one sheet per table.

        Needs openpyxl (``pip install 'neverlog-sim[excel]'``); text cells are formula-safe; written atomically.

        >>> result.to_excel("impact.xlsx")  # doctest: +SKIP
        """
        from .takeaway import write_excel
        return write_excel(self, path)

    def to_csv(self, folder) -> dict:
        """Write one CSV per table (summary, affected_contacts, contacts, timeline, feed, entries, recipients).

        Returns ``{table: path}``; text cells are formula-safe; each file is written atomically.

        >>> result.to_csv("impact-tables")["affected_contacts"]  # doctest: +SKIP
        """
        from .takeaway import write_csv_folder
        return write_csv_folder(self, folder)

    @property
    def source_label(self) -> str:
        """Where the sent mail came from, for reports: ``"bundled sample (sent_canonical.csv)"`` for the samples."""
        from .samples.where import sample_label
        return sample_label(self.sent.source) or str(self.sent.source)

    # --- numbers ------------------------------------------------------------------------
    @cached_property
    def _totals(self) -> dict:
        g = self._global
        r = {"rows": len(self.sent), "inbound": len(self.sent) - g["outbound"], "log_disabled": g["log_disabled"],
             "governed": g["governed"]}
        r.update(self._fetch_dict(sql.blocked_totals(self._t["blocks"])))
        # Recipients no entry matches have the same outcome in both scenarios: their figures are the
        # history's unblocked ones (cached per history); only the affected recipients are re-counted.
        affected = self._fetch_dict(sql.contact_totals(self._t["astats"]))
        before = self._fetch_dict(sql.contact_totals(self._t["astats"], "unlisted", "unlisted"))
        for k in affected:
            r[f"contacts_{k}"] = g[k] - before[k] + affected[k]
        changes = dict(self._run(sql.change_counts(self._t["astats"]), bind=False).fetchall())
        changes["unchanged"] = changes.get("unchanged", 0) + self._global["recipients"] - affected["recipients"]
        r["changes"] = {k: int(changes.get(k, 0)) for k in CHANGE_CLASSES}
        r["incoming_tracking"] = (self._fetch_dict(sql.incoming_tracking(self._t["ttab"], self._rows))["incoming_tracking"]
                                  if self.has_tracking and self._contact_rows else 0)
        if self.has_tracking:
            r.update({f"feed_{k}": v for k, v in self._fetch_dict(sql.feed_totals(self._t["feed"])).items()})
        else:
            r.update({f"feed_{k}": 0 for k in ("events", "unattributed", "on_timeline_before", "on_timeline_after",
                                               "blocked_before", "blocked_after", "unmatched", "left_timeline")})
        if self.baseline.size:
            # Entries can both block and unblock: count the entries that leave, not the net change.
            r["timeline_left"] = self._fetch_dict(sql.timeline_changes(self._t["arows"], self._t["astats"],
                                                                       self._gated))["left_timeline"]
        else:
            # With no list in force before, the candidate only removes timeline entries.
            r["timeline_left"] = r["contacts_timeline_before"] - r["contacts_timeline_after"]
        return {k: (int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in r.items()}

    def _fetch_dict(self, statement: str) -> dict:
        return one_row(self._run(statement))

    def close(self) -> None:
        """Drop this result's working tables from the history's DuckDB (the per-history caches stay).

        Tables already read into pandas stay usable; tables not yet read are gone.
        """
        if self._build is not None:  # an incremental what-if whose tables were never built
            self._build = None
            self._tables = {}
        engine = self.sent.engine
        views = [v for v in self._views if v in self._t]
        for view in views:  # the views first: they read the tables below
            engine.run(sql.drop_view(self._t[view]))
        for key, name in self._t.items():
            if key not in self._shared and key not in views:
                engine.run(sql.drop(name))

    def metrics(self) -> dict:
        """The headline numbers, JSON-ready."""
        t = self._totals
        if self._given_counts is None:
            self._given_counts = tuple(int(v) for v in self._run(
                sql.entry_counts(self._t["entries"], self._t["matches"]), bind=False).fetchall()[0])
            if self._on_metrics is not None:
                self._on_metrics(t, self._given_counts)
        n_entries, n_dead = self._given_counts
        return {
            "recipient_rows": t["rows"], "inbound_rows": t["inbound"], "log_disabled_rows": t["log_disabled"],
            "governed_rows": t["governed"],
            "blocked_rows_before": t["blocked_before"], "blocked_rows_after": t["blocked_after"],
            "recipients": t["contacts_recipients"],
            "contact_records_before": t["contacts_records_before"], "contact_records_after": t["contacts_records_after"],
            "contacts_created_before": t["contacts_created_before"], "contacts_created_after": t["contacts_created_after"],
            "timeline_entries_before": t["contacts_timeline_before"], "timeline_entries_after": t["contacts_timeline_after"],
            "timeline_entries_outgoing_before": t["contacts_timeline_before"] - t["contacts_timeline_incoming_before"],
            "timeline_entries_outgoing_after": t["contacts_timeline_after"] - t["contacts_timeline_incoming_after"],
            "timeline_entries_incoming_before": t["contacts_timeline_incoming_before"],
            "timeline_entries_incoming_after": t["contacts_timeline_incoming_after"],
            "profile": self.rules.name, "logging_rule": self.rules.logging_rule,
            "changes": t["changes"],
            "contacts_not_created": t["changes"]["not_created"],
            "timeline_entries_removed": t["timeline_left"],
            "feed_events_before": t["feed_events"], "feed_events_after": t["feed_events"],
            "feed_events_unattributed": t["feed_unattributed"],
            "feed_events_of_blocked_recipients": t["feed_blocked_after"],
            "tracking_on_timeline_before": t["feed_on_timeline_before"],
            "tracking_on_timeline_after": t["feed_on_timeline_after"],
            "tracking_events_leaving_timelines": t["feed_left_timeline"],
            "tracking_events_of_incoming_email_ignored": t["incoming_tracking"],
            "candidate_entries": int(n_entries), "dead_entries": int(n_dead),
            "lists_compliant": bool(self.candidate.is_compliant),
            "lists_within_cap": bool(self.candidate.within_cap),
            "invalid_entries": sum(len(lst.problems) for lst in self.candidate.lists),
        }

    def summary(self) -> pd.DataFrame:
        """A tidy table ``metric, baseline, candidate, change`` of the comparable numbers."""
        t = self._totals
        rows = [
            ("recipient rows blocked", t["blocked_before"], t["blocked_after"]),
            ("timeline entries (emails logged on contact timelines)", t["contacts_timeline_before"],
             t["contacts_timeline_after"]),
        ]
        if self._contact_rows:  # profile 2026: sent and received mail apart
            rows += [
                ("  of which outgoing (sent by your users)", t["contacts_timeline_before"] - t["contacts_timeline_incoming_before"],
                 t["contacts_timeline_after"] - t["contacts_timeline_incoming_after"]),
                ("  of which incoming (received from contacts)", t["contacts_timeline_incoming_before"],
                 t["contacts_timeline_incoming_after"]),
            ]
        rows += [
            ("contact records", t["contacts_records_before"], t["contacts_records_after"]),
            ("contacts created by the history", t["contacts_created_before"], t["contacts_created_after"]),
            ("tracking events on contact timelines", t["feed_on_timeline_before"], t["feed_on_timeline_after"]),
            ("feed events (opens and clicks in the activity feed)", t["feed_events"], t["feed_events"]),
            ("feed events of blocked recipients", t["feed_blocked_before"], t["feed_blocked_after"]),
        ]
        df = pd.DataFrame(rows, columns=["metric", "baseline", "candidate"])
        df["change"] = df["candidate"] - df["baseline"]
        return df

    @property
    def assumptions(self) -> list[dict]:
        """The assumptions in force, with notes on what the inputs lacked."""
        rows = self.rules.assumptions()
        rows.append({"name": "contacts table", "value": "given" if self.has_contacts else "none",
                     "default": "none", "note": "contact records before the history come from it" if self.has_contacts
                     else NO_CONTACTS_NOTE})
        rows.append({"name": "tracking events", "value": "given" if self.has_tracking else "none", "default": "none",
                     "note": FEED_NOTE if self.has_tracking else NO_TRACKING_NOTE})
        return rows

    # --- rendering (report.py owns the layout) -------------------------------------------
    def report(self, redact: bool = False, findings=None, suggestions=None) -> dict:
        """The report dict; ``findings`` (a list doctor's ``Findings``) adds a "List health" section and
        ``suggestions`` (``suggest()``'s ``Suggestions``) the entries the history supports beside it."""
        from .report import build_report
        return build_report(self, redact=redact, findings=findings, suggestions=suggestions)

    def to_html(self, path=None, redact: bool = False, findings=None, suggestions=None) -> str:
        from .report import render_html
        from .atomic import write_text_atomic
        text = render_html(self.report(redact=redact, findings=findings, suggestions=suggestions))
        if path is not None:
            write_text_atomic(path, text)
        return text

    def to_markdown(self, redact: bool = False) -> str:
        from .report import render_markdown
        return render_markdown(self.report(redact=redact))

    def to_json(self, redact: bool = False) -> str:
        import json
        return json.dumps(self.report(redact=redact), indent=2, default=str)

    def _summary_text(self) -> str:
        m = self.metrics()
        lines = [f"<SimulationResult rules={self.rules.name!r}: {m['blocked_rows_after']:,} of {m['recipient_rows']:,} "
                 f"recipient rows blocked by the candidate (baseline {m['blocked_rows_before']:,})>"]
        lines.append(self.summary().to_string(index=False))
        lines.append(f"contacts not created: {m['contacts_not_created']:,}; timeline entries removed: "
                     f"{m['timeline_entries_removed']:,}; dead candidate entries: {m['dead_entries']:,}")
        lines.append("assumptions: " + "; ".join(f"{a['name']}: {a['value']}" for a in self.assumptions))
        if not self.has_contacts:
            lines.append(NO_CONTACTS_NOTE)
        lines.append(FEED_NOTE)
        lines.append("see .summary(), .contacts, .timeline, .feed, .entries, .recipients; .to_html('report.html')")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self._summary_text()

    def _repr_html_(self) -> str:
        from .report import build_report, render_html
        return render_html(build_report(self), fragment=True)
