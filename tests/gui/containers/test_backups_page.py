"""The Backups page on the real Docker engine and Podman the suite starts: backups made by
``ops`` are listed with where they belong, Verify finds a corrupted archive, Restore (after a
question naming what it replaces) brings the container back serving its version with its volume
data byte-identical, Delete removes the folder, and the Activity page lists the restore."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from kiops_desktop.connections.settings import Settings
from kiops_desktop.ops.backups import Backup, put_volume
from kiops_desktop.ops.deploy import deploy
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine
from kiops_desktop.ui.activity_page import ActivityPage
from kiops_desktop.ui.backups_model import BAD_COLOUR, OK_COLOUR
from kiops_desktop.ui.backups_page import BackupsPage
from kiops_desktop.ui.backups_restore import RestoreConfirmDialog, RestoreOutcome
from kiops_desktop.ui.session import Session
from tests.integration.containers.conftest import Engine, app_image, free_port, wait_http

pytestmark = [pytest.mark.gui, pytest.mark.integration]

HISTORY = "data/version-history"  # the test images append their version here on every start
SERVICE_COL, ENGINE_COL, IMAGE_COL, DIGEST_COL, VOLUMES_COL, SIZE_COL, VERIFIED_COL = (
    0,
    1,
    3,
    4,
    5,
    6,
    7,
)


# --------------------------------------------------------------------------- helpers


def tar_of(files: dict[str, bytes], top: str = "data") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        d = tarfile.TarInfo(top)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
        tar.addfile(d)
        for name, body in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(body), 0o640, 1_700_000_000
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def volume_files(ce: ContainerEngine, container: str) -> dict[str, str]:
    """Mode, owner and sha256 of every entry in /data, except the start history."""
    out = {}
    data = b"".join(ce.archive_get(container, "/data"))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for m in tar.getmembers():
            name = m.name.strip("/")
            if name == HISTORY:
                continue
            f = tar.extractfile(m) if m.isfile() else None
            body = hashlib.sha256(f.read() if f else b"").hexdigest()
            out[name] = f"{m.type!r} {m.mode:o} {m.uid}:{m.gid} {body}"
    return out


def start_history(ce: ContainerEngine, container: str) -> list[str]:
    data = b"".join(ce.archive_get(container, "/data"))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        if HISTORY not in [m.name.strip("/") for m in tar.getmembers()]:
            return []
        f = tar.extractfile(HISTORY)
        return (f.read() if f else b"").decode().split()


@dataclass
class App:
    ce: ContainerEngine
    name: str
    volume: str
    port: int


@pytest.fixture
def app(ce: ContainerEngine) -> Iterator[App]:
    """A running v1 container with a named volume holding data."""
    suffix = uuid.uuid4().hex[:8]
    name, volume, port = f"kiops-gui-bk-{suffix}", f"kiops-gui-vol-{suffix}", free_port()
    spec = {
        "Config": {
            "Image": app_image("v1"),
            "Env": [f"PORT={port}"],
            "Labels": {"kiops-test": "1", "team": "shop"},
        },
        "HostConfig": {"NetworkMode": "host", "Binds": [f"{volume}:/data"]},
    }
    cid = ce.create_like(spec, app_image("v1"), name)
    put_volume(
        ce,
        cid,
        "/data",
        tar_of({"orders.db": os.urandom(20_000), "state.txt": b"orders=42\n"}),
    )
    ce.start(cid)
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    yield App(ce, name, volume, port)
    if ce.exists(name):
        ce.remove(name)
    with contextlib.suppress(errors.OperationError):
        ce.remove_volume(volume)


@pytest.fixture
def connection(engine: Engine) -> str:
    """What session.endpoints calls the engine the suite started."""
    return "docker:default" if engine.name == "docker" else "podman:CONTAINER_HOST"


@pytest.fixture
def make_page(
    qtbot: Any, make_session: Callable[..., Session], tmp_path: Path
) -> Iterator[Callable[..., BackupsPage]]:
    pages: list[Any] = []

    def make(session: Session | None = None, settings: Settings | None = None) -> BackupsPage:
        session = session or make_session(tmp_path / "no-kubeconfig", settings)
        page = BackupsPage(session)
        qtbot.addWidget(page)
        page.resize(1280, 420)
        page.show()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.shutdown()


def listed(qtbot: Any, page: BackupsPage, count: int) -> None:
    qtbot.waitUntil(lambda: page.model.rowCount() == count, timeout=30_000)


def cell(page: BackupsPage, backup: Backup, column: int, role: int = 0) -> Any:
    row = page.model.row_of(backup.id)
    assert row >= 0, f"{backup.id} is not listed"
    return page.model.index(row, column).data(role)


def colour(page: BackupsPage, backup: Backup, column: int) -> str:
    return str(cell(page, backup, column, Qt.ItemDataRole.ForegroundRole).color().name())


def click(qtbot: Any, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.objectName()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def verify(qtbot: Any, page: BackupsPage, backup: Backup) -> None:
    assert page.select_backup(backup.id)
    with qtbot.waitSignal(page.verify_finished, timeout=30_000):
        click(qtbot, page.verify_button)


def ask_restore(qtbot: Any, page: BackupsPage, backup: Backup) -> RestoreConfirmDialog:
    assert page.select_backup(backup.id)
    click(qtbot, page.restore_button)
    qtbot.waitUntil(
        lambda: page.confirm_dialog is not None and page.confirm_dialog.isVisible(),
        timeout=30_000,
    )
    dialog = page.confirm_dialog
    assert isinstance(dialog, RestoreConfirmDialog)
    assert dialog.objectName() == "confirmDeployDialog"
    assert dialog.cancel_button.isDefault()  # Enter never replaces a container
    assert not dialog.confirm_button.isDefault()
    return dialog


def confirm_restore(qtbot: Any, page: BackupsPage, dialog: RestoreConfirmDialog) -> Any:
    button = dialog.findChild(QPushButton, "confirmDeployButton")
    assert button is dialog.confirm_button
    with qtbot.waitSignal(page.restore_finished, timeout=120_000) as blocker:
        click(qtbot, button)
    return blocker.args[0]


def replaced_text(dialog: RestoreConfirmDialog) -> str:
    label = dialog.findChild(QLabel, "restoreReplacedText")
    assert label is not None
    return str(label.text())


# --------------------------------------------------------------------------- tests


def test_listed_verified_and_a_corrupted_archive_shown(
    qtbot: Any,
    qtmodeltester: Any,
    app: App,
    make_page: Callable[..., BackupsPage],
    connection: str,
) -> None:
    page = make_page()
    listed(qtbot, page, 0)
    backup = page.session.backups().create(app.ce, app.name)
    page.refresh()
    listed(qtbot, page, 1)
    qtmodeltester.check(page.model)
    assert cell(page, backup, SERVICE_COL) == app.name
    assert cell(page, backup, ENGINE_COL) == connection
    assert cell(page, backup, IMAGE_COL) == backup.image
    # The registry digest when the image has one (v1 was pushed), else the image id.
    digests = backup.manifest.get("repo_digests") or []
    short = digests[0].rpartition("@")[2][:19] if digests else backup.image_id[:19]
    assert cell(page, backup, DIGEST_COL) == short
    assert cell(page, backup, VOLUMES_COL) == app.volume
    assert cell(page, backup, SIZE_COL).endswith("KiB")
    assert cell(page, backup, VERIFIED_COL) == "not verified"
    assert page.objectName() == "backupsPage"
    assert page.table.objectName() == "backupsTable"

    verify(qtbot, page, backup)
    assert cell(page, backup, VERIFIED_COL) == "ok"
    assert colour(page, backup, VERIFIED_COL) == OK_COLOUR
    assert page.banner.level == "success"

    archive = backup.path / backup.volumes[0].file
    data = bytearray(archive.read_bytes())
    data[700] ^= 0xFF
    archive.write_bytes(bytes(data))
    verify(qtbot, page, backup)
    text = cell(page, backup, VERIFIED_COL)
    assert text == f"CORRUPT: {app.volume}"
    assert colour(page, backup, VERIFIED_COL) == BAD_COLOUR
    tooltip = cell(page, backup, VERIFIED_COL, Qt.ItemDataRole.ToolTipRole)
    assert f"({backup.volumes[0].file}) is corrupted" in tooltip
    assert page.banner.level == "error"
    # The state survives a refresh (it is the page's memory, not the file's).
    with qtbot.waitSignal(page.refreshed, timeout=30_000):
        page.refresh()
    assert cell(page, backup, VERIFIED_COL).startswith("CORRUPT")

    # Restoring a damaged backup is refused before anything is touched, and audited.
    dialog = ask_restore(qtbot, page, backup)
    result = confirm_restore(qtbot, page, dialog)
    assert isinstance(result, errors.Refused)
    assert "corrupted" in page.banner.text
    assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v1"
    last = page.session.audit.entries()[-1]
    assert (last["action"], last["outcome"], last["connection"]) == (
        "restore",
        "refused",
        connection,
    )


def test_restore_after_the_container_was_changed(
    qtbot: Any, app: App, make_page: Callable[..., BackupsPage], connection: str
) -> None:
    page = make_page()
    session = page.session
    files = volume_files(app.ce, app.name)
    assert start_history(app.ce, app.name) == ["v1"]
    # A deploy with auto-backup (as the deploy dialog runs it), then the new release "migrates"
    # the data.
    result = deploy(
        app.ce,
        app.name,
        app_image("v2"),
        store=session.backups(),
        health_timeout=2,
        audit=session.audit,
    )
    assert result.ok, result.sentence
    assert result.backup is not None
    backup = result.backup
    put_volume(app.ce, app.name, "/data", tar_of({"state.txt": b"MIGRATED", "new.txt": b"x"}))
    assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v2"
    listed(qtbot, page, 1)

    changed: list[str] = []
    session.events.service_changed.connect(changed.append)
    dialog = ask_restore(qtbot, page, backup)
    # It says exactly what gets replaced: the container and its current image, the volume.
    text = replaced_text(dialog)
    assert app.name in text
    assert "kiops-test/app:v2" in text
    assert app.volume in text
    assert "files written since the backup are lost" in text
    assert dialog.guard is None  # not a production connection
    outcome = confirm_restore(qtbot, page, dialog)
    assert isinstance(outcome, RestoreOutcome), outcome
    assert page.banner.level == "success"
    assert "runs again" in page.banner.text

    assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v1"
    inspect = app.ce.inspect(app.name)
    assert inspect["Image"] == backup.image_id
    assert inspect["Config"]["Labels"]["team"] == "shop"
    assert volume_files(app.ce, app.name) == files  # byte-identical, modes and owners too
    # The volume was put back, not merely written over: v2's start and new.txt are gone.
    assert start_history(app.ce, app.name) == ["v1", "v1"]
    # A mutation keyed by the service (Service.key): a deploy of it waits, and every screen
    # showing it is told to reload once it is done.
    key = f"{connection.replace(':', '/', 1)}//{app.name}"
    assert outcome.plan.service_key == key
    qtbot.waitUntil(lambda: key in changed, timeout=5_000)
    session.events.service_changed.disconnect(changed.append)

    # The Activity page lists the deploy and the restore, newest first.
    activity = ActivityPage(session)
    qtbot.addWidget(activity)
    try:
        qtbot.waitUntil(lambda: activity.model.rowCount() == 2, timeout=10_000)
        restore, deployed = activity.shown_entries()
        assert (restore.action, restore.outcome, restore.service) == (
            "restore",
            "restored",
            app.name,
        )
        assert restore.connection == connection
        assert restore.from_.endswith("kiops-test/app:v2")
        assert restore.to.endswith("kiops-test/app:v1")
        assert backup.id in restore.detail
        assert (deployed.action, deployed.outcome) == ("deploy", "deployed")
    finally:
        activity.shutdown()


def test_restore_after_the_container_was_removed_on_production(
    qtbot: Any, app: App, make_page: Callable[..., BackupsPage], connection: str
) -> None:
    page = make_page(settings=Settings(production_patterns=["*"]))
    backup = page.session.backups().create(app.ce, app.name)
    files = volume_files(app.ce, app.name)
    put_volume(app.ce, app.name, "/data", tar_of({"state.txt": b"orders=0\n"}))
    app.ce.remove(app.name)
    listed(qtbot, page, 1)

    dialog = ask_restore(qtbot, page, backup)
    assert f"no container is called <b>{app.name}</b> now" in replaced_text(dialog)
    # Production: the confirm button waits for the container's name.
    assert dialog.guard is not None
    assert not dialog.confirm_button.isEnabled()
    typed = dialog.findChild(QLineEdit, "typedNameInput")
    assert typed is dialog.guard.input
    qtbot.keyClicks(typed, app.name[:-1])
    assert not dialog.confirm_button.isEnabled()
    qtbot.keyClicks(typed, app.name[-1])
    assert dialog.confirm_button.isEnabled()
    outcome = confirm_restore(qtbot, page, dialog)
    assert isinstance(outcome, RestoreOutcome), outcome

    assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v1"
    assert volume_files(app.ce, app.name) == files
    entry = page.session.audit.entries()[-1]
    assert (entry["action"], entry["outcome"], entry["from"]) == ("restore", "restored", "")


@pytest.mark.parametrize("on_host", [True, False])
def test_the_question_says_when_a_podman_backup_lost_its_owners(
    qtbot: Any, app: App, make_page: Callable[..., BackupsPage], on_host: bool
) -> None:
    page = make_page(settings=Settings(backup_read_on_host=on_host))
    backup = page.session.backups().create(app.ce, app.name)
    assert backup.volumes[0].read_by == ("host" if on_host else "engine")
    listed(qtbot, page, 1)
    dialog = ask_restore(qtbot, page, backup)
    lost = "come back owned by root" in replaced_text(dialog)
    assert lost == (app.ce.name == "podman" and not on_host)
    dialog.reject()


def test_delete_and_open_folder(
    qtbot: Any, app: App, make_page: Callable[..., BackupsPage]
) -> None:
    page = make_page()
    store = page.session.backups()
    older = store.create(app.ce, app.name)
    newer = store.create(app.ce, app.name)
    listed(qtbot, page, 2)
    # Newest first.
    assert [page.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1).id for r in range(2)] == [
        newer.id,
        older.id,
    ]

    opened: list[QUrl] = []
    page.open_url = lambda url: opened.append(url) or True
    assert page.select_backup(older.id)
    click(qtbot, page.open_button)
    assert opened == [QUrl.fromLocalFile(str(older.path))]

    click(qtbot, page.delete_button)
    dialog = page.delete_dialog
    assert dialog is not None
    assert dialog.objectName() == "confirmDeleteBackupDialog"
    assert dialog.cancel_button.isDefault()
    with qtbot.waitSignal(page.delete_finished, timeout=30_000) as blocker:
        click(qtbot, dialog.findChild(QPushButton, "confirmDeleteBackupButton"))
    assert [b.id for b in blocker.args[0]] == [older.id]
    assert not older.path.exists()
    assert newer.path.is_dir()
    listed(qtbot, page, 1)
    assert page.model.row_of(newer.id) == 0
    assert [b.id for b in store.list()] == [newer.id]
    assert page.session.audit.entries()[-1]["action"] == "delete backup"

    # The filter box narrows the table.
    page.filter.setText("no-such-service")
    assert page.proxy.rowCount() == 0
    page.filter.setText(app.volume.upper())
    assert page.proxy.rowCount() == 1


def test_a_backup_from_an_unknown_connection_says_so(
    qtbot: Any, app: App, make_page: Callable[..., BackupsPage], tmp_path: Path
) -> None:
    page = make_page()
    backup = page.session.backups().create(app.ce, app.name)
    manifest = backup.path / "manifest.json"
    elsewhere = f"unix://{tmp_path}/elsewhere.sock"
    manifest.write_text(
        manifest.read_text("utf-8").replace(backup.manifest["connection"], elsewhere), "utf-8"
    )
    listed(qtbot, page, 1)
    [row] = page.model.rows
    assert row.connection is None
    assert cell(page, row.backup, ENGINE_COL) == f"{backup.engine} · unknown connection"
    assert elsewhere in cell(page, row.backup, ENGINE_COL, Qt.ItemDataRole.ToolTipRole)
    assert page.select_backup(row.backup.id)
    click(qtbot, page.restore_button)
    qtbot.waitUntil(lambda: page.banner.isVisible(), timeout=30_000)
    assert "no known Docker context or Podman connection points there" in page.banner.text
    assert elsewhere in page.banner.text
    assert page.confirm_dialog is None
    assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v1"
