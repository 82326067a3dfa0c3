"""RegistryClient against real registries: Debian's ``docker-registry`` (distribution 2.8) started
on 127.0.0.1 — anonymous, with htpasswd (basic) auth, and with token (bearer) auth trusting a token
server written here — plus the failure modes (down, timeout, 5xx, TLS).

Images are pushed without Docker, through the registry's own v2 API, so the test knows the exact
manifest bytes and therefore the digest the client must report.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import http.server
import io
import json
import shutil
import socket
import ssl
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from kiops_desktop.core.images import tag_matches_commit
from kiops_desktop.runtimes.errors import (
    Forbidden,
    NotFound,
    ServerError,
    TimedOut,
    TlsFailure,
    Unauthorized,
    Unreachable,
)
from kiops_desktop.runtimes.registry import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    RegistryCredentials,
)

pytestmark = pytest.mark.integration

USER, PASSWORD = "deployer", "s3cret-Pa55word-xyz"
SERVICE, ISSUER = "kiops-test-registry", "kiops-test-issuer"

# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raw_http(
    method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers.items()), err.read()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Registry:
    url: str  # http://127.0.0.1:PORT
    proc: subprocess.Popen[bytes]
    push_auth: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        status, headers, body = raw_http(
            "POST", f"{self.url}/v2/{repo}/blobs/uploads/", b"", self.auth
        )
        assert status == 202, (status, body)
        location = urllib.parse.urljoin(self.url, headers["Location"])
        sep = "&" if "?" in location else "?"
        status, _, body = raw_http(
            "PUT",
            f"{location}{sep}digest={digest}",
            data,
            {**self.auth, "Content-Type": "application/octet-stream"},
        )
        assert status == 201, (status, body)
        return digest

    @property
    def auth(self) -> dict[str, str]:
        return dict(self.push_auth)

    def put_manifest(self, repo: str, ref: str, manifest: bytes, media_type: str) -> str:
        status, headers, body = raw_http(
            "PUT",
            f"{self.url}/v2/{repo}/manifests/{ref}",
            manifest,
            {**self.auth, "Content-Type": media_type},
        )
        assert status == 201, (status, body)
        assert headers["Docker-Content-Digest"] == sha256(manifest)
        return sha256(manifest)

    def push_image(
        self,
        repo: str,
        tag: str,
        created: str,
        *,
        arch: str = "amd64",
        media_type: str = OCI_MANIFEST,
        payload: bytes = b"hello",
    ) -> tuple[str, bytes]:
        """Push a one-layer image; returns (manifest digest, exact manifest bytes)."""
        layer_buf = io.BytesIO()
        with tarfile.open(fileobj=layer_buf, mode="w") as tar:
            info = tarfile.TarInfo("app/version.txt")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        layer = layer_buf.getvalue()
        config = json.dumps(
            {
                "created": created,
                "architecture": arch,
                "os": "linux",
                "config": {"Cmd": ["/bin/sh"]},
                "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]},
            }
        ).encode()
        oci = media_type == OCI_MANIFEST
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": media_type,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json"
                    if oci
                    else "application/vnd.docker.container.image.v1+json",
                    "digest": self.blob(repo, config),
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar"
                        if oci
                        else "application/vnd.docker.image.rootfs.diff.tar",
                        "digest": self.blob(repo, layer),
                        "size": len(layer),
                    }
                ],
            },
            indent=1,  # odd formatting on purpose: the digest is of these exact bytes
        ).encode()
        return self.put_manifest(repo, tag, manifest, media_type), manifest


def start_registry(root: Path, auth: dict[str, Any] | None = None) -> Registry:
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.fail(
            "Debian's docker-registry is not installed: run scripts/ensure-system-deps.sh "
            "(or apt-get install -y docker-registry)."
        )
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(root / "data")},
            "delete": {"enabled": True},
        },
        "http": {"addr": f"127.0.0.1:{port}", "secret": uuid.uuid4().hex},
    }
    if auth:
        config["auth"] = auth
    (root / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    log = (root / "registry.log").open("wb")
    proc = subprocess.Popen(
        [binary, "serve", str(root / "config.yml")], stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"docker-registry exited: {(root / 'registry.log').read_text()}")
        with contextlib.suppress(OSError):
            status, _, _ = raw_http("GET", f"{url}/v2/")
            if status in (200, 401):
                return Registry(url, proc)
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"docker-registry did not start: {(root / 'registry.log').read_text()}")


def stop(reg: Registry) -> None:
    reg.proc.terminate()
    try:
        reg.proc.wait(10)
    except subprocess.TimeoutExpired:
        reg.proc.kill()
        reg.proc.wait()


def bcrypt_hash(password: str) -> str:
    """bcrypt as distribution's htpasswd auth requires: htpasswd, else libxcrypt, else bcrypt."""
    if shutil.which("htpasswd"):
        out = subprocess.run(
            ["htpasswd", "-nbB", "x", password], check=True, capture_output=True, text=True
        ).stdout
        return out.strip().split(":", 1)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt

            hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))
            if hashed and hashed.startswith("$2"):
                return hashed
        except ImportError:
            pass
    bcrypt = pytest.importorskip("bcrypt", reason="no bcrypt implementation available")
    return str(bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode())


