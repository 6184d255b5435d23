"""SEMANTICS.md §2–§4, rule by rule, each on a tiny hand-made history."""

from __future__ import annotations

import pandas as pd
import pytest

from neverlog_sim import PROFILES, Policy, load_sent, simulate
from neverlog_sim.results import NO_CONTACTS_NOTE

from engines import both_engines

# Every rule below holds on DuckDB and on Spark (issue 13): each test runs [duckdb] and [spark].
engine = both_engines("load_sent")

ANN = "ann@us.com"
BOB = "bob@us.com"
JO = "jo@acme.com"


def message(mid="m1", sent_at="2024-01-01T10:00:00Z", sender=ANN, channel="extension", to=JO, cc=None, bcc=None,
            log_enabled=True, direction="outbound") -> dict:
    """One message-level row of the canonical format, with defaults for everything a test does not care about."""
    return {"message_id": mid, "sent_at": sent_at, "sender": sender, "channel": channel, "to": to, "cc": cc,
            "bcc": bcc, "log_enabled": log_enabled, "direction": direction}


def sent(*messages: dict):
    """Load message-level rows (``message(...)`` dicts) into a SentMail."""
    return load_sent(pd.DataFrame(list(messages) or [message()]), format="canonical", progress=False)


def row(result, mid: str, recipient: str = JO) -> dict:
    """The ``.recipients`` row of one (message, recipient) as a dict."""
    df = result.recipients
    hit = df[(df["message_id"] == mid) & (df["recipient"] == recipient)]
    assert 1 == len(hit)
    return hit.iloc[0].to_dict()


def contact(result, address: str = JO) -> dict:
    df = result.contacts
    hit = df[df["contact"] == address]
    assert 1 == len(hit)
    return hit.iloc[0].to_dict()


def tracking(*events: tuple) -> pd.DataFrame:
    """Tracking events as ``(message_id, recipient, event)`` triples."""
    return pd.DataFrame([{"message_id": m, "recipient": r, "event": e, "occurred_at": "2024-01-01T11:00:00Z"}
                         for m, r, e in events])


# --- §2 which sends the lists apply to --------------------------------------------------------

CHANNEL_TABLE = [
    ("seed-2023", "extension", True), ("seed-2023", "crm", True), ("seed-2023", "bcc_forward", True),
    ("seed-2023", "team_inbox", False), ("seed-2023", "integration", False),
    ("2025", "extension", True), ("2025", "crm", True), ("2025", "bcc_forward", True),
    ("2025", "team_inbox", True), ("2025", "integration", False),
]


@pytest.mark.parametrize("profile, channel, governed", CHANNEL_TABLE)
def test_channel_table_applies_and_blocks(profile, channel, governed):
    result = simulate(sent(message(channel=channel)), Policy(team=[JO]), rules=profile)
    r = row(result, "m1")
    assert (governed, governed, not governed) == (r["applies"], r["blocked_after"], r["logged_after"])


def test_profile_2025_blocks_team_inbox_sends():
    history = sent(message(channel="team_inbox"))
    seed = row(simulate(history, Policy(team=[JO]), rules="seed-2023"), "m1")
    later = row(simulate(history, Policy(team=[JO]), rules="2025"), "m1")
    assert (False, True) == (seed["blocked_after"], later["blocked_after"])


def test_inbound_rows_pass_through_unchanged_and_are_counted():
    history = sent(message("m1", direction="inbound"), message("m2", to="x@friend.org"))
    result = simulate(history, Policy(team=[JO]))
    r = row(result, "m1")
    assert (False, False, r["logged_before"]) == (r["applies"], r["blocked_after"], r["logged_after"])


def test_inbound_rows_are_counted_in_metrics():
    history = sent(message("m1", direction="inbound"), message("m2", to="x@friend.org"))
    assert 1 == simulate(history, Policy(team=[JO])).metrics()["inbound_rows"]


def test_log_toggle_off_is_not_logged_in_any_scenario_and_not_blocked():
    result = simulate(sent(message(log_enabled=False)), Policy(team=[JO]))
    r = row(result, "m1")
    assert (False, False, False, False) == (r["logged_before"], r["logged_after"], r["blocked_before"],
                                            r["blocked_after"])


