"""Docker contexts and Podman connections are found the way the docker and podman CLIs find them.

Every test writes a HOME-like tree in tmp_path and passes ``environ``/``home`` explicitly, so the
machine's own ~/.docker, ~/.config/containers and DOCKER_HOST never leak in.
"""

from __future__ import annotations

import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.connections.engines import (
    DEFAULT_DOCKER_HOST,
    SSH_NOT_SUPPORTED,
    EngineEndpoint,
    TlsFiles,
    context_dir_name,
    docker_endpoints,
    podman_endpoints,
    probe,
)

# Captured from podman 4.3.1 here: `podman system connection add` x3 into a temporary config,
# then `podman system connection list --format json` (the identity path shortened).
PODMAN_LIST_JSON = """[
    {
        "Name": "local-tcp",
        "URI": "tcp://127.0.0.1:8888",
        "Identity": "",
        "IsMachine": false,
        "Default": false
    },
    {
        "Name": "local-unix",
        "URI": "unix:///run/podman/podman.sock",
        "Identity": "",
        "IsMachine": false,
        "Default": true
    },
    {
        "Name": "prod-ssh",
        "URI": "ssh://core@10.0.0.5:2222/run/user/1000/podman/podman.sock",
        "Identity": "/home/op/.ssh/id_prod",
        "IsMachine": false,
        "Default": false
    }
]
"""


def _context(
    home: Path, name: str, host: str, *, skip_tls: bool = False, tls: bool = False
) -> None:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = home / ".docker" / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    body = {
        "Name": name,
        "Metadata": {"Description": f"{name} context"},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_tls}},
    }
    (meta / "meta.json").write_text(json.dumps(body))
    if tls:
        tls_dir = home / ".docker" / "contexts" / "tls" / digest / "docker"
        tls_dir.mkdir(parents=True)
        for f in ("ca.pem", "cert.pem", "key.pem"):
            (tls_dir / f).write_text(f"-----BEGIN {f}-----\n")


@pytest.fixture
def docker_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": "desktop-linux"}))
    _context(home, "desktop-linux", "unix:///home/op/.docker/desktop/docker.sock")
    _context(home, "prod-tls", "tcp://prod.example:2376", tls=True)
    return home


def _by_name(endpoints: list[EngineEndpoint]) -> dict[str, EngineEndpoint]:
    return {e.name: e for e in endpoints}


# --------------------------------------------------------------------------- docker


def test_context_hash_is_sha256_of_the_name() -> None:
    assert context_dir_name("default") == hashlib.sha256(b"default").hexdigest()


def test_current_context_from_config_json(docker_home: Path) -> None:
    endpoints = docker_endpoints(environ={}, home=docker_home)
    assert [e.name for e in endpoints] == ["default", "desktop-linux", "prod-tls"]
    found = _by_name(endpoints)
    assert [e.name for e in endpoints if e.is_current] == ["desktop-linux"]
    assert found["default"].host == DEFAULT_DOCKER_HOST
    assert found["default"].source == "local socket"
    desktop = found["desktop-linux"]
    assert desktop.host == "unix:///home/op/.docker/desktop/docker.sock"
    assert desktop.source == "docker context"
    assert desktop.tls is None
    assert all(e.engine == "docker" for e in endpoints)


def test_context_tls_files_are_paths_under_the_hash(docker_home: Path) -> None:
    prod = _by_name(docker_endpoints(environ={}, home=docker_home))["prod-tls"]
    tls_dir = docker_home / ".docker" / "contexts" / "tls" / context_dir_name("prod-tls") / "docker"
    assert prod.tls == TlsFiles(tls_dir / "ca.pem", tls_dir / "cert.pem", tls_dir / "key.pem")
    assert prod.skip_tls_verify is False
    assert prod.host == "tcp://prod.example:2376"


def test_skip_tls_verify_is_read(tmp_path: Path) -> None:
    _context(tmp_path, "lab", "tcp://lab:2376", skip_tls=True)
    lab = _by_name(docker_endpoints(environ={}, home=tmp_path))["lab"]
    assert lab.skip_tls_verify is True
    assert lab.tls is None


def test_docker_context_env_beats_config_json(docker_home: Path) -> None:
    endpoints = docker_endpoints(environ={"DOCKER_CONTEXT": "prod-tls"}, home=docker_home)
    assert [e.name for e in endpoints if e.is_current] == ["prod-tls"]


def test_docker_host_wins_over_every_context(docker_home: Path) -> None:
    env = {"DOCKER_HOST": "tcp://10.1.2.3:2375", "DOCKER_CONTEXT": "prod-tls"}
    endpoints = docker_endpoints(environ=env, home=docker_home)
    current = [e for e in endpoints if e.is_current]
    assert len(current) == 1
    assert current[0].name == "default"
    assert current[0].host == "tcp://10.1.2.3:2375"
    assert current[0].source == "DOCKER_HOST"
    assert current[0].tls is None
    assert {e.name for e in endpoints} == {"default", "desktop-linux", "prod-tls"}


