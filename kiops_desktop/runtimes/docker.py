"""Docker engine adapter (``docker`` SDK) behind the ``ContainerEngine`` protocol."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, BinaryIO, TypeVar

import docker
import docker.errors
import requests

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
from kiops_desktop.runtimes.registry import RegistryCredentials

T = TypeVar("T")


def map_api_error(exc: Exception, what: str, connection: str, engine: str) -> errors.OperationError:
    """One operator sentence for an engine failure (shared with the Podman adapter)."""
    text = str(getattr(exc, "explanation", None) or exc)
    status = getattr(getattr(exc, "response", None), "status_code", None)
    status = status or getattr(exc, "status_code", None)
    low = text.lower()
    if isinstance(exc, requests.ConnectionError | ConnectionError | FileNotFoundError) or (
        "connection aborted" in low or "error while fetching server api version" in low
    ):
        return errors.Unreachable(
            f"The {engine} engine at {connection} does not answer ({what}).",
            hint=f"Start {engine} or check the connection; detail: {text}",
        )
    if isinstance(exc, requests.Timeout):
        return errors.TimedOut(f"The {engine} engine at {connection} timed out ({what}).")
    if status == 404:
        return errors.NotFound(f"{what}: not found ({text}).")
    if status == 409:
        return errors.Conflict(f"{what}: conflict ({text}).")
    if status == 400:
        return errors.Invalid(f"{what}: rejected by {engine} ({text}).")
    if status is not None and status >= 500:
        return errors.ServerError(f"{what}: {engine} failed ({text}).")
    return errors.OperationError(f"{what}: {text}")


# What the engines say when a registry wants a login or refuses one (dockerd, containers/image).
# "pull access denied ... repository does not exist" is not among them: Docker Hub answers it for
# missing repositories too, so it stays a not-found.
_AUTH_MARKERS = (
    "no basic auth credentials",
    "unauthorized",
    "authentication required",
    "incorrect username or password",
    "invalid username/password",
)


def auth_config(credentials: RegistryCredentials | None) -> dict[str, str] | None:
    """The registry login as the engines' ``X-Registry-Auth`` JSON wants it (in memory only)."""
    if credentials is None:
        return None
    return {"username": credentials.username, "password": credentials.secret}


def pull_error(
    exc: Exception,
    reference: str,
    engine: str,
    connection: str,
    *,
    with_login: bool = False,
) -> Exception:
    """Pull failures, told apart: login wanted or refused, unknown tag, registry down, anything
    else. ``with_login``: whether credentials went with the pull (which sentence a 401 gets)."""
    text = str(getattr(exc, "explanation", None) or exc).lower()
    ref = parse_image_ref(reference)
    where = ref.registry or "Docker Hub"
    if any(m in text for m in _AUTH_MARKERS) and "repository does not exist" not in text:
        # The engine's text is not kept as a hint: it can quote the request that failed.
        if with_login:
            return errors.Unauthorized(
                f"The registry {where} refused the login stored for it; update it in "
                "Connections → Registry logins."
            )
        return errors.Unauthorized(
            f"The registry {where} needs a login; add one in Connections → Registry logins."
        )
    if "manifest unknown" in text or "not found" in text or "manifest for" in text:
        return errors.NotFound(
            f'The tag "{ref.tag or ref.digest}" of {ref.name} does not exist in {where}.'
        )
    if any(s in text for s in ("connection refused", "no such host", "dial tcp", "i/o timeout")):
        return errors.Unreachable(
            f"The registry {where} does not answer, so {reference} cannot be pulled.",
            hint=str(exc),
        )
    return map_api_error(exc, f"pulling {reference}", connection, engine)


def wait_healthy(
    read_state: Callable[[], dict[str, Any]], timeout: float, *, poll: float = 0.25
) -> str:
    """Wait for HEALTHCHECK status if there is one, else for `timeout` seconds of steady running.

    Returns a sentence on success; raises TimedOut (still starting) or OperationError (unhealthy,
    exited, restarted).
    """
    start_state = read_state()
    restarts0 = start_state.get("RestartCount", 0)
    deadline = time.monotonic() + timeout
    while True:
        state = read_state()
        status = state.get("Status")
        health = (state.get("Health") or {}).get("Status")
        if (
            status != "running"
            or state.get("RestartCount", 0) != restarts0
            or state.get("Restarting")
        ):
            code = state.get("ExitCode")
            raise errors.OperationError(
                f"The new container is {status or 'gone'} (exit code {code}), not running."
            )
        if health == "healthy":
            return "The image's health check reports healthy."
        if health == "unhealthy":
            raise errors.OperationError("The image's health check reports unhealthy.")
        if time.monotonic() >= deadline:
            if health:  # "starting" after the whole timeout
                raise errors.TimedOut(f"The health check still says {health} after {timeout:g} s.")
            return f"Still running with no restart after {timeout:g} seconds."
        time.sleep(poll)


