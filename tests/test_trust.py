"""Issue 10, beyond single bad inputs: the load report reaches every surface, data never becomes markup or a
formula, every file is written by the one atomic writer, nothing touches the network, and identical inputs
give byte-identical outputs."""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import socket
from pathlib import Path

import pandas as pd
import pytest

from neverlog_sim import Policy, export_lists, load_sent, simulate
from neverlog_sim.atomic import neutralise, write_csv_atomic
from neverlog_sim.cli import main
from neverlog_sim.export import neutralise as export_neutralise
from neverlog_sim.report import build_report, render_html, render_markdown
from neverlog_sim.samples import sample_path

PACKAGE = Path(__file__).resolve().parents[1] / "neverlog_sim"
SCRIPT = "<script>alert(1)</script>"


def messy() -> pd.DataFrame:
    """Two messages, one of them with no usable recipient; markup in a sender, a channel and a display name."""
    return pd.DataFrame({"message_id": ["m1", "m2", "m3"], "sent_at": ["2024-03-01T10:00:00Z"] * 3,
                         "sender": [SCRIPT, "ann@us.com", "ann@us.com"], "channel": ["extension", SCRIPT, "crm"],
                         "to": [f'"{SCRIPT}" <jo@acme.com>', "sam@rival.com", "undisclosed"]})


# --- the load report on every surface ------------------------------------------------------------------

def test_sent_mail_repr_leads_with_what_was_set_aside():
    sent = load_sent(messy(), progress=False, max_set_aside=1.0)
    assert ("WARNING set aside: 1 of 3 messages (33.3%) and 1 of 3 recipient rows (33.3%) — the figures leave "
            "them out; see the load report") == repr(sent).splitlines()[0]


def test_sent_mail_repr_has_no_warning_when_nothing_was_set_aside():
    sent = load_sent(sample_path("sent_canonical.csv"), progress=False)
    assert (True, {"messages": 0, "messages_total": 38729, "rows": 0, "rows_total": 52202}) == (
        repr(sent).startswith("<SentMail"), sent.set_aside)


def test_html_and_markdown_reports_lead_with_what_was_set_aside():
    result = simulate(load_sent(messy(), progress=False, max_set_aside=1.0), Policy(team=["*@acme.com"]))
    page = result.to_html()
    report = build_report(result)
    warning = "set aside: 1 of 3 messages (33.3%) and 1 of 3 recipient rows (33.3%)"
    assert (True, True) == (page.index(warning) < page.index("<h1>"),
                            render_markdown(report).startswith(f"> **Warning**: {warning}"))


def test_the_default_threshold_refuses_and_says_how_much():
    with pytest.raises(Exception) as info:
        load_sent(messy(), progress=False)
    assert ("SetAsideError", 1 / 3, 0.01) == (type(info.value).__name__, info.value.share, info.value.limit)


def test_demo_prints_the_load_report_on_stderr(tmp_path):
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["demo", "--out", str(tmp_path / "demo"), "--quiet"])
    assert (0, []) == (code, [line for line in err.getvalue().splitlines() if "Traceback" in line])


def test_demo_load_report_line(tmp_path):
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        main(["demo", "--out", str(tmp_path / "demo")])
    lines = [line for line in err.getvalue().replace("\r", "\n").splitlines() if line.startswith("load report")]
    assert [f"load report: 52,202 recipient rows, 38,729 messages from {sample_path('sent_canonical.csv')}"] == lines


# --- data never becomes markup -------------------------------------------------------------------------

def test_markup_in_the_data_is_text_in_every_html_surface():
    sent = load_sent(messy(), progress=False, max_set_aside=1.0)
    result = simulate(sent, Policy(team=["*@acme.com"]))
    pages = {"report": result.to_html(), "fragment": render_html(build_report(result), fragment=True),
             "sent": sent._repr_html_(), "result": result._repr_html_()}
    assert {k: (False, True) for k in pages} == {k: (SCRIPT in v, "&lt;script&gt;alert(1)&lt;/script&gt;" in v)
                                                for k, v in pages.items()}


