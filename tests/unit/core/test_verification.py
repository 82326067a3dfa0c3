"""``kiops_desktop.core.verification``: the post-rollback checks and the report."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from kiops_desktop.core.verification import (
    DEFAULT_ERROR_PATTERNS,
    Check,
    HealthResult,
    VerificationReport,
    check_health,
    check_logs,
    check_no_restarts,
    check_pods_ready,
    health_url_for,
    verify,
)

Outcome = Literal["passed", "failed", "skipped"]

RS = "web-5d8f7c6b9"
HASH = "5d8f7c6b9"
OLD_HASH = "7c5ddbdf54"


def pod(
    name: str,
    *,
    hash_: str = HASH,
    owner: str | None = RS,
    phase: str = "Running",
    ready: bool = True,
    waiting: str | None = None,
    terminated: str | None = None,
    restarts: int = 0,
    init_restarts: int | None = None,
    uid: str | None = None,
    deleting: bool = False,
    last_exit: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """A pod shaped like the sandbox's pod model (K8S_ROLLOUT_SPEC.md §6.8)."""
    state: dict[str, Any] = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
    if waiting:
        state = {"waiting": {"reason": waiting}}
    elif terminated:
        state = {"terminated": {"reason": terminated, "exitCode": 1}}
    container: dict[str, Any] = {
        "name": "app",
        "ready": ready,
        "restartCount": restarts,
        "state": state,
    }
    if last_exit:
        container["lastState"] = {"terminated": {"reason": last_exit[0], "exitCode": last_exit[1]}}
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Ready", "status": "True" if ready else "False"},
        ],
        "containerStatuses": [container],
    }
    if init_restarts is not None:
        status["initContainerStatuses"] = [
            {"name": "sidecar", "restartCount": init_restarts, "state": {"running": {}}}
        ]
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "uid": uid or f"uid-{name}",
        "labels": {"app": "web", "pod-template-hash": hash_},
    }
    if owner is not None:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "controller": True}
        ]
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:05Z"
    return {"metadata": metadata, "spec": {}, "status": status}


# ------------------------------------------------------------------ check_pods_ready


def ready_check(pods: list[dict[str, Any]], desired: int = 3) -> Check:
    return check_pods_ready(pods, replica_set=RS, pod_template_hash=HASH, desired=desired)


def test_pods_ready_passes() -> None:
    pods = [pod("web-a"), pod("web-b"), pod("web-c"), pod("old-x", hash_=OLD_HASH, owner="web-old")]
    assert ready_check(pods) == Check(
        "pods ready", "passed", f'All 3 pods of ReplicaSet "{RS}" are Running and Ready.'
    )


def test_pods_ready_lists_crash_looping_and_creating_pods() -> None:
    pods = [
        pod("web-a"),
        pod("web-b", ready=False, waiting="CrashLoopBackOff", restarts=4),
        pod("web-c", phase="Pending", ready=False, waiting="ContainerCreating"),
    ]
    check = ready_check(pods)
    assert check.outcome == "failed"
    assert check.evidence == (
        "pods not ready (1 of 3 ready): web-b CrashLoopBackOff (4 restarts), "
        f'web-c ContainerCreating (ReplicaSet "{RS}").'
    )


def test_pods_ready_between_crashes_shows_the_terminated_reason() -> None:
    check = ready_check([pod("web-a", ready=False, terminated="Error", restarts=1)], desired=1)
    assert (
        check.evidence
        == f'pods not ready (0 of 1 ready): web-a Error (1 restart) (ReplicaSet "{RS}").'
    )


def test_pods_ready_running_but_not_ready() -> None:
    check = ready_check([pod("web-a", ready=False)], desired=1)
    assert check.evidence == (
        f'pods not ready (0 of 1 ready): web-a Running, not Ready (ReplicaSet "{RS}").'
    )


def test_pods_ready_crash_loop_between_back_offs_shows_how_it_last_ended() -> None:
    looping = pod("web-a", ready=False, restarts=3, last_exit=("Error", 1))
    check = ready_check([looping], desired=1)
    assert check.evidence == (
        "pods not ready (0 of 1 ready): web-a Running, not Ready "
        f'(3 restarts, last exit: Error, code 1) (ReplicaSet "{RS}").'
    )


