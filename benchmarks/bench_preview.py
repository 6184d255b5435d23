"""Benchmark: one-entry edits in preview() on a 1-million-row (or larger) history.

Run: python benchmarks/bench_preview.py [rows]
Prints the first edit's time (it prepares the history's what-if copy of the rows, once), then the
edit → numbers p95 and median over a sequence of one-entry edits (add an address, add
``*@gmail.com``, remove it, move an address from the team list to a personal list), the chart time,
and a plain DuckDB GROUP BY recipient over the same rows table, measured in the same run.
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


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main(rows: int = 1_000_000, edits: int = 24) -> dict:
    t = time.perf_counter()
    sent = build_sent(history(rows), source="benchmark", progress=False)
    load_s = time.perf_counter() - t
    app = preview(sent, team="*@rival.com", debounce=0)
    app.debounce = 1e9  # the timer never fires: we time the synchronous refresh
    owner = "user0@northwind.com"

    def refresh() -> float:
        t = time.perf_counter()
        app.refresh(chart=False)
        return time.perf_counter() - t

    # The first edit after the first simulation prepares the history's what-if copy (once per history).
    app.team_text.value += "\np0@org0.com"
    prepare_s = refresh()
    # One-entry edits, in turn: add an address, add *@gmail.com, take it out again, move an address
    # from the team list to a personal list.
    steps = []
    for i in range(1, edits + 1):
        kind = ("add an address", "add *@gmail.com", "remove *@gmail.com", "move team -> personal")[i % 4]
        if kind == "add an address":
            app.team_text.value += f"\np{i}@org{i}.com"
        elif kind == "add *@gmail.com":
            app.team_text.value += "\n*@gmail.com"
        elif kind == "remove *@gmail.com":
            app.team_text.value = app.team_text.value.replace("\n*@gmail.com", "")
        else:
            moved = f"p{i - 3}@org{i - 3}.com"
            app.owner.value = owner
            app.team_text.value = app.team_text.value.replace(f"\n{moved}", "")
            app.personal_text.value = (app.personal_text.value + "\n" + moved).strip()
        wall = refresh()
        steps.append((1000 * wall, app.last_timing["numbers_ms"], kind, app.result._build is not None))
    numbers = [n for _, n, _, _ in steps]
    app.refresh(chart=True)
    chart_ms = app.last_timing["chart_ms"]
    # Baseline: the simplest full pass over the same rows table in the same DuckDB connection.
    rel = sent.con.table(sent.table)
    baseline_s = best_of(lambda: rel.aggregate("recipient, count(*)", "recipient").fetchall())
    out = {"rows": len(sent), "load_s": round(load_s, 2), "prepare_ms": round(1000 * prepare_s, 1),
           "numbers_p95_ms": round(p95(numbers), 1), "numbers_median_ms": round(sorted(numbers)[len(numbers) // 2], 1),
           "incremental_edits": sum(inc for *_, inc in steps), "edits": len(steps),
           "chart_ms": round(chart_ms, 1), "duckdb_group_by_ms": round(1000 * baseline_s, 1)}
    print(f"{out['rows']:,} recipient rows (loaded in {out['load_s']} s)")
    print(f"first edit (prepares the what-if copy of the rows, once per history): {out['prepare_ms']} ms")
    print(f"one edit -> numbers, {len(steps)} edits: p95 {out['numbers_p95_ms']} ms, median "
          f"{out['numbers_median_ms']} ms ({out['incremental_edits']} answered incrementally)")
    for kind in dict.fromkeys(k for *_, k, _ in steps):
        ms = [n for _, n, k, _ in steps if k == kind]
        print(f"  {kind}: worst {max(ms):.1f} ms")
    print(f"chart afterwards (builds the result's tables): {out['chart_ms']} ms")
    print(f"DuckDB GROUP BY recipient baseline: {out['duckdb_group_by_ms']} ms")
    print("where one edit's time goes (DuckDB statements, ms):")
    steps_sql = where_the_time_goes(app)
    for ms, statement in sorted(steps_sql, reverse=True)[:8]:
        print(f"  {ms:8.1f}  {statement}")
    out["steps"] = steps_sql
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
    engine = app.sent.engine
    real = engine.con
    engine.con = _TimedConnection(real, log)
    try:
        app.team_text.value += "\np999@org999.com"
        app.refresh(chart=False)
    finally:
        engine.con = real
    return log


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