def test_docker_host_with_tls_env(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    for f in ("ca.pem", "cert.pem", "key.pem"):
        (certs / f).write_text("x")
    env = {
        "DOCKER_HOST": "tcp://h:2376",
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": str(certs),
    }
    default = docker_endpoints(environ=env, home=tmp_path)[0]
    assert default.tls == TlsFiles(certs / "ca.pem", certs / "cert.pem", certs / "key.pem")
    assert default.skip_tls_verify is False


def test_docker_config_env_moves_config_and_contexts(tmp_path: Path, docker_home: Path) -> None:
    env = {"DOCKER_CONFIG": str(docker_home / ".docker")}
    endpoints = docker_endpoints(environ=env, home=tmp_path / "elsewhere")
    assert [e.name for e in endpoints if e.is_current] == ["desktop-linux"]


def test_no_docker_config_gives_the_default_context_only(tmp_path: Path) -> None:
    endpoints = docker_endpoints(environ={}, home=tmp_path)
    assert endpoints == [
        EngineEndpoint(
            engine="docker",
            name="default",
            host=DEFAULT_DOCKER_HOST,
            is_current=True,
            source="local socket",
        )
    ]


def test_broken_and_duplicate_contexts_are_skipped(docker_home: Path) -> None:
    meta = docker_home / ".docker" / "contexts" / "meta"
    (meta / "bad").mkdir()
    (meta / "bad" / "meta.json").write_text("{not json")
    for d, name in (("dup", "desktop-linux"), ("shadow", "default")):
        (meta / d).mkdir()
        body = {"Name": name, "Endpoints": {"docker": {"Host": "tcp://other:1"}}}
        (meta / d / "meta.json").write_text(json.dumps(body))
    no_docker = docker_home / ".docker" / "contexts" / "meta" / "k8s-only"
    no_docker.mkdir()
    (no_docker / "meta.json").write_text(json.dumps({"Name": "k8s", "Endpoints": {}}))
    endpoints = docker_endpoints(environ={}, home=docker_home)
    assert [e.name for e in endpoints] == ["default", "desktop-linux", "prod-tls"]
    assert all(e.host != "tcp://other:1" for e in endpoints)


# --------------------------------------------------------------------------- podman


def _fake_podman(output: str, calls: list[list[str]]) -> Callable[[list[str]], str]:
    def run(argv: list[str]) -> str:
        calls.append(argv)
        return output

    return run


def _no_podman(argv: list[str]) -> str:
    raise FileNotFoundError(2, "No such file or directory", "podman")


def test_podman_connections_from_the_cli(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    env = {"XDG_RUNTIME_DIR": "/run/user/1000"}
    endpoints = podman_endpoints(
        environ=env, home=tmp_path, run_podman=_fake_podman(PODMAN_LIST_JSON, calls)
    )
    assert calls == [["podman", "system", "connection", "list", "--format", "json"]]
    found = _by_name(endpoints)
    # local-unix already names the rootful socket: it is not listed twice.
    assert [e.name for e in endpoints] == ["local-tcp", "local-unix", "prod-ssh", "rootless"]
    assert [e.name for e in endpoints if e.is_current] == ["local-unix"]
    assert found["prod-ssh"].identity == "/home/op/.ssh/id_prod"
    assert found["prod-ssh"].host.startswith("ssh://core@10.0.0.5:2222/")
    assert found["local-tcp"].identity is None
    assert found["local-tcp"].source == "podman connection"
    assert found["rootless"].host == "unix:///run/user/1000/podman/podman.sock"
    assert found["rootless"].source == "local socket"
    assert not found["rootless"].is_current


def test_container_host_wins(tmp_path: Path) -> None:
    env = {
        "CONTAINER_HOST": "ssh://me@box/run/podman/podman.sock",
        "CONTAINER_SSHKEY": "/home/op/.ssh/id_box",
        "XDG_RUNTIME_DIR": "/run/user/1000",
    }
    endpoints = podman_endpoints(
        environ=env, home=tmp_path, run_podman=_fake_podman(PODMAN_LIST_JSON, [])
    )
    first = endpoints[0]
    assert first.source == "CONTAINER_HOST"
    assert first.host == "ssh://me@box/run/podman/podman.sock"
    assert first.identity == "/home/op/.ssh/id_box"
    assert [e for e in endpoints if e.is_current] == [first]


def test_container_host_equal_to_a_socket_is_not_listed_twice(tmp_path: Path) -> None:
    env = {"CONTAINER_HOST": "unix:///run/podman/podman.sock", "XDG_RUNTIME_DIR": "/r"}
    endpoints = podman_endpoints(environ=env, home=tmp_path, run_podman=_fake_podman("[]", []))
    assert [(e.name, e.host) for e in endpoints] == [
        ("CONTAINER_HOST", "unix:///run/podman/podman.sock"),
        ("rootless", "unix:///r/podman/podman.sock"),
    ]


def test_without_connections_the_local_sockets_are_listed(tmp_path: Path) -> None:
    env = {"XDG_RUNTIME_DIR": "/run/user/1000"}
    endpoints = podman_endpoints(environ=env, home=tmp_path, run_podman=_fake_podman("[]", []))
    assert [(e.name, e.host, e.source) for e in endpoints] == [
        ("rootful", "unix:///run/podman/podman.sock", "local socket"),
        ("rootless", "unix:///run/user/1000/podman/podman.sock", "local socket"),
    ]
    current = [e.name for e in endpoints if e.is_current]
    assert current == (["rootful"] if os.geteuid() == 0 else ["rootless"])


def test_connections_files_when_podman_cannot_run(tmp_path: Path) -> None:
    conf_dir = tmp_path / ".config" / "containers"
    conf_dir.mkdir(parents=True)
    # podman 5's file ...
    (conf_dir / "podman-connections.json").write_text(
        json.dumps(
            {
                "Connection": {
                    "Default": "machine",
                    "Connections": {
                        "machine": {
                            "URI": "ssh://core@127.0.0.1:50123/run/user/501/podman/podman.sock",
                            "Identity": "/home/op/.ssh/machine",
                            "IsMachine": True,
                        }
                    },
                },
                "Farm": {},
            }
        )
    )
    # ... and what podman 4.3 writes into containers.conf (captured from `connection add`).
    (conf_dir / "containers.conf").write_text(
        """[containers]

[engine]
  active_service = "local-unix"
  [engine.service_destinations]
    [engine.service_destinations.local-tcp]
      uri = "tcp://127.0.0.1:8888"
    [engine.service_destinations.machine]
      uri = "tcp://shadowed:1"
    [engine.service_destinations.prod-ssh]
      uri = "ssh://core@10.0.0.5:2222/run/user/1000/podman/podman.sock"
      identity = "/home/op/.ssh/id_prod"
"""
    )
    endpoints = podman_endpoints(
        environ={"XDG_RUNTIME_DIR": "/r"}, home=tmp_path, run_podman=_no_podman
    )
    found = _by_name(endpoints)
    assert list(found) == ["local-tcp", "machine", "prod-ssh", "rootful", "rootless"]
    assert found["machine"].host.startswith("ssh://core@127.0.0.1:50123/")  # the JSON file wins
    assert found["machine"].identity == "/home/op/.ssh/machine"
    assert found["machine"].is_current  # podman-connections.json's Default beats active_service
    assert found["prod-ssh"].identity == "/home/op/.ssh/id_prod"
    assert [e.name for e in endpoints if e.is_current] == ["machine"]


def test_containers_conf_active_service_and_failing_podman(tmp_path: Path) -> None:
    conf_dir = tmp_path / "xdg" / "containers"
    conf_dir.mkdir(parents=True)
    (conf_dir / "containers.conf").write_text(
        '[engine]\nactive_service = "b"\n'
        '[engine.service_destinations.a]\nuri = "tcp://a:1"\n'
        '[engine.service_destinations.b]\nuri = "tcp://b:2"\n'
    )

    def failing(argv: list[str]) -> str:
        raise subprocess.CalledProcessError(125, argv, "", "Error: boom")

    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_RUNTIME_DIR": "/r"}
    endpoints = podman_endpoints(environ=env, home=tmp_path, run_podman=failing)
    assert [e.name for e in endpoints if e.is_current] == ["b"]
    assert [e.name for e in endpoints][:2] == ["a", "b"]


def test_default_runner_uses_the_given_home_and_no_shell(tmp_path: Path) -> None:
    # The real podman with an empty temporary configuration: no connections, only the sockets.
    conf = tmp_path / "containers.conf"
    conf.write_text("")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "CONTAINERS_CONF": str(conf),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
    }
    endpoints = podman_endpoints(environ=env, home=tmp_path)
    assert [e.source for e in endpoints] == ["local socket", "local socket"]


def test_missing_podman_binary_falls_back_to_files(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path / "empty-bin"), "XDG_RUNTIME_DIR": "/r"}
    endpoints = podman_endpoints(environ=env, home=tmp_path)
    assert [e.name for e in endpoints] == ["rootful", "rootless"]


