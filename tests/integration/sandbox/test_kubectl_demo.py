"""The ``demo`` scenario: the advertised cases exist and behave like a real cluster's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from .conftest import (
    CHANGE_CAUSE_KEY,
    LA_KEY,
    REV_KEY,
    UNDO_LA_WARNING,
    Cluster,
    ages_from,
    annots,
    controller_uid,
    expected_table,
    history_text,
    revision_of,
    sort_by_name,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def demo(cluster: Callable[..., Cluster]) -> Cluster:
    cl = cluster(scenario="demo", crash_backoff=1.0)
    cl.settle(timeout=60)
    return cl


def key(obj: Mapping[str, Any]) -> tuple[str, str]:
    return obj["metadata"]["namespace"], obj["metadata"]["name"]


def owned(cl: Cluster) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(namespace, deployment) -> owned RSes sorted by revision."""
    deps = cl.items("deploy", "-A")
    by_uid = {d["metadata"]["uid"]: key(d) for d in deps}
    result: dict[tuple[str, str], list[dict[str, Any]]] = {key(d): [] for d in deps}
    for rs in cl.items("rs", "-A"):
        uid = controller_uid(rs)
        if uid in by_uid:
            result[by_uid[uid]].append(rs)
    for lst in result.values():
        lst.sort(key=revision_of)
    return result


def is_current(rs: Mapping[str, Any], dep: Mapping[str, Any]) -> bool:
    labels = dict(rs["spec"]["template"]["metadata"].get("labels") or {})
    labels.pop("pod-template-hash", None)
    tmpl = dict(rs["spec"]["template"], metadata=dict(rs["spec"]["template"]["metadata"]))
    tmpl["metadata"]["labels"] = labels
    return tmpl == dep["spec"]["template"]


def config_maps_referenced(template: Mapping[str, Any]) -> set[str]:
    spec = template["spec"]
    names: set[str] = set()
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        for src in c.get("envFrom") or []:
            if "configMapRef" in src:
                names.add(src["configMapRef"]["name"])
        for env in c.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
            if ref:
                names.add(ref["name"])
    for vol in spec.get("volumes") or []:
        if "configMap" in vol:
            names.add(vol["configMap"]["name"])
    return names


def test_demo_has_the_advertised_cases(demo: Cluster) -> None:
    deps = {key(d): d for d in demo.items("deploy", "-A")}
    assert len(deps) >= 6
    assert len({ns for ns, _ in deps}) >= 2
    rs_map = owned(demo)

    # one with (at least) 6 revisions, all with change-causes
    long_history = [
        k
        for k, rss in rs_map.items()
        if len(rss) >= 6 and all(annots(rs).get(CHANGE_CAUSE_KEY) for rs in rss)
    ]
    assert long_history, {k: len(v) for k, v in rs_map.items()}

    # one paused with a staged template that has no RS (no revision) yet
    paused = [k for k, d in deps.items() if d["spec"].get("paused")]
    assert paused
    assert any(not any(is_current(rs, deps[k]) for rs in rs_map[k]) for k in paused)

    # one with revisionHistoryLimit 1 that has cleaned up older revisions
    limited = [
        k
        for k, d in deps.items()
        if d["spec"]["revisionHistoryLimit"] == 1
        and len(rs_map[k]) == 2
        and revision_of(rs_map[k][-1]) >= 3
    ]
    assert limited, [(k, [revision_of(r) for r in v]) for k, v in rs_map.items()]

    # one whose older revision references a ConfigMap that no longer exists
    def missing_config_map(k: tuple[str, str]) -> bool:
        ns = k[0]
        for rs in rs_map[k]:
            if is_current(rs, deps[k]):
                continue
            for name in config_maps_referenced(rs["spec"]["template"]):
                resp = demo.http("GET", f"/api/v1/namespaces/{ns}/configmaps/{name}")
                if resp.status_code == 404:
                    return True
        return False

    assert any(missing_config_map(k) for k in deps)

    # one whose current revision crash-loops
    def crash_looping() -> list[tuple[str, str]]:
        found = []
        for k, d in deps.items():
            current = [rs for rs in rs_map[k] if is_current(rs, d)]
            if not current:
                continue
            for pod in demo.pods_of(current[0]):
                for cs in pod["status"].get("containerStatuses") or []:
                    waiting = (cs.get("state") or {}).get("waiting") or {}
                    if waiting.get("reason") == "CrashLoopBackOff" or cs.get("restartCount"):
                        found.append(k)
        return found

    crashing = wait_for(crash_looping, timeout=20)
    for k in set(crashing):
        res = demo.kubectl("rollout", "status", f"deployment/{k[1]}", "-n", k[0], "--watch=false")
        assert res.code == 0, res.describe()
        assert res.stdout.startswith(f'Waiting for deployment "{k[1]}" rollout to finish: ')


