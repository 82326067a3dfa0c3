"""What the Kubernetes runtime reads — namespaces, deployment summaries, pods, logs, events,
history, version — checked against the sandbox over HTTPS with a token, with real kubectl as the
referee wherever it prints the same facts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from kiops_desktop.core.workloads import PodSummary
from kiops_desktop.runtimes.errors import OperationError
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime, LogStream
from tests.integration.sandbox.conftest import (
    Cluster,
    apply_and_settle,
    condition,
    controller_uid,
    nginx_deployment,
    rs_hash,
    set_image,
    wait_for,
)

pytestmark = pytest.mark.integration

Factory = Callable[..., Cluster]
RuntimeFactory = Callable[..., KubernetesRuntime]


def _two_containers(name: str = "shop", **spec_extra: Any) -> dict[str, Any]:
    manifest = nginx_deployment(name, replicas=2, image="nginx:1.14", **spec_extra)
    manifest["spec"]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "envoy:1.30"}
    )
    return manifest


def _pod_names(cl: Cluster, app: str, namespace: str = "default") -> list[str]:
    return sorted(
        p["metadata"]["name"] for p in cl.items("pods", "-n", namespace, "-l", f"app={app}")
    )


class _Follower:
    """Iterates a LogStream on a thread, keeping the lines and whatever the iteration raised."""

    def __init__(self, stream: LogStream) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="log-follower", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for line in self.stream:
                self.lines.append(line)
        except Exception as exc:  # kept for the test to judge, never lost on the thread
            self.error = exc

    def stop(self, timeout: float = 2.0) -> float:
        """stop() from this (another) thread; seconds until the iteration ended."""
        started = time.monotonic()
        self.stream.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"iteration still running {timeout}s after stop()"
        return time.monotonic() - started


# ---------------------------------------------------------------------------- cluster


def test_version_is_the_server_git_version(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    res = cl.kubectl("version", "-o", "json")
    assert res.code == 0, res.describe()
    expected = json.loads(res.stdout)["serverVersion"]["gitVersion"]
    assert runtime_for(cl).version() == expected == "v1.37.0-kiops-sandbox"


def test_list_namespaces(secure_cluster: Factory, runtime_for: RuntimeFactory) -> None:
    cl = secure_cluster()
    cl.ok("create", "namespace", "team-a")
    listing = runtime_for(cl).list_namespaces()
    assert listing.note is None
    assert {"default", "kube-system", "team-a"} <= set(listing.names)
    assert sorted(listing.names) == sorted(i["metadata"]["name"] for i in cl.items("namespaces"))


# ---------------------------------------------------------------------------- deployments


def test_list_deployments_in_all_namespaces_and_in_one(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    cl.ok("create", "namespace", "team-a")
    apply_and_settle(cl, nginx_deployment("web"))
    apply_and_settle(cl, nginx_deployment("api", namespace="team-a"))
    apply_and_settle(cl, nginx_deployment("worker", namespace="team-a", replicas=1))
    runtime = runtime_for(cl)

    everywhere = {(d.namespace, d.name) for d in runtime.list_deployments()}
    kubectl_all = {
        (d["metadata"]["namespace"], d["metadata"]["name"])
        for d in cl.items("deployments", "--all-namespaces")
    }
    assert (
        everywhere
        == kubectl_all
        == {
            ("default", "web"),
            ("team-a", "api"),
            ("team-a", "worker"),
        }
    )
    assert {(d.namespace, d.name) for d in runtime.list_deployments("team-a")} == {
        ("team-a", "api"),
        ("team-a", "worker"),
    }
    assert [d.name for d in runtime.list_deployments("default")] == ["web"]
    assert runtime.list_deployments("kube-system") == []


def test_summary_of_an_available_deployment(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, _two_containers())
    set_image(cl, "nginx:1.16", name="shop")
    set_image(cl, "nginx:1.17", name="shop")
    (summary,) = runtime_for(cl).list_deployments("default")
    dep = cl.deployment("shop")
    assert summary.name == "shop"
    assert summary.namespace == "default"
    assert summary.uid == dep["metadata"]["uid"]
    assert summary.resource_version == dep["metadata"]["resourceVersion"]
    assert summary.images == ("nginx:1.17", "envoy:1.30")
    assert summary.revision == 3
    assert (summary.desired, summary.updated, summary.ready, summary.available) == (2, 2, 2, 2)
    assert summary.ready_text == "2/2"
    assert summary.paused is False
    assert summary.status == "Available"


def test_summary_of_a_paused_deployment(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment())
    cl.ok("rollout", "pause", "deployment/nginx")
    cl.settle()
    (summary,) = runtime_for(cl).list_deployments("default")
    assert summary.paused is True
    assert summary.status == "Paused"
    assert (summary.desired, summary.updated, summary.ready, summary.available) == (3, 3, 3, 3)


def test_summary_of_a_rollout_stuck_on_a_bad_image_is_progressing(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment(replicas=2))
    set_image(cl, "nginx:9.9-pullerror")  # default progressDeadlineSeconds (600): not failed yet
    (summary,) = runtime_for(cl).list_deployments("default")
    assert summary.images == ("nginx:9.9-pullerror",)
    assert summary.revision == 2
    # maxSurge 25% of 2 -> 1 new pod; maxUnavailable 25% of 2 -> 0: the old pods keep serving.
    assert (summary.desired, summary.updated, summary.ready, summary.available) == (2, 1, 2, 2)
    assert summary.status == "Progressing"


def test_summary_of_a_crash_looping_rollout_past_its_deadline_is_failed(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster(crash_backoff=0.5)
    apply_and_settle(cl, nginx_deployment(replicas=2, progressDeadlineSeconds=2))
    set_image(cl, "nginx:2.0-crashloop")
    runtime = runtime_for(cl)
    wait_for(
        lambda: (
            (condition(cl.deployment(), "Progressing") or {}).get("reason")
            == "ProgressDeadlineExceeded"
        ),
        timeout=15,
    )
    (summary,) = runtime.list_deployments("default")
    assert summary.status == "Failed"
    assert summary.revision == 2
    assert summary.images == ("nginx:2.0-crashloop",)
    assert (summary.desired, summary.updated, summary.available) == (2, 1, 2)


# ---------------------------------------------------------------------------- pods


def test_list_pods_maps_each_pod_to_its_replica_set_and_revision(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    # Pods take 2 s to start, so the rollout is still at its first step when it is paused: the
    # new ReplicaSet has its surge pod, the old one all of its pods.
    cl = secure_cluster(pod_start_delay=2.0)
    apply_and_settle(
        cl,
        nginx_deployment(
            replicas=3,
            strategy={
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
        ),
    )
    res = cl.kubectl("set", "image", "deployment/nginx", "nginx=nginx:1.16")
    assert res.code == 0, res.describe()
    cl.ok("rollout", "pause", "deployment/nginx")
    cl.settle()

    by_revision = cl.rs_by_revision()
    assert sorted(by_revision) == [1, 2]
    expected: dict[str, tuple[str, int, str, str]] = {}
    for revision, rs in by_revision.items():
        for obj in cl.pods_of(rs):
            expected[obj["metadata"]["name"]] = (
                rs["metadata"]["name"],
                revision,
                rs_hash(rs),
                obj["spec"]["containers"][0]["image"],
            )
    summaries = runtime_for(cl).list_pods("default", "nginx")
    got = {p.name: (p.replica_set, p.revision, p.pod_template_hash, p.images[0]) for p in summaries}
    assert got == expected
    per_revision = sorted((rev, img) for _, rev, _, img in got.values())
    assert per_revision == [(1, "nginx:1.14")] * 3 + [(2, "nginx:1.16")], (
        "the rollout was paused after its first step: 3 old pods and 1 surge pod"
    )
    for pod in summaries:
        assert pod.namespace == "default"
        assert (pod.phase, pod.ready_text, pod.restarts, pod.waiting_reason) == (
            "Running",
            "1/1",
            0,
            "",
        )
        assert pod.node == "sandbox-node-1"
        assert pod.terminating is False


def test_waiting_reasons_of_crash_looping_and_unpullable_pods(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster(crash_backoff=1.0)
    apply_and_settle(cl, nginx_deployment("crash", replicas=1, image="nginx:1.0-crashloop"))
    apply_and_settle(cl, nginx_deployment("pull", replicas=1, image="nginx:1.0-pullerror"))
    runtime = runtime_for(cl)

    def pod_waiting(name: str, reason: str) -> PodSummary | None:
        (pod,) = runtime.list_pods("default", name)
        return pod if pod.waiting_reason == reason else None

    crashing = wait_for(lambda: pod_waiting("crash", "CrashLoopBackOff"), timeout=15, interval=0.05)
    assert crashing.restarts >= 1
    assert crashing.status_text == "CrashLoopBackOff"
    assert crashing.phase == "Running"  # it did run, and will run again
    assert crashing.ready == 0

    # The kubelet alternates ErrImagePull and ImagePullBackOff, as a real node does.
    for reason in ("ErrImagePull", "ImagePullBackOff"):
        pulling = wait_for(partial(pod_waiting, "pull", reason), timeout=10, interval=0.05)
        assert pulling.status_text == reason
        assert pulling.phase == "Pending"
        assert pulling.restarts == 0


# ---------------------------------------------------------------------------- logs


def test_pod_logs_with_tail_and_container(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, _two_containers())
    runtime = runtime_for(cl)
    pod = _pod_names(cl, "shop")[0]

    sidecar = runtime.pod_logs("default", pod, "sidecar", tail=None)
    assert sidecar == cl.ok("logs", pod, "-c", "sidecar")
    assert "INFO  starting sidecar 1.30" in sidecar
    assert len(sidecar.splitlines()) == 4

    tail = runtime.pod_logs("default", pod, "nginx", tail=2)
    assert tail == cl.ok("logs", pod, "-c", "nginx", "--tail=2")
    assert tail.splitlines() == runtime.pod_logs("default", pod, "nginx").splitlines()[-2:]
    assert "starting nginx" not in tail

    # Two containers and none named: the server's sentence, as a typed error.
    with pytest.raises(OperationError) as caught:
        runtime.pod_logs("default", pod)
    assert f"a container name must be specified for pod {pod}" in str(caught.value)


def test_logs_of_a_waiting_container_raise_a_typed_error_with_the_servers_sentence(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment("pull", replicas=1, image="nginx:1.0-pullerror"))
    (pod,) = _pod_names(cl, "pull")
    sentence = (
        f'container "nginx" in pod "{pod}" is waiting to start: trying and failing to pull image'
    )
    res = cl.kubectl("logs", pod)
    assert res.code == 1
    assert sentence in res.stderr, res.describe()

    runtime = runtime_for(cl)
    with pytest.raises(OperationError) as caught:
        runtime.pod_logs("default", pod)
    assert sentence in str(caught.value)
    assert caught.value.sentence == str(caught.value)
    with pytest.raises(OperationError) as followed:
        runtime.follow_logs("default", pod)
    assert sentence in str(followed.value)


def test_follow_logs_starts_with_the_tail(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment(replicas=1))
    (pod,) = _pod_names(cl, "nginx")
    runtime = runtime_for(cl)
    follower = _Follower(runtime.follow_logs("default", pod, "nginx", tail=2))
    wait_for(lambda: len(follower.lines) >= 2, timeout=5, interval=0.05)
    follower.stop()
    assert follower.lines == cl.ok("logs", pod, "--tail=2").splitlines()


def test_follow_logs_stop_ends_the_iteration_promptly_and_quietly(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment(replicas=1))
    (pod,) = _pod_names(cl, "nginx")
    follower = _Follower(runtime_for(cl).follow_logs("default", pod, tail=1))
    wait_for(lambda: follower.lines, timeout=5, interval=0.05)
    assert follower.stop() < 2.0
    assert follower.error is None, f"stop() made the iteration raise {follower.error!r}"


def test_follow_logs_streams_the_lines_of_a_restarting_container(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster(crash_backoff=0.3)
    apply_and_settle(cl, nginx_deployment("crash", replicas=1, image="nginx:1.0-crashloop"))
    (pod,) = _pod_names(cl, "crash")
    follower = _Follower(runtime_for(cl).follow_logs("default", pod, tail=None))
    try:
        wait_for(lambda: follower.lines, timeout=5, interval=0.05)
        first_run = len(follower.lines)
        # The container restarts after ~0.3 s, 0.6 s, 1.2 s...; each run logs four lines.
        wait_for(lambda: len(follower.lines) >= first_run + 4, timeout=8, interval=0.05)
    finally:
        follower.stream.stop()
        follower.thread.join(2)
    starts = [line for line in follower.lines if "INFO  starting nginx 1.0-crashloop" in line]
    assert len(starts) >= 2


# ---------------------------------------------------------------------------- events


def test_events_of_a_deployment_and_its_replica_sets(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment("web", replicas=2))
    set_image(cl, "nginx:1.16", name="web")
    runtime = runtime_for(cl)
    rs = {rev: r["metadata"]["name"] for rev, r in cl.rs_by_revision("web").items()}

    events = runtime.events("default", "web")
    scaling = {e.message for e in events if e.reason == "ScalingReplicaSet"}
    assert {e.object for e in events if e.reason == "ScalingReplicaSet"} == {"deployment/web"}
    # "Scaled up replica set <rs> to <n>", then "... to <n> from <m>" on later steps.
    assert f"Scaled up replica set {rs[1]} to 2" in scaling
    assert any(m.startswith(f"Scaled up replica set {rs[2]} to 2") for m in scaling), scaling
    assert any(m.startswith(f"Scaled down replica set {rs[1]} to 0") for m in scaling), scaling

    created = [e for e in events if e.reason == "SuccessfulCreate"]
    assert {e.object for e in created} == {f"replicaset/{rs[1]}", f"replicaset/{rs[2]}"}
    for event in created:
        assert event.type == "Normal"
        assert event.message.startswith(f"Created pod: {event.object.split('/', 1)[1]}-")
    assert [e.last_seen for e in events] == sorted(e.last_seen for e in events)

    # The same events kubectl lists for those objects.
    kubectl_events = {
        (
            f"{e['involvedObject']['kind'].lower()}/{e['involvedObject']['name']}",
            e["reason"],
            e["message"],
        )
        for e in cl.items("events")
    }
    assert {(e.object, e.reason, e.message) for e in events} <= kubectl_events


def test_events_leave_out_a_deployment_whose_name_extends_this_one(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment("web", replicas=1))
    apply_and_settle(cl, nginx_deployment("web-admin", replicas=1))
    (admin_rs,) = cl.owned_replicasets("web-admin")
    admin_objects = {f"replicaset/{admin_rs['metadata']['name']}", "deployment/web-admin"}
    admin_objects |= {f"pod/{name}" for name in _pod_names(cl, "web-admin")}

    objects = {e.object for e in runtime_for(cl).events("default", "web")}
    assert "deployment/web" in objects
    assert not objects & admin_objects, sorted(objects & admin_objects)


# ---------------------------------------------------------------------------- history


def test_history_is_what_kubectl_prints(
    secure_cluster: Factory, runtime_for: RuntimeFactory
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment())
    cl.ok("annotate", "deployment/nginx", "kubernetes.io/change-cause=first release")
    set_image(cl, "nginx:1.16")
    cl.ok("annotate", "deployment/nginx", "kubernetes.io/change-cause=1.16: security fixes")
    set_image(cl, "nginx:1.17")
    history = runtime_for(cl).history("default", "nginx")
    assert history.raw_text == cl.ok("rollout", "history", "deployment/nginx", "-n", "default")
    assert [r.number for r in history.revisions] == [1, 2, 3]
    assert [r.images for r in history.revisions] == [
        ("nginx:1.14",),
        ("nginx:1.16",),
        ("nginx:1.17",),
    ]
    assert history.current_revision == 3
    # Every ReplicaSet of the deployment is the deployment's own.
    uid = cl.deployment()["metadata"]["uid"]
    names = {r.replica_set for r in history.revisions}
    assert names == {rs["metadata"]["name"] for rs in cl.items("rs") if controller_uid(rs) == uid}