def test_pods_ready_unscheduled_pod_shows_its_phase() -> None:
    unscheduled = pod("web-a", phase="Pending", ready=False)
    unscheduled["status"]["containerStatuses"] = []
    check = ready_check([unscheduled], desired=1)
    assert check.evidence == f'pods not ready (0 of 1 ready): web-a Pending (ReplicaSet "{RS}").'


def test_pods_ready_missing_pods() -> None:
    check = ready_check([pod("web-a"), pod("web-b")])
    assert check.outcome == "failed"
    assert check.evidence == (
        f'pods not ready (2 of 3 ready): 1 of 3 pods missing (ReplicaSet "{RS}").'
    )


def test_pods_ready_too_many_pods() -> None:
    check = ready_check([pod("web-a"), pod("web-b")], desired=1)
    assert check.outcome == "failed"
    assert check.evidence == (
        f'too many pods (2 where 1 are wanted): 1 more than wanted (ReplicaSet "{RS}").'
    )


def test_pods_ready_ignores_terminating_finished_and_foreign_pods() -> None:
    pods = [
        pod("web-a"),
        pod("web-b", deleting=True, ready=False),
        pod("web-c", phase="Failed", ready=False),
        pod("web-d", phase="Succeeded", ready=False),
        # same template hash, but controlled by another Deployment's ReplicaSet
        pod("twin-a", owner="twin-5d8f7c6b9", ready=False),
        pod("old-a", hash_=OLD_HASH, owner="web-old", ready=False),
    ]
    assert ready_check(pods, desired=1).outcome == "passed"


def test_pods_ready_accepts_pods_without_owner_reference() -> None:
    assert ready_check([pod("web-a", owner=None)], desired=1).outcome == "passed"


def test_pods_ready_zero_desired() -> None:
    check = ready_check([], desired=0)
    assert check == Check("pods ready", "passed", f'ReplicaSet "{RS}" wants no pods and has none.')


def test_pods_ready_caps_the_listing() -> None:
    pods = [pod(f"web-{i}", ready=False, waiting="ImagePullBackOff") for i in range(7)]
    check = ready_check(pods, desired=7)
    assert check.evidence.endswith(f'web-4 ImagePullBackOff, and 2 more (ReplicaSet "{RS}").')
    assert "web-5 " not in check.evidence


# ------------------------------------------------------------------ check_no_restarts


def test_no_restarts_passes() -> None:
    before = [pod("web-a", restarts=2), pod("web-b")]
    after = [pod("web-a", restarts=2), pod("web-b"), pod("old", hash_=OLD_HASH, restarts=9)]
    check = check_no_restarts(before, after, pod_template_hash=HASH)
    assert check == Check(
        "no restarts", "passed", "No container restarted in 2 pods during the watch."
    )


def test_restart_during_window_fails_with_last_exit() -> None:
    before = [pod("web-a", restarts=1), pod("web-b")]
    after = [pod("web-a", restarts=3, last_exit=("Error", 1)), pod("web-b")]
    check = check_no_restarts(before, after, pod_template_hash=HASH)
    assert check.outcome == "failed"
    assert check.evidence == (
        "containers restarted (2 restarts in 1 pod): "
        "web-a/app restarted 2 times (last exit: Error, code 1)."
    )


def test_pods_new_in_the_window_count_from_zero() -> None:
    after = [pod("web-new", restarts=1, last_exit=("OOMKilled", 137))]
    check = check_no_restarts([], after, pod_template_hash=HASH)
    assert check.evidence == (
        "containers restarted (1 restart in 1 pod): "
        "web-new/app restarted once (last exit: OOMKilled, code 137)."
    )


def test_a_recreated_pod_with_the_same_name_counts_from_zero() -> None:
    before = [pod("web-a", uid="one", restarts=5)]
    after = [pod("web-a", uid="two", restarts=1)]
    assert check_no_restarts(before, after, pod_template_hash=HASH).outcome == "failed"


def test_init_container_restarts_count() -> None:
    before = [pod("web-a", init_restarts=0)]
    after = [pod("web-a", init_restarts=2)]
    check = check_no_restarts(before, after, pod_template_hash=HASH)
    assert (
        check.evidence
        == "containers restarted (2 restarts in 1 pod): web-a/sidecar restarted 2 times."
    )


def test_old_pods_restarts_do_not_count() -> None:
    after = [pod("web-a"), pod("old", hash_=OLD_HASH, restarts=4)]
    assert check_no_restarts([], after, pod_template_hash=HASH).outcome == "passed"


