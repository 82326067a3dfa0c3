"""Image references parse like the Docker CLI's, and tags find their commits."""

from __future__ import annotations

import pytest

from kiops_desktop.core.images import (
    ImageRef,
    ImageRefError,
    ImageVersion,
    commit_of_tag,
    parse_image_ref,
    tag_matches_commit,
)

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", ImageRef("", "nginx", None, None)),
        ("nginx:1.25", ImageRef("", "nginx", "1.25", None)),
        ("shop/web:main-abc1234", ImageRef("", "shop/web", "main-abc1234", None)),
        ("127.0.0.1:5000/shop/web:v1", ImageRef("127.0.0.1:5000", "shop/web", "v1", None)),
        ("localhost/app", ImageRef("localhost", "app", None, None)),
        (
            f"registry.example.com/app@{DIGEST}",
            ImageRef("registry.example.com", "app", None, DIGEST),
        ),
        (f"app:v1@{DIGEST}", ImageRef("", "app", "v1", DIGEST)),
        ("  app:v1 ", ImageRef("", "app", "v1", None)),
    ],
)
def test_parse(text: str, expected: ImageRef) -> None:
    assert parse_image_ref(text) == expected


def test_round_trip_and_helpers() -> None:
    ref = parse_image_ref(f"127.0.0.1:5000/shop/web:v1@{DIGEST}")
    assert str(ref) == f"127.0.0.1:5000/shop/web:v1@{DIGEST}"
    assert ref.name == "127.0.0.1:5000/shop/web"
    assert ref.short_digest == "ab" * 6
    assert str(ref.with_tag("v2")) == "127.0.0.1:5000/shop/web:v2"
    assert str(ref.with_digest(DIGEST)) == f"127.0.0.1:5000/shop/web@{DIGEST}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("Kiops Test/app:v2", "spaces"),
        ("Shop/Web", "invalid repository name"),
        ("app:bad tag", "spaces"),
        ("app:-bad", 'invalid tag "-bad"'),
        ("app@sha256:1234", "malformed digest"),
        ("app//x", "invalid repository name"),
    ],
)
def test_malformed_references_are_sentences(text: str, message: str) -> None:
    with pytest.raises(ImageRefError, match=message):
        parse_image_ref(text)


@pytest.mark.parametrize(
    ("tag", "commit"),
    [
        ("main-abc1234", "abc1234"),
        ("feature-x-0f3e9a1", "0f3e9a1"),
        ("v1.2.3", None),
        ("main-XYZ1234", None),
        ("abc1234", None),
        ("main-", None),
    ],
)
def test_commit_of_tag(tag: str, commit: str | None) -> None:
    assert commit_of_tag(tag) == commit


def test_tag_matches_commit_by_prefix_either_way() -> None:
    assert tag_matches_commit("main-abc1234", "abc1234def5678")
    assert tag_matches_commit("main-abc1234", "ABC12")
    assert not tag_matches_commit("main-abc1234", "abd")  # too short to mean anything
    assert not tag_matches_commit("main-abc1234", "def5678")
    assert not tag_matches_commit("v1", "abc1234")
    assert not tag_matches_commit("main-abc1234", "not a sha")


def test_version_reference_prefers_the_tag_then_the_digest() -> None:
    tagged = ImageVersion("r/app", "v1", DIGEST, None, None, local=False, in_registry=True)
    pinned = ImageVersion("r/app", None, DIGEST, None, None, local=False, in_registry=True)
    assert tagged.reference == "r/app:v1"
    assert pinned.reference == f"r/app@{DIGEST}"
