"""Fixtures for the GUI tests: pytest-qt, offscreen, against the sandbox over HTTPS with a
token (real HTTP, real TLS, real kubectl as referee), app dirs under tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.connections.settings import Settings
from kiops_desktop.core.services import Service, is_production, kubernetes_service
from kiops_desktop.ui.session import Session, SessionSignals
from kiops_desktop.ui.tasks import TaskRunner
from tests.integration.sandbox.conftest import Cluster, cluster, sandbox

__all__ = ["Cluster", "cluster", "sandbox"]

TOKEN = "kiops-gui-test-token"


@pytest.fixture(autouse=True)
def kiops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every app dir (config, data, logs, window state) under the test's tmp_path."""
    home = tmp_path / "kiops-home"
    monkeypatch.setenv("KIOPS_HOME", str(home))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    # No engine connection leaks in from the developer's shell or from the container tests'
    # session (which exports DOCKER_HOST/CONTAINER_HOST while its engines run): a window shows
    # engines only where a test asks for them (tests/gui/containers).
    for name in (
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_CONFIG",
        "CONTAINER_HOST",
        "CONTAINER_CONNECTION",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user_home / ".config"))
    return home


@pytest.fixture
def demo_cluster(cluster: Callable[..., Cluster]) -> Cluster:
    """The demo scenario over HTTPS with a token; pods become ready after a short delay."""
    return cluster(scenario="demo", tls=True, token=TOKEN, pod_start_delay=0.2)


@pytest.fixture
def make_session(qapp: Any) -> Iterator[Callable[..., Session]]:
    made: list[Session] = []

    def make(kubeconfig: Path, settings: Settings | None = None) -> Session:
        session = Session(
            runner=TaskRunner(),
            events=SessionSignals(),
            kubeconfig_paths=(Path(kubeconfig),),
            settings=settings or Settings(),
        )
        made.append(session)
        return session

    yield make
    for session in made:
        session.close()


def service_of(
    session: Session, namespace: str, name: str, context: str = "kiops-sandbox"
) -> Service:
    """The Service record the main window would build for a deployment (read synchronously:
    test set-up only, never in app code)."""
    runtime = session.kube(context)
    summary = next(s for s in runtime.list_deployments(namespace) if s.name == name)
    return kubernetes_service(
        context, summary, production=is_production(context, session.settings.production_patterns)
    )
