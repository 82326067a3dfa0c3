"""Fault rules: matching, counting down, and refusing nonsense with a sentence."""

from __future__ import annotations

import re

import pytest

from kiops_desktop.sandbox.faults import FaultInjector


def test_a_rule_fires_count_times_then_disappears() -> None:
    faults = FaultInjector()
    faults.add("GET", r"^/apis/apps/v1/", count=2, status=503)
    assert faults.match("GET", "/api/v1/pods") is None
    assert faults.match("POST", "/apis/apps/v1/namespaces/x/deployments") is None
    assert faults.match("GET", "/apis/apps/v1/deployments") is not None
    assert faults.match("GET", "/apis/apps/v1/deployments") is not None
    assert faults.match("GET", "/apis/apps/v1/deployments") is None
    assert faults.list() == []


def test_star_matches_any_method() -> None:
    faults = FaultInjector()
    faults.add("*", "pods", drop=True)
    rule = faults.match("DELETE", "/api/v1/namespaces/a/pods/p")
    assert rule is not None
    assert rule.drop


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0, "status": 500}, "count must be at least 1"),
        ({}, "a fault needs a status, a delay or drop"),
        ({"status": 200}, "status must be an HTTP error code (400-599)"),
        ({"delay": -1.0, "status": 500}, "delay must be between 0 and 300 seconds"),
    ],
)
def test_nonsense_is_refused_with_a_sentence(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        FaultInjector().add("GET", ".*", **kwargs)


def test_a_bad_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        FaultInjector().add("GET", "([", status=500)
