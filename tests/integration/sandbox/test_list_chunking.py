"""kubectl's chunked lists (``--chunk-size``, default 500) against the sandbox's paging, and the
runtime's paged listing: every object exactly once, same as one unpaged list."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiops_desktop.runtimes import kubernetes as kube
from tests.integration.sandbox.conftest import Cluster

pytestmark = pytest.mark.integration


@pytest.fixture
def demo(cluster: Callable[..., Cluster]) -> Cluster:
    return cluster(scenario="demo")


def test_kubectl_chunks_see_every_deployment_once(demo: Cluster) -> None:
    whole = demo.ok("get", "deploy", "-A", "-o", "name", "--chunk-size=0").split()
    chunked = demo.ok("get", "deploy", "-A", "-o", "name", "--chunk-size=2").split()
    assert len(whole) == 9
    assert sorted(chunked) == sorted(whole)
    table = demo.ok("get", "deploy", "-A", "--chunk-size=4", "--no-headers").splitlines()
    assert len(table) == 9


def test_raw_pages_carry_continue_and_remaining(demo: Cluster) -> None:
    first = demo.session.get(
        f"{demo.sb.url}/apis/apps/v1/deployments", params={"limit": "4"}, timeout=10
    ).json()
    assert len(first["items"]) == 4
    assert first["metadata"]["remainingItemCount"] == 5
    second = demo.session.get(
        f"{demo.sb.url}/apis/apps/v1/deployments",
        params={"limit": "4", "continue": first["metadata"]["continue"]},
        timeout=10,
    ).json()
    assert len(second["items"]) == 4
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    bad = demo.session.get(
        f"{demo.sb.url}/apis/apps/v1/deployments",
        params={"limit": "4", "continue": "nope"},
        timeout=10,
    )
    assert bad.status_code == 400


def test_runtime_lists_across_pages(demo: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kube, "LIST_CHUNK", 2)  # force five pages out of nine deployments
    runtime = kube.KubernetesRuntime(str(demo.kubeconfig), "kiops-sandbox")
    try:
        names = sorted(f"{d.namespace}/{d.name}" for d in runtime.list_deployments())
    finally:
        runtime.close()
    expected = sorted(
        line.replace("deployment.apps/", "")
        for line in demo.ok(
            "get",
            "deploy",
            "-A",
            "-o",
            "jsonpath={range .items[*]}{.metadata.namespace}/deployment.apps/{.metadata.name} {end}",
        ).split()
    )
    assert names == expected
