"""`neverlog-sim`: each subcommand's success path, the exit codes 0/1/2, one error message per kind of bad input."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from neverlog_sim.cli import build_parser, main
from neverlog_sim.samples import sample_path

ROOT = Path(__file__).resolve().parents[1]
CONSOLE_SCRIPT = Path(sys.executable).parent / "neverlog-sim"

SENT_CSV = """message_id,sent_at,sender,channel,to,cc,bcc
1,2024-01-01T10:00:00Z,ann@us.com,extension,jo@acme.com,al@acme.com,
2,2024-01-02T09:30:00Z,bob@us.com,extension,z@rival.com,,
3,2024-01-03T08:00:00Z,bob@us.com,extension,q@partner.org,,
"""
# What `simulate --sent sent.csv --candidate team.txt` prints with TEAM_LIST as the candidate.
SUMMARY = [
    "metric                                                   baseline   candidate     change",
    "recipient rows blocked                                          0           1         +1",
    "timeline entries (emails logged on contact timelines)           4           3         -1",
    "contact records                                                 4           3         -1",
    "contacts created by the history                                 4           3         -1",
    "tracking events on contact timelines                            0           0         +0",
    "feed events (opens and clicks in the activity feed)             0           0         +0",
    "feed events of blocked recipients                               0           0         +0",
    "",
    "contacts not created: 1; timeline entries removed: 1; tracking events leaving timelines: 0",
    "feed events still visible for blocked recipients: 0 (the activity feed never changes)",
    "candidate entries: 2 (1 match nothing); lists within HubSpot's cap",
    "assumption contacts table: none — no contacts table: no recipient is a contact before the history shows "
    "one (a CRM send or a logged, contact-creating send)",
]
TEAM_LIST = "*@rival.com\nnobody@nowhere.org\n"
OPTIONS = {
    "validate": ["FILE", "--lenient", "--json", "--cap"],
    "simulate": ["--sent", "--candidate", "--baseline", "--contacts", "--tracking", "--rules", "--subdomains",
                 "--json", "--html", "--redact", "--quiet"],
    "export": ["WANTED_DIR_OR_FILE", "--sent", "--out", "--cap", "--max-collateral", "--allow-personal",
               "--overwrite", "--rules", "--json"],
    "load": ["SENT", "--workspace", "--format", "--owners", "--quiet"],
    "doctor": ["LISTS", "--sent", "--own-domain", "--rules", "--json", "--quiet"],
    "samples": ["FOLDER", "--seed", "--overwrite"],
    "demo": ["--out", "--quiet"],
    "backtest": ["--sent", "--logged", "--lists", "--since", "--until", "--rules", "--subdomains", "--roles",
                 "--tolerance", "--owners", "--json", "--html", "--quiet"],
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """main(argv) in-process: (exit code, stdout, stderr); argparse's own exits count as exit codes."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sent(tmp_path) -> Path:
    path = tmp_path / "sent.csv"
    path.write_text(SENT_CSV, encoding="utf-8")
    return path


@pytest.fixture
def team(tmp_path) -> Path:
    path = tmp_path / "team.txt"
    path.write_text(TEAM_LIST, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_simulation(tmp_path_factory) -> tuple[int, str, str, Path]:
    """simulate --json --html on the bundled samples, run once for the tests that read its outputs."""
    html = tmp_path_factory.mktemp("simulate") / "report.html"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["simulate", "--sent", str(sample_path("sent_canonical.csv")),
                     "--candidate", str(sample_path("lists")), "--contacts", str(sample_path("contacts.csv")),
                     "--tracking", str(sample_path("tracking.csv")), "--json", "--html", str(html)])
    return code, out.getvalue(), err.getvalue(), html


# --- success paths -------------------------------------------------------------------------------------------


def test_simulate_samples_exits_0(sample_simulation):
    assert 0 == sample_simulation[0]


def test_simulate_json_is_the_report_of_the_bundled_history(sample_simulation):
    report = json.loads(sample_simulation[1])
    assert ("bundled sample (sent_canonical.csv)", "seed-2023", True) == (
        report["source"], report["rules"], report["headline"]["lists_compliant"])


def test_simulate_json_headline_adds_up(sample_simulation):
    h = json.loads(sample_simulation[1])["headline"]
    assert (h["timeline_entries_removed"], h["contacts_not_created"]) == (
        h["timeline_entries_before"] - h["timeline_entries_after"],
        h["contacts_created_before"] - h["contacts_created_after"])


def test_simulate_json_with_tracking_counts_feed_events(sample_simulation):
    h = json.loads(sample_simulation[1])["headline"]
    assert (True, True) == (h["feed_events_before"] > 0, h["feed_events_before"] == h["feed_events_after"])


