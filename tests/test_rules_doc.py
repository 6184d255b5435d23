"""docs/rules.md, the users' rules document (issue 11): every section anchor cited anywhere exists.

Messages, docstrings, notebooks, the README and the report cite rules as ``docs/rules.md#<anchor>``;
the anchors are GitHub's heading anchors, so a renamed heading breaks every citation of it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES_DOC = ROOT / "docs" / "rules.md"
# Where user-visible text lives; every citation found there must resolve.
CITING = (ROOT / "neverlog_sim", ROOT / "notebooks", ROOT / "README.md", ROOT / "docs")
TEXT_SUFFIXES = (".py", ".ipynb", ".md", ".html", ".txt")
CITATION = re.compile(r"\brules\.md#([\w-]+)")

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading's text (before de-duplication).

    Inline markup is rendered to text first (code spans, links, HTML tags); then the text is
    lower-cased, every character but letters, digits, ``_``, ``-`` and spaces is dropped, and
    each space becomes ``-``.
    """
    text = re.sub(r"`+([^`]*?)`+", r"\1", heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def headings(markdown: str) -> list[str]:
    """The text of every ATX heading (``#`` to ``######``) outside fenced code blocks, in order."""
    found, fence = [], None
    for line in markdown.splitlines():
        m = _FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if fence is None:
            h = _HEADING.match(line)
            if h:
                found.append(h.group(2))
    return found


def anchors_of(markdown: str) -> list[str]:
    """GitHub's anchors for a document's headings, in order; a repeated anchor gets ``-1``, ``-2``, …"""
    # github-slugger's rule: a taken anchor gets the next free "-N" (counted per original anchor).
    seen: dict[str, int] = {}
    out = []
    for text in headings(markdown):
        base = anchor = github_anchor(text)
        while anchor in seen:
            seen[base] += 1
            anchor = f"{base}-{seen[base]}"
        seen[anchor] = 0
        out.append(anchor)
    return out


def rules_doc_anchors() -> list[str]:
    """The anchors of docs/rules.md's headings, as GitHub renders them."""
    return anchors_of(RULES_DOC.read_text(encoding="utf-8"))


def citations() -> dict[str, list[str]]:
    """Every ``rules.md#anchor`` cited in user-visible text: anchor → the files citing it."""
    found: dict[str, list[str]] = {}
    for base in CITING:
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.suffix in TEXT_SUFFIXES)
        for path in files:
            for anchor in CITATION.findall(path.read_text(encoding="utf-8")):
                found.setdefault(anchor, []).append(str(path.relative_to(ROOT)))
    return found


# --- the anchor rules themselves ------------------------------------------------------------

@pytest.mark.parametrize("heading, anchor", [
    ("A2 domain entry scope", "a2-domain-entry-scope"),
    ("Profile 2026: contact email logging rules", "profile-2026-contact-email-logging-rules"),
    ("`client` sends", "client-sends"),
    ("Example: one email, three recipients", "example-one-email-three-recipients"),
    ("The 500-entry cap", "the-500-entry-cap"),
    ("A6 client/inbound creation", "a6-clientinbound-creation"),
    ("Rows of `log_all`", "rows-of-log_all"),
    ("[Linked](https://example.com) title", "linked-title"),
])
def test_github_anchor_of_a_heading(heading, anchor):
    assert anchor == github_anchor(heading)


def test_repeated_headings_get_numbered_anchors_and_fenced_lines_are_not_headings():
    text = "# Rules\n## Example\n```python\n# not a heading\n```\n## Example\n### Example ###\n## Example 1\n"
    assert ["rules", "example", "example-1", "example-2", "example-1-1"] == anchors_of(text)


# --- the document ---------------------------------------------------------------------------

def test_rules_doc_anchors_are_unique():
    anchors = rules_doc_anchors()
    assert [] == sorted({a for a in anchors if anchors.count(a) > 1})


# The sections issues 11 and 17 ask for, under the anchors the package and the report cite.
REQUIRED = [
    "never-log-lists", "team-and-personal-lists", "the-500-entry-cap", "entry-syntax", "hints-for-common-mistakes",
    "lenient-mode", "normalisation", "duplicates-and-redundant-entries", "recipients-in-your-data",
    "which-sends-a-list-applies-to", "channels", "incoming-mail", "the-log-in-crm-toggle",
    "what-a-block-does", "per-recipient", "contact-records", "timeline-entries", "tracking-events",
    "the-activity-feed-never-changes", "someone-opens",
    "profile-2026-contact-email-logging-rules", "contact-email-logging-rules", "client-sends",
    "incoming-email-in-2026", "reply-threads", "outgoing-and-incoming-in-reports",
    "scenarios-and-change", "baseline-and-candidate", "four-levels-of-change", "change-classes",
    "responsible-entry", "exclusive-impact", "dead-entries",
    "exporting-lists", "list-files", "the-manifest", "compaction", "cut-by-impact", "atomic-write",
    "rule-profiles", "profile-seed-2023", "profile-2025", "profile-2026", "which-profile-to-use",
    "assumptions", "a1-case", "a2-domain-entry-scope", "a3-recipient-roles", "a4-contact-creation",
    "a5-unattributed-tracking", "a6-client-and-inbound-creation", "a7-incoming-on-other-channels",
    "u1-unknown-channel", "u2-stray-quotes", "u3-inbound-mail-outside-2026", "u4-log-toggle",
    "u5-contacts-with-no-date", "u6-contacts-listed-twice", "team-inbox", "logging-rule",
    "reading-your-data", "the-load-report", "columns", "dates-in-your-data", "files-and-folders",
    "tracking-event-kinds", "u7-conflicting-rows", "u8-two-digit-years",
]


def test_rules_doc_has_every_section_the_package_cites():
    assert [] == [a for a in REQUIRED if a not in rules_doc_anchors()]


def test_rules_doc_links_to_itself_resolve():
    text = RULES_DOC.read_text(encoding="utf-8")
    anchors = set(rules_doc_anchors())
    assert [] == sorted({a for a in re.findall(r"\]\(#([\w-]+)\)", text) if a not in anchors})


def test_rules_doc_links_hubspots_articles():
    text = RULES_DOC.read_text(encoding="utf-8")
    urls = ["https://knowledge.hubspot.com/connected-email/exclude-recipients-from-email-logging-in-the-crm",
            "https://knowledge.hubspot.com/connected-email/manage-contact-email-logging-rules"]
    assert [True, True] == [u in text for u in urls]


def test_every_cited_rules_doc_anchor_exists():
    anchors = set(rules_doc_anchors())
    assert {} == {a: files for a, files in citations().items() if a not in anchors}


def test_readme_rules_section_links_the_rules_doc():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Rules and assumptions", 1)[1].split("\n## ", 1)[0]
    assert (True, True) == ("](docs/rules.md)" in section, "README.md" in citations()["a2-domain-entry-scope"])
