"""Container List on the real Docker engine and Podman the suite starts: the table lists what the
engine lists, follows the engine's events (a container stopped or added shows up without a
click), reads and follows logs, and opens the deploy dialog for the chosen container."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from kiops_desktop.core.services import Service
from kiops_desktop.ops.listing import container_service
from kiops_desktop.ops.versions import short_digest
from kiops_desktop.runtimes.containers import ContainerInfo
from kiops_desktop.ui.containers_columns import CONTAINER_COL
from kiops_desktop.ui.deploy_dialog import DeployDialog
from kiops_desktop.ui.operations.containers_tab import ContainersTab
from kiops_desktop.ui.operations.dialog import OperationsDialog
from kiops_desktop.ui.session import Session
from tests.integration.containers.conftest import Engine, app_image, free_port, run_app

pytestmark = [pytest.mark.gui, pytest.mark.integration]

WAIT_MS = 30_000


def connection_of(engine_name: str) -> str:
    """The connection key the CLIs' resolution gives the suite's env-var endpoints."""
    return "docker:default" if engine_name == "docker" else "podman:CONTAINER_HOST"


def engine_service(session: Session, engine_name: str, name: str) -> Service:
    """The Service record the main window would build for an engine service (read synchronously:
    test set-up only, never in app code)."""
    session.discover_engines()
    key = connection_of(engine_name)
    runtime, _, context = key.partition(":")
    found = next(s for s in session.engine(key).list_services() if s.name == name)
    return container_service(runtime, context, found, production=session.is_production(context))


def compose_labels(project: str, service: str) -> dict[str, str]:
    return {"com.docker.compose.project": project, "com.docker.compose.service": service}


@pytest.fixture
def session(make_session: Callable[..., Session], tmp_path: Path) -> Session:
    # Engine-only tests: the kubeconfig is never read.
    return make_session(tmp_path / "no-kubeconfig")


def open_tab(qtbot: Any, session: Session, service: Service) -> ContainersTab:
    tab = ContainersTab(session, service)
    qtbot.addWidget(tab)
    tab.resize(1000, 400)
    tab.show()
    tab.ensure_loaded()
    return tab


def rows(tab: ContainersTab) -> dict[str, ContainerInfo]:
    return {c.name: c for c in tab.model.rows()}


def cell(tab: ContainersTab, name: str, column: str) -> str:
    row = tab.model.position(name)
    assert row is not None
    return str(tab.model.index(row, CONTAINER_COL[column]).data())


def test_table_lists_what_the_engine_lists_and_follows_its_events(
    qtbot: Any, qtmodeltester: Any, engine: Engine, session: Session
) -> None:
    project = f"gui{uuid.uuid4().hex[:6]}"
    labels = compose_labels(project, "web")
    ports = [free_port(), free_port()]
    for i, port in enumerate(ports, 1):
        run_app(engine, "v1", port=port, name=f"{project}-web-{i}", labels=labels)
    service = engine_service(session, engine.name, f"{project}/web")
    assert (service.namespace, service.name) == (project, "web")

    tab = open_tab(qtbot, session, service)
    assert tab.objectName() == "containersTab"
    assert tab.title == "Container List"
    assert tab.table.objectName() == "containersTable"
    qtbot.waitUntil(lambda: len(rows(tab)) == 2 and tab.live, timeout=WAIT_MS)
    qtmodeltester.check(tab.model)

    # The table shows what the engine lists, cell by cell.
    listed = next(
        s for s in session.engine(service.connection).list_services() if s.name == f"{project}/web"
    )
    for c in listed.containers:
        shown = rows(tab)[c.name]
        assert (shown.id, shown.image_id, shown.state) == (c.id, c.image_id, "running")
        assert cell(tab, c.name, "Image") == c.repository
        assert cell(tab, c.name, "Tag") == "v1"
        assert cell(tab, c.name, "Digest") == (short_digest(c.digest) if c.digest else "")
        assert cell(tab, c.name, "State") == "running"
        assert cell(tab, c.name, "Restarts") == "0"
        assert cell(tab, c.name, "Created").endswith("s")  # seconds old
        assert cell(tab, c.name, "Ports") == c.ports_text
    assert tab.summary_label.text() == "2 containers · 2 running"
    state = tab.model.index(0, CONTAINER_COL["State"])
    assert state.data(Qt.ItemDataRole.ForegroundRole) is not None  # running is green

    # Live: a container stopped behind the tab's back turns red without a click ...
    engine.client.containers.get(f"{project}-web-2").stop(timeout=2)
    qtbot.waitUntil(lambda: rows(tab)[f"{project}-web-2"].state == "exited", timeout=WAIT_MS)
    assert "1 running" in tab.summary_label.text()
    # ... and a container added to the service appears as one inserted row.
    inserted: list[int] = []
    tab.model.rowsInserted.connect(lambda _p, first, _last: inserted.append(first))
    run_app(engine, "v2", port=free_port(), name=f"{project}-web-3", labels=labels)
    qtbot.waitUntil(lambda: f"{project}-web-3" in rows(tab), timeout=WAIT_MS)
    assert inserted == [2]
    assert cell(tab, f"{project}-web-3", "Tag") == "v2"
    qtmodeltester.check(tab.model)
    tab.shutdown()
    assert not tab.live


def test_logs_tail_and_follow(qtbot: Any, engine: Engine, session: Session) -> None:
    name = f"gui-logs-{uuid.uuid4().hex[:6]}"
    engine.client.containers.run(
        app_image("v1"),
        command=[
            "/bin/sh",
            "-c",
            (
                "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done; "
                "i=0; while sleep 0.2; do i=$((i+1)); echo tick $i; done"
            ),
        ],
        detach=True,
        network_mode="host",
        labels={"kiops-test": "1"},
        name=name,
    )
    service = engine_service(session, engine.name, name)
    tab = open_tab(qtbot, session, service)
    qtbot.waitUntil(lambda: name in rows(tab), timeout=WAIT_MS)
    assert tab.select_container(name)
    assert tab.logs_button.isEnabled()

    # The last N lines.
    tab.logs_button.click()
    dialog = tab.open_logs(name)
    assert dialog is not None
    assert dialog.objectName() == "containerLogsDialog"
    viewer = dialog.viewer
    viewer.tail_spin.setValue(3)
    viewer.tail_spin.editingFinished.emit()
    qtbot.waitUntil(lambda: not viewer.busy and len(viewer.lines()) == 3, timeout=WAIT_MS)
    lines = viewer.lines()
    assert all(line.startswith(("line ", "tick ")) for line in lines), lines

    # Follow: new lines keep coming until stopped.
    viewer.tail_spin.setValue(1)
    viewer.follow_button.setChecked(True)
    qtbot.waitUntil(lambda: viewer.following, timeout=WAIT_MS)

    def ticks() -> list[int]:
        return [int(line.split()[1]) for line in viewer.lines() if line.startswith("tick ")]

    qtbot.waitUntil(lambda: len(ticks()) >= 4, timeout=WAIT_MS)
    seen = ticks()
    assert seen == list(range(seen[0], seen[0] + len(seen)))  # in order, nothing lost
    viewer.follow_button.setChecked(False)
    assert not viewer.following
    count = len(viewer.lines())
    time.sleep(0.6)
    qtbot.wait(100)
    assert len(viewer.lines()) == count  # stopped means stopped
    dialog.close()
    tab.shutdown()


def test_deploy_button_opens_the_dialog_for_the_chosen_container(
    qtbot: Any, engine: Engine, session: Session
) -> None:
    project = f"gui{uuid.uuid4().hex[:6]}"
    labels = compose_labels(project, "api")
    for i in (1, 2):
        run_app(engine, "v1", port=free_port(), name=f"{project}-api-{i}", labels=labels)
    service = engine_service(session, engine.name, f"{project}/api")

    # Through the operations dialog, as an operator gets there.
    ops = OperationsDialog(session, service)
    qtbot.addWidget(ops)
    ops.show()
    tab = ops.tab("containersTab")
    assert isinstance(tab, ContainersTab)
    assert ops.tabs.tabText(0) == "Container List"
    qtbot.waitUntil(lambda: len(rows(tab)) == 2, timeout=WAIT_MS)
    deploy_button = tab.findChild(type(tab.deploy_button), "openDeployButton")
    assert deploy_button is tab.deploy_button
    assert deploy_button.isEnabled()

    assert tab.select_container(f"{project}-api-2")
    deploy_button.click()
    dialog = tab._deploy_dialog
    assert isinstance(dialog, DeployDialog)
    assert dialog.objectName() == "dockerDeployDialog"
    assert dialog.container == f"{project}-api-2"
    assert not dialog.isModal()
    qtbot.waitUntil(lambda: dialog.listing is not None, timeout=WAIT_MS)
    assert dialog.listing is not None
    assert dialog.listing.running.container == f"{project}-api-2"
    # A second click brings the same window forward instead of opening another.
    deploy_button.click()
    assert tab._deploy_dialog is dialog
    dialog.close()
    ops.close()
