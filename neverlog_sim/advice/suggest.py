"""The list advisor: entries the history supports, each with its reason and its impact, as a policy that fits.

Reasons, in the order proposed:

- ``own_domain``: the company's own domains (given, or the domains users send from): internal mail
  between colleagues, which creates contact records for your own staff;
- ``internal``: sub-domains of the own domains the history writes to (``eu.acme.com``);
- ``automated``: the machines users exchange mail with — ``noreply@``, ``notifications@``, ``alerts@``
  and the like, as address entries, or as ``*@domain`` for a mailer domain (a known bulk-mail
  service, or a domain where every address in the history is automated);
- ``personal_correspondent``: a free-mail address one user alone writes to and no CRM send ever
  went to — family and friends — as an entry on that user's personal list.

Impact is measured by simulating the suggested policy on the history: governed rows and recipients
each entry blocks, and the contact records it keeps from being created (docs/rules.md#contact-records).

>>> s = suggest(load_sent("sent.csv"))  # doctest: +SKIP
>>> simulate(sent, s.policy())          # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from ..engine import sql
from ..errors import InputError
from ..lists import CAP, TEAM_OWNER, NeverLogList, Policy
from ..rules import Rules, get_rules
from ..simulate import params, simulate
from .doctor import _sent, own_domains_of
from .domains import AUTOMATED_LOCAL_PART, MAILER_DOMAINS, free_mail_domains
from .findings import dumps, html_table, records

__all__ = ["suggest", "Suggestions", "REASONS", "COLUMNS"]

REASONS = ("own_domain", "internal", "automated", "personal_correspondent")
COLUMNS = ["entry", "list", "owner", "reason", "rows", "recipients", "contacts_not_created", "evidence", "in_policy"]
_WHY = {"own_domain": "your own domain: internal mail between colleagues",
        "internal": "a sub-domain of your own domain",
        "automated": "an automated mailbox",
        "automated_domain": "a mailer domain: every address there is a machine",
        "personal_correspondent": "free-mail address only {owner} writes to, never in a CRM send"}


class Suggestions:
    """Candidate entries: ``table`` (``entry, list, owner, reason, rows, recipients, contacts_not_created,
    evidence, in_policy``); ``policy()`` the ones that fit the caps, as a ``Policy``.

    >>> from neverlog_sim import simulate, suggest
    >>> suggestions = suggest("sent.csv")                               # doctest: +SKIP
    >>> suggestions.table.groupby("reason").size()                      # doctest: +SKIP
    >>> simulate("sent.csv", suggestions.policy()).summary()            # doctest: +SKIP
    """

    def __init__(self, table: pd.DataFrame, *, own_domains: list[str], own_domains_source: str, rules: str,
                 cap: int, history: str):
        self.table = table.reset_index(drop=True)
        self.own_domains = own_domains
        self.own_domains_source = own_domains_source
        self.rules = rules
        self.cap = cap
        self.history = history

    def __len__(self) -> int:
        return len(self.table)

    def policy(self) -> Policy:
        """The suggested entries that fit the caps (the most rows first on each list), as a ``Policy`` for
        ``simulate()`` and ``export_lists()``."""
        kept = self.table[self.table["in_policy"].astype(bool)]
        team = list(kept.loc[kept["list"] == "team", "entry"])
        personal = {o: NeverLogList(list(g["entry"]), "personal", o)
                    for o, g in kept[kept["list"] == "personal"].groupby("owner", sort=True)}
        return Policy(team=team, personal=personal)

    def to_dict(self) -> dict:
        t = self.table
        return {"suggestions": len(t), "in_policy": int(t["in_policy"].sum()),
                "by_reason": {r: int((t["reason"] == r).sum()) for r in REASONS if (t["reason"] == r).any()},
                "own_domains": self.own_domains, "own_domains_source": self.own_domains_source,
                "rules": self.rules, "cap": self.cap, "history": self.history, "entries": records(t)}

    def to_json(self) -> str:
        """The suggestions as JSON: counts by reason, what was assumed, and one object per entry."""
        return dumps(self.to_dict())

    def _headline(self) -> str:
        t = self.table
        kept = t[t["in_policy"].astype(bool)]
        return (f"{len(t):,} suggested entries ({len(kept):,} fit the caps); together they block "
                f"{int(kept['rows'].sum()):,} rows and keep "
                f"{int(kept['contacts_not_created'].sum()):,} contact records from being created")

    def __repr__(self) -> str:
        lines = [f"<Suggestions {self._headline()}>"]
        for r in records(self.table.head(40)):
            where = "team" if r["list"] == "team" else f"personal {r['owner']}"
            lines.append(f"  {r['reason']:<22} {where:<40} {r['entry']:<34} {r['rows']:>6,} rows  {r['evidence']}")
        if len(self.table) > 40:
            lines.append(f"  … {len(self.table) - 40:,} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<div class='neverlog-suggestions'><b>Suggested entries</b>: {self._headline()} "
                f"(own domains: {', '.join(self.own_domains) or 'none'}, {self.own_domains_source})"
                + (html_table(self.table) if len(self) else "") + "</div>")


def _candidates(cp: pd.DataFrame, own: list[str]) -> pd.DataFrame:
    """The candidate entries from the per-address counterparts table (pandas on one row per address)."""
    dom = cp["domain"].fillna("")
    is_own = dom.isin(own)
    under_own = pd.Series(False, index=cp.index)
    for o in own:
        under_own |= dom.str.endswith("." + o)
    out = []
    # Own domains and their sub-domains (written to, or writing in).
    for o in own:
        mask = dom == o
        out.append(pd.DataFrame({"entry": [f"*@{o}"], "list": "team", "owner": TEAM_OWNER, "reason": "own_domain",
                                 "why": _WHY["own_domain"], "present": bool(mask.any())}))
    subs = sorted(set(dom[under_own]))
    if subs:
        out.append(pd.DataFrame({"entry": [f"*@{d}" for d in subs], "list": "team", "owner": TEAM_OWNER,
                                 "reason": "internal", "why": _WHY["internal"], "present": True}))
    # Automated counterparts: a mailer domain as one entry, else each address.
    auto = cp[(cp["automated"] | cp["domain"].isin(MAILER_DOMAINS)) & ~is_own & ~under_own]
    mailer = auto["domain"].isin(MAILER_DOMAINS) | (
        (auto["domain_automated"] == auto["domain_addresses"]) & (auto["domain_addresses"] >= 2) & ~auto["free_mail"])
    doms = sorted(set(auto.loc[mailer, "domain"]))
    if doms:
        out.append(pd.DataFrame({"entry": [f"*@{d}" for d in doms], "list": "team", "owner": TEAM_OWNER,
                                 "reason": "automated", "why": _WHY["automated_domain"], "present": True}))
    singles = sorted(auto.loc[~mailer, "address"])
    if singles:
        out.append(pd.DataFrame({"entry": singles, "list": "team", "owner": TEAM_OWNER, "reason": "automated",
                                 "why": _WHY["automated"], "present": True}))
    # Personal correspondents: free mail, one user, never in a CRM send.
    pc = cp[cp["free_mail"] & cp["written_to"] & (cp["users"] == 1) & ~cp["crm"] & ~cp["automated"]
            & ~is_own & ~under_own]
    if len(pc):
        out.append(pd.DataFrame({"entry": pc["address"].to_numpy(), "list": "personal",
                                 "owner": pc["user_address"].to_numpy(), "reason": "personal_correspondent",
                                 "why": [_WHY["personal_correspondent"].format(owner=o) for o in pc["user_address"]],
                                 "present": True}))
    if not out:
        return pd.DataFrame(columns=["entry", "list", "owner", "reason", "why", "present"])
    frame = pd.concat(out, ignore_index=True)
    return frame[frame["present"]].drop_duplicates(["entry", "list", "owner"]).reset_index(drop=True)


def suggest(sent: "SentMail | str | Path | pd.DataFrame", *, own_domains: "list[str] | None" = None,
            rules: "str | Rules" = "seed-2023", contacts: "str | Path | pd.DataFrame | None" = None,
            cap: int = CAP) -> Suggestions:
    """Propose Never Log entries the history supports, with their reasons and impact.

    Parameters: ``sent`` the history (a ``SentMail`` or anything ``load_sent`` reads); ``own_domains``
    the company's domains (default: the domains users send from, free-mail providers left out);
    ``rules`` the rule profile the impact is measured with; ``contacts`` a contacts table
    (``email, created_at``) for exact "contacts not created" figures; ``cap`` entries per list.

    ``suggestions.policy()`` keeps, on each list, the ``cap`` entries that block the most rows.

    >>> from neverlog_sim.samples import sample_path
    >>> suggest(sample_path("sent_canonical.csv")).policy()             # doctest: +SKIP
    """
    if sent is None:
        raise InputError("suggest() needs the sent-mail history: the suggestions come from it")
    sent = _sent(sent)
    rules = get_rules(rules)
    own, own_source = own_domains_of(sent, own_domains)
    free = pd.DataFrame({"domain": sorted(free_mail_domains())}, dtype="object")
    binds = {**params(rules), "automated": AUTOMATED_LOCAL_PART}
    statement = sql.counterparts(sent.table, "advice_free_mail")
    with sent.engine.registered("advice_free_mail", free):
        cp = sent.engine.df(statement, {k: v for k, v in binds.items() if f"${k}" in statement})
    cand = _candidates(cp, own)
    table = _impact(sent, cand, rules, contacts, cap)
    return Suggestions(table, own_domains=own, own_domains_source=own_source, rules=rules.name, cap=cap,
                       history=sent.source)


def _impact(sent, cand: pd.DataFrame, rules: Rules, contacts, cap: int) -> pd.DataFrame:
    """Rows, recipients and contacts not created per candidate, from one simulation of all of them."""
    if cand.empty:
        types = {"rows": "int64", "recipients": "int64", "contacts_not_created": "int64", "in_policy": "bool"}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, "object")) for c in COLUMNS})
    personal = {o: list(g["entry"]) for o, g in cand[cand["list"] == "personal"].groupby("owner", sort=True)}
    policy = Policy(team=list(cand.loc[cand["list"] == "team", "entry"]), personal=personal)
    result = simulate(sent, policy, rules=rules, contacts=contacts)
    try:
        ent = result.entries
        ent = ent[ent["policy"] == "candidate"][["entry", "list", "owner", "responsible_rows", "recipients", "senders"]]
        rec = result.recipients
        blocked = rec[rec["blocked_after"]]
        first = blocked.groupby("recipient", sort=False)[["blocked_by", "blocked_by_list"]].first()
        gone = result.contacts.loc[result.contacts["change"] == "not_created", "contact"]
        lost = first[first.index.isin(gone)].groupby(["blocked_by", "blocked_by_list"]).size()
        examples = (blocked.groupby(["blocked_by", "recipient"]).size().rename("n").reset_index()
                    .sort_values(["blocked_by", "n", "recipient"], ascending=[True, False, True])
                    .groupby("blocked_by")["recipient"].agg(lambda s: list(s)[:3]))
    finally:
        result.close()
    table = cand.merge(ent, on=["entry", "list", "owner"], how="left")
    table["rows"] = table["responsible_rows"].fillna(0).astype("int64")
    table["recipients"] = table["recipients"].fillna(0).astype("int64")
    table["contacts_not_created"] = [int(lost.get((e, l), 0)) for e, l in zip(table["entry"], table["list"])]
    table["evidence"] = [
        f"{why}: {r:,} row{'' if r == 1 else 's'} to {n:,} recipient{'' if n == 1 else 's'}" + (f" (e.g. {', '.join(examples[e])})"
                                                    if e in examples.index and e.startswith("*@") else "")
        for why, r, n, e in zip(table["why"], table["rows"], table["recipients"], table["entry"])]
    table = table[table["rows"] > 0]
    order = {r: i for i, r in enumerate(REASONS)}
    table = table.assign(_r=table["reason"].map(order), _o=table["owner"].fillna(""))
    table = table.sort_values(["list", "_o", "rows", "entry"], ascending=[False, True, False, True], kind="stable")
    table["in_policy"] = table.groupby(["list", "_o"]).cumcount() < cap
    table = table.sort_values(["_r", "_o", "rows", "entry"], ascending=[True, True, False, True], kind="stable")
    return table[COLUMNS].reset_index(drop=True)
