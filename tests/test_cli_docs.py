"""Issue 11: the README's CLI transcript, ``--help`` and the exit codes say the same thing as the code.

The transcript is run in a fresh folder and must print exactly what the README shows; the exit
codes the README states are the ones ``--help`` prints (``cli.EXIT_CODES``) and the ones the
commands return.
"""

from __future__ import annotations

import re
import shlex

import pytest

from neverlog_sim import __version__
from neverlog_sim.cli import EXIT_CODES, EXIT_FINDING, EXIT_OK, EXIT_USAGE, build_parser, main

from test_readme import README, ROOT, run_in


def transcript() -> list[tuple[list[str], list[str]]]:
    """Each ``$ neverlog-sim …`` command of the README's transcript with every line shown after it."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## The command line\n\n```text\n(.*?)^```", text, flags=re.M | re.S).group(1)
    out, current = [], None
    for line in block.replace("\\\n", " ").splitlines():
        if line.startswith("$ "):
            current = (shlex.split(line[2:], comments=True), [])
            out.append(current)
        elif current is not None:
            current[1].append(line)
    return [(argv, _strip_blank_tail(shown)) for argv, shown in out]


def _strip_blank_tail(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def test_the_transcript_shows_four_commands_with_their_output():
    shown = [(argv[1], len(lines)) for argv, lines in transcript() if lines]
    assert [("validate", 3), ("simulate", 14), ("export", 9), ("backtest", 15)] == shown


def test_the_transcript_prints_every_line_the_tool_prints(tmp_path):
    (tmp_path / "data").symlink_to(ROOT / "data")
    results, expected = [], []
    for argv, shown in transcript():
        if not shown:
            continue
        proc = run_in(tmp_path, argv)
        # stderr carries the load report and progress (README: "Progress bars and notes go to stderr").
        notes = [line for line in proc.stderr.splitlines()
                 if line.strip() and not line.startswith(("load report:", "  ", "report written to"))]
        results.append((argv[1], proc.returncode, proc.stdout.splitlines(), notes))
        expected.append((argv[1], EXIT_OK, shown, []))
    assert expected == results


def test_readme_states_the_exit_codes_help_prints():
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert (True, True) == (EXIT_CODES in readme, EXIT_CODES in " ".join(build_parser().format_help().split()))


@pytest.mark.parametrize("command", ["validate", "simulate", "export"])
def test_each_subcommand_help_states_its_exit_codes(command):
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    text = " ".join(sub.format_help().split())
    assert (True, True) == ("Exit 0" in text, " 1 " in text or "1 when" in text or ", 1 " in text)


def test_exit_code_values():
    assert (0, 1, 2) == (EXIT_OK, EXIT_FINDING, EXIT_USAGE)


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert (0, f"neverlog-sim {__version__}") == (stop.value.code, capsys.readouterr().out.strip())


# --- each exit code the README states, returned where it says ------------------------------------------

@pytest.fixture()
def lists(tmp_path):
    invalid = tmp_path / "invalid.txt"
    invalid.write_text("*@rival.com\nacme.com\n", encoding="utf-8")
    over = tmp_path / "over.txt"
    over.write_text("".join(f"u{n}@c{n}.example.com\n" for n in range(3)), encoding="utf-8")
    return invalid, over


SENT = ROOT / "tests" / "data" / "report_sent.csv"


def test_validate_exits_1_on_an_invalid_line_and_on_a_list_over_the_cap(lists, capsys):
    invalid, over = lists
    assert (1, 1) == (main(["validate", str(invalid)]), main(["validate", str(over), "--cap", "2"]))


def test_simulate_exits_1_on_a_list_over_the_cap(tmp_path, capsys):
    over = tmp_path / "big.txt"
    over.write_text("".join(f"u{n}@c{n}.example.com\n" for n in range(501)), encoding="utf-8")
    assert 1 == main(["simulate", "--sent", str(SENT), "--candidate", str(over), "--quiet"])


def test_simulate_exits_1_on_invalid_lines_left_out_under_lenient_and_says_so(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("*@rival.com\njo*@acme.com\n", encoding="utf-8")
    code = main(["simulate", "--sent", str(SENT), "--candidate", str(bad), "--lenient"])
    out, err = capsys.readouterr()
    line = next(x for x in out.splitlines() if x.startswith("candidate entries"))
    assert (1, "candidate entries: 1 (0 match nothing); lists within HubSpot's cap; 1 invalid line left out",
            True) == (code, line, f"{bad}: left out line 2: 'jo*@acme.com'" in err)


def test_simulate_exits_2_on_an_invalid_line_outside_lenient(lists, capsys):
    invalid, _ = lists
    assert 2 == main(["simulate", "--sent", str(SENT), "--candidate", str(invalid), "--quiet"])


def test_simulate_lenient_fixes_what_a_hint_fixes_and_exits_0(lists, capsys):
    invalid, _ = lists
    code = main(["simulate", "--sent", str(SENT), "--candidate", str(invalid), "--lenient"])
    out, err = capsys.readouterr()
    assert (0, [f"load report: 9 recipient rows, 7 messages from {SENT}; no problems",
                f"{invalid}: fixed     line 2: 'acme.com' → '*@acme.com'"]) == (code, err.splitlines()[:2])


def test_export_exits_1_when_entries_are_cut(lists, tmp_path, capsys):
    _, over = lists
    assert 1 == main(["export", str(over), "--out", str(tmp_path / "out"), "--cap", "2", "--quiet"])


def test_a_missing_file_exits_2(tmp_path, capsys):
    assert 2 == main(["validate", str(tmp_path / "missing.txt")])


# --- plain words on a terminal --------------------------------------------------------------------------

PYTHON_ONLY = re.compile(r"<ExportReport|<Policy|<SentMail|<SimulationResult|see \.counts|\.cut,|columns=\{")


def test_demo_and_export_print_no_python_advice_or_reprs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    codes = [main(["demo", "--out", str(tmp_path / "demo")]),
             main(["export", str(ROOT / "data" / "samples" / "lists"), "--out", str(tmp_path / "x")])]
    out, err = capsys.readouterr()
    assert ([0, 0], []) == (codes, PYTHON_ONLY.findall(out + err))


def test_moved_shows_only_when_something_moved(tmp_path, capsys):
    main(["export", str(ROOT / "data" / "samples" / "lists"), "--out", str(tmp_path / "x"), "--quiet"])
    out = capsys.readouterr().out
    assert (False, True) == ("→ moved" in out, "team: wanted 45 → normalised 43 → consolidated 43 → exported 43" in out)
