"""The keyring-backed credential store: registry logins and cluster credentials.

Every secret KIOPS Desktop handles lives in the OS keyring (Secret Service / KWallet on Linux,
macOS Keychain, Windows Credential Manager) through ``keyring``. Entries are namespaced:

* ``kiops-desktop/registry/<host>`` with the registry user name as keyring user name and the
  password or access token as the secret;
* ``kiops-desktop/cluster/<name>`` with keyring user name ``credential`` and, as the secret, the
  JSON of the ExecCredential status (``{"token": ...}`` or ``clientCertificateData`` +
  ``clientKeyData``) that ``kiops-desktop-credential NAME`` prints for kubectl and the Python
  client.

Which registry hosts have a login (and with which user name) is kept in a small JSON index,
``<config dir>/registry-logins.json``, so the Connections dialog can list them without unlocking
the keyring; the index never holds a secret.

No plaintext fallback: when no OS keyring answers, or it is locked, every operation raises a
:class:`KeyringUnavailable` whose sentence names the backend that was tried and whose ``hint``
says what to install or unlock - and nothing is written. A file-based keyring (``keyrings.alt``)
is used only when the caller passes ``allow_file_keyring=True`` (the user chose it in settings);
``KeyringStatus.warning`` then says so, to be shown wherever credentials appear.

Every secret read or written is registered with :mod:`kiops_desktop.connections.redact`.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kiops_desktop.connections import redact
from kiops_desktop.connections.paths import app_dirs, ensure_private_dir
from kiops_desktop.runtimes.errors import OperationError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from kiops_desktop.runtimes.registry import CredentialLookup, RegistryCredentials

SERVICE_PREFIX = "kiops-desktop"
CLUSTER_USER = "credential"  # the keyring user name of a cluster's entry
INDEX_FILE = "registry-logins.json"
INDEX_VERSION = 1
_HUB_ALIASES = frozenset({"", "docker.io", "index.docker.io", "registry-1.docker.io"})

T = TypeVar("T")

# --------------------------------------------------------------------------- errors


class KeyringUnavailable(OperationError):
    """No usable keyring: ``str(exc)`` names the backend tried, ``hint`` what to do about it."""

    kind = "keyring"

    def __init__(self, sentence: str, *, hint: str | None = None, backend: str = "") -> None:
        super().__init__(sentence, hint=hint)
        self.backend = backend

    def message(self) -> str:
        """Sentence and hint as one text, for a dialog or stderr."""
        return f"{self.sentence} {self.hint}" if self.hint else self.sentence


class KeyringMissing(KeyringUnavailable):
    """No OS keyring backend could be found or reached."""

    kind = "keyring-missing"


class KeyringIsLocked(KeyringUnavailable):
    """The keyring exists but is locked (or the unlock prompt was dismissed)."""

    kind = "keyring-locked"
    retryable = True


class KeyringFailed(KeyringUnavailable):
    """The keyring answered with an error while reading, writing or deleting."""

    kind = "keyring-failed"
    retryable = True


class CredentialError(OperationError):
    """A credential that cannot be stored as given (empty host, empty secret ...)."""

    kind = "invalid"


# --------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class KeyringStatus:
    """The keyring that will be used. ``warning`` is set for file-based keyrings: show it."""

    backend: str  # what to tell a user, e.g. "Secret Service (GNOME Keyring, KWallet ...)"
    backend_class: str  # e.g. "keyring.backends.SecretService.Keyring"
    file_based: bool
    warning: str | None = None


_FRIENDLY = {
    "keyring.backends.SecretService": "the Secret Service keyring (GNOME Keyring, KWallet or "
    "KeePassXC over D-Bus)",
    "keyring.backends.libsecret": "the Secret Service keyring (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "the macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.fail": "no keyring",
    "keyring.backends.null": "the null keyring (it stores nothing)",
}
# The native backends worth naming when none works, per platform.
_NATIVE = {
    "linux": (
        ("keyring.backends.SecretService", "Keyring"),
        ("keyring.backends.kwallet", "DBusKeyring"),
    ),
    "darwin": (("keyring.backends.macOS", "Keyring"),),
    "win32": (("keyring.backends.Windows", "WinVaultKeyring"),),
}
_NOT_BACKENDS = frozenset(
    {
        "keyring.backends.chainer",  # tries the others in turn: we pick one ourselves
        "keyring.backends.fail",
        "keyring.backends.null",
    }
)
FILE_KEYRING_WARNING = (
    "Secrets are stored in a file-based keyring ({name}), not in the OS keyring: anyone who can "
    "read your files may read them."
)


def backend_name(backend: KeyringBackend | type[KeyringBackend]) -> str:
    """What to call a backend in a sentence."""
    cls = backend if isinstance(backend, type) else type(backend)
    module = cls.__module__
    if module.startswith("keyrings.alt"):
        return f"the file-based keyring {cls.__name__} from keyrings.alt"
    return _FRIENDLY.get(module, f"the keyring {module}.{cls.__name__}")


def is_file_based(backend: KeyringBackend | type[KeyringBackend]) -> bool:
    """True for backends that keep secrets in ordinary files (``keyrings.alt``)."""
    cls = backend if isinstance(backend, type) else type(backend)
    return cls.__module__.startswith(("keyrings.alt", "keyring.backends.file"))


def _platform() -> str:
    if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
        return "linux"
    return sys.platform


def _install_advice() -> str:
    plat = _platform()
    if plat == "darwin":
        return (
            "Make sure your login keychain exists and is unlocked in Keychain Access, then try "
            "again."
        )
    if plat == "win32":
        return (
            "Windows Credential Manager should always be there: check that KIOPS Desktop runs in "
            "your own Windows session (not as a service), then try again."
        )
    advice = (
        "Install and start a Secret Service provider in your desktop session - GNOME Keyring "
        "(Debian/Ubuntu: sudo apt install gnome-keyring; Fedora: sudo dnf install gnome-keyring) "
        "or KWallet - and start KIOPS Desktop from that session, then try again."
    )
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        advice += (
            " There is no D-Bus session here (DBUS_SESSION_BUS_ADDRESS is not set): over ssh or "
            "in a container, run it under dbus-run-session with gnome-keyring-daemon --unlock."
        )
    return advice


def _unlock_advice(name: str) -> str:
    plat = _platform()
    if plat == "darwin":
        return "Unlock your login keychain in Keychain Access, then try again."
    if plat == "win32":
        return "Sign in to Windows again to unlock Credential Manager, then try again."
    return (
        f"Unlock {name} - log in to your desktop session, or unlock the Login keyring in "
        "Passwords and Keys (seahorse) or with gnome-keyring-daemon --unlock - and accept the "
        "unlock prompt when it appears, then try again."
    )


def _file_keyring_note() -> str:
    if (
        importlib.util.find_spec("keyrings") is None
        or importlib.util.find_spec("keyrings.alt") is None
    ):
        return (
            " KIOPS Desktop never falls back to storing secrets in plain files; a file-based "
            "keyring can be turned on in its settings only when the keyrings.alt package is "
            "installed (it is not)."
        )
    return (
        " KIOPS Desktop never falls back to storing secrets in plain files unless you turn on "
        "the file-based keyring in its settings."
    )


def _tried() -> list[tuple[str, str]]:
    """(backend, why it cannot be used) for the native backends of this platform."""
    out = []
    for module_name, class_name in _NATIVE.get(_platform(), ()):
        name = _FRIENDLY.get(module_name, module_name)
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            cls.priority  # noqa: B018 - raises with the reason when not usable
        except Exception as exc:
            out.append((name, str(exc) or type(exc).__name__))
        else:
            out.append((name, "available"))
    return out


def _missing(reason: str | None = None) -> KeyringMissing:
    tried = _tried()
    if reason:
        detail = reason
    elif tried:
        detail = "tried " + "; ".join(f"{name} - {why}" for name, why in tried)
    else:
        detail = "this platform has no keyring backend that KIOPS Desktop knows"
    return KeyringMissing(
        f"KIOPS Desktop cannot store or read secrets: no OS keyring is available ({detail}).",
        hint=_install_advice() + _file_keyring_note(),
        backend=tried[0][0] if tried else "the OS keyring",
    )


def detect_backend(*, allow_file_keyring: bool = False) -> KeyringBackend:
    """The keyring to use, chosen afresh (not keyring's process-wide cached choice, which would
    keep a backend found missing at start-up missing forever).

    A backend named in ``PYTHON_KEYRING_BACKEND`` or keyring's ``keyringrc.cfg`` is honoured,
    except a file-based one without ``allow_file_keyring`` and the fail/null keyrings.
    Otherwise the recommended backend (priority >= 1) with the highest priority; file-based ones
    only when allowed. Raises :class:`KeyringMissing` when there is none.
    """
    import keyring.backend
    import keyring.core

    try:
        configured = keyring.core.load_env() or keyring.core.load_config()
    except Exception as exc:  # a configured backend that cannot be loaded or is not viable
        raise KeyringMissing(
            f"The keyring configured for this user (PYTHON_KEYRING_BACKEND or keyringrc.cfg) "
            f"cannot be used: {exc}.",
            hint=_install_advice(),
            backend="the configured keyring",
        ) from exc
    if configured is not None:
        module = type(configured).__module__
        if module in ("keyring.backends.fail", "keyring.backends.null"):
            raise _missing(
                f"keyring is configured to use {backend_name(configured)} "
                "(PYTHON_KEYRING_BACKEND or keyringrc.cfg)"
            )
        if is_file_based(configured) and not allow_file_keyring:
            raise KeyringMissing(
                f"keyring is configured to use {backend_name(configured)}, which keeps secrets in "
                "a plain file; KIOPS Desktop does not use it unless you turn on the file-based "
                "keyring in its settings.",
                hint="Turn on the file-based keyring in the settings, or configure an OS keyring.",
                backend=backend_name(configured),
            )
        return configured

    keyring.backend.get_all_keyring()  # loads the backend plugins (once per process)
    candidates: list[tuple[float, KeyringBackend]] = []
    for cls in keyring.backend.KeyringBackend.get_viable_backends():  # priorities asked afresh
        if cls.__module__ in _NOT_BACKENDS:
            continue
        file_based = is_file_based(cls)
        if file_based and not allow_file_keyring:
            continue
        try:
            priority = float(cls.priority)
            instance = cls()
        except Exception:
            continue
        if priority >= 1 or (file_based and priority > 0):
            candidates.append((priority, instance))
    if not candidates:
        raise _missing()
    return max(candidates, key=lambda c: c[0])[1]


def _translate(exc: BaseException, backend: KeyringBackend) -> KeyringUnavailable:
    """A keyring/secretstorage/D-Bus failure as one of our typed errors."""
    import keyring.errors

    name = backend_name(backend)
    if isinstance(exc, KeyringUnavailable):
        return exc
    text = str(exc).strip() or type(exc).__name__
    dismissed = "dismissed" in text.lower()  # the unlock (or create-keyring) prompt was refused
    if (
        isinstance(exc, keyring.errors.KeyringLocked)
        or type(exc).__name__ in ("LockedException", "PromptDismissedException")
        or dismissed
    ):
        return KeyringIsLocked(
            f"{name[0].upper()}{name[1:]} is locked: KIOPS Desktop cannot read or store "
            "secrets until it is unlocked.",
            hint=_unlock_advice(name),
            backend=name,
        )
    if isinstance(exc, keyring.errors.NoKeyringError):
        return _missing(str(exc) or None)
    if type(exc).__name__ in ("SecretServiceNotAvailableException", "InitError"):
        return KeyringMissing(
            f"{name[0].upper()}{name[1:]} cannot be reached: {text}.",
            hint=_install_advice(),
            backend=name,
        )
    return KeyringFailed(
        f"{name[0].upper()}{name[1:]} failed: {text}.",
        hint="Check that the keyring service is running and unlocked, then try again.",
        backend=name,
    )


def _probe_secret_service(backend: KeyringBackend) -> None:
    """What keyring's SecretService backend does before each call - open the bus, find the
    collection, unlock it - but with the connection closed on every path (keyring leaves it open
    when it raises), raising the same errors for :func:`_translate`."""
    from contextlib import closing

    import keyring.errors
    import secretstorage
    from secretstorage.exceptions import SecretStorageException

    try:
        connection = secretstorage.dbus_init()
    except SecretStorageException as exc:
        raise keyring.errors.InitError(str(exc)) from exc
    with closing(connection):
        try:
            preferred = getattr(backend, "preferred_collection", None)
            if preferred:
                collection = secretstorage.Collection(connection, preferred)
            else:
                collection = secretstorage.get_default_collection(connection)
            if collection.is_locked():
                collection.unlock()
                if collection.is_locked():
                    raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
        except SecretStorageException as exc:
            raise keyring.errors.InitError(f"Failed to open the collection: {exc}") from exc


# --------------------------------------------------------------------------- names


def registry_key(host: str) -> str:
    """The registry as ``RegistryClient`` names it: lower-case ``host[:port]``, no scheme,
    ``docker.io`` for every Docker Hub alias."""
    text = host.strip().rstrip("/")
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.lower()
    if "/" in text or "@" in text or any(c.isspace() for c in text):
        raise CredentialError(f'"{host}" is not a registry address: use host[:port].')
    return "docker.io" if text in _HUB_ALIASES else text


def registry_service(host: str) -> str:
    return f"{SERVICE_PREFIX}/registry/{registry_key(host)}"


def cluster_service(name: str) -> str:
    if not name or any(c.isspace() or c == "/" for c in name):
        raise CredentialError(f'"{name}" cannot name a cluster credential (no spaces or "/").')
    return f"{SERVICE_PREFIX}/cluster/{name}"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class RegistryLogin:
    """One entry of the index: no secret here."""

    host: str
    username: str


@dataclass(frozen=True)
class ClusterCredential:
    """What the exec plugin hands to kubectl: a bearer token, or a client certificate and key as
    PEM text (ExecCredential's ``clientCertificateData`` / ``clientKeyData`` are PEM, not the
    base64 of a kubeconfig's ``*-data`` fields). ``repr`` hides the secrets."""

    token: str | None = field(default=None, repr=False)
    client_certificate_data: str | None = field(default=None, repr=False)
    client_key_data: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.token and not (self.client_certificate_data and self.client_key_data):
            raise CredentialError(
                "A cluster credential needs a token, or a client certificate and its key."
            )
        if bool(self.client_certificate_data) != bool(self.client_key_data):
            raise CredentialError("A client certificate needs its key, and a key its certificate.")

    def to_json(self) -> str:
        body = {
            "token": self.token,
            "clientCertificateData": self.client_certificate_data,
            "clientKeyData": self.client_key_data,
        }
        return json.dumps({k: v for k, v in body.items() if v})

    @classmethod
    def from_json(cls, text: str) -> ClusterCredential:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return cls(
            token=data.get("token"),
            client_certificate_data=data.get("clientCertificateData"),
            client_key_data=data.get("clientKeyData"),
        )

    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.client_key_data) if s]


