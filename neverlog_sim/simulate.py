"""simulate(): run a baseline and a candidate policy over the same sent mail, set-based in DuckDB."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .engine import one_row, sql
from .history import SentMail, _progress, load_contacts, load_sent, load_tracking
from .errors import ArgumentError, quote
from .lists import TEAM_OWNER, NeverLogList, Policy, entry_record
from .results import SimulationResult
from .rules import CHANNELS, INBOUND_CHANNELS, Rules, get_rules

if TYPE_CHECKING:
    from .scenario import Scenario

_counter = itertools.count(1)


def as_policy(value, what: str) -> Policy:
    """Accept a Policy, a team NeverLogList, text / iterable of entries (team list), or a policy folder."""
    if isinstance(value, Policy):
        return value
    if value is None:
        return Policy()
    if isinstance(value, NeverLogList):
        if value.scope == "personal":
            return Policy(personal={value.owner: value})
        return Policy(team=value)
    if isinstance(value, (str, Path)) and Path(str(value)).is_dir():
        return Policy.from_dir(value)
    try:
        return Policy(team=value)
    except ArgumentError:
        raise ArgumentError(f"{what} must be a Policy, a NeverLogList, entries (a list of strings such as "
                            f"['*@rival.com']), list text, a list file or a policy folder; got "
                            f"{type(value).__name__} {quote(value)}") from None


def _entries_frame(baseline: Policy, candidate: Policy) -> pd.DataFrame:
    frames = []
    for scenario, policy in (("baseline", baseline), ("candidate", candidate)):
        df = policy.entries_frame()
        df.insert(0, "scenario", scenario)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    # Responsibility (docs/rules.md#responsible-entry) by one integer: the list-and-kind priority, then the longer
    # (more specific) key first; keys are at most 254 characters.
    df["rank"] = (df["priority"].astype("int32") * 1000 - df["key"].str.len().fillna(0).astype("int32")).astype("int32")
    return df.astype({"scenario": "object", "entry": "object", "kind": "object", "key": "object",
                      "list": "object", "owner": "object"})


def params(rules: Rules) -> dict:
    """The named parameters every simulation statement binds (see neverlog_sim.sql.simulation)."""
    # Bits of the load-time recipient profile (2 * channel code + log toggle) whose sends make a
    # contact record exist with no list in force: any crm send (A4), a logged send on a creating channel.
    mask = 0
    for code, channel in enumerate(CHANNELS):
        if channel == "crm" and rules.crm_implies_contact:
            mask |= 0b11 << (2 * code)
        if channel in rules.creating_channels:
            mask |= 1 << (2 * code + 1)
    creating = set(rules.creating_channels)
    if rules.client_creates and rules.logs_client:
        creating.add("client")  # A6 what-if: a logged, unblocked client send creates the record
    return {
        "applies": sorted(rules.applies), "roles": sorted(rules.roles), "known": list(CHANNELS),
        "unknown": rules.unknown_channel_applies, "creating": sorted(creating),
        "crm": rules.crm_implies_contact, "history_mask": mask,
        "inbound": rules.governs_inbound, "in_channels": list(INBOUND_CHANNELS),
        "silent": [] if rules.logs_client else ["client"],
    }


def simulate(sent: "SentMail | str | Path | pd.DataFrame", candidate: "Policy | NeverLogList | Iterable[str] | str | Path | None" = None,
             *, baseline: "Policy | NeverLogList | Iterable[str] | str | Path | None" = None,
             rules: "str | Rules | None" = None, contacts: "str | Path | pd.DataFrame | None" = None,
             tracking: "str | Path | pd.DataFrame | None" = None,
             scenario: "Scenario | str | Path | None" = None, incremental: bool = True,
             progress: bool = True) -> SimulationResult:
    """Compare a baseline policy (empty by default) with a candidate over the same sent mail.

    Parameters: ``sent`` a ``SentMail`` (or anything ``load_sent`` reads); ``candidate`` and
    ``baseline`` a ``Policy`` (or team-list entries); ``rules`` a profile name (``"seed-2023"``, the default,
    ``"2025"``, ``"2026"``) or ``Rules``; ``contacts`` (``email, created_at``) and ``tracking``
    (``message_id, recipient, event, occurred_at``) as DataFrames or files; ``scenario`` a ``Scenario``
    or a scenario file (``.json``/``.toml``: lists, profile, assumptions) in place of ``candidate``,
    ``baseline`` and ``rules`` — the result records it (``result.scenario``).

    A what-if is answered incrementally: when a policy a few entries away from one already simulated
    (and its ``metrics()`` read) on this history, with the same rules, contacts and tracking, is
    simulated, only the recipients the changed entries match are re-counted (a team domain entry
    added or removed is read from a per-history table instead), and ``metrics()`` is ready at once;
    the tables are built in full when first read. Profile 2026's ``replies_only`` rule
    and the sub-domain what-if (A2) always simulate in full (see "what-ifs" in simulate.py), as does
    every simulation on Spark;
    ``incremental=False`` does too. ``progress`` shows a bar over the simulation's steps when they
    run longer than about a second (``progress=False`` hides it).

    >>> result = simulate(sent, Policy(team=["*@rival.com"]))  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    if not isinstance(sent, (SentMail, str, Path, pd.DataFrame)):
        raise ArgumentError(f"simulate(): sent must be a SentMail (from load_sent), a path or a DataFrame; got "
                            f"{type(sent).__name__} {quote(sent)}")
    if scenario is not None:
        from .errors import InputError
        from .scenario import Scenario, read_scenario
        if not isinstance(scenario, Scenario):
            scenario = read_scenario(scenario)
        given = [name for name, v in (("candidate", candidate), ("baseline", baseline), ("rules", rules)) if v is not None]
        if given:
            raise InputError(f"simulate(scenario=...) takes the lists and rules from the scenario; "
                             f"leave out {', '.join(given)}")
        candidate, baseline, rules = scenario.candidate, scenario.baseline, scenario.rules
    rules = get_rules("seed-2023" if rules is None else rules)
    candidate = as_policy(candidate, "simulate(): candidate")
    baseline = as_policy(baseline, "simulate(): baseline")
    if not isinstance(sent, SentMail):
        sent = load_sent(sent)
    # DataFrames go through the loaders too: they turn text and zoned dates into UTC timestamps
    # and report a bad date with its row, where DuckDB would fail later with a bare type error.
    contacts_df = None if contacts is None else load_contacts(contacts)
    if tracking is None:
        tracking = sent.tracking
    tracking_df = None if tracking is None else load_tracking(tracking)

    engine = sent.engine
    p = f"sim{next(_counter)}"
    binds = params(rules)

    def run(statement: str, bind: bool = True, extra: dict | None = None):
        used = {k: v for k, v in binds.items() if f"${k}" in statement}
        return engine.execute(statement, {**used, **(extra or {})} if bind else None)

    # Profile 2026 reads the rows keyed by contact (an incoming email's contact is its sender), and
    # under replies_only a block in a thread changes other contacts' replies, so every row is re-counted.
    contact_rows = rules.governs_inbound
    gated = rules.logging_rule == "replies_only"
    rows = contact_rows_table(sent) if contact_rows else sent.table
    # A logged send that neither creates a contact nor implies one is on a timeline only once the
    # record exists; that needs the send dates per recipient, so it is computed only when it can happen.
    # (In profile 2026 client sends and incoming mail are such rows.)
    late = contact_rows or any(ch not in rules.creating_channels and ch != "client"
                               and not (ch == "crm" and rules.crm_implies_contact) for ch in sent.channels)
    ctab = _contacts_table(sent, contacts_df)
    # What a figure of this history depends on besides the lists (see "what-ifs" below).
    state_key = ("whatif", rules, ctab, rows, _frame_key(tracking_df))

    def build() -> dict:
        """The full simulation: every table a result reads, over every governed row."""
        # The long steps tick a progress bar (shown only past a second, like loading's).
        total = 6 + bool(rules.subdomains) + 5 * gated + (tracking_df is not None) + (not gated)
        with _progress(total, "simulating", progress) as bar:
            return _build(bar)

    def _build(bar) -> dict:
        names = {k: f"{p}_{k}" for k in ("entries", "suffix", "matches", "blocks", "arows", "astats",
                                         "contacts", "ttab", "timeline", "feed")}
        names["ctab"] = ctab
        frame_rows = rows
        def step(statement: str, bind: bool = True) -> None:
            run(statement, bind=bind).fetchall()
            bar.update(1)

        with engine.registered(f"{p}_entries_df", entries()) as frame:
            engine.run(sql.copy_table(frame, names["entries"]))
        bar.update(1)
        suffixes = None
        if rules.subdomains:
            step(sql.domain_suffixes(frame_rows, names["suffix"]), bind=False)
            suffixes = names["suffix"]
        # The rows an entry can match, read once; under replies_only every row is re-counted instead.
        match_rows = frame_rows
        if not gated:
            names["crows"] = f"{p}_crows"
            step(sql.candidate_rows(frame_rows, names["entries"], names["crows"], suffixes))
            match_rows = names["crows"]
        step(sql.matches(match_rows, names["entries"], names["matches"], suffixes))
        step(sql.blocks(names["matches"], names["blocks"]))
        if gated:
            # Record dates come from sent mail alone; they fix which thread has a logged email, when.
            for k in ("orows", "ostats", "gate", "grows", "arows0"):
                names[k] = f"{p}_{k}"
            step(sql.affected_rows(frame_rows, names["matches"], names["blocks"], names["arows0"], everyone=True), bind=False)
            step(sql.outbound_rows(names["arows0"], names["orows"]), bind=False)
            step(sql.contact_stats(names["orows"], names["ctab"], names["ostats"], late=True))
            step(sql.thread_gate(names["arows0"], names["ostats"], names["gate"]))
            step(sql.gated_rows(frame_rows, names["gate"], names["grows"]), bind=False)
            frame_rows = names["grows"]
        global_totals = _global_totals(sent, rules, names["ctab"], late, run, frame_rows if gated else None)
        bar.update(1)
        # A view: read once by the contact statistics now, and again only if .timeline is asked for.
        step(sql.affected_rows(match_rows if not gated else frame_rows, names["matches"], names["blocks"], names["arows"],
                               everyone=gated), bind=False)
        step(sql.contact_stats(names["arows"], names["ctab"], names["astats"], late=late, gated=gated))

        def contacts_view() -> str:
            """Every recipient's outcome (built on first use: the numbers do not need it)."""
            if "gstats" not in names:
                names["gstats"] = _unblocked_stats(sent, rules, names["ctab"], late, run,
                                                   frame_rows if gated else None)
                run(sql.contacts_view(names["gstats"], names["astats"], names["contacts"]), bind=False).fetchall()
            return names["contacts"]

        if tracking_df is not None:
            events = tracking_df[["message_id", "recipient", "event", "occurred_at"]].astype(
                {"message_id": "object", "recipient": "object", "event": "object"})
            with engine.registered(f"{p}_tracking_df", events) as frame:
                engine.run(sql.normalise_tracking(frame, names["ttab"]))
            step(sql.feed(names["ttab"], frame_rows, contacts_view(), names["blocks"], names["feed"], gated))
        return {"tables": names, "global_totals": global_totals, "contacts_view": contacts_view,
                "shared": ("ctab",) if gated else ("ctab", "gstats"), "rows": frame_rows}

    common = dict(sent=sent, candidate=candidate, baseline=baseline, rules=rules, run=run,
                  has_contacts=contacts_df is not None, has_tracking=tracking_df is not None,
                  gated=gated, contact_rows=contact_rows, views=("contacts", "arows", "grows", "orows", "arows0"),
                  scenario=scenario, binds=binds)

    lists = _lists(baseline, candidate)
    made = []

    def entries() -> pd.DataFrame:
        """Both policies' entries (made once, on first use: a what-if answered incrementally needs none)."""
        if not made:
            made.append(_entries_frame(baseline, candidate))
        return made[0]

    figures = None
    if incremental and engine.whatifs and not gated and not rules.subdomains:
        figures = _whatif(sent, state_key, lists, rows, ctab, late, tracking_df, rules.governs_inbound, run, p)
    if figures is None:
        result = SimulationResult(**common, **build(), on_metrics=lambda totals, counts: _remember(
            sent, state_key, lists, lambda: _keyed(entries()), totals, counts))
    else:
        # The figures are known; the tables are built by the full simulation if and when one is read.
        totals, counts, keyed, equal = figures
        result = SimulationResult(**common, rows=rows, build=build, totals=totals, entry_counts=counts)
        _remember(sent, state_key, lists, keyed, totals, counts, equal)
    # What reading the contacts and tracking tables set aside or left out (tracking events that are
    # not opens or clicks, ...): shown with the load report (docs/rules.md#the-load-report).
    result.tracking_problems = [] if tracking_df is None else list(tracking_df.attrs.get("problems", []))
    result.input_problems = [dict(p, problem=f"{label}: {p['problem']}")
                             for label, df in (("contacts", contacts_df), ("tracking", tracking_df))
                             if df is not None for p in df.attrs.get("problems", [])]
    return result


