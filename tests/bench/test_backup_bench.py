"""How fast a backup of a 200 MB volume is next to plain ``tar`` of the same directory (goal: less
than 1.5 times tar's time), and what the backup step adds to a deploy v1 -> v2.

Not a timed test: it prints the medians and asserts only that backups verify and deploys succeed.
Runs on the private dockerd of the container tests (fixtures imported from their conftest).
"""

from __future__ import annotations

import contextlib
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
    store = BackupStore(tmp_path / "backups")

    # --- backup vs tar of the same 200 MB
    ours: list[float] = []
    for _ in range(RUNS):
        started = time.perf_counter()
        backup = store.create(docker_engine, name)
        ours.append(time.perf_counter() - started)
        assert store.verify(backup).ok
        assert backup.size >= FILES * FILE_MB * MB
        store.delete(backup)

    mountpoint = docker_client.api.inspect_volume(volume)["Mountpoint"]
    tars: list[float] = []
    for i in range(RUNS):
        out = tmp_path / f"plain-{i}.tar"
        started = time.perf_counter()
        with out.open("wb") as fh:
            subprocess.run(
                ["tar", "-cf", "-", "-C", str(Path(mountpoint).parent), Path(mountpoint).name],
                stdout=fh,
                check=True,
            )
        tars.append(time.perf_counter() - started)
        assert out.stat().st_size >= FILES * FILE_MB * MB
        out.unlink()

    # The floor under any backup through the archive API: the engine's tar stream, read and
    # dropped (no disk, no hashing). What ours adds on top of it is ours to shrink.
    streams: list[float] = []
    for _ in range(RUNS):
        started = time.perf_counter()
        streamed = sum(len(chunk) for chunk in docker_engine.archive_get(name, "/data"))
        streams.append(time.perf_counter() - started)
        assert streamed >= FILES * FILE_MB * MB

    ours_s, tar_s, stream_s = _median(ours), _median(tars), _median(streams)
    print(
        f"\nbackup {FILES * FILE_MB} MB: ours {ours_s:.2f} s, tar {tar_s:.2f} s, "
        f"ratio {ours_s / tar_s:.2f} (goal < {GOAL_RATIO}); "
        f"the engine's archive stream alone {stream_s:.2f} s ({stream_s / tar_s:.2f} x tar), "
        f"ours / stream {ours_s / stream_s:.2f}"
    )

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
