# The client's models type every field Optional; these tests read fields of objects the server
# just returned, and pass dict bodies (which the client accepts, spec §7).
# mypy: disable-error-code="union-attr, index, arg-type"
"""The official ``kubernetes`` Python client (37.x) against the sandbox over HTTPS with a
token (spec §7): lists, reads, strategic-merge and JSON patches, watches, server dry-run, and
certificate verification."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from .conftest import Cluster, nginx_deployment

pytestmark = pytest.mark.integration

TOKEN = "py-client-token"


@pytest.fixture
def tls_cluster(cluster: Callable[..., Cluster]) -> Cluster:
    cl = cluster(tls=True, token=TOKEN)
    assert cl.sb.url.startswith("https://127.0.0.1:")
    assert cl.sb.ca_pem is not None
    assert cl.sb.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    return cl


def make_api_client(cl: Cluster, *, ca: bool = True, token: str = TOKEN) -> client.ApiClient:
    cfg = client.Configuration()
    cfg.host = cl.sb.url
    cfg.verify_ssl = True
    if ca:
        ca_path = cl.workdir / "client-ca.pem"
        assert cl.sb.ca_pem is not None
        ca_path.write_bytes(cl.sb.ca_pem)
        cfg.ssl_ca_cert = str(ca_path)
    cfg.api_key = {"authorization": token}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    cfg.retries = False
    cfg.proxy = None
    return client.ApiClient(cfg)


@pytest.fixture
def api(tls_cluster: Cluster) -> Iterator[client.ApiClient]:
    api_client = make_api_client(tls_cluster)
    yield api_client
    api_client.close()


def create_nginx(api_client: client.ApiClient, cl: Cluster, replicas: int = 2) -> Any:
    apps = client.AppsV1Api(api_client)
    dep = apps.create_namespaced_deployment("default", nginx_deployment(replicas=replicas))
    cl.settle()
    return dep


def test_lists_and_reads(tls_cluster: Cluster, api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    namespaces = core.list_namespace()
    assert [n.metadata.name for n in namespaces.items] == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]
    assert all(n.status.phase == "Active" for n in namespaces.items)
    created = create_nginx(api, tls_cluster, replicas=2)
    assert created.metadata.generation == 1
    assert created.spec.template.spec.containers[0].image == "nginx:1.14"

    deps = apps.list_namespaced_deployment("default")
    assert [d.metadata.name for d in deps.items] == ["nginx"]
    assert deps.metadata.resource_version
    assert [d.metadata.name for d in apps.list_deployment_for_all_namespaces().items] == ["nginx"]
    pods = core.list_namespaced_pod("default", label_selector="app=nginx")
    assert len(pods.items) == 2
    assert all(p.status.phase == "Running" for p in pods.items)
    rs = apps.list_namespaced_replica_set("default", label_selector="app=nginx")
    assert len(rs.items) == 1
    assert rs.items[0].metadata.owner_references[0].uid == created.metadata.uid

    dep = apps.read_namespaced_deployment("nginx", "default")
    assert dep.metadata.uid == created.metadata.uid
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert dep.status.ready_replicas == 2
    assert dep.spec.strategy.rolling_update.max_surge == "25%"
    with pytest.raises(ApiException) as err:
        apps.read_namespaced_deployment("nope", "default")
    assert err.value.status == 404


def test_strategic_merge_and_json_patch(tls_cluster: Cluster, api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    create_nginx(api, tls_cluster, replicas=2)

    # a dict body is sent as strategic-merge-patch: containers merge by name
    patched = apps.patch_namespaced_deployment(
        "nginx",
        "default",
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.16"}]}}
            }
        },
    )
    containers = patched.spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("nginx", "nginx:1.16")]
    assert containers[0].ports[0].container_port == 80  # kept by the merge
    assert patched.metadata.generation == 2
    tls_cluster.settle()
    assert (
        apps.read_namespaced_deployment("nginx", "default").metadata.annotations[
            "deployment.kubernetes.io/revision"
        ]
        == "2"
    )

    # a list body is a JSON patch, including a passing 'test' op
    patched = apps.patch_namespaced_deployment(
        "nginx",
        "default",
        [
            {"op": "test", "path": "/spec/replicas", "value": 2},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/metadata/labels", "value": {"team": "a/b"}},
            {"op": "add", "path": "/metadata/annotations/x~1y", "value": "slash"},
        ],
    )
    assert patched.spec.replicas == 3
    assert patched.metadata.labels == {"team": "a/b"}
    assert patched.metadata.annotations["x/y"] == "slash"
    tls_cluster.settle()  # the controller scales up and writes status
    rv = apps.read_namespaced_deployment("nginx", "default").metadata.resource_version

    # a failing 'test' op rejects the whole patch with 422 and changes nothing
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment(
            "nginx",
            "default",
            [
                {"op": "test", "path": "/spec/replicas", "value": 99},
                {"op": "replace", "path": "/spec/replicas", "value": 5},
            ],
        )
    assert err.value.status == 422
    # replace on a missing path is an error too
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment(
            "nginx", "default", [{"op": "replace", "path": "/spec/nosuch/field", "value": 1}]
        )
    assert err.value.status == 422
    current = apps.read_namespaced_deployment("nginx", "default")
    assert current.spec.replicas == 3
    assert current.metadata.resource_version == rv

    # merge patch, explicitly
    patched = apps.patch_namespaced_deployment(
        "nginx",
        "default",
        {"metadata": {"labels": {"team": None, "tier": "web"}}},
        _content_type="application/merge-patch+json",
    )
    assert patched.metadata.labels == {"tier": "web"}
    tls_cluster.settle()
    assert len(client.CoreV1Api(api).list_namespaced_pod("default").items) == 3


def test_undo_like_json_patch(tls_cluster: Cluster, api: client.ApiClient) -> None:
    """The desktop app's rollback: two 'replace' ops exactly as kubectl sends them."""
    apps = client.AppsV1Api(api)
    create_nginx(api, tls_cluster, replicas=1)
    apps.patch_namespaced_deployment(
        "nginx",
        "default",
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.16"}]}}
            }
        },
    )
    tls_cluster.settle()
    rs_list = apps.list_namespaced_replica_set("default", label_selector="app=nginx").items
    old = next(
        rs for rs in rs_list if rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    )
    template = api.sanitize_for_serialization(old.spec.template)
    del template["metadata"]["labels"]["pod-template-hash"]
    dep = apps.read_namespaced_deployment("nginx", "default")
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": {
                "deployment.kubernetes.io/revision": dep.metadata.annotations[
                    "deployment.kubernetes.io/revision"
                ]
            },
        },
    ]
    patched = apps.patch_namespaced_deployment("nginx", "default", patch)
    assert patched.spec.template.spec.containers[0].image == "nginx:1.14"
    assert patched.metadata.generation == 3
    tls_cluster.settle()
    rs_by_name = {
        rs.metadata.name: rs
        for rs in apps.list_namespaced_replica_set("default", label_selector="app=nginx").items
    }
    reused = rs_by_name[old.metadata.name]
    assert reused.metadata.annotations["deployment.kubernetes.io/revision"] == "3"
    assert reused.metadata.annotations["deployment.kubernetes.io/revision-history"] == "1"
    assert reused.spec.replicas == 1


