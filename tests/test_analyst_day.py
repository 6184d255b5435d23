"""Issue 11, "the analyst's whole day": a report that hides nothing and results to take away.

A small history with a reply received (inbound), so "by sender" can be checked to count only the
company's users; the lists are built in Python (no line numbers) and from text (line numbers).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from neverlog_sim import (EntryError, InputError, NeverLogList, Policy, Scenario, build_sent, get_rules,
                          read_scenario, simulate)
from neverlog_sim.lists import TEAM_OWNER

MESSAGES = pd.DataFrame({
    "message_id": ["m1", "m2", "m3", "m4", "m5", "m6"],
    "sent_at": ["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00", "2024-01-04 10:00",
                "2024-01-05 10:00", "2024-01-06 10:00"],
    "sender": ["ann@us.com", "ann@us.com", "bob@us.com", "jo@gmail.com", "bob@us.com", "ann@us.com"],
    "channel": ["extension"] * 6,
    "to": ["jo@gmail.com", "=cmd@gmail.com", "kim@yahoo.com", "ann@us.com", "jo@gmail.com, lee@acme.com",
           "lee@acme.com"],
    "cc": [""] * 6, "bcc": [""] * 6,
    "direction": ["outbound", "outbound", "outbound", "inbound", "outbound", "outbound"],
})


@pytest.fixture(scope="module")
def sent():
    return build_sent(MESSAGES, progress=False, source="day.csv")


@pytest.fixture(scope="module")
def policy():
    return Policy(team=["*@gmail.com", "*@yahoo.com", "jo@gmail.com"], personal={"ann@us.com": ["lee@acme.com"]})


@pytest.fixture(scope="module")
def result(sent, policy):
    return simulate(sent, policy)


# --- the report hides nothing ---------------------------------------------------------------------------

def test_by_sender_counts_only_the_users_outbound_rows(result):
    rows = {u["sender"]: u["rows"] for u in result.report()["details"]["by_user"]}
    # jo@gmail.com only replied (inbound): not a user, not a sender here.
    assert {"ann@us.com": 3, "bob@us.com": 3} == rows


def test_recipients_keep_direction_and_log_enabled(result):
    r = result.recipients
    assert (True, True, ["inbound"]) == ("direction" in r, "log_enabled" in r,
                                        r.loc[r["sender"] == "jo@gmail.com", "direction"].tolist())


def test_top_entries_say_how_many_are_shown_of_how_many_and_where_the_rest_is(sent):
    many = Policy(team=[f"*@d{n}.com" for n in range(12)] + ["*@gmail.com", "*@yahoo.com", "*@acme.com"])
    rep = simulate(sent, many).report()
    html, md = _render(rep)
    assert ("3 of 3 shown", "3 of 3 shown", "12 of 12 shown") == (
        _caption_after(html, "Top entries by impact"), _md_note_after(md, "## Top entries by impact"),
        _caption_after(html, "Dead entries"))


def test_a_cut_table_names_where_the_rest_is(sent):
    rep = simulate(sent, Policy(team=[f"*@d{n}.com" for n in range(60)])).report()
    html, md = _render(rep)
    import html as html_module
    assert ("50 of 60 shown; all 60: result.entries.query('dead')", True) == (
        html_module.unescape(_caption_after(html, "Dead entries")), "<summary>show all 60</summary>" in html)


def _render(rep):
    from neverlog_sim.report import render_html, render_markdown
    return render_html(rep, charts=False), render_markdown(rep)


def _caption_after(html: str, heading: str) -> str:
    part = html.split(heading, 1)[1]
    return part.split("<caption>", 1)[1].split("</caption>", 1)[0]


def _md_note_after(md: str, heading: str) -> str:
    part = md.split(heading, 1)[1]
    return part.split("\n_", 1)[1].split("_\n", 1)[0]


def test_cap_and_validity_are_two_verdicts(sent):
    with_invalid = Policy(team=NeverLogList.from_text("*@gmail.com\n*@yahoo,com\n", on_invalid="collect"))
    m = simulate(sent, with_invalid).metrics()
    from neverlog_sim.report.render import cap_and_validity
    assert ((True, 1, False), ("every list is within the cap", "1 invalid line (left out of the simulation)")) == (
        (m["lists_within_cap"], m["invalid_entries"], m["lists_compliant"]),
        cap_and_validity({"lists_within_cap": m["lists_within_cap"], "invalid_entries": m["invalid_entries"]}))


def test_preview_numbers_give_the_two_verdicts(sent):
    from neverlog_sim.widgets import preview
    app = preview(sent, team="*@gmail.com\nj*@acme.com", debounce=0)
    assert (True, True, False) == ("lists within the cap</td><td style='text-align:right'><b>yes" in app.numbers.value,
                                   "invalid lines</td><td style='text-align:right'><b>1 (left out of the preview)"
                                   in app.numbers.value, "fit the cap" in app.numbers.value)


def test_lists_built_in_python_never_say_line_none():
    lst = NeverLogList(["jo@acme.com", "*@acme.com", "jo@acme.com"])
    html = lst._repr_html_()
    assert (False, True, True) == ("None" in html, "jo@acme.com (repeats an earlier entry)" in html,
                                   "jo@acme.com is covered by *@acme.com" in html)


def test_preview_messages_for_python_lists_never_say_line_none(sent):
    from neverlog_sim.widgets import preview
    app = preview(sent, team=["*@gmail.com", "jo@gmail.com", "*@gmail.com"], debounce=0)
    assert (False, True) == ("line None" in app.messages.value, "line 3: *@gmail.com (first on line 1)"
                             in app.messages.value)


def test_the_team_lists_owner_is_the_empty_string_in_every_table(result, policy):
    from neverlog_sim.takeaway import affected_contacts  # noqa: F401 (same tables the workbook takes)
    rep = result.report()
    owners = {
        "entries": set(result.entries.loc[result.entries["list"] == "team", "owner"]),
        "list frame": set(policy.team.to_frame()["owner"]),
        "entries frame": set(policy.entries_frame().query("list == 'team'")["owner"]),
        "report lists": {x["owner"] for x in rep["headline"]["lists"] if x["list"] == "team"},
        "report entries": {x["owner"] for x in rep["details"]["entries"] if x["list"] == "team"},
        "summary": {policy.team.summary()["owner"]},
    }
    assert {k: {TEAM_OWNER} for k in owners} == owners


def test_the_team_owner_convention_is_the_empty_string():
    assert "" == TEAM_OWNER


def test_report_source_says_bundled_sample_for_the_sample_wherever_it_lives(tmp_path, monkeypatch):
    from neverlog_sim.samples.where import BUNDLED_DIR, sample_label
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    cached = cache / "neverlog-sim" / "samples-0.1.0-7" / "sent_canonical.csv"
    assert ["bundled sample (sent_canonical.csv)", "bundled sample (sent_canonical.csv)", None] == [
        sample_label(BUNDLED_DIR / "sent_canonical.csv"), sample_label(cached), sample_label(tmp_path / "mine.csv")]


def test_report_has_collapsible_drilldowns_for_the_top_entries(result):
    from neverlog_sim.report import render_html
    html = render_html(result.report(), charts=False)
    # jo@gmail.com (a team address) is responsible before *@gmail.com: the domain alone blocks =cmd@gmail.com.
    assert (True, True) == ("<details><summary><code>*@gmail.com</code> (team): alone blocks 1 recipient row to "
                            "1 recipient from 1 sender</summary>" in html,
                            "<details><summary><code>jo@gmail.com</code> (team): alone blocks 0 recipient rows"
                            in html)


def test_export_plot_is_a_chart_figure_without_pyplot(sent, tmp_path):
    from neverlog_sim import export_lists
    from neverlog_sim.report.charts import ChartFigure
    fig = export_lists(Policy(team=["*@gmail.com", "*@yahoo.com"]), tmp_path / "out", sent=sent).plot()
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert (True, [], True) == (isinstance(fig, ChartFigure), pyplot.get_fignums() if pyplot else [],
                                fig._repr_svg_().startswith("<svg"))


def test_export_report_lists_say_n_of_m(sent, tmp_path):
    from neverlog_sim import export_lists
    report = export_lists(Policy(team=["*@gmail.com", "*@yahoo.com"]), tmp_path / "out", sent=sent)
    assert "1 of 1 shown" in report._repr_html_()


# --- the live preview in a rendered notebook ------------------------------------------------------------

def test_preview_mimebundle_carries_a_static_snapshot_of_the_state_shown(sent):
    from neverlog_sim.widgets import preview
    app = preview(sent, team="*@gmail.com", debounce=0)
    bundle = app._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    html = data["text/html"]
    assert (True, True, True, True) == ("application/vnd.jupyter.widget-view+json" in data,
                                        "a static snapshot" in html, app.numbers.value in html,
                                        "What the candidate Never Log lists would change" in html)


def test_preview_export_error_keeps_its_lines_apart(sent, tmp_path):
    from neverlog_sim.widgets import preview
    app = preview(sent, team="*@gmail.com", debounce=0)
    blocker = tmp_path / "taken"
    blocker.mkdir()
    (blocker / "something.txt").write_text("x", encoding="utf-8")
    with pytest.raises(Exception) as info:
        app.export(blocker, overwrite=False)
    lines = str(info.value).splitlines()
    assert "<br>".join(__import__("html").escape(x) for x in lines) in app.status.value


# --- the comma typo -------------------------------------------------------------------------------------

def test_a_comma_typed_for_a_dot_gets_a_hint():
    with pytest.raises(EntryError) as info:
        NeverLogList.from_text("*@yahoo,com\n")
    p = info.value.problems[0]
    assert ("*@yahoo,com", "*@yahoo.com", 1) == (p.text, p.hint, p.line)


def test_lenient_fixes_a_comma_typed_for_a_dot():
    lst = NeverLogList.from_text("*@yahoo,com\nok@x.com, jo@y.com\n", lenient=True)
    assert (["*@yahoo.com", "jo@y.com", "ok@x.com"], [], 1) == (sorted(str(e) for e in lst), lst.problems,
                                                                len(lst.fixes))


# --- results to take away -------------------------------------------------------------------------------

def test_to_excel_opens_back_with_openpyxl_one_sheet_per_table(result, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = result.to_excel(tmp_path / "impact.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    sheets = book.sheetnames
    contacts = list(book["affected_contacts"].iter_rows(values_only=True))
    summary = list(book["summary"].iter_rows(values_only=True))
    assert (["README", "summary", "affected_contacts", "contacts", "timeline", "feed", "entries", "recipients"],
            ("contact", "change", "responsible_entry", "responsible_list", "timeline_before", "timeline_after",
             "created_at_before", "created_at_after"),
            ("metric", "baseline", "candidate", "change"), len(result.summary()) + 1) == (
        sheets, contacts[0], summary[0], len(summary))


def test_to_excel_neutralises_formulas_and_names_the_responsible_entry(result, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(result.to_excel(tmp_path / "impact.xlsx"), read_only=True)
    rows = {r[0]: r for r in book["affected_contacts"].iter_rows(values_only=True)}
    assert ("'=cmd@gmail.com", "*@gmail.com", "team") == (
        rows["'=cmd@gmail.com"][0], rows["'=cmd@gmail.com"][2], rows["'=cmd@gmail.com"][3])


def test_to_excel_without_openpyxl_says_which_extra_to_install(result, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    from neverlog_sim.takeaway import MissingExtraError
    with pytest.raises(MissingExtraError) as info:
        result.to_excel(tmp_path / "x.xlsx")
    assert ("pip install 'neverlog-sim[excel]'" in str(info.value), (tmp_path / "x.xlsx").exists()) == (True, False)


def test_to_excel_wants_an_xlsx_path(result, tmp_path):
    with pytest.raises(InputError):
        result.to_excel(tmp_path / "impact.xls")


def test_to_csv_writes_every_table_formula_safe_and_no_temp_files(result, tmp_path):
    paths = result.to_csv(tmp_path / "tables")
    affected = pd.read_csv(paths["affected_contacts"])
    leftovers = [p.name for p in (tmp_path / "tables").iterdir() if p.name.startswith(".")]
    assert (["summary", "affected_contacts", "contacts", "timeline", "feed", "entries", "recipients"],
            ["'=cmd@gmail.com", "jo@gmail.com", "kim@yahoo.com", "lee@acme.com"], []) == (
        list(paths), sorted(affected["contact"]), leftovers)


def test_entry_drilldown_is_what_the_entry_alone_changes(result):
    d = result.entry("*@GMAIL.com")
    # jo@gmail.com is on the team list twice (address and domain): only =cmd@gmail.com rows are the domain's alone.
    assert ("*@gmail.com", ["=cmd@gmail.com"], ["ann@us.com"], 1) == (
        d.entry, d.recipients["recipient"].tolist(), d.senders["sender"].tolist(), len(d.timeline))


def test_entry_drilldown_of_an_unknown_entry_says_where_to_look(result):
    with pytest.raises(InputError) as info:
        result.entry("*@nowhere.com")
    assert "result.entries lists them" in str(info.value)


@pytest.mark.parametrize("name", ["recipients", "contacts", "timeline", "entries"])
def test_relation_has_the_rows_of_the_pandas_table(result, name):
    rel = result.relation(name)
    assert len(getattr(result, name)) == rel.aggregate("count(*)").fetchall()[0][0]


def test_relation_filters_in_duckdb(result):
    blocked = result.relation("recipients").filter("blocked_after").aggregate("count(*)").fetchall()[0][0]
    assert result.metrics()["blocked_rows_after"] == blocked


def test_relation_of_an_unknown_table_names_the_choices(result):
    with pytest.raises(ValueError) as info:
        result.relation("people")
    assert "['recipients', 'contacts', 'timeline', 'feed', 'entries']" in str(info.value)


# --- scenarios ------------------------------------------------------------------------------------------

def test_policy_to_dir_is_what_from_dir_reads(policy, tmp_path):
    folder = policy.to_dir(tmp_path / "lists")
    back = Policy.from_dir(folder)
    assert (policy.to_dict(), sorted(p.name for p in (folder / "personal").iterdir())) == (
        back.to_dict(), ["ann@us.com.txt"])


def test_policy_to_dir_refuses_a_full_folder_without_overwrite(policy, tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError):
        policy.to_dir(tmp_path / "lists")


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_scenario_file_round_trips(policy, tmp_path, suffix):
    scenario = Scenario(candidate=policy, rules=get_rules("2025").replace(roles={"to", "cc"}), name="Q3")
    back = read_scenario(scenario.save(tmp_path / f"q3{suffix}"))
    assert (scenario.to_dict(), {"roles": ["cc", "to"]}, "2025") == (back.to_dict(), back.assumptions(),
                                                                    back.to_dict()["rules"])


def test_scenario_toml_with_a_folder_beside_it(policy, tmp_path, sent):
    policy.to_dir(tmp_path / "lists")
    (tmp_path / "s.toml").write_text('name = "folder"\nrules = "seed-2023"\n[candidate]\nfolder = "lists"\n'
                                     'team = ["*@acme.com"]\n', encoding="utf-8")
    scenario = read_scenario(tmp_path / "s.toml")
    assert (["*@acme.com", "*@gmail.com", "*@yahoo.com", "jo@gmail.com"], ["lee@acme.com"]) == (
        scenario.to_dict()["candidate"]["team"], scenario.to_dict()["candidate"]["personal"]["ann@us.com"])


def test_simulate_with_a_scenario_records_it_in_the_report(policy, sent, tmp_path):
    path = Scenario(candidate=policy, name="Q3").save(tmp_path / "q3.json")
    result = simulate(sent, scenario=path)
    rep = result.report()
    assert ({"name": "Q3", "source": str(path), "rules": "seed-2023", "assumptions": {}, "candidate_entries": 4,
             "baseline_entries": 0}, True, simulate(sent, policy).metrics()) == (
        rep["scenario"], "Scenario <b>Q3</b>" in result.to_html(), result.metrics())


def test_simulate_with_a_scenario_and_lists_is_an_error(policy, sent, tmp_path):
    path = Scenario(candidate=policy).save(tmp_path / "q.json")
    with pytest.raises(InputError) as info:
        simulate(sent, policy, scenario=path)
    assert "leave out candidate" in str(info.value)


@pytest.mark.parametrize("text, message", [
    ('{"candidate": {"team": []}, "colour": 1}', "unknown key(s) ['colour']"),
    ('{"candidate": {"team": []}, "rules": "2024"}', "rules = '2024' is not a profile"),
    ('{"candidate": {"team": []}, "assumptions": {"subdomain": true}}', "assumptions.subdomain is not an assumption"),
    ('{"candidate": {"team": []}, "assumptions": {"subdomains": "yes"}}', "assumptions.subdomains must be a true/false"),
    ('{"rules": "2025"}', "no [candidate] table"),
    ('{"candidate": {"team": ["acme.com"]}}', "did you mean '*@acme.com'"),
    ('{"candidate": ', "not valid JSON"),
])
def test_a_bad_scenario_file_says_what_and_where(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        read_scenario(path)
    assert (True, True) == (message in str(info.value), str(path) in str(info.value))


def test_cli_simulate_scenario_xlsx_and_csv_dir(policy, sent, tmp_path, capsys):
    pytest.importorskip("openpyxl")
    from neverlog_sim.cli import main
    csv = tmp_path / "sent.csv"
    MESSAGES.to_csv(csv, index=False)
    path = Scenario(candidate=policy, name="Q3").save(tmp_path / "q3.toml")
    code = main(["simulate", "--sent", str(csv), "--scenario", str(path), "--xlsx", str(tmp_path / "r.xlsx"),
                 "--csv-dir", str(tmp_path / "tables"), "--json", "--quiet"])
    report = json.loads(capsys.readouterr().out)
    assert (0, "Q3", True, True) == (code, report["scenario"]["name"], (tmp_path / "r.xlsx").is_file(),
                                     (tmp_path / "tables" / "affected_contacts.csv").is_file())


def test_cli_validate_fix_writes_the_lenient_list_atomically(tmp_path, capsys):
    from neverlog_sim.cli import main
    src = tmp_path / "team.txt"
    src.write_text("acme.com\n*@yahoo,com\nok@x.com\njo*@x.com\n", encoding="utf-8")
    code = main(["validate", str(src), "--fix", str(tmp_path / "fixed.txt")])
    err = capsys.readouterr().err
    assert (1, "*@acme.com\n*@yahoo.com\nok@x.com\n", [], True) == (
        code, (tmp_path / "fixed.txt").read_text(encoding="utf-8"),
        [p.name for p in tmp_path.iterdir() if p.name.startswith(".")],
        "1 invalid line left out (no hint fixes them)" in err)


def test_cli_validate_fix_takes_one_file(tmp_path, capsys):
    from neverlog_sim.cli import main
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("*@x.com\n", encoding="utf-8")
    b.write_text("*@y.com\n", encoding="utf-8")
    assert 2 == main(["validate", str(a), str(b), "--fix", str(tmp_path / "out.txt")])


def test_public_names_have_a_docstring_with_an_example_and_typed_signatures():
    import inspect

    import neverlog_sim
    missing_example, missing_hints = [], []
    for name in neverlog_sim.__all__:
        obj = getattr(neverlog_sim, name)
        if isinstance(obj, (int, dict)):
            continue  # CAP and PROFILES: documented in their modules
        if ">>>" not in (inspect.getdoc(obj) or ""):
            missing_example.append(name)
        fn = obj.__init__ if isinstance(obj, type) else obj
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            continue
        if any(p.annotation is inspect.Parameter.empty for n, p in sig.parameters.items()
               if n not in ("self", "args", "kwargs", "loader_options")):
            missing_hints.append(name)
    assert ([], []) == (missing_example, missing_hints)


def test_the_package_ships_py_typed():
    import neverlog_sim
    assert (Path(neverlog_sim.__file__).parent / "py.typed").is_file()


def test_a_rendered_notebook_shows_the_previews_static_snapshot(sent):
    # nbconvert (and GitHub) render a widget only with its saved state; JupyterLab does not save it by
    # default, so the preview's cell falls back to the snapshot it carries as text/html.
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    from neverlog_sim.widgets import preview
    app = preview(sent, team="*@gmail.com\nyahoo.com", debounce=0)
    bundle = app._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "app", outputs=[nbformat.v4.new_output("display_data", data=data)], execution_count=1)])
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    assert (True, True, True) == ("Never Log preview" in body, "did you mean <code>*@yahoo.com</code>?" in body,
                                  "What the candidate Never Log lists would change" in body)
