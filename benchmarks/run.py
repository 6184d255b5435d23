"""One table of the toolkit's speed and memory, each figure beside a DuckDB floor measured in the same run.

For each size (recipient rows) a fresh process generates a history as Parquet (recipient level)
and as CSV (message level, sizes up to 10M), then measures:

* load (Parquet) ÷ ``CREATE TABLE t AS SELECT * FROM read_parquet(path)``;
* load (CSV, message level) ÷ ``CREATE TABLE t AS SELECT * FROM read_csv(path)`` (sizes up to ``--csv-max``);
* beside each load, a bare load of the same file (``_BARE_ROWS``, ``_BARE_STEPS``): only the steps no
  reading of the rules can skip, written plainly, ÷ the same floor — how near the floor any load can come;
* workspace save, and reopen with ``open_sent`` (seconds; the target is under 1 s at 10M rows);
* ``simulate()`` + ``metrics()`` cold and warm ÷ ``CREATE TABLE … GROUP BY recipient``;
* one-entry what-if (``simulate(sent, edited).metrics()`` after a first simulation): p95 over
  edits that add an address, add ``*@`` the busiest domain, remove an entry, and move an entry
  from the team list to a personal list; the first what-if, which prepares the history's copy of
  the rows sorted by domain, is shown apart (the simulate figures run with ``incremental=False``);
* peak RSS of the process.

Usage: ``python -m benchmarks [--quick | --full] [--sizes 1000000,10000000] [--memory-limit 5GB]``.
``--quick`` runs 1M rows once (under a minute); the default runs 1M, 10M and 50M; ``--full`` adds
100M. ``--memory-limit`` caps DuckDB (the toolkit's engines and the floors alike); what does not fit
spills to disk. Each size runs in a fresh process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench_simulate import GEN, peak_rss_gib  # one generator and one RSS reading for every benchmark

MESSAGE_LEVEL = """
SELECT message_id, any_value(sent_at) AS sent_at, any_value(sender) AS sender, any_value(channel) AS channel,
       string_agg(recipient, ', ') FILTER (WHERE role = 'to') AS "to",
       string_agg(recipient, ', ') FILTER (WHERE role = 'cc') AS cc,
       string_agg(recipient, ', ') FILTER (WHERE role = 'bcc') AS bcc
FROM read_parquet($1) GROUP BY message_id
"""


def _timed(fn):
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def _generate(folder: Path, rows: int, csv: bool) -> tuple[Path, Path | None]:
    import duckdb

    from neverlog_sim.engine.duckdb import _settings
    con = duckdb.connect(config=_settings({}))  # under the run's memory limit: its peak is counted too
    params = {"rows": rows, "recipients": max(rows // 5, 1000), "domains": max(rows // 50, 100), "senders": 500}
    parquet = folder / "history.parquet"
    con.execute(f"COPY ({GEN}) TO '{parquet}' (FORMAT parquet)", params)
    csv_path = None
    if csv:
        csv_path = folder / "history.csv"
        con.execute(f"COPY ({MESSAGE_LEVEL}) TO '{csv_path}' (FORMAT csv, HEADER)", [str(parquet)])
    con.close()
    return parquet, csv_path


def _seconds_in_plain_duckdb(work) -> float:
    """Seconds for ``work(con)`` in a fresh plain DuckDB connection under the run's limits (the memory limit
    the toolkit runs under), insertion order not kept, as the toolkit's engine keeps none."""
    import duckdb

    from neverlog_sim.engine.duckdb import _settings
    con = duckdb.connect(config=_settings({}))
    con.execute("SET preserve_insertion_order = false")
    seconds, _ = _timed(lambda: work(con))
    con.close()
    return seconds


def _floor_load(path: Path, reader: str) -> float:
    return _seconds_in_plain_duckdb(
        lambda con: con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}($1)", [str(path)]).fetchall())


