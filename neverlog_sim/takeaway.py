"""Results to take away: Excel workbooks, CSV folders, one entry's drill-down.

``SimulationResult.to_excel``, ``.to_csv`` and ``.entry`` call these; every file is written
atomically (``atomic.py``) and every text cell a spreadsheet could run as a formula is neutralised
(``neutralise``: a leading ``'``).

>>> result.to_excel("impact.xlsx")          # doctest: +SKIP
>>> result.to_csv("impact-tables")          # doctest: +SKIP
>>> result.entry("*@gmail.com").recipients  # doctest: +SKIP
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .atomic import neutralise, write_bytes_atomic
from .errors import InputError, NeverLogError

__all__ = ["EntryDrillDown", "MissingExtraError", "affected_contacts", "entry_drilldown", "result_tables",
           "write_csv_folder", "write_excel", "EXCEL_MAX_ROWS"]

# Excel's sheet limit (1,048,576 rows) less the header row.
EXCEL_MAX_ROWS = 1_048_575
TABLE_NOTES = {
    "summary": "baseline and candidate, the headline numbers",
    "affected_contacts": "every contact whose record or timeline changes, its change class and responsible entry",
    "contacts": "every recipient: change class, created_at and timeline entries before and after",
    "timeline": "every (email, recipient) whose timeline entry changes, with the entry responsible",
    "feed": "every tracking event: in the activity feed (always) and on a contact timeline, before and after",
    "entries": "every entry of both policies: what it matches, its exclusive impact, dead entries",
    "recipients": "every message × recipient row with its outcome under baseline and candidate",
}


class MissingExtraError(NeverLogError, ImportError):
    """An optional dependency is not installed; the message names the pip extra that brings it."""


def affected_contacts(result) -> pd.DataFrame:
    """Contacts whose record or timeline changes, with their change class and the entry responsible.

    Columns: ``contact, change, responsible_entry, responsible_list, timeline_before, timeline_after,
    created_at_before, created_at_after`` — the entry responsible is the candidate entry that blocks most
    of the contact's rows (docs/rules.md#responsible-entry); ready to hand to a sales manager.
    """
    c = result.contacts
    c = c[c["change"] != "unchanged"]
    r = result.recipients
    blocked = r.loc[r["blocked_after"] & (r["blocked_by"] != ""), ["recipient", "blocked_by", "blocked_by_list"]]
    counts = (blocked.groupby(["recipient", "blocked_by", "blocked_by_list"], observed=True).size()
              .rename("n").reset_index()
              .sort_values(["recipient", "n", "blocked_by"], ascending=[True, False, True], kind="stable")
              .drop_duplicates("recipient"))
    counts = counts.rename(columns={"recipient": "contact", "blocked_by": "responsible_entry",
                                    "blocked_by_list": "responsible_list"}).drop(columns="n")
    out = c.merge(counts, how="left", on="contact")
    out[["responsible_entry", "responsible_list"]] = out[["responsible_entry", "responsible_list"]].fillna("")
    cols = ["contact", "change", "responsible_entry", "responsible_list", "timeline_before", "timeline_after",
            "created_at_before", "created_at_after"]
    out = out[cols].astype({"change": "object"})
    return out.sort_values(["change", "contact"], kind="stable").reset_index(drop=True)


def result_tables(result) -> dict[str, pd.DataFrame]:
    """The tables a result takes away, in workbook order: summary first, then affected contacts, then the rest."""
    return {
        "summary": result.summary(),
        "affected_contacts": affected_contacts(result),
        "contacts": result.contacts,
        "timeline": result.timeline,
        "feed": result.feed,
        "entries": result.entries,
        "recipients": result.recipients,
    }


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells neutralised (formula-safe), time zones dropped (Excel has none; the times are UTC)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif s.dtype == object or isinstance(s.dtype, (pd.CategoricalDtype, pd.StringDtype)):
            out[col] = s.astype(object).map(lambda v: v if not isinstance(v, str) else neutralise(v))
    return out


def write_excel(result, path) -> Path:
    """One sheet per table plus the summary (``README`` sheet first: what each sheet holds, what was left out)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise MissingExtraError("to_excel needs openpyxl: pip install 'neverlog-sim[excel]' "
                                "(or write CSV files with result.to_csv(folder))") from None
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{str(path)!r}: an Excel workbook is written as .xlsx; give a path ending in .xlsx")
    tables = result_tables(result)
    readme = []
    for name, df in tables.items():
        left_out = len(df) > EXCEL_MAX_ROWS
        readme.append({"sheet": name if not left_out else "", "table": name, "rows": len(df),
                       "what it holds": TABLE_NOTES[name] + (
                           f" — {len(df):,} rows is over Excel's sheet limit: left out, use result.to_csv(folder)"
                           if left_out else "")})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        _cells(pd.DataFrame(readme)).to_excel(xl, sheet_name="README", index=False)
        for name, df in tables.items():
            if len(df) <= EXCEL_MAX_ROWS:
                _cells(df).to_excel(xl, sheet_name=name, index=False)
    return write_bytes_atomic(path, buf.getvalue())


