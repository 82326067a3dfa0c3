"""Docker and Podman endpoint discovery, resolved the way the ``docker`` and ``podman`` CLIs do.

Docker: ``DOCKER_HOST`` wins (it *is* the implicit "default" context); else ``DOCKER_CONTEXT``,
else ``currentContext`` of ``$DOCKER_CONFIG/config.json`` (default ``~/.docker``) picks the current
context. Contexts live in ``<config dir>/contexts/meta/<sha256 of name>/meta.json`` with their TLS
files in ``<config dir>/contexts/tls/<same hash>/docker/``.

Podman: ``CONTAINER_HOST`` (with ``CONTAINER_SSHKEY``) wins; then the connections that
``podman system connection list --format json`` prints (or, when podman cannot be run, the
connections files it reads); then the local sockets, listed even when absent so the UI can say why
they do not answer.

``probe`` builds the matching adapter and asks for its version; it never raises. Nothing here
returns secrets: TLS material and ssh identities are file paths.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import subprocess
import tomllib
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine, EngineInfo

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
WINDOWS_DOCKER_HOST = "npipe:////./pipe/docker_engine"
ROOTFUL_PODMAN_SOCKET = "/run/podman/podman.sock"
PROBE_TIMEOUT = 3  # seconds
PODMAN_LIST_TIMEOUT = 10.0  # seconds for `podman system connection list`
SSH_NOT_SUPPORTED = (
    "ssh connections are not supported yet by KIOPS Desktop; use a local socket or tcp+TLS"
)

Engine = Literal["docker", "podman"]


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the TLS material of an endpoint; each is None when the file is absent."""

    ca: Path | None
    cert: Path | None
    key: Path | None


@dataclass(frozen=True)
class EngineEndpoint:
    engine: Engine
    name: str  # context / connection name: "default", "desktop-linux", "prod-ssh", ...
    host: str  # unix:///..., tcp://..., ssh://..., npipe://...
    is_current: bool
    source: str  # "DOCKER_HOST", "docker context", "podman connection", "local socket", ...
    tls: TlsFiles | None = None
    skip_tls_verify: bool = False
    identity: str | None = None  # ssh identity file (a path, never key material)


@dataclass(frozen=True)
class ProbeResult:
    endpoint: EngineEndpoint
    info: EngineInfo | None
    reason: str | None  # one sentence when the engine cannot be reached
    hint: str | None = None  # extra detail for a tooltip, when there is any

    @property
    def ok(self) -> bool:
        return self.info is not None


# --------------------------------------------------------------------------- docker


def _home(environ: Mapping[str, str], home: str | Path | None) -> Path:
    if home is not None:
        return Path(home)
    return Path(environ.get("HOME") or Path.home())


def docker_config_dir(
    environ: Mapping[str, str] | None = None, home: str | Path | None = None
) -> Path:
    env = os.environ if environ is None else environ
    explicit = env.get("DOCKER_CONFIG")
    return Path(explicit).expanduser() if explicit else _home(env, home) / ".docker"


