"""neverlog_sim — preview what a HubSpot Never Log list would do, and export lists HubSpot accepts.

>>> from neverlog_sim import Policy, load_sent, simulate
>>> from neverlog_sim.samples import sample_path
>>> sent = load_sent(sample_path("sent_canonical.csv"), progress=False)   # doctest: +SKIP
>>> result = simulate(sent, Policy.from_dir(sample_path("lists")))         # doctest: +SKIP
>>> result.to_html("report.html"); result.to_excel("impact.xlsx")          # doctest: +SKIP

The rules the simulator follows, in the project's own words: docs/rules.md.
"""

from . import _moved
from ._version import __version__
from .advice import DoctorSettings, Findings, Suggestions, doctor, suggest
from .backtest import Backtest, backtest
from .entries import Entry, parse_entry
from .errors import (
    AmbiguousInputError,
    ArgumentError,
    EntryError,
    EntryProblem,
    ExportError,
    InputError,
    MissingColumnsError,
    NeverLogError,
    RulesError,
    WorkspaceError,
    SetAsideError,
)
from .export import ExportReport, export_lists
from .history import SentMail, build_sent, load_contacts, load_sent, load_tracking, open_sent
from .lists import CAP, NeverLogList, Policy
from .results import SimulationResult
from .rules import PROFILES, Rules, get_rules
from .scenario import Scenario, read_scenario
from .simulate import simulate


_moved.install()  # old module paths (neverlog_sim.ingest, .hubspot, .charts ...) keep working

# The live preview (neverlog_sim.widgets.preview) is imported on use: it pulls in ipywidgets,
# which the command line never needs.

__all__ = [
    "Backtest",
    "AmbiguousInputError",
    "ArgumentError",
    "CAP",
    "DoctorSettings",
    "Entry",
    "EntryError",
    "EntryProblem",
    "ExportError",
    "ExportReport",
    "Findings",
    "InputError",
    "MissingColumnsError",
    "NeverLogError",
    "NeverLogList",
    "PROFILES",
    "Policy",
    "Rules",
    "RulesError",
    "Scenario",
    "SentMail",
    "SetAsideError",
    "SimulationResult",
    "Suggestions",
    "WorkspaceError",
    "backtest",
    "build_sent",
    "doctor",
    "export_lists",
    "get_rules",
    "load_contacts",
    "load_sent",
    "load_tracking",
    "open_sent",
    "parse_entry",
    "read_scenario",
    "simulate",
    "suggest",
]
