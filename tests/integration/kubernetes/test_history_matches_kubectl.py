"""``core.history`` against the real kubectl: for every Deployment of the sandbox's ``demo``
scenario and of a set of crafted Deployments, ``build_history(...).raw_text`` must equal the
stdout of ``kubectl rollout history deployment/X -n NS`` byte for byte, and ``text_for(n)`` the
stdout of ``... --revision=n`` for every revision.

Inputs are fetched over plain HTTP from the sandbox (the same GETs kubectl makes); kubectl is
only the referee, and a tool to put the cluster into a state (apply, set image, annotate, undo).
Each sandbox is built once per module to keep the suite fast.
"""

from __future__ import annotations

import difflib
import json
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.core.history import History, build_history
from kiops_desktop.core.revisions import selector_string
from kiops_desktop.sandbox import Sandbox
from tests.integration.sandbox.conftest import (
    KUBECTL,
    KUBECTL_TIMEOUT,
    Cluster,
    history_text,
    kubectl_env,
    nginx_deployment,
)

pytestmark = pytest.mark.integration

CHANGE_CAUSE = "kubernetes.io/change-cause"
REVISION = "deployment.kubernetes.io/revision"


# --------------------------------------------------------------------------------------------
# plumbing
# --------------------------------------------------------------------------------------------


def run(cl: Cluster, *args: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """kubectl with raw bytes: a cut annotation can end in half a UTF-8 character, and the
    comparison must be byte for byte."""
    proc = subprocess.run(
        [KUBECTL, *args, f"--cache-dir={cl.cache_dir}"],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=KUBECTL_TIMEOUT,
        env=kubectl_env(cl.home, cl.kubeconfig),
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def ok(cl: Cluster, *args: str, stdin: bytes | None = None) -> str:
    code, out, err = run(cl, *args, stdin=stdin)
    assert code == 0, f"kubectl {' '.join(args)}: {out!r} {err!r}"
    return out.decode()


def apply(cl: Cluster, manifest: Mapping[str, Any], namespace: str = "default") -> None:
    # JSON, not YAML: kubectl's YAML 1.1 reader would turn a bare ``y`` into true.
    ok(
        cl,
        "apply",
        "--validate=false",
        "-n",
        namespace,
        "-f",
        "-",
        stdin=json.dumps(manifest).encode(),
    )
    cl.settle()


def get(cl: Cluster, path: str, **params: str) -> dict[str, Any]:
    resp = cl.http("GET", path, params=params or None)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def fetch_history(cl: Cluster, namespace: str, name: str) -> History:
    """What the desktop app does: GET the Deployment, LIST its ReplicaSets by selector."""
    dep = get(cl, f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
    rs_list = get(
        cl,
        f"/apis/apps/v1/namespaces/{namespace}/replicasets",
        labelSelector=selector_string(dep["spec"]["selector"]),
    )
    return build_history(dep, rs_list["items"])


def all_deployments(cl: Cluster) -> list[tuple[str, str]]:
    items = get(cl, "/apis/apps/v1/deployments")["items"]
    return sorted((d["metadata"]["namespace"], d["metadata"]["name"]) for d in items)


def diff(expected: bytes, actual: bytes) -> str:
    return "".join(
        difflib.unified_diff(
            expected.decode(errors="replace").splitlines(True),
            actual.decode(errors="replace").splitlines(True),
            "kubectl",
            "core.history",
        )
    )


def mismatches(cl: Cluster, namespace: str, name: str) -> tuple[History, list[str]]:
    """Compare one Deployment's list view and every revision view with kubectl."""
    history = fetch_history(cl, namespace, name)
    problems: list[str] = []
    code, out, err = run(cl, "rollout", "history", f"deployment/{name}", "-n", namespace)
    assert code == 0, err
    mine = history.raw_text.encode("utf-8", "surrogateescape")
    if out != mine:
        problems.append(f"{namespace}/{name} list:\n{diff(out, mine)}")
    for warning in history.warnings:
        if warning not in err.decode(errors="replace"):
            problems.append(f"{namespace}/{name}: warning {warning!r} not in stderr {err!r}")
    if len(history.warnings) != len(err.decode(errors="replace").splitlines()):
        problems.append(f"{namespace}/{name}: warnings {history.warnings} vs stderr {err!r}")
    # kubectl only accepts positive numbers after --revision (0 is the list, < 0 an error).
    for number in (r.number for r in history.revisions if r.number > 0):
        code, out, err = run(
            cl, "rollout", "history", f"deployment/{name}", "-n", namespace, f"--revision={number}"
        )
        assert code == 0, err
        mine = history.text_for(number).encode("utf-8", "surrogateescape")
        if out != mine:
            problems.append(f"{namespace}/{name} --revision={number}:\n{diff(out, mine)}")
    return history, problems


def start(tmp: Path, scenario: str) -> tuple[Sandbox, Cluster]:
    sb = Sandbox(scenario=scenario, pod_start_delay=0.0, host="127.0.0.1", port=0)
    sb.start()
    return sb, Cluster(sb, tmp)


# --------------------------------------------------------------------------------------------
# crafted Deployments
# --------------------------------------------------------------------------------------------


def deployment(
    name: str,
    containers: Sequence[Mapping[str, Any]],
    *,
    annotations: Mapping[str, str] | None = None,
    template_annotations: Mapping[str, str] | None = None,
    spec: Mapping[str, Any] | None = None,
    **pod_spec: Any,
) -> dict[str, Any]:
    template_meta: dict[str, Any] = {"labels": {"app": name}}
    if template_annotations is not None:
        template_meta["annotations"] = dict(template_annotations)
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": template_meta,
                "spec": {"containers": [dict(c) for c in containers], **pod_spec},
            },
            **(spec or {}),
        },
    }


