"""Make the README's screenshots: the HTML report, and notebook 02 rendered by nbconvert.

Run from the repository root with the test extra installed and Chromium on the PATH:

    .venv/bin/python docs/images/make_screenshots.py

Notebook 02 is executed without saving widget state (JupyterLab's default), then rendered to HTML
by nbconvert: the live preview's cell shows the static snapshot it carries in its mimebundle.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "images"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                  "--hide-scrollbars"]


def screenshot(html: Path, png: Path, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        raise SystemExit("Chromium is not installed (apt-get install -y chromium)")
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--window-size=1280,{height}", f"--screenshot={png}",
                    html.as_uri()], check=True, capture_output=True, timeout=300)


def report_html(folder: Path) -> Path:
    from neverlog_sim import Policy, load_sent, simulate
    from neverlog_sim.samples import sample_path
    sent = load_sent(sample_path("sent_canonical.csv"), progress=False)
    result = simulate(sent, Policy.from_dir(sample_path("lists")), contacts=sample_path("contacts.csv"),
                      tracking=sample_path("tracking.csv"))
    result.to_html(folder / "report.html")
    return folder / "report.html"


def notebook_html(folder: Path) -> Path:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    spec = folder / "jupyter" / "kernels" / "neverlog-sim-shots"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "neverlog-sim", "language": "python"}), encoding="utf-8")
    os.environ["JUPYTER_PATH"] = str(folder / "jupyter")
    nb = nbformat.read(ROOT / "notebooks" / "02_preview_impact.ipynb", as_version=4)
    NotebookClient(nb, kernel_name="neverlog-sim-shots", timeout=600, store_widget_state=False,
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    path = folder / "02_preview_impact.html"
    path.write_text(body, encoding="utf-8")
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        screenshot(report_html(folder), OUT / "report.png", 2600)
        screenshot(notebook_html(folder), OUT / "notebook-02.png", 2600)
    print(f"written: {OUT / 'report.png'}, {OUT / 'notebook-02.png'}")


if __name__ == "__main__":
    main()
