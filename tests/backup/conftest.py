"""The backup drill borrows the DataStore tests' worker and cleaning, and the
partner portal of the harvest-to-DataStore tests."""

from __future__ import annotations

from ..datastore.conftest import clean_datastore, run_jobs
from ..datastore.test_harvest_to_datastore import partner

__all__ = ["clean_datastore", "partner", "run_jobs"]
