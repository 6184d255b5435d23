"""The sample company on both engines (issue 13): DuckDB and Spark local mode give the same rows, change
classes, responsible entries and figures — the README's demo figures under every profile."""

from __future__ import annotations

import pandas as pd
import pytest

from neverlog_sim import PROFILES, Policy, get_rules, load_sent, simulate
from neverlog_sim.samples import sample_path

RULES = ("seed-2023", "2025", "2026",
         PROFILES["2026"].replace(logging_rule="replies_only").replace(name="replies_only"))
# README.md, "Profile 2026: HubSpot today" (also pinned on DuckDB in tests/test_rules_2026.py).
README_FIGURES = {"seed-2023": (11_788, 42_733, 0, 11_788, 0, 11_788, 124, 6_567),
                  "2025": (13_001, 42_733, 0, 13_001, 0, 13_001, 125, 7_203),
                  "2026": (14_000, 45_437, 4_082, 13_419, 581, 14_000, 125, 7_203),
                  "replies_only": (14_000, 42_733, 4_068, 13_001, 581, 13_582, 125, 7_203)}


def figures(m: dict) -> tuple:
    return (m["blocked_rows_after"], m["timeline_entries_outgoing_before"], m["timeline_entries_incoming_before"],
            m["timeline_entries_outgoing_before"] - m["timeline_entries_outgoing_after"],
            m["timeline_entries_incoming_before"] - m["timeline_entries_incoming_after"],
            m["timeline_entries_removed"], m["contacts_not_created"], m["tracking_events_leaving_timelines"])


def outcome(result) -> dict:
    """What must agree: metrics, change classes, each blocked row's responsible entry, entry statistics."""
    contacts = result.contacts[["contact", "change", "timeline_before", "timeline_after"]]
    recipients = result.recipients
    blocked = recipients[recipients["blocked_after"]]
    entries = result.entries
    return {
        "metrics": result.metrics(),
        "changes": sorted(map(tuple, contacts.astype({"change": "object"}).astype(
            {"timeline_before": "int64", "timeline_after": "int64"}).itertuples(index=False))),
        "responsible": sorted(map(tuple, blocked[["message_id", "recipient", "blocked_by", "blocked_by_list"]]
                                  .itertuples(index=False))),
        "entries": sorted(map(tuple, entries.astype({c: "int64" for c in entries.columns
                                                     if c not in ("policy", "entry", "list", "owner", "kind", "dead")})
                              .itertuples(index=False))),
    }


@pytest.fixture(scope="module")
def runs(spark_session):
    lists = Policy.from_dir(sample_path("lists"))
    contacts = pd.read_csv(sample_path("contacts.csv"))
    tracking = pd.read_csv(sample_path("tracking.csv"))
    out = {}
    for engine, spark in (("duckdb", None), ("spark", spark_session)):
        sent = load_sent(sample_path("sent_canonical.csv"), progress=False, spark=spark)
        out[engine] = {"problems": sent.problems.to_dict("records"), "rows": len(sent)}
        for rules in RULES:
            result = simulate(sent, lists, rules=rules, contacts=contacts, tracking=tracking)
            result.collect_limit = None  # the sample's 50,000 rows come to the driver to be compared
            out[engine][get_rules(rules).name] = outcome(result)
    return out


def test_the_same_load_report_on_both_engines(runs):
    assert (runs["duckdb"]["rows"], runs["duckdb"]["problems"]) == (runs["spark"]["rows"], runs["spark"]["problems"])


@pytest.mark.parametrize("profile", list(README_FIGURES))
def test_the_readme_figures_on_both_engines(runs, profile):
    assert (README_FIGURES[profile], README_FIGURES[profile]) == (
        figures(runs["duckdb"][profile]["metrics"]), figures(runs["spark"][profile]["metrics"]))


@pytest.mark.parametrize("profile", list(README_FIGURES))
@pytest.mark.parametrize("part", ["metrics", "changes", "responsible", "entries"])
def test_same_metrics_change_classes_responsible_entries_on_both_engines(runs, profile, part):
    assert runs["duckdb"][profile][part] == runs["spark"][profile][part]