def test_simulate_html_writes_a_self_contained_report(sample_simulation):
    html = sample_simulation[3].read_text(encoding="utf-8")
    assert (True, True) == (html.startswith("<!DOCTYPE html>"), "What the candidate Never Log lists would change"
                            in html)


def test_simulate_html_says_where_the_report_is_on_stderr(sample_simulation):
    # The load report comes first (the samples set nothing aside; incoming mail and threads are counted), then
    # where the report is.
    assert [f"load report: 52,202 recipient rows, 38,729 messages from {sample_path('sent_canonical.csv')}",
            "  incoming emails (kept; governed in profile 2026 only): 5,163",
            "  reply threads of two or more emails (thread_id, in_reply_to): 9,740",
            f"report written to {sample_simulation[3]}"] == \
        sample_simulation[2].split("\r")[-1].strip().splitlines()


def test_simulate_prints_the_summary_table(sent, team, capsys):
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", team, "--quiet")
    assert (0, SUMMARY) == (code, out.splitlines())


def test_simulate_quiet_writes_nothing_to_stderr(sent, team, tmp_path, capsys):
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", team, "--html", tmp_path / "r.html",
                         "--quiet")
    assert (0, "") == (code, err)


def test_simulate_baseline_equal_to_candidate_changes_nothing(sent, team, capsys):
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", team, "--baseline", team, "--quiet",
                         "--json")
    assert (0, 0) == (code, json.loads(out)["headline"]["timeline_entries_removed"])


def test_validate_valid_list_exits_0(team, capsys):
    code, out, err = run(capsys, "validate", team)
    assert (0, f"{team}: OK — 2 entries (1 address, 1 domain); cap 500, within the cap\n", "") == (code, out, err)


def test_export_writes_lists_and_manifest(tmp_path, capsys):
    out_dir = tmp_path / "export"
    code, out, err = run(capsys, "export", sample_path("lists"), "--out", out_dir)
    written = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    expected = sorted(["manifest.json", "team.txt"] + [f"personal/{p.name}" for p in
                                                       (sample_path("lists") / "personal").glob("*.txt")])
    assert (0, expected, "") == (code, written, err)


def test_export_prints_the_report(tmp_path, capsys):
    code, out, err = run(capsys, "export", sample_path("lists"), "--out", tmp_path / "export")
    # Plain words on a terminal: no Python repr.
    assert (0, f"exported to {tmp_path / 'export'}: ", False) == (
        code, out[:len(f"exported to {tmp_path / 'export'}: ")], "<ExportReport" in out)


def test_export_json_is_the_manifest(tmp_path, capsys):
    code, out, err = run(capsys, "export", sample_path("lists"), "--out", tmp_path / "export", "--json")
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text(encoding="utf-8"))
    assert (0, True) == (code, json.loads(out)["files"] == manifest["files"])


def test_samples_writes_the_sample_company(tmp_path, capsys):
    code, out, err = run(capsys, "samples", tmp_path / "northwind")
    printed = dict(line.split(": ", 1) for line in out.splitlines())
    missing = [path for path in printed.values() if not Path(path).is_file()]
    assert (0, [], True) == (code, missing, {"sent_canonical.csv", "sent_hubspot.csv", "contacts.csv",
                                             "tracking.csv", "owners.csv", "lists/team.txt"} <= set(printed))