def kitchen_sink(image: str = "app:1", log_level: str = "info") -> dict[str, Any]:
    """Every section of the template description at once."""
    manifest = deployment(
        "sink",
        [
            {
                "name": "app",
                "image": image,
                "command": ["/bin/app"],
                "args": ["--verbose", "--config=/etc/app\n/extra"],
                "ports": [
                    {"containerPort": 8080, "name": "http"},
                    {"containerPort": 9090, "protocol": "UDP", "hostPort": 9090},
                    {"containerPort": 8443, "name": "https", "protocol": "TCP"},
                ],
                "resources": {
                    "limits": {"cpu": "1.5", "memory": "1024Mi", "nvidia.com/gpu": 1},
                    "requests": {"cpu": "250m", "memory": "0.5Gi", "ephemeral-storage": "1000M"},
                },
                "securityContext": {
                    "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/app.json"}
                },
                "livenessProbe": {
                    "httpGet": {
                        "path": "/health z?x=1",
                        "port": "http",
                        "scheme": "HTTPS",
                        "host": "example.com",
                    },
                    "initialDelaySeconds": 5,
                },
                "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 3},
                "startupProbe": {"tcpSocket": {"port": 8080}, "failureThreshold": 30},
                "envFrom": [
                    {"configMapRef": {"name": "app-config"}},
                    {"secretRef": {"name": "app-secret", "optional": True}, "prefix": "SEC_"},
                ],
                "env": [
                    {"name": "LOG_LEVEL", "value": log_level},
                    {"name": "MULTI", "value": "first\nsecond"},
                    {"name": "EMPTY"},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {
                        "name": "CPU_LIMIT",
                        "valueFrom": {
                            "resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}
                        },
                    },
                    {
                        "name": "MEM_REQ",
                        "valueFrom": {
                            "resourceFieldRef": {"resource": "requests.memory", "divisor": "1Mi"}
                        },
                    },
                    {
                        "name": "MEM_LIMIT",
                        "valueFrom": {
                            "resourceFieldRef": {
                                "containerName": "app",
                                "resource": "limits.memory",
                            }
                        },
                    },
                    {
                        "name": "PASSWORD",
                        "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}},
                    },
                    {
                        "name": "TOKEN",
                        "valueFrom": {"secretKeyRef": {"name": "db", "key": "t", "optional": True}},
                    },
                    {
                        "name": "COLOR",
                        "valueFrom": {
                            "configMapKeyRef": {"name": "app-config", "key": "c", "optional": False}
                        },
                    },
                ],
                "volumeMounts": [
                    {"name": "data", "mountPath": "/var/data"},
                    {"name": "config", "mountPath": "/etc/app", "readOnly": True},
                    {"name": "config", "mountPath": "/etc/app.d/one", "subPath": 'one "q".conf'},
                    {"name": "cache", "mountPath": "/cache"},
                ],
            },
            {
                "name": "worker",
                "image": "worker:3",
                # The API server defaults grpc.service to ""; kubectl 1.37 dereferences it.
                "livenessProbe": {"grpc": {"port": 9000, "service": ""}},
                "readinessProbe": {"grpc": {"port": 9000, "service": "health"}},
                "resources": {"limits": {"cpu": "2", "memory": "2Gi"}},
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "env": [
                    {
                        "name": "CPU_LIMIT",
                        "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}},
                    },
                    {
                        "name": "CPU_REQ",
                        "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu"}},
                    },
                ],
                "volumeDevices": [{"name": "block", "devicePath": "/dev/xvda"}],
            },
        ],
        annotations={CHANGE_CAUSE: f"deploy {image}"},
        template_annotations={
            "example.com/long": "x" * 150,
            "example.com/multi": "line one\nline two\n",
            "example.com/short": "v",
            "example.com/esc": "a\x1b[31mred\rb",
            "example.com/unicode": "é" * 80,
            "example.com/cut-rune": "a" + "é" * 80,  # the 138-byte cut splits a character
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        },
        serviceAccountName="builder",
        priorityClassName="high",
        nodeSelector={"disk": "ssd", "kubernetes.io/os": "linux"},
        tolerations=[
            {"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"},
            {"operator": "Exists"},
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {"key": "gpu", "operator": "Exists"},
        ],
        topologySpreadConstraints=[
            {
                "maxSkew": 1,
                "topologyKey": "zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {
                    "matchLabels": {"app": "sink"},
                    "matchExpressions": [
                        {"key": "tier", "operator": "In", "values": ["web", "backend"]}
                    ],
                },
            },
            {
                "maxSkew": 2,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
            },
        ],
        initContainers=[
            {
                "name": "migrate",
                "image": "migrate:1",
                "command": ["sh", "-c", "echo one\necho two"],
                "env": [{"name": "MODE", "value": "init"}],
            },
            {
                "name": "sidecar",
                "image": "proxy:2",
                "restartPolicy": "Always",
                "ports": [{"containerPort": 15001, "name": "proxy"}],
            },
        ],
        volumes=[
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc"}},
            {"name": "config", "configMap": {"name": "app-config", "optional": True}},
            {"name": "secret", "secret": {"secretName": "app-secret"}},
            {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "512Mi"}},
            {"name": "scratch", "emptyDir": {}},
            {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
            {"name": "host2", "hostPath": {"path": "/tmp"}},
            {"name": "block", "persistentVolumeClaim": {"claimName": "block", "readOnly": True}},
            {
                "name": "proj",
                "projected": {
                    "sources": [
                        {"secret": {"name": "s1"}},
                        {"configMap": {"name": "c1", "optional": True}},
                        {
                            "downwardAPI": {
                                "items": [
                                    {"path": "l", "fieldRef": {"fieldPath": "metadata.labels"}}
                                ]
                            }
                        },
                        # The API server defaults expirationSeconds; kubectl dereferences it.
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 7200}},
                    ]
                },
            },
            {
                "name": "podinfo",
                "downwardAPI": {
                    "items": [
                        {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                        {
                            "path": "cpu",
                            "resourceFieldRef": {"containerName": "app", "resource": "limits.cpu"},
                        },
                    ]
                },
            },
            {
                "name": "csi",
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": "vault", "b": "2"},
                },
            },
            {"name": "csi2", "csi": {"driver": "d"}},
            {"name": "nfs", "nfs": {"server": "nfs.example.com", "path": "/exports"}},
            {
                "name": "img",
                "image": {"reference": "example.com/data:1", "pullPolicy": "IfNotPresent"},
            },
            {
                "name": "eph",
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "metadata": {"labels": {"a": "b", "c": "d"}},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "storageClassName": "fast",
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                },
            },
        ],
    )
    manifest["spec"]["template"]["metadata"]["labels"].update(
        {"tier": "backend", "zone.example.com/rack": "r1"}
    )
    return manifest


