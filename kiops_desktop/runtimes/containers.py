"""The small interface every container engine adapter (Docker, Podman) offers to ``ops``.

All methods block (socket I/O): callers run them off the UI thread. Failures are the typed
errors of ``runtimes.errors``. ``inspect`` always returns the *Docker-shaped* inspect JSON (Podman
serves it on its Docker-compatible endpoint), so backups and ``create_like`` read one shape.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import socket
import struct
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, Literal, Protocol, Self, TypeVar, runtime_checkable

from kiops_desktop.core.images import ImageRefError, ImageVersion, parse_image_ref
from kiops_desktop.runtimes.registry import RegistryCredentials

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"

Health = Literal["healthy", "unhealthy", "starting", "none"]
ServiceKind = Literal["compose", "pod", "container"]
T = TypeVar("T")


@dataclass(frozen=True)
class EngineInfo:
    name: str  # "docker" | "podman"
    version: str
    api_version: str


@dataclass(frozen=True)
class PortMapping:
    """One published (or merely exposed) port; ``str()`` is Docker's ``ps`` text."""

    container_port: int
    protocol: str = "tcp"
    host_port: int | None = None  # None: exposed, not published
    host_ip: str = ""

    def __str__(self) -> str:
        inner = f"{self.container_port}/{self.protocol}"
        if self.host_port is None:
            return inner
        host = f"{self.host_ip}:" if self.host_ip else ""
        return f"{host}{self.host_port}->{inner}"


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    image: str  # the reference the container was created from
    image_id: str
    state: str  # running, exited, created, ...
    status: str  # the engine's human text, e.g. "Up 3 minutes"
    labels: dict[str, str] = field(default_factory=dict)
    repository: str = ""  # of ``image``, registry included ("" when created from a bare id)
    tag: str | None = None
    digest: str | None = None  # the repo digest ("sha256:…") when known
    health: Health = "none"
    created: datetime | None = None  # UTC
    restart_count: int = 0
    ports: tuple[PortMapping, ...] = ()
    pod: str | None = None  # Podman: the pod's name
    infra: bool = False  # Podman: the pod's infra (pause) container

    @property
    def ports_text(self) -> str:
        return ", ".join(str(p) for p in self.ports)


@dataclass(frozen=True)
class ContainerService:
    """Containers grouped like compose does (project/service labels); Podman pods; else one per
    container."""

    name: str  # "project/service", the pod name, or the container name
    project: str | None
    containers: tuple[ContainerInfo, ...]
    kind: ServiceKind = "container"
    pod: str | None = None  # kind "pod": the pod's name


@runtime_checkable
class ContainerEngine(Protocol):
    name: str  # "docker" | "podman"
    connection: str  # the socket/URL or context name the adapter talks to

    def close(self) -> None: ...
    def info(self) -> EngineInfo: ...
    def list_containers(self) -> list[ContainerInfo]: ...
    def list_services(self) -> list[ContainerService]: ...
    def inspect(self, container: str) -> dict[str, Any]: ...
    def logs(self, container: str, tail: int = 200) -> str: ...
    def follow_logs(self, container: str, tail: int | None = 200) -> LogFollow: ...
    def follow_events(self, types: Sequence[str] = ("container",)) -> EventFollow: ...
    def local_images(self, repository: str) -> list[ImageVersion]: ...
    def image_id(self, reference: str) -> str | None: ...
    def image_config(self, image: str) -> dict[str, Any] | None: ...
    def repo_digests(self, image: str) -> list[str]: ...
    def pull(self, reference: str, credentials: RegistryCredentials | None = None) -> str: ...
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
    def archive_put(self, container: str, path: str, data: bytes | BinaryIO) -> None: ...
    def probe_path(self, container: str, path: str) -> PathProbe | None: ...


# --------------------------------------------------------------------------- path probes


@dataclass(frozen=True)
class PathProbe:
    """What the engine says about a path inside a container (its ``HEAD .../archive`` stat):
    enough to tell whether a directory on this machine *is* that path (``host_volumes``)."""

    mtime_ns: int  # nanoseconds since the epoch (the engine's stat is nanosecond-exact)
    is_dir: bool
    perm: int  # permission bits, 0o777


GO_MODE_DIR = 1 << 31  # Go's os.ModeDir, as the engines' path stat reports it
PATH_STAT_HEADER = "X-Docker-Container-Path-Stat"
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def rfc3339_ns(text: str) -> int | None:
    """``2026-11-29T22:42:59.305380415Z`` (or with an offset) -> ns since the epoch; None if
    the text is not that shape. ``datetime`` keeps only microseconds, so the fraction is read
    apart."""
    m = _RFC3339.match(text.strip())
    if not m:
        return None
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    try:
        whole = datetime.fromisoformat(m.group(1) + zone)
    except ValueError:
        return None
    fraction = int((m.group(2) or "0")[:9].ljust(9, "0"))
    return int(whole.timestamp()) * 1_000_000_000 + fraction


