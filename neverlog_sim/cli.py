"""The ``neverlog-sim`` command line: the same jobs as the library, from a shell.

Exit codes (``EXIT_CODES``, printed by ``--help``): 0 success; 1 a finding to act on (validate: an
invalid line or a list over the cap; simulate: a candidate list over the cap, or invalid lines left
out under --lenient; export: entries cut to fit the cap; every command that reads mail: more of it
set aside than --max-set-aside allows); 2 bad usage or unreadable input (a missing file, a list with
an invalid line outside --lenient and validate). No traceback is shown without ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from .errors import InputError, NeverLogError, RulesError, SetAsideError
from .lists import CAP, NeverLogList, at_line, repeats
from .rules import LOGGING_RULES, PROFILES, get_rules

EXIT_OK, EXIT_FINDING, EXIT_USAGE = 0, 1, 2
EXIT_CODES = ("Exit codes: 0 success; 1 a finding to act on (validate: an invalid line or a list over the cap; "
              "simulate: a candidate list over the cap, or invalid lines left out under --lenient; export: "
              "entries cut to fit the cap; every command that reads mail: more of it set aside than "
              "--max-set-aside allows); 2 bad usage or unreadable input (a missing file; a list with an "
              "invalid line, outside validate and --lenient).")
FORMATS = ("canonical", "hubspot_api", "hubspot_ui", "mail")
MAX_SET_ASIDE = 0.01  # the library's default (history.MAX_SET_ASIDE), kept here so --help loads no engine


# --- option types: every range checked by argparse (exit 2 with the option named) ---------------

def _whole(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range; give {low}..{high}" if high is not None
                                             else f"{value} is out of range; give {low} or more")
        return value
    parse.__name__ = "whole number"
    return parse


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a share between 0 and 1, e.g. 0.05"
                                         ) from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value:g} is out of range; give a share between 0 and 1 (0.05 = 5%)")
    return value


_share.__name__ = "share"


def _column_pair(text: str) -> tuple[str, str | None]:
    theirs, eq, ours = text.rpartition("=")
    if not eq or not theirs.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not THEIRS=OURS, e.g. 'To Addresses=to' "
                                         "('THEIRS=' leaves a column out)")
    return theirs, ours.strip() or None


_column_pair.__name__ = "column mapping"


def _encoding(text: str) -> str:
    import codecs
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an encoding Python knows; e.g. utf-8, utf-16, cp1252"
                                         ) from None
    return text


_encoding.__name__ = "encoding"


def _add_input_options(p, what: str = "sent mail") -> None:
    """The options that say how to read the input files (simulate, export)."""
    p.add_argument("--columns", action="append", type=_column_pair, metavar="THEIRS=OURS", default=[],
                   help=f"map a column of the {what} to our name, e.g. --columns 'To Addresses=to' "
                        "(repeatable; 'THEIRS=' leaves a column out)")
    p.add_argument("--encoding", type=_encoding, metavar="CODEC",
                   help="encoding of CSV and list files (default UTF-8; a UTF-16 byte-order mark is detected)")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True, default=None,
                       help="numeric dates are day/month/year (31/12/2024)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="numeric dates are month/day/year (12/31/2024)")
    p.add_argument("--max-set-aside", type=_share, default=MAX_SET_ASIDE, metavar="SHARE",
                   help="exit 1 when more than this share of messages or rows is set aside (default 0.01 = 1%%; "
                        "1 accepts any)")


def _load_sent_arg(args, **extra):
    """The history named by --sent, read with the input options (--columns, --encoding, --dayfirst,
    --max-set-aside, --format, --owners) its subcommand has; its load report goes to stderr."""
    from .history import load_sent
    options = dict(extra)
    if getattr(args, "owners", None):
        options["owners"] = args.owners
    if hasattr(args, "columns"):
        options.update(columns=dict(args.columns) or None, encoding=args.encoding, dayfirst=args.dayfirst,
                       max_set_aside=args.max_set_aside)
    sent = load_sent(args.sent, format=getattr(args, "format", None), progress=not args.quiet, **options)
    _print_load_report(sent.summary(), sent.set_aside, quiet=args.quiet)
    return sent


def _print_load_report(summary: dict | None, set_aside: dict | None, problems=None, quiet: bool = False,
                       stream=None) -> None:
    """The load report on stderr: counts with one example each; a warning first when anything was set aside."""
    from .errors import set_aside_line
    stream = stream or sys.stderr
    problems = list(summary["problems"] if summary else []) + list(problems or [])
    warning = set_aside_line(set_aside) if set_aside else None
    if warning:
        print(f"neverlog-sim: WARNING {warning}", file=stream)
    if summary and not quiet:
        print(f"load report: {summary['rows']:,} recipient rows, {summary['messages']:,} messages from "
              f"{summary['source']}" + ("" if problems else "; no problems"), file=stream)
    elif problems:
        print("load report:", file=stream)
    for p in problems:
        example = f" (e.g. {p['examples'][0]})" if p.get("examples") else ""
        print(f"  {p['problem']}: {p['count']:,}{example}", file=stream)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code is 2 as well; keep one wording style
        self.print_usage(sys.stderr)
        print(f"neverlog-sim: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _cmd_validate(args) -> int:
    if args.fix and len(args.files) != 1:
        raise InputError(f"--fix writes one fixed list: give one FILE (got {len(args.files)})")
    reports, worst = [], EXIT_OK
    for name in args.files:
        path = Path(name)
        try:
            lst = NeverLogList.from_file(path, lenient=args.lenient or bool(args.fix), cap=args.cap,
                                         on_invalid="collect", encoding=args.encoding)
        except NeverLogError as exc:
            print(f"neverlog-sim: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if args.fix:
            _write_fix(lst, Path(args.fix), args.json)
        summary = lst.summary()
        summary["file"] = str(path)
        summary["valid"] = lst.is_compliant
        reports.append(summary)
        if not lst.is_compliant:
            worst = EXIT_FINDING
    if args.json:
        print(json.dumps(reports if len(reports) > 1 else reports[0], indent=2))
    else:
        for s in reports:
            _print_validation(s, args.lenient or bool(args.fix))
    return worst


def _write_fix(lst: NeverLogList, out: Path, quiet: bool) -> None:
    """Write the lenient reading of a list (hint fixes applied, lines no hint fixes left out), atomically."""
    from .atomic import write_text_atomic
    if out.exists() and out.is_dir():
        raise InputError(f"--fix {str(out)!r} is a folder; give the path of the fixed list file to write")
    write_text_atomic(out, lst.to_text())
    if not quiet:
        left = len(lst.problems)
        print(f"fixed list written to {out}: {len(lst)} entries, {len(lst.fixes)} lines fixed"
              + (f", {left} invalid line{'s' if left != 1 else ''} left out (no hint fixes them)" if left else ""),
              file=sys.stderr)


def verdicts(s: dict) -> str:
    """The two verdicts on a list, never one for the other: the cap, and invalid lines.

    >>> verdicts({"over_cap": 0, "invalid": [{}]})
    'within the cap; has 1 invalid line'
    """
    cap = f"{s['over_cap']} over the cap" if s["over_cap"] else "within the cap"
    n = len(s["invalid"])
    return cap + (f"; has {n} invalid line{'s' if n != 1 else ''}" if n else "")


def _print_validation(s: dict, lenient: bool) -> None:
    status = "OK" if s["valid"] else "NOT VALID"
    print(f"{s['file']}: {status} — {s['entries']} entr{'y' if s['entries'] == 1 else 'ies'} ({s['address_entries']} address, "
          f"{s['domain_entries']} domain); cap {s['cap']}, {verdicts(s)}")
    for p in s["invalid"]:
        hint = f" — did you mean {p['hint']!r}?" if p["hint"] else ""
        print(f"  invalid   {at_line(p['line'])}{p['text']!r} {p['reason']}{hint}")
    for f in s["fixed"]:
        print(f"  fixed     {at_line(f['line'])}{f['text']!r} → {f['entry']!r}")
    for d in s["duplicates"]:
        print(f"  duplicate {at_line(d['line'])}{d['entry']} {repeats(d['first_line'])}")
    for r in s["redundant"]:
        print(f"  redundant {at_line(r['line'])}{r['entry']} is covered by {r['covered_by']}")
    if s["over_cap"]:
        print(f"  over cap  remove {s['over_cap']} entries, or run `neverlog-sim export` to compact the list")
    if s["invalid"] and not lenient:
        print(f"  fix       `neverlog-sim validate {s['file']} --fix FIXED.txt` writes the list with every line a "
              "hint fixes fixed (docs/rules.md#lenient-mode)")


def _policy_arg(paths: list[str] | None, what: str, lenient: bool = False, encoding: str | None = None):
    """A policy from CLI paths: folders (team.txt + personal/<owner>.txt) and team list files, merged.

    With ``lenient`` a line a hint can fix is fixed and a line none can is kept out and reported
    (docs/rules.md#lenient-mode); without it an invalid line is an error naming file and line.
    """
    from .export import read_wanted
    from .lists import Policy
    if not paths:
        return Policy()
    for p in paths:
        if not Path(p).exists():
            raise InputError(f"{what} list {p!r} does not exist; give a .txt/.csv list file or a folder "
                             "with team.txt and personal/<owner>.txt")
    if not lenient:
        return read_wanted([Path(p) for p in paths], encoding=encoding)
    policies = [Policy.from_dir(p, lenient=True, encoding=encoding) if Path(p).is_dir() else
                Policy(team=NeverLogList.from_file(p, lenient=True, encoding=encoding)) for p in paths]
    if len(policies) == 1:
        return policies[0]
    team = [e for pol in policies for e in pol.team.entries]
    personal: dict[str, list] = {}
    for pol in policies:
        for owner, lst in pol.personal.items():
            personal.setdefault(owner, []).extend(lst.entries)
    out = Policy(team=NeverLogList(team), personal={o: NeverLogList(e, "personal", o) for o, e in personal.items()})
    # The lists read leniently keep what they fixed and what they left out, for the report.
    out.team.problems = [p for pol in policies for p in pol.team.problems]
    out.team.fixes = [f for pol in policies for f in pol.team.fixes]
    for owner, lst in out.personal.items():
        lst.problems = [p for pol in policies if owner in pol.personal for p in pol.personal[owner].problems]
    return out


def _print_lenient(policy, stream) -> None:
    """What --lenient fixed and left out, one line each, on ``stream``."""
    for lst in policy.lists:
        for f in lst.fixes:
            print(f"{lst.source or lst.name}: fixed     {at_line(f.line)}{f.text!r} → {str(f.entry)!r}", file=stream)
        for p in lst.problems:
            hint = f" — did you mean {p.hint!r}?" if p.hint else ""
            print(f"{p.source or lst.name}: left out {at_line(p.line)}{p.text!r} {p.reason}{hint}", file=stream)


def _print_summary(result, stream=None) -> None:
    stream = stream or sys.stdout
    m = result.metrics()
    table = result.summary()
    width = max(len(x) for x in table["metric"])
    print(f"{'metric':<{width}}  {'baseline':>10}  {'candidate':>10}  {'change':>9}", file=stream)
    for row in table.itertuples(index=False):
        print(f"{row.metric:<{width}}  {row.baseline:>10,}  {row.candidate:>10,}  {row.change:>+9,}", file=stream)
    print(file=stream)
    print(f"contacts not created: {m['contacts_not_created']:,}; timeline entries removed: "
          f"{m['timeline_entries_removed']:,}; tracking events leaving timelines: "
          f"{m['tracking_events_leaving_timelines']:,}", file=stream)
    print(f"feed events still visible for blocked recipients: {m['feed_events_of_blocked_recipients']:,} "
          "(the activity feed never changes)", file=stream)
    invalid = m["invalid_entries"]
    print(f"candidate entries: {m['candidate_entries']:,} ({m['dead_entries']:,} match nothing); lists "
          f"{'within' if m['lists_within_cap'] else 'NOT within'} HubSpot's cap"
          + (f"; {invalid:,} invalid line{'s' if invalid != 1 else ''} left out" if invalid else ""), file=stream)
    notes = [a for a in result.assumptions if a["value"] != a["default"] or a["name"] in ("contacts table", "logging rule")]
    for a in notes:
        print(f"assumption {a['name']}: {a['value']} — {a['note']}", file=stream)


def _rules_arg(args):
    """The profile of ``--rules``, with ``--logging-rule`` (profile 2026 only)."""
    rules = get_rules(getattr(args, "rules", None) or "seed-2023")
    if getattr(args, "logging_rule", None):
        if rules.logging_rule is None:
            raise RulesError(f"--logging-rule applies to --rules 2026 only (profile {rules.name} has no logging "
                             "rule); see docs/rules.md#logging-rule")
        if args.logging_rule != rules.logging_rule:
            rules = rules.replace(logging_rule=args.logging_rule, name=f"{rules.name} {args.logging_rule}")
    return rules


def _cmd_simulate(args) -> int:
    from .history import load_contacts, load_tracking
    from .simulate import simulate
    if args.scenario and (args.candidate or args.baseline or args.rules or args.subdomains or args.logging_rule):
        raise InputError("--scenario names the lists and the rules; leave out --candidate, --baseline, --rules, "
                         "--logging-rule and --subdomains (or change them in the scenario file)")
    if not args.scenario and not args.candidate:
        raise InputError("give the candidate lists (--candidate LIST ...) or a scenario file (--scenario FILE)")
    sent = _load_sent_arg(args)
    contacts = (load_contacts(args.contacts, encoding=args.encoding, dayfirst=args.dayfirst)
                if args.contacts else None)
    tracking = (load_tracking(args.tracking, encoding=args.encoding, dayfirst=args.dayfirst)
                if args.tracking else None)
    if args.scenario:
        from .scenario import read_scenario
        scenario = read_scenario(args.scenario)
        candidate = scenario.candidate
        result = simulate(sent, scenario=scenario, contacts=contacts, tracking=tracking, progress=not args.quiet)
    else:
        candidate = _policy_arg(args.candidate, "candidate", lenient=args.lenient, encoding=args.encoding)
        baseline = _policy_arg(args.baseline, "baseline", lenient=args.lenient, encoding=args.encoding)
        rules = _rules_arg(args)
        if args.subdomains:
            rules = rules.replace(subdomains=True)
        if args.lenient and not args.quiet:
            _print_lenient(candidate, sys.stderr)
        result = simulate(sent, candidate, baseline=baseline, rules=rules, contacts=contacts, tracking=tracking,
                          progress=not args.quiet)
    if result.input_problems:
        _print_load_report(None, None, result.input_problems)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    if args.html:
        result.to_html(args.html, redact=args.redact)
        say(f"report written to {args.html}")
    if args.xlsx:
        result.to_excel(args.xlsx)
        say(f"workbook written to {args.xlsx}")
    if args.csv_dir:
        result.to_csv(args.csv_dir)
        say(f"tables written to {args.csv_dir}")
    if args.json:
        print(result.to_json(redact=args.redact))
    else:
        _print_summary(result)
    return EXIT_OK if candidate.is_compliant else EXIT_FINDING


def _cmd_load(args) -> int:
    sent = _load_sent_arg(args, workspace=args.workspace)  # its load report is on stderr
    first, last = sent.span
    print(f"{args.workspace}: {len(sent):,} recipient rows, {sent.messages:,} messages, {sent.senders:,} senders, "
          f"{sent.recipients:,} recipients; {first} .. {last}")
    print(f"use it with --sent {args.workspace} (no file is parsed again)")
    return EXIT_OK


def _cmd_samples(args) -> int:
    from .samples import write_samples
    out = Path(args.folder)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise InputError(f"{str(out)!r} exists and is not empty; choose another folder or pass --overwrite")
    files = write_samples(out, seed=args.seed)
    for name, path in sorted(files.items()):
        print(f"{name}: {path}")
    return EXIT_OK


def _cmd_demo(args) -> int:
    from .export import export_lists
    from .history import load_sent
    from .lists import Policy
    from .samples import sample_path
    from .simulate import simulate
    out = Path(args.out)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    # Resolve the samples folder once: sample_path() may fall back to a regenerated cache, and the
    # history, lists, contacts and tracking must all come from the same folder.
    samples = sample_path()
    say(f"1/4 loading the sample company's sent mail from {samples / 'sent_canonical.csv'}")
    sent = load_sent(samples / "sent_canonical.csv", progress=not args.quiet)
    _print_load_report(sent.summary(), sent.set_aside, quiet=args.quiet)
    print(describe_sent(sent, problems=False))  # the load report is on stderr, printed just before
    candidate = Policy.from_dir(samples / "lists")
    say(f"2/4 simulating the candidate lists in {samples / 'lists'}: {describe_policy(candidate)}")
    rules = _rules_arg(args)
    result = simulate(sent, candidate, contacts=samples / "contacts.csv", tracking=samples / "tracking.csv",
                      rules=rules, progress=not args.quiet)
    if result.input_problems:
        _print_load_report(None, None, result.input_problems)
    print()
    _print_summary(result)
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / "report.html"
    result.to_html(report_path)
    say(f"3/4 report written to {report_path}")
    export = export_lists(candidate, out / "lists", sent=sent, overwrite=True, rules=rules)
    say("4/4 exported cap-compliant lists")
    if not args.quiet:
        for line in export.describe():
            say(line)
    print()
    print(f"report: {report_path.resolve()}")
    print(f"lists:  {(out / 'lists').resolve()}  ({', '.join(sorted(str(p.relative_to(out / 'lists')) for p in export.files))})")
    return EXIT_OK


def describe_sent(sent, problems: bool = True) -> str:
    """A history in plain words for a terminal: rows, messages, senders, recipients, dates, load problems
    (``problems=False`` where the load report is already on stderr)."""
    from .samples.where import sample_label
    first, last = sent.span
    lines = [f"sent mail from {sample_label(sent.source) or sent.source}: {len(sent):,} recipient rows, "
             f"{sent.messages:,} messages, {sent.senders:,} senders, {sent.recipients:,} recipients; "
             f"{first} to {last}"]
    for p in (sent.problems.to_dict(orient="records") if problems else []):
        examples = ", ".join(list(p.get("examples") or [])[:2])
        lines.append(f"  {p['problem']}: {p['count']:,}" + (f" (e.g. {examples})" if examples else ""))
    return "\n".join(lines)


def describe_policy(policy) -> str:
    """A policy in plain words for a terminal: the team list's size and each personal list's."""
    personal = ", ".join(f"{o} ({len(l)})" for o, l in policy.personal.items()) or "none"
    return f"team list {len(policy.team)} entries; personal lists: {personal}"


def _cmd_doctor(args) -> int:
    from .advice import doctor
    policy = [Path(p) for p in args.lists]  # doctor() says which path does not exist
    sent = _load_sent_arg(args) if args.sent else None
    findings = doctor(policy, sent, own_domains=args.own_domain, rules=args.rules)
    print(findings.to_json() if args.json else findings.to_text())
    return EXIT_FINDING if findings.errors else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="neverlog-sim", description=(
        "Preview what a HubSpot Never Log list would do to your CRM, from your own sent mail, "
        "and export lists HubSpot accepts."),
        epilog=EXIT_CODES + " The rules: docs/rules.md.")
    parser.add_argument("--debug", action="store_true", help="show a full traceback on errors")
    parser.add_argument("--version", action="version", version=f"neverlog-sim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="check Never Log list files: syntax, duplicates, redundancy, the cap",
                       description="Check list files (.txt one entry a line, or .csv with an 'entry' column): "
                                   "two verdicts each, the cap and invalid lines. Exit 0 when every file is "
                                   "valid and within the cap, 1 otherwise, 2 when a file cannot be read.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--lenient", action="store_true",
                   help="accept lines a hint can fix (acme.com → *@acme.com) and report each change")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    p.add_argument("--cap", type=_whole(1), default=CAP, help=f"entries allowed per list (default {CAP})")
    p.add_argument("--fix", metavar="OUT",
                   help="write the list read leniently to OUT (every line a hint fixes fixed, lines none fixes "
                        "left out), atomically; one FILE only")
    p.add_argument("--encoding", type=_encoding, metavar="CODEC",
                   help="encoding of the list files (default UTF-8; a UTF-16 byte-order mark is detected)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("simulate", help="what candidate lists would change, from your sent mail",
                       description="Simulate candidate Never Log lists over a sent-mail history and print the change "
                                   "against a baseline (empty by default). Exit 0; 1 when a candidate list is over "
                                   "the cap, or has invalid lines left out under --lenient; 2 on bad input, "
                                   "including a list with an invalid line (fix it: validate --fix, or --lenient).")
    p.add_argument("--sent", required=True, metavar="HISTORY",
                   help="sent mail: canonical CSV/Parquet, HubSpot export, mbox or mail folder, or a workspace "
                        ".duckdb written by `load`")
    p.add_argument("--candidate", nargs="+", metavar="LIST",
                   help="candidate lists: a folder with team.txt and personal/<owner>.txt, or team list files")
    p.add_argument("--baseline", nargs="+", metavar="LIST", help="the lists in force today (default: none)")
    p.add_argument("--scenario", metavar="FILE",
                   help="a scenario file (.json/.toml: lists, rule profile, assumptions) instead of --candidate, "
                        "--baseline and --rules; the report records it")
    p.add_argument("--contacts", metavar="FILE", help="contacts table (email, created_at)")
    p.add_argument("--tracking", metavar="FILE", help="tracking events (message_id, recipient, event, occurred_at)")
    p.add_argument("--rules", default=None, choices=sorted(PROFILES),
                   help="rule profile: seed-2023 (default, the 2023 article), 2025 (team inbox governed) or 2026 "
                        "(HubSpot today: client sends and incoming mail logged; see docs/rules.md#rule-profiles)")
    p.add_argument("--logging-rule", choices=list(LOGGING_RULES), default=None,
                   help="profile 2026's contact email logging rule (default log_all)")
    p.add_argument("--subdomains", action="store_true", help="what-if A2: domain entries also match sub-domains")
    _add_history_options(p)
    p.add_argument("--lenient", action="store_true",
                   help="fix list lines a hint can fix (acme.com → *@acme.com), leave out and report the rest")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    p.add_argument("--xlsx", metavar="FILE", help="also write an Excel workbook: summary, affected contacts and one "
                                                  "sheet per table (needs: pip install 'neverlog-sim[excel]')")
    p.add_argument("--csv-dir", metavar="DIR", help="also write one CSV per table into DIR")
    p.add_argument("--redact", action="store_true", help="hide local parts of addresses in the report")
    p.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr (the load report "
                                                         "still names any problem)")
    _add_input_options(p)
    p.set_defaults(func=_cmd_simulate)

    _add_export_command(sub)

    p = sub.add_parser("load", help="parse sent mail once into a workspace file that --sent reopens in a second",
                       description="Load SENT (any input simulate reads) and keep the parsed history, its "
                                   "profiles and load report in one DuckDB file; pass that file as --sent later.")
    p.add_argument("sent", metavar="SENT", help="sent mail: CSV, Parquet, folder, HubSpot export or mail files")
    p.add_argument("--workspace", required=True, metavar="FILE.duckdb", help="the workspace file to write")
    _add_history_options(p)
    _add_input_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars on stderr")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser("doctor", help="find the costly mistakes in lists: free mail, typos, own domain, misses, cap",
                       description="Check Never Log lists for mistakes no CRM warns about, with evidence from the "
                                   "history when --sent is given (free-mail and disposable domains, typos, your own "
                                   "domain, sub-domain and +tag misses, dead, redundant and duplicate entries, "
                                   "placement, cap pressure). Exit 0; 1 when a finding is an error; 2 on bad input.")
    p.add_argument("lists", nargs="+", metavar="LISTS",
                   help="a folder with team.txt and personal/<owner>.txt, or team list files")
    p.add_argument("--sent", metavar="HISTORY", help="sent mail that shows what the entries block and miss")
    p.add_argument("--own-domain", action="append", metavar="DOMAIN",
                   help="your company's domain (repeat for several; default: the domains users send from)")
    p.add_argument("--rules", default="seed-2023", choices=sorted(PROFILES), help="rule profile (default seed-2023)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars on stderr")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("samples", help="write the sample company's files to a folder",
                       description="Write the seeded sample company (sent mail in three shapes, contacts, "
                                   "tracking, lists) to FOLDER.")
    p.add_argument("folder", metavar="FOLDER")
    p.add_argument("--seed", type=_whole(0, 2**32 - 1), default=7, help="generator seed (default 7)")
    p.add_argument("--overwrite", action="store_true", help="write into a folder that is not empty")
    p.set_defaults(func=_cmd_samples)

    p = sub.add_parser("demo", help="the whole story on the bundled samples: load, simulate, report, export",
                       description="Load the sample company, simulate its candidate lists, write report.html and "
                                   "cap-compliant lists into OUT (default ./neverlog-demo), and say where they are.")
    p.add_argument("--out", default="neverlog-demo", metavar="OUT", help="folder to write into (default ./neverlog-demo)")
    p.add_argument("--quiet", action="store_true", help="no progress notes on stderr")
    _add_rules_options(p)
    p.set_defaults(func=_cmd_demo)
    _add_backtest_command(sub)
    for subparser in sub.choices.values():
        # --debug works after the subcommand too; SUPPRESS keeps a top-level --debug from being reset.
        subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                               help="show a full traceback on errors")
    return parser


def _add_rules_options(p) -> None:
    p.add_argument("--rules", default="seed-2023", choices=sorted(PROFILES),
                   help="rule profile (default seed-2023; 2026 for HubSpot accounts today, see docs/rules.md#rule-profiles)")
    p.add_argument("--logging-rule", choices=list(LOGGING_RULES), default=None,
                   help="profile 2026's contact email logging rule (default log_all)")


def _add_export_command(subparsers):
    """Add ``neverlog-sim export`` to an argparse subparsers object; exit 0 fits, 1 entries cut, 2 bad input."""
    p = subparsers.add_parser(
        "export", help="compact wanted lists to HubSpot's cap and write them with a verified manifest",
        description="Write team.txt, personal/<owner>.txt and manifest.json from wanted lists (folders with team.txt "
                    "and personal/*.txt, or list files for the team list). Exit 0 when everything fits, 1 when "
                    "entries had to be cut (see cut.csv), 2 on bad input.")
    p.add_argument("wanted", nargs="+", metavar="WANTED_DIR_OR_FILE")
    p.add_argument("--sent", metavar="HISTORY", help="sent mail (CSV, Parquet, folder, or a workspace .duckdb from `load`) that shows what entries block")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to create")
    p.add_argument("--cap", type=_whole(1, CAP), default=CAP, help=f"entries allowed per list (default {CAP})")
    p.add_argument("--max-collateral", type=_whole(0), default=0,
                   help="other recipients all domain consolidations together may block (default 0)")
    p.add_argument("--allow-personal", action="store_true",
                   help="move entries only one user's sends ever hit to that user's personal list")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier export in DIR")
    _add_rules_options(p)
    _add_history_options(p)
    p.add_argument("--lenient", action="store_true",
                   help="fix list lines a hint can fix (acme.com → *@acme.com), leave out and report the rest")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars on stderr")
    _add_input_options(p)
    p.set_defaults(func=_cmd_export)
    return p


def _add_history_options(p) -> None:
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="what --sent is, when not recognised: canonical, hubspot_api, hubspot_ui or mail")
    p.add_argument("--owners", metavar="FILE",
                   help="HubSpot owners table (id, email) that turns owner ids into sender addresses")


def _cmd_export(args) -> int:
    from .export import export_lists
    # Errors go up to cli.main, which prints them in one line (with the traceback under --debug).
    if (args.format or args.owners) and not args.sent:
        raise InputError("--format and --owners describe the history: give it with --sent")
    sent = _load_sent_arg(args) if args.sent else None
    wanted = _policy_arg(args.wanted, "wanted", lenient=args.lenient, encoding=args.encoding)
    if args.lenient and not args.quiet:
        _print_lenient(wanted, sys.stderr)
    report = export_lists(wanted, args.out, sent=sent, cap=args.cap,
                          max_collateral=args.max_collateral, allow_personal=args.allow_personal,
                          overwrite=args.overwrite, rules=_rules_arg(args))
    print(json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) if args.json
          else "\n".join(report.describe()))
    return 0 if report.fits else 1


def _version() -> str:
    from . import __version__
    return __version__


def _add_backtest_command(subparsers):
    """Add ``neverlog-sim backtest``: exit 0 the rules fit, 1 they do not (or nothing to compare), 2 bad input."""
    from .backtest import DEFAULT_TOLERANCE, FIT_THRESHOLD
    p = subparsers.add_parser(
        "backtest", help="check the simulator against what HubSpot really logged once lists were in force",
        description="Match the emails you sent (a mailbox or any sent-mail input) to HubSpot's logged emails (its "
                    "email export), compare with what the simulator predicts under the lists in force from --since, "
                    "and say which rule set fits best (see docs/rules.md#backtest). Exit 0 when the rules agree on "
                    f"at least {FIT_THRESHOLD:.0%} of the compared rows, 1 when they do not or nothing was compared, "
                    "2 on bad input.")
    p.add_argument("--sent", required=True, metavar="MAILBOX",
                   help="what was sent: mbox, mail folder, canonical CSV/Parquet or HubSpot export")
    p.add_argument("--logged", required=True, metavar="HUBSPOT_EXPORT", help="HubSpot's logged emails of the period")
    p.add_argument("--lists", required=True, nargs="+", metavar="DIR",
                   help="the lists in force: a folder with team.txt and personal/<owner>.txt, or team list files")
    p.add_argument("--since", required=True, metavar="DATE", help="the day the lists went live (e.g. 2025-10-01)")
    p.add_argument("--until", metavar="DATE", help="end of the period, exclusive (default: no end)")
    p.add_argument("--rules", default="seed-2023", choices=sorted(PROFILES), help="rule profile (default seed-2023)")
    p.add_argument("--subdomains", action="store_true", help="what-if A2: domain entries also match sub-domains")
    p.add_argument("--roles", metavar="ROLES", help="A3: the recipient roles a list blocks, e.g. to,cc (default all)")
    p.add_argument("--tolerance", default=f"{int(DEFAULT_TOLERANCE.total_seconds() // 60)}min", metavar="DURATION",
                   help="how far apart a send and its logged copy may be when matched without a Message-ID "
                        "(default 5min)")
    p.add_argument("--owners", metavar="FILE", help="HubSpot owners table (id, email) for rows with no from address")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    p.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr")
    p.set_defaults(func=_cmd_backtest)
    return p


def _cmd_backtest(args) -> int:
    from .backtest import FIT_THRESHOLD, backtest
    for what, path in (("sent mail", args.sent), ("logged emails", args.logged)):
        if not Path(path).exists():
            raise InputError(f"{what} {path!r} does not exist")
    rules = get_rules(args.rules)
    if args.subdomains:
        rules = rules.replace(subdomains=True)
    if args.roles:
        rules = rules.replace(roles={r.strip() for r in args.roles.split(",") if r.strip()})
    result = backtest(args.sent, args.logged, _policy_arg(args.lists, "lists in force"), since=args.since,
                      until=args.until, rules=rules, tolerance=args.tolerance, owners=args.owners,
                      progress=not args.quiet)
    if args.html:
        result.to_html(args.html)
        if not args.quiet:
            print(f"report written to {args.html}", file=sys.stderr)
    if args.json:
        print(result.to_json())
    else:
        print("\n".join(result.describe()))
        print()
        table = result.compare_rules()
        width = max(len(r) for r in table["rules"])
        print(f"{'rule set':<{width}}  {'agreement':>9}  {'mismatches':>10}")
        for row in table.itertuples(index=False):
            share = "n/a" if row.agreement != row.agreement else f"{row.agreement:.2%}"
            print(f"{row.rules:<{width}}  {share:>9}  {row.mismatches:>10,}")
    agreement = result.agreement
    return EXIT_OK if agreement == agreement and agreement >= FIT_THRESHOLD else EXIT_FINDING


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except BrokenPipeError:  # `neverlog-sim ... | head`: the reader left; not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except SetAsideError as exc:
        # The load report first (counts, one example each), then one line: the reason and the fix.
        if args.debug:
            traceback.print_exc()
        _print_load_report(None, None, exc.problems)
        print(f"neverlog-sim: {exc.cli_message}", file=sys.stderr)
        return EXIT_FINDING
    except (NeverLogError, OSError, ValueError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"neverlog-sim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: one line, and the traceback only under --debug
        if args.debug:
            traceback.print_exc()
        print(f"neverlog-sim: internal error ({type(exc).__name__}: {str(exc)[:200]}); rerun with --debug for the "
              "traceback and report it", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