def test_log_toggle_off_is_counted_as_already_excluded():
    result = simulate(sent(message("m1", log_enabled=False), message("m2")), Policy(team=[JO]))
    assert (1, 1) == (result.metrics()["log_disabled_rows"], result.metrics()["blocked_rows_after"])


def test_unknown_channel_is_never_blocked():
    result = simulate(sent(message(channel="carrier_pigeon")), Policy(team=[JO]))
    r = row(result, "m1")
    assert (False, False, True) == (r["applies"], r["blocked_after"], r["logged_after"])


def test_unknown_channel_is_counted_in_the_load_report():
    problems = sent(message(channel="carrier_pigeon")).problems
    hit = problems[problems["problem"] == "unknown channels (kept; lists do not apply, rule U1)"]
    assert (1, ["carrier_pigeon"]) == (int(hit["count"].iloc[0]), list(hit["examples"].iloc[0]))


# --- §3 what a block does, recipient by recipient -------------------------------------------------

def test_mixed_recipients_only_the_blocked_one_is_not_logged():
    result = simulate(sent(message(to=f"{JO}, x@friend.org", cc="y@other.org")), Policy(team=[JO]))
    logged = result.recipients.set_index("recipient")["logged_after"].to_dict()
    assert {JO: False, "x@friend.org": True, "y@other.org": True} == logged


def test_personal_list_blocks_only_its_owners_sends():
    history = sent(message("m1", sender=ANN), message("m2", sender=BOB, sent_at="2024-01-02"))
    result = simulate(history, Policy(personal={ANN: [JO]}))
    assert {"m1": True, "m2": False} == result.recipients.set_index("message_id")["blocked_after"].to_dict()


def test_team_list_blocks_everyones_sends():
    history = sent(message("m1", sender=ANN), message("m2", sender=BOB, sent_at="2024-01-02"))
    result = simulate(history, Policy(team=[JO]))
    assert {"m1": True, "m2": True} == result.recipients.set_index("message_id")["blocked_after"].to_dict()


def test_crm_send_blocked_is_not_logged():
    r = row(simulate(sent(message(channel="crm")), Policy(team=[JO])), "m1")
    assert (True, False) == (r["blocked_after"], r["logged_after"])


def test_crm_send_implies_the_contact_exists_even_when_blocked():
    c = contact(simulate(sent(message(channel="crm")), Policy(team=[JO])))
    expected = (True, pd.Timestamp("2024-01-01 10:00:00"), 0, "timeline_emptied")
    assert expected == (c["exists_after"], c["created_at_after"], c["timeline_after"], c["change"])


@pytest.mark.parametrize("recipient, subdomains, blocked", [
    ("a@acme.com", False, True),
    ("a@eu.acme.com", False, False),
    ("a@eu.acme.com", True, True),
    ("a@deep.eu.acme.com", True, True),
    ("a@notacme.com", True, False),
])
def test_a2_domain_entry_scope(recipient, subdomains, blocked):
    rules = PROFILES["seed-2023"].replace(subdomains=subdomains)
    result = simulate(sent(message(to=recipient)), Policy(team=["*@acme.com"]), rules=rules)
    assert blocked == row(result, "m1", recipient)["blocked_after"]


def test_a3_roles_subset_blocks_only_those_roles():
    rules = PROFILES["seed-2023"].replace(roles={"to"})
    result = simulate(sent(message(to="a@acme.com", cc="b@acme.com", bcc="c@acme.com")),
                      Policy(team=["*@acme.com"]), rules=rules)
    assert {"to": True, "cc": False, "bcc": False} == result.recipients.set_index("role")["blocked_after"].to_dict()


def test_a4_team_inbox_send_creates_no_contact_when_not_a_creating_channel():
    rules = PROFILES["seed-2023"].replace(creating_channels={"extension", "bcc_forward", "integration"})
    result = simulate(sent(message(channel="team_inbox")), Policy(), rules=rules)
    c, r = contact(result), row(result, "m1")
    assert (False, False, False, False) == (c["exists_before"], c["exists_after"], r["on_timeline_before"],
                                            r["on_timeline_after"])


def test_a4_default_team_inbox_send_creates_a_contact():
    result = simulate(sent(message(channel="team_inbox")), Policy())
    assert (True, True) == (contact(result)["exists_after"], row(result, "m1")["on_timeline_after"])


