"""Charts of a simulation: matplotlib Figures in one style that reads on light and dark backgrounds.

Each function takes a ``SimulationResult`` or a report dict (``build_report``) and returns a
Figure. Backgrounds are transparent and text is a mid-grey, so the same figure works in a light
or a dark notebook theme and in the static HTML report.

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
           "to_svg", "ChartFigure", "STYLE", "BEFORE", "AFTER"]

INK = "#8a8a8a"  # mid-grey: readable on white and on near-black
BEFORE = "#5b8ff9"  # blue
AFTER = "#f08c2e"  # orange; blue/orange stay distinct for colour-blind readers
CAP_COLOUR = "#d9534f"
STYLE = {
    "figure.facecolor": "none", "axes.facecolor": "none", "savefig.facecolor": "none", "savefig.transparent": True,
    "text.color": INK, "axes.labelcolor": INK, "axes.titlecolor": INK, "xtick.color": INK, "ytick.color": INK,
    "axes.edgecolor": INK, "grid.color": INK, "grid.alpha": 0.25, "legend.frameon": False,
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


def pareto_chart(source, cap: int = CAP):
    """Cumulative share of blocked recipient rows by entry, entries ranked by impact, the cap marked."""
    entries = _section(source, "entries")
    with _style():
        fig, ax = _figure()
        rows = [e["responsible_rows"] for e in entries]
        total = sum(rows)
        ax.set_title("Which entries do the work")
        ax.set_xlabel("entries, ranked by recipient rows they block")
        ax.set_ylabel("share of all blocked recipient rows (%)")
        if total:
            xs, ys, acc = [0], [0.0], 0
            for i, v in enumerate(rows, start=1):
                acc += v
                xs.append(i)
                ys.append(100.0 * acc / total)
            ax.step(xs, ys, where="post", color=BEFORE, linewidth=2, label="cumulative share")
            ax.fill_between(xs, ys, step="post", color=BEFORE, alpha=0.15)
        else:
            ax.text(0.5, 0.5, "no entry blocks anything", ha="center", va="center", transform=ax.transAxes)
        right = max(len(rows), cap) * 1.05
        ax.axvline(cap, color=CAP_COLOUR, linestyle="--", linewidth=1.5, label=f"cap: {cap} entries per list")
        ax.set_xlim(0, right)
        ax.set_ylim(0, 105)
        ax.grid(axis="y")
        ax.legend(loc="lower right")
    return fig


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
        if not weeks:
            _empty(ax, "no dated sends")
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
    return text[start:] if start >= 0 else text