def lookup(creds: RegistryCredentials | None) -> Callable[[str], RegistryCredentials | None]:
    asked: list[str] = []

    def find(host: str) -> RegistryCredentials | None:
        asked.append(host)
        return creds

    find.asked = asked  # type: ignore[attr-defined]
    return find


# --------------------------------------------------------------------------- (a) anonymous

TAGS = {
    "main-abc1234": "2026-11-01T10:00:00.123456789Z",
    "main-def5678": "2026-11-03T10:00:00Z",
    "v1": "2026-11-02T10:00:00+02:00",
}


@dataclass
class Pushed:
    registry: Registry
    digests: dict[str, str]
    manifests: dict[str, bytes]


@pytest.fixture(scope="module")
def anon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    reg = start_registry(tmp_path_factory.mktemp("anon-registry"))
    try:
        digests: dict[str, str] = {}
        manifests: dict[str, bytes] = {}
        for i, (tag, created) in enumerate(TAGS.items()):
            media = DOCKER_MANIFEST if tag == "v1" else OCI_MANIFEST
            digests[tag], manifests[tag] = reg.push_image(
                "shop/web", tag, created, media_type=media, payload=f"build {i}".encode()
            )
        yield Pushed(reg, digests, manifests)
    finally:
        stop(reg)


def test_tags_digests_and_created(anon: Pushed) -> None:
    client = RegistryClient(anon.registry.host)
    assert sorted(client.tags("shop/web")) == sorted(TAGS)
    for tag in TAGS:
        digest = client.manifest_digest("shop/web", tag)
        assert digest == anon.digests[tag] == sha256(anon.manifests[tag])
        assert client.image_created("shop/web", tag) == TAGS[tag]
    # a digest reference works too
    assert client.image_created("shop/web", anon.digests["v1"]) == TAGS["v1"]


def test_versions_newest_first_and_commit_matching(anon: Pushed) -> None:
    client = RegistryClient(anon.registry.host)
    versions = client.versions("shop/web")
    # main-def5678 (11-03 10:00Z) > v1 (11-02 08:00Z) > main-abc1234 (11-01 10:00Z)
    assert [v.tag for v in versions] == ["main-def5678", "v1", "main-abc1234"]
    for v in versions:
        assert v.repository == f"{anon.registry.host}/shop/web"
        assert v.digest == anon.digests[v.tag or ""]
        assert v.created == TAGS[v.tag or ""]
        assert v.in_registry
        assert not v.local
        assert v.image_id is None
        assert v.reference == f"{anon.registry.host}/shop/web:{v.tag}"
    matching = [v.tag for v in versions if tag_matches_commit(v.tag or "", "def5678a9b0c1d2e")]
    assert matching == ["main-def5678"]
    assert [v.tag for v in versions if tag_matches_commit(v.tag or "", "abc1234")] == [
        "main-abc1234"
    ]
    assert [v.tag for v in client.versions("shop/web", limit=2)] == ["main-def5678", "v1"]


