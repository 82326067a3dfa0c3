"""Proof of equivalence: the same scenario in two sandboxes, one rolled back by real kubectl, the
other by ``plan_rollback`` + ``execute``; afterwards the Deployments and their ReplicaSet
revisions must be identical (K8S_ROLLOUT_SPEC.md §3, vectors V2, V3, V6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiops_desktop.runtimes.errors import Refused
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.sandbox.conftest import (
    Cluster,
    apply_and_settle,
    nginx_deployment,
    set_image,
)

pytestmark = pytest.mark.integration

IMAGES = ("nginx:1.14", "nginx:1.16", "nginx:1.17", "nginx:1.18")


def build(cl: Cluster, *, images: tuple[str, ...] = IMAGES[:3], **spec: Any) -> None:
    apply_and_settle(cl, nginx_deployment(image=images[0], **spec))
    for image in images[1:]:
        set_image(cl, image)


def snapshot(cl: Cluster) -> dict[str, Any]:
    """What must be identical: the Deployment's template, annotations, paused flag and
    replicas, and per ReplicaSet (by name — hashes are deterministic) its revision, history and
    size."""
    dep = cl.deployment()
    annotations = dict(dep["metadata"].get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    replica_sets = {}
    for rs in cl.items("rs", "-l", "app=nginx"):
        meta = rs["metadata"]
        rs_annotations = meta.get("annotations") or {}
        replica_sets[meta["name"]] = (
            rs_annotations.get("deployment.kubernetes.io/revision"),
            rs_annotations.get("deployment.kubernetes.io/revision-history"),
            rs_annotations.get("kubernetes.io/change-cause"),
            rs["spec"]["replicas"],
        )
    return {
        "template": dep["spec"]["template"],
        "annotations": annotations,
        "paused": dep["spec"].get("paused"),
        "generation": dep["metadata"]["generation"],
        "replica_sets": replica_sets,
    }


def twins(
    secure_cluster: Callable[..., Cluster], setup: Callable[[Cluster], None]
) -> tuple[Cluster, Cluster]:
    a, b = secure_cluster(), secure_cluster()
    setup(a)
    setup(b)
    assert snapshot(a) == snapshot(b), "the two sandboxes must start identical"
    return a, b


def kubectl_undo(cl: Cluster, to_revision: int | None) -> None:
    args = ["rollout", "undo", "deployment/nginx"]
    if to_revision is not None:
        args.append(f"--to-revision={to_revision}")
    res = cl.kubectl(*args)
    assert res.code == 0, res.describe()
    cl.settle()


def our_undo(runtime: KubernetesRuntime, cl: Cluster, to_revision: int | None) -> None:
    plan = runtime.plan_rollback("default", "nginx", to_revision)
    assert plan.can_proceed, plan.refusal
    runtime.execute(plan)
    cl.settle()


@pytest.mark.parametrize("to_revision", [None, 1, 2])
def test_undo_matches_kubectl(
    secure_cluster: Callable[..., Cluster],
    runtime_for: Callable[..., KubernetesRuntime],
    to_revision: int | None,
) -> None:
    a, b = twins(secure_cluster, build)
    kubectl_undo(a, to_revision)
    our_undo(runtime_for(b), b, to_revision)
    assert snapshot(a) == snapshot(b)


def test_two_undos_in_a_row_match_kubectl(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    a, b = twins(secure_cluster, build)
    runtime = runtime_for(b)
    for _ in range(2):
        kubectl_undo(a, None)
        our_undo(runtime, b, None)
        assert snapshot(a) == snapshot(b)


def test_undo_after_history_limit_cleanup_matches_kubectl(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    def setup(cl: Cluster) -> None:
        build(cl, images=IMAGES, revisionHistoryLimit=1)

    a, b = twins(secure_cluster, setup)
    assert sorted(v[0] for v in snapshot(a)["replica_sets"].values()) == ["3", "4"]
    kubectl_undo(a, None)
    our_undo(runtime_for(b), b, None)
    assert snapshot(a) == snapshot(b)


def test_change_cause_follows_the_target_like_kubectl(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    def setup(cl: Cluster) -> None:
        apply_and_settle(cl, nginx_deployment())
        set_image(cl, "nginx:1.16")
        cl.ok("annotate", "deployment/nginx", "kubernetes.io/change-cause=update to 1.16")
        cl.settle()
        set_image(cl, "nginx:1.17")

    a, b = twins(secure_cluster, setup)
    kubectl_undo(a, 1)
    our_undo(runtime_for(b), b, 1)
    assert snapshot(a) == snapshot(b)


def _kubectl_error(cl: Cluster, *args: str) -> str:
    res = cl.kubectl("rollout", "undo", "deployment/nginx", *args)
    if not res.code:
        return res.stdout.rstrip()
    # The last line is the error; a "previously managed with 'kubectl apply'" warning may precede.
    return res.stderr.rstrip("\n").splitlines()[-1].removeprefix("error: ")


@pytest.mark.parametrize(
    ("setup_extra", "to_revision", "kind"),
    [
        ("none", 7, "not-found"),
        ("paused", None, "paused"),
        ("paused", 9, "not-found"),
        ("none", 3, "already-current"),
        ("fresh", None, "no-history"),
    ],
)
def test_refusals_are_kubectls(
    secure_cluster: Callable[..., Cluster],
    runtime_for: Callable[..., KubernetesRuntime],
    setup_extra: str,
    to_revision: int | None,
    kind: str,
) -> None:
    cl = secure_cluster()
    if setup_extra == "fresh":
        apply_and_settle(cl, nginx_deployment())
    else:
        build(cl)
    if setup_extra == "paused":
        cl.ok("rollout", "pause", "deployment/nginx")
        cl.settle()
    before = snapshot(cl)
    flag = [f"--to-revision={to_revision}"] if to_revision is not None else []
    expected = _kubectl_error(cl, *flag)
    runtime = runtime_for(cl)
    plan = runtime.plan_rollback("default", "nginx", to_revision)
    assert plan.refusal_kind == kind
    assert not plan.can_proceed
    if kind == "already-current":
        # kubectl prints this on stdout, prefixed with the object name, and exits 0.
        assert expected == f"deployment.apps/nginx {plan.refusal}"
    else:
        assert plan.refusal == expected
    with pytest.raises(Refused) as caught:
        runtime.execute(plan)
    assert str(caught.value) == plan.refusal
    assert snapshot(cl) == before, "a refused rollback must change nothing"


def test_server_dry_run_changes_nothing(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    build(cl)
    before = cl.deployment()
    runtime = runtime_for(cl)
    preview = runtime.execute(runtime.plan_rollback("default", "nginx"), dry_run=True)
    assert preview["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.16"
    after = cl.deployment()
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"]["template"] == before["spec"]["template"]