# --------------------------------------------------------------------------- probe (offline)


def test_probe_ssh_is_honest() -> None:
    for engine in ("docker", "podman"):
        endpoint = EngineEndpoint(engine, "prod-ssh", "ssh://core@h/run/podman.sock", False, "x")
        result = probe(endpoint)
        assert result.info is None
        assert result.reason is not None
        assert result.reason.startswith(SSH_NOT_SUPPORTED)


def test_probe_missing_socket_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.sock"
    result = probe(EngineEndpoint("docker", "gone", f"unix://{path}", False, "docker context"))
    assert result.info is None
    assert result.reason is not None
    assert str(path) in result.reason
    assert not result.ok


def test_probe_refused_socket(tmp_path: Path) -> None:
    path = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(path))  # bound, never listening: connect is refused
        result = probe(EngineEndpoint("podman", "dead", f"unix://{path}", False, "local socket"))
    assert result.reason is not None
    assert "refuses connections" in result.reason
    assert str(path) in result.reason


def test_probe_regular_file_is_not_a_socket(tmp_path: Path) -> None:
    path = tmp_path / "file.sock"
    path.write_text("")
    result = probe(EngineEndpoint("docker", "f", f"unix://{path}", False, "x"))
    assert result.reason == f"{path} is not a socket, so no docker engine can answer there."