def test_a4_non_creating_send_before_the_record_exists_is_not_on_a_timeline():
    # An integration send precedes the extension send that creates the record: it logs to nothing.
    rules = PROFILES["seed-2023"].replace(creating_channels={"extension"})
    history = sent(message("m1", channel="integration", sent_at="2024-01-01"),
                   message("m2", channel="extension", sent_at="2024-01-02"))
    result = simulate(history, Policy(), rules=rules)
    assert (False, True) == (row(result, "m1")["on_timeline_after"], row(result, "m2")["on_timeline_after"])


# --- contacts, with and without a contacts table ----------------------------------------------

def test_without_contacts_table_the_assumption_is_stated_in_assumptions():
    result = simulate(sent(message()), Policy(team=[JO]))
    notes = [a["note"] for a in result.assumptions if a["name"] == "contacts table"]
    assert [NO_CONTACTS_NOTE] == notes


def test_without_contacts_table_the_assumption_is_stated_in_repr():
    assert "no contacts table" in repr(simulate(sent(message()), Policy(team=[JO])))


def test_with_contacts_table_no_note_about_a_missing_table():
    contacts = pd.DataFrame({"email": [JO], "created_at": [pd.Timestamp("2023-01-01")]})
    result = simulate(sent(message()), Policy(team=[JO]), contacts=contacts)
    assert "no contacts table" not in repr(result)


def test_without_contacts_table_blocking_the_only_send_means_not_created():
    assert "not_created" == contact(simulate(sent(message()), Policy(team=[JO])))["change"]


def test_with_contacts_table_the_record_exists_before_the_history():
    contacts = pd.DataFrame({"email": ["Jo@Acme.com"], "created_at": [pd.Timestamp("2023-01-01")]})
    c = contact(simulate(sent(message()), Policy(team=[JO]), contacts=contacts))
    expected = (True, True, pd.Timestamp("2023-01-01"), 1, 0, "timeline_emptied")
    assert expected == (c["exists_before"], c["exists_after"], c["created_at_after"], c["timeline_before"],
                        c["timeline_after"], c["change"])


# --- §4 every change class ------------------------------------------------------------------------

def _two_senders(first, second):
    return sent(message("m1", sender=first, sent_at="2024-01-01"), message("m2", sender=second, sent_at="2024-01-02"))


CHANGE_CASES = [
    # (name, history, baseline, candidate)
    ("not_created", lambda: sent(message()), None, Policy(team=[JO])),
    ("created_later", lambda: _two_senders(ANN, BOB), None, Policy(personal={ANN: [JO]})),
    ("timeline_emptied", lambda: sent(message("m1", channel="crm"), message("m2", sent_at="2024-01-02")),
     None, Policy(team=[JO])),
    ("timeline_reduced", lambda: _two_senders(BOB, ANN), None, Policy(personal={ANN: [JO]})),
    ("newly_created", lambda: sent(message()), Policy(team=[JO]), None),
    ("created_earlier", lambda: _two_senders(ANN, BOB), Policy(personal={ANN: [JO]}), None),
    ("timeline_added", lambda: _two_senders(BOB, ANN), Policy(personal={ANN: [JO]}), None),
    ("unchanged", lambda: sent(message()), None, Policy(team=["*@elsewhere.com"])),
]


@pytest.mark.parametrize("expected, history, baseline, candidate", CHANGE_CASES, ids=[c[0] for c in CHANGE_CASES])
def test_change_class(expected, history, baseline, candidate):
    result = simulate(history(), candidate, baseline=baseline)
    assert expected == contact(result)["change"]


