"""kubectl get: server-side tables (plain, wide, several kinds, -A), -o json/yaml/name, watch,
selectors (spec V12, §5, §6.2)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import yaml

from .conftest import (
    AGE_RE,
    Cluster,
    ages_from,
    apply_and_settle,
    expected_table,
    go_json,
    make_v1,
    nginx_deployment,
    rs_hash,
    sort_by_name,
    strip_managed_fields,
    tabwriter,
    wait_for,
)

pytestmark = pytest.mark.integration


class _NoDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings (kubectl quotes them anyway)."""


_NoDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def snapshot(cl: Cluster) -> dict[str, list[dict[str, Any]]]:
    return {
        "deployment": sort_by_name(cl.items("deployments")),
        "replicaset": sort_by_name(cl.items("replicasets")),
        "pod": sort_by_name(cl.items("pods")),
    }


def split_blocks(stdout: str) -> list[str]:
    assert stdout.endswith("\n")
    return [block + "\n" for block in stdout[:-1].split("\n\n")]


def check_multi_kind_table(cl: Cluster, wide: bool) -> dict[str, list[dict[str, Any]]]:
    before = snapshot(cl)
    args = ["get", "deploy,rs,pods"] + (["-o", "wide"] if wide else [])
    res = cl.kubectl(*args)
    after = snapshot(cl)
    assert before == after, "the settled cluster changed while being listed"
    assert (res.code, res.stderr) == (0, ""), res.describe()
    blocks = split_blocks(res.stdout)
    assert len(blocks) == 3, res.stdout
    expected = [
        expected_table(kind, before[kind], ages_from(block), wide=wide, prefixed=True)
        for kind, block in zip(("deployment", "replicaset", "pod"), blocks, strict=True)
    ]
    assert res.stdout == "\n".join(expected)
    return before


def test_v12_get_deploy_rs_pods(k8s: Cluster) -> None:
    make_v1(k8s)
    objs = check_multi_kind_table(k8s, wide=False)
    by_rev = k8s.rs_by_revision()
    # the RS rows of V12: H1 0 0 0, H2 0 0 0, H3 3 3 3
    rows = {
        rs["metadata"]["name"]: (
            rs["spec"]["replicas"],
            rs["status"]["replicas"],
            rs["status"].get("readyReplicas", 0),
        )
        for rs in objs["replicaset"]
    }
    assert rows == {
        by_rev[1]["metadata"]["name"]: (0, 0, 0),
        by_rev[2]["metadata"]["name"]: (0, 0, 0),
        by_rev[3]["metadata"]["name"]: (3, 3, 3),
    }
    lines = k8s.kubectl("get", "deploy,rs,pods").ok().stdout.splitlines()
    assert re.fullmatch(r"deployment\.apps/nginx   3/3     3            3           \S+", lines[1])
    assert lines[0] == "NAME                    READY   UP-TO-DATE   AVAILABLE   AGE"
    assert len([line for line in lines if line.startswith("pod/")]) == 3


