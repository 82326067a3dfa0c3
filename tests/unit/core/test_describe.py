"""``core.describe``: kubectl's pod-template description, section by section.

Every expectation below is what kubectl 1.37.1 printed for the same template (the integration
suite ``tests/integration/kubernetes/test_history_matches_kubectl.py`` re-checks them against the
real binary). TABs are literal, as in kubectl's output.
"""

from __future__ import annotations

from typing import Any

import pytest

from kiops_desktop.core.describe import (
    describe_pod_template,
    describe_probe,
    escape_terminal,
    format_label_selector,
    format_quantity,
    go_quote,
)

CONTAINER = {"name": "c", "image": "img:1"}
TAIL = "  Volumes:\t<none>\n  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n"


def tpl(
    containers: list[dict[str, Any]] | None = None,
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": {"app": "x"} if labels is None else labels}
    if annotations is not None:
        meta["annotations"] = annotations
    return {
        "metadata": meta,
        "spec": {"containers": [CONTAINER] if containers is None else containers, **spec},
    }


def between(text: str, start: str, end: str | None) -> str:
    """The lines from the first one starting with ``start`` up to the next one starting with
    ``end`` (excluded; to the end when None)."""
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    if end is None:
        return "".join(lines[first:])
    last = next(i for i in range(first + 1, len(lines)) if lines[i].startswith(end))
    return "".join(lines[first:last])


def container_block(container: dict[str, Any]) -> str:
    """One container's lines (name line excluded), as kubectl prints them in a template."""
    text = describe_pod_template(tpl([{"name": "c", "image": "img:1", **container}]))
    return between(text, "    Image:", "  Volumes:")


def volume_block(volume: dict[str, Any]) -> str:
    text = describe_pod_template(tpl(volumes=[{"name": "v", **volume}]))
    return between(text, "   v:", "  Node-Selectors:")


# --------------------------------------------------------------------------------------------
# whole templates
# --------------------------------------------------------------------------------------------


def test_spec_example_with_injected_change_cause() -> None:
    template = {
        "metadata": {"labels": {"app": "nginx", "pod-template-hash": "5d59d67564"}},
        "spec": {
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx:1.16",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                }
            ]
        },
    }
    text = describe_pod_template(
        template, extra_annotations={"kubernetes.io/change-cause": "update to 1.16"}
    )
    assert text == (
        "Pod Template:\n"
        "  Labels:\tapp=nginx\n"
        "\tpod-template-hash=5d59d67564\n"
        "  Annotations:\tkubernetes.io/change-cause: update to 1.16\n"
        "  Containers:\n"
        "   nginx:\n"
        "    Image:\tnginx:1.16\n"
        "    Port:\t80/TCP\n"
        "    Host Port:\t0/TCP\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
        "  Volumes:\t<none>\n"
        "  Node-Selectors:\t<none>\n"
        "  Tolerations:\t<none>\n"
    )


def test_empty_template() -> None:
    assert describe_pod_template({}) == (
        "Pod Template:\n  Labels:\t<none>\n  Containers: <none>\n" + TAIL
    )


def test_section_order_and_optional_sections() -> None:
    template = tpl(
        labels={"app": "x", "tier": "db"},
        annotations={"a": "1"},
        serviceAccountName="builder",
        initContainers=[{"name": "init", "image": "init:1"}],
        volumes=[{"name": "v", "emptyDir": {}}],
        topologySpreadConstraints=[
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}
        ],
        priorityClassName="high",
        nodeSelector={"disk": "ssd", "arch": "arm64"},
        tolerations=[{"key": "k", "operator": "Exists"}],
        schedulingGroup={"podGroupName": "pg-1"},
    )
    assert describe_pod_template(template) == (
        "Pod Template:\n"
        "  Labels:\tapp=x\n"
        "\ttier=db\n"
        "  Annotations:\ta: 1\n"
        "  Service Account:\tbuilder\n"
        "  Init Containers:\n"
        "   init:\n"
        "    Image:\tinit:1\n"
        "    Port:\t<none>\n"
        "    Host Port:\t<none>\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
        "  Containers:\n"
        "   c:\n"
        "    Image:\timg:1\n"
        "    Port:\t<none>\n"
        "    Host Port:\t<none>\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
        "  Volumes:\n"
        "   v:\n"
        "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
        "    Medium:\t\n"
        "    SizeLimit:\t<unset>\n"
        "  Topology Spread Constraints:\tzone:DoNotSchedule when max skew 1 is exceeded\n"
        "  Priority Class Name:\thigh\n"
        "  Node-Selectors:\tarch=arm64\n"
        "\tdisk=ssd\n"
        "  Tolerations:\tk op=Exists\n"
        "  SchedulingGroup:\n"
        "  PodGroupName:\tpg-1\n"
    )


