"""Clusters added through the app: the token goes to the keyring, the entry to the app's OWN
kubeconfig, which calls the ``kiops-desktop-credential`` exec plugin instead of holding a token.

The app's kubeconfig lives at ``<config dir>/kubeconfig`` (0600; the path can be overridden) and
is appended to the user's kubeconfig list (``KUBECONFIG`` or ``~/.kube/config``) by
:func:`kubeconfig_paths_with_app` - the user's files are read, never rewritten. kubectl's merge
rules let the first file that defines a name win, so a new cluster may not reuse a cluster, user
or context name that the user's files already define (it would be shadowed).

Each added cluster writes three entries of the same name: cluster, user, context (the first one
added also becomes the file's ``current-context``, which counts only when no earlier file in the
list sets one). The user entry
is the exec plugin with the cluster name as its argument, which is also the keyring entry
``kiops-desktop/cluster/<name>``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import os
import re
import tempfile
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kiops_desktop.connections.credential_plugin import MODULE, SCRIPT_NAME, exec_config
from kiops_desktop.connections.credentials import CredentialStore
from kiops_desktop.connections.kubeconfig import (  # re-exported: callers import them here
    Kubeconfig,
    app_kubeconfig_path,
    kubeconfig_paths,
    kubeconfig_paths_with_app,
    load_kubeconfig,
)
from kiops_desktop.connections.paths import ensure_private_dir
from kiops_desktop.runtimes.errors import Conflict, Invalid, NotFound

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$")
INSECURE_WARNING = (
    "TLS verification is OFF for this cluster: KIOPS Desktop cannot tell the real API server from "
    "an impostor, and the token is sent to whoever answers. Use only for a throw-away test "
    "cluster; give the cluster's CA certificate instead."
)


class ClusterError(Invalid):
    """A cluster that cannot be added as given; ``str(exc)`` says which field and why."""


@dataclass(frozen=True)
class AddedCluster:
    """A cluster from the app's kubeconfig. ``insecure`` = TLS verification is skipped: show
    :data:`INSECURE_WARNING` wherever the cluster appears."""

    name: str  # also the context, the user entry and the keyring credential name
    server: str
    namespace: str
    insecure: bool
    has_ca: bool
    kubeconfig: Path


def discover_with_app(
    explicit: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    app_kubeconfig: Path | None = None,
) -> Kubeconfig:
    """Contexts of the user's kubeconfig list plus the clusters added in the app. Its
    ``config_file`` (os.pathsep-joined) is what KubernetesRuntime and the console's kubectl get."""
    return load_kubeconfig(kubeconfig_paths_with_app(explicit, environ, app_kubeconfig))


# --------------------------------------------------------------------------- file i/o


def _empty_config() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [],
        "users": [],
        "contexts": [],
    }


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty_config()
    except OSError as exc:
        raise ClusterError(f"Cannot read the app's kubeconfig {path}: {exc.strerror}.") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ClusterError(f"The app's kubeconfig {path} is not valid YAML: {exc}.") from exc
    if not isinstance(data, dict):
        raise ClusterError(f"The app's kubeconfig {path} is not a kubeconfig.")
    config = _empty_config()
    config.update(data)
    for key in ("clusters", "users", "contexts"):
        if not isinstance(config.get(key), list):
            config[key] = []
    return config