def edge_cases() -> dict[str, Any]:
    """Non-canonical quantities, odd probes and env sources, legacy volume types, selectors
    that do not parse, the 1.37 scheduling group, annotation length boundaries."""
    key = "example.com/k"
    container = {
        "name": "c",
        "image": "busybox",
        "resources": {
            "limits": {
                "cpu": "+1",
                "memory": "1.500",
                "example.com/a": "0.1m",
                "example.com/b": "1E3",
                "example.com/c": "5e-3",
                "example.com/d": 0.5,
                "example.com/e": 2048,
            },
            "requests": {
                "cpu": "1000m",
                "memory": "8Ki",
                "example.com/f": "12e6",
                "example.com/g": "100000000000k",
                "hugepages-2Mi": "4Mi",
            },
        },
        "env": [
            {
                "name": "F",
                "valueFrom": {"fileKeyRef": {"path": "a.env", "volumeName": "v", "key": "K"}},
            },
            {
                "name": "HP",
                "valueFrom": {
                    "resourceFieldRef": {"resource": "requests.hugepages-2Mi", "divisor": "1Ki"}
                },
            },
            {
                "name": "ES",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.ephemeral-storage"}},
            },
            {"name": "BAD", "valueFrom": {"resourceFieldRef": {"resource": "limits.foo"}}},
            {
                "name": "ML",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "3"}},
            },
        ],
        "livenessProbe": {"httpGet": {"port": 80, "host": "::1", "path": "x/y", "scheme": ""}},
        "readinessProbe": {"httpGet": {"port": "web", "path": "*"}},
        "startupProbe": {"exec": {}},
        "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "SCTP", "name": "s"}],
        "volumeMounts": [
            {"name": "v", "mountPath": "/v", "subPathExpr": "$(POD)", "readOnly": True},
        ],
    }
    return deployment(
        "edges",
        [container],
        template_annotations={
            key: "y" * (140 - len(key) - 2),  # exactly at the limit: stays on one line
            key + "2": "y" * (141 - len(key) - 3),  # one byte over: folded
            "example.com/nl": "\n",
            "example.com/tab": "a\tb",
        },
        resources={"limits": {"cpu": "2"}, "requests": {"cpu": "1"}},
        schedulingGroup={"podGroupName": "pg-1"},
        topologySpreadConstraints=[
            {
                "maxSkew": 1,
                "topologyKey": "t",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {
                    "matchExpressions": [
                        {"key": "a", "operator": "Exists"},
                        {"key": "b", "operator": "DoesNotExist"},
                        {"key": "c", "operator": "NotIn", "values": ["z", "y"]},
                    ]
                },
                "matchLabelKeys": ["pod-template-hash"],
            },
            {
                "maxSkew": 3,
                "topologyKey": "u",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {},
            },
            {
                "maxSkew": 4,
                "topologyKey": "v",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]},
            },
        ],
        tolerations=[{"effect": "NoSchedule", "operator": "Exists"}, {"key": "k", "value": "v"}],
        volumes=[
            {
                "name": "v",
                "gitRepo": {"repository": "https://example.com/r.git", "revision": "main"},
            },
            {
                "name": "i",
                "iscsi": {
                    "targetPortal": "10.0.0.1:3260",
                    "iqn": "iqn.x",
                    "lun": 0,
                    "portals": ["a", "b"],
                    "secretRef": {"name": "chap"},
                },
            },
            {"name": "r", "rbd": {"monitors": ["m1", "m2"], "image": "img"}},
            {"name": "cf", "cephfs": {"monitors": ["m1"], "secretRef": {"name": "s"}}},
            {"name": "fc", "fc": {"targetWWNs": ["w1", "w2"], "lun": 2}},
            {"name": "fc2", "fc": {"wwids": ["x"]}},
            {"name": "fl", "flexVolume": {"driver": "d", "options": {"b": "2", "a": "1"}}},
            {
                "name": "az",
                "azureDisk": {
                    "diskName": "d",
                    "diskURI": "u",
                    "kind": "Managed",
                    "fsType": "xfs",
                    "cachingMode": "None",
                    "readOnly": True,
                },
            },
            {"name": "azf", "azureFile": {"secretName": "s", "shareName": "sh"}},
            {"name": "gce", "gcePersistentDisk": {"pdName": "p", "partition": 1}},
            {"name": "aws", "awsElasticBlockStore": {"volumeID": "vol"}},
            {"name": "gl", "glusterfs": {"endpoints": "e", "path": "p"}},
            {"name": "q", "quobyte": {"registry": "r", "volume": "v"}},
            {"name": "vs", "vsphereVolume": {"volumePath": "p"}},
            {"name": "ci", "cinder": {"volumeID": "v"}},
            {"name": "ph", "photonPersistentDisk": {"pdID": "p"}},
            {"name": "pw", "portworxVolume": {"volumeID": "v"}},
            {"name": "sio", "scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "x"}}},
            {"name": "so", "storageos": {"volumeName": "v"}},
            {"name": "flo", "flocker": {"datasetName": "d"}},
            {"name": "unk"},
            {
                "name": "eph",
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "metadata": {"annotations": {"x": "y"}},
                        "spec": {
                            "volumeName": "pv1",
                            "volumeMode": "Block",
                            "dataSource": {
                                "apiGroup": "snapshot.storage.k8s.io",
                                "kind": "VolumeSnapshot",
                                "name": "snap",
                            },
                        },
                    }
                },
            },
            {"name": "eph2", "ephemeral": {}},
            {
                "name": "proj",
                "projected": {
                    "sources": [
                        {"clusterTrustBundle": {"name": "b", "path": "p"}},
                        {"podCertificate": {"signerName": "x/y", "keyType": "RSA3072"}},
                    ]
                },
            },
        ],
    )


