"""The pure parts of ops.versions on plain data: merging local and registry versions, ordering,
commit lookup and turning the operator's text into the reference to deploy."""

from __future__ import annotations

import pytest

from kiops_desktop.core.images import ImageVersion
from kiops_desktop.ops.versions import (
    find_by_commit,
    merge_versions,
    repository_path,
    resolve_target,
    short_digest,
    sort_versions,
)
from kiops_desktop.runtimes import errors

REG = "127.0.0.1:5000/shop/web"
LOCAL = "shop/web"
D1, D2, D3, DOLD = ("sha256:" + c * 64 for c in "123a")
I1, I2, I3 = ("sha256:" + c * 64 for c in "bcd")


def remote(tag: str, digest: str, created: str) -> ImageVersion:
    return ImageVersion(REG, tag, digest, None, created, local=False, in_registry=True)


def local(
    tag: str, digest: str | None, image_id: str, created: str, repo: str = LOCAL
) -> ImageVersion:
    return ImageVersion(repo, tag, digest, image_id, created, local=True, in_registry=False)


REMOTE = [
    remote("v1", D1, "2026-01-10T09:00:00Z"),
    remote("v2", D2, "2026-02-10T09:00:00Z"),
]
LOCALS = [
    local("v1", D1, I1, "2026-01-10T09:00:00Z"),
    local("v1", D1, I1, "2026-01-10T09:00:00Z", repo=REG),  # same image under the registry name
    local("v3", None, I3, "2026-03-10T09:00:00Z"),
]


def test_same_tag_and_digest_is_one_entry_local_and_in_registry() -> None:
    out = merge_versions(LOCALS, REMOTE, repository=LOCAL)
    assert [(v.tag, v.local, v.in_registry) for v in out] == [
        ("v3", True, False),
        ("v2", False, True),
        ("v1", True, True),
    ]
    v1 = out[2]
    assert (v1.repository, v1.digest, v1.image_id) == (REG, D1, I1)
    assert v1.reference == f"{REG}:v1"


def test_overwritten_tag_gives_two_entries_registry_one_and_pinnable_local_one() -> None:
    remote_now = [remote("v1", D3, "2026-03-10T09:00:00Z"), REMOTE[1]]
    out = merge_versions([local("v1", DOLD, I1, "2026-01-10T09:00:00Z")], remote_now)
    v1 = [v for v in out if v.tag == "v1"]
    assert len(v1) == 1
    assert v1[0].digest == D3
    assert v1[0].in_registry
    assert not v1[0].local
    pinned = [v for v in out if v.tag is None]
    assert len(pinned) == 1
    assert pinned[0].digest == DOLD
    assert pinned[0].image_id == I1
    assert pinned[0].local
    assert pinned[0].reference == f"{REG}@{DOLD}"


def test_running_marked_and_known_digests_become_pinnable() -> None:
    out = merge_versions(
        LOCALS,
        REMOTE,
        running_image_id=I1,
        known_digests=[f"{REG}@{D1}", f"{REG}@{DOLD}", f"other/app@{D3}", I2],
        repository=LOCAL,
    )
    assert [v.tag for v in out if v.running] == ["v1"]
    pinned = [v for v in out if v.tag is None]
    assert [(v.repository, v.digest, v.local) for v in pinned] == [(REG, DOLD, False)]
    assert out[-1] is pinned[0]  # no creation time: last


def test_ordering_newest_first_undated_last_tags_before_digests() -> None:
    vs = [
        ImageVersion(REG, None, D1, None, None, False, False),
        ImageVersion(REG, "b", None, None, None, False, True),
        ImageVersion(REG, "a", None, None, "2026-01-01T00:00:00.123456789Z", False, True),
        ImageVersion(REG, "c", None, None, "2026-05-01T00:00:00+02:00", False, True),
        ImageVersion(REG, "a2", None, None, "2026-01-01T00:00:00.123456789Z", False, True),
    ]
    assert [v.tag for v in sort_versions(vs)] == ["c", "a", "a2", "b", None]


def test_find_by_commit_by_tag_shape_and_by_revision_label() -> None:
    vs = [
        remote("main-1a2b3c4", D1, "2026-01-01T00:00:00Z"),
        remote("feature-x-9f9f9f9", D2, "2026-01-02T00:00:00Z"),
        local("v3", None, I3, "2026-01-03T00:00:00Z"),
    ]
    assert [v.tag for v in find_by_commit(vs, "1a2b3c4d5e6f")] == ["main-1a2b3c4"]
    assert [v.tag for v in find_by_commit(vs, "9F9F")] == ["feature-x-9f9f9f9"]
    revs = {I3: "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"}
    assert [v.tag for v in find_by_commit(vs, "3c3c3c3", revisions=revs)] == ["v3"]
    assert find_by_commit(vs, "3c3c3c3") == []
    assert find_by_commit(vs, "not-a-sha") == []


