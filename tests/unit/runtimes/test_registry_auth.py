"""The pure parts of the registry client: WWW-Authenticate and Link parsing, media types,
platform selection, digests, newest-first ordering, address rules, and secrets kept out of
reprs and error sentences."""

from __future__ import annotations

import hashlib

import pytest

from kiops_desktop.core.images import ImageVersion
from kiops_desktop.runtimes.errors import Invalid, Refused, Unauthorized
from kiops_desktop.runtimes.registry import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1,
    MANIFEST_ACCEPT,
    OCI_INDEX,
    OCI_MANIFEST,
    Challenge,
    RegistryClient,
    RegistryCredentials,
    _Response,
    compute_digest,
    is_loopback_host,
    manifest_media_type,
    newest_first,
    parse_created,
    parse_link_next,
    parse_www_authenticate,
    select_platform_manifest,
)

SECRET = "hunter2-Sup3r-secret"

# --------------------------------------------------------------------------- WWW-Authenticate


def test_bearer_challenge_with_quoted_commas() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull,push"'
    )
    assert parse_www_authenticate(header) == [
        Challenge(
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/nginx:pull,push",
            },
        )
    ]


def test_basic_challenge_and_case_insensitive_names() -> None:
    assert parse_www_authenticate('BASIC Realm="Harbor, the registry"') == [
        Challenge("basic", {"realm": "Harbor, the registry"})
    ]


def test_several_challenges_spaces_escapes_and_tokens() -> None:
    header = (
        'Bearer realm = "https://h/service/token" , service=harbor-registry, '
        'error="insufficient_scope", scope="repository:a/b:pull", '
        'Basic realm="say \\"hi\\", then go"'
    )
    bearer, basic = parse_www_authenticate(header)
    assert bearer.scheme == "bearer"
    assert dict(bearer.params) == {
        "realm": "https://h/service/token",
        "service": "harbor-registry",
        "error": "insufficient_scope",
        "scope": "repository:a/b:pull",
    }
    assert basic == Challenge("basic", {"realm": 'say "hi", then go'})


@pytest.mark.parametrize(
    "header", ["", "   ", ",,", 'Bearer realm="unterminated', "=oops", "Bearer"]
)
def test_malformed_challenges_do_not_raise(header: str) -> None:
    challenges = parse_www_authenticate(header)
    assert all(isinstance(c, Challenge) for c in challenges)


def test_unterminated_quote_keeps_what_was_read() -> None:
    assert parse_www_authenticate('Bearer realm="https://x/token') == [
        Challenge("bearer", {"realm": "https://x/token"})
    ]


# --------------------------------------------------------------------------- Link pagination


def test_link_next_relative_is_resolved() -> None:
    base = "https://reg.example.com/v2/shop/web/tags/list?n=2"
    header = '</v2/shop/web/tags/list?last=b&n=2>; rel="next"'
    assert (
        parse_link_next(header, base) == "https://reg.example.com/v2/shop/web/tags/list?last=b&n=2"
    )


def test_link_next_among_other_relations() -> None:
    header = (
        '<https://r/v2/_catalog?n=1>; rel="first", '
        '<https://r/v2/_catalog?last=a%2Cb&n=1>; title="x, y"; rel=next'
    )
    assert (
        parse_link_next(header, "https://r/v2/_catalog") == "https://r/v2/_catalog?last=a%2Cb&n=1"
    )


@pytest.mark.parametrize("header", [None, "", '<https://r/x>; rel="prev"', "garbage"])
def test_no_next_link(header: str | None) -> None:
    assert parse_link_next(header, "https://r/v2/") is None


# --------------------------------------------------------------------------- media types


def test_accept_names_every_modern_manifest_type() -> None:
    accepted = [t.strip() for t in MANIFEST_ACCEPT.split(",")]
    assert set(accepted) == {OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST}
    assert DOCKER_SCHEMA1 not in MANIFEST_ACCEPT


@pytest.mark.parametrize(
    ("content_type", "manifest", "expected"),
    [
        (f"{OCI_INDEX}; charset=utf-8", {}, OCI_INDEX),
        (DOCKER_LIST.upper(), {}, DOCKER_LIST),
        ("application/json", {"mediaType": DOCKER_MANIFEST}, DOCKER_MANIFEST),
        (None, {"manifests": []}, OCI_INDEX),
        ("application/json", {"schemaVersion": 1, "history": []}, DOCKER_SCHEMA1),
        (None, {"schemaVersion": 2, "config": {}}, OCI_MANIFEST),
    ],
)
def test_media_type_selection(content_type: str | None, manifest: dict, expected: str) -> None:
    assert manifest_media_type(content_type, manifest) == expected


def _entry(os: str, arch: str, digest: str) -> dict:
    return {"digest": digest, "platform": {"os": os, "architecture": arch}}


def test_platform_selection_prefers_linux_amd64() -> None:
    index = {
        "manifests": [
            _entry("linux", "arm64", "a"),
            _entry("windows", "amd64", "w"),
            _entry("linux", "amd64", "b"),
        ]
    }
    assert select_platform_manifest(index)["digest"] == "b"  # type: ignore[index]
    assert select_platform_manifest(index, architecture="arm64")["digest"] == "a"  # type: ignore[index]


def test_platform_selection_falls_back_past_attestations() -> None:
    index = {"manifests": [_entry("unknown", "unknown", "att"), _entry("linux", "s390x", "z")]}
    assert select_platform_manifest(index)["digest"] == "z"  # type: ignore[index]
    only_att = {"manifests": [_entry("unknown", "unknown", "att")]}
    assert select_platform_manifest(only_att)["digest"] == "att"  # type: ignore[index]
    assert select_platform_manifest({"manifests": []}) is None
    assert select_platform_manifest({}) is None