def simple(name: str, image: str = "busybox:1", **kwargs: Any) -> dict[str, Any]:
    return deployment(name, [{"name": "c", "image": image}], **kwargs)


def set_image(cl: Cluster, name: str, image: str, container: str = "c") -> None:
    ok(cl, "set", "image", f"deployment/{name}", f"{container}={image}")
    cl.settle()


def annotate(cl: Cluster, kind: str, name: str, *pairs: str) -> None:
    ok(cl, "annotate", kind, name, *pairs, "--overwrite")
    cl.settle()


def owned_rs_names(cl: Cluster, name: str) -> list[str]:
    """The Deployment's ReplicaSets, oldest revision first (read over HTTP)."""
    return [r.replica_set for r in fetch_history(cl, "default", name).revisions]


def build_crafted(cl: Cluster) -> None:
    # The spec's V1 vector, plain nginx: three revisions, no change-cause.
    apply(cl, nginx_deployment())
    set_image(cl, "nginx", "nginx:1.16", "nginx")
    set_image(cl, "nginx", "nginx:1.17", "nginx")

    # Every describe section; three revisions with change-causes (one copied stale).
    apply(cl, kitchen_sink())
    apply(cl, kitchen_sink("app:2"))
    apply(cl, kitchen_sink("app:2", log_level="debug"))
    apply(cl, edge_cases())

    # Change-causes the list's tabwriter must cope with.
    apply(cl, simple("causes", annotations={CHANGE_CAUSE: "tab\there"}))
    for i, cause in enumerate(
        ["esc \x1b[1mbold\x1b[0m cr\rx", "two\nlines", "vt\vx and ff\fy", "ünïcødé ✓"], start=2
    ):
        annotate(cl, "deployment", "causes", f"{CHANGE_CAUSE}={cause}")
        set_image(cl, "causes", f"busybox:{i}")

    # Revision numbers: long, unparsable, out of range, duplicated, missing, negative.
    apply(cl, simple("revs"))
    for i in range(2, 7):
        set_image(cl, "revs", f"busybox:{i}")
    rs = owned_rs_names(cl, "revs")  # revisions 1..6
    annotate(cl, "rs", rs[0], f"{REVISION}=123456789012")  # the new RS then becomes ...013
    annotate(cl, "rs", rs[1], f"{REVISION}=abc")
    annotate(cl, "rs", rs[2], f"{REVISION}=99999999999999999999")
    annotate(cl, "rs", rs[3], f"{REVISION}=-7")
    ok(cl, "annotate", "rs", rs[4], f"{REVISION}-")  # no annotation: revision 0
    cl.settle()
    apply(cl, simple("dups"))
    for i in range(2, 5):
        set_image(cl, "dups", f"busybox:{i}")
    rs = owned_rs_names(cl, "dups")
    annotate(cl, "rs", rs[0], f"{REVISION}=2")  # revisions 1 and 2 now both say 2
    annotate(cl, "rs", rs[2], f"{REVISION}=9")  # an old RS numbered above the current one

    # No history at all: created paused, the controller never makes a ReplicaSet.
    apply(cl, simple("paused", spec={"paused": True}))

    # A change-cause only inside the template: kubectl still lists it.
    apply(cl, simple("tcc", template_annotations={CHANGE_CAUSE: "from the template"}))

    # Cleanup by revisionHistoryLimit, then an undo that renumbers revision 4.
    apply(cl, simple("undo", spec={"revisionHistoryLimit": 2}))
    for i in range(2, 6):
        set_image(cl, "undo", f"busybox:{i}")
    ok(cl, "rollout", "undo", "deployment/undo", "--to-revision=4")
    cl.settle()

    # Another namespace.
    ok(cl, "create", "namespace", "team-a")
    apply(cl, simple("other", annotations={CHANGE_CAUSE: "first"}), namespace="team-a")
    ok(cl, "-n", "team-a", "set", "image", "deployment/other", "c=busybox:2")
    cl.settle()


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    sb, cl = start(tmp_path_factory.mktemp("demo"), "demo")
    try:
        cl.settle()
        yield cl
    finally:
        sb.stop()