def test_overwritten_tag_changes_digest(anon: Pushed) -> None:
    client = RegistryClient(anon.registry.host)
    reg = anon.registry
    first, _ = reg.push_image("shop/api", "latest", "2026-11-04T00:00:00Z", payload=b"one")
    assert client.manifest_digest("shop/api", "latest") == first
    second, manifest = reg.push_image("shop/api", "latest", "2026-11-05T00:00:00Z", payload=b"two")
    assert second != first
    assert client.manifest_digest("shop/api", "latest") == second == sha256(manifest)
    assert client.image_created("shop/api", "latest") == "2026-11-05T00:00:00Z"
    # the old manifest is still there by digest
    assert client.image_created("shop/api", first) == "2026-11-04T00:00:00Z"


def test_unknown_tag_and_repository(anon: Pushed) -> None:
    client = RegistryClient(anon.registry.host)
    assert client.manifest_digest("shop/web", "nope") is None
    assert client.image_created("shop/web", "nope") is None
    assert client.manifest_digest("shop/ghost", "v1") is None
    with pytest.raises(NotFound) as err:
        client.tags("shop/ghost")
    assert str(err.value) == f"The registry {anon.registry.host} has no repository shop/ghost."


def test_manifest_list_picks_linux_amd64(anon: Pushed) -> None:
    reg = anon.registry
    arm, arm_m = reg.push_image("shop/multi", "arm", "2026-01-01T00:00:00Z", arch="arm64")
    amd, amd_m = reg.push_image("shop/multi", "amd", "2026-02-02T00:00:00Z", arch="amd64")
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [  # arm64 first: the client must look for linux/amd64
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": arm,
                    "size": len(arm_m),
                    "platform": {"os": "linux", "architecture": "arm64"},
                },
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": amd,
                    "size": len(amd_m),
                    "platform": {"os": "linux", "architecture": "amd64"},
                },
            ],
        }
    ).encode()
    index_digest = reg.put_manifest("shop/multi", "v2", index, OCI_INDEX)
    client = RegistryClient(reg.host)
    assert client.manifest_digest("shop/multi", "v2") == index_digest  # the index, not a child
    assert client.image_created("shop/multi", "v2") == "2026-02-02T00:00:00Z"


def test_catalog_pagination_follows_link(anon: Pushed) -> None:
    reg = anon.registry
    for name in ("pag/a", "pag/b", "pag/c"):
        reg.push_image(name, "v1", "2026-01-01T00:00:00Z")
    client = RegistryClient(reg.host)
    status, headers, _ = raw_http("GET", f"{reg.url}/v2/_catalog?n=1")
    assert status == 200
    assert 'rel="next"' in headers["Link"]  # the registry really paginates with n=1
    every = client.repositories(page_size=1)
    assert {"pag/a", "pag/b", "pag/c", "shop/web"} <= set(every)
    assert every == sorted(every)
    assert len(every) == len(set(every))
    assert client.repositories() == every
    # distribution 2.8 ignores n= for tags/list; a page size must not lose any
    assert sorted(client.tags("shop/web", page_size=1)) == sorted(TAGS)


# --------------------------------------------------------------------------- (b) basic auth


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("basic-registry")
    htpasswd = root / "htpasswd"
    htpasswd.write_text(f"{USER}:{bcrypt_hash(PASSWORD)}\n")
    reg = start_registry(root, {"htpasswd": {"realm": "kiops-test", "path": str(htpasswd)}})
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    try:
        reg.push_auth = {"Authorization": f"Basic {token}"}
        reg.push_image("team/app", "main-abc1234", "2026-11-01T00:00:00Z")
        yield reg
    finally:
        stop(reg)


def test_basic_auth_required(basic: Registry) -> None:
    find = lookup(None)
    client = RegistryClient(basic.host, credentials=find)
    with pytest.raises(Unauthorized) as err:
        client.tags("team/app")
    assert basic.host in str(err.value)
    assert err.value.hint == f"Log in to {basic.host} in KIOPS Desktop's Connections."
    assert find.asked == [basic.host]  # type: ignore[attr-defined]


