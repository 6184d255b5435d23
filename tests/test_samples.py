"""The sample company (issue 4, item 5): determinism, shape, lists, sample_path, and one history in three shapes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from neverlog_sim import CAP, NeverLogList, Policy, __version__, samples
from neverlog_sim.samples import files as sample_files
from neverlog_sim.history import load_contacts, load_sent, load_tracking
from neverlog_sim.history import INCOMING, THREADS
from neverlog_sim.rules import CHANNELS

BUNDLE = Path(__file__).resolve().parents[1] / "data" / "samples"
KEY = ["channel", "sender", "recipient"]


@pytest.fixture(scope="module")
def company() -> samples.SampleCompany:
    return samples.generate()


@pytest.fixture(scope="module")
def canonical():
    return load_sent(BUNDLE / "sent_canonical.csv", progress=False)


@pytest.fixture(scope="module")
def canonical_rows(canonical) -> pd.DataFrame:
    return canonical.to_pandas()


@pytest.fixture(scope="module")
def hubspot_rows() -> pd.DataFrame:
    return load_sent(BUNDLE / "sent_hubspot.csv", owners=BUNDLE / "owners.csv", progress=False).to_pandas()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> tuple[Path, Path]:
    """(cache home, folder): sample_path() run once as after a non-editable install (no data/samples)."""
    home = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sample_files, "BUNDLED_DIR", home / "not-installed")
        mp.setenv("XDG_CACHE_HOME", str(home))
        return home, samples.sample_path()


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def counts(rows: pd.DataFrame) -> pd.Series:
    return rows.groupby(KEY).size().sort_index()


# --- determinism ---------------------------------------------------------------------------------------------

def test_generate_twice_gives_equal_tables(company):
    again = samples.generate()
    for name in ("messages", "recipients", "contacts", "tracking", "owners", "hubspot_unsent"):
        pd.testing.assert_frame_equal(getattr(company, name), getattr(again, name))
    assert (company.candidate_team, company.personal) == (again.candidate_team, again.personal)


def test_another_seed_gives_another_history(company):
    assert not company.messages["message_id"].equals(samples.generate(seed=8).messages["message_id"])


def test_committed_samples_equal_regenerated_files(regenerated):
    committed, again = files_in(BUNDLE), files_in(regenerated[1])
    assert (sorted(committed), []) == (sorted(again), [name for name in committed if committed[name] != again.get(name)])


def test_committed_samples_are_modest_in_size():
    # 2026 added incoming mail and client sends, the backtest a logged export: about 16 MB in all.
    assert sum(len(b) for b in files_in(BUNDLE).values()) < 17_000_000


# --- shape of the business -------------------------------------------------------------------------------------

def test_forty_users_send_from_the_internal_domain(company):
    senders = company.recipients.loc[company.recipients["direction"] == "outbound", "sender"].unique()
    assert (40, True) == (len(senders), all(s.endswith("@" + samples.DOMAIN) for s in senders))


def test_owners_table_is_the_forty_users(company):
    senders = set(company.recipients.loc[company.recipients["direction"] == "outbound", "sender"])
    assert (40, senders) == (company.owners["id"].nunique(), set(company.owners["email"]))


def test_about_fifty_thousand_recipient_rows(company):
    assert 40_000 <= len(company.recipients) <= 60_000


def test_history_spans_two_fixed_years(company):
    span = company.messages["sent_at"].agg(["min", "max"])
    assert (True, True) == (span["min"] >= samples.START, span["max"] < samples.END)


def test_every_channel_is_present(company):
    assert set(CHANNELS) == set(company.messages["channel"])


def test_inbound_replies_are_a_few_percent(company):
    m = company.messages
    inbound = m["direction"] == "inbound"
    logged, client = (inbound & (m["channel"] != "client")).mean(), (inbound & (m["channel"] == "client")).mean()
    assert (True, True) == (0.01 < logged < 0.10, 0.02 < client < 0.15)


def test_client_mail_follows_logged_threads(company):
    """Profile 2026's mail (docs/rules.md#client-sends): phone follow-ups and replies to a connected inbox."""
    m = company.messages
    client = m[m["channel"] == "client"]
    known = set(m["message_id"])
    assert (True, True, True) == (
        {"outbound", "inbound"} == set(client["direction"]), client["in_reply_to"].isin(known).all(),
        company.mbox_user not in set(client["sender"]) | set(client["to"]))


def test_only_extension_sends_have_logging_switched_off(company):
    off = company.messages[~company.messages["log_enabled"]]
    assert (True, {"extension"}) == (len(off) > 100, set(off["channel"]))


