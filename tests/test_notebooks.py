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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, kernel_name):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=600,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [] == errors