def test_no_containers_and_empty_service_account() -> None:
    text = describe_pod_template(tpl([], serviceAccountName=""))
    assert text == "Pod Template:\n  Labels:\tapp=x\n  Containers: <none>\n" + TAIL


# --------------------------------------------------------------------------------------------
# labels and annotations
# --------------------------------------------------------------------------------------------

K = "example.com/k"


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        pytest.param(None, None, id="absent: no section"),
        pytest.param({}, None, id="empty map: no section"),
        pytest.param(
            {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "  Annotations:\t<none>\n",
            id="only last-applied: <none>",
        ),
        pytest.param(
            {"b": "2", "a": "1", "kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "  Annotations:\ta: 1\n\tb: 2\n",
            id="sorted, continuation lines start with a tab",
        ),
        pytest.param(
            {K: "y" * (140 - len(K) - 2)},
            f"  Annotations:\t{K}: {'y' * 125}\n",
            id="exactly 140 stays on one line",
        ),
        pytest.param(
            {K: "y" * (141 - len(K) - 2)},
            f"  Annotations:\t{K}:\n\t  {'y' * 126}\n",
            id="141 is folded under the key",
        ),
        pytest.param(
            {"long": "x" * 150},
            "  Annotations:\tlong:\n\t  " + "x" * 138 + "...\n",
            id="each folded line cut to 138 plus ...",
        ),
        pytest.param(
            {"m": "line one\nline two\n", "n": "z"},
            "  Annotations:\tm:\n\t  line one\n\t  line two\n\tn: z\n",
            id="multi-line: trailing newline trimmed",
        ),
        pytest.param({"nl": "\n"}, "  Annotations:\tnl: \n", id="only a newline"),
        pytest.param({"t": "a\tb"}, "  Annotations:\tt: a\tb\n", id="tab kept"),
        pytest.param(
            {"esc": "a\x1b[31mred\rb"},
            "  Annotations:\tesc: a^[[31mred\\rb\n",
            id="ESC and CR escaped",
        ),
        pytest.param(
            {"u": "é" * 80},
            "  Annotations:\tu:\n\t  " + "é" * 69 + "...\n",
            id="length counts UTF-8 bytes",
        ),
    ],
)
def test_annotations(annotations: dict[str, str] | None, expected: str | None) -> None:
    text = describe_pod_template(tpl(annotations=annotations))
    if expected is None:
        assert "Annotations" not in text
    else:
        assert between(text, "  Annotations:", "  Containers:") == expected


def test_annotation_cut_inside_a_character_keeps_kubectls_bytes() -> None:
    text = describe_pod_template(tpl(annotations={"u": "a" + "é" * 80}))
    raw = text.encode("utf-8", "surrogateescape")
    # 138 bytes: "a" + 68 "é" (137 bytes) + the first byte of the next "é".
    assert b"\t  a" + "é".encode() * 68 + b"\xc3...\n" in raw


def test_extra_annotations_override_template_ones() -> None:
    text = describe_pod_template(
        tpl(annotations={"kubernetes.io/change-cause": "old", "z": "1"}),
        extra_annotations={"kubernetes.io/change-cause": "new"},
    )
    assert "  Annotations:\tkubernetes.io/change-cause: new\n\tz: 1\n" in text


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({}, "  Labels:\t<none>\n"),
        ({"app": "x"}, "  Labels:\tapp=x\n"),
        ({"b": "2", "a": "", "c/d": "3"}, "  Labels:\ta=\n\tb=2\n\tc/d=3\n"),
    ],
)
def test_labels(labels: dict[str, str], expected: str) -> None:
    text = describe_pod_template(tpl(labels=labels))
    assert between(text, "  Labels:", "  Containers:") == expected


# --------------------------------------------------------------------------------------------
# containers
# --------------------------------------------------------------------------------------------

