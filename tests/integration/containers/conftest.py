"""Real Docker and Podman engines (and a registry) for the container tests.

One private dockerd, one Podman API service and one Debian ``docker-registry`` per test session,
started by ``scripts/engines.sh`` in a fresh directory under /tmp and stopped when the session ends.
Everything talks over unix sockets or 127.0.0.1: dockerd runs without a bridge, containers use host
networking and listen on 127.0.0.1 ports.

Fixtures
  ``engines``        session: ``Engines`` (run_dir, docker_url, podman_url, registry, env, timings);
                     the test images are built in both engines and v1/v2 pushed to the registry.
  ``docker_client``  session: ``docker.DockerClient`` on the private dockerd.
  ``podman_client``  session: ``podman.PodmanClient`` on the private Podman service.
  ``registry``       session: ``"127.0.0.1:PORT"`` of the test registry (plain HTTP).
  ``engine``         parametrized over ("docker", "podman"): ``Engine(name, client, url)``.
  ``ce``             our adapter (``DockerEngine`` / ``PodmanEngine``) on that ``engine``.
While the session's engines run, ``os.environ`` has ``DOCKER_HOST``, ``CONTAINER_HOST`` and
``KIOPS_TEST_REGISTRY`` pointing at them (restored afterwards).
Containers and volumes that a test creates are removed after it (label them ``TEST_LABEL``;
anything else new on the engines is removed too).

Test images (in both engines): ``kiops-test/app:v1``, ``v2``, ``v3`` serve ``/health`` ("ok") and
``/version`` ("v1"...) with busybox httpd on ``127.0.0.1:$PORT`` (default 18080) and append their
version to ``/data/version-history`` when ``/data`` exists; ``kiops-test/app:v-broken`` exits 1.
Podman names them ``localhost/kiops-test/app:TAG`` (the short name resolves to it).
``REGISTRY/kiops-test/app:v1`` and ``:v2`` are in the registry.

Helpers: ``free_port()``, ``app_image(tag)``, ``run_app(engine, tag, port=..., **run_kwargs)``,
``wait_http(url)``, ``http_get(url, headers)``, ``wait_exit(container)``, ``exec_text(container,
cmd)``, ``registry_manifest(registry, repo, ref)``. Podman client quirks they work around:
``Container.status`` on objects from ``containers.list()`` raises TypeError (read
``attrs["State"]`` after ``reload()``); ``containers.run()`` without ``detach`` returns None
unless ``log_config={"Type": "json-file"}``; ``exec_run`` needs ``demux=True``.
Set ``KIOPS_KEEP_ENGINES=1`` to keep the run directory (logs, data) after the session.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import docker
import podman
import pytest

from kiops_desktop.runtimes.containers import ContainerEngine
from kiops_desktop.runtimes.docker import DockerEngine
from kiops_desktop.runtimes.podman import PodmanEngine
from tests.integration.containers import engines_state

REPO_ROOT = Path(__file__).resolve().parents[3]
ENGINES_SH = REPO_ROOT / "scripts" / "engines.sh"
BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static

TEST_LABEL = {"kiops-test": "1"}
APP_REPO = "kiops-test/app"
APP_VERSIONS = ("v1", "v2", "v3")
BROKEN_TAG = "v-broken"
PUSHED_VERSIONS = ("v1", "v2")
DEFAULT_APP_PORT = 18080
# A fake commit per version (what CI would stamp into org.opencontainers.image.revision).
REVISIONS = {
    "v1": "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a",
    "v2": "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b",
    "v3": "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c",
    BROKEN_TAG: "dead0000dead0000dead0000dead0000dead0000",
}
# The build date each version claims (org.opencontainers.image.created); the engines' own
# `Created` is the import time, in the same order.
CREATED = {
    "v1": "2026-01-10T09:00:00Z",
    "v2": "2026-02-10T09:00:00Z",
    "v3": "2026-03-10T09:00:00Z",
    BROKEN_TAG: "2026-03-11T09:00:00Z",
}
MANIFEST_ACCEPT = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)

ENGINE_NAMES = ("docker", "podman")
START_TIMEOUT = 180  # seconds for `engines.sh start` as a whole (each service waits <= 60 s)
_TIMINGS: dict[str, float] = {}  # shown in the terminal summary


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_image(tag: str) -> str:
    """The local name of a test image; both engines resolve it (Podman adds ``localhost/``)."""
    return f"{APP_REPO}:{tag}"


def http_get(
    url: str, headers: dict[str, str] | None = None, *, method: str = "GET", timeout: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    """One plain-HTTP request to a 127.x address (never through a proxy)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if not host.startswith("127.") and host != "localhost":
        raise ValueError(f"tests only talk to loopback, not {host!r}")
    conn = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def wait_http(url: str, *, timeout: float = 20.0, expect_status: int = 200) -> str:
    """Poll URL until it answers with ``expect_status``; return the body text."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            status, _, body = http_get(url, timeout=2.0)
            if status == expect_status:
                return body.decode()
            last = f"HTTP {status}: {body[:200]!r}"
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer {expect_status} within {timeout}s (last: {last})")


def run_app(engine: Engine, tag: str = "v1", *, port: int | None = None, **kwargs: Any) -> Any:
    """Start a test-app container (detached, host network, PORT, labelled) on either engine.

    Extra keyword arguments go to ``containers.run`` (e.g. ``name=``, ``volumes=``). Pass
    ``port`` (e.g. from ``free_port()``) to know where the app listens.
    """
    env = dict(kwargs.pop("environment", {}) or {})
    env.setdefault("PORT", str(port if port is not None else free_port()))
    labels = {**TEST_LABEL, **(kwargs.pop("labels", {}) or {})}
    return engine.client.containers.run(
        app_image(tag),
        detach=True,
        network_mode="host",
        environment=env,
        labels=labels,
        **kwargs,
    )


def wait_exit(container: Any, timeout: float = 20.0) -> int:
    """Wait until the container has stopped; return its exit code (works on both clients)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        state = container.attrs.get("State") or {}
        if isinstance(state, dict) and state.get("Status") in ("exited", "stopped", "dead"):
            return int(state.get("ExitCode", -1))
        time.sleep(0.1)
    raise TimeoutError(f"container {container.id[:12]} still running after {timeout}s")


