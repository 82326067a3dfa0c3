"""rollout status / pause / resume / restart (spec V11, §4, §5)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from .conftest import (
    HASH_KEY,
    REV_KEY,
    Cluster,
    annots,
    apply_and_settle,
    condition,
    history_text,
    image_of,
    nginx_deployment,
    revision_text,
    rs_hash,
    template_description,
    without_deadline_klog,
)

pytestmark = pytest.mark.integration

SUCCESS = 'deployment "nginx" successfully rolled out'
WAITING_PATTERNS = [
    re.compile(r"^Waiting for deployment spec update to be observed\.\.\.$"),
    re.compile(
        r'^Waiting for deployment "nginx" rollout to finish: '
        r"(?P<updated>\d+) out of (?P<desired>\d+) new replicas have been updated\.\.\.$"
    ),
    re.compile(
        r'^Waiting for deployment "nginx" rollout to finish: '
        r"(?P<old>\d+) old replicas are pending termination\.\.\.$"
    ),
    re.compile(
        r'^Waiting for deployment "nginx" rollout to finish: '
        r"(?P<available>\d+) of (?P<updated2>\d+) updated replicas are available\.\.\.$"
    ),
]


def classify(line: str) -> re.Match[str]:
    for pattern in WAITING_PATTERNS:
        m = pattern.match(line)
        if m:
            return m
    raise AssertionError(f"unexpected rollout status line: {line!r}")


def check_waiting_lines(lines: list[str], replicas: int) -> None:
    """Every line is one of the allowed messages with plausible numbers; progress never goes
    backwards."""
    last_updated = -1
    for line in lines:
        m = classify(line)
        groups = m.groupdict()
        if groups.get("updated") is not None:
            updated = int(groups["updated"])
            assert int(groups["desired"]) == replicas, line
            assert 0 <= updated < replicas, line
            assert updated >= last_updated, f"progress went backwards: {lines}"
            last_updated = updated
        if groups.get("old") is not None:
            assert int(groups["old"]) >= 1, line
        if groups.get("available") is not None:
            assert int(groups["updated2"]) == replicas, line
            assert 0 <= int(groups["available"]) < replicas, line


def test_v11_rollout_status_until_success(cluster: Callable[..., Cluster]) -> None:
    cl = cluster(pod_start_delay=0.5)
    apply_and_settle(cl, nginx_deployment())
    res = cl.kubectl("set", "image", "deployment/nginx", "nginx=nginx:1.16")
    assert res.ok().stdout == "deployment.apps/nginx image updated\n"
    res = cl.kubectl("rollout", "status", "deployment/nginx", "--timeout=60s", timeout=90)
    assert res.code == 0, res.describe()
    assert res.stderr == ""
    lines = res.stdout.split("\n")
    assert lines[-1] == "", "stdout must end with a newline"
    lines = lines[:-1]
    assert lines[-1] == SUCCESS
    assert lines.count(SUCCESS) == 1
    waiting = lines[:-1]
    assert waiting, "pods take 0.5 s to start: kubectl must have printed waiting lines"
    check_waiting_lines(waiting, replicas=3)
    # the rollout really finished
    dep = cl.deployment()
    st = dep["status"]
    assert st["updatedReplicas"] == st["availableReplicas"] == st["replicas"] == 3
    assert st["observedGeneration"] == dep["metadata"]["generation"] == 2


def test_rollout_status_of_initial_rollout(cluster: Callable[..., Cluster]) -> None:
    cl = cluster(pod_start_delay=0.4)
    res = cl.apply(nginx_deployment(), "--validate=false")
    assert res.ok().stdout == "deployment.apps/nginx created\n"
    res = cl.kubectl("rollout", "status", "deployment/nginx", "--timeout=60s", timeout=90)
    assert res.code == 0, res.describe()
    lines = res.stdout.splitlines()
    assert lines[-1] == SUCCESS
    assert len(lines) >= 2, res.describe()
    check_waiting_lines(lines[:-1], replicas=3)


def test_rollout_status_classic_list_watch(cluster: Callable[..., Cluster]) -> None:
    """With the watch-list client feature off kubectl uses LIST + WATCH (§4.2 fallback)."""
    cl = cluster(pod_start_delay=0.4)
    apply_and_settle(cl, nginx_deployment())
    cl.kubectl("set", "image", "deployment/nginx", "nginx=nginx:1.16").ok()
    res = cl.kubectl(
        "rollout",
        "status",
        "deployment/nginx",
        "--timeout=60s",
        timeout=90,
        env={"KUBE_FEATURE_WatchListClient": "false"},
    )
    assert res.code == 0, res.describe()
    lines = res.stdout.splitlines()
    assert lines[-1] == SUCCESS
    check_waiting_lines(lines[:-1], replicas=3)


def test_v11_progress_deadline_exceeded(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(progressDeadlineSeconds=3))
    res = k8s.kubectl("set", "image", "deployment/nginx", "nginx=nginx:crashloop")
    assert res.ok().stdout == "deployment.apps/nginx image updated\n"
    started = time.monotonic()
    res = k8s.kubectl("rollout", "status", "deployment/nginx", "--timeout=60s", timeout=90)
    assert (res.code, res.stderr) == (
        1,
        'error: deployment "nginx" exceeded its progress deadline\n',
    ), res.describe()
    assert time.monotonic() - started < 45
    check_waiting_lines(res.stdout.splitlines(), replicas=3)

    k8s.settle()
    dep = k8s.deployment()
    new_rs = k8s.rs_by_revision()[2]
    assert image_of(new_rs) == "nginx:crashloop"
    progressing = condition(dep, "Progressing")
    assert progressing is not None
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.',
    )
    # the old pods keep serving: maxUnavailable is 0
    assert k8s.rs_by_revision()[1]["spec"]["replicas"] == 3
    res = k8s.kubectl("rollout", "status", "deployment/nginx", "--watch=false")
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        'error: deployment "nginx" exceeded its progress deadline\n',
    )


def test_rollout_status_no_watch_on_settled_deployment(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    res = k8s.kubectl("rollout", "status", "deployment/nginx", "--watch=false")
    assert (res.code, res.stdout, res.stderr) == (0, SUCCESS + "\n", "")


@pytest.mark.parametrize("image", ["nginx:crashloop", "nginx:pullerror"])
def test_rollout_status_no_watch_on_stuck_rollout(k8s: Cluster, image: str) -> None:
    apply_and_settle(k8s, nginx_deployment(image=image))
    res = k8s.kubectl("rollout", "status", "deployment/nginx", "--watch=false")
    assert (res.code, res.stdout, res.stderr) == (
        0,
        (
            'Waiting for deployment "nginx" rollout to finish: 0 of 3 updated replicas are '
            "available...\n"
        ),
        "",
    )
    dep = k8s.deployment()
    # status ints are omitempty: nothing is ready or available
    assert "readyReplicas" not in dep["status"]
    assert "availableReplicas" not in dep["status"]
    assert (dep["status"]["replicas"], dep["status"]["unavailableReplicas"]) == (3, 3)
    available = condition(dep, "Available")
    assert available is not None
    assert (available["status"], available["reason"], available["message"]) == (
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
    )


def test_rollout_status_timeout(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(image="nginx:crashloop"))
    res = k8s.kubectl("rollout", "status", "deployment/nginx", "--timeout=2s", timeout=30)
    assert res.code == 1, res.describe()
    assert without_deadline_klog(res.stderr) == "error: timed out waiting for the condition\n"
    check_waiting_lines(res.stdout.splitlines(), replicas=3)
    assert res.stdout.splitlines(), "at least the first evaluation is printed"


def test_rollout_status_object_deleted(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(image="nginx:crashloop"))
    with k8s.stream("rollout", "status", "deployment/nginx", "--timeout=60s") as status:
        first = status.next_line(timeout=30)  # the watch is up once a line was printed
        assert first is not None, status.stderr()
        classify(first)
        res = k8s.kubectl("delete", "deployment", "nginx")
        assert res.code == 0, res.describe()
        code, _rest, err = status.finish(timeout=30)
    assert code == 1
    check_waiting_lines(status.lines, replicas=3)
    assert err == "error: object has been deleted\n"


def test_rollout_status_missing_deployment(k8s: Cluster) -> None:
    res = k8s.kubectl("rollout", "status", "deployment/nope")
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
    )


def test_rollout_pause_and_resume_messages(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    res = k8s.kubectl("rollout", "resume", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        'error: deployments.apps "nginx" is not paused\n',
    )
    res = k8s.kubectl("rollout", "pause", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx paused\n", "")
    dep = k8s.deployment()
    assert dep["spec"]["paused"] is True
    assert dep["metadata"]["generation"] == 2
    res = k8s.kubectl("rollout", "pause", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        'error: deployments.apps "nginx" is already paused\n',
    )
    res = k8s.kubectl("rollout", "resume", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx resumed\n", "")
    k8s.settle()
    dep = k8s.deployment()
    # {"spec":{"paused":null}} deletes the field; false is omitted like on a real server
    assert "paused" not in dep["spec"]
    assert dep["metadata"]["generation"] == 3
    progressing = condition(dep, "Progressing")
    assert progressing is not None
    assert progressing["status"] == "True"
    # nothing to roll out: still one RS, revision 1
    assert sorted(k8s.rs_by_revision()) == [1]


def test_rollout_pause_missing_deployment(k8s: Cluster) -> None:
    for verb in ("pause", "resume", "restart"):
        res = k8s.kubectl("rollout", verb, "deployment/nope")
        assert (res.code, res.stdout, res.stderr) == (
            1,
            "",
            'Error from server (NotFound): deployments.apps "nope" not found\n',
        ), verb


def test_rollout_restart_makes_a_new_revision(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    old_pods = {p["metadata"]["name"] for p in k8s.items("pods")}
    res = k8s.kubectl("rollout", "restart", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx restarted\n", "")
    k8s.settle()
    dep = k8s.deployment()
    restarted_at = dep["spec"]["template"]["metadata"]["annotations"][
        "kubectl.kubernetes.io/restartedAt"
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", restarted_at)
    by_rev = k8s.rs_by_revision()
    assert sorted(by_rev) == [1, 2]
    assert (by_rev[1]["spec"]["replicas"], by_rev[2]["spec"]["replicas"]) == (0, 3)
    assert by_rev[2]["spec"]["template"]["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": restarted_at
    }
    assert annots(dep)[REV_KEY] == "2"
    new_pods = k8s.pods_of(by_rev[2])
    assert len(new_pods) == 3
    assert not old_pods & {p["metadata"]["name"] for p in new_pods}
    assert {p["metadata"]["name"] for p in k8s.items("pods")} == {
        p["metadata"]["name"] for p in new_pods
    }

    assert k8s.kubectl("rollout", "history", "deployment/nginx").ok().stdout == history_text(
        "nginx", [(1, None), (2, None)]
    )
    expected = revision_text(
        "nginx",
        2,
        template_description(
            {"app": "nginx", HASH_KEY: rs_hash(by_rev[2])},
            "nginx:1.14",
            annotations_={"kubectl.kubernetes.io/restartedAt": restarted_at},
        ),
    )
    res = k8s.kubectl("rollout", "history", "deployment/nginx", "--revision=2")
    assert (res.code, res.stdout, res.stderr) == (0, expected, "")

    k8s.kubectl("rollout", "pause", "deployment/nginx").ok()
    res = k8s.kubectl("rollout", "restart", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        (
            'error: deployments.apps "nginx" can\'t restart paused deployment '
            "(run rollout resume first)\n"
        ),
    )


def test_recreate_strategy_removes_old_pods_first(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(strategy={"type": "Recreate"}))
    by_rev = k8s.rs_by_revision()
    assert annots(by_rev[1])["deployment.kubernetes.io/max-replicas"] == "3"  # no surge
    old_hash = rs_hash(by_rev[1])
    rv = k8s.http("GET", "/api/v1/namespaces/default/pods").json()["metadata"]["resourceVersion"]
    res = k8s.kubectl("set", "image", "deployment/nginx", "nginx=nginx:1.16")
    assert res.ok().stdout == "deployment.apps/nginx image updated\n"
    res = k8s.kubectl("rollout", "status", "deployment/nginx", "--timeout=60s", timeout=90)
    assert res.code == 0, res.describe()
    assert res.stdout.splitlines()[-1] == SUCCESS
    k8s.settle()
    by_rev = k8s.rs_by_revision()
    assert (by_rev[1]["spec"]["replicas"], by_rev[2]["spec"]["replicas"]) == (0, 3)
    assert annots(by_rev[2])["deployment.kubernetes.io/max-replicas"] == "3"
    new_hash = rs_hash(by_rev[2])
    events = k8s.watch_events("/api/v1/namespaces/default/pods", rv, seconds=1)
    kinds = [(e["type"], e["object"]["metadata"]["labels"]["pod-template-hash"]) for e in events]
    first_new = kinds.index(("ADDED", new_hash))
    old_deleted = [i for i, k in enumerate(kinds) if k == ("DELETED", old_hash)]
    assert len(old_deleted) == 3, kinds
    assert max(old_deleted) < first_new, f"Recreate started new pods too early: {kinds}"


@pytest.mark.parametrize(
    ("scale_to", "old_size", "new_size", "max_replicas"),
    [(20, 15, 10, "25"), (5, 4, 3, "7")],
)
def test_proportional_scaling_during_stuck_rollout(
    k8s: Cluster, scale_to: int, old_size: int, new_size: int, max_replicas: str
) -> None:
    """10 replicas (surge 3, unavailable 2); a crash-looping release gets stuck at old 8 /
    new 5; scaling then distributes proportionally to the max-replicas annotation (§1.8)."""
    apply_and_settle(k8s, nginx_deployment(replicas=10))
    k8s.kubectl("set", "image", "deployment/nginx", "nginx=nginx:crashloop").ok()
    k8s.settle()
    by_rev = k8s.rs_by_revision()
    assert (by_rev[1]["spec"]["replicas"], by_rev[2]["spec"]["replicas"]) == (8, 5)
    for rs in by_rev.values():
        assert annots(rs)["deployment.kubernetes.io/desired-replicas"] == "10"
        assert annots(rs)["deployment.kubernetes.io/max-replicas"] == "13"

    res = k8s.kubectl("scale", "deployment/nginx", f"--replicas={scale_to}")
    assert res.ok().stdout == "deployment.apps/nginx scaled\n"
    k8s.settle()
    by_rev = k8s.rs_by_revision()
    assert (by_rev[1]["spec"]["replicas"], by_rev[2]["spec"]["replicas"]) == (old_size, new_size)
    for rs in by_rev.values():
        assert annots(rs)["deployment.kubernetes.io/desired-replicas"] == str(scale_to)
        assert annots(rs)["deployment.kubernetes.io/max-replicas"] == max_replicas
    assert len(k8s.items("pods")) == old_size + new_size
    dep = k8s.deployment()
    st = dep["status"]
    assert (st["replicas"], st["updatedReplicas"], st["availableReplicas"]) == (
        old_size + new_size,
        new_size,
        old_size,
    )
    # unavailableReplicas = sum of RS spec.replicas - availableReplicas
    assert st["unavailableReplicas"] == new_size


def test_min_ready_seconds_delays_availability(k8s: Cluster) -> None:
    started = time.monotonic()  # the pod is ready at once, available 2 s later
    res = k8s.apply(nginx_deployment(replicas=1, minReadySeconds=2), "--validate=false")
    assert res.ok().stdout == "deployment.apps/nginx created\n"
    res = k8s.kubectl("rollout", "status", "deployment/nginx", "--timeout=60s", timeout=90)
    elapsed = time.monotonic() - started
    assert res.code == 0, res.describe()
    lines = res.stdout.splitlines()
    assert lines[-1] == SUCCESS
    assert (
        'Waiting for deployment "nginx" rollout to finish: 0 of 1 updated replicas are '
        "available..." in lines
    )
    # Ready's lastTransitionTime has 1 s resolution (as on a real cluster), so availability
    # comes 1-2 s after readiness
    assert elapsed >= 1.0, "pods count as available only after minReadySeconds"
    rs = k8s.rs_by_revision()[1]
    assert rs["spec"]["minReadySeconds"] == 2
    assert rs["status"]["availableReplicas"] == 1
