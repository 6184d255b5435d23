"""Tables of advice with the same three faces: a DataFrame, HTML for notebooks and reports, JSON."""

from __future__ import annotations

import html
import json

import pandas as pd


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars -> Python
        value = value.item()
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def records(table: pd.DataFrame) -> list[dict]:
    """The rows of ``table`` as JSON-ready dicts."""
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def html_table(table: pd.DataFrame, limit: int = 200) -> str:
    """An HTML table of ``table`` (escaped), at most ``limit`` rows and a line saying how many more."""
    head = "".join(f"<th style='text-align:left'>{html.escape(str(c))}</th>" for c in table.columns)
    body = []
    for row in records(table.head(limit)):
        cells = []
        for c, v in row.items():
            text = "" if v is None else (f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v))
            style = " style='color:#cf222e;font-weight:600'" if c == "severity" and v == "error" else (
                " style='color:#9a6700'" if c == "severity" and v == "warning" else "")
            cells.append(f"<td{style}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p>… {len(table) - limit:,} more rows</p>" if len(table) > limit else ""
    return (f"<table class='neverlog-advice'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            + more)


def dumps(payload: dict) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)