# --------------------------------------------------------------------------- digests


def test_digest_is_sha256_of_the_exact_bytes() -> None:
    body = b'{\n "schemaVersion": 2\n}'
    assert compute_digest(body) == "sha256:" + hashlib.sha256(body).hexdigest()
    assert compute_digest(body) != compute_digest(b'{"schemaVersion":2}')  # bytes, not JSON
    assert compute_digest(b"") == (
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


# --------------------------------------------------------------------------- ordering


def _v(tag: str, created: str | None) -> ImageVersion:
    return ImageVersion("r/app", tag, None, None, created, local=False, in_registry=True)


def test_newest_first_by_time_then_tag_unknown_last() -> None:
    versions = [
        _v("old", "2026-01-01T00:00:00Z"),
        _v("none-b", None),
        _v("nanos", "2026-03-01T00:00:00.999999999Z"),
        _v("same-b", "2026-02-01T00:00:00Z"),
        _v("same-a", "2026-02-01T01:00:00+01:00"),  # the same instant, another zone
        _v("none-a", "not a time"),
        _v("whole", "2026-03-01T00:00:00Z"),
    ]
    assert [v.tag for v in newest_first(versions)] == [
        "nanos",
        "whole",
        "same-a",
        "same-b",
        "old",
        "none-a",
        "none-b",
    ]


def test_parse_created_handles_go_times() -> None:
    assert parse_created("2026-11-01T10:00:00.123456789Z") is not None
    assert parse_created("2026-11-01T10:00:00") is not None  # naive read as UTC
    assert parse_created("") is None
    assert parse_created(None) is None


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "harbor.example.com", "localhost.example.com"])
def test_not_loopback_hosts(host: str) -> None:
    assert not is_loopback_host(host)


def test_scheme_choice() -> None:
    assert RegistryClient("127.0.0.1:5000").base_url == "http://127.0.0.1:5000"
    assert RegistryClient("localhost:5000").base_url == "http://localhost:5000"
    assert RegistryClient("harbor.example.com").base_url == "https://harbor.example.com"
    assert RegistryClient("https://127.0.0.1:5000").base_url == "https://127.0.0.1:5000"
    secure = RegistryClient("127.0.0.1:5000", insecure_loopback=False)
    assert secure.base_url == "https://127.0.0.1:5000"
    hub = RegistryClient("docker.io")
    assert (hub.base_url, hub.registry) == ("https://registry-1.docker.io", "docker.io")
    assert hub._repo("nginx") == "library/nginx"


def test_plain_http_refused_off_loopback() -> None:
    with pytest.raises(Refused) as err:
        RegistryClient("http://harbor.example.com")
    assert "only over HTTPS" in str(err.value)
    with pytest.raises(Refused):
        RegistryClient("http://127.0.0.1:5000", insecure_loopback=False)


@pytest.mark.parametrize("bad", ["", "user:pw@host", "host/path", "ftp://host", "a b"])
def test_bad_registry_addresses(bad: str) -> None:
    with pytest.raises(Invalid):
        RegistryClient(bad)


@pytest.mark.parametrize("bad", ["../etc", "Shop/Web", "host.com/app", "app:v1", ""])
def test_bad_repositories_are_invalid(bad: str) -> None:
    with pytest.raises(Invalid):
        RegistryClient("127.0.0.1:5000").tags(bad)


@pytest.mark.parametrize("bad", ["../x", "v1/..", "sha256:abc", "-lead"])
def test_bad_references_are_invalid(bad: str) -> None:
    with pytest.raises(Invalid):
        RegistryClient("127.0.0.1:5000").manifest_digest("shop/web", bad)


# --------------------------------------------------------------------------- secrets


def test_credentials_repr_hides_secret() -> None:
    creds = RegistryCredentials("deployer", SECRET)
    assert SECRET not in repr(creds)
    assert SECRET not in str(creds)
    assert "deployer" in repr(creds)
    assert creds.basic_header().startswith("Basic ")


def test_client_repr_and_errors_never_show_the_secret() -> None:
    creds = RegistryCredentials("deployer", SECRET)
    client = RegistryClient("harbor.example.com", credentials=lambda host: creds)
    assert SECRET not in repr(client)
    assert client._credentials() is creds
    for error in (
        client._login_needed("the tags of harbor.example.com/shop/web"),
        client._denied(
            "the tags of harbor.example.com/shop/web",
            _response(401, {"WWW-Authenticate": 'Basic realm="x"'}),
        ),
        client._status_error(
            _response(
                500, {}, b'{"errors":[{"code":"X","message":"bad ' + SECRET.encode() + b'"}]}'
            ),
            "the tags",
        ),
    ):
        text = f"{error} {error.hint} {error!r}"
        assert SECRET not in text
        assert "harbor.example.com" in str(error)


def test_login_needed_names_registry_and_connections() -> None:
    client = RegistryClient("harbor.example.com")
    error = client._login_needed("the tags of harbor.example.com/shop/web")
    assert isinstance(error, Unauthorized)
    assert str(error) == (
        "The registry harbor.example.com requires a login to read the tags of "
        "harbor.example.com/shop/web."
    )
    assert error.hint == "Log in to harbor.example.com in KIOPS Desktop's Connections."


def test_credentials_lookup_by_registry_host() -> None:
    asked: list[str] = []

    def lookup(host: str) -> RegistryCredentials | None:
        asked.append(host)
        return None

    RegistryClient("Harbor.Example.com:8443", credentials=lookup)._credentials()
    RegistryClient("index.docker.io", credentials=lookup)._credentials()
    assert asked == ["harbor.example.com:8443", "docker.io"]


def _response(status: int, headers: dict[str, str], body: bytes = b"") -> _Response:
    return _Response(status, headers, body, "https://harbor.example.com/v2/")
