"""PATCH bodies of the sandbox API server: JSON patch, merge patch, strategic merge patch.

The request bodies marked "kubectl 1.37.1" were captured from the real kubectl talking to a
recording server (only the long last-applied-configuration annotation is shortened). The
strategic-merge expectations were cross-checked against apimachinery's own implementation
(``kubectl patch --local``), except for the documented cleanups of directives and nulls.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kiops_desktop.sandbox.patching import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_patch,
    apply_strategic_merge_patch,
)

Obj = dict[str, Any]

UNSUPPORTED = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, "
    "application/apply-patch+yaml, application/strategic-merge-patch+json"
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def smp(document: Obj, patch: object) -> Obj:
    """Apply a strategic merge patch the way the server receives it: as bytes."""
    raw = patch if isinstance(patch, bytes) else body(patch)
    return apply_patch(document, STRATEGIC_MERGE_PATCH, raw)


def directive_keys(value: object) -> list[str]:
    """Every `$...` key anywhere in a document (none may survive a patch)."""
    if isinstance(value, dict):
        found = [k for k in value if k.startswith("$")]
        return found + [k for v in value.values() for k in directive_keys(v)]
    if isinstance(value, list):
        return [k for item in value for k in directive_keys(item)]
    return []


def names(items: list[Obj], key: str = "name") -> list[Any]:
    return [item[key] for item in items]


def container(name: str, image: str, **extra: Any) -> Obj:
    return {"name": name, "image": image, **extra}


def deployment(*containers: Obj) -> Obj:
    """A stored Deployment as the apiserver keeps it after defaulting."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx",
            "namespace": "default",
            "uid": "0b5c4b8e-0000-4000-8000-000000000001",
            "resourceVersion": "41",
            "generation": 3,
            "labels": {"app": "nginx"},
            "annotations": {"deployment.kubernetes.io/revision": "3", LAST_APPLIED: "{...}\n"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "nginx"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": list(containers)
                    or [
                        container(
                            "nginx",
                            "nginx:1.14",
                            ports=[{"containerPort": 80, "protocol": "TCP"}],
                            resources={},
                            imagePullPolicy="IfNotPresent",
                            terminationMessagePath="/dev/termination-log",
                        )
                    ],
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst",
                    "securityContext": {},
                },
            },
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 3,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        },
    }


def pod_spec(document: Obj) -> Obj:
    spec: Obj = document["spec"]["template"]["spec"]
    return spec


# ------------------------------------------------------------------------------- dispatching


@pytest.mark.parametrize(
    "content_type",
    [
        STRATEGIC_MERGE_PATCH,
        "application/strategic-merge-patch+json; charset=utf-8",
        "Application/Strategic-Merge-Patch+JSON ;charset=UTF-8",
    ],
)
def test_content_type_parameters_and_case_are_ignored(content_type: str) -> None:
    patched = apply_patch(deployment(), content_type, b'{"spec":{"replicas":5}}')
    assert patched["spec"]["replicas"] == 5


@pytest.mark.parametrize(
    ("content_type", "raw", "expected_replicas"),
    [
        (JSON_PATCH, b'[{"op":"replace","path":"/spec/replicas","value":7}]', 7),
        (MERGE_PATCH, b'{"spec":{"replicas":6}}', 6),
        (STRATEGIC_MERGE_PATCH, b'{"spec":{"replicas":4}}', 4),
    ],
)
def test_each_patch_type_is_dispatched(
    content_type: str, raw: bytes, expected_replicas: int
) -> None:
    assert apply_patch(deployment(), content_type, raw)["spec"]["replicas"] == expected_replicas


@pytest.mark.parametrize(
    "content_type", [APPLY_PATCH, "application/json", "text/plain", "", "application/yaml"]
)
def test_unsupported_content_types_get_415(content_type: str) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(deployment(), content_type, b"{}")
    assert (caught.value.status, caught.value.message) == (415, UNSUPPORTED)
    assert str(caught.value) == UNSUPPORTED


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "unexpected end of JSON input"),
        (b"   ", "unexpected end of JSON input"),
        (b"{", "unexpected end of JSON input"),
        (b'{"spec":{"replicas":', "unexpected end of JSON input"),
        (b'"unterminated', "unexpected end of JSON input"),
        (b"tru", "unexpected end of JSON input"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b"{spec: 1}", "invalid character 's' looking for beginning of object key string"),
        (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b'{"a":[1,{"b":2 3]}}', "invalid character '3' after object key:value pair"),
        (b"[1,]", "invalid character ']' looking for beginning of value"),
        (b"{} {}", "invalid character '{' after top-level value"),
        (b"trux", "invalid character 'x' in literal true (expecting 'e')"),
        (b"nul!", "invalid character '!' in literal null (expecting 'l')"),
        (b"-x", "invalid character 'x' in numeric literal"),
        (b"NaN", "invalid character 'N' looking for beginning of value"),
        (b"-Infinity", "invalid character 'I' in numeric literal"),
        (b'"a\nb"', "invalid character '\\n' in string literal"),
        (b'"a\\qb"', "invalid character 'q' in string escape code"),
        (b'"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"),
        (b"'a'", "invalid character '\\'' looking for beginning of value"),
        ("\ufeff{}".encode(), "invalid character 'ï' looking for beginning of value"),
    ],
)
def test_invalid_json_bodies_get_400_worded_like_go(raw: bytes, reason: str) -> None:
    # Strict decoding of JSON and merge patches prefixes the error; strategic merge does not.
    for content_type, prefix in (
        (JSON_PATCH, "error decoding patch: "),
        (MERGE_PATCH, "error decoding patch: "),
        (STRATEGIC_MERGE_PATCH, ""),
    ):
        with pytest.raises(PatchError) as caught:
            apply_patch(deployment(), content_type, raw)
        assert (caught.value.status, caught.value.message) == (400, prefix + reason)


