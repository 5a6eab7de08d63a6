"""Shared test settings.

Hypothesis runs derandomized (a fixed seed derived from each test) and without
its example database, so a CI run is a pure function of the code: a property
test that passes once passes every time, and a failure reproduces exactly.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "repeatable", derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