def test_created_later_moves_the_creation_to_the_first_unblocked_send():
    c = contact(simulate(_two_senders(ANN, BOB), Policy(personal={ANN: [JO]})))
    assert (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")) == (c["created_at_before"], c["created_at_after"])


def test_change_counts_in_metrics_cover_every_class():
    result = simulate(sent(message()), Policy(team=[JO]))
    expected = {"not_created": 1, "created_later": 0, "timeline_emptied": 0, "timeline_reduced": 0,
                "newly_created": 0, "created_earlier": 0, "timeline_added": 0, "unchanged": 0}
    assert expected == result.metrics()["changes"]


# --- §3 feed and tracking ---------------------------------------------------------------------------

def _feed_history():
    return sent(message("m1", to=f"{JO}, x@friend.org"))


def _feed_events():
    return tracking(("m1", JO, "open"), ("m1", JO, "click"), ("m1", "x@friend.org", "open"), ("m1", None, "open"))


def test_feed_totals_never_change():
    m = simulate(_feed_history(), Policy(team=[JO]), tracking=_feed_events()).metrics()
    assert (4, 4) == (m["feed_events_before"], m["feed_events_after"])


def test_every_event_stays_in_the_feed():
    feed = simulate(_feed_history(), Policy(team=[JO]), tracking=_feed_events()).feed
    assert (4, 4) == (int(feed["in_feed_before"].sum()), int(feed["in_feed_after"].sum()))


def test_feed_events_of_blocked_recipients_are_counted():
    m = simulate(_feed_history(), Policy(team=[JO]), tracking=_feed_events()).metrics()
    assert 2 == m["feed_events_of_blocked_recipients"]


def test_blocked_recipients_tracking_leaves_the_timeline():
    feed = simulate(_feed_history(), Policy(team=[JO]), tracking=_feed_events()).feed
    mine = feed[feed["recipient"] == JO]
    assert ([True, True], [False, False]) == (mine["on_timeline_before"].tolist(), mine["on_timeline_after"].tolist())


def test_unattributed_open_is_in_the_feed_and_on_no_timeline():
    feed = simulate(_feed_history(), Policy(), tracking=_feed_events()).feed
    someone = feed[feed["recipient"].isna()].iloc[0]
    assert (True, True, False, False) == (someone["in_feed_before"], someone["in_feed_after"],
                                          someone["on_timeline_before"], someone["on_timeline_after"])


def test_unattributed_open_with_empty_text_recipient_counts_as_someone():
    result = simulate(_feed_history(), Policy(), tracking=tracking(("m1", "", "open")))
    assert (1, 0) == (result.metrics()["feed_events_unattributed"], result.metrics()["tracking_on_timeline_before"])


# --- §4 timeline entries --------------------------------------------------------------------------

def test_timeline_row_carries_responsible_entry_and_tracking_events_removed():
    result = simulate(_feed_history(), Policy(team=["*@acme.com", "other@elsewhere.com"]), tracking=_feed_events())
    t = result.timeline
    expected = [{"message_id": "m1", "recipient": JO, "logged_before": True, "logged_after": False,
                 "blocked_by": "*@acme.com", "blocked_by_list": "team", "tracking_events_removed": 2}]
    assert expected == t[list(expected[0])].to_dict("records")


def test_timeline_lists_only_rows_whose_logging_changes():
    history = sent(message("m1", to=f"{JO}, x@friend.org"), message("m2", to="y@other.org", sent_at="2024-01-02"))
    assert [("m1", JO)] == list(simulate(history, Policy(team=[JO])).timeline[["message_id", "recipient"]]
                                .itertuples(index=False, name=None))


# --- §4 entries: responsibility, exclusive impact, dead weight ---------------------------------------

RESPONSIBILITY = [
    # team entries, ann's personal entries, expected (blocked_by, blocked_by_list)
    ([JO, "*@acme.com"], [JO, "*@acme.com"], (JO, "team")),
    (["*@acme.com"], [JO, "*@acme.com"], ("*@acme.com", "team")),
    ([], [JO, "*@acme.com"], (JO, "personal")),
    ([], ["*@acme.com"], ("*@acme.com", "personal")),
]


@pytest.mark.parametrize("team, personal, expected", RESPONSIBILITY)
def test_responsibility_order(team, personal, expected):
    r = row(simulate(sent(message()), Policy(team=team, personal={ANN: personal})), "m1")
    assert expected == (r["blocked_by"], r["blocked_by_list"])


def test_unblocked_rows_have_no_responsible_entry():
    r = row(simulate(sent(message()), Policy(team=["*@elsewhere.com"])), "m1")
    assert ("", "") == (r["blocked_by"], r["blocked_by_list"])


def _entry(result, entry: str) -> dict:
    e = result.entries
    hit = e[(e["policy"] == "candidate") & (e["entry"] == entry)]
    assert 1 == len(hit)
    return hit.iloc[0].to_dict()


def test_two_entries_matching_the_same_row_have_no_exclusive_impact():
    result = simulate(sent(message()), Policy(team=[JO, "*@acme.com"]))
    assert [(1, 0), (1, 0)] == [(_entry(result, e)["rows"], _entry(result, e)["exclusive_rows"])
                                for e in (JO, "*@acme.com")]


def test_an_entry_alone_has_all_its_rows_as_exclusive_impact():
    history = sent(message("m1", to=f"{JO}, al@acme.com"), message("m2", sent_at="2024-01-02"))
    e = _entry(simulate(history, Policy(team=["*@acme.com"])), "*@acme.com")
    assert (3, 3, 2, 2, 1) == (e["rows"], e["exclusive_rows"], e["messages"], e["recipients"], e["senders"])


def test_dead_entry_has_zero_rows_and_is_flagged():
    e = _entry(simulate(sent(message()), Policy(team=[JO, "*@nowhere.com"])), "*@nowhere.com")
    assert (0, 0, True) == (e["rows"], e["exclusive_rows"], e["dead"])


def test_entries_lists_both_policies():
    result = simulate(sent(message()), Policy(team=[JO]), baseline=Policy(team=["*@acme.com"]))
    assert [("candidate", JO), ("baseline", "*@acme.com")] == list(
        result.entries[["policy", "entry"]].itertuples(index=False, name=None))


# --- the canonical rows: one per message × recipient --------------------------------------------------

def test_recipient_in_cc_and_bcc_is_one_row_with_role_cc():
    rows = sent(message(to="a@x.com", cc=JO, bcc=JO)).to_pandas()
    assert [("a@x.com", "to"), (JO, "cc")] == list(rows[["recipient", "role"]].itertuples(index=False, name=None))


def test_recipient_in_to_and_cc_is_one_row_with_role_to():
    rows = sent(message(to=JO, cc=f"Jo <{JO.upper()}>")).to_pandas()
    assert [(JO, "to")] == list(rows[["recipient", "role"]].itertuples(index=False, name=None))


def test_recipient_listed_twice_is_counted_in_the_load_report():
    problems = sent(message(to="a@x.com", cc=JO, bcc=JO)).problems.set_index("problem")["count"].to_dict()
    assert 1 == problems["recipient listed twice in one message (one row kept, role To > Cc > Bcc)"]


def test_matching_is_case_insensitive():
    r = row(simulate(sent(message(to="Jo@ACME.com")), Policy(team=["JO@acme.COM"])), "m1")
    assert True == r["blocked_after"]  # noqa: E712 — pin the value, not its truthiness


def test_contacts_dataframe_with_text_dates_is_read_as_dates():
    contacts = pd.DataFrame({"email": [JO], "created_at": ["2023-01-01T00:00:00Z"]})
    c = contact(simulate(sent(message()), Policy(team=[JO]), contacts=contacts))
    assert (pd.Timestamp("2023-01-01"), "timeline_emptied") == (c["created_at_before"], c["change"])


def test_contacts_dataframe_with_zoned_dates_is_read_as_utc():
    contacts = pd.DataFrame({"email": [JO], "created_at": [pd.Timestamp("2023-01-01 01:00", tz="Europe/Warsaw")]})
    c = contact(simulate(sent(message()), Policy(team=[JO]), contacts=contacts))
    assert pd.Timestamp("2023-01-01 00:00") == c["created_at_before"]


def test_u1_option_governs_unknown_channels_when_asked():
    rules = PROFILES["seed-2023"].replace(unknown_channel_applies=True)
    r = row(simulate(sent(message(channel="carrier_pigeon")), Policy(team=[JO]), rules=rules), "m1")
    assert (True, True) == (r["applies"], r["blocked_after"])


def test_a2_subdomains_apply_to_personal_domain_entries_too():
    rules = PROFILES["seed-2023"].replace(subdomains=True)
    result = simulate(sent(message(to="a@eu.acme.com")), Policy(personal={ANN: ["*@acme.com"]}), rules=rules)
    r = row(result, "m1", "a@eu.acme.com")
    assert (True, "*@acme.com", "personal") == (r["blocked_after"], r["blocked_by"], r["blocked_by_list"])
