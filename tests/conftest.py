"""Shared test settings.

Hypothesis runs derandomized (a fixed seed derived from each test) and without
its example database, so a CI run is a pure function of the code: a property
test that passes once passes every time, and a failure reproduces exactly.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "repeatable", derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


# scripts/test.sh runs pytest on both cores (pytest-xdist, --dist loadgroup).
# Each test file, doctest module and notebook is one unit of work: a
# notebook's cells share one kernel and must stay together and in order. The
# strict book build and the tests of the built book (test_book.py,
# test_browser.py) are one unit, so the book is built once; it is the longest,
# so it is handed out first.
BOOK_GROUP = "book"
BOOK_MODULES = {"test_book.py", "test_browser.py"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        name = BOOK_GROUP if item.path.name in BOOK_MODULES else str(item.path)
        item.add_marker(pytest.mark.xdist_group(name))
    items.sort(key=lambda item: item.path.name not in BOOK_MODULES)    # stable
