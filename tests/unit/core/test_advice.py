"""Rollout-safety advice ("Stable Rollout Settings")."""

from __future__ import annotations

from typing import Any

import pytest

from kiops_desktop.core.advice import max_unavailable, resolve_int_or_percent, rollout_safety_advice
from kiops_desktop.core.findings import Finding

PROBE = {"httpGet": {"path": "/healthz", "port": 8080}}


def good_container(name: str = "app", **overrides: Any) -> dict[str, Any]:
    container = {
        "name": name,
        "image": "registry/app:1.2",
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "readinessProbe": PROBE,
        "livenessProbe": PROBE,
        "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m"}},
    }
    container.update(overrides)
    return {k: v for k, v in container.items() if v is not None}


def deployment(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "replicas": 3,
        "progressDeadlineSeconds": 600,
        "revisionHistoryLimit": 10,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
        },
        "template": {"spec": {"containers": list(containers or [good_container()])}},
    }
    base.update(spec)
    return {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {k: v for k, v in base.items() if v is not None},
    }


def codes(dep: dict[str, Any]) -> list[str]:
    return [finding.code for finding in rollout_safety_advice(dep)]


def only(dep: dict[str, Any], code: str) -> Finding:
    matching = [f for f in rollout_safety_advice(dep) if f.code == code]
    assert len(matching) == 1
    return matching[0]


def test_a_well_configured_deployment_gets_no_advice() -> None:
    assert rollout_safety_advice(deployment()) == ()


# ----------------------------------------------------------------------------- progress deadline


@pytest.mark.parametrize(
    ("deadline", "flagged"), [(None, True), (2147483647, True), (600, False), (60, False)]
)
def test_progress_deadline(deadline: int | None, flagged: bool) -> None:
    dep = deployment(progressDeadlineSeconds=deadline)
    assert ("no-progress-deadline" in codes(dep)) is flagged


def test_progress_deadline_fix() -> None:
    finding = only(deployment(progressDeadlineSeconds=2147483647), "no-progress-deadline")
    assert finding.severity == "warning"
    assert "never fails" in finding.detail
    assert (
        finding.fix
        == 'kubectl patch deployment/web -n shop -p \'{"spec":{"progressDeadlineSeconds":600}}\''
    )


# ----------------------------------------------------------------------------- containers


def test_missing_readiness_probe_with_a_port_gets_a_tcp_probe_patch() -> None:
    finding = only(deployment(good_container(readinessProbe=None)), "no-readiness-probe")
    assert finding.severity == "warning"
    assert finding.title == "No readiness probe: app"
    assert "traffic before they are ready" in finding.detail
    assert finding.fix == (
        "kubectl patch deployment/web -n shop -p "
        '\'{"spec":{"template":{"spec":{"containers":[{"name":"app","readinessProbe":'
        '{"tcpSocket":{"port":8080}}}]}}}}\''
    )


def test_missing_readiness_probe_without_a_port() -> None:
    finding = only(
        deployment(good_container(readinessProbe=None, ports=None)), "no-readiness-probe"
    )
    assert (
        finding.fix
        == 'Add a readinessProbe to container "app" (e.g. an httpGet on its health endpoint).'
    )


def test_missing_liveness_probe_and_limits_are_per_container() -> None:
    dep = deployment(
        good_container(),
        good_container("worker", livenessProbe=None, resources={"requests": {"cpu": "1"}}),
        good_container("sidecar", resources=None),
    )
    findings = rollout_safety_advice(dep)
    assert [(f.severity, f.code, f.title) for f in findings] == [
        ("info", "no-liveness-probe", "No liveness probe: worker"),
        ("info", "no-resource-limits", "No resource limits: sidecar"),
        ("info", "no-resource-limits", "No resource limits: worker"),
    ]
    assert (
        findings[2].fix
        == "kubectl set resources deployment/web -n shop -c=worker --limits=cpu=500m,memory=512Mi"
    )


