"""The list doctor: the costly mistakes in Never Log lists that no CRM warns about.

``doctor(policy, sent)`` reads the lists (and the history, when one is given) and returns
``Findings``: one row per finding with its kind, severity, list, owner, entry, evidence (counts and
up to three examples from the history) and the suggested fix. The kinds, in the order reported:

- ``free_mail`` (error): a domain entry on a free-mail provider silences everyone on it;
- ``typo`` (error): a domain one edit from a frequent recipient domain, or with no real public suffix;
- ``own_domain`` (warning): the company's own domain (given, or the senders') is on a list;
- ``disposable`` (warning): a domain entry on a disposable-mail provider;
- ``subdomain_miss`` (warning): recipients a domain entry misses only because they are on a sub-domain;
- ``registrable_domain`` (warning): a sub-domain entry misses recipients of the same registrable domain
  (info when the lists name both, e.g. ``*@mail.acme.co.uk`` beside ``*@acme.co.uk``);
- ``plus_variant`` (warning): ``jo+x@`` variants of a listed address that the entry does not block;
- ``cap_pressure`` (warning; error over the cap): a list within 10% of the cap, and what compaction frees;
- ``placement`` (info): a team entry only one user needs, or one entry on many personal lists;
- ``dead`` (info): an entry that matches nothing in the history;
- ``redundant`` (info): an address entry a domain entry (same list, or the team list) already covers;
- ``duplicate`` (info): an entry listed twice, or on a personal list and on the team list.

Matching follows the rules in force (docs/rules.md#a2-domain-entry-scope: a domain entry matches its
domain exactly); everything that reads the history runs in DuckDB.

>>> findings = doctor(Policy(team=["*@gmail.com"]))  # doctest: +SKIP
>>> findings.table  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..engine import sql
from ..entries import parse_entry
from ..errors import EntryError, InputError
from ..export import read_wanted
from ..export.compaction import History
from ..history import SentMail, load_sent
from ..lists import TEAM_OWNER, NeverLogList, Policy
from ..rules import Rules, get_rules
from ..simulate import params
from .domains import free_mail_domains, known_suffix, provider, registrable_domain
from .findings import dumps, html_table, records

__all__ = ["doctor", "Findings", "DoctorSettings", "KINDS", "SEVERITIES", "COLUMNS"]

COLUMNS = ["kind", "severity", "list", "owner", "entry", "evidence", "suggestion"]
SEVERITIES = ("error", "warning", "info")
KINDS = ("free_mail", "typo", "own_domain", "disposable", "subdomain_miss", "registrable_domain", "plus_variant",
         "cap_pressure", "placement", "dead", "redundant", "duplicate")
_counter = itertools.count(1)


@dataclass(frozen=True)
class DoctorSettings:
    """The doctor's thresholds, by name (none of them is a HubSpot rule; they decide what is worth saying).

    - ``cap_margin``: a list holding at least ``cap × (1 − cap_margin)`` entries is under cap pressure
      (0.10: within 10% of 500, i.e. 450 entries or more).
    - ``many_personal_lists``: an entry on at least this many personal lists belongs on the team list.
    - ``typo_min_rows``: a recipient domain needs at least this many governed rows to count as frequent
      when looking for a listed domain one edit away.

    >>> DoctorSettings(cap_margin=0.2).cap_margin
    0.2
    """

    cap_margin: float = 0.10
    many_personal_lists: int = 3
    typo_min_rows: int = 5


def _n(value: int, word: str) -> str:
    return f"{value:,} {word}{'' if value == 1 else 's'}"


def _eg(examples) -> str:
    examples = [str(x) for x in (list(examples) if examples is not None else [])][:3]
    return f" (e.g. {', '.join(examples)})" if examples else ""


def _where(list_: str, owner: str) -> str:
    return "the team list" if list_ == "team" else f"the personal list of {owner}"


class Findings:
    """What the doctor found: ``table`` (``kind, severity, list, owner, entry, evidence, suggestion``).

    ``errors`` counts the findings of severity ``error`` (the command line exits 1 when there are any);
    ``to_json()`` and ``_repr_html_()`` show the same rows; ``settings`` and ``own_domains`` say what
    the doctor assumed.

    >>> from neverlog_sim import Policy, doctor
    >>> findings = doctor(Policy(team=["*@gmail.com"]))
    >>> findings.table["kind"].tolist(), findings.errors
    (['free_mail'], 1)
    """

    def __init__(self, rows: list[dict], *, own_domains: list[str], own_domains_source: str, settings: DoctorSettings,
                 rules: str, history: str | None):
        table = pd.DataFrame(rows, columns=COLUMNS)
        if len(table):
            order = {"severity": {s: i for i, s in enumerate(SEVERITIES)}, "kind": {k: i for i, k in enumerate(KINDS)}}
            table = table.assign(_s=table["severity"].map(order["severity"]), _k=table["kind"].map(order["kind"]),
                                 _l=table["list"].map({"team": 0, "personal": 1}), _o=table["owner"].fillna(""))
            table = table.sort_values(["_s", "_k", "_l", "_o", "entry"], kind="stable").drop(
                columns=["_s", "_k", "_l", "_o"])
        table = table.reset_index(drop=True).astype({c: "object" for c in COLUMNS})
        self.table = table.where(table.notna(), None)
        self.own_domains = list(own_domains)
        self.own_domains_source = own_domains_source
        self.settings = settings
        self.rules = rules
        self.history = history

    def __len__(self) -> int:
        return len(self.table)

    def counts(self) -> dict:
        """Findings by severity (every severity present, zero or not) and by kind (only those found)."""
        sev = self.table["severity"].value_counts()
        kinds = self.table["kind"].value_counts()
        return {"severity": {s: int(sev.get(s, 0)) for s in SEVERITIES},
                "kind": {k: int(kinds[k]) for k in KINDS if k in kinds}}

    @property
    def errors(self) -> int:
        return int((self.table["severity"] == "error").sum())

    def to_dict(self) -> dict:
        return {"counts": self.counts(), "own_domains": self.own_domains, "own_domains_source": self.own_domains_source,
                "rules": self.rules, "history": self.history, "settings": asdict(self.settings),
                "findings": records(self.table)}

    def to_json(self) -> str:
        """The findings as JSON: counts, what the doctor assumed, and one object per finding."""
        return dumps(self.to_dict())

    def _headline(self) -> str:
        c = self.counts()["severity"]
        if not len(self):
            return "no findings"
        return f"{_n(len(self), 'finding')}: {_n(c['error'], 'error')}, {_n(c['warning'], 'warning')}, {_n(c['info'], 'note')}"

    def to_text(self, per_group: int = 5) -> str:
        """The findings as plain text: a headline, then each finding and its fix, worst first.

        ``per_group``: findings of one kind on one list shown in full; past that, the first three and a count
        (``table`` always has them all).
        """
        own = ", ".join(self.own_domains) or "none"
        lines = [f"{self._headline()} (own domains: {own}, {self.own_domains_source}; rules {self.rules})"]
        recs = records(self.table)
        for _, group in itertools.groupby(recs, key=lambda r: (r["kind"], r["list"], r["owner"])):
            group = list(group)
            shown = group if len(group) <= per_group else group[:3]
            for r in shown:
                where = "team" if r["list"] == "team" else f"personal {r['owner']}" if r["owner"] else "personal lists"
                lines.append(f"{r['severity']:<7}  {r['kind']:<18}  {where}  {r['entry'] or ''}".rstrip())
                lines.append(f"         {r['evidence']}")
                if r["suggestion"]:
                    lines.append(f"         → {r['suggestion']}")
            if len(shown) < len(group):
                lines.append(f"         … and {len(group) - len(shown):,} more {group[0]['kind']} findings on "
                             f"{_where(group[0]['list'], group[0]['owner'])} (all of them in .table and --json)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Findings {self.to_text()}>" if not len(self) else "<Findings " + self.to_text().replace("\n", ">\n", 1)

    def _repr_html_(self) -> str:
        own = ", ".join(self.own_domains) or "none"
        return (f"<div class='neverlog-findings'><b>List health</b>: {self._headline()} "
                f"(own domains: {own}, {self.own_domains_source}; rules {self.rules})"
                + (html_table(self.table) if len(self) else "") + "</div>")


# --- the doctor ------------------------------------------------------------------------------------

def _policy(policy) -> Policy:
    """A Policy from a Policy, entries, a list file, a folder, or several files and folders (merged).

    One file or folder is read as written, so that findings can quote its line numbers.
    """
    if isinstance(policy, Policy):
        return policy
    paths = list(policy) if isinstance(policy, (list, tuple)) and policy and all(
        isinstance(p, Path) or (isinstance(p, str) and Path(p).exists()) for p in policy) else None
    if paths is None and isinstance(policy, (str, Path)) and (isinstance(policy, Path) or Path(policy).exists()
                                                              or "@" not in str(policy)):
        paths = [policy]
    if paths is not None:
        for p in paths:
            if not Path(p).exists():
                raise InputError(f"the list {str(p)!r} does not exist; give a .txt/.csv list file or a folder with "
                                 "team.txt and personal/<owner>.txt")
        if len(paths) == 1:
            p = Path(paths[0])
            return Policy.from_dir(p) if p.is_dir() else Policy(team=NeverLogList.from_file(p))
        return read_wanted([Path(p) for p in paths])
    return read_wanted(policy)


def _sent(sent) -> SentMail | None:
    if sent is None or isinstance(sent, SentMail):
        return sent
    return load_sent(sent, progress=False)


def _entries(policy: Policy) -> pd.DataFrame:
    """Every entry: ``entry, kind, key, domain, base, list, owner`` (owner ``''`` for the team list)."""
    df = policy.entries_frame()[["entry", "kind", "key", "list", "owner"]]
    df["owner"] = df["owner"].fillna("")
    df["domain"] = df["entry"].str.split("@").str[1]
    local = df["key"].str.split("@").str[0].str.replace(r"\+.*$", "", regex=True)
    df["base"] = (local + "@" + df["domain"]).where(df["kind"] == "address")
    return df.astype("object")


def own_domains_of(sent: SentMail | None, given) -> tuple[list[str], str]:
    """The company's own domains: ``given``, else the domains users send from (free-mail providers left out)."""
    if given is not None:
        if isinstance(given, str):
            given = [given]
        out = []
        for d in given:
            text = str(d).strip().lower().removeprefix("*@").removeprefix("@")
            try:
                out.append(parse_entry("*@" + text).domain)
            except EntryError:
                raise InputError(f"own_domains: {d!r} is not a domain; give e.g. 'acme.com'") from None
        return sorted(dict.fromkeys(out)), "given"
    if sent is None:
        return [], "none (no history to infer them from)"
    if "advice_own_domains" not in sent.cache:  # a list, not a table name: clear_cache() leaves it be
        doms = sent.engine.df(sql.sender_domains(sent.table))
        doms = doms[~doms["domain"].isin(free_mail_domains()) & (doms["domain"] != "")]
        sent.cache["advice_own_domains"] = sorted(doms["domain"])
    return list(sent.cache["advice_own_domains"]), "inferred from the senders of the history"


