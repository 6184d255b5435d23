"""Workspaces: a parsed history kept in one DuckDB file, reopened without parsing, never half-written."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from neverlog_sim import Policy, WorkspaceError, load_sent, open_sent, simulate
from neverlog_sim import history
from neverlog_sim.cli import main

DATA = Path(__file__).parent / "data"
SENT = DATA / "report_sent.csv"
TRACKING = DATA / "report_tracking.csv"
POLICY = Policy(team=["*@rival.com", "jo@acme.com"], personal={"ann@us.com": ["*@family.org"]})


@pytest.fixture()
def workspace(tmp_path):
    path = tmp_path / "history.duckdb"
    sent = load_sent(SENT, progress=False, workspace=path)
    return sent, path


def test_a_reopened_workspace_has_the_same_rows_and_load_report(workspace):
    sent, path = workspace
    again = open_sent(path)
    pd.testing.assert_frame_equal(sent.to_pandas(), again.to_pandas())
    assert (sent.summary(), sent.channels, path) == (again.summary(), again.channels, again.workspace)


def test_a_reopened_workspace_simulates_like_the_loaded_history(workspace):
    sent, path = workspace
    before = simulate(sent, POLICY, tracking=TRACKING)
    after = simulate(open_sent(path), POLICY, tracking=TRACKING)
    assert before.metrics() == after.metrics()
    pd.testing.assert_frame_equal(before.contacts, after.contacts)
    pd.testing.assert_frame_equal(before.recipients, after.recipients)


def test_load_sent_reads_a_workspace_file_as_a_history(workspace):
    sent, path = workspace
    assert sent.summary() == load_sent(path).summary()


def test_tracking_attached_to_a_history_is_kept(tmp_path):
    sent = load_sent(SENT, progress=False)
    sent.tracking = pd.read_csv(TRACKING, dtype=str)
    path = sent.save(tmp_path / "h.duckdb")
    pd.testing.assert_frame_equal(sent.tracking.reset_index(drop=True), open_sent(path).tracking)


def test_a_missing_workspace_says_how_to_rebuild_it(tmp_path):
    path = tmp_path / "nope.duckdb"
    with pytest.raises(WorkspaceError, match=rf"workspace '{path}' does not exist; rebuild it with "
                                             rf"load_sent\(SOURCE, workspace='{path}'\)"):
        open_sent(path)


def test_a_damaged_workspace_is_refused_with_the_rebuild_hint(tmp_path):
    path = tmp_path / "bad.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError, match=r"cannot be opened .*; rebuild it with .*neverlog-sim load SOURCE "
                                             r"--workspace"):
        open_sent(path)


def test_a_workspace_of_another_format_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(history, "WORKSPACE_FORMAT", "0")
    load_sent(SENT, progress=False, workspace=path)
    monkeypatch.undo()
    with pytest.raises(WorkspaceError, match=r"written by neverlog-sim 0\.1\.0 \(format 0\); this is 0\.1\.0 "
                                             r"\(format 1\): rebuild it"):
        open_sent(path)


def test_a_workspace_file_needs_the_duckdb_suffix(tmp_path):
    with pytest.raises(WorkspaceError.__mro__[1], match=r"must end in \.duckdb"):
        load_sent(SENT, progress=False, workspace=tmp_path / "h.db")


def test_reader_options_are_refused_for_a_workspace(workspace):
    _, path = workspace
    with pytest.raises(ValueError, match="is a workspace"):
        load_sent(path, columns={"To": "to"})


_KILLED_BEFORE_RENAME = textwrap.dedent("""
    import os, signal, sys
    from neverlog_sim import load_sent
    os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # die at the last step
    load_sent(sys.argv[1], progress=False, workspace=sys.argv[2])
""")


def test_a_killed_load_leaves_no_workspace(tmp_path):
    path = tmp_path / "h.duckdb"
    proc = subprocess.run([sys.executable, "-c", _KILLED_BEFORE_RENAME, str(SENT), str(path)])
    assert (-9, False) == (proc.returncode, path.exists())
    with pytest.raises(WorkspaceError, match="does not exist"):
        open_sent(path)


def test_a_killed_rebuild_keeps_the_old_workspace(tmp_path):
    path = tmp_path / "h.duckdb"
    old = load_sent(DATA / "sem_sent_recipients.csv", progress=False, workspace=path)
    proc = subprocess.run([sys.executable, "-c", _KILLED_BEFORE_RENAME, str(SENT), str(path)])
    assert -9 == proc.returncode
    assert old.summary() == open_sent(path).summary()


def test_cli_load_writes_a_workspace_that_simulate_reopens(tmp_path, capsys):
    path = tmp_path / "h.duckdb"
    assert 0 == main(["load", str(SENT), "--workspace", str(path), "--quiet"])
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"use it with --sent {path} (no file is parsed again)"
    lists = tmp_path / "team.txt"
    lists.write_text("*@rival.com\n", encoding="utf-8")
    assert 0 == main(["simulate", "--sent", str(path), "--candidate", str(lists), "--json", "--quiet"])
    from_workspace = capsys.readouterr().out
    assert 0 == main(["simulate", "--sent", str(SENT), "--candidate", str(lists), "--json", "--quiet"])
    assert capsys.readouterr().out == from_workspace  # the workspace keeps the source it was parsed from


def test_duckdb_settings_come_from_arguments_then_configure_then_the_environment(monkeypatch):
    from neverlog_sim.engine import DuckDBEngine, duckdb as engine_module

    monkeypatch.setattr(engine_module, "_configured", {})
    monkeypatch.setenv("NEVERLOG_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("NEVERLOG_DUCKDB_THREADS", "1")
    engine_module.configure(memory_limit="2GB")
    engine = DuckDBEngine(threads=2)
    reported = dict(engine.rows("SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'threads')"))
    assert ({"memory_limit": "2GB", "threads": 2}, "2") == (engine.settings, reported["threads"])
    assert reported["memory_limit"].startswith("1.8")  # DuckDB reports 2GB as 1.8 GiB


def test_configure_refuses_a_bad_thread_count():
    from neverlog_sim.engine import configure

    with pytest.raises(ValueError, match=r"threads must be a whole number of at least 1, got 0"):
        configure(threads=0)


@pytest.mark.parametrize("logging_rule", ["log_all", "replies_only"])
def test_a_reopened_workspace_keeps_reply_threads_for_profile_2026(tmp_path, logging_rule):
    from neverlog_sim import get_rules
    from neverlog_sim.samples import sample_path

    sent = load_sent(sample_path("sent_canonical.csv"), progress=False, workspace=tmp_path / "h.duckdb")
    again = open_sent(tmp_path / "h.duckdb")
    rules = get_rules("2026").replace(logging_rule=logging_rule)
    policy = Policy.from_dir(sample_path("lists"))
    assert ((sent.incoming, sent.thread_count, sent.unresolved_replies), sent.summary()) == (
        (again.incoming, again.thread_count, again.unresolved_replies), again.summary())
    assert simulate(sent, policy, rules=rules).metrics() == simulate(again, policy, rules=rules).metrics()
