"""Never Log lists (SEMANTICS §1): reading, duplicates, redundancy, the cap, lenient fixes and views."""

from __future__ import annotations

from pathlib import Path

import pytest

from neverlog_sim import CAP, Entry, EntryError, InputError, NeverLogList, parse_entry

DATA = Path(__file__).parent / "data"


def entries(lst: NeverLogList) -> list[str]:
    return [str(e) for e in lst.entries]


# --- reading text -------------------------------------------------------------------------

def test_from_text_one_entry_a_line_normalised_in_order():
    lst = NeverLogList.from_text("Jo@Acme.com\n*@RIVAL.com\n  ann@acme.com  \n")
    assert ["jo@acme.com", "*@rival.com", "ann@acme.com"] == entries(lst)


def test_from_text_comma_and_semicolon_pastes():
    lst = NeverLogList.from_text("jo@acme.com, ann@acme.com;bob@acme.com ;  *@rival.com")
    assert ["jo@acme.com", "ann@acme.com", "bob@acme.com", "*@rival.com"] == entries(lst)


def test_from_text_paste_keeps_line_numbers():
    lst = NeverLogList.from_text("a@x.com\nb@x.com, acme.com; c@x.com", on_invalid="collect")
    assert [("acme.com", 2)] == [(p.text, p.line) for p in lst.problems]


def test_from_text_quoted_display_name_with_comma_is_one_piece():
    lst = NeverLogList.from_text('"Smith, Jo" <jo@acme.com>, ann@acme.com', lenient=True)
    assert ["jo@acme.com", "ann@acme.com"] == entries(lst)


def test_from_text_skips_comments_and_blank_lines():
    lst = NeverLogList.from_text("# competitors\n#\n\n   \n*@rival.com\n  # indented comment\n")
    assert ["*@rival.com"] == entries(lst)


def test_from_text_hash_without_space_is_an_entry():
    # "#sales@acme.com" is a valid address ('#' is atext), so only "# " starts a comment.
    assert ["#sales@acme.com"] == entries(NeverLogList.from_text("#sales@acme.com"))


def test_from_text_crlf_line_ends():
    assert ["a@x.com", "b@x.com"] == entries(NeverLogList.from_text("a@x.com\r\nb@x.com\r\n"))


def test_empty_text_is_an_empty_compliant_list():
    lst = NeverLogList.from_text("")
    assert (0, True, "") == (len(lst), lst.is_compliant, lst.to_text())


def test_constructor_accepts_iterable_of_strings_and_entries():
    lst = NeverLogList(["Jo@acme.com", parse_entry("*@rival.com")])
    assert ["jo@acme.com", "*@rival.com"] == entries(lst)


def test_constructor_single_string_is_one_entry():
    assert ["jo@acme.com"] == entries(NeverLogList("jo@acme.com"))


# --- invalid lines ------------------------------------------------------------------------

def test_from_text_bad_lines_raise_one_error_listing_every_line():
    text = "jo@acme.com\nacme.com\n*@rival.com\njo*@acme.com\n\n\"Jo\" <jo@foo.com>\n"
    with pytest.raises(EntryError) as info:
        NeverLogList.from_text(text)
    assert (
        "3 invalid entries:\n"
        "  line 2: 'acme.com' has no '@' — did you mean '*@acme.com'?\n"
        "  line 4: 'jo*@acme.com' uses a wildcard in the local part; HubSpot only accepts '*' as the whole "
        "local part (*@domain.com) — list each address, or block the whole domain\n"
        "  line 6: '\"Jo\" <jo@foo.com>' has a display name or angle brackets; list the bare address — "
        "did you mean 'jo@foo.com'?\n"
        "A Never Log entry is name@domain.com (one recipient) or *@domain.com (a whole domain)."
    ) == str(info.value)