@pytest.mark.parametrize(
    ("content_type", "raw", "message"),
    [
        (
            JSON_PATCH,
            b'{"op":"add","path":"/a","value":1}',
            (
                "error decoding patch: json: cannot unmarshal object "
                "into Go value of type []handlers.jsonPatchOp"
            ),
        ),
        (
            JSON_PATCH,
            b'"ops"',
            (
                "error decoding patch: json: cannot unmarshal string "
                "into Go value of type []handlers.jsonPatchOp"
            ),
        ),
        (
            MERGE_PATCH,
            b"[1]",
            (
                "error decoding patch: json: cannot unmarshal array "
                "into Go value of type map[string]interface {}"
            ),
        ),
        (
            MERGE_PATCH,
            b"null",
            (
                "error decoding patch: json: cannot unmarshal null "
                "into Go value of type map[string]interface {}"
            ),
        ),
        (
            STRATEGIC_MERGE_PATCH,
            b"[]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            STRATEGIC_MERGE_PATCH,
            b"3",
            "json: cannot unmarshal number into Go value of type map[string]interface {}",
        ),
    ],
)
def test_bodies_of_the_wrong_json_type_get_400(content_type: str, raw: bytes, message: str) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(deployment(), content_type, raw)
    assert (caught.value.status, caught.value.message) == (400, message)


@pytest.mark.parametrize("content_type", [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH])
def test_absurdly_deep_bodies_get_400_not_a_crash(content_type: str) -> None:
    raw = b'{"a":' * 5000 + b"1" + b"}" * 5000
    if content_type == JSON_PATCH:
        raw = b'[{"op":"add","path":"/x","value":' + raw + b"}]"
    with pytest.raises(PatchError) as caught:
        apply_patch(deployment(), content_type, raw)
    assert caught.value.status == 400


def test_invalid_utf8_inside_strings_is_replaced_as_go_does() -> None:
    patched = apply_patch(deployment(), MERGE_PATCH, b'{"metadata":{"labels":{"a":"x\xffy"}}}')
    assert patched["metadata"]["labels"]["a"] == "x\ufffdy"


def test_patch_error_carries_status_and_message() -> None:
    error = PatchError(422, "boom")
    assert (error.status, error.message, str(error)) == (422, "boom", "boom")
    assert isinstance(error, Exception)


# ------------------------------------------------------------------------ JSON patch (6902)


def test_rollout_undo_json_patch() -> None:
    """§3.4: two replace operations; Deployment annotations not sent are dropped."""
    live = deployment()
    live["metadata"]["annotations"]["team"] = "payments"
    target_template = {
        "metadata": {
            "labels": {"app": "nginx"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"},
        },
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.16", "resources": {}}]},
    }
    annotations = {"deployment.kubernetes.io/revision": "3", LAST_APPLIED: "{...}\n"}
    raw = body(
        [
            {"op": "replace", "path": "/spec/template", "value": target_template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        ]
    )
    patched = apply_patch(live, "application/json-patch+json", raw)
    assert patched["spec"]["template"] == target_template
    assert patched["metadata"]["annotations"] == annotations  # "team" is gone
    assert patched["spec"]["replicas"] == 3
    assert live["metadata"]["annotations"]["team"] == "payments"  # input untouched


@pytest.mark.parametrize(
    ("operations", "check"),
    [
        (
            [{"op": "add", "path": "/metadata/labels/tier", "value": "web"}],
            lambda d: d["metadata"]["labels"] == {"app": "nginx", "tier": "web"},
        ),
        (
            [{"op": "add", "path": "/metadata/labels/example.com~1role", "value": "db"}],
            lambda d: d["metadata"]["labels"]["example.com/role"] == "db",
        ),
        (
            [{"op": "add", "path": "/metadata/labels/a~0b", "value": "x"}],
            lambda d: d["metadata"]["labels"]["a~b"] == "x",
        ),
        (
            [{"op": "remove", "path": "/metadata/labels/app"}],
            lambda d: d["metadata"]["labels"] == {},
        ),
        (
            [{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "log"}}],
            lambda d: names(pod_spec(d)["containers"]) == ["nginx", "log"],
        ),
        (
            [{"op": "add", "path": "/spec/template/spec/containers/0", "value": {"name": "log"}}],
            lambda d: names(pod_spec(d)["containers"]) == ["log", "nginx"],
        ),
        (
            [{"op": "move", "from": "/metadata/labels", "path": "/metadata/annotations"}],
            lambda d: (
                "labels" not in d["metadata"] and d["metadata"]["annotations"] == {"app": "nginx"}
            ),
        ),
        (
            [{"op": "copy", "from": "/spec/replicas", "path": "/status/replicas"}],
            lambda d: d["status"]["replicas"] == 3 and d["spec"]["replicas"] == 3,
        ),
        (
            [
                {"op": "test", "path": "/spec/replicas", "value": 3},
                {"op": "replace", "path": "/spec/replicas", "value": 5},
            ],
            lambda d: d["spec"]["replicas"] == 5,
        ),
        ([], lambda d: d == deployment()),
    ],
)
def test_json_patch_operations(operations: list[Obj], check: Any) -> None:
    live = deployment()
    patched = apply_json_patch(live, operations)
    assert check(patched)
    assert live == deployment()


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        (
            [{"op": "replace", "path": "/metadata/finalizers", "value": []}],
            "can't replace a non-existent object 'finalizers'",
        ),
        (
            [{"op": "remove", "path": "/metadata/labels/tier"}],
            "can't remove a non-existent object 'tier'",
        ),
        (
            [{"op": "replace", "path": "/spec/template/spec/containers/3", "value": {}}],
            "can't replace outside of list",
        ),
        (
            [{"op": "add", "path": "/spec/template/spec/containers/9", "value": {}}],
            "can't insert outside of list",
        ),
        (
            [{"op": "add", "path": "/spec/nope/deeper", "value": 1}],
            "member 'nope' not found",
        ),
        (
            [{"op": "test", "path": "/spec/replicas", "value": 4}],
            "3 (<class 'int'>) is not equal to tested value 4 (<class 'int'>)",
        ),
        (
            [{"op": "test", "path": "/spec/missing", "value": 4}],
            "member 'missing' not found",
        ),
        (
            [{"op": "move", "from": "/spec/missing", "path": "/spec/x"}],
            "'missing'",
        ),
        (
            [{"op": "move", "from": "/spec", "path": "/spec/inner"}],
            "Cannot move values into their own children",
        ),
    ],
)
def test_json_patch_operations_that_cannot_apply_get_422(
    operations: list[Obj], message: str
) -> None:
    live = deployment()
    with pytest.raises(PatchError) as caught:
        apply_patch(live, JSON_PATCH, body(operations))
    assert (caught.value.status, caught.value.message) == (422, message)
    assert live == deployment()