# --- per-history caches -------------------------------------------------------------------------
# What does not depend on the lists — the contacts table and every recipient's outcome with no list
# in force — is computed once per history and reused by every later simulate() on it (a live
# preview re-simulates after each edit). The caches live on the SentMail, beside its rows.

def _contacts_table(sent: SentMail, contacts_df: pd.DataFrame | None) -> str:
    key = ("contacts", None) if contacts_df is None else ("contacts", *_frame_key(contacts_df))
    cache = sent.cache
    if key not in cache:
        if contacts_df is None:
            frame = pd.DataFrame({"email": pd.Series(dtype="object"), "created_at": pd.Series(dtype="datetime64[us]")})
        else:
            frame = contacts_df.astype({"email": "object"})
        name = f"{sent.table}_ctab{len(cache)}"
        with sent.engine.registered(f"{name}_df", frame) as registered:
            sent.engine.run(sql.normalise_emails(registered, name))
        cache[key] = name
    return cache[key]


def _no_list_key(kind: str, rules: Rules, ctab: str, late: bool) -> tuple:
    """What a per-history figure with no list in force depends on: the contacts and the rules, not the lists."""
    return (kind, ctab, rules.creating_channels, rules.crm_implies_contact, late, rules.applies, rules.roles,
            rules.unknown_channel_applies, rules.logging_rule, rules.client_creates)