# The least a load must do to answer the rules, and nothing more: the rows copied with each recipient in
# lower case and its domain (entries match case-insensitively, by address or by domain), one GROUP BY
# recipient (which recipients exist, and the channels that reached each), the address pattern over the
# distinct recipients, and one GROUP BY message (the report's shared messages and repeated recipients).
# No trimming, no reading of senders, channels, roles or dates, no load report. What the toolkit's load
# adds beyond this is the rest of docs/rules.md#recipients-in-your-data.
_BARE_ROWS = {
    "read_parquet": """
        CREATE TABLE bare AS SELECT file_row_number AS row_id, message_id, sent_at, sender, channel, role,
               lower(recipient) AS recipient, split_part(lower(recipient), '@', -1) AS rdomain
        FROM read_parquet($1, file_row_number = true)""",
    "read_csv": """
        CREATE TABLE bare AS
        SELECT message_id, sent_at, sender, channel, role, lower(trim(a)) AS recipient,
               split_part(lower(trim(a)), '@', -1) AS rdomain
        FROM (SELECT message_id, sent_at, sender, channel, unnest(['to', 'cc', 'bcc']) AS role,
                     unnest([string_split("to", ','), string_split(cc, ','), string_split(bcc, ',')]) AS field
              FROM read_csv($1)), unnest(field) AS u(a)""",
}
_BARE_STEPS = (
    "CREATE TABLE bare_r AS SELECT recipient, count(*) AS n, "
    "bit_or(CASE channel WHEN 'extension' THEN 1 WHEN 'crm' THEN 2 ELSE 4 END) AS codes FROM bare GROUP BY recipient",
    "CREATE TABLE bare_a AS SELECT recipient, regexp_full_match(recipient, $1) AS ok FROM bare_r",
    "CREATE TABLE bare_m AS SELECT message_id, count(*) AS n, "
    "min(sent_at) <> max(sent_at) OR min(sender) <> max(sender) AS shared, "
    "min(hash(recipient)) AS lo, max(hash(recipient)) AS hi FROM bare GROUP BY message_id",
)


def bare_load(con, path: Path, reader: str) -> None:
    """Run ``_BARE_ROWS`` and ``_BARE_STEPS`` on ``path`` in ``con``: tables ``bare``, ``bare_r``, ``bare_a``, ``bare_m``."""
    from neverlog_sim.engine.sql.common import STANDARD_ADDRESS
    con.execute(_BARE_ROWS[reader], [str(path)])
    for step in _BARE_STEPS:
        con.execute(step, [STANDARD_ADDRESS] if "$1" in step else None)


def _bare_load(path: Path, reader: str) -> float:
    """Seconds for ``bare_load`` on ``path`` (a fresh connection, the run's limits)."""
    return _seconds_in_plain_duckdb(lambda con: bare_load(con, path, reader))


def _policy(sent):
    from neverlog_sim import Policy
    top = [d for (d,) in sent.engine.rows(f"SELECT rdomain FROM {sent.table} GROUP BY rdomain "
                                          "ORDER BY count(*) DESC, rdomain LIMIT 250 OFFSET 50")]
    some = [a for (a,) in sent.engine.rows(f"SELECT DISTINCT recipient FROM {sent.table} "
                                           "ORDER BY hash(recipient) LIMIT 250")]
    picks = [a for (a,) in sent.engine.rows(f"SELECT DISTINCT recipient FROM {sent.table} "
                                            "ORDER BY hash(recipient || 'p') LIMIT 20000")]
    personal = {f"user{u}@corp.example": picks[u * 40:(u + 1) * 40] for u in range(500)}
    # The busiest domains (none of them is on the lists: those start at the 51st) and addresses on no
    # list, one of each per timed run: a policy simulated before is answered from its figures.
    busiest = [d for (d,) in sent.engine.rows(f"SELECT rdomain FROM {sent.table} GROUP BY rdomain "
                                              "ORDER BY count(*) DESC, rdomain LIMIT 10")]
    return Policy(team=[f"*@{d}" for d in top] + some, personal=personal), busiest, picks[-10:]


def _first_edit(policy, address: str):
    """An edit none of the timed ones repeats (a policy simulated before is answered from its figures)."""
    from neverlog_sim import Policy
    personal = {o: [str(e) for e in lst.entries] for o, lst in policy.personal.items()}
    return Policy(team=[str(e) for e in policy.team.entries] + [f"x.{address}"], personal=personal)