def test_demo_writes_report_and_lists_and_names_them(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out_dir = tmp_path / "demo"
    code, out, err = run(capsys, "demo", "--out", out_dir, "--quiet")
    lines = out.splitlines()
    assert (0, True, True, f"report: {out_dir / 'report.html'}", True) == (
        code, (out_dir / "report.html").is_file(), (out_dir / "lists" / "team.txt").is_file(),
        lines[-2], lines[-1].startswith(f"lists:  {out_dir / 'lists'}  (") and "team.txt" in lines[-1])


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_subcommand_help_exits_0_and_names_its_options(command, capsys):
    code, out, err = run(capsys, command, "--help")
    assert (0, []) == (code, [option for option in OPTIONS[command] if option not in out])


def test_top_level_help_lists_subcommands_and_exit_codes(capsys):
    code, out, err = run(capsys, "--help")
    assert (0, [], True) == (code, [c for c in OPTIONS if c not in out],
                             "2 bad usage or unreadable input" in " ".join(out.split()))


def test_every_subcommand_has_its_options_listed_here():
    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert sorted(OPTIONS) == sorted(subcommands)


# --- exit code 1: a finding the user must act on --------------------------------------------------------------


def test_validate_invalid_list_exits_1_naming_the_line(tmp_path, capsys):
    path = tmp_path / "team.txt"
    path.write_text("ok@acme.com\nacme.com\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", path)
    assert (1, "  invalid   line 2: 'acme.com' has no '@' — did you mean '*@acme.com'?") == (code, out.splitlines()[1])


def test_simulate_over_cap_candidate_exits_1(sent, tmp_path, capsys):
    big = tmp_path / "big.txt"
    big.write_text("".join(f"user{n}@client{n}.example.com\n" for n in range(501)), encoding="utf-8")
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", big, "--quiet")
    assert (1, "candidate entries: 501 (501 match nothing); lists NOT within HubSpot's cap") == (
        code, out.splitlines()[11])


# --- exit code 2: bad usage ------------------------------------------------------------------------------------


def test_missing_required_option_exits_2(team, capsys):
    code, out, err = run(capsys, "simulate", "--candidate", team)
    assert (2, "neverlog-sim: error: the following arguments are required: --sent") == (code, err.splitlines()[-1])


def test_unknown_subcommand_exits_2(capsys):
    code, out, err = run(capsys, "simulte")
    assert (2, "neverlog-sim: error: argument COMMAND: invalid choice: 'simulte' (choose from 'validate', "
               "'simulate', 'export', 'load', 'doctor', 'samples', 'demo', 'backtest')") == (code, err.splitlines()[-1])


def test_unknown_rule_profile_exits_2(sent, team, capsys):
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", team, "--rules", "2024")
    assert (2, "neverlog-sim: error: argument --rules: invalid choice: '2024' (choose from '2025', '2026', "
               "'seed-2023')") == (
        code, err.splitlines()[-1])


def test_samples_into_a_non_empty_folder_exits_2(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    code, out, err = run(capsys, "samples", tmp_path)
    assert (2, f"neverlog-sim: {str(tmp_path)!r} exists and is not empty; choose another folder or pass "
               "--overwrite\n") == (code, err)


# --- exit code 2: unreadable input, one message per kind --------------------------------------------------------


@pytest.mark.parametrize("flag, message", [
    ("--sent", "sent mail '{missing}' does not exist; give a CSV or Parquet file, a glob or a folder"),
    ("--candidate", "candidate list '{missing}' does not exist; give a .txt/.csv list file or a folder with "
                    "team.txt and personal/<owner>.txt"),
    ("--baseline", "baseline list '{missing}' does not exist; give a .txt/.csv list file or a folder with "
                   "team.txt and personal/<owner>.txt"),
    ("--contacts", "contacts '{missing}' does not exist; give a CSV or Parquet file, a glob or a folder"),
    ("--tracking", "tracking events '{missing}' does not exist; give a CSV or Parquet file, a glob or a folder"),
])
def test_simulate_missing_file_exits_2_with_one_line(flag, message, sent, team, tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    args = {"--sent": sent, "--candidate": team, flag: missing}
    code, out, err = run(capsys, "simulate", *(x for kv in args.items() for x in kv), "--quiet")
    assert (2, "", f"neverlog-sim: {message.format(missing=missing)}\n") == (code, out, err)


def test_export_missing_wanted_list_exits_2(tmp_path, capsys):
    code, out, err = run(capsys, "export", tmp_path / "wanted.txt", "--out", tmp_path / "out")
    assert (2, f"neverlog-sim: wanted list '{tmp_path / 'wanted.txt'}' does not exist; give a .txt/.csv list file "
               "or a folder with team.txt and personal/<owner>.txt\n") == (code, err)


def test_validate_missing_file_exits_2(tmp_path, capsys):
    code, out, err = run(capsys, "validate", tmp_path / "team.txt")
    assert (2, f"neverlog-sim: list file '{tmp_path / 'team.txt'}' does not exist (or is not a file)\n") == (
        code, err)


def test_sent_without_required_columns_exits_2_with_the_missing_columns(team, tmp_path, capsys):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,created_at\njo@acme.com,2024-01-01T00:00:00Z\n", encoding="utf-8")
    code, out, err = run(capsys, "simulate", "--sent", contacts, "--candidate", team)
    assert (2, f"neverlog-sim: sent mail from {contacts} is missing required column(s) 'message_id', 'sent_at' "
               "(closest: 'created_at'), 'sender', 'channel', 'to'; it has ['email', 'created_at']. Rename them in "
               "the file, or map them with columns={'their name': 'our name'}\n") == (code, err)


def test_tracking_without_required_columns_exits_2_with_the_missing_columns(sent, team, tmp_path, capsys):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,created_at\njo@acme.com,2024-01-01T00:00:00Z\n", encoding="utf-8")
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", team, "--tracking", contacts, "--quiet")
    assert (2, f"neverlog-sim: tracking events from {contacts} is missing required column(s) 'message_id', 'event'; "
               "it has ['email', 'created_at']. Rename them in the file, or map them with columns={'their name': "
               "'our name'}\n") == (code, err)


def test_contacts_without_required_columns_exits_2_with_the_missing_columns(sent, team, capsys):
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", team, "--contacts", sent, "--quiet")
    assert (2, f"neverlog-sim: contacts from {sent} is missing required column(s) 'email'; it has ['message_id', "
               "'sent_at', 'sender', 'channel', 'to', 'cc', 'bcc']. Rename them in the file, or map them with "
               "columns={'their name': 'our name'}\n") == (code, err)


def test_candidate_with_invalid_line_exits_2_naming_the_line_and_the_hint(sent, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("ok@acme.com\nrival.com\n", encoding="utf-8")
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", bad, "--quiet")
    assert (2, [f"neverlog-sim: {bad}, line 2: 'rival.com' has no '@' — did you mean '*@rival.com'?",
                "A Never Log entry is name@domain.com (one recipient) or *@domain.com (a whole domain)."]) == (
        code, err.splitlines())


def test_candidate_folder_with_invalid_personal_line_exits_2_naming_file_and_line(sent, tmp_path, capsys):
    folder = tmp_path / "lists"
    (folder / "personal").mkdir(parents=True)
    (folder / "team.txt").write_text("*@rival.com\n", encoding="utf-8")
    (folder / "personal" / "ann@us.com.txt").write_text("mum@family.org\nj*@family.org\n", encoding="utf-8")
    code, out, err = run(capsys, "simulate", "--sent", sent, "--candidate", folder, "--quiet")
    assert (2, f"neverlog-sim: {folder / 'personal' / 'ann@us.com.txt'}, line 2: 'j*@family.org'") == (
        code, err.splitlines()[0][:len(f"neverlog-sim: {folder / 'personal' / 'ann@us.com.txt'}, line 2: "
                                       "'j*@family.org'")])


def test_errors_show_no_traceback_without_debug(tmp_path, team, capsys):
    code, out, err = run(capsys, "simulate", "--sent", tmp_path / "missing.csv", "--candidate", team)
    assert (2, False) == (code, "Traceback" in err)


def test_debug_shows_the_traceback_then_the_message(tmp_path, team, capsys):
    missing = tmp_path / "missing.csv"
    code, out, err = run(capsys, "--debug", "simulate", "--sent", missing, "--candidate", team)
    assert (2, "Traceback (most recent call last):",
            f"neverlog-sim: sent mail '{missing}' does not exist; give a CSV or Parquet file, a glob or a folder") == (
        code, err.splitlines()[0], err.splitlines()[-1])


def test_installed_console_script_exits_2_with_one_line_on_stderr(tmp_path, team):
    missing = tmp_path / "missing.csv"
    proc = subprocess.run([str(CONSOLE_SCRIPT), "simulate", "--sent", str(missing), "--candidate", str(team)],
                          capture_output=True, text=True, timeout=120)
    assert (2, "", f"neverlog-sim: sent mail '{missing}' does not exist; give a CSV or Parquet file, a glob or a folder\n") == (
        proc.returncode, proc.stdout, proc.stderr)


def test_installed_console_script_validates_a_list(team):
    proc = subprocess.run([str(CONSOLE_SCRIPT), "validate", str(team)], capture_output=True, text=True, timeout=120)
    assert (0, f"{team}: OK — 2 entries (1 address, 1 domain); cap 500, within the cap\n") == (
        proc.returncode, proc.stdout)


# --- documentation ---------------------------------------------------------------------------------------------


def test_every_subcommand_is_in_the_readme():
    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [] == [c for c in subcommands if not re.search(rf"neverlog-sim {c}\b", readme)]


def test_export_errors_show_a_traceback_under_debug(tmp_path, capsys):
    code, out, err = run(capsys, "export", tmp_path / "wanted.txt", "--out", tmp_path / "out", "--debug")
    assert (2, "Traceback (most recent call last):") == (code, err.splitlines()[0])


def test_html_report_is_readable_by_others(tmp_path, capsys):
    import os
    import stat
    from neverlog_sim.atomic import write_text_atomic
    old = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "report.html", "<p>hi</p>")
    finally:
        os.umask(old)
    assert 0o644 == stat.S_IMODE(path.stat().st_mode)
