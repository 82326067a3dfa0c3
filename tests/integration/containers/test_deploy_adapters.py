"""The ContainerEngine adapters' reads on real Docker and Podman: engine info, services grouped by
compose labels, logs, local image versions, and the pull failures a deploy relies on."""

from __future__ import annotations

import contextlib
import uuid

import pytest

from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import (
    COMPOSE_PROJECT,
    COMPOSE_SERVICE,
    ContainerEngine,
)
from tests.integration.containers.test_deploy_engines import (
    APP,
    _registry,
    free_port,
    http_get,
)

pytestmark = pytest.mark.integration


def _run(ce: ContainerEngine, name: str, labels: dict[str, str], port: int) -> str:
    spec = {
        "Config": {"Env": [f"PORT={port}"], "Labels": {"kiops-test": "1", **labels}},
        "HostConfig": {"NetworkMode": "host"},
    }
    cid = ce.create_like(spec, f"{APP}:v1", name)
    ce.start(cid)
    return cid


def test_info_names_the_engine(ce: ContainerEngine) -> None:
    info = ce.info()
    assert info.name == ce.name
    assert info.version
    assert info.api_version.startswith("1.")


def test_services_grouped_by_compose_labels_and_logs(ce: ContainerEngine) -> None:
    tag = uuid.uuid4().hex[:6]
    project = f"shop{tag}"
    names = [f"kiops-web1-{tag}", f"kiops-web2-{tag}", f"kiops-solo-{tag}"]
    compose = {COMPOSE_PROJECT: project, COMPOSE_SERVICE: "web"}
    ports = [free_port() for _ in names]
    try:
        _run(ce, names[0], compose, ports[0])
        _run(ce, names[1], compose, ports[1])
        _run(ce, names[2], {}, ports[2])
        http_get(ports[0], "/version")
        services = {s.name: s for s in ce.list_services()}
        web = services[f"{project}/web"]
        assert web.project == project
        assert sorted(c.name for c in web.containers) == names[:2]
        assert [c.name for c in services[names[2]].containers] == [names[2]]
        assert services[names[2]].project is None
        assert all(c.state == "running" for c in web.containers)
        assert isinstance(ce.logs(names[0], tail=20), str)
    finally:
        for n in names:
            with contextlib.suppress(errors.NotFound):
                ce.remove(n)


def test_local_images_lists_the_versions(ce: ContainerEngine) -> None:
    versions = ce.local_images(APP)
    tags = {v.tag for v in versions}
    assert {"v1", "v2", "v3"} <= tags
    assert all(v.local and v.image_id for v in versions)
    assert ce.image_id(f"{APP}:v1") == next(v.image_id for v in versions if v.tag == "v1")
    assert ce.image_id(f"{APP}:no-such-tag") is None


def test_pull_from_registry_and_its_failures(ce: ContainerEngine) -> None:
    registry = _registry()
    image_id = ce.pull(f"{registry}/{APP}:v1")
    assert image_id.startswith("sha256:")
    assert ce.image_id(f"{registry}/{APP}:v1") == image_id
    with pytest.raises(errors.NotFound, match='"nope"'):
        ce.pull(f"{registry}/{APP}:nope")
    with pytest.raises(errors.Unreachable, match="does not answer"):
        ce.pull(f"127.0.0.1:{free_port()}/{APP}:v1")


def test_missing_container_is_not_found(ce: ContainerEngine) -> None:
    with pytest.raises(errors.NotFound):
        ce.inspect("kiops-no-such-container")
    assert not ce.exists("kiops-no-such-container")
