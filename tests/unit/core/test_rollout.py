"""``kiops_desktop.core.rollout``: kubectl's rollout status messages (K8S_ROLLOUT_SPEC.md §4.1),
the services-table status word and its tooltip."""

from __future__ import annotations

from typing import Any

import pytest

from kiops_desktop.core.rollout import (
    RolloutProgress,
    evaluate_rollout,
    status_explanation,
    status_word,
)

WAIT = 'Waiting for deployment "nginx" rollout to finish: '


def cond(kind: str, status: str, reason: str, message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


AVAILABLE = cond(
    "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."
)
UNAVAILABLE = cond(
    "Available",
    "False",
    "MinimumReplicasUnavailable",
    "Deployment does not have minimum availability.",
)
COMPLETE = cond(
    "Progressing",
    "True",
    "NewReplicaSetAvailable",
    'ReplicaSet "nginx-7c5ddbdf54" has successfully progressed.',
)
UPDATING = cond(
    "Progressing", "True", "ReplicaSetUpdated", 'ReplicaSet "nginx-7c5ddbdf54" is progressing.'
)
TIMED_OUT = cond(
    "Progressing",
    "False",
    "ProgressDeadlineExceeded",
    'ReplicaSet "nginx-7c5ddbdf54" has timed out progressing.',
)


def deployment(
    *,
    name: str = "nginx",
    replicas: int | None = 3,
    generation: int = 2,
    observed: int | None = 2,
    updated: int = 3,
    total: int = 3,
    ready: int | None = None,
    available: int = 3,
    unavailable: int = 0,
    conditions: list[dict[str, str]] | None = None,
    revision: str | None = "2",
    paused: bool = False,
) -> dict[str, Any]:
    """A Deployment as the API serves it: zero status ints omitted (they are ``omitempty``)."""
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}}
    if replicas is not None:
        spec["replicas"] = replicas
    if paused:
        spec["paused"] = True
    counts = {
        "observedGeneration": observed,
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": available if ready is None else ready,
        "availableReplicas": available,
        "unavailableReplicas": unavailable,
    }
    status: dict[str, Any] = {key: value for key, value in counts.items() if value}
    if conditions is not None:
        status["conditions"] = conditions
    metadata: dict[str, Any] = {"name": name, "namespace": "default", "generation": generation}
    if revision is not None:
        metadata["annotations"] = {"deployment.kubernetes.io/revision": revision}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    }


# ------------------------------------------------------------------ evaluate_rollout (§4.1)