def exec_text(container: Any, cmd: list[str]) -> tuple[int, str]:
    """Run CMD in a running container; (exit code, stdout) on both clients.

    Podman's ``exec_run`` returns the raw multiplexed stream unless ``demux=True``.
    """
    exit_code, output = container.exec_run(cmd, demux=True)
    stdout = output[0] if isinstance(output, tuple) else output
    return int(exit_code), (stdout or b"").decode()


# --------------------------------------------------------------------------- test images


def _app_script(version: str) -> str:
    return f"""#!/bin/sh
# kiops-test/app {version}: serve /www on 127.0.0.1:$PORT; remember every start in /data.
VERSION={version}
if [ -d /data ]; then echo "$VERSION" >> /data/version-history; fi
httpd -f -p "127.0.0.1:${{PORT:-{DEFAULT_APP_PORT}}}" -h /www &
pid=$!
# sh is PID 1: without a trap SIGTERM would be ignored and every stop would wait for SIGKILL.
trap 'kill "$pid" 2>/dev/null; wait "$pid"; exit 0' TERM INT
wait "$pid"
"""


def rootfs_tar(version: str) -> bytes:
    """A busybox root file system for one version of the test app, as an uncompressed tar."""
    applets = subprocess.run(
        [str(BUSYBOX), "--list"], check=True, capture_output=True, text=True
    ).stdout.split()
    buf = io.BytesIO()
    mtime = time.time()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, mtime
            tar.addfile(info)

        def add_file(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, mtime
            tar.addfile(info, io.BytesIO(data))

        for d in ("bin", "etc", "www", "app", "root", "proc", "sys", "dev", "var"):
            add_dir(d)
        add_dir("tmp", 0o1777)
        add_file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
        for applet in applets:
            if applet in ("busybox", "[", "[["):
                continue
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname, link.mode, link.mtime = (
                tarfile.SYMTYPE,
                "busybox",
                0o777,
                mtime,
            )
            tar.addfile(link)
        for name in ("[", "[["):
            link = tarfile.TarInfo(f"bin/{name}")
            link.type, link.linkname, link.mode, link.mtime = (
                tarfile.SYMTYPE,
                "busybox",
                0o777,
                mtime,
            )
            tar.addfile(link)
        add_file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        )
        add_file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
        add_file("www/health", b"ok")
        add_file("www/version", version.encode())
        add_file("app/start.sh", _app_script(version).encode(), 0o755)
    return buf.getvalue()