@pytest.fixture(scope="module")
def crafted_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    sb, cl = start(tmp_path_factory.mktemp("crafted"), "empty")
    try:
        build_crafted(cl)
        yield cl
    finally:
        sb.stop()


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------


def test_every_demo_deployment_matches_kubectl(demo_cluster: Cluster) -> None:
    deployments = all_deployments(demo_cluster)
    assert len(deployments) >= 9
    problems: list[str] = []
    revisions = 0
    for namespace, name in deployments:
        history, found = mismatches(demo_cluster, namespace, name)
        problems += found
        revisions += len(history.revisions)
    assert not problems, "\n".join(problems)
    assert revisions >= 20


def test_every_crafted_deployment_matches_kubectl(crafted_cluster: Cluster) -> None:
    deployments = all_deployments(crafted_cluster)
    assert len(deployments) == 10
    problems: list[str] = []
    for namespace, name in deployments:
        problems += mismatches(crafted_cluster, namespace, name)[1]
    assert not problems, "\n".join(problems)


def test_v1_matches_the_spec_literally(crafted_cluster: Cluster) -> None:
    history = fetch_history(crafted_cluster, "default", "nginx")
    assert history.raw_text == history_text("nginx", [(1, None), (2, None), (3, None)])
    assert [r.images for r in history.revisions] == [
        ("nginx:1.14",),
        ("nginx:1.16",),
        ("nginx:1.17",),
    ]
    assert history.current_revision == 3
    assert [r.live for r in history.revisions] == [False, False, True]
    assert [r.replicas for r in history.revisions] == [0, 0, 3]
    assert history.revisions[-1].ready_replicas == 3


