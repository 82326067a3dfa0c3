"""What could go wrong if the Deployment is rolled back to a given revision.

``kubectl rollout undo`` only swaps the pod template; everything the old template depends on
(ConfigMaps, Secrets, the database schema, the GitOps tool that owns the manifest) is today's, not
the revision's. These checks compare the two and name what the operator should look at first.
They are heuristics over what the API returns - never a guess where data is missing: unknown
ConfigMaps/Secrets are reported as unchecked, not as fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from kiops_desktop.core.findings import Finding, ordered
from kiops_desktop.core.revisions import (
    LAST_APPLIED_ANNOTATION,
    annotations_of,
    metadata_of,
    revision_of,
    templates_equal,
)

Obj = Mapping[str, Any]

MIGRATION_ANNOTATION = "kiops.io/migration"

# Migration tools, as whole words (``migrate`` but not ``migrations``/``immigrate``); the longer
# spellings come first so the finding names the most specific one.
_MIGRATION_TOOL = re.compile(
    r"(?<![A-Za-z0-9_])"
    r"(manage\.py\s+migrate|knex\s+migrate|db:migrate|migrate|flyway|liquibase|alembic|sqitch|goose)"
    r"(?![A-Za-z0-9_])",
    re.IGNORECASE,
)

_FLUX_KEY = re.compile(r"^[^/]+\.toolkit\.fluxcd\.io/")

RefUse = Literal["env", "volume", "pull"]


# ----------------------------------------------------------------------------- small helpers


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _pod_spec(template: Any) -> Mapping[str, Any]:
    return _mapping(_mapping(template).get("spec"))


def _template_of(obj: Obj) -> Mapping[str, Any]:
    return _mapping(_mapping(obj.get("spec")).get("template"))


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as the API serves it; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(now: datetime | None, when: datetime) -> str:
    """`` (3d ago)``-style suffix in the spirit of kubectl's AGE column; empty without ``now``."""
    if now is None:
        return ""
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return ""
    if seconds < 120:
        text = f"{seconds}s"
    elif seconds < 120 * 60:
        text = f"{seconds // 60}m"
    elif seconds < 48 * 3600:
        text = f"{seconds // 3600}h"
    else:
        text = f"{seconds // 86400}d"
    return f" ({text} ago)"


