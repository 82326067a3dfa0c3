"""Revision history and rollback: spec vectors V1-V10 with the real kubectl as referee."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from .conftest import (
    CHANGE_CAUSE_KEY,
    DESIRED_KEY,
    HASH_KEY,
    LA_KEY,
    MAX_KEY,
    POD_SUFFIX_RE,
    REV_HISTORY_KEY,
    REV_KEY,
    UNDO_LA_WARNING,
    Cluster,
    annots,
    apply_and_settle,
    assert_rs_wiring,
    condition,
    history_text,
    image_of,
    make_v1,
    nginx_deployment,
    replicas_of,
    revision_text,
    rs_hash,
    set_image,
    template_description,
)

pytestmark = pytest.mark.integration

WARN = UNDO_LA_WARNING.format(name="nginx")


def undo(cl: Cluster, *args: str) -> tuple[int, str, str]:
    res = cl.kubectl("rollout", "undo", "deployment/nginx", *args)
    return res.code, res.stdout, res.stderr


def history(cl: Cluster, *args: str) -> tuple[int, str, str]:
    res = cl.kubectl("rollout", "history", "deployment/nginx", *args)
    return res.code, res.stdout, res.stderr


def state(cl: Cluster) -> dict[int, tuple[str, int, str | None]]:
    """revision -> (image, spec.replicas, revision-history) of the owned RSes."""
    return {
        rev: (image_of(rs), replicas_of(rs), annots(rs).get(REV_HISTORY_KEY))
        for rev, rs in cl.rs_by_revision().items()
    }


def test_v1_three_revisions_plain_history(k8s: Cluster) -> None:
    make_v1(k8s)
    dep = k8s.deployment()
    by_rev = k8s.rs_by_revision()
    assert state(k8s) == {
        1: ("nginx:1.14", 0, None),
        2: ("nginx:1.16", 0, None),
        3: ("nginx:1.17", 3, None),
    }
    for rev, rs in by_rev.items():
        assert_rs_wiring(rs, dep)
        ann = annots(rs)
        assert ann[REV_KEY] == str(rev)
        assert ann[DESIRED_KEY] == "3"
        assert ann[MAX_KEY] == "4"
        assert LA_KEY not in ann  # never copied to RSes
    assert len({rs_hash(rs) for rs in by_rev.values()}) == 3
    ann = annots(dep)
    assert set(ann) == {REV_KEY, LA_KEY}
    assert ann[REV_KEY] == "3"
    assert dep["metadata"]["generation"] == 3
    assert HASH_KEY not in dep["spec"]["template"]["metadata"]["labels"]
    st = dep["status"]
    assert (st["observedGeneration"], st["replicas"], st["updatedReplicas"]) == (3, 3, 3)
    assert (st["readyReplicas"], st["availableReplicas"]) == (3, 3)
    # the pods belong to revision 3
    pods = k8s.pods_of(by_rev[3])
    assert len(pods) == 3
    h3 = rs_hash(by_rev[3])
    for pod in pods:
        assert pod["metadata"]["name"].startswith(f"nginx-{h3}-")
        assert len(pod["metadata"]["name"]) == len(f"nginx-{h3}-") + 5
        assert pod["metadata"]["labels"] == {"app": "nginx", HASH_KEY: h3}
        assert pod["spec"]["containers"][0]["image"] == "nginx:1.17"
        assert pod["status"]["phase"] == "Running"
    assert all(not k8s.pods_of(by_rev[r]) for r in (1, 2))

    assert history(k8s) == (
        0,
        (
            "deployment.apps/nginx \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n"
            "3         <none>\n\n"
        ),
        "",
    )


def test_history_revision_detail_has_literal_tabs(k8s: Cluster) -> None:
    make_v1(k8s)
    h2 = rs_hash(k8s.rs_by_revision()[2])
    expected = (
        "deployment.apps/nginx with revision #2\n"
        "Pod Template:\n"
        "  Labels:\tapp=nginx\n"
        f"\tpod-template-hash={h2}\n"
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
        "\n"
    )
    assert history(k8s, "--revision=2") == (0, expected, "")


def test_history_with_no_replicasets(k8s: Cluster) -> None:
    """A Deployment created paused gets no RS at all: kubectl prints 'No rollout history'."""
    apply_and_settle(k8s, nginx_deployment(paused=True))
    assert k8s.owned_replicasets() == []
    assert history(k8s) == (0, "deployment.apps/nginx \nNo rollout history found.\n", "")
    dep = k8s.deployment()
    assert REV_KEY not in annots(dep)
    # resuming creates revision 1
    assert k8s.kubectl("rollout", "resume", "deployment/nginx").ok().stdout == (
        "deployment.apps/nginx resumed\n"
    )
    k8s.settle()
    assert state(k8s) == {1: ("nginx:1.14", 3, None)}


def test_v2_undo_to_previous_revision(k8s: Cluster) -> None:
    make_v1(k8s)
    before = k8s.rs_by_revision()
    h1, h2, h3 = (rs_hash(before[r]) for r in (1, 2, 3))
    la = annots(k8s.deployment())[LA_KEY]

    assert undo(k8s) == (0, "deployment.apps/nginx rolled back\n", WARN)
    k8s.settle()

    dep = k8s.deployment()
    assert annots(dep) == {REV_KEY: "4", LA_KEY: la}
    assert dep["metadata"]["generation"] == 4
    assert image_of(dep) == "nginx:1.16"
    assert dep["spec"]["template"]["metadata"]["labels"] == {"app": "nginx"}
    after = k8s.rs_by_revision()
    assert {r: rs_hash(rs) for r, rs in after.items()} == {1: h1, 3: h3, 4: h2}
    assert state(k8s) == {
        1: ("nginx:1.14", 0, None),
        3: ("nginx:1.17", 0, None),
        4: ("nginx:1.16", 3, "2"),
    }
    assert annots(after[4])[DESIRED_KEY] == "3"
    pods = k8s.pods_of(after[4])
    assert sorted(image_of(p) for p in pods) == ["nginx:1.16"] * 3
    assert history(k8s) == (
        0,
        history_text("nginx", [(1, None), (3, None), (4, None)]),
        "",
    )

    # a second plain undo targets revision 3
    assert undo(k8s) == (0, "deployment.apps/nginx rolled back\n", WARN)
    k8s.settle()
    after = k8s.rs_by_revision()
    assert {r: rs_hash(rs) for r, rs in after.items()} == {1: h1, 4: h2, 5: h3}
    assert state(k8s) == {
        1: ("nginx:1.14", 0, None),
        4: ("nginx:1.16", 0, "2"),
        5: ("nginx:1.17", 3, "3"),
    }
    dep = k8s.deployment()
    assert annots(dep) == {REV_KEY: "5", LA_KEY: la}
    assert dep["metadata"]["generation"] == 5
    assert history(k8s) == (0, history_text("nginx", [(1, None), (4, None), (5, None)]), "")


def test_v3_undo_to_specific_revision(k8s: Cluster) -> None:
    make_v1(k8s)
    h1 = rs_hash(k8s.rs_by_revision()[1])
    assert undo(k8s, "--to-revision=1") == (0, "deployment.apps/nginx rolled back\n", WARN)
    k8s.settle()
    after = k8s.rs_by_revision()
    assert rs_hash(after[4]) == h1
    assert state(k8s) == {
        2: ("nginx:1.16", 0, None),
        3: ("nginx:1.17", 0, None),
        4: ("nginx:1.14", 3, "1"),
    }
    pods = k8s.pods_of(after[4])
    assert sorted(p["spec"]["containers"][0]["image"] for p in pods) == ["nginx:1.14"] * 3
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert history(k8s) == (0, history_text("nginx", [(2, None), (3, None), (4, None)]), "")


def test_v4_undo_to_live_revision_is_skipped(k8s: Cluster) -> None:
    make_v1(k8s)
    dep_before = k8s.deployment()
    rs_before = {r: rs["metadata"]["resourceVersion"] for r, rs in k8s.rs_by_revision().items()}
    assert undo(k8s, "--to-revision=3") == (
        0,
        "deployment.apps/nginx skipped rollback (current template already matches revision 3)\n",
        WARN,
    )
    k8s.settle()
    dep_after = k8s.deployment()
    assert dep_after["metadata"]["resourceVersion"] == dep_before["metadata"]["resourceVersion"]
    assert dep_after["metadata"]["generation"] == 3
    assert {r: rs["metadata"]["resourceVersion"] for r, rs in k8s.rs_by_revision().items()} == (
        rs_before
    )


def test_v4_unknown_revision(k8s: Cluster) -> None:
    make_v1(k8s)
    rv = k8s.deployment()["metadata"]["resourceVersion"]
    assert undo(k8s, "--to-revision=7") == (
        1,
        "",
        WARN + "error: unable to find specified revision 7 in history\n",
    )
    assert history(k8s, "--revision=7") == (1, "", "error: unable to find the specified revision\n")
    assert k8s.deployment()["metadata"]["resourceVersion"] == rv


def test_v5_paused_deployment(k8s: Cluster) -> None:
    make_v1(k8s)
    h2 = rs_hash(k8s.rs_by_revision()[2])
    gen = k8s.deployment()["metadata"]["generation"]

    res = k8s.kubectl("rollout", "pause", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx paused\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert dep["spec"]["paused"] is True
    assert dep["metadata"]["generation"] == gen + 1
    progressing = condition(dep, "Progressing")
    assert progressing is not None
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )

    assert undo(k8s) == (
        1,
        "",
        WARN + "error: you cannot rollback a paused deployment; resume it first with "
        "'kubectl rollout resume' and try again\n",
    )
    assert undo(k8s, "--to-revision=9") == (
        1,
        "",
        WARN + "error: unable to find specified revision 9 in history\n",
    )
    rv = k8s.deployment()["metadata"]["resourceVersion"]
    expected = (
        "deployment.apps/nginx "
        + template_description({"app": "nginx", HASH_KEY: h2}, "nginx:1.16")
        + " (dry run)\n"
    )
    assert undo(k8s, "--dry-run=client") == (0, expected, WARN)
    assert k8s.deployment()["metadata"]["resourceVersion"] == rv

    res = k8s.kubectl("rollout", "pause", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        'error: deployments.apps "nginx" is already paused\n',
    )

    # a template change while paused: generation bumps, no new RS, history unchanged
    gen = k8s.deployment()["metadata"]["generation"]
    set_image(k8s, "nginx:1.18")
    dep = k8s.deployment()
    assert dep["metadata"]["generation"] == gen + 1
    assert image_of(dep) == "nginx:1.18"
    assert state(k8s) == {
        1: ("nginx:1.14", 0, None),
        2: ("nginx:1.16", 0, None),
        3: ("nginx:1.17", 3, None),
    }
    assert annots(dep)[REV_KEY] == "3"
    assert history(k8s) == (
        0,
        history_text("nginx", [(1, None), (2, None), (3, None)]),
        "",
    )

    res = k8s.kubectl("rollout", "resume", "deployment/nginx")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx resumed\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert not dep["spec"].get("paused", False)
    assert state(k8s) == {
        1: ("nginx:1.14", 0, None),
        2: ("nginx:1.16", 0, None),
        3: ("nginx:1.17", 0, None),
        4: ("nginx:1.18", 3, None),
    }
    assert annots(dep)[REV_KEY] == "4"
    progressing = condition(dep, "Progressing")
    assert progressing is not None
    assert (progressing["status"], progressing["reason"]) == ("True", "NewReplicaSetAvailable")


def test_v6_revision_history_limit_one(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(revisionHistoryLimit=1))
    set_image(k8s, "nginx:1.16")
    assert sorted(k8s.rs_by_revision()) == [1, 2]
    set_image(k8s, "nginx:1.17")
    assert sorted(k8s.rs_by_revision()) == [2, 3]
    set_image(k8s, "nginx:1.18")
    assert state(k8s) == {3: ("nginx:1.17", 0, None), 4: ("nginx:1.18", 3, None)}
    assert history(k8s) == (0, history_text("nginx", [(3, None), (4, None)]), "")
    h3 = rs_hash(k8s.rs_by_revision()[3])

    assert undo(k8s) == (0, "deployment.apps/nginx rolled back\n", WARN)
    k8s.settle()
    after = k8s.rs_by_revision()
    assert rs_hash(after[5]) == h3
    assert state(k8s) == {4: ("nginx:1.18", 0, None), 5: ("nginx:1.17", 3, "3")}
    assert history(k8s) == (0, history_text("nginx", [(4, None), (5, None)]), "")

    assert undo(k8s, "--to-revision=2") == (
        1,
        "",
        WARN + "error: unable to find specified revision 2 in history\n",
    )


def test_v6_revision_history_limit_zero(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment(revisionHistoryLimit=0))
    set_image(k8s, "nginx:1.16")
    assert state(k8s) == {2: ("nginx:1.16", 3, None)}
    assert history(k8s) == (0, history_text("nginx", [(2, None)]), "")
    assert undo(k8s) == (
        1,
        "",
        WARN + 'error: no rollout history found for deployment "nginx"\n',
    )


def test_v7_change_cause_by_annotate_and_stale_copy(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    set_image(k8s, "nginx:1.16")
    gen = k8s.deployment()["metadata"]["generation"]
    assert gen == 2

    res = k8s.kubectl("annotate", "deployment/nginx", "kubernetes.io/change-cause=update to 1.16")
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx annotated\n", "")
    k8s.settle()
    dep = k8s.deployment()
    assert dep["metadata"]["generation"] == 3
    assert annots(dep)[CHANGE_CAUSE_KEY] == "update to 1.16"
    by_rev = k8s.rs_by_revision()
    assert annots(by_rev[2])[CHANGE_CAUSE_KEY] == "update to 1.16"
    assert CHANGE_CAUSE_KEY not in annots(by_rev[1])
    assert history(k8s) == (
        0,
        (
            "deployment.apps/nginx \nREVISION  CHANGE-CAUSE\n1         <none>\n"
            "2         update to 1.16\n\n"
        ),
        "",
    )
    h2 = rs_hash(by_rev[2])
    expected = revision_text(
        "nginx",
        2,
        template_description(
            {"app": "nginx", HASH_KEY: h2},
            "nginx:1.16",
            annotations_={CHANGE_CAUSE_KEY: "update to 1.16"},
        ),
    )
    assert history(k8s, "--revision=2") == (0, expected, "")

    # the stale change-cause is copied onto the next revision
    set_image(k8s, "nginx:1.17")
    by_rev = k8s.rs_by_revision()
    assert annots(by_rev[3])[CHANGE_CAUSE_KEY] == "update to 1.16"
    assert history(k8s) == (
        0,
        history_text("nginx", [(1, None), (2, "update to 1.16"), (3, "update to 1.16")]),
        "",
    )

    la = annots(k8s.deployment())[LA_KEY]
    assert undo(k8s, "--to-revision=1") == (0, "deployment.apps/nginx rolled back\n", WARN)
    k8s.settle()
    dep = k8s.deployment()
    # /metadata/annotations was replaced: no change-cause (RS rev 1 had none)
    assert annots(dep) == {REV_KEY: "4", LA_KEY: la}
    assert CHANGE_CAUSE_KEY not in annots(k8s.rs_by_revision()[4])
    assert history(k8s) == (
        0,
        history_text("nginx", [(2, "update to 1.16"), (3, "update to 1.16"), (4, None)]),
        "",
    )


def test_v8_record_flag(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    # --cache-dir would be echoed into the change-cause: rely on the per-test HOME instead
    res = k8s.kubectl(
        "set", "image", "deployment/nginx", "nginx=nginx:1.25", "--record", cache_dir_flag=False
    )
    assert (res.code, res.stdout, res.stderr) == (
        0,
        "deployment.apps/nginx image updated\n",
        "Flag --record has been deprecated, --record will be removed in the future\n",
    )
    k8s.settle()
    cause = "kubectl set image deployment/nginx nginx=nginx:1.25 --record=true"
    assert annots(k8s.deployment())[CHANGE_CAUSE_KEY] == cause
    by_rev = k8s.rs_by_revision()
    assert annots(by_rev[2])[CHANGE_CAUSE_KEY] == cause
    assert image_of(by_rev[2]) == "nginx:1.25"
    assert CHANGE_CAUSE_KEY not in annots(by_rev[1])
    assert history(k8s) == (0, history_text("nginx", [(1, None), (2, cause)]), "")


def test_v9_reuse_without_undo(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    h1 = rs_hash(k8s.rs_by_revision()[1])
    set_image(k8s, "nginx:1.16")
    set_image(k8s, "nginx:1.14")
    after = k8s.rs_by_revision()
    assert rs_hash(after[3]) == h1
    assert state(k8s) == {2: ("nginx:1.16", 0, None), 3: ("nginx:1.14", 3, "1")}
    dep = k8s.deployment()
    assert annots(dep)[REV_KEY] == "3"
    assert dep["metadata"]["generation"] == 3
    assert history(k8s) == (0, history_text("nginx", [(2, None), (3, None)]), "")


def test_v10_undo_server_dry_run_changes_nothing(k8s: Cluster) -> None:
    make_v1(k8s)
    dep = k8s.deployment()
    rs_rvs = {r: rs["metadata"]["resourceVersion"] for r, rs in k8s.rs_by_revision().items()}
    raw_list = k8s.http("GET", "/apis/apps/v1/namespaces/default/deployments")
    assert raw_list.status_code == 200
    list_rv = raw_list.json()["metadata"]["resourceVersion"]

    assert undo(k8s, "--dry-run=server") == (
        0,
        "deployment.apps/nginx rolled back (server dry run)\n",
        WARN,
    )
    k8s.settle()
    after = k8s.deployment()
    assert after["metadata"]["resourceVersion"] == dep["metadata"]["resourceVersion"]
    assert after["metadata"]["generation"] == dep["metadata"]["generation"] == 3
    assert after["spec"] == dep["spec"]
    assert annots(after) == annots(dep)
    assert {r: rs["metadata"]["resourceVersion"] for r, rs in k8s.rs_by_revision().items()} == (
        rs_rvs
    )
    events = k8s.watch_events("/apis/apps/v1/namespaces/default/deployments", list_rv, seconds=2)
    assert events == []
    events = k8s.watch_events("/apis/apps/v1/namespaces/default/replicasets", list_rv, seconds=1)
    assert events == []


def test_undo_client_dry_run_prints_target_template(k8s: Cluster) -> None:
    make_v1(k8s)
    h2 = rs_hash(k8s.rs_by_revision()[2])
    rv = k8s.deployment()["metadata"]["resourceVersion"]
    res = k8s.kubectl("rollout", "undo", "deployment/nginx", "--dry-run=client")
    expected = (
        "deployment.apps/nginx Pod Template:\n"
        "  Labels:\tapp=nginx\n"
        f"\tpod-template-hash={h2}\n"
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
        " (dry run)\n"
    )
    assert (res.code, res.stdout, res.stderr) == (0, expected, WARN)
    k8s.settle()
    assert k8s.deployment()["metadata"]["resourceVersion"] == rv


def test_v10_undo_without_history(k8s: Cluster) -> None:
    apply_and_settle(k8s, nginx_deployment())
    assert undo(k8s) == (1, "", WARN + 'error: no rollout history found for deployment "nginx"\n')


def test_v10_undo_missing_deployment(k8s: Cluster) -> None:
    res = k8s.kubectl("rollout", "undo", "deployment/nope")
    assert (res.code, res.stdout, res.stderr) == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
    )


def test_undo_of_deployment_created_without_apply_has_no_warning(k8s: Cluster) -> None:
    """`kubectl create -f` writes no last-applied annotation: undo prints no warning and the
    patched annotation map holds only the revision."""
    path = k8s.write_manifest(nginx_deployment())
    res = k8s.kubectl("create", "-f", str(path))
    assert (res.code, res.stdout, res.stderr) == (0, "deployment.apps/nginx created\n", "")
    k8s.settle()
    h1 = rs_hash(k8s.rs_by_revision()[1])
    res = k8s.kubectl(
        "annotate", "deployment/nginx", "team=blue", "kubernetes.io/change-cause=first"
    )
    assert res.ok().stdout == "deployment.apps/nginx annotated\n"
    k8s.settle()
    set_image(k8s, "nginx:1.16")
    assert undo(k8s) == (0, "deployment.apps/nginx rolled back\n", "")
    k8s.settle()
    dep = k8s.deployment()
    # 'team' was on the Deployment only (and copied to RS 1, which keeps it): the undo
    # restores RS 1's non-skip annotations
    rs1 = k8s.rs_by_revision()[3]
    assert rs_hash(rs1) == h1
    assert image_of(rs1) == "nginx:1.14"
    expected = {REV_KEY: "3", CHANGE_CAUSE_KEY: "first", "team": "blue"}
    assert annots(dep) == expected
    assert annots(rs1)[REV_HISTORY_KEY] == "1"
    assert history(k8s) == (0, history_text("nginx", [(2, "first"), (3, "first")]), "")


def test_pod_names_have_generated_suffix(cluster: Callable[..., Cluster]) -> None:
    cl = cluster()
    apply_and_settle(cl, nginx_deployment(replicas=2))
    rs = cl.rs_by_revision()[1]
    for pod in cl.pods_of(rs):
        assert re.fullmatch(rf"nginx-{rs_hash(rs)}-{POD_SUFFIX_RE}", pod["metadata"]["name"])
        assert pod["metadata"]["generateName"] == f"nginx-{rs_hash(rs)}-"
        assert pod["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": rs["metadata"]["name"],
                "uid": rs["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]


def test_unparsable_revision_is_skipped(k8s: Cluster) -> None:
    """An RS with a non-numeric revision is skipped by history/undo and by the controller's
    max-revision computation (§1.4, §2.2)."""
    make_v1(k8s)
    rs1 = k8s.rs_by_revision()[1]["metadata"]["name"]
    res = k8s.kubectl("annotate", "rs", rs1, f"{REV_KEY}=abc", "--overwrite")
    assert res.ok().stdout == f"replicaset.apps/{rs1} annotated\n"
    k8s.settle()
    rs = k8s.get_json("rs", rs1)
    assert annots(rs)[REV_KEY] == "abc"  # the controller never touches old RSes
    code, stdout, stderr = history(k8s)
    assert (code, stdout) == (0, history_text("nginx", [(2, None), (3, None)]))
    assert re.fullmatch(
        rf"W\d{{4}} [^\n]*unable to get revision from replicaset {rs1} for deployment nginx "
        rf'in namespace default: strconv.ParseInt: parsing \\?"abc\\?": invalid syntax[^\n]*\n',
        stderr,
    ), stderr
    set_image(k8s, "nginx:1.18")
    by_name = {
        rs["metadata"]["name"]: annots(rs)[REV_KEY]
        for rs in k8s.items("rs")
        if rs["metadata"]["name"] != rs1
    }
    assert sorted(by_name.values()) == ["2", "3", "4"]
    res = k8s.kubectl("rollout", "undo", "deployment/nginx", "--to-revision=1")
    assert (res.code, res.stderr) == (
        1,
        WARN + "error: unable to find specified revision 1 in history\n",
    )
