"""Scenarios: what the sandbox holds when it starts.

- ``empty``: the four standard namespaces, nothing else.
- ``demo``: a small believable estate (shop, payments, platform) with the cases an operator
  meets when a release goes bad — a long history with change-causes, a crash-looping current
  revision, a paused deployment, an old revision that needs a ConfigMap that is gone, a tight
  revisionHistoryLimit, a migration, a Helm-managed workload.
- ``scale``: many deployments for benchmarks (parameters: deployments, namespaces, revisions,
  pods per deployment).

Scenarios are built through the registry and the real controllers (fast-forwarded), so their
objects are exactly what a cluster would hold after the same operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from . import resources as res
from .controllers.manager import ControllerManager
from .registry import Registry
from .store import Obj, clone

CHANGE_CAUSE = "kubernetes.io/change-cause"
STANDARD_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CONFIG_AGE_DAYS = 59
SCALE_DEFAULTS = {
    "deployments": 1000,
    "namespaces": 10,
    "revisions": 2,
    "pods": 3,
    "history_limit": 10,
}


class ScenarioError(ValueError):
    """An unknown scenario or a bad parameter, worded for the command line."""


class Builder:
    """Operations a scenario performs, each followed by letting the controllers settle."""

    def __init__(self, registry: Registry, controllers: ControllerManager) -> None:
        self.reg = registry
        self.controllers = controllers

    @contextmanager
    def days_ago(self, days: float) -> Iterator[None]:
        """Objects created inside carry timestamps from that many days back."""
        previous = self.reg.clock.offset
        self.reg.clock.offset = -timedelta(days=days)
        try:
            yield
        finally:
            self.reg.clock.offset = previous

    def settle(self) -> None:
        self.controllers.drain()

    def namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        body: Obj = {"metadata": {"name": name}}
        if labels:
            body["metadata"]["labels"] = dict(labels)
        self.reg.create(res.NAMESPACES, "", body)

    def create(self, rt: res.ResourceType, namespace: str, body: Obj) -> Obj:
        return self.reg.create(rt, namespace, body)

    def create_config(self, rt: res.ResourceType, namespace: str, body: Obj) -> Obj:
        """Services, ConfigMaps and Secrets predate the revisions that use them, as they would
        in a real estate (otherwise every rollback would warn "config changed since")."""
        with self.days_ago(CONFIG_AGE_DAYS):
            return self.reg.create(rt, namespace, body)

    def deployment(
        self,
        namespace: str,
        name: str,
        containers: list[Obj],
        *,
        replicas: int = 2,
        change_cause: str | None = None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        spec: Obj | None = None,
        pod_spec: Obj | None = None,
        settle: bool = True,
    ) -> None:
        selector = {"app": name}
        metadata: Obj = {"name": name, "labels": {**selector, **(labels or {})}}
        merged_annotations = dict(annotations or {})
        if change_cause:
            merged_annotations[CHANGE_CAUSE] = change_cause
        if merged_annotations:
            metadata["annotations"] = merged_annotations
        template_spec: Obj = {"containers": clone(containers), **clone(pod_spec or {})}
        body: Obj = {
            "metadata": metadata,
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": {**selector, **(labels or {})}},
                    "spec": template_spec,
                },
                **clone(spec or {}),
            },
        }
        self.reg.create(res.DEPLOYMENTS, namespace, body)
        if settle:
            self.settle()

    def update(
        self,
        namespace: str,
        name: str,
        change: Callable[[Obj], None],
        *,
        change_cause: str | None = None,
        settle: bool = True,
    ) -> None:
        """Change the deployment as ``kubectl set image`` / ``annotate`` would."""
        current = clone(self.reg.get(res.DEPLOYMENTS, namespace, name))
        change(current)
        if change_cause is not None:
            current["metadata"].setdefault("annotations", {})[CHANGE_CAUSE] = change_cause
        self.reg.update(res.DEPLOYMENTS, namespace, name, current)
        if settle:
            self.settle()

    def set_image(
        self,
        namespace: str,
        name: str,
        image: str,
        *,
        container: int = 0,
        change_cause: str | None = None,
        settle: bool = True,
    ) -> None:
        def change(d: Obj) -> None:
            d["spec"]["template"]["spec"]["containers"][container]["image"] = image

        self.update(namespace, name, change, change_cause=change_cause, settle=settle)


def _container(name: str, image: str, port: int = 8080, **extra: Any) -> Obj:
    container: Obj = {
        "name": name,
        "image": image,
        "ports": [{"containerPort": port, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
    }
    container.update(extra)
    return container


def _service(b: Builder, namespace: str, name: str, port: int = 80) -> None:
    b.create_config(
        res.BY_GROUP_PLURAL[("", "services")],
        namespace,
        {
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "selector": {"app": name},
                "ports": [{"name": "http", "port": port, "targetPort": "http"}],
                "clusterIP": f"10.96.{len(namespace)}.{len(name) * 7 % 250 + 2}",
            },
        },
    )


def _config_map(b: Builder, namespace: str, name: str, data: dict[str, str]) -> None:
    b.create_config(
        res.BY_GROUP_PLURAL[("", "configmaps")],
        namespace,
        {"metadata": {"name": name}, "data": data},
    )


def _secret(b: Builder, namespace: str, name: str, data: dict[str, str]) -> None:
    # Demo values only: base64 of obviously fake text, never a real credential.
    import base64

    b.create_config(
        res.BY_GROUP_PLURAL[("", "secrets")],
        namespace,
        {
            "metadata": {"name": name},
            "type": "Opaque",
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
        },
    )


def _storefront(b: Builder) -> None:
    image = "registry.example.com/shop/storefront"
    causes = [
        ("1.0.0", "Initial release 1.0.0"),
        ("1.1.0", "1.1.0: faster checkout"),
        ("1.2.0", "1.2.0: new product pages"),
        ("1.2.1", "1.2.1: fix cart totals rounding"),
        ("1.3.0", "1.3.0: search suggestions"),
        ("1.4.0", "1.4.0: redesigned header"),
    ]
    _config_map(
        b, "shop", "storefront-config", {"FEATURE_FLAGS": "search,reviews", "LOG_LEVEL": "info"}
    )
    _service(b, "shop", "storefront")
    for i, (version, cause) in enumerate(causes):
        with b.days_ago(30 - i * 5):
            if i == 0:
                b.deployment(
                    "shop",
                    "storefront",
                    [
                        _container(
                            "storefront",
                            f"{image}:{version}",
                            envFrom=[{"configMapRef": {"name": "storefront-config"}}],
                        )
                    ],
                    replicas=3,
                    change_cause=cause,
                    labels={"tier": "frontend"},
                )
            else:
                b.set_image("shop", "storefront", f"{image}:{version}", change_cause=cause)


def _cart(b: Builder) -> None:
    image = "registry.example.com/shop/cart"
    _service(b, "shop", "cart")
    with b.days_ago(12):
        b.deployment(
            "shop",
            "cart",
            [_container("cart", f"{image}:2.3.0")],
            replicas=2,
            change_cause="2.3.0: saved carts",
            spec={"progressDeadlineSeconds": 120},
        )
    with b.days_ago(4):
        b.set_image("shop", "cart", f"{image}:2.4.0", change_cause="2.4.0: coupon codes")
    # The bad release: it crash-loops, so its rollout never completes.
    b.set_image(
        "shop", "cart", f"{image}:2.5.0-crashloop", change_cause="2.5.0: new pricing engine"
    )


def _catalog(b: Builder) -> None:
    image = "registry.example.com/shop/catalog"
    _service(b, "shop", "catalog")
    with b.days_ago(20):
        b.deployment(
            "shop",
            "catalog",
            [_container("catalog", f"{image}:3.0.0")],
            replicas=2,
            change_cause="3.0.0",
        )

    def add_migration(d: Obj) -> None:
        spec = d["spec"]["template"]["spec"]
        spec["containers"][0]["image"] = f"{image}:3.1.0"
        spec["initContainers"] = [
            {
                "name": "migrate",
                "image": "registry.example.com/shop/catalog-migrations:3.1.0",
                "command": ["alembic", "upgrade", "head"],
            }
        ]

    with b.days_ago(2):
        b.update(
            "shop",
            "catalog",
            add_migration,
            change_cause="3.1.0: product variants (schema migration)",
        )


def _payments(b: Builder) -> None:
    api = "registry.example.com/payments/api"
    _secret(b, "payments", "api-credentials", {"API_KEY": "demo-not-a-real-key"})
    _service(b, "payments", "api")
    secret_env = [
        {
            "name": "API_KEY",
            "valueFrom": {"secretKeyRef": {"name": "api-credentials", "key": "API_KEY"}},
        }
    ]
    with b.days_ago(25):
        b.deployment(
            "payments",
            "api",
            [_container("api", f"{api}:5.0.0", env=secret_env)],
            replicas=3,
            change_cause="5.0.0",
        )
    with b.days_ago(6):
        b.set_image("payments", "api", f"{api}:5.1.0", change_cause="5.1.0: 3-D Secure v2")
    # Paused mid-change: the next image is staged but not rolled out.
    b.update("payments", "api", lambda d: d["spec"].update(paused=True))
    b.set_image("payments", "api", f"{api}:5.2.0", change_cause="5.2.0: staged, paused")

    ledger = "registry.example.com/payments/ledger"
    _config_map(b, "payments", "ledger-config-v1", {"SCHEMA": "v1"})

    def ledger_container(version: str, config: str) -> Obj:
        return _container(
            "ledger",
            f"{ledger}:{version}",
            envFrom=[{"configMapRef": {"name": config}}],
            volumeMounts=[{"name": "config", "mountPath": "/etc/ledger", "readOnly": True}],
        )

    with b.days_ago(40):
        b.deployment(
            "payments",
            "ledger",
            [ledger_container("1.8.0", "ledger-config-v1")],
            replicas=2,
            change_cause="1.8.0",
            pod_spec={"volumes": [{"name": "config", "configMap": {"name": "ledger-config-v1"}}]},
        )
    _config_map(b, "payments", "ledger-config-v2", {"SCHEMA": "v2", "AUDIT": "on"})

    def to_v2(d: Obj) -> None:
        spec = d["spec"]["template"]["spec"]
        spec["containers"] = [ledger_container("2.0.0", "ledger-config-v2")]
        spec["volumes"] = [{"name": "config", "configMap": {"name": "ledger-config-v2"}}]

    with b.days_ago(9):
        b.update("payments", "ledger", to_v2, change_cause="2.0.0: config v2")
    # Someone cleaned up the old ConfigMap: rolling back to revision 1 would break pods.
    b.reg.delete(res.BY_GROUP_PLURAL[("", "configmaps")], "payments", "ledger-config-v1")


def _platform(b: Builder) -> None:
    gateway = "registry.example.com/platform/gateway"
    _service(b, "platform", "gateway", 443)
    for i, version in enumerate(("4.0.0", "4.1.0", "4.2.0")):
        with b.days_ago(15 - i * 5):
            if i == 0:
                b.deployment(
                    "platform",
                    "gateway",
                    [_container("gateway", f"{gateway}:{version}")],
                    replicas=2,
                    change_cause=version,
                    spec={"revisionHistoryLimit": 1},
                )
            else:
                b.set_image("platform", "gateway", f"{gateway}:{version}", change_cause=version)

    auth = "registry.example.com/platform/auth"
    _secret(b, "platform", "auth-signing-key", {"KEY": "demo-signing-key-not-real"})
    with b.days_ago(18):
        b.deployment(
            "platform",
            "auth",
            [
                _container(
                    "auth",
                    f"{auth}:7.2.0",
                    env=[
                        {
                            "name": "SIGNING_KEY",
                            "valueFrom": {
                                "secretKeyRef": {"name": "auth-signing-key", "key": "KEY"}
                            },
                        },
                        {"name": "SESSION_TTL", "value": "3600"},
                    ],
                )
            ],
            replicas=1,
            change_cause="7.2.0",
            spec={"strategy": {"type": "Recreate"}},
        )

    def drop_ttl(d: Obj) -> None:
        container = d["spec"]["template"]["spec"]["containers"][0]
        container["image"] = f"{auth}:7.3.0"
        container["env"] = [e for e in container["env"] if e["name"] != "SESSION_TTL"]

    with b.days_ago(3):
        b.update("platform", "auth", drop_ttl, change_cause="7.3.0: sessions in Redis")

    metrics = "registry.example.com/platform/metrics-agent"
    helm = {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "metrics-agent-0.9.0"}
    helm_annotations = {
        "meta.helm.sh/release-name": "metrics-agent",
        "meta.helm.sh/release-namespace": "platform",
    }
    with b.days_ago(22):
        b.deployment(
            "platform",
            "metrics-agent",
            [_container("agent", f"{metrics}:0.9.0", port=9100)],
            replicas=1,
            labels=helm,
            annotations=helm_annotations,
        )
    with b.days_ago(1):
        b.set_image("platform", "metrics-agent", f"{metrics}:0.9.1")


def _hello(b: Builder) -> None:
    with b.days_ago(45):
        b.deployment(
            "default", "hello", [_container("hello", "registry.example.com/hello:1.0")], replicas=1
        )


def build_demo(b: Builder) -> None:
    with b.days_ago(60):
        for namespace in ("shop", "payments", "platform"):
            b.namespace(namespace, {"team": namespace})
    _hello(b)
    _storefront(b)
    _catalog(b)
    _payments(b)
    _platform(b)
    _cart(b)


def build_scale(b: Builder, params: dict[str, int]) -> None:
    values = {**SCALE_DEFAULTS, **params}
    unknown = set(params) - set(SCALE_DEFAULTS)
    if unknown:
        raise ScenarioError(
            f"unknown scale parameter(s): {', '.join(sorted(unknown))} "
            f"(known: {', '.join(SCALE_DEFAULTS)})"
        )
    for key, value in values.items():
        if value < (0 if key in ("pods", "history_limit") else 1):
            raise ScenarioError(f"scale parameter {key} must be positive, not {value}")
    namespaces = [f"team-{i:03d}" for i in range(values["namespaces"])]
    b.reg.record_events = False  # thousands of "Scaled up" events would only cost memory
    try:
        with b.days_ago(10):
            for namespace in namespaces:
                b.namespace(namespace)
            for i in range(values["deployments"]):
                b.deployment(
                    namespaces[i % len(namespaces)],
                    f"svc-{i:05d}",
                    [{"name": "app", "image": f"registry.example.com/svc-{i:05d}:1.0.0"}],
                    replicas=values["pods"],
                    change_cause="1.0.0",
                    settle=False,
                    spec={"revisionHistoryLimit": values["history_limit"]},
                )
            b.settle()
        for revision in range(2, values["revisions"] + 1):
            with b.days_ago(10 - revision):
                for i in range(values["deployments"]):
                    b.set_image(
                        namespaces[i % len(namespaces)],
                        f"svc-{i:05d}",
                        f"registry.example.com/svc-{i:05d}:1.{revision - 1}.0",
                        change_cause=f"1.{revision - 1}.0",
                        settle=False,
                    )
                b.settle()
    finally:
        b.reg.record_events = True


def load_scenario(
    name: str, registry: Registry, controllers: ControllerManager, params: dict[str, int]
) -> None:
    builder = Builder(registry, controllers)
    # Build as if pods started at once; the configured delay applies from start-up on.
    delay = controllers.kubelet.pod_start_delay
    controllers.kubelet.pod_start_delay = 0.0
    try:
        with builder.days_ago(90):
            for namespace in STANDARD_NAMESPACES:
                builder.namespace(namespace)
        if name == "empty":
            pass
        elif name == "demo":
            build_demo(builder)
        elif name == "scale":
            build_scale(builder, params)
        else:
            raise ScenarioError(f"unknown scenario {name!r}: choose empty, demo or scale")
        builder.settle()
    finally:
        controllers.kubelet.pod_start_delay = delay


SCENARIOS = ("empty", "demo", "scale")
