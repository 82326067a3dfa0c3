"""How fast a backup of a 200 MB volume is next to plain ``tar`` of the same directory (goal: less
than 1.5 times tar's time), the same backup through the engine's archive API alone, and what the
backup step adds to a deploy v1 -> v2.

Not a timed test: it prints the medians and asserts only that backups verify and deploys succeed.
Runs on the private dockerd of the container tests (fixtures imported from their conftest).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.ops.backups import BackupStore
from kiops_desktop.ops.deploy import OLD_SUFFIX, deploy
from kiops_desktop.runtimes.docker import DockerEngine
from tests.integration.containers.conftest import (
    APP_REPO,
    TEST_LABEL,
    Engines,
    free_port,
    wait_http,
)
from tests.integration.containers.conftest import (  # fixtures, used by name
    docker_client as docker_client,
)
from tests.integration.containers.conftest import (
    engines as engines,
)

pytestmark = pytest.mark.bench

MB = 1024 * 1024
FILES = 4
FILE_MB = 50  # 4 x 50 MB of random bytes = 200 MB
RUNS = 3
BACKUP_RUNS = 5
GOAL_RATIO = 1.5
# deploy's steady-running check (no HEALTHCHECK in the test image) lasts health_timeout; the same
# short value for both variants keeps the bench short and the difference fair
HEALTH_S = 1.0


@pytest.fixture
def docker_engine(engines: Engines) -> Iterator[DockerEngine]:
    ce = DockerEngine(engines.docker_url, timeout=300)
    yield ce
    ce.close()


@pytest.fixture
def volume(docker_client: Any) -> Iterator[str]:
    """A named volume holding 200 MB of random bytes, written by busybox dd in a test container."""
    name = f"kiops-bench-{uuid.uuid4().hex[:8]}"
    docker_client.volumes.create(name, labels=dict(TEST_LABEL))
    script = "; ".join(
        f"dd if=/dev/urandom of=/data/blob{i}.bin bs=1048576 count={FILE_MB} 2>/dev/null"
        for i in range(FILES)
    )
    filler = docker_client.containers.run(
        f"{APP_REPO}:v1",
        ["/bin/sh", "-c", script],
        volumes={name: {"bind": "/data", "mode": "rw"}},
        network_mode="host",
        labels=dict(TEST_LABEL),
        detach=True,
    )
    try:
        assert filler.wait(timeout=120)["StatusCode"] == 0
    finally:
        filler.remove(force=True)
    yield name
    with contextlib.suppress(Exception):
        docker_client.volumes.get(name).remove(force=True)


@pytest.fixture
def app(docker_engine: DockerEngine, volume: str) -> Iterator[tuple[str, int]]:
    """A running kiops-test/app:v1 container that mounts the volume on /data: (name, port)."""
    name, port = f"kiops-bench-app-{uuid.uuid4().hex[:8]}", free_port()
    spec = {
        "Config": {
            "Image": f"{APP_REPO}:v1",
            "Env": [f"PORT={port}"],
            "Labels": dict(TEST_LABEL),
        },
        "HostConfig": {"NetworkMode": "host", "Binds": [f"{volume}:/data"]},
    }
    cid = docker_engine.create_like(spec, f"{APP_REPO}:v1", name)
    docker_engine.start(cid)
    wait_http(f"http://127.0.0.1:{port}/health")
    yield name, port
    for leftover in (name, name + OLD_SUFFIX):
        with contextlib.suppress(Exception):
            if docker_engine.exists(leftover):
                docker_engine.remove(leftover)


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def test_backup_vs_tar_and_deploy_overhead(
    docker_engine: DockerEngine,
    docker_client: Any,
    volume: str,
    app: tuple[str, int],
    tmp_path: Path,
) -> None:
    name, port = app

    # --- backup vs tar of the same 200 MB. The store reads the volume with tar on this machine
    # (this bench runs as root next to its own rootful dockerd: runtimes.host_volumes); the
    # archive API alone is what remote engines, Docker Desktop and non-root operators get.
    # The fill's dirty pages are flushed first and the contenders take turns, so none of them
    # pays for another's writeback.
    mountpoint = docker_client.api.inspect_volume(volume)["Mountpoint"]
    stores = {
        True: BackupStore(tmp_path / "host", host_read=True),
        False: BackupStore(tmp_path / "api", host_read=False),
    }

    def backup(host_read: bool) -> float:
        store = stores[host_read]
        started = time.perf_counter()
        made = store.create(docker_engine, name)
        took = time.perf_counter() - started
        assert made.volumes[0].read_by == ("host" if host_read else "engine")
        assert store.verify(made).ok
        assert made.size >= FILES * FILE_MB * MB
        store.delete(made)
        return took

    def plain_tar() -> float:
        out = tmp_path / "plain.tar"
        started = time.perf_counter()
        with out.open("wb") as fh:
            subprocess.run(
                ["tar", "-cf", "-", "-C", str(Path(mountpoint).parent), Path(mountpoint).name],
                stdout=fh,
                check=True,
            )
        took = time.perf_counter() - started
        assert out.stat().st_size >= FILES * FILE_MB * MB
        out.unlink()
        return took

    def stream() -> float:
        # The floor under any backup through the archive API: the engine's tar stream, read
        # and dropped (no disk, no hashing).
        started = time.perf_counter()
        streamed = sum(len(chunk) for chunk in docker_engine.archive_get(name, "/data"))
        assert streamed >= FILES * FILE_MB * MB
        return time.perf_counter() - started

    os.sync()
    ours: list[float] = []
    through_api: list[float] = []
    tars: list[float] = []
    streams: list[float] = []
    for _ in range(BACKUP_RUNS):
        ours.append(backup(True))
        tars.append(plain_tar())
        through_api.append(backup(False))
        streams.append(stream())

    ours_s, api_s, tar_s, stream_s = (
        _median(ours),
        _median(through_api),
        _median(tars),
        _median(streams),
    )
    print(
        f"\nbackup {FILES * FILE_MB} MB: ours {ours_s:.2f} s (read on this host), "
        f"tar {tar_s:.2f} s, ratio {ours_s / tar_s:.2f} (goal < {GOAL_RATIO}); "
        f"through the engine's archive API {api_s:.2f} s ({api_s / tar_s:.2f} x tar; "
        f"its stream alone {stream_s:.2f} s, {stream_s / tar_s:.2f} x tar)"
    )

    store = BackupStore(tmp_path / "backups")
    # --- what the backup step adds to a deploy v1 -> v2 (each run starts from v1 again)
    times: dict[bool, list[float]] = {True: [], False: []}
    for with_backup in (True, False) * RUNS:
        started = time.perf_counter()
        result = deploy(
            docker_engine,
            name,
            f"{APP_REPO}:v2",
            store=store,
            backup=with_backup,
            health_timeout=HEALTH_S,
        )
        times[with_backup].append(time.perf_counter() - started)
        assert result.ok, result.sentence
        assert wait_http(f"http://127.0.0.1:{port}/version") == "v2"
        if with_backup:
            assert result.backup is not None
            assert store.verify(result.backup).ok
            store.delete(result.backup)
        back = deploy(
            docker_engine,
            name,
            f"{APP_REPO}:v1",
            store=store,
            backup=False,
            health_timeout=HEALTH_S,
        )
        assert back.ok, back.sentence
    with_s, without_s = _median(times[True]), _median(times[False])
    print(
        f"deploy v1->v2 (health wait {HEALTH_S:g} s): with backup {with_s:.2f} s, "
        f"without {without_s:.2f} s, "
        f"backup step adds {with_s - without_s:.2f} s"
    )
