"""What the app shows passes through the one redactor: a console command that prints the
cluster's token (``kubectl config view --raw``), and an error banner quoting a bearer token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from kiops_desktop.connections.redact import MASK
from kiops_desktop.ui.banner import Banner
from kiops_desktop.ui.operations.console_tab import ConsoleTab
from kiops_desktop.ui.session import Session
from tests.gui.conftest import TOKEN, Cluster, service_of

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_console_output_never_shows_the_token(
    qtbot: Any, demo_cluster: Cluster, make_session: Callable[..., Session]
) -> None:
    raw = demo_cluster.ok("config", "view", "--raw")
    assert TOKEN in raw  # kubectl itself prints it: the console must not
    session = make_session(demo_cluster.kubeconfig)
    tab = ConsoleTab(session, service_of(session, "shop", "storefront"))
    qtbot.addWidget(tab)
    tab.show()
    with qtbot.waitSignal(tab.run_finished, timeout=30_000):
        tab.run_command("kubectl config view --raw")
    shown = tab.output.toPlainText()
    assert "token:" in shown
    assert TOKEN not in shown
    assert MASK in shown
    tab.shutdown()


def test_banner_hides_a_quoted_bearer_token(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    banner = Banner(parent)
    banner.show_error("The server said: Authorization: Bearer abcdef0123456789abcdef0123456789")
    assert "abcdef0123456789abcdef0123456789" not in banner.text
    assert "Bearer" in banner.text
