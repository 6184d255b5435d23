"""simulate() shows a progress bar over its long steps (issue 12: the bar covers the simulation too).

The bar is tqdm's, like loading's: it appears only when the steps take longer than about a second,
so these tests record the bar the simulation asks for rather than read the terminal.
"""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from neverlog_sim import PROFILES, Policy, load_sent, simulate

# The module, not the function the package exports under the same name.
simulate_module = importlib.import_module("neverlog_sim.simulate")


class Recorder:
    """Stands in for the progress bar: what it was asked to count, and how far it got."""

    made: list["Recorder"] = []

    def __init__(self, total, desc, enabled):
        self.total, self.desc, self.enabled, self.done, self.closed = total, desc, enabled, 0, False
        Recorder.made.append(self)

    def update(self, n=1):
        self.done += n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True


@pytest.fixture
def bars(monkeypatch):
    Recorder.made = []
    monkeypatch.setattr(simulate_module, "_progress", Recorder)
    return Recorder.made


def _sent():
    rows = pd.DataFrame({
        "message_id": ["m1", "m1", "m2", "m3"],
        "sent_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03"]),
        "sender": ["ann@corp.com", "ann@corp.com", "bob@corp.com", "ann@corp.com"],
        "channel": ["extension", "extension", "crm", "extension"],
        "recipient": ["x@rival.com", "y@client.com", "z@rival.com", "y@client.com"],
        "role": ["to", "cc", "to", "to"],
    })
    return load_sent(rows, progress=False)


TRACKING = pd.DataFrame({"message_id": ["m1"], "recipient": ["x@rival.com"], "event": ["open"],
                         "occurred_at": pd.to_datetime(["2024-01-01 10:00"])})


@pytest.mark.parametrize("rules, tracking", [
    (PROFILES["seed-2023"], None),
    (PROFILES["seed-2023"], TRACKING),
    (PROFILES["seed-2023"].replace(subdomains=True), TRACKING),
    (PROFILES["2026"], None),
    (PROFILES["2026"].replace(logging_rule="replies_only"), TRACKING),
], ids=["seed-2023", "with-tracking", "subdomains", "2026", "2026-replies-only"])
def test_the_bar_counts_every_step_of_a_full_simulation(bars, rules, tracking):
    result = simulate(_sent(), Policy(team=["*@rival.com"]), rules=rules, tracking=tracking, incremental=False)
    result.metrics()
    assert 1 == len(bars)
    bar = bars[0]
    assert ("simulating", True, True) == (bar.desc, bar.enabled, bar.closed)
    assert bar.total == bar.done  # every counted step ran, and nothing ran uncounted


def test_progress_false_disables_the_bar(bars):
    simulate(_sent(), Policy(team=["*@rival.com"]), progress=False, incremental=False).metrics()
    assert [False] == [bar.enabled for bar in bars]


def test_progress_false_writes_nothing(capsys):
    simulate(_sent(), Policy(team=["*@rival.com"]), progress=False).metrics()
    assert ("", "") == tuple(capsys.readouterr())
