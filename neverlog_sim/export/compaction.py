"""Compaction for ``export_lists`` (docs/rules.md#compaction): the four steps that make wanted lists fit the cap.

Steps, in order: (1) normalise, drop duplicates and redundant entries; (2) consolidate a domain's
address entries into ``*@domain`` with the least collateral (``choose_consolidations``); (3) move
entries only one user's sends ever hit to that user's personal list; (4) keep the entries with
the most historical impact and cut the rest, listing each. Everything that reads the history is
set-based in DuckDB; the choice of consolidations is a small knapsack over domains.

In this module a list is keyed by its owner: ``""`` is the team list, an address a personal list.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..engine import sql
from ..entries import Entry, classify_recipient
from ..lists import TEAM_OWNER, Policy
from ..simulate import contact_rows_table, params

TEAM = TEAM_OWNER  # the team list's owner in every table: ""
DP_CELLS = 20_000_000  # items × (entries to save + 1) above which the exact DP gives way to greedy
MOVE_NOTE = "no longer covers other users' future sends"
_counter = itertools.count(1)


# --- the history, seen through one rule profile ---------------------------------------------------

def entries_frame(lists: dict[str, list[Entry]] | dict[str, set[Entry]]) -> pd.DataFrame:
    """One row per entry: ``entry, kind, key, domain, list, owner`` (owner ``""`` for the team list)."""
    recs = [(str(e), e.kind, e.address or e.domain, e.domain, "team" if o == TEAM else "personal", o)
            for o in sorted(lists) for e in sorted(lists[o], key=str)]
    return pd.DataFrame(recs, columns=["entry", "kind", "key", "domain", "list", "owner"], dtype="object")


def policy_lists(policy: Policy) -> dict[str, list[Entry]]:
    return {TEAM: list(policy.team.entries), **{o: list(l.entries) for o, l in policy.personal.items()}}


class History:
    """Compaction queries over a ``SentMail``'s DuckDB rows, for one rule profile; ``close()`` drops its tables."""

    def __init__(self, sent, rules, wanted: dict[str, list[Entry]]):
        # Profile 2026: an incoming email's contact is its sender (docs/rules.md#incoming-email-in-2026).
        self.sent, self.engine = sent, sent.engine
        self.rows = contact_rows_table(sent) if rules.governs_inbound else sent.table
        self.binds = params(rules)
        self.prefix = f"export{next(_counter)}"
        self._tables: list[str] = []
        self.wanted = self.matches(entries_frame(wanted), "wanted")

    def _run(self, statement: str):
        used = {k: v for k, v in self.binds.items() if f"${k}" in statement}
        return self.engine.execute(statement, used)

    def _with(self, frame: pd.DataFrame, name: str, statement):
        view = f"{self.prefix}_{name}_df"
        with self.engine.registered(view, frame.astype("object")):
            return statement(view)

    def matches(self, frame: pd.DataFrame, name: str) -> str:
        out = f"{self.prefix}_{name}_{next(_counter)}"
        self._with(frame, name, lambda v: self._run(sql.matches_sql(self.rows, v, out)))
        self._tables.append(out)
        return out

    def impact(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``entry, list, owner, rows, recipients, senders, sender`` for each entry of ``frame``."""
        m = self.matches(frame, "impact")
        return self._with(frame, "impact", lambda v: self._run(sql.impact_sql(m, v)).df())

    def collateral(self, candidates: pd.DataFrame) -> pd.DataFrame:
        """``owner, domain, recipient, rows`` for candidate consolidations ``owner, domain``."""
        return self._with(candidates, "cand", lambda v: self._run(sql.collateral_sql(self.rows, self.wanted, v)).df())

    def claims(self, final: pd.DataFrame) -> dict:
        """What the final lists block against the wanted ones: totals, collateral, rows no longer blocked."""
        m = self.matches(final, "final")
        rows, recipients, lost_rows, lost_recipients = (int(x) for x in self._run(sql.totals_sql(m, self.wanted)).fetchone())
        coll = self._run(sql.newly_blocked_sql(m, self.wanted)).df()
        return {"rows_blocked": rows, "recipients_blocked": recipients,
                "rows_no_longer_blocked": lost_rows, "recipients_no_longer_blocked": lost_recipients,
                "collateral": [{"recipient": r, "rows": int(n), "entry": e} for r, n, e in coll.itertuples(index=False)]}

    def close(self) -> None:
        for t in self._tables:
            self.engine.run(sql.drop(t))
        self._tables.clear()


def differences(sim, claims: dict, kept: pd.DataFrame) -> list[str]:
    """Where the claims (``History.claims``, per-entry impact of ``kept``) differ from a re-simulation whose
    baseline is the wanted policy and candidate the exported one; an empty list when they all agree."""
    rec = sim.recipients[["recipient", "blocked_before", "blocked_after"]]
    after, before = rec["blocked_after"], rec["blocked_before"]
    seen = {"rows_blocked": int(after.sum()), "recipients_blocked": int(rec.loc[after, "recipient"].nunique()),
            "rows_no_longer_blocked": int((before & ~after).sum()),
            "recipients_no_longer_blocked": int(rec.loc[before & ~after, "recipient"].nunique())}
    problems = [f"{k}: manifest says {claims[k]:,}, simulation says {v:,}" for k, v in seen.items() if claims[k] != v]
    coll = rec[after & ~before].groupby("recipient").size().to_dict()
    claimed = {c["recipient"]: c["rows"] for c in claims["collateral"] if c["rows"]}
    if coll != claimed:
        problems.append(f"collateral: manifest names {len(claimed)} recipients ({sum(claimed.values())} rows), "
                        f"simulation finds {len(coll)} ({sum(coll.values())} rows)")
    ent = sim.entries[sim.entries["policy"] == "candidate"]

    def per_entry(df):
        return {(e, o): (int(r), int(n)) for e, o, r, n in df[["entry", "owner", "rows", "recipients"]].itertuples(index=False)}
    got, want = per_entry(ent), per_entry(kept)
    if got != want:
        bad = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))[:5]
        problems.append(f"rows/recipients per entry differ for {bad}")
    return problems


# --- step 2: which domains to consolidate ----------------------------------------------------------

def choose_consolidations(items: pd.DataFrame, needed: int, budget: int) -> tuple[list[str], dict]:
    """Pick domains to consolidate: the least collateral that saves ``needed`` entries, within ``budget``.

    Parameters: ``items`` one row per domain with ``domain``, ``saves`` (n_d − 1 entries saved by
    replacing its n_d address entries with ``*@domain``), ``collateral`` (c_d, distinct other
    recipients it would block) and ``rows`` (their rows); ``needed`` entries to save;
    ``budget`` the total collateral recipients allowed across all consolidations.

    Objective, in this order: least total collateral recipients, then collateral rows, then
    fewest consolidations (each domain entry also covers future strangers) — subject to total
    collateral ≤ budget and total saves ≥ needed. When no choice reaches ``needed`` within the
    budget, the most entries that can be saved within it, then the same order.

    Algorithm and why it is optimal:

    * Zero-collateral domains cost nothing. If they alone save enough, take them largest saving
      first: every one has cost (0, 0, 1), so the fewest that reach ``needed`` are the largest
      (exchange argument) — optimal on all three criteria.
    * Otherwise this is a minimum-cost covering knapsack. An exact dynamic programme over
      "entries saved so far", capped at ``needed`` (state j < needed means exactly j saved;
      state ``needed`` means at least that many), keeps for every state the least cost
      (collateral, rows, count), encoded as one integer ``(c·(R+1) + r)·(N+1) + 1`` that orders
      like the tuple (R, N: total rows and item count). Each item is considered once (0/1),
      so after item i every state holds the minimum over all subsets of the first i items —
      the standard knapsack induction; the answer is state ``needed`` if its collateral is
      within budget, else the largest state that is. O(N·needed) time; a boolean table
      N×(needed+1) is kept to recover the choice.
    * If that table would exceed ``DP_CELLS``, all zero-collateral domains are taken (that
      never raises collateral or rows, and leaves the least to cover) and the DP runs over the
      rest: still optimal for collateral and rows, not for the count tie-break.
    * If even that is too large, greedy by collateral per entry saved: no constant-factor
      guarantee is claimed; the returned ``collateral_lower_bound`` (the LP relaxation, a
      certified lower bound for this instance) says how far from optimal it can be.

    The brute-force test in tests/test_export.py checks the exact paths against every subset.

    >>> items = pd.DataFrame({"domain": ["a.com", "b.com"], "saves": [5, 2], "collateral": [1, 0], "rows": [3, 0]})
    >>> choose_consolidations(items, 2, budget=0)[0]
    ['b.com']
    """
    info = {"needed": int(max(needed, 0)), "budget": int(budget), "algorithm": "none", "optimal": True}
    items = items[(items["collateral"] <= budget) & (items["saves"] > 0)].sort_values("domain", kind="stable")
    if needed <= 0 or items.empty:
        return [], info
    zero = items[items["collateral"] == 0].sort_values(["saves", "domain"], ascending=[False, True], kind="stable")
    if int(zero["saves"].sum()) >= needed:
        reach = np.searchsorted(np.cumsum(zero["saves"].to_numpy()), needed) + 1
        return sorted(zero["domain"].iloc[:reach]), {**info, "algorithm": "zero-collateral, largest first"}
    if len(items) * (needed + 1) <= DP_CELLS:
        chosen = _dp(items, needed, budget)
        return sorted(chosen), {**info, "algorithm": "exact dynamic programme"}
    pos = items[items["collateral"] > 0]
    rest = needed - int(zero["saves"].sum())
    if len(pos) * (rest + 1) <= DP_CELLS:
        chosen = list(zero["domain"]) + _dp(pos, rest, budget)
        return sorted(chosen), {**info, "algorithm": "zero-collateral first, then exact dynamic programme",
                                "note": "optimal for collateral recipients and rows; not for the number of consolidations"}
    return _greedy(items, needed, budget, info)


def _dp(items: pd.DataFrame, target: int, budget: int) -> list[str]:
    saves = items["saves"].to_numpy(dtype=np.int64)
    coll = items["collateral"].to_numpy(dtype=np.int64)
    rows = items["rows"].to_numpy(dtype=np.int64)
    n, big_r = len(items), int(rows.sum())
    unit = (big_r + 1) * (n + 1)
    if (int(coll.sum()) + 1) * unit >= 2 ** 61:  # keep the integer encoding inside int64: drop the rows tie-break
        unit, rows = n + 1, np.zeros_like(rows)
    cost = coll * unit + rows * (n + 1) + 1
    inf = np.int64(2 ** 62)
    best = np.full(target + 1, inf, dtype=np.int64)
    best[0] = 0
    take = np.zeros((n, target + 1), dtype=bool)
    top_from = np.zeros(n, dtype=np.int64)
    for i in range(n):
        s = int(saves[i])
        cand = np.full(target + 1, inf, dtype=np.int64)
        if s < target:
            cand[s:target] = best[: target - s]
        lo = max(0, target - s)
        top_from[i] = lo + int(np.argmin(best[lo:]))
        cand[target] = best[top_from[i]]
        cand = np.where(cand < inf, cand + cost[i], inf)
        better = cand < best
        take[i] = better
        best = np.where(better, cand, best)
    feasible = np.nonzero((best < inf) & (best // unit <= budget))[0]
    t = int(feasible.max())
    chosen = []
    for i in range(n - 1, -1, -1):
        if t and take[i, t]:
            chosen.append(items["domain"].iloc[i])
            t = int(top_from[i]) if t == target else t - int(saves[i])
    return chosen


def _greedy(items: pd.DataFrame, needed: int, budget: int, info: dict) -> tuple[list[str], dict]:
    df = items.assign(ratio=items["collateral"] / items["saves"], rrows=items["rows"] / items["saves"])
    df = df.sort_values(["ratio", "rrows", "domain"], kind="stable")
    chosen, saved, spent = [], 0, 0
    for domain, s, c in zip(df["domain"], df["saves"], df["collateral"]):
        if saved >= needed:
            break
        if spent + c <= budget:
            chosen.append(domain)
            saved, spent = saved + int(s), spent + int(c)
    # LP relaxation (fractional items, budget ignored): no choice saving `needed` costs less.
    lb, left = 0.0, needed
    for s, c in zip(df["saves"], df["collateral"]):
        if left <= 0:
            break
        part = min(1.0, left / s)
        lb, left = lb + part * c, left - s
    return sorted(chosen), {**info, "algorithm": "greedy by collateral per entry saved", "optimal": False,
                            "collateral_lower_bound": int(math.ceil(lb - 1e-9)) if left <= 0 else None}


def consolidate(lists: dict[str, list[Entry]], history: History, cap: int, budget: int) -> tuple[list[dict], list[dict]]:
    """Step 2, in place: consolidations made (with collateral by name) and a record per list over the cap.

    The budget is shared: the team list draws on it first, then personal lists by owner.
    """
    frame = entries_frame(lists)
    over = [o for o in sorted(lists) if len(lists[o]) > cap]
    addr = frame[(frame["kind"] == "address") & frame["owner"].isin(over)]
    cand = addr.groupby(["owner", "domain"], sort=True).size().rename("n").reset_index()
    cand = cand[cand["n"] >= 2]
    if cand.empty:
        return [], [{"owner": o, "needed": len(lists[o]) - cap, "algorithm": "none",
                     "note": "no domain has two or more address entries"} for o in over]
    coll = history.collateral(cand[["owner", "domain"]])
    per = coll.groupby(["owner", "domain"]).agg(collateral=("recipient", "size"), rows=("rows", "sum")).reset_index()
    cand = cand.merge(per, on=["owner", "domain"], how="left").fillna({"collateral": 0, "rows": 0})
    cand = cand.astype({"collateral": "int64", "rows": "int64", "n": "int64"}).assign(saves=lambda d: d["n"] - 1)
    done, records, left = [], [], budget
    for owner in over:
        items = cand[cand["owner"] == owner].set_index("domain")
        chosen, info = choose_consolidations(items.reset_index(), len(lists[owner]) - cap, left)
        records.append({"owner": owner, **info})
        chosen_set = set(chosen)
        replaced: dict[str, list[str]] = {}
        for e in lists[owner]:
            if e.kind == "address" and e.domain in chosen_set:
                replaced.setdefault(e.domain, []).append(str(e))
        lists[owner] = [e for e in lists[owner] if not (e.kind == "address" and e.domain in chosen_set)]
        lists[owner] += [Entry(d) for d in chosen]
        who = coll[coll["owner"] == owner].groupby("domain")
        names = {d: list(zip(g["recipient"], g["rows"])) for d, g in who}
        for domain in chosen:
            row = items.loc[domain]
            left -= int(row["collateral"])
            done.append({"list": "team" if owner == TEAM else "personal", "owner": owner or None,
                         "domain": domain, "entry": f"*@{domain}", "replaced": sorted(replaced[domain]),
                         "saves": int(row["saves"]),
                         "collateral_recipients": [{"recipient": r, "rows": int(n)} for r, n in names.get(domain, [])],
                         "collateral_rows": int(row["rows"])})
    return done, records


# --- step 3: entries only one user's sends ever hit ---------------------------------------------------

def move_personal(lists: dict[str, list[Entry]], history: History, cap: int, safe_owner) -> list[dict]:
    """Step 3, in place: move team entries whose outbound matches all come from one sender to that
    sender's personal list, strongest evidence (most rows) first, only as many as the team list is
    over the cap, and only while the personal list stays within its own cap."""
    need = len(lists.get(TEAM, [])) - cap
    if need <= 0:
        return []
    imp = history.impact(entries_frame({TEAM: lists[TEAM]}))
    imp = imp[imp["senders"] == 1].sort_values(["rows", "recipients", "entry"], ascending=[False, False, True],
                                               kind="stable")
    by_text = {str(e): e for e in lists[TEAM]}
    moves = []
    for text, rows, recipients, sender in zip(imp["entry"], imp["rows"], imp["recipients"], imp["sender"]):
        if len(moves) >= need:
            break
        if classify_recipient(sender)[0] != sender or not safe_owner(sender):
            continue
        e, target = by_text[text], list(lists.get(sender, []))
        covered = e in target or (e.kind == "address" and Entry(e.domain) in target)
        dropped = [x for x in target if e.kind == "domain" and x.kind == "address" and x.domain == e.domain]
        if not covered:
            if len(target) - len(dropped) + 1 > cap:
                continue
            target = [x for x in target if x not in dropped] + [e]
        lists[sender] = target
        lists[TEAM] = [x for x in lists[TEAM] if x != e]
        moves.append({"entry": text, "from": "team", "to": sender, "rows": int(rows), "recipients": int(recipients),
                      "already_covered": covered, "replaced": sorted(str(x) for x in dropped), "note": MOVE_NOTE})
    return moves


# --- step 4: keep the most impact ---------------------------------------------------------------------

def rank(lists: dict[str, list[Entry]], history: History | None, cap: int) -> pd.DataFrame:
    """Every entry with its impact and rank in its list; ``kept`` is False for those beyond the cap."""
    frame = entries_frame(lists)
    if history is not None:
        imp = history.impact(frame)[["entry", "owner", "rows", "recipients"]]
        frame = frame.merge(imp, on=["entry", "owner"], how="left")
    else:
        frame = frame.assign(rows=0, recipients=0)
    frame = frame.astype({"rows": "int64", "recipients": "int64"})
    frame = frame.sort_values(["owner", "rows", "recipients", "entry"], ascending=[True, False, False, True],
                              kind="stable").reset_index(drop=True)
    frame["rank"] = frame.groupby("owner").cumcount() + 1
    frame["kept"] = frame["rank"] <= cap
    return frame