def last_change(obj: Obj) -> datetime | None:
    """When an object was last written, as far as its metadata tells: the latest managedFields
    time (every write by every manager records one), or its creation."""
    meta = metadata_of(obj)
    times = [parse_time(meta.get("creationTimestamp"))]
    times += [
        parse_time(_mapping(entry).get("time")) for entry in _sequence(meta.get("managedFields"))
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _revision_label(rs: Obj) -> str:
    revision = revision_of(rs)
    return f"revision {revision}" if revision is not None else "the target revision"


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _same_object(a: Obj, b: Obj) -> bool:
    """The same RS: names are unique within a namespace (the UID may be absent in tests)."""
    name = metadata_of(a).get("name")
    return a is b or (bool(name) and name == metadata_of(b).get("name"))


# ----------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Reference:
    """One place a pod template uses a ConfigMap or a Secret."""

    kind: Literal["ConfigMap", "Secret"]
    name: str
    key: str | None  # a single key the reference needs, or None for the whole object
    optional: bool
    where: str  # e.g. "env DB_HOST of container app", "volume config", "imagePullSecrets"
    use: RefUse


def _item_keys(source: Mapping[str, Any]) -> list[str]:
    return [str(_mapping(item).get("key", "")) for item in _sequence(source.get("items"))]


def _volume_refs(
    kind: Literal["ConfigMap", "Secret"], name: str, source: Mapping[str, Any], where: str
) -> Iterator[Reference]:
    optional = bool(source.get("optional"))
    yield Reference(kind, name, None, optional, where, "volume")
    for key in _item_keys(source):
        yield Reference(kind, name, key, optional, where, "volume")


def template_references(template: Obj) -> list[Reference]:
    """Every ConfigMap/Secret reference of a pod template, in template order."""
    spec = _pod_spec(template)
    refs: list[Reference] = []
    for list_key, label in (("initContainers", "init container"), ("containers", "container")):
        for container in _sequence(spec.get(list_key)):
            container = _mapping(container)
            owner = f"{label} {container.get('name', '')}"
            for var in _sequence(container.get("env")):
                var = _mapping(var)
                source = _mapping(var.get("valueFrom"))
                where = f"env {var.get('name', '')} of {owner}"
                for ref_key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    if ref_key in source:
                        ref = _mapping(source[ref_key])
                        refs.append(
                            Reference(
                                "ConfigMap" if kind == "ConfigMap" else "Secret",
                                str(ref.get("name", "")),
                                str(ref.get("key", "")),
                                bool(ref.get("optional")),
                                where,
                                "env",
                            )
                        )
            for item in _sequence(container.get("envFrom")):
                item = _mapping(item)
                for ref_key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if ref_key in item:
                        ref = _mapping(item[ref_key])
                        refs.append(
                            Reference(
                                "ConfigMap" if kind == "ConfigMap" else "Secret",
                                str(ref.get("name", "")),
                                None,
                                bool(ref.get("optional")),
                                f"envFrom of {owner}",
                                "env",
                            )
                        )
    for volume in _sequence(spec.get("volumes")):
        volume = _mapping(volume)
        vname = volume.get("name", "")
        if "configMap" in volume:
            source = _mapping(volume["configMap"])
            refs += _volume_refs(
                "ConfigMap", str(source.get("name", "")), source, f"volume {vname}"
            )
        if "secret" in volume:
            source = _mapping(volume["secret"])
            refs += _volume_refs(
                "Secret", str(source.get("secretName", "")), source, f"volume {vname}"
            )
        for projected in _sequence(_mapping(volume.get("projected")).get("sources")):
            projected = _mapping(projected)
            where = f"projected volume {vname}"
            if "configMap" in projected:
                source = _mapping(projected["configMap"])
                refs += _volume_refs("ConfigMap", str(source.get("name", "")), source, where)
            if "secret" in projected:
                source = _mapping(projected["secret"])
                refs += _volume_refs("Secret", str(source.get("name", "")), source, where)
    for secret in _sequence(spec.get("imagePullSecrets")):
        name = str(_mapping(secret).get("name", ""))
        if name:
            refs.append(Reference("Secret", name, None, False, "imagePullSecrets", "pull"))
    return refs


def _data_keys(obj: Obj) -> set[str] | None:
    """The keys a ConfigMap/Secret holds (never its values); None when the object came without
    its data (a metadata-only read), so key checks would be guesses."""
    fields = ("data", "binaryData", "stringData")
    if not any(field in obj for field in fields):
        return None
    keys: set[str] = set()
    for field in fields:
        keys.update(_mapping(obj.get(field)))
    return keys


def _failure(uses: set[RefUse]) -> str:
    if "env" in uses:
        return "its pods would fail to start (CreateContainerConfigError)"
    if "volume" in uses:
        return "its pods would fail to start (stuck in ContainerCreating, FailedMount)"
    return "its pods could not pull images from a private registry (ImagePullBackOff)"


def _reference_findings(
    refs: Sequence[Reference],
    objects: Mapping[str, Mapping[str, Any]] | None,
    kind: Literal["ConfigMap", "Secret"],
    namespace: str,
    revision: str,
) -> list[tuple[str, Finding]]:
    mine = [ref for ref in refs if ref.kind == kind]
    if not mine:
        return []
    plural = "ConfigMaps" if kind == "ConfigMap" else "Secrets"
    noun = "configmap" if kind == "ConfigMap" else "secret"
    names = _unique([ref.name for ref in mine])
    if objects is None:
        return [
            (
                "",
                Finding(
                    "info",
                    f"{noun}s-unchecked",
                    f"{plural} not checked",
                    f'The {plural} of namespace "{namespace}" could not be read, so it is unknown '
                    f"whether {', '.join(names)} (used by {revision}) exist.",
                    f"kubectl get {noun} {' '.join(names)} -n {namespace}",
                ),
            )
        ]
    found: list[tuple[str, Finding]] = []
    for name in names:
        needed = [ref for ref in mine if ref.name == name and not ref.optional]
        if not needed:
            continue  # optional everywhere: the kubelet starts the pods without it
        obj = objects.get(name)
        if obj is None:
            where = ", ".join(_unique([ref.where for ref in needed]))
            found.append(
                (
                    name,
                    Finding(
                        "danger",
                        f"missing-{noun}",
                        f'{kind} "{name}" is missing',
                        f'{revision.capitalize()} uses {kind} "{name}" ({where}), which does not '
                        f'exist in namespace "{namespace}": {_failure({r.use for r in needed})}.',
                        f'Recreate {kind} "{name}" in namespace "{namespace}" (restore it from Git) '
                        "before rolling back.",
                    ),
                )
            )
            continue
        keys = _data_keys(obj)
        if keys is None:
            continue
        for key in _unique(
            [ref.key for ref in needed if ref.key is not None and ref.key not in keys]
        ):
            users = [ref for ref in needed if ref.key == key]
            where = ", ".join(_unique([ref.where for ref in users]))
            found.append(
                (
                    f"{name}/{key}",
                    Finding(
                        "danger",
                        f"missing-{noun}-key",
                        f'Key "{key}" missing from {kind} "{name}"',
                        f'{revision.capitalize()} reads key "{key}" of {kind} "{name}" ({where}), '
                        f"which the {kind} no longer has: {_failure({r.use for r in users})}.",
                        f'Add key "{key}" back to {kind} "{name}" in namespace "{namespace}" '
                        "(restore it from Git) before rolling back.",
                    ),
                )
            )
    return found


# ----------------------------------------------------------------------------- config drift


def _live_until(target_rs: Obj, owned: Sequence[Obj]) -> datetime | None:
    """When the target revision stopped being live: the creation of the next-newer owned RS.
    None when it cannot be told or when no newer RS exists (then the target is the newest and
    has been live all along)."""
    start = parse_time(metadata_of(target_rs).get("creationTimestamp"))
    if start is None:
        return None
    newer = [
        created
        for rs in owned
        if (created := parse_time(metadata_of(rs).get("creationTimestamp"))) is not None
        and created > start
    ]
    return min(newer) if newer else None


def _drift_findings(
    refs: Sequence[Reference],
    config_maps: Mapping[str, Mapping[str, Any]] | None,
    secrets: Mapping[str, Mapping[str, Any]] | None,
    target_rs: Obj,
    owned: Sequence[Obj],
    revision: str,
    now: datetime | None,
) -> list[tuple[str, Finding]]:
    until = _live_until(target_rs, owned)
    if until is None:
        return []
    found: list[tuple[str, Finding]] = []
    seen: set[tuple[str, str]] = set()
    for ref in refs:
        if (ref.kind, ref.name) in seen:
            continue
        seen.add((ref.kind, ref.name))
        objects = config_maps if ref.kind == "ConfigMap" else secrets
        obj = None if objects is None else objects.get(ref.name)
        changed = None if obj is None else last_change(obj)
        if changed is None or changed <= until:
            continue
        found.append(
            (
                ref.name,
                Finding(
                    "warning",
                    "config-changed-since",
                    f'{ref.kind} "{ref.name}" changed since {revision}',
                    f'{ref.kind} "{ref.name}" was last modified at {_stamp(changed)}'
                    f"{_age(now, changed)}, after {revision} stopped being live at {_stamp(until)}: "
                    "its pods will read today's values, not the values they ran with.",
                    f'Compare {ref.kind} "{ref.name}" with what {revision} ran with (e.g. in Git) '
                    "and restore it if the old code needs the old values.",
                ),
            )
        )
    return found


# ----------------------------------------------------------------------------- env


def _env_findings(
    current: Obj, target: Obj, revision: str, current_label: str
) -> list[tuple[str, Finding]]:
    found: list[tuple[str, Finding]] = []
    for list_key, label in (("containers", "container"), ("initContainers", "init container")):
        current_by_name = {
            str(_mapping(c).get("name", "")): _mapping(c)
            for c in _sequence(_pod_spec(current).get(list_key))
        }
        for container in _sequence(_pod_spec(target).get(list_key)):
            container = _mapping(container)
            name = str(container.get("name", ""))
            if name not in current_by_name:
                continue  # a container that comes or goes shows in the diff as a whole
            before = _unique(
                [
                    str(_mapping(v).get("name", ""))
                    for v in _sequence(current_by_name[name].get("env"))
                ]
            )
            after = _unique(
                [str(_mapping(v).get("name", "")) for v in _sequence(container.get("env"))]
            )
            removed = [var for var in before if var not in after]
            added = [var for var in after if var not in before]
            owner = f"{label} {name}"
            if removed:
                found.append(
                    (
                        owner,
                        Finding(
                            "warning",
                            "env-removed",
                            f"{owner}: env {', '.join(removed)} would be removed",
                            f"{owner.capitalize()} of {current_label} sets {', '.join(removed)}; {revision} does not, "
                            "so code that expects them may fail or fall back to defaults.",
                            f"Confirm {revision} runs without {', '.join(removed)}.",
                        ),
                    )
                )
            if added:
                found.append(
                    (
                        owner,
                        Finding(
                            "info",
                            "env-added",
                            f"{owner}: env {', '.join(added)} would be added",
                            f"{revision.capitalize()} sets {', '.join(added)} in {owner}, which "
                            f"{current_label} does not.",
                            None,
                        ),
                    )
                )
    return found


# ----------------------------------------------------------------------------- migrations


def _migration_tool(container: Mapping[str, Any]) -> str | None:
    text = " ".join(
        [
            str(container.get("image", "")),
            *(str(part) for part in _sequence(container.get("command"))),
            *(str(part) for part in _sequence(container.get("args"))),
        ]
    )
    match = _MIGRATION_TOOL.search(text)
    return match.group(1) if match else None


def _run_signature(container: Mapping[str, Any]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    return (
        str(container.get("image", "")),
        tuple(str(p) for p in _sequence(container.get("command"))),
        tuple(str(p) for p in _sequence(container.get("args"))),
    )


def _migration_fix(revision: str) -> str:
    return (
        f"Check the migration is backward compatible with {revision}, or run its down-migration "
        "first."
    )


def _migration_findings(
    deployment: Obj,
    target_rs: Obj,
    owned: Sequence[Obj],
    jobs: Sequence[Obj],
    revision: str,
    now: datetime | None,
) -> list[tuple[str, Finding]]:
    found: list[tuple[str, Finding]] = []
    target_template = _template_of(target_rs)
    target_annotation = annotations_of(target_template).get(MIGRATION_ANNOTATION)
    risk = f"if it changed the schema destructively, {revision} may not work against the migrated database"

    def finding(subject: str, detail: str) -> None:
        found.append(
            (
                subject,
                Finding(
                    "danger",
                    "migration-since",
                    f"Database migration since {revision}",
                    detail,
                    _migration_fix(revision),
                ),
            )
        )

    # The controller copies Deployment annotations onto the RS that is new at the time, so an
    # equal value on the target RS means the migration predates (or is) the target revision.
    dep_annotation = annotations_of(deployment).get(MIGRATION_ANNOTATION)
    if (
        dep_annotation is not None
        and annotations_of(target_rs).get(MIGRATION_ANNOTATION) != dep_annotation
    ):
        finding(
            "annotation/deployment",
            f'Deployment "{metadata_of(deployment).get("name", "")}" is annotated '
            f'{MIGRATION_ANNOTATION}="{dep_annotation}": {risk}.',
        )

    # Templates that were live after the target: the current one, and RSes created after the
    # target or numbered above it (an undo re-numbers an old RS, so creation time alone misses it).
    target_created = parse_time(metadata_of(target_rs).get("creationTimestamp"))
    target_revision = revision_of(target_rs)
    later: list[tuple[str, Mapping[str, Any]]] = []
    current_template = _template_of(deployment)
    if not templates_equal(current_template, target_template):
        later.append(("the current template", current_template))
    for rs in owned:
        if _same_object(rs, target_rs):
            continue
        created = parse_time(metadata_of(rs).get("creationTimestamp"))
        revision_number = revision_of(rs)
        newer = (
            created is not None and target_created is not None and created > target_created
        ) or (
            revision_number is not None
            and target_revision is not None
            and revision_number > target_revision
        )
        # An RS with the current template is already covered by "the current template".
        if (
            newer
            and not templates_equal(_template_of(rs), target_template)
            and not templates_equal(_template_of(rs), current_template)
        ):
            later.append((f"revision {revision_number}", _template_of(rs)))

    # An init container exactly like one of the target's re-ran the same migration: not new.
    target_runs = {
        _run_signature(_mapping(c))
        for c in _sequence(_pod_spec(target_template).get("initContainers"))
    }
    init_hits: dict[str, tuple[str, list[str]]] = {}
    annotation_hits: dict[str, list[str]] = {}
    for where, template in later:
        for container in _sequence(_pod_spec(template).get("initContainers")):
            container = _mapping(container)
            tool = _migration_tool(container)
            if tool is None or _run_signature(container) in target_runs:
                continue
            name = str(container.get("name", ""))
            init_hits.setdefault(name, (tool, []))[1].append(where)
        value = annotations_of(template).get(MIGRATION_ANNOTATION)
        if value is not None and value != target_annotation:
            annotation_hits.setdefault(str(value), []).append(where)
    for name, (tool, wheres) in init_hits.items():
        finding(
            f"init/{name}",
            f'Init container "{name}" of {", ".join(_unique(wheres))} runs {tool}, after {revision}: '
            f"{risk}.",
        )
    for value, wheres in annotation_hits.items():
        finding(
            f"annotation/{value}",
            f"The pod template of {', '.join(_unique(wheres))} is annotated "
            f'{MIGRATION_ANNOTATION}="{value}": {risk}.',
        )

    for job in jobs:
        meta = metadata_of(job)
        created = parse_time(meta.get("creationTimestamp"))
        # Without the target's creation time every migration Job counts: better a false alarm.
        if target_created is not None and (created is None or created <= target_created):
            continue
        template = _template_of(job)
        tool = None
        for list_key in ("initContainers", "containers"):
            for container in _sequence(_pod_spec(template).get(list_key)):
                tool = tool or _migration_tool(_mapping(container))
        marker = annotations_of(job).get(MIGRATION_ANNOTATION) or annotations_of(template).get(
            MIGRATION_ANNOTATION
        )
        if tool is None and marker is None:
            continue
        what = (
            f"runs {tool}"
            if tool is not None
            else f'is annotated {MIGRATION_ANNOTATION}="{marker}"'
        )
        when = f" (created {_stamp(created)}{_age(now, created)})" if created is not None else ""
        finding(
            f"job/{meta.get('name', '')}",
            f'Job "{meta.get("name", "")}"{when} {what}, after {revision}: {risk}.',
        )
    return found


# ----------------------------------------------------------------------------- GitOps


def _gitops_finding(deployment: Obj) -> list[tuple[str, Finding]]:
    meta = metadata_of(deployment)
    name = str(meta.get("name", ""))
    namespace = str(meta.get("namespace") or "default")
    labels: Mapping[str, Any] = _mapping(meta.get("labels"))
    annotations = annotations_of(deployment)

    helm = str(labels.get("app.kubernetes.io/managed-by", "")).lower() == "helm" or any(
        key in annotations
        for key in ("meta.helm.sh/release-name", "meta.helm.sh/release-namespace")
    )
    argo_keys = sorted(k for k in (*annotations, *labels) if k.startswith("argocd.argoproj.io/"))
    flux_keys = sorted(k for k in (*labels, *annotations) if _FLUX_KEY.match(k))
    if not (helm or argo_keys or flux_keys):
        return []

    markers = []
    if flux_keys:
        markers.append("Flux labels")
    if argo_keys:
        markers.append("Argo CD annotations")
    if helm:
        markers.append("Helm labels")
    release = str(
        annotations.get("meta.helm.sh/release-name")
        or labels.get("app.kubernetes.io/instance")
        or name
    )
    release_ns = str(annotations.get("meta.helm.sh/release-namespace") or namespace)

    # A controller that re-syncs (Flux, Argo CD) wins over plain Helm: it is what will revert
    # the undo, and Helm labels also appear on charts those controllers render.
    if flux_keys:
        values = {**annotations, **labels}
        kind = "HelmRelease" if any(k.startswith("helm.") for k in flux_keys) else "Kustomization"
        prefix = "helm" if kind == "HelmRelease" else "kustomize"
        obj_name = str(values.get(f"{prefix}.toolkit.fluxcd.io/name") or name)
        obj_ns = str(values.get(f"{prefix}.toolkit.fluxcd.io/namespace") or namespace)
        tool, manager = "Flux", f"Flux ({kind} {obj_ns}/{obj_name})"
        effect = "Flux will revert a manual undo at its next reconciliation"
        fix = f"Revert the commit in Git and let Flux reconcile {kind} {obj_ns}/{obj_name}."
    elif argo_keys:
        tracking = str(annotations.get("argocd.argoproj.io/tracking-id") or "")
        app = (
            tracking.split(":", 1)[0]
            if tracking
            else str(labels.get("app.kubernetes.io/instance") or name)
        )
        tool, manager = "Argo CD", f'Argo CD (application "{app}")'
        effect = "Argo CD will revert a manual undo at its next sync (or report the app OutOfSync)"
        fix = f'Revert the commit in Git and let Argo CD sync application "{app}".'
    else:
        tool, manager = "Helm", f'Helm (release "{release}")'
        effect = (
            "a manual undo drifts from the Helm release, and the next helm upgrade overwrites it"
        )
        fix = f"helm rollback {release} <revision> -n {release_ns}  (see helm history {release} -n {release_ns})"
    return [
        (
            name,
            Finding(
                "warning",
                "gitops-managed",
                f"Managed by {tool}",
                f'Deployment "{name}" is managed by {manager}; found {", ".join(markers)}: {effect}.',
                fix,
            ),
        )
    ]


def _last_applied_finding(deployment: Obj) -> list[tuple[str, Finding]]:
    if LAST_APPLIED_ANNOTATION not in annotations_of(deployment):
        return []
    name = str(metadata_of(deployment).get("name", ""))
    return [
        (
            name,
            Finding(
                "info",
                "kubectl-apply-managed",
                "Managed with kubectl apply",
                f'Deployment "{name}" was changed with kubectl apply; the rollback does not update its '
                "last-applied-configuration, so the next kubectl apply of the current manifest "
                "brings the current release back.",
                "Update the manifest to the target revision before the next kubectl apply.",
            ),
        )
    ]


# ----------------------------------------------------------------------------- entry point


def rollback_precautions(
    deployment: Obj,
    current_rs: Obj | None,
    target_rs: Obj,
    owned: Sequence[Obj],
    *,
    config_maps: Mapping[str, Mapping[str, Any]] | None,
    secrets: Mapping[str, Mapping[str, Any]] | None,
    jobs: Sequence[Obj],
    now: datetime | None,
) -> tuple[Finding, ...]:
    """Findings about rolling ``deployment`` back to ``target_rs``, danger first.

    ``owned`` are the Deployment's RSes (for when the target was live); ``config_maps`` and
    ``secrets`` the namespace's objects by name (None: could not be read); ``jobs`` the
    namespace's Jobs; ``now`` only makes ages readable. ``current_rs`` is the RS matching the
    current template, if any; it only names the current revision (the comparison itself is
    against the Deployment's template, which is what the undo replaces).
    """
    namespace = str(metadata_of(deployment).get("namespace") or "default")
    revision = _revision_label(target_rs)
    target_template = _template_of(target_rs)
    refs = template_references(target_template)
    pairs: list[tuple[str, Finding]] = []
    pairs += _reference_findings(refs, config_maps, "ConfigMap", namespace, revision)
    pairs += _reference_findings(refs, secrets, "Secret", namespace, revision)
    pairs += _drift_findings(refs, config_maps, secrets, target_rs, owned, revision, now)
    current_label = (
        f"revision {revision_of(current_rs)} (current)"
        if current_rs is not None and revision_of(current_rs) is not None
        else "the current template"
    )
    pairs += _env_findings(_template_of(deployment), target_template, revision, current_label)
    pairs += _migration_findings(deployment, target_rs, owned, jobs, revision, now)
    pairs += _gitops_finding(deployment)
    pairs += _last_applied_finding(deployment)
    return ordered(pairs)