def test_a_failing_operation_applies_nothing() -> None:
    live = deployment()
    with pytest.raises(PatchError):
        apply_json_patch(
            live,
            [
                {"op": "replace", "path": "/spec/replicas", "value": 9},
                {"op": "remove", "path": "/spec/nothing"},
            ],
        )
    assert live["spec"]["replicas"] == 3


def test_json_patch_errors_do_not_echo_the_stored_object() -> None:
    # jsonpointer's default message embeds the whole document searched: a Secret's data, say.
    secret = {"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}}
    with pytest.raises(PatchError) as caught:
        apply_json_patch(secret, [{"op": "add", "path": "/stringData/x/y", "value": "1"}])
    assert caught.value.status == 422
    assert "aHVudGVyMg==" not in caught.value.message


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        (
            [1],
            (
                "error decoding patch: json: cannot unmarshal number "
                "into Go value of type handlers.jsonPatchOp"
            ),
        ),
        (
            [[{"op": "add"}]],
            (
                "error decoding patch: json: cannot unmarshal array "
                "into Go value of type handlers.jsonPatchOp"
            ),
        ),
        (
            [{"op": 1, "path": "/a"}],
            (
                "error decoding patch: json: cannot unmarshal number "
                "into Go struct field jsonPatchOp.op of type string"
            ),
        ),
        (
            [{"op": "add", "path": ["a"], "value": 1}],
            (
                "error decoding patch: json: cannot unmarshal array "
                "into Go struct field jsonPatchOp.path of type string"
            ),
        ),
        (
            [{"op": "move", "from": None, "path": "/a"}],
            (
                "error decoding patch: json: cannot unmarshal null "
                "into Go struct field jsonPatchOp.from of type string"
            ),
        ),
        ([{"path": "/a"}], "Operation does not contain 'op' member"),
        ([{"op": "frob", "path": "/a"}], "Unknown operation 'frob'"),
        ([{"op": "add", "value": 1}], "Operation must have a 'path' member"),
        ([{"op": "add", "path": "spec", "value": 1}], "Location must start with /"),
        ([{"op": "add", "path": "/a~2b", "value": 1}], "Found invalid escape ~2"),
        ([{"op": "add", "path": "/a"}], "The operation does not contain a 'value' member"),
        ([{"op": "test", "path": "/spec"}], "The operation does not contain a 'value' member"),
        ([{"op": "copy", "path": "/a"}], "The operation does not contain a 'from' member"),
        ([{"op": "move", "from": "spec", "path": "/a"}], "Location must start with /"),
    ],
)
def test_malformed_json_patch_operations_get_400(operations: list[Any], message: str) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(deployment(), JSON_PATCH, body(operations))
    assert (caught.value.status, caught.value.message) == (400, message)


def test_json_patch_must_leave_an_object() -> None:
    with pytest.raises(PatchError) as caught:
        apply_json_patch(deployment(), [{"op": "replace", "path": "", "value": [1]}])
    assert caught.value.status == 422
    assert caught.value.message == "the patched document is a JSON array, not an object"


def test_json_patch_result_does_not_share_values_with_the_patch() -> None:
    value = {"team": "a"}
    patched = apply_json_patch(deployment(), [{"op": "add", "path": "/metadata/x", "value": value}])
    patched["metadata"]["x"]["team"] = "b"
    assert value == {"team": "a"}


# ----------------------------------------------------------------------- merge patch (7386)


@pytest.mark.parametrize(
    ("patch", "check"),
    [
        (  # kubectl annotate
            {"metadata": {"annotations": {"kubernetes.io/change-cause": "update to 1.16"}}},
            lambda d: (
                d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "update to 1.16"
                and d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
            ),
        ),
        (  # kubectl annotate k-
            {"metadata": {"annotations": {"deployment.kubernetes.io/revision": None}}},
            lambda d: d["metadata"]["annotations"] == {LAST_APPLIED: "{...}\n"},
        ),
        ({"spec": {"replicas": 5}}, lambda d: d["spec"]["replicas"] == 5),  # kubectl scale
        ({"metadata": {"labels": None}}, lambda d: "labels" not in d["metadata"]),
        ({"spec": {"nothing": None}}, lambda d: "nothing" not in d["spec"]),
        (  # arrays are replaced whole, even keyed ones
            {"spec": {"template": {"spec": {"containers": [{"name": "x"}]}}}},
            lambda d: pod_spec(d)["containers"] == [{"name": "x"}],
        ),
        (  # nulls inside new objects are pruned
            {"spec": {"new": {"a": None, "b": {"c": None, "d": 1}}}},
            lambda d: d["spec"]["new"] == {"b": {"d": 1}},
        ),
        (  # ... but not inside arrays
            {"spec": {"list": [None, {"a": None}]}},
            lambda d: d["spec"]["list"] == [None, {"a": None}],
        ),
        ({"spec": {"replicas": {"min": 1}}}, lambda d: d["spec"]["replicas"] == {"min": 1}),
        ({"spec": {"strategy": "Recreate"}}, lambda d: d["spec"]["strategy"] == "Recreate"),
        ({}, lambda d: d == deployment()),
    ],
)
def test_merge_patch(patch: Obj, check: Any) -> None:
    live = deployment()
    patched = apply_patch(live, MERGE_PATCH, body(patch))
    assert check(patched)
    assert live == deployment()


def test_merge_patch_copies_what_it_takes() -> None:
    live = deployment()
    patch: Obj = {"metadata": {"labels": {"new": "1"}}, "spec": {"list": [{"a": 1}]}}
    patched = apply_merge_patch(live, patch)
    patched["spec"]["list"][0]["a"] = 2
    patched["spec"]["selector"]["matchLabels"]["app"] = "changed"
    assert patch["spec"]["list"] == [{"a": 1}]
    assert live == deployment()


