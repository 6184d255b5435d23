"""Profile 2026 (docs/rules.md#profile-2026-contact-email-logging-rules), rule by rule, on tiny hand-made histories."""

from __future__ import annotations

import pandas as pd
import pytest

from neverlog_sim import PROFILES, Policy, load_sent, simulate
from neverlog_sim.cli import build_parser
from neverlog_sim.errors import InputError, RulesError
from neverlog_sim.rules import CHANNELS, get_rules

ANN = "ann@yourco.com"
BOB = "bob@yourco.com"
JO = "jo@acme.com"
KIM = "kim@beta.com"
REPLIES = PROFILES["2026"].replace(logging_rule="replies_only")


def mail(mid, day, sender=ANN, to=JO, channel="extension", direction="outbound", thread=None, reply_to=None,
         log_enabled=True) -> dict:
    """One message-level row; ``day`` is a date in 2024 as ``MM-DD``."""
    return {"message_id": mid, "sent_at": f"2024-{day}T10:00:00Z", "sender": sender, "channel": channel, "to": to,
            "log_enabled": log_enabled, "direction": direction, "thread_id": thread, "in_reply_to": reply_to}


def history(*rows: dict):
    return load_sent(pd.DataFrame(list(rows)), format="canonical", progress=False)


def contacts(*emails: str, since: str = "2023-01-01") -> pd.DataFrame:
    return pd.DataFrame({"email": list(emails), "created_at": [since] * len(emails)})


def on_timeline(result, side: str = "before") -> list[str]:
    """Message ids on a contact timeline (``before`` = baseline, ``after`` = candidate), in date order."""
    df = result.recipients
    return df.loc[df[f"on_timeline_{side}"], "message_id"].tolist()


def contact(result, address: str) -> dict:
    df = result.contacts
    hit = df[df["contact"] == address]
    assert 1 == len(hit)
    return hit.iloc[0].to_dict()


# --- the profile ------------------------------------------------------------------------------

def test_profile_2026_is_2025_plus_the_log_all_rule_and_the_client_channel():
    p2025, p2026 = PROFILES["2025"], get_rules("2026")
    assert ("log_all", False, p2025.applies | {"client"}, p2025.creating_channels) == (
        p2026.logging_rule, p2026.client_creates, p2026.applies, p2026.creating_channels)
    assert (None, None) == (PROFILES["seed-2023"].logging_rule, p2025.logging_rule)
    assert "client" in CHANNELS


def test_replace_sets_the_logging_rule_and_the_a6_switch():
    rules = PROFILES["2026"].replace(logging_rule="replies_only", client_creates=True)
    assert ("replies_only", True, "2026+custom") == (rules.logging_rule, rules.client_creates, rules.name)


@pytest.mark.parametrize("base, changes, message", [
    ("2026", {"logging_rule": "log_everything"}, "logging_rule must be one of ['log_all', 'replies_only']"),
    ("seed-2023", {"client_creates": True}, "client_creates (A6) applies to profile 2026 only"),
    ("2025", {"applies": {"extension", "client"}}, "'client' sends are never logged outside profile 2026"),
    ("2026", {"creating_channels": {"client"}}, "creating_channels cannot name 'client'"),
    ("2026", {"logging_rul": "log_all"}, "Rules has no option(s) ['logging_rul']"),
])
def test_bad_profile_values_get_a_named_error(base, changes, message):
    with pytest.raises(RulesError) as info:
        PROFILES[base].replace(**changes)
    assert str(info.value).startswith(message)


def test_cli_accepts_rules_2026():
    args = build_parser().parse_args(["simulate", "--sent", "x.csv", "--candidate", "y.txt", "--rules", "2026"])
    assert "2026" == args.rules


# --- client sends -----------------------------------------------------------------------------

def test_log_all_logs_a_client_send_only_to_recipients_whose_record_exists():
    sent = history(mail("m1", "01-10", to=f"{JO}, {KIM}", channel="client"))
    result = simulate(sent, Policy(), rules="2026", contacts=contacts(JO))
    df = result.recipients
    assert [(JO, True), (KIM, False)] == list(zip(df["recipient"], df["on_timeline_before"]))
    assert (True, False) == (contact(result, JO)["exists_before"], contact(result, KIM)["exists_before"])


