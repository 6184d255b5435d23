"""Cap-compliant list export (docs/rules.md#exporting-lists): compact wanted lists, write them all at once, verify them.

>>> report = export_lists(Policy(team=wanted), "export/", sent=sent)  # doctest: +SKIP
>>> report.cut  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from . import compaction as cp
from ..atomic import neutralise, write_bytes_atomic
from ..errors import ArgumentError, EntryError, ExportError, NeverLogError, RulesError, quote
from ..history import SentMail, load_sent
from ..lists import CAP, TEAM_OWNER, NeverLogList, Policy
from ..rules import PROFILES, Rules, get_rules

if TYPE_CHECKING:
    from ..results import SimulationResult

__all__ = ["ExportReport", "export_lists", "read_wanted", "add_export_command"]

MANIFEST = "manifest.json"
MARK = "neverlog-sim export"
STEPS = ("wanted", "normalised", "consolidated", "moved", "exported")
_UNSAFE = set('/\\:*?"<>|')


def export_lists(wanted: "Policy | NeverLogList | Iterable[str] | str | Path | list[str | Path]",
                 out_dir: "str | Path", *, sent: "SentMail | str | Path | pd.DataFrame | None" = None, cap: int = CAP,
                 max_collateral: int = 0, allow_personal: bool = False, overwrite: bool = False,
                 rules: "str | Rules" = "seed-2023") -> "ExportReport":
    """Compact wanted lists to fit the cap, write ``team.txt``, ``personal/<owner>.txt`` and ``manifest.json``.

    Parameters: ``wanted`` a ``Policy`` (or a team ``NeverLogList``, entries, a policy folder, or a
    list of such paths), lists may be far over the cap; ``out_dir`` the folder to create;
    ``sent`` the history (``SentMail`` or anything ``load_sent`` reads) that shows what entries
    block; ``cap`` entries a file; ``max_collateral`` the total number of other recipients that
    all domain consolidations together may block (0: only consolidations that block nobody
    else seen in the history); ``allow_personal`` lets an entry only one user's sends ever hit
    move to that user's personal list; ``overwrite`` replaces an earlier export in ``out_dir``;
    ``rules`` the rule profile.

    Compaction, in order (see ``neverlog_sim.compaction``): normalise and drop duplicates and
    redundant entries; consolidate domains with the least collateral; move single-user entries
    (``allow_personal``); keep the entries with the most impact and list every cut one. Files
    are written to a temporary folder beside ``out_dir``, read back and (with ``sent``)
    re-simulated; only when every claim of the manifest matches is the folder renamed into place.
    On any failure ``ExportError`` is raised and nothing is left behind.

    >>> report = export_lists(Policy(team=addresses), "out", sent=sent, max_collateral=3)  # doctest: +SKIP
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise ArgumentError(f"export_lists(): out_dir must be a folder path; got {type(out_dir).__name__} "
                            f"{quote(out_dir)}")
    if not isinstance(sent, (SentMail, str, os.PathLike, pd.DataFrame, type(None))):
        raise ArgumentError(f"export_lists(): sent must be a SentMail (from load_sent), a path, a DataFrame or None; "
                            f"got {type(sent).__name__} {quote(sent)}")
    for name, value in (("allow_personal", allow_personal), ("overwrite", overwrite)):
        if not isinstance(value, bool):
            raise ArgumentError(f"export_lists(): {name} must be True or False; got {quote(value)}")
    for name, value, low in (("cap", cap, 1), ("max_collateral", max_collateral, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ArgumentError(f"export_lists(): {name!r} must be an integer ≥ {low}, got {quote(value)}")
    if cap > CAP:
        raise ArgumentError(f"export_lists(): 'cap' is at most HubSpot's {CAP} entries a list, got {cap!r}; a file "
                            "over it would not be accepted (docs/rules.md#the-500-entry-cap)")
    rules = get_rules(rules)
    if rules.subdomains:
        raise RulesError("export_lists compacts for HubSpot's exact-domain matching (A2); rules with "
                         "subdomains=True are a what-if only — export with the 'seed-2023' or '2025' profile")
    wanted = read_wanted(wanted)
    invalid = [p for lst in wanted.lists for p in lst.problems]
    if invalid:
        # An entry HubSpot would refuse is never dropped without a word: fix the lines first.
        raise EntryError(invalid, "the wanted lists")
    for owner in wanted.personal:
        _check_owner(owner)
    out_dir = Path(out_dir)
    _check_target(out_dir, overwrite)
    if sent is not None and not isinstance(sent, SentMail):
        sent = load_sent(sent, progress=False)
    plan = _plan(wanted, sent, cap, max_collateral, allow_personal, rules)
    files = _render(plan)
    policy = _policy(plan["lists"])
    simulation = _write_verified(out_dir, files, plan, wanted, policy, sent, rules, overwrite)
    return ExportReport(out_dir, plan["manifest"], plan["ranked"], policy, simulation)


# --- inputs ---------------------------------------------------------------------------------------

def read_wanted(value, *, encoding: str | None = None) -> Policy:
    """A ``Policy`` from a Policy, a team list, entries, a policy folder, a list file, or a list of folders/files.

    Files hold team-list entries; folders hold ``team.txt`` and ``personal/<owner>.txt``. Several
    sources are merged (duplicates across them are counted as duplicates). ``encoding`` of list
    files (UTF-8 by default; a UTF-16 byte-order mark is detected).
    """
    from ..simulate import as_policy
    if isinstance(value, (list, tuple)) and value and all(_is_path(v) for v in value):
        team, personal = [], {}
        for v in value:
            p = Path(v)
            pol = (Policy.from_dir(p, encoding=encoding) if p.is_dir()
                   else Policy(team=NeverLogList.from_file(p, encoding=encoding)))
            team += _raw(pol.team)
            for owner, lst in pol.personal.items():
                personal.setdefault(owner, []).extend(_raw(lst))
        return Policy(team=NeverLogList(team), personal={o: NeverLogList(e, "personal", o) for o, e in personal.items()})
    if _is_path(value) and Path(value).is_file():
        return Policy(team=NeverLogList.from_file(value, encoding=encoding))
    return as_policy(value, "export_lists(): wanted")


def _is_path(v) -> bool:
    # An entry (a@x.com) is never an existing file or folder; a path may hold "@" (personal/ann@us.com.txt).
    return isinstance(v, Path) or (isinstance(v, str) and Path(v).exists())


def _raw(lst: NeverLogList) -> list:
    return list(lst.entries) + [d.entry for d in lst.duplicates]


def _check_owner(owner: str) -> None:
    if owner.startswith(".") or any(ch in _UNSAFE or ord(ch) < 32 for ch in owner):
        raise ExportError(f"personal list owner {owner!r} cannot be a file name (personal/<owner>.txt); "
                          "give the owner's plain sending address")


def _safe_owner(owner: str) -> bool:
    try:
        _check_owner(owner)
    except ExportError:
        return False
    return True


def _is_export(path: Path) -> bool:
    try:
        return json.loads((path / MANIFEST).read_text("utf-8")).get("manifest") == MARK
    except (OSError, ValueError, AttributeError):
        return False


def _check_target(out_dir: Path, overwrite: bool) -> None:
    if not out_dir.parent.is_dir():
        raise ExportError(f"the folder that would hold the export, {str(out_dir.parent)!r}, does not exist; create it first")
    if out_dir.exists() or out_dir.is_symlink():
        if not out_dir.is_dir():
            raise ExportError(f"{str(out_dir)!r} exists and is not a folder; choose another out_dir")
        if not overwrite:
            raise ExportError(f"{str(out_dir)!r} already exists; pass overwrite=True (--overwrite) to replace it")
        if any(out_dir.iterdir()) and not _is_export(out_dir):
            raise ExportError(f"{str(out_dir)!r} is not an earlier export (no {MANIFEST} written by neverlog-sim); "
                              "refusing to replace it even with overwrite=True — choose an empty or new folder")


# --- the plan: steps 1–4 and what the manifest claims ------------------------------------------------

def _plan(wanted: Policy, sent, cap, budget, allow_personal, rules) -> dict:
    lists, counts, step1 = _normalise(wanted)
    history = cp.History(sent, rules, cp.policy_lists(wanted)) if sent is not None else None
    try:
        consolidations, step2 = [], {"step": 2, "name": "consolidate"}
        over = [o for o in lists if len(lists[o]) > cap]
        if history is None:
            step2["reason"] = "skipped: no history (sent=None) shows whom a domain entry would block besides the wanted"
        elif not over:
            step2["reason"] = f"not needed: every list is within the cap of {cap}"
        else:
            consolidations, step2["lists"] = cp.consolidate(lists, history, cap, budget)
            step2["reason"] = (f"lists over the cap of {cap}: address entries of one domain replaced by *@domain where "
                               f"the history shows it blocks no other recipient, or at most max_collateral={budget} "
                               "of them in total; least collateral first (see compaction.choose_consolidations)")
        _count(counts, lists, "consolidated")
        moves, step3 = [], {"step": 3, "name": "personal_moves"}
        if not allow_personal:
            step3["reason"] = "skipped: allow_personal=False"
        elif history is None:
            step3["reason"] = "skipped: no history (sent=None) shows whose sends an entry matches"
        else:
            moves = cp.move_personal(lists, history, cap, _safe_owner)
            step3["reason"] = ("team entries whose matches in the history all come from one user's sends moved to that "
                               f"user's personal list (within its cap of {cap}), only as many as the team list was over; "
                               f"each {cp.MOVE_NOTE}") if moves else "not needed or no entry qualified"
        _count(counts, lists, "moved")
        ranked = cp.rank(lists, history, cap)
        kept = ranked[ranked["kept"]]
        keep = set(zip(kept["owner"], kept["entry"]))
        final = {o: [e for e in lists[o] if (o, str(e)) in keep] for o in lists}
        cut = ranked[~ranked["kept"]]
        step4 = {"step": 4, "name": "cut", "reason": (
            f"still over the cap of {cap}: kept the entries with the most historical impact (rows blocked, then "
            "recipients, then entry text); every entry not exported is listed with its impact"
            if history is not None else
            f"still over the cap of {cap}; no history (sent=None), so impact is unknown: kept the first {cap} in "
            "sorted order; every entry not exported is listed") if len(cut) else "not needed: every list fits"}
        _count(counts, final, "exported")
        claims = history.claims(cp.entries_frame(final)) if history is not None else None
    finally:
        if history is not None:
            history.close()
    not_exported = [{"entry": e, "list": l, "owner": o or TEAM_OWNER, "rows": int(r), "recipients": int(n), "rank": int(k),
                     "reason": f"rank {k} {'by historical impact' if history else 'in sorted order (no history)'} "
                               f"in its list; the cap is {cap}"}
                    for e, l, o, r, n, k in cut[["entry", "list", "owner", "rows", "recipients", "rank"]]
                    .itertuples(index=False)]
    final_coll = {c["entry"] for c in claims["collateral"]} if claims else set()
    for c in consolidations:
        exported = (c["owner"] or "", c["entry"]) in keep
        moved = [m["to"] for m in moves if m["entry"] == c["entry"]]
        c["status"] = ("cut" if not exported and not moved else
                       f"moved to the personal list of {moved[0]}" if moved else "exported")
        c["collateral_in_export"] = c["entry"] in final_coll
    manifest = {
        "manifest": MARK, "version": 1, "cap": cap, "max_collateral": budget, "allow_personal": allow_personal,
        "rules": {"profile": rules.name, "assumptions": rules.assumptions()},
        "source": _source(sent), "steps": [step1, step2, step3, step4],
        "lists": [{"list": "team" if o == cp.TEAM else "personal", "owner": o or TEAM_OWNER, "counts": counts[o],
                   "blocks": None if history is None else {
                       "rows": int(kept.loc[kept["owner"] == o, "rows"].sum()),
                       "recipients": int(kept.loc[kept["owner"] == o, "recipients"].sum())}}
                  for o in sorted(counts)],
        "consolidations": consolidations, "personal_moves": moves, "not_exported": not_exported,
        "blocks": None if claims is None else {k: v for k, v in claims.items() if k != "collateral"},
        "collateral": None if claims is None else {
            "recipients": claims["collateral"], "recipient_count": len(claims["collateral"]),
            "rows": sum(c["rows"] for c in claims["collateral"])},
    }
    return {"lists": final, "ranked": ranked, "manifest": manifest, "claims": claims, "kept": kept}


def _normalise(wanted: Policy):
    lists, counts, dups, reds = {}, {}, [], []
    for lst in wanted.lists:
        owner = lst.owner or cp.TEAM
        if owner != cp.TEAM and not len(lst):
            continue
        red = {r.entry for r in lst.redundant}
        lists[owner] = [e for e in lst.entries if e not in red]
        counts[owner] = {"wanted": len(lst.entries) + len(lst.duplicates), "normalised": len(lists[owner])}
        seen: dict[str, int] = {}
        for d in lst.duplicates:
            seen[str(d.entry)] = seen.get(str(d.entry), 0) + 1
        dups += [{"list": lst.scope, "owner": lst.owner or TEAM_OWNER, "entry": e, "dropped": n} for e, n in sorted(seen.items())]
        reds += sorted(({"list": lst.scope, "owner": lst.owner or TEAM_OWNER, "entry": str(r.entry), "covered_by": str(r.covered_by)}
                        for r in lst.redundant), key=lambda r: r["entry"])
    step = {"step": 1, "name": "normalise", "duplicates_removed": dups, "redundant_removed": reds,
            "reason": "entries trimmed, lower-cased and IDNA-encoded; duplicates collapse to one entry; an address "
                      "entry whose domain entry is in the same list is redundant (it spends cap and changes nothing)"}
    return lists, counts, step


def _count(counts: dict, lists: dict, step: str) -> None:
    for owner in set(counts) | set(lists):
        c = counts.setdefault(owner, {"wanted": 0, "normalised": 0, "consolidated": 0})
        c[step] = len(lists.get(owner, []))


def _source(sent) -> dict:
    if sent is None:
        return {"history": False, "first_sent_at": None, "last_sent_at": None, "rows": 0, "messages": 0}
    first, last = sent.span
    iso = lambda t: None if t is None or pd.isna(t) else pd.Timestamp(t).isoformat()  # noqa: E731
    return {"history": True, "first_sent_at": iso(first), "last_sent_at": iso(last), "rows": len(sent),
            "messages": int(sent.messages)}


def _policy(lists: dict) -> Policy:
    return Policy(team=sorted(lists.get(cp.TEAM, []), key=str),
                  personal={o: NeverLogList(sorted(e, key=str), "personal", o) for o, e in sorted(lists.items()) if o and e})


# --- files: render, write beside out_dir, verify, rename ---------------------------------------------

def _render(plan: dict) -> dict[str, bytes]:
    """Every file but the manifest, as bytes: the HubSpot form (sorted, LF, no header) and cut.csv."""
    files = {"team.txt": NeverLogList(plan["lists"].get(cp.TEAM, [])).to_text().encode("utf-8")}
    for owner, entries in sorted(plan["lists"].items()):
        if owner and entries:
            files[f"personal/{owner}.txt"] = NeverLogList(entries, "personal", owner).to_text().encode("utf-8")
    cut = plan["manifest"]["not_exported"]
    if cut:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["list", "owner", "entry", "rows", "recipients", "rank", "reason"])
        for c in cut:
            w.writerow([neutralise(c[k]) for k in ("list", "owner", "entry", "rows", "recipients", "rank", "reason")])
        files["cut.csv"] = buf.getvalue().encode("utf-8")
    plan["manifest"]["files"] = [{"file": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                                 for name, data in sorted(files.items())]
    return files


def _write_bytes(path: Path, data: bytes) -> None:
    write_bytes_atomic(path, data)  # the one writer: temp file, fsync, rename


def _write_verified(out_dir: Path, files, plan, wanted, policy, sent, rules, overwrite):
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; an export folder gets the user's usual mode
    try:
        for name, data in files.items():
            _write_bytes(tmp / name, data)
        simulation = _verify(tmp, plan, wanted, sent, rules)
        plan["manifest"]["verification"] = {
            "files_reread": True, "simulated": simulation is not None,
            "checked": ["entries of every file", "rows and recipients each entry blocks", "rows blocked",
                        "recipients blocked", "rows no longer blocked", "collateral recipients and rows"]
            if simulation is not None else ["entries of every file"]}
        text = json.dumps(plan["manifest"], indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        _write_bytes(tmp / MANIFEST, text.encode("utf-8"))
        if json.loads((tmp / MANIFEST).read_text("utf-8")) != json.loads(text):
            raise ExportError("manifest.json did not read back as written")
        _replace(tmp, out_dir, overwrite)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, (NeverLogError, KeyboardInterrupt)):
            raise
        raise ExportError(f"could not write the export to {str(out_dir)!r}: {exc}; nothing was written") from exc
    return simulation


def _replace(tmp: Path, out_dir: Path, overwrite: bool) -> None:
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return
    _check_target(out_dir, overwrite)
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
    os.rmdir(old)
    os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except BaseException:
        os.rename(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _verify(folder: Path, plan: dict, wanted: Policy, sent, rules):
    """Read the files back and, with a history, re-simulate them: every claim must equal what the simulator says."""
    problems = []
    cap = plan["manifest"]["cap"]
    for owner, entries in plan["lists"].items():
        path = folder / ("team.txt" if owner == cp.TEAM else f"personal/{owner}.txt")
        if owner and not entries:
            continue
        lst = NeverLogList.from_file(path, "team" if owner == cp.TEAM else "personal", owner or None, cap=cap)
        if sorted(map(str, lst.entries)) != sorted(map(str, entries)) or lst.duplicates or len(lst) > cap:
            problems.append(f"{path.name} does not read back as the {len(entries)} entries written")
    reread = Policy.from_dir(folder)
    if problems or sent is None:
        if problems:
            raise ExportError("export failed its own verification; nothing was written:\n  " + "\n  ".join(problems))
        return None
    from ..simulate import simulate
    sim = simulate(sent, reread, baseline=wanted, rules=rules)
    problems = cp.differences(sim, plan["claims"], plan["kept"])
    if problems:
        raise ExportError("export failed its own verification against a re-simulation; nothing was written:\n  "
                          + "\n  ".join(problems))
    return sim


# --- the report -------------------------------------------------------------------------------------

class ExportReport:
    """What an export wrote: files, counts per list and step, consolidations, moves, and what was cut.

    ``manifest`` is the dict written to ``manifest.json``; ``ranked`` every entry (after steps 1–3)
    with its impact and whether it was kept; ``policy`` the exported lists; ``simulation`` the
    verifying ``SimulationResult`` (None without a history).

    >>> report = export_lists(Policy(team=["*@rival.com"]), "my-lists")  # doctest: +SKIP
    >>> report.counts; report.cut; report.plot()                          # doctest: +SKIP
    """

    def __init__(self, out_dir: Path, manifest: dict, ranked: pd.DataFrame, policy: Policy,
                 simulation: "SimulationResult | None"):
        self.out_dir, self.manifest, self.ranked, self.policy, self.simulation = out_dir, manifest, ranked, policy, simulation

    @property
    def files(self) -> list[Path]:
        return [self.out_dir / f["file"] for f in self.manifest["files"]] + [self.out_dir / MANIFEST]

    @property
    def counts(self) -> pd.DataFrame:
        """Entries per list after each step: ``list, owner, wanted, normalised, consolidated, moved, exported``."""
        return pd.DataFrame([{"list": l["list"], "owner": l["owner"] or "", **{s: l["counts"].get(s, 0) for s in STEPS}}
                             for l in self.manifest["lists"]])

    @property
    def cut(self) -> pd.DataFrame:
        cols = ["entry", "list", "owner", "rows", "recipients", "rank", "reason"]
        return pd.DataFrame(self.manifest["not_exported"], columns=cols)

    @property
    def consolidations(self) -> pd.DataFrame:
        return pd.DataFrame([{"entry": c["entry"], "list": c["list"], "owner": c["owner"] or "",
                              "replaced": len(c["replaced"]), "saves": c["saves"],
                              "collateral_recipients": len(c["collateral_recipients"]),
                              "collateral_rows": c["collateral_rows"], "status": c["status"]}
                             for c in self.manifest["consolidations"]],
                            columns=["entry", "list", "owner", "replaced", "saves", "collateral_recipients",
                                     "collateral_rows", "status"])

    @property
    def moves(self) -> pd.DataFrame:
        return pd.DataFrame(self.manifest["personal_moves"],
                            columns=["entry", "from", "to", "rows", "recipients", "already_covered", "replaced", "note"])

    @property
    def fits(self) -> bool:
        """True when every wanted entry (or its consolidation) was exported: nothing was cut."""
        return not self.manifest["not_exported"]

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), **self.manifest}

    def describe(self) -> list[str]:
        """The export in plain words, one line each (what the command line prints).

        A step shows only when it changed something: "moved" appears only when entries moved.
        """
        m = self.manifest
        lines = [f"exported to {self.out_dir}: {len(self.files)} files, cap {m['cap']}, rules {m['rules']['profile']}"]
        moved_any = bool(m["personal_moves"])
        for _, r in self.counts.iterrows():
            name = "team" if r["list"] == "team" else f"personal {r['owner']}"
            steps = ["wanted", "normalised", "consolidated"] + (["moved"] if moved_any else []) + ["exported"]
            words = {"moved": "after moves"}
            lines.append(f"  {name}: " + " → ".join(f"{words.get(s, s)} {r[s]:,}" for s in steps))
        coll = m["collateral"]
        lines.append(f"  consolidations: {len(m['consolidations'])}; collateral: "
                     + (f"{coll['recipient_count']} recipients, {coll['rows']} rows" if coll else "unknown (no history)"))
        lines.append(f"  moved to personal lists: {len(m['personal_moves'])}; not exported: {len(m['not_exported'])}"
                     + ("" if self.fits else " (see cut.csv)"))
        if m["blocks"]:
            b = m["blocks"]
            lines.append(f"  blocks {b['rows_blocked']:,} rows of {b['recipients_blocked']:,} recipients; no longer "
                         f"blocked vs wanted: {b['rows_no_longer_blocked']:,} rows (verified by re-simulation)")
        if not self.fits:
            lines.append(f"  entries that did not fit: {self.out_dir / 'cut.csv'}")
        lines.append(f"  manifest: {self.out_dir / MANIFEST}")
        return lines

    def _lines(self) -> list[str]:
        m = self.manifest
        lines = [f"<ExportReport {self.out_dir}: {len(self.files)} files, cap {m['cap']}, rules {m['rules']['profile']}>"]
        lines += [x for x in self.describe()[1:] if not x.startswith(("  manifest:", "  entries that did not fit:"))]
        lines.append("  see .counts, .cut, .consolidations, .moves, .plot(), .manifest")
        return lines

    def __repr__(self) -> str:
        return "\n".join(self._lines())

    def _repr_html_(self) -> str:
        def table(df: pd.DataFrame, where: str, limit: int = 20) -> str:
            if df.empty:
                return "<p>none</p>"
            shown = min(limit, len(df))
            note = f"{shown:,} of {len(df):,} shown" + (f"; all {len(df):,}: {where}" if shown < len(df) else "")
            return df.head(limit).to_html(index=False, escape=True) + f"<p><small>{html.escape(note)}</small></p>"
        head = "<br>".join(html.escape(x) for x in self._lines()[:1] + self._lines()[-3:-1])
        return (f"<div class='neverlog-export'><p>{head}</p><h4>Entries per list after each step</h4>{table(self.counts, '.counts')}"
                f"<h4>Consolidations</h4>{table(self.consolidations, '.consolidations')}"
                f"<h4>Moved to personal lists</h4>{table(self.moves, '.moves')}"
                f"<h4>Not exported</h4>{table(self.cut, '.cut and cut.csv')}</div>")

    def plot(self):
        """Entries ranked by impact, one panel per list, kept and cut in two colours, with the cap line.

        Returns a Figure that shows itself once in Jupyter (inline SVG; no pyplot, no second copy).

        >>> report.plot()  # doctest: +SKIP
        """
        from ..report.charts import CAP_COLOUR, INK, ChartFigure, _style
        owners = list(dict.fromkeys(self.ranked["owner"])) or [""]
        with _style():
            fig = ChartFigure(figsize=(8, 2.6 * len(owners)), layout="constrained")
            axes = fig.subplots(len(owners), 1, squeeze=False)
            for ax, owner in zip(axes[:, 0], owners):
                df = self.ranked[self.ranked["owner"] == owner]
                handles = []
                for kept, colour, label in ((True, "#5b8ff9", "kept"), (False, "#f08c2e", "cut")):
                    part = df[df["kept"] == kept]
                    handles.append(ax.bar(part["rank"], part["rows"], width=1.0, color=colour,
                                          label=f"{label} ({len(part)})"))
                handles.append(ax.axvline(self.manifest["cap"] + 0.5, color=CAP_COLOUR, linestyle="--",
                                          label=f"cap {self.manifest['cap']}"))
                ax.set_xlim(0, max(len(df), 1) * 1.05 if len(df) < 0.8 * self.manifest["cap"]
                            else max(len(df), self.manifest["cap"]) * 1.05)
                ax.set_title("team list" if not owner else f"personal list of {owner}", color=INK)
                ax.set_xlabel("entry rank by impact")
                ax.set_ylabel("rows blocked")
                ax.legend(handles=handles, loc="upper right")
        return fig
