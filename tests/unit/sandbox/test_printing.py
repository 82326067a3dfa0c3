"""Server-side Table printing: HumanDuration, the pod STATUS/READY/RESTARTS algorithm and the tables.

Expected values are the ones kube-apiserver's printers (pkg/printers/internalversion/printers.go)
and apimachinery's duration.HumanDuration produce for the same input.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kiops_desktop.sandbox import printing
from kiops_desktop.sandbox.printing import (
    age,
    build_table,
    human_duration,
    pod_ready,
    pod_restarts,
    pod_status_reason,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
YEAR = 365 * DAY


def ago(seconds: float) -> str:
    """The RFC 3339 timestamp ``seconds`` before NOW, as the API serialises metav1.Time."""
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------ HumanDuration


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        # clock skew: int(d.Seconds()) truncates toward zero, below -1 is invalid
        (-3 * HOUR, "<invalid>"),
        (-2, "<invalid>"),
        (-1.999, "0s"),
        (-1, "0s"),
        (-0.5, "0s"),
        (0, "0s"),
        (0.999, "0s"),
        (1, "1s"),
        # < 120 s: seconds
        (59, "59s"),
        (60, "60s"),
        (119, "119s"),
        (119.999, "119s"),
        # < 10 min: NmSs, or Nm on the minute
        (120, "2m"),
        (121, "2m1s"),
        (150, "2m30s"),
        (9 * MINUTE + 59, "9m59s"),
        # < 3 h: minutes only
        (10 * MINUTE, "10m"),
        (10 * MINUTE + 59, "10m"),
        (3 * HOUR - 1, "179m"),
        # < 8 h: NhMm, or Nh on the hour
        (3 * HOUR, "3h"),
        (3 * HOUR + MINUTE, "3h1m"),
        (3 * HOUR + MINUTE + 59, "3h1m"),
        (8 * HOUR - 1, "7h59m"),
        # < 48 h: hours only
        (8 * HOUR, "8h"),
        (25 * HOUR + 59 * MINUTE, "25h"),
        (48 * HOUR - 1, "47h"),
        # < 8 d: NdHh, or Nd on the day
        (48 * HOUR, "2d"),
        (49 * HOUR, "2d1h"),
        (8 * DAY - 1, "7d23h"),
        # < 2 y: days only
        (8 * DAY, "8d"),
        (8 * DAY + 23 * HOUR, "8d"),
        (2 * YEAR - 1, "729d"),
        # < 8 y: NyDd, or Ny on the year
        (2 * YEAR, "2y"),
        (2 * YEAR + DAY, "2y1d"),
        (8 * YEAR - 1, "7y364d"),
        # beyond: years only
        (8 * YEAR, "8y"),
        (8 * YEAR + 200 * DAY, "8y"),
        (100 * YEAR, "100y"),
    ],
)
def test_human_duration_boundaries(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


def test_human_duration_ignores_float_noise_at_a_boundary() -> None:
    # 0.1 + 0.2 + 119.7 is 119.99999999999999 in binary floating point; Go's int64 nanoseconds
    # have no such noise, so the value must land on the 2-minute side.
    assert human_duration(0.1 + 0.2 + 119.7) == "2m"


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (None, "<unknown>"),
        ("", "<unknown>"),
        ("0001-01-01T00:00:00Z", "<unknown>"),  # Go's zero metav1.Time
        ("not-a-time", "<unknown>"),
        (ago(5 * MINUTE), "5m"),
        (ago(90), "90s"),
        (ago(3 * DAY + 4 * HOUR), "3d4h"),
        ("2026-01-01T11:59:30.999999Z", "29s"),  # MicroTime precision
        ("2026-01-01T13:00:00+02:00", "60m"),  # offsets are honoured
        ("2026-01-01t11:00:00z", "60m"),  # RFC 3339 allows lower case
        ("2026-01-01T12:00:01Z", "0s"),  # a second in the future is "now"
        ("2026-01-01T12:00:03Z", "<invalid>"),
    ],
)
def test_age(created: str | None, expected: str) -> None:
    assert age(created, NOW) == expected


def test_age_takes_a_naive_now_as_utc() -> None:
    assert age(ago(42), NOW.replace(tzinfo=None)) == "42s"


def test_timestamp_cache_is_bounded() -> None:
    # Thousands of distinct creation timestamps flow through a long-running sandbox.
    assert printing._parse_rfc3339_us.cache_info().maxsize is not None


# ------------------------------------------------------------------------ pod model builders


def running(
    name: str = "app", *, ready: bool = True, restarts: int = 0, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "ready": ready,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ago(HOUR)}},
        **extra,
    }


def waiting(name: str = "app", reason: str = "ContainerCreating", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
        **extra,
    }


def terminated(
    name: str = "app", *, exit_code: int = 0, reason: str = "", **extra: Any
) -> dict[str, Any]:
    state: dict[str, Any] = {"exitCode": exit_code}
    if reason:
        state["reason"] = reason
    state.update(extra.pop("state_extra", {}))
    return {
        "name": name,
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"terminated": state},
        **extra,
    }


def last_terminated(finished_seconds_ago: float) -> dict[str, Any]:
    return {
        "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(finished_seconds_ago)}
    }


def make_pod(
    *,
    containers: int | list[str] = 1,
    statuses: list[dict[str, Any]] | None = None,
    init: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    phase: str = "Running",
    conditions: list[dict[str, Any]] | None = None,
    reason: str = "",
    deleting: bool = False,
    name: str = "web-0",
) -> dict[str, Any]:
    names = [f"c{i}" for i in range(containers)] if isinstance(containers, int) else containers
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "uid": "7d3c0a9e-0000-4000-8000-000000000001",
        "resourceVersion": "17",
        "creationTimestamp": ago(5 * MINUTE),
    }
    if deleting:
        metadata["deletionTimestamp"] = ago(-30)
        metadata["deletionGracePeriodSeconds"] = 30
    spec: dict[str, Any] = {"containers": [{"name": n, "image": f"{n}:1"} for n in names]}
    if init is not None:
        spec["initContainers"] = init
    status: dict[str, Any] = {"phase": phase}
    if reason:
        status["reason"] = reason
    if conditions is not None:
        status["conditions"] = conditions
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    return {"metadata": metadata, "spec": spec, "status": status}


READY_TRUE = {"type": "Ready", "status": "True"}
INITIALIZED_TRUE = {"type": "Initialized", "status": "True"}
SIDECAR = {"name": "proxy", "image": "envoy:1", "restartPolicy": "Always"}


# ------------------------------------------------------------------- pod STATUS (spec §6.8)

POD_STATUS_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # §6.8 table, row by row
    (
        "unscheduled",
        make_pod(
            phase="Pending",
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
        ),
        "Pending",
        "0/1",
    ),
    ("creating", make_pod(phase="Pending", statuses=[waiting("c0")]), "ContainerCreating", "0/1"),
    (
        "running-and-ready",
        make_pod(statuses=[running("c0")], conditions=[READY_TRUE]),
        "Running",
        "1/1",
    ),
    (
        "crash-looping",
        make_pod(statuses=[waiting("c0", "CrashLoopBackOff", restartCount=5)]),
        "CrashLoopBackOff",
        "0/1",
    ),
    (
        "between-back-offs",
        make_pod(statuses=[terminated("c0", exit_code=1, reason="Error")]),
        "Error",
        "0/1",
    ),
    (
        "err-image-pull",
        make_pod(phase="Pending", statuses=[waiting("c0", "ErrImagePull")]),
        "ErrImagePull",
        "0/1",
    ),
    (
        "image-pull-back-off",
        make_pod(phase="Pending", statuses=[waiting("c0", "ImagePullBackOff")]),
        "ImagePullBackOff",
        "0/1",
    ),
    (
        "deleting",
        make_pod(statuses=[running("c0")], conditions=[READY_TRUE], deleting=True),
        "Terminating",
        "1/1",
    ),
    # status.reason beats the phase; deletion of a terminal pod keeps its reason
    ("evicted", make_pod(phase="Failed", reason="Evicted", statuses=[]), "Evicted", "0/1"),
    (
        "deleting-a-succeeded-pod",
        make_pod(phase="Succeeded", statuses=[terminated("c0", reason="Completed")], deleting=True),
        "Completed",
        "0/1",
    ),
    (
        "deleting-a-failed-pod",
        make_pod(
            phase="Failed", statuses=[terminated("c0", exit_code=1, reason="Error")], deleting=True
        ),
        "Error",
        "0/1",
    ),
    (
        "node-lost-while-deleting",
        make_pod(phase="Failed", reason="NodeLost", statuses=[running("c0")], deleting=True),
        "Unknown",
        "1/1",
    ),
    (
        "node-lost-without-deletion",
        make_pod(reason="NodeLost", statuses=[running("c0")]),
        "NodeLost",
        "1/1",
    ),
    (
        "scheduling-gated",
        make_pod(
            phase="Pending",
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}],
        ),
        "SchedulingGated",
        "0/1",
    ),
    # terminated without a reason: signal first, else exit code
    ("exit-code", make_pod(statuses=[terminated("c0", exit_code=2)]), "ExitCode:2", "0/1"),
    (
        "signal",
        make_pod(statuses=[terminated("c0", exit_code=137, state_extra={"signal": 9})]),
        "Signal:9",
        "0/1",
    ),
    ("exit-code-zero", make_pod(statuses=[terminated("c0", exit_code=0)]), "ExitCode:0", "0/1"),
    # several containers: scanned last to first, so the first container's problem wins
    (
        "first-container-wins",
        make_pod(
            containers=2,
            statuses=[waiting("c0", "ErrImagePull"), waiting("c1", "CrashLoopBackOff")],
        ),
        "ErrImagePull",
        "0/2",
    ),
    (
        "one-of-two-ready",
        make_pod(containers=2, statuses=[running("c0"), waiting("c1", "CrashLoopBackOff")]),
        "CrashLoopBackOff",
        "1/2",
    ),
    (
        "waiting-without-reason-is-ignored",
        make_pod(statuses=[{**waiting("c0"), "state": {"waiting": {}}}]),
        "Running",
        "0/1",
    ),
    # Completed next to a running container
    (
        "completed-with-running-and-ready-pod",
        make_pod(
            containers=2,
            statuses=[terminated("c0", reason="Completed"), running("c1")],
            conditions=[READY_TRUE],
        ),
        "Running",
        "1/2",
    ),
    (
        "completed-with-running-not-ready-pod",
        make_pod(
            containers=2,
            statuses=[terminated("c0", reason="Completed"), running("c1")],
            conditions=[{"type": "Ready", "status": "False"}],
        ),
        "NotReady",
        "1/2",
    ),
    (
        "completed-with-unready-running-container",
        make_pod(
            containers=2,
            statuses=[terminated("c0", reason="Completed"), running("c1", ready=False)],
        ),
        "Completed",
        "0/2",
    ),
    # READY counts ready AND running only
    (
        "ready-but-waiting-is-not-counted",
        make_pod(statuses=[{**waiting("c0", "ContainerCreating"), "ready": True}]),
        "ContainerCreating",
        "0/1",
    ),
    (
        "ready-without-a-state-is-not-counted",
        make_pod(statuses=[{"name": "c0", "ready": True, "restartCount": 0, "state": {}}]),
        "Running",
        "0/1",
    ),
    (
        "running-but-unready-is-not-counted",
        make_pod(statuses=[running("c0", ready=False)]),
        "Running",
        "0/1",
    ),
    ("no-statuses-yet", make_pod(containers=3, statuses=[]), "Running", "0/3"),
    # init containers
    (
        "init-first-running",
        make_pod(
            phase="Pending",
            init=[{"name": "a"}, {"name": "b"}],
            init_statuses=[running("a", ready=False), waiting("b", "PodInitializing")],
            statuses=[waiting("c0", "PodInitializing")],
        ),
        "Init:0/2",
        "0/1",
    ),
    (
        "init-second-running",
        make_pod(
            phase="Pending",
            init=[{"name": "a"}, {"name": "b"}],
            init_statuses=[terminated("a", reason="Completed"), running("b", ready=False)],
        ),
        "Init:1/2",
        "0/1",
    ),
    (
        "init-pod-initializing-counts-as-progress",
        make_pod(
            phase="Pending", init=[{"name": "a"}], init_statuses=[waiting("a", "PodInitializing")]
        ),
        "Init:0/1",
        "0/1",
    ),
    (
        "init-waiting-reason",
        make_pod(
            phase="Pending", init=[{"name": "a"}], init_statuses=[waiting("a", "CrashLoopBackOff")]
        ),
        "Init:CrashLoopBackOff",
        "0/1",
    ),
    (
        "init-terminated-reason",
        make_pod(
            phase="Pending",
            init=[{"name": "a"}],
            init_statuses=[terminated("a", exit_code=1, reason="Error")],
        ),
        "Init:Error",
        "0/1",
    ),
    (
        "init-exit-code",
        make_pod(
            phase="Pending", init=[{"name": "a"}], init_statuses=[terminated("a", exit_code=3)]
        ),
        "Init:ExitCode:3",
        "0/1",
    ),
    (
        "init-signal",
        make_pod(
            phase="Pending",
            init=[{"name": "a"}],
            init_statuses=[terminated("a", exit_code=137, state_extra={"signal": 9})],
        ),
        "Init:Signal:9",
        "0/1",
    ),
    (
        "init-done-main-running",
        make_pod(
            init=[{"name": "a"}],
            init_statuses=[terminated("a", reason="Completed")],
            statuses=[running("c0")],
            conditions=[INITIALIZED_TRUE, READY_TRUE],
        ),
        "Running",
        "1/1",
    ),
    (
        # An init container running again after the pod was initialised: with Initialized=True
        # the regular containers are scanned (READY counts them), but a healthy one does not
        # overwrite the Init:i/n reason.
        "init-rerunning-but-pod-initialized",
        make_pod(
            init=[{"name": "a"}],
            init_statuses=[running("a", ready=False)],
            statuses=[running("c0")],
            conditions=[INITIALIZED_TRUE],
        ),
        "Init:0/1",
        "1/1",
    ),
    (
        "init-rerunning-initialized-and-container-waiting",
        make_pod(
            init=[{"name": "a"}],
            init_statuses=[running("a", ready=False)],
            statuses=[waiting("c0", "CrashLoopBackOff")],
            conditions=[INITIALIZED_TRUE],
        ),
        "CrashLoopBackOff",
        "0/1",
    ),
    (
        "init-failing-and-initialized-false",
        make_pod(
            init=[{"name": "a"}],
            init_statuses=[waiting("a", "CrashLoopBackOff")],
            statuses=[running("c0")],
            conditions=[{"type": "Initialized", "status": "False"}],
        ),
        "Init:CrashLoopBackOff",
        "0/1",
    ),
    (
        "deleting-while-initializing",
        make_pod(
            phase="Pending",
            init=[{"name": "a"}],
            init_statuses=[waiting("a", "CrashLoopBackOff")],
            deleting=True,
        ),
        "Terminating",
        "0/1",
    ),
    # restartable init containers (sidecars)
    (
        "sidecar-started-and-ready",
        make_pod(
            init=[SIDECAR],
            init_statuses=[running("proxy")],
            statuses=[running("c0")],
            conditions=[INITIALIZED_TRUE, READY_TRUE],
        ),
        "Running",
        "2/2",
    ),
    (
        "sidecar-started-not-ready",
        make_pod(
            init=[SIDECAR],
            init_statuses=[running("proxy", ready=False)],
            statuses=[running("c0")],
            conditions=[INITIALIZED_TRUE],
        ),
        "Running",
        "1/2",
    ),
    (
        "sidecar-not-started-blocks-init",
        make_pod(
            phase="Pending",
            init=[SIDECAR, {"name": "migrate"}],
            init_statuses=[{**running("proxy", ready=False), "started": False}],
        ),
        "Init:0/2",
        "0/2",
    ),
    (
        "sidecar-then-regular-init-running",
        make_pod(
            phase="Pending",
            init=[SIDECAR, {"name": "migrate"}],
            init_statuses=[running("proxy"), running("migrate", ready=False)],
        ),
        "Init:1/2",
        "1/2",
    ),
    (
        "status-for-unknown-init-container-is-not-a-sidecar",
        make_pod(
            phase="Pending",
            init=[{"name": "a"}],
            init_statuses=[running("ghost"), running("a", ready=False)],
        ),
        "Init:0/1",
        "0/1",
    ),
]


@pytest.mark.parametrize(
    ("pod", "status", "ready"),
    [
        pytest.param(pod, status, ready, id=case_id)
        for case_id, pod, status, ready in POD_STATUS_CASES
    ],
)
def test_pod_status_and_ready(pod: dict[str, Any], status: str, ready: str) -> None:
    assert pod_status_reason(pod) == status
    assert pod_ready(pod) == ready


# ------------------------------------------------------------------------------- RESTARTS


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(make_pod(statuses=[running("c0")]), "0", id="never-restarted"),
        pytest.param(
            make_pod(
                statuses=[
                    waiting("c0", "CrashLoopBackOff", restartCount=5, lastState=last_terminated(30))
                ]
            ),
            "5 (30s ago)",
            id="crash-loop",
        ),
        pytest.param(
            make_pod(
                statuses=[
                    running("c0", restarts=7, lastState=last_terminated(2 * HOUR + 5 * MINUTE))
                ]
            ),
            "7 (125m ago)",
            id="human-duration",
        ),
        pytest.param(
            make_pod(
                containers=2,
                statuses=[
                    running("c0", restarts=2, lastState=last_terminated(3 * HOUR)),
                    running("c1", restarts=3, lastState=last_terminated(45)),
                ],
            ),
            "5 (45s ago)",
            id="sum-and-newest-finish",
        ),
        pytest.param(
            make_pod(statuses=[running("c0", restarts=3)]), "3", id="no-finish-time-known"
        ),
        pytest.param(
            make_pod(statuses=[running("c0", restarts=0, lastState=last_terminated(45))]),
            "0",
            id="finish-time-without-restarts",
        ),
        pytest.param(
            make_pod(
                statuses=[
                    running(
                        "c0",
                        restarts=1,
                        lastState={
                            "terminated": {"exitCode": 1, "finishedAt": "0001-01-01T00:00:00Z"}
                        },
                    )
                ]
            ),
            "1",
            id="zero-finish-time",
        ),
        pytest.param(
            make_pod(
                phase="Pending",
                init=[{"name": "a"}],
                init_statuses=[
                    waiting("a", "CrashLoopBackOff", restartCount=4, lastState=last_terminated(20))
                ],
                statuses=[running("c0", restarts=9, lastState=last_terminated(5))],
            ),
            "4 (20s ago)",
            id="initializing-counts-init-containers-only",
        ),
        pytest.param(
            make_pod(
                init=[{"name": "a"}, SIDECAR],
                init_statuses=[
                    terminated(
                        "a", reason="Completed", restartCount=6, lastState=last_terminated(10)
                    ),
                    running("proxy", restarts=2, lastState=last_terminated(HOUR)),
                ],
                statuses=[running("c0", restarts=1, lastState=last_terminated(3 * HOUR))],
                conditions=[INITIALIZED_TRUE],
            ),
            "3 (60m ago)",
            id="initialized-counts-sidecars-and-containers",
        ),
    ],
)
def test_pod_restarts(pod: dict[str, Any], expected: str) -> None:
    assert pod_restarts(pod, NOW) == expected


# --------------------------------------------------------------------------- column schemas

EXPECTED_COLUMNS: dict[str, list[tuple[str, str, int]]] = {
    "pods": [
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Status", "string", 0),
        ("Restarts", "string", 0),
        ("Age", "string", 0),
        ("IP", "string", 1),
        ("Node", "string", 1),
        ("Nominated Node", "string", 1),
        ("Readiness Gates", "string", 1),
    ],
    "deployments": [
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Up-to-date", "string", 0),
        ("Available", "string", 0),
        ("Age", "string", 0),
        ("Containers", "string", 1),
        ("Images", "string", 1),
        ("Selector", "string", 1),
    ],
    "replicasets": [
        ("Name", "string", 0),
        ("Desired", "integer", 0),
        ("Current", "integer", 0),
        ("Ready", "integer", 0),
        ("Age", "string", 0),
        ("Containers", "string", 1),
        ("Images", "string", 1),
        ("Selector", "string", 1),
    ],
    "namespaces": [("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)],
    "events": [
        ("Last Seen", "string", 0),
        ("Type", "string", 0),
        ("Reason", "string", 0),
        ("Object", "string", 0),
        ("Subobject", "string", 1),
        ("Source", "string", 1),
        ("Message", "string", 0),
        ("First Seen", "string", 1),
        ("Count", "string", 1),
        ("Name", "string", 1),
    ],
    "configmaps": [("Name", "string", 0), ("Data", "string", 0), ("Age", "string", 0)],
    "secrets": [
        ("Name", "string", 0),
        ("Type", "string", 0),
        ("Data", "string", 0),
        ("Age", "string", 0),
    ],
    "services": [
        ("Name", "string", 0),
        ("Type", "string", 0),
        ("Cluster-IP", "string", 0),
        ("External-IP", "string", 0),
        ("Port(s)", "string", 0),
        ("Age", "string", 0),
        ("Selector", "string", 1),
    ],
    "jobs": [
        ("Name", "string", 0),
        ("Status", "string", 0),
        ("Completions", "string", 0),
        ("Duration", "string", 0),
        ("Age", "string", 0),
        ("Containers", "string", 1),
        ("Images", "string", 1),
        ("Selector", "string", 1),
    ],
    "widgets": [("Name", "string", 0), ("Created At", "date", 0)],
}

NAME_DESCRIPTION_START = "Name must be unique within a namespace."
AGE_DESCRIPTION_START = "CreationTimestamp is a timestamp representing the server time"


@pytest.mark.parametrize("resource", sorted(EXPECTED_COLUMNS))
def test_column_definitions(resource: str) -> None:
    columns = build_table(resource, [], now=NOW, resource_version="1")["columnDefinitions"]
    assert [(c["name"], c["type"], c["priority"]) for c in columns] == EXPECTED_COLUMNS[resource]
    for column in columns:
        # TableColumnDefinition has no omitempty: all five keys, always.
        assert list(column) == ["name", "type", "format", "description", "priority"]
        assert isinstance(column["description"], str)
        assert column["description"]
        assert column["format"] == ("name" if column["name"] == "Name" else "")
        if column["name"] == "Name":
            assert column["description"].startswith(NAME_DESCRIPTION_START)
        if column["name"] in ("Age", "Created At"):
            assert column["description"].startswith(AGE_DESCRIPTION_START)
            assert "in UTC.\n\nPopulated by the system." in column["description"]


def test_column_definitions_are_fresh_copies() -> None:
    first = build_table("pods", [], now=NOW, resource_version="1")
    first["columnDefinitions"][0]["name"] = "mutated"
    second = build_table("pods", [], now=NOW, resource_version="1")
    assert second["columnDefinitions"][0]["name"] == "Name"


# ---------------------------------------------------------------------- the Table envelope


def test_table_envelope() -> None:
    table = build_table("pods", [make_pod()], now=NOW, resource_version="123")
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "123"}
    assert list(table) == ["kind", "apiVersion", "metadata", "columnDefinitions", "rows"]
    assert len(table["rows"]) == 1
    json.dumps(table)  # plain JSON all the way down


def test_empty_list_has_empty_rows() -> None:
    table = build_table("deployments", [], now=NOW, resource_version="9")
    assert table["rows"] == []


def test_empty_resource_version_is_omitted() -> None:
    assert build_table("pods", [], now=NOW, resource_version="")["metadata"] == {}


def test_rows_keep_the_given_order() -> None:
    pods = [make_pod(name=n) for n in ("b", "a", "c")]
    rows = build_table("pods", pods, now=NOW, resource_version="1")["rows"]
    assert [row["cells"][0] for row in rows] == ["b", "a", "c"]


def test_build_table_does_not_mutate_its_input() -> None:
    pod = make_pod(statuses=[running("c0")])
    pod["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Update"}]
    before = copy.deepcopy(pod)
    for mode in ("Metadata", "Object", "None"):
        build_table("pods", [pod], now=NOW, resource_version="1", include_object=mode)
    assert pod == before


# ---------------------------------------------------------------------------- includeObject


def test_include_object_metadata_is_partial_object_metadata_without_managed_fields() -> None:
    pod = make_pod()
    pod["metadata"]["labels"] = {"app": "web"}
    pod["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Update"}]
    row = build_table("pods", [pod], now=NOW, resource_version="1")["rows"][0]
    expected_metadata = {k: v for k, v in pod["metadata"].items() if k != "managedFields"}
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": expected_metadata,
    }


def test_include_object_empty_string_means_metadata() -> None:
    row = build_table("pods", [make_pod()], now=NOW, resource_version="1", include_object="")[
        "rows"
    ][0]
    assert row["object"]["kind"] == "PartialObjectMetadata"


def test_include_object_object_is_the_full_typed_object() -> None:
    pod = make_pod(statuses=[running("c0")])  # a list item: no kind/apiVersion
    pod["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    row = build_table("pods", [pod], now=NOW, resource_version="1", include_object="Object")[
        "rows"
    ][0]
    assert row["object"] == {"kind": "Pod", "apiVersion": "v1", **pod}


@pytest.mark.parametrize(
    ("resource", "api_version", "kind"),
    [
        ("deployments", "apps/v1", "Deployment"),
        ("replicasets", "apps/v1", "ReplicaSet"),
        ("namespaces", "v1", "Namespace"),
        ("events", "v1", "Event"),
        ("configmaps", "v1", "ConfigMap"),
        ("secrets", "v1", "Secret"),
        ("services", "v1", "Service"),
        ("jobs", "batch/v1", "Job"),
    ],
)
def test_include_object_object_fills_type_meta(resource: str, api_version: str, kind: str) -> None:
    obj = {"metadata": {"name": "x", "creationTimestamp": ago(1)}}
    row = build_table(resource, [obj], now=NOW, resource_version="1", include_object="Object")[
        "rows"
    ][0]
    assert (row["object"]["apiVersion"], row["object"]["kind"]) == (api_version, kind)


def test_include_object_object_keeps_type_meta_of_unknown_kinds() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    row = build_table("widgets", [obj], now=NOW, resource_version="1", include_object="Object")[
        "rows"
    ][0]
    assert row["object"] == obj


def test_include_object_none_sends_a_null_object() -> None:
    # The real server sets RawExtension.Object to nil, which Go serialises as "object": null.
    row = build_table("pods", [make_pod()], now=NOW, resource_version="1", include_object="None")[
        "rows"
    ][0]
    assert "object" in row
    assert row["object"] is None
    assert json.dumps(row).endswith('"object": null}')


def test_include_object_rejects_unknown_values() -> None:
    with pytest.raises(ValueError, match='unrecognized includeObject value: "Everything"'):
        build_table("pods", [], now=NOW, resource_version="1", include_object="Everything")


# ------------------------------------------------------------------------------- pod rows


def test_pod_row_cells() -> None:
    pod = make_pod(
        statuses=[running("c0", restarts=2, lastState=last_terminated(90))],
        conditions=[READY_TRUE],
    )
    pod["spec"]["nodeName"] = "node-1"
    pod["status"]["podIP"] = "10.244.0.5"
    pod["status"]["podIPs"] = [{"ip": "10.244.0.5"}, {"ip": "fd00::5"}]
    cells = build_table("pods", [pod], now=NOW, resource_version="1")["rows"][0]["cells"]
    assert cells == [
        "web-0",
        "1/1",
        "Running",
        "2 (90s ago)",
        "5m",
        "10.244.0.5",
        "node-1",
        "<none>",
        "<none>",
    ]
    assert all(isinstance(cell, str) for cell in cells)  # RESTARTS is a string column


def test_pod_row_unscheduled_wide_cells() -> None:
    cells = build_table("pods", [make_pod(phase="Pending")], now=NOW, resource_version="1")["rows"][
        0
    ]["cells"]
    assert cells[5:] == ["<none>", "<none>", "<none>", "<none>"]


@pytest.mark.parametrize(
    ("status", "expected_ip"),
    [
        ({"podIPs": [{"ip": "10.0.0.7"}]}, "10.0.0.7"),
        ({"podIP": "10.0.0.8"}, "10.0.0.8"),
        (
            {"podIP": "10.0.0.9", "podIPs": [{"ip": "10.0.0.1"}]},
            "10.0.0.9",
        ),  # podIP is authoritative
        ({"podIPs": []}, "<none>"),
    ],
)
def test_pod_ip_cell(status: dict[str, Any], expected_ip: str) -> None:
    pod = make_pod()
    pod["status"].update(status)
    assert (
        build_table("pods", [pod], now=NOW, resource_version="1")["rows"][0]["cells"][5]
        == expected_ip
    )


def test_pod_nominated_node_and_readiness_gates() -> None:
    pod = make_pod(
        conditions=[
            {"type": "example.com/lb", "status": "True"},
            {"type": "example.com/dns", "status": "False"},
            {"type": "example.com/lb", "status": "False"},  # only the first of a type counts
        ]
    )
    pod["status"]["nominatedNodeName"] = "node-2"
    pod["spec"]["readinessGates"] = [
        {"conditionType": "example.com/lb"},
        {"conditionType": "example.com/dns"},
        {"conditionType": "example.com/missing"},
    ]
    cells = build_table("pods", [pod], now=NOW, resource_version="1")["rows"][0]["cells"]
    assert cells[7:] == ["node-2", "1/3"]


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("Running", None),
        ("Pending", None),
        (
            "Succeeded",
            [
                {
                    "type": "Completed",
                    "status": "True",
                    "reason": "Succeeded",
                    "message": "The pod has completed successfully.",
                }
            ],
        ),
        (
            "Failed",
            [
                {
                    "type": "Completed",
                    "status": "True",
                    "reason": "Failed",
                    "message": "The pod failed.",
                }
            ],
        ),
    ],
)
def test_pod_row_conditions(phase: str, expected: list[dict[str, str]] | None) -> None:
    row = build_table("pods", [make_pod(phase=phase)], now=NOW, resource_version="1")["rows"][0]
    assert row.get("conditions") == expected
    assert list(row) == (
        ["cells", "object"] if expected is None else ["cells", "conditions", "object"]
    )


# ------------------------------------------------------------------- deployments, replicasets


def deployment(**overrides: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": "nginx", "namespace": "default", "creationTimestamp": ago(5 * MINUTE)},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.17"},
                        {"name": "log", "image": "fluent-bit:3"},
                    ]
                },
            },
        },
        "status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2},
    }
    obj["spec"].update(overrides)
    return obj


def test_deployment_cells_and_types() -> None:
    cells = build_table("deployments", [deployment()], now=NOW, resource_version="1")["rows"][0][
        "cells"
    ]
    assert cells == [
        "nginx",
        "2/3",
        3,
        2,
        "5m",
        "nginx,log",
        "nginx:1.17,fluent-bit:3",
        "app=nginx",
    ]
    # Up-to-date and Available are integers although their columns say "string".
    assert [type(cell) for cell in cells] == [str, str, int, int, str, str, str, str]


def test_deployment_with_empty_status_and_defaulted_replicas() -> None:
    obj = deployment()
    del obj["spec"]["replicas"]
    obj["status"] = {}
    cells = build_table("deployments", [obj], now=NOW, resource_version="1")["rows"][0]["cells"]
    assert cells[1:4] == ["0/1", 0, 0]


@pytest.mark.parametrize(
    ("selector", "deployment_cell", "replicaset_cell"),
    [
        ({"matchLabels": {"app": "nginx"}}, "app=nginx", "app=nginx"),
        (
            {"matchLabels": {"pod-template-hash": "7c5ddbdf54", "app": "nginx"}},
            "app=nginx,pod-template-hash=7c5ddbdf54",
            "app=nginx,pod-template-hash=7c5ddbdf54",
        ),
        (
            {
                "matchLabels": {"tier": "web"},
                "matchExpressions": [
                    {"key": "env", "operator": "In", "values": ["prod", "canary"]},
                    {"key": "legacy", "operator": "DoesNotExist"},
                    {"key": "app", "operator": "Exists"},
                    {"key": "zone", "operator": "NotIn", "values": ["b", "a"]},
                ],
            },
            "app,env in (canary,prod),!legacy,tier=web,zone notin (a,b)",
            "app,env in (canary,prod),!legacy,tier=web,zone notin (a,b)",
        ),
        ({}, "", "<none>"),
        (None, "", "<none>"),
        ({"matchLabels": {}}, "", "<none>"),
        (
            {"matchExpressions": [{"key": "a", "operator": "Near", "values": ["x"]}]},
            "<invalid>",
            "<error>",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
            "<invalid>",
            "<error>",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            "<invalid>",
            "<error>",
        ),
        ({"matchLabels": {"bad key": "x"}}, "<invalid>", "<error>"),
        ({"matchLabels": {"app": "not valid!"}}, "<invalid>", "<error>"),
        ({"matchLabels": {"example.com/app": "x"}}, "example.com/app=x", "example.com/app=x"),
    ],
)
def test_selector_rendering(selector: Any, deployment_cell: str, replicaset_cell: str) -> None:
    dep = deployment(selector=selector)
    rs = deployment(selector=selector)
    assert (
        build_table("deployments", [dep], now=NOW, resource_version="1")["rows"][0]["cells"][7]
        == deployment_cell
    )
    assert (
        build_table("replicasets", [rs], now=NOW, resource_version="1")["rows"][0]["cells"][7]
        == replicaset_cell
    )


def test_replicaset_cells_and_types() -> None:
    rs = deployment(
        replicas=3, selector={"matchLabels": {"app": "nginx", "pod-template-hash": "H3"}}
    )
    rs["metadata"]["name"] = "nginx-H3"
    rs["status"] = {"replicas": 3, "readyReplicas": 3}
    old = deployment(replicas=0)
    old["metadata"]["name"] = "nginx-H1"
    old["status"] = {"replicas": 0}
    rows = build_table("replicasets", [rs, old], now=NOW, resource_version="1")["rows"]
    assert rows[0]["cells"] == [
        "nginx-H3",
        3,
        3,
        3,
        "5m",
        "nginx,log",
        "nginx:1.17,fluent-bit:3",
        "app=nginx,pod-template-hash=H3",
    ]
    assert rows[1]["cells"][:4] == ["nginx-H1", 0, 0, 0]
    assert [type(cell) for cell in rows[0]["cells"]] == [str, int, int, int, str, str, str, str]


# ------------------------------------------------------------------------------- services


def service(spec: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": "web", "creationTimestamp": ago(HOUR)},
        "spec": spec,
    }
    if status is not None:
        obj["status"] = status
    return obj


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        (
            {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.10",
                "clusterIPs": ["10.96.0.10"],
                "ports": [{"port": 80, "protocol": "TCP"}],
                "selector": {"app": "web"},
            },
            None,
            ["ClusterIP", "10.96.0.10", "<none>", "80/TCP", "app=web"],
        ),
        (
            {
                "type": "NodePort",
                "clusterIP": "10.96.0.11",
                "ports": [
                    {"port": 80, "nodePort": 30080, "protocol": "TCP"},
                    {"port": 53, "protocol": "UDP"},
                ],
            },
            None,
            ["NodePort", "10.96.0.11", "<none>", "80:30080/TCP,53/UDP", "<none>"],
        ),
        (
            {"clusterIPs": ["10.96.0.12", "fd00::12"], "ports": [{"port": 8080}]},
            None,
            ["ClusterIP", "10.96.0.12", "<none>", "8080/TCP", "<none>"],
        ),
        (
            {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]},
            None,
            ["ClusterIP", "None", "<none>", "<none>", "<none>"],
        ),
        (
            {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.13",
                "externalIPs": ["1.2.3.4", "5.6.7.8"],
                "ports": [],
            },
            None,
            ["ClusterIP", "10.96.0.13", "1.2.3.4,5.6.7.8", "<none>", "<none>"],
        ),
        (
            {
                "type": "LoadBalancer",
                "clusterIPs": ["10.96.0.14"],
                "ports": [{"port": 443, "nodePort": 31443}],
            },
            {},
            ["LoadBalancer", "10.96.0.14", "<pending>", "443:31443/TCP", "<none>"],
        ),
        (
            {"type": "LoadBalancer", "clusterIPs": ["10.96.0.15"]},
            {
                "loadBalancer": {
                    "ingress": [
                        {"ip": "203.0.113.9"},
                        {"hostname": "lb.example.com"},
                        {"ip": "203.0.113.1"},
                    ]
                }
            },
            [
                "LoadBalancer",
                "10.96.0.15",
                "203.0.113.1,203.0.113.9,lb.example.com",
                "<none>",
                "<none>",
            ],
        ),
        (
            {"type": "LoadBalancer", "clusterIPs": ["10.96.0.16"], "externalIPs": ["198.51.100.1"]},
            {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}},
            ["LoadBalancer", "10.96.0.16", "203.0.113.9,198.51.100.1", "<none>", "<none>"],
        ),
        (
            {"type": "ExternalName", "externalName": "db.example.com"},
            None,
            ["ExternalName", "<none>", "db.example.com", "<none>", "<none>"],
        ),
        (
            # labels.FormatLabels sorts whole "k=v" strings: "a.b=1" before "a=2".
            {"type": "ClusterIP", "clusterIP": "10.96.0.17", "selector": {"a": "2", "a.b": "1"}},
            None,
            ["ClusterIP", "10.96.0.17", "<none>", "<none>", "a.b=1,a=2"],
        ),
    ],
)
def test_service_cells(
    spec: dict[str, Any], status: dict[str, Any] | None, expected: list[str]
) -> None:
    cells = build_table("services", [service(spec, status)], now=NOW, resource_version="1")["rows"][
        0
    ]["cells"]
    assert cells == ["web", *expected[:4], "60m", expected[4]]
    assert all(isinstance(cell, str) for cell in cells)


# --------------------------------------------------------------------------------- events


def event(**fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {
            "name": "crashy.17f",
            "namespace": "default",
            "creationTimestamp": ago(10 * MINUTE),
        },
        "involvedObject": {"kind": "Pod", "name": "crashy", "namespace": "default"},
        "reason": "BackOff",
        "message": "Back-off restarting failed container app",
        "type": "Warning",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(10 * MINUTE),
        "lastTimestamp": ago(30),
        "count": 12,
    }
    obj.update(fields)
    return {k: v for k, v in obj.items() if v is not None}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(
            event(
                involvedObject={
                    "kind": "Pod",
                    "name": "crashy",
                    "fieldPath": "spec.containers{app}",
                }
            ),
            [
                "30s",
                "Warning",
                "BackOff",
                "pod/crashy",
                "spec.containers{app}",
                "kubelet, node-1",
                "Back-off restarting failed container app",
                "10m",
                12,
                "crashy.17f",
            ],
            id="classic",
        ),
        pytest.param(
            event(
                lastTimestamp=None,
                count=None,
                source={"component": "deployment-controller"},
                involvedObject={"kind": "Deployment", "name": "nginx"},
                type="Normal",
                reason="ScalingReplicaSet",
                message="  Scaled up replica set nginx-H3 from 0 to 3\n",
            ),
            [
                "10m",
                "Normal",
                "ScalingReplicaSet",
                "deployment/nginx",
                "",
                "deployment-controller",
                "Scaled up replica set nginx-H3 from 0 to 3",
                "10m",
                1,
                "crashy.17f",
            ],
            id="no-last-seen-no-count",
        ),
        pytest.param(
            event(
                firstTimestamp=None,
                lastTimestamp=None,
                count=None,
                source=None,
                eventTime="2026-01-01T11:57:59.500000Z",
                reportingComponent="kubelet",
                reportingInstance="node-2",
                series={"count": 4, "lastObservedTime": "2026-01-01T11:59:50.000000Z"},
            ),
            [
                "10s",
                "Warning",
                "BackOff",
                "pod/crashy",
                "",
                "kubelet, node-2",
                "Back-off restarting failed container app",
                "2m",
                4,
                "crashy.17f",
            ],
            id="new-api-series",
        ),
        pytest.param(
            event(
                firstTimestamp=None,
                lastTimestamp=None,
                source=None,
                involvedObject={"kind": "Node"},
            ),
            [
                "<unknown>",
                "Warning",
                "BackOff",
                "node",
                "",
                "",
                "Back-off restarting failed container app",
                "<unknown>",
                12,
                "crashy.17f",
            ],
            id="no-times-no-source-no-name",
        ),
        pytest.param(
            # strings.TrimSpace trims Unicode white space, but not the ASCII separators \x1c-\x1f
            event(message="\u00a0\tready\x1f\u2003"),
            [
                "30s",
                "Warning",
                "BackOff",
                "pod/crashy",
                "",
                "kubelet, node-1",
                "ready\x1f",
                "10m",
                12,
                "crashy.17f",
            ],
            id="go-trim-space",
        ),
    ],
)
def test_event_cells(obj: dict[str, Any], expected: list[Any]) -> None:
    cells = build_table("events", [obj], now=NOW, resource_version="1")["rows"][0]["cells"]
    assert cells == expected
    assert isinstance(cells[8], int)  # Count is an integer cell


# ----------------------------------------------------------------------------------- jobs


def job(
    spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None, **metadata: Any
) -> dict[str, Any]:
    return {
        "metadata": {"name": "pi", "creationTimestamp": ago(10 * MINUTE), **metadata},
        "spec": {
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "b9c1"}},
            "template": {"spec": {"containers": [{"name": "pi", "image": "perl:5.34"}]}},
            **(spec or {}),
        },
        "status": status or {},
    }


COMPLETE = {"type": "Complete", "status": "True"}
FAILED = {"type": "Failed", "status": "True"}
SUSPENDED = {"type": "Suspended", "status": "True"}
FAILURE_TARGET = {"type": "FailureTarget", "status": "True"}


@pytest.mark.parametrize(
    ("obj", "status", "completions", "duration"),
    [
        pytest.param(
            job(
                {"completions": 1, "parallelism": 1},
                {
                    "succeeded": 1,
                    "startTime": ago(300),
                    "completionTime": ago(250),
                    "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, COMPLETE],
                },
            ),
            "Complete",
            "1/1",
            "50s",
            id="complete",
        ),
        pytest.param(
            job({"completions": 5, "parallelism": 2}, {"succeeded": 2, "startTime": ago(200)}),
            "Running",
            "2/5",
            "3m20s",
            id="running",
        ),
        pytest.param(
            job({"parallelism": 3}, {}), "Running", "0/1 of 3", "", id="work-queue-not-started"
        ),
        pytest.param(
            job({"parallelism": 1}, {"succeeded": 0}), "Running", "0/1", "", id="no-completions"
        ),
        pytest.param(
            job(
                {"completions": 1},
                {"failed": 6, "startTime": ago(600), "conditions": [FAILURE_TARGET, FAILED]},
            ),
            "Failed",
            "0/1",
            "10m",
            id="failed",
        ),
        pytest.param(
            job({"completions": 1}, {"conditions": [SUSPENDED]}, deletionTimestamp=ago(0)),
            "Terminating",
            "0/1",
            "",
            id="terminating-beats-suspended",
        ),
        pytest.param(
            job({"completions": 1}, {"conditions": [COMPLETE]}, deletionTimestamp=ago(0)),
            "Complete",
            "0/1",
            "",
            id="complete-beats-terminating",
        ),
        pytest.param(
            job({"completions": 1}, {"conditions": [SUSPENDED]}),
            "Suspended",
            "0/1",
            "",
            id="suspended",
        ),
        pytest.param(
            job({"completions": 1}, {"conditions": [FAILURE_TARGET]}),
            "FailureTarget",
            "0/1",
            "",
            id="failure-target",
        ),
        pytest.param(
            job(
                {"completions": 1},
                {"conditions": [{"type": "Complete", "status": "False"}, COMPLETE]},
            ),
            "Running",
            "0/1",
            "",
            id="first-condition-of-a-type-decides",
        ),
    ],
)
def test_job_cells(obj: dict[str, Any], status: str, completions: str, duration: str) -> None:
    cells = build_table("jobs", [obj], now=NOW, resource_version="1")["rows"][0]["cells"]
    assert cells == [
        "pi",
        status,
        completions,
        duration,
        "10m",
        "pi",
        "perl:5.34",
        "batch.kubernetes.io/controller-uid=b9c1",
    ]


# ---------------------------------------------- namespaces, configmaps, secrets, default table


def test_namespace_cells() -> None:
    namespaces: list[dict[str, Any]] = [
        {
            "metadata": {"name": "default", "creationTimestamp": ago(11 * DAY)},
            "status": {"phase": "Active"},
        },
        {
            "metadata": {"name": "going", "creationTimestamp": ago(9)},
            "status": {"phase": "Terminating"},
        },
        {"metadata": {"name": "fresh", "creationTimestamp": ago(1)}},  # phase defaults to Active
    ]
    rows = build_table("namespaces", namespaces, now=NOW, resource_version="1")["rows"]
    assert [row["cells"] for row in rows] == [
        ["default", "Active", "11d"],
        ["going", "Terminating", "9s"],
        ["fresh", "Active", "1s"],
    ]


def test_configmap_cells_count_data_and_binary_data() -> None:
    objs: list[dict[str, Any]] = [
        {
            "metadata": {"name": "kube-root-ca.crt", "creationTimestamp": ago(HOUR)},
            "data": {"ca.crt": "..."},
        },
        {
            "metadata": {"name": "mixed", "creationTimestamp": ago(HOUR)},
            "data": {"a": "1", "b": "2"},
            "binaryData": {"c": "AA=="},
        },
        {"metadata": {"name": "empty", "creationTimestamp": ago(HOUR)}},
    ]
    rows = build_table("configmaps", objs, now=NOW, resource_version="1")["rows"]
    assert [row["cells"] for row in rows] == [
        ["kube-root-ca.crt", 1, "60m"],
        ["mixed", 3, "60m"],
        ["empty", 0, "60m"],
    ]


def test_secret_cells() -> None:
    objs: list[dict[str, Any]] = [
        {
            "metadata": {"name": "tls", "creationTimestamp": ago(HOUR)},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "", "tls.key": ""},
        },
        {
            "metadata": {"name": "plain", "creationTimestamp": ago(HOUR)},
            "data": {"a": "YQ=="},
            "stringData": {"a": "x", "b": "y"},
        },
        {"metadata": {"name": "empty", "creationTimestamp": ago(HOUR)}},
    ]
    rows = build_table("secrets", objs, now=NOW, resource_version="1")["rows"]
    assert [row["cells"] for row in rows] == [
        ["tls", "kubernetes.io/tls", 2, "60m"],
        ["plain", "Opaque", 2, "60m"],
        ["empty", "Opaque", 0, "60m"],
    ]
    assert isinstance(rows[0]["cells"][2], int)


def test_default_table_for_types_without_printers() -> None:
    objs: list[dict[str, Any]] = [
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w1", "creationTimestamp": "2026-01-01T13:30:00+02:00"},
        },
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w0"}},
    ]
    rows = build_table("widgets", objs, now=NOW, resource_version="1")["rows"]
    # rest.defaultTableConvertor: the raw creation time in UTC, Go's zero time when unset.
    assert [row["cells"] for row in rows] == [
        ["w1", "2026-01-01T11:30:00Z"],
        ["w0", "0001-01-01T00:00:00Z"],
    ]
    assert "conditions" not in rows[0]


def test_age_cell_uses_creation_timestamp_for_every_printer() -> None:
    obj = {"metadata": {"name": "x", "creationTimestamp": ago(3 * HOUR + 20 * MINUTE)}}
    for resource in (
        "deployments",
        "replicasets",
        "namespaces",
        "configmaps",
        "secrets",
        "services",
        "jobs",
    ):
        columns = EXPECTED_COLUMNS[resource]
        age_index = [name for name, _, _ in columns].index("Age")
        cells = build_table(resource, [obj], now=NOW, resource_version="1")["rows"][0]["cells"]
        assert cells[age_index] == "3h20m", resource
        assert len(cells) == len(columns), resource