PLAIN_TAIL = "    Environment:\t<none>\n    Mounts:\t<none>\n"


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        pytest.param(
            {}, "    Image:\timg:1\n    Port:\t<none>\n    Host Port:\t<none>\n", id="none"
        ),
        pytest.param(
            {"ports": [{"containerPort": 80, "protocol": "TCP"}]},
            "    Image:\timg:1\n    Port:\t80/TCP\n    Host Port:\t0/TCP\n",
            id="one",
        ),
        pytest.param(
            {"ports": [{"containerPort": 8080, "protocol": "TCP", "name": "http"}]},
            "    Image:\timg:1\n    Port:\t8080/TCP (http)\n    Host Port:\t0/TCP (http)\n",
            id="named (1.37)",
        ),
        pytest.param(
            {
                "ports": [
                    {"containerPort": 8080, "name": "http", "protocol": "TCP"},
                    {"containerPort": 9090, "protocol": "UDP", "hostPort": 9090},
                ]
            },
            "    Image:\timg:1\n"
            "    Ports:\t8080/TCP (http), 9090/UDP\n"
            "    Host Ports:\t0/TCP (http), 9090/UDP\n",
            id="several",
        ),
        pytest.param(
            {"ports": [{"containerPort": 80}]},
            "    Image:\timg:1\n    Port:\t80/\n    Host Port:\t0/\n",
            id="protocol not defaulted",
        ),
    ],
)
def test_ports(container: dict[str, Any], expected: str) -> None:
    assert container_block(container) == expected + PLAIN_TAIL


def test_seccomp_command_args_resources() -> None:
    block = container_block(
        {
            "securityContext": {
                "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/app.json"}
            },
            "command": ["sh", "-c", "echo one\necho two"],
            "args": ["--config=/etc/app\n/extra"],
            "resources": {
                "limits": {"memory": "1024Mi", "cpu": "1.5", "nvidia.com/gpu": 1},
                "requests": {"cpu": "250m", "memory": "0.5Gi", "ephemeral-storage": "1000M"},
            },
        }
    )
    assert block == (
        "    Image:\timg:1\n"
        "    Port:\t<none>\n"
        "    Host Port:\t<none>\n"
        "    SeccompProfile:\tLocalhost\n"
        "      LocalhostProfile:\tprofiles/app.json\n"
        "    Command:\n"
        "      sh\n"
        "      -c\n"
        "      echo one\n"
        "      echo two\n"
        "    Args:\n"
        "      --config=/etc/app\n"
        "      /extra\n"
        "    Limits:\n"
        "      cpu:\t1500m\n"
        "      memory:\t1Gi\n"
        "      nvidia.com/gpu:\t1\n"
        "    Requests:\n"
        "      cpu:\t250m\n"
        "      ephemeral-storage:\t1G\n"
        "      memory:\t512Mi\n" + PLAIN_TAIL
    )


def test_empty_resource_maps_print_nothing() -> None:
    block = container_block({"resources": {"limits": {}, "requests": {"cpu": "1"}}})
    assert "Limits" not in block
    assert "    Requests:\n      cpu:\t1\n" in block


ATTRS = "delay=0s timeout=1s period=10s successThreshold=1 failureThreshold=3"


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        pytest.param(
            {"exec": {"command": ["cat", "/tmp/ready"]}},
            f"exec [cat /tmp/ready] {ATTRS}",
            id="exec",
        ),
        pytest.param({"exec": {}}, f"exec [] {ATTRS}", id="exec without command"),
        pytest.param(
            {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}},
            f"http-get http://:8080/healthz {ATTRS}",
            id="http",
        ),
        pytest.param(
            {"httpGet": {"path": "/health z?x=1", "port": "http", "scheme": "HTTPS", "host": "h"}},
            f"http-get https://h:http/health%20z%3Fx=1 {ATTRS}",
            id="http: named port, host, path escaped",
        ),
        pytest.param(
            {"httpGet": {"port": 80, "host": "::1", "path": "x/y", "scheme": ""}},
            f"http-get //[::1]:80/x/y {ATTRS}",
            id="http: IPv6 host, relative path, no scheme",
        ),
        pytest.param(
            {"httpGet": {"port": "web", "path": "*", "scheme": "HTTP"}},
            f"http-get http://:web/* {ATTRS}",
            id="http: asterisk path",
        ),
        pytest.param({"tcpSocket": {"port": 8080}}, f"tcp-socket :8080 {ATTRS}", id="tcp"),
        pytest.param(
            {"tcpSocket": {"port": "db", "host": "10.0.0.1"}},
            f"tcp-socket 10.0.0.1:db {ATTRS}",
            id="tcp: named port and host",
        ),
        pytest.param(
            {"grpc": {"port": 9000, "service": ""}}, f"grpc <pod>:9000  {ATTRS}", id="grpc"
        ),
        pytest.param(
            {"grpc": {"port": 9000, "service": "health"}},
            f"grpc <pod>:9000 health {ATTRS}",
            id="grpc with service",
        ),
        pytest.param({}, f"unknown {ATTRS}", id="no handler"),
    ],
)
def test_probe_handlers(probe: dict[str, Any], expected: str) -> None:
    defaults = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1}
    assert describe_probe({**defaults, "failureThreshold": 3, **probe}) == expected


