"""Hypothesis strategies for whole scenarios: a history, contacts, tracking, two policies, a rule profile.

The values are written as they arrive in files (case variants, padding, display names, words for
flags), over small pools so that the interesting collisions happen often: one recipient listed
twice in a message, a send and a contact record at the same moment, a domain entry and a
sub-domain entry on one recipient, a team entry and a personal entry on one row.

A scenario is the plain dict ``tests/reference.py`` reads; :func:`engine_inputs` turns it into
what ``simulate`` takes.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from neverlog_sim import PROFILES, Policy, build_sent

from reference import CHANNELS

SENDERS = ("ann@us.com", "bob@us.com", "cy@us.com")
DOMAINS = ("acme.com", "eu.acme.com", "deep.eu.acme.com", "rival.com", "friend.org")
ADDRESSES = tuple(f"{local}@{domain}" for domain in DOMAINS for local in ("jo", "al"))
ROLES = ("to", "cc", "bcc")
# Two spellings of one moment (10:00 UTC) so that "at the same moment" happens, and one undated send.
TIMES = ("2024-01-01T10:00:00Z", "2024-01-01T11:00:00+01:00", "2024-01-02T09:00:00Z", "2024-01-03T09:00:00Z")
CONTACT_TIMES = ("2023-12-31T00:00:00Z",) + TIMES
# Governed channels weigh more: a history where no list applies tells little.
WRITTEN_CHANNELS = CHANNELS + ("extension", "extension", "crm", "Extension", " CRM ", "carrier_pigeon", None)
LOG_ON = (None, "true", "yes", "1", "maybe")
LOG_OFF = ("false", "no", "0", "off")
OUTBOUND = (None, "outbound", "out", "sent")
INBOUND = ("inbound", "Inbound", "received")


def written(address: str):
    """An address as a file might write it: case variants, padding, a display name."""
    return st.sampled_from([address, address.upper(), address.title(), f"  {address} ", f"Jo Smith <{address}>",
                            f'"Smith, Jo" <{address.upper()}>'])


def written_entry(entry: str):
    return st.sampled_from([entry, entry.upper(), f" {entry} "])


@st.composite
def messages(draw, number: int, pool: list[str]) -> dict:
    """One message: its attributes as written, and its recipients with roles (repeats allowed)."""
    recipients = draw(st.lists(st.tuples(st.sampled_from(pool), st.sampled_from(ROLES)), min_size=1, max_size=4))
    log_on = draw(st.integers(0, 4)) > 0  # mostly on
    return {
        "message_id": None if draw(st.integers(0, 15)) == 0 else f"m{number}",
        "sent_at": None if draw(st.integers(0, 9)) == 0 else draw(st.sampled_from(TIMES)),
        "sender": draw(st.sampled_from(SENDERS).flatmap(lambda s: st.sampled_from([s, s.upper(), f" {s}"]))),
        "channel": draw(st.sampled_from(WRITTEN_CHANNELS)),
        "log_on": log_on,
        "log_enabled": draw(st.sampled_from(LOG_ON if log_on else LOG_OFF)),
        "direction": draw(st.sampled_from(INBOUND if draw(st.integers(0, 7)) == 0 else OUTBOUND)),
        "recipients": recipients,
    }


@st.composite
def history(draw) -> dict:
    """Input rows at the message level (To/Cc/Bcc fields) or the recipient level, over a few addresses
    (so that each recipient gets several sends); ``pairs`` are the (message id, address) it holds."""
    level = draw(st.sampled_from(("message", "recipient")))
    pool = draw(st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=5, unique=True))
    msgs = [draw(messages(i, pool)) for i in range(1, draw(st.integers(1, 8)) + 1)]
    rows = []
    for m in msgs:
        common = {k: m[k] for k in ("message_id", "sent_at", "sender", "channel", "log_enabled", "direction")}
        if level == "recipient":
            for address, role in m["recipients"]:
                # Now and then a repeated recipient's row says the opposite about "Log in CRM".
                flip = draw(st.integers(0, 5)) == 0
                log = draw(st.sampled_from(LOG_OFF if m["log_on"] else LOG_ON)) if flip else m["log_enabled"]
                # And now and then it disagrees on the channel or the date (U7: the first row is kept).
                odd = ({"channel": draw(st.sampled_from(WRITTEN_CHANNELS)), "sent_at": draw(st.sampled_from(TIMES))}
                       if draw(st.integers(0, 7)) == 0 else {})
                rows.append({**common, **odd, "log_enabled": log, "recipient": draw(written(address)),
                             "role": draw(st.sampled_from([role, role.upper(), f" {role}", None, "x"]))
                             if draw(st.integers(0, 4)) == 0 else role})
            continue
        parts = [m["recipients"]]
        if len(m["recipients"]) > 1 and draw(st.integers(0, 3)) == 0:
            # One message written as two rows (same id): the second may carry the opposite toggle.
            cut = draw(st.integers(1, len(m["recipients"]) - 1))
            parts = [m["recipients"][:cut], m["recipients"][cut:]]
        for i, part in enumerate(parts):
            row = dict(common)
            if i and draw(st.booleans()):
                row["log_enabled"] = draw(st.sampled_from(LOG_OFF if m["log_on"] else LOG_ON))
            if i and draw(st.integers(0, 3)) == 0:
                # ... or disagree on the channel or the date (U7: the first row is kept).
                row.update(draw(st.sampled_from([{"channel": c} for c in WRITTEN_CHANNELS]
                                                + [{"sent_at": t} for t in TIMES + (None,)])))
            for role in ROLES:
                mine = [draw(written(a)) for a, r in part if r == role]
                row[role] = ", ".join(mine) if mine else None
            rows.append(row)
    pairs = sorted({(m["message_id"], a) for m in msgs if m["message_id"] for a, _ in m["recipients"]})
    return {"level": level, "rows": rows, "pool": pool, "pairs": pairs,
            "ids": sorted({m["message_id"] for m in msgs if m["message_id"]})}


def contacts_table(pool: list[str]):
    """``None`` (no table) or rows ``email, created_at``; an address may be listed twice, dated or not."""
    row = st.fixed_dictionaries({"email": st.sampled_from(pool + ["zed@else.org"]).flatmap(written),
                                 "created_at": st.one_of(st.sampled_from(CONTACT_TIMES), st.none())})
    return st.one_of(st.none(), st.lists(row, max_size=6))


def tracking_events(h: dict):
    """``None`` or events: on a (message, recipient) of the history, by "Someone" (no recipient), or
    naming no row of the history."""
    attributed = (st.sampled_from(h["pairs"]).flatmap(lambda p: st.tuples(st.just(p[0]), written(p[1])))
                  if h["pairs"] else st.nothing())
    stray = st.tuples(st.sampled_from(h["ids"] + ["m99"]),
                      st.one_of(st.sampled_from(ADDRESSES).flatmap(written), st.sampled_from([None, "", "  "])))
    row = st.builds(lambda pair, event, at: {"message_id": pair[0], "recipient": pair[1], "event": event,
                                             "occurred_at": at},
                    st.one_of(attributed, attributed, stray), st.sampled_from(["open", "click", " Open ", "CLICK"]),
                    st.one_of(st.sampled_from(TIMES), st.none()))
    return st.one_of(st.none(), st.lists(row, max_size=8))


def entry_pool(pool: list[str]) -> list[str]:
    """Entries that match the history's recipients (address, domain, parent domains) and a few that match nothing."""
    out = []
    for address in pool:
        domain = address.split("@")[1]
        out += [address, f"*@{domain}"] + [f"*@{domain.split('.', i)[-1]}" for i in range(1, domain.count("."))]
    return sorted(set(out)) + ["*@nowhere.org", "x@rival.com"]