def test_v12_get_wide(k8s: Cluster) -> None:
    make_v1(k8s)
    objs = check_multi_kind_table(k8s, wide=True)
    h3 = rs_hash(k8s.rs_by_revision()[3])
    out = k8s.kubectl("get", "deploy,rs,pods", "-o", "wide").ok().stdout
    dep_line = out.splitlines()[1]
    assert re.fullmatch(
        r"deployment\.apps/nginx\s+3/3\s+3\s+3\s+\S+\s+nginx\s+nginx:1\.17\s+app=nginx", dep_line
    )
    assert f"app=nginx,pod-template-hash={h3}\n" in out
    header = out.split("\n\n")[2].splitlines()[0]
    assert header.split()[-6:] == ["IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    assert all(p["spec"].get("nodeName") for p in objs["pod"]), "scheduled pods have a node"


def test_get_single_kind_and_single_object(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    deps = k8s.items("deployments")
    res = k8s.kubectl("get", "deployments")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout == expected_table("deployment", deps, ages_from(res.stdout))
    res = k8s.kubectl("get", "deployment", "nginx")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout == expected_table("deployment", deps, ages_from(res.stdout))
    pods = sort_by_name(k8s.items("po"))
    assert len(pods) == 2
    res = k8s.kubectl("get", "po", "-o", "wide")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout == expected_table("pod", pods, ages_from(res.stdout), wide=True)
    name = pods[1]["metadata"]["name"]
    res = k8s.kubectl("get", "pod", name)
    assert res.stdout == expected_table("pod", [pods[1]], ages_from(res.stdout))


def test_get_show_labels_and_sort_by(k8s: Cluster) -> None:
    for name, replicas in (("a", 1), ("b", 3), ("c", 2)):
        manifest = nginx_deployment(name, replicas=replicas)
        manifest["metadata"]["labels"] = {"tier": f"t-{name}", "team": "x"}
        apply_and_settle(k8s, manifest)
    res = k8s.kubectl("get", "deploy", "--show-labels")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    deps = sort_by_name(k8s.items("deploy"))
    ages = ages_from(res.stdout)
    rows = [["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "LABELS"]]

    def labels_of(dep: Mapping[str, Any]) -> str:
        assert dep["metadata"]["labels"] == {"tier": f"t-{dep['metadata']['name']}", "team": "x"}
        return f"team=x,tier=t-{dep['metadata']['name']}"

    for dep, age in zip(deps, ages, strict=True):
        n = dep["spec"]["replicas"]
        rows.append([dep["metadata"]["name"], f"{n}/{n}", str(n), str(n), age, labels_of(dep)])
    assert res.stdout == tabwriter(rows)
    # --sort-by needs the full objects in the Table rows (includeObject=Object)
    res = k8s.kubectl("get", "deploy", "--sort-by=.spec.replicas", "-o", "name")
    assert (res.code, res.stdout, res.stderr) == (
        0,
        "deployment.apps/a\ndeployment.apps/c\ndeployment.apps/b\n",
        "",
    )
    res = k8s.kubectl("get", "deploy", "--sort-by=.spec.replicas")
    assert res.code == 0, res.describe()
    assert [line.split()[0] for line in res.stdout.splitlines()[1:]] == ["a", "c", "b"]


def test_get_all_namespaces(k8s: Cluster) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    assert k8s.apply(ns).ok().stdout == "namespace/team-a created\n"
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    apply_and_settle(k8s, nginx_deployment("web", replicas=1, namespace="team-a"))
    deps = sort_by_name(k8s.items("deploy", "-A"))
    assert [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in deps] == [
        ("default", "nginx"),
        ("team-a", "web"),
    ]
    res = k8s.kubectl("get", "deploy", "-A")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout == expected_table(
        "deployment", deps, ages_from(res.stdout), namespaced_all=True
    )
    pods = sort_by_name(k8s.items("pods", "--all-namespaces"))
    assert len(pods) == 3
    res = k8s.kubectl("get", "pods", "-A")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout == expected_table("pod", pods, ages_from(res.stdout), namespaced_all=True)
    res = k8s.kubectl("get", "deploy", "-n", "team-a", "-o", "name")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/web\n", "")


def test_get_namespaces_table(k8s: Cluster) -> None:
    res = k8s.kubectl("get", "ns")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    names = ["default", "kube-node-lease", "kube-public", "kube-system"]
    ages = ages_from(res.stdout)
    rows = [["NAME", "STATUS", "AGE"]] + [
        [n, "Active", age] for n, age in zip(names, ages, strict=True)
    ]
    assert res.stdout == tabwriter(rows)
    ns = k8s.get_json("namespace", "default")
    assert ns["status"]["phase"] == "Active"
    assert (ns["apiVersion"], ns["kind"]) == ("v1", "Namespace")


def test_get_json_single_object_exact(k8s: Cluster) -> None:
    make_v1(k8s)
    for kind_path, kind, name in (
        ("/apis/apps/v1/namespaces/default/deployments/nginx", "deployment", "nginx"),
        (
            "/apis/apps/v1/namespaces/default/replicasets/{rs}",
            "replicaset",
            k8s.rs_by_revision()[3]["metadata"]["name"],
        ),
    ):
        path = kind_path.format(rs=name)
        raw = k8s.http("GET", path)
        assert raw.status_code == 200, raw.text
        assert raw.headers["Content-Type"].startswith("application/json")
        obj = raw.json()
        assert obj["kind"] in ("Deployment", "ReplicaSet")
        assert obj["apiVersion"] == "apps/v1"
        res = k8s.kubectl("get", kind, name, "-o", "json")
        assert (res.code, res.stderr) == (0, ""), res.describe()
        assert res.stdout == go_json(strip_managed_fields(obj))
    pod = k8s.items("pods")[0]
    raw = k8s.http("GET", f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}")
    res = k8s.kubectl("get", "pod", pod["metadata"]["name"], "-o", "json")
    assert res.stdout == go_json(strip_managed_fields(raw.json()))


def test_get_json_list_exact(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    deps = k8s.http("GET", "/apis/apps/v1/namespaces/default/deployments").json()
    rss = k8s.http("GET", "/apis/apps/v1/namespaces/default/replicasets").json()
    assert deps["kind"] == "DeploymentList"
    assert deps["apiVersion"] == "apps/v1"
    assert re.fullmatch(r"\d+", deps["metadata"]["resourceVersion"])
    items = []
    for lst, kind in ((deps, "Deployment"), (rss, "ReplicaSet")):
        for item in lst["items"]:
            item = strip_managed_fields(item)
            item["kind"] = kind
            item["apiVersion"] = "apps/v1"
            items.append(item)
    res = k8s.kubectl("get", "deploy,rs", "-o", "json")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    expected = {
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    assert res.stdout == go_json(expected)


def test_get_yaml(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    raw = k8s.http("GET", "/apis/apps/v1/namespaces/default/deployments/nginx").json()
    res = k8s.kubectl("get", "deployment", "nginx", "-o", "yaml")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout.startswith("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n")
    assert yaml.load(res.stdout, Loader=_NoDatesLoader) == strip_managed_fields(raw)
    created = raw["metadata"]["creationTimestamp"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created)
    assert f'  creationTimestamp: "{created}"\n' in res.stdout


def test_deployment_defaults_and_metadata(k8s: Cluster) -> None:
    """What the API server fills in (§1.14, §6.3), visible through kubectl -o json."""
    apply_and_settle(k8s, nginx_deployment())
    dep = k8s.deployment()
    meta = dep["metadata"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", meta["uid"]
    )
    assert re.fullmatch(r"[1-9]\d*", meta["resourceVersion"])
    assert meta["generation"] == 1
    assert meta["namespace"] == "default"
    assert "selfLink" not in meta
    spec = dep["spec"]
    assert spec["replicas"] == 3
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    pod_spec = spec["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Always"
    assert pod_spec["terminationGracePeriodSeconds"] == 30
    assert pod_spec["dnsPolicy"] == "ClusterFirst"
    assert pod_spec["securityContext"] == {}
    assert pod_spec["schedulerName"] == "default-scheduler"
    assert pod_spec["containers"] == [
        {
            "name": "nginx",
            "image": "nginx:1.14",
            "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "resources": {},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent",
        }
    ]
    assert "creationTimestamp" not in spec["template"]["metadata"]
    conds = {c["type"]: c for c in dep["status"]["conditions"]}
    assert (conds["Available"]["status"], conds["Available"]["reason"]) == (
        "True",
        "MinimumReplicasAvailable",
    )
    rs_name = k8s.rs_by_revision()[1]["metadata"]["name"]
    assert (conds["Progressing"]["status"], conds["Progressing"]["reason"]) == (
        "True",
        "NewReplicaSetAvailable",
    )
    assert conds["Progressing"]["message"] == f'ReplicaSet "{rs_name}" has successfully progressed.'
    assert [c["type"] for c in dep["status"]["conditions"]] == ["Available", "Progressing"]


def test_image_pull_policy_defaults(k8s: Cluster) -> None:
    manifest = nginx_deployment(replicas=1, image="nginx")
    containers = manifest["spec"]["template"]["spec"]["containers"]
    containers.append({"name": "side", "image": "busybox:latest"})
    containers.append({"name": "pinned", "image": "busybox:1.36"})
    apply_and_settle(k8s, manifest)
    got = {
        c["name"]: c["imagePullPolicy"]
        for c in k8s.deployment()["spec"]["template"]["spec"]["containers"]
    }
    assert got == {"nginx": "Always", "side": "Always", "pinned": "IfNotPresent"}
    pods = k8s.items("pods")
    assert len(pods) == 1
    res = k8s.kubectl("get", "pods")
    assert re.fullmatch(r"nginx-\S+\s+3/3\s+Running\s+0\s+\S+", res.stdout.splitlines()[1])


def test_get_pods_watch(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    initial = sort_by_name(k8s.items("pods"))
    names = {p["metadata"]["name"] for p in initial}
    with k8s.stream("get", "pods", "-w") as watch:
        header = watch.next_line(timeout=30)
        assert header is not None, watch.stderr()
        rows = [watch.next_line(timeout=10) for _ in initial]
        table = "\n".join([header, *[r or "" for r in rows]]) + "\n"
        assert table == expected_table("pod", initial, ages_from(table))
        res = k8s.kubectl("scale", "deployment/nginx", "--replicas=3")
        assert res.ok().stdout == "deployment.apps/nginx scaled\n"
        line = watch.wait_for(lambda row: row.split()[0] not in names, timeout=20)
        new_name = line.split()[0]
        assert re.fullmatch(r"nginx-[4-9bcdf]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}", new_name)
        # the new pod eventually shows up Running and ready
        watch.wait_for(lambda row: row.split()[:3] == [new_name, "1/1", "Running"], timeout=20)
    k8s.settle()
    assert new_name in {p["metadata"]["name"] for p in k8s.items("pods")}


def test_get_pods_crashloop_and_pull_error(cluster: Callable[..., Cluster]) -> None:
    cl = cluster(crash_backoff=0.5)
    apply_and_settle(cl, nginx_deployment("crash", replicas=1, image="nginx:1-crashloop"))
    apply_and_settle(cl, nginx_deployment("pull", replicas=1, image="nginx:pullerror"))

    def crash_pod() -> Mapping[str, Any] | None:
        pods = list(cl.items("pods", "-l", "app=crash"))
        assert len(pods) == 1
        cs = (pods[0]["status"].get("containerStatuses") or [{}])[0]
        return pods[0] if cs.get("restartCount", 0) >= 2 else None

    pod = wait_for(crash_pod, timeout=30)
    cs = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Running"
    assert cs["ready"] is False
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    ready = {c["type"]: c for c in pod["status"]["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [nginx]",
    )
    if "waiting" in cs["state"]:
        waiting = cs["state"]["waiting"]
        assert waiting["reason"] == "CrashLoopBackOff"
        assert re.fullmatch(
            rf"back-off \S+ restarting failed container=nginx "
            rf"pod={pod['metadata']['name']}_default\({pod['metadata']['uid']}\)",
            waiting["message"],
        ), waiting["message"]

    pull = cl.items("pods", "-l", "app=pull")[0]
    assert pull["status"]["phase"] == "Pending"
    pull_cs = pull["status"]["containerStatuses"][0]
    assert pull_cs["state"]["waiting"]["reason"] in ("ErrImagePull", "ImagePullBackOff")
    assert pull_cs["restartCount"] == 0

    res = cl.kubectl("get", "pods")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = {re.split(r" {3,}", line)[0]: re.split(r" {3,}", line) for line in lines[1:]}
    crash_row = rows[pod["metadata"]["name"]]
    assert crash_row[1] == "0/1"
    # between back-offs the restarted container may briefly run (not ready)
    assert crash_row[2] in ("CrashLoopBackOff", "Error", "Running")
    m = re.fullmatch(r"(\d+) \((\S+) ago\)", crash_row[3])
    assert m, crash_row
    assert int(m.group(1)) >= 2, crash_row
    assert AGE_RE.match(m.group(2)), crash_row
    assert AGE_RE.match(crash_row[4])
    pull_row = rows[pull["metadata"]["name"]]
    assert pull_row[3] == "0"
    assert pull_row[1] == "0/1"
    assert pull_row[2] in ("ErrImagePull", "ImagePullBackOff")


def test_label_and_field_selectors(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(replicas=2))
    apply_and_settle(k8s, nginx_deployment("web", replicas=1))
    pods = sort_by_name(k8s.items("pods"))
    by_app: dict[str, list[str]] = {}
    for p in pods:
        by_app.setdefault(p["metadata"]["labels"]["app"], []).append(p["metadata"]["name"])
    assert {k: len(v) for k, v in by_app.items()} == {"nginx": 2, "web": 1}

    def names(*selector: str) -> str:
        res = k8s.kubectl("get", "pods", *selector, "-o", "name")
        assert (res.code, res.stderr) == (0, ""), res.describe()
        return res.stdout

    def as_out(pod_names: list[str]) -> str:
        return "".join(f"pod/{n}\n" for n in sorted(pod_names))

    assert names("-l", "app=nginx") == as_out(by_app["nginx"])
    assert names("-l", "app==web") == as_out(by_app["web"])
    assert names("-l", "app!=nginx") == as_out(by_app["web"])
    assert names("-l", "app in (nginx,web)") == as_out(by_app["nginx"] + by_app["web"])
    assert names("-l", "app notin (nginx)") == as_out(by_app["web"])
    assert names("-l", "app,pod-template-hash") == as_out(by_app["nginx"] + by_app["web"])
    first = by_app["nginx"][0]
    assert names("--field-selector", f"metadata.name={first}") == as_out([first])
    assert names("--field-selector", f"metadata.name!={first}") == as_out(
        by_app["nginx"][1:] + by_app["web"]
    )
    assert names("--field-selector", "metadata.namespace=default", "-l", "app=web") == as_out(
        by_app["web"]
    )
    assert names("--field-selector", "status.phase=Running") == as_out(
        by_app["nginx"] + by_app["web"]
    )
    assert names("--field-selector", f"spec.nodeName={pods[0]['spec']['nodeName']}")
    res = k8s.kubectl("get", "pods", "--field-selector", "spec.foo=bar")
    assert res.code == 1, res.describe()
    assert res.stderr.startswith("Error from server (BadRequest): "), res.stderr
    assert res.stderr.endswith("field label not supported: spec.foo\n"), res.stderr
    res = k8s.kubectl("get", "pods", "-l", "!app")
    assert (res.code, res.stdout, res.stderr) == (
        0,
        "",
        "No resources found in default namespace.\n",
    )


def test_list_resource_version_and_order(k8s: Cluster) -> None:
    for name in ("zeta", "alpha", "mid"):
        apply_and_settle(k8s, nginx_deployment(name, replicas=1))
    raw = k8s.http("GET", "/apis/apps/v1/namespaces/default/deployments").json()
    assert [d["metadata"]["name"] for d in raw["items"]] == ["alpha", "mid", "zeta"]
    list_rv = int(raw["metadata"]["resourceVersion"])
    assert all(int(d["metadata"]["resourceVersion"]) <= list_rv for d in raw["items"])
    out = k8s.kubectl("get", "deploy", "-o", "name").ok().stdout
    assert out == "deployment.apps/alpha\ndeployment.apps/mid\ndeployment.apps/zeta\n"
    # a change moves the global counter forward
    k8s.kubectl("annotate", "deployment/mid", "x=y").ok()
    mid = k8s.deployment("mid")
    assert int(mid["metadata"]["resourceVersion"]) > list_rv
    assert mid["metadata"]["annotations"]["x"] == "y"


def test_set_based_selector_deployment(k8s: Cluster) -> None:
    manifest = nginx_deployment(labels={"app": "nginx", "tier": "web"})
    manifest["spec"]["selector"] = {
        "matchLabels": {"tier": "web"},
        "matchExpressions": [
            {"key": "app", "operator": "In", "values": ["nginx", "proxy"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    apply_and_settle(k8s, manifest)
    rs = k8s.rs_by_revision()[1]
    h = rs_hash(rs)
    assert rs["spec"]["selector"]["matchLabels"] == {"tier": "web", "pod-template-hash": h}
    assert (
        rs["spec"]["selector"]["matchExpressions"]
        == manifest["spec"]["selector"]["matchExpressions"]
    )
    assert len(k8s.pods_of(rs)) == 3
    res = k8s.kubectl("get", "deploy,rs", "-o", "wide")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    blocks = split_blocks(res.stdout)
    assert blocks[0] == expected_table(
        "deployment", k8s.items("deploy"), ages_from(blocks[0]), wide=True, prefixed=True
    )
    assert blocks[1] == expected_table(
        "replicaset", k8s.items("rs"), ages_from(blocks[1]), wide=True, prefixed=True
    )
    assert "app in (nginx,proxy),!canary,pod-template-hash=" in blocks[1]
    res = k8s.kubectl("set", "image", "deployment/nginx", "nginx=nginx:1.16")
    assert res.ok().stdout == "deployment.apps/nginx image updated\n"
    k8s.settle()
    res = k8s.kubectl("rollout", "history", "deployment/nginx")
    assert res.ok().stdout == (
        "deployment.apps/nginx \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    )


def test_describe_deployment(k8s: Cluster) -> None:
    make_v1(k8s)
    by_rev = k8s.rs_by_revision()
    names = {r: rs["metadata"]["name"] for r, rs in by_rev.items()}
    res = k8s.kubectl("describe", "deployment", "nginx")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    lines = res.stdout.splitlines()
    assert lines[0] == "Name:                   nginx"
    assert "Namespace:              default" in lines
    assert "Selector:               app=nginx" in lines
    assert (
        "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable"
        in lines
    )
    assert "StrategyType:           RollingUpdate" in lines
    assert "RollingUpdateStrategy:  25% max unavailable, 25% max surge" in lines
    assert "  Available      True    MinimumReplicasAvailable" in lines
    assert "  Progressing    True    NewReplicaSetAvailable" in lines
    old = sorted([names[1], names[2]])
    assert f"NewReplicaSet:   {names[3]} (3/3 replicas created)" in lines
    old_line = next(line for line in lines if line.startswith("OldReplicaSets:"))
    assert (
        sorted(
            part.split(" ")[0] for part in old_line[len("OldReplicaSets:") :].strip().split(", ")
        )
        == old
    )
    assert "(0/0 replicas created)" in old_line


def test_running_pod_model(k8s: Cluster) -> None:
    """Pod status of a running, ready pod (§6.8)."""
    apply_and_settle(k8s, nginx_deployment(replicas=1))
    pod = k8s.items("pods")[0]
    st = pod["status"]
    assert st["phase"] == "Running"
    conds = {c["type"]: c["status"] for c in st["conditions"]}
    assert conds == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }
    (cs,) = st["containerStatuses"]
    assert cs["name"] == "nginx"
    assert cs["image"] == "nginx:1.14"
    assert (cs["ready"], cs["started"], cs["restartCount"]) == (True, True, 0)
    assert cs["containerID"]
    assert cs["imageID"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cs["state"]["running"]["startedAt"])
    assert pod["spec"]["nodeName"]
    assert st["podIP"]
    assert pod["metadata"]["labels"]["app"] == "nginx"