def test_entry_error_problems_carry_line_text_and_hint():
    with pytest.raises(EntryError) as info:
        NeverLogList.from_text("ok@acme.com\n@acme.com\nbad@localhost")
    assert [(2, "@acme.com", "*@acme.com"), (3, "bad@localhost", None)] == [
        (p.line, p.text, p.hint) for p in info.value.problems]


def test_from_file_bad_lines_name_the_file():
    with pytest.raises(EntryError) as info:
        NeverLogList.from_file(DATA / "lists_messy.txt")
    source = str(DATA / "lists_messy.txt")
    assert (f"3 invalid entries in {source}:", [4, 7, 8], {source}) == (
        str(info.value).splitlines()[0], [p.line for p in info.value.problems],
        {p.source for p in info.value.problems})


def test_on_invalid_collect_keeps_going():
    lst = NeverLogList.from_text("a@x.com\nacme.com\nb@x.com", on_invalid="collect")
    assert (["a@x.com", "b@x.com"], [2], False) == (entries(lst), [p.line for p in lst.problems], lst.is_compliant)


def test_on_invalid_unknown_value():
    with pytest.raises(ValueError) as info:
        NeverLogList.from_text("a@x.com", on_invalid="skip")
    assert "on_invalid must be one of ['raise', 'collect'], got 'skip'" == str(info.value)


def test_constructor_bad_entry_raises_entry_error():
    with pytest.raises(EntryError):
        NeverLogList(["jo@acme.com", "jo@"])


# --- lenient ------------------------------------------------------------------------------

def test_lenient_fixes_hint_lines_and_reports_each():
    lst = NeverLogList.from_text("acme.com\n\"Jo\" <Jo@Foo.com>\nmailto:ann@bar.org\nok@x.com", lenient=True)
    assert [(1, "acme.com", "*@acme.com"), (2, '"Jo" <Jo@Foo.com>', "jo@foo.com"),
            (3, "mailto:ann@bar.org", "ann@bar.org")] == [(f.line, f.text, str(f.entry)) for f in lst.fixes]


def test_lenient_fixed_entries_are_in_the_list():
    lst = NeverLogList.from_text("acme.com\nok@x.com", lenient=True)
    assert (["*@acme.com", "ok@x.com"], True) == (entries(lst), lst.is_compliant)


def test_lenient_keeps_unfixable_lines_as_problems():
    lst = NeverLogList.from_text("jo*@acme.com\nok@x.com\njo@localhost", lenient=True)
    assert (["ok@x.com"], [1, 3], False) == (entries(lst), [p.line for p in lst.problems], lst.is_compliant)


def test_lenient_fix_that_duplicates_is_a_duplicate():
    lst = NeverLogList.from_text("*@acme.com\nacme.com", lenient=True)
    assert [("*@acme.com", 2, 1)] == [(str(d.entry), d.line, d.first_line) for d in lst.duplicates]


# --- duplicates and redundancy ------------------------------------------------------------

def test_duplicates_after_normalisation_collapse_and_are_reported():
    lst = NeverLogList.from_text("jo@acme.com\nJO@ACME.COM\n  jo@acme.com\n*@rival.com\n*@Rival.com")
    assert (["jo@acme.com", "*@rival.com"], [("jo@acme.com", 2, 1), ("jo@acme.com", 3, 1), ("*@rival.com", 5, 4)]) == (
        entries(lst), [(str(d.entry), d.line, d.first_line) for d in lst.duplicates])


def test_duplicate_keeps_the_text_as_written():
    lst = NeverLogList.from_text("jo@acme.com\nJO@ACME.COM")
    assert ["JO@ACME.COM"] == [d.text for d in lst.duplicates]


def test_unicode_and_punycode_domain_entries_are_duplicates():
    lst = NeverLogList.from_text("*@bücher.de\n*@xn--bcher-kva.de")
    assert (["*@xn--bcher-kva.de"], 1) == (entries(lst), len(lst.duplicates))


def test_plus_tags_and_gmail_dots_are_not_duplicates():
    lst = NeverLogList.from_text("john@x.com\njohn+news@x.com\nj.smith@gmail.com\njsmith@gmail.com")
    assert (4, []) == (len(lst), lst.duplicates)


