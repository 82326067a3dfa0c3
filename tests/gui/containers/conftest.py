"""GUI tests on the real Docker engine, Podman and registry that the container suite starts
(tests/integration/containers/conftest.py): the same session fixtures, plus the window's
environment pointing at those engines only."""

from __future__ import annotations

import pytest

from tests.integration.containers.conftest import (
    Engine,
    Engines,
    _remove_test_containers,
    ce,
    docker_client,
    engine,
    engines,
    podman_client,
    registry,
)

__all__ = [
    "Engine",
    "Engines",
    "_remove_test_containers",
    "ce",
    "docker_client",
    "engine",
    "engines",
    "podman_client",
    "registry",
]


@pytest.fixture(autouse=True)
def engine_environment(engines: Engines, monkeypatch: pytest.MonkeyPatch) -> Engines:
    """DOCKER_HOST / CONTAINER_HOST at the suite's engines (the GUI conftest cleared them)."""
    monkeypatch.setenv("DOCKER_HOST", engines.docker_url)
    monkeypatch.setenv("CONTAINER_HOST", engines.podman_url)
    return engines
