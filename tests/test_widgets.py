"""Drive preview() from Python: type entries, change owner, profile and assumptions, press export."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

from neverlog_sim import load_sent, load_tracking
from neverlog_sim.widgets import PreviewApp, preview

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sent():
    return load_sent(DATA / "report_sent.csv", progress=False)


@pytest.fixture
def app(sent):
    return preview(sent, tracking=load_tracking(DATA / "report_tracking.csv"), debounce=0)


def test_preview_returns_an_app_with_empty_lists(app):
    assert (True, 0, 0) == (isinstance(app, PreviewApp), app.metrics["blocked_rows_after"],
                            app.metrics["contacts_not_created"])


def test_owner_dropdown_lists_senders_from_the_history(app):
    assert ("ann@us.com", "bob@us.com") == app.owner.options


def test_typing_a_team_entry_updates_the_numbers(app):
    app.team_text.value = "*@rival.com"
    # z@ and cc.person@ on extension sends; q@ only on an integration send, which no list governs
    assert (2, 2) == (app.metrics["blocked_rows_after"], app.metrics["contacts_not_created"])


def test_numbers_widget_shows_the_new_numbers(app):
    app.team_text.value = "*@rival.com"
    assert "<b>2 of 9</b>" in app.numbers.value


def test_invalid_entry_is_reported_with_line_problem_and_hint(app):
    app.team_text.value = "*@rival.com\nacme.com"
    assert [("team list", 2, "acme.com", "*@acme.com")] == [
        (p["list"], p["line"], p["text"], p["hint"]) for p in app.problems]


def test_invalid_entry_message_is_shown_and_left_out(app):
    app.team_text.value = "*@rival.com\nacme.com"
    assert ("line 2" in app.messages.value, "did you mean <code>*@acme.com</code>?" in app.messages.value,
            app.metrics["blocked_rows_after"]) == (True, True, 2)


def test_fixing_the_entry_clears_the_message(app):
    app.team_text.value = "acme.com"
    app.team_text.value = "*@acme.com"
    assert ([], "all entries valid") == (app.problems, app.messages.value.split(">")[2].split("<")[0])


def test_personal_list_applies_only_to_its_owners_sends(app):
    app.owner.value = "ann@us.com"
    app.personal_text.value = "jo@acme.com"
    # ann's extension and crm sends to jo are blocked; bob's team_inbox send still creates the record (later)
    assert (2, {"created_later": 1}) == (app.metrics["blocked_rows_after"],
                                         {k: v for k, v in app.metrics["changes"].items() if v and k != "unchanged"})


def test_changing_owner_shows_that_owners_list(app):
    app.owner.value = "ann@us.com"
    app.personal_text.value = "jo@acme.com"
    app.owner.value = "bob@us.com"
    shown_for_bob = app.personal_text.value
    app.owner.value = "ann@us.com"
    assert ("", "jo@acme.com") == (shown_for_bob, app.personal_text.value)


def test_same_entry_for_another_owner_blocks_other_sends(app):
    app.owner.value = "bob@us.com"
    app.personal_text.value = "jo@acme.com"
    # bob's only send to jo is a team_inbox thread: exempt under seed-2023 (SEMANTICS §2)
    assert 0 == app.metrics["blocked_rows_after"]


def test_profile_2025_governs_team_inbox(app):
    app.owner.value = "bob@us.com"
    app.personal_text.value = "jo@acme.com"
    app.profile.value = "2025"
    assert (1, "2025") == (app.metrics["blocked_rows_after"], app.rules.name)


def test_subdomain_toggle_extends_domain_entries(app):
    app.team_text.value = "*@acme.com"
    exact = app.metrics["blocked_rows_after"]
    app.subdomains.value = True
    assert (2, 3) == (exact, app.metrics["blocked_rows_after"])


def test_role_toggle_stops_blocking_cc(app):
    app.team_text.value = "*@rival.com"
    app.roles["cc"].value = False
    assert (1, "seed-2023+custom") == (app.metrics["blocked_rows_after"], app.rules.name)


def test_no_role_ticked_is_a_message_not_an_error(app):
    for box in app.roles.values():
        box.value = False
    assert "A3: tick at least one recipient role" in app.messages.value


def test_duplicates_and_redundant_entries_are_noted(app):
    app.team_text.value = "*@acme.com\njo@acme.com\n*@acme.com"
    assert ("line 3: *@acme.com (first on line 1)" in app.messages.value,
            "line 2: jo@acme.com is redundant, *@acme.com covers it" in app.messages.value) == (True, True)


def test_refresh_is_synchronous_and_timed(sent):
    app = preview(sent, debounce=5)
    app.team_text.value = "*@rival.com"  # debounced: nothing yet
    before = app.metrics["blocked_rows_after"]
    app.refresh()
    assert (0, 2, True) == (before, app.metrics["blocked_rows_after"], app.last_timing["numbers_ms"] > 0)


def test_debounced_edit_refreshes_by_itself(sent):
    import time
    app = preview(sent, debounce=0.05)
    app.team_text.value = "*@rival.com"
    deadline = time.time() + 10
    while app.metrics["blocked_rows_after"] != 2 and time.time() < deadline:
        time.sleep(0.05)
    assert 2 == app.metrics["blocked_rows_after"]


def test_chart_is_the_pareto_curve(app):
    app.team_text.value = "*@rival.com"
    assert ("Which entries do the work", True) == (app.figure.axes[0].get_title(), app.chart.value.startswith("<svg"))


def test_export_button_writes_the_lists(app, tmp_path):
    app.team_text.value = "*@rival.com\nz@rival.com"
    app.owner.value = "ann@us.com"
    app.personal_text.value = "x@friend.org"
    app.export_folder.value = str(tmp_path / "export")
    app.export_button.click()
    texts = sorted(p.read_text(encoding="utf-8") for p in (tmp_path / "export").rglob("*.txt"))
    assert ["*@rival.com\n", "x@friend.org\n"] == texts


def test_export_over_the_cap_writes_at_most_500_entries(app, tmp_path):
    app.team_text.value = "\n".join(f"u{i}@big{i}.com" for i in range(520))
    app.export(tmp_path / "big")
    lines = (tmp_path / "big" / "team.txt").read_text(encoding="utf-8").splitlines()
    assert (500, "20 entries did not fit the cap") == (len(lines), app.status.value.split("; ")[1].split(" (")[0])


def test_export_says_where_it_wrote(app, tmp_path):
    app.team_text.value = "*@rival.com"
    app.export_folder.value = str(tmp_path / "out")
    app.export_button.click()
    assert f"exported 2 files to <code>{tmp_path / 'out'}</code>" == app.status.value



def test_every_read_of_the_history_holds_its_lock(tmp_path, monkeypatch):
    # Apps on one history share its DuckDB connection, which refuses a second call at once: a debounced
    # refresh of one app may be running when another app opens or exports. Every statement an app runs —
    # opening, an edit, the chart and the doctor, an export — must hold the history's lock.
    from neverlog_sim import widgets
    sent = load_sent(DATA / "report_sent.csv", progress=False)
    unlocked = []
    execute = sent.engine.execute

    def watched(statement, params=None):
        lock = widgets._HISTORY_LOCKS.get(sent)
        if lock is None or not lock._is_owned():
            unlocked.append(" ".join(statement.split())[:60])
        return execute(statement, params)

    monkeypatch.setattr(sent.engine, "execute", watched)
    app = preview(sent, debounce=0)
    app.team_text.value = "*@rival.com"
    app.export(tmp_path / "out")
    assert [] == unlocked