def test_redundant_address_entries_are_reported_with_their_domain_entry():
    lst = NeverLogList.from_text("jo@acme.com\nann@rival.com\n*@acme.com\nbob@acme.com")
    assert [("jo@acme.com", "*@acme.com", 1), ("bob@acme.com", "*@acme.com", 4)] == [
        (str(r.entry), str(r.covered_by), r.line) for r in lst.redundant]


def test_redundant_entries_stay_in_the_list_and_count_against_the_cap():
    lst = NeverLogList.from_text("jo@acme.com\n*@acme.com")
    assert (2, 1) == (len(lst), len(lst.redundant))


def test_sub_domain_address_is_not_redundant():
    # A domain entry matches its domain exactly (assumption A2).
    assert [] == NeverLogList.from_text("jo@eu.acme.com\n*@acme.com").redundant


def test_redundant_and_duplicate_in_messy_fixture():
    lst = NeverLogList.from_file(DATA / "lists_messy.txt", lenient=True)
    assert ([("*@acme.com", 4), ("jo@acme.com", 5), ("*@xn--bcher-kva.de", 10)],
            [("jo@acme.com", 2), ("ann@acme.com", 2), ("bob@acme.com", 2)]) == (
        [(str(d.entry), d.line) for d in lst.duplicates], [(str(r.entry), r.line) for r in lst.redundant])


# --- the cap ------------------------------------------------------------------------------

def _addresses(n: int) -> str:
    return "\n".join(f"user{i}@acme.com" for i in range(n))


def test_cap_is_500():
    assert (500, 500) == (CAP, NeverLogList.from_text("").cap)


def test_at_the_cap_is_compliant():
    lst = NeverLogList.from_text(_addresses(500))
    assert (500, 0, True) == (len(lst), lst.over_cap, lst.is_compliant)


def test_over_the_cap_keeps_every_entry_and_says_by_how_much():
    lst = NeverLogList.from_text(_addresses(512))
    assert (512, 12, False) == (len(lst), lst.over_cap, lst.is_compliant)


def test_over_the_cap_message():
    lst = NeverLogList.from_text(_addresses(512))
    assert "team list has 512 entries; the cap is 500 — remove 12, or let export_lists() compact it" == (
        lst.cap_status())


def test_within_the_cap_message():
    assert "team list has 3 of 500 entries" == NeverLogList.from_text(_addresses(3)).cap_status()


def test_cap_counts_after_de_duplication():
    lst = NeverLogList.from_text(_addresses(500) + "\nUSER1@acme.com\nuser2@ACME.com")
    assert (500, 2, True) == (len(lst), len(lst.duplicates), lst.is_compliant)


def test_personal_list_cap_message_names_the_owner():
    lst = NeverLogList.from_text(_addresses(501), scope="personal", owner="ann@us.com")
    assert "personal list of ann@us.com has 501 entries; the cap is 500 — remove 1, or let export_lists() " \
           "compact it" == lst.cap_status()


def test_custom_cap():
    lst = NeverLogList.from_text(_addresses(5), cap=3)
    assert (3, 2, False) == (lst.cap, lst.over_cap, lst.is_compliant)


# --- text form back out --------------------------------------------------------------------

def test_to_text_sorted_one_a_line_lf():
    lst = NeverLogList.from_text("Zed@acme.com\n*@rival.com\nann@acme.com\nann@acme.com")
    assert "*@rival.com\nann@acme.com\nzed@acme.com\n" == lst.to_text()


def test_to_text_re_reads_to_the_same_list():
    lst = NeverLogList.from_file(DATA / "lists_messy.txt", lenient=True)
    again = NeverLogList.from_text(lst.to_text())
    assert (sorted(lst.entries), []) == (sorted(again.entries), again.duplicates)


