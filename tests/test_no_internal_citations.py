"""Issue 11: no user-visible text names the internal spec ("SEMANTICS", "../shared"); every rule it cites exists.

User-visible text: the package's source (messages, docstrings), the notebooks, the README, docs/,
the ``--help`` of every subcommand, and a rendered report (HTML and Markdown). Rules are cited as
``docs/rules.md#<anchor>`` and every cited anchor must be a heading of docs/rules.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from neverlog_sim.cli import build_parser

from test_rules_doc import CITATION, ROOT, TEXT_SUFFIXES, rules_doc_anchors

FORBIDDEN = ("SEMANTICS", "../shared")
SOURCES = [ROOT / "neverlog_sim", ROOT / "notebooks", ROOT / "README.md", ROOT / "docs"]


def user_visible_files() -> list[Path]:
    files = []
    for base in SOURCES:
        files += [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.suffix in TEXT_SUFFIXES)
    return files


def forbidden_in(text: str) -> list[str]:
    return [word for word in FORBIDDEN if word in text]


def test_the_checker_finds_what_it_forbids():
    assert (["SEMANTICS", "../shared"], []) == (forbidden_in("see SEMANTICS §3 in ../shared"),
                                               forbidden_in("see docs/rules.md#a2-domain-entry-scope"))


def test_the_package_notebooks_readme_and_docs_never_name_the_internal_spec():
    found = {str(p.relative_to(ROOT)): forbidden_in(p.read_text(encoding="utf-8")) for p in user_visible_files()}
    assert {} == {path: words for path, words in found.items() if words}


def _help_texts() -> dict[str, str]:
    parser = build_parser()
    texts = {"neverlog-sim": parser.format_help()}
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    texts.update({f"neverlog-sim {name}": sub.format_help() for name, sub in subcommands.items()})
    return texts


def test_cli_help_of_every_subcommand_never_names_the_internal_spec():
    found = {name: forbidden_in(text) for name, text in _help_texts().items()}
    assert (["neverlog-sim", "neverlog-sim backtest", "neverlog-sim demo", "neverlog-sim doctor", "neverlog-sim export", "neverlog-sim load", "neverlog-sim samples",
             "neverlog-sim simulate", "neverlog-sim validate"], {}) == (
        sorted(found), {name: words for name, words in found.items() if words})


@pytest.fixture(scope="module")
def rendered():
    from neverlog_sim import Policy, load_sent, load_tracking, simulate
    data = ROOT / "tests" / "data"
    sent = load_sent(data / "report_sent.csv", progress=False)
    result = simulate(sent, Policy(team=["*@rival.com"], personal={"ann@us.com": ["*@acme.com"]}),
                      tracking=load_tracking(data / "report_tracking.csv"))
    return {"html": result.to_html(), "markdown": result.to_markdown(), "json": result.to_json(),
            "repr": repr(result), "preview": _preview_snapshot(sent)}


def _preview_snapshot(sent) -> str:
    from neverlog_sim.widgets import preview
    app = preview(sent, team="*@rival.com\nacme.com", debounce=0)
    return app.snapshot_html()


def test_a_rendered_report_never_names_the_internal_spec(rendered):
    assert {} == {kind: forbidden_in(text) for kind, text in rendered.items() if forbidden_in(text)}


def test_every_rule_the_report_and_the_help_cite_exists_in_the_rules_doc(rendered):
    anchors = set(rules_doc_anchors())
    texts = {**rendered, **_help_texts()}
    cited = {kind: CITATION.findall(text) for kind, text in texts.items()}
    # The report cites the feed rule in its note: there is at least one citation to check.
    assert (True, {}) == (bool(cited["html"]),
                          {kind: [a for a in found if a not in anchors] for kind, found in cited.items()
                           if any(a not in anchors for a in found)})


def test_messages_that_cite_a_rule_cite_one_that_exists():
    # Every string literal in the package that cites docs/rules.md#...: the anchor is a heading there.
    anchors = set(rules_doc_anchors())
    cited = set()
    for path in (ROOT / "neverlog_sim").rglob("*.py"):
        cited |= set(CITATION.findall(path.read_text(encoding="utf-8")))
    assert (True, set()) == (len(cited) >= 10, cited - anchors)


def test_the_citation_pattern_reads_an_anchor_up_to_its_end():
    assert ["a2-domain-entry-scope", "lenient-mode"] == CITATION.findall(
        "see docs/rules.md#a2-domain-entry-scope; and (docs/rules.md#lenient-mode).")


def test_the_cli_errors_that_cite_rules_cite_real_anchors(tmp_path, capsys):
    from neverlog_sim.cli import main
    bad = tmp_path / "team.txt"
    bad.write_text("acme.com\n", encoding="utf-8")
    code = main(["validate", str(bad)])
    out = capsys.readouterr().out
    anchors = re.findall(r"docs/rules\.md#([\w-]+)", out)
    assert (1, ["lenient-mode"], True) == (code, anchors, set(anchors) <= set(rules_doc_anchors()))
