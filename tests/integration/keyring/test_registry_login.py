"""A registry that demands basic auth (Debian's docker-registry with an htpasswd file, on
127.0.0.1) is listed with the login stored in the real Secret Service; without a stored login the
client is told to log in, and the keyring is not even asked."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiops_desktop.connections.credentials import CredentialStore, KeyringUnavailable
from kiops_desktop.runtimes.errors import OperationError, Unauthorized
from kiops_desktop.runtimes.registry import RegistryClient
from tests.integration.containers.test_registry import (
    Registry,
    bcrypt_hash,
    start_registry,
    stop,
)
from tests.integration.keyring.conftest import SecretScan

pytestmark = pytest.mark.integration

USER = "deployer"


@pytest.fixture
def basic_registry(
    tmp_path_factory: pytest.TempPathFactory, new_secret: Callable[[str], str]
) -> Iterator[tuple[Registry, str]]:
    password = new_secret("registry-pw")
    root = tmp_path_factory.mktemp("auth-registry")
    (root / "htpasswd").write_text(f"{USER}:{bcrypt_hash(password)}\n")
    reg = start_registry(
        root, {"htpasswd": {"realm": "kiops-test", "path": str(root / "htpasswd")}}
    )
    try:
        basic = base64.b64encode(f"{USER}:{password}".encode()).decode()
        reg.push_auth = {"Authorization": f"Basic {basic}"}
        reg.push_image("team/app", "main-abc1234", "2026-11-01T00:00:00Z")
        reg.push_image("team/app", "main-def5678", "2026-11-02T00:00:00Z", payload=b"v2")
        yield reg, password
    finally:
        stop(reg)


def test_registry_listed_with_keyring_credentials(
    basic_registry: tuple[Registry, str], store: CredentialStore, secret_scan: SecretScan
) -> None:
    reg, password = basic_registry
    anonymous = RegistryClient(reg.host, credentials=store.registry_lookup())
    with pytest.raises(Unauthorized):  # no login stored: the keyring is not asked
        anonymous.tags("team/app")

    store.set_registry_login(reg.host, USER, password)
    client = RegistryClient(reg.host, credentials=store.registry_lookup())
    assert sorted(client.tags("team/app")) == ["main-abc1234", "main-def5678"]
    assert [v.tag for v in client.versions("team/app")] == ["main-def5678", "main-abc1234"]
    assert password not in repr(client)


def test_a_login_with_the_keyring_gone_is_an_operation_error_not_anonymous(
    basic_registry: tuple[Registry, str],
    store: CredentialStore,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    reg, password = basic_registry
    store.set_registry_login(reg.host, USER, password)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    client = RegistryClient(reg.host, credentials=CredentialStore().registry_lookup())
    with pytest.raises(KeyringUnavailable) as err:
        client.tags("team/app")
    assert isinstance(err.value, OperationError)
    assert "no OS keyring is available" in str(err.value)
