"""Rollback planning: exactly what ``kubectl rollout undo`` decides and sends (spec §3), plus what
the operator should see before confirming (template diff, precautions).

The plan is pure data. The runtime applies ``guarded_patch()`` - kubectl's two JSON-patch
operations preceded by a ``test`` of the resourceVersion we planned against - so a Deployment
that someone else changed in the meantime is refused by the server instead of being rolled back
on stale assumptions.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from kiops_desktop.core.findings import Finding
from kiops_desktop.core.precautions import rollback_precautions
from kiops_desktop.core.revisions import (
    LAST_APPLIED_ANNOTATION,
    REVISION_ANNOTATION,
    ROLLBACK_SKIPPED_ANNOTATIONS,
    annotations_of,
    kubectl_order,
    metadata_of,
    owned_replica_sets,
    parse_go_int,
    revision_of,
    split_new_old,
    template_without_hash,
    templates_equal,
)
from kiops_desktop.core.template_diff import TemplateDiff, diff_annotations, diff_templates

Obj = Mapping[str, Any]

RefusalKind = Literal["negative-revision", "not-found", "no-history", "paused", "already-current"]

PAUSED_MESSAGE = (
    "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' "
    "and try again"
)


@dataclass(frozen=True)
class RollbackPlan:
    namespace: str
    deployment: str
    requested_revision: int  # kubectl's --to-revision value (0 = previous)
    current_revision: int | None  # the Deployment's revision annotation (None: absent/unparsable)
    target_revision: int | None
    target_replica_set: str | None
    current_images: tuple[str, ...]
    target_images: tuple[str, ...]
    resource_version: str  # the Deployment's, read when planning
    patch: tuple[Mapping[str, Any], ...] | None  # kubectl's two JSON-patch ops; None if refused
    refusal: str | None  # kubectl's error/skip text, without "error: "
    refusal_kind: RefusalKind | None
    diff: TemplateDiff | None  # current template -> target template
    precautions: tuple[Finding, ...]
    # metadata.generation when planning: it moves on every spec or annotation change (another
    # rollback, a set image, an annotate) but not on the controller's status updates, so it is
    # the right guard; resourceVersion would also trip on every status write.
    generation: int = 0

    @property
    def can_proceed(self) -> bool:
        return self.refusal is None and self.patch is not None

    def guarded_patch(self) -> list[dict[str, Any]]:
        """kubectl's patch, refused by the server if the Deployment changed since planning.

        kubectl sends no precondition (§3.4); we add one ``test`` op on the generation so that two
        operators, or an operator and a CI pipeline, cannot both act on the same picture of the
        Deployment.
        """
        if self.patch is None:
            raise ValueError(f"rollback of {self.deployment} cannot proceed: {self.refusal}")
        test = {"op": "test", "path": "/metadata/generation", "value": self.generation}
        return [test, *(copy.deepcopy(dict(op)) for op in self.patch)]


# ----------------------------------------------------------------------------- kubectl texts


def revision_not_found_message(revision: int) -> str:
    return f"unable to find specified revision {revision} in history"


def no_history_message(name: str) -> str:
    # Go's %q: a double-quoted string with Go escapes; Deployment names never need escaping.
    return f'no rollout history found for deployment "{name}"'


def skipped_message(requested_revision: int) -> str:
    return f"skipped rollback (current template already matches revision {requested_revision})"


def last_applied_warning(name: str) -> str:
    """The stderr warning kubectl prints first when the Deployment was ``kubectl apply``-ed."""
    return (
        f"Warning: resource deployments/{name} was previously managed with 'kubectl apply'. "
        "Rolling back will not update the kubectl.kubernetes.io/last-applied-configuration "
        "annotation, which may cause unexpected behavior on future 'kubectl apply' operations. "
        "Consider using 'kubectl apply' with your previous configuration file instead."
    )


# ----------------------------------------------------------------------------- planning


def _images(template: Mapping[str, Any] | None) -> tuple[str, ...]:
    spec = (template or {}).get("spec") or {}
    return tuple(str(c.get("image", "")) for c in spec.get("containers") or [])


def _template_of(obj: Obj) -> Mapping[str, Any]:
    return (obj.get("spec") or {}).get("template") or {}


def _select_target(ordered: Sequence[Obj], to_revision: int) -> Obj | None:
    """kubectl's ``deploymentRevision`` (§3.3), over the RSes in kubectl's order."""
    latest: Obj | None = None
    latest_revision = -1
    previous: Obj | None = None
    previous_revision = -1
    for rs in ordered:
        revision = revision_of(rs)
        if revision is None:  # unparsable annotation: kubectl skips the RS
            continue
        if to_revision > 0:
            if revision == to_revision:
                return rs
            continue
        if latest_revision < revision:
            previous, previous_revision = latest, latest_revision
            latest, latest_revision = rs, revision
        elif previous_revision < revision:
            # Also taken on a tie with the highest: kubectl's comparisons are strict "<".
            previous, previous_revision = rs, revision
    return previous if to_revision == 0 else None


def _go_container_defaults(template: dict[str, Any]) -> dict[str, Any]:
    """kubectl marshals a Go ``PodTemplateSpec``: every (init) container gets ``"resources":{}``
    because that field is a struct, which ``omitempty`` never omits (verified against kubectl)."""
    spec = template.get("spec")
    if isinstance(spec, dict):
        for kind in ("initContainers", "containers"):
            for container in spec.get(kind) or []:
                if isinstance(container, dict):
                    container.setdefault("resources", {})
    return template


def undo_annotations(deployment: Obj, target_rs: Obj) -> dict[str, str]:
    """The annotation map kubectl sends (§3.5), keys sorted as Go's JSON encoder writes them."""
    dep_annotations = annotations_of(deployment)
    result = {k: v for k, v in dep_annotations.items() if k in ROLLBACK_SKIPPED_ANNOTATIONS}
    result.update(
        {
            k: v
            for k, v in annotations_of(target_rs).items()
            if k not in ROLLBACK_SKIPPED_ANNOTATIONS
        }
    )
    return dict(sorted(result.items()))


