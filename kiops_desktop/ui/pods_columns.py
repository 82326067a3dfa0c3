"""What the Pod List shows, as pure data: rows, columns, ages and "needs attention" rules.

Fetch and render stay apart (STYLE.md §3): the runtime hands over pod objects and summaries,
this module turns them into cells and tones, and the Qt models in ``pods_model`` only adapt.
Nothing here imports Qt, so the rules can be read (and tested) without a widget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..core.workloads import PodSummary

# Waiting/terminated reasons that mean "this container is failing": shown in red.
FAILING_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "PreStartHookError",
        "PostStartHookError",
        "OOMKilled",
        "Error",
        "Failed",
        "Evicted",
        "ContainerStatusUnknown",
    }
)
# Reasons that mean "on its way": shown in amber.
STARTING_REASONS = frozenset(
    {"Pending", "ContainerCreating", "PodInitializing", "Terminating", "Unknown"}
)


@dataclass(frozen=True)
class PodRow:
    """One row of the Pod List: the runtime's summary plus what the table needs beside it."""

    summary: PodSummary
    containers: tuple[str, ...]  # regular containers first, then init containers
    init_containers: tuple[str, ...] = ()
    current: bool = False  # belongs to the deployment's new (current) ReplicaSet

    @property
    def name(self) -> str:
        return self.summary.name


@dataclass(frozen=True)
class ReplicaSetInfo:
    """What the table knows about the deployment's ReplicaSets: revision by name, the new one."""

    revisions: Mapping[str, int]
    current: str  # name of the new ReplicaSet, "" while there is none

    def revision_of(self, replica_set: str) -> int | None:
        return self.revisions.get(replica_set)


NO_REPLICA_SETS = ReplicaSetInfo({}, "")


def container_names(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    spec = pod.get("spec") or {}
    regular = tuple(str(c.get("name") or "") for c in spec.get("containers") or [])
    init = tuple(str(c.get("name") or "") for c in spec.get("initContainers") or [])
    return regular, init


def make_row(summary: PodSummary, pod: Mapping[str, Any], info: ReplicaSetInfo) -> PodRow:
    """A row from the pod object and the latest ReplicaSet facts.

    The revision comes from ``info`` rather than the summary: a watch event carries only the
    pod, and a rollback renumbers an old ReplicaSet without touching its pods.
    """
    regular, init = container_names(pod)
    revision = info.revision_of(summary.replica_set)
    if revision is not None and revision != summary.revision:
        summary = replace(summary, revision=revision)
    return PodRow(
        summary=summary,
        containers=regular + init,
        init_containers=init,
        current=bool(info.current) and summary.replica_set == info.current,
    )


def with_info(row: PodRow, info: ReplicaSetInfo) -> PodRow:
    """The same pod re-read against newer ReplicaSet facts (after a rollout or a rollback)."""
    revision = info.revision_of(row.summary.replica_set)
    summary = row.summary
    if revision != summary.revision and revision is not None:
        summary = replace(summary, revision=revision)
    current = bool(info.current) and summary.replica_set == info.current
    if summary is row.summary and current == row.current:
        return row
    return replace(row, summary=summary, current=current)


# -- time ------------------------------------------------------------------------------------
def parse_time(text: str) -> datetime | None:
    """RFC 3339 as the API server writes it (``2024-05-01T10:00:00Z``, maybe with fractions)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def human_duration(seconds: float) -> str:
    """kubectl's ``duration.HumanDuration`` (the AGE column), so the two read the same.

    A negative age (the laptop's clock behind the cluster's) shows as "0s" rather than kubectl's
    "<invalid>": the operator cannot fix the cluster's clock from here.
    """
    s = int(seconds)
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age_text(timestamp: str, now: datetime) -> str:
    when = parse_time(timestamp)
    if when is None:
        return ""
    return human_duration((now - when).total_seconds())


# -- tones -----------------------------------------------------------------------------------
def status_tone(pod: PodSummary) -> str:
    """ "error" (red), "pending" (amber), "ok" (green) or "" (no colour: e.g. Succeeded)."""
    status = pod.status_text
    if status in FAILING_REASONS or pod.phase == "Failed":
        return "error"
    if pod.terminating or status in STARTING_REASONS or pod.waiting_reason:
        return "pending"
    if pod.phase == "Running":
        return "ok" if pod.containers and pod.ready == pod.containers else "pending"
    return ""


def event_tone(event_type: str) -> str:
    return "" if event_type in ("", "Normal") else "warning"


# -- columns ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[PodRow, datetime], str]
    tooltip: str = ""
    numeric: bool = False


def _replica_set_text(row: PodRow, _now: datetime) -> str:
    # The pod's name already starts with the ReplicaSet's: the hash alone tells them apart
    # (the full name is in the tooltip).
    s = row.summary
    if not s.replica_set:
        return ""
    revision = f"#{s.revision}" if s.revision else "#?"
    short = s.pod_template_hash or s.replica_set
    return f"{revision} · {short}" + ("  (new)" if row.current else "")


POD_COLUMNS: tuple[Column, ...] = (
    Column("Name", lambda r, _n: r.summary.name),
    Column(
        "ReplicaSet",
        _replica_set_text,
        "Revision and ReplicaSet the pod belongs to; (new) marks the deployment's current one",
    ),
    Column("Status", lambda r, _n: r.summary.status_text, "Phase, or why a container waits"),
    Column("Ready", lambda r, _n: r.summary.ready_text, "Ready containers / containers"),
    Column("Restarts", lambda r, _n: str(r.summary.restarts), numeric=True),
    Column("Age", lambda r, now: age_text(r.summary.created, now)),
    Column("Node", lambda r, _n: r.summary.node),
    Column("Image", lambda r, _n: ", ".join(r.summary.images)),
)
POD_COL = {c.header: i for i, c in enumerate(POD_COLUMNS)}
AGE_COLUMN = POD_COL["Age"]

# The message goes last: it is the long one, and the last column stretches to the edge.
EVENT_HEADERS: tuple[str, ...] = ("Last seen", "Type", "Reason", "Object", "Count", "Message")
EVENT_COL = {h: i for i, h in enumerate(EVENT_HEADERS)}


def pod_sort_key(row: PodRow) -> tuple[str]:
    """kubectl lists pods by name; so does the table until the operator sorts by a column."""
    return (row.summary.name,)


def summary_line(rows: Sequence[PodRow]) -> str:
    if not rows:
        return "No pods"
    ready = sum(1 for r in rows if r.summary.containers and r.summary.ready == r.summary.containers)
    failing = sum(1 for r in rows if status_tone(r.summary) == "error")
    restarts = sum(r.summary.restarts for r in rows)
    parts = [f"{len(rows)} pod{'s' if len(rows) != 1 else ''}", f"{ready} ready"]
    if failing:
        parts.append(f"{failing} failing")
    if restarts:
        parts.append(f"{restarts} restart{'s' if restarts != 1 else ''}")
    return " · ".join(parts)
