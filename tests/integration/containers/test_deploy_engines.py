"""Deploy with automatic backup and self-restore, on real Docker and Podman engines.

Uses the shared fixtures of this folder's conftest: ``engine`` (parametrized over docker/podman)
and the test images ``kiops-test/app:v1|v2|v3|v-broken`` (busybox httpd serving /health and
/version on 127.0.0.1:$PORT, host networking). The engines' sockets come from ``DOCKER_HOST`` /
``CONTAINER_HOST`` (what scripts/engines.sh exports); the registry from ``KIOPS_TEST_REGISTRY``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import socket
import tarfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.ops.audit import AuditLog
from kiops_desktop.ops.backups import BackupStore, put_volume, volume_digest
from kiops_desktop.ops.deploy import OLD_SUFFIX, deploy
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine
from kiops_desktop.runtimes.docker import DockerEngine
from kiops_desktop.runtimes.podman import PodmanEngine

pytestmark = pytest.mark.integration

APP = "kiops-test/app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                return str(r.read().decode().strip())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def tar_of(files: dict[str, bytes], top: str = "data") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        d = tarfile.TarInfo(top)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
        tar.addfile(d)
        for name, body in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(body), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


HISTORY = "data/version-history"  # the shared test images append their version on every start


def volume_files(ce: ContainerEngine, container: str, path: str = "/data") -> dict[str, str]:
    """sha256 of every file in the volume (and its mode), except the start history."""
    data = b"".join(ce.archive_get(container, path))
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for m in tar.getmembers():
            name = m.name.strip("/")
            if name == HISTORY:
                continue
            f = tar.extractfile(m) if m.isfile() else None
            out[name] = f"{m.mode:o} {hashlib.sha256(f.read() if f else b'').hexdigest()}"
    return out


def history(ce: ContainerEngine, container: str) -> list[str]:
    data = b"".join(ce.archive_get(container, "/data"))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        names = [m.name.strip("/") for m in tar.getmembers()]
        if HISTORY not in names:
            return []
        f = tar.extractfile(HISTORY)
        return (f.read() if f else b"").decode().split()


def assert_same_volume_plus_restart(
    ce: ContainerEngine, container: str, files: dict[str, str], hist: list[str]
) -> None:
    """Every file byte-identical; the start history (if the image keeps one) grew by v1 only."""
    assert volume_files(ce, container) == files
    after = history(ce, container)
    assert after[: len(hist)] == hist
    assert set(after[len(hist) :]) <= {"v1"}


@dataclass
class App:
    ce: ContainerEngine
    name: str
    volume: str
    port: int
    id: str


@pytest.fixture
def store(tmp_path: Path) -> BackupStore:
    return BackupStore(tmp_path / "backups")


@pytest.fixture(params=["host", "engine"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> BackupStore:
    """Both ways a backup reads volumes: tar on this machine (what this root suite gets by
    default next to its own engines) and the engines' archive API (remote engines, non-root)."""
    return BackupStore(tmp_path / "backups", host_read=request.param == "host")


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl")


@pytest.fixture
def app(ce: ContainerEngine) -> Iterator[App]:
    """A running v1 container with env, labels, a restart policy and a named volume with data."""
    suffix = uuid.uuid4().hex[:8]
    name, volume, port = f"kiops-deploy-{suffix}", f"kiops-vol-{suffix}", free_port()
    spec = {
        "Config": {
            "Image": f"{APP}:v1",
            "Env": [f"PORT={port}", "GREETING=hello world"],
            "Labels": {"kiops-test": "1", "team": "shop"},
        },
        "HostConfig": {
            "NetworkMode": "host",
            "Binds": [f"{volume}:/data"],
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        },
    }
    cid = ce.create_like(spec, f"{APP}:v1", name)
    put_volume(
        ce, cid, "/data", tar_of({"state.txt": b"orders=42\n", "blob.bin": os.urandom(4096)})
    )
    ce.start(cid)
    assert http_get(port, "/version") == "v1"
    yield App(ce, name, volume, port, cid)
    for leftover in (name, name + OLD_SUFFIX):
        if ce.exists(leftover):
            ce.remove(leftover)
    with contextlib.suppress(errors.OperationError):
        ce.remove_volume(volume)


