"""Discovered Docker contexts and Podman connections probe the real private engines."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kiops_desktop.connections.engines import (
    SSH_NOT_SUPPORTED,
    EngineEndpoint,
    docker_endpoints,
    podman_endpoints,
    probe,
)
from tests.integration.containers.conftest import Engines

pytestmark = pytest.mark.integration


def _write_context(home: Path, name: str, host: str) -> None:
    docker_dir = home / ".docker"
    meta = docker_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    body = {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host}}}
    (meta / "meta.json").write_text(json.dumps(body))
    (docker_dir / "config.json").write_text(json.dumps({"currentContext": name}))


def test_docker_context_probes_the_private_dockerd(engines: Engines, tmp_path: Path) -> None:
    _write_context(tmp_path, "private", engines.docker_url)
    endpoints = docker_endpoints(environ={}, home=tmp_path)
    current = [e for e in endpoints if e.is_current]
    assert [e.name for e in current] == ["private"]
    result = probe(current[0])
    assert result.reason is None, result.reason
    assert result.info is not None
    assert result.info.name == "docker"
    assert result.info.version
    assert result.info.api_version


def test_docker_host_of_the_session_is_the_current_default(engines: Engines) -> None:
    # The session exports DOCKER_HOST: with the real environment it is the current endpoint.
    current = [e for e in docker_endpoints() if e.is_current]
    assert [(e.name, e.host, e.source) for e in current] == [
        ("default", engines.docker_url, "DOCKER_HOST")
    ]
    info = probe(current[0]).info
    assert info is not None
    assert info.name == "docker"


def test_container_host_probes_the_private_podman(engines: Engines, tmp_path: Path) -> None:
    env = {"CONTAINER_HOST": engines.podman_url, "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    endpoints = podman_endpoints(environ=env, home=tmp_path, run_podman=lambda argv: "[]")
    first = endpoints[0]
    assert (first.source, first.host, first.is_current) == (
        "CONTAINER_HOST",
        engines.podman_url,
        True,
    )
    result = probe(first)
    assert result.reason is None, result.reason
    assert result.info is not None
    assert result.info.name == "podman"
    assert result.info.version


def test_context_at_a_missing_socket_names_the_path(engines: Engines, tmp_path: Path) -> None:
    missing = engines.run_dir / "no-such-docker.sock"
    _write_context(tmp_path, "gone", f"unix://{missing}")
    gone = next(e for e in docker_endpoints(environ={}, home=tmp_path) if e.name == "gone")
    result = probe(gone)
    assert result.info is None
    assert result.reason is not None
    assert str(missing) in result.reason


def test_ssh_endpoint_gets_the_honest_sentence(engines: Engines) -> None:
    for engine in ("docker", "podman"):
        endpoint = EngineEndpoint(
            engine=engine,
            name="prod-ssh",
            host="ssh://core@127.0.0.1:22/run/podman/podman.sock",
            is_current=False,
            source="podman connection",
            identity="/root/.ssh/id_ed25519",
        )
        result = probe(endpoint)
        assert result.info is None
        assert result.reason == SSH_NOT_SUPPORTED + "."
