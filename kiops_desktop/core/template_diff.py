"""What a rollback changes in the pod template, as readable entries.

The operator confirms a rollback by reading this, so it names containers, env vars, volumes and
probes the way ``kubectl describe`` does, and it is complete: whenever the two templates differ
in the sense of kubectl's ``EqualIgnoreHash`` (``templates_equal``), the diff has at least one
entry; fields without a dedicated rendering fall back to compact JSON.

Secret values never appear: templates only ever hold references to Secrets, and literal env
values whose name looks like a credential are masked too, because screenshots of a confirmation
dialog end up in tickets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiops_desktop.core.revisions import (
    normalise,
    selector_string,
    template_without_hash,
    templates_equal,
)

Obj = Mapping[str, Any]

HIDDEN_VALUE = "(hidden literal value)"

# Literal env values under these names are likely credentials pasted into a manifest.
_SECRET_LOOKING_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.IGNORECASE
)

# Long annotation values (JSON blobs) would drown the dialog; the entry still says it changed.
_MAX_VALUE_CHARS = 120

# Container fields with a dedicated rendering, in display order; the rest follow alphabetically.
_CONTAINER_FIELDS = (
    "image",
    "imagePullPolicy",
    "command",
    "args",
    "workingDir",
    "ports",
    "env",
    "envFrom",
    "resources",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "volumeMounts",
)
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")

# Pod-spec fields with a dedicated rendering, in display order; the rest follow alphabetically.
_POD_FIELDS = ("serviceAccountName", "nodeSelector", "tolerations", "imagePullSecrets")
_POD_HANDLED = frozenset({*_POD_FIELDS, "containers", "initContainers", "volumes"})


@dataclass(frozen=True)
class DiffEntry:
    """One difference. ``before``/``after`` are rendered values; None means absent."""

    scope: str
    field: str
    before: str | None
    after: str | None

    @property
    def text(self) -> str:
        """The entry as one readable line."""
        if self.field == "container":
            # A whole container came or went: its image says the most about it.
            if self.before is None:
                return f"{self.scope}: added (image {self.after})"
            if self.after is None:
                return f"{self.scope}: removed (was image {self.before})"
        if self.before is None and self.after is None:
            return f"{self.scope}: {self.field}"
        if self.before is None:
            return f"{self.scope}: {self.field} added ({self.after})"
        if self.after is None:
            return f"{self.scope}: {self.field} removed (was {self.before})"
        if self.before == self.after:
            # Only masked values render identically while differing.
            return f"{self.scope}: {self.field} changed {self.before}"
        return f"{self.scope}: {self.field}  {self.before} -> {self.after}"


@dataclass(frozen=True)
class TemplateDiff:
    entries: tuple[DiffEntry, ...]

    @property
    def is_empty(self) -> bool:
        return not self.entries

    def lines(self) -> list[str]:
        return [entry.text for entry in self.entries]


# ----------------------------------------------------------------------------- helpers


def _same(a: Any, b: Any) -> bool:
    # Wrapped, so that an absent field and an empty one compare equal as they do inside a map.
    return bool(normalise({"v": a}) == normalise({"v": b}))


def _empty(value: Any) -> bool:
    normal = normalise(value)
    return normal is None or normal == {} or normal == []


def _json(value: Any) -> str:
    return json.dumps(normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _clip(text: str) -> str:
    if len(text) <= _MAX_VALUE_CHARS:
        return text
    return f"{text[: _MAX_VALUE_CHARS - 1]}… ({len(text)} chars)"


def _quote(text: str) -> str:
    return _clip(json.dumps(text, ensure_ascii=False))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _by_key(items: Any, key: str) -> dict[str, Mapping[str, Any]]:
    """List items by a key; a later duplicate wins, as it does for env vars in the kubelet."""
    out: dict[str, Mapping[str, Any]] = {}
    for item in _sequence(items):
        if isinstance(item, Mapping):
            out[str(item.get(key, ""))] = item
    return out


def _key_order(current: Mapping[str, Any], target: Mapping[str, Any]) -> list[str]:
    """Target order first, then what only the current side has, in its order."""
    return [*target, *(name for name in current if name not in target)]


def _compare(
    scope: str,
    field: str,
    before_raw: Any,
    after_raw: Any,
    render: Callable[[Any], str],
) -> list[DiffEntry]:
    """An entry when the two raw values differ; rendered with ``render``, or as JSON when the
    rendering would hide the difference (so the diff never claims 'no change' wrongly)."""
    if _same(before_raw, after_raw):
        return []
    before = None if _empty(before_raw) else render(before_raw)
    after = None if _empty(after_raw) else render(after_raw)
    if before is not None and before == after and before != HIDDEN_VALUE:
        before, after = _clip(_json(before_raw)), _clip(_json(after_raw))
    return [DiffEntry(scope, field, before, after)]


def _order_entry(
    scope: str, what: str, current: Sequence[str], target: Sequence[str]
) -> list[DiffEntry]:
    """Same names in another order (order matters, e.g. for ``$(VAR)`` expansion in env)."""
    common_current = [name for name in current if name in target]
    common_target = [name for name in target if name in current]
    if common_current == common_target:
        return []
    return [DiffEntry(scope, f"{what} order", ", ".join(common_current), ", ".join(common_target))]


# ----------------------------------------------------------------------------- renderers


def _render_list(value: Any) -> str:
    return _clip(json.dumps([str(item) for item in _sequence(value)], ensure_ascii=False))


def _render_scalar(value: Any) -> str:
    return _clip(str(value)) if isinstance(value, str | int | float | bool) else _clip(_json(value))


def _render_ports(value: Any) -> str:
    parts = []
    for port in _sequence(value):
        port = _mapping(port)
        text = f"{port.get('containerPort', '?')}/{port.get('protocol', 'TCP')}"
        if port.get("name"):
            text += f" ({port['name']})"
        if port.get("hostPort"):
            text += f" host {port['hostPort']}"
        parts.append(text)
    return ", ".join(parts)


def _env_name_is_secret(name: str) -> bool:
    return bool(_SECRET_LOOKING_NAME.search(name))


def _render_env_var(var: Any) -> str:
    var = _mapping(var)
    source = _mapping(var.get("valueFrom"))
    if not source:
        if _env_name_is_secret(str(var.get("name", ""))):
            return HIDDEN_VALUE
        return _quote(str(var.get("value", "")))
    optional = " (optional)" if _mapping(next(iter(source.values()), {})).get("optional") else ""
    if "secretKeyRef" in source:
        ref = _mapping(source["secretKeyRef"])
        return f"from secret {ref.get('name', '')}/{ref.get('key', '')}{optional}"
    if "configMapKeyRef" in source:
        ref = _mapping(source["configMapKeyRef"])
        return f"from configmap {ref.get('name', '')}/{ref.get('key', '')}{optional}"
    if "fieldRef" in source:
        return f"from field {_mapping(source['fieldRef']).get('fieldPath', '')}"
    if "resourceFieldRef" in source:
        ref = _mapping(source["resourceFieldRef"])
        text = f"from resource {ref.get('resource', '')}"
        if ref.get("containerName"):
            text += f" of {ref['containerName']}"
        return text
    return f"from {_clip(_json(source))}"


def _render_env_from(value: Any) -> str:
    parts = []
    for item in _sequence(value):
        item = _mapping(item)
        if "configMapRef" in item:
            ref, kind = _mapping(item["configMapRef"]), "configmap"
        elif "secretRef" in item:
            ref, kind = _mapping(item["secretRef"]), "secret"
        else:
            parts.append(_json(item))
            continue
        text = f"{kind} {ref.get('name', '')}"
        if item.get("prefix"):
            text += f" prefix={item['prefix']}"
        if ref.get("optional"):
            text += " (optional)"
        parts.append(text)
    return ", ".join(parts)


def _render_probe(value: Any) -> str:
    """Compact, in ``kubectl describe``'s words, e.g.
    ``http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3``."""
    probe = _mapping(value)
    if "httpGet" in probe:
        action = _mapping(probe["httpGet"])
        scheme = str(action.get("scheme") or "HTTP").lower()
        handler = (
            f"http-get {scheme}://{action.get('host', '')}:{action.get('port', '')}"
            f"{action.get('path', '')}"
        )
    elif "tcpSocket" in probe:
        action = _mapping(probe["tcpSocket"])
        handler = f"tcp-socket {action.get('host', '')}:{action.get('port', '')}"
    elif "exec" in probe:
        handler = (
            f"exec [{' '.join(str(a) for a in _sequence(_mapping(probe['exec']).get('command')))}]"
        )
    elif "grpc" in probe:
        action = _mapping(probe["grpc"])
        handler = f"grpc <pod>:{action.get('port', '')} {action.get('service', '')}".rstrip()
    else:
        handler = "unknown"
    # Defaults as the API server fills them in (§1.14), for templates that were not defaulted.
    return (
        f"{handler} delay={probe.get('initialDelaySeconds', 0)}s"
        f" timeout={probe.get('timeoutSeconds', 1)}s period={probe.get('periodSeconds', 10)}s"
        f" #success={probe.get('successThreshold', 1)} #failure={probe.get('failureThreshold', 3)}"
    )


def _render_mount(value: Any) -> str:
    mount = _mapping(value)
    text = str(mount.get("name", ""))
    if mount.get("subPath"):
        text += f" subPath={mount['subPath']}"
    if mount.get("subPathExpr"):
        text += f" subPathExpr={mount['subPathExpr']}"
    if mount.get("readOnly"):
        text += " (ro)"
    return text


def _items_suffix(source: Mapping[str, Any]) -> str:
    items = [
        f"{_mapping(item).get('key', '')}->{_mapping(item).get('path', '')}"
        for item in _sequence(source.get("items"))
    ]
    text = f" items={','.join(items)}" if items else ""
    mode = source.get("defaultMode")
    if isinstance(mode, int) and mode != 0o644:  # 420, the API default, says nothing
        text += f" mode={mode:04o}"
    if source.get("optional"):
        text += " (optional)"
    return text


def _render_projected_source(source: Mapping[str, Any]) -> str:
    if "configMap" in source:
        ref = _mapping(source["configMap"])
        return f"configmap {ref.get('name', '')}{_items_suffix(ref)}"
    if "secret" in source:
        ref = _mapping(source["secret"])
        return f"secret {ref.get('name', '')}{_items_suffix(ref)}"
    if source:
        return next(iter(source))  # serviceAccountToken, downwardAPI, clusterTrustBundle, ...
    return "{}"


def _volume_type(volume: Mapping[str, Any]) -> str:
    # Read from the raw volume: an ``emptyDir: {}`` is a real source even though it is "empty".
    for key in volume:
        if key != "name":
            return str(key)
    return "unknown"


def _render_volume_source(volume_type: str, source: Any) -> str:
    source = _mapping(source)
    if volume_type == "configMap":
        return f"{source.get('name', '')}{_items_suffix(source)}"
    if volume_type == "secret":
        return f"{source.get('secretName', '')}{_items_suffix(source)}"
    if volume_type == "persistentVolumeClaim":
        return f"{source.get('claimName', '')}{' (ro)' if source.get('readOnly') else ''}"
    if volume_type == "projected":
        return ", ".join(
            _render_projected_source(_mapping(item)) for item in _sequence(source.get("sources"))
        )
    if volume_type == "hostPath":
        return f"{source.get('path', '')}{' type=' + str(source['type']) if source.get('type') else ''}"
    if volume_type == "emptyDir":
        parts = [f"{key}={source[key]}" for key in ("medium", "sizeLimit") if source.get(key)]
        return " ".join(parts) if parts else "emptyDir"
    return _clip(_json(source)) if source else volume_type


def _render_selector_map(value: Any) -> str:
    return ", ".join(f"{key}={val}" for key, val in sorted(_mapping(value).items()))


def _render_tolerations(value: Any) -> str:
    """In ``kubectl describe``'s words: ``key=value:Effect op=Exists for 300s``."""
    parts = []
    for item in _sequence(value):
        item = _mapping(item)
        text = str(item.get("key", ""))
        if item.get("value"):
            text += f"={item['value']}"
        if item.get("effect"):
            text += f":{item['effect']}"
        if item.get("operator") == "Exists" and not item.get("value"):
            text += " op=Exists" if text else "op=Exists"
        if item.get("tolerationSeconds") is not None:
            text += f" for {item['tolerationSeconds']}s"
        parts.append(text)
    return ", ".join(parts)