def _registry() -> str:
    reg = os.environ.get("KIOPS_TEST_REGISTRY")
    if not reg:
        pytest.skip("KIOPS_TEST_REGISTRY is not set: no test registry")
    return reg


# --------------------------------------------------------------------------- deploy


def test_deploy_v1_to_v2_keeps_config_and_backs_up(
    app: App, store: BackupStore, audit: AuditLog
) -> None:
    ce = app.ce
    before = ce.inspect(app.name)
    steps: list[str] = []
    result = deploy(
        ce,
        app.name,
        f"{APP}:v2",
        store=store,
        health_timeout=2,
        progress=lambda step, _msg: steps.append(step),
        audit=audit,
    )
    assert result.ok, result.sentence
    assert result.outcome == "deployed"
    assert steps == ["pull", "backup", "stop", "create", "start", "health", "cleanup"]
    # Old container gone, none left aside, the new one serves v2 on the same port.
    assert not ce.exists(app.id)
    assert not ce.exists(app.name + OLD_SUFFIX)
    assert http_get(app.port, "/version") == "v2"
    after = ce.inspect(app.name)
    assert after["Id"] == result.container_id
    assert set(before["Config"]["Env"]) <= set(after["Config"]["Env"]) | {
        e for e in before["Config"]["Env"] if e.startswith("PATH=")
    }
    assert f"PORT={app.port}" in after["Config"]["Env"]
    assert "GREETING=hello world" in after["Config"]["Env"]
    assert after["Config"]["Labels"]["team"] == "shop"
    assert after["HostConfig"]["NetworkMode"] == "host"
    assert after["HostConfig"]["RestartPolicy"] == before["HostConfig"]["RestartPolicy"]
    assert [(m["Name"], m["Destination"]) for m in after["Mounts"]] == [(app.volume, "/data")]
    # The backup holds the old container's config and its volume, checksummed.
    assert result.backup is not None
    [b] = store.list(app.name)
    assert b.image_id == before["Image"]
    assert b.inspect["Id"] == app.id
    assert [v.name for v in b.volumes] == [app.volume]
    assert store.verify(b).ok
    assert before["Image"] in store.known_digests(app.name)
    [entry] = audit.entries()
    assert (entry["action"], entry["outcome"], entry["to"]) == ("deploy", "deployed", f"{APP}:v2")
    assert entry["from"].endswith(f"{APP}:v1")


def test_deploy_pulls_from_registry(app: App, store: BackupStore) -> None:
    target = f"{_registry()}/{APP}:v2"
    result = deploy(app.ce, app.name, target, store=store, health_timeout=2)
    assert result.ok, result.sentence
    assert http_get(app.port, "/version") == "v2"


def test_broken_image_restores_v1_and_its_volume_byte_identical(
    app: App, any_store: BackupStore, audit: AuditLog
) -> None:
    ce = app.ce
    files, hist = volume_files(ce, app.name), history(ce, app.name)

    def vandalize(step: str, _msg: str) -> None:
        # The new release "migrates" the data before dying: it must not survive the restore.
        # (Written while the new container exists but before it starts: a container that has
        # already died is not reliably writable on Podman.)
        if step == "start":
            put_volume(ce, app.name, "/data", tar_of({"state.txt": b"MIGRATED", "new.txt": b"x"}))

    result = deploy(
        ce,
        app.name,
        f"{APP}:v-broken",
        store=any_store,
        health_timeout=3,
        progress=vandalize,
        audit=audit,
    )
    assert not result.ok
    assert result.outcome == "restored", result.sentence
    assert result.volumes_restored
    assert "runs again" in result.sentence
    assert not ce.exists(app.name + OLD_SUFFIX)
    assert http_get(app.port, "/version") == "v1"
    assert_same_volume_plus_restart(ce, app.name, files, hist)
    assert "new.txt" not in str(volume_files(ce, app.name))
    assert ce.inspect(app.name)["Config"]["Labels"]["team"] == "shop"
    assert audit.entries()[-1]["outcome"] == "restored"


