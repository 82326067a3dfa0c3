"""What the Container List shows, as pure data: columns, tones, the summary line, which engine
service a ``Service`` record is, and which engine events concern it.

Fetch and render stay apart (STYLE.md §3): the engine adapter hands over ``ContainerInfo``s, this
module turns them into cells and tones, and the Qt model in ``containers_model`` only adapts.
Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..core.services import Service
from ..ops.versions import short_digest
from ..runtimes.containers import ContainerInfo, ContainerService, EngineEvent
from .pods_columns import human_duration

# Engine event actions that change nothing the table shows: health-check probes run as execs
# every few seconds, and attach/resize come with consoles. Refreshing on them would list the
# containers again and again for nothing.
QUIET_ACTION_PREFIXES = ("exec_", "attach", "resize", "top", "export", "copy", "archive-path")
# Actions that may add a container to the service (a deploy creates one under the old name).
STRUCTURAL_ACTIONS = frozenset({"create", "rename", "destroy", "remove"})


def engine_service_name(service: Service) -> str:
    """The engine's name for the service: "project/service" for compose, else the pod or
    container name (``ContainerService.name``)."""
    return f"{service.namespace}/{service.name}" if service.namespace else service.name


def find_service(services: Iterable[ContainerService], service: Service) -> ContainerService | None:
    wanted = engine_service_name(service)
    return next((s for s in services if s.name == wanted), None)


def shown_containers(found: ContainerService | None) -> list[ContainerInfo]:
    """The service's containers as the table lists them (infra containers left out), by name."""
    if found is None:
        return []
    return sorted((c for c in found.containers if not c.infra), key=lambda c: c.name)


def concerns(event: EngineEvent, ids: set[str], names: set[str]) -> bool:
    """Whether an engine event may change what the service's table shows."""
    if event.type not in ("", "container"):
        return False
    if event.action.startswith(QUIET_ACTION_PREFIXES):
        return False
    if event.id in ids or event.name in names:
        return True
    return event.action in STRUCTURAL_ACTIONS


# -- tones -----------------------------------------------------------------------------------
def state_tone(c: ContainerInfo) -> str:
    """ "error" (red), "pending" (amber), "ok" (green) or ""."""
    if c.state in ("exited", "dead", "stopped"):
        return "error"
    if c.state in ("created", "paused", "restarting", "removing", "configured"):
        return "pending"
    if c.state == "running":
        return "error" if c.health == "unhealthy" else "ok"
    return ""


def health_tone(c: ContainerInfo) -> str:
    return {"healthy": "ok", "unhealthy": "error", "starting": "pending"}.get(c.health, "")


# -- cells -----------------------------------------------------------------------------------
def age(created: datetime | None, now: datetime) -> str:
    return human_duration((now - created).total_seconds()) if created else ""


def image_name(c: ContainerInfo) -> str:
    return c.repository or c.image


def tag_text(c: ContainerInfo) -> str:
    if c.tag:
        return c.tag
    if c.image.startswith("sha256:"):
        return "(image id)"
    return "(digest)" if "@" in c.image else ""


@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[ContainerInfo, datetime], str]
    tooltip: str = ""
    numeric: bool = False


CONTAINER_COLUMNS: tuple[Column, ...] = (
    Column("Name", lambda c, _n: c.name),
    Column("Image", lambda c, _n: image_name(c), "The image repository, registry included"),
    Column("Tag", lambda c, _n: tag_text(c)),
    Column(
        "Digest",
        lambda c, _n: short_digest(c.digest) if c.digest else "",
        "The image's registry digest (the full one in the cell's tooltip)",
    ),
    Column("State", lambda c, _n: c.state, "The engine's state; its status text in the tooltip"),
    Column("Health", lambda c, _n: "" if c.health == "none" else c.health, "HEALTHCHECK status"),
    Column("Restarts", lambda c, _n: str(c.restart_count), numeric=True),
    Column("Created", lambda c, now: age(c.created, now), "How long ago the container was made"),
    Column("Ports", lambda c, _n: c.ports_text, "host:port->container port/protocol"),
)
CONTAINER_COL = {c.header: i for i, c in enumerate(CONTAINER_COLUMNS)}
CREATED_COLUMN = CONTAINER_COL["Created"]


def tooltip(c: ContainerInfo, column: int, now: datetime | None = None) -> str | None:
    header = CONTAINER_COLUMNS[column].header
    if header == "Name":
        return f"{c.name}\nid {c.id[:12]}" + (f" · pod {c.pod}" if c.pod else "")
    if header in ("Image", "Tag"):
        return c.image or None
    if header == "Digest":
        return "\n".join(x for x in (c.digest, f"image id {c.image_id}" if c.image_id else "") if x)
    if header == "State":
        return c.status or c.state or None
    if header == "Created":
        return c.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if c.created else None
    if header == "Ports":
        return "\n".join(str(p) for p in c.ports) or None
    return None


def summary_line(rows: Sequence[ContainerInfo]) -> str:
    if not rows:
        return "No containers"
    running = sum(1 for c in rows if c.state == "running")
    parts = [f"{len(rows)} container{'s' if len(rows) != 1 else ''}", f"{running} running"]
    unhealthy = sum(1 for c in rows if c.health == "unhealthy")
    if unhealthy:
        parts.append(f"{unhealthy} unhealthy")
    stopped = sum(1 for c in rows if state_tone(c) == "error" and c.state != "running")
    if stopped:
        parts.append(f"{stopped} stopped")
    restarts = sum(c.restart_count for c in rows)
    if restarts:
        parts.append(f"{restarts} restart{'s' if restarts != 1 else ''}")
    return " · ".join(parts)
