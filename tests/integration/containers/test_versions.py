"""Image versions on real Docker and Podman engines and the test registry: local images and
registry tags merged, the running one marked, lookup by commit (revision label), pinning a digest
after a tag was overwritten in the registry, and the sentence for a tag that is gone.

Uses this folder's conftest: ``engine`` (docker/podman), ``registry`` (kiops-test/app:v1 and :v2
pushed), ``docker_client`` (to push), the local test images ``kiops-test/app:v1..v3``.
"""

from __future__ import annotations

import contextlib
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.core.images import ImageVersion
from kiops_desktop.ops.backups import BackupStore
from kiops_desktop.ops.deploy import OLD_SUFFIX, deploy
from kiops_desktop.ops.versions import (
    find_by_commit,
    image_revisions,
    image_versions,
    resolve_target,
    short_digest,
)
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine
from kiops_desktop.runtimes.registry import RegistryClient, parse_created
from tests.integration.containers.conftest import (
    APP_REPO,
    REVISIONS,
    TEST_LABEL,
    free_port,
    registry_manifest,
)

pytestmark = pytest.mark.integration


def get_text(port: int, path: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                return str(r.read().decode().strip())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def start_app(ce: ContainerEngine, image: str, *, volume: bool = True) -> tuple[str, str, int]:
    """A running container of IMAGE (host network, labelled, a named volume on /data):
    (name, id, port)."""
    suffix = uuid.uuid4().hex[:8]
    name, port = f"kiops-versions-{suffix}", free_port()
    host: dict[str, Any] = {"NetworkMode": "host"}
    if volume:
        host["Binds"] = [f"kiops-versions-vol-{suffix}:/data"]
    spec = {
        "Config": {"Image": image, "Env": [f"PORT={port}"], "Labels": dict(TEST_LABEL)},
        "HostConfig": host,
    }
    cid = ce.create_like(spec, image, name)
    ce.start(cid)
    return name, cid, port


def _push(docker_client: Any, source: str, target: str) -> None:
    repo, _, tag = target.rpartition(":")
    docker_client.images.get(source).tag(repo, tag)
    for line in docker_client.images.push(repo, tag=tag, stream=True, decode=True):
        if "error" in line or "errorDetail" in line:
            raise RuntimeError(f"push {target} failed: {line}")


def _by_tag(versions: list[ImageVersion], tag: str) -> list[ImageVersion]:
    return [v for v in versions if v.tag == tag]


def test_lists_local_and_registry_versions_running_marked(
    ce: ContainerEngine, registry: str
) -> None:
    _name, cid, port = start_app(ce, f"{APP_REPO}:v2", volume=False)
    assert get_text(port, "/version") == "v2"
    running = str(ce.inspect(cid)["Image"])
    client = RegistryClient(registry)

    versions = image_versions(ce, APP_REPO, registry=client, running_image_id=running)

    for tag in ("v1", "v2"):
        digest, _ = registry_manifest(registry, APP_REPO, tag)
        pulled = [v for v in _by_tag(versions, tag) if v.in_registry]
        assert len(pulled) == 1, versions
        assert pulled[0].digest == digest
        assert pulled[0].reference == f"{registry}/{APP_REPO}:{tag}"
    for tag in ("v1", "v2", "v3"):
        assert any(v.local and v.image_id for v in _by_tag(versions, tag)), (tag, versions)
    assert not any(v.in_registry for v in _by_tag(versions, "v3"))
    if ce.name == "docker":
        # docker pushed v1/v2 itself: its local images know their registry digests -> merged
        for tag in ("v1", "v2"):
            assert [(v.local, v.in_registry) for v in _by_tag(versions, tag)] == [(True, True)]
    marked = [v for v in versions if v.running]
    assert marked
    assert all(v.image_id == running for v in marked)
    assert "v2" in {v.tag for v in marked}
    times = [parse_created(v.created) for v in versions if v.created]
    assert all(t is not None for t in times)
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]


def test_find_by_commit_via_revision_label(ce: ContainerEngine, registry: str) -> None:
    versions = image_versions(ce, APP_REPO, registry=RegistryClient(registry))
    revisions = image_revisions(ce, versions)
    found = find_by_commit(versions, REVISIONS["v3"][:7], revisions=revisions)
    assert {v.tag for v in found} == {"v3"}
    assert find_by_commit(versions, "0123abc", revisions=revisions) == []
    target = resolve_target(
        versions, REVISIONS["v2"][:10], repository=APP_REPO, revisions=revisions
    )
    assert target.endswith(f"{APP_REPO}:v2")