def test_basic_auth_with_credentials(basic: Registry) -> None:
    client = RegistryClient(basic.host, credentials=lookup(RegistryCredentials(USER, PASSWORD)))
    assert client.tags("team/app") == ["main-abc1234"]
    versions = client.versions("team/app")
    assert [(v.tag, v.created) for v in versions] == [("main-abc1234", "2026-11-01T00:00:00Z")]


def test_basic_auth_wrong_password_never_shows_it(basic: Registry) -> None:
    wrong = "wrong-Pa55-zzz"
    client = RegistryClient(basic.host, credentials=lookup(RegistryCredentials(USER, wrong)))
    with pytest.raises(Unauthorized) as err:
        client.tags("team/app")
    text = f"{err.value} {err.value.hint} {err.value!r}"
    assert USER in str(err.value)
    assert wrong not in text
    assert PASSWORD not in text


# --------------------------------------------------------------------------- (c) bearer tokens


def libtrust_key_id(public_key: rsa.RSAPublicKey) -> str:
    """The key id distribution looks up trusted keys by (libtrust: sha256 of the DER SPKI, first
    240 bits, base32, in groups of four)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    text = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(text[i : i + 4] for i in range(0, len(text), 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class TokenServer:
    url: str
    key: rsa.RSAPrivateKey
    kid: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    def mint(self, repo: str | None, actions: list[str]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {
            "iss": ISSUER,
            "sub": USER if repo else "",
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": [{"type": "repository", "name": repo, "actions": actions}] if repo else [],
        }
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)


@pytest.fixture(scope="module")
def bearer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, TokenServer]]:
    root = tmp_path_factory.mktemp("token-registry")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiops test token issuer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (root / "root.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    port = free_port()
    server = TokenServer(f"http://127.0.0.1:{port}/token", key, libtrust_key_id(key.public_key()))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            auth = self.headers.get("Authorization")
            server.requests.append({"query": query, "authorization": auth})
            scope = query.get("scope", "")
            repo, actions = None, []
            if auth:
                expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if auth != expected:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                _, repo, wanted = scope.split(":", 2)
                if repo != "team/secret":
                    actions = [a for a in wanted.split(",") if a == "pull"]
            body = json.dumps(
                {"access_token": server.mint(repo, actions), "expires_in": 300}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        token_auth = {
            "realm": server.url,
            "service": SERVICE,
            "issuer": ISSUER,
            "rootcertbundle": str(root / "root.pem"),
        }
        reg = start_registry(root, {"token": token_auth})
        try:
            push = server.mint("team/app", ["pull", "push"])
            reg.push_auth = {"Authorization": f"Bearer {push}"}
            reg.push_image("team/app", "main-abc1234", "2026-11-01T00:00:00Z")
            reg.push_image("team/app", "main-def5678", "2026-11-02T00:00:00Z")
            yield reg, server
        finally:
            stop(reg)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_bearer_without_credentials_is_unauthorized(
    bearer: tuple[Registry, TokenServer],
) -> None:
    reg, server = bearer
    server.requests.clear()
    client = RegistryClient(reg.host)
    with pytest.raises(Unauthorized) as err:
        client.tags("team/app")
    assert str(err.value).startswith(f"The registry {reg.host} requires a login")
    assert err.value.hint == f"Log in to {reg.host} in KIOPS Desktop's Connections."
    # an anonymous token was asked for, with the registry's service and scope
    assert server.requests[0] == {
        "query": {"service": SERVICE, "scope": "repository:team/app:pull"},
        "authorization": None,
    }


def test_bearer_with_credentials_and_token_cache(bearer: tuple[Registry, TokenServer]) -> None:
    reg, server = bearer
    server.requests.clear()
    client = RegistryClient(reg.host, credentials=lookup(RegistryCredentials(USER, PASSWORD)))
    assert sorted(client.tags("team/app")) == ["main-abc1234", "main-def5678"]
    assert [v.tag for v in client.versions("team/app")] == ["main-def5678", "main-abc1234"]
    assert client.manifest_digest("team/app", "main-abc1234") is not None
    # one token for the scope, reused by every later request until it expires
    assert len(server.requests) == 1
    assert server.requests[0]["query"] == {
        "service": SERVICE,
        "scope": "repository:team/app:pull",
        "account": USER,
    }
    assert server.requests[0]["authorization"].startswith("Basic ")


def test_parallel_requests_share_one_token(bearer: tuple[Registry, TokenServer]) -> None:
    reg, server = bearer
    server.requests.clear()
    client = RegistryClient(reg.host, credentials=lookup(RegistryCredentials(USER, PASSWORD)))
    with ThreadPoolExecutor(max_workers=6) as pool:
        digests = list(
            pool.map(lambda _: client.manifest_digest("team/app", "main-def5678"), range(12))
        )
    assert len(set(digests)) == 1
    assert digests[0] is not None
    assert len(server.requests) == 1


def test_bearer_wrong_password(bearer: tuple[Registry, TokenServer]) -> None:
    reg, _ = bearer
    wrong = "not-the-Pa55word"
    client = RegistryClient(reg.host, credentials=lookup(RegistryCredentials(USER, wrong)))
    with pytest.raises(Unauthorized) as err:
        client.tags("team/app")
    assert f"rejected the credentials of {USER}" in str(err.value)
    assert wrong not in f"{err.value} {err.value.hint} {err.value!r} {client!r}"


def test_bearer_token_without_access_is_forbidden(bearer: tuple[Registry, TokenServer]) -> None:
    """The token server grants nothing on team/secret: the registry answers insufficient_scope,
    which reads as 'not allowed (or does not exist)', as on Docker Hub."""
    reg, _ = bearer
    client = RegistryClient(reg.host, credentials=lookup(RegistryCredentials(USER, PASSWORD)))
    with pytest.raises(Forbidden) as err:
        client.tags("team/secret")
    assert f"does not allow {USER} to read the tags of {reg.host}/team/secret" in str(err.value)


def test_rejected_cached_token_is_replaced(bearer: tuple[Registry, TokenServer]) -> None:
    """A cached token the registry no longer accepts (revoked, or for another scope) is
    dropped and a fresh one fetched, once."""
    reg, server = bearer
    client = RegistryClient(reg.host, credentials=lookup(RegistryCredentials(USER, PASSWORD)))
    assert client.manifest_digest("team/app", "main-abc1234") is not None
    server.requests.clear()
    stale = server.mint("team/other", ["pull"])
    for token in client._tokens.values():
        token.value = stale
    assert client.manifest_digest("team/app", "main-abc1234") is not None
    assert len(server.requests) == 1
    assert all(t.value != stale for t in client._tokens.values())


# --------------------------------------------------------------------------- (d) failures


def test_registry_down_is_unreachable() -> None:
    port = free_port()
    with pytest.raises(Unreachable) as err:
        RegistryClient(f"127.0.0.1:{port}").tags("shop/web")
    assert f"127.0.0.1:{port}" in str(err.value)
    assert err.value.retryable


def test_silent_registry_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts connections (backlog) but never answers
        host = f"127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(TimedOut):
            RegistryClient(host, timeout=0.5).tags("shop/web")
        assert time.monotonic() - started < 5


@contextlib.contextmanager
def tiny_server(
    status: int, *, tls: ssl.SSLContext | None = None, headers: dict[str, str] | None = None
) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"errors":[{"code":"UNAVAILABLE","message":"storage backend down"}]}'
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors(status: int) -> None:
    with tiny_server(status) as host, pytest.raises(ServerError) as err:
        RegistryClient(host).tags("shop/web")
    assert str(status) in str(err.value)
    assert err.value.retryable


def test_untrusted_certificate_is_tls_failure(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    with tiny_server(200, tls=ctx) as host, pytest.raises(TlsFailure) as err:
        RegistryClient(f"https://{host}").tags("shop/web")
    assert "certificate" in str(err.value)
