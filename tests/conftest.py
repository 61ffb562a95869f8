import os

from hypothesis import HealthCheck, settings

# CI runs the same examples every time, so a green run is reproducible; a
# developer's runs explore new ones (and keep failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
