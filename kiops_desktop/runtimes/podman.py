"""Podman engine adapter (``podman`` client) behind the ``ContainerEngine`` protocol.

Container calls go to Podman's Docker-compatible endpoints (``compatible=True``): their inspect
JSON has the Docker shape, so one backup manifest and one ``create_like`` serve both engines, and
the create body that reproduces a container is exactly what its inspect said. Pulls use the
libpod endpoint, which can skip TLS for loopback registries like Docker does.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import posixpath
import tarfile
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

import podman.errors
import requests
from podman import PodmanClient

from kiops_desktop.core.images import ImageVersion, parse_image_ref
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import (
    PATH_STAT_HEADER,
    ContainerInfo,
    ContainerService,
    EngineInfo,
    EventFollow,
    LogFollow,
    PathProbe,
    container_info,
    create_config_like,
    group_services,
    parse_path_probe,
    repo_digests_by_id,
)
from kiops_desktop.runtimes.docker import (
    auth_config,
    check_unix_socket,
    images_to_versions,
    pull_error,
    wait_healthy,
)
from kiops_desktop.runtimes.registry import RegistryCredentials


class PodmanEngine:
    name = "podman"

    def __init__(self, base_url: str, *, timeout: int = 60) -> None:
        self.connection = base_url
        self._client = PodmanClient(base_url=base_url, timeout=timeout)
        self._answered = False
        self._rootless: bool | None = None  # learnt on the first probe_path

    def close(self) -> None:
        self._client.close()

    # -- plumbing: one request, typed errors
    def _req(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        data: Any = None,
        stream: bool = False,
        compatible: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Any:
        api = self._client.api
        if not self._answered:
            check_unix_socket(self.connection, self.name, what)
        try:
            kwargs: dict[str, Any] = {"params": params, "compatible": compatible}
            if headers:
                kwargs["headers"] = headers
            if method in ("post", "put"):
                kwargs["data"] = data
            if method != "delete":
                kwargs["stream"] = stream
            response = getattr(api, method)(path, **kwargs)
        except (podman.errors.APIError, requests.RequestException, OSError) as exc:
            raise errors.Unreachable(
                f"The podman engine at {self.connection} does not answer ({what}).",
                hint=f"Start the podman service or check the connection; detail: {exc}",
            ) from exc
        status = response.status_code
        self._answered = True
        if status < 400:
            return response
        try:
            text = response.json().get("message") or response.text
        except ValueError:
            text = response.text
        if status == 404:
            raise errors.NotFound(f"{what}: not found ({text}).")
        if status == 409:
            raise errors.Conflict(f"{what}: conflict ({text}).")
        if status == 400:
            raise errors.Invalid(f"{what}: rejected by podman ({text}).")
        raise errors.ServerError(f"{what}: podman failed ({text}).")

    # -- protocol
    def info(self) -> EngineInfo:
        v = self._req("get", "/version", "reading the engine version").json()
        return EngineInfo("podman", str(v.get("Version", "")), str(v.get("ApiVersion", "")))

    def list_containers(self) -> list[ContainerInfo]:
        """Every container: libpod's list (the only one that names pods and infra containers),
        one image list (repo digests), one Docker-shaped inspect each (restart count, health)."""
        raw = self._req(
            "get", "/containers/json", "listing containers", params={"all": True}, compatible=False
        ).json()
        images = self._req("get", "/images/json", "listing images").json()
        digests = repo_digests_by_id(images)
        out = []
        for entry in raw or []:
            try:
                inspect = self.inspect(str(entry["Id"]))
            except errors.NotFound:
                continue  # removed between the list and the inspect: it is gone
            out.append(container_info(entry, inspect, repo_digests=digests))
        return out

    def list_services(self) -> list[ContainerService]:
        return group_services(self.list_containers())

    def inspect(self, container: str) -> dict[str, Any]:
        response = self._req("get", f"/containers/{container}/json", f"inspecting {container}")
        return dict(response.json())

    def exists(self, container: str) -> bool:
        try:
            self.inspect(container)
        except errors.NotFound:
            return False
        return True

    def logs(self, container: str, tail: int = 200) -> str:
        # The libpod endpoint with the podman client's demultiplexing would need a tty check;
        # the domain object does it for us.
        try:
            c = self._client.containers.get(container)
            data = b"".join(
                part if isinstance(part, bytes) else str(part).encode()
                for part in c.logs(tail=tail, stdout=True, stderr=True)
            )
        except podman.errors.NotFound as exc:
            raise errors.NotFound(f"Container {container} does not exist.") from exc
        except (podman.errors.APIError, requests.RequestException, OSError) as exc:
            raise errors.Unreachable(f"Reading the logs of {container} failed: {exc}") from exc
        return data.decode("utf-8", "replace")

    def follow_logs(self, container: str, tail: int | None = 200) -> LogFollow:
        tty = bool((self.inspect(container).get("Config") or {}).get("Tty"))
        params: dict[str, Any] = {"follow": True, "stdout": True, "stderr": True}
        params["tail"] = "all" if tail is None else str(tail)
        response = self._req(
            "get",
            f"/containers/{container}/logs",
            f"following the logs of {container}",
            params=params,
            stream=True,
        )
        # The podman client always applies its read timeout; LogFollow lifts it from the socket.
        return LogFollow(response, tty=tty)

    def follow_events(self, types: Sequence[str] = ("container",)) -> EventFollow:
        """The engine's events of those object types, followed until ``stop()``."""
        params = {"filters": json.dumps({"type": list(types)})}
        response = self._req(
            "get", "/events", "following the engine's events", params=params, stream=True
        )
        # The podman client always applies its read timeout; EventFollow lifts it from the socket.
        return EventFollow(response)

    def local_images(self, repository: str) -> list[ImageVersion]:
        raw = self._req("get", "/images/json", f"listing images of {repository}").json()
        return images_to_versions(raw, repository)

    def _image(self, image: str) -> dict[str, Any] | None:
        try:
            return dict(self._req("get", f"/images/{image}/json", f"inspecting {image}").json())
        except errors.NotFound:
            return None

    def image_id(self, reference: str) -> str | None:
        img = self._image(reference)
        return str(img["Id"]) if img else None

    def image_config(self, image: str) -> dict[str, Any] | None:
        img = self._image(image)
        return dict(img.get("Config") or {}) if img else None

    def repo_digests(self, image: str) -> list[str]:
        img = self._image(image)
        return list(img.get("RepoDigests") or []) if img else []

    def pull(self, reference: str, credentials: RegistryCredentials | None = None) -> str:
        """Pull ``reference``; ``credentials`` travel in the ``X-Registry-Auth`` header (base64url
        JSON, as libpod's pkg/auth decodes it), never in the query string, which the service may
        log. Without credentials the service uses its own auth.json, as ``podman pull`` does."""
        ref = parse_image_ref(reference)
        host = ref.registry.split(":", 1)[0]
        params = {
            "reference": str(ref) if (ref.tag or ref.digest) else f"{ref}:latest",
            # Like Docker, treat loopback registries as plain-HTTP ones.
            "tlsVerify": not (host.startswith("127.") or host == "localhost"),
            "quiet": True,
        }
        login = auth_config(credentials)
        headers = (
            {"X-Registry-Auth": base64.urlsafe_b64encode(json.dumps(login).encode()).decode()}
            if login
            else None
        )
        with_login = credentials is not None
        try:
            response = self._req(
                "post",
                "/images/pull",
                f"pulling {reference}",
                params=params,
                compatible=False,
                headers=headers,
            )
        except errors.Unreachable:
            raise
        except errors.OperationError as exc:
            # A refused login may come back as an HTTP error instead of inside the stream.
            mapped = pull_error(exc, reference, self.name, self.connection, with_login=with_login)
            if isinstance(mapped, errors.Unauthorized):
                raise mapped from exc
            raise
        # The libpod pull answers 200 and reports a failure inside its JSON stream.
        image_id, error = None, None
        for line in response.text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            image_id = item.get("id") or image_id
            error = item.get("error") or error
        if error or not image_id:
            raise pull_error(
                RuntimeError(error or "no image id"),
                reference,
                self.name,
                self.connection,
                with_login=with_login,
            )
        return f"sha256:{image_id}" if ":" not in image_id else str(image_id)

    def create_like(self, inspect: dict[str, Any], image: str, name: str) -> str:
        old = self.image_config(inspect["Image"]) if inspect.get("Image") else None
        body = create_config_like(inspect, image, old)
        # Podman's compat inspect names ulimits "RLIMIT_NOFILE" but its create wants "nofile".
        for limit in body["HostConfig"].get("Ulimits") or []:
            limit["Name"] = str(limit.get("Name", "")).lower().removeprefix("rlimit_")
        response = self._req(
            "post",
            "/containers/create",
            f"creating container {name}",
            params={"name": name},
            data=json.dumps(body),
        )
        return str(response.json()["Id"])

    def start(self, container: str) -> None:
        self._req("post", f"/containers/{container}/start", f"starting {container}")

    def stop(self, container: str, timeout: int = 10) -> None:
        self._req(
            "post", f"/containers/{container}/stop", f"stopping {container}", params={"t": timeout}
        )

    def rename(self, container: str, new_name: str) -> None:
        self._req(
            "post",
            f"/containers/{container}/rename",
            f"renaming {container} to {new_name}",
            params={"name": new_name},
        )

    def remove(self, container: str) -> None:
        # Podman 4.x races a forced remove against a container that is exiting on its own:
        # "could not be stopped: sending SIGKILL ...: container state improper" (podman#16142).
        # A moment later the container is stopped and the same remove succeeds.
        for attempt in range(REMOVE_ATTEMPTS):
            try:
                self._req(
                    "delete",
                    f"/containers/{container}",
                    f"removing {container}",
                    params={"force": True, "v": False},
                )
                return
            except errors.ServerError as exc:
                if "state improper" not in str(exc) or attempt == REMOVE_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def reset_volume(self, name: str) -> None:
        """As Docker's: recreate the volume empty, or create it when it is gone."""
        try:
            vol = self._req("get", f"/volumes/{name}", f"inspecting volume {name}").json()
        except errors.NotFound:
            body: dict[str, Any] = {"Name": name, "Driver": "local"}
            self._req("post", "/volumes/create", f"creating volume {name}", data=json.dumps(body))
            return
        self._req("delete", f"/volumes/{name}", f"removing volume {name}")
        body = {
            "Name": name,
            "Driver": vol.get("Driver") or "local",
            "DriverOpts": vol.get("Options") or {},
            "Labels": vol.get("Labels") or {},
        }
        self._req("post", "/volumes/create", f"creating volume {name}", data=json.dumps(body))

    def remove_volume(self, name: str) -> None:
        self._req("delete", f"/volumes/{name}", f"removing volume {name}", params={"force": True})

    def wait_healthy(self, container: str, timeout: float) -> str:
        # Podman runs HEALTHCHECKs from systemd timers; without systemd (containers, CI, many
        # laptops' podman machines) nobody runs them and the status stays "starting" forever.
        # So while it says "starting", run the check ourselves (libpod's healthcheck endpoint
        # runs it once and records the result), at most once a second.
        last_run = [0.0]

        def read_state() -> dict[str, Any]:
            state = dict(self.inspect(container).get("State") or {})
            health = (state.get("Health") or {}).get("Status")
            if health == "starting" and time.monotonic() - last_run[0] >= 1.0:
                last_run[0] = time.monotonic()
                with contextlib.suppress(errors.OperationError):
                    self._req(
                        "get",
                        f"/containers/{container}/healthcheck",
                        f"running the health check of {container}",
                        compatible=False,
                    )
                state = dict(self.inspect(container).get("State") or {})
            return state

        return wait_healthy(read_state, timeout)

    def archive_get(self, container: str, path: str) -> Iterator[bytes]:
        response = self._req(
            "get",
            f"/containers/{container}/archive",
            f"reading {path} from {container}",
            params={"path": path},
            stream=True,
        )
        return _normalize_tar(response.iter_content(chunk_size=1 << 20), path)

    def archive_put(self, container: str, path: str, data: bytes | BinaryIO) -> None:
        # Podman 4.3's copier now and then fails with "passing bulk input to subprocess: write
        # |1: broken pipe" on a freshly created container; extracting the same archive again is
        # idempotent, so a failed put is retried a couple of times before it counts. A file is
        # streamed from where it stands, and from there again on a retry.
        start = None if isinstance(data, bytes) else data.tell()
        for attempt in range(ARCHIVE_PUT_ATTEMPTS):
            if start is not None and not isinstance(data, bytes):
                data.seek(start)
            try:
                self._req(
                    "put",
                    f"/containers/{container}/archive",
                    f"writing {path} into {container}",
                    params={"path": path},
                    data=data,
                )
                return
            except errors.ServerError:
                if attempt == ARCHIVE_PUT_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def probe_path(self, container: str, path: str) -> PathProbe | None:
        if self._maps_ids(container):
            return None
        response = self._req(
            "head",
            f"/containers/{container}/archive",
            f"reading {path} from {container}",
            params={"path": path},
        )
        return parse_path_probe(response.headers.get(PATH_STAT_HEADER))

    def _maps_ids(self, container: str) -> bool:
        """Whether the engine (rootless) or the container (``--uidmap``, ``--userns``) maps
        ids, so that owners on disk are not the owners in the container. Podman's archives
        cannot tell: they name the caller as every file's owner (podman#3767)."""
        if self._rootless is None:
            # ~0.25 s on Podman 4.3, so asked once: a socket is served by a rootful or a
            # rootless service for its whole life.
            info = self._req("get", "/info", "reading the engine's settings", compatible=False)
            host = info.json().get("host") or {}
            mappings = host.get("idMappings") or {}
            rootless = (host.get("security") or {}).get("rootless", True)
            self._rootless = bool(rootless or any(mappings.values()))
        if self._rootless:
            return True
        inspect = self._req(
            "get", f"/containers/{container}/json", f"inspecting {container}", compatible=False
        ).json()
        hc = inspect.get("HostConfig") or {}
        return bool(hc.get("IDMappings")) or hc.get("UsernsMode", "") not in ("", "host")


ARCHIVE_PUT_ATTEMPTS = 3
REMOVE_ATTEMPTS = 4


def _normalize_tar(chunks: Iterable[bytes], path: str) -> Iterator[bytes]:
    """Give Podman's archives Docker's member names.

    Podman 4.3 archives a *stopped* container's directory as "" and "/file" instead of "dir" and
    "dir/file" (as it does for a running one, and as Docker always does); restoring such an archive
    into the parent directory would scatter the files. Rewrite those names; pass others as is.
    """
    data = b"".join(chunks)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as src:
        members = src.getmembers()
        if not any(m.name == "" or m.name.startswith("/") for m in members):
            yield data
            return
        base = posixpath.basename(path.rstrip("/")) or "."
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as dst:
            for m in members:
                f = src.extractfile(m) if m.isfile() else None
                m.name = posixpath.join(base, m.name.lstrip("/")).rstrip("/") or base
                dst.addfile(m, f)
    yield out.getvalue()
