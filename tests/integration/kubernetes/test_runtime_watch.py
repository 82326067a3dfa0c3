"""The runtime's list-then-watch (``ResourceWatch``) against the sandbox over HTTPS: it reports
what kubectl changes, survives a dropped connection without losing an event, lists again after a
410, and ``stop()`` ends it promptly from another thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiops_desktop.runtimes.kube_watch import ResourceWatch
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.sandbox.conftest import (
    Cluster,
    apply_and_settle,
    nginx_deployment,
    set_image,
    wait_for,
)

pytestmark = pytest.mark.integration

Factory = Callable[..., Cluster]
RuntimeFactory = Callable[..., KubernetesRuntime]
Event = tuple[str, dict[str, Any]]
Hook = Callable[[str, dict[str, Any]], None]

STOP_WITHIN = 2.0  # seconds


def _list_path(namespace: str) -> str:
    """The path of both the LIST and the WATCH of deployments in ``namespace``."""
    return rf"^/apis/apps/v1/namespaces/{namespace}/deployments$"


def _name(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def _names(body: dict[str, Any]) -> list[str]:
    return sorted(_name(item) for item in body.get("items") or [])


class Collector:
    """Runs ``watch.events()`` on a thread and keeps every event.

    ``hook`` runs on the watch thread for each event *before* the watch asks the server for
    more, so a test can change the server between the initial LIST and the WATCH request."""

    def __init__(self, watch: ResourceWatch, hook: Hook | None = None) -> None:
        self.watch = watch
        self.hook = hook
        self.events: list[Event] = []
        self.error: BaseException | None = None
        self._cond = threading.Condition()
        self._done = False
        self.thread = threading.Thread(target=self._run, name="watch-collector", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for kind, obj in self.watch.events():
                if self.hook is not None:
                    self.hook(kind, obj)
                with self._cond:
                    self.events.append((kind, obj))
                    self._cond.notify_all()
        except Exception as exc:  # judged by the test, never lost on the thread
            self.error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def summary(self) -> list[tuple[str, Any]]:
        with self._cond:
            return [
                (kind, _names(obj) if kind == "SYNC" else _name(obj)) for kind, obj in self.events
            ]

    def wait_for(
        self, predicate: Callable[[str, dict[str, Any]], bool], timeout: float = 10.0
    ) -> Event:
        """The first event (in arrival order) that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for kind, obj in self.events:
                    if predicate(kind, obj):
                        return kind, obj
                if self._done:
                    raise AssertionError(
                        f"the watch ended ({self.error!r}) without a matching event; "
                        f"got {self.summary()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no matching event within {timeout}s; got {self.summary()}"
                    )
                self._cond.wait(remaining)

    def wait_for_event(self, kind: str, name: str, timeout: float = 10.0) -> dict[str, Any]:
        return self.wait_for(lambda k, o: k == kind and _name(o) == name, timeout)[1]

    def syncs(self) -> list[list[str]]:
        with self._cond:
            return [_names(obj) for kind, obj in self.events if kind == "SYNC"]

    def stop(self) -> float:
        """``watch.stop()`` from this thread; seconds until ``events()`` had ended."""
        started = time.monotonic()
        self.watch.stop()
        returned = time.monotonic() - started
        self.thread.join(STOP_WITHIN)
        ended = time.monotonic() - started
        assert returned < STOP_WITHIN, f"stop() took {returned:.2f}s"
        assert not self.thread.is_alive(), f"events() still running {STOP_WITHIN}s after stop()"
        assert self.error is None, f"the watch failed: {self.error!r}"
        return ended


@pytest.fixture
def collect() -> Iterator[Callable[..., Collector]]:
    made: list[Collector] = []

    def make(watch: ResourceWatch, hook: Hook | None = None) -> Collector:
        collector = Collector(watch, hook)
        made.append(collector)
        return collector

    yield make
    for collector in made:  # a failed test must not leave a watch running
        collector.watch.stop()
        collector.thread.join(STOP_WITHIN)


class Proxy:
    """A TCP relay in front of the sandbox that can cut every connection (TLS passes through
    untouched) and refuse new ones, like a network that goes away and comes back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until ``restore()``."""
        self.refusing.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.refusing.clear()

    def close(self) -> None:
        self.listener.close()
        self.cut()