@pytest.mark.parametrize("patch", [[1], "x", 3, None, True])
def test_merge_patch_must_be_an_object(patch: object) -> None:
    with pytest.raises(PatchError) as caught:
        apply_merge_patch(deployment(), patch)
    assert caught.value.status == 400
    assert "into Go value of type map[string]interface {}" in caught.value.message


# ----------------------------------------------------------- strategic merge: kubectl bodies


def test_kubectl_set_image_changes_only_that_image() -> None:
    live = deployment(
        container(
            "c",
            "old",
            ports=[{"containerPort": 80, "protocol": "TCP"}],
            env=[{"name": "MODE", "value": "prod"}],
            resources={"limits": {"cpu": "1"}},
            args=["--verbose"],
        )
    )
    raw = b'{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"image":"img","name":"c"}]}}}}'
    patched = smp(live, raw)
    expected = copy.deepcopy(live)
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = "img"
    assert patched == expected
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "old"


def test_kubectl_set_image_with_several_containers_keeps_their_order() -> None:
    live = deployment(container("web", "web:1"), container("log", "log:1"), container("db", "db:1"))
    raw = body(
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [
                            {"name": "web"},
                            {"name": "log"},
                            {"name": "db"},
                        ],
                        "containers": [{"image": "log:2", "name": "log"}],
                    }
                }
            }
        }
    )
    containers = pod_spec(smp(live, raw))["containers"]
    assert containers == [
        container("web", "web:1"),
        container("log", "log:2"),
        container("db", "db:1"),
    ]


def test_kubectl_rollout_pause_and_resume() -> None:
    paused = smp(deployment(), b'{"spec":{"paused":true}}')
    assert paused["spec"]["paused"] is True
    resumed = smp(paused, b'{"spec":{"paused":null}}')
    assert "paused" not in resumed["spec"]
    assert resumed == deployment()


