"""The test suite's hypothesis profile holds on a slow, busy machine."""

from hypothesis import HealthCheck, settings


def test_hypothesis_runs_without_deadline_or_the_too_slow_health_check():
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check