def test_a_record_that_exists_only_after_a_send():
    # m1 (client) goes before Jo is a contact; m2 (extension) creates Jo's record; m3 (client) is logged.
    sent = history(mail("m1", "01-10", channel="client"), mail("m2", "02-01"), mail("m3", "03-01", channel="client"))
    result = simulate(sent, Policy(), rules="2026")
    jo = contact(result, JO)
    assert (["m2", "m3"], pd.Timestamp("2024-02-01 10:00"), 2) == (
        on_timeline(result), jo["created_at_before"], jo["timeline_before"])


def test_a_client_send_creates_no_record():
    result = simulate(history(mail("m1", "01-10", channel="client")), Policy(), rules="2026")
    assert (False, 0, 0) == (contact(result, JO)["exists_before"], result.metrics()["contact_records_before"],
                             result.metrics()["timeline_entries_before"])


def test_a_governed_client_send_to_a_non_contact_is_blocked_and_counted():
    result = simulate(history(mail("m1", "01-10", channel="client")), Policy(team=[JO]), rules="2026")
    row = result.recipients.iloc[0]
    m = result.metrics()
    assert (True, True, "jo@acme.com", 1, 0, 0) == (
        row["applies"], row["blocked_after"], row["blocked_by"], m["blocked_rows_after"],
        m["timeline_entries_before"], m["timeline_entries_after"])


def test_replies_only_logs_no_client_send_but_still_governs_it():
    result = simulate(history(mail("m1", "01-10", channel="client")), Policy(team=[JO]), rules=REPLIES,
                      contacts=contacts(JO))
    row = result.recipients.iloc[0]
    assert (False, True, True) == (row["on_timeline_before"], row["applies"], row["blocked_after"])


@pytest.mark.parametrize("profile", ["seed-2023", "2025"])
def test_earlier_profiles_never_log_a_client_send_and_do_not_govern_it(profile):
    sent = history(mail("m1", "01-10", channel="client"))
    result = simulate(sent, Policy(team=[JO]), rules=profile, contacts=contacts(JO))
    row = result.recipients.iloc[0]
    assert (False, False, False, 0) == (row["applies"], row["blocked_after"], row["on_timeline_before"],
                                        result.metrics()["timeline_entries_before"])
    assert [] == [p for p in sent.problems["problem"] if p.startswith("unknown channels")]


def test_the_log_toggle_off_on_a_client_send_means_never_logged_never_blocked():
    sent = history(mail("m1", "01-10", channel="client", log_enabled=False))
    result = simulate(sent, Policy(team=[JO]), rules="2026", contacts=contacts(JO))
    row = result.recipients.iloc[0]
    assert (False, False, False) == (row["applies"], row["blocked_after"], row["on_timeline_before"])


def test_client_creates_makes_a_logged_unblocked_client_send_create_its_record():
    sent = history(mail("m1", "01-10", channel="client"), mail("m2", "02-01", to=KIM, channel="client"))
    rules = PROFILES["2026"].replace(client_creates=True)
    result = simulate(sent, Policy(team=[KIM]), rules=rules)
    jo, kim = contact(result, JO), contact(result, KIM)
    assert (True, 1, "unchanged") == (jo["exists_after"], jo["timeline_after"], jo["change"])
    assert (True, False, "not_created") == (kim["exists_before"], kim["exists_after"], kim["change"])


def test_client_creates_has_no_effect_under_replies_only():
    rules = REPLIES.replace(client_creates=True)
    result = simulate(history(mail("m1", "01-10", channel="client")), Policy(), rules=rules)
    assert (False, 0) == (contact(result, JO)["exists_before"], result.metrics()["timeline_entries_before"])


# --- incoming email ---------------------------------------------------------------------------

