""" "Secure this kubeconfig": find plaintext secrets in a kubeconfig the user chooses, and on
confirmation move them into the keyring and rewrite the file to use the exec plugin.

Two steps, so the UI can show what it found before anything changes:

1. :func:`scan_kubeconfig` (or the pure :func:`find_secrets`) lists :class:`Finding` s - the
   kubeconfig user, what kind of secret, where, a masked preview, and whether it can be moved.
2. :func:`secure_kubeconfig` (after the user confirmed) stores each user's credential in the
   keyring as ``kiops-desktop/cluster/<credential name>``, keeps a byte-for-byte backup of the
   original next to it (0600, its path returned), and rewrites the file so those users run
   ``kiops-desktop-credential <credential name>`` instead. Nothing is written when the keyring
   is unavailable, and the original stays untouched when anything fails.

What can be moved: ``token``, ``tokenFile`` (its content; the file itself is left alone),
``client-key-data`` / ``client-key`` together with the client certificate (an ExecCredential
returns ``clientCertificateData`` + ``clientKeyData``). What is only reported: ``password``
(an exec plugin cannot supply one; Kubernetes dropped basic auth in 1.19), ``auth-provider``
tokens (their provider refreshes them: switch to the provider's exec plugin), secret-looking
``exec.env`` values, and credentials of a user that already uses an exec plugin or auth
provider.

The rewrite goes through YAML: comments and formatting of the original are not kept (the backup
has them).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from kiops_desktop.connections import redact
from kiops_desktop.connections.credential_plugin import exec_config
from kiops_desktop.connections.credentials import ClusterCredential, CredentialStore
from kiops_desktop.runtimes.errors import Conflict, Invalid

FindingKind = Literal[
    "token",
    "token-file",
    "password",
    "client-key-data",
    "client-key-file",
    "auth-provider",
    "exec-env",
]
MASK = redact.MASK
BACKUP_SUFFIX = ".kiops-backup-"
_SECRET_ENV = re.compile(r"(?i)(secret|token|password|passwd|credential|private|api_?key)")
_AUTH_PROVIDER_KEYS = ("id-token", "refresh-token", "access-token", "client-secret")
_MOVED_KEYS = (
    "token",
    "tokenFile",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
)


class KubeconfigSecureError(Invalid):
    """The kubeconfig cannot be scanned or secured; ``str(exc)`` says why."""


@dataclass(frozen=True)
class Finding:
    user: str  # the kubeconfig's users[].name
    kind: FindingKind
    field: str  # where in the user entry, e.g. "token", "auth-provider.config.id-token"
    preview: str  # masked: never the secret
    movable: bool
    note: str = ""  # why it is not moved, or what stays on disk after moving


@dataclass(frozen=True)
class SecureResult:
    path: Path  # the kubeconfig that was rewritten
    backup: Path  # the original, byte for byte, 0600
    moved: tuple[Finding, ...]
    left: tuple[Finding, ...]  # found but not movable: still in the file
    credentials: Mapping[str, str]  # kubeconfig user -> keyring credential name


# --------------------------------------------------------------------------- previews


def mask(secret: str) -> str:
    """A preview that identifies a secret without revealing it: the first 4 characters of a
    long one, then the mask and the length."""
    n = len(secret)
    head = secret[:4] if n >= 16 else ""
    return f"{head}{MASK} ({n} characters)"


def _key_preview(data: bytes) -> str:
    text = data.decode("ascii", "replace")
    match = re.search(r"-----BEGIN ([A-Z ]*PRIVATE KEY)-----", text)
    what = match.group(1).lower() if match else "private key"
    return f"{what} (PEM, {len(data)} bytes) {MASK}"


def _b64(text: Any) -> bytes | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


# --------------------------------------------------------------------------- scanning


def _resolve(base_dir: Path | None, value: Any) -> Path | None:
    if not isinstance(value, str) or not value:
        return None
    p = Path(value).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    return p


def _readable(path: Path | None) -> bool:
    return path is not None and path.is_file() and os.access(path, os.R_OK)


def _user_findings(name: str, user: Mapping[str, Any], base_dir: Path | None) -> list[Finding]:
    found: list[Finding] = []
    other_auth = (
        "exec plugin" if user.get("exec") else "auth provider" if user.get("auth-provider") else ""
    )
    blocked = f"this user already authenticates with an {other_auth}" if other_auth else ""

    token = user.get("token")
    if isinstance(token, str) and token:
        found.append(Finding(name, "token", "token", mask(token), not blocked, blocked))
    token_file = _resolve(base_dir, user.get("tokenFile"))
    if token_file is not None and not token:
        ok = _readable(token_file) and not blocked
        note = (
            blocked
            or (not _readable(token_file) and f"cannot read {token_file}")
            or (f"the token is copied from {token_file}; that file itself stays as it is")
        )
        found.append(Finding(name, "token-file", "tokenFile", f"file {token_file}", ok, note))

    password = user.get("password")
    if isinstance(password, str) and password:
        found.append(
            Finding(
                name,
                "password",
                "password",
                f"{MASK} ({len(password)} characters)",
                False,
                "an exec plugin cannot supply a password (Kubernetes dropped basic auth in 1.19): "
                "remove it, or ask for a token instead",
            )
        )

    key_data = _b64(user.get("client-key-data"))
    key_file = _resolve(base_dir, user.get("client-key"))
    has_cert = bool(user.get("client-certificate-data")) or _readable(
        _resolve(base_dir, user.get("client-certificate"))
    )
    if key_data is not None or user.get("client-key-data"):
        note = blocked or ("" if has_cert else "no client certificate goes with the key")
        preview = (
            _key_preview(key_data) if key_data is not None else f"not base64 {MASK}"
        )  # never the text itself
        found.append(
            Finding(
                name,
                "client-key-data",
                "client-key-data",
                preview,
                bool(has_cert and not blocked and key_data is not None),
                note or ("" if key_data is not None else "client-key-data is not valid base64"),
            )
        )
    elif key_file is not None:
        readable = _readable(key_file)
        note = (
            blocked
            or (not readable and f"cannot read {key_file}")
            or (not has_cert and "no client certificate goes with the key")
            or f"the key is copied from {key_file}; that file itself stays as it is"
        )
        found.append(
            Finding(
                name,
                "client-key-file",
                "client-key",
                f"file {key_file}",
                bool(readable and has_cert and not blocked),
                note,
            )
        )

    provider = user.get("auth-provider")
    if isinstance(provider, Mapping):
        config = provider.get("config") or {}
        pname = str(provider.get("name") or "auth-provider")
        if isinstance(config, Mapping):
            for key in _AUTH_PROVIDER_KEYS:
                value = config.get(key)
                if isinstance(value, str) and value:
                    found.append(
                        Finding(
                            name,
                            "auth-provider",
                            f"auth-provider.config.{key}",
                            mask(value),
                            False,
                            f"the {pname} auth provider refreshes it: switch to that provider's "
                            "exec plugin (e.g. kubelogin, gke-gcloud-auth-plugin)",
                        )
                    )
    exec_ = user.get("exec")
    if isinstance(exec_, Mapping):
        for entry in exec_.get("env") or []:
            if not isinstance(entry, Mapping):
                continue
            env_name, value = str(entry.get("name") or ""), entry.get("value")
            if _SECRET_ENV.search(env_name) and isinstance(value, str) and value:
                found.append(
                    Finding(
                        name,
                        "exec-env",
                        f"exec.env.{env_name}",
                        mask(value),
                        False,
                        "a value handed to the exec plugin: store it in that plugin's own "
                        "credential store",
                    )
                )
    return found


def find_secrets(config: Mapping[str, Any], *, base_dir: Path | None = None) -> list[Finding]:
    """Plaintext secrets in a parsed kubeconfig, user by user in file order. ``base_dir``
    resolves relative ``tokenFile`` / ``client-key`` paths (the kubeconfig's directory)."""
    found: list[Finding] = []
    for entry in config.get("users") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        user = entry.get("user")
        if isinstance(user, Mapping):
            found += _user_findings(entry["name"], user, base_dir)
    return found


def _load(path: Path) -> tuple[bytes, dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KubeconfigSecureError(f"Cannot read {path}: {exc.strerror}.") from exc
    try:
        data = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise KubeconfigSecureError(f"{path} is not valid YAML: {exc}.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("users", []), list):
        raise KubeconfigSecureError(f"{path} is not a kubeconfig.")
    return raw, data


def scan_kubeconfig(path: Path) -> list[Finding]:
    """The secrets in the kubeconfig at ``path`` (nothing is changed)."""
    real = Path(path).expanduser().resolve()
    _, data = _load(real)
    return find_secrets(data, base_dir=real.parent)


# --------------------------------------------------------------------------- securing


def credential_name(path: Path, user: str) -> str:
    """The keyring credential name for ``user`` of the kubeconfig at ``path``: the user name
    (made safe) and a short hash of the file's path, so "admin" of two files never collide."""
    safe = re.sub(r"[^A-Za-z0-9._@:-]", "-", user).strip("-") or "user"
    digest = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:8]
    return f"{safe[:80]}.{digest}"


def _pem_from_data(value: Any) -> str:
    decoded = _b64(value)
    if decoded is None:
        raise ValueError("not valid base64")
    return decoded.decode("utf-8")


def _pem_from_file(base_dir: Path, value: Any) -> str:
    path = _resolve(base_dir, value)
    if path is None:
        raise ValueError("no file named")
    return path.read_text(encoding="utf-8")


def _credential(user: Mapping[str, Any], base_dir: Path) -> ClusterCredential:
    """The user's movable credential; certificate and key as PEM text (what ExecCredential
    carries)."""
    token = user.get("token") or None
    if not token and user.get("tokenFile"):
        token = _pem_from_file(base_dir, user["tokenFile"]).strip() or None
    cert = key = None
    if user.get("client-key-data") or user.get("client-key"):
        if user.get("client-key-data"):
            key = _pem_from_data(user["client-key-data"])
        else:
            key = _pem_from_file(base_dir, user["client-key"])
        if user.get("client-certificate-data"):
            cert = _pem_from_data(user["client-certificate-data"])
        else:
            cert = _pem_from_file(base_dir, user.get("client-certificate"))
    return ClusterCredential(token=token, client_certificate_data=cert, client_key_data=key)


def _backup_path(real: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = real.with_name(f"{real.name}{BACKUP_SUFFIX}{stamp}")
    n = 1
    while candidate.exists():
        candidate = real.with_name(f"{real.name}{BACKUP_SUFFIX}{stamp}-{n}")
        n += 1
    return candidate


def _write_backup(real: Path, raw: bytes) -> Path:
    backup = _backup_path(real)
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(backup, 0o600)
    return backup


def _replace(real: Path, data: Mapping[str, Any], mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yaml.safe_dump(dict(data), handle, sort_keys=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def secure_kubeconfig(
    path: Path,
    *,
    store: CredentialStore,
    confirmed: Sequence[Finding] | None = None,
) -> SecureResult:
    """Move the movable secrets of the kubeconfig at ``path`` into the keyring and rewrite it to
    use the exec plugin. ``confirmed``: the findings the user was shown - when the file changed
    since (different movable findings), :class:`Conflict` is raised and nothing happens.

    Order: keyring check -> credentials stored -> backup written -> file replaced atomically (its
    mode kept). A failure undoes the earlier steps; the original is never half-written. A
    symlinked kubeconfig is rewritten at its target.
    """
    real = Path(path).expanduser().resolve()
    raw, data = _load(real)
    findings = find_secrets(data, base_dir=real.parent)
    movable = [f for f in findings if f.movable]
    if confirmed is not None and [f for f in confirmed if f.movable] != movable:
        raise Conflict(f"{real} changed since it was scanned: scan it again and confirm.")
    if not movable:
        raise KubeconfigSecureError(
            f"{real} holds no secret that can be moved to the keyring"
            + (" (see the findings for what is left)." if findings else ".")
        )
    store.check()  # KeyringUnavailable: nothing written

    users_to_move = list(dict.fromkeys(f.user for f in movable))
    entries: dict[str, dict[str, Any]] = {
        e["name"]: e
        for e in data.get("users") or []
        if isinstance(e, dict) and isinstance(e.get("name"), str)
    }
    names = {user: credential_name(real, user) for user in users_to_move}
    credentials: dict[str, ClusterCredential] = {}
    try:
        for user in users_to_move:
            credentials[user] = _credential(entries[user]["user"], real.parent)
    except (OSError, ValueError) as exc:
        raise KubeconfigSecureError(f"Cannot read a credential file of {real}: {exc}.") from exc

    stored: list[str] = []
    backup: Path | None = None
    try:
        for user, credential in credentials.items():
            store.set_cluster_credential(names[user], credential)
            stored.append(names[user])
        backup = _write_backup(real, raw)
        for user in users_to_move:
            body = {k: v for k, v in entries[user]["user"].items() if k not in _MOVED_KEYS}
            body.update(exec_config(names[user]))
            entries[user]["user"] = body
        _replace(real, data, real.stat().st_mode & 0o7777)
    except BaseException:
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink()
        for name in stored:
            with contextlib.suppress(Exception):
                store.delete_cluster_credential(name)
        raise
    return SecureResult(
        path=real,
        backup=backup,
        moved=tuple(movable),
        left=tuple(f for f in findings if not f.movable),
        credentials=names,
    )