CASES: list[tuple[str, dict[str, Any], str, str, bool, bool]] = [
    # (id, deployment kwargs, reason, message, done, failed)
    (
        "generation-not-observed",
        {"generation": 3, "observed": 2, "updated": 0},
        "spec-not-observed",
        "Waiting for deployment spec update to be observed...",
        False,
        False,
    ),
    (
        "brand-new-no-status",
        {"generation": 1, "observed": None, "updated": 0, "total": 0, "available": 0},
        "spec-not-observed",
        "Waiting for deployment spec update to be observed...",
        False,
        False,
    ),
    (
        "not-observed-beats-deadline",
        {"generation": 3, "observed": 2, "conditions": [TIMED_OUT]},
        "spec-not-observed",
        "Waiting for deployment spec update to be observed...",
        False,
        False,
    ),
    (
        "deadline-exceeded-takes-precedence",
        {"updated": 1, "total": 4, "available": 3, "conditions": [AVAILABLE, TIMED_OUT]},
        "deadline-exceeded",
        'deployment "nginx" exceeded its progress deadline',
        False,
        True,
    ),
    (
        "deadline-reason-counts-whatever-the-status",
        {"conditions": [cond("Progressing", "True", "ProgressDeadlineExceeded")]},
        "deadline-exceeded",
        'deployment "nginx" exceeded its progress deadline',
        False,
        True,
    ),
    (
        "updating",
        {"updated": 1, "total": 4, "available": 3, "conditions": [AVAILABLE, UPDATING]},
        "updating",
        WAIT + "1 out of 3 new replicas have been updated...",
        False,
        False,
    ),
    (
        "updating-from-zero",
        {"updated": 0, "total": 3, "available": 3},
        "updating",
        WAIT + "0 out of 3 new replicas have been updated...",
        False,
        False,
    ),
    (
        "old-pending",
        {"updated": 3, "total": 5, "available": 5},
        "old-pending",
        WAIT + "2 old replicas are pending termination...",
        False,
        False,
    ),
    (
        "old-pending-singular-is-still-plural",
        {"updated": 3, "total": 4, "available": 4},
        "old-pending",
        WAIT + "1 old replicas are pending termination...",
        False,
        False,
    ),
    (
        "availability",
        {"updated": 3, "total": 3, "available": 1, "unavailable": 2},
        "availability",
        WAIT + "1 of 3 updated replicas are available...",
        False,
        False,
    ),
    (
        "availability-none",
        {"updated": 3, "total": 3, "available": 0, "unavailable": 3},
        "availability",
        WAIT + "0 of 3 updated replicas are available...",
        False,
        False,
    ),
    (
        "complete",
        {"conditions": [AVAILABLE, COMPLETE]},
        "complete",
        'deployment "nginx" successfully rolled out',
        True,
        False,
    ),
    (
        "complete-with-surplus-available",
        {"updated": 3, "total": 3, "available": 4},
        "complete",
        'deployment "nginx" successfully rolled out',
        True,
        False,
    ),
    (
        "scaled-to-zero-is-complete",
        {"replicas": 0, "updated": 0, "total": 0, "available": 0},
        "complete",
        'deployment "nginx" successfully rolled out',
        True,
        False,
    ),
    (
        "missing-replicas-skips-the-updated-test",
        {"replicas": None, "updated": 0, "total": 0, "available": 0},
        "complete",
        'deployment "nginx" successfully rolled out',
        True,
        False,
    ),
    (
        "observed-ahead-of-generation",
        {"generation": 2, "observed": 5},
        "complete",
        'deployment "nginx" successfully rolled out',
        True,
        False,
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "reason", "message", "done", "failed"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_evaluate_rollout_branches(
    kwargs: dict[str, Any], reason: str, message: str, done: bool, failed: bool
) -> None:
    result = evaluate_rollout(deployment(**kwargs))
    assert (result.reason, result.message, result.done, result.failed) == (
        reason,
        message,
        done,
        failed,
    )
    assert 0.0 <= result.fraction <= 1.0
    assert (result.fraction == 1.0) == done


def test_evaluate_rollout_reports_the_counts() -> None:
    result = evaluate_rollout(deployment(updated=2, total=4, ready=3, available=2))
    assert (result.desired, result.updated, result.ready, result.available) == (3, 2, 3, 2)


def test_first_progressing_condition_wins_like_get_deployment_condition() -> None:
    dep = deployment(conditions=[COMPLETE, TIMED_OUT])
    assert evaluate_rollout(dep).reason == "complete"


def test_deleted() -> None:
    result = evaluate_rollout(None)
    assert result == RolloutProgress(0, 0, 0, 0, False, True, "deleted", "object has been deleted")
    assert result.fraction == 0.0


REVISION_CASES = [
    pytest.param("2", 2, "complete", 'deployment "nginx" successfully rolled out', id="match"),
    pytest.param("+2", 2, "complete", 'deployment "nginx" successfully rolled out', id="signed"),
    pytest.param(
        "3",
        2,
        "revision-mismatch",
        "desired revision (2) is different from the running revision (3)",
        id="different",
    ),
    pytest.param(
        None,
        2,
        "revision-mismatch",
        "desired revision (2) is different from the running revision (0)",
        id="missing-annotation-is-0",
    ),
    pytest.param(
        "abc",
        2,
        "revision-mismatch",
        'cannot get the revision of deployment "nginx": strconv.ParseInt: parsing "abc": '
        "invalid syntax",
        id="unparsable",
    ),
    pytest.param(
        "",
        2,
        "revision-mismatch",
        'cannot get the revision of deployment "nginx": strconv.ParseInt: parsing "": '
        "invalid syntax",
        id="empty",
    ),
    pytest.param(
        "2\n",
        2,
        "revision-mismatch",
        'cannot get the revision of deployment "nginx": strconv.ParseInt: parsing "2\\n": '
        "invalid syntax",
        id="trailing-newline",
    ),
    pytest.param(
        "99999999999999999999",
        2,
        "revision-mismatch",
        'cannot get the revision of deployment "nginx": strconv.ParseInt: parsing '
        '"99999999999999999999": value out of range',
        id="out-of-range",
    ),
    pytest.param(
        "abc", 0, "complete", 'deployment "nginx" successfully rolled out', id="zero-ignores"
    ),
    pytest.param(
        "abc", -1, "complete", 'deployment "nginx" successfully rolled out', id="negative-ignores"
    ),
    pytest.param(
        "abc", None, "complete", 'deployment "nginx" successfully rolled out', id="none-ignores"
    ),
]


@pytest.mark.parametrize(("annotation", "revision", "reason", "message"), REVISION_CASES)
def test_revision_pin(
    annotation: str | None, revision: int | None, reason: str, message: str
) -> None:
    result = evaluate_rollout(deployment(revision=annotation), revision=revision)
    assert (result.reason, result.message) == (reason, message)
    assert result.failed == (reason == "revision-mismatch")


def test_revision_is_checked_before_generation() -> None:
    dep = deployment(generation=5, observed=2, revision="3")
    result = evaluate_rollout(dep, revision=2)
    assert result.reason == "revision-mismatch"


def test_names_are_quoted_like_go() -> None:
    result = evaluate_rollout(deployment(name='we"ird\tname'))
    assert result.message == 'deployment "we\\"ird\\tname" successfully rolled out'


# ------------------------------------------------------------------ fraction


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"generation": 3, "observed": 2}, 0.0, id="not-observed-waits-at-zero"),
        pytest.param({"updated": 0, "total": 3, "available": 3}, 0.0, id="nothing-new-yet"),
        pytest.param({"updated": 3, "total": 3, "available": 0}, 0.5, id="all-updated-none-ready"),
        pytest.param({"updated": 3, "total": 4, "available": 3}, 5 / 7, id="one-old-left"),
        pytest.param({"replicas": 0, "updated": 0, "total": 2, "available": 0}, 0.0, id="to-zero"),
        pytest.param({"conditions": [TIMED_OUT], "updated": 1, "total": 4}, 1 / 9, id="stuck"),
        pytest.param({}, 1.0, id="done"),
    ],
)
def test_fraction(kwargs: dict[str, Any], expected: float) -> None:
    assert evaluate_rollout(deployment(**kwargs)).fraction == pytest.approx(expected)