def doctor(policy: "Policy | str | Path | list", sent: "SentMail | str | Path | pd.DataFrame | None" = None, *,
           own_domains: "list[str] | None" = None, rules: "str | Rules" = "seed-2023",
           settings: DoctorSettings | None = None) -> Findings:
    """Check Never Log lists for the mistakes that cost the most, with evidence from the history.

    Parameters: ``policy`` a ``Policy``, a list file, a folder (``team.txt`` and ``personal/<owner>.txt``)
    or entries; ``sent`` the history (a ``SentMail`` or anything ``load_sent`` reads; without it only
    the findings the lists alone show); ``own_domains`` the company's domains (default: the domains
    users send from); ``rules`` the rule profile the history is read with; ``settings`` thresholds.

    >>> doctor(Policy(team=["*@gmail.com", "*@acme.con"])).table[["kind", "entry"]].values.tolist()
    [['free_mail', '*@gmail.com'], ['typo', '*@acme.con']]
    """
    settings = settings or DoctorSettings()
    rules = get_rules(rules)
    policy = _policy(policy)
    sent = _sent(sent)
    own, own_source = own_domains_of(sent, own_domains)
    entries = _entries(policy)
    rows: list[dict] = []

    def add(kind, severity, list_, owner, entry, evidence, suggestion):
        rows.append({"kind": kind, "severity": severity, "list": list_, "owner": owner or TEAM_OWNER, "entry": entry,
                     "evidence": evidence, "suggestion": suggestion})

    ev = _Evidence(sent, rules, entries) if sent is not None else None
    try:
        _list_findings(policy, entries, ev, settings, own, add)
        if ev is not None:
            _history_findings(policy, entries, ev, settings, add, rows)
    finally:
        if ev is not None:
            ev.close()
    return Findings(rows, own_domains=own, own_domains_source=own_source, settings=settings, rules=rules.name,
                    history=None if sent is None else sent.source)