def test_kitchen_sink_revisions_and_labels(crafted_cluster: Cluster) -> None:
    history = fetch_history(crafted_cluster, "default", "sink")
    causes = [r.change_cause for r in history.revisions]
    # The third revision changed only the template; the Deployment kept its change-cause,
    # which the controller copied onto the new ReplicaSet (the stale-copy quirk, §1.5).
    assert causes == ["deploy app:1", "deploy app:2", "deploy app:2"]
    assert [r.label for r in history.revisions] == causes
    assert history.revisions[0].images == ("app:1", "worker:3")
    assert "Init Containers:" in history.text_for(1)


def test_revision_number_oddities(crafted_cluster: Cluster) -> None:
    history = fetch_history(crafted_cluster, "default", "revs")
    assert [r.number for r in history.revisions] == [-7, 0, 123456789012, 123456789013]
    assert history.current_revision == 123456789013
    assert len(history.warnings) == 2
    assert any('parsing "abc": invalid syntax' in w for w in history.warnings)
    assert any("value out of range" in w for w in history.warnings)
    assert "REVISION      CHANGE-CAUSE\n" in history.raw_text  # 12 digits + 2 padding

    code, _, err = run(crafted_cluster, "rollout", "history", "deployment/revs", "--revision=5")
    assert code == 1
    assert err.endswith(b"\nerror: unable to find the specified revision\n")  # after klog
    with pytest.raises(KeyError):
        history.text_for(5)