def test_no_restarts_skipped_without_pods() -> None:
    check = check_no_restarts([pod("web-a")], [], pod_template_hash=HASH)
    assert check == Check("no restarts", "skipped", "no pods of the new ReplicaSet to watch")


# ------------------------------------------------------------------ check_health

URL = "http://127.0.0.1:8080/health"


@pytest.mark.parametrize(
    ("url", "result", "outcome", "evidence"),
    [
        pytest.param(None, None, "skipped", "no health URL configured", id="no-url"),
        pytest.param(
            "", HealthResult(200, None, 1.0), "skipped", "no health URL configured", id="empty"
        ),
        pytest.param(URL, None, "skipped", f"health check of {URL} was not run", id="not-run"),
        pytest.param(
            URL,
            HealthResult(200, None, 12.4),
            "passed",
            f"GET {URL} answered HTTP 200 in 12 ms.",
            id="200",
        ),
        pytest.param(
            URL,
            HealthResult(302, None, 3.0),
            "passed",
            f"GET {URL} answered HTTP 302 in 3 ms.",
            id="redirect",
        ),
        pytest.param(
            URL,
            HealthResult(503, None, 8.0),
            "failed",
            f"health check failed (HTTP 503): GET {URL} answered after 8 ms.",
            id="503",
        ),
        pytest.param(
            URL,
            HealthResult(404, None, 2.0),
            "failed",
            f"health check failed (HTTP 404): GET {URL} answered after 2 ms.",
            id="404",
        ),
        pytest.param(
            URL,
            HealthResult(None, "connection refused", 0.6),
            "failed",
            f"health check failed (connection refused): GET {URL} after 1 ms.",
            id="refused",
        ),
        pytest.param(
            URL,
            HealthResult(None, None, 5000.0),
            "failed",
            f"health check failed (no response): GET {URL} after 5000 ms.",
            id="nothing",
        ),
    ],
)
def test_check_health(
    url: str | None, result: HealthResult | None, outcome: Outcome, evidence: str
) -> None:
    assert check_health(url, result) == Check("health check", outcome, evidence)


# ------------------------------------------------------------------ check_logs


def test_logs_clean() -> None:
    check = check_logs({"web-a": ["started", "listening on :80"], "web-b": ["GET / 200"]})
    assert check == Check(
        "logs clean",
        "passed",
        "No line matching ERROR, Exception, panic, FATAL in 3 lines from 2 pods.",
    )


def test_logs_with_errors_quote_pod_and_line() -> None:
    check = check_logs(
        {
            "web-a": ["started", "ERROR db: connection refused\n", "ok"],
            "web-b": ["panic: runtime error: index out of range"],
        }
    )
    assert check.outcome == "failed"
    assert check.evidence == (
        "errors in logs (2 matching lines in 2 pods): web-a: ERROR db: connection refused | "
        "web-b: panic: runtime error: index out of range"
    )


def test_logs_match_case_sensitively() -> None:
    assert check_logs({"web-a": ["0 errors", "error=nil", "Panicking is fine"]}).outcome == "passed"
    assert check_logs({"web-a": ["java.lang.IllegalStateException: x"]}).outcome == "failed"
    assert check_logs({"web-a": ["FATAL boom"]}).outcome == "failed"


def test_logs_show_only_the_first_few_matches() -> None:
    lines = [f"ERROR number {i}" for i in range(8)]
    check = check_logs({"web-a": lines})
    assert check.evidence.startswith(
        "errors in logs (8 matching lines in 1 pod): web-a: ERROR number 0 |"
    )
    assert check.evidence.endswith("web-a: ERROR number 4 | and 3 more")


def test_logs_shorten_long_lines() -> None:
    check = check_logs({"web-a": ["ERROR " + "x" * 500]})
    quoted = check.evidence.split("web-a: ", 1)[1]
    assert len(quoted) == 200
    assert quoted.endswith("…")


def test_logs_custom_patterns() -> None:
    check = check_logs({"web-a": ["WARN disk almost full"]}, patterns=["WARN"])
    assert check.outcome == "failed"
    assert check_logs({"web-a": ["ERROR"]}, patterns=["WARN"]).outcome == "passed"


def test_logs_skipped() -> None:
    assert check_logs({}) == Check("logs clean", "skipped", "no pods to read logs from")
    assert check_logs({"web-a": ["x"]}, patterns=[""]) == Check(
        "logs clean", "skipped", "no error patterns to look for"
    )