@st.composite
def policy(draw, entries: list[str], max_entries: int = 4) -> dict:
    """A team list and personal lists of some senders (entries and owners written with case variants)."""
    entry = st.sampled_from(entries).flatmap(written_entry)
    owners = draw(st.lists(st.sampled_from(SENDERS), unique=True, max_size=2))
    return {"team": draw(st.lists(entry, min_size=0 if owners else 1, max_size=max_entries)),
            "personal": {draw(st.sampled_from([o, o.upper()])): draw(st.lists(entry, min_size=1, max_size=3))
                         for o in owners}}


@st.composite
def changed(draw, base: dict, entries: list[str]) -> dict:
    """The base policy with some entries removed and some added (to the team list or a personal list)."""
    def edit(items):
        kept = [e for e in items if draw(st.integers(0, 2))]
        return kept + draw(st.lists(st.sampled_from(entries), max_size=2))
    personal = {owner: edit(items) for owner, items in base["personal"].items()}
    for owner in draw(st.lists(st.sampled_from(SENDERS), unique=True, max_size=1)):
        if not any(o.lower() == owner for o in personal):
            personal[owner] = draw(st.lists(st.sampled_from(entries), min_size=1, max_size=2))
    return {"team": edit(base["team"]), "personal": personal}


@st.composite
def rules(draw):
    """Both profiles, and each assumption left at its default or changed."""
    base = PROFILES[draw(st.sampled_from(("seed-2023", "2025")))]
    changes = {}
    if draw(st.booleans()):
        changes["subdomains"] = True
    if draw(st.integers(0, 3)) == 0:
        changes["roles"] = draw(st.sets(st.sampled_from(ROLES)))
    if draw(st.integers(0, 2)) == 0:
        changes["creating_channels"] = draw(st.sets(st.sampled_from(CHANNELS)))
    if draw(st.integers(0, 3)) == 0:
        changes["crm_implies_contact"] = False
    if draw(st.booleans()):
        changes["unknown_channel_applies"] = True
    return base.replace(**changes) if changes else base