def test_kubectl_rollout_restart_creates_the_template_annotations() -> None:
    raw = b'{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}}}}}'
    patched = smp(deployment(), raw)
    assert patched["spec"]["template"]["metadata"] == {
        "labels": {"app": "nginx"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"},
    }
    again = smp(patched, raw.replace(b"2026-01-01T00:00:00Z", b"2026-01-02T00:00:00Z"))
    assert again["spec"]["template"]["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": "2026-01-02T00:00:00Z"
    }


def applied_v1() -> Obj:
    """Live state after `kubectl apply` of a manifest with maxSurge 1, image nginx:1.14."""
    live = deployment(
        container(
            "nginx",
            "nginx:1.14",
            ports=[{"containerPort": 80, "protocol": "TCP"}],
            resources={},
            imagePullPolicy="IfNotPresent",
        )
    )
    live["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": 1, "maxUnavailable": "25%"}
    return live


def test_kubectl_apply_changing_image_replicas_and_surge() -> None:
    # kubectl 1.37.1, second `apply -f`: replicas 3->5, image 1.14->1.16, maxSurge 1->2.
    raw = b'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"LA-v2\\n"}},"spec":{"replicas":5,"strategy":{"$retainKeys":["rollingUpdate","type"],"rollingUpdate":{"maxSurge":2}},"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"image":"nginx:1.16","name":"nginx"}]}}}}'
    live = applied_v1()
    patched = smp(live, raw)
    expected = copy.deepcopy(live)
    expected["metadata"]["annotations"][LAST_APPLIED] = "LA-v2\n"
    expected["spec"]["replicas"] = 5
    expected["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = 2
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.16"
    assert patched == expected
    assert directive_keys(patched) == []


def test_kubectl_apply_switching_to_recreate_clears_rolling_update() -> None:
    # kubectl 1.37.1: strategy {type: Recreate} in the manifest; $retainKeys drops the
    # server-defaulted rollingUpdate, which validation would otherwise reject.
    raw = b'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"LA-v3\\n"}},"spec":{"replicas":5,"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"},"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"image":"nginx:1.17","name":"nginx"}]}}}}'
    patched = smp(applied_v1(), raw)
    assert patched["spec"]["strategy"] == {"type": "Recreate"}
    assert patched["spec"]["replicas"] == 5
    assert pod_spec(patched)["containers"][0]["image"] == "nginx:1.17"
    assert pod_spec(patched)["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert directive_keys(patched) == []


def test_kubectl_apply_with_list_deletions_additions_and_reordering() -> None:
    # kubectl 1.37.1: the manifest drops env A, adds env C before B, adds a first container
    # "log", and switches volume "data" from emptyDir to a configMap.
    live = deployment(
        container(
            "nginx",
            "nginx:1.14",
            env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            volumeMounts=[{"name": "data", "mountPath": "/data"}],
            resources={},
        )
    )
    pod_spec(live)["volumes"] = [{"name": "data", "emptyDir": {}}]
    raw = b'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"LA-v4\\n"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"log"},{"name":"nginx"}],"$setElementOrder/volumes":[{"name":"data"}],"containers":[{"args":["tail"],"image":"busybox","name":"log"},{"$setElementOrder/env":[{"name":"C"},{"name":"B"}],"env":[{"name":"C","value":"3"},{"$patch":"delete","name":"A"}],"name":"nginx"}],"volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"cfg"},"emptyDir":null,"name":"data"}]}}}}'
    patched = smp(live, raw)
    assert pod_spec(patched)["containers"] == [
        {"args": ["tail"], "image": "busybox", "name": "log"},
        container(
            "nginx",
            "nginx:1.14",
            env=[{"name": "C", "value": "3"}, {"name": "B", "value": "2"}],
            volumeMounts=[{"name": "data", "mountPath": "/data"}],
            resources={},
        ),
    ]
    assert pod_spec(patched)["volumes"] == [{"name": "data", "configMap": {"name": "cfg"}}]
    assert patched["metadata"]["annotations"][LAST_APPLIED] == "LA-v4\n"
    assert directive_keys(patched) == []


def test_strategic_merge_patch_leaves_its_arguments_alone() -> None:
    live = deployment()
    patch = {
        "spec": {
            "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"name": "nginx", "image": "x"}],
                }
            },
        }
    }
    frozen = copy.deepcopy(patch)
    patched = apply_strategic_merge_patch(live, patch)
    assert (live, patch) == (deployment(), frozen)
    pod_spec(patched)["containers"][0]["image"] = "mutated"
    assert patch == frozen


# ------------------------------------------------------------ strategic merge: merge keys


def pod(**spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


MERGE_KEY_CASES: list[tuple[str, Obj, Obj, list[str | int], Any]] = [
    # (name, document, patch, path to the list, expected list)
    (
        "pod template containers by name",
        deployment(container("a", "a:1", args=["x"]), container("b", "b:1")),
        {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:2"}]}}}},
        ["spec", "template", "spec", "containers"],
        [container("a", "a:2", args=["x"]), container("b", "b:1")],
    ),
    (
        "Pod spec containers by name",
        pod(containers=[container("a", "a:1"), container("b", "b:1")]),
        {"spec": {"containers": [{"name": "b", "image": "b:2"}]}},
        ["spec", "containers"],
        [container("a", "a:1"), container("b", "b:2")],
    ),
    (
        "initContainers by name",
        pod(initContainers=[container("init", "i:1")]),
        {"spec": {"initContainers": [{"name": "init", "image": "i:2"}]}},
        ["spec", "initContainers"],
        [container("init", "i:2")],
    ),
    (
        "ephemeralContainers by name",
        pod(ephemeralContainers=[container("debug", "busybox", tty=True)]),
        {"spec": {"ephemeralContainers": [{"name": "debug", "stdin": True}]}},
        ["spec", "ephemeralContainers"],
        [container("debug", "busybox", tty=True, stdin=True)],
    ),
    (
        "volumes by name",
        pod(volumes=[{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}]),
        {"spec": {"volumes": [{"name": "b", "emptyDir": {"medium": "Memory"}}]}},
        ["spec", "volumes"],
        [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {"medium": "Memory"}}],
    ),
    (
        "imagePullSecrets by name",
        pod(imagePullSecrets=[{"name": "a"}]),
        {"spec": {"imagePullSecrets": [{"name": "b"}]}},
        ["spec", "imagePullSecrets"],
        [{"name": "b"}, {"name": "a"}],
    ),
    (
        "resourceClaims by name",
        pod(resourceClaims=[{"name": "gpu", "resourceClaimName": "c1"}]),
        {"spec": {"resourceClaims": [{"name": "gpu", "resourceClaimName": "c2"}]}},
        ["spec", "resourceClaims"],
        [{"name": "gpu", "resourceClaimName": "c2"}],
    ),
    (
        "schedulingGates by name",
        pod(schedulingGates=[{"name": "a"}]),
        {"spec": {"schedulingGates": [{"name": "b"}]}},
        ["spec", "schedulingGates"],
        [{"name": "b"}, {"name": "a"}],
    ),
    (
        "hostAliases by ip",
        pod(hostAliases=[{"ip": "10.0.0.1", "hostnames": ["a"]}]),
        {"spec": {"hostAliases": [{"ip": "10.0.0.1", "hostnames": ["b"]}]}},
        ["spec", "hostAliases"],
        [{"ip": "10.0.0.1", "hostnames": ["b"]}],
    ),
    (
        "topologySpreadConstraints by topologyKey",
        pod(topologySpreadConstraints=[{"topologyKey": "zone", "maxSkew": 1}]),
        {"spec": {"topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 2}]}},
        ["spec", "topologySpreadConstraints"],
        [{"topologyKey": "zone", "maxSkew": 2}],
    ),
    (
        "container ports by containerPort",
        pod(
            containers=[container("a", "a", ports=[{"containerPort": 80}, {"containerPort": 443}])]
        ),
        {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 443, "name": "tls"}]}]}},
        ["spec", "containers", 0, "ports"],
        [{"containerPort": 80}, {"containerPort": 443, "name": "tls"}],
    ),
    (
        "container ports keyed by number: 443 and 443.0 are the same port",
        pod(containers=[container("a", "a", ports=[{"containerPort": 443}])]),
        {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 443.0, "name": "t"}]}]}},
        ["spec", "containers", 0, "ports"],
        [{"containerPort": 443.0, "name": "t"}],
    ),
    (
        "env by name",
        pod(containers=[container("a", "a", env=[{"name": "X", "value": "1"}])]),
        {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "2"}]}]}},
        ["spec", "containers", 0, "env"],
        [{"name": "X", "value": "2"}],
    ),
    (
        "volumeMounts by mountPath",
        pod(containers=[container("a", "a", volumeMounts=[{"name": "v", "mountPath": "/v"}])]),
        {
            "spec": {
                "containers": [{"name": "a", "volumeMounts": [{"name": "w", "mountPath": "/v"}]}]
            }
        },
        ["spec", "containers", 0, "volumeMounts"],
        [{"name": "w", "mountPath": "/v"}],
    ),
    (
        "volumeDevices by devicePath",
        pod(
            containers=[container("a", "a", volumeDevices=[{"name": "d", "devicePath": "/dev/x"}])]
        ),
        {
            "spec": {
                "containers": [
                    {"name": "a", "volumeDevices": [{"name": "e", "devicePath": "/dev/x"}]}
                ]
            }
        },
        ["spec", "containers", 0, "volumeDevices"],
        [{"name": "e", "devicePath": "/dev/x"}],
    ),
    (
        "initContainer env by name",
        pod(initContainers=[container("i", "i", env=[{"name": "A", "value": "1"}])]),
        {"spec": {"initContainers": [{"name": "i", "env": [{"name": "B", "value": "2"}]}]}},
        ["spec", "initContainers", 0, "env"],
        [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
    ),
    (
        "Service ports by port",
        {
            "kind": "Service",
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        },
        {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}},
        ["spec", "ports"],
        [{"name": "http", "port": 80, "targetPort": 9090}],
    ),
    (
        "ownerReferences by uid",
        {"metadata": {"ownerReferences": [{"uid": "u1", "name": "a", "controller": True}]}},
        {"metadata": {"ownerReferences": [{"uid": "u1", "name": "b"}]}},
        ["metadata", "ownerReferences"],
        [{"uid": "u1", "name": "b", "controller": True}],
    ),
    (
        "template ownerReferences by uid too",
        deployment(),
        {"spec": {"template": {"metadata": {"ownerReferences": [{"uid": "u9"}]}}}},
        ["spec", "template", "metadata", "ownerReferences"],
        [{"uid": "u9"}],
    ),
    (
        "status conditions by type",
        deployment(),
        {"status": {"conditions": [{"type": "Progressing", "status": "False"}]}},
        ["status", "conditions"],
        [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "False", "reason": "NewReplicaSetAvailable"},
        ],
    ),
    (
        "pod podIPs by ip",
        {"status": {"podIPs": [{"ip": "10.0.0.1"}]}},
        {"status": {"podIPs": [{"ip": "fd00::1"}]}},
        ["status", "podIPs"],
        [{"ip": "fd00::1"}, {"ip": "10.0.0.1"}],
    ),
    (
        "pod hostIPs by ip",
        {"status": {"hostIPs": [{"ip": "192.168.0.1"}]}},
        {"status": {"hostIPs": [{"ip": "192.168.0.1"}]}},
        ["status", "hostIPs"],
        [{"ip": "192.168.0.1"}],
    ),
    (
        "metadata finalizers merge as a set",
        {"metadata": {"finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["c", "a"]}},
        ["metadata", "finalizers"],
        ["c", "a", "b"],
    ),
    # Lists without a merge key are replaced whole.
    (
        "Namespace spec.finalizers are atomic",
        {"kind": "Namespace", "spec": {"finalizers": ["kubernetes"]}},
        {"spec": {"finalizers": ["other"]}},
        ["spec", "finalizers"],
        ["other"],
    ),
    (
        "command is atomic",
        pod(containers=[container("a", "a", command=["sh", "-c"])]),
        {"spec": {"containers": [{"name": "a", "command": ["bash"]}]}},
        ["spec", "containers", 0, "command"],
        ["bash"],
    ),
    (
        "args are atomic",
        deployment(container("a", "a", args=["x", "y"])),
        {"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["y"]}]}}}},
        ["spec", "template", "spec", "containers", 0, "args"],
        ["y"],
    ),
    (
        "envFrom is atomic",
        pod(containers=[container("a", "a", envFrom=[{"configMapRef": {"name": "x"}}])]),
        {"spec": {"containers": [{"name": "a", "envFrom": [{"secretRef": {"name": "s"}}]}]}},
        ["spec", "containers", 0, "envFrom"],
        [{"secretRef": {"name": "s"}}],
    ),
    (
        "tolerations are atomic",
        pod(tolerations=[{"key": "a", "operator": "Exists"}]),
        {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}},
        ["spec", "tolerations"],
        [{"key": "b", "operator": "Exists"}],
    ),
    (
        "readinessGates are atomic",
        pod(readinessGates=[{"conditionType": "a"}]),
        {"spec": {"readinessGates": [{"conditionType": "b"}]}},
        ["spec", "readinessGates"],
        [{"conditionType": "b"}],
    ),
    (
        "containerStatuses are atomic",
        {"status": {"containerStatuses": [{"name": "a", "ready": True, "restartCount": 2}]}},
        {"status": {"containerStatuses": [{"name": "a", "ready": False}]}},
        ["status", "containerStatuses"],
        [{"name": "a", "ready": False}],
    ),
    (
        "matchExpressions are atomic",
        {"spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}},
        {"spec": {"selector": {"matchExpressions": [{"key": "b", "operator": "Exists"}]}}},
        ["spec", "selector", "matchExpressions"],
        [{"key": "b", "operator": "Exists"}],
    ),
    (
        "lists outside the known places are atomic",
        {"data": {"items": [{"name": "a"}]}},
        {"data": {"items": [{"name": "b"}]}},
        ["data", "items"],
        [{"name": "b"}],
    ),
]


@pytest.mark.parametrize(
    ("document", "patch", "path", "expected"),
    [case[1:] for case in MERGE_KEY_CASES],
    ids=[case[0] for case in MERGE_KEY_CASES],
)
def test_lists_merge_by_the_key_of_their_place(
    document: Obj, patch: Obj, path: list[Any], expected: Any
) -> None:
    result: Any = apply_strategic_merge_patch(document, patch)
    for step in path:
        result = result[step]
    assert result == expected


# ----------------------------------------------------------- strategic merge: element order


def three_containers() -> Obj:
    return deployment(container("a", "a"), container("b", "b"), container("side", "s"))


@pytest.mark.parametrize(
    ("patch_spec", "order"),
    [
        ({"containers": [{"name": "new", "image": "n"}]}, ["new", "a", "b", "side"]),
        (
            {"containers": [{"name": "b", "image": "b2"}, {"name": "new", "image": "n"}]},
            ["a", "b", "new", "side"],
        ),
        (
            {
                "$setElementOrder/containers": [{"name": "a"}, {"name": "new"}, {"name": "b"}],
                "containers": [{"name": "new", "image": "n"}],
            },
            ["a", "new", "b", "side"],
        ),
        (  # "side" is not named: it keeps its place relative to the others in the live list
            {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]},
            ["b", "a", "side"],
        ),
        (
            {"$setElementOrder/containers": [{"name": "side"}, {"name": "b"}, {"name": "a"}]},
            ["side", "b", "a"],
        ),
        (  # "b" came before "side" in the live list, so it still does
            {"$setElementOrder/containers": [{"name": "side"}, {"name": "a"}]},
            ["b", "side", "a"],
        ),
        (
            {"containers": [{"name": "side", "$patch": "delete"}]},
            ["a", "b"],
        ),
        (
            {
                "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                "containers": [{"name": "side", "$patch": "delete"}],
            },
            ["b", "a"],
        ),
        (
            {"containers": [{"name": "n1", "image": "1"}, {"name": "n1", "args": ["2"]}]},
            ["n1", "a", "b", "side"],
        ),
    ],
)
def test_merged_list_order_follows_apimachinery(patch_spec: Obj, order: list[str]) -> None:
    patched = apply_strategic_merge_patch(
        three_containers(), {"spec": {"template": {"spec": patch_spec}}}
    )
    assert names(pod_spec(patched)["containers"]) == order
    assert directive_keys(patched) == []


def test_server_only_element_between_patch_elements_stays_between() -> None:
    live = deployment(container("a", "a"), container("sidecar", "s"), container("b", "b"))
    patch = {
        "spec": {
            "template": {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}
        }
    }
    # upstream's mergeSortedSlice: the sidecar (live index 1) goes before "b" (live index 2).
    assert names(pod_spec(apply_strategic_merge_patch(live, patch))["containers"]) == [
        "sidecar",
        "b",
        "a",
    ]


def test_duplicate_patch_elements_merge_into_one() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "n", "image": "1"}, {"name": "n", "args": ["2"]}]}
            }
        }
    }
    containers = pod_spec(apply_strategic_merge_patch(three_containers(), patch))["containers"]
    assert containers[0] == {"name": "n", "image": "1", "args": ["2"]}