def test_demo_histories_match_the_replicasets(demo: Cluster) -> None:
    for (ns, name), rss in owned(demo).items():
        rows = [(revision_of(rs), annots(rs).get(CHANGE_CAUSE_KEY)) for rs in rss]
        res = demo.kubectl("rollout", "history", f"deployment/{name}", "-n", ns)
        assert (res.code, res.stderr) == (0, ""), res.describe()
        if rows:
            assert res.stdout == history_text(name, rows)
        else:
            assert res.stdout == f"deployment.apps/{name} \nNo rollout history found.\n"
        # and the Deployment's revision annotation is the newest matching RS's
        dep = demo.deployment(name, ns)
        current = [rs for rs in rss if is_current(rs, dep)]
        if current:
            assert annots(dep)[REV_KEY] == annots(current[0])[REV_KEY]


def test_demo_tables(demo: Cluster) -> None:
    deps = sort_by_name(demo.items("deploy", "-A"))
    res = demo.kubectl("get", "deploy", "-A", "-o", "wide")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout == expected_table(
        "deployment", deps, ages_from(res.stdout), wide=True, namespaced_all=True
    )
    rss = sort_by_name(demo.items("rs", "-A"))
    res = demo.kubectl("get", "rs", "-A")
    assert (res.code, res.stderr) == (0, ""), res.describe()
    assert res.stdout == expected_table(
        "replicaset", rss, ages_from(res.stdout), namespaced_all=True
    )
    res = demo.kubectl("get", "ns", "-o", "name")
    assert res.code == 0
    namespaces = {line.split("/", 1)[1] for line in res.stdout.splitlines()}
    assert {ns for ns, _ in map(key, deps)} <= namespaces


def test_demo_roll_back_the_crash_looping_release(demo: Cluster) -> None:
    deps = {key(d): d for d in demo.items("deploy", "-A")}
    rs_map = owned(demo)
    target = None
    for k, d in deps.items():
        if d["spec"].get("paused"):
            continue
        current = [rs for rs in rs_map[k] if is_current(rs, d)]
        images = [c["image"] for c in d["spec"]["template"]["spec"]["containers"]]
        if current and any("crashloop" in i for i in images) and len(rs_map[k]) >= 2:
            target = k
    assert target is not None, "the demo has a deployment whose current release crash-loops"
    ns, name = target
    dep = deps[target]
    previous = rs_map[target][-2]
    warning = UNDO_LA_WARNING.format(name=name) if LA_KEY in annots(dep) else ""
    res = demo.kubectl("rollout", "undo", f"deployment/{name}", "-n", ns)
    assert (res.code, res.stdout, res.stderr) == (
        0,
        f"deployment.apps/{name} rolled back\n",
        warning,
    )
    demo.settle(timeout=60)
    res = demo.kubectl("rollout", "status", f"deployment/{name}", "-n", ns, "--watch=false")
    assert (res.code, res.stdout, res.stderr) == (
        0,
        f'deployment "{name}" successfully rolled out\n',
        "",
    )
    after = owned(demo)[target]
    newest = after[-1]
    assert newest["metadata"]["name"] == previous["metadata"]["name"]
    assert revision_of(newest) == revision_of(rs_map[target][-1]) + 1
    assert annots(newest)["deployment.kubernetes.io/revision-history"].split(",")[-1] == str(
        revision_of(previous)
    )
    assert all(rs["spec"]["replicas"] == 0 for rs in after[:-1])
    pods = demo.pods_of(newest)
    assert len(pods) == dep["spec"]["replicas"]
    assert all(p["status"]["phase"] == "Running" for p in pods)


def test_demo_paused_deployment_refuses_undo(demo: Cluster) -> None:
    paused = [d for d in demo.items("deploy", "-A") if d["spec"].get("paused")]
    assert paused
    dep = paused[0]
    ns, name = key(dep)
    warning = UNDO_LA_WARNING.format(name=name) if LA_KEY in annots(dep) else ""
    res = demo.kubectl("rollout", "undo", f"deployment/{name}", "-n", ns)
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        warning + "error: you cannot rollback a paused deployment; resume it first with "
        "'kubectl rollout resume' and try again\n",
    )
    before = {revision_of(rs) for rs in owned(demo)[(ns, name)]}
    res = demo.kubectl("rollout", "resume", f"deployment/{name}", "-n", ns)
    assert (res.code, res.stdout, res.stderr) == (0, f"deployment.apps/{name} resumed\n", "")
    demo.settle(timeout=60)
    after = owned(demo)[(ns, name)]
    # the staged template becomes a new revision
    assert revision_of(after[-1]) == max(before) + 1
    assert is_current(after[-1], demo.deployment(name, ns))