def test_recipients_span_internal_freemail_vendors_competitors(company):
    domains = set(company.recipients["recipient"].str.split("@").str[1])
    wanted = {samples.DOMAIN, "gmail.com", "yahoo.com", "outlook.com", "paycrest-payroll.com", "southwind-data.com"}
    assert wanted == wanted & domains


def test_display_names_appear_with_comma_inside_quotes(company):
    assert company.messages["to"].str.contains(r'^"[^"]+, [^"]+" <', regex=True).any()


def test_a_few_recipients_get_much_of_the_mail(company):
    per_recipient = company.recipients["recipient"].value_counts()
    top = per_recipient.head(len(per_recipient) // 100).sum() / per_recipient.sum()
    assert (True, True) == (top > 0.2, (per_recipient == 1).sum() > 100)


def test_tracking_has_unattributed_opens(company):
    someone = company.tracking[company.tracking["recipient"] == ""]
    assert (True, {"open"}) == (len(someone) > 0, set(someone["event"]))


def test_tracking_events_follow_their_send(company):
    sent = company.tracking["message_id"].map(company.messages.set_index("message_id")["sent_at"])
    assert (company.tracking["occurred_at"] > sent).all()


def test_some_contacts_were_created_before_the_history(company):
    before = (company.contacts["created_at"] < samples.START).sum()
    assert 0 < before < len(company.contacts)


def test_contacts_reached_by_crm_sends_exist_before_them(company):
    r = company.recipients
    first_crm = r[(r["channel"] == "crm") & r["log_enabled"]].groupby("recipient")["sent_at"].min()
    created = company.contacts.set_index("email")["created_at"]
    both = created.index.intersection(first_crm.index)
    assert (True, []) == (len(both) > 100, [e for e in both if created[e] > first_crm[e]])


def test_contacts_cover_most_customers_not_everyone(company):
    recipients = set(company.recipients["recipient"])
    covered = len(recipients & set(company.contacts["email"])) / len(recipients)
    assert 0.3 < covered < 0.9


# --- lists -----------------------------------------------------------------------------------------------------

def test_candidate_team_list_is_valid_within_cap_with_one_duplicate_and_one_redundant_on_purpose():
    # The list doctor's sample cases (issue 14): a line pasted twice, a relative on an already blocked domain.
    team = NeverLogList.from_file(BUNDLE / "lists" / "team.txt")
    assert ([], [("*@yahoo.com", 45, 36)], [("aaronhayes7@gmail.com", "*@gmail.com")], True) == (
        team.problems, [(str(d.entry), d.line, d.first_line) for d in team.duplicates],
        [(str(r.entry), str(r.covered_by)) for r in team.redundant], 30 <= len(team) <= min(60, CAP))


def test_personal_lists_are_the_companys_and_read_clean(company):
    policy = Policy.from_dir(BUNDLE / "lists")
    assert (sorted(company.personal), True) == (sorted(policy.personal), policy.is_compliant)


def test_personal_list_owners_are_users(company):
    assert set(company.personal) <= set(company.owners["email"])


# --- sample_path -----------------------------------------------------------------------------------------------

def test_sample_path_finds_the_bundle():
    assert BUNDLE / "lists" / "team.txt" == samples.sample_path("lists/team.txt")


def test_sample_path_unknown_name_says_what_exists():
    with pytest.raises(FileNotFoundError, match=r"no sample named 'nope\.csv' in .*; the samples are: README\.md, "):
        samples.sample_path("nope.csv")


def test_sample_path_regenerates_into_the_cache_when_bundle_is_absent(regenerated):
    home, folder = regenerated
    assert home / "neverlog-sim" / sample_files.cache_folder_name() == folder


def test_sample_path_leaves_no_temporary_folder(regenerated):
    home, folder = regenerated
    assert [folder] == list(folder.parent.iterdir())


def test_sample_path_reuses_the_cache(regenerated, monkeypatch):
    home, folder = regenerated
    monkeypatch.setattr(sample_files, "BUNDLED_DIR", home / "not-installed")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setattr(sample_files, "write_samples", lambda *a, **k: pytest.fail("regenerated a complete cache"))
    assert folder / "owners.csv" == samples.sample_path("owners.csv")


def test_a_cache_made_by_another_generator_is_never_reused(tmp_path, monkeypatch):
    # The same version with another generator (an earlier build of this one) left a complete folder behind.
    stale = tmp_path / "neverlog-sim" / f"samples-{__version__}-{samples.DEFAULT_SEED}"
    stale.mkdir(parents=True)
    for name in ("README.md", "sent_canonical.csv"):
        (stale / name).write_text("old")
    made = []
    monkeypatch.setattr(sample_files, "BUNDLED_DIR", tmp_path / "not-installed")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(sample_files, "write_samples", lambda folder: made.append(folder) or [
        (Path(folder) / n).write_text("new") for n in ("README.md", "sent_canonical.csv")])
    folder = samples.sample_path()
    assert (1, "new", sample_files.cache_folder_name()) == (len(made), (folder / "README.md").read_text(), folder.name)


def test_the_cache_name_carries_the_generator_s_digest():
    assert (f"samples-{__version__}-{samples.DEFAULT_SEED}-{sample_files.generator_digest()}", 12) == (
        sample_files.cache_folder_name(), len(sample_files.generator_digest()))


def test_sample_path_falls_back_to_the_temp_dir_when_the_cache_is_unwritable(tmp_path, monkeypatch):
    def fake_write_samples(folder):
        for name in ("README.md", "sent_canonical.csv"):
            (Path(folder) / name).write_text("x")

    (tmp_path / "a-file").write_text("")
    monkeypatch.setattr(sample_files, "BUNDLED_DIR", tmp_path / "not-installed")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-file"))  # a cache folder cannot be made under a file
    monkeypatch.setattr(sample_files.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    monkeypatch.setattr(sample_files, "write_samples", fake_write_samples)
    expected = tmp_path / "tmp" / "neverlog-sim" / sample_files.cache_folder_name()
    assert expected == samples.sample_path()


# --- the HubSpot file and the mbox -----------------------------------------------------------------------------

def test_hubspot_file_holds_logged_mail_and_never_sent_rows(company):
    hub = pd.read_csv(BUNDLE / "sent_hubspot.csv", dtype=str, keep_default_na=False)
    m = company.messages
    logged = set(m.loc[m["log_enabled"] & (m["channel"] != "client"), "message_id"])
    sent = hub["hs_email_status"] == "SENT"
    assert (logged, {"FAILED", "SCHEDULED"}) == (set(hub.loc[sent, "hs_object_id"]), set(hub.loc[~sent, "hs_email_status"]))


def test_hubspot_open_and_click_counts_match_tracking(company):
    hub = pd.read_csv(BUNDLE / "sent_hubspot.csv")
    events = company.tracking["event"].value_counts()
    assert (events["open"], events["click"]) == (hub["hs_email_open_count"].sum(), hub["hs_email_click_count"].sum())


def test_mbox_user_sends_only_through_the_extension(company):
    sent = company.messages[(company.messages["sender"] == company.mbox_user)]
    assert {"extension"} == set(sent["channel"])


def test_tracking_and_contacts_files_load(company):
    tracking, contacts = load_tracking(BUNDLE / "tracking.csv"), load_contacts(BUNDLE / "contacts.csv")
    assert (len(company.tracking), len(company.contacts)) == (len(tracking), len(contacts))


# --- one history, three shapes (issue 4: "it must show") -------------------------------------------------------

def test_canonical_csv_loads_without_problems(canonical, company):
    # The load report counts the incoming mail and the reply threads; nothing else is odd.
    m = company.messages
    threads = m.groupby("thread_id").size()
    assert ([INCOMING, THREADS], [int((m["direction"] == "inbound").sum()), int((threads > 1).sum())],
            len(company.recipients)) == (canonical.problems["problem"].tolist(), canonical.problems["count"].tolist(),
                                         len(canonical))


def test_canonical_and_hubspot_give_the_same_recipient_rows(canonical_rows, hubspot_rows):
    hub = hubspot_rows
    logged = canonical_rows[canonical_rows["log_enabled"] & (canonical_rows["direction"] == "outbound")
                            & (canonical_rows["channel"] != "client")]
    assert counts(logged).to_dict() == counts(hub[hub["direction"] == "outbound"]).to_dict()


def test_canonical_and_hubspot_agree_per_channel(canonical_rows, hubspot_rows):
    hub = hubspot_rows
    logged = canonical_rows[canonical_rows["log_enabled"] & (canonical_rows["channel"] != "client")]
    assert logged.groupby(["direction", "channel"]).size().to_dict() == hub.groupby(["direction", "channel"]).size().to_dict()


def test_canonical_and_mbox_give_the_same_recipient_rows(canonical_rows, company):
    mbox = next((BUNDLE / "mbox").glob("*.mbox"))
    mail = load_sent(mbox, progress=False).to_pandas()
    user = canonical_rows[(canonical_rows["sender"] == company.mbox_user) & (canonical_rows["direction"] == "outbound")]
    assert counts(user).to_dict() == counts(mail).to_dict()
