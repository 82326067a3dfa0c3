"""Pulls and deploys from a registry that demands basic auth, with the login from the real
Secret Service, on real Docker and Podman.

The registry is Debian's docker-registry with an htpasswd file on 127.0.0.1 (``basic_registry``
from the keyring suite); the login lives in gnome-keyring on a private D-Bus bus (the keyring
suite's fixtures, imported below so that this module gets them next to the engines of this
folder — the engines are started once for the whole containers suite, not again). The login
reaches the engines only in the pull request's ``X-Registry-Auth`` header: after every test no
``config.json`` / ``auth.json`` a Docker or Podman client reads, and none of the app's
directories, holds the password (``secret_scan`` plus the explicit check below).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import podman
import pytest

from kiops_desktop.connections.credentials import CredentialStore
from kiops_desktop.ops.audit import AuditLog
from kiops_desktop.ops.backups import BackupStore
from kiops_desktop.ops.deploy import DeployResult, deploy
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine
from kiops_desktop.runtimes.docker import DockerEngine
from kiops_desktop.runtimes.podman import PodmanEngine
from kiops_desktop.runtimes.registry import RegistryCredentials
from tests.integration.containers.conftest import (
    APP_REPO,
    Engine,
    free_port,
    image_changes,
    rootfs_tar,
    run_app,
    wait_http,
)
from tests.integration.containers.test_registry import Registry
from tests.integration.keyring.conftest import (
    SecretScan,
    _fresh_redactor,
    app_home,
    keyring_env,
    new_secret,
    secret_scan,
    secret_service,
    store,
)
from tests.integration.keyring.test_registry_login import USER, basic_registry

__all__ = [
    "_fresh_redactor",
    "app_home",
    "basic_registry",
    "keyring_env",
    "new_secret",
    "secret_scan",
    "secret_service",
    "store",
]

pytestmark = pytest.mark.integration

TAG = "v2"


def needs_login(host: str) -> str:
    return f"The registry {host} needs a login; add one in Connections → Registry logins."


def refused_login(host: str) -> str:
    return (
        f"The registry {host} refused the login stored for it; update it in "
        "Connections → Registry logins."
    )


@dataclass
class AuthRegistry:
    host: str  # 127.0.0.1:PORT
    password: str
    image: str  # HOST/kiops-test/app:v2, pushed with the login


def client_config_files(home: Path, docker_config: Path) -> list[Path]:
    """Every file a Docker or Podman client (or the SDKs) reads logins from, for this process
    and for root's real home (the engines run as root)."""
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")
    roots = [home, docker_config, Path("/root/.docker"), Path("/root/.config/containers")]
    files = [p for r in roots if r.is_dir() for p in r.rglob("*") if p.is_file()]
    files += [
        p
        for p in (
            runtime / "containers" / "auth.json",
            Path(f"/run/containers/{os.getuid()}/auth.json"),
            Path("/root/.dockercfg"),
        )
        if p.is_file()
    ]
    return files


@pytest.fixture
def client_homes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_scan: SecretScan
) -> Iterator[tuple[Path, Path]]:
    """HOME and DOCKER_CONFIG of this process in ``tmp_path`` (empty: no login of the developer's
    helps a pull), scanned for the secrets afterwards; root's real client configs too."""
    home, docker_config = tmp_path / "home", tmp_path / "docker-config"
    home.mkdir()
    docker_config.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    yield home, docker_config
    # Root's real files are checked by content only: the developer may have logins of their own.
    for path in client_config_files(home, docker_config):
        secret_scan.watch(path)


@pytest.fixture
def auth_registry(
    basic_registry: tuple[Registry, str],
    docker_client: docker.DockerClient,
    podman_client: podman.PodmanClient,
    client_homes: tuple[Path, Path],
) -> Iterator[AuthRegistry]:
    """The basic-auth registry with a fresh build of ``kiops-test/app:v2`` (its own image id: the
    file times differ from the session's build) pushed by the Docker engine with the login in
    memory, in the push request's header — then removed from Docker again, so the image exists
    only in the registry and every pull in the test really downloads it."""
    reg, password = basic_registry
    target = f"{reg.host}/{APP_REPO}"
    image = f"{target}:{TAG}"
    docker_client.api.import_image_from_data(
        rootfs_tar(TAG), repository=target, tag=TAG, changes=image_changes(TAG)
    )
    try:
        for line in docker_client.images.push(
            target,
            tag=TAG,
            stream=True,
            decode=True,
            auth_config={"username": USER, "password": password},
        ):
            assert "error" not in line, line
    finally:
        docker_client.images.remove(image)
    yield AuthRegistry(reg.host, password, image)
    for client in (docker_client, podman_client):
        with contextlib.suppress(Exception):  # not pulled by every test
            client.images.remove(image)


def adapter(engine: Engine) -> ContainerEngine:
    return DockerEngine(engine.url) if engine.name == "docker" else PodmanEngine(engine.url)


def assert_no_client_config_holds(password: str, homes: tuple[Path, Path]) -> None:
    for path in client_config_files(*homes):
        assert password.encode() not in path.read_bytes(), f"{path} holds the registry password"


