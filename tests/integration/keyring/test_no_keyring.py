"""When there is no keyring, or it is locked, every flow stops with one sentence that names the
backend tried and says what to install or unlock - and nothing at all is written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiops_desktop.connections.clusters import add_cluster
from kiops_desktop.connections.credential_plugin import SCRIPT_NAME
from kiops_desktop.connections.credentials import (
    CredentialStore,
    KeyringIsLocked,
    KeyringMissing,
    KeyringUnavailable,
)
from kiops_desktop.connections.secure_kubeconfig import secure_kubeconfig
from kiops_desktop.sandbox.kubeconfig import build_kubeconfig, write_kubeconfig
from tests.integration.keyring.secret_service import RunningSecretService

pytestmark = pytest.mark.integration

PLUGIN = str(Path(sys.executable).parent / SCRIPT_NAME)


def _every_flow_refused(
    tmp_path: Path, app_home: Path, new_secret: Callable[[str], str], env: dict[str, str]
) -> list[KeyringUnavailable]:
    """Try every flow that needs the keyring; return the errors. Nothing may be written."""
    store = CredentialStore()
    token = new_secret("token")
    user_kube = tmp_path / "user-kube" / "config"
    write_kubeconfig(
        user_kube,
        build_kubeconfig(
            "https://127.0.0.1:6443", ca_pem=None, token=token, context="c", namespace="default"
        ),
    )
    before = user_kube.read_bytes()
    errors: list[KeyringUnavailable] = []
    for attempt in (
        store.check,
        lambda: store.set_registry_login("127.0.0.1:5000", "deployer", new_secret("pw")),
        lambda: store.set_cluster_token("c", token),
        lambda: add_cluster(
            "new", "https://127.0.0.1:6443", token, store=store, insecure_skip_tls_verify=True
        ),
        lambda: secure_kubeconfig(user_kube, store=store),
    ):
        with pytest.raises(KeyringUnavailable) as err:
            attempt()
        errors.append(err.value)
    assert not app_home.exists(), sorted(app_home.rglob("*"))
    assert user_kube.read_bytes() == before
    assert sorted(p.name for p in user_kube.parent.iterdir()) == ["config"]  # no backup
    assert store.list_registry_logins() == []

    plugin = subprocess.run(
        [PLUGIN, "c"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert plugin.returncode == 3
    assert plugin.stdout == ""
    assert plugin.stderr.startswith(f"{SCRIPT_NAME}: {errors[0].sentence}")
    return errors


def test_no_dbus_session(tmp_path: Path, app_home: Path, new_secret: Callable[[str], str]) -> None:
    errors = _every_flow_refused(tmp_path, app_home, new_secret, {})
    for err in errors:
        assert isinstance(err, KeyringMissing)
        assert err.sentence.startswith(
            "KIOPS Desktop cannot store or read secrets: no OS keyring is available (tried the "
            "Secret Service keyring (GNOME Keyring, KWallet or KeePassXC over D-Bus) - "
        )
        assert "DBUS_SESSION_BUS_ADDRESS is unset" in err.sentence
        assert err.hint is not None
        assert "sudo apt install gnome-keyring" in err.hint
        assert "DBUS_SESSION_BUS_ADDRESS is not set" in err.hint
        assert "keyrings.alt package is installed (it is not)" in err.hint


def test_dbus_without_a_secret_service(
    tmp_path: Path,
    app_home: Path,
    new_secret: Callable[[str], str],
    bare_bus: RunningSecretService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bare_bus.address)
    errors = _every_flow_refused(tmp_path, app_home, new_secret, bare_bus.client_env())
    for err in errors:
        assert isinstance(err, KeyringMissing)
        assert "neither running nor activatable" in err.sentence
        assert err.hint is not None
        assert "gnome-keyring" in err.hint


def test_locked_keyring(
    tmp_path: Path,
    app_home: Path,
    new_secret: Callable[[str], str],
    locked_secret_service: RunningSecretService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", locked_secret_service.address)
    errors = _every_flow_refused(tmp_path, app_home, new_secret, locked_secret_service.client_env())
    for err in errors:
        assert isinstance(err, KeyringIsLocked)
        assert err.sentence == (
            "The Secret Service keyring (GNOME Keyring, KWallet or KeePassXC over D-Bus) is "
            "locked: KIOPS Desktop cannot read or store secrets until it is unlocked."
        )
        assert err.hint is not None
        assert err.hint.startswith("Unlock the Secret Service keyring")


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        ("keyring.backends.null.Keyring", "the null keyring (it stores nothing)"),
        ("keyring.backends.fail.Keyring", "no keyring"),
    ],
)
def test_a_keyring_configured_to_store_nothing_is_refused(
    tmp_path: Path,
    app_home: Path,
    new_secret: Callable[[str], str],
    secret_service: RunningSecretService,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    why: str,
) -> None:
    # even with a working Secret Service: the user's keyring configuration wins, and it is honoured
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    errors = _every_flow_refused(
        tmp_path,
        app_home,
        new_secret,
        {**secret_service.client_env(), "PYTHON_KEYRING_BACKEND": backend},
    )
    for err in errors:
        assert isinstance(err, KeyringMissing)
        assert f"keyring is configured to use {why}" in err.sentence


def test_secret_tool_is_installed() -> None:
    # the witness the store tests use; scripts/ensure-system-deps.sh installs libsecret-tools
    assert shutil.which("secret-tool")