def test_log_all_logs_incoming_mail_when_the_senders_record_exists_at_receive_time():
    sent = history(mail("r1", "01-05", sender=JO, to=ANN, channel="client", direction="inbound"),
                   mail("m1", "01-10"),
                   mail("r2", "01-15", sender=JO, to=ANN, channel="client", direction="inbound"))
    result = simulate(sent, Policy(), rules="2026")
    jo = contact(result, JO)
    assert (["m1", "r2"], 2, 1, 2) == (on_timeline(result), jo["timeline_before"], jo["timeline_incoming_before"],
                                       jo["received"])


def test_incoming_mail_never_creates_a_record():
    sent = history(mail("r1", "01-05", sender=JO, to=ANN, channel="extension", direction="inbound"))
    result = simulate(sent, Policy(), rules=PROFILES["2026"].replace(client_creates=True))
    assert (False, [], 0) == (contact(result, JO)["exists_before"], on_timeline(result),
                              result.metrics()["contact_records_before"])


def test_an_incoming_row_with_no_channel_counts_as_client():
    frame = pd.DataFrame([mail("r1", "01-05", sender=JO, to=ANN, channel=None, direction="inbound")])
    result = simulate(load_sent(frame, format="canonical", progress=False), Policy(team=[JO]), rules="2026",
                      contacts=contacts(JO))
    row = result.recipients.iloc[0]
    assert ("client", True, True, False) == (row["channel"], row["blocked_after"], row["on_timeline_before"],
                                             row["on_timeline_after"])


@pytest.mark.parametrize("channel", ["team_inbox", "integration", "crm", "bcc_forward"])
def test_inbound_on_other_channels_passes_through(channel):
    sent = history(mail("r1", "01-05", sender=JO, to=ANN, channel=channel, direction="inbound"))
    result = simulate(sent, Policy(team=[JO]), rules="2026", contacts=contacts(JO))
    row = result.recipients.iloc[0]
    m = result.metrics()
    assert (False, False, False, 1, 0) == (row["applies"], row["blocked_after"], row["on_timeline_before"],
                                           m["inbound_rows"], m["timeline_entries_before"])


def test_the_receiving_users_personal_list_blocks_the_sender_in_that_inbox_only():
    sent = history(mail("r1", "01-05", sender=JO, to=ANN, channel="client", direction="inbound"),
                   mail("r2", "01-06", sender=JO, to=BOB, channel="client", direction="inbound"))
    result = simulate(sent, Policy(personal={ANN: [JO]}), rules="2026", contacts=contacts(JO))
    df = result.recipients
    assert [("r1", ANN, True, "personal"), ("r2", BOB, False, "")] == list(
        zip(df["message_id"], df["recipient"], df["blocked_after"], df["blocked_by_list"]))
    assert (["r1", "r2"], ["r2"], "timeline_reduced") == (on_timeline(result), on_timeline(result, "after"),
                                                          contact(result, JO)["change"])


def test_blocking_a_sender_empties_a_timeline_through_incoming_mail_alone():
    sent = history(mail("r1", "01-05", sender=JO, to=ANN, channel="client", direction="inbound"))
    result = simulate(sent, Policy(team=["*@acme.com"]), rules="2026", contacts=contacts(JO))
    m = result.metrics()
    assert ("timeline_emptied", 1, 0, 1, 1) == (
        contact(result, JO)["change"], m["timeline_entries_incoming_before"], m["timeline_entries_incoming_after"],
        m["timeline_entries_removed"], m["changes"]["timeline_emptied"])


def test_outside_2026_incoming_mail_passes_through():
    sent = history(mail("r1", "01-05", sender=JO, to=ANN, channel="client", direction="inbound"))
    result = simulate(sent, Policy(team=[JO]), rules="2025", contacts=contacts(JO))
    row = result.recipients.iloc[0]
    assert (False, False, False, 1) == (row["applies"], row["blocked_after"], row["on_timeline_before"],
                                        result.metrics()["inbound_rows"])


