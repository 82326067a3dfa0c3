"""Pure column specs: how a record becomes a table row (no Qt here, so they test without a
widget; the Qt models only adapt them — STYLE.md, "fetch and render are separate")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from ..core.services import Service

T = TypeVar("T")


@dataclass(frozen=True)
class Column(Generic[T]):
    header: str
    text: Callable[[T], str]
    sort_key: Callable[[T], object] | None = None  # defaults to the text
    align_right: bool = False
    attention: Callable[[T], bool] | None = None  # drawn in the warning colour when true
    tooltip: Callable[[T], str] | None = None
    width: int = 0  # initial width in px; 0 lets the header decide


def parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def age_text(text: str, now: datetime | None = None) -> str:
    """kubectl's short age ("45s", "12m", "5h", "3d") for an ISO timestamp; "" if none."""
    moment = parse_time(text)
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 2 * 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


ATTENTION_STATUSES = frozenset(
    {"Degraded", "Failed", "Progressing", "Paused", "Unhealthy", "Exited", "Restarting", "Dead"}
)


def _ready_key(s: Service) -> object:
    ready, _, desired = s.ready.partition("/")
    try:
        return (int(ready) - int(desired), int(desired))
    except ValueError:
        return (0, 0)


def _revision_key(s: Service) -> object:
    return (0, int(s.revision), "") if s.revision.isdigit() else (1, 0, s.revision)


def _ready_attention(s: Service) -> bool:
    ready, _, desired = s.ready.partition("/")
    return bool(desired) and ready != desired


SERVICE_COLUMNS: Sequence[Column[Service]] = (
    Column("Name", lambda s: s.name, width=160),
    Column("Runtime", lambda s: s.runtime.capitalize(), width=85),
    Column(
        "Context",
        lambda s: s.context,
        tooltip=lambda s: "Production context: changes ask for the name" if s.production else "",
        width=140,
    ),
    Column("Namespace", lambda s: s.namespace, width=100),
    Column("Image", lambda s: s.image, tooltip=lambda s: "\n".join(s.images) or s.image, width=260),
    Column(
        "Revision / tag", lambda s: s.revision, sort_key=_revision_key, align_right=True, width=95
    ),
    Column(
        "Ready",
        lambda s: s.ready,
        sort_key=_ready_key,
        align_right=True,
        attention=_ready_attention,
        width=60,
    ),
    Column(
        "Status", lambda s: s.status, attention=lambda s: s.status in ATTENTION_STATUSES, width=100
    ),
    Column(
        "Last change",
        lambda s: age_text(s.last_change),
        sort_key=lambda s: s.last_change,
        align_right=True,
        tooltip=lambda s: s.last_change,
        width=90,
    ),
)


def haystack(service: Service) -> str:
    """The lower-cased text the filter box searches (every column, precomputed per record)."""
    return service.search_text