@pytest.fixture
def pin_repo(registry: str, docker_client: Any) -> Iterator[str]:
    """A private repository in the test registry (the shared kiops-test/app stays untouched)."""
    repo = f"kiops-test/pin-{uuid.uuid4().hex[:8]}"
    yield repo
    for tag in ("v1",):
        with contextlib.suppress(Exception):
            docker_client.images.remove(f"{registry}/{repo}:{tag}")


def test_pin_digest_after_tag_overwritten_in_registry(
    ce: ContainerEngine, registry: str, docker_client: Any, pin_repo: str, tmp_path: Path
) -> None:
    full = f"{registry}/{pin_repo}"
    store = BackupStore(tmp_path / "backups")
    _push(docker_client, f"{APP_REPO}:v1", f"{full}:v1")
    old_digest, _ = registry_manifest(registry, pin_repo, "v1")
    if ce.name == "docker":  # the engine under test only knows the image from the registry
        docker_client.images.remove(f"{full}:v1")
    ce.pull(f"{full}:v1")
    name, cid, port = start_app(ce, f"{full}:v1")
    try:
        assert get_text(port, "/version") == "v1"

        # CI overwrites :v1 in the registry with other content
        _push(docker_client, f"{APP_REPO}:v3", f"{full}:v1")
        docker_client.images.remove(f"{full}:v1")
        new_digest, _ = registry_manifest(registry, pin_repo, "v1")
        assert new_digest != old_digest

        client = RegistryClient(registry)
        running = str(ce.inspect(cid)["Image"])
        versions = image_versions(ce, full, registry=client, running_image_id=running)
        tagged = _by_tag(versions, "v1")
        assert [(v.digest, v.in_registry) for v in tagged] == [(new_digest, True)]
        pinned = [v for v in versions if v.tag is None and v.digest == old_digest]
        assert len(pinned) == 1
        assert pinned[0].local
        assert pinned[0].running
        assert pinned[0].reference == f"{full}@{old_digest}"

        # someone deploys the overwritten tag ...
        result = deploy(ce, name, resolve_target(versions, "v1", repository=full), store=store)
        assert result.ok, result.sentence
        assert get_text(port, "/version") == "v3"
        # ... and the operator goes back by pinning the digest remembered from the list
        known = store.known_digests(name)
        if ce.name == "docker":
            # Podman's inspect of the old image names no repo digest, so its backups only
            # remember the image id (see the report); Docker's remember the digest.
            assert f"{full}@{old_digest}" in known
        versions = image_versions(
            ce,
            full,
            registry=client,
            running_image_id=str(ce.inspect(name)["Image"]),
            known_digests=known,
        )
        target = resolve_target(versions, old_digest, repository=full)
        assert target == f"{full}@{old_digest}"
        if ce.name == "docker":
            assert resolve_target(versions, short_digest(old_digest), repository=full) == target
        result = deploy(ce, name, target, store=store)
        assert result.ok, result.sentence
        assert get_text(port, "/version") == "v1"
    finally:
        for leftover in (name, name + OLD_SUFFIX):
            with contextlib.suppress(errors.OperationError):
                if ce.exists(leftover):
                    ce.remove(leftover)


def test_unknown_tag_names_known_digests(
    ce: ContainerEngine, registry: str, tmp_path: Path
) -> None:
    full = f"{registry}/{APP_REPO}"
    ce.pull(f"{full}:v1")
    name, _cid, port = start_app(ce, f"{full}:v1")
    assert get_text(port, "/version") == "v1"
    store = BackupStore(tmp_path / "backups")
    store.create(ce, name)
    known = store.known_digests(name)
    v1_digest, _ = registry_manifest(registry, APP_REPO, "v1")
    assert f"{full}@{v1_digest}" in known

    versions = image_versions(ce, APP_REPO, registry=RegistryClient(registry), known_digests=known)
    with pytest.raises(errors.NotFound) as exc:
        resolve_target(versions, "v9", repository=APP_REPO)
    text = str(exc.value)
    assert text.startswith("Tag v9 is gone from the registry and from this engine; known digests: ")
    assert short_digest(v1_digest) in text
    assert text.endswith("(pin one to go back).")
    with pytest.raises(errors.NotFound, match=r"rebuild it from commit 0badc0de"):
        resolve_target(versions, "main-0badc0de", repository=APP_REPO)