def context_dir_name(name: str) -> str:
    """The directory the docker CLI stores a context under: the sha256 hex of its name."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _tls_files(directory: Path) -> TlsFiles | None:
    files = [directory / n for n in ("ca.pem", "cert.pem", "key.pem")]
    present = [p if p.is_file() else None for p in files]
    if not any(present):
        return None
    return TlsFiles(ca=present[0], cert=present[1], key=present[2])


def _env_tls(env: Mapping[str, str], config_dir: Path) -> tuple[TlsFiles | None, bool]:
    """TLS for DOCKER_HOST as the docker CLI/SDK read it: DOCKER_TLS_VERIFY, DOCKER_CERT_PATH."""
    verify = bool(env.get("DOCKER_TLS_VERIFY"))
    cert_path = env.get("DOCKER_CERT_PATH")
    if not verify and not cert_path:
        return None, False
    directory = Path(cert_path).expanduser() if cert_path else config_dir
    return _tls_files(directory), not verify


def _default_docker_host() -> str:
    return WINDOWS_DOCKER_HOST if os.name == "nt" else DEFAULT_DOCKER_HOST


def docker_endpoints(
    environ: Mapping[str, str] | None = None, home: str | Path | None = None
) -> list[EngineEndpoint]:
    """The "default" context first, then the stored contexts by name; one is current."""
    env = os.environ if environ is None else environ
    config_dir = docker_config_dir(env, home)
    docker_host = env.get("DOCKER_HOST") or ""
    if docker_host:
        current: str | None = "default"
    else:
        config = _read_json(config_dir / "config.json")
        from_config = config.get("currentContext") if isinstance(config, dict) else None
        current = env.get("DOCKER_CONTEXT") or from_config or "default"
    tls, skip = _env_tls(env, config_dir) if docker_host else (None, False)
    endpoints = [
        EngineEndpoint(
            engine="docker",
            name="default",
            host=docker_host or _default_docker_host(),
            is_current=current == "default",
            source="DOCKER_HOST" if docker_host else "local socket",
            tls=tls,
            skip_tls_verify=skip,
        )
    ]
    contexts = config_dir / "contexts"
    found: dict[str, EngineEndpoint] = {}
    meta_root = contexts / "meta"
    with contextlib.suppress(OSError):
        for meta_dir in sorted(meta_root.iterdir()):
            meta = _read_json(meta_dir / "meta.json")
            if not isinstance(meta, dict) or not isinstance(meta.get("Name"), str):
                continue
            name = meta["Name"]
            endpoint = ((meta.get("Endpoints") or {}).get("docker")) or {}
            host = endpoint.get("Host") if isinstance(endpoint, dict) else None
            if name == "default" or not isinstance(host, str) or not host:
                continue
            # The CLI uses the directory named by the hash; a stray copy elsewhere loses.
            if name in found and meta_dir.name != context_dir_name(name):
                continue
            found[name] = EngineEndpoint(
                engine="docker",
                name=name,
                host=host,
                is_current=name == current,
                source="docker context",
                tls=_tls_files(contexts / "tls" / context_dir_name(name) / "docker"),
                skip_tls_verify=bool(endpoint.get("SkipTLSVerify")),
            )
    endpoints.extend(found[name] for name in sorted(found))
    return endpoints


# --------------------------------------------------------------------------- podman


def _run_podman_subprocess(env: Mapping[str, str]) -> Callable[[list[str]], str]:
    def run(argv: list[str]) -> str:
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=PODMAN_LIST_TIMEOUT,
            check=True,
            env=dict(env),
            stdin=subprocess.DEVNULL,
        )
        return result.stdout

    return run


def _from_cli(run_podman: Callable[[list[str]], str]) -> list[tuple[str, str, str | None, bool]]:
    """(name, uri, identity, default) from ``podman system connection list --format json``."""
    out = run_podman(["podman", "system", "connection", "list", "--format", "json"])
    data = json.loads(out or "[]")
    if not isinstance(data, list):
        raise ValueError("podman printed no connection list")
    rows = []
    for row in data:
        if isinstance(row, dict) and row.get("Name") and row.get("URI"):
            identity = row.get("Identity") or None
            rows.append((str(row["Name"]), str(row["URI"]), identity, bool(row.get("Default"))))
    return rows


def _from_files(env: Mapping[str, str], home: Path) -> list[tuple[str, str, str | None, bool]]:
    """The connections podman reads: podman-connections.json (podman 5) and containers.conf."""
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "containers"
    rows: dict[str, tuple[str, str | None]] = {}
    default: str | None = None
    data = _read_json(config_home / "podman-connections.json")
    connection = data.get("Connection") if isinstance(data, dict) else None
    if isinstance(connection, dict):
        default = connection.get("Default") or None
        for name, body in (connection.get("Connections") or {}).items():
            if isinstance(body, dict) and body.get("URI"):
                rows[str(name)] = (str(body["URI"]), body.get("Identity") or None)
    conf_path = Path(env["CONTAINERS_CONF"]) if env.get("CONTAINERS_CONF") else None
    conf_path = conf_path or config_home / "containers.conf"
    try:
        conf = tomllib.loads(conf_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        conf = {}
    engine = conf.get("engine")
    if not isinstance(engine, dict):
        engine = {}
    for name, body in (engine.get("service_destinations") or {}).items():
        if isinstance(body, dict) and body.get("uri") and name not in rows:
            rows[str(name)] = (str(body["uri"]), body.get("identity") or None)
    default = default or engine.get("active_service") or None
    return [(name, uri, ident, name == default) for name, (uri, ident) in sorted(rows.items())]


def _runtime_dir(env: Mapping[str, str]) -> str | None:
    if env.get("XDG_RUNTIME_DIR"):
        return env["XDG_RUNTIME_DIR"]
    getuid = getattr(os, "getuid", None)
    return f"/run/user/{getuid()}" if getuid is not None else None


def podman_endpoints(
    environ: Mapping[str, str] | None = None,
    home: str | Path | None = None,
    run_podman: Callable[[list[str]], str] | None = None,
) -> list[EngineEndpoint]:
    """CONTAINER_HOST, then podman's connections, then the local sockets; no host twice."""
    env = os.environ if environ is None else environ
    home_dir = _home(env, home)
    listed: list[EngineEndpoint] = []
    container_host = env.get("CONTAINER_HOST") or ""
    if container_host:
        listed.append(
            EngineEndpoint(
                engine="podman",
                name="CONTAINER_HOST",
                host=container_host,
                is_current=True,
                source="CONTAINER_HOST",
                identity=env.get("CONTAINER_SSHKEY") or None,
            )
        )
    if run_podman is None:
        run_env = dict(env)
        if home is not None:
            run_env["HOME"] = str(home)
        run_podman = _run_podman_subprocess(run_env)
    try:
        rows = _from_cli(run_podman)
    except (OSError, ValueError, subprocess.SubprocessError):
        rows = _from_files(env, home_dir)
    for name, uri, identity, default in rows:
        listed.append(
            EngineEndpoint(
                engine="podman",
                name=name,
                host=uri,
                is_current=default and not container_host,
                source="podman connection",
                identity=identity,
            )
        )
    any_current = any(e.is_current for e in listed)
    is_root = getattr(os, "geteuid", lambda: -1)() == 0
    sockets = []
    if os.name != "nt":
        sockets.append(("rootful", f"unix://{ROOTFUL_PODMAN_SOCKET}", is_root))
        runtime_dir = _runtime_dir(env)
        if runtime_dir:
            sockets.append(("rootless", f"unix://{runtime_dir}/podman/podman.sock", not is_root))
    for name, host, preferred in sockets:
        listed.append(
            EngineEndpoint(
                engine="podman",
                name=name,
                host=host,
                is_current=preferred and not any_current,
                source="local socket",
            )
        )
    unique: list[EngineEndpoint] = []
    seen: set[str] = set()
    for endpoint in listed:
        if endpoint.host not in seen:
            seen.add(endpoint.host)
            unique.append(endpoint)
    return unique


