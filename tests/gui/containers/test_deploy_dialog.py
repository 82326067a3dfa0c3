"""The deploy dialog on the real Docker engine, Podman and registry the suite starts: deploy
v1 -> v2 (the container then serves v2), a broken image restores the previous version with its
volume intact and says which backup it used, pin by digest after a tag was overwritten in the
registry, the warning without auto-backup, cancel before the old container is touched, the
production guard, and an audit entry for every deploy."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.connections.settings import Settings
from kiops_desktop.ops.deploy import DeployResult
from kiops_desktop.ui.deploy_dialog import ConfirmDeployDialog, DeployDialog
from kiops_desktop.ui.session import Session
from tests.gui.containers.test_containers_tab import connection_of, engine_service
from tests.integration.containers.conftest import (
    APP_REPO,
    TEST_LABEL,
    Engine,
    exec_text,
    free_port,
    registry_manifest,
    run_app,
    wait_http,
)

pytestmark = [pytest.mark.gui, pytest.mark.integration]

WAIT_MS = 60_000


@pytest.fixture
def session(make_session: Callable[..., Session], tmp_path: Path) -> Session:
    # Engine-only tests: the kubeconfig is never read.
    return make_session(tmp_path / "no-kubeconfig")


def open_dialog(qtbot: Any, session: Session, engine: Engine, name: str) -> DeployDialog:
    service = engine_service(session, engine.name, name)
    dialog = DeployDialog.open_for(session, service, name)
    qtbot.addWidget(dialog)
    assert dialog.objectName() == "dockerDeployDialog"
    assert not dialog.isModal()
    qtbot.waitUntil(lambda: dialog.listing is not None, timeout=WAIT_MS)
    dialog.health_spin.setValue(2)  # the test app has no HEALTHCHECK: 2 s of steady running
    return dialog


def confirm(qtbot: Any, dialog: DeployDialog, *, typed: str | None = None) -> DeployResult:
    assert dialog.deploy_button.objectName() == "deployButton"
    assert dialog.deploy_button.isEnabled(), dialog.target_label.text()
    dialog.deploy_button.click()
    question = dialog.confirm_dialog
    assert isinstance(question, ConfirmDeployDialog)
    assert question.objectName() == "confirmDeployDialog"
    assert question.cancel_button.isDefault()  # Enter never deploys
    if typed is not None:
        assert question.guard is not None
        question.guard.input.setText(typed)
    button = question.confirm_button
    assert button.objectName() == "confirmDeployButton"
    with qtbot.waitSignal(dialog.deploy_finished, timeout=WAIT_MS) as finished:
        button.click()
    result = finished.args[0]
    assert isinstance(result, DeployResult)
    return result


def data_volume(engine: Engine) -> str:
    name = f"kiops-gui-vol-{uuid.uuid4().hex[:8]}"
    engine.client.volumes.create(name=name, labels=dict(TEST_LABEL))
    return name


def test_deploy_v1_to_v2(qtbot: Any, engine: Engine, session: Session) -> None:
    port = free_port()
    name = f"gui-deploy-{uuid.uuid4().hex[:6]}"
    run_app(engine, "v1", port=port, name=name, volumes={data_volume(engine): {"bind": "/data"}})
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    dialog = open_dialog(qtbot, session, engine, name)

    listing = dialog.listing
    assert listing is not None
    tags = {v.tag for v in listing.versions if v.local}
    assert {"v1", "v2", "v3"} <= tags
    running = [v for v in dialog.versions if v.running]
    assert running
    assert all(v.tag == "v1" for v in running if v.tag)
    assert "(running)" in dialog.version_combo.itemText(dialog.shown_versions().index(running[0]))
    assert dialog.backup_check.objectName() == "autoBackupCheck"
    assert dialog.backup_check.isChecked()
    assert not dialog.backup_warning.isVisible()
    # The filter narrows the combo; a commit SHA finds the build of that commit.
    dialog.filter_input.setText("v2")
    assert {v.tag for v in dialog.shown_versions()} == {"v2"}
    dialog.filter_input.setText("2b2b2b2b")  # the revision label of v2
    assert {v.tag for v in dialog.shown_versions()} == {"v2"}

    assert dialog.select_version(tag="v2")
    assert dialog.target is not None
    assert dialog.target.endswith(f"{APP_REPO}:v2")
    changed: list[str] = []
    session.events.service_changed.connect(changed.append)
    result = confirm(qtbot, dialog)

    assert result.outcome == "deployed", result.sentence
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v2"
    for step in ("pull", "backup", "replace", "start", "health", "cleanup"):
        assert dialog.step_state(step) == "done", step
    assert "Deployed." in dialog.outcome_label.text()
    assert result.backup is not None
    assert result.backup.id in dialog.backup_used_label.text()
    assert not dialog.stop_button.isVisible()
    qtbot.waitUntil(lambda: dialog.service.key in changed)  # every view of it refreshes
    [entry] = session.audit.entries()
    assert (entry["action"], entry["outcome"]) == ("deploy", "deployed")
    assert entry["to"].endswith(f"{APP_REPO}:v2")
    assert entry["from"].endswith(f"{APP_REPO}:v1")
    assert entry["service"] == name
    assert entry["connection"] == dialog.service.connection  # "docker:default", as shown


def test_broken_image_restores_the_previous_version(
    qtbot: Any, engine: Engine, session: Session
) -> None:
    port = free_port()
    name = f"gui-broken-{uuid.uuid4().hex[:6]}"
    volume = data_volume(engine)
    container = run_app(engine, "v1", port=port, name=name, volumes={volume: {"bind": "/data"}})
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    assert exec_text(container, ["/bin/sh", "-c", "echo orders=42 > /data/state.txt"])[0] == 0
    old_id = container.id
    dialog = open_dialog(qtbot, session, engine, name)
    assert dialog.select_version(tag="v-broken")

    result = confirm(qtbot, dialog)

    assert result.outcome == "restored", result.sentence
    text = dialog.outcome_label.text()
    assert "the previous version was restored" in text
    assert result.backup is not None
    assert f"Backup used: <b>{result.backup.id}</b>" in dialog.backup_used_label.text()
    assert dialog.step_state("restore") == "done"
    assert dialog.step_state("health") == "failed" or dialog.step_state("start") == "failed"
    assert dialog.failed_logs.isVisible()
    assert "failing on purpose" in dialog.failed_logs.toPlainText()
    # The old container (the very same one) serves v1 again, its volume intact.
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    again = engine.client.containers.get(name)
    assert again.id == old_id
    assert exec_text(again, ["cat", "/data/state.txt"]) == (0, "orders=42\n")
    [entry] = session.audit.entries()
    assert (entry["action"], entry["outcome"]) == ("deploy", "restored")
    assert entry["to"].endswith(":v-broken")


@pytest.fixture
def pin_repo(registry: str, docker_client: Any) -> Iterator[str]:
    """A private repository in the test registry (the shared kiops-test/app stays untouched)."""
    repo = f"kiops-test/gui-pin-{uuid.uuid4().hex[:8]}"
    yield repo
    with contextlib.suppress(Exception):
        docker_client.images.remove(f"{registry}/{repo}:v1")


def _push(docker_client: Any, source: str, target: str) -> None:
    repo, _, tag = target.rpartition(":")
    docker_client.images.get(source).tag(repo, tag)
    for line in docker_client.images.push(repo, tag=tag, stream=True, decode=True):
        if "error" in line or "errorDetail" in line:
            raise RuntimeError(f"push {target} failed: {line}")


def test_pin_by_digest_after_the_tag_was_overwritten(
    qtbot: Any,
    engine: Engine,
    session: Session,
    registry: str,
    docker_client: Any,
    pin_repo: str,
) -> None:
    full = f"{registry}/{pin_repo}"
    _push(docker_client, f"{APP_REPO}:v1", f"{full}:v1")
    old_digest, _ = registry_manifest(registry, pin_repo, "v1")
    if engine.name == "docker":  # the engine under test knows the image from the registry only
        docker_client.images.remove(f"{full}:v1")
    # Through the adapter: it pulls from a plain-HTTP loopback registry on both engines.
    session.discover_engines()
    session.engine(connection_of(engine.name)).pull(f"{full}:v1")
    port = free_port()
    name = f"gui-pin-{uuid.uuid4().hex[:6]}"
    engine.client.containers.run(
        f"{full}:v1",
        detach=True,
        network_mode="host",
        environment={"PORT": str(port)},
        labels=dict(TEST_LABEL),
        name=name,
    )
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    # CI overwrites :v1 in the registry with other content.
    _push(docker_client, f"{APP_REPO}:v3", f"{full}:v1")
    docker_client.images.remove(f"{full}:v1")
    new_digest, _ = registry_manifest(registry, pin_repo, "v1")
    assert new_digest != old_digest

    dialog = open_dialog(qtbot, session, engine, name)
    listing = dialog.listing
    assert listing is not None
    assert listing.registry == registry
    assert listing.registry_problem == ""
    # The tag now names the new image; the running one is still offered by its old digest.
    assert [(v.digest, v.in_registry) for v in dialog.versions if v.tag == "v1"] == [
        (new_digest, True)
    ]
    assert any(v.tag is None and v.digest == old_digest for v in dialog.versions)
    # Pinning the tag's current digest: the deploy names the digest, not the tag.
    assert dialog.select_version(tag="v1")
    assert dialog.target == f"{full}:v1"
    assert dialog.pin_check.isEnabled()
    dialog.pin_check.setChecked(True)
    assert dialog.target == f"{full}@{new_digest}"
    result = confirm(qtbot, dialog)
    assert result.outcome == "deployed", result.sentence
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v3"

    # The way back: the old digest, found by typing it, deployed pinned.
    dialog.again_button.click()
    assert dialog.pages.currentWidget() is dialog.form_page
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.filter_input.setText(old_digest)
    assert dialog.target == f"{full}@{old_digest}"
    assert old_digest in dialog.target_label.text()
    result = confirm(qtbot, dialog)
    assert result.outcome == "deployed", result.sentence
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    assert [e["to"] for e in session.audit.entries()] == [
        f"{full}@{new_digest}",
        f"{full}@{old_digest}",
    ]


def test_without_auto_backup_a_warning_shows_and_no_backup_is_taken(
    qtbot: Any, engines: Any, docker_client: Any, session: Session
) -> None:
    engine = Engine("docker", docker_client, engines.docker_url)
    port = free_port()
    name = f"gui-nobackup-{uuid.uuid4().hex[:6]}"
    run_app(engine, "v1", port=port, name=name)
    dialog = open_dialog(qtbot, session, engine, name)
    assert dialog.backup_check.isChecked()
    assert not dialog.backup_warning.isVisible()
    dialog.backup_check.setChecked(False)
    assert dialog.backup_warning.isVisible()
    assert "No backup will be taken" in dialog.backup_warning.text()

    assert dialog.select_version(tag="v2")
    dialog.deploy_button.click()
    question = dialog.confirm_dialog
    assert question is not None
    assert "none" in question.findChild(type(dialog.target_label), "confirmBackup").text()
    assert question.findChild(type(dialog.target_label), "backupWarning") is not None
    question.cancel_button.click()
    assert dialog.pages.currentWidget() is dialog.form_page
    assert session.audit.entries() == []  # asked, not confirmed: nothing happened

    result = confirm(qtbot, dialog)
    assert result.outcome == "deployed", result.sentence
    assert result.backup is None
    assert dialog.step_state("backup") == "skipped"
    assert dialog.backup_used_label.text() == "No backup was taken."
    assert session.backups().list(name) == []
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v2"
    assert [e["outcome"] for e in session.audit.entries()] == ["deployed"]


def test_auto_backup_default_follows_the_setting(
    qtbot: Any,
    engines: Any,
    docker_client: Any,
    make_session: Callable[..., Session],
    tmp_path: Path,
) -> None:
    session = make_session(tmp_path / "no-kubeconfig", Settings(auto_backup=False))
    engine = Engine("docker", docker_client, engines.docker_url)
    name = f"gui-setting-{uuid.uuid4().hex[:6]}"
    run_app(engine, "v1", name=name)
    dialog = open_dialog(qtbot, session, engine, name)
    assert not dialog.backup_check.isChecked()
    assert dialog.backup_warning.isVisible()


def test_cancel_before_the_switch_changes_nothing(
    qtbot: Any, engines: Any, docker_client: Any, session: Session
) -> None:
    engine = Engine("docker", docker_client, engines.docker_url)
    port = free_port()
    name = f"gui-cancel-{uuid.uuid4().hex[:6]}"
    container = run_app(engine, "v1", port=port, name=name)
    dialog = open_dialog(qtbot, session, engine, name)
    assert dialog.select_version(tag="v2")
    dialog.deploy_button.click()
    question = dialog.confirm_dialog
    assert question is not None
    # Another change of the service holds the runner's queue for it, so the deploy waits its
    # turn and the cancel reliably comes before its first step.
    release = threading.Event()
    session.runner.submit(
        lambda ctx: release.wait(30),
        description="an earlier change of the service",
        key=dialog.service.key,
        mutation=True,
    )
    with qtbot.waitSignal(dialog.deploy_finished, timeout=WAIT_MS) as finished:
        question.confirm_button.click()
        assert dialog.deploying
        assert dialog.stop_button.isEnabled()
        dialog.stop_button.click()
        assert dialog.stop_button.text() == "Cancelling…"
        release.set()
    result = finished.args[0]
    assert result.outcome == "refused", result.sentence
    assert "cancelled" in result.sentence
    assert "Cancelled." in dialog.outcome_label.text()
    assert engine.client.containers.get(name).id == container.id
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v1"
    assert session.backups().list(name) == []
    assert [e["outcome"] for e in session.audit.entries()] == ["refused"]


def test_production_connection_asks_for_the_typed_name(
    qtbot: Any,
    engines: Any,
    docker_client: Any,
    make_session: Callable[..., Session],
    tmp_path: Path,
) -> None:
    # The suite's Docker connection is called "default": make that a production pattern.
    session = make_session(tmp_path / "no-kubeconfig", Settings(production_patterns=["default"]))
    engine = Engine("docker", docker_client, engines.docker_url)
    port = free_port()
    name = f"gui-prod-{uuid.uuid4().hex[:6]}"
    run_app(engine, "v1", port=port, name=name)
    dialog = open_dialog(qtbot, session, engine, name)
    assert dialog.production
    assert dialog.findChild(type(dialog.target_label), "productionBadge") is not None
    assert dialog.select_version(tag="v2")
    dialog.deploy_button.click()
    question = dialog.confirm_dialog
    assert question is not None
    assert question.guard is not None
    assert question.guard.input.objectName() == "typedNameInput"
    assert not question.confirm_button.isEnabled()
    question.guard.input.setText("not-the-name")
    assert not question.confirm_button.isEnabled()
    question.confirm_button.click()  # disabled: nothing happens
    assert dialog.pages.currentWidget() is dialog.form_page
    question.guard.input.setText(name)
    assert question.confirm_button.isEnabled()
    question.cancel_button.click()
    assert session.audit.entries() == []

    result = confirm(qtbot, dialog, typed=name)
    assert result.outcome == "deployed", result.sentence
    assert wait_http(f"http://127.0.0.1:{port}/version") == "v2"
    [entry] = session.audit.entries()
    assert (entry["action"], entry["outcome"], entry["service"]) == ("deploy", "deployed", name)