def write_private_yaml(path: Path, data: Mapping[str, Any]) -> None:
    """Atomically replace ``path`` with the YAML of ``data``: 0600 from the first byte."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yaml.safe_dump(dict(data), handle, sort_keys=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _names(config: Mapping[str, Any], key: str) -> set[str]:
    return {str(e["name"]) for e in config.get(key) or [] if isinstance(e, Mapping) and "name" in e}


def _without(entries: Any, name: str) -> list[Any]:
    return [e for e in entries or [] if not (isinstance(e, Mapping) and e.get("name") == name)]


# --------------------------------------------------------------------------- validation


def _check_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise ClusterError(
            f'"{name}" cannot name a cluster: use letters, digits and . _ @ : - '
            "(starting with a letter or digit, at most 100 characters)."
        )
    return name


def _check_server(server: str) -> str:
    text = server.strip().rstrip("/")
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ClusterError(
            f'"{server}" is not an API server address: use https://host[:port], e.g. '
            "https://k8s.example.com:6443."
        )
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if not loopback:
            raise ClusterError(
                f"{text} is plain HTTP: the token would cross the network unencrypted. Use "
                "https:// (plain http is accepted for this computer only)."
            )
    if parts.username or parts.password:
        raise ClusterError("Put the credential in the token field, not in the server address.")
    return text


def _check_ca(ca_pem: str | bytes | None, ca_file: Path | None) -> bytes | None:
    if ca_pem is not None and ca_file is not None:
        raise ClusterError("Give the CA certificate either as a file or pasted, not both.")
    if ca_file is not None:
        try:
            ca_pem = Path(ca_file).expanduser().read_bytes()
        except OSError as exc:
            raise ClusterError(f"Cannot read the CA file {ca_file}: {exc.strerror}.") from exc
    if ca_pem is None:
        return None
    data = ca_pem.encode() if isinstance(ca_pem, str) else bytes(ca_pem)
    data = data.strip()
    if data and b"-----BEGIN" not in data:
        # a kubeconfig's certificate-authority-data (base64 of the PEM) pasted as it is
        with contextlib.suppress(binascii.Error, ValueError):
            decoded = base64.b64decode(data, validate=True)
            if b"-----BEGIN CERTIFICATE-----" in decoded:
                data = decoded.strip()
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ClusterError(
            "The CA certificate must be PEM text starting with -----BEGIN CERTIFICATE-----."
        )
    try:
        from cryptography import x509

        x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ClusterError(f"The CA certificate cannot be read: {exc}.") from exc
    return data + b"\n"


# --------------------------------------------------------------------------- operations


def add_cluster(
    name: str,
    server: str,
    token: str,
    *,
    store: CredentialStore,
    ca_pem: str | bytes | None = None,
    ca_file: Path | None = None,
    insecure_skip_tls_verify: bool = False,
    namespace: str = "default",
    app_kubeconfig: Path | None = None,
    user_kubeconfigs: tuple[Path, ...] | None = None,
) -> AddedCluster:
    """Add (or replace) a cluster: token into the keyring, then the entry into the app's
    kubeconfig. When the keyring is unavailable it raises ``KeyringUnavailable`` and nothing is
    written. ``user_kubeconfigs`` (default: ``KUBECONFIG`` / ``~/.kube/config``) are checked
    for name clashes; replacing a cluster the app added before is allowed.
    """
    name = _check_name(name)
    server = _check_server(server)
    token = token.strip()
    if not token:
        raise ClusterError("Enter the bearer token for the cluster.")
    if any(c.isspace() for c in token):
        raise ClusterError("The token contains spaces or line breaks: paste it again.")
    ca = _check_ca(ca_pem, ca_file)
    if insecure_skip_tls_verify and ca is not None:
        raise ClusterError("Give a CA certificate or skip TLS verification, not both.")
    if insecure_skip_tls_verify and server.startswith("http://"):
        raise ClusterError("Skipping TLS verification makes no sense for a plain-http server.")
    namespace = namespace.strip() or "default"

    path = app_kubeconfig_path(app_kubeconfig)
    config = _read(path)
    user_files = kubeconfig_paths() if user_kubeconfigs is None else user_kubeconfigs
    user_config = load_kubeconfig([p for p in user_files if p != path])
    if any(ctx.name == name for ctx in user_config.contexts):
        raise Conflict(
            f'Your kubeconfig ({user_config.config_file}) already has a context "{name}": '
            "choose another name (kubectl would use yours)."
        )
    clashing = _clashing_names(user_config.paths, name)
    if clashing:
        raise Conflict(
            f'Your kubeconfig already defines a {clashing} named "{name}": choose another name.'
        )

    store.set_cluster_token(name, token)  # raises KeyringUnavailable: nothing written yet
    cluster: dict[str, Any] = {"server": server}
    if ca is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode("ascii")
    if insecure_skip_tls_verify:
        cluster["insecure-skip-tls-verify"] = True
    config["clusters"] = [*_without(config["clusters"], name), {"name": name, "cluster": cluster}]
    config["users"] = [*_without(config["users"], name), {"name": name, "user": exec_config(name)}]
    config["contexts"] = [
        *_without(config["contexts"], name),
        {"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}},
    ]
    if not config.get("current-context"):
        # used only when no earlier file sets one (kubectl's rule): a first cluster just works
        config["current-context"] = name
    try:
        write_private_yaml(path, config)
    except OSError as exc:
        with contextlib.suppress(Exception):
            store.delete_cluster_credential(name)
        raise ClusterError(f"Cannot write the app's kubeconfig {path}: {exc.strerror}.") from exc
    return AddedCluster(name, server, namespace, insecure_skip_tls_verify, ca is not None, path)


def _clashing_names(paths: tuple[Path, ...], name: str) -> str | None:
    for p in paths:
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, Mapping):
            continue
        for key, what in (("clusters", "cluster"), ("users", "user")):
            if name in _names(data, key):
                return what
    return None


def list_clusters(app_kubeconfig: Path | None = None) -> list[AddedCluster]:
    """The clusters the app added (the contexts of its own kubeconfig), by name."""
    path = app_kubeconfig_path(app_kubeconfig)
    config = _read(path)
    clusters = {
        str(e["name"]): e.get("cluster") or {}
        for e in config["clusters"]
        if isinstance(e, Mapping) and "name" in e
    }
    out = []
    for entry in config["contexts"]:
        if not isinstance(entry, Mapping) or "name" not in entry:
            continue
        body = entry.get("context") or {}
        cluster = clusters.get(str(body.get("cluster")), {})
        out.append(
            AddedCluster(
                name=str(entry["name"]),
                server=str(cluster.get("server") or ""),
                namespace=str(body.get("namespace") or "default"),
                insecure=bool(cluster.get("insecure-skip-tls-verify")),
                has_ca=bool(
                    cluster.get("certificate-authority-data")
                    or cluster.get("certificate-authority")
                ),
                kubeconfig=path,
            )
        )
    return sorted(out, key=lambda c: c.name)


def remove_cluster(
    name: str, *, store: CredentialStore, app_kubeconfig: Path | None = None
) -> None:
    """Forget a cluster the app added: its keyring credential first (a locked keyring stops
    here, leaving everything as it was), then its entries in the app's kubeconfig."""
    path = app_kubeconfig_path(app_kubeconfig)
    config = _read(path)
    if name not in _names(config, "contexts"):
        raise NotFound(f'"{name}" is not a cluster added in KIOPS Desktop.')
    store.delete_cluster_credential(name)
    for key in ("clusters", "users", "contexts"):
        config[key] = _without(config[key], name)
    if config.get("current-context") == name:
        remaining = sorted(_names(config, "contexts"))
        if remaining:
            config["current-context"] = remaining[0]
        else:
            config.pop("current-context")
    write_private_yaml(path, config)