def contact_rows_table(sent: SentMail) -> str:
    """Profile 2026: the history's rows keyed by contact, with their reply threads (cached per history)."""
    key = ("contact_rows",)
    if key not in sent.cache:
        name = f"{sent.table}_crows"
        sent.engine.run(sql.contact_rows(sent.table, sent.threads, name))
        sent.cache[key] = name
    return sent.cache[key]


def _unblocked_stats(sent: SentMail, rules: Rules, ctab: str, late: bool, run, gated_rows: str | None = None) -> str:
    """Every recipient's contact outcome with no list in force (one pass over the rows; cached).

    ``gated_rows`` (``replies_only``): the rows with their thread gate, which depends on the lists
    only through ``ok_b``/``ok_a``; the no-list outcome reads ``ok_u``. It is recomputed, not cached.
    """
    if gated_rows is not None:
        name = f"{gated_rows}_gstats"
        run(sql.drop(name), bind=False).fetchall()
        run(sql.contact_stats(gated_rows, ctab, name, two_sided=False, late=True, gated=True)).fetchall()
        return name
    key = _no_list_key("unblocked", rules, ctab, late)
    cache = sent.cache
    if key not in cache:
        name = f"{sent.table}_gstats{len(cache)}"
        rows = contact_rows_table(sent) if rules.governs_inbound else sent.table
        run(sql.contact_stats(rows, ctab, name, two_sided=False, late=late)).fetchall()
        cache[key] = name
    return cache[key]