def test_tracking_naming_an_incoming_email_is_ignored():
    sent = history(mail("m1", "01-04"), mail("r1", "01-05", sender=JO, to=ANN, channel="client", direction="inbound"))
    events = pd.DataFrame({"message_id": ["m1", "r1"], "recipient": [JO, ANN], "event": ["open", "open"],
                           "occurred_at": ["2024-01-06T00:00:00Z"] * 2})
    result = simulate(sent, Policy(), rules="2026", tracking=events)
    assert (["m1"], 1) == (result.feed["message_id"].tolist(),
                           result.metrics()["tracking_events_of_incoming_email_ignored"])


# --- reply threads (replies_only) -------------------------------------------------------------

def _doc_example():
    """docs/rules.md#example-replies-in-logged-and-unlogged-threads."""
    return history(
        mail("m1", "01-10", thread="T1"),
        mail("r1", "01-11", sender=JO, to=ANN, channel="client", direction="inbound", thread="T1"),
        mail("m2", "02-01", channel="client", thread="T2"),
        mail("r2", "02-02", sender=JO, to=ANN, channel="client", direction="inbound", thread="T2"),
        mail("m3", "03-01", thread="T3"),
        mail("r3", "03-02", sender=KIM, to=ANN, channel="client", direction="inbound", thread="T3"),
    )


def test_replies_only_logs_an_incoming_reply_in_a_logged_thread_not_in_an_unlogged_one():
    result = simulate(_doc_example(), Policy(team=["*@acme.com"]), rules=REPLIES, contacts=contacts(JO, KIM))
    assert (["m1", "r1", "m3", "r3"], []) == (on_timeline(result), on_timeline(result, "after"))
    assert ("timeline_emptied", "timeline_emptied") == (contact(result, JO)["change"], contact(result, KIM)["change"])


def test_log_all_needs_no_logged_thread():
    result = simulate(_doc_example(), Policy(team=["*@acme.com"]), rules="2026", contacts=contacts(JO, KIM))
    assert (["m1", "r1", "m2", "r2", "m3", "r3"], ["r3"]) == (on_timeline(result), on_timeline(result, "after"))


def test_a_reply_chain_through_in_reply_to_reaches_the_logged_start():
    sent = history(
        mail("<m1@yourco.com>", "01-10"),
        mail("<r1@acme.com>", "01-11", sender=JO, to=ANN, channel="client", direction="inbound",
             reply_to="<m1@yourco.com>"),
        mail("<m2@yourco.com>", "01-12", channel="client", reply_to="<r1@acme.com>"),
        mail("<r2@beta.com>", "01-13", sender=KIM, to=ANN, channel="client", direction="inbound",
             reply_to="<m2@yourco.com>"),
        mail("<r3@beta.com>", "01-14", sender=KIM, to=ANN, channel="client", direction="inbound",
             reply_to="<elsewhere@x.com>"),
    )
    result = simulate(sent, Policy(), rules=REPLIES, contacts=contacts(JO, KIM))
    assert ["<m1@yourco.com>", "<r1@acme.com>", "<r2@beta.com>"] == on_timeline(result)
    report = sent.problems.set_index("problem")["count"].to_dict()
    assert (3, 1, 1) == (report["incoming emails (kept; governed in profile 2026 only)"],
                         report["reply threads of two or more emails (thread_id, in_reply_to)"],
                         report["replies whose parent is not in the history (threaded by thread_id only)"])


def test_only_an_earlier_logged_email_opens_the_thread():
    sent = history(mail("r1", "01-09", sender=JO, to=ANN, channel="client", direction="inbound", thread="T1"),
                   mail("m1", "01-10", thread="T1"),
                   mail("r2", "01-11", sender=JO, to=ANN, channel="client", direction="inbound", thread="T1"))
    result = simulate(sent, Policy(), rules=REPLIES, contacts=contacts(JO))
    assert ["m1", "r2"] == on_timeline(result)


def test_replies_only_without_thread_data_logs_no_incoming_email_and_the_load_report_says_so():
    frame = pd.DataFrame([mail("m1", "01-10"), mail("r1", "01-11", sender=JO, to=ANN, channel="client",
                                                     direction="inbound")]).drop(columns=["thread_id", "in_reply_to"])
    sent = load_sent(frame, format="canonical", progress=False)
    result = simulate(sent, Policy(), rules=REPLIES, contacts=contacts(JO))
    report = sent.problems.set_index("problem")["count"].to_dict()
    assert (["m1"], 1) == (on_timeline(result),
                           report["incoming emails with no thread data (logging_rule replies_only logs none of them)"])