@pytest.mark.parametrize(
    ("metadata_patch", "finalizers"),
    [
        ({"finalizers": ["z"]}, ["z", "x", "y"]),
        ({"finalizers": ["y", "z"]}, ["x", "y", "z"]),
        ({"$setElementOrder/finalizers": ["y", "z", "x"], "finalizers": ["z"]}, ["y", "z", "x"]),
        ({"$deleteFromPrimitiveList/finalizers": ["x"]}, ["y"]),
        ({"$deleteFromPrimitiveList/finalizers": ["x", "nope"], "finalizers": ["z"]}, ["z", "y"]),
        ({"$deleteFromPrimitiveList/finalizers": "x"}, ["x", "y"]),  # not a list: ignored
        ({"finalizers": []}, ["x", "y"]),
    ],
)
def test_finalizers_merge_as_an_ordered_set(metadata_patch: Obj, finalizers: list[str]) -> None:
    live = {"metadata": {"name": "n", "finalizers": ["x", "y"]}}
    patched = apply_strategic_merge_patch(live, {"metadata": metadata_patch})
    assert patched["metadata"] == {"name": "n", "finalizers": finalizers}


@pytest.mark.parametrize(
    "metadata_patch",
    [{"finalizers": None}, {"$deleteFromPrimitiveList/finalizers": None}],
)
def test_null_finalizers_remove_the_field(metadata_patch: Obj) -> None:
    live = {"metadata": {"name": "n", "finalizers": ["x", "y"]}}
    assert apply_strategic_merge_patch(live, {"metadata": metadata_patch}) == {
        "metadata": {"name": "n"}
    }