def _is_our_plugin(exec_: Mapping[str, Any]) -> bool:
    command = Path(str(exec_.get("command") or "")).name
    args = [str(a) for a in exec_.get("args") or []]
    return command.startswith(SCRIPT_NAME) or MODULE in args


def repoint_plugin(app_kubeconfig: Path | None = None) -> int:
    """Point the app's kubeconfig entries at the plugin of the running installation (the
    command is an absolute path: a moved or re-created virtual environment breaks it). Call at
    start-up; returns how many entries changed. Only the app's own file is touched."""
    path = app_kubeconfig_path(app_kubeconfig)
    if not path.exists():
        return 0
    config = _read(path)
    changed = 0
    for entry in config["users"]:
        user = entry.get("user") if isinstance(entry, Mapping) else None
        if not isinstance(user, Mapping):
            continue
        exec_ = user.get("exec")
        if not isinstance(exec_, Mapping) or not _is_our_plugin(exec_):
            continue
        args = [str(a) for a in exec_.get("args") or []]
        if not args:
            continue
        wanted = exec_config(args[-1])["exec"]
        if (exec_.get("command"), args) != (wanted["command"], wanted["args"]):
            entry["user"] = {**user, "exec": {**exec_, **wanted}}
            changed += 1
    if changed:
        write_private_yaml(path, config)
    return changed
