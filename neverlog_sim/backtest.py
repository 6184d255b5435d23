"""backtest(): check the simulator's prediction against what HubSpot really logged (docs/rules.md#backtest).

Once lists are in force, an analyst holds both sides: the mailbox shows every email sent, HubSpot's
email export shows which were logged. ``backtest`` matches the two (by Message-ID where both have
it, else by sender, recipient, subject and send time within a tolerance), runs the simulator's
prediction over the sends, and says where prediction and reality agree, where they do not, and
which rule set fits the account best.

>>> bt = backtest("sent.csv", "hubspot_emails.csv", Policy.from_dir("lists"), since="2025-07-01")  # doctest: +SKIP
>>> bt.agreement, bt.confusion, bt.mismatches  # doctest: +SKIP
>>> bt.compare_rules()  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from .engine import one_row
from .engine.sql import backtest as bsql
from .engine.sql import copy_table, drop
from .errors import InputError
from .history import SentMail, build_sent
from .lists import Policy
from .readers import hubspot, mailfiles
from .readers.canonical import canonical_table, looks_like_mail
from .readers.tables import as_text, read_table
from .rules import PROFILES, ROLES, Rules, get_rules
from .simulate import as_policy, simulate

__all__ = ["Backtest", "backtest", "default_candidates", "DEFAULT_TOLERANCE", "FIT_THRESHOLD", "CLEAR_MARGIN",
           "LIKELY_CAUSES"]

#: B1: a send and a logged email with no common Message-ID match when their send times differ by at most this.
DEFAULT_TOLERANCE = pd.Timedelta(minutes=5)
#: B4: a rule set "fits" when at least this share of the compared rows agree.
FIT_THRESHOLD = 0.99
#: B4: a profile is recommended when its best rule set beats every other profile's by at least this share.
CLEAR_MARGIN = 0.01
#: The causes a mismatch can be given, in the order they are checked (docs/rules.md#likely-causes).
LIKELY_CAUSES = ("channel rule", "role", "sub-domain", "sender alias", "log toggle", "unmatched")
#: B2: the profiles whose governed channels make up the compared rows, and the default candidates.
CANDIDATE_PROFILES = ("seed-2023", "2025")
#: Column names (case and spacing ignored) that hold the Message-ID header in a HubSpot export or a table.
MESSAGE_ID_HEADER_COLUMNS = ("hs_email_message_id", "property_hs_email_message_id", "message id", "message-id",
                             "email message id", "internet message id", "message_id_header")
#: Column names (case and spacing ignored) of the contacts a logged email is associated with (B3).
ASSOCIATED_CONTACTS_COLUMNS = ("associated contacts", "associated contact", "associated contact emails",
                               "associations contacts", "contact emails")
_ADDRESS_IN_TEXT = r"[^\s<>()\[\];,\"']+@[^\s<>()\[\];,\"']+"
_HEADER_LIKE = re.compile(r"^\s*<?[^\s<>@]+@[^\s<>@]+>?\s*$")
_counter = itertools.count(1)
_DOC = "docs/rules.md#backtest"


# --- inputs ---------------------------------------------------------------------------------------

def _instant(value, name: str) -> pd.Timestamp:
    """A date or time as a naive UTC timestamp (the rows' own form); a clear error otherwise."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise InputError(f"{name} must be a date or time such as '2025-07-01' or '2025-07-01T09:00:00Z', "
                         f"got {value!r}")
    return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts).as_unit("us")


def _tolerance(value) -> pd.Timedelta:
    try:
        tol = pd.Timedelta(value)
    except (TypeError, ValueError):
        tol = None
    if tol is None or tol is pd.NaT or tol < pd.Timedelta(0):
        raise InputError(f"tolerance must be a non-negative duration such as '5min' or '90s', got {value!r}")
    return tol


def _squash(name) -> str:
    return re.sub(r"[\s_\-.]+", "", str(name)).lower()


_HEADER_NAMES = {_squash(c) for c in MESSAGE_ID_HEADER_COLUMNS}
_ASSOCIATED_NAMES = {_squash(c) for c in ASSOCIATED_CONTACTS_COLUMNS}


