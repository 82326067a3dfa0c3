"""kubeconfig discovery, read the way kubectl reads it.

kubectl merges every file named in ``KUBECONFIG`` (or ``~/.kube/config``): the first file that
defines a cluster, user or context by a name wins, and so does the first file that sets
``current-context``. The official client's merger lets the *last* file's current-context win,
so contexts are listed here and the client is always created with an explicit context name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class KubeconfigError(Exception):
    """A kubeconfig that cannot be read, with a sentence naming the file and the problem."""


@dataclass(frozen=True)
class KubeContext:
    name: str
    cluster: str
    user: str
    namespace: str  # the context's namespace, "default" when it names none
    server: str
    source: Path  # the file that defined the context
    is_current: bool

    @property
    def explicit_namespace(self) -> bool:
        return self.namespace != "default"


@dataclass(frozen=True)
class Kubeconfig:
    paths: tuple[Path, ...]
    contexts: tuple[KubeContext, ...]
    current_context: str | None

    @property
    def config_file(self) -> str:
        """The form the kubernetes client and kubectl accept: paths joined by os.pathsep."""
        return os.pathsep.join(str(p) for p in self.paths)

    def context(self, name: str | None = None) -> KubeContext:
        wanted = name or self.current_context
        for context in self.contexts:
            if context.name == wanted:
                return context
        if wanted is None:
            raise KubeconfigError("the kubeconfig names no current context; choose a context")
        raise KubeconfigError(f'context "{wanted}" is not in {self.config_file}')


def kubeconfig_paths(
    explicit: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path, ...]:
    """``--kubeconfig`` if given, else every entry of ``KUBECONFIG``, else ``~/.kube/config``."""
    env = os.environ if environ is None else environ
    if explicit:
        return (Path(explicit).expanduser(),)
    value = env.get("KUBECONFIG", "")
    if value:
        seen: list[Path] = []
        for entry in value.split(os.pathsep):
            if entry and Path(entry).expanduser() not in seen:
                seen.append(Path(entry).expanduser())
        return tuple(seen)
    home = Path(env.get("HOME") or Path.home())
    return (home / ".kube" / "config",)


APP_KUBECONFIG = "kubeconfig"  # the app's own file, in its config dir


def app_kubeconfig_path(override: Path | None = None) -> Path:
    """The kubeconfig the app writes for the clusters added in it (never the user's)."""
    from .paths import app_dirs

    return override if override is not None else app_dirs().config / APP_KUBECONFIG


def kubeconfig_paths_with_app(
    explicit: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    app_kubeconfig: Path | None = None,
) -> tuple[Path, ...]:
    """The user's kubeconfig files (``--kubeconfig``, ``KUBECONFIG`` or ``~/.kube/config``) and
    then the app's own file. The user's files come first: their names win, as in kubectl."""
    user = kubeconfig_paths(explicit, environ)
    app = app_kubeconfig_path(app_kubeconfig)
    return user if app in user else (*user, app)


def _load(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KubeconfigError(f"cannot read kubeconfig {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KubeconfigError(f"kubeconfig {path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise KubeconfigError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
    return data


def _named(entries: Any) -> list[Mapping[str, Any]]:
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, Mapping) and isinstance(e.get("name"), str)]


def load_kubeconfig(paths: Sequence[Path]) -> Kubeconfig:
    """Merge ``paths`` with kubectl's rules. Missing files are skipped, as kubectl does."""
    clusters: dict[str, Mapping[str, Any]] = {}
    users: dict[str, Mapping[str, Any]] = {}
    contexts: dict[str, tuple[Mapping[str, Any], Path]] = {}
    current: str | None = None
    existing: list[Path] = []
    for path in paths:
        data = _load(path)
        if not data and not path.exists():
            continue
        existing.append(path)
        for entry in _named(data.get("clusters")):
            clusters.setdefault(entry["name"], entry.get("cluster") or {})
        for entry in _named(data.get("users")):
            users.setdefault(entry["name"], entry.get("user") or {})
        for entry in _named(data.get("contexts")):
            contexts.setdefault(entry["name"], (entry.get("context") or {}, path))
        if current is None and data.get("current-context"):
            current = str(data["current-context"])
    listed = []
    for name in sorted(contexts):
        body, source = contexts[name]
        cluster_name = str(body.get("cluster") or "")
        listed.append(
            KubeContext(
                name=name,
                cluster=cluster_name,
                user=str(body.get("user") or ""),
                namespace=str(body.get("namespace") or "default"),
                server=str((clusters.get(cluster_name) or {}).get("server") or ""),
                source=source,
                is_current=name == current,
            )
        )
    return Kubeconfig(tuple(existing), tuple(listed), current)


def discover(
    explicit: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Kubeconfig:
    return load_kubeconfig(kubeconfig_paths(explicit, environ))