def test_delete_from_a_missing_primitive_list_is_a_no_op() -> None:
    live = {"metadata": {"name": "n"}}
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}
    assert apply_strategic_merge_patch(live, patch) == live


# -------------------------------------------------------------- strategic merge: directives


def test_patch_replace_on_a_list_replaces_it() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "z", "image": "z"}, {"$patch": "replace"}]}
            }
        }
    }
    patched = apply_strategic_merge_patch(three_containers(), patch)
    assert pod_spec(patched)["containers"] == [container("z", "z")]


def test_patch_replace_on_a_map_replaces_it() -> None:
    patched = apply_strategic_merge_patch(
        deployment(), {"metadata": {"labels": {"$patch": "replace", "team": "a", "gone": None}}}
    )
    assert patched["metadata"]["labels"] == {"team": "a"}
    strategy = apply_strategic_merge_patch(
        deployment(), {"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}}
    )
    assert strategy["spec"]["strategy"] == {"type": "Recreate"}


def test_patch_delete_on_a_map_removes_it() -> None:
    patched = apply_strategic_merge_patch(
        deployment(), {"spec": {"strategy": {"$patch": "delete"}}}
    )
    assert "strategy" not in patched["spec"]
    assert patched["spec"]["replicas"] == 3


def test_patch_delete_on_the_whole_object_leaves_nothing() -> None:
    assert apply_strategic_merge_patch(deployment(), {"$patch": "delete"}) == {}


def test_patch_delete_on_a_missing_list_element_is_harmless() -> None:
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "ghost", "$patch": "delete"}]}}}
    }
    patched = apply_strategic_merge_patch(three_containers(), patch)
    assert names(pod_spec(patched)["containers"]) == ["a", "b", "side"]


def test_retain_keys_clears_unlisted_fields() -> None:
    patched = apply_strategic_merge_patch(
        deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    )
    assert patched["spec"]["strategy"] == {"type": "Recreate"}


def test_null_deletes_and_missing_null_is_ignored() -> None:
    patched = apply_strategic_merge_patch(
        deployment(), {"metadata": {"labels": {"app": None, "never-there": None, "new": "v"}}}
    )
    assert patched["metadata"]["labels"] == {"new": "v"}


def test_values_taken_over_whole_are_cleaned_of_directives_and_nulls() -> None:
    # Upstream leaves these for its typed decoder to drop; a stored object must not keep them.
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "new",
                            "image": "n",
                            "command": None,
                            "$setElementOrder/env": [{"name": "B"}, {"name": "A"}],
                            "env": [
                                {"name": "B", "value": "2"},
                                {"name": "A", "value": None},
                                {"name": "gone", "$patch": "delete"},
                            ],
                        }
                    ],
                    "affinity": {"nodeAffinity": None, "podAffinity": {"$retainKeys": []}},
                    "tolerations": [{"key": "k", "value": None}, {"$patch": "replace"}],
                    "nodeSelector": {"$patch": "delete"},
                }
            }
        }
    }
    patched = apply_strategic_merge_patch(deployment(), patch)
    spec = pod_spec(patched)
    assert spec["containers"][0] == {
        "name": "new",
        "image": "n",
        "env": [{"name": "B", "value": "2"}, {"name": "A"}],
    }
    assert spec["affinity"] == {"podAffinity": {}}
    assert spec["tolerations"] == [{"key": "k"}]
    assert "nodeSelector" not in spec
    assert directive_keys(patched) == []


