"""Authentication, the read-only token, and the fault-injection endpoint."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from .conftest import (
    UNDO_LA_WARNING,
    Cluster,
    KubectlResult,
    apply_and_settle,
    make_v1,
    nginx_deployment,
    run_kubectl,
)

pytestmark = pytest.mark.integration

UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)\n"
# kubectl's text when the 401 hits discovery (it does not show the Status message there)
UNAUTHORIZED_DISCOVERY = (
    "error: You must be logged in to the server "
    "(the server has asked for the client to provide credentials)\n"
)
KLOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\] .*$")
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
FAULTS = "/_kiops/faults"


def kubeconfig_with(cl: Cluster, token: str | None, name: str) -> Path:
    """A copy of the cluster's kubeconfig whose user has ``token``. None: no bearer token, only
    basic-auth credentials (with no credentials at all kubectl would prompt on the terminal
    for a user name and password)."""
    cfg = yaml.safe_load(cl.kubeconfig.read_text())
    for user in cfg["users"]:
        user["user"].pop("token", None)
        if token is not None:
            user["user"]["token"] = token
        else:
            user["user"]["username"] = "admin"
            user["user"]["password"] = "s3cret-rw"
    path = cl.workdir / name
    path.write_text(yaml.safe_dump(cfg))
    return path


def assert_unauthorized(res: KubectlResult, message: str, klog_allowed: bool) -> None:
    assert res.code == 1, res.describe()
    assert res.stdout == ""
    assert res.stderr.endswith(message), res.stderr
    extra = res.stderr[: -len(message)].splitlines()
    if not klog_allowed:
        assert extra == []
    for line in extra:
        assert KLOG_LINE.match(line), f"unexpected stderr line {line!r}"


@pytest.fixture
def secured(cluster: Callable[..., Cluster]) -> Cluster:
    # kubectl 1.37 never sends a bearer token over plain http://, so tokens need TLS
    return cluster(tls=True, token="s3cret-rw", read_only_token="s3cret-ro")


def test_token_is_required(secured: Cluster) -> None:
    assert secured.sb.token == "s3cret-rw"
    # the right token works (and fills the discovery cache)
    res = secured.kubectl("get", "ns", "-o", "name")
    assert res.code == 0, res.describe()
    assert "namespace/default\n" in res.stdout

    for label, token in (("none", None), ("wrong", "not-the-token")):
        path = kubeconfig_with(secured, token, f"kubeconfig-{label}")
        # discovery cached: the GET itself is rejected and kubectl shows the Status message
        res = secured.kubectl("get", "ns", "default", kubeconfig=path)
        assert_unauthorized(res, UNAUTHORIZED, False)
        res = secured.kubectl("get", "deploy", kubeconfig=path)
        assert_unauthorized(res, UNAUTHORIZED, False)
        # cold cache: discovery fails first
        res = run_kubectl(
            ["get", "deploy"],
            home=secured.home,
            kubeconfig=path,
            cache_dir=secured.workdir / f"cold-cache-{label}",
        )
        assert_unauthorized(res, UNAUTHORIZED_DISCOVERY, True)

    for token in (None, "not-the-token", "Bearer"):
        resp = secured.http("GET", "/api/v1/namespaces", token=token)
        assert resp.status_code == 401, token
        body = resp.json()
        assert (body["kind"], body["status"], body["reason"], body["code"]) == (
            "Status",
            "Failure",
            "Unauthorized",
            401,
        )
        assert body["message"] == "Unauthorized"
    # discovery is protected as well
    assert secured.http("GET", "/apis", token=None).status_code == 401
    assert secured.http("GET", "/api", token=None).status_code == 401
    # basic auth is not a bearer token
    resp = secured.session.get(
        secured.sb.url + "/api/v1/namespaces",
        auth=("admin", "s3cret-rw"),
        timeout=10,
        verify=secured.verify,
    )
    assert resp.status_code == 401


def test_read_only_token_can_read_but_not_write(secured: Cluster) -> None:
    apply_and_settle(secured, nginx_deployment(replicas=1))
    ro = kubeconfig_with(secured, "s3cret-ro", "kubeconfig-ro")
    res = secured.kubectl("get", "deploy", "-o", "name", kubeconfig=ro)
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx\n", "")
    res = secured.kubectl("rollout", "history", "deployment/nginx", kubeconfig=ro)
    assert res.code == 0, res.describe()
    res = secured.kubectl("logs", "deployment/nginx", kubeconfig=ro)
    assert res.code == 0, res.describe()
    rv = secured.deployment()["metadata"]["resourceVersion"]

    res = secured.kubectl("set", "image", "deployment/nginx", "nginx=nginx:2", kubeconfig=ro)
    assert res.code == 1, res.describe()
    assert res.stdout == ""
    # kubectl set image flattens the API error into its own message
    assert re.fullmatch(
        r"error: failed to patch image update to pod template: "
        r'deployments\.apps "nginx" is forbidden: .*\bpatch\b.*\bdeployments\b.*\n',
        res.stderr,
    ), res.stderr

    res = secured.kubectl("delete", "deployment", "nginx", kubeconfig=ro)
    assert res.code == 1, res.describe()
    assert re.fullmatch(
        r'Error from server \(Forbidden\): deployments\.apps "nginx" is forbidden: '
        r".*\bdelete\b.*\bdeployments\b.*\n",
        res.stderr,
    ), res.stderr

    res = secured.kubectl("create", "namespace", "x", kubeconfig=ro)
    assert res.code == 1, res.describe()
    assert re.fullmatch(
        r'Error from server \(Forbidden\): namespaces( "x")? is forbidden: '
        r".*\bcreate\b.*\bnamespaces\b.*\n",
        res.stderr,
    ), res.stderr

    res = secured.kubectl("scale", "deployment/nginx", "--replicas=3", kubeconfig=ro)
    assert res.code == 1, res.describe()
    assert res.stderr.startswith("Error from server (Forbidden): "), res.stderr
    assert secured.deployment()["metadata"]["resourceVersion"] == rv

    resp = secured.http(
        "PATCH",
        f"{DEPLOYMENTS}/nginx",
        token="s3cret-ro",
        data='{"spec":{"replicas":2}}',
        content_type="application/merge-patch+json",
    )
    assert resp.status_code == 403
    body = resp.json()
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
    assert body["details"]["kind"] == "deployments"
    assert body["details"]["name"] == "nginx"
    assert "patch" in body["message"]
    assert secured.deployment()["metadata"]["resourceVersion"] == rv
    # the read-write token still writes
    res = secured.kubectl("scale", "deployment/nginx", "--replicas=2")
    assert res.ok().stdout == "deployment.apps/nginx scaled\n"


def test_read_only_token_cannot_roll_back(secured: Cluster) -> None:
    make_v1(secured)
    ro = kubeconfig_with(secured, "s3cret-ro", "kubeconfig-ro")
    res = secured.kubectl("rollout", "undo", "deployment/nginx", kubeconfig=ro)
    assert res.code == 1, res.describe()
    warning = UNDO_LA_WARNING.format(name="nginx")
    assert res.stderr.startswith(warning)
    assert re.fullmatch(
        r'error: failed restoring revision 0: deployments\.apps "nginx" is forbidden: '
        r".*\bpatch\b.*\bdeployments\b.*\n",
        res.stderr[len(warning) :],
    ), res.stderr
    assert secured.deployment()["metadata"]["generation"] == 3


# ---- faults --------------------------------------------------------------------------------


def post_fault(cl: Cluster, token: str | None, **fault: Any) -> requests.Response:
    body = {"method": "GET", "path": "^/nothing$", "count": 1, "status": 503, "delay": 0.0}
    body.update(fault)
    return cl.http("POST", FAULTS, token=token, json_body=body)


def active_faults(cl: Cluster) -> list[Any]:
    resp = cl.http("GET", FAULTS, token=cl.sb.admin_token)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    if isinstance(data, dict):
        for key in ("items", "faults"):
            if key in data:
                data = data[key]
                break
    assert isinstance(data, list), data
    return data


def test_fault_endpoint_requires_admin_token(secured: Cluster) -> None:
    assert secured.sb.admin_token
    assert secured.sb.admin_token != "s3cret-ro"
    for token in (None, "wrong", "s3cret-ro"):
        resp = post_fault(secured, token)
        assert resp.status_code == 401, (token, resp.status_code)
        assert secured.http("GET", FAULTS, token=token).status_code == 401
        assert secured.http("DELETE", FAULTS, token=token).status_code == 401
    assert active_faults(secured) == []
    resp = post_fault(secured, secured.sb.admin_token)
    assert 200 <= resp.status_code < 300, resp.text
    assert len(active_faults(secured)) == 1


def test_fault_status_for_n_requests_then_recovery(k8s: Cluster) -> None:
    admin = k8s.sb.admin_token
    assert post_fault(k8s, None).status_code == 401
    resp = post_fault(k8s, admin, path=r"^/apis/apps/v1/namespaces/default/deployments$", count=2)
    assert 200 <= resp.status_code < 300, resp.text
    faults = active_faults(k8s)
    assert len(faults) == 1
    # other paths and methods are not affected
    assert k8s.http("GET", "/api/v1/namespaces").status_code == 200
    for _ in range(2):
        resp = k8s.http("GET", DEPLOYMENTS)
        assert resp.status_code == 503
        body = resp.json()
        assert (body["kind"], body["status"], body["code"]) == ("Status", "Failure", 503)
    assert k8s.http("GET", DEPLOYMENTS).status_code == 200
    assert active_faults(k8s) == []


def test_fault_seen_by_kubectl(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    k8s.sb.inject_fault(
        method="GET", path=r"^/apis/apps/v1/namespaces/default/deployments/nginx$", status=500
    )
    res = k8s.kubectl("get", "deployment", "nginx", "-o", "name")
    assert res.code == 1, res.describe()
    assert res.stdout == ""
    assert res.stderr.startswith("Error from server"), res.stderr
    res = k8s.kubectl("get", "deployment", "nginx", "-o", "name")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx\n", "")


def test_fault_method_filter(k8s: Cluster) -> None:
    # (not 409: kubectl scale retries conflicts)
    k8s.sb.inject_fault(method="PATCH", path=r"^/apis/apps/v1/.*", count=1, status=500)
    apply_and_settle(k8s, nginx_deployment(replicas=1))  # GET + POST: unaffected
    res = k8s.kubectl("scale", "deployment/nginx", "--replicas=2")
    assert res.code == 1, res.describe()
    res = k8s.kubectl("scale", "deployment/nginx", "--replicas=2")
    assert res.ok().stdout == "deployment.apps/nginx scaled\n"


def test_fault_delay(k8s: Cluster) -> None:
    # status null: the request is only delayed, then answered normally
    resp = post_fault(k8s, k8s.sb.admin_token, path=r"^/api/v1/namespaces$", delay=1.0, status=None)
    assert 200 <= resp.status_code < 300, resp.text
    started = time.monotonic()
    resp = k8s.http("GET", "/api/v1/namespaces")
    elapsed = time.monotonic() - started
    assert elapsed >= 1.0, elapsed
    assert resp.status_code == 200
    assert resp.json()["kind"] == "NamespaceList"
    # delay and status together: late, then the failure
    k8s.sb.inject_fault(method="GET", path=r"^/api/v1/namespaces$", delay=0.5, status=503)
    started = time.monotonic()
    resp = k8s.http("GET", "/api/v1/namespaces")
    assert time.monotonic() - started >= 0.5
    assert resp.status_code == 503
    started = time.monotonic()
    resp = k8s.http("GET", "/api/v1/namespaces")
    assert resp.status_code == 200
    assert time.monotonic() - started < 1.0


def test_fault_delay_does_not_block_other_requests(k8s: Cluster) -> None:
    import threading

    k8s.sb.inject_fault(method="GET", path=r"^/api/v1/namespaces/default$", delay=2.0, status=503)
    results: list[int] = []
    slow = threading.Thread(
        target=lambda: results.append(k8s.http("GET", "/api/v1/namespaces/default").status_code)
    )
    slow.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert k8s.http("GET", "/api/v1/namespaces").status_code == 200
    assert time.monotonic() - started < 1.5, "a delayed request must not stall the server"
    slow.join(timeout=15)
    assert results == [503]


def test_fault_drop_connection(k8s: Cluster) -> None:
    resp = post_fault(k8s, k8s.sb.admin_token, path=r"^/api/v1/namespaces$", drop=True)
    assert 200 <= resp.status_code < 300, resp.text
    with pytest.raises(requests.exceptions.ConnectionError):
        k8s.http("GET", "/api/v1/namespaces")
    assert k8s.http("GET", "/api/v1/namespaces").status_code == 200


def test_fault_drop_seen_by_kubectl(k8s: Cluster, tmp_path: Path) -> None:
    k8s.sb.inject_fault(method="GET", path=r"^/api/v1/namespaces/default/pods$", drop=True)
    res = run_kubectl(
        ["get", "pods"],
        home=k8s.home,
        kubeconfig=k8s.kubeconfig,
        cache_dir=tmp_path / "cache",
        timeout=60,
    )
    # client-go retries a dropped GET once (connection reset / EOF); either way the server
    # recovers and kubectl does not hang
    assert res.code in (0, 1), res.describe()
    if res.code == 1:
        assert res.stderr.startswith(("Unable to connect to the server", "error:")), res.stderr
    res = k8s.kubectl("get", "pods")
    assert (res.code, res.stdout, res.stderr) == (
        0,
        "",
        "No resources found in default namespace.\n",
    )


def test_fault_delete_clears(k8s: Cluster) -> None:
    admin = k8s.sb.admin_token
    for path in (r"^/api/v1/namespaces$", r"^/apis$"):
        assert 200 <= post_fault(k8s, admin, path=path, count=100).status_code < 300
    assert len(active_faults(k8s)) == 2
    assert k8s.http("GET", "/api/v1/namespaces").status_code == 503
    resp = k8s.http("DELETE", FAULTS, token=admin)
    assert 200 <= resp.status_code < 300, resp.text
    assert active_faults(k8s) == []
    assert k8s.http("GET", "/api/v1/namespaces").status_code == 200
    res = k8s.kubectl("get", "ns", "default", "-o", "name")
    assert (res.code, res.stdout, res.stderr) == (0, "namespace/default\n", "")


def test_faults_over_tls(cluster: Callable[..., Cluster]) -> None:
    cl = cluster(tls=True, token="tok")
    assert cl.sb.url.startswith("https://127.0.0.1:")
    cl.sb.inject_fault(method="GET", path=r"^/api/v1/namespaces$", count=1, status=503)
    assert cl.http("GET", "/api/v1/namespaces").status_code == 503
    assert cl.http("GET", "/api/v1/namespaces").status_code == 200