@st.composite
def runs(draw, h: dict) -> dict:
    """What one simulate() call adds to a history: two policies (the candidate adds to and removes from
    the baseline, or the baseline is empty), rules, contacts, tracking."""
    entries = entry_pool(h["pool"])
    if draw(st.booleans()):
        baseline, candidate = {"team": [], "personal": {}}, draw(policy(entries))
    else:
        baseline = draw(policy(entries))
        candidate = draw(changed(baseline, entries))
    return {"baseline": baseline, "candidate": candidate, "rules": draw(rules()),
            "contacts": draw(contacts_table(h["pool"])), "tracking": draw(tracking_events(h))}


@st.composite
def scenarios(draw, max_runs: int = 2) -> list[dict]:
    """One history and one or more simulations on it (later ones reuse the history's caches)."""
    h = draw(history())
    return [{"level": h["level"], "sent": h["rows"], **draw(runs(h))} for _ in range(draw(st.integers(1, max_runs)))]


# --- the engine's side ---------------------------------------------------------------------------------------

def sent_frame(scenario: dict) -> pd.DataFrame:
    if scenario["level"] == "message":
        cols = ["message_id", "sent_at", "sender", "channel", "to", "cc", "bcc", "log_enabled", "direction"]
    else:
        cols = ["message_id", "sent_at", "sender", "channel", "recipient", "role", "log_enabled", "direction"]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in scenario["sent"]], columns=cols, dtype="object")


def load(scenario: dict):
    return build_sent(sent_frame(scenario), progress=False)


def engine_policy(p: dict) -> Policy:
    return Policy(team=p["team"], personal=p["personal"])


def engine_inputs(scenario: dict) -> dict:
    """simulate()'s keyword arguments for a scenario (the history is loaded apart, see :func:`load`)."""
    contacts = scenario.get("contacts")
    tracking = scenario.get("tracking")
    return {
        "candidate": engine_policy(scenario["candidate"]), "baseline": engine_policy(scenario["baseline"]),
        "rules": scenario["rules"],
        "contacts": None if contacts is None else pd.DataFrame(contacts, columns=["email", "created_at"], dtype="object"),
        "tracking": None if tracking is None else pd.DataFrame(
            tracking, columns=["message_id", "recipient", "event", "occurred_at"], dtype="object"),
    }