@pytest.mark.parametrize(
    ("patch", "check"),
    [
        ({"spec": {"replicas": "3"}}, lambda d: d["spec"]["replicas"] == "3"),
        ({"spec": {"paused": {"x": 1}}}, lambda d: d["spec"]["paused"] == {"x": 1}),
        ({"spec": {"strategy": ["a"]}}, lambda d: d["spec"]["strategy"] == ["a"]),
        ({"metadata": {"labels": "flat"}}, lambda d: d["metadata"]["labels"] == "flat"),
        (
            {"spec": {"template": {"spec": {"containers": []}}}},
            lambda d: names(pod_spec(d)["containers"]) == ["nginx"],
        ),
        ({}, lambda d: d == deployment()),
    ],
)
def test_type_changes_replace_and_empty_patches_change_nothing(patch: Obj, check: Any) -> None:
    assert check(apply_strategic_merge_patch(deployment(), patch))


# ------------------------------------------------------------------ strategic merge: errors

CONTAINERS = ["spec", "template", "spec"]


def template_spec_patch(spec: Obj) -> Obj:
    return {"spec": {"template": {"spec": spec}}}


@pytest.mark.parametrize(
    ("patch", "status", "message"),
    [
        (
            {"spec": {"strategy": {"$patch": "bogus"}}},
            400,
            "unknown patch type: bogus in map: map[$patch:bogus]",
        ),
        (
            template_spec_patch({"containers": [{"name": "nginx", "$patch": "bogus"}]}),
            400,
            "unknown patch type: bogus in map: map[$patch:bogus name:nginx]",
        ),
        (
            template_spec_patch({"tolerations": [{"$patch": "bogus"}]}),
            400,
            "unknown patch type: bogus in map: map[$patch:bogus]",
        ),
        (
            template_spec_patch({"containers": [{"name": "nginx", "$patch": "merge"}]}),
            400,
            "merging lists cannot yet be specified in the patch",
        ),
        (
            {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}},
            400,
            "invalid patch format of retainKeys",
        ),
        (
            {"spec": {"strategy": {"$retainKeys": "type"}}},
            400,
            "invalid patch format of retainKeys",
        ),
        (
            template_spec_patch(
                {
                    "$setElementOrder/containers": [{"name": "a"}],
                    "containers": [{"name": "b", "image": "x"}],
                }
            ),
            400,
            (
                "The order in patch list:\n[map[image:x name:b]]\n doesn't match "
                "$setElementOrder list:\n[map[name:a]]\n"
            ),
        ),
        (
            template_spec_patch({"$setElementOrder": [{"name": "a"}]}),
            400,
            "invalid patch format of setElementOrder list",
        ),
        (
            template_spec_patch({"$setElementOrder/containers": {"name": "a"}}),
            400,
            "expected a []interface {}, but received a map[string]interface {}",
        ),
        (
            template_spec_patch(
                {"$setElementOrder/containers": [{"name": "nginx"}], "containers": None}
            ),
            400,
            "expected a []interface {}, but received a %!s(<nil>)",
        ),
        (
            template_spec_patch(
                {
                    "$setElementOrder/containers": [{"foo": "nginx"}],
                    "containers": [{"name": "nginx", "image": "q"}],
                }
            ),
            400,
            "map: map[foo:nginx] does not contain declared merge key: name",
        ),
        (
            {"metadata": {"$deleteFromPrimitiveList": ["a"]}},
            400,
            "invalid patch format of primitive list",
        ),
        (
            template_spec_patch({"containers": [{"image": "x"}]}),
            400,
            "map: map[image:x] does not contain declared merge key: name",
        ),
        (
            template_spec_patch({"containers": [{"$patch": "delete"}]}),
            400,
            "map: map[$patch:delete] does not contain declared merge key: name",
        ),
        (
            template_spec_patch({"containers": ["nginx"]}),
            400,
            (
                "list element types are not identical: [[map[image:nginx:1.14 imagePullPolicy:"
                "IfNotPresent name:nginx ports:[map[containerPort:80 protocol:TCP]] resources:map[] "
                "terminationMessagePath:/dev/termination-log]] [nginx]]"
            ),
        ),
        (
            {"metadata": {"ownerReferences": [{"uid": 1.5}, "x"]}},
            400,
            "list element types are not identical: [[] [map[uid:1.5] x]]",
        ),
        (
            {"metadata": {"finalizers": [{"a": 1}]}},
            400,
            "cannot merge lists without merge key for string",
        ),
        (
            {"status": {"conditions": []}, "metadata": {"finalizers": [["a"]]}},
            422,
            "lists of lists are not supported",
        ),
    ],
)
def test_strategic_merge_patch_errors(patch: Obj, status: int, message: str) -> None:
    live = deployment()
    live["metadata"].update(finalizers=[], ownerReferences=[])  # present, so lists get merged
    with pytest.raises(PatchError) as caught:
        smp(live, patch)
    assert (caught.value.status, caught.value.message) == (status, message)


def test_keyed_list_of_scalars_is_refused() -> None:
    live = pod(containers=[])
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch(live, {"spec": {"containers": ["a"]}})
    assert caught.value.status == 400
    assert caught.value.message == "expected a map[string]interface {}, but received a string"


def test_live_elements_without_merge_key_are_reported() -> None:
    live = pod(containers=[{"image": "nameless"}])
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch(live, {"spec": {"containers": [{"name": "a"}]}})
    assert (
        caught.value.message == "map: map[image:nameless] does not contain declared merge key: name"
    )


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (1e6, "1e+06"),
        (1.5e-5, "1.5e-05"),
        (0.25, "0.25"),
        (123456.0, "123456"),
        (-2.5e21, "-2.5e+21"),
        (True, "true"),
        (None, "<nil>"),
        ([1, "a"], "[1 a]"),
    ],
)
def test_error_messages_render_values_like_go(value: object, rendered: str) -> None:
    # The merge-key error shows the offending element with Go's %v.
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch(pod(containers=[]), {"spec": {"containers": [{"x": value}]}})
    assert (
        caught.value.message == f"map: map[x:{rendered}] does not contain declared merge key: name"
    )
