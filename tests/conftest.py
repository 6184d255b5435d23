"""Shared test settings: the Hypothesis profile, chosen by HYPOTHESIS_PROFILE (default "ci")."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# "ci": the example budget of the property tests (tests/test_reference.py: 200 whole scenarios for
# the engine against the reference, 50 for each other property), no deadline — each example loads
# a history into DuckDB, whose timing varies on a shared machine. Tests that set their own
# max_examples keep it. "dev": a quick pass while editing (HYPOTHESIS_PROFILE=dev).
settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# One SparkSession for the whole run: the tests that run on both engines (tests/engines.py) share it.
from engines import spark_session  # noqa: E402,F401