def test_resolve_tags_references_and_digests() -> None:
    vs = merge_versions(LOCALS, REMOTE, repository=LOCAL, known_digests=[f"{REG}@{DOLD}"])
    assert resolve_target(vs, "v1", repository=LOCAL) == f"{REG}:v1"
    assert resolve_target(vs, " v3 ", repository=LOCAL) == f"{LOCAL}:v3"
    assert resolve_target(vs, f"{LOCAL}:v2", repository=LOCAL) == f"{REG}:v2"
    assert resolve_target(vs, f"{REG}:v2", repository=LOCAL) == f"{REG}:v2"
    assert resolve_target(vs, DOLD, repository=LOCAL) == f"{REG}@{DOLD}"
    assert resolve_target(vs, "sha256:aaaaaaa", repository=LOCAL) == f"{REG}@{DOLD}"
    assert resolve_target(vs, f"{REG}@{D2}", repository=LOCAL) == f"{REG}@{D2}"
    assert resolve_target(vs, f"{LOCAL}@{D2}", repository=LOCAL) == f"{REG}@{D2}"
    # an exact digest nobody listed is still an exact pin
    assert resolve_target(vs, D3, repository=LOCAL) == f"{REG}@{D3}"


def test_resolve_commit_sha() -> None:
    vs = [remote("main-1a2b3c4", D1, "2026-01-01T00:00:00Z"), local("v3", None, I3, "2026")]
    assert resolve_target(vs, "1a2b3c4d", repository=REG) == f"{REG}:main-1a2b3c4"
    revs = {I3: "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"}
    assert resolve_target(vs, "3c3c3c3c", repository=REG, revisions=revs) == f"{LOCAL}:v3"
    # the same tag under two names (a local image and a pulled copy): the pulled one wins
    both = [*vs, ImageVersion(REG, "v3", D3, I2, "2026", local=True, in_registry=True)]
    revs[I2] = revs[I3]
    assert resolve_target(both, "3c3c3c3c", repository=REG, revisions=revs) == f"{REG}:v3"
    with pytest.raises(errors.NotFound, match=r"rebuild it from commit 4d4d4d4d4d4d"):
        resolve_target(vs, "4d4d4d4d4d4d4d4d", repository=REG)


def test_unknown_tag_names_the_known_digests() -> None:
    vs = merge_versions(LOCALS, REMOTE, repository=LOCAL, known_digests=[f"{REG}@{DOLD}"])
    with pytest.raises(errors.NotFound) as exc:
        resolve_target(vs, "v9", repository=LOCAL)
    assert str(exc.value) == (
        "Tag v9 is gone from the registry and from this engine; known digests: "
        f"{short_digest(DOLD)} (pin one to go back)."
    )
    with pytest.raises(errors.NotFound) as exc:
        resolve_target(vs, "main-abc1234", repository=LOCAL)
    assert str(exc.value).startswith("Tag main-abc1234 is gone from the registry and from this")
    assert str(exc.value).endswith("; or rebuild it from commit abc1234.")
    with pytest.raises(errors.NotFound, match="no earlier digest is known"):
        resolve_target([], "v9", repository=LOCAL)


def test_resolve_refuses_other_repositories_ambiguity_and_empty_text() -> None:
    vs = [
        remote("main-1a2b3c4", D1, "2026-01-01T00:00:00Z"),
        remote("dev-1a2b3c4", D2, "2026-01-02T00:00:00Z"),
    ]
    with pytest.raises(errors.Invalid, match="is not an image of"):
        resolve_target(vs, "other/app:v1", repository=REG)
    with pytest.raises(errors.Invalid, match="matches 2 versions"):
        resolve_target(vs, "1a2b3c4", repository=REG)
    with pytest.raises(errors.Invalid, match="Choose a version"):
        resolve_target(vs, "  ", repository=REG)
    with pytest.raises(errors.Invalid):
        resolve_target(vs, "shop/web:bad tag", repository=REG)


def test_repository_path() -> None:
    assert repository_path("127.0.0.1:5000/shop/web") == "shop/web"
    assert repository_path("localhost/shop/web") == "shop/web"
    assert repository_path("library/nginx") == "nginx"
    assert short_digest(D1) == "sha256:111111111111"
