"""The numbers each chart plots equal the numbers of the result's tables (issue 16: the visible layer by value).

Each expectation is counted here, row by row, from ``result.recipients``, ``result.contacts`` or
``result.entries``; each chart is read back from its matplotlib artists. Charts take a result or
its report dict: both must plot the same numbers.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from neverlog_sim import Policy, load_contacts, load_sent, simulate  # noqa: E402
from neverlog_sim.report import charts  # noqa: E402
from neverlog_sim.samples import sample_path  # noqa: E402

CLASSES = ("not_created", "created_later", "timeline_emptied", "timeline_reduced", "newly_created",
           "created_earlier", "timeline_added", "unchanged")


@pytest.fixture(scope="module")
def result():
    """The sample company with its lists, against a baseline that already blocks two of the entries and one
    the candidate drops, so that both directions of change appear."""
    sent = load_sent(sample_path("sent_canonical.csv"), progress=False)
    candidate = Policy.from_dir(sample_path("lists"))
    kept = sorted(str(e) for e in candidate.team.entries)[:2]
    return simulate(sent, candidate, baseline=Policy(team=kept + ["*@outlook.com"]),
                    contacts=load_contacts(sample_path("contacts.csv")), tracking=sample_path("tracking.csv"))


@pytest.fixture(scope="module", params=["result", "report"])
def source(request, result):
    return result if request.param == "result" else result.report()


def per(rows: pd.DataFrame, key: str, outbound_only: bool = False) -> dict:
    """Per value of ``key``: rows blocked after, timeline entries before and after, counted one row at a time."""
    out: dict = {}
    for r in rows.to_dict("records"):
        if outbound_only and r["direction"] != "outbound":
            continue
        k = out.setdefault(r[key], {"blocked_after": 0, "before": 0, "after": 0})
        k["blocked_after"] += bool(r["blocked_after"])
        k["before"] += bool(r["on_timeline_before"])
        k["after"] += bool(r["on_timeline_after"])
    return out


def bars(ax) -> tuple[list[str], list[float], list[float]]:
    """A before/after bar chart: its labels (top to bottom) and the before and after bar lengths, in label order."""
    n = len(ax.get_yticklabels())
    widths = [p.get_width() for p in ax.patches]
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]
    return labels, widths[:n][::-1], widths[n:2 * n][::-1]


def candidate_lists(result) -> dict:
    """The candidate's entries (rows of ``result.entries``) by list, named as the chart names them."""
    lists: dict = {}
    for r in result.entries.to_dict("records"):
        if r["policy"] == "candidate":
            lists.setdefault("team list" if r["list"] == "team" else f"personal: {r['owner']}", []).append(r)
    return lists


def test_pareto_plots_each_lists_cumulative_share_of_the_rows_its_entries_are_responsible_for(source, result):
    # One curve per list that blocks something (the team list first, then by rows blocked), entries by impact.
    lists = candidate_lists(result)
    expected = []
    for name, rows in sorted(lists.items(), key=lambda kv: (kv[0] != "team list",
                                                            -sum(r["responsible_rows"] for r in kv[1]), kv[0])):
        rows = sorted(rows, key=lambda r: (-r["responsible_rows"], -r["rows"], r["entry"]))
        total = sum(r["responsible_rows"] for r in rows)
        if not total:
            continue
        shares, acc = [0.0], 0
        for r in rows:
            acc += r["responsible_rows"]
            shares.append(100.0 * acc / total)
        expected.append((f"{name} ({len(rows)} entries)", list(range(len(rows) + 1)), shares))
    lines = charts.pareto_chart(source).axes[0].get_lines()[:len(expected)]
    assert expected == [(line.get_label(), [int(x) for x in line.get_xdata()], [float(y) for y in line.get_ydata()])
                        for line in lines]
    # The sample's team list and its three personal lists each block something on their own.
    assert (4, result.metrics()["blocked_rows_after"]) == (
        len(expected), sum(r["responsible_rows"] for rows in lists.values() for r in rows))