def _edits(policy, busiest: str, address: str, k: int = 0):
    """The timed one-entry edits of run ``k`` (each run edits other entries)."""
    from neverlog_sim import Policy
    team = [str(e) for e in policy.team.entries]
    personal = {o: [str(e) for e in lst.entries] for o, lst in policy.personal.items()}
    yield "add an address", Policy(team=team + [address], personal=personal)
    yield f"add *@{busiest} (a busiest domain)", Policy(team=team + [f"*@{busiest}"], personal=personal)
    yield "remove an entry", Policy(team=team[:k] + team[k + 1:], personal=personal)
    moved = dict(personal)
    owner = f"user{k}@corp.example"
    moved[owner] = personal[owner] + [team[-1 - k]]
    yield "move team → personal", Policy(team=team[:-1 - k] + team[len(team) - k:], personal=moved)


def measure(rows: int, repeat: int, csv_max: int = 10_000_000) -> dict:
    """Run every measurement at one size in this process; return the figures."""
    import duckdb

    from neverlog_sim import load_sent, open_sent, simulate
    out = {"rows": rows}
    with tempfile.TemporaryDirectory(prefix="nls-bench-") as tmp:
        folder = Path(tmp)
        parquet, csv_path = _generate(folder, rows, csv=rows <= csv_max)
        # The analyst's loop first (load, simulate, edit one history), as a fresh kernel runs it; the other
        # loads below hold and free gigabytes in this process, which no analyst's edit comes after.
        out["floor_load_parquet"] = min(_floor_load(parquet, "read_parquet") for _ in range(repeat))
        out["load_parquet"], sent = _timed(lambda: load_sent(parquet, progress=False))
        out["workspace_save"], _ = _timed(lambda: sent.save(folder / "h.duckdb"))
        out["workspace_reopen"] = min(_timed(lambda: open_sent(folder / "h.duckdb"))[0] for _ in range(repeat))
        policy, busiest, address = _policy(sent)
        floors, cold, warm = [], [], []
        for k in range(repeat):
            floors.append(_timed(lambda: sent.engine.run(
                f"CREATE OR REPLACE TABLE floor_{k} AS SELECT recipient, count(*) AS n FROM {sent.table} "
                "GROUP BY recipient"))[0])
            sent.clear_cache()
            # In full (incremental=False): a policy simulated before would be answered from its figures.
            seconds, result = _timed(lambda: simulate(sent, policy, incremental=False))
            cold.append(seconds + _timed(result.metrics)[0])
            result.close()
            seconds, result = _timed(lambda: simulate(sent, policy, incremental=False))
            warm.append(seconds + _timed(result.metrics)[0])
            result.close()
        out.update(floor_simulate=min(floors), simulate_cold=min(cold), simulate_warm=min(warm))
        # The first what-if on a history prepares its copy of the rows sorted by domain (once per history).
        first = _first_edit(policy, address[0])
        seconds, result = _timed(lambda: simulate(sent, first))
        out["whatif_prepare"] = seconds + _timed(result.metrics)[0]
        result.close()
        edits = []
        for k in range(repeat):
            for name, edited in _edits(policy, busiest[k % len(busiest)], address[1 + k % (len(address) - 1)], k):
                seconds, result = _timed(lambda: simulate(sent, edited))
                edits.append((seconds + _timed(result.metrics)[0], name))
                result.close()
        edits.sort()
        out["whatif_p95"] = edits[min(len(edits) - 1, int(round(0.95 * (len(edits) - 1))))][0]
        out["whatif_worst_edit"] = edits[-1][1]
        out["threads"] = sent.engine.rows("SELECT current_setting('threads')")[0][0]
        out["duckdb"] = duckdb.__version__
        sent.engine.close()
        del sent
        out["bare_load_parquet"] = min(_bare_load(parquet, "read_parquet") for _ in range(repeat))
        if csv_path:
            out["floor_load_csv"] = min(_floor_load(csv_path, "read_csv") for _ in range(repeat))
            out["bare_load_csv"] = min(_bare_load(csv_path, "read_csv") for _ in range(repeat))
            seconds, other = _timed(lambda: load_sent(csv_path, progress=False))
            out["load_csv"] = seconds
            other.engine.close()
            del other
    out["peak_rss_gib"] = peak_rss_gib()
    return out


def _row(label: str, value: str, floor: str = "", ratio: str = "", target: str = "") -> str:
    return f"| {label} | {value} | {floor} | {ratio} | {target} |"


