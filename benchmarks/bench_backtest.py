"""Benchmark: backtest() and compare_rules() on a generated history, against a DuckDB baseline.

Run: python benchmarks/bench_backtest.py [rows]
Both sides are loaded first (``build_sent``); the figures are the matching (no Message-IDs, so
every send goes through the sender/recipient/time fallback, the costly path), the comparison
under one rule set, and the eight rule sets of ``compare_rules()``, next to a plain DuckDB
GROUP BY recipient over the same rows table measured in the same run.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from neverlog_sim import Policy, backtest
from neverlog_sim.history import build_sent

CHANNELS = np.array(["extension", "crm", "bcc_forward", "team_inbox", "integration"])


def history(rows: int, seed: int = 1) -> pd.DataFrame:
    """A recipient-level history: ~4 recipients per message, 200 senders, recipients on 5k domains."""
    rng = np.random.default_rng(seed)
    messages = rows // 4
    msg = np.sort(rng.integers(0, messages, rows))
    domains = np.array([f"org{i}.com" for i in range(5000)] + ["rival.com", "gmail.com"])
    dom_idx = np.minimum(rng.zipf(1.3, rows) - 1, len(domains) - 1)
    dom_idx = np.where(rng.random(rows) < 0.05, len(domains) - 2, dom_idx)
    recipient = pd.Series([f"p{l}@" for l in rng.integers(0, 12, rows)]) + pd.Series(domains[dom_idx])
    sent_at = np.datetime64("2024-01-01T00:00:00") + (msg * 120).astype("timedelta64[s]")
    return pd.DataFrame({
        "message_id": pd.Series(msg).map("m{}".format), "sent_at": sent_at,
        "sender": pd.Series(msg % 200).map("user{}@northwind.com".format), "channel": CHANNELS[msg % 5],
        "recipient": recipient, "role": np.array(["to", "cc", "bcc"])[rng.choice(3, rows, p=[.7, .25, .05])],
    }).drop_duplicates(["message_id", "recipient"])


def logged(sent: pd.DataFrame) -> pd.DataFrame:
    """What HubSpot logged: rival.com blocked on governed channels (2025), HubSpot's own ids, up to a minute late."""
    blocked = sent["recipient"].str.endswith("@rival.com") & sent["channel"].isin(CHANNELS[:4])
    out = sent[~blocked].copy()
    number = out["message_id"].str[1:].astype("int64")
    out["message_id"] = "hs" + number.astype(str)
    out["sent_at"] = out["sent_at"] + pd.to_timedelta(number % 60, unit="s")
    return out


def main(rows: int) -> None:
    frame = history(rows)
    t = time.perf_counter()
    sent, hub = build_sent(frame, progress=False), build_sent(logged(frame), progress=False)
    load = time.perf_counter() - t
    policy = Policy(team=["*@rival.com"])
    t = time.perf_counter()
    sent.engine.run(f"CREATE TABLE floor AS SELECT recipient, count(*) AS n FROM {sent.table} GROUP BY recipient")
    floor = time.perf_counter() - t
    t = time.perf_counter()
    bt = backtest(sent, hub, policy, since="2024-01-01")
    agreement = bt.agreement
    one = time.perf_counter() - t
    t = time.perf_counter()
    table = bt.compare_rules()
    eight = time.perf_counter() - t
    print(f"history: {len(sent):,} rows, {sent.messages:,} messages; logged: {len(hub):,} rows (load {load:.1f} s)")
    print(f"floor (GROUP BY recipient): {floor:.3f} s   backtest (match + compare): {one:.3f} s "
          f"({one / floor:.1f}x)   compare_rules (8 rule sets): {eight:.3f} s ({eight / floor:.1f}x)")
    print(f"matched: {bt.matching['matched_by_fallback']:,} by fallback, ambiguous {bt.matching['ambiguous_sent_emails']:,};"
          f" agreement under seed-2023 {agreement:.2%}; best: {table.iloc[0]['rules']} {table.iloc[0]['agreement']:.2%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
