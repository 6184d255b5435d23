"""Advice on Never Log lists: the doctor (what is wrong with a list) and the advisor (what the history supports).

>>> from neverlog_sim import doctor, suggest  # doctest: +SKIP
"""

from .doctor import DoctorSettings, Findings, doctor
from .suggest import Suggestions, suggest

__all__ = ["doctor", "Findings", "DoctorSettings", "suggest", "Suggestions"]
