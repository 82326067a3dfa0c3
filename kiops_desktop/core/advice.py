"""Rollout-safety advice: Deployment settings that make a bad release (or its rollback) hurt more.

Shown as "Stable Rollout Settings" next to the history: none of these stop a rollback, but each
one changes how a rollout fails - silently, with traffic on broken pods, with every pod gone at
once, or with no revision left to go back to. Each finding carries a one-line fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kiops_desktop.core.findings import Finding, ordered
from kiops_desktop.core.revisions import metadata_of, parse_go_int

Obj = Mapping[str, Any]

# spec.progressDeadlineSeconds = MaxInt32 means "no deadline" to the controller.
PROGRESS_DEADLINE_DISABLED = 2147483647
DEFAULT_PROGRESS_DEADLINE = 600
DEFAULT_REVISION_HISTORY_LIMIT = 10


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def resolve_int_or_percent(value: Any, total: int, *, round_up: bool) -> int | None:
    """An IntOrString against ``total`` (Go's ``GetScaledValueFromIntOrPercent``); None when it
    is not a valid value (the API server would not have stored it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not value.endswith("%"):
        return None
    percent = parse_go_int(value[:-1])
    if percent is None:
        return None
    scaled = percent * total
    return -(-scaled // 100) if round_up else scaled // 100


def max_unavailable(spec: Mapping[str, Any]) -> int | None:
    """Resolved maxUnavailable of a RollingUpdate Deployment (§1.7): percentages round down, 0 if
    both it and maxSurge resolve to 0 becomes 1, capped at replicas, 0 with no replicas."""
    replicas = spec.get("replicas", 1)
    replicas = replicas if isinstance(replicas, int) else 1
    if replicas == 0:
        return 0
    rolling = _mapping(_mapping(spec.get("strategy")).get("rollingUpdate"))
    surge = resolve_int_or_percent(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = resolve_int_or_percent(
        rolling.get("maxUnavailable", "25%"), replicas, round_up=False
    )
    if surge is None or unavailable is None:
        return None
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return min(unavailable, replicas)


def _patch(name: str, namespace: str, body: Mapping[str, Any]) -> str:
    text = json.dumps(body, separators=(",", ":"))
    return f"kubectl patch deployment/{name} -n {namespace} -p '{text}'"


def rollout_safety_advice(deployment: Obj) -> tuple[Finding, ...]:
    """Findings about ``deployment``'s rollout settings, danger first."""
    meta = metadata_of(deployment)
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "default")
    spec = _mapping(deployment.get("spec"))
    pairs: list[tuple[str, Finding]] = []

    def add(subject: str, finding: Finding) -> None:
        pairs.append((subject, finding))

    deadline = spec.get("progressDeadlineSeconds")
    if deadline is None or deadline == PROGRESS_DEADLINE_DISABLED:
        state = (
            "has no progressDeadlineSeconds"
            if deadline is None
            else "disables its progress deadline"
        )
        add(
            name,
            Finding(
                "warning",
                "no-progress-deadline",
                "No progress deadline",
                f'Deployment "{name}" {state}: a stuck rollout never fails, so nothing (kubectl '
                "rollout status included) ever reports it.",
                _patch(
                    name,
                    namespace,
                    {"spec": {"progressDeadlineSeconds": DEFAULT_PROGRESS_DEADLINE}},
                ),
            ),
        )

    pod_spec = _mapping(_mapping(spec.get("template")).get("spec"))
    for container in pod_spec.get("containers") or []:
        container = _mapping(container)
        cname = str(container.get("name", ""))
        if not container.get("readinessProbe"):
            ports = [_mapping(p).get("containerPort") for p in container.get("ports") or []]
            port = next((p for p in ports if isinstance(p, int)), None)
            fix = (
                _patch(
                    name,
                    namespace,
                    {
                        "spec": {
                            "template": {
                                "spec": {
                                    "containers": [
                                        {
                                            "name": cname,
                                            "readinessProbe": {"tcpSocket": {"port": port}},
                                        }
                                    ]
                                }
                            }
                        }
                    },
                )
                if port is not None
                else f'Add a readinessProbe to container "{cname}" (e.g. an httpGet on its health endpoint).'
            )
            add(
                cname,
                Finding(
                    "warning",
                    "no-readiness-probe",
                    f"No readiness probe: {cname}",
                    f'Container "{cname}" of Deployment "{name}" has no readinessProbe: its pods get '
                    "traffic before they are ready, and a broken release looks healthy to the rollout.",
                    fix,
                ),
            )
        if not container.get("livenessProbe"):
            add(
                cname,
                Finding(
                    "info",
                    "no-liveness-probe",
                    f"No liveness probe: {cname}",
                    f'Container "{cname}" of Deployment "{name}" has no livenessProbe: a hung process '
                    "is never restarted.",
                    f'Add a livenessProbe to container "{cname}" (e.g. an httpGet on its health endpoint).',
                ),
            )
        if not _mapping(container.get("resources")).get("limits"):
            add(
                cname,
                Finding(
                    "info",
                    "no-resource-limits",
                    f"No resource limits: {cname}",
                    f'Container "{cname}" of Deployment "{name}" has no resources.limits: a leaking '
                    "release can starve its neighbours on the node.",
                    f"kubectl set resources deployment/{name} -n {namespace} -c={cname} "
                    "--limits=cpu=500m,memory=512Mi",
                ),
            )

    strategy = _mapping(spec.get("strategy"))
    if strategy.get("type") == "Recreate":
        add(
            name,
            Finding(
                "warning",
                "recreate-strategy",
                "Recreate strategy",
                f'Deployment "{name}" uses the Recreate strategy: every rollout and rollback takes '
                "all serving pods away before new ones start (keep it only if pods cannot run side "
                "by side, e.g. on a ReadWriteOnce volume).",
                _patch(
                    name,
                    namespace,
                    {
                        "spec": {
                            "strategy": {
                                "type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
                            }
                        }
                    },
                ),
            ),
        )
    else:
        unavailable = max_unavailable(spec)
        if unavailable:
            rolling = _mapping(strategy.get("rollingUpdate"))
            raw = rolling.get("maxUnavailable", "25%")
            replicas = spec.get("replicas", 1) if isinstance(spec.get("replicas", 1), int) else 1
            # maxUnavailable and maxSurge cannot both be 0: keep a surge of at least one pod.
            surge = resolve_int_or_percent(rolling.get("maxSurge", "25%"), replicas, round_up=True)
            surge_value = rolling.get("maxSurge", "25%") if surge else 1
            add(
                name,
                Finding(
                    "warning",
                    "max-unavailable",
                    "Rollouts take serving pods away",
                    f'Deployment "{name}" has maxUnavailable {raw} with {replicas} replicas: up to '
                    f"{unavailable} pod(s) stop serving during every rollout and rollback.",
                    _patch(
                        name,
                        namespace,
                        {
                            "spec": {
                                "strategy": {
                                    "rollingUpdate": {"maxUnavailable": 0, "maxSurge": surge_value}
                                }
                            }
                        },
                    ),
                ),
            )

    limit = spec.get("revisionHistoryLimit")
    history_fix = _patch(
        name, namespace, {"spec": {"revisionHistoryLimit": DEFAULT_REVISION_HISTORY_LIMIT}}
    )
    if limit == 0:
        add(
            name,
            Finding(
                "danger",
                "no-revision-history",
                "Rollback impossible",
                f'Deployment "{name}" has revisionHistoryLimit 0: old ReplicaSets are deleted as soon '
                "as a rollout completes, so there is no revision to roll back to.",
                history_fix,
            ),
        )
    elif limit == 1:
        add(
            name,
            Finding(
                "warning",
                "short-revision-history",
                "Only one step back",
                f'Deployment "{name}" has revisionHistoryLimit 1: only the previous revision is kept, '
                "so a rollback can go back one step and no further.",
                history_fix,
            ),
        )
    return ordered(pairs)
