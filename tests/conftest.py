import os

import pytest
from hypothesis import HealthCheck, settings

# CI runs the same examples every time, so a green run is reproducible; a
# developer's runs explore new ones (and keep failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path_factory, monkeypatch):
    """Every test gets its own state directory: the action log and console logs an App
    writes there never reach the user's, nor one test's another's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
