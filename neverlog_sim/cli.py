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

from .errors import EntryError, NeverLogError
from .lists import CAP, NeverLogList

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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except (NeverLogError, OSError, ValueError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"neverlog-sim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