def test_logs_of_a_pod_that_logged_nothing_pass() -> None:
    assert check_logs({"web-a": []}).evidence == (
        "No line matching ERROR, Exception, panic, FATAL in 0 lines from 1 pod."
    )


def test_default_patterns() -> None:
    assert DEFAULT_ERROR_PATTERNS == ("ERROR", "Exception", "panic", "FATAL")


# ------------------------------------------------------------------ health_url_for


def with_annotations(
    on_deployment: dict[str, str] | None = None, on_template: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "annotations": on_deployment or {}},
        "spec": {"template": {"metadata": {"annotations": on_template or {}}, "spec": {}}},
    }


KEY = "kiops.io/health-url"


@pytest.mark.parametrize(
    ("deployment", "configured", "expected"),
    [
        pytest.param(with_annotations(), None, None, id="nothing"),
        pytest.param(with_annotations({KEY: URL}), None, URL, id="deployment-annotation"),
        pytest.param(with_annotations(on_template={KEY: URL}), None, URL, id="template-annotation"),
        pytest.param(
            with_annotations({KEY: "https://a/health"}, {KEY: "https://b/health"}),
            None,
            "https://a/health",
            id="deployment-before-template",
        ),
        pytest.param(
            with_annotations({KEY: URL}),
            "https://configured.example/healthz",
            "https://configured.example/healthz",
            id="configured-first",
        ),
        pytest.param(with_annotations({KEY: URL}), "  ", URL, id="blank-configured-is-unset"),
        pytest.param(
            with_annotations({KEY: URL}), "ftp://x/health", None, id="configured-not-http"
        ),
        pytest.param(with_annotations({KEY: "file:///etc/passwd"}), None, None, id="file-url"),
        pytest.param(with_annotations({KEY: "/health"}), None, None, id="relative"),
        pytest.param(with_annotations({KEY: "http://"}), None, None, id="no-host"),
        pytest.param(with_annotations({KEY: "http://a b/"}), None, None, id="whitespace"),
        pytest.param(with_annotations({KEY: "javascript:alert(1)"}), None, None, id="javascript"),
        pytest.param(
            with_annotations({KEY: " HTTPS://Svc:8443/ready?full=1 "}),
            None,
            "HTTPS://Svc:8443/ready?full=1",
            id="trimmed-any-case",
        ),
        pytest.param({"metadata": {"name": "bare"}}, None, None, id="no-spec"),
    ],
)
def test_health_url_for(
    deployment: dict[str, Any], configured: str | None, expected: str | None
) -> None:
    assert health_url_for(deployment, configured) == expected


# ------------------------------------------------------------------ the report

PASS = Check("pods ready", "passed", "All 3 pods are Running and Ready.")
SKIP = Check("health check", "skipped", "no health URL configured")


def test_report_all_passed() -> None:
    report = verify(PASS, PASS, PASS, PASS, SKIP)
    assert report == VerificationReport((PASS, PASS, PASS, PASS, SKIP))
    assert report.passed
    assert report.summary == "Rollback verified: 4 checks passed, 1 skipped."


def test_report_one_passed() -> None:
    assert verify(PASS).summary == "Rollback verified: 1 check passed."


def test_report_failed_quotes_the_headline() -> None:
    failed = check_pods_ready(
        [pod("web-a"), pod("web-b", ready=False, waiting="CrashLoopBackOff")],
        replica_set=RS,
        pod_template_hash=HASH,
        desired=3,
    )
    report = verify(failed, PASS, SKIP)
    assert not report.passed
    assert report.summary == "Verification failed: pods not ready (1 of 3 ready)."


def test_report_lists_every_failure() -> None:
    report = verify(
        check_health(URL, HealthResult(503, None, 4.0)),
        check_logs({"web-a": ["FATAL config missing"]}),
    )
    assert report.summary == (
        "Verification failed: health check failed (HTTP 503); "
        "errors in logs (1 matching line in 1 pod)."
    )


def test_report_with_free_form_failure_evidence() -> None:
    report = verify(Check("migrations", "failed", "schema version is behind."))
    assert report.summary == "Verification failed: migrations: schema version is behind."
    assert verify(Check("custom", "failed", "")).summary == "Verification failed: custom failed."


def test_report_skipped_only_and_empty() -> None:
    assert verify(SKIP, SKIP).passed
    assert verify(SKIP, SKIP).summary == "Nothing verified: 2 checks skipped."
    assert verify().passed
    assert verify().summary == "Nothing to verify: no checks ran."