def test_probe_tcp_refused_never_raises() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for engine in ("docker", "podman"):
        ep = EngineEndpoint(engine, "t", f"tcp://127.0.0.1:{port}", False, "x")
        result = probe(ep)
        assert result.info is None
        assert result.reason is not None
        assert f"127.0.0.1:{port}" in result.reason


def test_probe_missing_tls_file(tmp_path: Path) -> None:
    tls = TlsFiles(tmp_path / "ca.pem", None, None)
    ep = EngineEndpoint("docker", "p", "tcp://127.0.0.1:1", False, "docker context", tls=tls)
    assert probe(ep).reason == f"The TLS CA file {tmp_path / 'ca.pem'} is missing."


def test_probe_unsupported_scheme() -> None:
    result = probe(EngineEndpoint("podman", "x", "fd://3", False, "x"))
    assert result.reason is not None
    assert "unsupported address" in result.reason


# --------------------------------------------------------------------------- probe over tcp+TLS


def _issue(
    name: str, issuer: tuple[Any, Any] | None, *, ca: bool = False, ip: str | None = None
) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def _write_pem(path: Path, cert: Any, key: Any = None) -> Path:
    from cryptography.hazmat.primitives import serialization

    if key is not None:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    else:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture
def tls_engine(tmp_path: Path) -> Iterator[tuple[str, TlsFiles, Path]]:
    """A fake Docker API over mutual TLS on 127.0.0.1: (tcp URL, client TLS files, other CA)."""
    ca = _issue("kiops test CA", None, ca=True)
    server = _issue("127.0.0.1", ca, ip="127.0.0.1")
    client = _issue("operator", ca)
    other_ca = _issue("someone else's CA", None, ca=True)
    d = tmp_path / "tls"
    d.mkdir()
    files = TlsFiles(
        ca=_write_pem(d / "ca.pem", ca[0]),
        cert=_write_pem(d / "cert.pem", client[0]),
        key=_write_pem(d / "key.pem", None, client[1]),
    )
    _write_pem(d / "server.pem", server[0])
    _write_pem(d / "server-key.pem", None, server[1])
    other = _write_pem(d / "other-ca.pem", other_ca[0])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"Version": "99.0.0-tls", "ApiVersion": "1.41"}).encode()
            self.send_response(200 if self.path.endswith("/version") else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(files.ca))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(d / "server.pem", d / "server-key.pem")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{httpd.server_address[1]}", files, other
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_probe_tcp_tls_verifies_against_the_context_ca(
    tls_engine: tuple[str, TlsFiles, Path],
) -> None:
    url, files, _ = tls_engine
    result = probe(EngineEndpoint("docker", "prod", url, True, "docker context", tls=files))
    assert result.reason is None, result.reason
    assert result.info is not None
    assert (result.info.name, result.info.version) == ("docker", "99.0.0-tls")


def test_probe_tcp_tls_untrusted_server(tls_engine: tuple[str, TlsFiles, Path]) -> None:
    url, files, other_ca = tls_engine
    wrong = TlsFiles(other_ca, files.cert, files.key)
    ep = EngineEndpoint("docker", "prod", url, True, "docker context", tls=wrong)
    result = probe(ep)
    assert result.info is None
    assert result.reason is not None
    assert result.reason.startswith("The TLS handshake with the docker engine at")
    # ... unless the context says SkipTLSVerify, as `docker --context` would.
    skipping = EngineEndpoint(
        "docker", "prod", url, True, "docker context", tls=wrong, skip_tls_verify=True
    )
    assert probe(skipping).info is not None