def parse_path_probe(encoded_stat: str | None) -> PathProbe | None:
    """The engine's ``X-Docker-Container-Path-Stat`` header (base64 JSON) -> a probe; None
    when it is missing or malformed."""
    if not encoded_stat:
        return None
    try:
        stat = json.loads(base64.b64decode(encoded_stat))
        mode = int(stat.get("mode", 0))
    except (TypeError, ValueError, AttributeError):
        return None
    mtime_ns = rfc3339_ns(str(stat.get("mtime", "")))
    if mtime_ns is None:
        return None
    return PathProbe(mtime_ns=mtime_ns, is_dir=bool(mode & GO_MODE_DIR), perm=mode & 0o777)


# --------------------------------------------------------------------------- container lists


def parse_time(value: Any) -> datetime | None:
    """Engine times: unix seconds (Docker's list), RFC 3339 with nanoseconds (inspect, libpod)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC) if value > 0 else None
    if not isinstance(value, str) or not value or value.startswith("0001-"):
        return None
    # Python takes at most microseconds and no "Z" before 3.11's fromisoformat: trim to fit.
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$", value.strip())
    if not m:
        return None
    frac = (m.group(2) or "")[:7]
    zone = m.group(3) or "Z"
    try:
        parsed = datetime.fromisoformat(m.group(1) + frac + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def parse_ports(ports: Any) -> tuple[PortMapping, ...]:
    """Docker's list ``Ports`` ({IP, PrivatePort, PublicPort, Type}) or libpod's
    ({host_ip, container_port, host_port, range, protocol}); a libpod range becomes one mapping
    per port, as Docker lists them."""
    out: list[PortMapping] = []
    for p in ports or []:
        if not isinstance(p, Mapping):
            continue
        if "PrivatePort" in p:
            out.append(
                PortMapping(
                    container_port=int(p["PrivatePort"]),
                    protocol=str(p.get("Type") or "tcp"),
                    host_port=int(p["PublicPort"]) if p.get("PublicPort") else None,
                    host_ip=str(p.get("IP") or "") if p.get("PublicPort") else "",
                )
            )
        elif "container_port" in p:
            host_port = int(p.get("host_port") or 0)
            for i in range(max(int(p.get("range") or 1), 1)):
                out.append(
                    PortMapping(
                        container_port=int(p["container_port"]) + i,
                        protocol=str(p.get("protocol") or "tcp"),
                        host_port=host_port + i if host_port else None,
                        host_ip=str(p.get("host_ip") or "") if host_port else "",
                    )
                )
    # The engines list IPv4 and IPv6 bindings of one port separately and in no fixed order.
    unique = dict.fromkeys(out)
    return tuple(sorted(unique, key=lambda m: (m.container_port, m.protocol, m.host_ip)))


def _health(state: Mapping[str, Any], status_text: str) -> Health:
    value = str((state.get("Health") or {}).get("Status") or "")
    if value in ("healthy", "unhealthy", "starting"):
        return value  # type: ignore[return-value]  # narrowed by the membership test
    # Docker's list text says "(healthy)", "(unhealthy)" or "(health: starting)".
    m = re.search(r"\((healthy|unhealthy|health: starting)\)", status_text)
    if m:
        word = m.group(1).removeprefix("health: ")
        return word  # type: ignore[return-value]
    return "none"


def _human_duration(seconds: float) -> str:
    """Docker's ``units.HumanDuration`` wording, for engines that give no status text."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(s / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def status_text(state: Mapping[str, Any], now: datetime | None = None) -> str:
    """Docker's ``ps`` STATUS text from an inspect ``State`` (libpod's list has none)."""
    now = now or datetime.now(UTC)
    status = str(state.get("Status") or "")
    started, finished = parse_time(state.get("StartedAt")), parse_time(state.get("FinishedAt"))
    if status in ("running", "paused") and started:
        text = f"Up {_human_duration((now - started).total_seconds())}"
        if status == "paused":
            return text + " (Paused)"
        health = _health(state, "")
        if health == "starting":
            return text + " (health: starting)"
        return text + (f" ({health})" if health != "none" else "")
    if status in ("exited", "stopped", "dead") and finished:
        ago = _human_duration((now - finished).total_seconds())
        return f"Exited ({state.get('ExitCode', 0)}) {ago} ago"
    return status.capitalize()


