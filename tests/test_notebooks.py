"""Every notebook in notebooks/ runs top to bottom on the bundled samples, and is committed without outputs."""

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
KERNEL = "neverlog-sim-test"


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory, monkeypatch_session):
    """A kernelspec that starts *this* interpreter, so a fresh venv's packages are the ones the notebooks use."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "neverlog-sim tests", "language": "python"}), encoding="utf-8")
    monkeypatch_session.setenv("JUPYTER_PATH", str(root))
    return KERNEL


@pytest.fixture(scope="session")
def monkeypatch_session():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_the_notebooks_are_these():
    assert ["01_quickstart.ipynb", "02_preview_impact.ipynb", "03_cap_compliant_export.ipynb",
            "04_your_own_mail.ipynb", "05_backtest.ipynb", "06_list_doctor.ipynb"] == [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert [] == dirty


# --- the key figures each notebook shows, computed here from the library (not from the notebook) ---------------

def _quickstart() -> list[str]:
    from neverlog_sim import Policy, simulate
    from neverlog_sim.samples import sample_path
    m = simulate(sample_path("sent_canonical.csv"), Policy.from_dir(sample_path("lists")),
                 contacts=sample_path("contacts.csv"), tracking=sample_path("tracking.csv")).metrics()
    return [f"contacts that would not be created:            {m['contacts_not_created']:,}",
            f"timeline entries that leave contact timelines: {m['timeline_entries_removed']:,}",
            f"tracking events that leave contact timelines:  {m['tracking_events_leaving_timelines']:,}",
            f"feed events that stay visible (all of them):   {m['feed_events_after']:,}, "
            f"{m['feed_events_of_blocked_recipients']:,} of blocked recipients",
            f"dead entries (match nothing, still spend cap): {m['dead_entries']:,}"]


def _preview() -> list[str]:
    from neverlog_sim import NeverLogList, Policy, simulate
    from neverlog_sim.samples import sample_path
    lists = Policy.from_dir(sample_path("lists"))
    figures = {}
    for extra in ([], ["*@outlook.com"]):
        policy = Policy(team=NeverLogList([*lists.team.entries, *extra]), personal=lists.personal)
        figures[bool(extra)] = simulate(sample_path("sent_canonical.csv"), policy, contacts=sample_path("contacts.csv"),
                                        tracking=sample_path("tracking.csv")).metrics()["contacts_not_created"]
    return [f"contacts not created: {figures[False]:,} -> {figures[True]:,} once outlook.com is fixed to *@outlook.com"]


def _backtest() -> list[str]:
    from neverlog_sim import Policy, backtest
    from neverlog_sim.samples import sample_path
    bt = backtest(sample_path("sent_canonical.csv"), sample_path("logged_hubspot.csv"),
                  Policy.from_dir(sample_path("lists")), since="2025-10-01")
    return [f"agreement: {bt.agreement:.2%}"]


SHOWN = {"01_quickstart": _quickstart, "02_preview_impact": _preview, "05_backtest": _backtest}


def _printed(nb) -> str:
    """Everything the executed notebook printed or displayed as text."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.output_type == "stream":
                out.append(o.text)
            elif "data" in o and "text/plain" in o["data"]:
                out.append(o["data"]["text/plain"])
    return "\n".join(out)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_and_shows_the_library_s_figures(path, kernel_name):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=600,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    printed = _printed(nb)
    expected = SHOWN[path.stem]() if path.stem in SHOWN else []
    assert ([], []) == (errors, [line for line in expected if line not in printed])


def test_the_figure_read_back_fails_on_a_wrong_figure():
    assert "agreement: 100.00%" not in _printed(nbformat.from_dict({"cells": [{
        "cell_type": "code", "outputs": [{"output_type": "stream", "text": "agreement: 99.00%"}]}]}))
