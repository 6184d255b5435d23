"""Charts return matplotlib Figures with the analyst's titles, in one style for light and dark themes."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.figure import Figure

from neverlog_sim import Policy, load_sent, load_tracking, simulate
from neverlog_sim.report import charts
from neverlog_sim.report import build_report

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def result():
    sent = load_sent(DATA / "report_sent.csv", progress=False)
    policy = Policy(team=["*@rival.com", "*@never-emailed.com"],
                    personal={"ann@us.com": ["x@friend.org", "*@acme.com"]})
    return simulate(sent, policy, tracking=load_tracking(DATA / "report_tracking.csv"))


@pytest.fixture(scope="module")
def report(result):
    return build_report(result)


@pytest.mark.parametrize("fn, title", [
    (charts.pareto_chart, "Which entries do the work"),
    (charts.change_classes_chart, "What happens to each contact"),
    (charts.weekly_timeline_chart, "Timeline entries per week, before and after"),
    (charts.by_user_chart, "Timeline entries by sender (top 2 by entries removed)"),
    (charts.by_channel_chart, "Timeline entries by channel, before and after"),
])
def test_chart_is_a_figure_with_the_analysts_title(report, fn, title):
    fig = fn(report)
    assert (True, title) == (isinstance(fig, Figure), fig.axes[0].get_title())


def test_chart_from_a_result_equals_chart_from_its_report(result, report):
    assert charts.to_svg(charts.by_channel_chart(report)) == charts.to_svg(charts.by_channel_chart(result))


def test_pareto_marks_the_cap(report):
    ax = charts.pareto_chart(report).axes[0]
    assert ["cumulative share", "cap: 500 entries per list"] == [t.get_text() for t in ax.get_legend().get_texts()]


def test_pareto_axis_labels(report):
    ax = charts.pareto_chart(report).axes[0]
    assert ("entries, ranked by recipient rows they block", "share of all blocked recipient rows (%)") == (
        ax.get_xlabel(), ax.get_ylabel())


def test_pareto_climbs_to_all_blocked_rows_and_stays_flat_over_dead_entries(report):
    line = charts.pareto_chart(report).axes[0].get_lines()[0]
    assert [0.0, 33.3, 66.7, 100.0, 100.0] == [round(float(y), 1) for y in line.get_ydata()]


def test_charts_use_a_transparent_background_and_mid_grey_text(report):
    fig = charts.change_classes_chart(report)
    ax = fig.axes[0]
    assert ((0, 0, 0, 0), matplotlib.colors.to_hex(charts.INK)) == (
        tuple(fig.get_facecolor()), matplotlib.colors.to_hex(ax.title.get_color()))


def test_figure_shows_itself_as_svg_in_notebooks(report):
    assert charts.change_classes_chart(report)._repr_svg_().startswith("<svg")


def test_to_svg_is_an_inline_svg_element(report):
    assert charts.to_svg(charts.change_classes_chart(report)).startswith("<svg")


def test_weekly_chart_without_dates_says_so():
    empty = {"details": {"weekly_timeline": []}}
    ax = charts.weekly_timeline_chart(empty).axes[0]
    assert ["no dated sends"] == [t.get_text() for t in ax.texts]