def _logged_to_associated(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """B3: when the export names each email's associated contacts, they are the recipients it was logged to.

    Their addresses ("Jane Doe (jane@acme.com); ...") become the To field; Cc and Bcc are emptied.
    """
    fields = {hubspot._api_name(c) or hubspot._UI_SQUASHED.get(hubspot._squash(c)): c for c in frame.columns}
    found = frame[column].astype(str).str.findall(_ADDRESS_IN_TEXT).str.join(", ")
    frame = frame.copy()
    for field in ("hs_email_cc_email", "hs_email_bcc_email"):
        if field in fields:
            frame[fields[field]] = ""
    frame[fields.get("hs_email_to_email", "hs_email_to_email")] = found
    return frame


def _extras(ids, headers, subjects) -> pd.DataFrame:
    """Message-level fields the rows table does not keep: ``message_id, header_id, subject`` (text)."""
    def text(values):
        s = pd.Series(values, dtype="object").reset_index(drop=True)
        return s.astype(str).str.strip().where(s.notna(), None)
    return pd.DataFrame({"message_id": text(ids), "header_id": text(headers), "subject": text(subjects)})


def _header_of(ids: pd.Series) -> pd.Series:
    """An id that is written like a Message-ID (``<x@host>``) is one; other ids (record ids, row-N) are not."""
    ids = pd.Series(ids, dtype="object")
    return ids.where(ids.astype(str).str.match(_HEADER_LIKE.pattern) & ids.notna(), None)


def _load_side(source, what: str, owners=None, progress: bool = False) -> tuple[SentMail, pd.DataFrame]:
    """A side of the backtest as a ``SentMail`` plus its Message-IDs and subjects (``_extras``)."""
    if isinstance(source, SentMail):
        # No subjects; an id written like a Message-ID is taken as one in SQL ($header_like).
        return source, _extras([], [], [])
    if isinstance(source, (str, Path)) and looks_like_mail(source):
        messages, problems = mailfiles.read_mail(source, progress=progress)
        sent = build_sent(messages, problems=problems, source=str(source), progress=progress)
        # A Message-ID filed twice with different content gets "#<hash>" appended by the reader: both
        # copies keep the header, so a logged email naming it is ambiguous, not matched to one of them.
        headers = messages["message_id"].astype(str).str.replace(r"#[0-9a-f]+$", "", regex=True)
        return sent, _extras(messages["message_id"], _header_of(headers), messages["subject"])
    if isinstance(source, (str, Path)) and Path(str(source)).suffix.lower() in (".xlsx", ".xls"):
        frame, label = hubspot._read(source, progress)  # HubSpot's UI export as a spreadsheet
        table = pa.Table.from_pandas(frame.astype("object").astype(str), preserve_index=False)
    else:
        table, label = read_table(source, what=what)
    fmt = hubspot.detect_format(table.column_names)
    header_col = next((c for c in table.column_names if _squash(c) in _HEADER_NAMES), None)
    if fmt:
        frame = table.to_pandas().astype("object")
        frame = frame.where(frame.notna(), "")
        associated = next((c for c in table.column_names if _squash(c) in _ASSOCIATED_NAMES), None)
        if associated is not None:
            frame = _logged_to_associated(frame, associated)
        messages, tracking, problems = hubspot.to_canonical(frame, owners=owners, format=fmt)
        sent = build_sent(messages, problems=problems, source=label, tracking=tracking, progress=progress)
        headers = pd.Series([None] * len(messages), dtype="object")
        id_col = next((c for c in table.column_names if hubspot._api_name(c) == "hs_object_id"
                       or hubspot._UI_SQUASHED.get(hubspot._squash(c)) == "hs_object_id"), None)
        if header_col is not None and id_col is not None:
            by_id = dict(zip(frame[id_col].astype(str).str.strip(), frame[header_col].astype(str).str.strip()))
            headers = messages["message_id"].map(by_id).replace("", None)
        return sent, _extras(messages["message_id"], _header_of(headers), messages["subject"])
    mapped = as_text(canonical_table(table, None, label)[0])  # ids read as the rows read them
    sent = build_sent(table, source=label, progress=progress)
    cols = mapped.column_names
    ids = pd.Series(mapped.column("message_id").to_pylist(), dtype="object")
    subjects = mapped.column("subject").to_pylist() if "subject" in cols else [None] * len(ids)
    headers = (_header_of(pd.Series(table.column(header_col).to_pylist(), dtype="object"))
               if header_col is not None else _header_of(ids))
    return sent, _extras(ids, headers, subjects)


# --- rule sets ------------------------------------------------------------------------------------

def _label(rules: Rules) -> str:
    scope = "sub-domains" if rules.subdomains else "exact domain"
    roles = "Bcc governed" if "bcc" in rules.roles else "Bcc not governed"
    if rules.roles not in (frozenset(ROLES), frozenset({"to", "cc"})):
        roles = "roles " + "/".join(r for r in ROLES if r in rules.roles)
    return f"{rules.name.split('+')[0]}, {scope}, {roles}"


def default_candidates() -> list[Rules]:
    """Both profiles × sub-domain matching off/on × Bcc governed or not (A2, A3): eight rule sets."""
    out = []
    for profile in CANDIDATE_PROFILES:
        for subdomains in (False, True):
            for roles in (frozenset(ROLES), frozenset({"to", "cc"})):
                base = PROFILES[profile]
                rules = base.replace(name=profile, subdomains=subdomains, roles=roles)
                out.append(rules.replace(name=_label(rules)))
    return out


def _what_ifs(rules: Rules) -> int:
    """How many assumptions a rule set changes from its profile (ties go to the fewer)."""
    base = PROFILES.get(rules.name.split(",")[0].split("+")[0])
    if base is None:
        return 9
    return int(rules.subdomains != base.subdomains) + int(rules.roles != base.roles) + int(rules.applies != base.applies)


@dataclass(frozen=True)
class _Evaluation:
    rules: Rules
    label: str
    confusion: dict
    table: str | None


# --- the result -----------------------------------------------------------------------------------

class Backtest:
    """The simulator's prediction beside what HubSpot logged, over one period.

    ``agreement`` the share of compared rows where they agree; ``confusion`` 2×2 counts (predicted
    logged/blocked × actually logged/not logged); ``mismatches`` every disagreeing row with its
    channel, entry and ``likely_cause``; ``matching`` how sends and logged emails matched;
    ``ambiguous`` and ``unmatched`` the pairs and logged emails left unmatched; ``compare_rules()``
    which rule set fits best. Compared rows: docs/rules.md#compared-rows.

    >>> bt = backtest("mailbox.mbox", "hubspot_emails.csv", "lists/", since="2025-10-01")  # doctest: +SKIP
    >>> bt.confusion; bt.mismatches.groupby("likely_cause").size()                       # doctest: +SKIP
    """

    def __init__(self, *, sent: SentMail, logged: SentMail, policy: "Policy", rules: Rules, since: "pd.Timestamp",
                 until: "pd.Timestamp | None", tolerance: "pd.Timedelta", tables: dict, binds: dict):
        self.sent, self.logged, self.policy, self.rules = sent, logged, policy, rules
        self.since, self.until, self.tolerance = since, until, tolerance
        self._t, self._binds = tables, binds
        self._engine = sent.engine
        self._evals: dict[Rules, _Evaluation] = {}
        self._compare: pd.DataFrame | None = None
        self._main = self._evaluate(rules, keep=True)
        self.rules_label = self._main.label

    # --- running ------------------------------------------------------------------------------
    def _run(self, statement: str, **extra):
        binds = dict(self._binds, **extra)
        used = {k: v for k, v in binds.items() if f"${k}" in statement}
        return self._engine.execute(statement, used or None)

    def _evaluate(self, rules: Rules, keep: bool = False) -> _Evaluation:
        """Run the simulator under ``rules`` and set its prediction beside reality (one statement each)."""
        if rules in self._evals and (self._evals[rules].table or not keep):
            return self._evals[rules]
        result = simulate(self.sent, self.policy, rules=rules)
        rule_binds = {"applies": sorted(rules.applies), "roles": sorted(rules.roles), "subdomains": rules.subdomains}
        try:
            if keep:
                name = f"{self._t['prefix']}_pred{len(self._evals) + 1}"
                self._run(bsql.bt_predicted(self._t["compared"], self._t["flags"], result._t["blocks"], name),
                          **rule_binds).fetchall()
                confusion = one_row(self._run(bsql.bt_confusion(name)))
            else:
                name = None
                confusion = one_row(self._run(bsql.bt_confusion_of(self._t["compared"], result._t["blocks"])))
        finally:
            result.close()
        confusion = {k: int(v) for k, v in confusion.items()}
        ev = _Evaluation(rules, _label(rules) if "+" in rules.name else rules.name, confusion, name)
        self._evals[rules] = ev
        return ev

    def close(self) -> None:
        """Drop the backtest's working tables from the sent mail's DuckDB (tables read into pandas stay usable)."""
        names = [v for k, v in self._t.items() if k != "prefix"] + [e.table for e in self._evals.values() if e.table]
        for name in names:
            self._engine.run(drop(name))

    # --- the comparison -----------------------------------------------------------------------
    @property
    def compared_rows(self) -> int:
        return sum(self._main.confusion.values())

    @property
    def agreement(self) -> float:
        """The share of compared rows where prediction and reality agree (NaN when no row is compared)."""
        return _agreement(self._main.confusion)

    @property
    def confusion(self) -> pd.DataFrame:
        """2×2 counts: rows ``predicted`` logged / blocked, columns ``actual`` logged / not logged."""
        c = self._main.confusion
        df = pd.DataFrame([[c["logged_logged"], c["logged_not"]], [c["blocked_logged"], c["blocked_not"]]],
                          index=pd.Index(["logged", "blocked"], name="predicted"),
                          columns=pd.Index(["logged", "not logged"], name="actual"))
        return df.astype("int64")

    @property
    def rows(self) -> pd.DataFrame:
        """Every compared row (docs/rules.md#compared-rows): ``predicted``, ``actual`` and whether they ``agrees``."""
        return self._run(bsql.bt_rows(self._main.table)).df()

    @property
    def mismatches(self) -> pd.DataFrame:
        """Every compared row where prediction and reality disagree, with its ``likely_cause``."""
        if not hasattr(self, "_mismatches"):
            df = self._run(bsql.bt_mismatches(self._main.table), subdomains=self.rules.subdomains).df()
            df["likely_cause"] = pd.Categorical(df["likely_cause"], categories=list(LIKELY_CAUSES))
            self._mismatches = df
        return self._mismatches.copy()

    @property
    def matching(self) -> dict:
        """How sends and logged emails matched: counts of the period."""
        if not hasattr(self, "_matching"):
            t = self._t
            counts = one_row(self._run(bsql.bt_matching_counts(t["smsgs"], t["lmsgs"], t["matched"], t["lrows"])))
            counts["logged_recipients_without_send"] = int(
                self._run(bsql.bt_extra_logged(t["matched"], self.sent.table, t["lrows"])).fetchall()[0][0])
            self._matching = {k: int(v) for k, v in counts.items()}
        return dict(self._matching)

    @property
    def matches(self) -> pd.DataFrame:
        """Every matched pair: the send's ``message_id``, the ``logged_id``, and ``matched_by``
        (``message_id`` or ``fallback``)."""
        return self._run(bsql.bt_matches(self._t["matched"])).df()

    @property
    def ambiguous(self) -> pd.DataFrame:
        """Every candidate pair of an ambiguous match (a send with several possible logged emails, or a
        logged email with several possible sends): listed, never resolved; their rows are not compared."""
        return self._run(bsql.bt_ambiguous(self._t["matched"], self._t["smsgs"], self._t["lmsgs"])).df()

    @property
    def unmatched(self) -> pd.DataFrame:
        """Logged emails of the period, of a sender the sends have, that no send matches (sent from
        another device or mailbox, or outside the tolerance); other senders' are only counted."""
        return self._run(bsql.bt_unmatched_logged(self._t["lmsgs"], self._t["smsgs"], self._t["matched"],
                                                  self._t["lrows"])).df()

    def compare_rules(self, candidates=None) -> pd.DataFrame:
        """Re-run the prediction under each candidate rule set: ``rules, agreement, mismatches``, best first.

        ``candidates``: rule sets (``Rules`` or profile names); default both profiles × sub-domain
        matching off/on × Bcc governed or not. Ties go to the rule set with fewer what-if changes.
        """
        if candidates is None and self._compare is not None:
            return self._compare.copy()
        rule_sets = default_candidates() if candidates is None else [get_rules(c) for c in candidates]
        rows = []
        for order, rules in enumerate(rule_sets):  # one simulation per rule set, never per row
            ev = self._evaluate(rules)
            c = ev.confusion
            rows.append({"rules": ev.label, "agreement": _agreement(c), "mismatches": c["logged_not"] + c["blocked_logged"],
                         "profile": rules.name.split(",")[0].split("+")[0], "subdomains": rules.subdomains,
                         "bcc_governed": "bcc" in rules.roles, "what_ifs": _what_ifs(rules), "order": order})
        df = pd.DataFrame(rows)
        df = df.sort_values(["agreement", "mismatches", "what_ifs", "order"], ascending=[False, True, True, True],
                            kind="stable", na_position="last").drop(columns=["what_ifs", "order"])
        df = df.reset_index(drop=True)
        if candidates is None:
            self._compare = df
        return df.copy()

    def recommendation(self, candidates=None) -> dict:
        """Which profile fits: ``{"verdict": "recommend" | "unclear" | "none fits", "profile", "rules", "text"}``."""
        table = self.compare_rules(candidates)
        if table.empty or table["agreement"].isna().all():
            return {"verdict": "none fits", "profile": None, "rules": None,
                    "text": "no row was compared: nothing sent in the period on a governed channel"}
        best = table.iloc[0]
        ties = table[(table["agreement"] == best["agreement"]) & (table["mismatches"] == best["mismatches"])]
        others = table[table["profile"] != best["profile"]]
        margin = best["agreement"] - (others["agreement"].max() if len(others) else 0.0)
        pct = f"{best['agreement']:.1%}"
        if best["agreement"] < FIT_THRESHOLD:
            return {"verdict": "none fits", "profile": None, "rules": best["rules"],
                    "text": f"no rule set fits: the best, {best['rules']}, agrees on {pct} of the compared rows "
                            f"(a fit needs {FIT_THRESHOLD:.0%}); see the mismatches and their likely causes"}
        tie_note = ""
        if len(ties) > 1:
            tie_note = (f"; equally good: {', '.join(ties['rules'].iloc[1:])} (the history holds no send that tells "
                        "them apart)")
        if margin >= CLEAR_MARGIN:
            return {"verdict": "recommend", "profile": best["profile"], "rules": best["rules"],
                    "text": f"use profile {best['profile']}: {best['rules']} agrees on {pct} of the compared rows, "
                            f"{margin:.1%} more than the best rule set of any other profile{tie_note}"}
        return {"verdict": "unclear", "profile": None, "rules": best["rules"],
                "text": f"no profile fits clearly better: {best['rules']} agrees on {pct}, within {CLEAR_MARGIN:.0%} "
                        f"of another profile{tie_note}"}

    # --- reports ------------------------------------------------------------------------------
    @property
    def assumptions(self) -> list[dict]:
        rows = self.rules.assumptions()
        rows += [
            {"name": "B1 matching", "value": f"Message-ID, else sender + recipient + subject + time within "
                                             f"{_duration(self.tolerance)}",
             "default": f"within {_duration(DEFAULT_TOLERANCE)}",
             "note": "ambiguous matches and unmatched logged emails are listed, never guessed"},
            {"name": "B2 compared rows", "value": "outbound, Log in CRM on, channels " + ", ".join(
                self._binds["universe"]), "default": "channels some profile governs",
             "note": "every send a list could block under some profile, whatever this rule set governs"},
            {"name": "B3 logged recipients", "value": "its associated contacts, else To, Cc, Bcc",
             "default": "its associated contacts, else To, Cc, Bcc",
             "note": "a logged email was logged to the contacts the export associates with it; without that "
                     "column, to every recipient it names"},
            {"name": "B4 fit", "value": f"fits from {FIT_THRESHOLD:.0%}; clearly better by {CLEAR_MARGIN:.0%}",
             "default": f"{FIT_THRESHOLD:.0%}, {CLEAR_MARGIN:.0%}", "note": "when a profile is recommended"},
        ]
        return rows

    def report(self) -> dict:
        """The backtest as a JSON-ready dict (the same one the HTML and JSON reports show)."""
        mm = self.mismatches
        causes = mm["likely_cause"].value_counts().reindex(list(LIKELY_CAUSES), fill_value=0)
        conf = self.confusion
        return {
            "title": "Backtest: the simulator's prediction against what HubSpot logged",
            "sent_source": str(self.sent.source), "logged_source": str(self.logged.source),
            "period": [str(self.since), None if self.until is None else str(self.until)],
            "rules": self.rules_label, "tolerance": _duration(self.tolerance),
            "compared_rows": self.compared_rows,
            "agreement": None if pd.isna(self.agreement) else round(float(self.agreement), 6),
            "confusion": [{"predicted": p, "actual_logged": int(conf.loc[p, "logged"]),
                           "actual_not_logged": int(conf.loc[p, "not logged"])} for p in conf.index],
            "matching": self.matching,
            "likely_causes": [{"likely_cause": k, "rows": int(v)} for k, v in causes.items()],
            "mismatches": _records(mm.drop(columns=["logged_id"])),
            "ambiguous": _records(self.ambiguous),
            "unmatched": _records(self.unmatched),
            "rule_sets": _records(self.compare_rules()),
            "recommendation": self.recommendation(),
            "assumptions": self.assumptions,
            "see": _DOC,
        }

    def to_json(self) -> str:
        return json.dumps(self.report(), indent=2, ensure_ascii=False, default=str)

    def to_html(self, path=None) -> str:
        """The report as a self-contained HTML page; written atomically to ``path`` when given."""
        from .atomic import write_text_atomic
        from .report.backtest import render_backtest_html
        text = render_backtest_html(self.report())
        if path is not None:
            write_text_atomic(path, text)
        return text

    def _repr_html_(self) -> str:
        from .report.backtest import render_backtest_html
        return render_backtest_html(self.report(), fragment=True)

    def describe(self) -> list[str]:
        """The backtest in plain lines, for a terminal (the command line prints them)."""
        m, c = self.matching, self._main.confusion
        rec = self.recommendation()
        agreement = "n/a" if pd.isna(self.agreement) else f"{self.agreement:.2%}"
        causes = self.mismatches["likely_cause"].value_counts()
        return [
            f"backtest under {self.rules_label}, {self.since} .. {self.until or 'end'}: agreement {agreement} on "
            f"{self.compared_rows:,} compared rows",
            f"  emails sent {m['sent_emails']:,}; logged {m['logged_emails']:,}; matched by Message-ID "
            f"{m['matched_by_message_id']:,}, by sender/recipient/subject/time {m['matched_by_fallback']:,}; "
            f"ambiguous {m['ambiguous_sent_emails']:,}; logged emails unmatched {m['unmatched_logged_emails']:,}",
            f"  predicted logged: {c['logged_logged']:,} logged, {c['logged_not']:,} not; predicted blocked: "
            f"{c['blocked_logged']:,} logged, {c['blocked_not']:,} not",
            "  mismatches by likely cause: " + (", ".join(f"{k} {v:,}" for k, v in causes.items() if v) or "none"),
            f"  {rec['text']}",
        ]

    def __repr__(self) -> str:
        first, *rest = self.describe()
        return "\n".join([f"<Backtest: {first.removeprefix('backtest ')}>", *rest])


def _agreement(c: dict) -> float:
    total = sum(c.values())
    return float("nan") if total == 0 else (c["logged_logged"] + c["blocked_not"]) / total


def _duration(td: pd.Timedelta) -> str:
    seconds = int(td.total_seconds())
    if seconds % 60 == 0 and seconds:
        return f"{seconds // 60} min"
    return f"{td.total_seconds():g} s"


def _records(df: pd.DataFrame) -> list[dict]:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].astype(str).where(out[col].notna(), None)
        elif isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(str)
    out = out.astype(object).where(out.notna(), None)  # NaN (no row compared) is JSON null, not NaN
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in out.to_dict("records")]