def pick_digest(
    repository: str, repo_digests: Sequence[str], pinned: str | None = None
) -> str | None:
    """The digest to show for an image: the one the reference pins, else the repo digest of
    the same repository, else any repo digest the image has (the manifest pushed elsewhere)."""
    if pinned:
        return pinned
    bare = repository.removeprefix("localhost/")
    fallback = None
    for entry in repo_digests:
        repo, _, digest = entry.partition("@")
        if not digest:
            continue
        if repo.removeprefix("localhost/") == bare:
            return digest
        fallback = fallback or digest
    return fallback


def container_info(
    entry: Mapping[str, Any],
    inspect: Mapping[str, Any] | None = None,
    *,
    repo_digests: Mapping[str, Sequence[str]] | None = None,
) -> ContainerInfo:
    """One entry of a container list (Docker's, Podman's compat or libpod one), completed by the
    container's Docker-shaped inspect (health, restart count, precise created time) and the
    engine's repo digests by image id, when the caller has them."""
    ins = inspect or {}
    state = ins.get("State") if isinstance(ins.get("State"), Mapping) else {}
    assert isinstance(state, Mapping)
    cid = str(entry.get("Id") or ins.get("Id") or "")
    names = entry.get("Names") or [str(ins.get("Name") or "/" + cid[:12])]
    image = str((ins.get("Config") or {}).get("Image") or entry.get("Image") or "")
    image_id = str(entry.get("ImageID") or ins.get("Image") or "")
    if image_id and ":" not in image_id:
        image_id = f"sha256:{image_id}"  # libpod lists bare hex ids
    repository, tag, pinned = "", None, None
    if image and not image.startswith("sha256:"):
        with contextlib.suppress(ImageRefError):
            ref = parse_image_ref(image)
            repository, tag, pinned = ref.name, ref.tag, ref.digest
    digests = (repo_digests or {}).get(image_id, ())
    # libpod's list (the one with "IsInfra") has no ps text: its Status is "" or the health.
    status = "" if "IsInfra" in entry else str(entry.get("Status") or "")
    state_word = str(entry.get("State") or state.get("Status") or "")
    if not status and state:
        status = status_text(state)
    return ContainerInfo(
        id=cid,
        name=str(names[0]).lstrip("/"),
        image=image,
        image_id=image_id,
        state=state_word,
        status=status,
        labels=dict(entry.get("Labels") or (ins.get("Config") or {}).get("Labels") or {}),
        repository=repository,
        tag=tag,
        digest=pick_digest(repository, digests, pinned),
        health=_health(state, status),
        created=parse_time(ins.get("Created")) or parse_time(entry.get("Created")),
        restart_count=int(ins.get("RestartCount") or entry.get("Restarts") or 0),
        ports=parse_ports(entry.get("Ports")),
        pod=str(entry.get("PodName")) if entry.get("PodName") else None,
        infra=bool(entry.get("IsInfra")),
    )