def test_pareto_draws_the_cap_line_when_a_list_nears_the_cap_else_says_how_far_below(source, result):
    # docs: the cap line from 80% of the cap; below that the legend says how long the longest list is.
    longest = max(len(rows) for rows in candidate_lists(result).values())
    ax = charts.pareto_chart(source).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    cap_lines = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    expected = (("cap: 500 entries per list", [500]) if longest >= 400 else
                (f"cap: 500 entries per list (longest list: {longest})", []))
    assert (462, expected) == (longest, (labels[-1], cap_lines))


def test_change_classes_chart_plots_the_contacts_of_each_class(source, result):
    counts = dict.fromkeys(CLASSES, 0)
    for change in result.contacts["change"]:
        counts[change] += 1
    ax = charts.change_classes_chart(source).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]
    widths = [int(p.get_width()) for p in ax.patches][::-1]
    shown = [t.get_text() for t in ax.texts][::-1]
    words = [c.replace("not_created", "never created").replace("_", " ") for c in CLASSES]
    assert (words, [counts[c] for c in CLASSES], [f"{counts[c]:,}" for c in CLASSES]) == (labels, widths, shown)
    assert 0 < counts["not_created"] and 0 < counts["timeline_added"]


def test_weekly_chart_plots_the_timeline_entries_of_each_complete_week(source, result):
    weeks: dict = {}
    dated = [r for r in result.recipients.to_dict("records") if not pd.isna(r["sent_at"])]
    for r in dated:
        monday = (r["sent_at"] - pd.Timedelta(days=r["sent_at"].weekday())).normalize()
        w = weeks.setdefault(monday, [0, 0])
        w[0] += bool(r["on_timeline_before"])
        w[1] += bool(r["on_timeline_after"])
    # The weeks at the edges that the history covers only in part are left out (and named on the axis).
    first, last = min(r["sent_at"] for r in dated).normalize(), max(r["sent_at"] for r in dated).normalize()
    expected = sorted((w, n) for w, n in weeks.items() if w >= first and w + pd.Timedelta(days=6) <= last)
    ax = charts.weekly_timeline_chart(source).axes[0]
    before, after = ax.get_lines()
    assert ([w for w, _ in expected], [b for _, (b, _) in expected], [a for _, (_, a) in expected]) == (
        [pd.Timestamp(x) for x in before.get_xdata(orig=True)], [int(y) for y in before.get_ydata()],
        [int(y) for y in after.get_ydata()])
    left_out = sorted(w.strftime("%Y-%m-%d") for w in set(weeks) - {w for w, _ in expected})
    assert (1, list(before.get_xdata(orig=True))) == (len(left_out), list(after.get_xdata(orig=True)))
    assert ax.get_xlabel().endswith(f"left out: {', '.join(left_out)})")


def test_by_user_chart_plots_the_senders_losing_the_most_timeline_entries(source, result):
    users = per(result.recipients, "sender", outbound_only=True)
    order = sorted(users, key=lambda s: (-(users[s]["before"] - users[s]["after"]), -users[s]["blocked_after"], s))[:15]
    labels, before, after = bars(charts.by_user_chart(source).axes[0])
    assert (order, [users[s]["before"] for s in order], [users[s]["after"] for s in order]) == (
        labels, [int(b) for b in before], [int(a) for a in after])


def test_by_channel_chart_plots_the_timeline_entries_of_each_channel(source, result):
    chans = per(result.recipients, "channel")
    order = sorted(chans)
    labels, before, after = bars(charts.by_channel_chart(source).axes[0])
    assert (order, [chans[c]["before"] for c in order], [chans[c]["after"] for c in order]) == (
        labels, [int(b) for b in before], [int(a) for a in after])
    assert sum(c["before"] for c in chans.values()) == result.metrics()["timeline_entries_before"]