# --- entries and reports ----------------------------------------------------------------------

def test_an_entrys_impact_includes_the_incoming_mail_it_stops():
    sent = history(mail("m1", "01-10"), mail("r1", "01-11", sender=JO, to=ANN, channel="client", direction="inbound"))
    entries = simulate(sent, Policy(team=[JO]), rules="2026").entries
    row = entries[entries["entry"] == JO].iloc[0]
    assert (2, 1, 2) == (row["rows"], row["incoming_rows"], row["messages"])


def test_timeline_rows_say_outgoing_or_incoming():
    sent = history(mail("m1", "01-10"), mail("r1", "01-11", sender=JO, to=ANN, channel="client", direction="inbound"))
    timeline = simulate(sent, Policy(team=[JO]), rules="2026").timeline
    assert [("m1", ANN, JO, JO, "outgoing"), ("r1", JO, ANN, JO, "incoming")] == list(
        timeline[["message_id", "sender", "recipient", "contact", "direction"]].itertuples(index=False, name=None))


def test_the_same_history_under_seed_2023_2025_and_2026():
    sent = history(mail("m1", "01-10", channel="team_inbox"),
                   mail("m2", "01-11", channel="client"),
                   mail("r1", "01-12", sender=JO, to=ANN, channel="client", direction="inbound", thread="T"),
                   mail("m3", "01-13", thread="T"),
                   mail("r2", "01-14", sender=JO, to=ANN, channel="client", direction="inbound", thread="T"))
    removed = {}
    for rules in ("seed-2023", "2025", "2026", REPLIES):
        m = simulate(sent, Policy(team=[JO]), rules=rules).metrics()
        removed[get_rules(rules).name] = (m["timeline_entries_before"], m["timeline_entries_after"],
                                          m["blocked_rows_after"], m["contacts_not_created"])
    assert {"seed-2023": (2, 1, 1, 0), "2025": (2, 0, 2, 1), "2026": (5, 0, 5, 1),
            "2026+custom": (3, 0, 5, 1)} == removed


# --- loading ----------------------------------------------------------------------------------

def test_load_sent_takes_a_default_channel_for_tables_without_one():
    frame = pd.DataFrame([{"message_id": "m1", "sent_at": "2024-01-01", "sender": ANN, "to": JO}])
    sent = load_sent(frame, channel="client", progress=False)
    assert ["client"] == sent.to_pandas()["channel"].tolist()
    with pytest.raises(InputError) as info:
        load_sent(frame, channel="phone", progress=False)
    assert str(info.value).startswith("channel must be one of")


def test_mail_files_read_inbox_folders_and_reply_headers(tmp_path):
    (tmp_path / "sent").mkdir()
    (tmp_path / "inbox").mkdir()
    (tmp_path / "sent" / "1.eml").write_text(
        f"From: {ANN}\nTo: {JO}\nDate: Wed, 10 Jan 2024 10:00:00 +0000\nMessage-ID: <m1@yourco.com>\n"
        "Subject: Hello\n\nHi\n")
    (tmp_path / "inbox" / "1.eml").write_text(
        f"From: {JO}\nTo: {ANN}, {KIM}\nDate: Thu, 11 Jan 2024 10:00:00 +0000\nMessage-ID: <r1@acme.com>\n"
        "In-Reply-To: <m1@yourco.com>\nReferences: <m1@yourco.com>\nSubject: Re: Hello\n\nHi back\n")
    sent = load_sent(tmp_path, channel="client", aliases={ANN: ANN}, progress=False)
    rows = sent.to_pandas()
    assert [("<m1@yourco.com>", ANN, JO, "outbound", "client"), ("<r1@acme.com>", JO, ANN, "inbound", "client")] == \
        list(rows[["message_id", "sender", "recipient", "direction", "channel"]].itertuples(index=False, name=None))
    result = simulate(sent, Policy(), rules="2026", contacts=contacts(JO))
    assert ["<m1@yourco.com>", "<r1@acme.com>"] == on_timeline(result)


