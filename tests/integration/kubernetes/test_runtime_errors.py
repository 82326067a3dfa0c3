"""Every failure class of the Kubernetes runtime is one typed error with a sentence, reads are
retried, writes are not, and nothing is half-applied (issue: Kubernetes operations, Errors)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kiops_desktop.core.rollback import RollbackPlan
from kiops_desktop.runtimes.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServerError,
    TimedOut,
    TlsFailure,
    Unauthorized,
    Unreachable,
)
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.sandbox.conftest import (
    Cluster,
    apply_and_settle,
    nginx_deployment,
    set_image,
)

pytestmark = pytest.mark.integration


def _v1(cl: Cluster) -> None:
    apply_and_settle(cl, nginx_deployment())
    set_image(cl, "nginx:1.16")


def _planned(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> tuple[Cluster, KubernetesRuntime, RollbackPlan, dict]:
    """A two-revision deployment, a runtime, a rollback plan, and the deployment as planned."""
    cl = secure_cluster()
    _v1(cl)
    runtime = runtime_for(cl)
    return cl, runtime, runtime.plan_rollback("default", "nginx"), cl.deployment()


def _edit_kubeconfig(cl: Cluster, name: str, change: Callable[[dict], None]) -> Path:
    config = yaml.safe_load(cl.kubeconfig.read_text())
    change(config)
    path = cl.workdir / name
    path.write_text(yaml.safe_dump(config))
    return path


def test_unreachable_server(runtime_for: Callable[..., KubernetesRuntime], tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "kiops-sandbox", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "kiops-sandbox",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    runtime = KubernetesRuntime(str(path), "kiops-sandbox")
    with pytest.raises(Unreachable) as caught:
        runtime.list_deployments()
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "refused" in str(caught.value)


def test_tls_failure_with_the_wrong_ca(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    a, b = secure_cluster(), secure_cluster()

    def other_ca(config: dict) -> None:
        config["clusters"][0]["cluster"]["certificate-authority-data"] = yaml.safe_load(
            b.kubeconfig.read_text()
        )["clusters"][0]["cluster"]["certificate-authority-data"]

    runtime = runtime_for(a, kubeconfig=_edit_kubeconfig(a, "wrong-ca", other_ca))
    with pytest.raises(TlsFailure) as caught:
        runtime.list_deployments()
    assert "TLS verification" in str(caught.value)


def test_wrong_token_is_unauthorized(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()

    def wrong_token(config: dict) -> None:
        config["users"][0]["user"]["token"] = "not-the-token"

    runtime = runtime_for(cl, kubeconfig=_edit_kubeconfig(cl, "wrong-token", wrong_token))
    with pytest.raises(Unauthorized) as caught:
        runtime.list_deployments()
    assert "401" in str(caught.value)


def test_read_only_token_cannot_roll_back(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster(read_only_token="viewer")
    _v1(cl)

    def viewer(config: dict) -> None:
        config["users"][0]["user"]["token"] = "viewer"

    runtime = runtime_for(cl, kubeconfig=_edit_kubeconfig(cl, "viewer", viewer))
    plan = runtime.plan_rollback("default", "nginx")
    assert plan.can_proceed
    before = cl.deployment()["metadata"]["resourceVersion"]
    with pytest.raises(Forbidden) as caught:
        runtime.execute(plan)
    assert "not allowed to patch deployments.apps" in str(caught.value)
    assert cl.deployment()["metadata"]["resourceVersion"] == before


def test_deleted_deployment_is_not_found(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    _v1(cl)
    runtime = runtime_for(cl)
    plan = runtime.plan_rollback("default", "nginx")
    cl.ok("delete", "deployment", "nginx")
    with pytest.raises(NotFound) as caught:
        runtime.execute(plan)
    assert "nginx" in str(caught.value)
    with pytest.raises(NotFound):
        runtime.history("default", "nginx")


def test_a_change_since_planning_is_a_conflict_and_nothing_is_applied(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    _v1(cl)
    runtime = runtime_for(cl)
    plan = runtime.plan_rollback("default", "nginx")
    # A second operator rolls back first.
    assert cl.kubectl("rollout", "undo", "deployment/nginx").code == 0
    cl.settle()
    after_other = cl.deployment()
    with pytest.raises(Conflict) as caught:
        runtime.execute(plan)
    assert "changed since you looked" in str(caught.value)
    cl.settle()
    now = cl.deployment()
    assert now["metadata"]["generation"] == after_other["metadata"]["generation"]
    assert now["spec"]["template"] == after_other["spec"]["template"]


def test_status_only_changes_do_not_block_a_rollback(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    """The controller rewrites status all the time; that is not "someone changed it"."""
    cl = secure_cluster()
    _v1(cl)
    runtime = runtime_for(cl)
    plan = runtime.plan_rollback("default", "nginx")
    status_patch = cl.http(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/nginx/status",
        data=b'{"status":{"conditions":[]}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert status_patch.status_code == 200, status_patch.text
    runtime.execute(plan)
    cl.settle()
    assert cl.deployment()["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.14"


def test_reads_are_retried_through_transient_faults(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    _v1(cl)
    cl.sb.inject_fault("GET", r"/deployments/nginx$", count=2, status=503)
    history = runtime_for(cl).history("default", "nginx")
    assert [r.number for r in history.revisions] == [1, 2]


def test_reads_give_up_with_a_sentence_after_retries(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    _v1(cl)
    cl.sb.inject_fault("GET", r"/deployments/nginx$", count=10, status=503)
    with pytest.raises(ServerError) as caught:
        runtime_for(cl).history("default", "nginx")
    assert "503" in str(caught.value)


def test_writes_are_never_retried(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl, runtime, plan, before = _planned(secure_cluster, runtime_for)
    cl.sb.inject_fault("PATCH", r"/deployments/nginx$", count=1, status=503)
    with pytest.raises(ServerError):
        runtime.execute(plan)
    assert cl.deployment()["metadata"]["generation"] == before["metadata"]["generation"]
    # The fault was used once; the same plan now applies (it was not sent twice).
    runtime.execute(plan)
    cl.settle()
    assert cl.deployment()["metadata"]["generation"] == before["metadata"]["generation"] + 1


def test_a_dropped_connection_on_a_write_is_reported(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl, runtime, plan, before = _planned(secure_cluster, runtime_for)
    cl.sb.inject_fault("PATCH", r"/deployments/nginx$", count=1, drop=True)
    with pytest.raises(Unreachable):
        runtime.execute(plan)
    assert cl.deployment()["metadata"]["generation"] == before["metadata"]["generation"]


def test_a_slow_server_times_out(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    _v1(cl)
    cl.sb.inject_fault("GET", r"/deployments/nginx$", count=4, delay=1.5)
    runtime = runtime_for(cl, read_timeout=0.5)
    with pytest.raises(TimedOut):
        runtime.get_deployment("default", "nginx")


def test_listing_namespaces_forbidden_falls_back_to_the_context_namespace(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    cl.sb.inject_fault("GET", r"^/api/v1/namespaces$", count=1, status=403)
    listing = runtime_for(cl).list_namespaces()
    assert listing.names == ("default",)
    assert listing.note is not None
    assert "not allowed" in listing.note


def test_errors_never_carry_the_token(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    cl.sb.inject_fault("GET", ".*", count=10, status=500)
    with pytest.raises(ServerError) as caught:
        runtime_for(cl).list_deployments()
    assert "kiops-test-token" not in str(caught.value)


def test_concurrent_rollbacks_only_one_applies(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    _v1(cl)
    first, second = runtime_for(cl), runtime_for(cl)
    plans = [first.plan_rollback("default", "nginx"), second.plan_rollback("default", "nginx")]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(rt: KubernetesRuntime, index: int) -> None:
        barrier.wait()
        try:
            rt.execute(plans[index])
            outcomes.append("applied")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=run, args=(rt, i)) for i, rt in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["applied", "conflict"]


def test_an_invalid_change_is_reported_as_invalid(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl, runtime, plan, before = _planned(secure_cluster, runtime_for)
    cl.sb.inject_fault("PATCH", r"/deployments/nginx$", count=1, status=422)
    with pytest.raises(Invalid) as caught:
        runtime.execute(plan)
    assert "refused the change" in str(caught.value)
    assert cl.deployment()["metadata"]["generation"] == before["metadata"]["generation"]
