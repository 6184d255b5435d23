"""The report dict (tested on its own), its HTML and Markdown renderings, redaction, atomic writes."""

import json
from pathlib import Path

import pytest

from neverlog_sim import Policy, load_sent, load_tracking, simulate
from neverlog_sim.report import build_report, redact_address, render_html, render_markdown, write_text_atomic
from neverlog_sim.results import FEED_NOTE

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def result():
    sent = load_sent(DATA / "report_sent.csv", progress=False)
    tracking = load_tracking(DATA / "report_tracking.csv")
    policy = Policy(team=["*@rival.com", "*@never-emailed.com"],
                    personal={"ann@us.com": ["x@friend.org", "*@acme.com"]})
    return simulate(sent, policy, tracking=tracking)


@pytest.fixture(scope="module")
def report(result):
    return build_report(result)


def test_report_leads_with_the_headline_then_assumptions_then_details(report):
    keys = list(report)
    assert ["headline", "assumptions", "notes", "details"] == keys[keys.index("headline"):]


def test_headline_numbers(report):
    h = report["headline"]
    expected = {"contacts_not_created": 3, "timeline_entries_removed": 6, "tracking_events_leaving_timelines": 3,
                "feed_events_before": 4, "feed_events_after": 4, "feed_events_of_blocked_recipients": 3,
                "timeline_entries_before": 9, "timeline_entries_after": 3}
    assert expected == {k: h[k] for k in expected}


def test_headline_says_feed_events_never_change(report):
    assert FEED_NOTE == report["headline"]["feed_note"]


def test_top_entries_ranked_by_rows_blocked_then_name(report):
    assert ["*@acme.com", "*@rival.com", "x@friend.org"] == [e["entry"] for e in report["headline"]["top_entries"]]


def test_dead_entries(report):
    assert [{"entry": "*@never-emailed.com", "list": "team", "owner": ""}] == report["headline"]["dead_entries"]


def test_cap_status_of_each_list(report):
    assert ["team list has 2 of 500 entries", "personal list of ann@us.com has 2 of 500 entries"] == [
        lst["status"] for lst in report["headline"]["lists"]]


def test_cap_status_of_a_list_over_the_cap(result):
    big = Policy(team=[f"u{i}@big.com" for i in range(501)])
    rep = build_report(simulate(result.sent, big))
    assert (False, 1, "team list has 501 entries; the cap is 500 — remove 1, or let export_lists() compact it") == (
        rep["headline"]["lists_compliant"], rep["headline"]["lists"][0]["over_cap"], rep["headline"]["lists"][0]["status"])


def test_assumptions_are_the_results(report, result):
    assert result.assumptions == report["assumptions"]


def test_changes_count_every_class(report):
    assert {"not_created": 3, "created_later": 1, "unchanged": 2} == {
        c["change"]: c["contacts"] for c in report["details"]["changes"] if c["contacts"]}


def test_by_channel(report):
    rows = {c["channel"]: (c["rows"], c["governed"], c["blocked_after"], c["timeline_removed"])
            for c in report["details"]["by_channel"]}
    assert {"crm": (1, 1, 1, 1), "extension": (6, 6, 5, 5), "integration": (1, 0, 0, 0),
            "team_inbox": (1, 0, 0, 0)} == rows


def test_by_user_ranked_by_timeline_entries_removed(report):
    assert [("ann@us.com", 4), ("bob@us.com", 2)] == [(u["sender"], u["timeline_removed"])
                                                      for u in report["details"]["by_user"]]


def test_weekly_timeline_before_and_after(report):
    # The history runs Monday 2024-01-01 to Tuesday 2024-01-09: the second week is partial.
    assert [{"week": "2024-01-01", "before": 7, "after": 2, "complete": True},
            {"week": "2024-01-08", "before": 2, "after": 1, "complete": False}] == \
        report["details"]["weekly_timeline"]


def test_report_is_plain_json(report):
    assert report == json.loads(json.dumps(report))


def test_redact_address_keeps_domain_and_domain_entries():
    assert "user-4ca15528@acme.com, *@rival.com" == redact_address("jo@acme.com, *@rival.com")


def test_redacted_report_has_no_local_parts(result):
    text = json.dumps(build_report(result, redact=True))
    assert [] == [local for local in ("ann@", "bob@", "x@friend", "jo@") if local in text]


def test_redacted_report_keeps_domains_and_numbers(result):
    rep = build_report(result, redact=True)
    assert (3, "*@acme.com", True) == (rep["headline"]["contacts_not_created"], rep["headline"]["top_entries"][0]["entry"],
                                       rep["details"]["by_user"][0]["sender"].endswith("@us.com"))


def test_redaction_is_stable(result):
    assert build_report(result, redact=True)["details"]["by_user"] == \
        build_report(result, redact=True)["details"]["by_user"]


def test_html_is_static_and_self_contained(report):
    page = render_html(report)
    assert (True, False, False, False) == (page.startswith("<!DOCTYPE html>"), "<script" in page,
                                           'src="http' in page, "href=\"http" in page)


def test_html_shows_headline_numbers_and_charts(report):
    page = render_html(report)
    assert (True, True, 5) == ("contacts would not be created" in page, "feed events stay visible" in page,
                               page.count("<svg"))


def test_html_fragment_for_notebooks(report):
    frag = render_html(report, fragment=True, charts=False)
    assert (True, False) == (frag.startswith("<style>"), "<html" in frag)


def test_markdown_leads_with_the_answer(report):
    md = render_markdown(report)
    assert "- **3** contacts would not be created" == md.splitlines()[4]


def test_to_html_writes_the_file(result, tmp_path):
    path = tmp_path / "out" / "report.html"
    text = result.to_html(path)
    assert text == path.read_text(encoding="utf-8")


def test_write_text_atomic_leaves_no_temp_file(tmp_path):
    write_text_atomic(tmp_path / "a.txt", "hello\n")
    assert ["a.txt"] == sorted(p.name for p in tmp_path.iterdir())


def test_write_text_atomic_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(TypeError):
        write_text_atomic(path, None)
    assert (["a.txt"], "old\n") == (sorted(p.name for p in tmp_path.iterdir()), path.read_text(encoding="utf-8"))


def test_repr_html_is_the_report_fragment(result):
    assert result._repr_html_().startswith("<style>")


def test_load_report_examples_read_as_a_list_in_html(result):
    rep = build_report(result)
    rep["details"]["load_report"] = [{"problem": "odd address", "count": 2, "examples": ["a@x", "b@y"]}]
    assert "<td class=''>a@x, b@y</td>" in render_html(rep, charts=False)