def test_probe_attributes_and_kinds() -> None:
    block = container_block(
        {
            "livenessProbe": {"tcpSocket": {"port": 1}, "initialDelaySeconds": 5},
            "readinessProbe": {"tcpSocket": {"port": 2}, "periodSeconds": 3, "timeoutSeconds": 2},
            "startupProbe": {"tcpSocket": {"port": 3}, "failureThreshold": 30},
        }
    )
    assert (
        "    Liveness:\ttcp-socket :1 delay=5s timeout=0s period=0s successThreshold=0 "
        "failureThreshold=0\n"
        "    Readiness:\ttcp-socket :2 delay=0s timeout=2s period=3s successThreshold=0 "
        "failureThreshold=0\n"
        "    Startup:\ttcp-socket :3 delay=0s timeout=0s period=0s successThreshold=0 "
        "failureThreshold=30\n"
    ) in block


def test_environment() -> None:
    block = container_block(
        {
            "resources": {
                "limits": {"cpu": "1.5", "memory": "1Gi"},
                "requests": {"memory": "512Mi"},
            },
            "envFrom": [
                {"configMapRef": {"name": "app-config"}},
                {"secretRef": {"name": "app-secret", "optional": True}, "prefix": "SEC_"},
                {"prefix": "X_"},
            ],
            "env": [
                {"name": "PLAIN", "value": "hello"},
                {"name": "MULTI", "value": "first\nsecond"},
                {"name": "EMPTY"},
                {
                    "name": "POD",
                    "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
                },
                {
                    "name": "CPU",
                    "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}},
                },
                {"name": "CPU1", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
                {"name": "REQ", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu"}}},
                {
                    "name": "MEM",
                    "valueFrom": {
                        "resourceFieldRef": {"resource": "requests.memory", "divisor": "1Mi"}
                    },
                },
                {
                    "name": "MEML",
                    "valueFrom": {
                        "resourceFieldRef": {"resource": "limits.memory", "divisor": "3"}
                    },
                },
                {
                    "name": "ES",
                    "valueFrom": {"resourceFieldRef": {"resource": "limits.ephemeral-storage"}},
                },
                {"name": "BAD", "valueFrom": {"resourceFieldRef": {"resource": "limits.foo"}}},
                {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                {
                    "name": "TOK",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "t", "optional": True}},
                },
                {
                    "name": "COL",
                    "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "c", "optional": False}},
                },
                {"name": "FILE", "valueFrom": {"fileKeyRef": {"path": "a.env", "key": "K"}}},
            ],
        }
    )
    assert between(block, "    Environment Variables from:", "    Mounts:") == (
        "    Environment Variables from:\n"
        "      app-config\tConfigMap\tOptional: false\n"
        "      app-secret\tSecret with prefix 'SEC_'\tOptional: true\n"
        "      \t with prefix 'X_'\tOptional: false\n"
        "    Environment:\n"
        "      PLAIN:\thello\n"
        "      MULTI:\tfirst\n"
        "      \tsecond\n"
        "      EMPTY:\t\n"
        "      POD:\t (v1:metadata.name)\n"
        "      CPU:\t1500 (limits.cpu)\n"
        "      CPU1:\t2 (limits.cpu)\n"
        "      REQ:\t0 (requests.cpu)\n"
        "      MEM:\t512 (requests.memory)\n"
        "      MEML:\t357913942 (limits.memory)\n"
        # only limits.cpu / limits.memory read "node allocatable" when unset
        "      ES:\t0 (limits.ephemeral-storage)\n"
        "      BAD:\t (limits.foo)\n"
        "      PW:\t<set to the key 'pw' in secret 'db'>\tOptional: false\n"
        "      TOK:\t<set to the key 't' in secret 'db'>\tOptional: true\n"
        "      COL:\t<set to the key 'c' of config map 'cm'>\tOptional: false\n"
    )


def test_missing_cpu_and_memory_limits_read_node_allocatable() -> None:
    block = container_block(
        {
            "env": [
                {"name": "C", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
                {"name": "M", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
            ]
        }
    )
    assert (
        "      C:\tnode allocatable (limits.cpu)\n      M:\tnode allocatable (limits.memory)\n"
        in block
    )


def test_hugepages_resource_field() -> None:
    block = container_block(
        {
            "resources": {"requests": {"hugepages-2Mi": "4Mi"}},
            "env": [
                {
                    "name": "HP",
                    "valueFrom": {
                        "resourceFieldRef": {"resource": "requests.hugepages-2Mi", "divisor": "1Ki"}
                    },
                }
            ],
        }
    )
    assert "      HP:\t4096 (requests.hugepages-2Mi)\n" in block


def test_mounts_and_devices() -> None:
    block = container_block(
        {
            "volumeMounts": [
                {"name": "data", "mountPath": "/var/data"},
                {"name": "config", "mountPath": "/etc/app", "readOnly": True},
                {"name": "config", "mountPath": "/etc/app.d/one", "subPath": 'one "q".conf'},
                {"name": "cache", "mountPath": "/cache", "subPathExpr": "$(POD)"},
            ],
            "volumeDevices": [
                {"name": "b2", "devicePath": "/dev/xvdb"},
                {"name": "b1", "devicePath": "/dev/xvda"},
            ],
        }
    )
    assert between(block, "    Mounts:", None) == (
        "    Mounts:\n"
        "      /cache from cache (rw)\n"
        "      /etc/app from config (ro)\n"
        '      /etc/app.d/one from config (rw,path="one \\"q\\".conf")\n'
        "      /var/data from data (rw)\n"
        "    Devices:\n"
        "      /dev/xvda from b1\n"
        "      /dev/xvdb from b2\n"
    )


def test_devices_without_mounts_reuse_the_none_suffix() -> None:
    block = container_block({"volumeDevices": [{"name": "b", "devicePath": "/dev/xvda"}]})
    assert block.endswith("    Mounts:\t<none>\n    Devices:\t<none>\n      /dev/xvda from b\n")


def test_init_container_names_and_sidecars() -> None:
    text = describe_pod_template(
        tpl(
            initContainers=[
                {"name": "sidecar", "image": "proxy:2", "restartPolicy": "Always"},
            ]
        )
    )
    assert between(text, "  Init Containers:", "  Containers:") == (
        "  Init Containers:\n"
        "   sidecar:\n"
        "    Image:\tproxy:2\n"
        "    Port:\t<none>\n"
        "    Host Port:\t<none>\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
    )


# --------------------------------------------------------------------------------------------
# volumes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        pytest.param(
            {"emptyDir": {"medium": "Memory", "sizeLimit": "512Mi"}},
            "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
            "    Medium:\tMemory\n"
            "    SizeLimit:\t512Mi\n",
            id="emptyDir",
        ),
        pytest.param(
            {"emptyDir": {"sizeLimit": "0"}},
            "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
            "    Medium:\t\n"
            "    SizeLimit:\t<unset>\n",
            id="emptyDir with zero limit",
        ),
        pytest.param(
            {"configMap": {"name": "cfg", "optional": True, "defaultMode": 420}},
            "    Type:\tConfigMap (a volume populated by a ConfigMap)\n"
            "    Name:\tcfg\n"
            "    Optional:\ttrue\n",
            id="configMap",
        ),
        pytest.param(
            {"secret": {"secretName": "s"}},
            "    Type:\tSecret (a volume populated by a Secret)\n"
            "    SecretName:\ts\n"
            "    Optional:\tfalse\n",
            id="secret",
        ),
        pytest.param(
            {"persistentVolumeClaim": {"claimName": "data", "readOnly": True}},
            "    Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
            "namespace)\n"
            "    ClaimName:\tdata\n"
            "    ReadOnly:\ttrue\n",
            id="pvc",
        ),
        pytest.param(
            {"hostPath": {"path": "/var/log", "type": "Directory"}},
            "    Type:\tHostPath (bare host directory volume)\n"
            "    Path:\t/var/log\n"
            "    HostPathType:\tDirectory\n",
            id="hostPath",
        ),
        pytest.param(
            {"hostPath": {"path": "/tmp"}},
            "    Type:\tHostPath (bare host directory volume)\n"
            "    Path:\t/tmp\n"
            "    HostPathType:\t<none>\n",
            id="hostPath without type",
        ),
        pytest.param(
            {
                "projected": {
                    "sources": [
                        {"secret": {"name": "s1"}},
                        {"configMap": {"name": "c1", "optional": True}},
                        {"downwardAPI": {"items": []}},
                        {"serviceAccountToken": {"path": "t", "expirationSeconds": 7200}},
                        {"clusterTrustBundle": {"name": "b", "path": "p"}},
                    ]
                }
            },
            "    Type:\tProjected (a volume that contains injected data from multiple sources)\n"
            "    SecretName:\ts1\n"
            "    Optional:\tfalse\n"
            "    ConfigMapName:\tc1\n"
            "    Optional:\ttrue\n"
            "    DownwardAPI:\ttrue\n"
            "    TokenExpirationSeconds:\t7200\n",
            id="projected",
        ),
        pytest.param(
            {
                "downwardAPI": {
                    "items": [
                        {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                        {"path": "cpu", "resourceFieldRef": {"resource": "limits.cpu"}},
                    ]
                }
            },
            "    Type:\tDownwardAPI (a volume populated by information about the pod)\n"
            "    Items:\n"
            "      metadata.name -> name\n"
            "      limits.cpu -> cpu\n",
            id="downwardAPI",
        ),
        pytest.param(
            {"csi": {"driver": "d", "readOnly": True, "volumeAttributes": {"z": "2", "a": "1"}}},
            "    Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
            "    Driver:\td\n"
            "    FSType:\t\n"
            "    ReadOnly:\ttrue\n"
            "    VolumeAttributes:\t    a=1\n"
            "        \t    z=2\n",
            id="csi (kubectl's odd indentation)",
        ),
        pytest.param(
            {"csi": {"driver": "d"}},
            "    Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
            "    Driver:\td\n"
            "    FSType:\t\n"
            "    ReadOnly:\tfalse\n"
            "    VolumeAttributes:\t<none>\n",
            id="csi without attributes",
        ),
        pytest.param(
            {"nfs": {"server": "nfs", "path": "/exports"}},
            "    Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n"
            "    Server:\tnfs\n"
            "    Path:\t/exports\n"
            "    ReadOnly:\tfalse\n",
            id="nfs",
        ),
        pytest.param(
            {"image": {"reference": "r/data:1", "pullPolicy": "IfNotPresent"}},
            "    Type:\tImage (a container image or OCI artifact)\n"
            "    Reference:\tr/data:1\n"
            "    PullPolicy:\tIfNotPresent\n",
            id="image",
        ),
        pytest.param(
            {
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "metadata": {"labels": {"a": "b", "c": "d"}},
                        "spec": {"storageClassName": "fast"},
                    }
                }
            },
            "    Type:\tEphemeralVolume (an inline specification for a volume that gets created "
            "and deleted with the pod)\n"
            "    StorageClass:\tfast\n"
            "    Volume:\t\n"
            "    Labels:\t    a=b\n"
            "        \t    c=d\n"
            "    Annotations:\t    <none>\n"
            "    Capacity:\t\n"
            "    Access Modes:\t\n",
            id="ephemeral (nested writer quirks)",
        ),
        pytest.param(
            {
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "metadata": {"annotations": {"x": "y"}},
                        "spec": {
                            "volumeName": "pv1",
                            "volumeMode": "Block",
                            "dataSource": {"apiGroup": "g", "kind": "VolumeSnapshot", "name": "s"},
                        },
                    }
                }
            },
            "    Type:\tEphemeralVolume (an inline specification for a volume that gets created "
            "and deleted with the pod)\n"
            "    StorageClass:\t\n"
            "    Volume:\tpv1\n"
            "    Labels:\t    <none>\n"
            "    Annotations:\t    x: y\n"
            "    Capacity:\t0\n"
            "    Access Modes:\t\n"
            "    VolumeMode:\tBlock\n"
            "    DataSource:\n"
            "      APIGroup:\tg\n"
            "      Kind:\tVolumeSnapshot\n"
            "      Name:\ts\n",
            id="ephemeral bound, with data source",
        ),
        pytest.param(
            {"ephemeral": {}},
            "    Type:\tEphemeralVolume (an inline specification for a volume that gets created "
            "and deleted with the pod)\n",
            id="ephemeral without template",
        ),
        pytest.param(
            {"gitRepo": {"repository": "https://e/r.git", "revision": "main"}},
            "    Type:\tGitRepo (a volume that is pulled from git when the pod is created)\n"
            "    Repository:\thttps://e/r.git\n"
            "    Revision:\tmain\n",
            id="gitRepo",
        ),
        pytest.param(
            {
                "iscsi": {
                    "targetPortal": "10.0.0.1:3260",
                    "iqn": "iqn.x",
                    "lun": 0,
                    "portals": ["a", "b"],
                    "secretRef": {"name": "chap"},
                }
            },
            "    Type:\tISCSI (an ISCSI Disk resource that is attached to a kubelet's host machine "
            "and then exposed to the pod)\n"
            "    TargetPortal:\t10.0.0.1:3260\n"
            "    IQN:\tiqn.x\n"
            "    Lun:\t0\n"
            "    ISCSIInterface\t\n"
            "    FSType:\t\n"
            "    ReadOnly:\tfalse\n"
            "    Portals:\t[a b]\n"
            "    DiscoveryCHAPAuth:\tfalse\n"
            "    SessionCHAPAuth:\tfalse\n"
            "    SecretRef:\t&LocalObjectReference{Name:chap,}\n"
            "    InitiatorName:\t<none>\n",
            id="iscsi",
        ),
        pytest.param(
            {"rbd": {"monitors": ["m1", "m2"], "image": "img"}},
            "    Type:\tRBD (a Rados Block Device mount on the host that shares a pod's lifetime)\n"
            "    CephMonitors:\t[m1 m2]\n"
            "    RBDImage:\timg\n"
            "    FSType:\t\n"
            "    RBDPool:\t\n"
            "    RadosUser:\t\n"
            "    Keyring:\t\n"
            "    SecretRef:\tnil\n"
            "    ReadOnly:\tfalse\n",
            id="rbd",
        ),
        pytest.param(
            {"fc": {"wwids": ["x"]}},
            "    Type:\tFC (a Fibre Channel disk)\n"
            "    TargetWWNs:\t\n"
            "    LUN:\t<none>\n"
            "    FSType:\t\n"
            "    ReadOnly:\tfalse\n",
            id="fc without lun",
        ),
        pytest.param(
            {"flexVolume": {"driver": "d", "options": {"b": "2", "a": "1"}}},
            "    Type:\tFlexVolume (a generic volume resource that is provisioned/attached using an "
            "exec based plugin)\n"
            "    Driver:\td\n"
            "    FSType:\t\n"
            "    SecretRef:\tnil\n"
            "    ReadOnly:\tfalse\n"
            "    Options:\tmap[a:1 b:2]\n",
            id="flexVolume",
        ),
        pytest.param(
            {"azureDisk": {"diskName": "d", "diskURI": "u", "kind": "Managed", "readOnly": True}},
            "    Type:\tAzureDisk (an Azure Data Disk mount on the host and bind mount to the pod)\n"
            "    DiskName:\td\n"
            "    DiskURI:\tu\n"
            "    Kind: \tManaged\n"
            "    FSType:\text4\n"
            "    CachingMode:\tReadWrite\n"
            "    ReadOnly:\ttrue\n",
            id="azureDisk (defaults filled in)",
        ),
        pytest.param({}, "  <unknown>\n", id="unknown source"),
        pytest.param(
            {"secret": None, "configMap": {"name": "c"}},
            "    Type:\tConfigMap (a volume populated by a ConfigMap)\n"
            "    Name:\tc\n"
            "    Optional:\tfalse\n",
            id="null source is absent",
        ),
        pytest.param(
            {"hostPath": {"path": "/a"}, "emptyDir": {}},
            "    Type:\tHostPath (bare host directory volume)\n"
            "    Path:\t/a\n"
            "    HostPathType:\t<none>\n",
            id="first source in kubectl's order wins",
        ),
    ],
)
def test_volumes(volume: dict[str, Any], expected: str) -> None:
    assert volume_block(volume) == "   v:\n" + expected


