"""The main window against the demo sandbox over HTTPS with a token: services stream in per
context, filters, selectors, a dead context that holds up nothing, the production badge, and
window state that survives a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kiops_desktop.app import build_main_window
from kiops_desktop.ui.main_window import MainWindow
from kiops_desktop.ui.models.services_model import ServiceRole
from tests.gui.conftest import Cluster

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def open_window(qtbot: Any, *argv: str) -> MainWindow:
    window = build_main_window(list(argv))
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    return window


def wait_loaded(qtbot: Any, window: MainWindow, contexts: int = 1) -> None:
    qtbot.waitUntil(
        lambda: (
            len(window.contexts) == contexts
            and all(s.state != "loading" for s in window.contexts.values())
        ),
        timeout=30_000,
    )


def shown_names(window: MainWindow) -> list[str]:
    return sorted(
        f"{window.proxy.service_at(r).namespace}/{window.proxy.service_at(r).name}"
        for r in range(window.proxy.rowCount())
    )


def kubectl_deployments(cluster: Cluster) -> list[str]:
    out = cluster.ok(
        "get",
        "deployments",
        "-A",
        "-o",
        'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
    )
    return sorted(out.split())


def test_lists_exactly_what_kubectl_lists(qtbot: Any, demo_cluster: Cluster) -> None:
    window = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    assert window.objectName() == "mainWindow"
    wait_loaded(qtbot, window)
    assert shown_names(window) == kubectl_deployments(demo_cluster)
    assert window.contexts["kiops-sandbox"].state == "ok"
    assert "9 services" in window.count_label.text()
    row = [window.proxy.service_at(r) for r in range(window.proxy.rowCount())]
    storefront = next(s for s in row if s.name == "storefront")
    revision = demo_cluster.ok(
        "get",
        "deploy",
        "storefront",
        "-n",
        "shop",
        "-o",
        "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
    )
    assert storefront.revision == revision
    image = demo_cluster.ok(
        "get",
        "deploy",
        "storefront",
        "-n",
        "shop",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    )
    assert storefront.image == image


def test_filter_and_selectors(qtbot: Any, demo_cluster: Cluster) -> None:
    window = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    wait_loaded(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.filter_edit.hasFocus() or QApplication.focusWidget() is window.filter_edit
    qtbot.keyClicks(window.filter_edit, "crashloop")
    assert shown_names(window) == ["shop/cart"]
    window.filter_edit.setText("payments")
    assert shown_names(window) == ["payments/api", "payments/ledger"]
    window.filter_edit.clear()
    combo = window.namespace_combo
    assert combo.objectName() == "namespaceSelector"
    namespaces = [combo.itemText(i) for i in range(combo.count())]
    assert namespaces[0] == "All namespaces"
    assert {"shop", "payments", "platform"} <= set(namespaces)
    combo.setCurrentIndex(combo.findData("shop"))
    assert all(name.startswith("shop/") for name in shown_names(window))
    assert "of 9 services" in window.count_label.text()
    combo.setCurrentIndex(0)
    assert len(shown_names(window)) == 9


def two_context_kubeconfig(cluster: Cluster, tmp_path: Path) -> Path:
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    config["clusters"].append({"name": "dead", "cluster": {"server": "https://127.0.0.1:9"}})
    config["users"].append({"name": "dead-user", "user": {"token": "x"}})
    config["contexts"].append(
        {"name": "prod-eu", "context": {"cluster": "dead", "user": "dead-user"}}
    )
    path = tmp_path / "two-contexts"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def test_a_dead_context_shows_its_reason_and_holds_up_nothing(
    qtbot: Any, demo_cluster: Cluster, tmp_path: Path
) -> None:
    window = open_window(qtbot, "--kubeconfig", str(two_context_kubeconfig(demo_cluster, tmp_path)))
    wait_loaded(qtbot, window, contexts=2)
    assert window.contexts["kiops-sandbox"].state == "ok"
    dead = window.contexts["prod-eu"]
    assert dead.state == "error"
    assert "127.0.0.1:9" in dead.message or "reach" in dead.message.lower()
    texts = [window.connections_list.item(i).text() for i in range(window.connections_list.count())]
    assert any("prod-eu" in t and "PROD" in t and dead.message in t for t in texts)
    assert len(shown_names(window)) == 9
    assert "1 unreachable" in window.count_label.text()
    # The production context carries its badge in the context selector.
    index = window.context_combo.findData("prod-eu")
    assert index > 0
    assert not window.context_combo.itemIcon(index).isNull()
    assert window.context_combo.itemIcon(window.context_combo.findData("kiops-sandbox")).isNull()


def test_production_badge_in_the_table(qtbot: Any, demo_cluster: Cluster, tmp_path: Path) -> None:
    config = yaml.safe_load(demo_cluster.kubeconfig.read_text())
    config["contexts"][0]["name"] = "shop-live"
    config["current-context"] = "shop-live"
    path = tmp_path / "live"
    path.write_text(yaml.safe_dump(config))
    window = open_window(qtbot, "--kubeconfig", str(path))
    wait_loaded(qtbot, window)
    model = window.model
    context_column = [c.header for c in model.columns].index("Context")
    for row in range(model.rowCount()):
        index = model.index(row, context_column)
        assert model.data(index, ServiceRole).production
        assert model.data(index, Qt.ItemDataRole.DecorationRole) is not None


def test_window_state_survives_a_restart(qtbot: Any, demo_cluster: Cluster) -> None:
    window = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    wait_loaded(qtbot, window)
    window.resize(790, 555)
    window.namespace_combo.setCurrentIndex(window.namespace_combo.findData("payments"))
    window.table.setColumnWidth(0, 222)
    window.close()
    again = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    wait_loaded(qtbot, again)
    qtbot.waitUntil(lambda: again.namespace_combo.currentData() == "payments")
    assert (again.size().width(), again.size().height()) == (790, 555)
    assert again.table.columnWidth(0) == 222
    assert shown_names(again) == ["payments/api", "payments/ledger"]


def test_refresh_follows_a_change_made_with_kubectl(qtbot: Any, demo_cluster: Cluster) -> None:
    window = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    wait_loaded(qtbot, window)
    demo_cluster.ok("-n", "default", "create", "deployment", "newcomer", "--image=nginx:1.27")
    qtbot.keyClick(window.table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: "default/newcomer" in shown_names(window), timeout=15_000)
    demo_cluster.ok("-n", "default", "delete", "deployment", "newcomer")
    window.refresh()
    qtbot.waitUntil(lambda: "default/newcomer" not in shown_names(window), timeout=15_000)


def test_no_kubeconfig_says_what_to_do(qtbot: Any, tmp_path: Path) -> None:
    window = open_window(qtbot, "--kubeconfig", str(tmp_path / "missing"))
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=15_000)
    assert "--demo" in window.banner.text or "kubeconfig" in window.banner.text.lower()
    assert window.model.rowCount() == 0


def test_services_model_passes_qtmodeltester(
    qtbot: Any, qtmodeltester: Any, demo_cluster: Cluster
) -> None:
    window = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    wait_loaded(qtbot, window)
    qtmodeltester.check(window.model)
    qtmodeltester.check(window.proxy)


def test_backups_and_activity_pages_by_keyboard(qtbot: Any, demo_cluster: Cluster) -> None:
    from kiops_desktop.ops.audit import AuditLog

    window = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    wait_loaded(qtbot, window)
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Services",
        "Backups",
        "Activity",
    ]
    window.session.audit.append(
        connection="kiops-sandbox",
        service="shop/cart",
        action="rollback",
        outcome="succeeded",
        from_="revision 3",
        to="revision 2",
    )
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget().objectName() == "activityPage"
    qtbot.waitUntil(lambda: len(window.activity_page.shown_entries()) == 1, timeout=15_000)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget().objectName() == "backupsPage"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget().objectName() == "servicesPage"
    assert isinstance(window.session.audit, AuditLog)


def test_open_dialog_header_follows_a_rollback(qtbot: Any, demo_cluster: Cluster) -> None:
    window = open_window(qtbot, "--kubeconfig", str(demo_cluster.kubeconfig))
    wait_loaded(qtbot, window)
    dialog = window.open_operations(window.select_service("storefront", "shop"))
    assert "storefront:1.4.0" in dialog.image_label.text()  # type: ignore[attr-defined]
    assert "revision 6" in dialog.image_label.text()  # type: ignore[attr-defined]
    demo_cluster.ok("-n", "shop", "rollout", "undo", "deployment/storefront")
    window.refresh()
    qtbot.waitUntil(
        lambda: "storefront:1.3.0" in dialog.image_label.text(),  # type: ignore[attr-defined]
        timeout=15_000,
    )
    assert "revision 7" in dialog.image_label.text()  # type: ignore[attr-defined]
    dialog.close()