def pairs_table(sent: SentMail, rules: Rules) -> str:
    """The history's governed rows counted per (sender, recipient) under ``rules``; built once per history and
    rule profile and kept in ``sent.cache`` (``sent.clear_cache()`` drops it)."""
    binds = params(rules)
    key = ("advice_pairs", repr(sorted(binds.items())))
    if key not in sent.cache:
        name = f"{sent.table}_advice_pairs_{next(_counter)}"
        statement = sql.advice_pairs(sent.table, name)
        sent.engine.execute(statement, {k: v for k, v in binds.items() if f"${k}" in statement})
        sent.cache[key] = name
    return sent.cache[key]


class _Evidence:
    """The history's answers for one policy, computed in DuckDB; ``close()`` drops the working tables."""

    def __init__(self, sent: SentMail, rules: Rules, entries: pd.DataFrame):
        self.sent, self.engine = sent, sent.engine
        self.binds = params(rules)
        self.rules = rules
        self.rows = pairs_table(sent, rules)
        prefix = f"doctor{next(_counter)}"
        self.matches, self.parents = f"{prefix}_matches", f"{prefix}_parents"
        self.entries_view = f"{prefix}_entries"
        self.engine.register(self.entries_view, entries)
        self._run(sql.advice_matches(self.rows, self.entries_view, self.matches))
        self._run(sql.parent_domains(self.rows, self.parents))
        self.by_entry = self._run(sql.entry_evidence(self.matches, self.entries_view)).df()

    def _run(self, statement: str, extra: dict | None = None):
        binds = {**self.binds, **(extra or {})}
        return self.engine.execute(statement, {k: v for k, v in binds.items() if f"${k}" in statement})

    def frame(self, name: str, frame: pd.DataFrame, statement, extra: dict | None = None) -> pd.DataFrame:
        view = f"{self.entries_view}_{name}"
        with self.engine.registered(view, frame.astype("object")):
            return self._run(statement(view), extra).df()

    def close(self) -> None:
        self.engine.unregister(self.entries_view)
        for t in (self.matches, self.parents):
            self.engine.run(sql.drop(t))