def _global_totals(sent: SentMail, rules: Rules, ctab: str, late: bool, run, gated_rows: str | None = None) -> dict:
    """History-wide figures with no list in force: from the load-time profiles, or (when a logged send
    can precede its contact record) from every recipient's outcome."""
    key = _no_list_key("totals", rules, ctab, late)
    if gated_rows is not None or key not in sent.cache:
        if late:
            stats = _unblocked_stats(sent, rules, ctab, late, run, gated_rows)
            statements = (sql.contact_totals(stats), sql.row_totals(stats))
        else:
            statements = (sql.unblocked_totals(sent.profile, sent.row_profile, ctab),)
        totals = {}
        for statement in statements:
            totals.update({k: int(v) for k, v in one_row(run(statement)).items()})
        if gated_rows is not None:
            return totals
        sent.cache[key] = totals
    return sent.cache[key]


# --- what-ifs -----------------------------------------------------------------------------------
# A recipient's outcome depends only on the entries that match it: an entry matches a recipient by
# its address or its domain, in its list's scope, and blocks that recipient's governed rows. So when a
# policy differs by a few entries from one simulated before on the same history (same rules, contacts
# and tracking), only the recipients those entries match can change, and every figure of metrics()
# is a sum over recipients (or tracking events of their rows). The new figures are the old ones
# minus those recipients' share under the old policy plus their share under the new one, both
# counted by the full simulation's own SELECTs over those recipients' rows alone. When only the
# candidate changed and no baseline entry can match a touched recipient (an analyst editing the
# candidate, the usual case), one pass counts both: the old candidate as the "before" side, the new
# one as "after", the baseline's outcome being the one with no list (sql.whatif_pair_figures);
# otherwise each pair is counted apart (sql.whatif_figures). A team entry *@domain added or removed
# (the other side having address entries at most there) is not counted at all: it blocks every
# governed row of the domain whatever else matches, and a recipient no entry names keeps its no-list
# outcome, so the domain's share comes from a per-recipient table made at the first what-if
# (sql.whatif_recipients), and only the recipients the other side names are counted. The rows are
# read from a copy sorted by domain and recipient, built once per history, where DuckDB skips every
# row group the edit does not touch. Of the remembered pairs, the one whose changes touch the
# fewest rows is used.
#
# Where this is not exact, simulate() runs in full: profile 2026's replies_only rule (blocking one
# contact stops other contacts' replies in its threads) and the sub-domain what-if (A2: a domain
# entry matches recipients of other domains), and whenever no remembered policy is within
# WHATIF_MAX_CHANGES entries. The tables of a result (recipients, contacts, timeline, feed,
# entries) always come from the full simulation, built when first read.

WHATIF_MAX_CHANGES = 64   # changed entries beyond which a full simulation is as quick
WHATIF_REMEMBERED = 3     # policies remembered per history and rules (their figures and entries)
_RECORD = ["entry", "kind", "key", "list", "owner", "priority"]  # lists.entry_record()


def _frame_key(df: pd.DataFrame | None):
    """A key of a contacts or tracking frame's content (None when there is none)."""
    if df is None:
        return None
    return (len(df), int(pd.util.hash_pandas_object(df, index=False).sum()))