def write_csv_folder(result, folder) -> dict[str, Path]:
    """One CSV per table (UTF-8, header, formula-safe cells) in ``folder``; returns ``{table: path}``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{str(folder)!r} is a file; to_csv writes a folder of CSV files — give a folder path")
    out = {}
    for name, df in result_tables(result).items():
        text = _cells(df).to_csv(index=False, lineterminator="\n")
        out[name] = write_bytes_atomic(folder / f"{name}.csv", text.encode("utf-8"))
    return out


@dataclass
class EntryDrillDown:
    """What one candidate entry alone changes: the rows no other candidate entry blocks.

    ``rows`` those recipient rows; ``recipients`` one row per recipient (rows, first and last send, change
    class); ``senders`` one row per sender (rows, recipients); ``timeline`` the timeline entries that leave
    contact timelines because of this entry alone.
    """

    entry: str
    rows: pd.DataFrame
    recipients: pd.DataFrame
    senders: pd.DataFrame
    timeline: pd.DataFrame

    def __repr__(self) -> str:
        return (f"entry {self.entry}: alone blocks {len(self.rows):,} recipient rows of "
                f"{len(self.recipients):,} recipients sent by {len(self.senders):,} senders; "
                f"{len(self.timeline):,} timeline entries leave contact timelines because of it alone")

    def _repr_html_(self) -> str:
        import html
        head = html.escape(repr(self))
        parts = [f"<p>{head}</p>"]
        for label, df in (("recipients", self.recipients), ("senders", self.senders), ("timeline", self.timeline)):
            shown = df.head(20)
            parts.append(f"<h4>{label}: {len(shown):,} of {len(df):,} shown"
                         + (f" (all in .{label})" if len(df) > len(shown) else "") + "</h4>"
                         + shown.to_html(index=False, escape=True))
        return "<div class='nls-entry'>" + "".join(parts) + "</div>"


def entry_drilldown(result, entry: str, *, list: str | None = None, owner: str | None = None) -> EntryDrillDown:
    """The drill-down of one candidate entry (see ``EntryDrillDown``); ``list``/``owner`` pick among repeats."""
    from .entries import parse_entry
    from .engine import sql
    key = str(parse_entry(entry))
    e = result.entries
    found = e[(e["policy"] == "candidate") & (e["entry"] == key)]
    if list is not None:
        found = found[found["list"] == list]
    if owner is not None:
        found = found[found["owner"] == owner.strip().lower()]
    if found.empty:
        raise InputError(f"{entry!r} is not an entry of the candidate lists; result.entries lists them")
    if len(found) > 1:
        where = ", ".join(f"list={r.list!r}, owner={r.owner!r}" for r in found.itertuples())
        raise InputError(f"{key!r} is on {len(found)} candidate lists ({where}); pass list= and owner= to pick one")
    row = found.iloc[0]
    params = {"entry": key, "list": row["list"], "owner": row["owner"]}
    rows = result.sent.engine.df(sql.exclusive_rows(result._t["matches"], result._rows), params)
    keys = rows[["message_id", "recipient"]].drop_duplicates()
    timeline = result.timeline.merge(keys, on=["message_id", "recipient"], how="inner")
    timeline = timeline[timeline["blocked_by"] == key] if "blocked_by" in timeline.columns else timeline
    contacts = result.contacts[["contact", "change"]].rename(columns={"contact": "recipient"})
    recipients = (rows.groupby("recipient", observed=True)
                  .agg(rows=("message_id", "size"), first_sent=("sent_at", "min"), last_sent=("sent_at", "max"))
                  .reset_index().merge(contacts, how="left", on="recipient")
                  .sort_values(["rows", "recipient"], ascending=[False, True], kind="stable").reset_index(drop=True))
    senders = (rows.groupby("sender", observed=True)
               .agg(rows=("message_id", "size"), recipients=("recipient", "nunique")).reset_index()
               .sort_values(["rows", "sender"], ascending=[False, True], kind="stable").reset_index(drop=True))
    return EntryDrillDown(entry=key, rows=rows, recipients=recipients, senders=senders,
                          timeline=timeline.reset_index(drop=True))
