"""neverlog_sim — preview what a HubSpot Never Log list would do, and export lists HubSpot accepts."""

from . import _moved
from .advice import DoctorSettings, Findings, Suggestions, doctor, suggest
from .entries import Entry, parse_entry
from .errors import (
    EntryError,
    EntryProblem,
    ExportError,
    InputError,
    MissingColumnsError,
    NeverLogError,
    RulesError,
)
from .export import ExportReport, export_lists
from .history import SentMail, build_sent, load_contacts, load_sent, load_tracking
from .lists import CAP, NeverLogList, Policy
from .results import SimulationResult
from .rules import PROFILES, Rules, get_rules
from .simulate import simulate

__version__ = "0.1.0"

_moved.install()  # old module paths (neverlog_sim.ingest, .hubspot, .charts ...) keep working

# The live preview (neverlog_sim.widgets.preview) is imported on use: it pulls in ipywidgets,
# which the command line never needs.

__all__ = [
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
    "SentMail",
    "SimulationResult",
    "Suggestions",
    "build_sent",
    "doctor",
    "export_lists",
    "get_rules",
    "load_contacts",
    "load_sent",
    "load_tracking",
    "parse_entry",
    "simulate",
    "suggest",
]
