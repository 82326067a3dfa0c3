"""Fixtures for the keyring tests: a real Secret Service (gnome-keyring on a private D-Bus bus,
started once per session by the suite itself), the app's directories in ``tmp_path``, and a scan
after every test that no secret it used reached the app's config, data, log, cache or state
directories or any kubeconfig it wrote."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiops_desktop.connections import redact
from kiops_desktop.connections.credentials import CredentialStore
from kiops_desktop.connections.paths import app_dirs
from tests.integration.keyring.secret_service import RunningSecretService, start_secret_service
from tests.integration.sandbox.conftest import (  # the shared sandbox fixtures
    Cluster,
    cluster,
    sandbox,
)

__all__ = ["Cluster", "cluster", "sandbox"]


@pytest.fixture(scope="session")
def secret_service() -> Iterator[RunningSecretService]:
    """gnome-keyring-daemon, unlocked, on its own session bus; stopped after the session."""
    root = Path(tempfile.mkdtemp(prefix="kiops-ss-", dir="/tmp"))
    service = start_secret_service(root)
    yield service
    service.stop()


@pytest.fixture
def locked_secret_service() -> Iterator[RunningSecretService]:
    """A second Secret Service whose login keyring exists (it was created and used in a first
    run) but is locked: the daemon was started again without the password."""
    root = Path(tempfile.mkdtemp(prefix="kiops-ssl-", dir="/tmp"))
    first = start_secret_service(root)
    stored = first.secret_tool("store", "--label=seed", "service", "seed", stdin="seed-value")
    first.stop(remove=False)
    assert stored.returncode == 0, stored.stderr
    assert (root / "data" / "keyrings" / "login.keyring").is_file()
    service = start_secret_service(root, unlock=False)
    yield service
    service.stop()


@pytest.fixture
def bare_bus() -> Iterator[RunningSecretService]:
    """A D-Bus session bus with no Secret Service on it."""
    root = Path(tempfile.mkdtemp(prefix="kiops-bus-", dir="/tmp"))
    service = start_secret_service(root, keyring=False)
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's directories (KIOPS_HOME) and every XDG directory inside ``tmp_path``; no
    D-Bus address and no keyring configuration from the developer's environment."""
    home = tmp_path / "kiops-home"
    monkeypatch.setenv("KIOPS_HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", "xdg-config"),
        ("XDG_DATA_HOME", "xdg-data"),
        ("XDG_CACHE_HOME", "xdg-cache"),
        ("XDG_STATE_HOME", "xdg-state"),
    ):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return home


@pytest.fixture
def keyring_env(
    secret_service: RunningSecretService, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Point this process (and the subprocesses it starts with os.environ) at the test Secret
    Service; returns the variables a hermetic subprocess (kubectl) must be given."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    return secret_service.client_env()


@pytest.fixture
def store(keyring_env: dict[str, str]) -> CredentialStore:
    return CredentialStore()


class SecretScan:
    """Secrets a test used and files it wrote; checked at teardown."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.files: list[Path] = []

    def secret(self, value: str) -> str:
        self.secrets.append(value)
        return value

    def watch(self, path: Path) -> Path:
        self.files.append(path)
        return path

    def needles(self) -> list[bytes]:
        out: list[bytes] = []
        for value in self.secrets:
            raw = value.encode()
            out += [raw, base64.b64encode(raw)]
        return out

    def leaks(self, roots: list[Path]) -> list[str]:
        found = []
        targets: list[Path] = []
        for root in roots:
            if root.is_file():
                targets.append(root)
            elif root.is_dir():
                targets += [p for p in root.rglob("*") if p.is_file()]
        needles = self.needles()
        for path in targets:
            data = path.read_bytes()
            for needle in needles:
                if needle in data:
                    found.append(f"{path} holds a secret ({len(needle)} bytes)")
        return found


@pytest.fixture(autouse=True)
def secret_scan(app_home: Path, tmp_path: Path) -> Iterator[SecretScan]:
    scan = SecretScan()
    yield scan
    dirs = list(app_dirs().all())
    assert all(d.is_relative_to(app_home) for d in dirs), dirs
    xdg = [tmp_path / sub for sub in ("xdg-config", "xdg-data", "xdg-cache", "xdg-state")]
    leaks = scan.leaks([*dirs, *xdg, *scan.files])
    assert leaks == []


@pytest.fixture
def new_secret(secret_scan: SecretScan) -> Callable[[str], str]:
    """``new_secret("token")`` -> a fresh random secret, remembered for the scan."""
    import secrets

    def make(prefix: str) -> str:
        return secret_scan.secret(f"{prefix}-{secrets.token_urlsafe(18)}")

    return make


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    redact.forget_all_secrets()
    yield
    redact.forget_all_secrets()
