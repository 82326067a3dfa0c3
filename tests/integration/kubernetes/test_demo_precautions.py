"""The demo estate's bad-release cases, planned through the runtime: each rollback plan carries
the precaution an operator must see (by its stable ``code``), the history explains what the
revisionHistoryLimit removed, and the rollout-safety advice comes with fixes that work."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable

import pytest

from kiops_desktop.core.findings import Finding
from kiops_desktop.core.rollback import PAUSED_MESSAGE, RollbackPlan
from kiops_desktop.runtimes.errors import Refused
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.sandbox.conftest import Cluster

pytestmark = pytest.mark.integration

Demo = tuple[Cluster, KubernetesRuntime]


@pytest.fixture
def demo(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> Demo:
    cl = secure_cluster(scenario="demo")
    return cl, runtime_for(cl)


def _codes(plan: RollbackPlan) -> list[str]:
    return [f.code for f in plan.precautions]


def _one(findings: tuple[Finding, ...], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, f"expected one {code!r} finding, got {findings}"
    return matching[0]


def _env_names(container: dict) -> list[str]:
    return [var["name"] for var in container.get("env") or []]


def test_ledger_back_to_revision_1_needs_a_configmap_that_is_gone(demo: Demo) -> None:
    cl, runtime = demo
    res = cl.kubectl("get", "configmap", "ledger-config-v1", "-n", "payments")
    assert res.code == 1, res.describe()
    assert "NotFound" in res.stderr, res.describe()
    cl.ok("get", "configmap", "ledger-config-v2", "-n", "payments")

    plan = runtime.plan_rollback("payments", "ledger", 1)
    assert (plan.current_revision, plan.target_revision) == (2, 1)
    assert plan.target_images == ("registry.example.com/payments/ledger:1.8.0",)
    assert plan.can_proceed, "a precaution warns; it does not refuse"
    missing = _one(plan.precautions, "missing-configmap")
    assert plan.precautions[0] == missing, "danger comes first"
    assert missing.severity == "danger"
    assert 'ConfigMap "ledger-config-v1"' in missing.title
    assert 'ConfigMap "ledger-config-v1"' in missing.detail
    assert "envFrom of container ledger" in missing.detail
    assert "volume config" in missing.detail
    assert 'namespace "payments"' in missing.detail
    assert "ledger-config-v2" not in missing.detail
    assert missing.fix is not None
    assert 'Recreate ConfigMap "ledger-config-v1"' in missing.fix
    assert plan.diff is not None
    assert "volume config: configMap  ledger-config-v2 -> ledger-config-v1" in plan.diff.lines()


def test_catalog_back_to_revision_1_crosses_a_schema_migration(demo: Demo) -> None:
    _, runtime = demo
    plan = runtime.plan_rollback("shop", "catalog", 1)
    assert (plan.current_revision, plan.target_revision) == (2, 1)
    migration = _one(plan.precautions, "migration-since")
    assert migration.severity == "danger"
    assert 'Init container "migrate"' in migration.detail
    assert "alembic" in migration.detail
    assert "revision 1" in migration.detail
    assert migration.fix is not None
    assert "down-migration" in migration.fix
    assert plan.diff is not None
    assert (
        "init container migrate: removed "
        "(was image registry.example.com/shop/catalog-migrations:3.1.0)"
    ) in plan.diff.lines()


def test_metrics_agent_is_managed_by_helm(demo: Demo) -> None:
    cl, runtime = demo
    labels = cl.deployment("metrics-agent", "platform")["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "Helm"

    plan = runtime.plan_rollback("platform", "metrics-agent")
    assert (plan.current_revision, plan.target_revision) == (2, 1)
    gitops = _one(plan.precautions, "gitops-managed")
    assert gitops.severity == "warning"
    assert "Helm" in gitops.title
    assert 'release "metrics-agent"' in gitops.detail
    assert gitops.fix is not None
    assert gitops.fix.startswith("helm rollback metrics-agent ")
    assert "-n platform" in gitops.fix


def test_auth_back_to_revision_1_brings_an_env_var_back(demo: Demo) -> None:
    cl, runtime = demo
    # What the server holds: revision 2 (current) dropped SESSION_TTL, revision 1 set it.
    current = cl.deployment("auth", "platform")["spec"]["template"]["spec"]["containers"][0]
    assert _env_names(current) == ["SIGNING_KEY"]
    (rev1,) = [
        rs
        for rs in cl.items("rs", "-n", "platform", "-l", "app=auth")
        if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    ]
    assert _env_names(rev1["spec"]["template"]["spec"]["containers"][0]) == [
        "SIGNING_KEY",
        "SESSION_TTL",
    ]

    # So rolling back *adds* SESSION_TTL: env-added (info), and nothing is removed.
    plan = runtime.plan_rollback("platform", "auth", 1)
    assert (plan.current_revision, plan.target_revision) == (2, 1)
    added = _one(plan.precautions, "env-added")
    assert added.severity == "info"
    assert added.title == "container auth: env SESSION_TTL would be added"
    assert "revision 2 (current)" in added.detail
    assert "env-removed" not in _codes(plan)
    assert plan.diff is not None
    assert 'container auth: env SESSION_TTL added ("3600")' in plan.diff.lines()


def test_paused_api_is_refused_like_kubectl_but_still_shows_its_diff(demo: Demo) -> None:
    cl, runtime = demo
    plan = runtime.plan_rollback("payments", "api")
    assert plan.refusal_kind == "paused"
    assert plan.refusal == PAUSED_MESSAGE
    assert not plan.can_proceed
    assert plan.target_revision == 1
    assert plan.diff is not None
    assert not plan.diff.is_empty
    assert (
        "container api: image  registry.example.com/payments/api:5.2.0 -> "
        "registry.example.com/payments/api:5.0.0"
    ) in plan.diff.lines()

    res = cl.kubectl("rollout", "undo", "deployment/api", "-n", "payments", "--dry-run=server")
    assert (res.code, res.stdout, res.stderr) == (1, "", f"error: {plan.refusal}\n")
    with pytest.raises(Refused) as caught:
        runtime.execute(plan)
    assert str(caught.value) == PAUSED_MESSAGE


def test_hello_has_no_earlier_revision(demo: Demo) -> None:
    cl, runtime = demo
    plan = runtime.plan_rollback("default", "hello")
    assert plan.refusal_kind == "no-history"
    res = cl.kubectl("rollout", "undo", "deployment/hello", "--dry-run=server")
    assert (res.code, res.stderr) == (1, f"error: {plan.refusal}\n")


def test_cart_rolls_back_from_the_crash_looping_release_to_2_4_0(demo: Demo) -> None:
    _, runtime = demo
    (cart,) = [d for d in runtime.list_deployments("shop") if d.name == "cart"]
    assert cart.images == ("registry.example.com/shop/cart:2.5.0-crashloop",)
    assert cart.revision == 3
    assert cart.status == "Progressing"  # stuck: its new pods never become ready

    plan = runtime.plan_rollback("shop", "cart")
    assert plan.can_proceed
    assert (plan.current_revision, plan.target_revision) == (3, 2)
    assert plan.current_images == ("registry.example.com/shop/cart:2.5.0-crashloop",)
    assert plan.target_images == ("registry.example.com/shop/cart:2.4.0",)
    assert plan.diff is not None
    image = [e for e in plan.diff.entries if e.field == "image"]
    assert [(e.scope, e.before, e.after) for e in image] == [
        (
            "container cart",
            "registry.example.com/shop/cart:2.5.0-crashloop",
            "registry.example.com/shop/cart:2.4.0",
        )
    ]
    revision_2 = runtime.history("shop", "cart").revision(2)
    assert revision_2 is not None
    assert revision_2.change_cause == "2.4.0: coupon codes"
    assert plan.target_replica_set == revision_2.replica_set


def test_gateway_history_explains_the_revision_its_limit_removed(demo: Demo) -> None:
    cl, runtime = demo
    history = runtime.history("platform", "gateway")
    assert history.raw_text == cl.ok("rollout", "history", "deployment/gateway", "-n", "platform")
    assert [r.number for r in history.revisions] == [2, 3]
    assert history.revision_history_limit == 1
    assert history.cleaned_up is True
    assert history.vanished == (1,)
    assert history.explanation is not None
    assert "Revision 1 was removed" in history.explanation
    assert "revisionHistoryLimit is 1" in history.explanation


def test_safety_advice_comes_with_fixes_that_work(demo: Demo) -> None:
    cl, runtime = demo
    advice = runtime.safety_advice("platform", "auth")
    assert advice, "auth uses the Recreate strategy"
    assert all(f.fix for f in advice), advice
    recreate = _one(advice, "recreate-strategy")
    assert recreate.severity == "warning"
    assert recreate.fix is not None
    assert recreate.fix.startswith("kubectl patch deployment/auth -n platform -p ")

    gateway = _one(runtime.safety_advice("platform", "gateway"), "short-revision-history")
    assert gateway.severity == "warning"
    assert gateway.fix is not None
    assert "revisionHistoryLimit" in gateway.fix

    # Every demo deployment sets probes and limits, and the server defaults the deadline.
    for deployment in runtime.list_deployments():
        codes = {f.code for f in runtime.safety_advice(deployment.namespace, deployment.name)}
        assert not codes & {"no-readiness-probe", "no-progress-deadline"}, (deployment, codes)

    # The fix is a kubectl command that does what it says: after it, the finding is gone.
    argv = shlex.split(recreate.fix)
    assert argv[0] == "kubectl"
    out = cl.ok(*argv[1:])
    assert out == "deployment.apps/auth patched\n"
    strategy = cl.deployment("auth", "platform")["spec"]["strategy"]
    assert json.loads(json.dumps(strategy)) == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    after = {f.code for f in runtime.safety_advice("platform", "auth")}
    assert "recreate-strategy" not in after
    assert "max-unavailable" not in after