def _lists(baseline: Policy, candidate: Policy) -> dict:
    """(scenario, list, owner) → the list's entry texts (made with the list), one step per list.

    Texts, not the lists: a remembered pair must not keep its policies alive (freeing a policy of
    500 personal lists takes milliseconds, and would fall to the what-if that forgets the pair)."""
    return {(scenario, lst.scope, lst.owner or TEAM_OWNER): lst._entry_texts()
            for scenario, policy in (("baseline", baseline), ("candidate", candidate)) for lst in policy.lists}


_KEYED = pa.schema([("scenario", pa.string()), ("entry", pa.string()), ("kind", pa.string()), ("key", pa.string()),
                    ("list", pa.string()), ("owner", pa.string()), ("priority", pa.int32()), ("rank", pa.int32()),
                    ("ident", pa.string()), ("dom", pa.string())])


def _keyed(entries: pd.DataFrame) -> pa.Table:
    """``entries`` (``_entries_frame``) as Arrow, with ``ident``, one text per (scenario, list, owner,
    entry), and ``dom``, the domain an entry's recipients are in (its key's part after the last ``@``)."""
    owner = entries["owner"].fillna("")
    df = entries.assign(owner=owner, ident=entries["scenario"] + "\n" + entries["list"] + "\n" + owner + "\n"
                        + entries["entry"], dom=entries["key"].str.rsplit("@", n=1).str[-1])
    return pa.Table.from_pandas(df[_KEYED.names], preserve_index=False).cast(_KEYED)


def _records_frame(rows: list[tuple]) -> pa.Table:
    """A few entries, ``(scenario, *record)`` each (the changed entries of a what-if), as ``_keyed`` rows."""
    cols = dict(zip(["scenario", *_RECORD], map(list, zip(*rows)))) if rows else {c: [] for c in ["scenario", *_RECORD]}
    cols["rank"] = [p * 1000 - len(k) for p, k in zip(cols["priority"], cols["key"])]
    cols["ident"] = ["\n".join((s, lst, o, e)) for s, lst, o, e in zip(cols["scenario"], cols["list"], cols["owner"],
                                                                      cols["entry"])]
    cols["dom"] = [k.rsplit("@", 1)[-1] for k in cols["key"]]
    return pa.table(cols, schema=_KEYED)


def _remember(sent: SentMail, key: tuple, lists: dict, frame, totals: dict, counts: tuple, equal: list | None = None) -> None:
    """Keep a simulated policy pair's figures and entries for later what-ifs on this history (the latest few).

    ``frame`` is its ``_keyed`` entries, or a callable that makes them (the full route's, made on first use);
    ``equal`` the remembered pairs already found equal to this one (None: compare them here)."""
    if equal is None:
        states = [s for s in sent.cache.get(key, []) if _changed(s["lists"], lists) != ([], [])]
    else:
        states = [s for s in sent.cache.get(key, []) if not any(s is e for e in equal)]
    totals = {**totals, "changes": dict(totals["changes"])}
    states.append({"lists": lists, "frame": frame, "totals": totals, "counts": tuple(int(c) for c in counts)})
    sent.cache[key] = states[-WHATIF_REMEMBERED:]


def _frame(state: dict) -> pa.Table:
    if callable(state["frame"]):
        state["frame"] = state["frame"]()
    return state["frame"]


def _changed(old: dict, new: dict) -> tuple[list, list] | None:
    """The entries (``(scenario, *record)``) one pair of policies has and the other has not — gone and
    came — comparing list by list, on the entries' texts (a list rebuilt with the same entries compares
    equal); None when more than WHATIF_MAX_CHANGES differ."""
    gone, came = [], []
    for k in old.keys() | new.keys():  # one step per list
        ta, tb = old.get(k, ()), new.get(k, ())
        if ta is tb or ta == tb:
            continue
        scenario, scope, owner = k
        a, b = set(ta), set(tb)
        gone += [(scenario, *entry_record(t, scope, owner)) for t in a - b]
        came += [(scenario, *entry_record(t, scope, owner)) for t in b - a]
        if len(gone) + len(came) > WHATIF_MAX_CHANGES:
            return None
    return gone, came


def _whatif_rows(sent: SentMail, rows: str, run) -> str | None:
    """The history's rows sorted by domain and recipient (cached), or None when the what-if cannot
    find rows by domain (a row whose domain is not its recipient's)."""
    key = ("whatif_rows", rows)
    if key not in sent.cache:
        odd = one_row(run(sql.whatif_domain_check(rows), bind=False))["odd"]
        name = f"{rows}_wrows"
        if odd == 0:
            run(sql.whatif_rows(rows, name), bind=False).fetchall()
        sent.cache[key] = name if odd == 0 else False
    return sent.cache[key] or None