def test_watch_added_then_modified(tls_cluster: Cluster, api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    create_nginx(api, tls_cluster, replicas=1)
    w = watch.Watch()
    seen: list[tuple[str, str, int]] = []
    patched = False
    for event in w.stream(
        apps.list_namespaced_deployment,
        "default",
        timeout_seconds=20,
        _request_timeout=30,
    ):
        if event["type"] == "BOOKMARK":
            continue
        obj = event["object"]
        seen.append((event["type"], obj.metadata.name, obj.spec.replicas))
        if not patched:
            assert seen == [("ADDED", "nginx", 1)]
            apps.patch_namespaced_deployment("nginx", "default", {"spec": {"replicas": 2}})
            patched = True
        elif event["type"] == "MODIFIED" and obj.spec.replicas == 2:
            w.stop()
    assert seen[0] == ("ADDED", "nginx", 1)
    assert ("MODIFIED", "nginx", 2) in seen
    assert {t for t, _, _ in seen[1:]} == {"MODIFIED"}


def test_watch_pods_of_a_rollout(tls_cluster: Cluster, api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    rv = core.list_namespaced_pod("default").metadata.resource_version
    result: dict[str, list[str]] = {"added": [], "running": []}

    def watcher() -> None:
        w = watch.Watch()
        for event in w.stream(
            core.list_namespaced_pod,
            "default",
            resource_version=rv,
            timeout_seconds=20,
            _request_timeout=30,
        ):
            pod = event["object"]
            if event["type"] == "ADDED":
                result["added"].append(pod.metadata.name)
            if (
                pod.status
                and pod.status.phase == "Running"
                and pod.metadata.name not in (result["running"])
            ):
                result["running"].append(pod.metadata.name)
            if len(result["running"]) == 2:
                w.stop()

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    apps.create_namespaced_deployment("default", nginx_deployment(replicas=2))
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(result["added"]) == 2
    assert sorted(result["running"]) == sorted(result["added"])


def test_server_dry_run_changes_nothing(tls_cluster: Cluster, api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    create_nginx(api, tls_cluster, replicas=2)
    before = apps.read_namespaced_deployment("nginx", "default")

    dry = apps.patch_namespaced_deployment(
        "nginx", "default", {"spec": {"replicas": 5}}, dry_run="All"
    )
    assert dry.spec.replicas == 5
    dry = apps.patch_namespaced_deployment(
        "nginx",
        "default",
        [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "x:1"}],
        dry_run="All",
    )
    assert dry.spec.template.spec.containers[0].image == "x:1"
    dry_created = apps.create_namespaced_deployment(
        "default", nginx_deployment("ghost", replicas=1), dry_run="All"
    )
    assert dry_created.metadata.name == "ghost"
    core.create_namespace({"metadata": {"name": "ghost-ns"}}, dry_run="All")
    apps.delete_namespaced_deployment("nginx", "default", dry_run="All")
    tls_cluster.settle()

    after = apps.read_namespaced_deployment("nginx", "default")
    assert after.metadata.resource_version == before.metadata.resource_version
    assert after.metadata.generation == before.metadata.generation
    assert after.spec.replicas == 2
    assert after.spec.template.spec.containers[0].image == "nginx:1.14"
    with pytest.raises(ApiException) as err:
        apps.read_namespaced_deployment("ghost", "default")
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        core.read_namespace("ghost-ns")
    assert err.value.status == 404
    assert len(core.list_namespaced_pod("default").items) == 2
    assert len(apps.list_namespaced_replica_set("default").items) == 1


def test_kubeconfig_loads_with_the_official_loader(tls_cluster: Cluster) -> None:
    api_client = config.new_client_from_config(config_file=str(tls_cluster.kubeconfig))
    try:
        names = [n.metadata.name for n in client.CoreV1Api(api_client).list_namespace().items]
        assert "default" in names
        _contexts, active = config.list_kube_config_contexts(str(tls_cluster.kubeconfig))
        assert active["name"] == "kiops-sandbox"
        assert active["context"]["namespace"] == "default"
        assert api_client.configuration.host == tls_cluster.sb.url
    finally:
        api_client.close()


def test_wrong_token_is_rejected(tls_cluster: Cluster) -> None:
    api_client = make_api_client(tls_cluster, token="wrong")
    try:
        with pytest.raises(ApiException) as err:
            client.CoreV1Api(api_client).list_namespace()
        assert err.value.status == 401
    finally:
        api_client.close()


def test_tls_verification_is_on(tls_cluster: Cluster, tmp_path: Path) -> None:
    # with the CA: fine
    api_client = make_api_client(tls_cluster, ca=True)
    try:
        assert client.CoreV1Api(api_client).list_namespace().items
    finally:
        api_client.close()
    # without the CA the server certificate is not trusted
    api_client = make_api_client(tls_cluster, ca=False)
    try:
        # kubernetes 37.x wraps urllib3's SSLError into ApiException(status=0)
        with pytest.raises(ApiException) as err:
            client.CoreV1Api(api_client).list_namespace(_request_timeout=10)
        assert err.value.status == 0
        assert err.value.reason.startswith("SSLError")
        assert "CERTIFICATE_VERIFY_FAILED" in str(err.value)
    finally:
        api_client.close()

    host, port = "127.0.0.1", int(tls_cluster.sb.url.rsplit(":", 1)[1])
    # a plain ssl client: the certificate chains to the CA and names 127.0.0.1
    ca_file = tmp_path / "ca.pem"
    assert tls_cluster.sb.ca_pem is not None
    ca_file.write_bytes(tls_cluster.sb.ca_pem)
    ctx = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection((host, port), timeout=10) as sock,
        ctx.wrap_socket(sock, server_hostname=host) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection((host, port), timeout=10) as sock,
        ssl.create_default_context().wrap_socket(sock, server_hostname=host),
    ):
        pass
    # plain HTTP on the TLS port is not served
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(10)
        try:
            data = sock.recv(100)
        except (ConnectionResetError, TimeoutError):
            data = b""
        assert not data.startswith(b"HTTP/1.1 200")


def test_kubectl_over_tls(tls_cluster: Cluster) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "secure"}}
    res = tls_cluster.apply(ns)
    assert (res.code, res.stdout, res.stderr) == (0, "namespace/secure created\n", "")
    res = tls_cluster.kubectl("get", "ns", "secure", "-o", "name")
    assert (res.code, res.stdout, res.stderr) == (0, "namespace/secure\n", "")
    # kubectl refuses the server without the CA
    cfg = yaml.safe_load(tls_cluster.kubeconfig.read_text())
    for c in cfg["clusters"]:
        c["cluster"].pop("certificate-authority-data", None)
        c["cluster"].pop("certificate-authority", None)
    path = tls_cluster.workdir / "no-ca"
    path.write_text(yaml.safe_dump(cfg))
    res = tls_cluster.kubectl("get", "ns", kubeconfig=path)
    assert res.code == 1
    assert "x509: certificate signed by unknown authority" in res.stderr, res.stderr
