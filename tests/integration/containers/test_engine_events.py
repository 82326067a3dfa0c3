"""The engine's followed event stream (what the Container List refreshes from), on real Docker
and Podman: container lifecycle events arrive while a container is created, started and removed,
and ``stop()`` from another thread ends a quiet stream promptly."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from kiops_desktop.runtimes.containers import (
    ContainerEngine,
    EngineEvent,
    EventFollow,
    json_lines,
    parse_event,
)
from tests.integration.containers.conftest import APP_REPO, TEST_LABEL

pytestmark = pytest.mark.integration


def _collect(
    stream: EventFollow,
) -> tuple[threading.Thread, list[EngineEvent], list[BaseException]]:
    events: list[EngineEvent] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for event in stream:
                events.append(event)
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, events, failures


def test_container_events_arrive_and_stop_ends_the_stream(ce: ContainerEngine) -> None:
    name = f"kiops-events-{uuid.uuid4().hex[:8]}"
    stream = ce.follow_events()
    reader, events, failures = _collect(stream)
    spec = {
        "Config": {
            "Image": f"{APP_REPO}:v1",
            "Cmd": ["/bin/sh", "-c", "sleep 30"],
            "Labels": dict(TEST_LABEL),
        },
        "HostConfig": {"NetworkMode": "host"},
    }
    cid = ce.create_like(spec, f"{APP_REPO}:v1", name)
    ce.start(cid)
    ce.remove(cid)

    def seen(action: str) -> bool:
        return any(e.id == cid and e.action == action for e in events)

    deadline = time.monotonic() + 20
    while not (seen("start") and (seen("destroy") or seen("remove"))):
        assert time.monotonic() < deadline, [(e.action, e.name) for e in events]
        time.sleep(0.05)
    mine = [e for e in events if e.id == cid]
    assert {e.type for e in mine} == {"container"}
    assert all(e.name == name for e in mine if e.action == "start")
    assert all(e.time > 0 for e in mine)

    # A quiet stream ends at once when stopped from another thread.
    started = time.monotonic()
    stopper = threading.Thread(target=stream.stop)
    stopper.start()
    stopper.join(10)
    reader.join(10)
    assert not reader.is_alive(), "the followed event stream did not end after stop()"
    assert time.monotonic() - started < 5
    assert failures == []
    assert stream.stopped


def test_events_parse_across_chunk_boundaries() -> None:
    # Chunks split a JSON line anywhere; a line that is not JSON is skipped.
    docker_like = (
        b'{"status":"start","id":"abc","Type":"container","Action":"start",'
        b'"Actor":{"ID":"abc","Attributes":{"name":"web"}},"time":1700000000,'
        b'"timeNano":1700000000123456789}\n{"Type":"cont'
    )
    rest = (
        b'ainer","Action":"die","Actor":{"ID":"abc","Attributes":{}},"time":1700000001}\nnot json\n'
    )
    parsed = [parse_event(raw) for raw in json_lines([docker_like, rest])]
    assert [(e.type, e.action, e.id, e.name) for e in parsed] == [
        ("container", "start", "abc", "web"),
        ("container", "die", "abc", ""),
    ]
    assert parsed[0].time == pytest.approx(1700000000.123456789)
    assert parsed[1].time == 1700000001.0
