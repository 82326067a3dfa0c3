"""``core.history``: what ``kubectl rollout history`` shows, computed from the objects.

Expectations follow kubectl 1.37.1 (K8S_ROLLOUT_SPEC.md §2, re-checked against the real binary
by ``tests/integration/kubernetes/test_history_matches_kubectl.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from kiops_desktop.core.history import History, build_history, tabwriter

UID = "dep-uid"
CAUSE = "kubernetes.io/change-cause"
REV = "deployment.kubernetes.io/revision"
HIST = "deployment.kubernetes.io/revision-history"


def template(image: str, hash_: str | None = None, **annotations: str) -> dict[str, Any]:
    labels = {"app": "web"}
    if hash_:
        labels["pod-template-hash"] = hash_
    meta: dict[str, Any] = {"labels": labels}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {
        "metadata": meta,
        "spec": {
            "containers": [
                {"name": "web", "image": image, "ports": [{"containerPort": 80, "protocol": "TCP"}]}
            ]
        },
    }


def dep(image: str, *, limit: int | None = 10, name: str = "web") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": template(image),
    }
    if limit is not None:
        spec["revisionHistoryLimit"] = limit
    return {
        "metadata": {"name": name, "namespace": "shop", "uid": UID},
        "spec": spec,
    }


def rs(
    name: str,
    image: str,
    revision: str | None,
    *,
    created: str = "2026-01-01T00:00:00Z",
    cause: str | None = None,
    history: str | None = None,
    replicas: int | None = 0,
    ready: int | None = None,
    owner: str = UID,
    controller: bool = True,
) -> dict[str, Any]:
    annotations: dict[str, str] = {}
    if revision is not None:
        annotations[REV] = revision
    if cause is not None:
        annotations[CAUSE] = cause
    if history is not None:
        annotations[HIST] = history
    spec: dict[str, Any] = {"template": template(image, name.rsplit("-", 1)[-1])}
    if replicas is not None:
        spec["replicas"] = replicas
    obj: dict[str, Any] = {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "creationTimestamp": created,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "web",
                    "uid": owner,
                    "controller": controller,
                }
            ],
        },
        "spec": spec,
    }
    if ready is not None:
        obj["status"] = {"readyReplicas": ready}
    return obj


def t(n: int) -> str:
    return f"2026-01-0{n}T00:00:00Z"


def v1() -> History:
    """Spec vector V1: three revisions, the last one live."""
    return build_history(
        dep("nginx:1.17"),
        [
            rs("web-h3", "nginx:1.17", "3", created=t(3), replicas=3, ready=3),
            rs("web-h1", "nginx:1.14", "1", created=t(1)),
            rs("web-h2", "nginx:1.16", "2", created=t(2), cause="update to 1.16"),
        ],
    )


# --------------------------------------------------------------------------------------------
# the tabwriter
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "", id="empty"),
        pytest.param(
            "REVISION\tCHANGE-CAUSE\n1\t<none>\n",
            "REVISION  CHANGE-CAUSE\n1         <none>\n",
            id="header sets the width",
        ),
        pytest.param(
            "REVISION\tCHANGE-CAUSE\n1\tx\n123456789012\ty\n",
            "REVISION      CHANGE-CAUSE\n1             x\n123456789012  y\n",
            id="long revision numbers widen the column",
        ),
        pytest.param(
            "REVISION\tCHANGE-CAUSE\n1\ta\tb\n22\tc\n",
            "REVISION  CHANGE-CAUSE\n1         a  b\n22        c\n",
            id="a tab in the last cell opens a column for that line only",
        ),
        pytest.param(
            "A\tB\n1\tx\ny\n2\tz\n",
            "A  B\n1  x\ny\n2  z\n",
            id="a one-cell line ends the block (flush)",
        ),
        pytest.param("A\tB\n1\vx\n", "A  B\n1  x\n", id="vertical tab ends a cell"),
        pytest.param("AAAA\tB\n1\fx\tz\n", "AAAA  B\n1\nx  z\n", id="form feed flushes"),
        pytest.param("é\tx\nab\ty\n", "é   x\nab  y\n", id="widths count characters"),
        pytest.param("a\tb", "a  b", id="unterminated last line"),
    ],
)
def test_tabwriter(text: str, expected: str) -> None:
    assert tabwriter(text) == expected


# --------------------------------------------------------------------------------------------
# list view
# --------------------------------------------------------------------------------------------


def test_v1_list_text() -> None:
    assert v1().raw_text == (
        "deployment.apps/web \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         <none>\n"
        "2         update to 1.16\n"
        "3         <none>\n"
        "\n"
    )


def test_empty_history() -> None:
    history = build_history(dep("nginx:1"), [])
    assert history.revisions == ()
    assert history.raw_text == "deployment.apps/web \nNo rollout history found.\n"
    assert history.current_revision is None
    # kubectl does not check N when there is no history at all.
    assert (
        history.text_for(4) == "deployment.apps/web with revision #4\nNo rollout history found.\n"
    )
    assert history.explanation is None
    assert not history.cleaned_up


def test_owner_filtering() -> None:
    history = build_history(
        dep("nginx:1"),
        [
            rs("web-a", "nginx:1", "1"),
            rs("other-b", "nginx:1", "2", owner="someone-else"),
            rs("web-c", "nginx:1", "3", controller=False),
        ],
    )
    assert [r.replica_set for r in history.revisions] == ["web-a"]


@pytest.mark.parametrize(
    ("annotation", "warning"),
    [
        ("abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
        ("", 'strconv.ParseInt: parsing "": invalid syntax'),
        (" 1", 'strconv.ParseInt: parsing " 1": invalid syntax'),
        ("1.0", 'strconv.ParseInt: parsing "1.0": invalid syntax'),
        (
            "99999999999999999999",
            'strconv.ParseInt: parsing "99999999999999999999": value out of range',
        ),
        (
            "-99999999999999999999",
            'strconv.ParseInt: parsing "-99999999999999999999": value out of range',
        ),
    ],
)
def test_unparsable_revisions_are_skipped_with_kubectls_warning(
    annotation: str, warning: str
) -> None:
    history = build_history(
        dep("nginx:2"),
        [
            rs("web-a", "nginx:1", annotation, created=t(1)),
            rs("web-b", "nginx:2", "2", created=t(2)),
        ],
    )
    assert [r.number for r in history.revisions] == [2]
    assert history.warnings == (
        f"unable to get revision from replicaset web-a for deployment web in namespace shop: {warning}",
    )


@pytest.mark.parametrize(
    ("annotation", "number"),
    [(None, 0), ("+5", 5), ("007", 7), ("-3", -3), ("9223372036854775807", 2**63 - 1)],
)
def test_revision_parsing(annotation: str | None, number: int) -> None:
    history = build_history(dep("nginx:1"), [rs("web-a", "nginx:1", annotation)])
    assert [r.number for r in history.revisions] == [number]
    assert history.warnings == ()


def test_long_revision_numbers_widen_the_table() -> None:
    history = build_history(
        dep("nginx:2"),
        [
            rs("web-a", "nginx:1", "123456789012", created=t(1)),
            rs("web-b", "nginx:2", "123456789013", created=t(2), cause="now"),
        ],
    )
    assert history.raw_text == (
        "deployment.apps/web \n"
        "REVISION      CHANGE-CAUSE\n"
        "123456789012  <none>\n"
        "123456789013  now\n"
        "\n"
    )


def test_duplicate_revisions_the_later_replica_set_wins() -> None:
    """kubectl iterates old ReplicaSets by creation time and the live one last, filling a map:
    the last ReplicaSet with a number keeps it."""
    history = build_history(
        dep("nginx:3"),
        [
            rs("web-c", "nginx:3", "2", created=t(1), cause="live"),  # oldest but live: last
            rs("web-b", "nginx:2", "2", created=t(3), cause="younger"),
            rs("web-a", "nginx:1", "2", created=t(2), cause="older"),
        ],
    )
    assert [(r.number, r.replica_set, r.live) for r in history.revisions] == [(2, "web-c", True)]
    assert history.raw_text.endswith("2         live\n\n")


def test_old_replica_sets_order_by_creation_then_name() -> None:
    history = build_history(
        dep("nginx:9"),
        [
            rs("web-b", "nginx:2", "5", created=t(1)),
            rs("web-a", "nginx:1", "5", created=t(1)),
        ],
    )
    assert history.revisions[0].replica_set == "web-b"


@pytest.mark.parametrize(
    ("cause", "row"),
    [
        ("tab\there", "1         tab  here\n"),
        ("two\nlines", "1         two\nlines\n"),
        ("esc \x1b[1m", "1         esc \x1b[1m\n"),  # the list view is not escaped
    ],
)
def test_change_causes_go_through_the_tabwriter_unescaped(cause: str, row: str) -> None:
    history = build_history(dep("nginx:1"), [rs("web-a", "nginx:1", "1", cause=cause)])
    assert history.raw_text == f"deployment.apps/web \nREVISION  CHANGE-CAUSE\n{row}\n"


def test_change_cause_inside_the_template_is_listed_when_the_rs_has_none() -> None:
    obj = rs("web-a", "nginx:1", "1")
    obj["spec"]["template"]["metadata"]["annotations"] = {CAUSE: "from the template"}
    history = build_history(dep("nginx:1"), [obj])
    assert history.revisions[0].change_cause == "from the template"
    assert history.raw_text.endswith("1         from the template\n\n")


def test_empty_change_cause_is_none() -> None:
    history = build_history(dep("nginx:1"), [rs("web-a", "nginx:1", "1", cause="")])
    assert history.revisions[0].change_cause is None
    assert "Annotations" not in history.text_for(1)


# --------------------------------------------------------------------------------------------
# revision view
# --------------------------------------------------------------------------------------------


def test_text_for_injects_the_replica_sets_change_cause() -> None:
    assert v1().text_for(2) == (
        "deployment.apps/web with revision #2\n"
        "Pod Template:\n"
        "  Labels:\tapp=web\n"
        "\tpod-template-hash=h2\n"
        "  Annotations:\tkubernetes.io/change-cause: update to 1.16\n"
        "  Containers:\n"
        "   web:\n"
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


def test_text_for_without_change_cause_has_no_annotations() -> None:
    text = v1().text_for(1)
    assert text.startswith("deployment.apps/web with revision #1\nPod Template:\n")
    assert "Annotations" not in text
    assert text.endswith("  Tolerations:\t<none>\n\n")


def test_text_for_unknown_negative_and_zero() -> None:
    history = v1()
    with pytest.raises(KeyError, match="unable to find the specified revision"):
        history.text_for(7)
    with pytest.raises(KeyError, match="positive integer"):
        history.text_for(-1)
    assert history.text_for(0) == history.raw_text


def test_template_is_the_replica_sets_own() -> None:
    history = v1()
    revision = history.revision(2)
    assert revision is not None
    assert revision.template["metadata"]["labels"]["pod-template-hash"] == "h2"
    assert "annotations" not in revision.template["metadata"]  # nothing injected into it


# --------------------------------------------------------------------------------------------
# parsed revisions
# --------------------------------------------------------------------------------------------


def test_revision_fields() -> None:
    history = v1()
    assert history.namespace == "shop"
    assert history.deployment == "web"
    assert history.revision_history_limit == 10
    assert history.current_revision == 3
    assert history.revision(9) is None
    live = history.revision(3)
    assert live is not None
    assert (live.replica_set, live.images, live.created) == ("web-h3", ("nginx:1.17",), t(3))
    assert (live.replicas, live.ready_replicas, live.live) == (3, 3, True)
    old = history.revision(1)
    assert old is not None
    assert (old.replicas, old.ready_replicas, old.live) == (0, 0, False)


def test_replicas_default_to_one_like_the_api_server() -> None:
    history = build_history(dep("nginx:1"), [rs("web-a", "nginx:1", "1", replicas=None)])
    assert history.revisions[0].replicas == 1


def test_images_exclude_init_containers() -> None:
    obj = rs("web-a", "nginx:1", "1")
    obj["spec"]["template"]["spec"]["initContainers"] = [{"name": "i", "image": "init:1"}]
    obj["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "envoy:1"})
    history = build_history(dep("nginx:1"), [obj])
    assert history.revisions[0].images == ("nginx:1", "envoy:1")


@pytest.mark.parametrize(
    ("annotation", "numbers"),
    [(None, ()), ("", ()), ("2", (2,)), ("2,4", (2, 4)), ("3, 5", (3, 5)), ("x,5,", (5,))],
)
def test_revision_history_parsing(annotation: str | None, numbers: tuple[int, ...]) -> None:
    history = build_history(dep("nginx:1"), [rs("web-a", "nginx:1", "6", history=annotation)])
    assert history.revisions[0].previous_numbers == numbers


@pytest.mark.parametrize(
    ("cause", "created", "label"),
    [
        ("1.2.0: new pages", t(1), "1.2.0: new pages"),
        (None, "2026-03-04T05:06:07Z", "nginx:1 · 2026-03-04"),
        (None, "", "nginx:1"),
    ],
)
def test_label(cause: str | None, created: str, label: str) -> None:
    history = build_history(
        dep("nginx:1"), [rs("web-a", "nginx:1", "1", cause=cause, created=created)]
    )
    assert history.revisions[0].label == label


def test_label_of_several_containers_without_change_cause() -> None:
    obj = rs("web-a", "nginx:1", "1", created="2026-02-01T00:00:00Z")
    obj["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "envoy:1"})
    history = build_history(dep("nginx:1"), [obj])
    assert history.revisions[0].label == "nginx:1, envoy:1 · 2026-02-01"


# --------------------------------------------------------------------------------------------
# cleanup and renumbering explained
# --------------------------------------------------------------------------------------------


def test_nothing_to_explain() -> None:
    history = v1()
    assert not history.cleaned_up
    assert history.vanished == ()
    assert history.explanation is None


def test_cleanup_by_revision_history_limit() -> None:
    history = build_history(
        dep("nginx:5", limit=1),
        [rs("web-d", "nginx:4", "4", created=t(4)), rs("web-e", "nginx:5", "5", created=t(5))],
    )
    assert history.cleaned_up
    assert history.vanished == (1, 2, 3)
    assert history.explanation == (
        "Revisions 1-3 were removed: revisionHistoryLimit is 1, so Kubernetes keeps the 1 most "
        "recent older revision besides the current one."
    )


def test_cleanup_with_limit_zero() -> None:
    history = build_history(dep("nginx:3", limit=0), [rs("web-c", "nginx:3", "3", created=t(3))])
    assert history.vanished == (1, 2)
    assert history.explanation == (
        "Revisions 1 and 2 were removed: revisionHistoryLimit is 0, so Kubernetes keeps no "
        "older revisions besides the current one."
    )


def test_vanished_without_limit() -> None:
    history = build_history(dep("nginx:3", limit=None), [rs("web-c", "nginx:3", "2", created=t(3))])
    assert history.revision_history_limit is None
    assert history.explanation == (
        "Revision 1 is no longer available: their ReplicaSets were deleted."
    )


def test_rollback_renumbering_is_not_cleanup() -> None:
    """V2: undo to revision 2 makes it revision 4; 2 is not gone, it moved."""
    history = build_history(
        dep("nginx:1.16"),
        [
            rs("web-h1", "nginx:1.14", "1", created=t(1)),
            rs("web-h2", "nginx:1.16", "4", created=t(2), history="2", replicas=3),
            rs("web-h3", "nginx:1.17", "3", created=t(3)),
        ],
    )
    assert [r.number for r in history.revisions] == [1, 3, 4]
    assert history.current_revision == 4
    assert not history.cleaned_up
    assert history.explanation == (
        "Rolling back re-uses an earlier revision under a new number (revision 4 was 2)."
    )


def test_cleanup_and_rollback_together() -> None:
    history = build_history(
        dep("nginx:4", limit=2),
        [
            rs("web-c", "nginx:3", "5", created=t(3)),
            rs("web-d", "nginx:4", "6", created=t(4), history="2,4"),
        ],
    )
    assert history.vanished == (1, 3)
    explanation = history.explanation or ""
    assert explanation.startswith("Revisions 1 and 3 were removed: revisionHistoryLimit is 2")
    assert explanation.endswith("(revision 6 was 2 and 4).")