def test_the_report_names_the_profile_its_logging_rule_and_splits_outgoing_and_incoming():
    sent = history(mail("m1", "01-10"), mail("r1", "01-11", sender=JO, to=ANN, channel="client", direction="inbound"))
    report = simulate(sent, Policy(team=[JO]), rules=REPLIES.replace(name="2026 replies_only")).report()
    h = report["headline"]
    assert ("replies_only", True, (1, 0, 0, 0)) == (
        report["logging_rule"], report["profile_note"].endswith("; logging rule replies_only"),
        (h["timeline_entries_outgoing_before"], h["timeline_entries_outgoing_after"],
         h["timeline_entries_incoming_before"], h["timeline_entries_incoming_after"]))
    log_all = simulate(sent, Policy(team=[JO]), rules="2026")
    assert "(2 → 0; outgoing 1 → 0, incoming 1 → 0)" in log_all.to_markdown()


def test_the_live_preview_has_profile_and_logging_rule_controls():
    from neverlog_sim.widgets import preview
    sent = history(mail("m1", "01-10", thread="T"), mail("m2", "01-11", channel="client", thread="U"),
                   mail("r1", "01-12", sender=JO, to=ANN, channel="client", direction="inbound", thread="U"))
    app = preview(sent, team=[JO], debounce=0)
    seen = [(app.logging_rule.disabled, app.metrics["timeline_entries_before"])]
    app.profile.value = "2026"
    seen.append((app.logging_rule.disabled, app.metrics["timeline_entries_before"]))
    app.logging_rule.value = "replies_only"
    seen.append((app.logging_rule.disabled, app.metrics["timeline_entries_before"]))
    assert ([(True, 1), (False, 3), (False, 1)], "2026 replies_only", "replies_only") == (
        seen, app.rules.name, app.rules.logging_rule)
    assert "incoming (received from contacts)" in app.numbers.value


@pytest.fixture(scope="module")
def sample_runs():
    from neverlog_sim.samples import sample_path
    sent = load_sent(sample_path("sent_canonical.csv"), progress=False)
    lists = Policy.from_dir(sample_path("lists"))
    out = {}
    for rules in ("seed-2023", "2025", "2026", REPLIES.replace(name="replies_only")):
        m = simulate(sent, lists, rules=rules, contacts=sample_path("contacts.csv"),
                     tracking=sample_path("tracking.csv")).metrics()
        out[get_rules(rules).name] = m
    return out


def test_the_readme_figures_of_the_demo_under_each_profile(sample_runs):
    """README.md, "Profile 2026: HubSpot today": the sample company's lists under each profile."""
    figures = {name: (m["blocked_rows_after"], m["timeline_entries_outgoing_before"],
                      m["timeline_entries_incoming_before"], m["timeline_entries_outgoing_before"]
                      - m["timeline_entries_outgoing_after"], m["timeline_entries_incoming_before"]
                      - m["timeline_entries_incoming_after"], m["timeline_entries_removed"],
                      m["contacts_not_created"], m["tracking_events_leaving_timelines"])
               for name, m in sample_runs.items()}
    assert {"seed-2023": (11_788, 42_733, 0, 11_788, 0, 11_788, 124, 6_567),
            "2025": (13_001, 42_733, 0, 13_001, 0, 13_001, 125, 7_203),
            "2026": (14_000, 45_437, 4_082, 13_419, 581, 14_000, 125, 7_203),
            "replies_only": (14_000, 42_733, 4_068, 13_001, 581, 13_582, 125, 7_203)} == figures


@pytest.mark.parametrize("rules", ["seed-2023", "2025", "2026", REPLIES, REPLIES.replace(client_creates=True),
                                   PROFILES["2026"].replace(client_creates=True)])