def test_contains_accepts_text_and_entries():
    lst = NeverLogList.from_text("Jo@Acme.com\n*@rival.com")
    assert (True, True, False, False) == (
        "JO@acme.com" in lst, Entry("rival.com") in lst, "ann@acme.com" in lst, "not an entry" in lst)


def test_to_frame_columns_and_rows():
    frame = NeverLogList.from_text("jo@acme.com\n*@acme.com", scope="personal", owner="ann@us.com").to_frame()
    assert [
        {"entry": "jo@acme.com", "kind": "address", "key": "jo@acme.com", "list": "personal", "owner": "ann@us.com",
         "line": 1, "redundant": True},
        {"entry": "*@acme.com", "kind": "domain", "key": "acme.com", "list": "personal", "owner": "ann@us.com",
         "line": 2, "redundant": False},
    ] == frame.to_dict("records")


# --- files ----------------------------------------------------------------------------------

def test_from_file_txt():
    lst = NeverLogList.from_file(DATA / "lists_team.txt")
    assert (["*@rival.com", "*@gmail.com", "ceo@partner.org", "legal@partner.org"], str(DATA / "lists_team.txt")) == (
        entries(lst), lst.source)


def test_from_file_accepts_a_string_path():
    assert 4 == len(NeverLogList.from_file(str(DATA / "lists_team.txt")))


def test_from_file_csv_entry_column_with_line_numbers():
    # The second record's note spans lines 3-4; the record's line is 3, and the next record's 5.
    lst = NeverLogList.from_file(DATA / "lists_entries.csv")
    assert (["jo@acme.com", "*@rival.com"], [("jo@acme.com", 5, 2)]) == (
        entries(lst), [(str(d.entry), d.line, d.first_line) for d in lst.duplicates])


