"""``Sandbox``: the embedded Kubernetes API server as one object that tests, ``--demo`` and the
``kiops-sandbox`` command start and stop."""

from __future__ import annotations

import secrets
import shutil
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from .apiserver import ApiServer
from .controllers.manager import ControllerManager
from .faults import FaultInjector
from .kubeconfig import build_kubeconfig, write_kubeconfig
from .registry import Registry
from .scenarios import load_scenario
from .store import Store
from .tls import make_tls_material
from .transport import SandboxHTTPServer, serve_in_thread


class Sandbox:
    def __init__(
        self,
        *,
        scenario: str = "empty",
        scenario_params: dict[str, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        read_only_token: str | None = None,
        tls: bool = False,
        pod_start_delay: float = 0.0,
        crash_backoff: float = 10.0,
    ) -> None:
        if pod_start_delay < 0 or crash_backoff <= 0:
            raise ValueError("pod_start_delay must be >= 0 and crash_backoff > 0")
        self.scenario = scenario
        self.scenario_params = dict(scenario_params or {})
        self.host = host
        self.port = port
        self.token = token
        self.read_only_token = read_only_token
        self.admin_token = token or secrets.token_urlsafe(24)
        self.tls = tls
        self.pod_start_delay = pod_start_delay
        self.crash_backoff = crash_backoff
        self.ca_pem: bytes | None = None
        self.faults = FaultInjector()
        self.store = Store()
        self.registry = Registry(self.store)
        self.controllers = ControllerManager(
            self.registry, pod_start_delay=pod_start_delay, crash_backoff=crash_backoff
        )
        self._stopping = threading.Event()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: Path | None = None

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> Sandbox:
        load_scenario(self.scenario, self.registry, self.controllers, self.scenario_params)
        self.controllers.start()
        context: ssl.SSLContext | None = None
        if self.tls:
            self._tmp = Path(tempfile.mkdtemp(prefix="kiops-sandbox-"))
            material = make_tls_material(self._tmp, self.host)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(material.cert_path, material.key_path)
            self.ca_pem = material.ca_pem
        api = ApiServer(
            self.registry,
            self.controllers.kubelet,
            server_address=lambda: f"{self.host}:{self.port}",
            stopping=self._stopping,
        )
        self._server = SandboxHTTPServer(
            (self.host, self.port),
            api,
            self.faults,
            token=self.token,
            read_only_token=self.read_only_token,
            admin_token=self.admin_token,
            ssl_context=context,
        )
        self.port = self._server.server_address[1]
        self._thread = serve_in_thread(self._server)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.store.close_all_watchers()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.controllers.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- for clients ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def kubeconfig(
        self,
        *,
        token: str | None = None,
        namespace: str = "default",
        context: str = "kiops-sandbox",
    ) -> dict[str, Any]:
        return build_kubeconfig(
            self.url,
            ca_pem=self.ca_pem,
            token=token if token is not None else self.token,
            context=context,
            namespace=namespace,
        )

    def write_kubeconfig(
        self,
        path: str | Path,
        *,
        token: str | None = None,
        namespace: str = "default",
        context: str = "kiops-sandbox",
    ) -> Path:
        config = self.kubeconfig(token=token, namespace=namespace, context=context)
        return write_kubeconfig(Path(path), config)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the controllers are idle: every rollout complete, or stuck on an image
        that cannot run (crash loops and pull errors keep going in the background)."""
        self.controllers.wait_idle(timeout)

    def inject_fault(
        self,
        method: str = "*",
        path: str = ".*",
        *,
        count: int = 1,
        status: int | None = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        self.faults.add(method, path, count=count, status=status, delay=delay, drop=drop)
