"""Error paths and the protocol details kubectl relies on (spec §5.1, §6.1, §6.4, §6.5)."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import (
    Cluster,
    KubectlResult,
    apply_and_settle,
    nginx_deployment,
    run_kubectl,
)

pytestmark = pytest.mark.integration


def out(res: KubectlResult) -> tuple[int, str, str]:
    return res.code, res.stdout, res.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deployment", "nope"), 'deployments.apps "nope" not found'),
        (("deploy", "nope"), 'deployments.apps "nope" not found'),
        (("rs", "nope"), 'replicasets.apps "nope" not found'),
        (("pod", "nope"), 'pods "nope" not found'),
        (("namespace", "nope"), 'namespaces "nope" not found'),
    ],
)
def test_get_missing_object(k8s: Cluster, args: tuple[str, str], message: str) -> None:
    res = k8s.kubectl("get", *args)
    assert out(res) == (1, "", f"Error from server (NotFound): {message}\n")


def test_missing_object_status_body(k8s: Cluster) -> None:
    resp = k8s.http("GET", "/apis/apps/v1/namespaces/default/deployments/nope")
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "deployments"},
        "code": 404,
    }
    resp = k8s.http("GET", "/api/v1/namespaces/default/pods/nope")
    assert resp.status_code == 404
    body = resp.json()
    assert (body["reason"], body["message"], body["code"]) == (
        "NotFound",
        'pods "nope" not found',
        404,
    )
    assert body["details"]["kind"] == "pods"
    assert body["details"].get("group", "") == ""


def test_get_in_missing_namespace(k8s: Cluster) -> None:
    res = k8s.kubectl("get", "deployment", "nginx", "-n", "nope")
    assert out(res) == (1, "", 'Error from server (NotFound): namespaces "nope" not found\n')
    res = k8s.kubectl("get", "deployments", "-n", "nope")
    assert out(res) == (0, "", "No resources found in nope namespace.\n")


def test_get_empty_lists(k8s: Cluster) -> None:
    for what in ("deploy", "rs", "pods", "deploy,rs,pods"):
        res = k8s.kubectl("get", what)
        assert out(res) == (0, "", "No resources found in default namespace.\n"), what
    res = k8s.kubectl("get", "deploy", "-A")
    assert out(res) == (0, "", "No resources found\n")
    res = k8s.kubectl("get", "deploy", "-o", "json")
    assert res.code == 0
    assert json.loads(res.stdout) == {
        "apiVersion": "v1",
        "items": [],
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }


def test_unknown_resource_type(k8s: Cluster) -> None:
    res = k8s.kubectl("get", "foos")
    assert out(res) == (1, "", 'error: the server doesn\'t have a resource type "foos"\n')


def test_api_resources_discovery(k8s: Cluster) -> None:
    res = k8s.kubectl("api-resources")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows["replicasets"] == ["replicasets", "rs", "apps/v1", "true", "ReplicaSet"]
    assert rows["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert rows["namespaces"] == ["namespaces", "ns", "v1", "false", "Namespace"]
    # subresources are not listed by api-resources; scale must still be discoverable
    res = k8s.kubectl("get", "--raw", "/apis/apps/v1")
    assert res.code == 0, res.describe()
    doc = json.loads(res.stdout)
    names = {r["name"]: r for r in doc["resources"]}
    assert names["deployments/scale"]["kind"] == "Scale"
    assert names["deployments/scale"]["group"] == "autoscaling"
    res = k8s.kubectl("api-resources", "--categories=all", "-o", "name")
    assert res.code == 0, res.describe()
    assert {"deployments.apps", "replicasets.apps", "pods"} <= set(res.stdout.split())


def test_aggregated_discovery_document(k8s: Cluster) -> None:
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    resp = k8s.http("GET", "/apis", headers={"Accept": accept})
    assert resp.status_code == 200
    ctype = resp.headers["Content-Type"]
    if "APIGroupDiscoveryList" in ctype:
        params = {p.strip() for p in ctype.split(";")[1:]}
        assert {"g=apidiscovery.k8s.io", "v=v2", "as=APIGroupDiscoveryList"} <= params
        doc = resp.json()
        assert doc["kind"] == "APIGroupDiscoveryList"
        apps = next(i for i in doc["items"] if i["metadata"].get("name") == "apps")
        resources = {r["resource"]: r for r in apps["versions"][0]["resources"]}
        dep = resources["deployments"]
        assert dep["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
        assert dep["scope"] == "Namespaced"
        assert "deploy" in dep["shortNames"]
        subs = {s["subresource"]: s for s in dep["subresources"]}
        assert subs["scale"]["responseKind"] == {
            "group": "autoscaling",
            "version": "v1",
            "kind": "Scale",
        }
        for group in doc["items"]:
            for version in group["versions"]:
                for r in version["resources"]:
                    assert r.get("responseKind"), r["resource"]
    else:
        # legacy discovery (§6.1 fallback) is acceptable too
        assert resp.json()["kind"] == "APIGroupList"


@pytest.mark.parametrize(
    ("manifest_patch", "field"),
    [
        ({"replicas": -1}, "spec.replicas"),
        ({"selector": {"matchLabels": {"app": "other"}}}, "spec.template.metadata.labels"),
    ],
)
def test_invalid_deployment_is_rejected(
    k8s: Cluster, manifest_patch: dict[str, object], field: str
) -> None:
    manifest = nginx_deployment()
    manifest["spec"].update(manifest_patch)
    path = k8s.write_manifest(manifest)
    res = k8s.kubectl("apply", "-f", str(path), "--validate=false")
    assert res.code == 1, res.describe()
    assert res.stdout == ""
    assert re.fullmatch(
        rf'The Deployment "nginx" is invalid: {re.escape(field)}: Invalid value: .+\n', res.stderr
    ), res.stderr
    res = k8s.kubectl("get", "deploy", "nginx")
    assert res.code == 1
    # the raw Status
    body = dict(manifest)
    resp = k8s.http("POST", "/apis/apps/v1/namespaces/default/deployments", json_body=body)
    assert resp.status_code == 422, resp.text
    status = resp.json()
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "Invalid", 422)
    assert status["details"]["kind"] == "Deployment"
    assert status["details"]["group"] == "apps"
    assert status["details"]["name"] == "nginx"
    assert status["message"].startswith('Deployment.apps "nginx" is invalid: ')
    causes = status["details"]["causes"]
    assert [c["field"] for c in causes] == [field]
    assert causes[0]["reason"] == "FieldValueInvalid"


def test_invalid_namespace_name(k8s: Cluster) -> None:
    res = k8s.kubectl("create", "namespace", "Bad_Name")
    assert res.code == 1, res.describe()
    assert re.fullmatch(
        r'The Namespace "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": .+\n',
        res.stderr,
    ), res.stderr
    res = k8s.kubectl("get", "ns", "-o", "name")
    assert "Bad_Name" not in res.stdout


def test_connection_refused_after_stop(tmp_path: Path) -> None:
    from kiops_desktop.sandbox import Sandbox

    sb = Sandbox(scenario="empty", port=0)
    sb.start()
    try:
        kubeconfig = Path(sb.write_kubeconfig(tmp_path / "kubeconfig"))
        home = tmp_path / "home"
        home.mkdir()
        res = run_kubectl(
            ["get", "ns", "-o", "name"], home=home, kubeconfig=kubeconfig, cache_dir=tmp_path
        )
        assert res.code == 0, res.describe()
        port = int(sb.url.rsplit(":", 1)[1])
    finally:
        sb.stop()
    # the port is closed promptly
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=2),
    ):
        pass
    res = run_kubectl(
        ["get", "deploy"], home=home, kubeconfig=kubeconfig, cache_dir=tmp_path, timeout=60
    )
    assert res.code == 1
    assert res.stdout == ""
    assert res.stderr.endswith(
        f"The connection to the server 127.0.0.1:{port} was refused - did you specify the "
        "right host or port?\n"
    ), res.stderr


def test_unknown_path_and_bad_requests(k8s: Cluster) -> None:
    resp = k8s.http("GET", "/apis/nosuch.example.com/v1/things")
    assert resp.status_code == 404
    resp = k8s.http("GET", "/definitely/not/kubernetes")
    assert resp.status_code == 404
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    path = "/apis/apps/v1/namespaces/default/deployments/nginx"
    # unknown dryRun value
    resp = k8s.http(
        "PATCH",
        path,
        data=json.dumps({"spec": {"replicas": 2}}),
        content_type="application/merge-patch+json",
        params={"dryRun": "Maybe"},
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["reason"] == "BadRequest"
    # malformed patch body
    resp = k8s.http("PATCH", path, data="{not json", content_type="application/merge-patch+json")
    assert resp.status_code == 400, resp.text
    assert resp.json()["kind"] == "Status"
    # unsupported patch content type
    resp = k8s.http("PATCH", path, data="{}", content_type="text/plain")
    assert resp.status_code == 415, resp.text
    assert resp.json()["reason"] == "UnsupportedMediaType"
    # create with a resourceVersion, and a duplicate
    body = nginx_deployment("other", replicas=1)
    resp = k8s.http("POST", "/apis/apps/v1/namespaces/default/deployments", json_body=body)
    assert resp.status_code == 201, resp.text
    resp = k8s.http("POST", "/apis/apps/v1/namespaces/default/deployments", json_body=body)
    assert resp.status_code == 409
    assert resp.json()["reason"] == "AlreadyExists"
    assert resp.json()["message"] == 'deployments.apps "other" already exists'
    # stale resourceVersion on PUT
    current = k8s.http("GET", path).json()
    stale = dict(current)
    stale["metadata"] = dict(current["metadata"], resourceVersion="1")
    resp = k8s.http("PUT", path, json_body=stale)
    assert resp.status_code == 409, resp.text
    assert resp.json()["reason"] == "Conflict"
    # a PUT with the current RV succeeds and bumps it
    current["spec"]["replicas"] = 2
    resp = k8s.http("PUT", path, json_body=current)
    assert resp.status_code == 200, resp.text
    assert int(resp.json()["metadata"]["resourceVersion"]) > int(
        current["metadata"]["resourceVersion"]
    )
    # create in a missing namespace
    resp = k8s.http(
        "POST",
        "/apis/apps/v1/namespaces/nope/deployments",
        json_body=nginx_deployment("x", replicas=1),
    )
    assert resp.status_code == 404
    assert resp.json()["message"] == 'namespaces "nope" not found'


def test_watch_list_protocol(k8s: Cluster) -> None:
    """sendInitialEvents without the required companions is rejected; the full watch-list
    request is either served (ADDED..., BOOKMARK with initial-events-end) or rejected with an
    HTTP error so clients fall back to LIST+WATCH (§4.2, §6.5)."""
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    base = "/apis/apps/v1/namespaces/default/deployments"
    resp = k8s.http("GET", base, params={"watch": "true", "sendInitialEvents": "true"})
    assert resp.status_code in (400, 422), resp.status_code
    resp = k8s.http(
        "GET",
        base,
        params={
            "watch": "true",
            "sendInitialEvents": "true",
            "allowWatchBookmarks": "true",
            "resourceVersionMatch": "NotOlderThan",
            "fieldSelector": "metadata.name=nginx",
            "timeoutSeconds": "2",
        },
        stream=True,
    )
    if resp.status_code != 200:
        assert resp.status_code in (400, 422), resp.status_code
        return
    events = []
    started = time.monotonic()
    for line in resp.iter_lines():
        if line.strip():
            events.append(json.loads(line))
        if events and events[-1]["type"] == "BOOKMARK":
            break
    resp.close()
    assert time.monotonic() - started < 10
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[0]["object"]["metadata"]["name"] == "nginx"
    bookmark = events[1]["object"]
    assert bookmark["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true"
    assert re.fullmatch(r"\d+", bookmark["metadata"]["resourceVersion"])


def test_watch_from_resource_version(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    base = "/apis/apps/v1/namespaces/default/deployments"
    rv = k8s.http("GET", base).json()["metadata"]["resourceVersion"]
    k8s.kubectl("annotate", "deployment/nginx", "x=1").ok()
    k8s.settle()
    events = k8s.watch_events(base, rv, seconds=1)
    assert events, "the annotate must be seen"
    assert {e["type"] for e in events} == {"MODIFIED"}
    assert events[0]["object"]["metadata"]["annotations"]["x"] == "1"
    assert events[0]["object"]["kind"] == "Deployment"
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs)
    assert rvs[0] > int(rv)


def test_watch_sees_deletion_and_label_selector(cluster: Callable[..., Cluster]) -> None:
    cl = cluster()
    apply_and_settle(cl, nginx_deployment(replicas=1))
    web = nginx_deployment("web", replicas=1)
    web["metadata"]["labels"] = {"app": "web"}
    apply_and_settle(cl, web)
    base = "/apis/apps/v1/namespaces/default/deployments"
    rv = cl.http("GET", base).json()["metadata"]["resourceVersion"]
    cl.kubectl("delete", "deployment", "web").ok()
    resp = cl.http(
        "GET",
        base,
        params={
            "watch": "true",
            "resourceVersion": rv,
            "timeoutSeconds": "1",
            "labelSelector": "app=web",
        },
        stream=True,
        timeout=15,
    )
    events = [json.loads(line) for line in resp.iter_lines() if line.strip()]
    events = [e for e in events if e["type"] != "BOOKMARK"]
    assert events[-1]["type"] == "DELETED"
    assert events[-1]["object"]["metadata"]["name"] == "web"
    assert all(e["object"]["metadata"]["name"] == "web" for e in events)


def test_noop_write_keeps_resource_version(k8s: Cluster) -> None:
    """Writes that change nothing do not bump resourceVersion nor emit events (§6.3)."""
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    base = "/apis/apps/v1/namespaces/default/deployments"
    before = k8s.http("GET", f"{base}/nginx").json()
    rv = k8s.http("GET", base).json()["metadata"]["resourceVersion"]
    for ctype, body in (
        ("application/merge-patch+json", {"spec": {"replicas": 2}}),
        ("application/strategic-merge-patch+json", {"metadata": {"labels": None}}),
        ("application/json-patch+json", [{"op": "test", "path": "/spec/replicas", "value": 2}]),
    ):
        resp = k8s.http("PATCH", f"{base}/nginx", data=json.dumps(body), content_type=ctype)
        assert resp.status_code == 200, resp.text
        assert resp.json()["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    resp = k8s.http("PUT", f"{base}/nginx", json_body=before)
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    after = k8s.http("GET", f"{base}/nginx").json()
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert k8s.watch_events(base, rv, seconds=1) == []


def test_watch_from_zero_lists_current_objects(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    apply_and_settle(k8s, nginx_deployment("web", replicas=1))
    base = "/apis/apps/v1/namespaces/default/deployments"
    resp = k8s.http(
        "GET",
        base,
        params={"watch": "true", "resourceVersion": "0", "timeoutSeconds": "1"},
        stream=True,
        timeout=15,
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    events = [json.loads(line) for line in resp.iter_lines() if line.strip()]
    events = [e for e in events if e["type"] != "BOOKMARK"]
    assert sorted((e["type"], e["object"]["metadata"]["name"]) for e in events) == [
        ("ADDED", "nginx"),
        ("ADDED", "web"),
    ]
    assert all(e["object"]["kind"] == "Deployment" for e in events)


def test_create_and_delete_status_bodies(k8s: Cluster) -> None:
    base = "/apis/apps/v1/namespaces/default/deployments"
    body = nginx_deployment(replicas=1)
    body["metadata"]["resourceVersion"] = "5"
    resp = k8s.http("POST", base, json_body=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["reason"] == "BadRequest"
    assert "resourceVersion should not be set on objects to be created" in resp.json()["message"]
    del body["metadata"]["resourceVersion"]
    resp = k8s.http("POST", base, json_body=body)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert (created["kind"], created["apiVersion"]) == ("Deployment", "apps/v1")
    assert created["metadata"]["generation"] == 1
    k8s.settle()
    resp = k8s.http(
        "DELETE",
        f"{base}/nginx",
        json_body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
    )
    assert resp.status_code in (200, 202), resp.text
    status = resp.json()
    if status["kind"] == "Status":
        assert status["status"] == "Success"
        assert status["details"]["name"] == "nginx"
        assert status["details"]["group"] == "apps"
        assert status["details"]["kind"] == "deployments"
        assert status["details"]["uid"] == created["metadata"]["uid"]
    else:
        assert status["metadata"]["uid"] == created["metadata"]["uid"]
    resp = k8s.http("DELETE", f"{base}/nginx")
    assert resp.status_code == 404
