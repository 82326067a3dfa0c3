"""Docker and Podman services in the main window, from the real engines the suite starts:
listed beside Kubernetes ones, per engine connection, and an engine that does not answer says
why without holding up the rest."""

from __future__ import annotations

from typing import Any

import pytest

from kiops_desktop.app import build_main_window
from kiops_desktop.ui.main_window import MainWindow
from tests.gui.conftest import Cluster
from tests.integration.containers.conftest import Engine, free_port, run_app

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def services(window: MainWindow) -> dict[str, Any]:
    return {f"{s.connection}/{s.name}": s for s in window.model.services}


def test_engine_services_beside_kubernetes(
    qtbot: Any, engine: Engine, demo_cluster: Cluster
) -> None:
    container = run_app(engine, "v1", port=free_port(), name=f"gui-{engine.name}-web")
    try:
        window = build_main_window(["--kubeconfig", str(demo_cluster.kubeconfig)])
        qtbot.addWidget(window)
        assert isinstance(window, MainWindow)
        # The connection names the CLIs give an env-var endpoint.
        key = "docker:default" if engine.name == "docker" else "podman:CONTAINER_HOST"
        qtbot.waitUntil(
            lambda: (
                f"{key}/gui-{engine.name}-web" in services(window)
                and window.contexts["kiops-sandbox"].state == "ok"
            ),
            timeout=60_000,
        )
        service = services(window)[f"{key}/gui-{engine.name}-web"]
        assert service.runtime == engine.name
        assert service.revision == "v1"
        assert service.status == "Running"
        assert service.ready == "1/1"
        assert "kiops-test/app:v1" in service.image
        assert window.contexts[key].state == "ok"
        assert window.context_combo.findData(key) > 0
        # Selecting the engine connection shows only its services.
        window.context_combo.setCurrentIndex(window.context_combo.findData(key))
        shown = {window.proxy.service_at(r).connection for r in range(window.proxy.rowCount())}
        assert shown == {key}
    finally:
        container.remove(force=True)


def test_a_configured_engine_that_does_not_answer_says_why(
    qtbot: Any, demo_cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    window = build_main_window(["--kubeconfig", str(demo_cluster.kubeconfig)])
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow)
    qtbot.waitUntil(
        lambda: (
            "docker:default" in window.contexts
            and window.contexts["docker:default"].state == "error"
            and window.contexts["kiops-sandbox"].state == "ok"
        ),
        timeout=60_000,
    )
    assert "no-such.sock" in window.contexts["docker:default"].message
    assert sum(1 for s in window.model.services if s.runtime == "kubernetes") == 9