# --------------------------------------------------------------------------- the store


def _write_private(path: Path, text: str) -> None:
    """Atomically replace ``path`` with ``text``, the file 0600 from its first byte."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class CredentialStore:
    """Registry logins and cluster credentials in the OS keyring.

    Blocking (D-Bus / Keychain calls, and an unlock prompt may appear): call it off the UI
    thread. Thread-safe. ``backend`` pins a keyring backend (otherwise :func:`detect_backend`
    chooses, afresh after a failure); ``index_path`` moves the registry login index (default
    ``<config dir>/registry-logins.json``).
    """

    def __init__(
        self,
        *,
        backend: KeyringBackend | None = None,
        index_path: Path | None = None,
        allow_file_keyring: bool = False,
    ) -> None:
        self._pinned = backend
        self._backend: KeyringBackend | None = backend
        self._index_path = index_path
        self.allow_file_keyring = allow_file_keyring
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"CredentialStore(backend={type(self._backend).__name__ if self._backend else None})"

    @property
    def index_path(self) -> Path:
        return self._index_path or app_dirs().config / INDEX_FILE

    # ------------------------------------------------------------------ backend

    def _require(self) -> KeyringBackend:
        with self._lock:
            if self._backend is None:
                self._backend = detect_backend(allow_file_keyring=self.allow_file_keyring)
            backend = self._backend
        if is_file_based(backend) and not self.allow_file_keyring:
            raise KeyringMissing(
                f"{backend_name(backend)} keeps secrets in a plain file; it is used only when the "
                "file-based keyring is turned on in the settings.",
                hint="Turn on the file-based keyring in the settings, or configure an OS keyring.",
                backend=backend_name(backend),
            )
        return backend

    def _call(self, op: Callable[[KeyringBackend], T]) -> T:
        backend = self._require()
        try:
            if type(backend).__module__ == "keyring.backends.SecretService":
                _probe_secret_service(backend)
            return op(backend)
        except Exception as exc:
            error = _translate(exc, backend)
            if self._pinned is None and isinstance(error, KeyringMissing):
                with self._lock:
                    self._backend = None  # detect again next time
            raise error from exc

    def status(self) -> KeyringStatus:
        """The backend that will be used, without touching any secret (no unlock)."""
        backend = self._require()
        name = backend_name(backend)
        file_based = is_file_based(backend)
        return KeyringStatus(
            backend=name,
            backend_class=f"{type(backend).__module__}.{type(backend).__name__}",
            file_based=file_based,
            warning=FILE_KEYRING_WARNING.format(name=name) if file_based else None,
        )

    def check(self) -> KeyringStatus:
        """Make sure the keyring can be used now - found, reachable and unlocked (this may make
        the keyring show its unlock prompt). Raises :class:`KeyringUnavailable` with the
        sentence to show; returns the status otherwise."""
        status = self.status()
        self._call(lambda b: b.get_password(f"{SERVICE_PREFIX}/check", "check"))
        return status

    # ------------------------------------------------------------------ raw entries

    def _get(self, service: str, user: str) -> str | None:
        value = self._call(lambda b: b.get_password(service, user))
        if value is not None:
            redact.register_secret(value)
        return value

    def _set(self, service: str, user: str, secret: str) -> None:
        redact.register_secret(secret)
        self._call(lambda b: b.set_password(service, user, secret))

    def _delete(self, service: str, user: str) -> bool:
        import keyring.errors

        def op(b: KeyringBackend) -> bool:
            try:
                b.delete_password(service, user)
            except keyring.errors.PasswordDeleteError:
                return False
            return True

        return self._call(op)

    # ------------------------------------------------------------------ registry logins

    def _read_index(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # unreadable index: logins are then simply not listed
        registries = data.get("registries") if isinstance(data, dict) else None
        if not isinstance(registries, dict):
            return {}
        return {
            str(host): {"username": str(entry["username"])}
            for host, entry in registries.items()
            if isinstance(entry, dict) and isinstance(entry.get("username"), str)
        }

    def _write_index(self, registries: dict[str, dict[str, str]]) -> None:
        body: dict[str, Any] = {
            "version": INDEX_VERSION,
            "registries": dict(sorted(registries.items())),
        }
        _write_private(self.index_path, json.dumps(body, indent=2) + "\n")

    def list_registry_logins(self) -> list[RegistryLogin]:
        """Hosts with a stored login and their user names, from the index (no keyring call)."""
        return [RegistryLogin(h, e["username"]) for h, e in sorted(self._read_index().items())]

    def set_registry_login(self, host: str, username: str, secret: str) -> RegistryLogin:
        """Store (or replace) the login for ``host``. The keyring is written first: when it is
        unavailable nothing is written at all."""
        key = registry_key(host)
        if not key:
            raise CredentialError("Enter the registry host, e.g. harbor.example.com.")
        if not username.strip():
            raise CredentialError(f"Enter the user name for {key}.")
        if not secret:
            raise CredentialError(f"Enter the password or access token for {key}.")
        username = username.strip()
        service = registry_service(key)
        with self._lock:
            previous = self._read_index().get(key)
            self._set(service, username, secret)
            if previous and previous["username"] != username:
                self._delete(service, previous["username"])
            index = self._read_index()
            index[key] = {"username": username}
            self._write_index(index)
        return RegistryLogin(key, username)

    def get_registry_login(self, host: str) -> RegistryCredentials | None:
        """The stored login for ``host``, or ``None`` when the index names none (then the keyring
        is not asked at all, so public registries work with the keyring locked)."""
        from kiops_desktop.runtimes.registry import RegistryCredentials

        key = registry_key(host)
        entry = self._read_index().get(key)
        if entry is None:
            return None
        secret = self._get(registry_service(key), entry["username"])
        if secret is None:
            return None
        return RegistryCredentials(entry["username"], secret)

    def delete_registry_login(self, host: str) -> bool:
        """Forget the login for ``host``; False when there was none."""
        key = registry_key(host)
        with self._lock:
            entry = self._read_index().get(key)
            if entry is None:
                return False
            self._delete(registry_service(key), entry["username"])
            index = self._read_index()
            index.pop(key, None)
            self._write_index(index)
        return True

    def registry_lookup(self) -> CredentialLookup:
        """The ``credentials=`` function for ``RegistryClient``: logins by registry host.
        Raises :class:`KeyringUnavailable` (an ``OperationError``) when a login exists but the
        keyring cannot be read, instead of going on anonymously."""
        return self.get_registry_login

    # ------------------------------------------------------------------ cluster credentials

    def set_cluster_credential(self, name: str, credential: ClusterCredential) -> None:
        self._set(cluster_service(name), CLUSTER_USER, credential.to_json())
        for secret in credential.secrets():
            redact.register_secret(secret)

    def set_cluster_token(self, name: str, token: str) -> None:
        token = token.strip()
        if not token:
            raise CredentialError("Enter the cluster's bearer token.")
        self.set_cluster_credential(name, ClusterCredential(token=token))

    def get_cluster_credential(self, name: str) -> ClusterCredential | None:
        text = self._get(cluster_service(name), CLUSTER_USER)
        if text is None:
            return None
        try:
            credential = ClusterCredential.from_json(text)
        except (ValueError, CredentialError) as exc:
            raise KeyringFailed(
                f'The keyring entry for cluster "{name}" is not a KIOPS Desktop credential.',
                hint="Remove the cluster and add it again.",
            ) from exc
        for secret in credential.secrets():
            redact.register_secret(secret)
        return credential

    def get_cluster_token(self, name: str) -> str | None:
        credential = self.get_cluster_credential(name)
        return credential.token if credential else None

    def delete_cluster_credential(self, name: str) -> bool:
        """Forget the cluster's credential; False when there was none."""
        return self._delete(cluster_service(name), CLUSTER_USER)