# --------------------------------------------------------------------------------------------
# scheduling
# --------------------------------------------------------------------------------------------


def test_topology_spread_constraints() -> None:
    text = describe_pod_template(
        tpl(
            topologySpreadConstraints=[
                {
                    "maxSkew": 1,
                    "topologyKey": "zone",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {
                        "matchLabels": {"app": "x"},
                        "matchExpressions": [
                            {"key": "tier", "operator": "In", "values": ["web", "backend"]}
                        ],
                    },
                },
                {"maxSkew": 2, "topologyKey": "host", "whenUnsatisfiable": "ScheduleAnyway"},
                {
                    "maxSkew": 3,
                    "topologyKey": "u",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {},
                },
            ]
        )
    )
    assert between(text, "  Topology", "  Node-Selectors:") == (
        "  Topology Spread Constraints:\thost:ScheduleAnyway when max skew 2 is exceeded\n"
        "  \tu:DoNotSchedule when max skew 3 is exceeded for selector <none>\n"
        "  \tzone:DoNotSchedule when max skew 1 is exceeded for selector app=x,tier in "
        "(backend,web)\n"
    )


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, "<none>"),
        ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
        (
            {
                "matchExpressions": [
                    {"key": "a", "operator": "Exists"},
                    {"key": "b", "operator": "DoesNotExist"},
                    {"key": "c", "operator": "NotIn", "values": ["z", "y"]},
                ]
            },
            "a,!b,c notin (y,z)",
        ),
        ({"matchExpressions": [{"key": "a", "operator": "In"}]}, "<error>"),
        ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}, "<error>"),
        ({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}, "<error>"),
        ({"matchLabels": {"bad key!": "x"}}, "<error>"),
    ],
)
def test_format_label_selector(selector: dict[str, Any], expected: str) -> None:
    assert format_label_selector(selector) == expected