def _whatif_tracking(sent: SentMail, tracking_df: pd.DataFrame, rows: str, inbound: bool, run, prefix: str) -> str:
    """The normalised tracking events the feed reads (cached per history and tracking frame)."""
    key = ("whatif_tracking", rows, _frame_key(tracking_df), inbound)
    if key not in sent.cache:
        name = f"{rows}_wtrack{len(sent.cache)}"
        events = tracking_df[["message_id", "recipient", "event", "occurred_at"]].astype(
            {"message_id": "object", "recipient": "object", "event": "object"})
        with sent.engine.registered(f"{prefix}_wtrack_df", events) as frame:
            sent.engine.run(sql.normalise_tracking(frame, f"{name}_all"))
        run(sql.whatif_tracking(f"{name}_all", rows, name)).fetchall()
        sent.engine.run(sql.drop(f"{name}_all"))
        sent.cache[key] = name
    return sent.cache[key]


def _whatif(sent: SentMail, key: tuple, lists: dict, rows: str, ctab: str, late: bool,
            tracking_df: pd.DataFrame | None, inbound: bool, run, prefix: str) -> tuple[dict, tuple, pa.Table, list] | None:
    """The figures of a policy pair (``lists``) from a remembered pair a few entries away, its keyed
    entries and the remembered pairs equal to it; None when no remembered pair is near."""
    best, equal = None, []
    for state in sent.cache.get(key, []):  # at most WHATIF_REMEMBERED pairs
        changed = _changed(state["lists"], lists)
        if changed is None:
            continue
        if changed == ([], []):
            equal.append(state)
        # The nearest pair is the one whose changes touch the fewest rows: a domain entry re-counts
        # its whole domain, an address entry one recipient; then the fewest changed entries.
        cost = (sum(r[2] == "domain" for part in changed for r in part), sum(map(len, changed)))
        if best is None or cost < best[0]:
            best = (cost, state, changed)
    if best is None:
        return None
    _, state, (gone, came) = best
    n_entries = sum(len(texts) for (scenario, _, _), texts in lists.items() if scenario == "candidate")
    old = _frame(state)
    if not gone and not came:
        return _shift(state["totals"], None, None), (n_entries, state["counts"][1]), old, equal
    srows = _whatif_rows(sent, rows, run)
    if srows is None:
        return None
    tracking = None if tracking_df is None else _whatif_tracking(sent, tracking_df, rows, inbound, run, prefix)
    gone_t, came_t = _records_frame(gone), _records_frame(came)
    new = functools.partial(_edited, old, gone_t, came_t)  # made when a later what-if starts from this pair
    changed = pa.concat_tables([gone_t, came_t])
    keys = pa.table({"kind": changed["kind"], "key": changed["key"]}).group_by(["kind", "key"]).aggregate([])
    # The entries that can match a touched recipient: those whose recipients share a changed key's domain.
    near = old.filter(pc.is_in(old["dom"], pc.unique(changed["dom"])))
    bound = {"w_keys": keys.to_pylist()}
    sides = {}
    for side, table in (("old", near), ("new", _edited(near, gone_t, came_t))):
        sides[side] = table.append_column("changed", pc.is_in(table["ident"], changed["ident"])).drop_columns(
            ["ident", "dom"])
    # With no list in force before, the timeline entries that leave are the difference of the totals
    # (as in SimulationResult._totals), so the changed ones are counted only when a baseline is in force.
    baseline = any(texts for (scenario, _, _), texts in lists.items() if scenario == "baseline")
    candidate_changed = any(r[0] == "candidate" for r in gone + came)
    touched = sql.touched_rows(srows)
    if all(r[0] == "candidate" for r in gone + came) and not pc.any(pc.equal(sides["old"]["scenario"], "baseline")).as_py():
        # Only the candidate changed and no baseline entry can match a touched recipient: one pass
        # counts both pairs, the old candidate as its "before" side (sql.whatif_pair_figures) — and a
        # domain whose team entry alone came or went is read from the per-domain shares instead.
        shares = {"old": [], "new": []}
        whole = {}
        if tracking is None:
            # Made at the first what-if, beside the sorted rows, so that no later edit waits for it.
            recipients = _whatif_recipients(sent, key[1], rows, ctab, late, baseline, run)
            whole = _whole_domains(gone_t, came_t, sides)
        found = None
        if whole:
            # Their rows are not counted: the domain's share is read from the per-recipient table,
            # and only the recipients the other side names are counted (sql.whatif_recipients).
            bound.update({f"w_dom{i}": dom for i, dom in enumerate(whole)},
                         w_named=[a for named in whole.values() for a in named])
            bound["w_keys"] = ([k for k in bound["w_keys"] if _key_domain(k) not in whole]
                               + [{"kind": "address", "key": a} for a in bound["w_named"]])
            sides = {side: table.set_column(table.schema.get_field_index("changed"), "changed", pc.and_(
                table["changed"], pc.invert(pc.and_(pc.equal(table["kind"], "domain"), pc.is_in(table["key"], pa.array(list(whole)))))))
                for side, table in sides.items()}
            if not bound["w_keys"]:
                found = run(sql.whatif_recipient_shares(recipients, baseline, len(whole)),
                            extra={k: v for k, v in bound.items() if k != "w_keys"}).fetchall()
        if bound["w_keys"]:
            olds = sides["old"].set_column(0, "scenario", pa.array(["baseline"] * sides["old"].num_rows, pa.string()))
            keys_t = pa.table({"kind": [k["kind"] for k in bound["w_keys"]], "key": [k["key"] for k in bound["w_keys"]]})
            # Registered tables, not bound lists: DuckDB plans a bound list's every value, a table's none.
            with sent.engine.registered(f"{prefix}_pair", pa.concat_tables([olds, sides["new"]])) as pair, \
                    sent.engine.registered(f"{prefix}_keys", keys_t) as keys_name:
                statement = sql.whatif_pair_figures(
                    sql.touched_rows(srows, keys_name), f"(FROM {pair})", ctab, late, tracking, timeline=baseline,
                    recipients=recipients if whole else None, n_domains=len(whole),
                    named=f"(SELECT key FROM {keys_name} WHERE kind = 'address')")
                share = one_row(run(statement, extra={k: v for k, v in bound.items() if k.startswith("w_dom")}))
            for side in shares:
                shares[side].append(share[side])
            if whole:
                found = [(d["part"], d["rdomain"], d["full"], d["none"]) for d in share["domains"] or []]
        if whole:
            with_entry = set(gone_t["dom"].to_pylist())  # the domains whose entry the old side has
            for dom, part in _domain_shares(whole, found, baseline).items():
                side, other = ("old", "new") if dom in with_entry else ("new", "old")
                shares[side] += [part["full"], _negated(part["named_full"])]
                shares[other] += [part["none"], _negated(part["named_none"])]
        share = {side: _sum_shares(parts) for side, parts in shares.items()}
    else:
        bound.update({f"w_{side}": table.to_pylist() for side, table in sides.items()})
        statement = sql.whatif_figures(touched, {"old": sql.whatif_entries("w_old"), "new": sql.whatif_entries("w_new")},
                                       ctab, late, tracking, timeline=baseline, dead=candidate_changed)
        share = one_row(run(statement, extra=bound))
    n_dead = state["counts"][1] - share["old"].get("dead", 0) + share["new"].get("dead", 0)
    return _shift(state["totals"], share["old"], share["new"]), (n_entries, int(n_dead)), new, equal