# --- CSV cells never start a formula ---------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["=SUM(A1:A9)", "+1", "-2", "@cmd", "\tx", "\rx"])
def test_neutralise_prefixes_formula_starts(cell):
    assert ("'" + cell, "'" + cell) == (neutralise(cell), export_neutralise(cell))


def test_csv_written_by_the_toolkit_is_neutralised(tmp_path):
    path = write_csv_atomic(tmp_path / "t.csv", pd.DataFrame({"a": ["=1+1", "ok", "-x", None], "n": [-1, 2, 3, 4]}))
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [["a", "n"], ["'=1+1", "-1"], ["ok", "2"], ["'-x", "3"], ["", "4"]] == rows


def test_cut_csv_neutralises_entries_that_look_like_formulas(tmp_path):
    sent = load_sent(pd.DataFrame({"message_id": ["m1", "m2"], "sent_at": ["2024-03-01"] * 2,
                                   "sender": ["ann@us.com"] * 2, "channel": ["crm"] * 2,
                                   "to": ["=cmd@x.com", "-a@y.com"]}), progress=False)
    report = export_lists(Policy(team=["=cmd@x.com", "-a@y.com", "+b@z.com"]), tmp_path / "out", sent=sent, cap=1)
    with (tmp_path / "out" / "cut.csv").open(newline="", encoding="utf-8") as fh:
        cut = [row["entry"] for row in csv.DictReader(fh)]
    assert (False, 2, True) == (report.fits, len(cut), all(c.startswith("'") and c[1] in "=+-" for c in cut))


# --- one atomic writer ------------------------------------------------------------------------------------

WRITERS = {"write_text", "write_bytes", "to_csv", "to_parquet", "to_excel", "to_json", "savefig", "dump"}


def _in_memory_or_ours(node: ast.Call) -> bool:
    """A write into an in-memory buffer (``buf``, an ExcelWriter ``xl`` over one) that is then written
    atomically, or a call of the result's own writers (``result.to_excel``), which use the atomic writer."""
    target = node.args[0]
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    return ((isinstance(target, ast.Name) and target.id in ("buf", "xl"))
            or (isinstance(receiver, ast.Name) and receiver.id == "result"))


def _writes(path: Path) -> list[str]:
    """Calls in a module that write a file other than through neverlog_sim.atomic."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "open" and any(isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax")
                                  for a in node.args[1:2]):
            found.append(f"{path.name}:{node.lineno} open(..., {node.args[1].value!r})")
        elif name in WRITERS and node.args and not _in_memory_or_ours(node):
            found.append(f"{path.name}:{node.lineno} {name}()")
    return found


def test_every_file_is_written_through_the_atomic_writer():
    writes = {str(p.relative_to(PACKAGE)): _writes(p) for p in PACKAGE.rglob("*.py") if p.name != "atomic.py"}
    assert {} == {k: v for k, v in writes.items() if v}


# --- no network, and identical outputs for identical inputs --------------------------------------------------

def _run_everything(folder: Path) -> dict[str, bytes]:
    sent = load_sent(sample_path("sent_canonical.csv"), progress=False)
    result = simulate(sent, Policy.from_dir(sample_path("lists")), contacts=sample_path("contacts.csv"),
                      tracking=sample_path("tracking.csv"))
    result.to_html(folder / "report.html")
    export_lists(sample_path("lists"), folder / "export", sent=sent, cap=100)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_load_simulate_report_and_export_need_no_network(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    files = _run_everything(tmp_path)
    assert ["export/manifest.json", "export/team.txt", "report.html"] == \
        sorted(f for f in files if not f.startswith("export/personal/"))


def test_identical_inputs_give_byte_identical_outputs(tmp_path):
    first, second = _run_everything(tmp_path / "a"), _run_everything(tmp_path / "b")
    assert (sorted(first), [f for f in first if first[f] != second[f]]) == (sorted(second), [])