def test_broken_image_without_data_change_brings_back_the_same_container(
    app: App, any_store: BackupStore
) -> None:
    files, hist = volume_files(app.ce, app.name), history(app.ce, app.name)
    result = deploy(app.ce, app.name, f"{APP}:v-broken", store=any_store, health_timeout=3)
    assert result.outcome == "restored", result.sentence
    assert not result.volumes_restored
    assert "v-broken" in result.failed_logs  # what the broken release said before dying
    assert app.ce.inspect(app.name)["Id"] == app.id  # renamed back, not rebuilt
    assert http_get(app.port, "/version") == "v1"
    assert_same_volume_plus_restart(app.ce, app.name, files, hist)


# --------------------------------------------------------------------------- backup store


def test_restore_from_backup(app: App, any_store: BackupStore) -> None:
    ce = app.ce
    backup = any_store.create(ce, app.name)
    assert deploy(ce, app.name, f"{APP}:v2", store=any_store, backup=False, health_timeout=1).ok
    put_volume(ce, app.name, "/data", tar_of({"junk.txt": b"junk", "state.txt": b"wrong"}))
    assert http_get(app.port, "/version") == "v2"
    # Restored but not started: the volume is exactly the backup's archive, byte for byte in
    # content (names, modes, owners, times, data): Podman re-tars a stopped container's files.
    new_id = any_store.restore(ce, backup, start=False)
    [vol] = backup.volumes
    assert vol.read_by == ("host" if any_store.host_read else "engine")
    assert volume_digest(ce, new_id, vol) == backup.content_digest(vol)
    inspect = ce.inspect(app.name)
    assert inspect["Id"] == new_id
    assert inspect["Image"] == backup.image_id
    assert inspect["Config"]["Labels"]["team"] == "shop"
    ce.start(new_id)
    assert http_get(app.port, "/version") == "v1"


def test_retention_keeps_newest(app: App, store: BackupStore) -> None:
    made = [store.create(app.ce, app.name) for _ in range(3)]
    assert [b.path for b in store.list(app.name)] == [b.path for b in reversed(made)]
    deleted = store.prune(app.name, keep=1)
    assert {b.path for b in deleted} == {made[0].path, made[1].path}
    assert [b.path for b in store.list(app.name)] == [made[2].path]


def test_deploy_applies_retention_after_success(app: App, store: BackupStore) -> None:
    older = [store.create(app.ce, app.name) for _ in range(2)]
    result = deploy(app.ce, app.name, f"{APP}:v2", store=store, health_timeout=1, keep=2)
    assert result.ok, result.sentence
    assert result.backup is not None
    assert [b.path for b in store.list(app.name)] == [result.backup.path, older[1].path]
    # A failed deploy prunes nothing.
    failed = deploy(app.ce, app.name, f"{APP}:v-broken", store=store, health_timeout=2, keep=1)
    assert failed.outcome == "restored", failed.sentence
    assert len(store.list(app.name)) == 3


def test_verify_detects_a_corrupted_archive(app: App, store: BackupStore) -> None:
    backup = store.create(app.ce, app.name)
    assert store.verify(backup).ok
    archive = backup.path / backup.volumes[0].file
    data = bytearray(archive.read_bytes())
    data[700] ^= 0xFF
    archive.write_bytes(bytes(data))
    result = store.verify(backup)
    assert not result.ok
    assert app.volume in str(result)
    assert "corrupted" in str(result)
    with pytest.raises(errors.Refused, match="corrupted"):
        store.restore(app.ce, backup)
    assert http_get(app.port, "/version") == "v1"  # refusing touched nothing


# --------------------------------------------------------------------------- bad inputs


def _still_v1(app: App) -> None:
    state = app.ce.inspect(app.name)["State"]
    assert state["Status"] == "running"
    assert http_get(app.port, "/version") == "v1"
    assert not app.ce.exists(app.name + OLD_SUFFIX)


