"""Charts of a simulation: matplotlib Figures in one style that reads on light and dark backgrounds.

Each function takes a ``SimulationResult`` or a report dict (``build_report``) and returns a
Figure. Backgrounds are transparent; text is a dark grey (WCAG AA on white) that the SVG's own style
turns light on a dark theme, so the same figure reads in a light or a dark notebook theme and in the
static HTML report.

>>> fig = pareto_chart(result)          # doctest: +SKIP
>>> svg = to_svg(fig)                    # doctest: +SKIP
"""

from __future__ import annotations

import io
from contextlib import contextmanager

import matplotlib

from ..lists import CAP
from . import summary as report

__all__ = ["pareto_chart", "by_user_chart", "by_channel_chart", "weekly_timeline_chart", "change_classes_chart",
           "to_svg", "ChartFigure", "STYLE", "BEFORE", "AFTER", "INK", "INK_DARK", "contrast_ratio"]

# Text ink: WCAG AA (4.5:1 at least) on white; on a dark theme the SVG's own style swaps it for
# INK_DARK (see to_svg), since no single grey reaches 4.5:1 on both white and a near-black background.
INK = "#595959"  # 7.0:1 on white
INK_DARK = "#c8c8c8"  # 11:1 on JupyterLab's dark background #111111
DARK_BACKGROUND = "#111111"
LINE_INK = "#8a8a8a"  # axes, ticks and grid: 3:1 at least (WCAG non-text contrast) on white and on #111111
BEFORE = "#5b8ff9"  # blue
AFTER = "#f08c2e"  # orange; blue/orange stay distinct for colour-blind readers
CAP_COLOUR = "#d9534f"
LIST_COLOURS = ("#5b8ff9", "#f08c2e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
STYLE = {
    "figure.facecolor": "none", "axes.facecolor": "none", "savefig.facecolor": "none", "savefig.transparent": True,
    "text.color": INK, "axes.labelcolor": INK, "axes.titlecolor": INK, "xtick.color": LINE_INK,
    "xtick.labelcolor": INK, "ytick.color": LINE_INK, "ytick.labelcolor": INK,
    "axes.edgecolor": LINE_INK, "grid.color": LINE_INK, "grid.alpha": 0.25, "legend.frameon": False,
    "axes.spines.top": False, "axes.spines.right": False, "font.size": 10, "axes.titlesize": 12,
    "axes.titleweight": "bold", "svg.hashsalt": "neverlog", "svg.fonttype": "none",
}


@contextmanager
def _style():
    with matplotlib.rc_context(STYLE):
        yield


from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend needed


class ChartFigure(Figure):
    """A Figure that shows itself in Jupyter as inline SVG, whether or not pyplot's inline backend is on."""

    def _repr_svg_(self) -> str:
        return to_svg(self)


def _figure(width=8.0, height=4.0):
    fig = ChartFigure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _section(source, name: str):
    """The report's data for one chart, computed only for that chart when given a result."""
    if isinstance(source, dict):
        if name == "entries":
            return source["details"]["entries"]
        if name == "changes":
            return source["details"]["changes"]
        return source["details"][name]
    if name == "entries":
        return report.entry_impact(source)
    if name == "changes":
        changes = source.metrics()["changes"]
        return [{"change": k, "label": report.CHANGE_WORDS[k], "contacts": v} for k, v in changes.items()]
    return {"by_user": report.by_user, "by_channel": report.by_channel,
            "weekly_timeline": report.weekly_timeline}[name](source)


def _empty(ax, text="nothing to show"):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=INK)
    ax.set_xticks([])
    ax.set_yticks([])


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21).

    >>> round(contrast_ratio("#000000", "#ffffff"), 1)
    21.0
    """
    from matplotlib.colors import to_rgb

    def luminance(colour):
        channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    hi, lo = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


PARETO_LISTS = 6  # curves drawn: the team list and the personal lists that block most


def _list_name(e: dict) -> str:
    return "team list" if e["list"] == "team" else f"personal: {e['owner']}"


def pareto_chart(source, cap: int = CAP):
    """Per list, the cumulative share of the rows it blocks by entry, entries ranked by impact.

    One curve per list (the cap is per list): the team list and the personal lists that block most
    (``PARETO_LISTS`` curves at most). The x-axis runs to the longest list's entries; the cap line is
    drawn when a list comes near it, else the legend says how far below it the longest list is.
    """
    entries = [e for e in _section(source, "entries") if e.get("policy", "candidate") == "candidate"]
    with _style():
        fig, ax = _figure()
        ax.set_title("Which entries do the work")
        ax.set_xlabel("entries of each list, ranked by recipient rows they block")
        ax.set_ylabel("share of the list's blocked recipient rows (%)")
        groups: dict[str, list[int]] = {}
        for e in entries:  # already ranked by impact (entry_impact)
            groups.setdefault(_list_name(e), []).append(e["responsible_rows"])
        ranked = sorted(groups.items(), key=lambda kv: (kv[0] != "team list", -sum(kv[1]), kv[0]))
        drawn = [(name, rows) for name, rows in ranked if sum(rows)][:PARETO_LISTS]
        longest = max((len(rows) for rows in groups.values()), default=0)
        for i, (name, rows) in enumerate(drawn):
            total = sum(rows)
            xs = list(range(len(rows) + 1))
            ys = [0.0] + [100.0 * v / total for v in _cumsum(rows)]
            colour = LIST_COLOURS[i % len(LIST_COLOURS)]
            ax.step(xs, ys, where="post", color=colour, linewidth=2, label=f"{name} ({len(rows)} entries)")
        if not drawn:
            ax.text(0.5, 0.5, "no entry blocks anything", ha="center", va="center", transform=ax.transAxes)
        left_out = sum(1 for _, rows in ranked if sum(rows)) - len(drawn)
        if left_out > 0:
            ax.plot([], [], " ", label=f"{left_out} more lists not drawn")
        idle = sum(1 for _, rows in ranked if not sum(rows))
        if idle and drawn:
            ax.plot([], [], " ", label=f"{idle} list{'s' if idle > 1 else ''} blocking nothing on {'their' if idle > 1 else 'its'} own")
        if longest >= 0.8 * cap:
            ax.axvline(cap, color=CAP_COLOUR, linestyle="--", linewidth=1.5, label=f"cap: {cap} entries per list")
            right = max(longest, cap) * 1.05
        else:
            ax.plot([], [], " ", label=f"cap: {cap} entries per list (longest list: {longest})")
            right = max(longest, 1) * 1.05
        ax.set_xlim(0, right)
        ax.set_ylim(0, 105)
        ax.grid(axis="y")
        ax.legend(loc="lower right")
    return fig


def _cumsum(values):
    import numpy as np
    return np.cumsum(values).tolist()


def change_classes_chart(source):
    """Contacts by change class (never created, created later, timeline emptied, ...)."""
    changes = _section(source, "changes")
    with _style():
        fig, ax = _figure(8, 3.6)
        labels = [c["label"] for c in changes][::-1]
        values = [c["contacts"] for c in changes][::-1]
        colours = [INK if c["change"] == "unchanged" else AFTER for c in changes][::-1]
        bars = ax.barh(labels, values, color=colours)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, color=INK)
        ax.set_title("What happens to each contact")
        ax.set_xlabel("contacts")
        ax.margins(x=0.12)
    return fig


def weekly_timeline_chart(source):
    """Emails logged on contact timelines per week: now (baseline) and with the candidate lists."""
    weeks = _section(source, "weekly_timeline")
    with _style():
        fig, ax = _figure()
        ax.set_title("Timeline entries per week, before and after")
        ax.set_xlabel("week")
        ax.set_ylabel("emails logged on contact timelines")
        partial = [w for w in weeks if not w.get("complete", True)]
        weeks = [w for w in weeks if w.get("complete", True)]
        if partial:
            # A week the history covers only in part would read as a collapse: left out, and said so.
            ax.set_xlabel(f"week (partial week{'s' if len(partial) > 1 else ''} at the edges of the history left "
                          f"out: {', '.join(w['week'] for w in partial)})")
        if not weeks:
            _empty(ax, "no dated sends" if not partial else "no complete week in the history")
        else:
            import pandas as pd
            x = pd.to_datetime([w["week"] for w in weeks])
            ax.plot(x, [w["before"] for w in weeks], color=BEFORE, label="now (baseline)", linewidth=1.6)
            ax.plot(x, [w["after"] for w in weeks], color=AFTER, label="with the candidate lists", linewidth=1.6)
            ax.set_ylim(bottom=0)
            ax.grid(axis="y")
            ax.legend(loc="upper left")
            fig.autofmt_xdate()
    return fig


def _before_after_bars(ax, labels, before, after):
    import numpy as np
    y = np.arange(len(labels))
    ax.barh(y + 0.2, before, height=0.4, color=BEFORE, label="now (baseline)")
    ax.barh(y - 0.2, after, height=0.4, color=AFTER, label="with the candidate lists")
    ax.set_yticks(y, labels)
    ax.legend(loc="lower right")
    ax.grid(axis="x")


def by_user_chart(source, top: int = 15):
    """Timeline entries before and after for the senders whose timelines lose the most."""
    users = _section(source, "by_user")[:top]
    with _style():
        fig, ax = _figure(8, max(3.0, 0.32 * len(users) + 1.2))
        ax.set_title(f"Timeline entries by sender (top {len(users)} by entries removed)")
        ax.set_xlabel("emails logged on contact timelines")
        if not users:
            _empty(ax)
        else:
            users = users[::-1]
            _before_after_bars(ax, [u["sender"] for u in users], [u["timeline_before"] for u in users],
                               [u["timeline_after"] for u in users])
    return fig


def by_channel_chart(source):
    """Timeline entries before and after per channel (extension, crm, bcc_forward, team_inbox, integration)."""
    chans = _section(source, "by_channel")
    with _style():
        fig, ax = _figure(8, max(2.6, 0.45 * len(chans) + 1.2))
        ax.set_title("Timeline entries by channel, before and after")
        ax.set_xlabel("emails logged on contact timelines")
        if not chans:
            _empty(ax)
        else:
            chans = chans[::-1]
            _before_after_bars(ax, [str(c["channel"]) for c in chans], [c["timeline_before"] for c in chans],
                               [c["timeline_after"] for c in chans])
    return fig


def to_svg(fig) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), ready to embed in HTML."""
    buf = io.StringIO()
    with _style():
        fig.savefig(buf, format="svg", transparent=True, metadata={"Date": None})
    text = buf.getvalue()
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    # Dark themes: the text ink becomes INK_DARK (the page's dark mode, or JupyterLab's dark theme).
    # Scoped to this chart's class, so an inline SVG's style never touches the rest of the page.
    dark = f"svg.nls-chart text{{fill:{INK_DARK} !important}}"
    style = (f"<style>@media (prefers-color-scheme: dark){{{dark}}} "
             f"body[data-jp-theme-light='false'] {dark}</style>")
    head_end = text.find(">") + 1
    return text[:4] + ' class="nls-chart"' + text[4:head_end] + style + text[head_end:]
