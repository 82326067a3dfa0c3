"""Following a Deployment rollout the way ``kubectl rollout status`` does (K8S_ROLLOUT_SPEC.md §4).

The runtime watches the Deployment and hands every ADDED/MODIFIED object (or ``None`` for a
DELETED event) to :func:`evaluate_rollout`; the result carries the very line kubectl would print
for that object, so what the operator reads in KIOPS Desktop and what a colleague sees in a
terminal never disagree. :func:`status_word` and :func:`status_explanation` condense the same
status and conditions (§1.11) into a word and a tooltip for the services table.

Everything works on JSON-shaped mappings with the camelCase keys the API serves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kiops_desktop.core.revisions import REVISION_ANNOTATION, annotations_of, revision_of

RolloutReason = Literal[
    "spec-not-observed",
    "updating",
    "old-pending",
    "availability",
    "complete",
    "deadline-exceeded",
    "deleted",
    "revision-mismatch",
]

StatusWord = Literal["Available", "Progressing", "Degraded", "Failed", "Paused", "Scaled to zero"]

# Condition reasons written by the Deployment controller (§1.11, deployment_util.go).
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
# The reasons under which the controller says a rollout is moving (ReplicaSetUpdated on every
# step, the other two when it first creates or adopts the new ReplicaSet).
PROGRESSING_REASONS = frozenset({"ReplicaSetUpdated", "NewReplicaSetCreated", "FoundNewReplicaSet"})

# A bar that is not done never shows full: the operator would read a full bar as "finished".
_NOT_DONE_CAP = 0.99

_GO_INT_SYNTAX = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class RolloutProgress:
    """One evaluation of the Deployment, as ``kubectl rollout status`` makes it.

    ``message`` is exactly the line kubectl prints for this state, without the trailing newline
    and, for failures, without the ``error: `` prefix kubectl adds when it prints an error.
    """

    desired: int
    updated: int
    ready: int
    available: int
    done: bool
    failed: bool
    reason: RolloutReason
    message: str
    # status.replicas: the pods of every ReplicaSet, old ones included. Defaulted so callers that
    # build a progress by hand need not know it; the fraction uses it to account for old pods.
    total: int = 0

    @property
    def fraction(self) -> float:
        """0..1 for a progress bar: 1.0 only when done, 0.0 when there is nothing to show.

        ``(new replicas updated + new replicas available) / (2 * desired + old replicas left)``:
        creating a new pod, its becoming available and an old pod going away each raise it, so
        the bar moves forward through a rolling update. Until the controller has observed the
        new spec the status still describes the previous rollout, so the bar waits at 0 instead
        of showing the old (complete) numbers; a failure keeps the bar where the rollout stuck.
        """
        if self.done:
            return 1.0
        if self.reason in ("spec-not-observed", "deleted", "revision-mismatch"):
            return 0.0
        desired = max(self.desired, 0)
        updated = max(self.updated, 0)
        new_updated = min(updated, desired)
        old = max(self.total - updated, 0)
        # availableReplicas counts old pods too and the Deployment's status has no per-ReplicaSet
        # split, so take the lower bound (every old pod available): a crash-looping new pod must
        # not move the bar just because the old pods keep serving.
        new_available = min(max(self.available - old, 0), updated, desired)
        denominator = 2 * desired + old
        if denominator == 0:
            return 0.0
        value = (new_updated + new_available) / denominator
        return min(max(value, 0.0), _NOT_DONE_CAP)


def evaluate_rollout(
    deployment: Mapping[str, Any] | None, *, revision: int | None = None
) -> RolloutProgress:
    """``DeploymentStatusViewer.Status`` from kubectl (§4.1), branch for branch.

    ``deployment`` is the object of an ADDED/MODIFIED watch event; ``None`` stands for a DELETED
    event (kubectl: ``error: object has been deleted``). ``revision`` is ``--revision``: only a
    value above 0 pins the rollout to that revision, as in kubectl.
    """
    if deployment is None:
        return RolloutProgress(0, 0, 0, 0, False, True, "deleted", "object has been deleted")

    name = _go_quote(str(_metadata(deployment).get("name") or ""))
    spec = _mapping(deployment.get("spec"))
    status = _mapping(deployment.get("status"))
    # kubectl skips the updated-vs-desired test when spec.replicas is nil; the API server always
    # defaults it to 1, so that is the number a progress bar should count against.
    spec_replicas = _int_or_none(spec.get("replicas"))
    desired = 1 if spec_replicas is None else spec_replicas
    updated = _int(status.get("updatedReplicas"))
    replicas = _int(status.get("replicas"))
    available = _int(status.get("availableReplicas"))

    def progress(reason: RolloutReason, message: str, *, done: bool = False) -> RolloutProgress:
        failed = reason in ("deadline-exceeded", "revision-mismatch")
        return RolloutProgress(
            desired=desired,
            updated=updated,
            ready=_int(status.get("readyReplicas")),
            available=available,
            done=done,
            failed=failed,
            reason=reason,
            message=message,
            total=replicas,
        )

    if revision is not None and revision > 0:
        running = _running_revision(deployment)
        if isinstance(running, str):
            return progress(
                "revision-mismatch", f"cannot get the revision of deployment {name}: {running}"
            )
        if running != revision:
            return progress(
                "revision-mismatch",
                f"desired revision ({revision}) is different from the running revision ({running})",
            )

    generation = _int(_metadata(deployment).get("generation"))
    if generation > _int(status.get("observedGeneration")):
        return progress("spec-not-observed", "Waiting for deployment spec update to be observed...")

    # Only the reason counts, not the status, exactly like kubectl's check.
    progressing = _condition(status, "Progressing")
    if progressing is not None and progressing.get("reason") == TIMED_OUT_REASON:
        return progress("deadline-exceeded", f"deployment {name} exceeded its progress deadline")
    waiting = f"Waiting for deployment {name} rollout to finish: "
    if spec_replicas is not None and updated < spec_replicas:
        return progress(
            "updating",
            f"{waiting}{updated} out of {spec_replicas} new replicas have been updated...",
        )
    if replicas > updated:
        return progress(
            "old-pending", f"{waiting}{replicas - updated} old replicas are pending termination..."
        )
    if available < updated:
        return progress(
            "availability", f"{waiting}{available} of {updated} updated replicas are available..."
        )
    return progress("complete", f"deployment {name} successfully rolled out", done=True)


def status_word(deployment: Mapping[str, Any]) -> StatusWord:
    """One word for the services table. The first rule that holds wins:

    1. **Failed** — the ``Progressing`` condition has reason ``ProgressDeadlineExceeded`` or status
       ``False`` (the controller's only other False reason is ``ReplicaSetCreateError``), or a
       ``ReplicaFailure`` condition is ``True`` (e.g. pods refused by a quota).
    2. **Paused** — ``spec.paused`` is true.
    3. **Progressing** — the rollout is not complete: the controller has not observed the latest
       generation yet, or ``updatedReplicas < spec.replicas``, or old replicas are still pending
       (``status.replicas > updatedReplicas``), or the ``Progressing`` reason is
       ``ReplicaSetUpdated``/``NewReplicaSetCreated``/``FoundNewReplicaSet`` while
       ``unavailableReplicas > 0``.
    4. **Scaled to zero** — ``spec.replicas`` is 0 (and nothing is left to wind down).
    5. **Degraded** — the ``Available`` condition is ``False`` or ``availableReplicas <
       spec.replicas``: the rollout is over but pods have since gone away or never came up.
    6. **Available** — otherwise.

    Failed comes before Paused because a deadline that expired before the pause stays expired and
    is the more urgent news; Scaled to zero comes before Degraded because zero wanted replicas
    cannot be too few.
    """
    spec = _mapping(deployment.get("spec"))
    status = _mapping(deployment.get("status"))
    progressing = _condition(status, "Progressing")
    if progressing is not None and (
        progressing.get("reason") == TIMED_OUT_REASON or progressing.get("status") == "False"
    ):
        return "Failed"
    replica_failure = _condition(status, "ReplicaFailure")
    if replica_failure is not None and replica_failure.get("status") == "True":
        return "Failed"
    if spec.get("paused") is True:
        return "Paused"
    if _rollout_in_progress(deployment):
        return "Progressing"
    desired = _desired(spec)
    if desired == 0:
        return "Scaled to zero"
    available_condition = _condition(status, "Available")
    if (available_condition is not None and available_condition.get("status") == "False") or (
        _int(status.get("availableReplicas")) < desired
    ):
        return "Degraded"
    return "Available"


def status_explanation(deployment: Mapping[str, Any]) -> str:
    """One sentence for the tooltip of :func:`status_word`, built from status and conditions."""
    word = status_word(deployment)
    spec = _mapping(deployment.get("spec"))
    status = _mapping(deployment.get("status"))
    desired = _desired(spec)
    available = _int(status.get("availableReplicas"))
    progressing = _condition(status, "Progressing")
    if word == "Failed":
        failure = progressing
        if failure is None or not (
            failure.get("reason") == TIMED_OUT_REASON or failure.get("status") == "False"
        ):
            failure = _condition(status, "ReplicaFailure")
        detail = _clause((failure or {}).get("message")) or _clause((failure or {}).get("reason"))
        if (failure or {}).get("reason") == TIMED_OUT_REASON:
            return f"Rollout exceeded its progress deadline: {detail or 'no progress'}."
        return f"Rollout failed: {detail or 'the controller reported a failure'}."
    if word == "Paused":
        return (
            f"Rollout is paused with {available} of {desired} replicas available; template "
            "changes wait until it is resumed."
        )
    if word == "Progressing":
        return f"Rollout in progress: {_progress_clause(deployment)}."
    if word == "Scaled to zero":
        return "Scaled to zero replicas: no pods are wanted."
    if word == "Degraded":
        available_condition = _condition(status, "Available")
        why = _clause((available_condition or {}).get("message"))
        suffix = f" ({why})" if why else ""
        return f"Only {available} of {desired} replicas are available{suffix}."
    why = _clause((progressing or {}).get("message"))
    suffix = f" ({why})" if why else ""
    return f"All {desired} replicas are updated and available{suffix}."


# --------------------------------------------------------------------------------- helpers


def _rollout_in_progress(deployment: Mapping[str, Any]) -> bool:
    spec = _mapping(deployment.get("spec"))
    status = _mapping(deployment.get("status"))
    if _int(_metadata(deployment).get("generation")) > _int(status.get("observedGeneration")):
        return True
    updated = _int(status.get("updatedReplicas"))
    if updated < _desired(spec) or _int(status.get("replicas")) > updated:
        return True
    progressing = _condition(status, "Progressing")
    return (
        progressing is not None
        and progressing.get("reason") in PROGRESSING_REASONS
        and _int(status.get("unavailableReplicas")) > 0
    )


def _progress_clause(deployment: Mapping[str, Any]) -> str:
    """The step the rollout is at, in words (kubectl's waiting messages, reworded for a
    tooltip)."""
    result = evaluate_rollout(deployment)
    if result.reason == "spec-not-observed":
        return "waiting for the controller to observe the new spec"
    if result.reason == "updating":
        return f"{result.updated} of {result.desired} new replicas updated"
    if result.reason == "old-pending":
        return f"{result.total - result.updated} old replicas pending termination"
    if result.reason == "availability":
        return f"{result.available} of {result.updated} updated replicas available"
    # kubectl would call this done, yet the controller still reports unavailable pods.
    unavailable = _int(_mapping(deployment.get("status")).get("unavailableReplicas"))
    return f"{unavailable} replicas not yet available"


def _running_revision(deployment: Mapping[str, Any]) -> int | str:
    """``deploymentutil.Revision``: the annotation as int64 (missing = 0), or Go's error text."""
    text = annotations_of(deployment).get(REVISION_ANNOTATION)
    value = revision_of(deployment)
    # fullmatch as well: a regex ``$`` would accept a trailing newline that ParseInt rejects.
    if text is None or (value is not None and _GO_INT_SYNTAX.fullmatch(text)):
        return value if value is not None else 0
    text = str(text)
    why = "value out of range" if _GO_INT_SYNTAX.fullmatch(text) else "invalid syntax"
    return f"strconv.ParseInt: parsing {_go_quote(text)}: {why}"


def _condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    """The first condition of that type, as ``GetDeploymentCondition`` returns it."""
    for cond in status.get("conditions") or ():
        if isinstance(cond, Mapping) and cond.get("type") == kind:
            return cond
    return None


def _desired(spec: Mapping[str, Any]) -> int:
    value = _int_or_none(spec.get("replicas"))
    return 1 if value is None else value


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(obj.get("metadata"))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int_or_none(value: Any) -> int | None:
    # bool is an int in Python but never a count in the API.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _int(value: Any) -> int:
    """A status count; absent means 0 because the API omits zero-valued ints."""
    number = _int_or_none(value)
    return 0 if number is None else number


def _clause(text: Any) -> str:
    """A condition message ready to sit inside a sentence: trimmed, without its final period."""
    if not isinstance(text, str):
        return ""
    return text.strip().rstrip(".").strip()


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _go_quote(text: str) -> str:
    """Go's ``%q`` / ``strconv.Quote``: the messages quote names with it. Python's
    ``isprintable`` and Go's ``unicode.IsPrint`` agree on what needs escaping."""
    out = ['"']
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)
