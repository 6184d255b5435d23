"""export_lists: compaction to the cap, verified manifest, atomic and deterministic files (issue 5)."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from neverlog_sim import ExportError, NeverLogList, Policy, RulesError, build_sent  # noqa: E402
from neverlog_sim.export import compaction, writer as export  # noqa: E402
from neverlog_sim.export.compaction import choose_consolidations  # noqa: E402
from neverlog_sim.export import export_lists, neutralise  # noqa: E402
from neverlog_sim.rules import PROFILES  # noqa: E402

DATA = Path(__file__).parent / "data"


def sent_of(sends):
    """A history from ``(sender, "to addresses", channel)`` tuples, one message each."""
    df = pd.DataFrame([{"message_id": f"m{i}", "sent_at": f"2024-03-{1 + i % 28:02d}T10:00:00Z", "sender": s,
                        "channel": ch, "to": to, "cc": None, "bcc": None} for i, (s, to, ch) in enumerate(sends)])
    return build_sent(df, progress=False)


def listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def big():
    """1,800 wanted addresses, 6 in each of 300 domains; the history holds nobody else at those domains."""
    wanted = [f"u{j}@d{i:03d}.com" for i in range(300) for j in range(6)]
    sends = [(("ann@us.com", "bob@us.com")[k % 2], f"{a}, other{k % 40}@else{k % 7}.org", "extension")
             for k, a in enumerate(wanted)]
    return wanted, sent_of(sends)


@pytest.fixture()
def tradeoff():
    """Cap 3, seven entries: a.com (3 wanted, 1 other recipient), b.com (3 wanted, 2 others), c.com (1)."""
    wanted = ["x1@a.com", "x2@a.com", "x3@a.com", "y1@b.com", "y2@b.com", "y3@b.com", "z@c.com"]
    sends = [("ann@us.com", w, "extension") for w in wanted]
    sends += [("ann@us.com", "o1@a.com", "extension"), ("bob@us.com", "o2@b.com", "extension"),
              ("bob@us.com", "o3@b.com", "crm"), ("bob@us.com", "o3@b.com", "extension")]
    return wanted, sent_of(sends)


def test_1800_addresses_fit_with_zero_collateral(big, tmp_path):
    wanted, sent = big
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent)
    team = NeverLogList.from_file(tmp_path / "out" / "team.txt")
    rec = report.simulation.recipients
    assert (500, 0, True, True) == (len(team), report.manifest["collateral"]["recipient_count"], report.fits,
                                    bool(rec.loc[rec["recipient"].isin(wanted), "blocked_after"].all()))


def test_1800_addresses_take_the_fewest_consolidations(big, tmp_path):
    wanted, sent = big
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent)
    # 1,300 entries to save, 5 per domain: 260 domains, none more.
    assert (260, {"rows_blocked": 1800, "recipients_blocked": 1800, "rows_no_longer_blocked": 0,
                  "recipients_no_longer_blocked": 0}) == (len(report.consolidations), report.manifest["blocks"])


def test_cannot_fit_cuts_the_lowest_impact_entries(tmp_path):
    wanted = [f"a{i}@d{i}.com" for i in range(1, 9)]
    sent = sent_of([("ann@us.com", f"a{i}@d{i}.com", "extension") for i in range(1, 9) for _ in range(i)])
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=5)
    cut = [(c["entry"], c["rows"], c["recipients"]) for c in report.manifest["not_exported"]]
    assert [("a3@d3.com", 3, 1), ("a2@d2.com", 2, 1), ("a1@d1.com", 1, 1)] == cut


def test_cut_ties_break_by_recipients_then_entry_text(tmp_path):
    wanted = ["b@x1.com", "a@x2.com", "*@x3.com", "c@x4.com"]
    sent = sent_of([("ann@us.com", "b@x1.com", "extension"), ("ann@us.com", "a@x2.com", "extension"),
                    ("ann@us.com", "p@x3.com", "extension"), ("ann@us.com", "q@x3.com", "extension"),
                    ("ann@us.com", "c@x4.com", "extension"), ("ann@us.com", "c@x4.com", "extension")])
    # Cap 1: *@x3.com and c@x4.com block 2 rows each; *@x3.com reaches 2 recipients, c@x4.com one, so *@x3.com
    # stays; a@x2.com and b@x1.com tie on rows and recipients and are cut in entry-text order.
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=1)
    assert (["*@x3.com"], ["c@x4.com", "a@x2.com", "b@x1.com"]) == (
        (tmp_path / "out" / "team.txt").read_text("utf-8").split(), list(report.cut["entry"]))


def test_cut_csv_lists_every_cut_entry_with_its_impact(tmp_path):
    wanted = [f"a{i}@d{i}.com" for i in range(1, 5)]
    sent = sent_of([("ann@us.com", f"a{i}@d{i}.com", "extension") for i in range(1, 5) for _ in range(i)])
    export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=2)
    rows = pd.read_csv(tmp_path / "out" / "cut.csv")
    assert [["a2@d2.com", 2, 1], ["a1@d1.com", 1, 1]] == rows[["entry", "rows", "recipients"]].values.tolist()


@pytest.mark.parametrize("budget, before_cut, cut, collateral", [
    (0, 7, 4, []),
    (1, 5, 2, ["o1@a.com"]),
    (3, 3, 0, ["o1@a.com", "o2@b.com", "o3@b.com"]),
])
def test_max_collateral_trades_entries_for_named_recipients(tradeoff, tmp_path, budget, before_cut, cut, collateral):
    wanted, sent = tradeoff
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3, max_collateral=budget)
    counts = report.counts.iloc[0]
    named = [c["recipient"] for c in report.manifest["collateral"]["recipients"]]
    assert (before_cut, cut, collateral) == (counts["consolidated"], len(report.cut), named)


def test_collateral_rows_are_counted_and_verified(tradeoff, tmp_path):
    wanted, sent = tradeoff
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3, max_collateral=3)
    assert ({"recipient_count": 3, "rows": 4},
            [("*@a.com", ["o1@a.com"], 1), ("*@b.com", ["o2@b.com", "o3@b.com"], 3)]) == (
        {k: report.manifest["collateral"][k] for k in ("recipient_count", "rows")},
        [(c["entry"], [r["recipient"] for r in c["collateral_recipients"]], c["collateral_rows"])
         for c in report.manifest["consolidations"]])


def test_consolidation_records_the_address_entries_it_replaced(tradeoff, tmp_path):
    wanted, sent = tradeoff
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=5, max_collateral=1)
    c = report.manifest["consolidations"][0]
    assert ("*@a.com", ["x1@a.com", "x2@a.com", "x3@a.com"], 2, "exported") == (
        c["entry"], c["replaced"], c["saves"], c["status"])


def test_personal_consolidation_counts_only_the_owners_sends(tmp_path):
    sent = sent_of([("ann@us.com", "a1@x.com", "extension"), ("ann@us.com", "a2@x.com", "extension"),
                    ("bob@us.com", "stranger@x.com", "extension")])
    wanted = Policy(personal={"ann@us.com": ["a1@x.com", "a2@x.com"]})
    report = export_lists(wanted, tmp_path / "out", sent=sent, cap=1)
    c = report.manifest["consolidations"][0]
    assert (("personal", "ann@us.com", "*@x.com", []), b"*@x.com\n") == (
        (c["list"], c["owner"], c["entry"], c["collateral_recipients"]),
        (tmp_path / "out" / "personal" / "ann@us.com.txt").read_bytes())


def test_collateral_budget_is_shared_team_list_first(tmp_path):
    sent = sent_of([("ann@us.com", "o1@t.com", "extension"), ("ann@us.com", "o2@p.com", "extension")])
    wanted = Policy(team=["a@t.com", "b@t.com"], personal={"ann@us.com": ["a@p.com", "b@p.com"]})
    report = export_lists(wanted, tmp_path / "out", sent=sent, cap=1, max_collateral=1)
    assert (["*@t.com"], ["b@p.com"]) == (list(report.consolidations["entry"]), list(report.cut["entry"]))


def test_wanted_can_be_list_files_and_folders(tmp_path):
    (tmp_path / "more.txt").write_text("extra@y.com\nx1@a.com\n")
    report = export_lists([DATA / "export_wanted", str(tmp_path / "more.txt")], tmp_path / "out")
    assert ({"wanted": 8, "normalised": 6, "consolidated": 6, "moved": 6, "exported": 6}, ["ann@us.com"]) == (
        report.manifest["lists"][0]["counts"], list(report.policy.personal))


def test_files_read_back_as_the_exported_lists(tmp_path):
    sent = sent_of([("ann@us.com", "a@x.com", "extension"), ("bob@us.com", "b@y.com", "extension")])
    wanted = Policy(team=["a@x.com", "*@z.com"], personal={"bob@us.com": ["b@y.com", "c@y.com"]})
    report = export_lists(wanted, tmp_path / "out", sent=sent)
    back = Policy.from_dir(tmp_path / "out")
    assert ([str(e) for e in report.policy.team], {o: [str(e) for e in l] for o, l in report.policy.personal.items()}) == (
        [str(e) for e in back.team], {o: [str(e) for e in l] for o, l in back.personal.items()})


def test_files_are_sorted_lf_and_only_entries(tmp_path):
    export_lists(Policy(team=["B@x.com", "*@Z.com", "a@x.com"]), tmp_path / "out")
    assert b"*@z.com\na@x.com\nb@x.com\n" == (tmp_path / "out" / "team.txt").read_bytes()


def test_two_runs_give_identical_bytes(tradeoff, tmp_path):
    wanted, sent = tradeoff
    for name in ("one", "two"):
        export_lists(Policy(team=wanted), tmp_path / name, sent=sent, cap=3, max_collateral=1)
    assert listing(tmp_path / "one") == listing(tmp_path / "two")


def test_manifest_checksums_match_the_files(tradeoff, tmp_path):
    import hashlib
    wanted, sent = tradeoff
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3)
    assert {f["file"]: f["sha256"] for f in report.manifest["files"]} == {
        name: hashlib.sha256(data).hexdigest() for name, data in listing(tmp_path / "out").items()
        if name != "manifest.json"}


def test_manifest_states_span_rules_and_cap(tradeoff, tmp_path):
    wanted, sent = tradeoff
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3, rules="2025")
    m = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    assert ("2024-03-01T10:00:00", "2024-03-11T10:00:00", "2025", 3) == (
        m["source"]["first_sent_at"], m["source"]["last_sent_at"], m["rules"]["profile"], m["cap"])
    assert report.manifest == {k: v for k, v in m.items()}


def test_failure_half_way_leaves_no_file_and_no_folder(tradeoff, tmp_path, monkeypatch):
    wanted, sent = tradeoff
    real, calls = export._write_bytes, []

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(export, "_write_bytes", flaky)
    with pytest.raises(ExportError, match="disk full; nothing was written"):
        export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3)
    assert [] == list(tmp_path.iterdir())


def test_verification_mismatch_raises_and_leaves_nothing(tradeoff, tmp_path, monkeypatch):
    wanted, sent = tradeoff
    real = compaction.History.claims

    def wrong(self, final):
        claims = real(self, final)
        return {**claims, "rows_blocked": claims["rows_blocked"] + 1}

    monkeypatch.setattr(compaction.History, "claims", wrong)
    with pytest.raises(ExportError, match="rows_blocked: manifest says 4, simulation says 3"):
        export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3)
    assert [] == list(tmp_path.iterdir())


def test_existing_export_is_not_overwritten(tmp_path):
    export_lists(Policy(team=["a@x.com"]), tmp_path / "out")
    with pytest.raises(ExportError) as exc:
        export_lists(Policy(team=["b@x.com"]), tmp_path / "out")
    assert (f"{str(tmp_path / 'out')!r} already exists; pass overwrite=True (--overwrite) to replace it",
            b"a@x.com\n") == (str(exc.value), (tmp_path / "out" / "team.txt").read_bytes())


def test_overwrite_replaces_an_earlier_export(tmp_path):
    export_lists(Policy(team=["a@x.com"], personal={"ann@us.com": ["p@y.com"]}), tmp_path / "out")
    export_lists(Policy(team=["b@x.com"]), tmp_path / "out", overwrite=True)
    assert (["manifest.json", "team.txt"], ["out"]) == (
        sorted(listing(tmp_path / "out")), [p.name for p in tmp_path.iterdir()])


def test_overwrite_refuses_a_folder_that_is_not_an_export(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="is not an earlier export"):
        export_lists(Policy(team=["a@x.com"]), tmp_path / "out", overwrite=True)


def test_entry_only_one_user_hits_moves_to_that_users_personal_list(tmp_path):
    sent = sent_of([("ann@us.com", "a@x.com", "extension"), ("ann@us.com", "a@x.com", "crm"),
                    ("bob@us.com", "b@y.com", "extension"), ("ann@us.com", "b@y.com", "extension"),
                    ("bob@us.com", "c@z.com", "extension"), ("ann@us.com", "c@z.com", "extension")])
    report = export_lists(Policy(team=["a@x.com", "b@y.com", "c@z.com"]), tmp_path / "out", sent=sent, cap=2,
                          allow_personal=True)
    move = report.manifest["personal_moves"][0]
    assert (("a@x.com", "ann@us.com", 2, "no longer covers other users' future sends"), b"a@x.com\n", True, 0) == (
        (move["entry"], move["to"], move["rows"], move["note"]),
        (tmp_path / "out" / "personal" / "ann@us.com.txt").read_bytes(), report.fits,
        report.manifest["blocks"]["rows_no_longer_blocked"])


def test_personal_move_respects_the_personal_lists_cap(tmp_path):
    sent = sent_of([("ann@us.com", "a@x.com", "extension"), ("bob@us.com", "b@y.com", "extension"),
                    ("ann@us.com", "b@y.com", "extension")])
    wanted = Policy(team=["a@x.com", "b@y.com"], personal={"ann@us.com": ["p@q.com"]})
    report = export_lists(wanted, tmp_path / "out", sent=sent, cap=1, allow_personal=True)
    assert ([], ["a@x.com"]) == (report.manifest["personal_moves"], list(report.cut["entry"]))


def test_normalise_step_reports_duplicates_and_redundant_entries(tmp_path):
    report = export_lists(Policy(team=["a@x.com", "A@X.com", "*@x.com", "b@y.com"]), tmp_path / "out")
    step = report.manifest["steps"][0]
    assert ([{"list": "team", "owner": "", "entry": "a@x.com", "dropped": 1}],
            [{"list": "team", "owner": "", "entry": "a@x.com", "covered_by": "*@x.com"}],
            {"wanted": 4, "normalised": 2, "consolidated": 2, "moved": 2, "exported": 2}) == (
        step["duplicates_removed"], step["redundant_removed"], report.manifest["lists"][0]["counts"])


def test_without_history_the_cut_keeps_sorted_order_and_says_why(tmp_path):
    report = export_lists(Policy(team=["c@x.com", "a@x.com", "b@x.com"]), tmp_path / "out", cap=2)
    assert (["c@x.com"], True) == (list(report.cut["entry"]), "impact is unknown" in report.manifest["steps"][3]["reason"])


@pytest.mark.parametrize("value, expected", [
    ("=cmd@evil.com", "'=cmd@evil.com"), ("+a@x.com", "'+a@x.com"), ("-a@x.com", "'-a@x.com"),
    ("@x", "'@x"), ("a@x.com", "a@x.com"), (3, "3"), (None, ""),
])
def test_neutralise_formula_cells(value, expected):
    assert expected == neutralise(value)


def test_cut_csv_neutralises_formula_entries(tmp_path):
    export_lists(Policy(team=["=cmd@evil.com", "*@a.com"]), tmp_path / "out", cap=1)
    assert ("list,owner,entry,rows,recipients,rank,reason\n"
            "team,,'=cmd@evil.com,0,0,2,rank 2 in sorted order (no history) in its list; the cap is 1\n") == (
        (tmp_path / "out" / "cut.csv").read_text("utf-8"))


def test_unsafe_owner_name_is_refused(tmp_path):
    with pytest.raises(ExportError, match="cannot be a file name"):
        export_lists(Policy(personal={"a/b@us.com": ["x@y.com"]}), tmp_path / "out")


def test_subdomain_rules_are_refused(tmp_path):
    with pytest.raises(RulesError, match="exact-domain matching"):
        export_lists(Policy(team=["a@x.com"]), tmp_path / "out", rules=PROFILES["seed-2023"].replace(subdomains=True))


def test_cap_must_be_a_positive_integer(tmp_path):
    with pytest.raises(ValueError, match="'cap' must be an integer ≥ 1, got 0"):
        export_lists(Policy(team=["a@x.com"]), tmp_path / "out", cap=0)


# --- the consolidation choice ---------------------------------------------------------------------------

def brute_force(items: pd.DataFrame, needed: int, budget: int) -> tuple:
    """The best (saved, -collateral, -rows, -count) over every subset, saves capped at ``needed``."""
    best = None
    recs = list(items.itertuples(index=False))
    for k in range(len(recs) + 1):
        for combo in itertools.combinations(recs, k):
            c = sum(r.collateral for r in combo)
            if c > budget:
                continue
            key = (min(needed, sum(r.saves for r in combo)), -c, -sum(r.rows for r in combo), -k)
            best = key if best is None or key > best else best
    return best


def score(items: pd.DataFrame, chosen: list[str], needed: int) -> tuple:
    sel = items[items["domain"].isin(chosen)]
    return (min(needed, int(sel["saves"].sum())), -int(sel["collateral"].sum()), -int(sel["rows"].sum()), -len(sel))


def random_items(seed: int) -> tuple[pd.DataFrame, int, int]:
    rng = random.Random(seed)
    n = rng.randint(1, 8)
    items = pd.DataFrame({"domain": [f"d{i}.com" for i in range(n)],
                          "saves": [rng.randint(1, 6) for _ in range(n)],
                          "collateral": [rng.choice([0, 0, 1, 2, 3, 5]) for _ in range(n)],
                          "rows": [0] * n})
    items["rows"] = [c * rng.randint(1, 4) for c in items["collateral"]]
    return items, rng.randint(1, 20), rng.randint(0, 8)


@pytest.mark.parametrize("seed", range(300))
def test_choose_consolidations_is_optimal_against_brute_force(seed):
    items, needed, budget = random_items(seed)
    chosen, info = choose_consolidations(items, needed, budget)
    assert (brute_force(items, needed, budget), True) == (score(items, chosen, needed), info["optimal"])


@pytest.mark.parametrize("seed", range(100))
def test_reduced_dp_is_optimal_for_collateral_and_rows(seed, monkeypatch):
    items, needed, budget = random_items(seed)
    pos = int((items["collateral"] > 0).sum())
    monkeypatch.setattr(compaction, "DP_CELLS", max(0, len(items) * (needed + 1) - 1) if pos < len(items) else 10**9)
    chosen, _ = choose_consolidations(items, needed, budget)
    assert brute_force(items, needed, budget)[:3] == score(items, chosen, needed)[:3]


@pytest.mark.parametrize("seed", range(100))
def test_greedy_fallback_stays_within_budget_and_above_its_lower_bound(seed, monkeypatch):
    items, needed, budget = random_items(seed)
    monkeypatch.setattr(compaction, "DP_CELLS", 0)
    chosen, info = choose_consolidations(items, needed, budget)
    sel = items[items["domain"].isin(chosen)]
    bound = info.get("collateral_lower_bound")
    reached = sel["saves"].sum() >= needed
    assert (True, True) == (int(sel["collateral"].sum()) <= budget,
                            not reached or bound is None or bound <= int(sel["collateral"].sum()))


def test_zero_collateral_domains_are_taken_largest_first():
    items = pd.DataFrame({"domain": ["a.com", "b.com", "c.com"], "saves": [2, 5, 3], "collateral": [0, 0, 0],
                          "rows": [0, 0, 0]})
    assert ["b.com", "c.com"] == choose_consolidations(items, 7, 0)[0]


# --- the report and the command line --------------------------------------------------------------------

def test_plot_shows_kept_and_cut_in_two_colours_with_the_cap(tmp_path):
    wanted = [f"a{i}@d{i}.com" for i in range(1, 6)]
    sent = sent_of([("ann@us.com", f"a{i}@d{i}.com", "extension") for i in range(1, 6) for _ in range(i)])
    fig = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3).plot()
    ax = fig.axes[0]
    assert (["kept (3)", "cut (2)", "cap 3"], [5, 4, 3, 2, 1]) == (
        [t.get_text() for t in ax.get_legend().get_texts()], [p.get_height() for p in ax.patches])


def test_repr_and_html_name_counts_and_cuts(tradeoff, tmp_path):
    wanted, sent = tradeoff
    report = export_lists(Policy(team=wanted), tmp_path / "out", sent=sent, cap=3)
    assert (True, True, True) == ("team: wanted 7 → normalised 7 → consolidated 7 → exported 3" in repr(report),
                                  "Not exported" in report._repr_html_(), "y1@b.com" in report._repr_html_())


def test_to_dict_is_the_manifest_with_the_folder(tmp_path):
    report = export_lists(Policy(team=["a@x.com"]), tmp_path / "out")
    assert {"out_dir": str(tmp_path / "out"), **report.manifest} == report.to_dict()


def run_cli(argv: list[str]) -> int:
    from neverlog_sim.cli import main
    return main(argv)


@pytest.mark.parametrize("extra, code, cut", [([], 1, 2), (["--max-collateral", "1"], 0, 0)])
def test_cli_export_exit_code_says_whether_everything_fits(tmp_path, capsys, extra, code, cut):
    argv = ["export", str(DATA / "export_wanted"), "--sent", str(DATA / "export_sent.csv"), "--out",
            str(tmp_path / "out"), "--cap", "3", "--json", *extra]
    result = run_cli(argv)
    printed = json.loads(capsys.readouterr().out)
    assert (code, cut, ["p1@d.com"]) == (result, len(printed["not_exported"]),
                                        [str(e) for e in NeverLogList.from_file(
                                            tmp_path / "out" / "personal" / "ann@us.com.txt", "personal", "ann@us.com")])


def test_cli_export_bad_input_exits_2(tmp_path, capsys):
    result = run_cli(["export", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "out")])
    assert (2, True) == (result, capsys.readouterr().err.startswith("neverlog-sim: "))


@pytest.mark.parametrize("seed", range(12))
def test_random_policies_export_within_cap_and_budget_and_verify(seed, tmp_path):
    rng = random.Random(seed)
    domains = [f"d{i}.com" for i in range(rng.randint(1, 5))]
    addresses = [f"u{j}@{d}" for d in domains for j in range(rng.randint(1, 4))]
    senders = ["ann@us.com", "bob@us.com"]
    sent = sent_of([(rng.choice(senders), ", ".join(rng.sample(addresses, rng.randint(1, min(3, len(addresses))))),
                     rng.choice(["extension", "crm", "team_inbox", "integration"])) for _ in range(rng.randint(1, 25))])
    pick = lambda: rng.sample(addresses, rng.randint(0, len(addresses)))  # noqa: E731
    wanted = Policy(team=pick(), personal={s: pick() for s in senders if rng.random() < 0.5})
    budget, cap = rng.randint(0, 3), rng.randint(1, 5)
    report = export_lists(wanted, tmp_path / "out", sent=sent, cap=cap, max_collateral=budget,
                          allow_personal=rng.random() < 0.5)
    assert (True, True) == (report.manifest["collateral"]["recipient_count"] <= budget,
                            all(len(lst) <= cap for lst in report.policy.lists))
