"""Benchmark: doctor() and suggest() on a 1-million-row history, against a DuckDB baseline.

Run: python benchmarks/bench_doctor.py [rows]
The history is bench_preview's (200 senders, ~60k recipients on 5k domains); the lists are a
500-entry team list (domains and addresses, a free-mail domain, a few typos and sub-domain entries)
and 20 personal lists of 100 entries. Prints the first (cold) doctor run, the best of three warm runs of each, and the ratio against a
plain DuckDB GROUP BY recipient over the same rows table, measured in the same run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_preview import best_of, history  # noqa: E402

from neverlog_sim import Policy, doctor, suggest  # noqa: E402
from neverlog_sim.history import build_sent  # noqa: E402


def lists() -> Policy:
    team = ([f"*@org{i}.com" for i in range(0, 400, 2)] + [f"p{i % 12}@org{i}.com" for i in range(1, 290, 1)]
            + ["*@gmail.com", "*@rival.con", "*@orgg7.com", "*@mail.org9.com", "*@eu.org11.com"])[:500]
    personal = {f"user{u}@northwind.com": [f"p{(u + j) % 12}@org{4000 + u * 50 + j}.com" for j in range(100)]
                for u in range(20)}
    return Policy(team=team, personal=personal)


def main(rows: int = 1_000_000) -> dict:
    sent = build_sent(history(rows), source="benchmark", progress=False)
    policy = lists()
    floor = best_of(lambda: sent.engine.rows(f"SELECT recipient, count(*) FROM {sent.table} GROUP BY recipient"), 3)
    t_cold = best_of(lambda: doctor(policy, sent), 1)  # builds the per-history (sender, recipient) counts
    t_doctor = best_of(lambda: doctor(policy, sent), 3)
    t_suggest = best_of(lambda: suggest(sent), 3)
    findings = doctor(policy, sent)
    out = {"rows": len(sent), "entries": policy.size, "findings": len(findings), "floor_ms": 1000 * floor, "doctor_cold_ms": 1000 * t_cold,
           "doctor_ms": 1000 * t_doctor, "doctor_ratio": t_doctor / floor,
           "suggest_ms": 1000 * t_suggest, "suggest_ratio": t_suggest / floor}
    print(f"{out['rows']:,} recipient rows, {out['entries']:,} entries, {out['findings']:,} findings")
    print(f"GROUP BY recipient floor: {out['floor_ms']:.0f} ms")
    print(f"doctor():  {out['doctor_cold_ms']:.0f} ms cold, {out['doctor_ms']:.0f} ms warm "
          f"({out['doctor_ratio']:.1f}x the floor)")
    print(f"suggest(): {out['suggest_ms']:.0f} ms ({out['suggest_ratio']:.1f}x the floor)")
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
