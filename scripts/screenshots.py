"""Render the app's screens to PNGs under docs/screenshots (``make screenshots``).

Runs the real app on the embedded demo sandbox, offscreen, drives it the way an operator would
(open a service, view its history, ask for a rollback, look at pods and the console) and grabs
each window. The README shows these; look at them after UI changes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KIOPS_HOME"] = tempfile.mkdtemp(prefix="kiops-shots-")

from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.* for the engine set-up


def pump(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, name: str) -> None:
    pump(0.3)
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"  {path}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication([sys.argv[0]])
    from kiops_desktop.app import build_main_window
    from kiops_desktop.ui.main_window import MainWindow
    from kiops_desktop.ui.operations.dialog import OperationsDialog

    window = build_main_window(["--demo"])
    assert isinstance(window, MainWindow)
    window.resize(1280, 720)
    wait_for("the demo services", lambda: window.model.rowCount() >= 9)
    pump(2.5)  # pods of the demo come up after their start delay
    window.select_service("storefront", "shop")
    save(window, "main-window")

    dialog = window.open_operations(window.select_service("storefront", "shop"))
    assert isinstance(dialog, OperationsDialog)
    dialog.resize(1180, 760)
    deployment = dialog.tab("deploymentTab")
    history = deployment.findChild(QPlainTextEdit, "historyText")
    assert history is not None
    wait_for("the history", lambda: bool(history.toPlainText()))
    deployment.select_revision(4)  # type: ignore[attr-defined]
    save(dialog, "operations-deployment")

    opened: list[QWidget] = []
    deployment.confirm_dialog_opened.connect(opened.append)  # type: ignore[attr-defined]
    deployment.start_rollback(4)  # type: ignore[attr-defined]
    wait_for("the confirmation dialog", lambda: bool(opened))
    confirm = opened[0]
    confirm.resize(900, 820)
    save(confirm, "confirm-rollback")
    confirm.close()

    dialog.tabs.setCurrentWidget(dialog.tab("podsTab"))
    pump(2.0)
    save(dialog, "operations-pods")

    console = dialog.tab("consoleTab")
    dialog.tabs.setCurrentWidget(console)
    console.run_command("kubectl rollout history deployment/storefront")  # type: ignore[attr-defined]
    pump(3.0)
    save(dialog, "operations-console")

    cart = window.open_operations(window.select_service("cart", "shop"))
    assert isinstance(cart, OperationsDialog)
    cart.resize(1180, 760)
    cart.tabs.setCurrentWidget(cart.tab("podsTab"))
    pump(3.0)
    save(cart, "operations-pods-crashloop")

    window.close()
    app.processEvents()
    if os.environ.get("KIOPS_SCREENSHOT_ENGINES", "1") != "0" and os.geteuid() == 0:
        container_screens()
    else:
        print("  (container screens need root to start private engines; skipped)")
    return 0


def container_screens() -> None:
    """The Docker screens on a private dockerd (the test suite's engines and images): the
    services table with containers, Container List, the deploy dialog, Backups and Activity."""
    import contextlib
    import shutil

    import docker
    import podman

    from kiops_desktop.app import build_main_window
    from kiops_desktop.ops.backups import BackupStore
    from kiops_desktop.ops.deploy import deploy
    from kiops_desktop.runtimes.docker import DockerEngine
    from kiops_desktop.ui.deploy_dialog import DeployDialog
    from kiops_desktop.ui.main_window import MainWindow
    from kiops_desktop.ui.operations.dialog import OperationsDialog
    from tests.integration.containers.conftest import (
        _engines_sh,
        _parse_env,
        build_test_images,
        free_port,
    )

    run_dir = Path(tempfile.mkdtemp(prefix="kiops-shot-engines-", dir="/tmp"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "CONTAINER_HOST")},
        "KIOPS_REGISTRY_PORT": str(free_port()),
        "KIOPS_ENGINES_OWNER_PID": str(os.getpid()),
    }
    started = _engines_sh("start", run_dir, env)
    if started.returncode != 0:
        print(f"  (engines did not start; container screens skipped: {started.stderr[-300:]})")
        return
    try:
        client_env = _parse_env(started.stdout)
        os.environ["DOCKER_HOST"] = client_env["DOCKER_HOST"]
        with (
            contextlib.closing(docker.DockerClient(base_url=client_env["DOCKER_HOST"])) as dc,
            podman.PodmanClient(base_url=client_env["CONTAINER_HOST"]) as pc,
        ):
            build_test_images(dc, pc, client_env["KIOPS_TEST_REGISTRY"])
            port = free_port()
            dc.containers.run(
                "kiops-test/app:v1",
                name="shop-web",
                detach=True,
                network_mode="host",
                environment={"PORT": str(port)},
                volumes={"shop-web-data": {"bind": "/data", "mode": "rw"}},
                labels={"com.docker.compose.project": "shop", "com.docker.compose.service": "web"},
            )
        engine = DockerEngine(client_env["DOCKER_HOST"])
        store = BackupStore(Path(os.environ["KIOPS_HOME"]) / "data" / "backups")
        from kiops_desktop.ops.audit import AuditLog

        audit = AuditLog(Path(os.environ["KIOPS_HOME"]) / "data" / "audit.jsonl")
        deploy(
            engine, "shop-web", "kiops-test/app:v2", store=store, service="shop/web", audit=audit
        )
        deploy(
            engine,
            "shop-web",
            "kiops-test/app:v-broken",
            store=store,
            service="shop/web",
            audit=audit,
            health_timeout=3,
        )
        engine.close()

        window = build_main_window(["--kubeconfig", str(run_dir / "no-kubeconfig")])
        assert isinstance(window, MainWindow)
        window.resize(1280, 720)
        wait_for("the docker services", lambda: window.model.rowCount() >= 1)
        window.banner.hide()
        pump(1.0)
        save(window, "main-window-containers")
        dialog = window.open_operations(window.select_service("web", "shop"))
        assert isinstance(dialog, OperationsDialog)
        dialog.resize(1180, 700)
        pump(2.0)
        save(dialog, "operations-containers")
        tab = dialog.tab("containersTab")
        deploy_dialog = tab.open_deploy("shop-web")  # type: ignore[attr-defined]
        assert isinstance(deploy_dialog, DeployDialog)
        wait_for("the image versions", lambda: deploy_dialog.version_combo.count() > 1)
        pump(0.5)
        save(deploy_dialog, "deploy-dialog")
        deploy_dialog.close()
        dialog.close()
        window.nav.setCurrentRow(1)
        pump(2.0)
        save(window, "backups-page")
        window.nav.setCurrentRow(2)
        pump(2.5)
        save(window, "activity-page")
        window.close()
        QApplication.processEvents()
    finally:
        _engines_sh("stop", run_dir, env)
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
