"""A to_html report rendered by headless Chromium: a screenshot, no console errors, the headline numbers on the page."""

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from neverlog_sim import Policy, load_contacts, load_sent, load_tracking, simulate
from neverlog_sim.samples import sample_path

ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def chromium() -> str:
    path = shutil.which("chromium") or (Path("/usr/bin/chromium").is_file() and "/usr/bin/chromium")
    if not path:
        pytest.fail("chromium is not installed: the report's browser check needs Debian's 'chromium' package; "
                    ".ci/run installs it (apt-get install -y chromium)")
    return path


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2000", *extra, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def console_errors(stderr: str) -> list[str]:
    # Chromium logs page console messages as ...:CONSOLE(line)] "message", source: url (line)
    return [line for line in stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or ":ERROR:" in line
                                                                          or "error" in line.lower())]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    sent = load_sent(sample_path("sent_canonical.csv"), progress=False)
    result = simulate(sent, Policy.from_dir(sample_path("lists")), contacts=load_contacts(sample_path("contacts.csv")),
                      tracking=load_tracking(sample_path("tracking.csv")))
    folder = tmp_path_factory.mktemp("browser")
    page = folder / "report.html"
    result.to_html(page)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    shown = run_chromium(page, folder / "profile-shot", f"--screenshot={shot}")
    dom = run_chromium(page, folder / "profile-dom", "--dump-dom")
    return {"metrics": result.metrics(), "shot": shot, "shown": shown, "dom": dom}


def test_screenshot_is_saved(rendered):
    shot = rendered["shot"]
    assert (0, True, b"\x89PNG") == (rendered["shown"].returncode, shot.is_file() and shot.stat().st_size > 10_000,
                                     shot.read_bytes()[:4])


def test_no_console_errors(rendered):
    assert [] == console_errors(rendered["shown"].stderr) + console_errors(rendered["dom"].stderr)


def test_headline_numbers_are_in_the_page(rendered):
    text = html.unescape(re.sub(r"<[^>]+>", " ", rendered["dom"].stdout))
    m = rendered["metrics"]
    wanted = {k: f"{m[k]:,}" for k in ("contacts_not_created", "timeline_entries_removed",
                                       "tracking_events_leaving_timelines", "feed_events_after")}
    assert {k: True for k in wanted} == {k: f" {v} " in f" {' '.join(text.split())} " for k, v in wanted.items()}


def test_the_page_renders_the_charts(rendered):
    assert 5 == rendered["dom"].stdout.count("<svg")


def test_console_error_check_catches_a_broken_page(tmp_path):
    # The check above must be able to fail: a page that throws is caught.
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>undefinedFunction()</script></body></html>",
                    encoding="utf-8")
    out = run_chromium(page, tmp_path / "profile", "--dump-dom")
    assert 1 == len(console_errors(out.stderr))


SCRIPT = "<script>alert(1)</script>"


def test_markup_in_the_data_renders_as_text(tmp_path):
    # A sender, a channel and a display name holding markup: the page shows the text and runs nothing.
    import pandas as pd
    messy = pd.DataFrame({"message_id": ["m1", "m2"], "sent_at": ["2024-03-01T10:00:00Z"] * 2,
                          "sender": [SCRIPT, "ann@us.com"], "channel": ["extension", SCRIPT],
                          "to": [f'"{SCRIPT}" <jo@acme.com>', "sam@rival.com"]})
    result = simulate(load_sent(messy, progress=False), Policy(team=["*@acme.com"]))
    page = tmp_path / "messy.html"
    result.to_html(page)
    dom = run_chromium(page, tmp_path / "profile", "--dump-dom")
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom.stdout))
    assert (0, [], False, True) == (dom.returncode, console_errors(dom.stderr), "<script" in dom.stdout,
                                    SCRIPT in text)
