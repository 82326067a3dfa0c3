"""Fixtures for the Kubernetes runtime tests: the sandbox over HTTPS with a token, real kubectl
as the referee, and a ``KubernetesRuntime`` pointed at the same kubeconfig."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.sandbox.conftest import (  # the shared sandbox fixtures
    Cluster,
    cluster,
    sandbox,
)

__all__ = ["Cluster", "cluster", "sandbox"]

TOKEN = "kiops-test-token"


@pytest.fixture
def secure_cluster(cluster: Callable[..., Cluster]) -> Callable[..., Cluster]:
    """Factory: a sandbox over HTTPS that demands a bearer token (as real clusters do)."""

    def make(**kwargs: Any) -> Cluster:
        kwargs.setdefault("tls", True)
        kwargs.setdefault("token", TOKEN)
        return cluster(**kwargs)

    return make


@pytest.fixture
def runtime_for() -> Iterator[Callable[..., KubernetesRuntime]]:
    made: list[KubernetesRuntime] = []

    def make(cl: Cluster, *, kubeconfig: Path | None = None, **kwargs: Any) -> KubernetesRuntime:
        rt = KubernetesRuntime(str(kubeconfig or cl.kubeconfig), "kiops-sandbox", **kwargs)
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()
