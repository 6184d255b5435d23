"""Pins (issue 16): behaviours on paths the default fixtures never take, each a test that fails on the wrong answer.

Seven come from the issue (bugs seeded into the engine that the suite did not catch); the last
two from what the reference simulator and the property tests found (see tests/test_reference.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

from neverlog_sim import PROFILES, Policy, build_sent, export_lists, simulate

ANN, BOB = "ann@us.com", "bob@us.com"
JO, AL = "jo@acme.com", "al@acme.com"
NOON = "2024-01-01T10:00:00Z"


def sent_of(*rows: dict):
    """Message-level rows: ``message_id, sent_at, sender, channel, to`` and optional ``log_enabled``."""
    cols = ["message_id", "sent_at", "sender", "channel", "to", "log_enabled"]
    return build_sent(pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols, dtype="object"),
                      progress=False)


def send(mid, to, *, at=NOON, sender=ANN, channel="extension", log=None) -> dict:
    return {"message_id": mid, "sent_at": at, "sender": sender, "channel": channel, "to": to, "log_enabled": log}


def outcome(result, mid: str, recipient: str) -> dict:
    rec = result.recipients
    hit = rec[(rec["message_id"] == mid) & (rec["recipient"] == recipient)]
    assert 1 == len(hit)
    return hit.iloc[0].to_dict()


def contact(result, address: str) -> dict:
    c = result.contacts
    hit = c[c["contact"] == address]
    assert 1 == len(hit)
    return hit.iloc[0].to_dict()


def entry(result, text: str, policy: str = "candidate") -> dict:
    e = result.entries
    hit = e[(e["policy"] == policy) & (e["entry"] == text)]
    assert 1 == len(hit)
    return hit.iloc[0].to_dict()


# --- 1. sub-domain matching credits the most specific entry (A2 what-if, responsible entry) ----------------

SUBDOMAINS = PROFILES["seed-2023"].replace(subdomains=True)


@pytest.mark.parametrize("entries", [["*@acme.com", "*@eu.acme.com"], ["*@eu.acme.com", "*@acme.com"]])
@pytest.mark.parametrize("scope", ["team", "personal"])
def test_subdomain_matching_credits_the_most_specific_domain_entry(entries, scope):
    history = sent_of(send("m1", "a@eu.acme.com"), send("m2", "b@deep.eu.acme.com"), send("m3", "c@acme.com"))
    policy = Policy(team=entries) if scope == "team" else Policy(personal={ANN: entries})
    result = simulate(history, policy, rules=SUBDOMAINS)
    blocked_by = {r: outcome(result, m, r)["blocked_by"]
                  for m, r in (("m1", "a@eu.acme.com"), ("m2", "b@deep.eu.acme.com"), ("m3", "c@acme.com"))}
    assert {"a@eu.acme.com": "*@eu.acme.com", "b@deep.eu.acme.com": "*@eu.acme.com", "c@acme.com": "*@acme.com"} == (
        blocked_by)
    assert ((2, 2, 0), (1, 3, 1)) == tuple(
        (entry(result, e)["responsible_rows"], entry(result, e)["rows"], entry(result, e)["exclusive_rows"])
        for e in ("*@eu.acme.com", "*@acme.com"))


# --- 2. history-wide totals agree with .contacts when a CRM send had "Log in CRM" off -------------------------

@pytest.mark.parametrize("rules", ["seed-2023", "2025"])
def test_totals_count_the_record_a_crm_send_implies_even_with_log_in_crm_off(rules):
    # jo's only send is from the CRM with the toggle off: the record exists (a CRM send is made from
    # a record, A4) but no email is on its timeline. metrics() reads the load-time profiles first.
    history = sent_of(send("m1", JO, channel="crm", log="false"), send("m2", AL), send("m3", "x@rival.com"))
    result = simulate(history, Policy(team=["*@rival.com"]), rules=rules)
    m = result.metrics()
    figures = ("recipients", "contact_records_before", "contact_records_after", "contacts_created_before",
               "contacts_created_after", "timeline_entries_before", "timeline_entries_after", "log_disabled_rows")
    assert (3, 3, 2, 3, 2, 2, 1, 1) == tuple(m[k] for k in figures)
    c = result.contacts
    assert (len(c), int(c["exists_before"].sum()), int(c["exists_after"].sum()), int(c["timeline_before"].sum()),
            int(c["timeline_after"].sum())) == (m["recipients"], m["contact_records_before"],
                                                m["contact_records_after"], m["timeline_entries_before"],
                                                m["timeline_entries_after"])
    assert (True, 0, "unchanged") == (contact(result, JO)["exists_after"], contact(result, JO)["timeline_before"],
                                      contact(result, JO)["change"])


# --- 3. the export cut breaks a tie on rows by recipients (more first), then by entry text (A to Z) ----------

@pytest.mark.parametrize("cap, kept", [
    # *@x1.com and c@x2.com block 2 rows each; *@x1.com blocks 2 recipients, c@x2.com one: more impact.
    (1, ["*@x1.com"]),
    # a@x3.com and b@x4.com tie on rows and recipients: the entry text decides, a before b.
    (3, ["*@x1.com", "a@x3.com", "c@x2.com"]),
])
def test_export_cut_breaks_ties_by_more_recipients_then_entry_text(tmp_path, cap, kept):
    history = sent_of(send("m1", "p@x1.com"), send("m2", "q@x1.com"), send("m3", "c@x2.com"),
                      send("m4", "c@x2.com"), send("m5", "a@x3.com"), send("m6", "b@x4.com"))
    wanted = ["b@x4.com", "a@x3.com", "c@x2.com", "*@x1.com"]
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=history, cap=cap)
    exported = (tmp_path / "out" / "team.txt").read_text("utf-8").splitlines()
    ranked = [(r["entry"], r["rows"], r["recipients"], r["rank"]) for r in report.ranked.to_dict("records")]
    assert kept == exported
    assert [("*@x1.com", 2, 2, 1), ("c@x2.com", 2, 1, 2), ("a@x3.com", 1, 1, 3), ("b@x4.com", 1, 1, 4)] == ranked


# --- 4. exclusive_recipients: the recipients that would come back if only this entry were removed --------------

def test_exclusive_recipients_count_only_recipients_no_other_entry_blocks():
    history = sent_of(send("m1", f"{JO}, {AL}"), send("m2", JO, at="2024-01-02T10:00:00Z"),
                      send("m3", AL, at="2024-01-03T10:00:00Z"), send("m4", "zed@acme.com", sender=BOB))
    result = simulate(history, Policy(team=["*@acme.com", JO], personal={BOB: ["zed@acme.com"]}))
    cols = ("rows", "recipients", "exclusive_rows", "exclusive_recipients", "responsible_rows")
    assert {"*@acme.com": (5, 3, 2, 1, 3), JO: (2, 1, 0, 0, 2), "zed@acme.com": (1, 1, 0, 0, 0)} == {
        e: tuple(entry(result, e)[c] for c in cols) for e in ("*@acme.com", JO, "zed@acme.com")}


# --- 5. conflicting "Log in CRM" flags on a recipient listed twice in one message (U9) ----------------------

def recipient_rows(*rows: tuple):
    """Recipient-level rows ``(message_id, recipient, role, log_enabled)``."""
    df = pd.DataFrame([{"message_id": m, "sent_at": NOON, "sender": ANN, "channel": "extension", "recipient": r,
                        "role": role, "log_enabled": log} for m, r, role, log in rows], dtype="object")
    return build_sent(df, progress=False)


@pytest.mark.parametrize("history", [
    lambda: recipient_rows(("m1", JO, "to", "true"), ("m1", "Jo@Acme.com", "cc", "false"), ("m1", AL, "to", "true")),
    lambda: recipient_rows(("m1", JO, "cc", "false"), ("m1", AL, "to", "true"), ("m1", JO, "to", "true")),
    lambda: sent_of(send("m1", f"{JO}, {AL}", log="true"), send("m1", JO, log="false")),
], ids=["on-then-off", "off-then-on", "message-level"])
def test_a_recipient_listed_twice_with_conflicting_log_flags_is_one_row_with_the_toggle_off(history):
    result = simulate(history(), Policy(team=[JO]))
    jo, al = outcome(result, "m1", JO), outcome(result, "m1", AL)
    m = result.metrics()
    assert ("to", False, False, False, False) == (jo["role"], jo["applies"], jo["blocked_after"], jo["logged_before"],
                                                  jo["on_timeline_before"])
    assert (True, True) == (al["logged_after"], al["on_timeline_after"])
    # U4: the row with the toggle off is never blocked, so the entry naming jo matches nothing.
    assert (2, 1, 0, 1) == (m["recipient_rows"], m["log_disabled_rows"], m["blocked_rows_after"], m["dead_entries"])


# --- 6. a non-creating send at exactly the moment the record is created (U11) --------------------------------

CREATE_ON_EXTENSION = PROFILES["seed-2023"].replace(creating_channels={"extension"})


def test_a_non_creating_send_at_the_moment_a_send_creates_the_record_is_on_its_timeline():
    # 11:00+01:00 is 10:00 UTC: the integration send and the creating extension send are simultaneous.
    history = sent_of(send("m1", JO, channel="integration"), send("m2", JO, at="2024-01-01T11:00:00+01:00", sender=BOB),
                      send("m0", JO, at="2024-01-01T09:59:59Z", channel="integration"))
    result = simulate(history, Policy(personal={BOB: [JO]}), rules=CREATE_ON_EXTENSION)
    c = contact(result, JO)
    assert {"m0": (False, False), "m1": (True, False), "m2": (True, False)} == {
        mid: (outcome(result, mid, JO)["on_timeline_before"], outcome(result, mid, JO)["on_timeline_after"])
        for mid in ("m0", "m1", "m2")}
    assert (pd.Timestamp(NOON[:-1]), 2, 0, "not_created") == (c["created_at_before"], c["timeline_before"],
                                                               c["timeline_after"], c["change"])
    assert (2, 0) == (result.metrics()["timeline_entries_before"], result.metrics()["timeline_entries_after"])


def test_a_non_creating_send_at_the_moment_the_contacts_table_dates_the_record_is_on_its_timeline():
    history = sent_of(send("m1", JO, channel="integration"), send("m0", JO, at="2024-01-01T09:59:59Z",
                                                                   channel="integration"))
    contacts = pd.DataFrame({"email": [JO], "created_at": ["2024-01-01T11:00:00+01:00"]})
    result = simulate(history, Policy(), rules=CREATE_ON_EXTENSION, contacts=contacts)
    assert ((True, False), 1) == ((outcome(result, "m1", JO)["on_timeline_before"],
                                   outcome(result, "m0", JO)["on_timeline_before"]),
                                  result.metrics()["timeline_entries_before"])


# --- 7. a contacts table that lists one address twice with different dates (U6) -----------------------------

@pytest.mark.parametrize("dates, created_at, on_timeline", [
    # The earliest date counts, whatever the order and the case of the address.
    (["2024-01-03T00:00:00Z", "2023-12-31T00:00:00Z"], pd.Timestamp("2023-12-31"), True),
    (["2023-12-31T00:00:00Z", "2024-01-03T00:00:00Z"], pd.Timestamp("2023-12-31"), True),
    # An undated listing counts only when no listing has a date.
    ([None, "2024-01-03T00:00:00Z"], pd.Timestamp("2024-01-03"), False),
    ([None, None], None, True),
])
def test_an_address_listed_twice_in_the_contacts_table_exists_from_its_earliest_date(dates, created_at, on_timeline):
    history = sent_of(send("m1", JO, channel="integration"))
    contacts = pd.DataFrame({"email": [JO, " JO@ACME.COM "], "created_at": dates})
    result = simulate(history, Policy(), rules=CREATE_ON_EXTENSION, contacts=contacts)
    c = contact(result, JO)
    got = None if pd.isna(c["created_at_before"]) else c["created_at_before"]
    assert (created_at, True, on_timeline, int(on_timeline)) == (
        got, c["known_before_history"], outcome(result, "m1", JO)["on_timeline_before"], c["timeline_before"])


# --- found by the reference simulator and the properties ----------------------------------------------------

def test_blocking_the_dated_creation_of_a_record_never_adds_a_timeline_entry():
    # U10: m3 is undated; blocking m2 (which dated the record) must not put m1 on the timeline.
    history = sent_of(send("m1", JO, channel="integration"), send("m2", JO, at="2024-01-02T10:00:00Z"),
                      send("m3", JO, at=None, sender=BOB))
    result = simulate(history, Policy(personal={ANN: [JO]}), rules=CREATE_ON_EXTENSION)
    c = contact(result, JO)
    assert ((False, False), (True, True)) == tuple(
        (outcome(result, mid, JO)["on_timeline_before"], outcome(result, mid, JO)["on_timeline_after"])
        for mid in ("m1", "m3"))
    assert ("timeline_reduced", 2, 1, 0) == (c["change"], c["timeline_before"], c["timeline_after"],
                                             len(result.timeline[result.timeline["change"] == "added"]))


@pytest.mark.parametrize("governed", [False, True])
def test_a_send_with_no_channel_is_an_unknown_channel(governed):
    rules = PROFILES["seed-2023"].replace(unknown_channel_applies=governed)
    result = simulate(sent_of(send("m1", JO, channel=None)), Policy(team=[JO]), rules=rules)
    r, c = outcome(result, "m1", JO), contact(result, JO)
    assert (governed, governed, False, False) == (r["applies"], r["blocked_after"], c["exists_before"],
                                                  c["exists_after"])


def test_the_open_decisions_are_stated_in_every_report():
    result = simulate(sent_of(send("m1", JO)), Policy(team=[JO]))
    names = [a["name"] for a in result.assumptions]
    assert ["U9 conflicting log toggle", "U10 undated sends", "U11 same moment"] == [
        n for n in names if n.split()[0] in ("U9", "U10", "U11")]
