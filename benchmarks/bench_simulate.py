"""Benchmark simulate() against a DuckDB floor measured in the same run.

Generates N recipient rows (default 10 million; ~500 senders, ~2 million distinct recipients
over ~200k domains, Zipf-like), a 500-entry team list and 500 users × 200 personal entries,
then prints:

* floor: ``CREATE TABLE … AS SELECT recipient, count(*) … GROUP BY recipient`` over the same rows;
* simulate: ``simulate()`` plus ``metrics()`` (what an analyst needs to read the answer);
* the ratio simulate ÷ floor, cold (nothing cached on the history) and warm (the per-history
  tables a live preview reuses), and the process's peak memory.

Usage: ``python benchmarks/bench_simulate.py [--rows 10000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time

import duckdb

from neverlog_sim import Policy, build_sent, simulate
from neverlog_sim.engine import arrow_table

GEN = """
WITH g AS (
    SELECT i,
           -- Recipients: half the rows Zipf-like (a cubic transform of a uniform draw: a few
           -- recipients get much of the mail), half spread evenly (the long tail).
           CASE WHEN i % 2 = 0
                THEN CAST(floor($recipients * pow(hash(i * 7 + 1) % 1000003 / 1000003.0, 3)) AS BIGINT)
                ELSE CAST(hash(i * 7 + 1) % $recipients AS BIGINT) END AS r,
           hash(i // 3) AS mh
    FROM range($rows) t(i)
)
SELECT 'm' || (i // 3) AS message_id,
       TIMESTAMP '2024-01-01' + to_seconds(CAST(mh % 63072000 AS BIGINT)) AS sent_at,
       'user' || (mh % $senders) || '@corp.example' AS sender,
       ['extension', 'extension', 'crm', 'bcc_forward', 'team_inbox', 'integration'][1 + CAST(mh % 6 AS INTEGER)]
           AS channel,
       'r' || r || '@d' || CAST(floor($domains * pow(hash(r) % 1000003 / 1000003.0, 2)) AS BIGINT) || '.example'
           AS recipient,
       ['to', 'to', 'cc', 'bcc'][1 + CAST(hash(i) % 4 AS INTEGER)] AS role
FROM g
"""


def make_history(rows: int):
    con = duckdb.connect()
    params = {"rows": rows, "recipients": 2_000_000, "domains": 200_000, "senders": 500}
    table = arrow_table(con.execute(GEN, params))
    con.close()
    return table


def make_policy(sent) -> Policy:
    con = sent.con
    top_domains = [d for (d,) in con.execute(
        f"SELECT rdomain FROM {sent.table} GROUP BY rdomain ORDER BY count(*) DESC, rdomain LIMIT 250 OFFSET 50"
    ).fetchall()]
    some = [a for (a,) in con.execute(
        f"SELECT DISTINCT recipient FROM {sent.table} ORDER BY hash(recipient) LIMIT 250").fetchall()]
    team = [f"*@{d}" for d in top_domains] + some
    picks = [a for (a,) in con.execute(
        f"SELECT DISTINCT recipient FROM {sent.table} ORDER BY hash(recipient || 'p') LIMIT 100000").fetchall()]
    personal = {f"user{u}@corp.example": picks[u * 200:(u + 1) * 200] for u in range(500)}
    return Policy(team=team, personal=personal)


def peak_rss_gib() -> float:
    """Peak resident memory since the last reset_peak() (Linux), else since the process started."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / (1024 * 1024)
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def reset_peak() -> bool:
    """Start a new peak-memory window (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    history = make_history(args.rows)
    reset_peak()  # the generator's own peak is not the loader's; the history it made stays in memory
    t0 = time.perf_counter()
    sent = build_sent(history, source="benchmark", progress=False)
    load_s = time.perf_counter() - t0
    load_peak = peak_rss_gib()
    del history
    policy = make_policy(sent)
    separate = reset_peak()
    threads = sent.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
          f"threads {threads}")
    print(f"history: {len(sent):,} rows, {sent.messages:,} messages, {sent.senders:,} senders, "
          f"{sent.recipients:,} recipients (load {load_s:.1f} s); policy: team {len(policy.team)}, "
          f"personal {len(policy.personal)} × 200")

    floors, cold, warm = [], [], []
    for k in range(args.repeat):
        t = time.perf_counter()
        sent.con.execute(f"CREATE OR REPLACE TABLE floor_{k} AS SELECT recipient, count(*) AS n "
                         f"FROM {sent.table} GROUP BY recipient").fetchall()
        floors.append(time.perf_counter() - t)
        sent.con.execute(f"DROP TABLE floor_{k}").fetchall()
        # Cold: nothing cached from an earlier run on this history.
        sent.clear_cache()
        t = time.perf_counter()
        result = simulate(sent, policy)
        m = result.metrics()
        cold.append(time.perf_counter() - t)
        result.close()
        # Warm: what a live preview pays after an edit (per-history tables reused).
        t = time.perf_counter()
        result = simulate(sent, policy)
        m = result.metrics()
        warm.append(time.perf_counter() - t)
        result.close()
    floor = min(floors)
    print(f"floor (GROUP BY recipient): {floor:.3f} s   simulate + metrics: cold {min(cold):.3f} s, "
          f"warm {min(warm):.3f} s   ratio to floor: cold {min(cold) / floor:.2f}, warm {min(warm) / floor:.2f}")
    print(f"blocked rows: {m['blocked_rows_after']:,}; contacts not created: {m['contacts_not_created']:,}; "
          f"timeline entries removed: {m['timeline_entries_removed']:,}")
    if separate:
        print(f"peak memory (RSS): while loading (the generated Arrow history held) {load_peak:.2f} GiB; "
              f"while simulating (history held) "
              f"{peak_rss_gib():.2f} GiB")
    else:
        print(f"peak memory (process RSS, load included): {peak_rss_gib():.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
