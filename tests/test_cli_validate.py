"""`neverlog-sim validate`: findings with line numbers, --json, --lenient, CSV lists and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from neverlog_sim.cli import main

DATA = Path(__file__).parent / "data"

# The 612-line list: which lines are bad, which repeat an earlier line, which are covered by
# the domain entry on line 500.
INVALID = {101: "acme.com", 250: "jo*@example.org", 598: '"Jo" <jo@foo.com>'}
DUPLICATES = {77: 10, 300: 12, 401: 200, 555: 450, 612: 1}  # line: the line it repeats
DOMAIN_LINE = 500
REDUNDANT = (20, 140, 333, 610)


def _list_612_lines() -> list[str]:
    lines = {n: f"user{n:03d}@client{n % 37:02d}.example.com" for n in range(1, 613)}
    for n in REDUNDANT:
        lines[n] = f"person{n}@rival.com"
    lines[DOMAIN_LINE] = "*@rival.com"
    lines.update(INVALID)
    for n, first in DUPLICATES.items():
        lines[n] = lines[first].upper()  # the same entry once normalised
    return [lines[n] for n in range(1, 613)]


@pytest.fixture
def list_612(tmp_path) -> Path:
    path = tmp_path / "team.txt"
    path.write_text("\n".join(_list_612_lines()) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_612_line_file_is_what_the_test_says(list_612):
    assert 612 == len(list_612.read_text(encoding="utf-8").splitlines())


def test_612_line_file_text_report(list_612, capsys):
    code, out, err = run(capsys, "validate", str(list_612))
    assert (1, "") == (code, err)
    assert [
        f"{list_612}: NOT VALID — 604 entries (603 address, 1 domain); cap 500, 104 over the cap; has 3 invalid lines",
        "  invalid   line 101: 'acme.com' has no '@' — did you mean '*@acme.com'?",
        "  invalid   line 250: 'jo*@example.org' uses a wildcard in the local part; HubSpot only accepts '*' as "
        "the whole local part (*@domain.com) — list each address, or block the whole domain",
        "  invalid   line 598: '\"Jo\" <jo@foo.com>' has a display name or angle brackets; list the bare address "
        "— did you mean 'jo@foo.com'?",
        "  duplicate line 77: user010@client10.example.com (first on line 10)",
        "  duplicate line 300: user012@client12.example.com (first on line 12)",
        "  duplicate line 401: user200@client15.example.com (first on line 200)",
        "  duplicate line 555: user450@client06.example.com (first on line 450)",
        "  duplicate line 612: user001@client01.example.com (first on line 1)",
        "  redundant line 20: person20@rival.com is covered by *@rival.com",
        "  redundant line 140: person140@rival.com is covered by *@rival.com",
        "  redundant line 333: person333@rival.com is covered by *@rival.com",
        "  redundant line 610: person610@rival.com is covered by *@rival.com",
        "  over cap  remove 104 entries, or run `neverlog-sim export` to compact the list",
        f"  fix       `neverlog-sim validate {list_612} --fix FIXED.txt` writes the list with every line a hint "
        "fixes fixed (docs/rules.md#lenient-mode)",
    ] == out.splitlines()


def test_612_line_file_json_report(list_612, capsys):
    code, out, err = run(capsys, "validate", "--json", str(list_612))
    report = json.loads(out)
    assert (1, "") == (code, err)
    assert (
        [101, 250, 598],
        [(77, 10), (300, 12), (401, 200), (555, 450), (612, 1)],
        [(20, "person20@rival.com"), (140, "person140@rival.com"), (333, "person333@rival.com"),
         (610, "person610@rival.com")],
        ["*@acme.com", None, "jo@foo.com"],
    ) == (
        [p["line"] for p in report["invalid"]],
        [(d["line"], d["first_line"]) for d in report["duplicates"]],
        [(r["line"], r["entry"]) for r in report["redundant"]],
        [p["hint"] for p in report["invalid"]],
    )


def test_612_line_file_json_counts(list_612, capsys):
    report = json.loads(run(capsys, "validate", "--json", str(list_612))[1])
    assert {"file": str(list_612), "valid": False, "compliant": False, "entries": 604, "cap": 500, "over_cap": 104,
            "address_entries": 603, "domain_entries": 1, "fixed": []} == {k: report[k] for k in (
        "file", "valid", "compliant", "entries", "cap", "over_cap", "address_entries", "domain_entries", "fixed")}


def test_valid_file_exits_0(capsys):
    path = DATA / "lists_team.txt"
    assert (0, f"{path}: OK — 4 entries (2 address, 2 domain); cap 500, within the cap\n", "") == run(
        capsys, "validate", str(path))


def test_valid_file_json(capsys):
    code, out, _ = run(capsys, "validate", "--json", str(DATA / "lists_team.txt"))
    report = json.loads(out)
    assert (0, True, 4, [], [], [], []) == (code, report["valid"], report["entries"], report["invalid"],
                                            report["duplicates"], report["redundant"], report["fixed"])


def test_duplicates_alone_are_reported_and_exit_0(capsys):
    # Duplicates collapse to one entry (SEMANTICS §1): reported, but the list is valid.
    path = DATA / "lists_entries.csv"
    code, out, _ = run(capsys, "validate", str(path))
    assert (0, [f"{path}: OK — 2 entries (1 address, 1 domain); cap 500, within the cap",
                "  duplicate line 5: jo@acme.com (first on line 2)"]) == (code, out.splitlines())


def test_over_cap_file_exits_1_with_the_cap_message(tmp_path, capsys):
    path = tmp_path / "big.txt"
    path.write_text("".join(f"user{i}@acme.com\n" for i in range(512)), encoding="utf-8")
    code, out, err = run(capsys, "validate", str(path))
    assert (1, [f"{path}: NOT VALID — 512 entries (512 address, 0 domain); cap 500, 12 over the cap",
                "  over cap  remove 12 entries, or run `neverlog-sim export` to compact the list"], "") == (
        code, out.splitlines(), err)


def test_cap_option(capsys):
    code, out, _ = run(capsys, "validate", "--cap", "3", str(DATA / "lists_team.txt"))
    assert (1, "cap 3, 1 over the cap") == (code, out.splitlines()[0].split("; ")[1])


def test_missing_file_exits_2_with_one_line_on_stderr(tmp_path, capsys):
    path = tmp_path / "nope.txt"
    assert (2, "", f"neverlog-sim: list file {str(path)!r} does not exist (or is not a file)\n") == run(
        capsys, "validate", str(path))


def test_missing_file_among_others_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "validate", str(DATA / "lists_team.txt"), str(tmp_path / "nope.txt"))
    assert (2, 1) == (code, len(err.splitlines()))


def test_non_utf8_file_exits_2_naming_the_line(capsys):
    path = DATA / "lists_latin1.txt"
    assert (2, "", f"neverlog-sim: {path}: line 3 is not UTF-8 (byte 0xf6); save the file as UTF-8, or pass "
                   "encoding= (command line --encoding) with its encoding, e.g. 'cp1252'\n") == run(
        capsys, "validate", str(path))


def test_lenient_fixes_hint_lines_and_reports_them(tmp_path, capsys):
    path = tmp_path / "team.txt"
    path.write_text("*@rival.com\nacme.com\n\"Jo\" <Jo@Foo.com>\nmailto:ann@bar.org\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", "--lenient", str(path))
    assert (0, [
        f"{path}: OK — 4 entries (2 address, 2 domain); cap 500, within the cap",
        "  fixed     line 2: 'acme.com' → '*@acme.com'",
        "  fixed     line 3: '\"Jo\" <Jo@Foo.com>' → 'jo@foo.com'",
        "  fixed     line 4: 'mailto:ann@bar.org' → 'ann@bar.org'",
    ]) == (code, out.splitlines())


def test_without_lenient_the_same_lines_are_invalid(tmp_path, capsys):
    path = tmp_path / "team.txt"
    path.write_text("*@rival.com\nacme.com\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    assert (1, "  invalid   line 2: 'acme.com' has no '@' — did you mean '*@acme.com'?") == (code, out.splitlines()[1])


def test_lenient_still_reports_lines_no_hint_fixes(capsys):
    path = DATA / "lists_messy.txt"
    code, out, _ = run(capsys, "validate", "--lenient", "--json", str(path))
    report = json.loads(out)
    assert (1, [7], [(4, "*@acme.com"), (8, "jo@foo.com")]) == (
        code, [p["line"] for p in report["invalid"]], [(f["line"], f["entry"]) for f in report["fixed"]])


def test_csv_list_with_entry_column(capsys):
    code, out, _ = run(capsys, "validate", "--json", str(DATA / "lists_entries.csv"))
    report = json.loads(out)
    assert (0, 2, [(5, 2)]) == (code, report["entries"], [(d["line"], d["first_line"]) for d in report["duplicates"]])


def test_csv_without_entry_column_exits_2_naming_the_column(capsys):
    path = DATA / "lists_no_entry_column.csv"
    assert (2, "", f"neverlog-sim: {path}: a CSV list needs an 'entry' column; the header has "
                   "['name', 'address']\n") == run(capsys, "validate", str(path))


def test_several_files_json_is_a_list_and_the_worst_exit_wins(list_612, capsys):
    code, out, _ = run(capsys, "validate", "--json", str(DATA / "lists_team.txt"), str(list_612))
    assert (1, [True, False]) == (code, [r["valid"] for r in json.loads(out)])


def test_no_file_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    err = capsys.readouterr().err
    assert (2, "neverlog-sim: error: the following arguments are required: FILE") == (
        info.value.code, err.splitlines()[-1])


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, err = run(capsys)
    assert (2, "", True) == (code, out, err.startswith("usage: neverlog-sim"))


def test_installed_command_exit_code(list_612):
    # The console script's module, run as a program: exit code and streams as a shell sees them.
    proc = subprocess.run([sys.executable, "-m", "neverlog_sim.cli", "validate", str(list_612)],
                          capture_output=True, text=True, encoding="utf-8")
    assert (1, 15, "") == (proc.returncode, len(proc.stdout.splitlines()), proc.stderr)
