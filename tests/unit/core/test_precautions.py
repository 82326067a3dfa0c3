"""Precautions before a rollback: references, config drift, env, migrations, GitOps owners."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from kiops_desktop.core.findings import Finding, ordered
from kiops_desktop.core.precautions import (
    Reference,
    last_change,
    parse_time,
    rollback_precautions,
    template_references,
)

NS = "shop"
NOW = datetime(2026, 7, 30, 12, 0, tzinfo=UTC)
T_TARGET = "2026-07-20T10:00:00Z"  # the target RS (revision 2) was created
T_NEXT = "2026-07-25T10:00:00Z"  # the next RS (revision 3, current) was created


def container(image: str = "registry/api:1.1", name: str = "api", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, "resources": {}, **fields}


def pod_template(
    *containers: dict[str, Any], annotations: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": {"app": "api"}}
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": {"containers": list(containers or [container()]), **spec}}


def rs(
    name: str,
    revision: int,
    created: str,
    template: dict[str, Any],
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": created,
            "annotations": {
                "deployment.kubernetes.io/revision": str(revision),
                **(annotations or {}),
            },
        },
        "spec": {"template": template},
    }


def deployment(
    template: dict[str, Any],
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "api",
            "namespace": NS,
            "labels": labels or {},
            "annotations": {"deployment.kubernetes.io/revision": "3", **(annotations or {})},
        },
        "spec": {"template": template},
    }


def config_map(
    name: str,
    created: str = "2026-07-01T00:00:00Z",
    managed: tuple[str, ...] = (),
    data: dict[str, str] | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": created,
            "managedFields": [
                {"manager": "kubectl", "operation": "Update", "time": t} for t in managed
            ],
        }
    }
    if data is not None:
        obj["data"] = data
    return obj


def run(
    target_template: dict[str, Any],
    *,
    current_template: dict[str, Any] | None = None,
    config_maps: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
    jobs: list[dict[str, Any]] | None = None,
    dep_labels: dict[str, str] | None = None,
    dep_annotations: dict[str, str] | None = None,
    extra_rses: list[dict[str, Any]] | None = None,
    target_annotations: dict[str, str] | None = None,
    now: datetime | None = NOW,
) -> tuple[Finding, ...]:
    if current_template is None:
        # By default the current release differs from the target only by its image.
        current = copy.deepcopy(target_template)
        current["spec"]["containers"][0]["image"] = "registry/api:1.2"
    else:
        current = current_template
    target = rs("api-2", 2, T_TARGET, target_template, target_annotations)
    current_rs = rs("api-3", 3, T_NEXT, current)
    owned = [target, current_rs, *(extra_rses or [])]
    return rollback_precautions(
        deployment(current, dep_labels, dep_annotations),
        current_rs,
        target,
        owned,
        config_maps=config_maps if config_maps is not None else {},
        secrets=secrets if secrets is not None else {},
        jobs=jobs or [],
        now=now,
    )


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [finding.code for finding in findings]


def only(findings: tuple[Finding, ...], code: str) -> Finding:
    matching = [finding for finding in findings if finding.code == code]
    assert len(matching) == 1, codes(findings)
    return matching[0]


# ----------------------------------------------------------------------------- references


def test_template_references_cover_every_kind() -> None:
    template = pod_template(
        container(
            env=[
                {
                    "name": "DB_HOST",
                    "valueFrom": {"configMapKeyRef": {"name": "db", "key": "host"}},
                },
                {
                    "name": "DB_PASS",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "pass", "optional": True}},
                },
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            envFrom=[{"configMapRef": {"name": "env"}}, {"secretRef": {"name": "env-secret"}}],
        ),
        initContainers=[container(name="init", envFrom=[{"secretRef": {"name": "init-secret"}}])],
        volumes=[
            {
                "name": "conf",
                "configMap": {"name": "conf", "items": [{"key": "a.yaml", "path": "a.yaml"}]},
            },
            {"name": "tls", "secret": {"secretName": "tls", "optional": True}},
            {
                "name": "bundle",
                "projected": {
                    "sources": [
                        {"configMap": {"name": "p-cm"}},
                        {"secret": {"name": "p-s"}},
                        {"serviceAccountToken": {"path": "t"}},
                    ]
                },
            },
            {"name": "tmp", "emptyDir": {}},
        ],
        imagePullSecrets=[{"name": "regcred"}],
    )
    assert template_references(template) == [
        Reference("Secret", "init-secret", None, False, "envFrom of init container init", "env"),
        Reference("ConfigMap", "db", "host", False, "env DB_HOST of container api", "env"),
        Reference("Secret", "db", "pass", True, "env DB_PASS of container api", "env"),
        Reference("ConfigMap", "env", None, False, "envFrom of container api", "env"),
        Reference("Secret", "env-secret", None, False, "envFrom of container api", "env"),
        Reference("ConfigMap", "conf", None, False, "volume conf", "volume"),
        Reference("ConfigMap", "conf", "a.yaml", False, "volume conf", "volume"),
        Reference("Secret", "tls", None, True, "volume tls", "volume"),
        Reference("ConfigMap", "p-cm", None, False, "projected volume bundle", "volume"),
        Reference("Secret", "p-s", None, False, "projected volume bundle", "volume"),
        Reference("Secret", "regcred", None, False, "imagePullSecrets", "pull"),
    ]


def test_missing_configmap_via_env_fails_container_config() -> None:
    target = pod_template(
        container(
            env=[
                {
                    "name": "DB_HOST",
                    "valueFrom": {"configMapKeyRef": {"name": "db-v1", "key": "host"}},
                }
            ]
        )
    )
    finding = only(run(target), "missing-configmap")
    assert finding == Finding(
        "danger",
        "missing-configmap",
        'ConfigMap "db-v1" is missing',
        'Revision 2 uses ConfigMap "db-v1" (env DB_HOST of container api), which does not exist in '
        'namespace "shop": its pods would fail to start (CreateContainerConfigError).',
        'Recreate ConfigMap "db-v1" in namespace "shop" (restore it from Git) before rolling back.',
    )


@pytest.mark.parametrize(
    ("template", "code", "name", "effect"),
    [
        pytest.param(
            pod_template(volumes=[{"name": "conf", "configMap": {"name": "conf-v1"}}]),
            "missing-configmap",
            "conf-v1",
            "FailedMount",
            id="configmap volume",
        ),
        pytest.param(
            pod_template(volumes=[{"name": "tls", "secret": {"secretName": "tls-v1"}}]),
            "missing-secret",
            "tls-v1",
            "FailedMount",
            id="secret volume",
        ),
        pytest.param(
            pod_template(
                volumes=[{"name": "b", "projected": {"sources": [{"secret": {"name": "proj"}}]}}]
            ),
            "missing-secret",
            "proj",
            "FailedMount",
            id="projected secret",
        ),
        pytest.param(
            pod_template(
                volumes=[{"name": "b", "projected": {"sources": [{"configMap": {"name": "proj"}}]}}]
            ),
            "missing-configmap",
            "proj",
            "FailedMount",
            id="projected configmap",
        ),
        pytest.param(
            pod_template(imagePullSecrets=[{"name": "regcred-old"}]),
            "missing-secret",
            "regcred-old",
            "ImagePullBackOff",
            id="image pull secret",
        ),
        pytest.param(
            pod_template(container(envFrom=[{"secretRef": {"name": "env-v1"}}])),
            "missing-secret",
            "env-v1",
            "CreateContainerConfigError",
            id="envFrom secret",
        ),
        pytest.param(
            pod_template(
                container(
                    env=[{"name": "P", "valueFrom": {"secretKeyRef": {"name": "both", "key": "p"}}}]
                ),
                volumes=[{"name": "v", "secret": {"secretName": "both"}}],
            ),
            "missing-secret",
            "both",
            "CreateContainerConfigError",
            id="env wins over volume",
        ),
    ],
)
def test_missing_references(template: dict[str, Any], code: str, name: str, effect: str) -> None:
    finding = only(run(template), code)
    assert finding.severity == "danger"
    assert f'"{name}"' in finding.title
    assert effect in finding.detail
    assert finding.fix is not None
    assert "restore it from Git" in finding.fix


def test_optional_references_are_ignored() -> None:
    template = pod_template(
        container(
            env=[
                {
                    "name": "X",
                    "valueFrom": {"configMapKeyRef": {"name": "opt", "key": "x", "optional": True}},
                }
            ],
            envFrom=[{"secretRef": {"name": "opt-s", "optional": True}}],
        ),
        volumes=[
            {"name": "v", "configMap": {"name": "opt-v", "optional": True}},
            {
                "name": "p",
                "projected": {"sources": [{"secret": {"name": "opt-p", "optional": True}}]},
            },
        ],
    )
    assert codes(run(template)) == []


def test_partly_optional_reference_names_only_the_required_use() -> None:
    template = pod_template(
        container(
            env=[
                {
                    "name": "X",
                    "valueFrom": {"configMapKeyRef": {"name": "c", "key": "x", "optional": True}},
                }
            ]
        ),
        volumes=[{"name": "v", "configMap": {"name": "c"}}],
    )
    finding = only(run(template), "missing-configmap")
    assert "(volume v)" in finding.detail
    assert "env X" not in finding.detail


def test_existing_references_are_fine() -> None:
    template = pod_template(
        container(
            env=[{"name": "H", "valueFrom": {"configMapKeyRef": {"name": "db", "key": "host"}}}]
        ),
        imagePullSecrets=[{"name": "regcred"}],
    )
    findings = run(
        template,
        config_maps={"db": config_map("db", data={"host": "db.local"})},
        secrets={"regcred": config_map("regcred")},
    )
    assert codes(findings) == []


@pytest.mark.parametrize(
    ("template", "objects", "expected"),
    [
        pytest.param(
            pod_template(
                container(
                    env=[
                        {
                            "name": "H",
                            "valueFrom": {"configMapKeyRef": {"name": "db", "key": "host"}},
                        }
                    ]
                )
            ),
            {"db": config_map("db", data={"port": "5432"})},
            ["missing-configmap-key"],
            id="key gone",
        ),
        pytest.param(
            pod_template(
                container(
                    env=[
                        {
                            "name": "H",
                            "valueFrom": {"configMapKeyRef": {"name": "db", "key": "host"}},
                        }
                    ]
                )
            ),
            {"db": config_map("db", data=None)},
            [],
            id="metadata-only object: keys unknown",
        ),
        pytest.param(
            pod_template(
                container(
                    env=[
                        {
                            "name": "H",
                            "valueFrom": {
                                "configMapKeyRef": {"name": "db", "key": "host", "optional": True}
                            },
                        }
                    ]
                )
            ),
            {"db": config_map("db", data={})},
            [],
            id="optional key",
        ),
        pytest.param(
            pod_template(
                volumes=[
                    {"name": "v", "configMap": {"name": "db", "items": [{"key": "a", "path": "a"}]}}
                ]
            ),
            {"db": {**config_map("db"), "binaryData": {"a": "AAAA"}}},
            [],
            id="binaryData key counts",
        ),
        pytest.param(
            pod_template(
                volumes=[
                    {"name": "v", "configMap": {"name": "db", "items": [{"key": "a", "path": "a"}]}}
                ]
            ),
            {"db": config_map("db", data={"b": "1"})},
            ["missing-configmap-key"],
            id="volume item key gone",
        ),
    ],
)
def test_missing_keys(
    template: dict[str, Any], objects: dict[str, Any], expected: list[str]
) -> None:
    assert codes(run(template, config_maps=objects)) == expected


def test_missing_secret_key_never_shows_values() -> None:
    template = pod_template(
        container(
            env=[{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
        )
    )
    secret = {
        "metadata": {"name": "db", "creationTimestamp": "2026-07-01T00:00:00Z"},
        "data": {"pass": "aHVudGVyMg=="},
    }
    finding = only(run(template, secrets={"db": secret}), "missing-secret-key")
    assert finding.title == 'Key "password" missing from Secret "db"'
    assert "CreateContainerConfigError" in finding.detail
    assert "aHVudGVyMg==" not in repr(finding)


def test_unreadable_objects_are_reported_as_unchecked() -> None:
    template = pod_template(
        container(
            env=[{"name": "H", "valueFrom": {"configMapKeyRef": {"name": "db", "key": "host"}}}]
        ),
        volumes=[
            {"name": "tls", "secret": {"secretName": "tls"}},
            {"name": "c", "configMap": {"name": "conf"}},
        ],
    )
    findings = rollback_precautions(
        deployment(template),
        None,
        rs("api-2", 2, T_TARGET, template),
        [],
        config_maps=None,
        secrets=None,
        jobs=[],
        now=None,
    )
    assert codes(findings) == ["configmaps-unchecked", "secrets-unchecked"]
    cm = findings[0]
    assert cm.severity == "info"
    assert "db, conf" in cm.detail
    assert cm.fix == "kubectl get configmap db conf -n shop"
    assert findings[1].fix == "kubectl get secret tls -n shop"


def test_no_unchecked_note_without_references() -> None:
    findings = rollback_precautions(
        deployment(pod_template()),
        None,
        rs("api-2", 2, T_TARGET, pod_template()),
        [],
        config_maps=None,
        secrets=None,
        jobs=[],
        now=None,
    )
    assert findings == ()


# ----------------------------------------------------------------------------- config drift


CONF_TARGET = pod_template(volumes=[{"name": "c", "configMap": {"name": "conf"}}])


@pytest.mark.parametrize(
    ("cm", "changed"),
    [
        pytest.param(
            config_map("conf", managed=("2026-07-26T08:00:00Z",)),
            True,
            id="edited after the window",
        ),
        pytest.param(
            config_map("conf", managed=("2026-07-22T08:00:00Z",)), False, id="edited while live"
        ),
        pytest.param(
            config_map("conf", managed=("2026-07-10T08:00:00Z",)), False, id="edited before"
        ),
        pytest.param(
            config_map("conf", created="2026-07-28T00:00:00Z"), True, id="recreated after"
        ),
        pytest.param(
            config_map("conf", managed=("2026-07-26T08:00:00Z", "2026-07-05T00:00:00Z")),
            True,
            id="max of times",
        ),
        pytest.param(config_map("conf", managed=(T_NEXT,)), False, id="at the boundary"),
        pytest.param({"metadata": {"name": "conf"}}, False, id="no timestamps"),
    ],
)
def test_config_changed_since(cm: dict[str, Any], changed: bool) -> None:
    findings = run(CONF_TARGET, config_maps={"conf": cm})
    assert ("config-changed-since" in codes(findings)) is changed


def test_config_changed_since_text() -> None:
    cm = config_map("conf", managed=("2026-07-27T12:00:00Z",))
    finding = only(run(CONF_TARGET, config_maps={"conf": cm}), "config-changed-since")
    assert finding == Finding(
        "warning",
        "config-changed-since",
        'ConfigMap "conf" changed since revision 2',
        'ConfigMap "conf" was last modified at 2026-07-27T12:00:00Z (3d ago), after revision 2 '
        "stopped being live at 2026-07-25T10:00:00Z: its pods will read today's values, not the "
        "values they ran with.",
        'Compare ConfigMap "conf" with what revision 2 ran with (e.g. in Git) and restore it if the '
        "old code needs the old values.",
    )
    without_now = only(run(CONF_TARGET, config_maps={"conf": cm}, now=None), "config-changed-since")
    assert "(3d ago)" not in without_now.detail


def test_window_ends_at_the_next_newer_rs_not_the_newest() -> None:
    # Revision 4 was created later still; the target stopped being live when revision 3 came.
    later = rs("api-4", 4, "2026-07-29T00:00:00Z", pod_template(container("registry/api:1.3")))
    cm = config_map("conf", managed=("2026-07-26T00:00:00Z",))
    assert "config-changed-since" in codes(
        run(CONF_TARGET, config_maps={"conf": cm}, extra_rses=[later])
    )


def test_no_drift_check_when_the_target_is_the_newest() -> None:
    cm = config_map("conf", managed=("2026-07-29T00:00:00Z",))
    target = rs("api-5", 5, "2026-07-28T00:00:00Z", CONF_TARGET)
    older = rs("api-3", 3, T_NEXT, pod_template())
    findings = rollback_precautions(
        deployment(pod_template()),
        older,
        target,
        [older, target],
        config_maps={"conf": cm},
        secrets={},
        jobs=[],
        now=NOW,
    )
    assert "config-changed-since" not in codes(findings)


def test_secret_drift_and_optional_existing_reference() -> None:
    template = pod_template(
        volumes=[{"name": "t", "secret": {"secretName": "tls", "optional": True}}]
    )
    secret = {
        "metadata": {"name": "tls", "creationTimestamp": "2026-07-26T00:00:00Z"},
        "data": {"k": "c2VjcmV0"},
    }
    finding = only(run(template, secrets={"tls": secret}), "config-changed-since")
    assert finding.title == 'Secret "tls" changed since revision 2'
    assert "c2VjcmV0" not in repr(finding)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-30T10:00:00Z", datetime(2026, 7, 30, 10, 0, tzinfo=UTC)),
        ("2026-07-30T12:00:00+02:00", datetime(2026, 7, 30, 10, 0, tzinfo=UTC)),
        ("2026-07-30T10:00:00", datetime(2026, 7, 30, 10, 0, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_last_change_ignores_unreadable_times() -> None:
    cm = config_map("c", created="2026-07-01T00:00:00Z", managed=("bogus", "2026-07-02T00:00:00Z"))
    assert last_change(cm) == datetime(2026, 7, 2, tzinfo=UTC)
    assert last_change({"metadata": {}}) is None


# ----------------------------------------------------------------------------- env


def test_env_removed_and_added_per_container() -> None:
    current = pod_template(
        container(
            "registry/api:1.2",
            env=[{"name": "FEATURE_X", "value": "on"}, {"name": "KEEP", "value": "1"}],
        ),
        container("registry/worker:1.2", name="worker", env=[{"name": "QUEUE", "value": "q"}]),
        initContainers=[
            container("registry/api:1.2", name="init", env=[{"name": "INIT_A", "value": "1"}])
        ],
    )
    target = pod_template(
        container(
            "registry/api:1.1",
            env=[{"name": "KEEP", "value": "1"}, {"name": "LEGACY", "value": "1"}],
        ),
        container("registry/worker:1.1", name="worker", env=[{"name": "QUEUE", "value": "q2"}]),
        initContainers=[container("registry/api:1.1", name="init")],
    )
    findings = run(target, current_template=current)
    assert [(f.severity, f.code, f.title) for f in findings] == [
        ("warning", "env-removed", "container api: env FEATURE_X would be removed"),
        ("warning", "env-removed", "init container init: env INIT_A would be removed"),
        ("info", "env-added", "container api: env LEGACY would be added"),
    ]
    assert findings[0].detail == (
        "Container api of revision 3 (current) sets FEATURE_X; revision 2 does not, so code that "
        "expects them may fail or fall back to defaults."
    )


def test_env_of_containers_that_come_or_go_is_left_to_the_diff() -> None:
    current = pod_template(
        container(env=[{"name": "A", "value": "1"}]),
        container(name="side", env=[{"name": "B", "value": "1"}]),
    )
    target = pod_template(container(env=[{"name": "A", "value": "1"}]))
    assert codes(run(target, current_template=current)) == []


# ----------------------------------------------------------------------------- migrations


def init(image: str, *command: str, name: str = "migrate") -> dict[str, Any]:
    return container(image, name=name, command=list(command))


@pytest.mark.parametrize(
    ("image", "command", "tool"),
    [
        ("migrate/migrate:v4.17", (), "migrate"),
        ("flyway/flyway:10", (), "flyway"),
        ("liquibase/liquibase:4.25", (), "liquibase"),
        ("registry/api:1.2", ("alembic", "upgrade", "head"), "alembic"),
        ("registry/api:1.2", ("bundle", "exec", "rake", "db:migrate"), "db:migrate"),
        ("registry/api:1.2", ("python", "manage.py", "migrate"), "manage.py migrate"),
        ("sqitch/sqitch", ("deploy",), "sqitch"),
        ("registry/api:1.2", ("goose", "up"), "goose"),
        ("node:20", ("npx", "knex", "migrate:latest"), "knex migrate"),
        ("registry/api:1.2", ("./app", "MIGRATE"), "MIGRATE"),
        ("registry/api-migrate:1.2", (), "migrate"),
    ],
)
def test_migration_init_container_in_current_template(
    image: str, command: tuple[str, ...], tool: str
) -> None:
    current = pod_template(container("registry/api:1.2"), initContainers=[init(image, *command)])
    finding = only(run(pod_template(), current_template=current), "migration-since")
    assert finding.severity == "danger"
    assert finding.title == "Database migration since revision 2"
    assert f"runs {tool}," in finding.detail
    assert finding.fix == (
        "Check the migration is backward compatible with revision 2, or run its down-migration first."
    )


@pytest.mark.parametrize(
    ("image", "command"),
    [
        ("registry/api-migrations:1.2", ()),
        ("registry/api:1.2", ("immigrate",)),
        ("registry/api:1.2", ("db_migrate",)),
        ("registry/api:1.2", ("wait-for", "db:5432")),
        ("registry/migrator:1", ()),
    ],
)
def test_no_migration_without_a_whole_word_match(image: str, command: tuple[str, ...]) -> None:
    current = pod_template(container("registry/api:1.2"), initContainers=[init(image, *command)])
    assert "migration-since" not in codes(run(pod_template(), current_template=current))


def test_identical_migration_init_container_in_the_target_is_not_new() -> None:
    same = init("flyway/flyway:10", "flyway", "migrate")
    current = pod_template(container("registry/api:1.2"), initContainers=[same])
    target = pod_template(container("registry/api:1.1"), initContainers=[same])
    assert "migration-since" not in codes(run(target, current_template=current))
    newer = pod_template(
        container("registry/api:1.2"),
        initContainers=[init("flyway/flyway:11", "flyway", "migrate")],
    )
    assert "migration-since" in codes(run(target, current_template=newer))


def test_migration_in_an_intermediate_revision() -> None:
    # Current has no migration, but revision 3 (between the target and now) had one.
    current = pod_template(container("registry/api:1.4"))
    middle = rs(
        "api-3b",
        3,
        "2026-07-24T00:00:00Z",
        pod_template(initContainers=[init("registry/api:1.3", "alembic", "upgrade", "head")]),
    )
    older = rs(
        "api-1",
        1,
        "2026-07-10T00:00:00Z",
        pod_template(initContainers=[init("registry/api:1.0", "alembic", "upgrade", "head")]),
    )
    findings = run(pod_template(), current_template=current, extra_rses=[middle, older])
    finding = only(findings, "migration-since")
    assert 'Init container "migrate" of revision 3 runs alembic' in finding.detail


def test_reused_rs_with_a_higher_revision_counts_as_later() -> None:
    # Created before the target but re-numbered above it by an earlier undo: it was live later.
    reused = rs(
        "api-0",
        4,
        "2026-07-01T00:00:00Z",
        pod_template(initContainers=[init("liquibase/liquibase:4", name="schema")]),
    )
    findings = run(
        pod_template(),
        current_template=pod_template(container("registry/api:1.2")),
        extra_rses=[reused],
    )
    assert (
        'Init container "schema" of revision 4 runs liquibase'
        in only(findings, "migration-since").detail
    )


def job(
    name: str,
    created: str,
    *,
    image: str = "registry/api:1.2",
    command: tuple[str, ...] = (),
    annotations: dict[str, str] | None = None,
    template_annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": created,
            "annotations": annotations or {},
        },
        "spec": {
            "template": pod_template(
                container(image, name="job", command=list(command)),
                annotations=template_annotations,
            )
        },
    }


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        pytest.param(
            [job("db-migrate-42", "2026-07-26T00:00:00Z", command=("alembic", "upgrade", "head"))],
            ["job/db-migrate-42"],
            id="after",
        ),
        pytest.param(
            [job("db-migrate-41", "2026-07-19T00:00:00Z", command=("alembic", "upgrade", "head"))],
            [],
            id="before the target",
        ),
        pytest.param(
            [job("report", "2026-07-26T00:00:00Z", command=("python", "report.py"))],
            [],
            id="not a migration",
        ),
        pytest.param(
            [job("schema", "2026-07-26T00:00:00Z", annotations={"kiops.io/migration": "0042"})],
            ["job/schema"],
            id="job annotation",
        ),
        pytest.param(
            [
                job(
                    "schema",
                    "2026-07-26T00:00:00Z",
                    template_annotations={"kiops.io/migration": "0042"},
                )
            ],
            ["job/schema"],
            id="job template annotation",
        ),
        pytest.param(
            [job("x", "", command=("flyway", "migrate"))], [], id="job without creation time"
        ),
    ],
)
def test_migration_jobs(jobs: list[dict[str, Any]], expected: list[str]) -> None:
    findings = [
        f
        for f in run(pod_template(), current_template=pod_template(), jobs=jobs)
        if f.code == "migration-since"
    ]
    assert len(findings) == len(expected)
    for finding, subject in zip(findings, expected, strict=True):
        assert f'Job "{subject.split("/", 1)[1]}"' in finding.detail


def test_migration_job_text() -> None:
    jobs = [job("db-migrate-42", "2026-07-26T00:00:00Z", image="flyway/flyway:10")]
    finding = only(
        run(pod_template(), current_template=pod_template(), jobs=jobs), "migration-since"
    )
    assert finding.detail == (
        'Job "db-migrate-42" (created 2026-07-26T00:00:00Z (4d ago)) runs flyway, after revision 2: '
        "if it changed the schema destructively, revision 2 may not work against the migrated database."
    )


def test_every_migration_job_counts_when_the_target_creation_is_unknown() -> None:
    target = rs("api-2", 2, "", pod_template())
    findings = rollback_precautions(
        deployment(pod_template()),
        None,
        target,
        [target],
        config_maps={},
        secrets={},
        jobs=[job("old", "2020-01-01T00:00:00Z", command=("goose", "up"))],
        now=None,
    )
    assert codes(findings) == ["migration-since"]


@pytest.mark.parametrize(
    ("dep_annotation", "target_annotation", "flagged"),
    [
        ("0042_drop_col", None, True),
        ("0042_drop_col", "0042_drop_col", False),
        ("0043", "0042", True),
    ],
)
def test_migration_annotation_on_the_deployment(
    dep_annotation: str, target_annotation: str | None, flagged: bool
) -> None:
    findings = run(
        pod_template(),
        current_template=pod_template(),
        dep_annotations={"kiops.io/migration": dep_annotation},
        target_annotations={"kiops.io/migration": target_annotation} if target_annotation else None,
    )
    assert ("migration-since" in codes(findings)) is flagged


def test_migration_annotation_on_the_current_template() -> None:
    current = pod_template(
        container("registry/api:1.2"), annotations={"kiops.io/migration": "0042_drop_col"}
    )
    finding = only(run(pod_template(), current_template=current), "migration-since")
    assert 'the current template is annotated kiops.io/migration="0042_drop_col"' in finding.detail
    same = pod_template(annotations={"kiops.io/migration": "0042_drop_col"})
    assert "migration-since" not in codes(run(same, current_template={**current}))


# ----------------------------------------------------------------------------- GitOps


@pytest.mark.parametrize(
    ("labels", "annotations", "title", "fix"),
    [
        pytest.param(
            {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": "shop-api"},
            {"meta.helm.sh/release-name": "shop-api", "meta.helm.sh/release-namespace": "shop"},
            "Managed by Helm",
            "helm rollback shop-api <revision> -n shop  (see helm history shop-api -n shop)",
            id="helm",
        ),
        pytest.param(
            {"app.kubernetes.io/managed-by": "helm", "app.kubernetes.io/instance": "rel"},
            {},
            "Managed by Helm",
            "helm rollback rel <revision> -n shop  (see helm history rel -n shop)",
            id="helm label only",
        ),
        pytest.param(
            {"app.kubernetes.io/instance": "shop-api"},
            {"argocd.argoproj.io/tracking-id": "shop-prod:apps/Deployment:shop/api"},
            "Managed by Argo CD",
            'Revert the commit in Git and let Argo CD sync application "shop-prod".',
            id="argo tracking id",
        ),
        pytest.param(
            {"app.kubernetes.io/instance": "shop-api", "app.kubernetes.io/managed-by": "Helm"},
            {"argocd.argoproj.io/sync-options": "Prune=false"},
            "Managed by Argo CD",
            'Revert the commit in Git and let Argo CD sync application "shop-api".',
            id="argo renders a helm chart",
        ),
        pytest.param(
            {
                "kustomize.toolkit.fluxcd.io/name": "apps",
                "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
            },
            {},
            "Managed by Flux",
            "Revert the commit in Git and let Flux reconcile Kustomization flux-system/apps.",
            id="flux kustomization",
        ),
        pytest.param(
            {
                "helm.toolkit.fluxcd.io/name": "api",
                "helm.toolkit.fluxcd.io/namespace": "shop",
                "app.kubernetes.io/managed-by": "Helm",
            },
            {"meta.helm.sh/release-name": "shop-api"},
            "Managed by Flux",
            "Revert the commit in Git and let Flux reconcile HelmRelease shop/api.",
            id="flux helm release wins over helm",
        ),
    ],
)
def test_gitops_managed(
    labels: dict[str, str], annotations: dict[str, str], title: str, fix: str
) -> None:
    finding = only(
        run(
            pod_template(),
            current_template=pod_template(),
            dep_labels=labels,
            dep_annotations=annotations,
        ),
        "gitops-managed",
    )
    assert finding.severity == "warning"
    assert finding.title == title
    assert finding.fix == fix
    assert 'Deployment "api" is managed by' in finding.detail


def test_instance_label_alone_is_not_gitops() -> None:
    findings = run(
        pod_template(),
        current_template=pod_template(),
        dep_labels={"app.kubernetes.io/instance": "api"},
    )
    assert codes(findings) == []


def test_kubectl_apply_note() -> None:
    findings = run(
        pod_template(),
        current_template=pod_template(),
        dep_annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    )
    finding = only(findings, "kubectl-apply-managed")
    assert finding.severity == "info"


# ----------------------------------------------------------------------------- order


def test_findings_are_ordered_by_severity_code_and_subject() -> None:
    current = pod_template(
        container("registry/api:1.2", env=[{"name": "GONE", "value": "1"}]),
        initContainers=[init("flyway/flyway:10")],
    )
    target = pod_template(
        container(envFrom=[{"secretRef": {"name": "zeta"}}, {"secretRef": {"name": "alpha"}}]),
        volumes=[{"name": "c", "configMap": {"name": "conf"}}],
    )
    findings = run(
        target,
        current_template=current,
        dep_labels={"app.kubernetes.io/managed-by": "Helm"},
        dep_annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    )
    assert [(f.severity, f.code) for f in findings] == [
        ("danger", "migration-since"),
        ("danger", "missing-configmap"),
        ("danger", "missing-secret"),
        ("danger", "missing-secret"),
        ("warning", "env-removed"),
        ("warning", "gitops-managed"),
        ("info", "kubectl-apply-managed"),
    ]
    assert [f.title for f in findings if f.code == "missing-secret"] == [
        'Secret "alpha" is missing',
        'Secret "zeta" is missing',
    ]


def test_ordered_helper_is_stable() -> None:
    a = Finding("info", "b", "t", "d1")
    b = Finding("danger", "z", "t", "d2")
    c = Finding("warning", "a", "t", "d3")
    d = Finding("warning", "a", "t", "d0")
    assert ordered([("x", a), ("y", b), ("n", c), ("m", d)]) == (b, d, c, a)
