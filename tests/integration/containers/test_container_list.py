"""What the adapters say about containers, on real Docker and Podman: every ContainerInfo field
(repository, tag, digest, image id, state, health, created, restart count, ports), Podman pods as
services, and followed logs that stop when asked."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import (
    COMPOSE_PROJECT,
    COMPOSE_SERVICE,
    ContainerEngine,
    ContainerInfo,
    LogFollow,
)
from kiops_desktop.runtimes.podman import PodmanEngine
from tests.integration.containers.conftest import Engines, registry_manifest
from tests.integration.containers.test_deploy_engines import APP, _registry, free_port

pytestmark = pytest.mark.integration

SECOND = 1_000_000_000  # engine durations are nanoseconds


@pytest.fixture
def names(ce: ContainerEngine) -> Iterator[list[str]]:
    """Names the test creates containers under; removed afterwards."""
    created: list[str] = []
    yield created
    for n in created:
        with contextlib.suppress(errors.OperationError):
            if ce.exists(n):
                ce.remove(n)


def _create(
    ce: ContainerEngine,
    names: list[str],
    prefix: str,
    image: str,
    config: dict[str, Any] | None = None,
    host: dict[str, Any] | None = None,
) -> str:
    name = f"kiops-{prefix}-{uuid.uuid4().hex[:8]}"
    names.append(name)
    spec = {
        "Config": {"Labels": {"kiops-test": "1"}, **(config or {})},
        "HostConfig": {"NetworkMode": "host", **(host or {})},
    }
    ce.start(ce.create_like(spec, image, name))
    return name


def _listed(ce: ContainerEngine, name: str) -> ContainerInfo:
    found = [c for c in ce.list_containers() if c.name == name]
    assert len(found) == 1, [c.name for c in ce.list_containers()]
    return found[0]


def _wait_state(ce: ContainerEngine, name: str, predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = ce.inspect(name).get("State") or {}
        if predicate(state):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} never reached the wanted state; last: {state}")
        time.sleep(0.1)


# --------------------------------------------------------------------------- ContainerInfo


def test_container_info_fields_of_a_healthy_app(ce: ContainerEngine, names: list[str]) -> None:
    before = datetime.now(UTC)
    name = _create(
        ce,
        names,
        "info",
        f"{APP}:v1",
        config={
            "Env": [f"PORT={free_port()}"],
            "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": SECOND // 2, "Retries": 1},
        },
    )
    after = datetime.now(UTC)
    # Podman runs no HEALTHCHECK without systemd: wait_healthy runs it, as a deploy would.
    assert "healthy" in ce.wait_healthy(name, 20)
    info = _listed(ce, name)
    inspect = ce.inspect(name)
    assert info.id == inspect["Id"]
    assert info.repository.removeprefix("localhost/") == APP
    assert info.tag == "v1"
    assert info.image_id == inspect["Image"] == ce.image_id(f"{APP}:v1")
    assert info.state == "running"
    assert info.status.startswith("Up ")
    assert info.status.endswith("(healthy)")
    assert info.health == "healthy"
    assert info.restart_count == 0
    assert info.created is not None
    assert info.created.tzinfo is not None
    assert before - timedelta(seconds=2) <= info.created <= after + timedelta(seconds=2)
    # Host networking publishes nothing.
    assert info.ports == ()
    assert info.ports_text == ""
    assert info.labels["kiops-test"] == "1"
    assert info.pod is None
    assert not info.infra


def test_container_info_restart_count_and_exit(ce: ContainerEngine, names: list[str]) -> None:
    name = _create(
        ce,
        names,
        "crash",
        f"{APP}:v1",
        config={"Cmd": ["/bin/sh", "-c", "sleep 0.2; exit 3"]},
        host={"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}},
    )
    _wait_state(
        ce,
        name,
        lambda s: s.get("Status") == "exited" and not s.get("Restarting"),
    )
    _wait_state(ce, name, lambda _s: ce.inspect(name).get("RestartCount") == 2)
    info = _listed(ce, name)
    assert info.state == "exited"
    assert info.status.startswith("Exited (3) ")
    assert info.restart_count == 2
    assert info.health == "none"


def test_container_info_digest_from_the_registry(ce: ContainerEngine, names: list[str]) -> None:
    registry = _registry()
    digest, _ = registry_manifest(registry, APP, "v2")
    by_tag = f"{registry}/{APP}:v2"
    ce.pull(by_tag)
    tagged = _listed(ce, _create(ce, names, "dig", by_tag, {"Env": [f"PORT={free_port()}"]}))
    assert (tagged.repository, tagged.tag, tagged.digest) == (f"{registry}/{APP}", "v2", digest)

    pinned_ref = f"{registry}/{APP}@{digest}"
    ce.pull(pinned_ref)
    pinned = _listed(ce, _create(ce, names, "pin", pinned_ref, {"Env": [f"PORT={free_port()}"]}))
    assert pinned.repository == f"{registry}/{APP}"
    assert pinned.tag is None
    assert pinned.digest == digest
    assert pinned.image_id == tagged.image_id


def test_service_of_a_container_carries_the_full_info(
    ce: ContainerEngine, names: list[str]
) -> None:
    name = _create(ce, names, "svc", f"{APP}:v1", {"Env": [f"PORT={free_port()}"]})
    [service] = [s for s in ce.list_services() if s.name == name]
    assert service.kind == "container"
    [info] = service.containers
    assert info.tag == "v1"
    assert info.created is not None
    assert info.image_id == ce.image_id(f"{APP}:v1")


# --------------------------------------------------------------------------- Podman pods


@pytest.fixture
def podman_ce(engines: Engines) -> Iterator[ContainerEngine]:
    adapter = PodmanEngine(engines.podman_url)
    yield adapter
    adapter.close()


@pytest.fixture
def pod(podman_client: Any) -> Iterator[str]:
    """A Podman pod with two app containers (and its infra container)."""
    name = f"kiops-pod-{uuid.uuid4().hex[:8]}"
    podman_client.pods.create(name, labels={"kiops-test": "1"})
    try:
        for member in ("api", "worker"):
            podman_client.containers.create(
                f"{APP}:v1",
                name=f"{name}-{member}",
                pod=name,
                environment={"PORT": str(free_port())},
                labels={"kiops-test": "1"},
            )
        podman_client.pods.get(name).start()
        yield name
    finally:
        with contextlib.suppress(Exception):
            podman_client.pods.get(name).remove(force=True)


def test_podman_pod_is_one_service_without_its_infra_container(
    podman_ce: ContainerEngine, pod: str
) -> None:
    ce, names = podman_ce, []
    lone = _create(ce, names, "lone", f"{APP}:v1", {"Env": [f"PORT={free_port()}"]})
    compose = _create(
        ce,
        names,
        "composed",
        f"{APP}:v1",
        {
            "Env": [f"PORT={free_port()}"],
            "Labels": {"kiops-test": "1", COMPOSE_PROJECT: f"p{pod[-8:]}", COMPOSE_SERVICE: "db"},
        },
    )
    services = {s.name: s for s in ce.list_services()}
    service = services[pod]
    assert service.kind == "pod"
    assert service.pod == pod
    assert service.project is None
    assert [c.name for c in service.containers] == [f"{pod}-api", f"{pod}-worker"]
    assert all(c.pod == pod and not c.infra for c in service.containers)
    assert all(c.state == "running" and c.tag == "v1" for c in service.containers)
    # The infra container exists (listed as a container) but is no service of its own.
    infra = [c for c in ce.list_containers() if c.pod == pod and c.infra]
    assert len(infra) == 1
    assert not any(infra[0].name in (c.name for c in s.containers) for s in services.values())
    assert services[lone].kind == "container"
    assert services[f"p{pod[-8:]}/db"].kind == "compose"
    assert [c.name for c in services[f"p{pod[-8:]}/db"].containers] == [compose]
    for n in names:
        ce.remove(n)


# --------------------------------------------------------------------------- followed logs


TICKER = 'i=0; while true; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.1; done'


def _collect(stream: LogFollow) -> tuple[threading.Thread, list[str], list[BaseException]]:
    lines: list[str] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for line in stream:
                lines.append(line)
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            failures.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, lines, failures


def test_follow_logs_receives_new_lines_and_stops(ce: ContainerEngine, names: list[str]) -> None:
    name = _create(ce, names, "ticker", f"{APP}:v1", {"Cmd": ["/bin/sh", "-c", TICKER]})
    stream = ce.follow_logs(name, tail=None)
    reader, lines, failures = _collect(stream)
    deadline = time.monotonic() + 30
    while sum(line.startswith("out ") for line in lines) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    seen = list(lines)
    outs = [int(line.split()[1]) for line in seen if line.startswith("out ")]
    errs = [int(line.split()[1]) for line in seen if line.startswith("err ")]
    assert len(outs) >= 5, seen
    # In order, nothing lost or spliced, stdout and stderr both there.
    assert outs == list(range(1, len(outs) + 1))
    assert errs == list(range(1, len(errs) + 1))
    assert set(seen) <= {f"out {n}" for n in outs} | {f"err {n}" for n in errs}

    stopper = threading.Thread(target=stream.stop)  # stop() is called from another thread
    stopper.start()
    stopper.join(10)
    reader.join(10)
    assert not stopper.is_alive()
    assert not reader.is_alive(), "the followed stream did not end after stop()"
    assert failures == []
    assert stream.stopped
    # The container keeps running: stopping the stream is not stopping the container.
    assert ce.inspect(name)["State"]["Status"] == "running"


def test_follow_logs_ends_with_the_container(ce: ContainerEngine, names: list[str]) -> None:
    name = _create(
        ce,
        names,
        "short",
        f"{APP}:v1",
        # (A last line without newline is not reliably in Docker's followed stream: it ends the
        # stream on the exit event, which can beat the log driver's flush of a partial line.)
        {"Cmd": ["/bin/sh", "-c", "sleep 0.5; echo one; echo two >&2; echo three"]},
    )
    with ce.follow_logs(name, tail=None) as stream:
        reader, lines, failures = _collect(stream)
        reader.join(30)
    assert not reader.is_alive()
    assert failures == []
    assert sorted(lines) == ["one", "three", "two"]


def test_follow_logs_tail_limits_the_backlog(ce: ContainerEngine, names: list[str]) -> None:
    name = _create(
        ce,
        names,
        "tail",
        f"{APP}:v1",
        {"Cmd": ["/bin/sh", "-c", "for i in 1 2 3 4 5 6; do echo line $i; done; sleep 60"]},
    )
    _wait_state(ce, name, lambda _s: "line 6" in ce.logs(name, tail=10))
    stream = ce.follow_logs(name, tail=2)
    reader, lines, failures = _collect(stream)
    deadline = time.monotonic() + 20
    while len(lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    stream.stop()
    reader.join(10)
    assert not reader.is_alive()
    assert failures == []
    assert lines == ["line 5", "line 6"]


def test_follow_logs_of_a_missing_container(ce: ContainerEngine) -> None:
    with pytest.raises(errors.NotFound):
        ce.follow_logs("kiops-no-such-container")


def test_stop_before_reading_yields_nothing(ce: ContainerEngine, names: list[str]) -> None:
    name = _create(ce, names, "early", f"{APP}:v1", {"Cmd": ["/bin/sh", "-c", TICKER]})
    _wait_state(ce, name, lambda _s: "out 2" in ce.logs(name, tail=50))
    stream = ce.follow_logs(name, tail=None)
    stream.stop()
    stream.stop()  # twice is fine
    assert list(stream) == []
