"""The engine against the reference simulator, on whole generated scenarios (issue 16).

Properties: the engine equals the reference on every table and every metric (on every route:
a second simulate() on one history reuses its caches); a policy compared with itself changes
nothing; swapping baseline and candidate mirrors every change; adding an entry never unblocks a row.
The example budget is the Hypothesis profile chosen in tests/conftest.py.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from neverlog_sim import simulate

import reference
from reference import (CONTACT_COLUMNS, ENTRY_COLUMNS, FEED_COLUMNS, RECIPIENT_COLUMNS, TIMELINE_COLUMNS,
                       simulate_reference)
from strategies import engine_inputs, engine_policy, load, scenarios

COLUMNS = {"recipients": RECIPIENT_COLUMNS, "contacts": CONTACT_COLUMNS, "timeline": TIMELINE_COLUMNS,
           "feed": FEED_COLUMNS, "entries": ENTRY_COLUMNS}


def plain(value):
    """A pandas cell as a plain Python value; a missing value of a boolean column stays visible as '<NA>'."""
    if value is pd.NA:
        return "<NA>"
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def table(df: pd.DataFrame) -> tuple[list[str], list[dict]]:
    return list(df.columns), [{k: plain(v) for k, v in row.items()} for row in df.to_dict("records")]


def by_entry(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["policy"], r["entry"], r["list"], r["owner"]))


def engine_tables(result) -> dict:
    # The figures first: metrics() takes its fast route (load-time profiles, the per-history caches)
    # only while no table has built the per-recipient view.
    out = {"metrics": result.metrics()}
    for name in COLUMNS:
        out[name] = table(getattr(result, name))
    return out


def assert_engine_equals_reference(result, scenario):
    expected = simulate_reference(scenario)
    got = engine_tables(result)
    for name, columns in COLUMNS.items():
        cols, rows = got[name]
        assert list(columns) == cols, name
        if name == "entries":
            # Candidate first, most rows first, then by entry text; the same entry text in two lists has no set order.
            order = [(r["policy"], r["rows"], r["entry"]) for r in rows]
            assert sorted(order, key=lambda k: (k[0] != "candidate", -k[1], k[2])) == order
            assert by_entry(expected[name]) == by_entry(rows)
        else:
            assert expected[name] == rows, name
    assert expected["metrics"] == got["metrics"]


@given(scenarios(max_runs=3))
def test_engine_equals_the_reference_on_every_table_and_metric(runs):
    sent = load(runs[0])
    for scenario in runs:
        result = simulate(sent, **engine_inputs(scenario))
        assert_engine_equals_reference(result, scenario)


# --- properties that need no reference ------------------------------------------------------------------

BEFORE_AFTER = [("blocked_rows_before", "blocked_rows_after"), ("contact_records_before", "contact_records_after"),
                ("contacts_created_before", "contacts_created_after"),
                ("timeline_entries_before", "timeline_entries_after"),
                ("tracking_on_timeline_before", "tracking_on_timeline_after")]
MIRROR = {"not_created": "newly_created", "newly_created": "not_created", "created_later": "created_earlier",
          "created_earlier": "created_later", "timeline_emptied": "timeline_added", "timeline_reduced": "timeline_added",
          "unchanged": "unchanged"}
ROW_FLAGS = ["blocked", "logged", "on_timeline"]
# The reference comparison gets the profile's whole budget; these three, which need no reference,
# a quarter each (the budget is the Hypothesis profile's, see tests/conftest.py).
QUARTER = settings(max_examples=max(10, settings.default.max_examples // 4))


@QUARTER
@given(scenarios(max_runs=1))
def test_a_policy_compared_with_itself_changes_nothing(runs):
    scenario = runs[0]
    inputs = engine_inputs(scenario)
    inputs["baseline"] = inputs["candidate"]
    result = simulate(load(scenario), **inputs)
    rec, m = result.recipients, result.metrics()
    assert rec[[f"{f}_before" for f in ROW_FLAGS]].values.tolist() == rec[[f"{f}_after" for f in ROW_FLAGS]].values.tolist()
    assert {**dict.fromkeys(m["changes"], 0), "unchanged": len(result.contacts)} == m["changes"]
    assert (0, 0, 0) == (len(result.timeline), m["timeline_entries_removed"], m["tracking_events_leaving_timelines"])
    assert [m[b] for b, _ in BEFORE_AFTER] == [m[a] for _, a in BEFORE_AFTER]


def one_way(c: dict) -> bool:
    """Whether a contact's change goes one way only (no part gains while another loses)."""
    def sign(before, after):
        return (after > before) - (after < before)
    parts = [sign(c["exists_before"], c["exists_after"]), sign(c["timeline_before"], c["timeline_after"])]
    if c["created_at_before"] is not None and c["created_at_after"] is not None:
        parts.append(sign(c["created_at_after"], c["created_at_before"]))  # later creation is a loss
    return not ({1, -1} <= set(parts))