def test_push_left_no_login_in_any_client_config(
    auth_registry: AuthRegistry, client_homes: tuple[Path, Path]
) -> None:
    assert_no_client_config_holds(auth_registry.password, client_homes)
    assert not (client_homes[1] / "config.json").exists()
    assert not (client_homes[0] / ".docker" / "config.json").exists()


def test_pull_needs_the_login_and_uses_the_keyring_one(
    engine: Engine,
    auth_registry: AuthRegistry,
    store: CredentialStore,
    new_secret: Callable[[str], str],
    client_homes: tuple[Path, Path],
) -> None:
    ce = adapter(engine)
    reg = auth_registry
    with pytest.raises(errors.Unauthorized) as anonymous:
        ce.pull(reg.image)
    assert str(anonymous.value) == needs_login(reg.host)

    wrong = RegistryCredentials(USER, new_secret("wrong-pw"))
    with pytest.raises(errors.Unauthorized) as refused:
        ce.pull(reg.image, wrong)
    assert str(refused.value) == refused_login(reg.host)
    assert wrong.secret not in f"{refused.value} {refused.value.hint}"

    store.set_registry_login(reg.host, USER, reg.password)
    login = store.registry_lookup()(reg.host)
    assert login is not None
    image_id = ce.pull(reg.image, login)
    assert image_id == ce.image_id(reg.image)
    config = ce.image_config(reg.image) or {}
    assert (config.get("Labels") or {}).get("org.opencontainers.image.version") == TAG
    assert_no_client_config_holds(reg.password, client_homes)


def test_deploy_pulls_with_the_keyring_login(
    engine: Engine,
    auth_registry: AuthRegistry,
    store: CredentialStore,
    new_secret: Callable[[str], str],
    secret_scan: SecretScan,
    client_homes: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    ce = adapter(engine)
    reg = auth_registry
    backups = BackupStore(secret_scan.watch(tmp_path / "backups"))
    audit = AuditLog()  # the app's data dir: scanned by secret_scan
    port = free_port()
    name = f"kiops-pull-{uuid.uuid4().hex[:8]}"
    run_app(engine, "v1", port=port, name=name)
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"

    def run() -> DeployResult:
        return deploy(
            ce,
            name,
            reg.image,
            store=backups,
            audit=audit,
            health_timeout=2.0,
            credentials=store.registry_lookup(),
        )

    # No login stored: refused before anything is touched.
    result = run()
    assert result.outcome == "refused"
    assert needs_login(reg.host) in str(result)
    assert "The previous container still runs." in str(result)
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"

    # A wrong password stored: the registry refuses it, the previous container keeps serving.
    wrong = new_secret("wrong-pw")
    store.set_registry_login(reg.host, USER, wrong)
    result = run()
    assert result.outcome == "refused"
    assert isinstance(result.error, errors.Unauthorized)
    assert refused_login(reg.host) in str(result)
    assert "The previous container still runs." in str(result)
    assert (ce.inspect(name).get("State") or {}).get("Status") == "running"
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    assert backups.list() == []  # refused before the backup step
    assert wrong not in repr(result)

    # The right login: pulled and deployed.
    store.set_registry_login(reg.host, USER, reg.password)
    result = run()
    assert result.ok, str(result)
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v2"
    assert ce.image_id(reg.image) == ce.inspect(name)["Image"]
    for secret in (reg.password, wrong):
        assert secret not in repr(result)
        assert secret not in audit.path.read_text()
    assert [json.loads(e)["outcome"] for e in audit.path.read_text().splitlines()] == [
        "refused",
        "refused",
        "deployed",
    ]
    assert_no_client_config_holds(reg.password, client_homes)


def test_restore_pulls_a_gone_image_with_the_keyring_login(
    engine: Engine,
    auth_registry: AuthRegistry,
    store: CredentialStore,
    secret_scan: SecretScan,
    client_homes: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """A backup of a container on the registry's image restores after that image was removed
    from the engine: pulled again by digest, with the stored login."""
    ce = adapter(engine)
    reg = auth_registry
    backups = BackupStore(secret_scan.watch(tmp_path / "backups"))
    store.set_registry_login(reg.host, USER, reg.password)
    image_id = ce.pull(reg.image, store.registry_lookup()(reg.host))
    port = free_port()
    name = f"kiops-pull-{uuid.uuid4().hex[:8]}"
    run_app(engine, "v1", port=port, name=name)
    deployed = deploy(
        ce, name, reg.image, store=backups, backup=False, credentials=store.registry_lookup()
    )
    assert deployed.ok, str(deployed)
    saved = backups.create(ce, name)
    assert saved.image_id == image_id
    ce.remove(name)
    engine.client.images.remove(image_id, force=True)
    assert ce.image_id(image_id) is None

    with pytest.raises(errors.Unauthorized) as anonymous:
        backups.restore(ce, saved)
    assert needs_login(reg.host) in str(anonymous.value)
    assert str(anonymous.value).startswith("Nothing was restored")
    assert not ce.exists(name)

    backups.restore(ce, saved, credentials=store.registry_lookup())
    assert wait_http(f"http://127.0.0.1:{port}/version") == TAG
    assert ce.inspect(name)["Image"] == image_id
    assert_no_client_config_holds(reg.password, client_homes)
