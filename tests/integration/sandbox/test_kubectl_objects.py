"""apply / create / set image / annotate / scale / delete / logs (spec §5, §6.7)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from .conftest import (
    DESIRED_KEY,
    LA_KEY,
    MAX_KEY,
    REV_KEY,
    Cluster,
    KubectlResult,
    annots,
    apply_and_settle,
    image_of,
    max_surge,
    nginx_deployment,
    set_image,
    wait_for,
    without_deadline_klog,
)

pytestmark = pytest.mark.integration


def out(res: KubectlResult) -> tuple[int, str, str]:
    return res.code, res.stdout, res.stderr


def test_apply_without_validation_creates_with_last_applied(k8s: Cluster) -> None:
    manifest = nginx_deployment()
    res = k8s.apply(manifest, "--validate=false")
    assert out(res) == (0, "deployment.apps/nginx created\n", "")
    dep = k8s.deployment()
    la = json.loads(annots(dep)[LA_KEY])
    assert la["spec"] == manifest["spec"]
    assert (la["kind"], la["metadata"]["name"]) == ("Deployment", "nginx")
    assert dep["metadata"]["generation"] == 1
    k8s.settle()
    assert len(k8s.items("pods")) == 3


def test_apply_with_default_validation_created_unchanged_configured(k8s: Cluster) -> None:
    """Default validation needs /openapi/v3 (§6.9); then create, no-op and 3-way patch."""
    manifest = nginx_deployment()
    path = k8s.write_manifest(manifest)
    assert out(k8s.kubectl("apply", "-f", str(path))) == (
        0,
        "deployment.apps/nginx created\n",
        "",
    )
    k8s.settle()
    rv = k8s.deployment()["metadata"]["resourceVersion"]
    assert out(k8s.kubectl("apply", "-f", str(path))) == (
        0,
        "deployment.apps/nginx unchanged\n",
        "",
    )
    assert k8s.deployment()["metadata"]["resourceVersion"] == rv

    manifest["spec"]["replicas"] = 2
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.16"
    manifest["metadata"]["labels"] = {"tier": "web"}
    res = k8s.apply(manifest)
    assert out(res) == (0, "deployment.apps/nginx configured\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert dep["spec"]["replicas"] == 2
    assert image_of(dep) == "nginx:1.16"
    assert dep["metadata"]["labels"] == {"tier": "web"}
    assert json.loads(annots(dep)[LA_KEY])["spec"] == manifest["spec"]
    assert dep["metadata"]["generation"] == 2
    by_rev = k8s.rs_by_revision()
    assert {r: rs["spec"]["replicas"] for r, rs in by_rev.items()} == {1: 0, 2: 2}
    assert annots(by_rev[2])[MAX_KEY] == "3"

    # a field removed from the manifest is removed from the object (3-way merge)
    del manifest["metadata"]["labels"]
    res = k8s.apply(manifest)
    assert out(res) == (0, "deployment.apps/nginx configured\n", "")
    assert "labels" not in k8s.deployment()["metadata"]


def test_apply_several_documents_and_namespaces(k8s: Cluster) -> None:
    docs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}},
        nginx_deployment("web", replicas=1, namespace="team-a"),
    ]
    res = k8s.apply(docs)
    assert out(res) == (0, "namespace/team-a created\ndeployment.apps/web created\n", "")
    k8s.settle()
    pods = k8s.items("pods", "-n", "team-a")
    assert len(pods) == 1
    assert pods[0]["status"]["phase"] == "Running"
    res = k8s.kubectl("get", "deploy", "web")
    assert out(res) == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "web" not found\n',
    )


def test_apply_into_missing_namespace(k8s: Cluster) -> None:
    path = k8s.write_manifest(nginx_deployment(namespace="nope"))
    res = k8s.kubectl("apply", "-f", str(path), "--validate=false")
    assert out(res) == (
        1,
        "",
        (
            f'Error from server (NotFound): error when creating "{path}": '
            'namespaces "nope" not found\n'
        ),
    )


def test_create_duplicate_deployment(k8s: Cluster) -> None:
    path = k8s.write_manifest(nginx_deployment())
    assert out(k8s.kubectl("create", "-f", str(path))) == (
        0,
        "deployment.apps/nginx created\n",
        "",
    )
    assert LA_KEY not in annots(k8s.deployment())
    res = k8s.kubectl("create", "-f", str(path))
    assert out(res) == (
        1,
        "",
        (
            f'Error from server (AlreadyExists): error when creating "{path}": '
            'deployments.apps "nginx" already exists\n'
        ),
    )


def test_set_image_patches_template(k8s: Cluster) -> None:
    manifest = nginx_deployment(replicas=2)
    manifest["spec"]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "busybox:1.36"}
    )
    apply_and_settle(k8s, manifest)
    rv = k8s.deployment()["metadata"]["resourceVersion"]
    res = k8s.kubectl("set", "image", "deployment/nginx", "sidecar=busybox:1.37")
    assert out(res) == (0, "deployment.apps/nginx image updated\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert int(dep["metadata"]["resourceVersion"]) > int(rv)
    containers = dep["spec"]["template"]["spec"]["containers"]
    # strategic merge by name: order kept, the other container untouched
    assert [(c["name"], c["image"]) for c in containers] == [
        ("nginx", "nginx:1.14"),
        ("sidecar", "busybox:1.37"),
    ]
    assert containers[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert dep["metadata"]["generation"] == 2
    pods = k8s.items("pods")
    assert len(pods) == 2
    for pod in pods:
        images = [c["image"] for c in pod["spec"]["containers"]]
        assert images == ["nginx:1.14", "busybox:1.37"]

    res = k8s.kubectl("set", "image", "deployment/nginx", "nosuch=busybox:1")
    assert out(res) == (1, "", 'error: unable to find container named "nosuch"\n')
    res = k8s.kubectl("set", "image", "deployment/nope", "nginx=nginx:1")
    assert out(res) == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
    )
    # all containers at once with '*'
    set_image(k8s, "nginx:9", container="*")
    dep = k8s.deployment()
    assert [c["image"] for c in dep["spec"]["template"]["spec"]["containers"]] == [
        "nginx:9",
        "nginx:9",
    ]


def test_annotate_overwrite_rule(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    res = k8s.kubectl("annotate", "deployment/nginx", "team=a")
    assert out(res) == (0, "deployment.apps/nginx annotated\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert annots(dep)["team"] == "a"
    assert dep["metadata"]["generation"] == 2  # annotation changes bump generation
    # the controller copies it onto the current RS
    rs = k8s.rs_by_revision()[1]
    assert annots(rs)["team"] == "a"

    res = k8s.kubectl("annotate", "deployment/nginx", "team=b")
    assert out(res) == (
        1,
        "",
        (
            "error: --overwrite is false but found the following declared annotation(s): "
            "'team' already has a value (a)\n"
        ),
    )
    assert annots(k8s.deployment())["team"] == "a"
    res = k8s.kubectl("annotate", "deployment/nginx", "team=b", "--overwrite")
    assert out(res) == (0, "deployment.apps/nginx annotated\n", "")
    k8s.settle()
    assert annots(k8s.deployment())["team"] == "b"
    assert annots(k8s.rs_by_revision()[1])["team"] == "b"

    # removal: gone from the Deployment, but the controller never removes RS annotations
    res = k8s.kubectl("annotate", "deployment/nginx", "team-")
    assert out(res) == (0, "deployment.apps/nginx annotated\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert "team" not in annots(dep)
    assert dep["metadata"]["generation"] == 4
    assert annots(k8s.rs_by_revision()[1])["team"] == "b"
    # the annotation changes never made a new revision
    assert sorted(k8s.rs_by_revision()) == [1]
    assert annots(dep)[REV_KEY] == "1"


def test_annotate_change_cause_needs_no_overwrite(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    for text in ("first cause", "second cause"):
        res = k8s.kubectl("annotate", "deployment/nginx", f"kubernetes.io/change-cause={text}")
        assert out(res) == (0, "deployment.apps/nginx annotated\n", "")
        k8s.settle()
        assert annots(k8s.deployment())["kubernetes.io/change-cause"] == text
        assert annots(k8s.rs_by_revision()[1])["kubernetes.io/change-cause"] == text


def test_annotate_with_stale_resource_version_conflicts(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    rv = k8s.deployment()["metadata"]["resourceVersion"]
    k8s.kubectl("annotate", "deployment/nginx", "a=1").ok()
    res = k8s.kubectl("annotate", "deployment/nginx", "b=2", f"--resource-version={rv}")
    assert out(res) == (
        1,
        "",
        (
            'Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "nginx": '
            "the object has been modified; please apply your changes to the latest version and try "
            "again\n"
        ),
    )
    assert "b" not in annots(k8s.deployment())


@pytest.mark.parametrize(
    ("replicas", "new_size"),
    [(3, 5), (3, 1), (3, 0), (4, 10)],
)
def test_scale_deployment(k8s: Cluster, replicas: int, new_size: int) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=replicas))
    res = k8s.kubectl("scale", "deployment/nginx", f"--replicas={new_size}")
    assert out(res) == (0, "deployment.apps/nginx scaled\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert dep["spec"]["replicas"] == new_size
    assert dep["metadata"]["generation"] == 2
    rs = k8s.rs_by_revision()[1]
    assert rs["spec"]["replicas"] == new_size
    assert rs["status"]["replicas"] == new_size
    assert rs["status"].get("readyReplicas", 0) == new_size
    ann = annots(rs)
    assert ann[DESIRED_KEY] == str(new_size)
    assert ann[MAX_KEY] == str(new_size + max_surge(new_size))
    assert len(k8s.pods_of(rs)) == new_size
    assert len(k8s.items("pods")) == new_size
    st = dep["status"]
    assert st.get("replicas", 0) == st.get("availableReplicas", 0) == new_size
    # no new revision
    assert sorted(k8s.rs_by_revision()) == [1]


def test_scale_subresource(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    dep = k8s.deployment()
    resp = k8s.http("GET", "/apis/apps/v1/namespaces/default/deployments/nginx/scale")
    assert resp.status_code == 200, resp.text
    scale = resp.json()
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["metadata"]["name"] == "nginx"
    assert scale["metadata"]["namespace"] == "default"
    assert scale["metadata"]["uid"] == dep["metadata"]["uid"]
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 2, "selector": "app=nginx"}
    # --current-replicas: GET scale then PUT scale
    res = k8s.kubectl("scale", "deployment/nginx", "--current-replicas=3", "--replicas=4")
    assert out(res) == (
        1,
        "",
        "error: Expected replicas to be 3, was 2\n",
    )
    res = k8s.kubectl("scale", "deployment/nginx", "--current-replicas=2", "--replicas=4")
    assert out(res) == (0, "deployment.apps/nginx scaled\n", "")
    k8s.settle()
    assert k8s.deployment()["spec"]["replicas"] == 4


def test_scale_missing_deployment(k8s: Cluster) -> None:
    res = k8s.kubectl("scale", "deployment/nope", "--replicas=2")
    assert out(res) == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
    )


def test_create_namespace_and_already_exists(k8s: Cluster) -> None:
    res = k8s.kubectl("create", "namespace", "team-a")
    assert out(res) == (0, "namespace/team-a created\n", "")
    ns = k8s.get_json("namespace", "team-a")
    assert ns["status"]["phase"] == "Active"
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert "namespace" not in ns["metadata"]
    res = k8s.kubectl("create", "namespace", "team-a")
    assert out(res) == (
        1,
        "",
        'Error from server (AlreadyExists): namespaces "team-a" already exists\n',
    )
    res = k8s.kubectl("create", "namespace", "default")
    assert out(res) == (
        1,
        "",
        'Error from server (AlreadyExists): namespaces "default" already exists\n',
    )


def test_delete_deployment_cascades(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    set_image(k8s, "nginx:1.16")
    apply_and_settle(k8s, nginx_deployment("other", replicas=1))
    assert len(k8s.items("rs")) == 3
    res = k8s.kubectl("delete", "deployment", "nginx")
    assert out(res) == (0, 'deployment.apps "nginx" deleted from default namespace\n', "")
    res = k8s.kubectl("get", "deployment", "nginx")
    assert out(res) == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nginx" not found\n',
    )

    def only_other_left() -> bool:
        names = [o["metadata"]["name"] for o in k8s.items("rs") + k8s.items("pods")]
        return all(n.startswith("other-") for n in names) and len(names) == 2

    wait_for(only_other_left, timeout=15)
    res = k8s.kubectl("delete", "deployment", "nginx")
    assert out(res) == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nginx" not found\n',
    )
    res = k8s.kubectl("delete", "-f", str(k8s.write_manifest(nginx_deployment("other"))))
    assert out(res) == (0, 'deployment.apps "other" deleted from default namespace\n', "")
    wait_for(lambda: not k8s.items("rs") and not k8s.items("pods"), timeout=15)
    res = k8s.kubectl("get", "deploy,rs,pods")
    assert out(res) == (0, "", "No resources found in default namespace.\n")


def test_delete_server_dry_run_keeps_object(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    rv = k8s.deployment()["metadata"]["resourceVersion"]
    res = k8s.kubectl("delete", "deployment", "nginx", "--dry-run=server")
    assert out(res) == (
        0,
        'deployment.apps "nginx" deleted from default namespace (server dry run)\n',
        "",
    )
    k8s.settle()
    assert k8s.deployment()["metadata"]["resourceVersion"] == rv
    assert len(k8s.items("pods")) == 1


def test_delete_pod_is_replaced(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    pods = {p["metadata"]["name"] for p in k8s.items("pods")}
    victim = sorted(pods)[0]
    res = k8s.kubectl("delete", "pod", victim)
    assert out(res) == (0, f'pod "{victim}" deleted from default namespace\n', "")
    k8s.settle()
    now = {p["metadata"]["name"] for p in k8s.items("pods")}
    assert len(now) == 2
    assert victim not in now
    assert now - pods


def test_delete_namespace_removes_contents(k8s: Cluster) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    assert k8s.apply(ns).ok().stdout == "namespace/team-a created\n"
    apply_and_settle(k8s, nginx_deployment("web", replicas=1, namespace="team-a"))
    res = k8s.kubectl("delete", "namespace", "team-a", timeout=90)
    assert out(res) == (0, 'namespace "team-a" deleted\n', "")
    res = k8s.kubectl("get", "namespace", "team-a")
    assert out(res) == (
        1,
        "",
        'Error from server (NotFound): namespaces "team-a" not found\n',
    )
    raw = k8s.http("GET", "/apis/apps/v1/replicasets").json()
    assert [i for i in raw["items"] if i["metadata"]["namespace"] == "team-a"] == []
    raw = k8s.http("GET", "/api/v1/pods").json()
    assert [i for i in raw["items"] if i["metadata"]["namespace"] == "team-a"] == []


def _full_log(k8s: Cluster, pod: str, **params: str) -> str:
    resp = k8s.http("GET", f"/api/v1/namespaces/default/pods/{pod}/log", params=params or None)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain")
    return resp.text


def test_logs_of_pod_with_tail(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    pod = k8s.items("pods")[0]["metadata"]["name"]
    before = _full_log(k8s, pod)
    res = k8s.kubectl("logs", pod)
    after = _full_log(k8s, pod)
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout, "a running pod has written log lines"
    assert res.stdout.startswith(before)
    assert after.startswith(res.stdout)
    assert res.stdout.endswith("\n")
    full = k8s.kubectl("logs", pod).stdout
    lines = full.splitlines(keepends=True)
    assert len(lines) >= 2, "the kubelet stand-in writes a few lines"
    res = k8s.kubectl("logs", pod, "--tail=1")
    assert out(res) == (0, lines[-1], "")
    res = k8s.kubectl("logs", pod, "--tail=2")
    assert out(res) == (0, "".join(lines[-2:]), "")
    res = k8s.kubectl("logs", pod, "-c", "nginx")
    assert out(res) == (0, full, "")
    # kubectl rewrites the NotFound of `logs` itself (error from server ... in namespace ...)
    res = k8s.kubectl("logs", "nope")
    assert out(res) == (
        1,
        "",
        'error: error from server (NotFound): pods "nope" not found in namespace "default"\n',
    )


def test_logs_of_deployment(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    pod = k8s.items("pods")[0]["metadata"]["name"]
    res = k8s.kubectl("logs", "deployment/nginx")
    assert out(res) == (0, k8s.kubectl("logs", pod).stdout, "")

    res = k8s.kubectl("scale", "deployment/nginx", "--replicas=3").ok()
    k8s.settle()
    pods = {p["metadata"]["name"] for p in k8s.items("pods")}
    res = k8s.kubectl("logs", "deployment/nginx")
    assert res.code == 0, res.describe()
    prefix = "Found 3 pods, using pod/"
    assert res.stderr.startswith(prefix)
    assert res.stderr.endswith("\n")
    chosen = res.stderr[len(prefix) : -1]
    assert chosen in pods
    assert res.stdout == k8s.kubectl("logs", chosen).stdout
    res = k8s.kubectl("logs", "deployment/nope")
    assert out(res) == (
        1,
        "",
        (
            'error: error from server (NotFound): deployments.apps "nope" not found in '
            'namespace "default"\n'
        ),
    )


def test_logs_of_pod_with_two_containers(k8s: Cluster) -> None:
    manifest = nginx_deployment(replicas=1)
    manifest["spec"]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "busybox:1.36"}
    )
    apply_and_settle(k8s, manifest)
    pod = k8s.items("pods")[0]["metadata"]["name"]
    nginx_log = _full_log(k8s, pod, container="nginx")
    res = k8s.kubectl("logs", pod)
    assert res.code == 0, res.describe()
    assert res.stderr == 'Defaulted container "nginx" out of: nginx, sidecar\n'
    assert res.stdout.startswith(nginx_log)
    res = k8s.kubectl("logs", pod, "-c", "sidecar")
    assert out(res)[0] == 0
    assert res.stdout.startswith(_full_log(k8s, pod, container="sidecar"))
    res = k8s.kubectl("logs", pod, "-c", "nosuch")
    assert out(res) == (
        1,
        "",
        f"error: container nosuch is not valid for pod {pod} out of: nginx, sidecar\n",
    )
    resp = k8s.http("GET", f"/api/v1/namespaces/default/pods/{pod}/log", params={"container": "x"})
    assert resp.status_code == 400
    assert resp.json()["reason"] == "BadRequest"


def test_logs_waiting_container(cluster: Callable[..., Cluster]) -> None:
    cl = cluster()
    apply_and_settle(cl, nginx_deployment(replicas=1, image="nginx:pullerror"))
    pod = cl.items("pods")[0]["metadata"]["name"]
    res = cl.kubectl("logs", pod)
    assert res.code == 1, res.describe()
    assert res.stdout == ""
    assert res.stderr.startswith(
        f'Error from server (BadRequest): container "nginx" in pod "{pod}" is waiting to start: '
    ), res.stderr


def test_label_does_not_bump_generation(k8s: Cluster) -> None:
    """Generation follows spec and annotations only (§1.12)."""
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    res = k8s.kubectl("label", "deployment", "nginx", "tier=web")
    assert out(res) == (0, "deployment.apps/nginx labeled\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert dep["metadata"]["labels"] == {"tier": "web"}
    assert dep["metadata"]["generation"] == 1
    assert dep["status"]["observedGeneration"] == 1
    assert sorted(k8s.rs_by_revision()) == [1]


@pytest.mark.parametrize("cascade", ["orphan", "foreground"])
def test_delete_with_cascade_policies(k8s: Cluster, cascade: str) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    rs = k8s.rs_by_revision()[1]
    pods = {p["metadata"]["name"] for p in k8s.pods_of(rs)}
    res = k8s.kubectl("delete", "deployment", "nginx", f"--cascade={cascade}", timeout=90)
    assert out(res) == (0, 'deployment.apps "nginx" deleted from default namespace\n', "")
    res = k8s.kubectl("get", "deployment", "nginx")
    assert res.code == 1
    if cascade == "orphan":
        k8s.settle()
        left = k8s.items("rs")
        assert [r["metadata"]["name"] for r in left] == [rs["metadata"]["name"]]
        assert not left[0]["metadata"].get("ownerReferences")
        assert {p["metadata"]["name"] for p in k8s.items("pods")} == pods
        assert left[0]["spec"]["replicas"] == 2
    else:
        # foreground: the Deployment disappears only after its dependents
        assert k8s.items("rs") == []
        assert k8s.items("pods") == []


def test_apply_three_way_merge_directives(k8s: Cluster) -> None:
    """Client-side apply sends $retainKeys, $setElementOrder and $patch: delete (§6.7)."""
    manifest = nginx_deployment(replicas=1)
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    container["ports"] = [{"containerPort": 80}, {"containerPort": 443}]
    manifest["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}
    apply_and_settle(k8s, manifest)
    dep = k8s.deployment()
    assert dep["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 2, "maxUnavailable": "25%"},
    }

    container["env"] = [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]
    container["ports"] = [{"containerPort": 443}]
    manifest["spec"]["strategy"] = {"type": "Recreate"}
    res = k8s.apply(manifest)
    assert out(res) == (0, "deployment.apps/nginx configured\n", "")
    k8s.settle()
    dep = k8s.deployment()
    # $retainKeys drops the defaulted rollingUpdate block (Recreate forbids it)
    assert dep["spec"]["strategy"] == {"type": "Recreate"}
    got = dep["spec"]["template"]["spec"]["containers"][0]
    assert got["env"] == [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]
    assert got["ports"] == [{"containerPort": 443, "protocol": "TCP"}]
    by_rev = k8s.rs_by_revision()
    assert sorted(by_rev) == [1, 2]
    assert annots(by_rev[2])[MAX_KEY] == "1"  # Recreate: no surge
    pod = k8s.pods_of(by_rev[2])[0]
    assert pod["spec"]["containers"][0]["env"] == got["env"]


def test_create_deployment_with_the_typed_client(k8s: Cluster) -> None:
    """`kubectl create deployment` posts a protobuf body (typed clientset), like `create
    namespace`; a real API server accepts it."""
    res = k8s.kubectl("create", "deployment", "web", "--image=nginx:1.14", "--replicas=2")
    assert out(res) == (0, "deployment.apps/web created\n", "")
    k8s.settle()
    dep = k8s.deployment("web")
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert image_of(dep) == "nginx:1.14"
    assert len(k8s.items("pods", "-l", "app=web")) == 2


def test_logs_previous_container(cluster: Callable[..., Cluster]) -> None:
    cl = cluster(crash_backoff=0.5)
    apply_and_settle(cl, nginx_deployment(replicas=1))
    apply_and_settle(cl, nginx_deployment("crash", replicas=1, image="nginx:crashloop"))
    pod = cl.items("pods", "-l", "app=nginx")[0]["metadata"]["name"]
    res = cl.kubectl("logs", pod, "--previous")
    assert out(res) == (
        1,
        "",
        (
            f'Error from server (BadRequest): previous terminated container "nginx" in pod '
            f'"{pod}" not found\n'
        ),
    )

    def restarted() -> str | None:
        p = cl.items("pods", "-l", "app=crash")[0]
        statuses = p["status"].get("containerStatuses") or [{}]
        return p["metadata"]["name"] if statuses[0].get("restartCount", 0) >= 1 else None

    crash = wait_for(restarted, timeout=20)
    res = cl.kubectl("logs", crash, "--previous")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout.endswith("\n")
    assert res.stdout.strip()


def test_patch_types_and_wait(cluster: Callable[..., Cluster]) -> None:
    cl = cluster(pod_start_delay=0.3)
    res = cl.apply(nginx_deployment(replicas=1), "--validate=false")
    assert out(res) == (0, "deployment.apps/nginx created\n", "")
    res = cl.kubectl(
        "wait", "--for=condition=Available", "deployment/nginx", "--timeout=30s", timeout=60
    )
    assert out(res) == (0, "deployment.apps/nginx condition met\n", "")
    for args in (
        ("-p", '{"spec":{"replicas":2}}'),
        ("--type=merge", "-p", '{"metadata":{"labels":{"tier":"web"}}}'),
        ("--type=json", "-p", '[{"op":"add","path":"/metadata/labels/team","value":"a"}]'),
    ):
        res = cl.kubectl("patch", "deployment", "nginx", *args)
        assert out(res) == (0, "deployment.apps/nginx patched\n", ""), args
    res = cl.kubectl(
        "wait",
        "--for=jsonpath={.status.readyReplicas}=2",
        "deployment/nginx",
        "--timeout=30s",
        timeout=60,
    )
    assert out(res) == (0, "deployment.apps/nginx condition met\n", "")
    dep = cl.deployment()
    assert dep["metadata"]["labels"] == {"tier": "web", "team": "a"}
    assert dep["spec"]["replicas"] == 2
    assert dep["metadata"]["generation"] == 2
    res = cl.kubectl("patch", "deployment", "nginx", "-p", '{"spec":{"replicas":2}}')
    assert out(res) == (0, "deployment.apps/nginx patched (no change)\n", "")
    res = cl.kubectl("wait", "--for=delete", "deployment/nginx", "--timeout=2s", timeout=60)
    assert res.code == 1
    assert without_deadline_klog(res.stderr) == (
        "error: timed out waiting for the condition on deployments/nginx\n"
    )
    victim = cl.items("pods")[0]["metadata"]["name"]
    cl.kubectl("delete", "pod", victim, "--wait=false").ok()
    res = cl.kubectl("wait", "--for=delete", f"pod/{victim}", "--timeout=30s", timeout=60)
    assert res.code == 0, res.describe()
