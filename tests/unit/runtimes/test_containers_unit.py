"""The pure parts of the container list: times, ports, health, status text, digests, services
grouped by compose labels and Podman pods, and the Docker log stream format. The entries are
shaped like what Docker 20.10 and Podman 4.3 answer (recorded from the engines the integration
suite runs)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from kiops_desktop.runtimes.containers import (
    COMPOSE_PROJECT,
    COMPOSE_SERVICE,
    ContainerInfo,
    PortMapping,
    container_info,
    group_services,
    log_lines,
    parse_ports,
    parse_time,
    pick_digest,
    repo_digests_by_id,
    status_text,
)

IMAGE_ID = "sha256:" + "ab" * 32
DIGEST = "sha256:" + "cd" * 32

DOCKER_ENTRY = {
    "Id": "0" * 64,
    "Names": ["/web"],
    "Image": "127.0.0.1:5000/shop/web:v2",
    "ImageID": IMAGE_ID,
    "Created": 1_764_000_000,
    "Ports": [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"},
    ],
    "Labels": {"team": "shop"},
    "State": "running",
    "Status": "Up 3 minutes (healthy)",
}
DOCKER_INSPECT = {
    "Id": "0" * 64,
    "Name": "/web",
    "Created": "2025-11-24T15:06:40.123456789Z",
    "Image": IMAGE_ID,
    "RestartCount": 2,
    "Config": {"Image": "127.0.0.1:5000/shop/web:v2", "Labels": {"team": "shop"}},
    "State": {"Status": "running", "Health": {"Status": "healthy"}},
}
LIBPOD_ENTRY = {
    "Id": "1" * 64,
    "Names": ["api"],
    "Image": "localhost/shop/api:v1",
    "ImageID": "ef" * 32,
    "Created": "2026-11-29T20:14:08.488457483Z",
    "Ports": [
        {
            "host_ip": "127.0.0.1",
            "container_port": 80,
            "host_port": 9000,
            "range": 2,
            "protocol": "",
        }
    ],
    "Labels": {},
    "State": "running",
    "Status": "starting",  # libpod puts the health here, not a ps text
    "IsInfra": False,
    "Pod": "9" * 64,
    "PodName": "shop",
}


def test_parse_time_takes_engine_formats() -> None:
    assert parse_time(1_764_000_000) == datetime.fromtimestamp(1_764_000_000, UTC)
    assert parse_time("2025-11-24T15:06:40.123456789Z") == datetime(
        2025, 11, 24, 15, 6, 40, 123456, tzinfo=UTC
    )
    assert parse_time("2025-11-24T16:06:40+01:00") == datetime(2025, 11, 24, 15, 6, 40, tzinfo=UTC)
    assert parse_time("0001-01-01T00:00:00Z") is None  # Go's zero time: "never"
    assert parse_time("") is None
    assert parse_time(0) is None
    assert parse_time("yesterday") is None


def test_ports_from_docker_and_libpod_lists() -> None:
    docker = parse_ports(DOCKER_ENTRY["Ports"])
    assert [str(p) for p in docker] == ["0.0.0.0:8080->80/tcp", ":::8080->80/tcp", "443/tcp"]
    libpod = parse_ports(LIBPOD_ENTRY["Ports"])
    assert libpod == (
        PortMapping(80, "tcp", 9000, "127.0.0.1"),
        PortMapping(81, "tcp", 9001, "127.0.0.1"),
    )
    assert parse_ports(None) == ()


def test_docker_entry_with_inspect() -> None:
    info = container_info(
        DOCKER_ENTRY,
        DOCKER_INSPECT,
        repo_digests=repo_digests_by_id(
            [{"Id": IMAGE_ID, "RepoDigests": [f"127.0.0.1:5000/shop/web@{DIGEST}"]}]
        ),
    )
    assert info.name == "web"
    assert (info.repository, info.tag, info.digest) == ("127.0.0.1:5000/shop/web", "v2", DIGEST)
    assert info.image_id == IMAGE_ID
    assert (info.state, info.health, info.restart_count) == ("running", "healthy", 2)
    assert info.status == "Up 3 minutes (healthy)"
    assert info.created == datetime(2025, 11, 24, 15, 6, 40, 123456, tzinfo=UTC)
    assert info.ports_text == "0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp"
    assert info.labels == {"team": "shop"}


def test_docker_entry_alone_still_works() -> None:
    info = container_info(DOCKER_ENTRY)
    assert info.health == "healthy"  # from the ps text
    assert info.created == datetime.fromtimestamp(1_764_000_000, UTC)
    assert info.digest is None
    assert info.restart_count == 0


def test_libpod_entry_gets_a_status_text_and_pod() -> None:
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    inspect = {"State": {"Status": "running", "StartedAt": started, "Health": {"Status": ""}}}
    info = container_info(LIBPOD_ENTRY, inspect)
    assert info.image_id == "sha256:" + "ef" * 32
    assert info.status == "Up 5 minutes"
    assert info.health == "none"
    assert (info.pod, info.infra) == ("shop", False)
    assert (info.repository, info.tag) == ("localhost/shop/api", "v1")


def test_status_text_like_docker_ps() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    ago = now - timedelta(seconds=90)
    assert (
        status_text({"Status": "running", "StartedAt": ago.isoformat()}, now) == "Up About a minute"
    )
    assert (
        status_text(
            {"Status": "running", "StartedAt": ago.isoformat(), "Health": {"Status": "starting"}},
            now,
        )
        == "Up About a minute (health: starting)"
    )
    assert (
        status_text({"Status": "exited", "ExitCode": 3, "FinishedAt": ago.isoformat()}, now)
        == "Exited (3) About a minute ago"
    )
    assert status_text({"Status": "created"}, now) == "Created"


def test_pick_digest_prefers_the_pin_then_the_same_repository() -> None:
    other = "sha256:" + "11" * 32
    digests = [f"mirror.example/web@{other}", f"localhost/shop/web@{DIGEST}"]
    assert pick_digest("shop/web", digests) == DIGEST
    assert pick_digest("shop/web", digests, pinned=other) == other
    assert pick_digest("elsewhere/web", digests) == other
    assert pick_digest("shop/web", []) is None


def _c(name: str, labels: dict[str, str] | None = None, **kw: object) -> ContainerInfo:
    return ContainerInfo(name, name, "img", IMAGE_ID, "running", "Up", labels or {}, **kw)  # type: ignore[arg-type]


def test_services_compose_pods_and_lone_containers() -> None:
    compose = {COMPOSE_PROJECT: "shop", COMPOSE_SERVICE: "web"}
    services = group_services(
        [
            _c("web-2", compose),
            _c("web-1", compose),
            _c("pod-infra", pod="billing", infra=True),
            _c("billing-worker", pod="billing"),
            _c("billing-api", pod="billing"),
            _c("composed-in-pod", {COMPOSE_PROJECT: "shop", COMPOSE_SERVICE: "db"}, pod="pod_shop"),
            _c("pod_shop-infra", pod="pod_shop", infra=True),
            _c("solo"),
            _c("orphan-infra", infra=True),
        ]
    )
    summary = [(s.name, s.kind, s.project, s.pod, [c.name for c in s.containers]) for s in services]
    assert summary == [
        ("billing", "pod", None, "billing", ["billing-api", "billing-worker"]),
        ("shop/db", "compose", "shop", None, ["composed-in-pod"]),
        ("shop/web", "compose", "shop", None, ["web-1", "web-2"]),
        ("solo", "container", None, None, ["solo"]),
    ]


def _frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


def test_log_lines_from_frames_split_anywhere() -> None:
    body = (
        _frame(1, b"out 1\nout ")
        + _frame(2, b"err 1\n")
        + _frame(1, b"2\r\n")
        + _frame(2, "é partial".encode())
    )
    for size in (1, 3, 7, 8, 9, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert list(log_lines(chunks, tty=False)) == ["out 1", "err 1", "out 2", "é partial"]


def test_log_lines_of_a_tty_are_raw() -> None:
    assert list(log_lines([b"a\r\nb", b"c\n", b"d"], tty=True)) == ["a", "bc", "d"]
