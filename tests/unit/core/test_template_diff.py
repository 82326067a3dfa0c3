"""The template diff the rollback confirmation shows (current template -> target template)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kiops_desktop.core.revisions import templates_equal
from kiops_desktop.core.template_diff import (
    HIDDEN_VALUE,
    DiffEntry,
    TemplateDiff,
    diff_annotations,
    diff_templates,
)


def tmpl(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "shop"}},
        "spec": {"containers": list(containers), **spec},
    }


def app(image: str = "registry/app:1.2", name: str = "app", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, "resources": {}, **fields}


def lines(current: dict[str, Any], target: dict[str, Any]) -> list[str]:
    return diff_templates(current, target).lines()


# ----------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        (DiffEntry("container app", "image", "a:1", "a:2"), "container app: image  a:1 -> a:2"),
        (DiffEntry("container app", "env X", None, '"1"'), 'container app: env X added ("1")'),
        (
            DiffEntry("container app", "env X", '"1"', None),
            'container app: env X removed (was "1")',
        ),
        (
            DiffEntry("container side", "container", None, "envoy:1"),
            "container side: added (image envoy:1)",
        ),
        (
            DiffEntry("container side", "container", "envoy:1", None),
            "container side: removed (was image envoy:1)",
        ),
        (
            DiffEntry("container app", "env DB_PASSWORD", HIDDEN_VALUE, HIDDEN_VALUE),
            "container app: env DB_PASSWORD changed (hidden literal value)",
        ),
        (DiffEntry("pod", "template", None, None), "pod: template"),
    ],
)
def test_entry_text(entry: DiffEntry, text: str) -> None:
    assert entry.text == text


def test_empty_diff() -> None:
    diff = TemplateDiff(())
    assert diff.is_empty
    assert diff.lines() == []


# ----------------------------------------------------------------------------- containers


def test_brief_examples() -> None:
    current = tmpl(
        app(
            "registry/app:1.2",
            env=[
                {"name": "FEATURE_X", "value": "on"},
                {
                    "name": "DB_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                },
            ],
        )
    )
    target = tmpl(
        app(
            "registry/app:1.1",
            env=[
                {
                    "name": "DB_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "db-v1", "key": "password"}},
                }
            ],
        )
    )
    assert lines(current, target) == [
        "container app: image  registry/app:1.2 -> registry/app:1.1",
        "container app: env DB_PASSWORD  from secret db/password -> from secret db-v1/password",
        'container app: env FEATURE_X removed (was "on")',
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            None,
            {"name": "A", "value": "x"},
            'container app: env A added ("x")',
            id="literal added",
        ),
        pytest.param(
            {"name": "A", "value": "x"},
            {"name": "A", "value": "y"},
            'container app: env A  "x" -> "y"',
            id="literal changed",
        ),
        pytest.param(
            {"name": "A"},
            {"name": "A", "value": "y"},
            'container app: env A  "" -> "y"',
            id="empty literal",
        ),
        pytest.param(
            {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "c1", "key": "k"}}},
            {
                "name": "A",
                "valueFrom": {"configMapKeyRef": {"name": "c2", "key": "k", "optional": True}},
            },
            "container app: env A  from configmap c1/k -> from configmap c2/k (optional)",
            id="configmap ref",
        ),
        pytest.param(
            {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            "container app: env A  from field metadata.name -> from field status.podIP",
            id="field ref",
        ),
        pytest.param(
            {"name": "A", "value": "1"},
            {
                "name": "A",
                "valueFrom": {
                    "resourceFieldRef": {"resource": "limits.memory", "containerName": "app"}
                },
            },
            'container app: env A  "1" -> from resource limits.memory of app',
            id="resource field ref",
        ),
        pytest.param(
            {
                "name": "A",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}},
            },
            {
                "name": "A",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v2"}},
            },
            'container app: env A  {"valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}'
            ' -> {"valueFrom":{"fieldRef":{"apiVersion":"v2","fieldPath":"metadata.name"}}}',
            id="rendering would hide the change: JSON",
        ),
        pytest.param(
            {"name": "A", "valueFrom": {"fileKeyRef": {"path": "a.env", "key": "A"}}},
            None,
            'container app: env A removed (was from {"fileKeyRef":{"key":"A","path":"a.env"}})',
            id="unknown source",
        ),
    ],
)
def test_env(before: dict[str, Any] | None, after: dict[str, Any] | None, expected: str) -> None:
    current = tmpl(app(env=[before] if before else []))
    target = tmpl(app(env=[after] if after else []))
    assert lines(current, target) == [expected]


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "api_key", "GITHUB_TOKEN", "client-secret", "AWS_CREDENTIALS"]
)
def test_secret_looking_literals_are_masked(name: str) -> None:
    current = tmpl(app(env=[{"name": name, "value": "hunter2"}]))
    target = tmpl(app(env=[{"name": name, "value": "correct horse"}]))
    result = lines(current, target)
    assert result == [f"container app: env {name} changed (hidden literal value)"]
    removed = lines(current, tmpl(app()))
    assert removed == [f"container app: env {name} removed (was (hidden literal value))"]
    assert not any("hunter2" in line or "horse" in line for line in result + removed)


def test_env_order_matters() -> None:
    a, b = {"name": "A", "value": "1"}, {"name": "B", "value": "$(A)"}
    assert lines(tmpl(app(env=[a, b])), tmpl(app(env=[b, a]))) == [
        "container app: env order  A, B -> B, A"
    ]


def test_env_from() -> None:
    current = tmpl(
        app(envFrom=[{"configMapRef": {"name": "app-env"}}, {"secretRef": {"name": "app-secrets"}}])
    )
    target = tmpl(
        app(envFrom=[{"configMapRef": {"name": "app-env-v1", "optional": True}, "prefix": "APP_"}])
    )
    assert lines(current, target) == [
        "container app: envFrom  configmap app-env, secret app-secrets -> configmap app-env-v1 prefix=APP_ (optional)"
    ]
    assert lines(current, tmpl(app())) == [
        "container app: envFrom removed (was configmap app-env, secret app-secrets)"
    ]


def test_command_args_ports_and_pull_policy() -> None:
    current = tmpl(
        app(
            command=["/app"],
            args=["--port=8080"],
            ports=[{"containerPort": 8080, "protocol": "TCP"}],
        )
    )
    target = tmpl(
        app(
            command=["/app", "serve"],
            imagePullPolicy="Always",
            ports=[{"containerPort": 80, "protocol": "TCP", "name": "http"}],
        )
    )
    assert lines(current, target) == [
        "container app: imagePullPolicy added (Always)",
        'container app: command  ["/app"] -> ["/app", "serve"]',
        'container app: args removed (was ["--port=8080"])',
        "container app: ports  8080/TCP -> 80/TCP (http)",
    ]


def test_resources() -> None:
    current = tmpl(
        app(resources={"limits": {"memory": "512Mi", "cpu": "1"}, "requests": {"cpu": "100m"}})
    )
    target = tmpl(app(resources={"limits": {"memory": "256Mi", "cpu": "1"}}))
    assert lines(current, target) == [
        "container app: resources.limits.memory  512Mi -> 256Mi",
        "container app: resources.requests.cpu removed (was 100m)",
    ]


HTTP: dict[str, Any] = {
    "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
    "timeoutSeconds": 1,
    "periodSeconds": 10,
}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            None,
            HTTP,
            "container app: readinessProbe added (http-get http://:8080/healthz delay=0s timeout=1s "
            "period=10s #success=1 #failure=3)",
            id="http added",
        ),
        pytest.param(
            HTTP,
            {**HTTP, "initialDelaySeconds": 5, "failureThreshold": 6},
            "container app: readinessProbe  http-get http://:8080/healthz delay=0s timeout=1s period=10s "
            "#success=1 #failure=3 -> http-get http://:8080/healthz delay=5s timeout=1s period=10s "
            "#success=1 #failure=6",
            id="thresholds",
        ),
        pytest.param(
            {"tcpSocket": {"port": 5432}},
            {"exec": {"command": ["pg_isready", "-q"]}},
            "container app: readinessProbe  tcp-socket :5432 delay=0s timeout=1s period=10s #success=1 "
            "#failure=3 -> exec [pg_isready -q] delay=0s timeout=1s period=10s #success=1 #failure=3",
            id="tcp to exec",
        ),
        pytest.param(
            {"grpc": {"port": 9090}},
            None,
            "container app: readinessProbe removed (was grpc <pod>:9090 delay=0s timeout=1s period=10s "
            "#success=1 #failure=3)",
            id="grpc removed",
        ),
    ],
)
def test_probes(before: dict[str, Any] | None, after: dict[str, Any] | None, expected: str) -> None:
    current = tmpl(app(readinessProbe=before) if before else app())
    target = tmpl(app(readinessProbe=after) if after else app())
    assert lines(current, target) == [expected]


def test_probe_detail_the_rendering_omits_falls_back_to_json() -> None:
    with_header = copy.deepcopy(HTTP)
    with_header["httpGet"]["httpHeaders"] = [{"name": "X-Probe", "value": "1"}]
    [line] = lines(tmpl(app(livenessProbe=HTTP)), tmpl(app(livenessProbe=with_header)))
    assert line.startswith("container app: livenessProbe  {")
    assert "X-Probe" in line


def test_probe_order_is_liveness_readiness_startup() -> None:
    target = tmpl(app(startupProbe=HTTP, readinessProbe=HTTP, livenessProbe=HTTP))
    fields = [entry.field for entry in diff_templates(tmpl(app()), target).entries]
    assert fields == ["livenessProbe", "readinessProbe", "startupProbe"]


def test_volume_mounts() -> None:
    current = tmpl(
        app(
            volumeMounts=[
                {"name": "config-v2", "mountPath": "/etc/app", "readOnly": True},
                {"name": "cache", "mountPath": "/cache"},
            ]
        )
    )
    target = tmpl(
        app(
            volumeMounts=[
                {"name": "config-v1", "mountPath": "/etc/app", "readOnly": True},
                {"name": "data", "mountPath": "/data", "subPath": "app"},
            ]
        )
    )
    assert lines(current, target) == [
        "container app: volumeMount /etc/app  config-v2 (ro) -> config-v1 (ro)",
        "container app: volumeMount /data added (data subPath=app)",
        "container app: volumeMount /cache removed (was cache)",
    ]


def test_field_order_within_a_container() -> None:
    current = tmpl(
        app(
            "a:1",
            env=[{"name": "A", "value": "1"}],
            volumeMounts=[{"name": "v", "mountPath": "/v"}],
        )
    )
    target = tmpl(
        app(
            "a:2",
            args=["x"],
            env=[{"name": "A", "value": "2"}],
            envFrom=[{"configMapRef": {"name": "c"}}],
            resources={"limits": {"cpu": "1"}},
            readinessProbe=HTTP,
            securityContext={"runAsNonRoot": True},
        )
    )
    fields = [entry.field for entry in diff_templates(current, target).entries]
    assert fields == [
        "image",
        "args",
        "env A",
        "envFrom",
        "resources.limits.cpu",
        "readinessProbe",
        "volumeMount /v",
        "securityContext",
    ]


def test_other_container_fields_as_json() -> None:
    assert lines(tmpl(app()), tmpl(app(securityContext={"runAsUser": 1000}))) == [
        'container app: securityContext added ({"runAsUser":1000})'
    ]


def test_containers_added_removed_and_ordered_by_target() -> None:
    current = tmpl(app("app:2"), app("log:1", name="logger"), app("old:1", name="legacy"))
    target = tmpl(app("envoy:1", name="proxy"), app("log:1", name="logger"), app("app:1"))
    assert lines(current, target) == [
        "container proxy: added (image envoy:1)",
        "container app: image  app:2 -> app:1",
        "container legacy: removed (was image old:1)",
        "pod: container order  app, logger -> logger, app",
    ]


def test_init_containers_after_containers() -> None:
    current = tmpl(
        app("app:2"), initContainers=[app("app:2", name="migrate", args=["migrate", "up"])]
    )
    target = tmpl(
        app("app:1"), initContainers=[app("app:1", name="migrate", args=["migrate", "up"])]
    )
    assert lines(current, target) == [
        "container app: image  app:2 -> app:1",
        "init container migrate: image  app:2 -> app:1",
    ]
    assert lines(tmpl(app()), tmpl(app(), initContainers=[app("busybox", name="wait")])) == [
        "init container wait: added (image busybox)"
    ]


# ----------------------------------------------------------------------------- pod level


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            {"name": "config", "configMap": {"name": "app-config-v2", "defaultMode": 420}},
            {"name": "config", "configMap": {"name": "app-config-v1", "defaultMode": 420}},
            "volume config: configMap  app-config-v2 -> app-config-v1",
            id="configmap",
        ),
        pytest.param(
            {
                "name": "config",
                "configMap": {"name": "c", "items": [{"key": "a", "path": "a.yaml"}]},
            },
            {"name": "config", "configMap": {"name": "c", "defaultMode": 256, "optional": True}},
            "volume config: configMap  c items=a->a.yaml -> c mode=0400 (optional)",
            id="configmap details",
        ),
        pytest.param(
            {"name": "tls", "secret": {"secretName": "tls-v2"}},
            {"name": "tls", "secret": {"secretName": "tls-v1"}},
            "volume tls: secret  tls-v2 -> tls-v1",
            id="secret",
        ),
        pytest.param(
            None,
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-0", "readOnly": True}},
            "volume data: persistentVolumeClaim added (data-0 (ro))",
            id="pvc added",
        ),
        pytest.param(
            {"name": "tmp", "emptyDir": {}},
            None,
            "volume tmp: emptyDir removed (was emptyDir)",
            id="emptyDir removed",
        ),
        pytest.param(
            {"name": "tmp", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            "volume tmp: emptyDir  emptyDir -> medium=Memory sizeLimit=64Mi",
            id="emptyDir changed",
        ),
        pytest.param(
            {"name": "config", "configMap": {"name": "c"}},
            {"name": "config", "secret": {"secretName": "s"}},
            "volume config: source  configMap c -> secret s",
            id="type changed",
        ),
        pytest.param(
            {
                "name": "bundle",
                "projected": {
                    "sources": [
                        {"configMap": {"name": "a"}},
                        {"serviceAccountToken": {"path": "t"}},
                    ]
                },
            },
            {
                "name": "bundle",
                "projected": {
                    "sources": [{"secret": {"name": "b"}}, {"downwardAPI": {"items": []}}]
                },
            },
            "volume bundle: projected  configmap a, serviceAccountToken -> secret b, downwardAPI",
            id="projected",
        ),
        pytest.param(
            {"name": "h", "hostPath": {"path": "/var/log"}},
            {"name": "h", "hostPath": {"path": "/var/log", "type": "Directory"}},
            "volume h: hostPath  /var/log -> /var/log type=Directory",
            id="hostPath",
        ),
        pytest.param(
            {"name": "n", "nfs": {"server": "nas", "path": "/a"}},
            {"name": "n", "nfs": {"server": "nas", "path": "/b"}},
            'volume n: nfs  {"path":"/a","server":"nas"} -> {"path":"/b","server":"nas"}',
            id="other source",
        ),
    ],
)
def test_volumes(
    before: dict[str, Any] | None, after: dict[str, Any] | None, expected: str
) -> None:
    current = tmpl(app(), volumes=[before] if before else [])
    target = tmpl(app(), volumes=[after] if after else [])
    assert lines(current, target) == [expected]


def test_pod_fields() -> None:
    current = tmpl(
        app(),
        serviceAccountName="app-v2",
        nodeSelector={"pool": "fast"},
        tolerations=[
            {"key": "dedicated", "operator": "Equal", "value": "shop", "effect": "NoSchedule"}
        ],
        imagePullSecrets=[{"name": "regcred"}],
    )
    target = tmpl(
        app(),
        serviceAccountName="app",
        nodeSelector={"pool": "default", "zone": "a"},
        tolerations=[
            {"operator": "Exists"},
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
        affinity={"nodeAffinity": {}},
        hostNetwork=True,
    )
    assert lines(current, target) == [
        "pod: serviceAccountName  app-v2 -> app",
        "pod: nodeSelector  pool=fast -> pool=default, zone=a",
        (
            "pod: tolerations  dedicated=shop:NoSchedule -> op=Exists, "
            "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s"
        ),
        "pod: imagePullSecrets removed (was regcred)",
        "pod: hostNetwork added (true)",
    ]


def test_template_labels_and_annotations_but_not_the_hash() -> None:
    current = tmpl(app())
    current["metadata"]["labels"]["pod-template-hash"] = "7c5ddbdf54"
    current["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/restartedAt": "2026-07-30T10:00:00+02:00"
    }
    target = tmpl(app())
    target["metadata"]["labels"].update({"pod-template-hash": "5d59d67564", "version": "1.1"})
    assert lines(current, target) == [
        "pod: label version added (1.1)",
        "pod: annotation kubectl.kubernetes.io/restartedAt removed (was 2026-07-30T10:00:00+02:00)",
    ]


def test_long_values_are_clipped() -> None:
    current = tmpl(app())
    target = tmpl(app())
    target["metadata"]["annotations"] = {"config": "x" * 500}
    [line] = lines(current, target)
    assert line.endswith("… (500 chars))")
    assert len(line) < 200


def test_selector_not_matching_the_target() -> None:
    spec = {
        "selector": {
            "matchLabels": {"app": "shop"},
            "matchExpressions": [{"key": "tier", "operator": "Exists"}],
        }
    }
    current = tmpl(app())
    current["metadata"]["labels"]["tier"] = "web"
    target = tmpl(app())
    diff = diff_templates(current, target, current_deployment_spec=spec)
    assert diff.entries[-1] == DiffEntry(
        "deployment",
        "selector",
        "app=shop,tier",
        "does not match the target's labels (the API server would reject the rollback)",
    )
    assert diff_templates(current, current, current_deployment_spec=spec).is_empty


@pytest.mark.parametrize(
    ("expressions", "labels", "matches"),
    [
        ([{"key": "tier", "operator": "In", "values": ["web", "api"]}], {"tier": "web"}, True),
        ([{"key": "tier", "operator": "In", "values": ["api"]}], {"tier": "web"}, False),
        ([{"key": "tier", "operator": "NotIn", "values": ["web"]}], {"tier": "web"}, False),
        ([{"key": "tier", "operator": "NotIn", "values": ["web"]}], {}, True),
        ([{"key": "tier", "operator": "DoesNotExist"}], {"tier": "web"}, False),
        ([{"key": "tier", "operator": "DoesNotExist"}], {}, True),
    ],
)
def test_selector_expressions(
    expressions: list[dict[str, Any]], labels: dict[str, str], matches: bool
) -> None:
    spec = {"selector": {"matchLabels": {"app": "shop"}, "matchExpressions": expressions}}
    target = tmpl(app())
    target["metadata"]["labels"].update(labels)
    diff = diff_templates(tmpl(app()), target, current_deployment_spec=spec)
    assert any(entry.field == "selector" for entry in diff.entries) is not matches


def test_diff_annotations() -> None:
    entries = diff_annotations(
        "deployment",
        {"b": "1", "kubernetes.io/change-cause": "v2", "same": "x"},
        {"a": "new", "kubernetes.io/change-cause": "v1", "same": "x"},
    )
    assert [entry.text for entry in entries] == [
        'deployment: annotation a added ("new")',
        'deployment: annotation b removed (was "1")',
        'deployment: annotation kubernetes.io/change-cause  "v2" -> "v1"',
    ]


# ----------------------------------------------------------------------------- completeness


def _variants() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    base = tmpl(app(env=[{"name": "A", "value": "1"}]), volumes=[{"name": "v", "emptyDir": {}}])
    pairs = []
    edits: list[Callable[[dict[str, Any]], Any]] = [
        lambda t: t["spec"]["containers"][0].update(image="x"),
        lambda t: t["spec"]["containers"][0].update(resources={}),
        lambda t: t["spec"]["containers"][0].pop("resources"),
        lambda t: t["metadata"]["labels"].update({"pod-template-hash": "abc"}),
        lambda t: t["spec"]["containers"][0]["env"].append({"name": "A", "value": "1"}),
        lambda t: t["spec"]["containers"][0]["env"].insert(0, {"name": "A", "value": "0"}),
        lambda t: t["spec"].update(
            volumes=[{"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": {}}]
        ),
        lambda t: t["spec"].update(volumes=[{"name": "v"}]),
        lambda t: t["spec"].update(securityContext={}),
        lambda t: t["spec"].update(dnsPolicy="None"),
        lambda t: t.update(extra={"x": 1}),
        lambda t: t["metadata"].update(name="pinned"),
        lambda t: t["metadata"].pop("labels"),
    ]
    for edit in edits:
        other = copy.deepcopy(base)
        edit(other)
        pairs.append((base, other))
    return pairs


@pytest.mark.parametrize(("current", "target"), _variants())
def test_diff_is_empty_exactly_when_kubectl_sees_equal_templates(
    current: dict[str, Any], target: dict[str, Any]
) -> None:
    assert diff_templates(current, target).is_empty is templates_equal(current, target)
    assert diff_templates(target, current).is_empty is templates_equal(current, target)


def test_duplicate_env_difference_is_still_reported() -> None:
    current = tmpl(app(env=[{"name": "A", "value": "0"}, {"name": "A", "value": "1"}]))
    target = tmpl(app(env=[{"name": "A", "value": "1"}]))
    assert lines(current, target) == ["pod: template  current layout -> target layout"]


def test_inputs_are_not_mutated() -> None:
    current = tmpl(app("a:1"))
    current["metadata"]["labels"]["pod-template-hash"] = "h"
    target = tmpl(app("a:2"))
    snapshot = copy.deepcopy((current, target))
    diff_templates(
        current, target, current_deployment_spec={"selector": {"matchLabels": {"app": "x"}}}
    )
    assert (current, target) == snapshot
