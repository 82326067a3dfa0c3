"""The small interface every container engine adapter (Docker, Podman) offers to ``ops``.

All methods block (socket I/O): callers run them off the UI thread. Failures are the typed
errors of ``runtimes.errors``. ``inspect`` always returns the *Docker-shaped* inspect JSON (Podman
serves it on its Docker-compatible endpoint), so backups and ``create_like`` read one shape.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kiops_desktop.core.images import ImageVersion

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"


@dataclass(frozen=True)
class EngineInfo:
    name: str  # "docker" | "podman"
    version: str
    api_version: str


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    image: str  # the reference the container was created from
    image_id: str
    state: str  # running, exited, created, ...
    status: str  # the engine's human text, e.g. "Up 3 minutes"
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerService:
    """Containers grouped like compose does (project/service labels); else one per container."""

    name: str  # "project/service", or the container name
    project: str | None
    containers: tuple[ContainerInfo, ...]


@runtime_checkable
class ContainerEngine(Protocol):
    name: str  # "docker" | "podman"
    connection: str  # the socket/URL or context name the adapter talks to

    def close(self) -> None: ...
    def info(self) -> EngineInfo: ...
    def list_services(self) -> list[ContainerService]: ...
    def inspect(self, container: str) -> dict[str, Any]: ...
    def logs(self, container: str, tail: int = 200) -> str: ...
    def local_images(self, repository: str) -> list[ImageVersion]: ...
    def image_id(self, reference: str) -> str | None: ...
    def image_config(self, image: str) -> dict[str, Any] | None: ...
    def repo_digests(self, image: str) -> list[str]: ...
    def pull(self, reference: str) -> str: ...
    def create_like(self, inspect: dict[str, Any], image: str, name: str) -> str: ...
    def start(self, container: str) -> None: ...
    def stop(self, container: str, timeout: int = 10) -> None: ...
    def rename(self, container: str, new_name: str) -> None: ...
    def remove(self, container: str) -> None: ...
    def exists(self, container: str) -> bool: ...
    def reset_volume(self, name: str) -> None: ...
    def remove_volume(self, name: str) -> None: ...
    def wait_healthy(self, container: str, timeout: float) -> str: ...
    def archive_get(self, container: str, path: str) -> Iterator[bytes]: ...
    def archive_put(self, container: str, path: str, data: bytes | Iterable[bytes]) -> None: ...


def container_info(entry: Mapping[str, Any]) -> ContainerInfo:
    """One entry of the Docker-compatible container list (Docker, and Podman's compat API)."""
    return ContainerInfo(
        id=entry["Id"],
        name=(entry.get("Names") or ["/" + entry["Id"][:12]])[0].lstrip("/"),
        image=entry.get("Image", ""),
        image_id=entry.get("ImageID", ""),
        state=entry.get("State", ""),
        status=entry.get("Status", ""),
        labels=entry.get("Labels") or {},
    )


def group_services(containers: Iterable[ContainerInfo]) -> list[ContainerService]:
    """Group by compose project/service labels; a container without them is its own service."""
    groups: dict[tuple[str | None, str], list[ContainerInfo]] = {}
    for c in containers:
        project, service = c.labels.get(COMPOSE_PROJECT), c.labels.get(COMPOSE_SERVICE)
        key = (project, f"{project}/{service}") if project and service else (None, c.name)
        groups.setdefault(key, []).append(c)
    return [
        ContainerService(name=name, project=project, containers=tuple(items))
        for (project, name), items in sorted(groups.items(), key=lambda kv: kv[0][1])
    ]


# Config keys whose value, when equal to the old image's default, was inherited from the image
# and not chosen by the operator: those must come from the *new* image instead, or a redeploy
# would silently keep running the old image's command/env.
_INHERITABLE = ("Cmd", "Entrypoint", "WorkingDir", "User", "Healthcheck", "StopSignal")


def create_config_like(
    inspect: dict[str, Any], image: str, old_image_config: dict[str, Any] | None
) -> dict[str, Any]:
    """The create-request body that reproduces a container from its inspect JSON on ``image``.

    Everything the operator set (env, cmd, entrypoint, labels, mounts, ports, network mode,
    restart policy, healthcheck, user, working dir, resources) is kept; values that merely
    echo the old image's defaults are dropped so the new image's defaults apply.
    """
    config = copy.deepcopy(inspect.get("Config") or {})
    host = copy.deepcopy(inspect.get("HostConfig") or {})
    base = old_image_config or {}
    config["Image"] = image
    # The hostname defaults to the short container id: a copied one would name the old container.
    if inspect.get("Id", "").startswith(config.get("Hostname") or "\0"):
        config.pop("Hostname", None)
    for key in _INHERITABLE:
        if key in config and base and config[key] == base.get(key):
            config.pop(key)
    if base:
        image_env = set(base.get("Env") or [])
        config["Env"] = [e for e in config.get("Env") or [] if e not in image_env]
        image_labels = base.get("Labels") or {}
        config["Labels"] = {
            k: v for k, v in (config.get("Labels") or {}).items() if image_labels.get(k) != v
        }
        image_volumes = base.get("Volumes") or {}
        config["Volumes"] = {
            k: v for k, v in (config.get("Volumes") or {}).items() if k not in image_volumes
        }
        image_ports = base.get("ExposedPorts") or {}
        config["ExposedPorts"] = {
            k: v for k, v in (config.get("ExposedPorts") or {}).items() if k not in image_ports
        }
    config["HostConfig"] = host
    # Keep user networks (not the default ones, implied by NetworkMode) with their aliases.
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    mode = host.get("NetworkMode") or ""
    endpoints = {
        net: {"Aliases": ep.get("Aliases")}
        for net, ep in networks.items()
        if net not in ("bridge", "host", "none", "default", "podman") and net == mode
    }
    if endpoints:
        config["NetworkingConfig"] = {"EndpointsConfig": endpoints}
    return config


def named_volumes(inspect: dict[str, Any]) -> list[dict[str, str]]:
    """Mounts of the container as ``{"type", "name", "destination", "source"}``."""
    out = []
    for m in inspect.get("Mounts") or []:
        out.append(
            {
                "type": str(m.get("Type", "")),
                "name": str(m.get("Name") or ""),
                "destination": str(m.get("Destination", "")),
                "source": str(m.get("Source", "")),
            }
        )
    return out