# ----------------------------------------------------------------------------- strategy


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        ("25%", 3, False, 0),
        ("25%", 4, False, 1),
        ("25%", 10, False, 2),
        ("25%", 3, True, 1),
        ("25%", 10, True, 3),
        ("0%", 5, True, 0),
        (2, 10, False, 2),
        ("2", 10, False, None),
        ("x%", 10, False, None),
        (True, 10, False, None),
        (None, 10, False, None),
    ],
)
def test_resolve_int_or_percent(
    value: Any, total: int, round_up: bool, expected: int | None
) -> None:
    assert resolve_int_or_percent(value, total, round_up=round_up) == expected


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "expected"),
    [
        (1, "25%", "25%", 0),
        (3, "25%", "25%", 0),
        (4, "25%", "25%", 1),
        (10, "25%", "25%", 2),
        (3, 1, 0, 0),
        (3, 0, "25%", 1),  # both resolve to 0: the controller makes it 1
        (3, "0%", "0%", 1),
        (2, 1, 5, 2),  # capped at replicas
        (0, "25%", "100%", 0),
        (None, None, None, 0),  # defaults: 1 replica, 25 %/25 %
    ],
)
def test_max_unavailable(replicas: int | None, surge: Any, unavailable: Any, expected: int) -> None:
    rolling = {
        k: v for k, v in {"maxSurge": surge, "maxUnavailable": unavailable}.items() if v is not None
    }
    spec: dict[str, Any] = {"strategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}
    if replicas is not None:
        spec["replicas"] = replicas
    assert max_unavailable(spec) == expected


@pytest.mark.parametrize(
    ("replicas", "strategy", "flagged"),
    [
        (
            3,
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            False,
        ),
        (
            4,
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            True,
        ),
        (
            4,
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            False,
        ),
        (4, None, True),  # no strategy at all: the API defaults, 25 %/25 %
        (
            3,
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "25%"}},
            True,
        ),
        (
            0,
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
            False,
        ),
    ],
)
def test_max_unavailable_advice(
    replicas: int, strategy: dict[str, Any] | None, flagged: bool
) -> None:
    dep = deployment(replicas=replicas, strategy=strategy)
    assert ("max-unavailable" in codes(dep)) is flagged


def test_max_unavailable_text_and_fix() -> None:
    finding = only(deployment(replicas=10), "max-unavailable")
    assert finding.severity == "warning"
    assert finding.detail == (
        'Deployment "web" has maxUnavailable 25% with 10 replicas: up to 2 pod(s) stop serving during '
        "every rollout and rollback."
    )
    assert finding.fix == (
        "kubectl patch deployment/web -n shop -p "
        '\'{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":0,"maxSurge":"25%"}}}}\''
    )


def test_max_unavailable_fix_keeps_a_surge_when_it_was_zero() -> None:
    dep = deployment(
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    )
    finding = only(dep, "max-unavailable")
    assert finding.fix is not None
    assert '"maxUnavailable":0,"maxSurge":1' in finding.fix


def test_recreate_strategy() -> None:
    finding = only(deployment(strategy={"type": "Recreate"}), "recreate-strategy")
    assert finding.severity == "warning"
    assert "all serving pods away" in finding.detail
    assert finding.fix == (
        "kubectl patch deployment/web -n shop -p "
        '\'{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":1}}}}\''
    )
    assert "max-unavailable" not in codes(deployment(strategy={"type": "Recreate"}))


# ----------------------------------------------------------------------------- history


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (0, [("danger", "no-revision-history")]),
        (1, [("warning", "short-revision-history")]),
        (2, []),
        (None, []),  # the API default is 10
    ],
)
def test_revision_history_limit(limit: int | None, expected: list[tuple[str, str]]) -> None:
    findings = rollout_safety_advice(deployment(revisionHistoryLimit=limit))
    assert [(f.severity, f.code) for f in findings] == expected
    for finding in findings:
        assert (
            finding.fix
            == 'kubectl patch deployment/web -n shop -p \'{"spec":{"revisionHistoryLimit":10}}\''
        )


# ----------------------------------------------------------------------------- order


def test_everything_wrong_in_order() -> None:
    dep = deployment(
        good_container(readinessProbe=None, livenessProbe=None, resources=None),
        progressDeadlineSeconds=None,
        revisionHistoryLimit=0,
        strategy={"type": "Recreate"},
    )
    assert codes(dep) == [
        "no-revision-history",
        "no-progress-deadline",
        "no-readiness-probe",
        "recreate-strategy",
        "no-liveness-probe",
        "no-resource-limits",
    ]


def test_namespace_defaults_to_default() -> None:
    dep = deployment(revisionHistoryLimit=1)
    del dep["metadata"]["namespace"]
    finding = only(dep, "short-revision-history")
    assert finding.fix is not None
    assert " -n default " in finding.fix
