"""Issue 12: the load builds the recipient profile, the row profile, the message count and the repeated
pairs on its way (one aggregation by recipient, one by message), and clears most messages of repeated
recipients from their hashes alone. Whatever the rows, each must equal the plain recount over the rows
kept — the tables the simulation reads were once built exactly so (docs/rules.md#the-load-report).
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neverlog_sim import load_sent
from neverlog_sim.engine import sql

# A few recipients, so that a message often names one twice; odd spellings (upper case, a display name,
# no usable address) so that the rows the fast path does not settle go through the slow one.
RECIPIENTS = ["jo@acme.com", "JO@acme.com", '"Jo" <jo@acme.com>', "sam@rival.com", "al@rival.com",
              "kim@gmail.com", "undisclosed", "ann@us.com", "'pat@acme.com"]
CHANNELS = ["extension", "crm", "bcc_forward", "team_inbox"]

row = st.tuples(st.sampled_from(RECIPIENTS), st.sampled_from(["to", "cc", "bcc"]), st.sampled_from(CHANNELS),
                st.sampled_from(["true", "false"]), st.sampled_from(["outbound", "inbound"]))
message = st.tuples(st.sampled_from(["ann@us.com", "bob@us.com"]), st.lists(row, min_size=1, max_size=7))


def frame(messages) -> pd.DataFrame:
    out = []
    for i, (sender, rows) in enumerate(messages):
        for recipient, role, channel, log, direction in rows:
            # a message's rows agree on sender and date; channel, toggle and direction may differ between
            # repeats of one recipient (the merge keeps the first row's)
            out.append({"message_id": f"m{i}", "sent_at": f"2024-01-{1 + i % 28:02d} 10:00", "sender": sender,
                        "recipient": recipient, "role": role, "channel": channel, "log_enabled": log,
                        "direction": direction})
    return pd.DataFrame(out)


def table(sent, statement: str) -> list[tuple]:
    return sorted(sent.engine.rows(statement), key=repr)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(message, min_size=1, max_size=12))
def test_load_summaries_equal_the_plain_recount(messages):
    rows = frame(messages)
    sent = load_sent(rows, progress=False, max_set_aside=1.0)
    t = sent.table
    pairs = sent.engine.rows(f"SELECT count(*), count(DISTINCT (message_id, recipient)) FROM {t}")[0]
    duplicates = {p["problem"]: p["count"] for p in sent._problems}.get(sql.DUPLICATES, 0)
    staged = sum(1 for _ in rows.itertuples()) - {p["problem"]: p["count"] for p in sent._problems}.get(
        sql.LOAD_PROBLEMS[0][0], 0)
    assert (pairs[1], staged - pairs[0]) == (pairs[0], duplicates)  # one row per pair; every merge counted
    sent.engine.run(sql.recipient_profile(t, "check_profile"))
    sent.engine.run(sql.row_profile(t, "check_rowprofile"))
    assert table(sent, "SELECT * FROM check_profile") == table(sent, f"SELECT * FROM {sent.profile}")
    assert table(sent, "SELECT * FROM check_rowprofile") == table(sent, f"SELECT * FROM {sent.row_profile}")
    stats = sent.engine.rows(sql.sent_stats(t))[0]
    assert stats == (len(sent), sent.messages, sent.senders, sent.recipients, *sent.span)
    assert [c for (c,) in sent.engine.rows(sql.distinct_channels(t))] == sent.channels
