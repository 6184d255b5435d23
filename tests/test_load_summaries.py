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


def message_level(messages) -> pd.DataFrame:
    """The same messages as one line each, their recipients in To/Cc/Bcc fields (joined by ", "): the
    recipients with a display name go through the address parser, the others are split in SQL."""
    out = []
    for i, (sender, rows) in enumerate(messages):
        fields = {role: ", ".join(r for r, rl, *_ in rows if rl == role) or None for role in ("to", "cc", "bcc")}
        out.append({"message_id": f"m{i}", "sent_at": f"2024-01-{1 + i % 28:02d} 10:00", "sender": sender,
                    "channel": rows[0][2], **fields})
    return pd.DataFrame(out)


def check_summaries(sent, staged: int | None) -> None:
    """``staged``: the rows read before any merge, when the test knows it (every row at recipient level,
    less those set aside), so that every merge is seen counted."""
    t = sent.table
    rows, pairs, ids = sent.engine.rows(f"SELECT count(*), count(DISTINCT (message_id, recipient)), "
                                        f"count(DISTINCT row_id) FROM {t}")[0]
    assert (pairs, ids) == (rows, rows)  # one row per pair, each with an id of its own
    if staged is not None:
        assert staged - rows == {p["problem"]: p["count"] for p in sent._problems}.get(sql.DUPLICATES, 0)
    sent.engine.run(sql.recipient_profile(t, "check_profile"))
    sent.engine.run(sql.row_profile(t, "check_rowprofile"))
    assert table(sent, "SELECT * FROM check_profile") == table(sent, f"SELECT * FROM {sent.profile}")
    assert table(sent, "SELECT * FROM check_rowprofile") == table(sent, f"SELECT * FROM {sent.row_profile}")
    stats = sent.engine.rows(sql.sent_stats(t))[0]
    assert stats == (len(sent), sent.messages, sent.senders, sent.recipients, *sent.span)
    assert [c for (c,) in sent.engine.rows(sql.distinct_channels(t))] == sent.channels


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(message, min_size=1, max_size=12))
def test_load_summaries_equal_the_plain_recount(messages):
    rows = frame(messages)
    sent = load_sent(rows, progress=False, max_set_aside=1.0)
    aside = {p["problem"]: p["count"] for p in sent._problems}.get(sql.LOAD_PROBLEMS[0][0], 0)
    check_summaries(sent, len(rows) - aside)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(message, min_size=1, max_size=12))
def test_message_level_load_summaries_equal_the_plain_recount(messages):
    """Message level: each address read is a row, numbered by the split rows' table; a recipient the
    parser reads again (a display name, upper case) keeps its row's id when its row is replaced."""
    sent = load_sent(message_level(messages), progress=False, max_set_aside=1.0)
    check_summaries(sent, None)