def test_malformed_reference(app: App, store: BackupStore) -> None:
    result = deploy(app.ce, app.name, "Kiops Test/app:v2", store=store)
    assert isinstance(result.error, errors.Invalid)
    assert "spaces" in result.sentence
    assert result.sentence.startswith("Nothing was changed")
    assert store.list() == []
    _still_v1(app)


def test_unknown_tag(app: App, store: BackupStore) -> None:
    result = deploy(app.ce, app.name, f"{_registry()}/{APP}:no-such-tag", store=store)
    assert isinstance(result.error, errors.NotFound), result.sentence
    assert '"no-such-tag"' in result.sentence
    _still_v1(app)


def test_registry_down(app: App, store: BackupStore) -> None:
    result = deploy(app.ce, app.name, f"127.0.0.1:{free_port()}/{APP}:v2", store=store)
    assert isinstance(result.error, errors.Unreachable), result.sentence
    assert "does not answer" in result.sentence
    _still_v1(app)


def test_engine_unreachable(tmp_path: Path, engine: Any, store: BackupStore) -> None:
    url = f"unix://{tmp_path}/nothing.sock"
    dead: ContainerEngine = DockerEngine(url) if engine.name == "docker" else PodmanEngine(url)
    with pytest.raises(errors.Unreachable, match="does not answer"):
        dead.info()
    result = deploy(dead, "web", f"{APP}:v2", store=store)
    assert isinstance(result.error, errors.Unreachable)
    assert "does not answer" in result.sentence
    dead.close()


def test_unknown_container(ce: ContainerEngine, store: BackupStore) -> None:
    result = deploy(ce, "kiops-no-such-container", f"{APP}:v2", store=store)
    assert isinstance(result.error, errors.NotFound), result.sentence


def test_container_removed_mid_deploy_is_rebuilt_from_backup(app: App, store: BackupStore) -> None:
    files, hist = volume_files(app.ce, app.name), history(app.ce, app.name)

    def sabotage(step: str, _msg: str) -> None:
        if step == "stop":  # someone removes the container right after the backup
            app.ce.remove(app.name)

    result = deploy(app.ce, app.name, f"{APP}:v2", store=store, progress=sabotage)
    assert result.outcome == "restored", result.sentence
    assert "recreated from the backup" in result.sentence
    _still_v1(app)
    assert_same_volume_plus_restart(app.ce, app.name, files, hist)


# --------------------------------------------------------------------------- health checks


@pytest.mark.parametrize(
    ("target", "expected_version", "outcome"),
    [("v2", "v2", "deployed"), ("v3", "v1", "restored")],
)
def test_container_health_check_decides(
    ce: ContainerEngine, store: BackupStore, target: str, expected_version: str, outcome: str
) -> None:
    """A HEALTHCHECK is waited for (Podman's too, which nobody runs without systemd): here it
    accepts any version but v3, so v3 is rolled back."""
    name, port = f"kiops-hc-{uuid.uuid4().hex[:8]}", free_port()
    check = f"wget -q -O - http://127.0.0.1:{port}/version | grep -qv v3"
    spec = {
        "Config": {
            "Env": [f"PORT={port}"],
            "Labels": {"kiops-test": "1"},
            "Healthcheck": {
                "Test": ["CMD-SHELL", check],
                "Interval": 1_000_000_000,
                "Timeout": 2_000_000_000,
                "Retries": 2,
            },
        },
        "HostConfig": {"NetworkMode": "host"},
    }
    try:
        ce.start(ce.create_like(spec, f"{APP}:v1", name))
        assert http_get(port, "/version") == "v1"
        result = deploy(ce, name, f"{APP}:{target}", store=store, health_timeout=20)
        assert result.outcome == outcome, result.sentence
        if outcome == "deployed":
            assert "health check reports healthy" in result.sentence
        else:
            assert "unhealthy" in result.sentence
        assert http_get(port, "/version") == expected_version
        assert ce.inspect(name)["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", check]
    finally:
        for leftover in (name, name + OLD_SUFFIX):
            if ce.exists(leftover):
                ce.remove(leftover)