def undo_patch(deployment: Obj, target_rs: Obj) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two JSON-patch operations of §3.4, in kubectl's order."""
    template = _go_container_defaults(copy.deepcopy(template_without_hash(_template_of(target_rs))))
    return (
        {"op": "replace", "path": "/spec/template", "value": template},
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": undo_annotations(deployment, target_rs),
        },
    )


def plan_rollback(
    deployment: Obj,
    replica_sets: Sequence[Obj],
    to_revision: int | None = None,
    *,
    config_maps: Mapping[str, Mapping[str, Any]] | None = None,
    secrets: Mapping[str, Mapping[str, Any]] | None = None,
    jobs: Sequence[Mapping[str, Any]] = (),
    now: datetime | None = None,
) -> RollbackPlan:
    """Plan ``kubectl rollout undo deployment/NAME [--to-revision=N]`` (§3.2, §3.3).

    ``replica_sets`` is the result of LISTing RSes with the Deployment's selector; the ones the
    Deployment does not control are filtered out here (§1.2). ``config_maps``/``secrets`` are the
    namespace's objects by name (None: unknown, and those checks are skipped with a note).
    """
    meta = metadata_of(deployment)
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "default")
    requested = to_revision or 0
    revision_text = annotations_of(deployment).get(REVISION_ANNOTATION)
    current_template = _template_of(deployment)

    def plan(
        *,
        target: Obj | None = None,
        refusal: str | None = None,
        kind: RefusalKind | None = None,
        patch: tuple[Mapping[str, Any], ...] | None = None,
        diff: TemplateDiff | None = None,
        precautions: tuple[Finding, ...] = (),
    ) -> RollbackPlan:
        return RollbackPlan(
            namespace=namespace,
            deployment=name,
            requested_revision=requested,
            current_revision=None if revision_text is None else parse_go_int(revision_text),
            target_revision=None if target is None else revision_of(target),
            target_replica_set=None
            if target is None
            else str(metadata_of(target).get("name") or ""),
            current_images=_images(current_template),
            target_images=() if target is None else _images(_template_of(target)),
            resource_version=str(meta.get("resourceVersion") or ""),
            generation=int(meta.get("generation") or 0),
            patch=patch,
            refusal=refusal,
            refusal_kind=kind,
            diff=diff,
            precautions=precautions,
        )

    # Step 2 of §3.2: before any look at the history.
    if requested < 0:
        return plan(refusal=revision_not_found_message(requested), kind="negative-revision")

    owned = owned_replica_sets(deployment, replica_sets)
    target = _select_target(kubectl_order(deployment, owned), requested)
    if target is None:
        if requested > 0:
            return plan(refusal=revision_not_found_message(requested), kind="not-found")
        return plan(refusal=no_history_message(name), kind="no-history")

    # From here on a target exists: show its diff and precautions even when kubectl would stop,
    # so the operator sees what resuming (or nothing) would do.
    target_template = _template_of(target)
    already_current = templates_equal(target_template, current_template)
    patch = undo_patch(deployment, target)
    entries = diff_templates(
        current_template, target_template, current_deployment_spec=deployment.get("spec") or {}
    ).entries
    if not already_current:
        # The undo replaces the Deployment's annotations wholesale (§3.4): show what that does.
        entries += tuple(
            diff_annotations("deployment", annotations_of(deployment), patch[1]["value"])
        )
    current_rs, _ = split_new_old(deployment, owned)
    precautions = rollback_precautions(
        deployment,
        current_rs,
        target,
        owned,
        config_maps=config_maps,
        secrets=secrets,
        jobs=jobs,
        now=now,
    )
    details: dict[str, Any] = {
        "target": target,
        "diff": TemplateDiff(entries),
        "precautions": precautions,
    }
    # Step 7 (paused) comes before step 8 (already current), as in kubectl.
    if (deployment.get("spec") or {}).get("paused"):
        return plan(refusal=PAUSED_MESSAGE, kind="paused", **details)
    if already_current:
        return plan(refusal=skipped_message(requested), kind="already-current", **details)
    return plan(patch=patch, **details)


# ----------------------------------------------------------------------------- kubectl output


def _dry_run_suffix(dry_run: Literal["none", "server"]) -> str:
    return " (server dry run)" if dry_run == "server" else ""


def kubectl_undo_stdout(plan: RollbackPlan, *, dry_run: Literal["none", "server"] = "none") -> str:
    """What ``kubectl rollout undo`` prints on stdout: the success or skip line (§3.2 steps 8
    and 10, §3.6); nothing when it fails (its error goes to stderr)."""
    if plan.can_proceed:
        return f"deployment.apps/{plan.deployment} rolled back{_dry_run_suffix(dry_run)}\n"
    if plan.refusal_kind == "already-current" and plan.refusal is not None:
        return f"deployment.apps/{plan.deployment} {plan.refusal}{_dry_run_suffix(dry_run)}\n"
    return ""


def kubectl_undo_stderr(plan: RollbackPlan, deployment: Obj) -> str:
    """What kubectl prints on stderr: the last-applied warning (first, whenever the Deployment
    carries that annotation, §3.2 step 1) and the ``error: ...`` line of a refusal."""
    out = ""
    if LAST_APPLIED_ANNOTATION in annotations_of(deployment):
        out += f"{last_applied_warning(plan.deployment)}\n"
    if plan.refusal is not None and plan.refusal_kind != "already-current":
        out += f"error: {plan.refusal}\n"
    return out