def table(results: list[dict]) -> str:
    lines = ["| rows | figure | floor (same run) | ratio | target |", "|---|---|---|---|---|"]
    for r in results:
        n = f"{r['rows']:,}"
        lines.append(_row(f"{n}: load, Parquet (recipient level)", f"{r['load_parquet']:.2f} s",
                          f"{r['floor_load_parquet']:.2f} s", f"{r['load_parquet'] / r['floor_load_parquet']:.1f}×",
                          "≤ 3×"))
        if "bare_load_parquet" in r:
            lines.append(_row(f"{n}: the least any load must do, Parquet (`_BARE_STEPS`)", f"{r['bare_load_parquet']:.2f} s",
                              f"{r['floor_load_parquet']:.2f} s",
                              f"{r['bare_load_parquet'] / r['floor_load_parquet']:.1f}×", ""))
        if "load_csv" in r:
            lines.append(_row(f"{n}: load, CSV (message level)", f"{r['load_csv']:.2f} s", f"{r['floor_load_csv']:.2f} s",
                              f"{r['load_csv'] / r['floor_load_csv']:.1f}×", "≤ 3×"))
        if "bare_load_csv" in r:
            lines.append(_row(f"{n}: the least any load must do, CSV (`_BARE_STEPS`)", f"{r['bare_load_csv']:.2f} s",
                              f"{r['floor_load_csv']:.2f} s", f"{r['bare_load_csv'] / r['floor_load_csv']:.1f}×", ""))
        lines.append(_row(f"{n}: workspace save / reopen", f"{r['workspace_save']:.2f} s / {r['workspace_reopen']:.3f} s",
                          "", "", "reopen < 1 s"))
        lines.append(_row(f"{n}: simulate + metrics, cold / warm",
                          f"{r['simulate_cold']:.2f} s / {r['simulate_warm']:.2f} s", f"{r['floor_simulate']:.2f} s",
                          f"{r['simulate_cold'] / r['floor_simulate']:.2f}× / {r['simulate_warm'] / r['floor_simulate']:.2f}×",
                          "≤ 1.5×"))
        if "whatif_prepare" in r:
            lines.append(_row(f"{n}: first what-if (prepares the rows sorted by domain, once per history)",
                              f"{r['whatif_prepare']:.2f} s", "", "", ""))
        lines.append(_row(f"{n}: one-entry what-if, p95 (worst: {r['whatif_worst_edit']})",
                          f"{r['whatif_p95'] * 1000:.0f} ms", "", "", "< 50 ms at 10M"))
        lines.append(_row(f"{n}: peak RSS", f"{r['peak_rss_gib']:.2f} GiB", "", "", "< 8 GiB at 100M"))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="1M rows, one run of each figure (under a minute)")
    group.add_argument("--full", action="store_true", help="also 100M rows")
    ap.add_argument("--sizes", help="comma-separated row counts (overrides the defaults)")
    ap.add_argument("--repeat", type=int, help="runs of each timed step; the best is kept (default 3, 1 with --quick)")
    ap.add_argument("--csv-max", type=int, default=10_000_000,
                    help="largest size at which the message-level CSV load is measured (default 10M)")
    ap.add_argument("--memory-limit", help="DuckDB's memory limit for every engine of the run, e.g. 5GB "
                    "(NEVERLOG_DUCKDB_MEMORY_LIMIT); larger tables spill to --temp-directory")
    ap.add_argument("--temp-directory", help="where DuckDB spills (NEVERLOG_DUCKDB_TEMP_DIRECTORY)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = ap.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    if args.memory_limit:
        os.environ["NEVERLOG_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    if args.temp_directory:
        os.environ["NEVERLOG_DUCKDB_TEMP_DIRECTORY"] = args.temp_directory
    if args.one:
        print(json.dumps(measure(args.one, repeat, args.csv_max)))
        return 0
    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    else:
        sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000, 50_000_000] + ([100_000_000] if args.full else [])
    limit = os.environ.get("NEVERLOG_DUCKDB_MEMORY_LIMIT", "DuckDB's default")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"memory limit: {limit}", flush=True)
    results = []
    for rows in sizes:
        # One process per size: its peak RSS is that size's alone.
        proc = subprocess.run([sys.executable, "-m", "benchmarks", "--one", str(rows), "--repeat", str(repeat),
                               "--csv-max", str(args.csv_max)],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        if proc.returncode:
            print(f"{rows:,} rows failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return 1
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"{rows:,} rows done (duckdb {results[-1]['duckdb']}, {results[-1]['threads']} threads)", flush=True)
    print(table(results))
    return 0
