"""Label and field selectors of the sandbox API server (K8S_ROLLOUT_SPEC §6.6).

Expected error texts are apimachinery's (labels/selector.go, fields/selector.go, the registries'
field label conversions), since kubectl shows them verbatim after "Error from server (BadRequest)".
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from kiops_desktop.sandbox.selectors import (
    SelectorError,
    compile_label_selector,
    label_selector_matches,
    label_selector_to_string,
    parse_field_selector,
    parse_label_selector,
)

NGINX = {"app": "nginx", "tier": "web", "pod-template-hash": "5d4f8b7c9"}

# The name-part regex message of validation.IsLabelKey, double spaces and all.
KEY_REGEX_MESSAGE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_REGEX_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


# ------------------------------------------------------------------------ label selector text


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", NGINX, True),
        ("", None, True),
        ("   ", {}, True),
        ("app=nginx", NGINX, True),
        ("app=apache", NGINX, False),
        ("app==nginx", NGINX, True),
        ("app!=nginx", NGINX, False),
        ("app!=apache", NGINX, True),
        ("missing!=x", NGINX, True),  # != also matches objects without the label
        ("app in (apache,nginx)", NGINX, True),
        ("app in (apache)", NGINX, False),
        ("missing in (x)", NGINX, False),
        ("app notin (apache,nginx)", NGINX, False),
        ("app notin (apache)", NGINX, True),
        ("missing notin (x)", NGINX, True),  # notin too
        ("app", NGINX, True),
        ("missing", NGINX, False),
        ("!missing", NGINX, True),
        ("!app", NGINX, False),
        ("app=nginx,tier=web", NGINX, True),  # all requirements must hold
        ("app=nginx,tier=db", NGINX, False),
        ("app=nginx,pod-template-hash=5d4f8b7c9", NGINX, True),
        ("app=nginx", None, False),
        ("!app", None, True),
        ("app notin (x)", None, True),
        ("empty=", {"empty": ""}, True),  # `k=` selects the empty value ...
        ("empty=", {}, False),  # ... which must still be present
        ("empty in ()", {"empty": ""}, True),
        ("v in (,a)", {"v": ""}, True),
        ("v in (a,,b)", {"v": ""}, True),
        ("in in (in,notin)", {"in": "notin"}, True),  # keywords are plain words as keys/values
        ("notin notin (in)", {"notin": "x"}, True),
        ("example.com/role=db", {"example.com/role": "db"}, True),
        ("n>5", {"n": "6"}, True),
        ("n>5", {"n": "5"}, False),
        ("n<5", {"n": "-3"}, True),
        ("n>5", {"n": "six"}, False),  # not an integer: no match
        ("n>5", {}, False),
    ],
)
def test_label_selector_matching(
    selector: str, labels: dict[str, str] | None, expected: bool
) -> None:
    assert parse_label_selector(selector)(labels) is expected


@pytest.mark.parametrize(
    "selector",
    [
        "  app = nginx , tier in ( web , db ) ",
        "app=nginx,tier in (web,db)",
        "\tapp==nginx,\n tier\tin(web,db)",
        "tier in (db,web) , app = nginx",
    ],
)
def test_whitespace_is_tolerated_like_the_apiserver(selector: str) -> None:
    match = parse_label_selector(selector)
    assert match(NGINX)
    assert not match({**NGINX, "tier": "cache"})


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("a=b=c", "found '=', expected: ',' or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a in x", "unable to parse requirement: found 'x' expected: '('"),
        ("a in (x))", "found ')', expected: ',' or 'end of string'"),
        ("a in (a,,)", "unable to parse requirement: found ')', expected: ',', or identifier"),
        ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("a,", "found '', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("(a)", "found '(', expected: !, identifier, or 'end of string'"),
        (
            "-a=b",
            f'unable to parse requirement: <nil>: Invalid value: "-a": name part {KEY_REGEX_MESSAGE}',
        ),
        (
            "a/b/c",
            (
                'unable to parse requirement: <nil>: Invalid value: "a/b/c": a valid label key '
                f"{KEY_REGEX_MESSAGE} with an optional DNS subdomain prefix and '/' "
                "(e.g. 'example.com/MyName')"
            ),
        ),
        (
            "/a",
            'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty',
        ),
        (
            "k=$x",
            'unable to parse requirement: values[0][k]: Invalid value: "$x": '
            + VALUE_REGEX_MESSAGE,
        ),
        (
            "k in (ok,-bad)",
            'unable to parse requirement: values[0][k]: Invalid value: "-bad": '
            + VALUE_REGEX_MESSAGE,
        ),
        (
            "n>x",
            (
                'unable to parse requirement: values[0]: Invalid value: "x": '
                "for 'Gt', 'Lt' operators, the value must be an integer"
            ),
        ),
    ],
)
def test_invalid_label_selectors_are_rejected_with_the_apiserver_text(
    selector: str, message: str
) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_label_selector(selector)
    assert str(caught.value) == message


def test_selector_error_is_a_value_error() -> None:
    assert issubclass(SelectorError, ValueError)


def test_too_long_label_key_and_value_are_rejected() -> None:
    with pytest.raises(SelectorError, match="name part must be no more than 63 characters"):
        parse_label_selector("k" * 64)
    with pytest.raises(SelectorError, match="must be no more than 63 characters"):
        parse_label_selector("k=" + "v" * 64)


def test_a_compiled_selector_is_reusable() -> None:
    match = parse_label_selector("app=nginx,!canary")
    assert [match(labels) for labels in (NGINX, {**NGINX, "canary": "1"}, NGINX, None)] == [
        True,
        False,
        True,
        False,
    ]


def test_filtering_many_objects_is_cheap() -> None:
    # The list handlers run the predicate once per stored object; 5,000 must be instant.
    objects = [{"app": f"app-{i % 50}", "tier": "web", "n": str(i)} for i in range(5_000)]
    match = parse_label_selector("app in (app-1,app-2),tier=web,!canary,n>100")
    started = time.perf_counter()
    selected = [labels for labels in objects if match(labels)]
    elapsed = time.perf_counter() - started
    assert len(selected) == 196
    assert elapsed < 1.0  # typically a few milliseconds


# ----------------------------------------------------------------------- structured selectors


@pytest.mark.parametrize(
    ("selector", "rendered"),
    [
        (None, ""),
        ({}, ""),
        ({"matchLabels": {}}, ""),
        ({"matchLabels": {"app": "nginx"}}, "app=nginx"),
        ({"matchLabels": {"tier": "web", "app": "nginx"}}, "app=nginx,tier=web"),
        (
            {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]},
            "env in (dev,prod)",
        ),
        (
            {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["qa"]}]},
            "env notin (qa)",
        ),
        ({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, "gpu"),
        ({"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}, "!canary"),
        (
            {
                "matchLabels": {"app": "nginx", "pod-template-hash": "5d4f8b7c9"},
                "matchExpressions": [
                    {"key": "zone", "operator": "NotIn", "values": ["b", "a"]},
                    {"key": "canary", "operator": "DoesNotExist"},
                    {"key": "env", "operator": "In", "values": ["prod"]},
                    {"key": "gpu", "operator": "Exists", "values": []},
                ],
            },
            "app=nginx,!canary,env in (prod),gpu,pod-template-hash=5d4f8b7c9,zone notin (a,b)",
        ),
        (
            {"matchLabels": {"k": "v"}, "matchExpressions": [{"key": "k", "operator": "Exists"}]},
            "k=v,k",
        ),
        ({"matchLabels": {"empty": ""}}, "empty="),
    ],
)
def test_label_selector_to_string(selector: dict[str, Any] | None, rendered: str) -> None:
    assert label_selector_to_string(selector) == rendered


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (None, NGINX, False),  # a nil selector selects nothing ...
        (None, None, False),
        ({}, NGINX, True),  # ... an empty one everything
        ({}, None, True),
        ({"matchLabels": {"app": "nginx"}}, NGINX, True),
        ({"matchLabels": {"app": "nginx"}}, {"app": "apache"}, False),
        ({"matchLabels": {"app": "nginx"}}, None, False),
        ({"matchLabels": {"app": "nginx", "tier": "db"}}, NGINX, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}, NGINX, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]}]}, {}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, NGINX, True),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, NGINX, False),
        (
            {
                "matchLabels": {"app": "nginx"},
                "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}],
            },
            {**NGINX, "canary": "true"},
            False,
        ),
    ],
)
def test_label_selector_matches(
    selector: dict[str, Any] | None, labels: dict[str, str] | None, expected: bool
) -> None:
    assert label_selector_matches(selector, labels) is expected
    assert compile_label_selector(selector)(labels) is expected


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"app": "nginx"}},
        {"matchLabels": {"app": "nginx"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]},
        {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["b", "a"]}]},
        {"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]},
        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]},
    ],
)
def test_rendered_selector_selects_what_the_structured_one_does(selector: dict[str, Any]) -> None:
    # kubectl lists ReplicaSets with the rendered Deployment selector: both must agree.
    samples: list[dict[str, str] | None] = [
        None,
        {},
        {"app": "nginx"},
        {"app": "nginx", "x": "1"},
        {"zone": "a"},
        {"zone": "c"},
        {"canary": "1"},
        {"env": "dev"},
        {"env": "qa"},
    ]
    parsed = parse_label_selector(label_selector_to_string(selector))
    for labels in samples:
        assert parsed(labels) == label_selector_matches(selector, labels), labels


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            '"Gt" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
            (
                "values: Invalid value: []string(nil): "
                "for 'in', 'notin' operators, values set can't be empty"
            ),
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            (
                'values: Invalid value: []string{"x"}: '
                "values set must be empty for exists and does not exist"
            ),
        ),
        (
            {"matchLabels": {"bad key": "x"}},
            f'key: Invalid value: "bad key": name part {KEY_REGEX_MESSAGE}',
        ),
    ],
)
def test_invalid_structured_selectors_raise(selector: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectorError) as rendering:
        label_selector_to_string(selector)
    assert str(rendering.value) == message
    with pytest.raises(SelectorError):
        label_selector_matches(selector, {"a": "1"})


def test_matching_follows_the_selector_content_not_its_identity() -> None:
    # Compiled selectors are cached; an edited selector must not reuse the old predicate.
    selector: dict[str, Any] = {"matchLabels": {"app": "nginx"}}
    assert label_selector_matches(selector, NGINX)
    selector["matchLabels"]["app"] = "apache"
    assert not label_selector_matches(selector, NGINX)
    selector["matchExpressions"] = [{"key": "tier", "operator": "In", "values": ["web"]}]
    assert label_selector_matches(selector, {"app": "apache", "tier": "web"})
    selector["matchExpressions"][0]["values"].append("db")
    assert label_selector_matches(selector, {"app": "apache", "tier": "db"})


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"app": ["nginx"]}},  # unhashable, so never cached
        {"matchLabels": {"replicas": 3}},
        {"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]},
    ],
)
def test_non_string_keys_and_values_are_rejected(selector: dict[str, Any]) -> None:
    with pytest.raises(SelectorError, match="keys and values must be strings"):
        label_selector_matches(selector, NGINX)


def test_several_problems_are_aggregated_in_brackets() -> None:
    selector = {"matchExpressions": [{"key": "-k", "operator": "In", "values": []}]}
    with pytest.raises(SelectorError) as caught:
        label_selector_to_string(selector)
    message = str(caught.value)
    assert message.startswith('[key: Invalid value: "-k": name part')
    assert message.endswith("for 'in', 'notin' operators, values set can't be empty]")


# ---------------------------------------------------------------------------- field selectors

POD = {
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "shop"},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always"},
    "status": {"phase": "Running", "podIP": "10.0.0.7"},
}
PENDING_POD = {"kind": "Pod", "metadata": {"name": "web-2", "namespace": "shop"}, "spec": {}}
EVENT = {
    "kind": "Event",
    "metadata": {"name": "web-1.17a", "namespace": "shop"},
    "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "u-1"},
    "reason": "BackOff",
    "type": "Warning",
    "reportingController": "kubelet",
}
SECRET = {
    "kind": "Secret",
    "metadata": {"name": "tls", "namespace": "shop"},
    "type": "kubernetes.io/tls",
}
REPLICA_SET = {"kind": "ReplicaSet", "metadata": {"name": "web-5d4f8b7c9"}, "status": {}}


@pytest.mark.parametrize(
    ("selector", "obj", "expected"),
    [
        ("", POD, True),
        ("metadata.name=web-1", POD, True),
        ("metadata.name==web-1", POD, True),
        ("metadata.name=web-2", POD, False),
        ("metadata.name!=web-2", POD, True),
        ("metadata.name!=web-1", POD, False),
        ("metadata.namespace=shop", POD, True),
        ("metadata.namespace=shop,metadata.name=web-1", POD, True),
        ("metadata.namespace=shop,metadata.name=web-2", POD, False),
        ("metadata.namespace=", {"metadata": {"name": "cluster-scoped"}}, True),
        ("spec.nodeName=node-a", POD, True),
        ("spec.nodeName=", PENDING_POD, True),  # unscheduled pods have an empty nodeName
        ("spec.nodeName!=", POD, True),
        ("spec.host=node-a", POD, True),  # the old name of spec.nodeName
        ("status.phase=Running", POD, True),
        ("status.phase!=Running", PENDING_POD, True),
        ("status.podIP=10.0.0.7", POD, True),
        ("spec.restartPolicy=Always", POD, True),
        ("spec.hostNetwork=false", POD, True),  # a bool defaults to "false"
        ("type=kubernetes.io/tls", SECRET, True),
        ("type=Opaque", SECRET, False),
        ("involvedObject.kind=Pod,involvedObject.name=web-1", EVENT, True),
        ("involvedObject.namespace=shop,involvedObject.uid=u-1", EVENT, True),
        ("reason=BackOff,type=Warning", EVENT, True),
        ("type=Normal", EVENT, False),
        ("source=kubelet", EVENT, True),  # falls back to reportingController
        ("source=kubelet", {**EVENT, "source": {"component": "scheduler"}}, False),
        ("reportingComponent=kubelet", EVENT, True),
        ("status.replicas=0", REPLICA_SET, True),  # an int defaults to "0"
        ("metadata.name=a\\,b", {"metadata": {"name": "a,b"}}, True),
        ("metadata.name=a\\=b", {"metadata": {"name": "a=b"}}, True),
        ("metadata.name=a\\\\b", {"metadata": {"name": "a\\b"}}, True),
    ],
)
def test_field_selector_matching(selector: str, obj: dict[str, Any], expected: bool) -> None:
    assert parse_field_selector(selector)(obj) is expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("spec.replicas=3", "field label not supported: spec.replicas"),
        ("metadata.labels=x", "field label not supported: metadata.labels"),
        ("metadata.name =x", "field label not supported: metadata.name "),  # no trimming
        ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        (
            "metadata.name=a,oops",
            "invalid selector: 'metadata.name=a,oops'; can't understand 'oops'",
        ),
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
        ("metadata.name=a\\q", "invalid field selector: invalid escape sequence: \\q"),
        ("metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_invalid_field_selectors_are_rejected(selector: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(selector)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("kind", "selector", "supported"),
    [
        ("Pod", "status.phase=Running", True),
        ("Pod", "spec.nodeName=n", True),
        ("Pod", "type=x", False),
        ("Deployment", "status.phase=Running", False),
        ("Deployment", "metadata.name=x,metadata.namespace=y", True),
        ("Secret", "type=Opaque", True),
        ("Event", "involvedObject.uid=u", True),
        ("Event", "spec.nodeName=n", False),
        ("ConfigMap", "metadata.name=x", True),
        ("Namespace", "status.phase=Active", True),
    ],
)
def test_field_selector_can_be_restricted_to_one_kind(
    kind: str, selector: str, supported: bool
) -> None:
    if supported:
        parse_field_selector(selector, kind=kind)
    else:
        with pytest.raises(SelectorError, match=r"^field label not supported: "):
            parse_field_selector(selector, kind=kind)


def test_field_selector_tolerates_missing_sections() -> None:
    match = parse_field_selector("status.phase=,spec.nodeName=")
    assert match({"metadata": {"name": "bare"}})
    assert match({"metadata": {"name": "odd"}, "spec": None, "status": "weird"})
