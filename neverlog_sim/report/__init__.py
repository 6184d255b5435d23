"""The report of a simulation: a JSON-ready summary dict, rendered to HTML and Markdown, with charts.

``summary`` builds the dict from a result (it reads a result; a result never needs it to exist),
``render`` turns the dict into static HTML with inline SVG charts or Markdown, ``charts`` draws the
figures. The same dict feeds ``to_html``, ``to_markdown`` and ``to_json``.

>>> rep = build_report(result)                          # doctest: +SKIP
>>> write_text_atomic("report.html", render_html(rep))  # doctest: +SKIP
"""

from ..atomic import write_text_atomic
from .render import render_html, render_markdown
from .summary import (CHANGE_WORDS, TOP_ENTRIES, build_report, by_channel, by_user, entry_impact, redact_address,
                      weekly_timeline)

__all__ = ["build_report", "render_html", "render_markdown", "write_text_atomic", "redact_address",
           "entry_impact", "by_user", "by_channel", "weekly_timeline", "TOP_ENTRIES", "CHANGE_WORDS"]