@pytest.fixture
def proxy_for() -> Iterator[Callable[[Cluster], tuple[Proxy, Path]]]:
    proxies: list[Proxy] = []

    def make(cl: Cluster) -> tuple[Proxy, Path]:
        proxy = Proxy((cl.sb.host, cl.sb.port))
        proxies.append(proxy)
        config = yaml.safe_load(cl.kubeconfig.read_text())
        config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
        path = cl.workdir / "kubeconfig-via-proxy"
        path.write_text(yaml.safe_dump(config))
        return proxy, path

    yield make
    for proxy in proxies:
        proxy.close()


# ---------------------------------------------------------------------------- the basics


def test_watch_deployments_sees_kubectl_create_scale_and_delete(
    secure_cluster: Factory, runtime_for: RuntimeFactory, collect: Callable[..., Collector]
) -> None:
    cl = secure_cluster()
    cl.ok("create", "namespace", "team-a")
    apply_and_settle(cl, nginx_deployment("existing", namespace="team-a", replicas=1))
    watch = collect(runtime_for(cl).watch_deployments("team-a"))
    assert watch.wait_for(lambda kind, _: kind == "SYNC")[1]["kind"] == "DeploymentList"
    assert watch.syncs() == [["existing"]]

    cl.ok("create", "deployment", "web", "--image=nginx:1.14", "-n", "team-a")
    added = watch.wait_for_event("ADDED", "web")
    assert added["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.14"
    cl.settle()
    cl.ok("scale", "deployment/web", "--replicas=3", "-n", "team-a")
    watch.wait_for(
        lambda kind, obj: (
            kind == "MODIFIED"
            and _name(obj) == "web"
            and obj["spec"]["replicas"] == 3
            and obj["status"].get("readyReplicas") == 3
        )
    )
    # Another namespace is not this watch's business.
    apply_and_settle(cl, nginx_deployment("elsewhere", replicas=1))
    cl.ok("delete", "deployment", "web", "-n", "team-a")
    deleted = watch.wait_for_event("DELETED", "web")
    assert deleted["metadata"]["uid"] == added["metadata"]["uid"]

    assert watch.stop() < STOP_WITHIN
    kinds = watch.summary()
    assert kinds[0] == ("SYNC", ["existing"])
    web = [kind for kind, name in kinds if name == "web"]
    assert web[0] == "ADDED"
    assert web[-1] == "DELETED"
    assert set(web[1:-1]) == {"MODIFIED"}
    assert "elsewhere" not in {name for _, name in kinds[1:]}
    assert (watch.watch.reconnects, watch.watch.relists) == (0, 0)


def test_watch_deployments_in_all_namespaces(
    secure_cluster: Factory, runtime_for: RuntimeFactory, collect: Callable[..., Collector]
) -> None:
    cl = secure_cluster()
    cl.ok("create", "namespace", "team-a")
    watch = collect(runtime_for(cl).watch_deployments())
    watch.wait_for(lambda kind, _: kind == "SYNC")
    cl.ok("create", "deployment", "web", "--image=nginx:1.14", "-n", "team-a")
    cl.ok("create", "deployment", "web", "--image=nginx:1.14", "-n", "default")
    for namespace in ("team-a", "default"):

        def added_in(kind: str, obj: dict[str, Any], namespace: str = namespace) -> bool:
            return kind == "ADDED" and obj["metadata"]["namespace"] == namespace

        assert _name(watch.wait_for(added_in)[1]) == "web"
    assert watch.stop() < STOP_WITHIN


def test_stop_ends_an_idle_watch_promptly(
    secure_cluster: Factory, runtime_for: RuntimeFactory, collect: Callable[..., Collector]
) -> None:
    cl = secure_cluster()
    watch = collect(runtime_for(cl).watch_deployments("default"))
    watch.wait_for(lambda kind, _: kind == "SYNC")
    apply_and_settle(cl, nginx_deployment(replicas=1))
    ready = cl.deployment()["metadata"]["resourceVersion"]
    # The WATCH stream is open and has delivered the last change; its reader is now blocked on a
    # TLS socket, waiting for a change that never comes.
    watch.wait_for(lambda _, obj: obj["metadata"].get("resourceVersion") == ready)
    assert watch.stop() < STOP_WITHIN


def test_stop_while_the_watch_request_is_pending_ends_promptly(
    secure_cluster: Factory, runtime_for: RuntimeFactory, collect: Callable[..., Collector]
) -> None:
    cl = secure_cluster()

    def after_the_list(kind: str, obj: dict[str, Any]) -> None:
        if kind == "SYNC" and not cl.sb.faults.list():
            # The server holds the WATCH request for 1 s before answering it.
            cl.sb.inject_fault("GET", _list_path("default"), delay=1.0)

    watch = collect(runtime_for(cl).watch_deployments("default"), after_the_list)
    watch.wait_for(lambda kind, _: kind == "SYNC")
    # The rule is used up the moment the WATCH request arrives; the answer is still 1 s away.
    wait_for(lambda: cl.sb.faults.list() == [], timeout=5, interval=0.01)
    assert watch.stop() < STOP_WITHIN


# ---------------------------------------------------------------------------- failures


def test_a_dropped_watch_request_resumes_without_losing_an_event(
    secure_cluster: Factory,
    runtime_for: RuntimeFactory,
    collect: Callable[..., Collector],
) -> None:
    cl = secure_cluster()
    cl.ok("create", "namespace", "team-a")
    apply_and_settle(cl, nginx_deployment("web", namespace="team-a", replicas=1))

    def after_the_list(kind: str, obj: dict[str, Any]) -> None:
        # The next GET of this path is the WATCH request: it is held for 0.5 s, then its
        # connection is dropped before any answer.
        if kind == "SYNC" and not cl.sb.faults.list():
            cl.sb.inject_fault("GET", _list_path("team-a"), delay=0.5, drop=True)

    watch = collect(runtime_for(cl).watch_deployments("team-a"), after_the_list)
    watch.wait_for(lambda kind, _: kind == "SYNC")
    # Made while the watch is being dropped and reconnected.
    cl.ok("create", "deployment", "during", "--image=nginx:1.14", "-n", "team-a")
    cl.ok("scale", "deployment/web", "--replicas=2", "-n", "team-a")

    watch.wait_for_event("ADDED", "during")
    watch.wait_for(
        lambda kind, obj: (
            kind == "MODIFIED" and _name(obj) == "web" and obj["spec"]["replicas"] == 2
        )
    )
    assert cl.sb.faults.list() == [], "the WATCH request must have met the fault"
    # Resumed from the LIST's resourceVersion: no second LIST was needed.
    assert watch.syncs() == [["web"]]
    assert watch.watch.relists == 0
    # And it keeps following.
    cl.ok("delete", "deployment", "during", "-n", "team-a")
    watch.wait_for_event("DELETED", "during")
    assert watch.stop() < STOP_WITHIN


def test_a_dropped_watch_request_counts_as_a_reconnect(
    secure_cluster: Factory, runtime_for: RuntimeFactory, collect: Callable[..., Collector]
) -> None:
    cl = secure_cluster()

    def after_the_list(kind: str, obj: dict[str, Any]) -> None:
        if kind == "SYNC" and not cl.sb.faults.list():
            cl.sb.inject_fault("GET", _list_path("default"), drop=True)

    watch = collect(runtime_for(cl).watch_deployments("default"), after_the_list)
    watch.wait_for(lambda kind, _: kind == "SYNC")
    cl.ok("create", "deployment", "after", "--image=nginx:1.14")
    watch.wait_for_event("ADDED", "after")
    assert cl.sb.faults.list() == []
    assert watch.watch.reconnects >= 1


def test_a_connection_cut_mid_stream_resumes_without_losing_an_event(
    secure_cluster: Factory,
    runtime_for: RuntimeFactory,
    collect: Callable[..., Collector],
    proxy_for: Callable[[Cluster], tuple[Proxy, Path]],
) -> None:
    cl = secure_cluster()
    proxy, kubeconfig = proxy_for(cl)
    watch = collect(runtime_for(cl, kubeconfig=kubeconfig).watch_deployments("default"))
    watch.wait_for(lambda kind, _: kind == "SYNC")
    cl.ok("create", "deployment", "before", "--image=nginx:1.14")
    watch.wait_for_event("ADDED", "before")  # the WATCH stream is open and delivering

    proxy.cut()  # kubectl talks to the sandbox directly; only the runtime loses its network
    try:
        cl.ok("create", "deployment", "during", "--image=nginx:1.14")
        cl.ok("scale", "deployment/before", "--replicas=2")
        cl.ok("delete", "deployment", "during")
    finally:
        proxy.restore()

    watch.wait_for_event("ADDED", "during")
    watch.wait_for(
        lambda kind, obj: (
            kind == "MODIFIED" and _name(obj) == "before" and obj["spec"]["replicas"] == 2
        )
    )
    watch.wait_for_event("DELETED", "during")
    assert watch.watch.reconnects >= 1
    assert watch.watch.relists == 0
    assert watch.syncs() == [[]]
    assert watch.stop() < STOP_WITHIN


def test_a_410_on_the_watch_lists_again(
    secure_cluster: Factory, runtime_for: RuntimeFactory, collect: Callable[..., Collector]
) -> None:
    cl = secure_cluster()
    cl.ok("create", "namespace", "team-a")
    apply_and_settle(cl, nginx_deployment("web", namespace="team-a", replicas=1))

    def after_the_list(kind: str, obj: dict[str, Any]) -> None:
        if kind == "SYNC" and not collector_state["expired"]:
            collector_state["expired"] = True
            # The WATCH request that follows is answered 410 Gone; a deployment created now
            # is only in the second LIST.
            cl.sb.inject_fault("GET", _list_path("team-a"), status=410)
            cl.ok("create", "deployment", "between", "--image=nginx:1.14", "-n", "team-a")

    collector_state = {"expired": False}
    watch = collect(runtime_for(cl).watch_deployments("team-a"), after_the_list)
    watch.wait_for(lambda kind, obj: kind == "SYNC" and "between" in _names(obj))
    assert watch.syncs() == [["web"], ["between", "web"]]
    assert watch.watch.relists >= 1
    assert cl.sb.faults.list() == []
    # After the second LIST the watch follows changes again.
    cl.ok("scale", "deployment/between", "--replicas=2", "-n", "team-a")
    watch.wait_for(
        lambda kind, obj: (
            kind == "MODIFIED" and _name(obj) == "between" and obj["spec"]["replicas"] == 2
        )
    )
    assert watch.stop() < STOP_WITHIN


# ---------------------------------------------------------------------------- pods


def test_watch_pods_sees_the_pods_replaced_during_a_rollout(
    secure_cluster: Factory, runtime_for: RuntimeFactory, collect: Callable[..., Collector]
) -> None:
    cl = secure_cluster(pod_start_delay=0.1)
    apply_and_settle(cl, nginx_deployment(replicas=2))
    apply_and_settle(cl, nginx_deployment("other", replicas=1))
    old = {p["metadata"]["name"] for p in cl.items("pods", "-l", "app=nginx")}
    other = {p["metadata"]["name"] for p in cl.items("pods", "-l", "app=other")}
    watch = collect(runtime_for(cl).watch_pods("default", "nginx"))
    _, listed = watch.wait_for(lambda kind, _: kind == "SYNC")
    assert set(_names(listed)) == old

    set_image(cl, "nginx:1.16")
    new = {p["metadata"]["name"] for p in cl.items("pods", "-l", "app=nginx")}
    assert len(new) == 2
    assert not new & old
    for name in new:

        def running(kind: str, obj: dict[str, Any], name: str = name) -> bool:
            if kind != "MODIFIED" or _name(obj) != name:
                return False
            status = obj.get("status") or {}
            statuses = status.get("containerStatuses") or []
            return status.get("phase") == "Running" and all(c.get("ready") for c in statuses)

        watch.wait_for_event("ADDED", name)
        watch.wait_for(running)
    for name in old:
        watch.wait_for_event("DELETED", name)
    assert watch.stop() < STOP_WITHIN
    named = {name for kind, name in watch.summary() if kind != "SYNC"}
    assert named == old | new
    assert not named & other
    added = [name for kind, name in watch.summary() if kind == "ADDED"]
    assert sorted(added) == sorted(new), "each new pod is added exactly once"
