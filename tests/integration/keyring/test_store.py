"""The credential store against a real Secret Service: registry logins and cluster credentials
stored, read, listed and deleted; the index never holds a secret; ``secret-tool`` (libsecret,
an outside witness) sees exactly the namespaced entries."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Callable

import pytest

from kiops_desktop.connections import redact
from kiops_desktop.connections.credentials import (
    ClusterCredential,
    CredentialError,
    CredentialStore,
    RegistryLogin,
)
from kiops_desktop.connections.paths import app_dirs, ensure_private_dir
from kiops_desktop.connections.redact import install_log_redaction
from kiops_desktop.runtimes.registry import RegistryCredentials
from tests.integration.keyring.conftest import SecretScan
from tests.integration.keyring.secret_service import RunningSecretService

pytestmark = pytest.mark.integration


def test_backend_is_the_secret_service(store: CredentialStore) -> None:
    status = store.check()
    assert status.backend_class == "keyring.backends.SecretService.Keyring"
    assert "Secret Service" in status.backend
    assert (status.file_based, status.warning) == (False, None)


def test_registry_login_round_trip(
    store: CredentialStore,
    secret_service: RunningSecretService,
    new_secret: Callable[[str], str],
) -> None:
    password = new_secret("pw")
    login = store.set_registry_login("HTTPS://Harbor.Example.com:8443/", "deployer", password)
    assert login == RegistryLogin("harbor.example.com:8443", "deployer")
    assert store.list_registry_logins() == [login]
    assert store.get_registry_login("harbor.example.com:8443") == RegistryCredentials(
        "deployer", password
    )
    # the registry client asks by its own key; the lookup answers the same
    assert store.registry_lookup()("harbor.example.com:8443") == RegistryCredentials(
        "deployer", password
    )
    assert store.get_registry_login("other.example.com") is None

    # the index: host and user name, 0600, no secret
    index = store.index_path
    assert stat.S_IMODE(index.stat().st_mode) == 0o600
    assert json.loads(index.read_text()) == {
        "version": 1,
        "registries": {"harbor.example.com:8443": {"username": "deployer"}},
    }
    # an outside witness finds the secret under the namespaced service name
    found = secret_service.secret_tool(
        "lookup",
        "service",
        "kiops-desktop/registry/harbor.example.com:8443",
        "username",
        "deployer",
    )
    assert (found.returncode, found.stdout) == (0, password)
    # read secrets are known to the redactor
    assert redact.redact(f"login with {password}") == f"login with {redact.MASK}"

    # a new user name replaces the old entry
    password2 = new_secret("pw2")
    store.set_registry_login("harbor.example.com:8443", "robot$ci", password2)
    assert store.list_registry_logins() == [RegistryLogin("harbor.example.com:8443", "robot$ci")]
    old = secret_service.secret_tool(
        "lookup",
        "service",
        "kiops-desktop/registry/harbor.example.com:8443",
        "username",
        "deployer",
    )
    assert old.stdout == ""

    assert store.delete_registry_login("harbor.example.com:8443") is True
    assert store.delete_registry_login("harbor.example.com:8443") is False
    assert store.list_registry_logins() == []
    assert store.get_registry_login("harbor.example.com:8443") is None
    gone = secret_service.secret_tool(
        "search", "--all", "service", "kiops-desktop/registry/harbor.example.com:8443"
    )
    assert password2 not in gone.stdout + gone.stderr


def test_docker_hub_aliases_share_one_login(
    store: CredentialStore, new_secret: Callable[[str], str]
) -> None:
    token = new_secret("hub")
    store.set_registry_login("index.docker.io", "me", token)
    assert store.get_registry_login("docker.io") == RegistryCredentials("me", token)
    assert store.delete_registry_login("registry-1.docker.io") is True


def test_cluster_token_and_client_certificate(
    store: CredentialStore, new_secret: Callable[[str], str]
) -> None:
    token = new_secret("tok")
    store.set_cluster_token("prod-eu", token)
    assert store.get_cluster_token("prod-eu") == token
    assert store.get_cluster_credential("prod-eu") == ClusterCredential(token=token)

    key = new_secret("key")
    store.set_cluster_credential(
        "lab", ClusterCredential(client_certificate_data="Y2VydA==", client_key_data=key)
    )
    cred = store.get_cluster_credential("lab")
    assert cred is not None
    assert (cred.token, cred.client_key_data) == (None, key)
    assert key not in repr(cred)
    assert token not in repr(store.get_cluster_credential("prod-eu"))

    assert store.delete_cluster_credential("prod-eu") is True
    assert store.delete_cluster_credential("prod-eu") is False
    assert store.get_cluster_token("prod-eu") is None
    assert store.delete_cluster_credential("lab") is True


def test_invalid_input_is_refused_before_the_keyring(store: CredentialStore) -> None:
    with pytest.raises(CredentialError):
        store.set_registry_login("harbor.example.com", "deployer", "")
    with pytest.raises(CredentialError):
        store.set_registry_login("harbor.example.com/v2", "deployer", "x")
    with pytest.raises(CredentialError):
        store.set_cluster_token("has space", "abcd")
    with pytest.raises(CredentialError):
        ClusterCredential(client_key_data="only-a-key")
    assert not store.index_path.exists()


def test_the_apps_log_holds_no_secret(
    store: CredentialStore, new_secret: Callable[[str], str], secret_scan: SecretScan
) -> None:
    """A log handler with the redactor installed writes into the app's log directory; the scan
    after the test proves no secret reached it - neither a registered one nor a header value."""
    log_file = ensure_private_dir(app_dirs().log) / "kiops-desktop.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    install_log_redaction(handler)
    logger = logging.getLogger("kiops_desktop.tests.keyring-flow")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        token = new_secret("logged")
        store.set_cluster_token("logged", token)
        logger.warning(
            "kubectl answered Unauthorized for token %s", store.get_cluster_token("logged")
        )
        header_value = secret_scan.secret("never-registered-abcdef123456")
        logger.warning("sent {'Authorization': 'Bearer %s'}", header_value)
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = log_file.read_text()
    assert text.count(redact.MASK) == 2, text
    assert store.delete_cluster_credential("logged")