def test_duplicate_revisions_later_replica_set_wins(crafted_cluster: Cluster) -> None:
    history = fetch_history(crafted_cluster, "default", "dups")
    # The controller re-numbers the current ReplicaSet above the old 9, as a real one does.
    assert [r.number for r in history.revisions] == [2, 9, 10]
    # Both of the first two ReplicaSets say 2; kubectl iterates old ones by creation time,
    # so the younger (busybox:2) wins.
    assert history.revision(2) is not None
    assert history.revision(2).images == ("busybox:2",)  # type: ignore[union-attr]
    assert history.current_revision == 10


def test_empty_history(crafted_cluster: Cluster) -> None:
    history = fetch_history(crafted_cluster, "default", "paused")
    assert history.revisions == ()
    assert history.raw_text == "deployment.apps/paused \nNo rollout history found.\n"
    code, out, _ = run(crafted_cluster, "rollout", "history", "deployment/paused", "--revision=3")
    assert code == 0
    assert out.decode() == history.text_for(3)


def test_cleanup_and_undo_are_explained(crafted_cluster: Cluster) -> None:
    history = fetch_history(crafted_cluster, "default", "undo")
    assert [r.number for r in history.revisions] == [3, 5, 6]
    assert history.revision(6) is not None
    assert history.revision(6).previous_numbers == (4,)  # type: ignore[union-attr]
    assert history.current_revision == 6
    assert history.cleaned_up
    assert history.revision_history_limit == 2
    explanation = history.explanation or ""
    assert "revisionHistoryLimit is 2" in explanation
    assert "revision 6 was 4" in explanation


def test_template_change_cause_is_listed(crafted_cluster: Cluster) -> None:
    history = fetch_history(crafted_cluster, "default", "tcc")
    assert history.revisions[0].change_cause == "from the template"
    assert history.raw_text.endswith("1         from the template\n\n")