def _render_pull_secrets(value: Any) -> str:
    return ", ".join(str(_mapping(item).get("name", "")) for item in _sequence(value))


# ----------------------------------------------------------------------------- containers


def _diff_env(scope: str, current: Any, target: Any) -> list[DiffEntry]:
    before, after = _by_key(current, "name"), _by_key(target, "name")
    entries: list[DiffEntry] = []
    for name in _key_order(before, after):
        entries += _compare(
            scope,
            f"env {name}",
            _env_value_part(before.get(name)),
            _env_value_part(after.get(name)),
            _env_renderer(name),
        )
    entries += _order_entry(scope, "env", list(before), list(after))
    return entries


def _env_renderer(name: str) -> Callable[[Any], str]:
    def render(part: Any) -> str:
        return _render_env_var({"name": name, **_mapping(part)})

    return render


def _env_value_part(var: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """An env var without its name; absent is None. A var with neither value nor source is the
    empty string, which is not the same as the var being absent."""
    if var is None:
        return None
    part = {key: value for key, value in var.items() if key != "name"}
    if _empty(part.get("valueFrom")):
        part.pop("valueFrom", None)
        part.setdefault("value", "")
    return part


def _diff_resources(scope: str, current: Any, target: Any) -> list[DiffEntry]:
    before, after = _mapping(current), _mapping(target)
    entries: list[DiffEntry] = []
    for kind in ("limits", "requests"):
        cur, tgt = _mapping(before.get(kind)), _mapping(after.get(kind))
        for key in sorted({*cur, *tgt}):
            entries += _compare(
                scope, f"resources.{kind}.{key}", cur.get(key), tgt.get(key), _render_scalar
            )
    for key in sorted({*before, *after} - {"limits", "requests"}):
        entries += _compare(scope, f"resources.{key}", before.get(key), after.get(key), _json)
    return entries


def _diff_mounts(scope: str, current: Any, target: Any) -> list[DiffEntry]:
    before, after = _by_key(current, "mountPath"), _by_key(target, "mountPath")
    entries: list[DiffEntry] = []
    for path in _key_order(before, after):
        entries += _compare(
            scope, f"volumeMount {path}", before.get(path), after.get(path), _render_mount
        )
    return entries


def _diff_container(
    scope: str, current: Mapping[str, Any], target: Mapping[str, Any]
) -> list[DiffEntry]:
    entries: list[DiffEntry] = []
    for field in _CONTAINER_FIELDS:
        before, after = current.get(field), target.get(field)
        if field == "env":
            entries += _diff_env(scope, before, after)
        elif field == "resources":
            entries += _diff_resources(scope, before, after)
        elif field == "volumeMounts":
            entries += _diff_mounts(scope, before, after)
        elif field in _PROBES:
            entries += _compare(scope, field, before, after, _render_probe)
        elif field in ("command", "args"):
            entries += _compare(scope, field, before, after, _render_list)
        elif field == "ports":
            entries += _compare(scope, field, before, after, _render_ports)
        elif field == "envFrom":
            entries += _compare(scope, field, before, after, _render_env_from)
        else:
            entries += _compare(scope, field, before, after, _render_scalar)
    for field in sorted({*current, *target} - {*_CONTAINER_FIELDS, "name"}):
        entries += _compare(scope, field, current.get(field), target.get(field), _json)
    return entries


def _diff_containers(kind: str, current: Any, target: Any) -> list[DiffEntry]:
    before, after = _by_key(current, "name"), _by_key(target, "name")
    entries: list[DiffEntry] = []
    for name in _key_order(before, after):
        scope = f"{kind} {name}"
        cur, tgt = before.get(name), after.get(name)
        if cur is None or tgt is None:
            image = str((tgt or cur or {}).get("image", ""))
            entries.append(
                DiffEntry(
                    scope,
                    "container",
                    None if cur is None else image,
                    None if tgt is None else image,
                )
            )
            continue
        entries += _diff_container(scope, cur, tgt)
    entries += _order_entry("pod", kind, list(before), list(after))
    return entries


# ----------------------------------------------------------------------------- pod level


def _diff_volumes(current: Any, target: Any) -> list[DiffEntry]:
    before, after = _by_key(current, "name"), _by_key(target, "name")
    entries: list[DiffEntry] = []
    for name in _key_order(before, after):
        scope = f"volume {name}"
        cur, tgt = before.get(name), after.get(name)
        if _same(cur, tgt):
            continue
        cur_type = _volume_type(cur) if cur is not None else None
        tgt_type = _volume_type(tgt) if tgt is not None else None
        if cur is not None and tgt is not None and cur_type != tgt_type:
            # The volume keeps its name but mounts something else entirely.
            entries.append(
                DiffEntry(
                    scope,
                    "source",
                    f"{cur_type} {_render_volume_source(str(cur_type), cur.get(str(cur_type)))}",
                    f"{tgt_type} {_render_volume_source(str(tgt_type), tgt.get(str(tgt_type)))}",
                )
            )
            continue
        volume_type = str(tgt_type or cur_type)
        before_src = cur.get(volume_type, {}) if cur is not None else None
        after_src = tgt.get(volume_type, {}) if tgt is not None else None
        rendered_before = (
            None if before_src is None else _render_volume_source(volume_type, before_src)
        )
        rendered_after = (
            None if after_src is None else _render_volume_source(volume_type, after_src)
        )
        if rendered_before is not None and rendered_before == rendered_after:
            rendered_before, rendered_after = _clip(_json(cur)), _clip(_json(tgt))
        entries.append(DiffEntry(scope, volume_type, rendered_before, rendered_after))
    entries += _order_entry("pod", "volume", list(before), list(after))
    return entries


def _diff_pod(current: Mapping[str, Any], target: Mapping[str, Any]) -> list[DiffEntry]:
    renderers: dict[str, Callable[[Any], str]] = {
        "serviceAccountName": _render_scalar,
        "nodeSelector": _render_selector_map,
        "tolerations": _render_tolerations,
        "imagePullSecrets": _render_pull_secrets,
    }
    entries: list[DiffEntry] = []
    for field in _POD_FIELDS:
        entries += _compare("pod", field, current.get(field), target.get(field), renderers[field])
    for field in sorted({*current, *target} - _POD_HANDLED):
        entries += _compare("pod", field, current.get(field), target.get(field), _json)
    return entries


def _diff_metadata(current: Mapping[str, Any], target: Mapping[str, Any]) -> list[DiffEntry]:
    entries: list[DiffEntry] = []
    for kind, label in (("labels", "label"), ("annotations", "annotation")):
        before, after = _mapping(current.get(kind)), _mapping(target.get(kind))
        for key in _key_order(before, after):
            entries += _compare(
                "pod", f"{label} {key}", before.get(key), after.get(key), _render_scalar
            )
    for key in sorted({*current, *target} - {"labels", "annotations"}):
        entries += _compare("pod", f"metadata.{key}", current.get(key), target.get(key), _json)
    return entries


def diff_annotations(
    scope: str, current: Mapping[str, Any], target: Mapping[str, Any]
) -> list[DiffEntry]:
    """Annotation changes of one object (e.g. what ``rollout undo`` does to the Deployment's
    annotations, which it replaces wholesale), keys in sorted order."""
    entries: list[DiffEntry] = []
    for key in sorted({*current, *target}):
        entries += _compare(
            scope, f"annotation {key}", current.get(key), target.get(key), _quote_any
        )
    return entries


def _quote_any(value: Any) -> str:
    return _quote(value) if isinstance(value, str) else _clip(_json(value))


# ----------------------------------------------------------------------------- selector


def _selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    for key, value in _mapping(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expr in _sequence(selector.get("matchExpressions")):
        expr = _mapping(expr)
        key, op = str(expr.get("key", "")), expr.get("operator")
        values = [str(v) for v in _sequence(expr.get("values"))]
        present = key in labels
        if op == "In" and not (present and str(labels[key]) in values):
            return False
        if op == "NotIn" and present and str(labels[key]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _diff_selector(
    deployment_spec: Mapping[str, Any], target: Mapping[str, Any]
) -> list[DiffEntry]:
    """The API server rejects a template whose labels the Deployment's (immutable) selector does
    not match, so a target like that cannot be rolled back to; say so where the change shows."""
    selector = _mapping(deployment_spec.get("selector"))
    labels = _mapping(_mapping(target.get("metadata")).get("labels"))
    if not selector or _selector_matches(selector, labels):
        return []
    return [
        DiffEntry(
            "deployment",
            "selector",
            selector_string(selector),
            "does not match the target's labels (the API server would reject the rollback)",
        )
    ]


# ----------------------------------------------------------------------------- entry point


def diff_templates(
    current: Obj,
    target: Obj,
    *,
    current_deployment_spec: Obj | None = None,
) -> TemplateDiff:
    """The changes from the ``current`` pod template to the ``target`` one.

    Order is stable: containers (target order, then removed ones), init containers, volumes,
    pod-level fields, template labels/annotations, and - when ``current_deployment_spec`` is
    given - Deployment-level consequences (a selector the target's labels would not satisfy).
    The ``pod-template-hash`` label is ignored on both sides, as kubectl ignores it.
    """
    cur = template_without_hash(current)
    tgt = template_without_hash(target)
    cur_spec, tgt_spec = _mapping(cur.get("spec")), _mapping(tgt.get("spec"))
    entries: list[DiffEntry] = []
    entries += _diff_containers("container", cur_spec.get("containers"), tgt_spec.get("containers"))
    entries += _diff_containers(
        "init container", cur_spec.get("initContainers"), tgt_spec.get("initContainers")
    )
    entries += _diff_volumes(cur_spec.get("volumes"), tgt_spec.get("volumes"))
    entries += _diff_pod(cur_spec, tgt_spec)
    entries += _diff_metadata(_mapping(cur.get("metadata")), _mapping(tgt.get("metadata")))
    for key in sorted({*cur, *tgt} - {"metadata", "spec"}):
        entries += _compare("pod", key, cur.get(key), tgt.get(key), _json)
    if not entries and not templates_equal(current, target):
        # Something only list order or duplicated keys can express; never claim "no change".
        entries.append(DiffEntry("pod", "template", "current layout", "target layout"))
    if current_deployment_spec is not None:
        entries += _diff_selector(current_deployment_spec, tgt)
    return TemplateDiff(tuple(entries))