def test_headline_numbers_agree_with_the_tables(rules):
    """metrics() reads per-history caches and fast paths; .contacts and .timeline count row by row."""
    sent = history(mail("m1", "01-10", thread="T1", to=f"{JO}, {KIM}"),
                   mail("r1", "01-11", sender=JO, to=ANN, channel="client", direction="inbound", thread="T1"),
                   mail("m2", "02-01", channel="client", thread="T2", to=KIM),
                   mail("r2", "02-02", sender=KIM, to=BOB, channel="extension", direction="inbound", thread="T2"),
                   mail("m3", "03-01", sender=BOB, channel="crm", thread="T3"),
                   mail("r3", "03-02", sender=KIM, to=BOB, channel="client", direction="inbound", thread="T3"),
                   mail("m4", "03-05", channel="team_inbox", to="pat@partner.org"))
    result = simulate(sent, Policy(team=[JO]), baseline=Policy(personal={BOB: [KIM]}), rules=rules)
    m, c, t = result.metrics(), result.contacts, result.timeline
    left = int((t["on_timeline_before"] & ~t["on_timeline_after"]).sum())
    assert (int(c["timeline_before"].sum()), int(c["timeline_after"].sum()), int(c["exists_before"].sum()),
            int(c["exists_after"].sum()), left) == (
        m["timeline_entries_before"], m["timeline_entries_after"], m["contact_records_before"],
        m["contact_records_after"], m["timeline_entries_removed"])
    r = result.recipients
    assert (int(r["on_timeline_before"].sum()), int(r["on_timeline_after"].sum())) == (
        m["timeline_entries_before"], m["timeline_entries_after"])


def test_hubspot_thread_ids_and_incoming_email_feed_replies_only():
    frame = pd.DataFrame({
        "hs_object_id": ["1", "2", "3"],
        "hs_timestamp": ["2024-01-10T10:00:00Z", "2024-01-11T10:00:00Z", "2024-01-12T10:00:00Z"],
        "hs_email_direction": ["EMAIL", "INCOMING_EMAIL", "INCOMING_EMAIL"],
        "hs_email_status": ["SENT", "SENT", "SENT"],
        "hs_email_from_email": [ANN, JO, KIM],
        "hs_email_to_email": [JO, ANN, ANN],
        "hs_email_logged_from": ["EXTENSION", "EXTENSION", "EXTENSION"],
        "hs_email_thread_id": ["T1", "T1", "T2"],
    })
    sent = load_sent(frame, format="hubspot_api", progress=False)
    rows = sent.to_pandas()
    assert [("1", "outbound"), ("2", "inbound"), ("3", "inbound")] == list(
        rows[["message_id", "direction"]].itertuples(index=False, name=None))
    result = simulate(sent, Policy(), rules=REPLIES, contacts=contacts(JO, KIM))
    assert ["1", "2"] == on_timeline(result)


def test_mail_files_without_folder_names_take_the_direction_from_whether_from_is_a_user(tmp_path):
    box = tmp_path / "all-mail"
    box.mkdir()
    (box / "1.eml").write_text(
        f"From: Ann <ANN.alias@yourco.com>\nTo: {JO}\nDate: Wed, 10 Jan 2024 10:00:00 +0000\n"
        "Message-ID: <m1@yourco.com>\nSubject: Hello\n\nHi\n")
    (box / "2.eml").write_text(
        f"From: {JO}\nTo: ann.alias@yourco.com\nCc: {KIM}\nDate: Thu, 11 Jan 2024 10:00:00 +0000\n"
        "Message-ID: <r1@acme.com>\nIn-Reply-To: <m1@yourco.com>\nSubject: Re: Hello\n\nHi back\n")
    sent = load_sent(box, aliases={"ann.alias@yourco.com": ANN}, progress=False)
    rows = sent.to_pandas()
    assert [("<m1@yourco.com>", ANN, JO, "outbound", "extension"), ("<r1@acme.com>", JO, ANN, "inbound", "extension")] \
        == list(rows[["message_id", "sender", "recipient", "direction", "channel"]].itertuples(index=False, name=None))
    result = simulate(sent, Policy(), rules=REPLIES)
    assert ["<m1@yourco.com>", "<r1@acme.com>"] == on_timeline(result)