@QUARTER
@given(scenarios(max_runs=1))
def test_swapping_baseline_and_candidate_mirrors_every_change(runs):
    scenario = runs[0]
    sent, inputs = load(scenario), engine_inputs(scenario)
    forward = simulate(sent, **inputs)
    inputs["baseline"], inputs["candidate"] = inputs["candidate"], inputs["baseline"]
    back = simulate(sent, **inputs)

    f, b = forward.recipients, back.recipients
    for flag in ROW_FLAGS:
        assert (f[f"{flag}_before"].tolist(), f[f"{flag}_after"].tolist()) == (
            b[f"{flag}_after"].tolist(), b[f"{flag}_before"].tolist())

    _, fc = table(forward.contacts)
    _, bc = table(back.contacts)
    for one, other in zip(fc, bc):
        for part in ("exists", "created_at", "timeline"):
            assert (one[f"{part}_before"], one[f"{part}_after"]) == (other[f"{part}_after"], other[f"{part}_before"])
        if not one_way(one):
            assert reference.change_class(other) == other["change"]
        elif one["change"] == "timeline_added":
            assert ("timeline_emptied" if one["timeline_before"] == 0 else "timeline_reduced") == other["change"]
        else:
            assert MIRROR[one["change"]] == other["change"]
    assert [c["contact"] for c in fc] == [c["contact"] for c in bc]

    flip = {"removed": "added", "added": "removed", "changed": "changed"}
    _, ft = table(forward.timeline)
    _, bt = table(back.timeline)
    swapped = [{**t, "logged_before": t["logged_after"], "logged_after": t["logged_before"],
                "on_timeline_before": t["on_timeline_after"], "on_timeline_after": t["on_timeline_before"],
                "change": flip[t["change"]]} for t in bt]
    keep = ["message_id", "recipient", "logged_before", "logged_after", "on_timeline_before", "on_timeline_after",
            "change", "tracking_events_removed"]
    assert [{k: t[k] for k in keep} for t in ft] == [{k: t[k] for k in keep} for t in swapped]

    fm, bm = forward.metrics(), back.metrics()
    assert [(fm[x], fm[y]) for x, y in BEFORE_AFTER] == [(bm[y], bm[x]) for x, y in BEFORE_AFTER]
    assert (fm["changes"]["not_created"], fm["changes"]["newly_created"]) == (
        bm["changes"]["newly_created"], bm["changes"]["not_created"])


@QUARTER
@given(scenarios(max_runs=1), st.data())
def test_adding_an_entry_never_unblocks_a_row(runs, data):
    scenario = runs[0]
    policy = scenario["candidate"]
    recipients = {row["recipient"] for row in reference.read_sent(scenario)}
    extra = data.draw(st.sampled_from(sorted(recipients | {"*@" + reference.domain_of(r) for r in recipients})),
                      label="entry")
    owners = [None] + sorted({reference.read_address(r["sender"]) for r in scenario["sent"]})
    owner = data.draw(st.sampled_from(owners), label="list owner (None: team)")
    more = {"team": list(policy["team"]), "personal": {k.lower(): list(v) for k, v in policy["personal"].items()}}
    if owner is None:
        more["team"].append(extra)
    else:
        more["personal"].setdefault(owner, []).append(extra)
    result = simulate(load(scenario), engine_policy(more), baseline=engine_policy(policy), rules=scenario["rules"],
                      contacts=engine_inputs(scenario)["contacts"])
    rec = result.recipients
    assert [] == rec[rec["blocked_before"] & ~rec["blocked_after"]].to_dict("records")
    assert [] == rec[rec["on_timeline_after"] & ~rec["on_timeline_before"]].to_dict("records")
    gains = result.contacts[result.contacts["change"].isin(["newly_created", "created_earlier", "timeline_added"])]
    assert [] == gains.to_dict("records")
    assert [] == [t for t in result.timeline["change"] if t == "added"]