def _edited(entries: pa.Table, gone: pa.Table, came: pa.Table) -> pa.Table:
    """``entries`` (``_keyed`` rows) without those ``gone`` names, with those ``came`` names."""
    return pa.concat_tables([entries.filter(pc.invert(pc.is_in(entries["ident"], gone["ident"]))), came])


def _key_domain(key: dict) -> str:
    """The domain whose recipients a changed key (``kind, key``) can touch."""
    return key["key"] if key["kind"] == "domain" else key["key"].rsplit("@", 1)[-1]


def _domains_of(table: pa.Table) -> pa.Array:
    """The domain each entry's recipients are in (its key's part after the last ``@``)."""
    return pa.array([k.rsplit("@", 1)[-1] for k in table["key"].to_pylist()], pa.string())


def _whole_domains(gone: pa.Table, came: pa.Table, sides: dict) -> dict[str, list[str]]:
    """The domains whose one changed entry is the candidate's team entry ``*@domain``, where the other
    side has address entries at most: domain → the addresses those name.

    The side with the entry blocks every governed row of the domain whatever else matches there: its
    share is the domain's with every governed row blocked (sql.whatif_domains). On the other side a
    recipient no entry names keeps its no-list outcome: the share is the domain's with no list, but
    for the named recipients, counted alone."""
    by_domain: dict[str, list] = {}
    for e in pa.concat_tables([gone, came]).to_pylist():
        by_domain.setdefault(e["dom"], []).append(e)
    with_entry = {"old": {e["dom"] for e in gone.to_pylist()}, "new": {e["dom"] for e in came.to_pylist()}}
    whole = {}
    for dom, entries in by_domain.items():
        if len(entries) != 1 or (entries[0]["kind"], entries[0]["list"], entries[0]["scenario"]) != ("domain", "team",
                                                                                                   "candidate"):
            continue
        other = "new" if dom in with_entry["old"] else "old"
        near = sides[other].filter(pc.equal(_domains_of(sides[other]), dom))
        if pc.all(pc.equal(near["kind"], "address")).as_py() is not False:
            whole[dom] = sorted(set(near["key"].to_pylist()))
    return whole


def _whatif_recipients(sent: SentMail, rules: Rules, rows: str, ctab: str, late: bool, timeline: bool, run) -> str:
    """Every recipient's outcome with no list and with every governed row blocked (sql.whatif_recipients;
    cached per history, rules and contacts)."""
    key = ("whatif_recipients", rows, rules, ctab, late, timeline)
    if key not in sent.cache:
        name = f"{rows}_wrec{len(sent.cache)}"
        run(sql.whatif_recipients(rows, ctab, late, timeline, name)).fetchall()
        sent.cache[key] = name
    return sent.cache[key]