def _evidence_text(rows: int, recipients: int, examples, senders: int | None = None) -> str:
    if not rows:
        return "no governed row in the history"
    text = f"{_n(int(rows), 'row')} of {_n(int(recipients), 'recipient')}"
    if senders is not None:
        text += f" from {_n(int(senders), 'user')}"
    return text + _eg(examples)


def _list_findings(policy: Policy, entries: pd.DataFrame, ev: _Evidence | None, settings: DoctorSettings,
                   own: list[str], add) -> None:
    """The findings an entry shows by itself or beside the other entries (history only adds evidence)."""
    stats = None
    if ev is not None:
        stats = ev.by_entry.set_index(["entry", "list", "owner"])

    def blocks(entry, list_, owner, what="blocks"):
        if stats is None:
            return "no history given"
        s = stats.loc[(entry, list_, owner)]
        if not s.rows:
            return "matches no governed row in the history"
        return f"{what} {_evidence_text(s.rows, s.recipients, s.examples, s.senders)}"

    # Providers, own domains, suffixes: masks over the entries (set look-ups per distinct domain); the loops
    # below run over the findings only.
    domains = entries[entries["kind"] == "domain"]
    keys = pd.Series(domains["key"].unique(), dtype="object")
    kind_of = dict(zip(keys, keys.map(provider)))
    suffix_of = dict(zip(keys, keys.map(known_suffix)))
    kinds = domains["key"].map(kind_of)
    for e in domains[kinds == "free_mail"].itertuples(index=False):
        add("free_mail", "error", e.list, e.owner, e.entry, blocks(e.entry, e.list, e.owner, "silences"),
            f"{e.key} is a free-mail provider: every prospect and customer on it stops being logged. List the "
            f"private addresses you mean (name@{e.key}) instead, e.g. with neverlog_sim.suggest()")
    for e in domains[kinds == "disposable"].itertuples(index=False):
        add("disposable", "warning", e.list, e.owner, e.entry, blocks(e.entry, e.list, e.owner, "silences"),
            f"{e.key} is a disposable-mail provider: its addresses are throw-away sign-ups. Keep the entry only "
            "if you never want such sign-ups in the CRM")
    mine = entries["domain"].isin(own)
    for o in own:
        mine |= entries["domain"].str.endswith("." + o)
    for e in entries[mine].itertuples(index=False):
        if e.kind == "domain":
            add("own_domain", "warning", e.list, e.owner, e.entry, blocks(e.entry, e.list, e.owner, "hides"),
                f"{e.domain} is your own domain: the entry hides every internal thread with it (colleagues get no "
                "contact record or timeline from these sends). Remove it unless internal mail must stay out")
        else:
            add("own_domain", "warning", e.list, e.owner, e.entry, blocks(e.entry, e.list, e.owner, "hides"),
                f"{e.key} is a colleague at your own domain {e.domain}; remove it unless mail to them must stay out")
    # A domain whose suffix is not a public suffix cannot receive mail (acme.con).
    for e in domains[domains["key"].map(suffix_of).isna()].itertuples(index=False):
        tld = e.key.rsplit(".", 1)[-1]
        add("typo", "error", e.list, e.owner, e.entry, f".{tld} is not a public suffix: no address can be on "
            f"{e.key}" + ("" if stats is None else f"; {blocks(e.entry, e.list, e.owner)}"),
            f"check the spelling of {e.key}; this entry blocks nobody")
    # Sub-domain entries grouped by registrable domain (*@mail.acme.co.uk beside *@acme.co.uk).
    reg_of = dict(zip(keys, keys.map(registrable_domain)))
    regs = domains.assign(reg=domains["key"].map(reg_of))
    regs = regs[regs["reg"].notna()]
    for (list_, owner, reg), g in regs.groupby(["list", "owner", "reg"], sort=True):
        subs = g[g["key"] != reg]
        if len(g) >= 2 and len(subs):
            names = ", ".join(sorted(g["entry"]))
            for e in subs.itertuples(index=False):
                parent = f"*@{reg}" if (g["key"] == reg).any() else None
                add("registrable_domain", "warning" if parent is None else "info", list_, owner, e.entry,
                    f"{len(g)} entries of the registrable domain {reg} on {_where(list_, owner)}: {names}",
                    f"{e.entry} is a sub-domain of {reg}; " + (
                        f"{parent} does not cover it (entries match a domain exactly), so both are needed"
                        if parent else f"one entry per domain is needed, or one *@{reg} if the whole domain is meant"))
    # Duplicates within a list; an entry on a personal list and on the team list.
    for lst in policy.lists:
        for d in lst.duplicates:
            add("duplicate", "info", lst.scope, lst.owner, str(d.entry),
                (f"line {d.line} repeats line {d.first_line}" if d.line is not None else "listed twice")
                + (f" ({d.text!r})" if d.text != str(d.entry) else ""),
                "delete the repeated line; HubSpot keeps one")
        for r in lst.redundant:
            add("redundant", "info", lst.scope, lst.owner, str(r.entry),
                (f"line {r.line}: " if r.line is not None else "") + f"{r.covered_by} on the same list already blocks it",
                f"delete {r.entry}: it spends one of the {lst.cap} places and changes nothing")
    team = entries[entries["list"] == "team"]
    personal = entries[entries["list"] == "personal"]
    on_team = personal["entry"].isin(team["entry"])
    covered = (personal["kind"] == "address") & personal["domain"].isin(team.loc[team["kind"] == "domain", "domain"])
    for e in personal[on_team].itertuples(index=False):
        add("duplicate", "info", "personal", e.owner, e.entry, "also on the team list, which governs this "
            "user's sends too", f"delete {e.entry} from the personal list of {e.owner}")
    for e in personal[covered & ~on_team].itertuples(index=False):
        add("redundant", "info", "personal", e.owner, e.entry, f"*@{e.domain} on the team list already "
            "blocks it", f"delete {e.entry} from the personal list of {e.owner}")
    # The same entry on many personal lists belongs on the team list.
    shared = personal[~on_team].groupby("entry")["owner"].agg(list)  # those on the team list are duplicates
    for entry, owners in shared[shared.map(len) >= settings.many_personal_lists].items():
        add("placement", "info", "personal", None, entry,
            f"on {len(owners)} personal lists: {', '.join(sorted(owners)[:3])}{' …' if len(owners) > 3 else ''}",
            f"put {entry} on the team list once and delete it from the {len(owners)} personal lists")
    # Cap pressure (what compaction frees is added from the history, when there is one).
    for lst in policy.lists:
        if len(lst) >= lst.cap * (1 - settings.cap_margin):
            over = lst.over_cap
            freed = [f"{len(lst.redundant)} redundant"] if lst.redundant else []
            if ev is not None:
                freed += _compaction_frees(ev, lst)
            add("cap_pressure", "error" if over else "warning", lst.scope, lst.owner, None,
                f"{len(lst)} of {lst.cap} entries" + (f", {over} over the cap" if over else
                                                      f", {lst.cap - len(lst)} places left"),
                ("compaction would free: " + "; ".join(freed) if freed else "compaction frees nothing here")
                + "; run export_lists() or `neverlog-sim export` to make it fit")


