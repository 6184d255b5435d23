"""``neverlog-sim doctor`` (issue 14): text and JSON findings, exit 1 on an error finding, 0 otherwise, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from neverlog_sim.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def history(tmp_path: Path) -> Path:
    rows = [("m1", "ann@us.com", "jo@gmail.com"), ("m2", "ann@us.com", "b@eu.acme.com"), ("m3", "bob@us.com", "ann@us.com")]
    df = pd.DataFrame([{"message_id": m, "sent_at": "2024-03-01T10:00:00Z", "sender": s, "channel": "extension",
                        "to": r, "cc": "", "bcc": ""} for m, s, r in rows])
    path = tmp_path / "sent.csv"
    df.to_csv(path, index=False)
    return path


def test_doctor_error_finding_exits_1_with_text(tmp_path, capsys):
    team = write(tmp_path / "team.txt", "*@gmail.com\n*@acme.com\n")
    code, out, _ = run(capsys, "doctor", str(team), "--sent", str(history(tmp_path)), "--quiet")
    assert 1 == code
    assert ["4 findings: 1 error, 1 warning, 2 notes (own domains: us.com, inferred from the senders of the history; "
            "rules seed-2023)",
            "error    free_mail           team  *@gmail.com",
            "         silences 1 row of 1 recipient from 1 user (e.g. jo@gmail.com)"] == out.splitlines()[:3]
    assert ["warning  subdomain_miss      team  *@acme.com", "         misses 1 row of 1 recipient (e.g. b@eu.acme.com) "
            "on eu.acme.com"] == out.splitlines()[4:6]


def test_doctor_without_errors_exits_0_and_json_is_the_findings(tmp_path, capsys):
    folder = tmp_path / "lists"
    write(folder / "team.txt", "*@rival.com\n")
    write(folder / "personal" / "ann@us.com.txt", "*@rival.com\n")
    code, out, _ = run(capsys, "doctor", str(folder), "--json", "--own-domain", "us.com", "--own-domain", "us.org")
    data = json.loads(out)
    assert 0 == code
    assert ({"error": 0, "warning": 0, "info": 1}, ["us.com", "us.org"], "given") == (
        data["counts"]["severity"], data["own_domains"], data["own_domains_source"])
    assert [{"kind": "duplicate", "severity": "info", "list": "personal", "owner": "ann@us.com", "entry": "*@rival.com",
             "evidence": "also on the team list, which governs this user's sends too",
             "suggestion": "delete *@rival.com from the personal list of ann@us.com"}] == data["findings"]


def test_doctor_bad_input_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "doctor", str(tmp_path / "missing.txt"))
    assert (2, "neverlog-sim: the list") == (code, err[:22])
    team = write(tmp_path / "team.txt", "*@x.com\n")
    code, _, err = run(capsys, "doctor", str(team), "--own-domain", "not a domain")
    assert (2, "neverlog-sim: own_domains: 'not a domain' is not a domain; give e.g. 'acme.com'\n") == (code, err)


# --- the bundled sample company ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_sample_lists_carry_every_finding_kind_and_the_readme_shows_the_doctors_output(capsys):
    from neverlog_sim.advice.doctor import KINDS
    samples = ROOT / "data" / "samples"
    code, out, _ = run(capsys, "doctor", str(samples / "lists"), "--sent", str(samples / "sent_canonical.csv"),
                       "--quiet")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ neverlog-sim doctor data/samples/lists --sent data/samples/sent_canonical.csv\n", 1)[1]
    shown = block.split("\n…\n", 1)[0].splitlines()
    assert (1, shown) == (code, out.splitlines()[:len(shown)])
    code, out, _ = run(capsys, "doctor", str(samples / "lists"), "--sent", str(samples / "sent_canonical.csv"),
                       "--quiet", "--json")
    counts = json.loads(out)["counts"]
    assert ({"error": 12, "warning": 6, "info": 504}, list(KINDS)) == (counts["severity"], list(counts["kind"]))
