"""The list doctor (issue 14): one small hand-made history per finding kind, and the Findings object."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from neverlog_sim import DoctorSettings, Findings, InputError, NeverLogList, Policy, build_sent, doctor

ANN, BOB, CY = "ann@us.com", "bob@us.com", "cy@us.com"


def sent_of(sends):
    """A history from ``(sender, recipient[, channel])`` tuples, one message each."""
    df = pd.DataFrame([{"message_id": f"m{i}", "sent_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z", "sender": s[0],
                        "channel": s[2] if len(s) > 2 else "extension", "recipient": s[1], "role": "to"}
                       for i, s in enumerate(sends)])
    return build_sent(df, progress=False)


def rows(findings: Findings, kind: str) -> list[dict]:
    t = findings.table
    return t[t["kind"] == kind].to_dict(orient="records")


def brief(findings: Findings, kind: str) -> list[tuple]:
    return [(r["severity"], r["list"], r["owner"], r["entry"], r["evidence"]) for r in rows(findings, kind)]


def test_the_table_has_exactly_the_issue_columns():
    f = doctor(Policy(team=["*@gmail.com"]))
    assert ["kind", "severity", "list", "owner", "entry", "evidence", "suggestion"] == list(f.table.columns)


def test_free_mail_domain_entry_is_an_error_with_the_recipients_it_silences():
    sent = sent_of([(ANN, "jo@gmail.com"), (ANN, "jo@gmail.com"), (BOB, "jo@gmail.com"), (ANN, "kim@gmail.com"),
                    (ANN, "x@acme.com")])
    f = doctor(Policy(team=["*@gmail.com", "*@acme.com"]), sent, own_domains=["us.com"])
    assert [("error", "team", "", "*@gmail.com",
             "silences 4 rows of 2 recipients from 2 users (e.g. jo@gmail.com, kim@gmail.com)")] == brief(f, "free_mail")
    assert ("gmail.com is a free-mail provider: every prospect and customer on it stops being logged. List the "
            "private addresses you mean (name@gmail.com) instead, e.g. with neverlog_sim.suggest()"
            ) == rows(f, "free_mail")[0]["suggestion"]


def test_disposable_domain_entry_is_a_warning_not_a_free_mail_error():
    sent = sent_of([(ANN, "signup1@mailinator.com"), (ANN, "signup2@mailinator.com")])
    f = doctor(Policy(team=["*@mailinator.com"]), sent, own_domains="us.com")
    assert [("warning", "team", "", "*@mailinator.com",
             "silences 2 rows of 2 recipients from 1 user (e.g. signup1@mailinator.com, signup2@mailinator.com)")
            ] == brief(f, "disposable")
    assert [] == rows(f, "free_mail")


def test_subdomain_miss_counts_recipients_missed_only_because_of_a_sub_domain():
    sent = sent_of([(ANN, "a@acme.com"), (ANN, "b@eu.acme.com"), (BOB, "b@eu.acme.com"),
                    (ANN, "c@mail.eu.acme.com"), (ANN, "d@notacme.com")])
    f = doctor(Policy(team=["*@acme.com"]), sent, own_domains="us.com")
    assert [("warning", "team", "", "*@acme.com",
             "misses 3 rows of 2 recipients (e.g. b@eu.acme.com, c@mail.eu.acme.com) on eu.acme.com, mail.eu.acme.com")
            ] == brief(f, "subdomain_miss")
    assert "entries match a domain exactly: add *@eu.acme.com and the others to block them too" == rows(
        f, "subdomain_miss")[0]["suggestion"]


def test_subdomain_miss_leaves_out_recipients_another_entry_blocks():
    sent = sent_of([(ANN, "a@acme.com"), (ANN, "b@eu.acme.com"), (ANN, "c@mail.eu.acme.com")])
    f = doctor(Policy(team=["*@acme.com", "*@eu.acme.com"]), sent, own_domains="us.com")
    assert [("warning", "team", "", "*@acme.com", "misses 1 row of 1 recipient (e.g. c@mail.eu.acme.com) on "
             "mail.eu.acme.com"),
            ("warning", "team", "", "*@eu.acme.com", "misses 1 row of 1 recipient (e.g. c@mail.eu.acme.com) on "
             "mail.eu.acme.com")] == brief(f, "subdomain_miss")


def test_subdomain_miss_of_a_personal_entry_counts_only_its_owners_sends():
    sent = sent_of([(ANN, "b@eu.acme.com"), (BOB, "b@eu.acme.com"), (BOB, "b@eu.acme.com")])
    f = doctor(Policy(personal={ANN: ["*@acme.com"]}), sent, own_domains="us.com")
    assert [("warning", "personal", ANN, "*@acme.com", "misses 1 row of 1 recipient (e.g. b@eu.acme.com) on "
             "eu.acme.com")] == brief(f, "subdomain_miss")


def test_registrable_domain_a_sub_domain_entry_misses_the_organisation():
    sent = sent_of([(ANN, "x@acme.co.uk"), (ANN, "x@acme.co.uk"), (ANN, "y@mail.acme.co.uk"),
                    (ANN, "z@other.co.uk")])
    f = doctor(Policy(team=["*@mail.acme.co.uk"]), sent, own_domains="us.com")
    assert [("warning", "team", "", "*@mail.acme.co.uk", "acme.co.uk is the registrable domain; the entry misses "
             "2 rows of 1 recipient (e.g. x@acme.co.uk) on acme.co.uk")] == brief(f, "registrable_domain")
    assert ("*@mail.acme.co.uk names one host of acme.co.uk: add *@acme.co.uk, or use *@acme.co.uk if the whole "
            "organisation is meant") == rows(f, "registrable_domain")[0]["suggestion"]


def test_registrable_domain_groups_entries_of_one_organisation_on_a_list():
    f = doctor(Policy(team=["*@mail.acme.co.uk", "*@acme.co.uk", "*@acme.com"]))
    assert [("info", "team", "", "*@mail.acme.co.uk", "2 entries of the registrable domain acme.co.uk on the team "
             "list: *@acme.co.uk, *@mail.acme.co.uk")] == brief(f, "registrable_domain")
    assert ("*@mail.acme.co.uk is a sub-domain of acme.co.uk; *@acme.co.uk does not cover it (entries match a "
            "domain exactly), so both are needed") == rows(f, "registrable_domain")[0]["suggestion"]


def test_typo_a_domain_with_no_public_suffix():
    f = doctor(Policy(team=["*@acme.con", "*@acme.com"]))
    assert [("error", "team", "", "*@acme.con", ".con is not a public suffix: no address can be on acme.con")
            ] == brief(f, "typo")
    assert "check the spelling of acme.con; this entry blocks nobody" == rows(f, "typo")[0]["suggestion"]


def test_typo_one_edit_from_a_frequent_recipient_domain():
    sent = sent_of([(ANN, f"p{i}@quantiva.com") for i in range(6)] + [(ANN, "q@quantiav.com")]
                   + [(ANN, f"s{i}@acme.com") for i in range(5)])
    f = doctor(Policy(team=["*@quantvia.com", "*@acme.con", "*@quantiav.com"]), sent, own_domains="us.com")
    assert [("error", "team", "", "*@acme.con", ".con is not a public suffix: no address can be on acme.con; "
             "matches no governed row in the history"),
            ("error", "team", "", "*@quantvia.com", "quantvia.com has 0 rows; quantiva.com, one letter away, has "
             "6 rows of 6 recipients")] == brief(f, "typo")
    assert ["did you mean *@acme.com?", "did you mean *@quantiva.com?"] == [r["suggestion"] for r in rows(f, "typo")]


def test_typo_needs_a_frequent_neighbour_not_listed_itself():
    # quantiva.com has 4 rows, fewer than typo_min_rows; then it is on the list itself; then 6 rows < 7
    sent = sent_of([(ANN, f"p{i}@quantiva.com") for i in range(4)])
    assert [] == rows(doctor(Policy(team=["*@quantvia.com"]), sent, own_domains="us.com"), "typo")
    sent = sent_of([(ANN, f"p{i}@quantiva.com") for i in range(6)])
    assert [] == rows(doctor(Policy(team=["*@quantvia.com", "*@quantiva.com"]), sent, own_domains="us.com"), "typo")
    f = doctor(Policy(team=["*@quantvia.com"]), sent, own_domains="us.com", settings=DoctorSettings(typo_min_rows=7))
    assert [] == rows(f, "typo")


def test_plus_variant_of_a_listed_address():
    sent = sent_of([(ANN, "jo@acme.com"), (ANN, "jo+news@acme.com"), (BOB, "jo+news@acme.com"),
                    (ANN, "jo+x@acme.com"), (ANN, "joe@acme.com")])
    f = doctor(Policy(team=["jo@acme.com"]), sent, own_domains="us.com")
    assert [("warning", "team", "", "jo@acme.com", "misses 3 rows of 2 recipients (e.g. jo+news@acme.com, "
             "jo+x@acme.com)")] == brief(f, "plus_variant")


def test_plus_variant_of_a_tagged_entry_finds_the_plain_address():
    sent = sent_of([(ANN, "jo@acme.com"), (ANN, "jo+news@acme.com")])
    f = doctor(Policy(team=["jo+news@acme.com"]), sent, own_domains="us.com")
    assert [("warning", "team", "", "jo+news@acme.com", "misses 1 row of 1 recipient (e.g. jo@acme.com)")
            ] == brief(f, "plus_variant")


def test_dead_entries_match_no_governed_row():
    sent = sent_of([(ANN, "a@acme.com"), (ANN, "b@team.io", "integration")])
    f = doctor(Policy(team=["*@acme.com", "*@rival.com", "*@team.io"]), sent, own_domains="us.com")
    assert [("info", "team", "", "*@rival.com", "matches no governed row in the history"),
            ("info", "team", "", "*@team.io", "matches no governed row in the history")] == brief(f, "dead")


def test_redundant_on_the_same_list_and_under_a_team_domain():
    policy = Policy(team=["*@acme.com", "jo@acme.com"], personal={ANN: ["kim@acme.com", "x@y.com"]})
    f = doctor(policy)
    assert [("info", "team", "", "jo@acme.com", "*@acme.com on the same list already blocks it"),
            ("info", "personal", ANN, "kim@acme.com", "*@acme.com on the team list already blocks it")
            ] == brief(f, "redundant")


def test_duplicates_on_one_list_and_across_team_and_personal():
    team = NeverLogList.from_text("*@acme.com\njo@x.com\nJO@x.com\n")
    f = doctor(Policy(team=team, personal={ANN: ["jo@x.com", "kim@y.com", "kim@y.com"]}))
    assert [("info", "team", "", "jo@x.com", "line 3 repeats line 2 ('JO@x.com')"),
            ("info", "personal", ANN, "jo@x.com", "also on the team list, which governs this user's sends too"),
            ("info", "personal", ANN, "kim@y.com", "listed twice")] == brief(f, "duplicate")


def test_own_domain_given():
    f = doctor(Policy(team=["*@us.com", "ceo@us.com", "*@eu.us.com", "*@rival.com"]), own_domains=["*@US.com"])
    assert [("warning", "team", "", "*@eu.us.com", "no history given"),
            ("warning", "team", "", "*@us.com", "no history given"),
            ("warning", "team", "", "ceo@us.com", "no history given")] == brief(f, "own_domain")
    assert (["us.com"], "given") == (f.own_domains, f.own_domains_source)


def test_own_domain_inferred_from_the_senders_leaving_free_mail_out():
    sent = sent_of([(ANN, "bob@us.com"), (BOB, "ann@us.com"), ("me@gmail.com", "ann@us.com"), (ANN, "x@acme.com")])
    f = doctor(Policy(team=["*@us.com"]), sent)
    assert [("warning", "team", "", "*@us.com", "hides 3 rows of 2 recipients from 3 users (e.g. ann@us.com, "
             "bob@us.com)")] == brief(f, "own_domain")
    assert (["us.com"], "inferred from the senders of the history") == (f.own_domains, f.own_domains_source)


def test_own_domains_must_be_domains():
    with pytest.raises(InputError, match="own_domains: 'not a domain' is not a domain"):
        doctor(Policy(team=["*@x.com"]), own_domains=["not a domain"])


def test_placement_team_entry_only_one_user_needs():
    sent = sent_of([(ANN, "mom@family.net"), (ANN, "dad@family.net"), (ANN, "x@rival.com"), (BOB, "y@rival.com")])
    f = doctor(Policy(team=["*@family.net", "*@rival.com"]), sent, own_domains="us.com")
    assert [("info", "team", "", "*@family.net", "every match comes from ann@us.com: 2 rows of 2 recipients "
             "(e.g. dad@family.net, mom@family.net)")] == brief(f, "placement")
    assert ("move *@family.net to the personal list of ann@us.com and free a team place (it then no longer covers "
            "other users' future sends)") == rows(f, "placement")[0]["suggestion"]


def test_placement_one_entry_on_many_personal_lists():
    policy = Policy(personal={ANN: ["*@travel.com", "a@b.com"], BOB: ["*@travel.com"], CY: ["*@travel.com"]})
    f = doctor(policy)
    assert [("info", "personal", "", "*@travel.com", "on 3 personal lists: ann@us.com, bob@us.com, cy@us.com")
            ] == brief(f, "placement")
    assert [] == rows(doctor(policy, settings=DoctorSettings(many_personal_lists=4)), "placement")


def test_cap_pressure_within_ten_percent_and_what_compaction_frees():
    entries = [f"u{i}@d{i}.com" for i in range(446)] + ["a1@acme.com", "a2@acme.com", "a3@acme.com", "*@zed.com",
                                                        "z@zed.com"]
    sent = sent_of([(ANN, f"u{i}@d{i}.com") for i in range(446)] + [(ANN, "a1@acme.com"), (ANN, "a2@acme.com")])
    f = doctor(Policy(team=entries), sent, own_domains="us.com")
    assert [{"kind": "cap_pressure", "severity": "warning", "list": "team", "owner": "", "entry": None,
             "evidence": "451 of 500 entries, 49 places left",
             "suggestion": "compaction would free: 1 redundant; 2 entries by 1 domain consolidated with no collateral "
                           "(e.g. *@acme.com); 3 dead entries (cut first if it must); run export_lists() or "
                           "`neverlog-sim export` to make it fit"}] == rows(f, "cap_pressure")


def test_cap_pressure_over_the_cap_is_an_error_and_below_the_margin_is_quiet():
    over = doctor(Policy(team=[f"u{i}@x.com" for i in range(501)]))
    assert [("error", "team", "", None, "501 of 500 entries, 1 over the cap")] == brief(over, "cap_pressure")
    assert [] == rows(doctor(Policy(team=[f"u{i}@x.com" for i in range(449)])), "cap_pressure")
    assert 1 == len(rows(doctor(Policy(team=[f"u{i}@x.com" for i in range(450)])), "cap_pressure"))


def test_findings_are_ordered_by_severity_then_kind():
    f = doctor(Policy(team=["*@gmail.com", "*@acme.con", "*@mailinator.com", "jo@x.com", "JO@x.com"]))
    assert [("error", "free_mail"), ("error", "typo"), ("warning", "disposable"), ("info", "duplicate")] == list(
        zip(f.table["severity"], f.table["kind"]))
    assert 2 == f.errors


def test_findings_to_json_html_and_repr():
    f = doctor(Policy(team=["*@gmail.com"]), own_domains="us.com")
    data = json.loads(f.to_json())
    assert {"severity": {"error": 1, "warning": 0, "info": 0}, "kind": {"free_mail": 1}} == data["counts"]
    assert [{"kind": "free_mail", "severity": "error", "list": "team", "owner": "", "entry": "*@gmail.com",
             "evidence": "no history given", "suggestion": f.table["suggestion"][0]}] == data["findings"]
    assert ({"cap_margin": 0.1, "many_personal_lists": 3, "typo_min_rows": 5}, ["us.com"]) == (
        data["settings"], data["own_domains"])
    assert "<b>List health</b>: 1 finding: 1 error, 0 warnings, 0 notes" in f._repr_html_()
    assert "*@gmail.com" in f._repr_html_()
    assert ["<Findings 1 finding: 1 error, 0 warnings, 0 notes (own domains: us.com, given; rules seed-2023)>",
            "error    free_mail           team  *@gmail.com",
            "         no history given"] == repr(f).splitlines()[:3]


def test_doctor_reads_a_policy_folder_and_says_when_it_is_missing(tmp_path):
    (tmp_path / "personal").mkdir()
    (tmp_path / "team.txt").write_text("*@gmail.com\n", encoding="utf-8")
    (tmp_path / "personal" / "ann@us.com.txt").write_text("*@gmail.com\n", encoding="utf-8")
    f = doctor(tmp_path)
    assert [("free_mail", "team", ""), ("free_mail", "personal", ANN), ("duplicate", "personal", ANN)] == list(
        zip(f.table["kind"], f.table["list"], f.table["owner"]))
    with pytest.raises(InputError, match="does not exist"):
        doctor(tmp_path / "nope")


def test_empty_lists_have_no_findings():
    f = doctor(Policy(), sent_of([(ANN, "x@acme.com")]))
    assert (0, "<Findings no findings (own domains: us.com, inferred from the senders of the history; rules "
               "seed-2023)>") == (len(f), repr(f))
