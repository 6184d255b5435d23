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


def test_pareto_draws_one_curve_per_list_and_says_where_the_cap_is(report):
    ax = charts.pareto_chart(report).axes[0]
    assert ["team list (2 entries)", "personal: ann@us.com (2 entries)",
            "cap: 500 entries per list (longest list: 2)"] == [t.get_text() for t in ax.get_legend().get_texts()]


def test_pareto_axis_labels(report):
    ax = charts.pareto_chart(report).axes[0]
    assert ("entries of each list, ranked by recipient rows they block",
            "share of the list's blocked recipient rows (%)") == (ax.get_xlabel(), ax.get_ylabel())


def test_pareto_x_axis_runs_to_the_longest_list_not_to_the_cap(report):
    assert (0.0, 2.1) == tuple(round(float(x), 2) for x in charts.pareto_chart(report).axes[0].get_xlim())


def test_pareto_each_curve_climbs_to_its_own_lists_blocked_rows_and_stays_flat_over_dead_entries(report):
    lines = charts.pareto_chart(report).axes[0].get_lines()
    # team: *@rival.com blocks all the team list's rows, *@never-emailed.com nothing; personal: 2 and 2.
    assert [[0.0, 100.0, 100.0], [0.0, 50.0, 100.0]] == [[round(float(y), 1) for y in line.get_ydata()]
                                                         for line in lines[:2]]


def _impact(n, owner=""):
    return [{"entry": f"a{i}@x.com", "list": "personal" if owner else "team", "owner": owner, "policy": "candidate",
             "responsible_rows": 1} for i in range(n)]


def test_pareto_draws_the_cap_line_when_a_list_comes_near_it():
    ax = charts.pareto_chart({"details": {"entries": _impact(450) + _impact(3, "jo@us.com")}}).axes[0]
    assert (["team list (450 entries)", "personal: jo@us.com (3 entries)", "cap: 500 entries per list"], 525.0) == (
        [t.get_text() for t in ax.get_legend().get_texts()], round(float(ax.get_xlim()[1]), 1))


def test_text_ink_meets_wcag_aa_on_white_and_the_dark_theme_colour_on_dark():
    assert (True, True) == (charts.contrast_ratio(charts.INK, "#ffffff") >= 4.5,
                            charts.contrast_ratio(charts.INK_DARK, charts.DARK_BACKGROUND) >= 4.5)


def test_contrast_ratio_of_known_pairs():
    # WCAG's own examples: black on white 21:1, #767676 on white is the lightest grey that passes AA (4.54:1).
    assert (21.0, 4.54) == (round(charts.contrast_ratio("#000", "#fff"), 2),
                            round(charts.contrast_ratio("#767676", "#ffffff"), 2))


def test_svg_switches_to_the_dark_ink_on_dark_themes_and_scopes_it_to_the_chart(report):
    svg = charts.to_svg(charts.change_classes_chart(report))
    assert (True, True, True) == (svg.startswith('<svg class="nls-chart"'),
                                  f"svg.nls-chart text{{fill:{charts.INK_DARK} !important}}" in svg,
                                  "body[data-jp-theme-light='false']" in svg)


def test_weekly_chart_leaves_out_the_partial_last_week_and_says_so(report):
    # The history ends on Tuesday 2024-01-09: its week of 2024-01-08 is partial.
    ax = charts.weekly_timeline_chart(report).axes[0]
    assert (1, "week (partial week at the edges of the history left out: 2024-01-08)") == (
        len(ax.get_lines()[0].get_xdata()), ax.get_xlabel())


def test_charts_use_a_transparent_background_and_the_text_ink(report):
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
