"""A restore is all or nothing, on real Docker and Podman: when recreating the backed-up container
fails, the container it was replacing is put back (configuration, volume contents, running), and
the error says so in one sentence; when the backup's image cannot be had, nothing is touched."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from kiops_desktop.ops.backups import SAFETY_DIR, Backup, BackupStore, put_volume
from kiops_desktop.ops.deploy import deploy
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine
from tests.integration.containers.conftest import Engine, image_changes, rootfs_tar
from tests.integration.containers.test_deploy_engines import (
    APP,
    App,
    free_port,
    http_get,
    tar_of,
    volume_files,
)
from tests.integration.containers.test_deploy_engines import (  # fixtures, used by name
    app as app,
)
from tests.integration.containers.test_deploy_engines import (
    store as store,
)

pytestmark = pytest.mark.integration


@dataclass
class OnOwnImage:
    """The app's backup taken while it ran on an image of its own (a commit of v1), named after
    a registry nobody answers on (127.0.0.1, closed port): once that image is removed, nothing
    can bring it back. The app then runs v2 with other volume contents."""

    app: App
    backup: Backup
    image_id: str
    remove_image: Callable[[], None]
    files_now: dict[str, str]


def _import_own_image(engine: Engine, repo: str) -> str:
    """The v1 app under REPO:v1 with an image id of its own (one more label)."""
    changes = [*image_changes("v1"), f"LABEL kiops-test.restore={repo}"]
    data = rootfs_tar("v1")
    if engine.name == "docker":
        engine.client.api.import_image_from_data(data, repository=repo, tag="v1", changes=changes)
    else:
        engine.client.api.post(
            "images/import",
            params={"reference": f"{repo}:v1", "changes": changes},
            data=data,
            headers={"Content-Type": "application/x-tar"},
        ).raise_for_status()
    image_id = str(engine.client.images.get(f"{repo}:v1").id)
    return image_id if image_id.startswith("sha256:") else f"sha256:{image_id}"


@pytest.fixture
def on_own_image(engine: Engine, app: App, store: BackupStore) -> Iterator[OnOwnImage]:
    ce = app.ce
    repo = f"127.0.0.1:{free_port()}/kiops-test/restore-{uuid.uuid4().hex[:8]}"
    image_id = _import_own_image(engine, repo)

    def remove_image() -> None:
        with contextlib.suppress(Exception):
            engine.client.images.remove(image_id, force=True)

    try:
        # Recreated on it directly: a deploy would try to pull it from that (dead) registry.
        spec = ce.inspect(app.name)
        ce.remove(app.name)
        ce.start(ce.create_like(spec, f"{repo}:v1", app.name))
        assert http_get(app.port, "/version") == "v1"
        backup = store.create(ce, app.name)
        assert backup.image_id == image_id
        assert deploy(ce, app.name, f"{APP}:v2", store=store, backup=False, health_timeout=1).ok
        put_volume(ce, app.name, "/data", tar_of({"state.txt": b"orders=43\n", "after.txt": b"x"}))
        assert http_get(app.port, "/version") == "v2"
        yield OnOwnImage(app, backup, image_id, remove_image, volume_files(ce, app.name))
    finally:
        remove_image()


def _as_before(ce: ContainerEngine, fixture: OnOwnImage) -> None:
    """The app runs v2 again, under its name, with the volume as it was just before."""
    app = fixture.app
    inspect = ce.inspect(app.name)
    assert inspect["State"]["Status"] == "running"
    assert inspect["Image"] == ce.image_id(f"{APP}:v2")
    assert inspect["Config"]["Image"].endswith(f"{APP}:v2")  # the reference, not a bare id
    assert inspect["Config"]["Labels"]["team"] == "shop"
    assert http_get(app.port, "/version") == "v2"
    assert volume_files(ce, app.name) == fixture.files_now


def test_restore_that_fails_while_creating_puts_the_current_container_back(
    on_own_image: OnOwnImage, store: BackupStore
) -> None:
    ce = on_own_image.app.ce
    steps: list[str] = []

    def sabotage(step: str, _message: str) -> None:
        steps.append(step)
        # The current container and the volume are gone by now: the backup's image goes too,
        # so creating the container from the backup fails half-way through the restore.
        if step == "create" and steps.count("create") == 1:
            on_own_image.remove_image()

    with pytest.raises(errors.OperationError) as caught:
        store.restore(ce, on_own_image.backup, progress=sabotage)
    sentence = str(caught.value)
    assert sentence.startswith(f"Restoring {on_own_image.app.name} from backup ")
    assert "failed while creating the container" in sentence
    assert sentence.endswith(f"the previous {on_own_image.app.name} runs again, as it was.")
    assert steps[:6] == ["check", "safety", "remove", "volumes", "create", "rollback"]
    _as_before(ce, on_own_image)
    # The safety copy is gone again, and was never listed as a backup.
    assert [b.path for b in store.list()] == [on_own_image.backup.path]
    assert list((store.root / SAFETY_DIR).glob("*/*")) == []


def test_restore_whose_image_is_gone_touches_nothing(
    on_own_image: OnOwnImage, store: BackupStore
) -> None:
    ce = on_own_image.app.ce
    before = ce.inspect(on_own_image.app.name)["Id"]
    on_own_image.remove_image()
    assert ce.image_id(on_own_image.image_id) is None
    with pytest.raises(errors.OperationError) as caught:
        store.restore(ce, on_own_image.backup)
    sentence = str(caught.value)
    assert sentence.startswith("Nothing was restored: the image ")
    assert "is no longer on the engine" in sentence
    assert ce.inspect(on_own_image.app.name)["Id"] == before  # not even recreated
    _as_before(ce, on_own_image)


def test_restore_that_fails_with_no_current_container_leaves_nothing(
    on_own_image: OnOwnImage, store: BackupStore
) -> None:
    ce, name = on_own_image.app.ce, on_own_image.app.name
    ce.remove(name)

    def sabotage(step: str, _message: str) -> None:
        if step == "create":
            on_own_image.remove_image()

    with pytest.raises(errors.OperationError, match="nothing was left behind"):
        store.restore(ce, on_own_image.backup, progress=sabotage)
    assert not ce.exists(name)


def test_restore_replaces_the_current_container(
    on_own_image: OnOwnImage, store: BackupStore
) -> None:
    """The same restore, unsabotaged: the backup's container, image and data are back."""
    ce, app = on_own_image.app.ce, on_own_image.app
    new_id = store.restore(ce, on_own_image.backup)
    inspect = ce.inspect(app.name)
    assert inspect["Id"] == new_id
    assert inspect["Image"] == on_own_image.image_id
    assert inspect["State"]["Status"] == "running"
    assert http_get(app.port, "/version") == "v1"
    files = volume_files(ce, app.name)
    assert "data/after.txt" not in files
    assert list((store.root / SAFETY_DIR).glob("*/*")) == []
