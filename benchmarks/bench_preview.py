"""Benchmark: one edit in preview() on a 1-million-row history, against a DuckDB baseline.

Run: python benchmarks/bench_preview.py [rows]
Prints the edit → numbers time, the chart time, and the ratio against a plain DuckDB
GROUP BY recipient over the same rows table, measured in the same run.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from neverlog_sim.history import build_sent
from neverlog_sim.widgets import preview

CHANNELS = np.array(["extension", "crm", "bcc_forward", "team_inbox", "integration"])


def history(rows: int, seed: int = 1) -> pd.DataFrame:
    """A recipient-level history: ~4 recipients per message, 200 senders, 60k recipients on 5k domains."""
    rng = np.random.default_rng(seed)
    messages = rows // 4
    msg = rng.integers(0, messages, rows)
    domains = np.array([f"org{i}.com" for i in range(5000)] + ["rival.com", "gmail.com"])
    dom_idx = np.minimum(rng.zipf(1.3, rows) - 1, len(domains) - 1)
    dom_idx = np.where(rng.random(rows) < 0.05, len(domains) - 2, dom_idx)
    local = rng.integers(0, 12, rows)
    recipient = pd.Series([f"p{l}@" for l in local]) + pd.Series(domains[dom_idx])
    start = np.datetime64("2024-01-01T00:00:00")
    sent_at = start + (msg * 120).astype("timedelta64[s]")
    return pd.DataFrame({
        "message_id": pd.Series(msg).map("m{}".format),
        "sent_at": sent_at,
        "sender": pd.Series(msg % 200).map("user{}@northwind.com".format),
        "channel": CHANNELS[msg % 5],
        "recipient": recipient,
        "role": np.array(["to", "cc", "bcc"])[rng.choice(3, rows, p=[.7, .25, .05])],
    })


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(rows: int = 1_000_000) -> dict:
    t = time.perf_counter()
    sent = build_sent(history(rows), source="benchmark", progress=False)
    load_s = time.perf_counter() - t
    app = preview(sent, team="*@rival.com\n*@gmail.com", debounce=0)
    edits = iter(f"p{i}@org{i}.com" for i in range(1000))

    def edit():
        app.debounce = 1e9  # the timer never fires: we time the synchronous refresh
        app.team_text.value += "\n" + next(edits)
        app.refresh(chart=False)

    edit_s = best_of(edit)
    numbers_ms = app.last_timing["numbers_ms"]
    app.refresh(chart=True)
    chart_ms = app.last_timing["chart_ms"]
    # Baseline: the simplest full pass over the same rows table in the same DuckDB connection.
    rel = sent.con.table(sent.table)
    baseline_s = best_of(lambda: rel.aggregate("recipient, count(*)", "recipient").fetchall())
    steps = where_the_time_goes(app)
    out = {"rows": len(sent), "load_s": round(load_s, 2), "edit_ms": round(1000 * edit_s, 1),
           "numbers_ms_last": round(numbers_ms, 1), "chart_ms": round(chart_ms, 1),
           "duckdb_group_by_ms": round(1000 * baseline_s, 1), "ratio": round(edit_s / baseline_s, 1)}
    print(f"{out['rows']:,} recipient rows (loaded in {out['load_s']} s)")
    print(f"one edit -> numbers: {out['edit_ms']} ms (best of 5); chart afterwards: {out['chart_ms']} ms")
    print(f"DuckDB GROUP BY recipient baseline: {out['duckdb_group_by_ms']} ms; ratio edit/baseline: {out['ratio']}x")
    print("where one edit's time goes (DuckDB statements, ms):")
    for ms, statement in sorted(steps, reverse=True)[:8]:
        print(f"  {ms:8.1f}  {statement}")
    out["steps"] = steps
    return out


class _TimedConnection:
    """Wraps the SentMail's connection and records each statement's time (the engine is not changed)."""

    def __init__(self, con, log):
        self._con, self._log = con, log

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, statement, *args):
        t = time.perf_counter()
        out = self._con.execute(statement, *args)
        self._log.append((1000 * (time.perf_counter() - t), " ".join(str(statement).split())[:80]))
        return out


def where_the_time_goes(app) -> list[tuple[float, str]]:
    log: list[tuple[float, str]] = []
    real = app.sent.con
    app.sent.con = _TimedConnection(real, log)
    try:
        app.team_text.value += "\np999@org999.com"
        app.refresh(chart=False)
    finally:
        app.sent.con = real
    return log


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
