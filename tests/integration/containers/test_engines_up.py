"""The test infrastructure itself: both engines answer, the test images behave as documented, the
registry holds v1/v2 with digests, and named volumes outlive their containers."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.integration.containers.conftest import (
    APP_REPO,
    BROKEN_TAG,
    ENGINES_SH,
    PUSHED_VERSIONS,
    REVISIONS,
    TEST_LABEL,
    Engine,
    Engines,
    app_image,
    exec_text,
    free_port,
    http_get,
    registry_manifest,
    run_app,
    wait_exit,
    wait_http,
)

pytestmark = pytest.mark.integration


def test_both_engines_answer_version(engines: Engines, docker_client, podman_client) -> None:
    api_version = tuple(int(p) for p in docker_client.version()["ApiVersion"].split("."))
    assert api_version >= (1, 41)
    assert int(podman_client.version()["Version"].split(".")[0]) >= 4
    # dockerd has no bridge: nothing can get a private 172.x address.
    assert {n.name for n in docker_client.networks.list()} == {"host", "none"}


def test_app_v1_serves_its_version_on_a_loopback_port(engine: Engine) -> None:
    port = free_port()
    container = run_app(engine, "v1", port=port)
    assert wait_http(f"http://127.0.0.1:{port}/health") == "ok"
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    container.reload()
    assert container.attrs["State"]["Running"] is True
    # Host networking only: the container has no address of its own.
    assert container.attrs["HostConfig"]["NetworkMode"] == "host"


def test_images_carry_revision_and_created(engine: Engine) -> None:
    for tag in ("v1", "v2", "v3", BROKEN_TAG):
        image = engine.client.images.get(app_image(tag))
        labels = image.labels
        assert labels["org.opencontainers.image.revision"] == REVISIONS[tag]
        assert labels["org.opencontainers.image.version"] == tag
        assert image.attrs["Created"]
    created = [engine.client.images.get(app_image(t)).attrs["Created"] for t in ("v1", "v2", "v3")]
    assert created == sorted(created)


def test_v_broken_exits_1(engine: Engine) -> None:
    container = run_app(engine, BROKEN_TAG, port=free_port())
    assert wait_exit(container) == 1


def test_stop_is_quick(engine: Engine) -> None:
    """The app handles SIGTERM as PID 1, so replacing a container does not wait for SIGKILL."""
    port = free_port()
    container = run_app(engine, "v2", port=port)
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v2"
    started = time.monotonic()
    container.stop(timeout=10)
    assert time.monotonic() - started < 5
    assert wait_exit(container) == 0


def test_registry_lists_pushed_tags_with_digests(registry: str, docker_client) -> None:
    status, _, body = http_get(f"http://{registry}/v2/{APP_REPO}/tags/list")
    assert status == 200
    assert sorted(json.loads(body)["tags"]) == list(PUSHED_VERSIONS)
    digests = {}
    for tag in PUSHED_VERSIONS:
        digest, manifest = registry_manifest(registry, APP_REPO, tag)
        assert digest.startswith("sha256:")
        assert manifest["schemaVersion"] == 2
        # The same digest the daemon recorded when it pushed.
        repo_digests = docker_client.images.get(app_image(tag)).attrs["RepoDigests"]
        assert f"{registry}/{APP_REPO}@{digest}" in repo_digests
        digests[tag] = digest
    assert digests["v1"] != digests["v2"]


def test_named_volume_survives_container_replacement(engine: Engine) -> None:
    volume = engine.client.volumes.create(name=f"kiops-test-data-{engine.name}", labels=TEST_LABEL)
    mounts = {volume.name: {"bind": "/data", "mode": "rw"}}
    port = free_port()
    first = run_app(engine, "v1", port=port, volumes=mounts, name=f"kiops-test-app-{engine.name}")
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    first.stop(timeout=5)
    first.remove()
    second = run_app(engine, "v2", port=port, volumes=mounts, name=f"kiops-test-app-{engine.name}")
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v2"
    exit_code, output = exec_text(second, ["cat", "/data/version-history"])
    assert exit_code == 0
    assert output.split() == ["v1", "v2"]


def test_engines_sh_status_and_start_are_idempotent(engines: Engines) -> None:
    env = {**os.environ, "KIOPS_REGISTRY_PORT": "1"}  # the remembered port wins
    for command in ("status", "start"):
        started = time.monotonic()
        result = subprocess.run(
            ["bash", str(ENGINES_SH), command, str(engines.run_dir)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert time.monotonic() - started < 5, f"{command} restarted something: {result.stderr}"
        printed = dict(
            line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines()
        )
        assert printed == engines.env
