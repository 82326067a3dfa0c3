"""Rollback planning against K8S_ROLLOUT_SPEC §3 and the test vectors of §8 (V2-V7, V10).

Objects are built the way the API server serves them (defaulted, camelCase), so the expected
patches are exactly what kubectl 1.37 sends for the same cluster state.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from kiops_desktop.core.rollback import (
    PAUSED_MESSAGE,
    RollbackPlan,
    kubectl_undo_stderr,
    kubectl_undo_stdout,
    plan_rollback,
    undo_annotations,
    undo_patch,
)

UID = "6f1e2d3c-0000-4000-8000-000000000001"
LA_KEY = "kubectl.kubernetes.io/last-applied-configuration"
LA = (
    '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"nginx",'
    '"namespace":"default"},"spec":{"replicas":3}}\n'
)
REV = "deployment.kubernetes.io/revision"
CAUSE = "kubernetes.io/change-cause"
NOW = datetime(2026, 7, 30, 12, 0, tzinfo=UTC)

LA_WARNING = (
    "Warning: resource deployments/nginx was previously managed with 'kubectl apply'. Rolling back "
    "will not update the kubectl.kubernetes.io/last-applied-configuration annotation, which may "
    "cause unexpected behavior on future 'kubectl apply' operations. Consider using 'kubectl "
    "apply' with your previous configuration file instead.\n"
)


def template(image: str, pod_hash: str | None = None, **annotations: str) -> dict[str, Any]:
    """A defaulted pod template (§1.14) of the common vector Deployment."""
    labels = {"app": "nginx"}
    if pod_hash:
        labels["pod-template-hash"] = pod_hash
    metadata: dict[str, Any] = {"labels": labels}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "metadata": metadata,
        "spec": {
            "containers": [
                {
                    "name": "nginx",
                    "image": image,
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        },
    }


def replica_set(
    pod_hash: str,
    revision: int | str | None,
    image: str,
    created: str,
    *,
    replicas: int = 0,
    annotations: dict[str, str] | None = None,
    owner_uid: str = UID,
    controller: bool = True,
    pod_template: dict[str, Any] | None = None,
) -> dict[str, Any]:
    annos = {
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    if revision is not None:
        annos[REV] = str(revision)
    annos.update(annotations or {})
    name = f"nginx-{pod_hash}"
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "resourceVersion": "100",
            "creationTimestamp": created,
            "labels": {"app": "nginx", "pod-template-hash": pod_hash},
            "annotations": annos,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "nginx",
                    "uid": owner_uid,
                    "controller": controller,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "nginx", "pod-template-hash": pod_hash}},
            "template": pod_template if pod_template is not None else template(image, pod_hash),
        },
    }


def deployment(
    image: str,
    revision: str | None = "3",
    *,
    annotations: dict[str, str] | None = None,
    last_applied: bool = True,
    paused: bool = False,
    pod_template: dict[str, Any] | None = None,
    resource_version: str = "4711",
) -> dict[str, Any]:
    annos: dict[str, str] = {}
    if revision is not None:
        annos[REV] = revision
    if last_applied:
        annos[LA_KEY] = LA
    annos.update(annotations or {})
    spec: dict[str, Any] = {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "nginx"}},
        "template": pod_template if pod_template is not None else template(image),
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
        },
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
    }
    if paused:
        spec["paused"] = True
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx",
            "namespace": "default",
            "uid": UID,
            "resourceVersion": resource_version,
            "generation": 3,
            "creationTimestamp": "2026-07-30T10:00:00Z",
            "annotations": annos,
        },
        "spec": spec,
    }


H1, H2, H3, H4 = "6b474476c4", "5d59d67564", "7c5ddbdf54", "86dcfdf4c6"


def v1_state(**dep_kwargs: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """V1: three settled revisions 1.14 / 1.16 / 1.17, the Deployment at revision 3."""
    rses = [
        replica_set(H1, 1, "nginx:1.14", "2026-07-30T10:00:00Z"),
        replica_set(H2, 2, "nginx:1.16", "2026-07-30T10:05:00Z"),
        replica_set(H3, 3, "nginx:1.17", "2026-07-30T10:10:00Z", replicas=3),
    ]
    return deployment("nginx:1.17", "3", **dep_kwargs), rses


def expected_template(image: str) -> dict[str, Any]:
    """The target RS template as kubectl sends it: hash label gone, everything else kept."""
    return template(image)


# ----------------------------------------------------------------------------- the vectors


def test_v2_undo_to_previous_sends_kubectls_exact_patch() -> None:
    dep, rses = v1_state()
    plan = plan_rollback(dep, rses, now=NOW)

    assert plan.can_proceed
    assert plan.refusal is None
    assert plan.refusal_kind is None
    assert (plan.namespace, plan.deployment) == ("default", "nginx")
    assert plan.requested_revision == 0
    assert plan.current_revision == 3
    assert plan.target_revision == 2
    assert plan.target_replica_set == f"nginx-{H2}"
    assert plan.current_images == ("nginx:1.17",)
    assert plan.target_images == ("nginx:1.16",)
    assert plan.resource_version == "4711"
    assert list(plan.patch or ()) == [
        {"op": "replace", "path": "/spec/template", "value": expected_template("nginx:1.16")},
        {"op": "replace", "path": "/metadata/annotations", "value": {REV: "3", LA_KEY: LA}},
    ]
    assert kubectl_undo_stdout(plan) == "deployment.apps/nginx rolled back\n"
    assert kubectl_undo_stderr(plan, dep) == LA_WARNING


def test_v2_second_undo_targets_revision_3_after_renumbering() -> None:
    # After V2 settled: H2 carries revision 4 (history "2"), H3 keeps 3, the Deployment is at 4.
    rses = [
        replica_set(H1, 1, "nginx:1.14", "2026-07-30T10:00:00Z"),
        replica_set(
            H2,
            4,
            "nginx:1.16",
            "2026-07-30T10:05:00Z",
            replicas=3,
            annotations={"deployment.kubernetes.io/revision-history": "2"},
        ),
        replica_set(H3, 3, "nginx:1.17", "2026-07-30T10:10:00Z"),
    ]
    dep = deployment("nginx:1.16", "4")
    plan = plan_rollback(dep, rses)
    assert plan.target_revision == 3
    assert plan.target_replica_set == f"nginx-{H3}"
    assert plan.patch is not None
    assert plan.patch[0]["value"] == expected_template("nginx:1.17")
    assert plan.patch[1]["value"] == {REV: "4", LA_KEY: LA}


def test_v3_undo_to_a_specific_revision() -> None:
    dep, rses = v1_state()
    plan = plan_rollback(dep, rses, to_revision=1)
    assert plan.can_proceed
    assert plan.requested_revision == 1
    assert plan.target_revision == 1
    assert plan.target_images == ("nginx:1.14",)
    assert plan.patch is not None
    assert plan.patch[0] == {
        "op": "replace",
        "path": "/spec/template",
        "value": expected_template("nginx:1.14"),
    }
    assert kubectl_undo_stdout(plan) == "deployment.apps/nginx rolled back\n"


def test_v4_undo_to_the_current_revision_is_skipped_with_the_flag_value() -> None:
    dep, rses = v1_state()
    plan = plan_rollback(dep, rses, to_revision=3)
    assert not plan.can_proceed
    assert plan.patch is None
    assert plan.refusal_kind == "already-current"
    assert plan.refusal == "skipped rollback (current template already matches revision 3)"
    assert kubectl_undo_stdout(plan) == (
        "deployment.apps/nginx skipped rollback (current template already matches revision 3)\n"
    )
    assert kubectl_undo_stdout(plan, dry_run="server") == (
        "deployment.apps/nginx skipped rollback (current template already matches revision 3)"
        " (server dry run)\n"
    )
    # A skip is not an error: only the last-applied warning goes to stderr.
    assert kubectl_undo_stderr(plan, dep) == LA_WARNING
    # Diff and precautions are still there for the UI; the diff of equal templates is empty.
    assert plan.diff is not None
    assert plan.diff.is_empty


def test_v4_unknown_revision() -> None:
    dep, rses = v1_state()
    plan = plan_rollback(dep, rses, to_revision=7)
    assert plan.refusal_kind == "not-found"
    assert plan.refusal == "unable to find specified revision 7 in history"
    assert plan.patch is None
    assert plan.target_revision is None
    assert plan.target_replica_set is None
    assert plan.target_images == ()
    assert plan.diff is None
    assert plan.precautions == ()
    assert kubectl_undo_stdout(plan) == ""
    assert (
        kubectl_undo_stderr(plan, dep)
        == LA_WARNING + "error: unable to find specified revision 7 in history\n"
    )


def test_skip_message_uses_flag_value_zero_when_no_flag_given() -> None:
    # The Deployment template was set back to 1.16 but the controller has not re-numbered yet:
    # "previous" (revision 2) already matches, and kubectl prints the flag value, 0.
    dep, rses = v1_state()
    dep["spec"]["template"] = template("nginx:1.16")
    plan = plan_rollback(dep, rses)
    assert plan.target_revision == 2
    assert plan.refusal_kind == "already-current"
    assert plan.refusal == "skipped rollback (current template already matches revision 0)"


class TestV5Paused:
    def test_paused_refuses_after_target_selection(self) -> None:
        dep, rses = v1_state(paused=True)
        plan = plan_rollback(dep, rses)
        assert plan.refusal_kind == "paused"
        assert plan.refusal == PAUSED_MESSAGE
        assert plan.refusal == (
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
            "resume' and try again"
        )
        assert plan.patch is None
        assert not plan.can_proceed
        # The operator still sees what resuming and retrying would do.
        assert plan.target_revision == 2
        assert plan.diff is not None
        assert "container nginx: image  nginx:1.17 -> nginx:1.16" in plan.diff.lines()
        assert kubectl_undo_stdout(plan) == ""
        assert kubectl_undo_stderr(plan, dep).endswith(f"error: {PAUSED_MESSAGE}\n")

    def test_unknown_revision_beats_paused(self) -> None:
        dep, rses = v1_state(paused=True)
        plan = plan_rollback(dep, rses, to_revision=9)
        assert plan.refusal_kind == "not-found"
        assert plan.refusal == "unable to find specified revision 9 in history"

    def test_paused_beats_already_current(self) -> None:
        dep, rses = v1_state(paused=True)
        plan = plan_rollback(dep, rses, to_revision=3)
        assert plan.refusal_kind == "paused"

    def test_no_history_beats_paused(self) -> None:
        dep = deployment("nginx:1.14", "1", paused=True)
        rses = [replica_set(H1, 1, "nginx:1.14", "2026-07-30T10:00:00Z", replicas=3)]
        assert plan_rollback(dep, rses).refusal_kind == "no-history"


class TestNegativeRevision:
    @pytest.mark.parametrize("revision", [-1, -42])
    def test_negative_revision_comes_first(self, revision: int) -> None:
        dep, _ = v1_state(paused=True)
        plan = plan_rollback(dep, [], to_revision=revision)
        assert plan.refusal_kind == "negative-revision"
        assert plan.refusal == f"unable to find specified revision {revision} in history"
        assert plan.requested_revision == revision
        assert plan.diff is None
        assert plan.precautions == ()
        assert plan.current_images == ("nginx:1.17",)
        assert kubectl_undo_stderr(plan, dep) == (
            f"{LA_WARNING}error: unable to find specified revision {revision} in history\n"
        )


class TestV6CleanedUpHistory:
    def rses(self) -> list[dict[str, Any]]:
        return [
            replica_set(H3, 3, "nginx:1.17", "2026-07-30T10:10:00Z"),
            replica_set(H4, 4, "nginx:1.18", "2026-07-30T10:15:00Z", replicas=3),
        ]

    def test_undo_targets_the_remaining_revision(self) -> None:
        dep = deployment("nginx:1.18", "4")
        plan = plan_rollback(dep, self.rses())
        assert plan.target_revision == 3
        assert plan.can_proceed
        assert plan.patch is not None
        assert plan.patch[1]["value"] == {REV: "4", LA_KEY: LA}

    def test_deleted_revision_is_not_found(self) -> None:
        dep = deployment("nginx:1.18", "4")
        plan = plan_rollback(dep, self.rses(), to_revision=2)
        assert plan.refusal == "unable to find specified revision 2 in history"

    def test_limit_zero_leaves_no_history(self) -> None:
        dep = deployment("nginx:1.18", "4")
        plan = plan_rollback(dep, self.rses()[1:])
        assert plan.refusal_kind == "no-history"
        assert plan.refusal == 'no rollout history found for deployment "nginx"'
        assert plan.target_revision is None
        assert kubectl_undo_stderr(plan, dep).endswith(
            'error: no rollout history found for deployment "nginx"\n'
        )


class TestV7ChangeCause:
    def state(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rses = [
            replica_set(H1, 1, "nginx:1.14", "2026-07-30T10:00:00Z"),
            replica_set(
                H2, 2, "nginx:1.16", "2026-07-30T10:05:00Z", annotations={CAUSE: "update to 1.16"}
            ),
            replica_set(
                H3,
                3,
                "nginx:1.17",
                "2026-07-30T10:10:00Z",
                replicas=3,
                annotations={CAUSE: "update to 1.16"},
            ),
        ]
        dep = deployment("nginx:1.17", "3", annotations={CAUSE: "update to 1.16"})
        return dep, rses

    def test_target_without_change_cause_drops_it(self) -> None:
        dep, rses = self.state()
        plan = plan_rollback(dep, rses, to_revision=1)
        assert plan.patch is not None
        assert plan.patch[1] == {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": {REV: "3", LA_KEY: LA},
        }
        assert plan.diff is not None
        assert (
            'deployment: annotation kubernetes.io/change-cause removed (was "update to 1.16")'
            in (plan.diff.lines())
        )

    def test_target_with_change_cause_restores_it(self) -> None:
        dep, rses = self.state()
        plan = plan_rollback(dep, rses, to_revision=2)
        assert plan.patch is not None
        assert plan.patch[1]["value"] == {REV: "3", CAUSE: "update to 1.16", LA_KEY: LA}
        assert plan.diff is not None
        assert not any("change-cause" in line for line in plan.diff.lines())


class TestV10:
    def test_server_dry_run_suffix(self) -> None:
        dep, rses = v1_state()
        plan = plan_rollback(dep, rses)
        assert (
            kubectl_undo_stdout(plan, dry_run="server")
            == "deployment.apps/nginx rolled back (server dry run)\n"
        )

    def test_fresh_deployment_has_no_history(self) -> None:
        dep = deployment("nginx:1.14", "1")
        rses = [replica_set(H1, 1, "nginx:1.14", "2026-07-30T10:00:00Z", replicas=3)]
        plan = plan_rollback(dep, rses)
        assert plan.refusal == 'no rollout history found for deployment "nginx"'
        assert kubectl_undo_stdout(plan, dry_run="server") == ""

    def test_no_replica_sets_at_all(self) -> None:
        dep = deployment("nginx:1.14", None, last_applied=False)
        plan = plan_rollback(dep, [])
        assert plan.refusal_kind == "no-history"
        assert plan.current_revision is None
        assert (
            kubectl_undo_stderr(plan, dep)
            == 'error: no rollout history found for deployment "nginx"\n'
        )


# ----------------------------------------------------------------------------- target selection


def rs_rev(
    pod_hash: str, revision: str | None, created: str, image: str | None = None
) -> dict[str, Any]:
    return replica_set(pod_hash, revision, image or f"nginx:{pod_hash}", created)


@pytest.mark.parametrize(
    ("revisions", "current", "to_revision", "expected"),
    [
        # (hash, revision annotation) in creation order; `current` names the RS whose template
        # the Deployment has (kubectl iterates old RSes by creation, then that one).
        pytest.param([("a", "1"), ("b", "2"), ("c", "3")], "c", 0, "b", id="plain previous"),
        pytest.param(
            [("c", "3"), ("a", "1"), ("b", "2")], "a", 0, "b", id="by number, not creation"
        ),
        pytest.param(
            [("c", "3"), ("a", "1"), ("b", "2")], "b", 0, "b", id="second-highest even when current"
        ),
        pytest.param(
            [("a", "1"), ("b", "3"), ("c", "3")],
            "c",
            0,
            "c",
            id="tie with highest becomes previous",
        ),
        pytest.param(
            [("x", "5"), ("y", "5"), ("z", "4")], "z", 0, "y", id="tie among old beats lower new"
        ),
        pytest.param(
            [("a", "2"), ("b", "1")], "a", 0, "b", id="current is not the highest revision"
        ),
        pytest.param([("a", None), ("b", "1")], "b", 0, "a", id="missing annotation counts as 0"),
        pytest.param(
            [("a", "x1"), ("b", "1"), ("c", "2")], "c", 0, "b", id="unparsable revision skipped"
        ),
        pytest.param([("a", " 1"), ("b", "2")], "b", 0, None, id="space is not an integer to Go"),
        pytest.param([("a", "+1"), ("b", "2")], "b", 0, "a", id="Go ParseInt accepts a sign"),
        pytest.param([("a", "1"), ("b", "2"), ("c", "3")], "c", 1, "a", id="explicit revision"),
        pytest.param([("x", "5"), ("y", "5"), ("z", "6")], "z", 5, "x", id="first of duplicates"),
        pytest.param([("z", "5"), ("x", "5")], "z", 5, "x", id="new RS iterated last"),
        pytest.param([("a", "1"), ("b", "2")], "b", 3, None, id="explicit revision missing"),
    ],
)
def test_target_selection(
    revisions: list[tuple[str, str | None]], current: str, to_revision: int, expected: str | None
) -> None:
    rses = [
        rs_rev(pod_hash, revision, f"2026-07-30T10:{index:02d}:00Z")
        for index, (pod_hash, revision) in enumerate(revisions)
    ]
    dep = deployment(f"nginx:{current}", "9", pod_template=template(f"nginx:{current}"))
    plan = plan_rollback(dep, rses, to_revision=to_revision)
    assert plan.target_replica_set == (None if expected is None else f"nginx-{expected}")


def test_only_replica_sets_controlled_by_this_deployment_count() -> None:
    dep, rses = v1_state()
    foreign = replica_set("f0", 9, "evil:1", "2026-07-30T10:20:00Z", owner_uid="other-uid")
    not_controller = replica_set("f1", 8, "evil:2", "2026-07-30T10:21:00Z", controller=False)
    plan = plan_rollback(dep, [*rses, foreign, not_controller])
    assert plan.target_revision == 2
    assert plan_rollback(dep, [*rses, foreign], to_revision=9).refusal_kind == "not-found"


# ----------------------------------------------------------------------------- the patch


def test_only_the_hash_label_is_removed_and_template_annotations_kept() -> None:
    target_template = template(
        "nginx:1.16", H2, **{"kubectl.kubernetes.io/restartedAt": "2026-07-30T10:04:00Z"}
    )
    target_template["metadata"]["labels"]["tier"] = "web"
    target = replica_set(H2, 2, "nginx:1.16", "2026-07-30T10:05:00Z", pod_template=target_template)
    dep, rses = v1_state()
    plan = plan_rollback(dep, [rses[0], target, rses[2]])
    assert plan.patch is not None
    value = plan.patch[0]["value"]
    assert value["metadata"] == {
        "labels": {"app": "nginx", "tier": "web"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-07-30T10:04:00Z"},
    }
    # The input objects are untouched.
    assert target["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == H2


def test_template_with_only_the_hash_label_loses_its_labels_map() -> None:
    tmpl = template("nginx:1.16", H2)
    tmpl["metadata"]["labels"] = {"pod-template-hash": H2}
    target = replica_set(H2, 2, "nginx:1.16", "2026-07-30T10:05:00Z", pod_template=tmpl)
    op, _ = undo_patch(deployment("nginx:1.17"), target)
    assert op["value"]["metadata"] == {}


def test_containers_get_empty_resources_like_gos_encoder() -> None:
    tmpl = template("nginx:1.16", H2)
    del tmpl["spec"]["containers"][0]["resources"]
    tmpl["spec"]["initContainers"] = [{"name": "init", "image": "busybox"}]
    tmpl["spec"]["containers"].append(
        {"name": "side", "image": "envoy", "resources": {"limits": {"cpu": "1"}}}
    )
    target = replica_set(H2, 2, "nginx:1.16", "2026-07-30T10:05:00Z", pod_template=tmpl)
    op, _ = undo_patch(deployment("nginx:1.17"), target)
    spec = op["value"]["spec"]
    assert spec["containers"][0]["resources"] == {}
    assert spec["containers"][1]["resources"] == {"limits": {"cpu": "1"}}
    assert spec["initContainers"][0] == {"name": "init", "image": "busybox", "resources": {}}
    assert "resources" not in tmpl["spec"]["containers"][0]


@pytest.mark.parametrize(
    ("dep_annotations", "rs_annotations", "expected"),
    [
        pytest.param(
            {REV: "3", LA_KEY: "la", "team": "shop"},
            {REV: "2", "deployment.kubernetes.io/desired-replicas": "3"},
            {REV: "3", LA_KEY: "la"},
            id="deployment-only annotations are dropped",
        ),
        pytest.param(
            {REV: "3"},
            {REV: "2", CAUSE: "v2", "team": "shop", "deployment.kubernetes.io/max-replicas": "4"},
            {REV: "3", CAUSE: "v2", "team": "shop"},
            id="target annotations outside the skip list are copied",
        ),
        pytest.param(
            {
                REV: "3",
                "deployment.kubernetes.io/revision-history": "1",
                "deprecated.deployment.rollback.to": "2",
            },
            {"deployment.kubernetes.io/revision-history": "2", LA_KEY: "rs-la"},
            {
                REV: "3",
                "deployment.kubernetes.io/revision-history": "1",
                "deprecated.deployment.rollback.to": "2",
            },
            id="skip-list keys come from the deployment only",
        ),
        pytest.param({}, {}, {}, id="nothing at all"),
    ],
)
def test_annotation_map(
    dep_annotations: dict[str, str], rs_annotations: dict[str, str], expected: dict[str, str]
) -> None:
    dep = {"metadata": {"annotations": dep_annotations}}
    rs = {"metadata": {"annotations": rs_annotations}}
    result = undo_annotations(dep, rs)
    assert result == expected
    # Go's encoder writes map keys sorted; so do we, so the bytes match kubectl's.
    assert list(result) == sorted(result)


def test_patch_serialises_like_kubectl() -> None:
    dep, rses = v1_state()
    plan = plan_rollback(dep, rses)
    assert plan.patch is not None
    body = json.loads(json.dumps(list(plan.patch)))
    assert [op["op"] for op in body] == ["replace", "replace"]
    assert [op["path"] for op in body] == ["/spec/template", "/metadata/annotations"]


# ----------------------------------------------------------------------------- guarded patch


def test_guarded_patch_tests_the_generation_first() -> None:
    dep, rses = v1_state(resource_version="98765")
    dep["metadata"]["generation"] = 7
    plan = plan_rollback(dep, rses)
    guarded = plan.guarded_patch()
    # The generation, not the resourceVersion: status writes must not look like a change.
    assert guarded[0] == {"op": "test", "path": "/metadata/generation", "value": 7}
    assert plan.resource_version == "98765"
    assert guarded[1:] == [dict(op) for op in plan.patch or ()]
    # A copy: editing it cannot change the plan.
    guarded[1]["value"]["spec"]["containers"][0]["image"] = "tampered"
    assert plan.patch is not None
    assert plan.patch[0]["value"]["spec"]["containers"][0]["image"] == "nginx:1.16"


@pytest.mark.parametrize("to_revision", [-1, 3, 7])
def test_guarded_patch_refuses_when_the_plan_cannot_proceed(to_revision: int) -> None:
    dep, rses = v1_state()
    plan = plan_rollback(dep, rses, to_revision=to_revision)
    with pytest.raises(ValueError, match="cannot proceed"):
        plan.guarded_patch()


def test_can_proceed_needs_a_patch() -> None:
    dep, rses = v1_state()
    plan = plan_rollback(dep, rses)
    assert isinstance(plan, RollbackPlan)
    assert plan.can_proceed
    no_patch = RollbackPlan(**{**plan.__dict__, "patch": None})
    assert not no_patch.can_proceed


# ----------------------------------------------------------------------------- plan details


@pytest.mark.parametrize(
    ("annotation", "expected"), [("7", 7), ("x", None), (None, None), ("+3", 3)]
)
def test_current_revision(annotation: str | None, expected: int | None) -> None:
    dep, rses = v1_state()
    if annotation is None:
        del dep["metadata"]["annotations"][REV]
    else:
        dep["metadata"]["annotations"][REV] = annotation
    assert plan_rollback(dep, rses).current_revision == expected


def test_namespace_defaults_and_missing_resource_version() -> None:
    dep, rses = v1_state()
    del dep["metadata"]["namespace"]
    del dep["metadata"]["resourceVersion"]
    plan = plan_rollback(dep, rses)
    assert plan.namespace == "default"
    assert plan.resource_version == ""


def test_plan_diff_and_precautions_for_a_real_rollback() -> None:
    dep, rses = v1_state()
    app = rses[1]["spec"]["template"]["spec"]["containers"][0]
    app["env"] = [
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "nginx-conf", "key": "mode"}}}
    ]
    plan = plan_rollback(dep, rses, config_maps={}, secrets={}, now=NOW)
    assert plan.diff is not None
    assert plan.diff.lines() == [
        "container nginx: image  nginx:1.17 -> nginx:1.16",
        "container nginx: env MODE added (from configmap nginx-conf/mode)",
    ]
    codes = [finding.code for finding in plan.precautions]
    assert codes[0] == "missing-configmap"
    assert "kubectl-apply-managed" in codes


def test_unknown_config_maps_are_reported_not_guessed() -> None:
    dep, rses = v1_state()
    rses[1]["spec"]["template"]["spec"]["volumes"] = [
        {"name": "conf", "configMap": {"name": "nginx-conf"}}
    ]
    plan = plan_rollback(dep, rses)  # config_maps=None: could not be read
    unchecked = [f for f in plan.precautions if f.code == "configmaps-unchecked"]
    assert len(unchecked) == 1
    assert unchecked[0].severity == "info"
    assert "nginx-conf" in unchecked[0].detail
    assert not any(f.code == "missing-configmap" for f in plan.precautions)


def test_planning_does_not_mutate_inputs() -> None:
    dep, rses = v1_state()
    before = copy.deepcopy((dep, rses))
    plan_rollback(dep, rses, to_revision=1, config_maps={}, secrets={}, jobs=[], now=NOW)
    assert (dep, rses) == before