def test_from_file_csv_record_with_multi_line_field_is_on_its_first_line(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text('entry,note\nrival.com,"two\nlines"\nacme.com,x\n', encoding="utf-8")
    with pytest.raises(EntryError) as info:
        NeverLogList.from_file(path)
    assert [2, 4] == [p.line for p in info.value.problems]


def test_from_file_csv_header_is_case_insensitive(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(" Entry ,note\njo@acme.com,x\n", encoding="utf-8")
    assert ["jo@acme.com"] == entries(NeverLogList.from_file(path))


def test_from_file_csv_without_entry_column():
    path = DATA / "lists_no_entry_column.csv"
    with pytest.raises(InputError) as info:
        NeverLogList.from_file(path)
    assert f"{path}: a CSV list needs an 'entry' column; the header has ['name', 'address']" == str(info.value)


def test_from_file_empty_csv_is_an_empty_list(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("", encoding="utf-8")
    assert 0 == len(NeverLogList.from_file(path))


def test_from_file_non_utf8_names_the_line():
    path = DATA / "lists_latin1.txt"
    with pytest.raises(InputError) as info:
        NeverLogList.from_file(path)
    assert (f"{path}: line 3 is not UTF-8 (byte 0xf6); save the file as UTF-8, or pass encoding= (command line "
            "--encoding) with its encoding, e.g. 'cp1252'") == str(info.value)


def test_from_file_utf8_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "list.txt"
    path.write_bytes("\ufeffjo@acme.com\r\n*@bücher.de\r\n".encode("utf-8"))
    assert ["jo@acme.com", "*@xn--bcher-kva.de"] == entries(NeverLogList.from_file(path))


def test_from_file_missing():
    with pytest.raises(InputError) as info:
        NeverLogList.from_file(DATA / "lists_nope.txt")
    assert f"list file {str(DATA / 'lists_nope.txt')!r} does not exist (or is not a file)" == str(info.value)


def test_from_file_folder_is_not_a_file():
    with pytest.raises(InputError):
        NeverLogList.from_file(DATA / "lists_policy")


# --- scope and owner ----------------------------------------------------------------------

def test_default_scope_is_team_without_owner():
    lst = NeverLogList.from_text("jo@acme.com")
    assert ("team", None, "team list") == (lst.scope, lst.owner, lst.name)


@pytest.mark.parametrize("owner", ["ann@us.com", "  Ann@US.com ", "Ann Smith <ANN@us.com>"])
def test_personal_list_owner_is_normalised(owner):
    lst = NeverLogList.from_text("jo@acme.com", scope="personal", owner=owner)
    assert ("personal", "ann@us.com", "personal list of ann@us.com") == (lst.scope, lst.owner, lst.name)


def test_personal_list_owner_with_unicode_domain_is_ascii():
    lst = NeverLogList.from_text("", scope="personal", owner="jo@Bücher.de")
    assert "jo@xn--bcher-kva.de" == lst.owner


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scope": "personal"}, "a personal list needs owner= (the address of the user whose sends it governs)"),
    ({"owner": "ann@us.com"}, "a team list has no owner; got owner='ann@us.com' — use scope='personal'"),
    ({"scope": "global"}, "scope must be one of ['team', 'personal'], got 'global'"),
    ({"scope": "personal", "owner": "ann"}, "owner 'ann' is not an email address; give the user's sending address"),
])
def test_scope_and_owner_errors(kwargs, message):
    with pytest.raises(ValueError) as info:
        NeverLogList.from_text("jo@acme.com", **kwargs)
    assert message == str(info.value)


# --- repr and HTML --------------------------------------------------------------------------

def test_repr_compliant():
    assert "<NeverLogList team: 4 entries, compliant>" == repr(NeverLogList.from_file(DATA / "lists_team.txt"))


def test_repr_shows_every_kind_of_problem():
    lst = NeverLogList.from_file(DATA / "lists_messy.txt", lenient=True)
    assert "<NeverLogList team: 6 entries, NOT compliant, 3 duplicates, 3 redundant, 1 invalid, 2 fixed>" == repr(lst)


def test_repr_over_the_cap_and_owner():
    lst = NeverLogList.from_text(_addresses(512), scope="personal", owner="ann@us.com")
    assert "<NeverLogList personal owner='ann@us.com': 512 entries, NOT compliant, 12 over the cap of 500>" == repr(lst)


def test_repr_html_shows_size_status_and_problems():
    html = NeverLogList.from_file(DATA / "lists_messy.txt", lenient=True)._repr_html_()
    expected = [
        "<b>team list</b>: 6 of 500 entries",
        "not compliant",
        "3 duplicates:",
        "<li>line 5: jo@acme.com (first on line 2)</li>",
        "3 redundant:",
        "<li>line 2: bob@acme.com is covered by *@acme.com</li>",
        "1 invalid:",
        "line 7: &#x27;jo*@acme.com&#x27; uses a wildcard",
        "2 fixed:",
        "line 4: has no &#x27;@&#x27;; read as &#x27;*@acme.com&#x27;",
    ]
    assert [] == [piece for piece in expected if piece not in html]


def test_repr_html_compliant_list_is_short():
    html = NeverLogList.from_file(DATA / "lists_team.txt")._repr_html_()
    assert ("<div class='neverlog-list'><b>team list</b>: 4 of 500 entries "
            "(<span style='color:#1a7f37'>compliant</span>)</div>") == html


def test_repr_html_escapes_entry_text():
    html = NeverLogList.from_text("<script>@x.com", on_invalid="collect")._repr_html_()
    assert ("<script>" not in html, "&lt;script&gt;@x.com" in html) == (True, True)


def test_repr_html_lists_at_most_twenty_of_a_kind():
    lst = NeverLogList.from_text(_addresses(30) + "\n" + _addresses(30))
    html = lst._repr_html_()
    # Says how many of how many, and where the rest is (issue 11).
    assert (20, "<li>20 of 30 shown; all 30: .summary()['duplicates']</li>" in html) == (
        html.count("(first on line"), True)


def test_summary_is_json_ready():
    import json

    summary = NeverLogList.from_file(DATA / "lists_messy.txt", lenient=True).summary()
    assert summary == json.loads(json.dumps(summary))
