"""The list doctor's findings in the HTML report ("List health") and beside the lists in the live preview."""

from __future__ import annotations

import pandas as pd

from neverlog_sim import Policy, build_sent, doctor, simulate

ANN, BOB = "ann@us.com", "bob@us.com"


def history():
    rows = [(ANN, "jo@gmail.com"), (ANN, "kim@gmail.com"), (BOB, "b@eu.acme.com"), (BOB, "x@acme.com")]
    df = pd.DataFrame([{"message_id": f"m{i}", "sent_at": "2024-03-01T10:00:00Z", "sender": s, "channel": "extension",
                        "recipient": r, "role": "to"} for i, (s, r) in enumerate(rows)])
    return build_sent(df, progress=False)


def test_report_has_a_list_health_section_when_findings_are_given():
    sent = history()
    policy = Policy(team=["*@gmail.com", "*@acme.com"])
    result = simulate(sent, policy)
    findings = doctor(policy, sent, own_domains="us.com")
    report = result.report(findings=findings)
    assert ({"error": 1, "warning": 1, "info": 2}, ["free_mail", "subdomain_miss", "placement", "placement"]) == (
        report["list_health"]["counts"]["severity"], [f["kind"] for f in report["list_health"]["findings"]])
    page = result.to_html(findings=findings)
    assert (True, True) == ("<h2>List health</h2><p>4 findings: <span class='bad'>1 errors</span>" in page,
                            "misses 1 row of 1 recipient (e.g. b@eu.acme.com) on eu.acme.com" in page)
    assert ("list_health" in result.report(), "List health" in result.to_html()) == (False, False)


def test_an_attached_findings_is_reported_and_redaction_covers_its_evidence():
    sent = history()
    policy = Policy(team=["*@gmail.com"])
    result = simulate(sent, policy)
    result.findings = doctor(policy, sent)
    evidence = result.report(redact=True)["list_health"]["findings"][0]["evidence"]
    assert (True, False) == (evidence.startswith("silences 2 rows of 2 recipients from 1 user (e.g. user-"),
                             "jo@gmail.com" in evidence)


def test_the_live_preview_shows_the_findings_beside_the_lists():
    from neverlog_sim.widgets import preview
    app = preview(history(), team="*@gmail.com\n*@acme.com", personal={BOB: "*@acme.con"}, debounce=0)
    assert (["free_mail", "typo", "subdomain_miss", "placement", "placement"], 2) == (
        [k for k in app.findings.table["kind"] if k != "dead"], app.findings.errors)
    assert (BOB, True, True) == (app.owner.value, "free_mail" in app.health.value, "typo" in app.health.value)
    app.owner.value = ANN  # the team list's findings, and the personal list shown
    assert ("free_mail" in app.health.value, "typo" in app.health.value) == (True, False)
    app.team_text.value = "*@acme.com"
    assert ("free_mail" in app.health.value, "subdomain_miss" in app.health.value) == (False, True)


def test_the_report_shows_suggested_entries_beside_list_health():
    from neverlog_sim import Policy, build_sent, doctor, simulate, suggest
    import pandas as pd

    sent = build_sent(pd.DataFrame({
        "message_id": ["m1", "m2", "m3"], "sent_at": ["2024-01-02 10:00", "2024-01-03 10:00", "2024-01-04 10:00"],
        "sender": ["ann@us.com"] * 3, "channel": ["extension"] * 3,
        "to": ["bob@us.com", "mum@gmail.com", "jo@acme.com"], "cc": [""] * 3, "bcc": [""] * 3}), progress=False)
    suggestions = suggest(sent, own_domains=["us.com"])
    result = simulate(sent, Policy(team=["*@gmail.com"]))
    report = result.report(findings=doctor(Policy(team=["*@gmail.com"]), sent), suggestions=suggestions)
    html = result.to_html(suggestions=suggestions)
    assert (suggestions.to_dict(), True, True) == (
        report["suggestions"], "<h3>Suggested entries</h3>" in html,
        f"{len(suggestions):,} entries the history supports" in html)