def test_fraction_grows_through_a_rolling_update() -> None:
    steps: list[dict[str, Any]] = [
        {"generation": 3, "observed": 2},
        {"updated": 0, "total": 3, "available": 3},
        {"updated": 1, "total": 4, "available": 3},
        {"updated": 1, "total": 4, "available": 4},
        {"updated": 2, "total": 4, "available": 4},
        {"updated": 3, "total": 4, "available": 4},
        {"updated": 3, "total": 3, "available": 3},
    ]
    fractions = [evaluate_rollout(deployment(**step)).fraction for step in steps]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert all(f < 1.0 for f in fractions[:-1])


@pytest.mark.parametrize(
    "progress",
    [
        RolloutProgress(3, 4, 3, 3, False, False, "availability", "m", total=4),
        RolloutProgress(-1, -5, 0, -2, False, False, "updating", "m", total=-3),
        RolloutProgress(0, 0, 0, 0, False, False, "availability", "m"),
        RolloutProgress(2, 9, 9, 9, False, True, "deadline-exceeded", "m", total=9),
        RolloutProgress(3, 0, 0, 0, False, True, "revision-mismatch", "m"),
    ],
)
def test_fraction_stays_in_bounds_and_below_one_until_done(progress: RolloutProgress) -> None:
    assert 0.0 <= progress.fraction < 1.0


# ------------------------------------------------------------------ status_word