# --- the entry point ------------------------------------------------------------------------------

def backtest(sent: "SentMail | str | Path | pd.DataFrame", logged: "SentMail | str | Path | pd.DataFrame",
             policy: "Policy | str | Path | list[str]", *, since: "str | pd.Timestamp",
             until: "str | pd.Timestamp | None" = None, rules: "str | Rules" = "seed-2023",
             tolerance: "str | pd.Timedelta" = DEFAULT_TOLERANCE, owners: "str | Path | pd.DataFrame | None" = None,
             progress: bool = False) -> Backtest:
    """Compare the simulator's prediction with what HubSpot really logged (docs/rules.md#backtest).

    Parameters: ``sent`` everything sent in the period (mail files, a canonical table, a HubSpot
    export, or a ``SentMail``); ``logged`` HubSpot's logged emails for the period (any shape
    ``load_sent`` reads; a Message-ID column such as ``hs_email_message_id`` is used when present);
    ``policy`` the lists in force from ``since`` (a ``Policy``, a list folder or team entries);
    ``since`` / ``until`` the period (``until`` exclusive, None: no end; a date or time without a zone
    is UTC); ``rules`` the rule set
    predicted under; ``tolerance`` how far apart the send times of a send and its logged copy may
    be when they are matched without a Message-ID (B1); ``owners`` the owners table of the export.

    >>> from neverlog_sim.samples import sample_path
    >>> bt = backtest(sample_path("sent_canonical.csv"), sample_path("logged_hubspot.csv"),
    ...               sample_path("lists"), since="2025-10-01", rules="2025")          # doctest: +SKIP
    >>> bt.agreement, bt.compare_rules().head(3)                                      # doctest: +SKIP
    """
    rules = get_rules(rules)
    policy = as_policy(policy, "policy")
    since = _instant(since, "since")
    until = None if until is None else _instant(until, "until")
    if until is not None and until <= since:
        raise InputError(f"until ({until}) must be later than since ({since})")
    tol = _tolerance(tolerance)
    sent_mail, sent_x = _load_side(sent, "sent mail", progress=progress)
    logged_mail, logged_x = _load_side(logged, "logged emails", owners=owners, progress=progress)
    engine = sent_mail.engine
    p = f"bt{next(_counter)}_{sent_mail.table}"
    t = {"prefix": p, **{k: f"{p}_{k}" for k in ("lrows", "sx", "lx", "smsgs", "lmsgs", "pairs", "matched",
                                                   "compared", "entries", "flags")}}
    universe = sorted(set().union(*(PROFILES[n].applies for n in CANDIDATE_PROFILES if n in PROFILES), rules.applies))
    binds = {"since": since.to_pydatetime(), "until": None if until is None else until.to_pydatetime(),
             "tol": tol.to_pytimedelta(), "universe": universe, "header_like": _HEADER_LIKE.pattern}

    def run(statement: str):
        used = {k: v for k, v in binds.items() if f"${k}" in statement}
        engine.run(statement, used or None)

    lrows = logged_mail.engine.arrow(bsql.bt_copy_logged_rows(logged_mail.table))
    entries = policy.entries_frame()
    entries["rank"] = (entries["priority"].astype("int32") * 1000
                       - entries["key"].str.len().fillna(0).astype("int32")).astype("int32")
    for key, frame in (("lrows", lrows), ("sx", sent_x), ("lx", logged_x), ("entries", entries)):
        with engine.registered(f"{t[key]}_src", frame if isinstance(frame, pa.Table) else
                               frame.astype({c: "object" for c in frame.columns if frame[c].dtype == object})) as src:
            engine.run(copy_table(src, t[key]))
    run(bsql.bt_messages(sent_mail.table, t["sx"], t["smsgs"], logged=False))
    run(bsql.bt_messages(t["lrows"], t["lx"], t["lmsgs"], logged=True))
    run(bsql.bt_pairs(sent_mail.table, t["smsgs"], t["lrows"], t["lmsgs"], t["pairs"]))
    run(bsql.bt_matched(t["pairs"], t["matched"]))
    run(bsql.bt_compared(sent_mail.table, t["smsgs"], t["matched"], t["lrows"], t["compared"]))
    run(bsql.bt_entry_flags(t["compared"], t["entries"], t["flags"]))
    return Backtest(sent=sent_mail, logged=logged_mail, policy=policy, rules=rules, since=since, until=until,
                    tolerance=tol, tables=t, binds=binds)
