"""The main window and the Connections dialog together: Ctrl+K opens it, and a cluster added
there (token into the real gnome-keyring, exec plugin in the app's kubeconfig) shows its
services in the main window without a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from kiops_desktop.app import build_main_window
from kiops_desktop.ui.connections_dialog import ConnectionsDialog
from kiops_desktop.ui.main_window import MainWindow
from tests.gui.test_connections_dialog import click, fill_cluster_form, show_tab
from tests.integration.keyring.conftest import (
    SecretScan,
    _fresh_redactor,
    app_home,
    keyring_env,
    new_secret,
    secret_scan,
    secret_service,
    store,
)
from tests.integration.sandbox.conftest import Cluster

__all__ = [
    "_fresh_redactor",
    "app_home",
    "keyring_env",
    "new_secret",
    "secret_scan",
    "secret_service",
    "store",
]

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_a_cluster_added_in_connections_appears_in_the_window(
    qtbot: Any,
    cluster: Callable[..., Cluster],
    keyring_env: dict[str, str],
    new_secret: Callable[[str], str],
    secret_scan: SecretScan,
    tmp_path: Path,
) -> None:
    token = new_secret("window-token")
    cl = cluster(scenario="demo", tls=True, token=token)
    assert cl.sb.ca_pem is not None
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(cl.sb.ca_pem)
    user_kubeconfig = tmp_path / "user-kube" / "config"  # the operator has no cluster yet
    window = build_main_window(["--kubeconfig", str(user_kubeconfig)])
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    qtbot.waitUntil(window.banner.isVisible, timeout=30_000)  # "no contexts" note
    assert window.model.rowCount() == 0

    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(ConnectionsDialog, "connectionsDialog")
    assert dialog is not None
    assert dialog.isVisible()
    show_tab(dialog, "addedClustersTab")
    click(qtbot, dialog, "addClusterButton")
    form = dialog.cluster_form
    assert form is not None
    fill_cluster_form(form, "added-eu", cl.sb.url, token, ca_file=ca_file)
    with qtbot.waitSignal(dialog.clusters_changed, timeout=30_000):
        click(qtbot, form, "saveClusterButton")

    qtbot.waitUntil(
        lambda: "added-eu" in window.contexts and window.contexts["added-eu"].state == "ok",
        timeout=30_000,
    )
    assert window.model.rowCount() == 9
    assert {s.context for s in window.model.services} == {"added-eu"}
    assert window.context_combo.findData("added-eu") > 0
    assert not window.banner.isVisible()
    dialog.close()
