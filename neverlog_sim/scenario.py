"""Scenarios that can be saved and reopened: lists + rule profile + assumptions, in one JSON or TOML file.

A scenario file names the rule profile, the assumptions changed from it, and the candidate (and
optionally baseline) lists — inline, or as a folder ``Policy.from_dir`` reads (relative to the file)::

    # scenario.toml
    name = "Q3 clean-up"
    rules = "seed-2023"

    [assumptions]           # any of: subdomains, roles, creating_channels, crm_implies_contact,
    roles = ["to", "cc"]    # unknown_channel_applies, applies (docs/rules.md#assumptions)

    [candidate]
    folder = "lists"        # team.txt and personal/<owner>.txt beside this file
    team = ["*@gmail.com"]  # and/or entries inline (merged with the folder's team list)

    [candidate.personal]
    "jose.hansen@northwind-analytics.com" = ["*@hansenfamily.net"]

>>> scenario = read_scenario("scenario.toml")          # doctest: +SKIP
>>> result = simulate(sent, scenario=scenario)          # doctest: +SKIP
>>> Scenario(candidate=Policy(team=["*@rival.com"])).save("rival.json")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, read_utf8
from .lists import NeverLogList, Policy
from .rules import PROFILES, Rules, get_rules

__all__ = ["Scenario", "read_scenario", "ASSUMPTION_FIELDS"]

# The rule-profile fields a scenario may change, with the type each takes.
ASSUMPTION_FIELDS = {"subdomains": bool, "roles": list, "creating_channels": list, "crm_implies_contact": bool,
                     "unknown_channel_applies": bool, "applies": list}
_TOP_KEYS = {"name", "rules", "assumptions", "candidate", "baseline"}
_POLICY_KEYS = {"folder", "team", "personal"}


def _profile_of(rules: Rules) -> str:
    """The built-in profile a Rules derives from (``"seed-2023+custom"`` → ``"seed-2023"``)."""
    base = rules.name.split("+", 1)[0]
    return base if base in PROFILES else "seed-2023"


@dataclass(frozen=True)
class Scenario:
    """One what-if, complete: the candidate and baseline policies and the rules they run under.

    ``name`` a label for reports; ``source`` the file it was read from (None when built in Python).

    >>> s = Scenario(candidate=Policy(team=["*@rival.com"]), name="rivals")
    >>> s.to_dict()["candidate"]["team"], s.to_dict()["rules"]
    (['*@rival.com'], 'seed-2023')
    """

    candidate: Policy
    baseline: Policy = field(default_factory=Policy)
    rules: Rules = field(default_factory=lambda: PROFILES["seed-2023"])
    name: str = ""
    source: str | None = None

    def assumptions(self) -> dict:
        """The assumptions that differ from the profile, as ``{field: value}`` (lists sorted)."""
        base = get_rules(_profile_of(self.rules))
        out = {}
        for key in ASSUMPTION_FIELDS:
            value, default = getattr(self.rules, key), getattr(base, key)
            if value != default:
                out[key] = sorted(value) if isinstance(value, frozenset) else value
        return out

    def to_dict(self) -> dict:
        """The scenario as the JSON / TOML file holds it (lists inline)."""
        out = {"name": self.name, "rules": _profile_of(self.rules), "assumptions": self.assumptions(),
               "candidate": self.candidate.to_dict()}
        if self.baseline.size:
            out["baseline"] = self.baseline.to_dict()
        return out

    def summary(self) -> dict:
        """What a report records: name, file, profile, assumptions changed, list sizes."""
        return {"name": self.name, "source": self.source, "rules": _profile_of(self.rules),
                "assumptions": self.assumptions(), "candidate_entries": self.candidate.size,
                "baseline_entries": self.baseline.size}

    def save(self, path: str | Path) -> Path:
        """Write the scenario to ``path``: ``.json`` or ``.toml`` (by the suffix), atomically."""
        from .atomic import write_text_atomic
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        elif suffix == ".toml":
            text = _to_toml(self.to_dict())
        else:
            raise InputError(f"{str(path)!r}: a scenario file is .json or .toml; give a path with one of those suffixes")
        return write_text_atomic(path, text)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _to_toml(d: dict) -> str:
    lines = [f"name = {_toml_value(d['name'])}", f"rules = {_toml_value(d['rules'])}", "", "[assumptions]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in d["assumptions"].items()]
    for which in ("candidate", "baseline"):
        if which not in d:
            continue
        lines += ["", f"[{which}]", f"team = {_toml_value(d[which]['team'])}", "", f"[{which}.personal]"]
        lines += [f"{_toml_value(o)} = {_toml_value(e)}" for o, e in d[which]["personal"].items()]
    return "\n".join(lines) + "\n"


def _load(path: Path) -> dict:
    text = read_utf8(path, str(path))
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{str(path)!r}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
    elif suffix == ".toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            try:
                import tomli as tomllib
            except ImportError:
                raise InputError(f"{str(path)!r}: reading TOML on Python 3.10 needs tomli (pip install tomli); "
                                 "or write the scenario as .json") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{str(path)!r}: not valid TOML ({exc})") from None
    else:
        raise InputError(f"{str(path)!r}: a scenario file is .json or .toml")
    if not isinstance(data, dict):
        raise InputError(f"{str(path)!r}: a scenario is a table of keys {sorted(_TOP_KEYS)}")
    return data


def _policy(spec, where: str, base: Path) -> Policy:
    if spec is None:
        return Policy()
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a table with keys {sorted(_POLICY_KEYS)}, got {type(spec).__name__}")
    unknown = sorted(set(spec) - _POLICY_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; the keys are {sorted(_POLICY_KEYS)}")
    team, personal = [], {}
    if "folder" in spec:
        folder = Policy.from_dir(base / str(spec["folder"]))
        team += [str(e) for e in folder.team.entries]
        personal.update({o: [str(e) for e in l.entries] for o, l in folder.personal.items()})
    for key, kind in (("team", list), ("personal", dict)):
        if key in spec and not isinstance(spec[key], kind):
            raise InputError(f"{where}.{key}: expected a {'list of entries' if kind is list else 'table owner = [entries]'}")
    team += list(spec.get("team", []))
    for owner, entries in spec.get("personal", {}).items():
        if not isinstance(entries, list):
            raise InputError(f"{where}.personal.{owner}: expected a list of entries")
        personal.setdefault(owner, [])
        personal[owner] = personal[owner] + list(entries)
    source = f"{where}"
    return Policy(team=NeverLogList.from_text("\n".join(map(str, team)), source=f"{source}.team"),
                  personal={o: NeverLogList.from_text("\n".join(map(str, e)), scope="personal", owner=o,
                                                      source=f"{source}.personal.{o}")
                            for o, e in personal.items()})


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (``.json`` or ``.toml``); list folders are relative to the file.

    Errors name the file and the key: an unknown key, an unknown profile, an assumption of the wrong type.

    >>> scenario = read_scenario("q3.toml")               # doctest: +SKIP
    >>> scenario.name, scenario.assumptions()             # doctest: +SKIP
    ('Q3 clean-up', {'roles': ['cc', 'to']})
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"scenario file {str(path)!r} does not exist")
    data = _load(path)
    where = str(path)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; a scenario has {sorted(_TOP_KEYS)}")
    if "candidate" not in data:
        raise InputError(f"{where}: no [candidate] table; give the candidate lists (folder, team, personal)")
    profile = data.get("rules", "seed-2023")
    if profile not in PROFILES:
        raise InputError(f"{where}: rules = {profile!r} is not a profile; the profiles are {sorted(PROFILES)} "
                         "(docs/rules.md#rule-profiles)")
    rules = get_rules(profile)
    changes = data.get("assumptions", {}) or {}
    if not isinstance(changes, dict):
        raise InputError(f"{where}: [assumptions] must be a table")
    for key, value in changes.items():
        kind = ASSUMPTION_FIELDS.get(key)
        if kind is None:
            raise InputError(f"{where}: assumptions.{key} is not an assumption; the assumptions are "
                             f"{sorted(ASSUMPTION_FIELDS)} (docs/rules.md#assumptions)")
        if not isinstance(value, kind):
            raise InputError(f"{where}: assumptions.{key} must be a {'list' if kind is list else 'true/false'}, "
                             f"got {value!r}")
    if changes:
        rules = rules.replace(**{k: (frozenset(v) if isinstance(v, list) else v) for k, v in changes.items()})
    return Scenario(candidate=_policy(data["candidate"], f"{where}: candidate", path.parent),
                    baseline=_policy(data.get("baseline"), f"{where}: baseline", path.parent),
                    rules=rules, name=str(data.get("name", "") or path.stem), source=str(path))
