"""The list advisor (issue 14): one small history per suggestion reason, the policy that fits, no network."""

from __future__ import annotations

import json
import socket

import pandas as pd
import pytest

from neverlog_sim import InputError, Policy, Suggestions, build_sent, doctor, simulate, suggest
from neverlog_sim.advice import domains

ANN, BOB = "ann@us.com", "bob@us.com"


def sent_of(sends):
    """A history from ``(sender, recipient[, channel])`` tuples, one message each."""
    df = pd.DataFrame([{"message_id": f"m{i}", "sent_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z", "sender": s[0],
                        "channel": s[2] if len(s) > 2 else "extension", "recipient": s[1], "role": "to"}
                       for i, s in enumerate(sends)])
    return build_sent(df, progress=False)


@pytest.fixture(scope="module")
def history():
    return sent_of([
        (ANN, "mom@gmail.com"), (ANN, "mom@gmail.com"), (ANN, "mom@gmail.com"),   # a personal correspondent
        (ANN, "shared@gmail.com"), (BOB, "shared@gmail.com"),                     # two users write to it
        (ANN, "client@gmail.com", "crm"), (ANN, "client@gmail.com"),              # a CRM send went to it
        (ANN, "noreply@vendor.com"), (BOB, "noreply@vendor.com"), (ANN, "sales@vendor.com"),
        (BOB, "alerts@monitor.io"), (BOB, "notifications@monitor.io"),            # a mailer domain
        (ANN, "u123@sendgrid.net"),                                               # a known mailer service
        (ANN, BOB), (BOB, ANN), (ANN, BOB),                                       # internal mail
        (ANN, "ops@eu.us.com"),                                                   # an internal sub-domain
        (BOB, "buyer@acme.com"),
    ])


def brief(s: Suggestions, reason: str) -> list[tuple]:
    t = s.table[s.table["reason"] == reason]
    return list(zip(t["entry"], t["list"], t["owner"], t["rows"], t["recipients"], t["contacts_not_created"]))


def test_the_table_columns(history):
    assert ["entry", "list", "owner", "reason", "rows", "recipients", "contacts_not_created", "evidence",
            "in_policy"] == list(suggest(history).table.columns)


def test_own_domain_inferred_from_the_senders(history):
    s = suggest(history)
    assert [("*@us.com", "team", "", 3, 2, 2)] == brief(s, "own_domain")
    assert (["us.com"], "inferred from the senders of the history") == (s.own_domains, s.own_domains_source)


def test_internal_sub_domains_of_the_own_domain(history):
    assert [("*@eu.us.com", "team", "", 1, 1, 1)] == brief(suggest(history), "internal")


def test_automated_counterparts_addresses_and_mailer_domains(history):
    s = suggest(history)
    assert [("*@monitor.io", "team", "", 2, 2, 2), ("*@sendgrid.net", "team", "", 1, 1, 1),
            ("noreply@vendor.com", "team", "", 2, 1, 1)] == sorted(brief(s, "automated"))
    t = s.table.set_index("entry")
    assert "an automated mailbox: 2 rows to 1 recipient" == t.loc["noreply@vendor.com", "evidence"]
    assert ("a mailer domain: every address there is a machine: 2 rows to 2 recipients (e.g. alerts@monitor.io, "
            "notifications@monitor.io)") == t.loc["*@monitor.io", "evidence"]


def test_personal_correspondents_one_user_free_mail_never_in_a_crm_send(history):
    s = suggest(history)
    assert [("mom@gmail.com", "personal", ANN, 3, 1, 1)] == brief(s, "personal_correspondent")
    assert ("free-mail address only ann@us.com writes to, never in a CRM send: 3 rows to 1 recipient"
            ) == s.table.set_index("entry").loc["mom@gmail.com", "evidence"]


def test_given_own_domains_replace_the_inferred_ones(history):
    s = suggest(history, own_domains=["acme.com"])
    assert [("*@acme.com", "team", "", 1, 1, 1)] == brief(s, "own_domain")
    assert [] == brief(s, "internal")


def test_policy_goes_into_simulate_and_fits_the_cap(history):
    s = suggest(history)
    policy = s.policy()
    assert (["*@monitor.io", "*@sendgrid.net", "*@us.com", "*@eu.us.com", "noreply@vendor.com"],
            {ANN: ["mom@gmail.com"]}) == (
        sorted(map(str, policy.team.entries), key=lambda e: (not e.startswith("*@"), e.count("."), e)),
        {o: [str(e) for e in lst.entries] for o, lst in policy.personal.items()})
    m = simulate(history, policy).metrics()
    assert (12, 8) == (int(s.table["rows"].sum()), int(s.table["contacts_not_created"].sum()))
    assert (12, 8) == (m["blocked_rows_after"], m["contacts_not_created"])


def test_policy_keeps_the_entries_with_most_rows_within_the_cap(history):
    s = suggest(history, cap=1)
    assert (["*@us.com"], {ANN: ["mom@gmail.com"]}) == (
        [str(e) for e in s.policy().team.entries],
        {o: [str(e) for e in lst.entries] for o, lst in s.policy().personal.items()})
    assert 4 == int((~s.table["in_policy"]).sum())


def test_suggestions_json_html_and_repr(history):
    s = suggest(history)
    data = json.loads(s.to_json())
    assert ({"own_domain": 1, "internal": 1, "automated": 3, "personal_correspondent": 1}, 6, 6) == (
        data["by_reason"], data["suggestions"], data["in_policy"])
    assert "<b>Suggested entries</b>: 6 suggested entries (6 fit the caps)" in s._repr_html_()
    assert repr(s).startswith("<Suggestions 6 suggested entries (6 fit the caps); together they block 12 rows and keep 8 contact records")


def test_suggest_needs_a_history():
    with pytest.raises(InputError, match="needs the sent-mail history"):
        suggest(None)


def test_doctor_and_suggest_make_no_network_access(history, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    for cached in (domains.free_mail_domains, domains.disposable_domains, domains._psl, domains.registrable_domain,
                   domains.known_suffix):
        cached.cache_clear()  # load the offline data again, with sockets disabled
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    f = doctor(Policy(team=["*@gmail.com", "*@mail.acme.co.uk", "*@acme.con", "*@mailinator.com"]), history)
    s = suggest(history)
    assert (["free_mail", "typo", "disposable", "dead", "dead", "dead"], 6) == (list(f.table["kind"]), len(s))


def test_a_history_with_nothing_to_suggest_gives_an_empty_table_and_an_empty_policy():
    s = suggest(sent_of([(ANN, "x@acme.com")]), own_domains=[])
    assert (0, 0, 0, "<Suggestions 0 suggested entries (0 fit the caps); together they block 0 rows and keep 0 "
            "contact records from being created>") == (len(s), s.policy().size, json.loads(s.to_json())["in_policy"],
                                                       repr(s))