def check_unix_socket(url: str, engine: str, what: str) -> None:
    """Raise Unreachable unless the unix socket at ``url`` accepts a connection.

    Both SDKs leak their socket when a unix-socket connection fails (a ResourceWarning later);
    a plain connect attempt first gives the same answer without the leak. Other URLs pass.
    """
    if not url.startswith("unix://"):
        return
    path = url.removeprefix("unix://")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        try:
            probe.connect(path)
        except OSError as exc:
            raise errors.Unreachable(
                f"The {engine} engine at {url} does not answer ({what}).",
                hint=f"Start {engine} or check the connection; detail: {exc}",
            ) from exc


class DockerEngine:
    name = "docker"

    def __init__(self, base_url: str | None = None, *, timeout: int = 60) -> None:
        self.connection = base_url or "the default Docker socket"
        self._base_url = base_url
        self._timeout = timeout
        self._client: Any = None

    # -- plumbing
    @property
    def client(self) -> Any:
        if self._client is None:
            check_unix_socket(
                self._base_url or os.environ.get("DOCKER_HOST", ""), "docker", "connecting"
            )
            with self._errors("connecting"):
                if self._base_url:
                    self._client = docker.DockerClient(
                        base_url=self._base_url, timeout=self._timeout
                    )
                else:
                    self._client = docker.from_env(timeout=self._timeout)
        return self._client

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except errors.OperationError:
            raise
        except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
            raise map_api_error(exc, what, self.connection, self.name) from exc

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- protocol
    def info(self) -> EngineInfo:
        with self._errors("reading the engine version"):
            v = self.client.version()
        return EngineInfo("docker", str(v.get("Version", "")), str(v.get("ApiVersion", "")))

    def list_containers(self) -> list[ContainerInfo]:
        """Every container: one list call, one image list (repo digests), one inspect each
        (restart count and health are not in the list)."""
        with self._errors("listing containers"):
            raw = self.client.api.containers(all=True)
        with self._errors("listing images"):
            digests = repo_digests_by_id(self.client.api.images(all=False))
        out = []
        for entry in raw:
            try:
                inspect = self.inspect(str(entry["Id"]))
            except errors.NotFound:
                continue  # removed between the list and the inspect: it is gone
            out.append(container_info(entry, inspect, repo_digests=digests))
        return out

    def list_services(self) -> list[ContainerService]:
        return group_services(self.list_containers())

    def inspect(self, container: str) -> dict[str, Any]:
        with self._errors(f"inspecting container {container}"):
            return dict(self.client.api.inspect_container(container))

    def exists(self, container: str) -> bool:
        try:
            self.inspect(container)
        except errors.NotFound:
            return False
        return True

    def logs(self, container: str, tail: int = 200) -> str:
        with self._errors(f"reading the logs of {container}"):
            data = self.client.api.logs(container, tail=tail, stdout=True, stderr=True)
        return bytes(data).decode("utf-8", "replace")

    def follow_logs(self, container: str, tail: int | None = 200) -> LogFollow:
        tty = bool((self.inspect(container).get("Config") or {}).get("Tty"))
        api = self.client.api
        params = {
            "follow": 1,
            "stdout": 1,
            "stderr": 1,
            "tail": "all" if tail is None else str(tail),
        }
        with self._errors(f"following the logs of {container}"):
            # No read timeout: a followed log may be quiet for long; stop() ends the wait.
            response = api._get(
                api._url("/containers/{0}/logs", container),
                params=params,
                stream=True,
                timeout=None,
            )
            api._raise_for_status(response)
        return LogFollow(response, tty=tty)

    def follow_events(self, types: Sequence[str] = ("container",)) -> EventFollow:
        """The engine's events of those object types, followed until ``stop()``."""
        api = self.client.api
        params = {"filters": json.dumps({"type": list(types)})}
        with self._errors("following the engine's events"):
            # No read timeout: the stream is quiet while nothing happens; stop() ends the wait.
            response = api._get(api._url("/events"), params=params, stream=True, timeout=None)
            api._raise_for_status(response)
        return EventFollow(response)

    def local_images(self, repository: str) -> list[ImageVersion]:
        with self._errors(f"listing images of {repository}"):
            images = self.client.api.images(name=repository)
        return images_to_versions(images, repository)

    def image_id(self, reference: str) -> str | None:
        try:
            with self._errors(f"inspecting image {reference}"):
                return str(self.client.api.inspect_image(reference)["Id"])
        except errors.NotFound:
            return None

    def image_config(self, image: str) -> dict[str, Any] | None:
        try:
            with self._errors(f"inspecting image {image}"):
                return dict(self.client.api.inspect_image(image).get("Config") or {})
        except errors.NotFound:
            return None

    def repo_digests(self, image: str) -> list[str]:
        try:
            with self._errors(f"inspecting image {image}"):
                return list(self.client.api.inspect_image(image).get("RepoDigests") or [])
        except errors.NotFound:
            return []

    def pull(self, reference: str, credentials: RegistryCredentials | None = None) -> str:
        """Pull ``reference``; ``credentials`` go to the daemon in this request's
        ``X-Registry-Auth`` header only. ``login()`` is never used: the SDK caches the login and
        the CLI's equivalent persists it in config.json, which must never hold a secret of ours.
        Without credentials the SDK sends what the user's own docker config has, as the CLI does.
        """
        ref = parse_image_ref(reference)
        tag = ref.digest or ref.tag or "latest"
        with_login = credentials is not None
        try:
            # The low-level stream, not images.pull(): that one drops an error reported inside the
            # stream and then only says the image is not found.
            for line in self.client.api.pull(
                ref.name, tag=tag, stream=True, decode=True, auth_config=auth_config(credentials)
            ):
                if isinstance(line, dict) and line.get("error"):
                    raise docker.errors.APIError(str(line["error"]))
            sep = "@" if tag.startswith("sha256:") else ":"
            image = self.client.api.inspect_image(f"{ref.name}{sep}{tag}")
        except (docker.errors.DockerException, requests.RequestException) as exc:
            raise pull_error(
                exc, reference, self.name, self.connection, with_login=with_login
            ) from exc
        return str(image["Id"])

    def create_like(self, inspect: dict[str, Any], image: str, name: str) -> str:
        old = self.image_config(inspect["Image"]) if inspect.get("Image") else None
        body = create_config_like(inspect, image, old)
        with self._errors(f"creating container {name}"):
            created = self.client.api.create_container_from_config(body, name=name)
        return str(created["Id"])

    def start(self, container: str) -> None:
        with self._errors(f"starting {container}"):
            self.client.api.start(container)

    def stop(self, container: str, timeout: int = 10) -> None:
        with self._errors(f"stopping {container}"):
            self.client.api.stop(container, timeout=timeout)

    def rename(self, container: str, new_name: str) -> None:
        with self._errors(f"renaming {container} to {new_name}"):
            self.client.api.rename(container, new_name)

    def remove(self, container: str) -> None:
        with self._errors(f"removing {container}"):
            self.client.api.remove_container(container, force=True)

    def reset_volume(self, name: str) -> None:
        """Empty the named volume by recreating it with its driver, options and labels; a volume
        that is gone (``compose down -v``) is created, so a restore can refill it."""
        with self._errors(f"recreating volume {name}"):
            try:
                vol = self.client.api.inspect_volume(name)
            except docker.errors.NotFound:
                self.client.api.create_volume(name)
                return
            self.client.api.remove_volume(name)
            self.client.api.create_volume(
                name,
                driver=vol.get("Driver"),
                driver_opts=vol.get("Options") or None,
                labels=vol.get("Labels") or None,
            )

    def remove_volume(self, name: str) -> None:
        with self._errors(f"removing volume {name}"):
            self.client.api.remove_volume(name, force=True)

    def wait_healthy(self, container: str, timeout: float) -> str:
        return wait_healthy(lambda: self.inspect(container).get("State") or {}, timeout)

    def archive_get(self, container: str, path: str) -> Iterator[bytes]:
        with self._errors(f"reading {path} from {container}"):
            stream, _stat = self.client.api.get_archive(container, path)
        return _guard_stream(stream, self._errors(f"reading {path} from {container}"))

    def archive_put(self, container: str, path: str, data: bytes | BinaryIO) -> None:
        # a file is streamed from where it stands (a volume may be far larger than memory)
        with self._errors(f"writing {path} into {container}"):
            self.client.api.put_archive(container, path, data)

    def probe_path(self, container: str, path: str) -> PathProbe | None:
        # A rootless daemon or one remapping user namespaces stores other owners on disk than
        # its containers see: files on the host are then not what the container holds.
        with self._errors("reading the engine's settings"):
            security = " ".join(self.client.api.info().get("SecurityOptions") or [])
        if "name=rootless" in security or "name=userns" in security:
            return None
        api = self.client.api
        with self._errors(f"reading {path} from {container}"):
            response = api.head(
                api._url("/containers/{0}/archive", container), params={"path": path}
            )
            api._raise_for_status(response)
        return parse_path_probe(response.headers.get(PATH_STAT_HEADER))


def _guard_stream(stream: Iterable[bytes], guard: Any) -> Iterator[bytes]:
    with guard:
        yield from stream


def images_to_versions(images: Iterable[dict[str, Any]], repository: str) -> list[ImageVersion]:
    """Docker/Podman image summaries -> one ImageVersion per tag of ``repository``."""
    out: list[ImageVersion] = []
    for img in images:
        digests = {d.split("@", 1)[0]: d.split("@", 1)[1] for d in img.get("RepoDigests") or []}
        created = img.get("Created")
        created_text = (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
            if isinstance(created, int | float)
            else created
        )
        for tag_ref in img.get("RepoTags") or []:
            repo, _, tag = tag_ref.rpartition(":")
            if repo not in (repository, f"localhost/{repository}"):
                continue
            out.append(
                ImageVersion(
                    repository=repo,
                    tag=tag,
                    digest=digests.get(repo),
                    image_id=img.get("Id"),
                    created=created_text,
                    local=True,
                    in_registry=repo in digests,
                )
            )
    return sorted(out, key=lambda v: (v.created or "", v.tag or ""), reverse=True)