def image_changes(tag: str) -> list[str]:
    """The Dockerfile-style config for ``docker import -c`` / ``podman import --change``."""
    if tag == BROKEN_TAG:
        cmd = '["/bin/sh", "-c", "echo kiops-test/app v-broken: failing on purpose >&2; exit 1"]'
    else:
        cmd = '["/bin/sh", "/app/start.sh"]'
    return [
        f"ENV PORT={DEFAULT_APP_PORT}",
        f"CMD {cmd}",
        f"LABEL org.opencontainers.image.revision={REVISIONS[tag]}",
        f"LABEL org.opencontainers.image.version={tag}",
        f"LABEL org.opencontainers.image.created={CREATED[tag]}",
        "LABEL org.opencontainers.image.title=kiops-test-app",
    ]


def _import_docker(client: docker.DockerClient, tag: str, data: bytes) -> None:
    client.api.import_image_from_data(
        data, repository=APP_REPO, tag=tag, changes=image_changes(tag)
    )
    client.images.get(app_image(tag))  # raises if the import did not produce the image


def _import_podman(client: podman.PodmanClient, tag: str, data: bytes) -> None:
    # A list value becomes repeated query parameters (changes=...&changes=...).
    params = {"reference": f"localhost/{APP_REPO}:{tag}", "changes": image_changes(tag)}
    resp = client.api.post(
        "images/import",
        params=params,
        data=data,
        headers={"Content-Type": "application/x-tar"},
    )
    resp.raise_for_status()
    client.images.get(app_image(tag))


def _push(client: docker.DockerClient, registry: str, tag: str) -> None:
    target = f"{registry}/{APP_REPO}"
    client.images.get(app_image(tag)).tag(target, tag)
    for line in client.images.push(target, tag=tag, stream=True, decode=True):
        if "error" in line or "errorDetail" in line:
            raise RuntimeError(f"push {target}:{tag} failed: {line}")


def build_test_images(
    docker_client: docker.DockerClient, podman_client: podman.PodmanClient, registry: str
) -> None:
    """Import every test image into both engines and push v1/v2 to the registry."""
    for tag in (*APP_VERSIONS, BROKEN_TAG):
        data = rootfs_tar(tag)
        _import_docker(docker_client, tag, data)
        _import_podman(podman_client, tag, data)
    for tag in PUSHED_VERSIONS:
        _push(docker_client, registry, tag)


# --------------------------------------------------------------------------- engines


@dataclass
class Engines:
    run_dir: Path
    docker_url: str  # unix:///.../docker.sock
    podman_url: str  # unix:///.../podman.sock
    registry: str  # 127.0.0.1:PORT
    env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


class Engine(NamedTuple):
    name: str  # "docker" or "podman"
    client: Any  # docker.DockerClient or podman.PodmanClient
    url: str  # unix:///... socket URL of that engine


def _engines_sh(command: str, run_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ENGINES_SH), command, str(run_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )


def _parse_env(stdout: str) -> dict[str, str]:
    out = {}
    for line in stdout.splitlines():
        line = line.removeprefix("export ").strip()
        if "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    """Start dockerd, Podman's service and the registry; build the test images; stop at the end.

    Started once per pytest process however many modules import this fixture (engines_state)."""
    state = engines_state.STATE
    if state.engines is None:
        state.runner = _run_engines()
        state.engines = next(state.runner)
    state.users += 1
    try:
        yield state.engines
    finally:
        state.users -= 1
        if state.users == 0 and state.runner is not None:
            runner, state.runner, state.engines = state.runner, None, None
            with contextlib.suppress(StopIteration):
                next(runner)


def _run_engines() -> Iterator[Engines]:
    if os.geteuid() != 0:
        pytest.fail("the container tests need root (dockerd, rootful podman), as CI has")
    run_dir = Path(tempfile.mkdtemp(prefix="kiops-engines-", dir="/tmp"))  # short socket paths
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINER_HOST")},
        "KIOPS_REGISTRY_PORT": str(free_port()),
        # If this process dies without its teardown, engines.sh's watchdog stops the engines.
        "KIOPS_ENGINES_OWNER_PID": str(os.getpid()),
    }
    started = time.monotonic()
    result = _engines_sh("start", run_dir, env)
    start_seconds = time.monotonic() - started
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        res = _engines_sh("stop", run_dir, env)
        if res.returncode == 0 and not os.environ.get("KIOPS_KEEP_ENGINES"):
            shutil.rmtree(run_dir, ignore_errors=True)
        elif res.returncode != 0:
            raise RuntimeError(f"engines.sh stop failed ({run_dir}):\n{res.stderr}")

    if result.returncode != 0:
        with contextlib.suppress(Exception):
            stop()
        raise RuntimeError(
            f"scripts/engines.sh start failed (exit {result.returncode}; logs in {run_dir}):\n"
            f"{result.stderr}"
        )
    client_env = _parse_env(result.stdout)
    eng = Engines(
        run_dir=run_dir,
        docker_url=client_env["DOCKER_HOST"],
        podman_url=client_env["CONTAINER_HOST"],
        registry=client_env["KIOPS_TEST_REGISTRY"],
        env=client_env,
        timings={"engines_start_s": start_seconds},
    )
    try:
        started = time.monotonic()
        with (
            contextlib.closing(docker.DockerClient(base_url=eng.docker_url, timeout=120)) as dc,
            podman.PodmanClient(base_url=eng.podman_url, timeout=120) as pc,
        ):
            build_test_images(dc, pc, eng.registry)
        eng.timings["images_build_s"] = time.monotonic() - started
        _TIMINGS.update(eng.timings)
    except BaseException:
        with contextlib.suppress(Exception):
            stop()
        raise
    # What `eval "$(scripts/engines.sh start DIR)"` would give a shell: code under test that reads
    # DOCKER_HOST / CONTAINER_HOST / KIOPS_TEST_REGISTRY finds the private engines, never the
    # machine's own daemon.
    saved = {key: os.environ.get(key) for key in client_env}
    os.environ.update(client_env)
    try:
        yield eng
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMINGS:
        terminalreporter.write_line(
            "container engines: started in {engines_start_s:.1f}s, "
            "test images built in {images_build_s:.1f}s".format(**_TIMINGS)
        )


@pytest.fixture(scope="session")
def docker_client(engines: Engines) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(base_url=engines.docker_url, timeout=60)
    yield client
    client.close()


@pytest.fixture(scope="session")
def podman_client(engines: Engines) -> Iterator[podman.PodmanClient]:
    client = podman.PodmanClient(base_url=engines.podman_url, timeout=60)
    yield client
    client.close()


@pytest.fixture(scope="session")
def registry(engines: Engines) -> str:
    return engines.registry


@pytest.fixture(params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest, engines: Engines) -> Engine:
    """Each test that takes it runs once on Docker and once on Podman."""
    name = request.param
    if name == "docker":
        return Engine(name, request.getfixturevalue("docker_client"), engines.docker_url)
    return Engine(name, request.getfixturevalue("podman_client"), engines.podman_url)


@pytest.fixture
def ce(engine: Engine) -> Iterator[ContainerEngine]:
    """Our own adapter (``DockerEngine`` / ``PodmanEngine``) on the parametrized engine, at the
    address ``DOCKER_HOST`` / ``CONTAINER_HOST`` give the app."""
    adapter: ContainerEngine = (
        DockerEngine(engine.url) if engine.name == "docker" else PodmanEngine(engine.url)
    )
    yield adapter
    adapter.close()


def _snapshot(client: Any) -> tuple[set[str], set[str]]:
    containers = {c.id for c in client.containers.list(all=True)}
    volumes = {v.name for v in client.volumes.list()}
    return containers, volumes


def _cleanup(client: Any, before: tuple[set[str], set[str]]) -> None:
    containers_before, volumes_before = before
    for c in client.containers.list(all=True):
        labels = (c.attrs.get("Labels") or (c.attrs.get("Config") or {}).get("Labels")) or {}
        if c.id not in containers_before or labels.get("kiops-test") == "1":
            with contextlib.suppress(Exception):
                c.remove(force=True)
    for v in client.volumes.list():
        labels = v.attrs.get("Labels") or {}
        if v.name not in volumes_before or labels.get("kiops-test") == "1":
            with contextlib.suppress(Exception):
                v.remove(force=True)


@pytest.fixture(autouse=True)
def _remove_test_containers(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used the engines: remove its containers and volumes on both."""
    if "engines" not in request.fixturenames:
        yield
        return
    clients = [request.getfixturevalue(f"{name}_client") for name in ENGINE_NAMES]
    before = [_snapshot(c) for c in clients]
    yield
    for client, snap in zip(clients, before, strict=True):
        _cleanup(client, snap)


def registry_manifest(registry: str, repo: str, ref: str) -> tuple[str, dict[str, Any]]:
    """(digest, manifest) of REPO:REF in the test registry, asking for v2/OCI manifests."""
    status, headers, body = http_get(
        f"http://{registry}/v2/{repo}/manifests/{ref}", {"Accept": MANIFEST_ACCEPT}
    )
    if status != 200:
        raise AssertionError(f"manifest {repo}:{ref}: HTTP {status} {body[:200]!r}")
    return headers["docker-content-digest"], json.loads(body)