WORD_CASES = [
    pytest.param({"conditions": [AVAILABLE, COMPLETE]}, "Available", id="available"),
    pytest.param({"conditions": []}, "Available", id="available-without-conditions"),
    pytest.param(
        {"updated": 1, "total": 4, "available": 3, "conditions": [AVAILABLE, TIMED_OUT]},
        "Failed",
        id="deadline",
    ),
    pytest.param(
        {"conditions": [cond("Progressing", "False", "ReplicaSetCreateError", "quota")]},
        "Failed",
        id="rs-create-error",
    ),
    pytest.param(
        {
            "updated": 1,
            "total": 1,
            "available": 1,
            "conditions": [AVAILABLE, UPDATING, cond("ReplicaFailure", "True", "FailedCreate")],
        },
        "Failed",
        id="replica-failure",
    ),
    pytest.param(
        {"conditions": [AVAILABLE, COMPLETE, cond("ReplicaFailure", "False", "FailedCreate")]},
        "Available",
        id="replica-failure-false-is-fine",
    ),
    pytest.param({"paused": True, "conditions": [TIMED_OUT]}, "Failed", id="failed-beats-paused"),
    pytest.param(
        {
            "paused": True,
            "updated": 0,
            "conditions": [cond("Progressing", "Unknown", "DeploymentPaused")],
        },
        "Paused",
        id="paused",
    ),
    pytest.param({"generation": 3, "observed": 2}, "Progressing", id="spec-not-observed"),
    pytest.param({"updated": 1, "total": 4}, "Progressing", id="updating"),
    pytest.param({"updated": 3, "total": 4}, "Progressing", id="old-pending"),
    pytest.param(
        {"available": 2, "unavailable": 1, "conditions": [AVAILABLE, UPDATING]},
        "Progressing",
        id="updated-but-not-yet-available",
    ),
    pytest.param(
        {"available": 2, "unavailable": 1, "conditions": [AVAILABLE, COMPLETE]},
        "Degraded",
        id="pod-lost-after-rollout",
    ),
    pytest.param(
        {"available": 0, "unavailable": 3, "conditions": [UNAVAILABLE, COMPLETE]},
        "Degraded",
        id="available-false",
    ),
    pytest.param(
        {"available": 3, "conditions": [UNAVAILABLE, COMPLETE]},
        "Degraded",
        id="available-false-condition-wins",
    ),
    pytest.param(
        # Without progressDeadlineSeconds there is no Progressing condition to say the controller
        # is still counting, so the documented rule reads this as Degraded.
        {"available": 1, "unavailable": 2},
        "Degraded",
        id="no-progressing-condition",
    ),
    pytest.param(
        {"replicas": 0, "updated": 0, "total": 0, "available": 0}, "Scaled to zero", id="zero"
    ),
    pytest.param(
        {"replicas": 0, "updated": 0, "total": 2, "available": 2},
        "Progressing",
        id="zero-while-pods-wind-down",
    ),
]


@pytest.mark.parametrize(("kwargs", "word"), WORD_CASES)
def test_status_word(kwargs: dict[str, Any], word: str) -> None:
    assert status_word(deployment(**kwargs)) == word


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        pytest.param(
            {"conditions": [AVAILABLE, COMPLETE]},
            'All 3 replicas are updated and available (ReplicaSet "nginx-7c5ddbdf54" has '
            "successfully progressed).",
            id="available",
        ),
        pytest.param(
            {"conditions": [AVAILABLE, TIMED_OUT]},
            'Rollout exceeded its progress deadline: ReplicaSet "nginx-7c5ddbdf54" has timed out '
            "progressing.",
            id="deadline",
        ),
        pytest.param(
            {
                "conditions": [
                    AVAILABLE,
                    COMPLETE,
                    cond("ReplicaFailure", "True", "FailedCreate", 'pods "x" is forbidden.'),
                ]
            },
            'Rollout failed: pods "x" is forbidden.',
            id="replica-failure",
        ),
        pytest.param(
            {"paused": True, "available": 3},
            "Rollout is paused with 3 of 3 replicas available; template changes wait until it is "
            "resumed.",
            id="paused",
        ),
        pytest.param(
            {"generation": 3, "observed": 2},
            "Rollout in progress: waiting for the controller to observe the new spec.",
            id="not-observed",
        ),
        pytest.param(
            {"updated": 1, "total": 4},
            "Rollout in progress: 1 of 3 new replicas updated.",
            id="updating",
        ),
        pytest.param(
            {"updated": 3, "total": 5},
            "Rollout in progress: 2 old replicas pending termination.",
            id="old-pending",
        ),
        pytest.param(
            {"available": 1, "unavailable": 2, "conditions": [UNAVAILABLE, UPDATING]},
            "Rollout in progress: 1 of 3 updated replicas available.",
            id="availability",
        ),
        pytest.param(
            {"available": 3, "unavailable": 1, "conditions": [AVAILABLE, UPDATING]},
            "Rollout in progress: 1 replicas not yet available.",
            id="controller-still-counting",
        ),
        pytest.param(
            {"replicas": 0, "updated": 0, "total": 0, "available": 0},
            "Scaled to zero replicas: no pods are wanted.",
            id="zero",
        ),
        pytest.param(
            {"available": 1, "unavailable": 2, "conditions": [UNAVAILABLE, COMPLETE]},
            "Only 1 of 3 replicas are available (Deployment does not have minimum availability).",
            id="degraded",
        ),
    ],
)
def test_status_explanation(kwargs: dict[str, Any], text: str) -> None:
    assert status_explanation(deployment(**kwargs)) == text


def test_every_word_has_a_one_sentence_explanation() -> None:
    for case in WORD_CASES:
        kwargs = case.values[0]
        assert isinstance(kwargs, dict)
        text = status_explanation(deployment(**kwargs))
        assert text.endswith(".")
        assert text[0].isupper()
        assert "\n" not in text