def repo_digests_by_id(images: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{image id: RepoDigests}`` from an image list (one call for all containers' digests)."""
    out: dict[str, list[str]] = {}
    for img in images:
        image_id = str(img.get("Id") or "")
        if image_id and ":" not in image_id:
            image_id = f"sha256:{image_id}"
        out[image_id] = [str(d) for d in img.get("RepoDigests") or []]
    return out


def group_services(containers: Iterable[ContainerInfo]) -> list[ContainerService]:
    """Services, sorted by name: containers with compose project/service labels by those (so
    podman-compose's pods group like Docker's compose projects), other containers of a Podman
    pod as that pod (its infra container left out), and any other container on its own."""
    groups: dict[tuple[ServiceKind, str | None, str], list[ContainerInfo]] = {}
    for c in containers:
        project, service = c.labels.get(COMPOSE_PROJECT), c.labels.get(COMPOSE_SERVICE)
        key: tuple[ServiceKind, str | None, str]
        if project and service:
            key = ("compose", project, f"{project}/{service}")
        elif c.pod:
            if c.infra:
                continue
            key = ("pod", None, c.pod)
        elif c.infra:
            continue
        else:
            key = ("container", None, c.name)
        groups.setdefault(key, []).append(c)
    return [
        ContainerService(
            name=name,
            project=project,
            containers=tuple(sorted(items, key=lambda c: c.name)),
            kind=kind,
            pod=name if kind == "pod" else None,
        )
        for (kind, project, name), items in sorted(groups.items(), key=lambda kv: kv[0][2])
    ]


# --------------------------------------------------------------------------- followed logs


class _StreamFollow:
    """A streaming engine response that ``stop()`` ends from any thread (shared by followed logs
    and followed events)."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self._stopped = threading.Event()
        self._sock = _response_socket(response)
        if self._sock is not None:
            # A followed stream may stay quiet for longer than the client's read timeout.
            with contextlib.suppress(OSError):
                self._sock.settimeout(None)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _chunks(self) -> Iterator[bytes]:
        raw = self._response.raw
        if getattr(raw, "chunked", False):
            yield from raw.read_chunked(decode_content=False)
        else:
            yield from raw.stream(4096, decode_content=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _until_stopped(self, items: Iterator[T]) -> Iterator[T]:
        """``items`` (read from ``_chunks``) until the end of the stream or ``stop()``."""
        try:
            for item in items:
                if self._stopped.is_set():
                    return
                yield item
        except Exception:
            # stop() shuts the socket down under the reading thread; that ends the stream.
            if not self._stopped.is_set():
                raise
        finally:
            with contextlib.suppress(Exception):
                self._response.close()

    def stop(self) -> None:
        """End the stream now (safe from any thread, and more than once)."""
        self._stopped.set()
        if self._sock is not None:
            # close() alone does not wake a thread blocked in recv(); shutdown does.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self._response.close()


class LogFollow(_StreamFollow):
    """Followed log lines of one container: iterate for lines (text, no newline), ``stop()`` from
    any thread to end the iteration promptly; it then ends quietly.

    Reads the Docker log stream format both engines serve (see ``log_lines``).
    """

    def __init__(self, response: Any, *, tty: bool) -> None:
        super().__init__(response)
        self._tty = tty

    def __iter__(self) -> Iterator[str]:
        return self._until_stopped(log_lines(self._chunks(), tty=self._tty))


@dataclass(frozen=True)
class EngineEvent:
    """One entry of the engine's event stream (Docker's ``/events`` shape, which Podman's
    compatible API serves too)."""

    type: str  # "container", "image", "volume", ...
    action: str  # "start", "die", "destroy", "health_status: healthy", ...
    id: str
    name: str  # the container's (or image's) name when the engine gives it
    time: float  # unix seconds


def parse_event(raw: Mapping[str, Any]) -> EngineEvent:
    actor = raw.get("Actor") if isinstance(raw.get("Actor"), Mapping) else {}
    assert isinstance(actor, Mapping)
    attributes = actor.get("Attributes") if isinstance(actor.get("Attributes"), Mapping) else {}
    assert isinstance(attributes, Mapping)
    nanos = raw.get("timeNano")
    seconds = nanos / 1e9 if isinstance(nanos, int | float) and nanos else raw.get("time") or 0
    return EngineEvent(
        type=str(raw.get("Type") or raw.get("type") or ""),
        action=str(raw.get("Action") or raw.get("status") or ""),
        id=str(actor.get("ID") or raw.get("id") or ""),
        name=str(attributes.get("name") or ""),
        time=float(seconds) if isinstance(seconds, int | float) else 0.0,
    )


def json_lines(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The JSON objects of a newline-delimited stream, however the chunks split it; a line that
    is not a JSON object is skipped (an engine's keep-alive or a torn last line)."""
    buf = b""
    for chunk in chunks:
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    yield item


class EventFollow(_StreamFollow):
    """The engine's followed event stream: iterate for ``EngineEvent``s, ``stop()`` from any
    thread to end the iteration promptly; it then ends quietly."""

    def __iter__(self) -> Iterator[EngineEvent]:
        return self._until_stopped(parse_event(raw) for raw in json_lines(self._chunks()))


def log_frames(chunks: Iterable[bytes], *, tty: bool) -> Iterator[tuple[int, bytes]]:
    """(stream, payload) from the bytes of a Docker log stream, however the chunks split it:
    8-byte headers (stream 1 stdout, 2 stderr; big-endian size) unless the container has a TTY,
    whose raw bytes are all stdout."""
    if tty:
        for chunk in chunks:
            yield 1, chunk
        return
    buf = b""
    for chunk in chunks:
        buf += chunk
        while len(buf) >= 8:
            stream, size = struct.unpack(">BxxxL", buf[:8])
            if len(buf) < 8 + size:
                break
            yield stream, buf[8 : 8 + size]
            buf = buf[8 + size :]


def log_lines(chunks: Iterable[bytes], *, tty: bool) -> Iterator[str]:
    """Text lines (no newline) of a Docker log stream; a last line without newline comes at the
    end. stdout and stderr keep separate partial lines, so interleaved writes never splice."""
    pending: dict[int, bytes] = {}
    for stream, data in log_frames(chunks, tty=tty):
        *lines, pending[stream] = (pending.get(stream, b"") + data).split(b"\n")
        for line in lines:
            yield line.removesuffix(b"\r").decode("utf-8", "replace")
    for rest in pending.values():
        if rest:
            yield rest.removesuffix(b"\r").decode("utf-8", "replace")


def _response_socket(response: Any) -> socket.socket | None:
    """The socket under a streaming ``requests`` response (unix socket or TCP/TLS)."""
    raw = getattr(response, "raw", None)
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is None:  # the connection was already handed back: reach through the file object
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


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
