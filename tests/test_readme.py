"""The README's two copy-paste commands, and .ci/run running the second one verbatim."""

from __future__ import annotations

import re
import shlex
from importlib.metadata import requires
from pathlib import Path

import pytest

from neverlog_sim.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"


def sh_blocks() -> list[str]:
    return [block.strip() for block in re.findall(r"^```sh\n(.*?)^```", README.read_text(encoding="utf-8"),
                                                  flags=re.M | re.S)]


def test_readme_opens_with_a_title_and_one_line_on_what_the_toolkit_does():
    lines = [line for line in README.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert ("# neverlog-sim", False) == (lines[0], lines[1].startswith(("#", "```")))


def test_readme_has_exactly_two_sh_commands_of_one_line_each():
    assert [1, 1] == [len(block.splitlines()) for block in sh_blocks()]


def test_first_command_installs_and_runs_neverlog_sim():
    first = sh_blocks()[0]
    assert (True, True) == ("pip install ." in first, "neverlog-sim " in first)


def test_first_command_runs_a_subcommand_the_cli_has():
    words = shlex.split(sh_blocks()[0].split("&&")[-1])
    command = words[words.index(next(w for w in words if w.endswith("neverlog-sim"))) + 1]
    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert command in subcommands, f"README runs `neverlog-sim {command}`; the CLI has {sorted(subcommands)}"


def test_second_command_installs_the_test_extra_and_runs_pytest():
    second = sh_blocks()[1]
    assert (True, True) == ("pip install '.[test]'" in second, "-m pytest" in second)


def test_test_extra_has_pytest_and_hypothesis():
    # Read from the installed distribution's metadata (tomllib is not in Python 3.10).
    test_extra = [req for req in requires("neverlog-sim") or [] if re.search(r"extra\s*==\s*.test.", req)]
    names = {re.split(r"[<>=!~\[ ;(]", req, maxsplit=1)[0].lower() for req in test_extra}
    assert {"pytest", "hypothesis"} <= names


def test_ci_runs_the_readme_test_command_verbatim():
    assert sh_blocks()[1] in CI_RUN.read_text(encoding="utf-8").splitlines()


def test_ci_fails_on_any_failure():
    # `set -e` (alone or among other flags, e.g. `set -euo pipefail`) before the test command.
    lines = CI_RUN.read_text(encoding="utf-8").splitlines()
    set_e = [i for i, line in enumerate(lines)
             if re.match(r"\s*set\s+(-[a-zA-Z]*e[a-zA-Z]*\b|-o\s+errexit\b)", line)]
    assert (True, True) == (bool(set_e), bool(set_e) and set_e[0] < lines.index(sh_blocks()[1]))


def test_ci_is_a_bash_script_and_executable():
    first_line = CI_RUN.read_text(encoding="utf-8").splitlines()[0]
    assert (True, True) == (first_line in ("#!/usr/bin/env bash", "#!/bin/bash"), bool(CI_RUN.stat().st_mode & 0o111))


@pytest.mark.parametrize("line", ["python3 -m pytest", "pytest -x tests/test_entries.py"])
def test_sh_block_pattern_finds_commands(line):
    # Guards the regex the other tests rely on.
    text = f"# t\n\none line\n\n```sh\n{line}\n```\n"
    assert [line] == [b.strip() for b in re.findall(r"^```sh\n(.*?)^```", text, flags=re.M | re.S)]


# --- the README's commands, run in a fresh folder ----------------------------------------------------

def _console_script() -> str:
    import shutil
    import sys
    found = Path(sys.executable).with_name("neverlog-sim")
    return str(found) if found.exists() else shutil.which("neverlog-sim")


def run_in(folder: Path, argv: list[str]):
    import subprocess
    return subprocess.run([_console_script(), *argv[1:]], cwd=folder, capture_output=True, text=True, timeout=600)


def test_first_command_runs_the_demo_in_a_fresh_folder(tmp_path):
    # The install part of the command is what the test environment already did; the job is the rest.
    job = shlex.split(sh_blocks()[0].split("&&")[-1])
    assert ".venv/bin/neverlog-sim" == job[0]
    proc = run_in(tmp_path, ["neverlog-sim", *job[1:]])
    assert (0, True, True) == (proc.returncode, (tmp_path / "neverlog-demo" / "report.html").is_file(),
                               (tmp_path / "neverlog-demo" / "lists" / "team.txt").is_file())


def test_the_transcript_commands_that_show_no_output_run_in_a_fresh_folder(tmp_path):
    # The commands that show output are compared line by line, every line in order, in
    # tests/test_cli_docs.py; the ones that show none (files written, said in a comment) must still run.
    from test_cli_docs import transcript
    (tmp_path / "data").symlink_to(ROOT / "data")
    silent = [argv for argv, shown in transcript() if not shown]
    assert [("samples", 0), ("demo", 0)] == [(argv[1], run_in(tmp_path, argv).returncode) for argv in silent]
    assert (True, True) == ((tmp_path / "sample-company" / "sent_canonical.csv").is_file(),
                            (tmp_path / "neverlog-demo" / "report.html").is_file())