# --------------------------------------------------------------------------- probe


def _socket_problem(engine: str, path: str) -> str | None:
    """A sentence when the unix socket at ``path`` cannot answer, before any client is built."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"There is no {engine} socket at {path}: {engine} is not running there."
    except PermissionError:
        return f"Permission denied reading {path}: your user may not use this {engine} socket."
    except OSError as exc:
        return f"The {engine} socket {path} cannot be read: {exc.strerror}."
    if not stat.S_ISSOCK(mode):
        return f"{path} is not a socket, so no {engine} engine can answer there."
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(PROBE_TIMEOUT)
        try:
            sock.connect(path)
        except PermissionError:
            return f"Permission denied on {path}: your user may not use this {engine} socket."
        except ConnectionRefusedError:
            return f"The {engine} socket {path} refuses connections: {engine} is not running."
        except OSError as exc:
            return f"The {engine} socket {path} does not answer: {exc.strerror or exc}."
    return None


def _tls_config(endpoint: EngineEndpoint) -> Any:
    import docker.tls

    tls = endpoint.tls or TlsFiles(None, None, None)
    client_cert = (str(tls.cert), str(tls.key)) if tls.cert and tls.key else None
    verify = not endpoint.skip_tls_verify
    ca_cert = str(tls.ca) if tls.ca and verify else None
    return docker.tls.TLSConfig(client_cert=client_cert, ca_cert=ca_cert, verify=verify)


def _docker_engine(endpoint: EngineEndpoint, timeout: int = PROBE_TIMEOUT) -> Any:
    from kiops_desktop.runtimes.docker import DockerEngine

    if not (endpoint.tls or endpoint.skip_tls_verify) or not endpoint.host.startswith("tcp://"):
        return DockerEngine(endpoint.host, timeout=timeout)

    class TlsDockerEngine(DockerEngine):
        """DockerEngine over tcp+TLS (the adapter itself takes only a base URL)."""

        @property
        def client(self) -> Any:
            if self._client is None:
                import docker
                import docker.constants

                with self._errors("connecting"):
                    # A fixed API version: no request before trust_env is off. requests lets
                    # REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override the session's CA (psf/requests
                    # #3829), which would ignore the context's CA and SkipTLSVerify.
                    client = docker.DockerClient(
                        base_url=endpoint.host,
                        tls=_tls_config(endpoint),
                        timeout=timeout,
                        version=docker.constants.MINIMUM_DOCKER_API_VERSION,
                    )
                    client.api.trust_env = False
                    self._client = client
            return self._client

    return TlsDockerEngine(endpoint.host, timeout=timeout)


def _engine(endpoint: EngineEndpoint, timeout: int = PROBE_TIMEOUT) -> Any:
    if endpoint.engine == "docker":
        return _docker_engine(endpoint, timeout)
    from kiops_desktop.runtimes.podman import PodmanEngine

    return PodmanEngine(endpoint.host, timeout=timeout)


def open_engine(endpoint: EngineEndpoint, *, timeout: int = 60) -> ContainerEngine:
    """The adapter for an endpoint, for real work (listing, deploys): a longer timeout than the
    probe's. Call ``probe`` first for a sentence when it cannot answer."""
    engine: ContainerEngine = _engine(endpoint, timeout)
    return engine


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes/contexts, each once (chains can loop)."""
    visited: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in visited and len(visited) < 50:
        visited.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_tls_failure(exc: BaseException) -> bool:
    import ssl

    import requests

    return any(isinstance(e, ssl.SSLError | requests.exceptions.SSLError) for e in _causes(exc))


def probe(endpoint: EngineEndpoint) -> ProbeResult:
    """Ask the endpoint's engine for its version; a sentence instead when it cannot answer."""
    engine, host = endpoint.engine, endpoint.host
    scheme = host.split("://", 1)[0].lower() if "://" in host else ""
    if scheme == "ssh":
        return ProbeResult(endpoint, None, SSH_NOT_SUPPORTED + ".")
    if scheme not in ("unix", "tcp", "npipe") or (scheme == "npipe" and engine != "docker"):
        return ProbeResult(
            endpoint, None, f"KIOPS Desktop cannot talk to {engine} at {host}: unsupported address."
        )
    if engine == "podman" and endpoint.tls is not None:
        return ProbeResult(
            endpoint, None, "TLS connections to podman are not supported yet by KIOPS Desktop."
        )
    if scheme == "unix":
        problem = _socket_problem(engine, host.removeprefix("unix://"))
        if problem:
            return ProbeResult(endpoint, None, problem)
    tls = endpoint.tls
    if tls is not None:
        for label, path in (("CA", tls.ca), ("certificate", tls.cert), ("key", tls.key)):
            if path is not None and not path.is_file():
                return ProbeResult(endpoint, None, f"The TLS {label} file {path} is missing.")
    adapter: Any = None
    try:
        adapter = _engine(endpoint)
        with warnings.catch_warnings():
            if endpoint.skip_tls_verify:  # the operator's explicit choice: no warning per call
                import urllib3

                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            info = adapter.info()
    except Exception as exc:
        if _is_tls_failure(exc):
            return ProbeResult(
                endpoint,
                None,
                f"The TLS handshake with the {engine} engine at {host} failed: its certificate "
                "is not trusted or the client certificate was refused.",
                hint=str(exc),
            )
        if isinstance(exc, errors.OperationError):
            return ProbeResult(endpoint, None, exc.sentence, hint=exc.hint)
        return ProbeResult(
            endpoint, None, f"The {engine} engine at {host} does not answer: {exc}", hint=None
        )
    finally:
        if adapter is not None:
            with contextlib.suppress(Exception):
                adapter.close()
    return ProbeResult(endpoint, info, None)
