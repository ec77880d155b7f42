"""Hypothesis profiles: `ci` (at least 1,000 state-machine examples) and a quicker default."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
