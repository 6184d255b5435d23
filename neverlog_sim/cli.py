"""The ``neverlog-sim`` command line: the same jobs as the library, from a shell.

Exit codes: 0 success; 1 a finding to act on (invalid list, over the cap); 2 bad usage or
unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from .errors import InputError, NeverLogError
from .lists import CAP, NeverLogList
from .rules import PROFILES, get_rules

EXIT_OK, EXIT_FINDING, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code is 2 as well; keep one wording style
        self.print_usage(sys.stderr)
        print(f"neverlog-sim: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _cmd_validate(args) -> int:
    reports, worst = [], EXIT_OK
    for name in args.files:
        path = Path(name)
        try:
            lst = NeverLogList.from_file(path, lenient=args.lenient, cap=args.cap, on_invalid="collect")
        except NeverLogError as exc:
            print(f"neverlog-sim: {exc}", file=sys.stderr)
            return EXIT_USAGE
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
            _print_validation(s, args.lenient)
    return worst


def _print_validation(s: dict, lenient: bool) -> None:
    status = "OK" if s["valid"] else "NOT VALID"
    print(f"{s['file']}: {status} — {s['entries']} entries ({s['address_entries']} address, "
          f"{s['domain_entries']} domain); cap {s['cap']}"
          + (f", {s['over_cap']} over the cap" if s["over_cap"] else ", within the cap"))
    for p in s["invalid"]:
        hint = f" — did you mean {p['hint']!r}?" if p["hint"] else ""
        print(f"  invalid   line {p['line']}: {p['text']!r} {p['reason']}{hint}")
    for f in s["fixed"]:
        print(f"  fixed     line {f['line']}: {f['text']!r} → {f['entry']!r}")
    for d in s["duplicates"]:
        print(f"  duplicate line {d['line']}: {d['entry']} (first on line {d['first_line']})")
    for r in s["redundant"]:
        print(f"  redundant line {r['line']}: {r['entry']} is covered by {r['covered_by']}")
    if s["over_cap"]:
        print(f"  over cap  remove {s['over_cap']} entries, or run `neverlog-sim export` to compact the list")


def _policy_arg(paths: list[str] | None, what: str):
    """A policy from CLI paths: folders (team.txt + personal/<owner>.txt) and team list files, merged."""
    from .export import read_wanted
    from .lists import Policy
    if not paths:
        return Policy()
    for p in paths:
        if not Path(p).exists():
            raise InputError(f"{what} list {p!r} does not exist; give a .txt/.csv list file or a folder "
                             "with team.txt and personal/<owner>.txt")
    return read_wanted([Path(p) for p in paths])


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
    print(f"candidate entries: {m['candidate_entries']:,} ({m['dead_entries']:,} match nothing); lists "
          f"{'within' if m['lists_compliant'] else 'NOT within'} HubSpot's cap", file=stream)
    notes = [a for a in result.assumptions if a["value"] != a["default"] or a["name"] in ("contacts table",)]
    for a in notes:
        print(f"assumption {a['name']}: {a['value']} — {a['note']}", file=stream)


def _cmd_simulate(args) -> int:
    from .history import load_sent
    from .simulate import simulate
    sent = load_sent(args.sent, progress=not args.quiet)
    candidate = _policy_arg(args.candidate, "candidate")
    baseline = _policy_arg(args.baseline, "baseline")
    rules = get_rules(args.rules)
    if args.subdomains:
        rules = rules.replace(subdomains=True)
    result = simulate(sent, candidate, baseline=baseline, rules=rules, contacts=args.contacts,
                      tracking=args.tracking)
    if args.html:
        result.to_html(args.html, redact=args.redact)
        if not args.quiet:
            print(f"report written to {args.html}", file=sys.stderr)
    if args.json:
        print(result.to_json(redact=args.redact))
    else:
        _print_summary(result)
    return EXIT_OK if candidate.is_compliant else EXIT_FINDING


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
    print(repr(sent))
    candidate = Policy.from_dir(samples / "lists")
    say(f"2/4 simulating the candidate lists in {samples / 'lists'}: {candidate!r}")
    result = simulate(sent, candidate, contacts=samples / "contacts.csv", tracking=samples / "tracking.csv")
    print()
    _print_summary(result)
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / "report.html"
    result.to_html(report_path)
    say(f"3/4 report written to {report_path}")
    export = export_lists(candidate, out / "lists", sent=sent, overwrite=True)
    say("4/4 exported cap-compliant lists")
    print()
    print(f"report: {report_path.resolve()}")
    print(f"lists:  {(out / 'lists').resolve()}  ({', '.join(sorted(str(p.relative_to(out / 'lists')) for p in export.files))})")
    return EXIT_OK


def _cmd_doctor(args) -> int:
    from .advice import doctor
    from .history import load_sent
    policy = [Path(p) for p in args.lists]  # doctor() says which path does not exist
    sent = load_sent(args.sent, progress=not args.quiet) if args.sent else None
    findings = doctor(policy, sent, own_domains=args.own_domain, rules=args.rules)
    print(findings.to_json() if args.json else findings.to_text())
    return EXIT_FINDING if findings.errors else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="neverlog-sim", description=(
        "Preview what a HubSpot Never Log list would do to your CRM, from your own sent mail, "
        "and export lists HubSpot accepts."),
        epilog="Exit codes: 0 success; 1 a finding to act on (invalid list, over the cap); "
               "2 bad usage or unreadable input.")
    parser.add_argument("--debug", action="store_true", help="show a full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="check Never Log list files: syntax, duplicates, redundancy, the cap",
                       description="Check list files (.txt one entry a line, or .csv with an 'entry' column). "
                                   "Exit 0 when every file is valid and within the cap, 1 otherwise.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--lenient", action="store_true",
                   help="accept lines a hint can fix (acme.com → *@acme.com) and report each change")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    p.add_argument("--cap", type=int, default=CAP, help=f"entries allowed per list (default {CAP})")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("simulate", help="what candidate lists would change, from your sent mail",
                       description="Simulate candidate Never Log lists over a sent-mail history and print the change "
                                   "against a baseline (empty by default). Exit 0; 1 when a candidate list is over "
                                   "the cap or invalid; 2 on bad input.")
    p.add_argument("--sent", required=True, metavar="HISTORY",
                   help="sent mail: canonical CSV/Parquet, HubSpot export, mbox or mail folder")
    p.add_argument("--candidate", required=True, nargs="+", metavar="LIST",
                   help="candidate lists: a folder with team.txt and personal/<owner>.txt, or team list files")
    p.add_argument("--baseline", nargs="+", metavar="LIST", help="the lists in force today (default: none)")
    p.add_argument("--contacts", metavar="FILE", help="contacts table (email, created_at)")
    p.add_argument("--tracking", metavar="FILE", help="tracking events (message_id, recipient, event, occurred_at)")
    p.add_argument("--rules", default="seed-2023", choices=sorted(PROFILES),
                   help="rule profile: seed-2023 (default, the 2023 article) or 2025 (team inbox governed)")
    p.add_argument("--subdomains", action="store_true", help="what-if A2: domain entries also match sub-domains")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    p.add_argument("--redact", action="store_true", help="hide local parts of addresses in the report")
    p.add_argument("--quiet", action="store_true", help="no progress bars or notes on stderr")
    p.set_defaults(func=_cmd_simulate)

    _add_export_command(sub)

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
    p.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    p.add_argument("--overwrite", action="store_true", help="write into a folder that is not empty")
    p.set_defaults(func=_cmd_samples)

    p = sub.add_parser("demo", help="the whole story on the bundled samples: load, simulate, report, export",
                       description="Load the sample company, simulate its candidate lists, write report.html and "
                                   "cap-compliant lists into OUT (default ./neverlog-demo), and say where they are.")
    p.add_argument("--out", default="neverlog-demo", metavar="OUT", help="folder to write into (default ./neverlog-demo)")
    p.add_argument("--quiet", action="store_true", help="no progress notes on stderr")
    p.set_defaults(func=_cmd_demo)
    for subparser in sub.choices.values():
        # --debug works after the subcommand too; SUPPRESS keeps a top-level --debug from being reset.
        subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                               help="show a full traceback on errors")
    return parser


def _add_export_command(subparsers):
    """Add ``neverlog-sim export`` to an argparse subparsers object; exit 0 fits, 1 entries cut, 2 bad input."""
    p = subparsers.add_parser(
        "export", help="compact wanted lists to HubSpot's cap and write them with a verified manifest",
        description="Write team.txt, personal/<owner>.txt and manifest.json from wanted lists (folders with team.txt "
                    "and personal/*.txt, or list files for the team list). Exit 0 when everything fits, 1 when "
                    "entries had to be cut (see cut.csv), 2 on bad input.")
    p.add_argument("wanted", nargs="+", metavar="WANTED_DIR_OR_FILE")
    p.add_argument("--sent", metavar="HISTORY", help="sent mail (CSV, Parquet, folder) that shows what entries block")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to create")
    p.add_argument("--cap", type=int, default=CAP, help=f"entries allowed per list (default {CAP})")
    p.add_argument("--max-collateral", type=int, default=0,
                   help="other recipients all domain consolidations together may block (default 0)")
    p.add_argument("--allow-personal", action="store_true",
                   help="move entries only one user's sends ever hit to that user's personal list")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier export in DIR")
    p.add_argument("--rules", default="seed-2023", choices=sorted(PROFILES), help="rule profile (default seed-2023)")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars on stderr")
    p.set_defaults(func=_cmd_export)
    return p


def _cmd_export(args) -> int:
    from .export import export_lists
    from .history import load_sent
    # Errors go up to cli.main, which prints them in one line (with the traceback under --debug).
    sent = load_sent(args.sent, progress=not args.quiet) if args.sent else None
    report = export_lists([Path(w) for w in args.wanted], args.out, sent=sent, cap=args.cap,
                          max_collateral=args.max_collateral, allow_personal=args.allow_personal,
                          overwrite=args.overwrite, rules=args.rules)
    print(json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) if args.json else repr(report))
    return 0 if report.fits else 1


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
    except (NeverLogError, OSError, ValueError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"neverlog-sim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