def _domain_shares(whole: dict[str, list[str]], found: list[tuple], timeline: bool) -> dict:
    """Per domain of ``whole`` (``_whole_domains``), shares shaped as sql.whatif_pair_figures' sides:
    ``full`` (every governed row blocked) and ``none`` (no list) of all its recipients, ``named_full``
    and ``named_none`` of the recipients the other side names — from ``found``, the rows
    ``(part, rdomain, full, none)`` of sql.whatif_recipient_shares."""
    found = {(part, dom): (full, none) for part, dom, full, none in found}
    empty = (None, dict.fromkeys(sql.CONTACT_TOTALS, 0))  # no recipient counted (none, or none named)
    out = {}
    for dom in whole:
        shares = {}
        for part, prefix in (("domain", ""), ("named", "named_")):
            full, none = found.get((part, dom), empty)
            governed = int(full["governed"]) if full else 0
            blocked = {"contacts": {"listed": dict(full["listed"]) if full else none, "unlisted": none,
                                    "changes": _changes(full["changes"]) if full else {}},
                       "blocked": {"blocked_before": 0, "blocked_after": governed},
                       # The domain's entry matches nothing when no row of the domain is governed.
                       "dead": int(governed == 0) if part == "domain" else 0}
            unblocked = {"contacts": {"listed": none, "unlisted": none,
                                      "changes": {"unchanged": int(none["recipients"])} if none["recipients"] else {}},
                         "blocked": {"blocked_before": 0, "blocked_after": 0}, "dead": 0}
            if timeline:
                blocked["timeline"] = {"left_timeline": int(full["left_timeline"]) if full else 0}
                unblocked["timeline"] = {"left_timeline": 0}
            shares[f"{prefix}full"], shares[f"{prefix}none"] = blocked, unblocked
        out[dom] = shares
    return out


def _changes(value) -> dict:
    """Change-class counts as a dict, from a DuckDB ``map_entries`` list (None when no recipient) or a dict."""
    if isinstance(value, dict):
        return value
    return {item["key"]: int(item["value"]) for item in value or []}


def _negated(part: dict) -> dict:
    """A share with every figure negated (taken away when added up)."""
    return {name: _negated(value) if isinstance(value, dict) else -int(value) for name, value in part.items()}


def _sum_shares(parts: list[dict]) -> dict:
    """Shares of disjoint sets of recipients (sql.whatif_pair_figures rows, ``_domain_shares``) added up."""
    def add(a: dict, b: dict) -> dict:
        out = dict(a)
        for name, value in b.items():
            if name == "changes":
                counts = dict(out.get(name, {}))
                for k, v in _changes(value).items():
                    counts[k] = counts.get(k, 0) + v
                out[name] = counts
            elif isinstance(value, dict):
                out[name] = add(out.get(name, {}), value)
            else:
                out[name] = out.get(name, 0) + int(value)
        return out
    total: dict = {}
    for part in parts:
        total = add(total, part)
    return total


def _shift(totals: dict, old: dict, new: dict) -> dict:
    """A remembered policy's figures (``SimulationResult._totals``) moved by the touched recipients'
    share under the old policy (``old``) and under the new one (``new``), from sql.whatif_figures."""
    out = {**totals, "changes": dict(totals["changes"])}
    if new is None:
        return out

    def delta(part: str, name: str) -> int:
        return int(new[part][name]) - int(old[part][name])
    old, new = {**old, **old["contacts"]}, {**new, **new["contacts"]}
    for name in new["listed"]:
        # A recipient's share of a contact figure: its outcome under the lists minus with no list
        # (the figures add the history's no-list outcome of every recipient to that).
        out[f"contacts_{name}"] += delta("listed", name) - delta("unlisted", name)
    out["blocked_before"] += delta("blocked", "blocked_before")
    out["blocked_after"] += delta("blocked", "blocked_after")
    if "timeline" in new:
        out["timeline_left"] += delta("timeline", "left_timeline")
    else:  # no baseline: the candidate only removes timeline entries
        out["timeline_left"] = out["contacts_timeline_before"] - out["contacts_timeline_after"]
    changes = dict(out["changes"])
    counted = {}
    for part, sign in ((old, -1), (new, 1)):
        for name, value in _changes(part["changes"]).items():
            counted[name] = counted.get(name, 0) + sign * int(value)
    everyone = sum(changes.values())
    for name in changes:
        if name != "unchanged":
            changes[name] += counted.get(name, 0)
    changes["unchanged"] = everyone - sum(v for k, v in changes.items() if k != "unchanged")
    out["changes"] = changes
    if "feed" in new:
        for name in new["feed"]:
            out[f"feed_{name}"] += delta("feed", name)
    return out
