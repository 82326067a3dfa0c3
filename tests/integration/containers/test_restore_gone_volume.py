"""Restores and deploys in the situations operators meet after cleaning up, on real Docker and
Podman: the container *and* its named volume removed (``compose down -v``) come back from a
backup with the volume byte-identical; Podman's ``localhost/`` images deploy without a pull."""

from __future__ import annotations

import pytest

from kiops_desktop.ops.backups import BackupStore
from kiops_desktop.ops.deploy import deploy
from kiops_desktop.runtimes.containers import ContainerEngine
from tests.integration.containers.conftest import Engine, wait_http
from tests.integration.containers.test_deploy_engines import App, volume_files
from tests.integration.containers.test_deploy_engines import (  # fixtures, used by name
    app as app,
)
from tests.integration.containers.test_deploy_engines import (
    store as store,
)

pytestmark = pytest.mark.integration


def test_restore_after_container_and_volume_were_removed(
    engine: Engine, app: App, store: BackupStore
) -> None:
    ce: ContainerEngine = app.ce
    before = volume_files(ce, app.name)
    assert before, "the app's volume holds data"
    backup = store.create(ce, app.name)
    ce.stop(app.name, timeout=2)
    ce.remove(app.name)
    ce.remove_volume(app.volume)

    store.restore(ce, backup)

    assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v1"
    assert volume_files(ce, app.name) == before


def test_localhost_images(engine: Engine, app: App, store: BackupStore) -> None:
    """Podman's own images are "localhost/REPO:TAG" and deploy from local storage; for Docker
    "localhost" is a registry host, which answers nothing here, so the deploy is refused and
    v1 keeps serving."""
    result = deploy(app.ce, app.name, "localhost/kiops-test/app:v2", store=store)
    if engine.name == "podman":
        assert result.ok, result.sentence
        assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v2"
    else:
        assert not result.ok
        assert "Nothing was changed" in result.sentence
        assert wait_http(f"http://127.0.0.1:{app.port}/version") == "v1"
