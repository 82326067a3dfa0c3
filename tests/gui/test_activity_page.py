"""The Activity page over a real audit log file (per test, under tmp_path): newest first, the
action and text filters, CSV export that round-trips, redaction, and reloading when an entry is
appended (by this app or another process)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from kiops_desktop.ops.audit import FIELDS, AuditLog
from kiops_desktop.ui.activity_model import OUTCOME_COLUMN, TONE_COLOURS, csv_cell, outcome_tone
from kiops_desktop.ui.activity_page import ActivityPage
from kiops_desktop.ui.session import Session

pytestmark = pytest.mark.gui


@pytest.fixture
def session(make_session: Callable[..., Session], tmp_path: Path) -> Session:
    return make_session(tmp_path / "no-kubeconfig")


@pytest.fixture
def make_page(qtbot: Any, session: Session) -> Iterator[Callable[[], ActivityPage]]:
    pages: list[ActivityPage] = []

    def make() -> ActivityPage:
        page = ActivityPage(session)
        qtbot.addWidget(page)
        page.resize(1200, 500)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.shutdown()


def seed(audit: AuditLog) -> None:
    audit.append(
        connection="kiops-sandbox",
        service="shop/storefront",
        action="rollback",
        outcome="succeeded",
        from_="revision 3 (shop/storefront:v3)",
        to="revision 2 (shop/storefront:v2)",
        detail="Rolled back to revision 2; 3/3 pods ready.",
    )
    audit.append(
        connection="docker:default",
        service="web",
        action="deploy",
        outcome="restored",
        from_="kiops-test/app:v1",
        to="kiops-test/app:v-broken",
        detail="The deploy failed; the previous container runs again.",
    )
    audit.append(
        connection="kiops-sandbox",
        service="shop/storefront",
        action="console command",
        outcome="failed (exit code 1)",
        detail="kubectl -n shop scale deployment/storefront --replicas=0",
    )


def cells(page: ActivityPage, row: int) -> list[str]:
    return [str(page.proxy.index(row, c).data()) for c in range(page.proxy.columnCount())]


def loaded(qtbot: Any, page: ActivityPage, rows: int) -> None:
    qtbot.waitUntil(lambda: page.model.rowCount() == rows, timeout=10_000)


def test_entries_newest_first_with_outcome_colours(
    qtbot: Any, qtmodeltester: Any, session: Session, make_page: Callable[[], ActivityPage]
) -> None:
    seed(session.audit)
    page = make_page()
    loaded(qtbot, page, 3)
    qtmodeltester.check(page.model)
    assert [e.action for e in page.shown_entries()] == ["console command", "deploy", "rollback"]
    top = cells(page, 0)
    assert top[2:5] == ["kiops-sandbox", "shop/storefront", "console command"]
    assert top[OUTCOME_COLUMN] == "failed (exit code 1)"
    assert cells(page, 1)[5] == "kiops-test/app:v1 → kiops-test/app:v-broken"
    assert top[5] == "kubectl -n shop scale deployment/storefront --replicas=0"  # no from/to
    # Time in local time, seconds shown; the UTC original in the tooltip with the detail.
    raw = session.audit.entries()[-1]
    assert len(top[0]) == len("2026-11-29 21:24:30")
    tooltip = page.proxy.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert raw["time"] in tooltip
    assert "--replicas=0" in tooltip
    # Outcomes coloured by what they mean: a failed command red, a deploy that had to restore
    # the old version amber, a rollback that succeeded green.
    colours = [
        page.proxy.index(r, OUTCOME_COLUMN).data(Qt.ItemDataRole.ForegroundRole).color().name()
        for r in range(3)
    ]
    assert colours == [TONE_COLOURS["bad"], TONE_COLOURS["warn"], TONE_COLOURS["good"]]
    assert page.count_label.text() == "3 entries"
    # The detail of the selected entry, selectable under the table.
    page.table.selectRow(1)
    assert page.detail.text() == "The deploy failed; the previous container runs again."


def test_outcome_tones() -> None:
    assert outcome_tone("restore", "restored") == "good"
    assert outcome_tone("deploy", "restored") == "warn"
    assert outcome_tone("deploy", "restore-failed") == "bad"
    assert outcome_tone("rollback", "applied, not verified") == "warn"
    assert outcome_tone("rollback", "rollout stuck") == "bad"
    assert outcome_tone("restore", "refused") == "warn"
    assert outcome_tone("something", "queued") == ""


def test_action_and_text_filters(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage]
) -> None:
    seed(session.audit)
    session.audit.append(
        connection="podman:CONTAINER_HOST",
        service="worker",
        action="restore",
        outcome="restored",
        from_="kiops-test/app:v2",
        to="kiops-test/app:v1",
    )
    page = make_page()
    loaded(qtbot, page, 4)
    combo = page.action_combo
    # The known actions are offered before they ever happened, in a fixed order.
    assert [combo.itemData(i) for i in range(combo.count())][:5] == [
        "",
        "deploy",
        "restore",
        "rollback",
        "console command",
    ]
    page.set_action_filter("restore")
    assert [e.service for e in page.shown_entries()] == ["worker"]
    assert page.count_label.text() == "1 of 4 entries"
    page.set_action_filter("")
    page.filter.setText("STOREFRONT")  # case-insensitive, any column
    assert [e.action for e in page.shown_entries()] == ["console command", "rollback"]
    page.filter.setText("storefront v2")  # every word must match, in any field
    assert [e.action for e in page.shown_entries()] == ["rollback"]
    page.set_action_filter("deploy")
    assert page.shown_entries() == []
    assert not page.export_button.isEnabled()  # nothing to export
    page.filter.clear()
    assert [e.service for e in page.shown_entries()] == ["web"]


def test_an_unknown_action_joins_the_filter(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage]
) -> None:
    session.audit.append(connection="x", service="y", action="delete backup", outcome="deleted")
    page = make_page()
    loaded(qtbot, page, 1)
    assert page.action_combo.findData("delete backup") > 0


def test_export_csv_round_trip(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage], tmp_path: Path
) -> None:
    seed(session.audit)
    page = make_page()
    loaded(qtbot, page, 3)
    target = tmp_path / "out" / "activity.csv"
    target.parent.mkdir()
    with qtbot.waitSignal(page.exported, timeout=10_000) as blocker:
        page.export_csv(target)
    assert blocker.args == [str(target), 3]
    with target.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == FIELDS
        rows = list(reader)
    # Exactly the audit lines, newest first (as shown), every field intact.
    assert rows == [{k: str(v) for k, v in e.items()} for e in reversed(session.audit.entries())]
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind
    assert "Exported 3 entries" in page.banner.text

    # Only what the filters show.
    page.set_action_filter("deploy")
    with qtbot.waitSignal(page.exported, timeout=10_000) as blocker:
        page.export_csv(target)
    assert blocker.args[1] == 1
    with target.open(encoding="utf-8", newline="") as f:
        assert [r["service"] for r in csv.DictReader(f)] == ["web"]


def test_export_failure_says_why(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage], tmp_path: Path
) -> None:
    seed(session.audit)
    page = make_page()
    loaded(qtbot, page, 3)
    target = tmp_path / "no-such-dir" / "activity.csv"
    with qtbot.waitSignal(page.export_failed, timeout=10_000):
        page.export_csv(target)
    assert page.banner.level == "error"
    assert "no-such-dir" in page.banner.text


def test_no_secret_reaches_the_table_or_the_csv(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage], tmp_path: Path
) -> None:
    token = "s3cr3t-t0ken-abcdefghijklmnop"
    # The audit log never holds secrets by construction; a caller that slipped one into the
    # detail must still not put it on screen or in an export.
    session.audit.append(
        connection="kiops-sandbox",
        service="shop/api",
        action="console command",
        outcome="succeeded",
        detail=f"kubectl --token={token} get pods; curl https://admin:{token}@127.0.0.1/",
    )
    page = make_page()
    loaded(qtbot, page, 1)
    [entry] = page.shown_entries()
    assert token not in entry.detail
    assert token not in entry.search
    page.table.selectRow(0)
    assert token not in page.detail.text()
    target = tmp_path / "activity.csv"
    with qtbot.waitSignal(page.exported, timeout=10_000):
        page.export_csv(target)
    assert token not in target.read_text("utf-8")


def test_csv_cells_never_become_formulas() -> None:
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("kiops-test/app:v1") == "kiops-test/app:v1"


def test_refreshes_on_a_new_entry(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage]
) -> None:
    page = make_page()
    page.show()
    qtbot.waitUntil(lambda: page._loaded, timeout=10_000)
    assert page.model.rowCount() == 0
    assert "nothing recorded yet" in page.count_label.text()
    # Written by another process (a second app instance): the page notices the file changed.
    AuditLog(session.audit.path).append(
        connection="docker:default", service="web", action="deploy", outcome="deployed"
    )
    loaded(qtbot, page, 1)
    page.table.selectRow(0)
    # Announced by this app (a mutation finished): reloads at once, the selection stays.
    session.audit.append(
        connection="docker:default", service="web", action="restore", outcome="restored"
    )
    session.events.service_changed.emit("docker/default//web")
    loaded(qtbot, page, 2)
    assert [e.action for e in page.shown_entries()] == ["restore", "deploy"]
    assert page.shown_entries()[page.table.selectionModel().selectedRows()[0].row()].action == (
        "deploy"
    )


def test_a_rewritten_log_is_shown_afresh(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage]
) -> None:
    seed(session.audit)
    page = make_page()
    loaded(qtbot, page, 3)
    session.audit.path.unlink()  # rotated away
    session.audit.append(connection="c", service="s", action="deploy", outcome="deployed")
    page.refresh()
    loaded(qtbot, page, 1)
    assert page.shown_entries()[0].service == "s"


def test_hidden_page_does_not_poll(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage]
) -> None:
    page = make_page()
    page.show()
    assert page._timer.isActive()
    page.hide()
    assert not page._timer.isActive()
    page.show()
    page.shutdown()
    assert not page._timer.isActive()


def test_engine_addresses_shown_by_connection_name(
    qtbot: Any, session: Session, make_page: Callable[[], ActivityPage]
) -> None:
    from kiops_desktop.connections.engines import EngineEndpoint

    host = "unix:///run/user/1000/docker.sock"
    session.endpoints = {
        "docker:default": EngineEndpoint("docker", "default", host, True, "DOCKER_HOST")
    }
    # What ops.deploy records: the engine's address.
    session.audit.append(
        connection=f"docker:{host}", service="web", action="deploy", outcome="deployed"
    )
    page = make_page()
    loaded(qtbot, page, 1)
    assert cells(page, 0)[2] == "docker:default"
    assert host in page.proxy.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
    page.filter.setText("docker:default")
    assert page.proxy.rowCount() == 1
    with qtbot.waitSignal(page.exported, timeout=10_000):
        page.export_csv(session.audit.path.with_name("out.csv"))
    # The export keeps what the log says.
    with session.audit.path.with_name("out.csv").open(encoding="utf-8", newline="") as f:
        assert [r["connection"] for r in csv.DictReader(f)] == [f"docker:{host}"]