def test_tolerations() -> None:
    text = describe_pod_template(
        tpl(
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
                {"effect": "NoSchedule", "operator": "Exists"},
                {"key": "k", "value": "v"},
            ]
        )
    )
    assert between(text, "  Tolerations:", None) == (
        "  Tolerations:\top=Exists\n"
        "\t:NoSchedule op=Exists\n"
        "\tdedicated=db:NoSchedule\n"
        "\tgpu op=Exists\n"
        "\tk=v\n"
        "\tnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
    )


# --------------------------------------------------------------------------------------------
# Go value formatting
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", "0"),
        ("0m", "0"),
        ("100m", "100m"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("1000m", "1"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("8Ki", "8Ki"),
        ("1536Ki", "1536Ki"),
        ("512", "512"),
        ("1000M", "1G"),
        ("12e6", "12e6"),  # exponent forms Go deems canonical keep their text
        ("1E3", "1E3"),
        ("5e-3", "5e-3"),
        ("1000e0", "1e3"),  # ... the others are re-rendered, still with an exponent
        ("0.5e3", "500"),
        (0.005, "5m"),  # a JSON number is parsed from its text
        ("0.1m", "100u"),
        ("100000000000k", "100T"),
        ("+1", "+1"),  # already canonical by Go's check: the input text is kept
        ("1.500", "1.500"),  # idem
        ("-1.5", "-1500m"),
        (1, "1"),
        (2048, "2048"),
        (0.5, "500m"),
        ("not-a-quantity", "not-a-quantity"),
    ],
)
def test_format_quantity(raw: Any, expected: str) -> None:
    assert format_quantity(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", '"plain"'),
        ('a "b" \\c', '"a \\"b\\" \\\\c"'),
        ("tab\tnl\n", '"tab\\tnl\\n"'),
        ("\x01\x7f", '"\\x01\\x7f"'),
        ("é✓", '"é✓"'),
        ("\u200b", '"\\u200b"'),
        ("\U000e0001", '"\\U000e0001"'),
    ],
)
def test_go_quote(text: str, expected: str) -> None:
    assert go_quote(text) == expected


def test_escape_terminal() -> None:
    assert escape_terminal("a\x1b[0m\r\nb") == "a^[[0m\\r\nb"