def _compaction_frees(ev: _Evidence, lst) -> list[str]:
    """What export compaction would free on ``lst``: zero-collateral domain consolidations, and the dead entries
    it would cut first (docs/rules.md#compaction)."""
    owner = lst.owner or ""
    out = []
    mine = ev.by_entry[(ev.by_entry["list"] == lst.scope) & (ev.by_entry["owner"] == owner)]
    by_domain = mine.loc[mine["kind"] == "address", "key"].str.split("@").str[1].value_counts()
    cand = by_domain[by_domain >= 2]
    if len(cand):
        history = History(ev.sent, ev.rules, {owner: list(lst.entries)})
        try:
            coll = history.collateral(pd.DataFrame({"owner": owner, "domain": list(cand.index)}))
        finally:
            history.close()
        clean = [d for d in cand.index if d not in set(coll["domain"])]
        if clean:
            saved = int(sum(cand[d] - 1 for d in clean))
            out.append(f"{saved} entries by {_n(len(clean), 'domain')} consolidated with no collateral "
                       f"(e.g. *@{sorted(clean)[0]})")
    dead = int((mine["rows"] == 0).sum())
    if dead:
        out.append(f"{dead} dead entries (cut first if it must)")
    return out


def _history_findings(policy: Policy, entries: pd.DataFrame, ev: _Evidence, settings: DoctorSettings, add,
                      found: list[dict]) -> None:
    """The findings only the history shows: dead entries, misses, typos of frequent domains, placement."""
    stats = ev.by_entry
    for r in stats[stats["rows"] == 0].itertuples(index=False):
        add("dead", "info", r.list, r.owner, r.entry, "matches no governed row in the history",
            "remove it if nobody expects to write there; it spends a place under the cap")
    # One team entry, one user: that user's personal list.
    single = stats[(stats["list"] == "team") & (stats["senders"] == 1) & (stats["rows"] > 0)]
    for r in single.itertuples(index=False):
        add("placement", "info", "team", None, r.entry,
            f"every match comes from {r.sender}: {_evidence_text(r.rows, r.recipients, r.examples)}",
            f"move {r.entry} to the personal list of {r.sender} and free a team place "
            "(it then no longer covers other users' future sends)")
    domains = entries[entries["kind"] == "domain"]
    if len(domains):
        misses = ev._run(sql.subdomain_misses(ev.rows, ev.matches, ev.parents, ev.entries_view)).df()
        for r in misses.itertuples(index=False):
            subs = ", ".join(r.domains)
            add("subdomain_miss", "warning", r.list, r.owner, r.entry,
                f"misses {_evidence_text(r.rows, r.recipients, r.examples)} on {subs}",
                f"entries match a domain exactly: add *@{r.domains[0]}" + (" and the others" if len(r.domains) > 1
                                                                          else "") + " to block them too")
        keys = pd.Series(domains["key"].unique(), dtype="object")
        groups = domains.assign(reg=domains["key"].map(dict(zip(keys, keys.map(registrable_domain)))))
        groups = groups[groups["reg"].notna() & (groups["reg"] != groups["key"])][["entry", "list", "owner", "key", "reg"]]
        if len(groups):
            reg = ev.frame("reg", groups, lambda v: sql.registrable_misses(ev.rows, ev.matches, ev.parents, v))
            regs = dict(zip(groups["entry"] + groups["list"] + groups["owner"], groups["reg"]))
            for r in reg.itertuples(index=False):
                g = regs[r.entry + r.list + r.owner]
                add("registrable_domain", "warning", r.list, r.owner, r.entry,
                    f"{g} is the registrable domain; the entry misses "
                    f"{_evidence_text(r.rows, r.recipients, r.examples)} on {', '.join(r.domains)}",
                    f"{r.entry} names one host of {g}: add *@{r.domains[0]}, or use *@{g} if the whole "
                    "organisation is meant")
        # A dead or nearly dead domain one edit away from a frequent one.
        cand = stats[(stats["kind"] == "domain")][["entry", "list", "owner", "key", "rows"]]
        cand = cand[cand["key"].map(dict(zip(keys, keys.map(provider)))).isna()]
        typos = {(f["entry"], f["list"], f["owner"] or ""): f for f in found if f["kind"] == "typo"}
        if len(cand):
            near = ev.frame("typo", cand, lambda v: sql.typo_neighbours(ev.rows, v),
                            {"min_rows": settings.typo_min_rows})
            for (entry, list_, owner), g in near.groupby(["entry", "list", "owner"], sort=False):
                top = g.iloc[0]
                if (entry, list_, owner) in typos:  # no public suffix, and one edit from a frequent domain
                    typos[(entry, list_, owner)]["suggestion"] = f"did you mean *@{top.rdomain}?"
                    continue
                mine = int(cand[(cand["entry"] == entry) & (cand["list"] == list_) & (cand["owner"] == owner)]["rows"].iloc[0])
                add("typo", "error", list_, owner, entry,
                    f"{entry[2:]} has {_n(mine, 'row')}; {top.rdomain}, one letter away, has "
                    f"{_n(int(top.rows), 'row')} of {_n(int(top.recipients), 'recipient')}",
                    f"did you mean *@{top.rdomain}?")
    addresses = entries[entries["kind"] == "address"]
    if len(addresses):
        plus = ev._run(sql.plus_variants(ev.rows, ev.matches, ev.entries_view)).df()
        for r in plus.itertuples(index=False):
            add("plus_variant", "warning", r.list, r.owner, r.entry,
                f"misses {_evidence_text(r.rows, r.recipients, r.examples)}",
                "an address entry matches that exact address (docs/rules.md#normalisation): add each variant, "
                f"or *@{r.entry.split('@')[1]} if the whole domain is meant")
