"""Registry v2 client (Docker Registry / distribution, Harbor, Docker Hub): tags, manifest digests
and image creation times for the deploy dialog — standard library only.

Auth follows the Docker CLI: every request goes out anonymously first (or with a cached token);
a 401 names the scheme in ``WWW-Authenticate`` — ``Basic`` is answered with the credentials from
the lookup, ``Bearer`` with a token fetched from the realm (with basic auth to the token server
when credentials exist) and cached per scope until it expires. Secrets never reach a log line, an
error sentence or a ``repr``.

TLS is verified; plain ``http://`` is used only for loopback registries (as the Docker CLI treats
``localhost``/``127.0.0.0/8`` as insecure registries) and refused for everything else.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiops_desktop.core.images import ImageRef, ImageRefError, ImageVersion, parse_image_ref
from kiops_desktop.runtimes.errors import (
    Forbidden,
    Invalid,
    NotFound,
    OperationError,
    Refused,
    ServerError,
    TimedOut,
    TlsFailure,
    Unauthorized,
    Unreachable,
)

log = logging.getLogger(__name__)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
# Without an Accept header distribution answers a schema-1 manifest with a different digest.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))

DOCKER_HUB = "docker.io"
_HUB_ALIASES = frozenset({"", "docker.io", "index.docker.io", "registry-1.docker.io"})
_HUB_API = "registry-1.docker.io"

_MAX_MANIFEST = 4 * 1024 * 1024  # distribution's own limit for manifests
_MAX_BLOB = 8 * 1024 * 1024  # image configs are small; refuse to buffer anything large
_MAX_ERROR_BODY = 64 * 1024
_MAX_PAGES = 1000
_TOKEN_DEFAULT_TTL = 60.0  # the token spec's default when expires_in is absent
_TOKEN_MARGIN = 5.0
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class RegistryCredentials:
    """User name and password or access token for one registry. ``repr`` hides the secret."""

    username: str
    secret: str = field(repr=False)

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


CredentialLookup = Callable[[str], RegistryCredentials | None]
"""Credentials by registry host (``docker.io`` for Docker Hub); ``None`` when there are none."""


# --------------------------------------------------------------------------- pure helpers


@dataclass(frozen=True)
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header: scheme (lower case) and its parameters
    (names lower case, values unquoted)."""

    scheme: str
    params: Mapping[str, str]


_TOKEN_CHARS = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def parse_www_authenticate(header: str) -> list[Challenge]:
    """Parse ``WWW-Authenticate`` (RFC 7235): one or more challenges, quoted values may hold
    commas and backslash escapes, e.g. ``Bearer realm="https://a/token",scope="repository:x:pull,push"``.
    Malformed input yields what could be read, never an exception."""
    challenges: list[Challenge] = []
    pos, n = 0, len(header)
    scheme: str | None = None
    params: dict[str, str] = {}

    def skip(chars: str) -> None:
        nonlocal pos
        while pos < n and header[pos] in chars:
            pos += 1

    while pos < n:
        skip(" \t,")
        m = _TOKEN_CHARS.match(header, pos)
        if not m:
            pos += 1  # junk character: step over it
            continue
        word, after = m.group(0), m.end()
        look = after
        while look < n and header[look] in " \t":
            look += 1
        if scheme is not None and look < n and header[look] == "=":
            # a parameter of the current challenge (token68 values like "abc==" end up here too)
            pos = look + 1
            while pos < n and header[pos] in " \t":
                pos += 1
            if pos < n and header[pos] == '"':
                pos += 1
                value: list[str] = []
                while pos < n and header[pos] != '"':
                    if header[pos] == "\\" and pos + 1 < n:
                        pos += 1
                    value.append(header[pos])
                    pos += 1
                pos += 1  # closing quote
                params[word.lower()] = "".join(value)
            else:
                vm = _TOKEN_CHARS.match(header, pos)
                params[word.lower()] = vm.group(0) if vm else ""
                pos = vm.end() if vm else pos
            continue
        # a new challenge begins
        if scheme is not None:
            challenges.append(Challenge(scheme, params))
        scheme, params, pos = word.lower(), {}, after
    if scheme is not None:
        challenges.append(Challenge(scheme, params))
    return challenges


_LINK_PARAM = re.compile(r"\s*([^=;,\s]+)\s*(=\s*)?")
_LINK_VALUE = re.compile(r"[^;,\s]*")


def parse_link_next(header: str | None, base_url: str) -> str | None:
    """The absolute URL of the ``rel="next"`` entry of an RFC 8288 ``Link`` header, if any
    (quoted parameter values may hold commas and semicolons)."""
    if not header:
        return None
    pos, n = 0, len(header)
    while pos < n:
        start = header.find("<", pos)
        end = header.find(">", start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            return None
        target, pos = header[start + 1 : end].strip(), end + 1
        params: dict[str, str] = {}
        while pos < n:
            while pos < n and header[pos] in " \t":
                pos += 1
            if pos >= n or header[pos] != ";":
                break  # "," (next link) or junk: this link's parameters are done
            pos += 1
            m = _LINK_PARAM.match(header, pos)
            if not m:
                break
            name, pos = m.group(1).lower(), m.end()
            value = ""
            if m.group(2) is not None:
                if pos < n and header[pos] == '"':
                    pos += 1
                    chars: list[str] = []
                    while pos < n and header[pos] != '"':
                        if header[pos] == "\\" and pos + 1 < n:
                            pos += 1
                        chars.append(header[pos])
                        pos += 1
                    pos += 1
                    value = "".join(chars)
                else:
                    vm = _LINK_VALUE.match(header, pos)
                    value = vm.group(0) if vm else ""
                    pos = vm.end() if vm else pos
            params.setdefault(name, value)
        if "next" in params.get("rel", "").lower().split():
            return urllib.parse.urljoin(base_url, target)
    return None


def compute_digest(body: bytes) -> str:
    """The content digest (``sha256:<hex>``) of exactly these bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def manifest_media_type(content_type: str | None, manifest: Mapping[str, Any]) -> str:
    """The manifest's media type: the Content-Type header, else ``mediaType``, else a guess."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype in INDEX_TYPES or ctype in IMAGE_TYPES or ctype == DOCKER_SCHEMA1:
        return ctype
    declared = manifest.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    if isinstance(manifest.get("manifests"), list):
        return OCI_INDEX
    if manifest.get("schemaVersion") == 1:
        return DOCKER_SCHEMA1
    return OCI_MANIFEST


def select_platform_manifest(
    index: Mapping[str, Any], *, os: str = "linux", architecture: str = "amd64"
) -> Mapping[str, Any] | None:
    """The entry of a manifest list / OCI index to read: the wanted platform, else the first
    entry that is not an attestation (``unknown/unknown``), else the first entry."""
    entries = [e for e in index.get("manifests") or [] if isinstance(e, Mapping)]
    if not entries:
        return None

    def platform(e: Mapping[str, Any]) -> tuple[str, str]:
        p = e.get("platform") or {}
        return (str(p.get("os", "")), str(p.get("architecture", "")))

    for e in entries:
        if platform(e) == (os, architecture):
            return e
    for e in entries:
        if platform(e) != ("unknown", "unknown"):
            return e
    return entries[0]


_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def parse_created(value: str | None) -> datetime | None:
    """An RFC 3339 time (Go writes up to nanoseconds) as an aware datetime, or None."""
    if not value:
        return None
    text = _FRACTION.sub(r"\1", value.strip(), count=1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def newest_first(versions: Iterable[ImageVersion]) -> list[ImageVersion]:
    """Newest ``created`` first; equal or unknown times by tag; versions without a time last."""
    known: list[tuple[datetime, ImageVersion]] = []
    unknown: list[ImageVersion] = []
    for v in versions:
        when = parse_created(v.created)
        if when is None:
            unknown.append(v)
        else:
            known.append((when, v))
    # stable sorts: first by tag ascending, then by time descending
    known.sort(key=lambda item: item[1].tag or "")
    known.sort(key=lambda item: item[0], reverse=True)
    unknown.sort(key=lambda v: v.tag or "")
    return [v for _, v in known] + unknown


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# --------------------------------------------------------------------------- transport


@dataclass
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class _TooLarge(Exception):
    pass


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but carry ``Authorization`` only to the same scheme, host and port
    (blob downloads are redirected to storage with presigned URLs; a token must not go there),
    and never downgrade from HTTPS to HTTP."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        old = urllib.parse.urlsplit(req.full_url)
        new = urllib.parse.urlsplit(newurl)
        if old.scheme == "https" and new.scheme != "https":
            raise TlsFailure(
                f"The registry at {old.netloc} redirected to an insecure address ({new.netloc}); "
                "KIOPS Desktop does not follow a redirect from HTTPS to plain HTTP."
            )
        new_req = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new_req is None:
            return None
        auth = req.unredirected_hdrs.get("Authorization")
        if auth and (old.scheme, old.netloc) == (new.scheme, new.netloc):
            new_req.add_unredirected_header("Authorization", auth)
        if req.get_method() == "HEAD":
            new_req.method = "HEAD"
        return new_req


def _read_limited(stream: Any, limit: int) -> bytes:
    data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge
    return data


# --------------------------------------------------------------------------- client


@dataclass
class _Token:
    value: str
    expires_at: float  # time.monotonic()


class RegistryClient:
    """A Registry v2 API client for one registry (``host[:port]``, optionally with a scheme).

    Thread-safe: the deploy dialog may ask for several repositories at once. All expected
    failures are ``OperationError`` subclasses with one sentence for the operator.
    """

    def __init__(
        self,
        registry: str,
        *,
        credentials: CredentialLookup | None = None,
        timeout: float = 10.0,
        insecure_loopback: bool = True,
    ) -> None:
        text = registry.strip().rstrip("/")
        scheme = ""
        if "://" in text:
            scheme, text = text.split("://", 1)
            scheme = scheme.lower()
            if scheme not in ("http", "https"):
                raise Invalid(f'"{registry}" is not a registry address: use host[:port].')
        if not text or "/" in text or "@" in text or any(c.isspace() for c in text):
            raise Invalid(
                f'"{registry}" is not a registry address: use host[:port], e.g. "harbor.example.com".'
            )
        host = urllib.parse.urlsplit(f"//{text}").hostname or ""
        self.is_docker_hub = text.lower() in _HUB_ALIASES
        # The name the user knows the registry by, and the key for credential lookup.
        self.registry = DOCKER_HUB if self.is_docker_hub else text.lower()
        api_host = _HUB_API if self.is_docker_hub else text
        loopback = is_loopback_host(host)
        if not scheme:
            scheme = "http" if (loopback and insecure_loopback) else "https"
        if scheme == "http" and not (loopback and insecure_loopback):
            raise Refused(
                f"KIOPS Desktop talks to the registry {self.registry} only over HTTPS: plain HTTP "
                "is allowed for registries on this computer (localhost) only.",
                hint=f"Use https://{text} or check the registry address.",
            )
        self.base_url = f"{scheme}://{api_host}"
        self.timeout = timeout
        self._insecure_loopback = insecure_loopback
        self._lookup = credentials
        self._creds_loaded = False
        self._creds: RegistryCredentials | None = None
        self._lock = threading.Lock()
        self._token_fetch = threading.Lock()
        self._tokens: dict[str, _Token] = {}
        self._scheme_seen: str | None = None  # "basic" / "bearer" once the registry has said so
        ctx = ssl.create_default_context()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx),
            _SameOriginRedirects(),
        )

    def __repr__(self) -> str:
        return f"RegistryClient({self.base_url!r})"

    @classmethod
    def for_image(cls, image: ImageRef | str, **kwargs: Any) -> tuple[RegistryClient, str]:
        """The client for an image's registry and the repository path to ask it about."""
        ref = parse_image_ref(image) if isinstance(image, str) else image
        client = cls(ref.registry or DOCKER_HUB, **kwargs)
        return client, ref.repository

    # ------------------------------------------------------------------ public API

    def tags(self, repository: str, *, page_size: int | None = None) -> list[str]:
        """All tags of the repository (following ``Link`` pagination), in the registry's order.
        ``page_size`` asks for pages of that many tags (registries may ignore it)."""
        repo = self._repo(repository)
        return self._paged(
            f"/v2/{repo}/tags/list",
            "tags",
            page_size,
            scope=_pull(repo),
            what=f"the tags of {self._name(repo)}",
            missing=f"The registry {self.registry} has no repository {repo}.",
        )

    def repositories(self, *, page_size: int | None = None) -> list[str]:
        """The registry's catalog (``/v2/_catalog``, following ``Link`` pagination). Docker Hub
        and many hosted registries do not offer it: they answer Forbidden/NotFound."""
        return self._paged(
            "/v2/_catalog",
            "repositories",
            page_size,
            scope="registry:catalog:*",
            what="the list of repositories",
            missing=f"The registry {self.registry} does not offer a list of its repositories.",
        )

    def _paged(
        self, path: str, key: str, page_size: int | None, *, scope: str, what: str, missing: str
    ) -> list[str]:
        query = f"?n={int(page_size)}" if page_size else ""
        url: str | None = f"{self.base_url}{path}{query}"
        result: list[str] = []
        seen: set[str] = set()
        while url and len(seen) < _MAX_PAGES:
            seen.add(url)
            resp = self._request("GET", url, scope=scope, what=what)
            if resp.status == 404:
                raise NotFound(
                    missing, hint="Check the image name, or whether the repository was deleted."
                )
            payload = self._json(resp, what)
            result.extend(t for t in payload.get(key) or [] if isinstance(t, str))
            nxt = parse_link_next(resp.header("Link"), resp.url)
            if nxt and not self._same_origin(nxt):
                log.warning("registry %s: ignoring a next-page link to another host", self.registry)
                nxt = None
            url = nxt if nxt not in seen else None
        return result

    def manifest_digest(self, repository: str, reference: str) -> str | None:
        """The manifest digest the registry serves for a tag (what ``repo@digest`` pins), or
        None when the tag (or repository) is unknown."""
        repo, ref = self._repo(repository), self._ref(reference)
        url = f"{self.base_url}/v2/{repo}/manifests/{ref}"
        what = f"the manifest of {self._name(repo)}:{ref}"
        resp = self._request("HEAD", url, scope=_pull(repo), what=what, accept=MANIFEST_ACCEPT)
        if resp.status == 404:
            return None
        digest = resp.header("Docker-Content-Digest")
        if digest and _DIGEST_RE.match(digest.strip()):
            return digest.strip()
        fetched = self._manifest(repo, ref)
        return fetched[0] if fetched else None

    def image_created(self, repository: str, reference: str) -> str | None:
        """When the image was built (``created`` of its config, RFC 3339), or None when unknown.
        For a manifest list / OCI index the linux/amd64 image is read, else the first one."""
        repo, ref = self._repo(repository), self._ref(reference)
        return self._inspect(repo, ref)[1]

    def versions(self, repository: str, *, limit: int = 50) -> list[ImageVersion]:
        """Every tag with its digest and creation time, newest first, at most ``limit``."""
        repo = self._repo(repository)
        tags = self.tags(repo)
        if not tags:
            return []
        name = self._name(repo)

        def one(tag: str) -> ImageVersion | None:
            digest, created = self._inspect(repo, tag)
            if digest is None:  # deleted between the list and the read
                return None
            return ImageVersion(
                repository=name,
                tag=tag,
                digest=digest,
                image_id=None,
                created=created,
                local=False,
                in_registry=True,
            )

        with ThreadPoolExecutor(max_workers=min(4, len(tags))) as pool:
            found = [v for v in pool.map(one, tags) if v is not None]
        return newest_first(found)[: max(0, limit)]

    # ------------------------------------------------------------------ manifests and blobs

    def _manifest(self, repo: str, ref: str) -> tuple[str, str, dict[str, Any]] | None:
        """(digest, media type, parsed manifest) or None when unknown."""
        url = f"{self.base_url}/v2/{repo}/manifests/{ref}"
        what = f"the manifest of {self._name(repo)}{'@' if ref.startswith('sha256:') else ':'}{ref}"
        resp = self._request(
            "GET", url, scope=_pull(repo), what=what, accept=MANIFEST_ACCEPT, limit=_MAX_MANIFEST
        )
        if resp.status == 404:
            return None
        manifest = self._json(resp, what)
        header = (resp.header("Docker-Content-Digest") or "").strip()
        digest = header if _DIGEST_RE.match(header) else compute_digest(resp.body)
        return digest, manifest_media_type(resp.header("Content-Type"), manifest), manifest

    def _inspect(self, repo: str, ref: str) -> tuple[str | None, str | None]:
        """(manifest digest, created) of a tag or digest; (None, None) when unknown."""
        top = self._manifest(repo, ref)
        if top is None:
            return None, None
        digest, media_type, manifest = top
        if media_type in INDEX_TYPES:
            entry = select_platform_manifest(manifest)
            child = str(entry.get("digest", "")) if entry else ""
            if not _DIGEST_RE.match(child):
                return digest, None
            inner = self._manifest(repo, child)
            if inner is None:
                return digest, None
            _, media_type, manifest = inner
        if media_type == DOCKER_SCHEMA1:
            return digest, _schema1_created(manifest)
        config = manifest.get("config")
        config_digest = str(config.get("digest", "")) if isinstance(config, Mapping) else ""
        if not _DIGEST_RE.match(config_digest):
            return digest, None
        blob = self._blob(repo, config_digest)
        if blob is None:
            return digest, None
        created = blob.get("created")
        return digest, created if isinstance(created, str) and created else None

    def _blob(self, repo: str, digest: str) -> dict[str, Any] | None:
        url = f"{self.base_url}/v2/{repo}/blobs/{digest}"
        what = f"the image configuration {digest[:19]} of {self._name(repo)}"
        resp = self._request("GET", url, scope=_pull(repo), what=what, limit=_MAX_BLOB)
        if resp.status == 404:
            return None
        if compute_digest(resp.body) != digest:
            raise ServerError(
                f"The registry {self.registry} sent {what} with content that does not match "
                "its digest."
            )
        return self._json(resp, what)

    # ------------------------------------------------------------------ requests and auth

    def _request(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        what: str,
        accept: str | None = None,
        limit: int = _MAX_MANIFEST,
    ) -> _Response:
        """Send with the best authorization we have; answer one 401 challenge and retry.
        Returns 2xx and 404 responses; raises for everything else."""
        headers = {"Accept": accept} if accept else {}
        auth = self._cached_authorization(scope)
        resp = self._send(method, url, headers, auth, what=what, limit=limit)
        if resp.status == 401:
            challenges = parse_www_authenticate(resp.header("WWW-Authenticate") or "")
            auth = self._answer(challenges, scope, what, sent=auth)
            if auth is not None:
                resp = self._send(method, url, headers, auth, what=what, limit=limit)
            if resp.status == 401:
                raise self._denied(what, resp)
        if resp.status == 403:
            creds = self._credentials()
            who = f" as {creds.username}" if creds else ""
            raise Forbidden(
                f"The registry {self.registry} does not allow reading {what}{who}.",
                hint="Ask the registry's administrator for pull access to the repository.",
            )
        if resp.status == 404 or 200 <= resp.status < 300:
            return resp
        raise self._status_error(resp, what)

    def _cached_authorization(self, scope: str) -> str | None:
        with self._lock:
            seen = self._scheme_seen
            token = self._tokens.get(scope)
            if token and token.expires_at <= time.monotonic():
                del self._tokens[scope]
                token = None
        if seen == "bearer" and token:
            return f"Bearer {token.value}"
        creds = self._credentials()
        if seen == "basic" and creds:
            return creds.basic_header()
        return None

    def _answer(
        self, challenges: list[Challenge], scope: str, what: str, *, sent: str | None
    ) -> str | None:
        """The Authorization header that answers the challenge (``sent`` is what the rejected
        request carried), or None when we have nothing better to send."""
        for ch in challenges:
            if ch.scheme == "bearer" and ch.params.get("realm"):
                with self._lock:
                    self._scheme_seen = "bearer"
                # one token fetch at a time: parallel requests for one scope share the token
                with self._token_fetch:
                    with self._lock:
                        cached = self._tokens.get(scope)
                    if (
                        cached
                        and cached.expires_at > time.monotonic()
                        and f"Bearer {cached.value}" != sent
                    ):
                        return f"Bearer {cached.value}"
                    token = self._fetch_token(ch.params, ch.params.get("scope", scope), what)
                    with self._lock:
                        self._tokens[scope] = token
                return f"Bearer {token.value}"
        for ch in challenges:
            if ch.scheme == "basic":
                with self._lock:
                    self._scheme_seen = "basic"
                creds = self._credentials()
                if creds is None or sent is not None:
                    return None
                return creds.basic_header()
        return None

    def _fetch_token(self, params: Mapping[str, str], scope: str, what: str) -> _Token:
        realm = params["realm"]
        parts = urllib.parse.urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerError(
                f"The registry {self.registry} named a token server that is not a web address."
            )
        if parts.scheme == "http" and not (
            self._insecure_loopback and is_loopback_host(parts.hostname)
        ):
            raise Refused(
                f"The registry {self.registry} sends KIOPS Desktop to a token server over plain "
                f"HTTP ({parts.netloc}); KIOPS Desktop asks token servers only over HTTPS."
            )
        query: list[tuple[str, str]] = []
        if params.get("service"):
            query.append(("service", params["service"]))
        if scope:
            query.append(("scope", scope))
        creds = self._credentials()
        if creds:
            query.append(("account", creds.username))
        sep = "&" if parts.query else "?"
        url = realm + (sep + urllib.parse.urlencode(query) if query else "")
        auth = creds.basic_header() if creds else None
        token_what = f"an access token for {what}"
        resp = self._send("GET", url, {}, auth, what=token_what, limit=_MAX_BLOB)
        if resp.status in (401, 403):
            if creds is None:
                raise self._login_needed(what)
            raise Unauthorized(
                f"The token server of {self.registry} rejected the credentials of "
                f"{creds.username}.",
                hint=f"Log in to {self.registry} again in KIOPS Desktop's Connections.",
            )
        if not 200 <= resp.status < 300:
            raise self._status_error(resp, token_what)
        payload = self._json(resp, token_what)
        value = payload.get("token") or payload.get("access_token")
        if not isinstance(value, str) or not value:
            raise ServerError(f"The token server of {self.registry} answered without a token.")
        try:
            ttl = float(payload.get("expires_in") or _TOKEN_DEFAULT_TTL)
        except (TypeError, ValueError):
            ttl = _TOKEN_DEFAULT_TTL
        return _Token(value, time.monotonic() + max(0.0, ttl - _TOKEN_MARGIN))

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        authorization: str | None,
        *,
        what: str,
        limit: int,
    ) -> _Response:
        req = urllib.request.Request(url, method=method, headers=dict(headers))
        req.add_header("User-Agent", "kiops-desktop")
        if authorization:
            req.add_unredirected_header("Authorization", authorization)
        log.debug("registry %s: %s %s", self.registry, method, url)
        target = urllib.parse.urlsplit(url).netloc
        try:
            try:
                with self._opener.open(req, timeout=self.timeout) as raw:
                    body = b"" if method == "HEAD" else _read_limited(raw, limit)
                    return _Response(raw.status, dict(raw.headers.items()), body, raw.geturl())
            except urllib.error.HTTPError as err:
                try:
                    body = b"" if method == "HEAD" else (err.read(_MAX_ERROR_BODY) or b"")
                except OSError:
                    body = b""
                finally:
                    err.close()
                hdrs = dict(err.headers.items()) if err.headers else {}
                return _Response(err.code, hdrs, body, err.geturl() or url)
        except OperationError:
            raise
        except _TooLarge:
            raise ServerError(
                f"The registry {self.registry} sent more data than expected for {what}."
            ) from None
        except urllib.error.URLError as err:
            raise self._transport_error(err.reason, target, what) from err
        except (OSError, http.client.HTTPException) as err:
            raise self._transport_error(err, target, what) from err

    # ------------------------------------------------------------------ errors

    def _transport_error(self, reason: object, target: str, what: str) -> OperationError:
        if isinstance(reason, ssl.SSLCertVerificationError):
            return TlsFailure(
                f"The certificate of {target} could not be verified "
                f"({reason.verify_message or 'untrusted'}), so KIOPS Desktop did not read {what}.",
                hint="If the registry uses a private CA, add it to the system's trusted "
                "certificates.",
            )
        if isinstance(reason, ssl.SSLError):
            return TlsFailure(
                f"The secure connection to {target} failed ({reason.reason or reason}).",
                hint="Check that the registry speaks HTTPS on this port.",
            )
        if isinstance(reason, TimeoutError):
            return TimedOut(
                f"The registry {self.registry} did not answer within {self.timeout:g} s "
                f"while KIOPS Desktop read {what}."
            )
        if isinstance(reason, ConnectionRefusedError):
            return Unreachable(
                f"The registry {self.registry} refused the connection ({target}): nothing is "
                "listening there.",
                hint="Check the registry address and that the registry is running.",
            )
        if isinstance(reason, socket.gaierror):
            return Unreachable(
                f"The registry host {target} could not be found.",
                hint="Check the registry address and your network connection or VPN.",
            )
        detail = str(reason) if reason else "connection failed"
        return Unreachable(
            f"The registry {self.registry} could not be reached ({target}): "
            f"{_redact(detail, self._secrets())}.",
            hint="Check the registry address and your network connection.",
        )

    def _status_error(self, resp: _Response, what: str) -> OperationError:
        message = self._registry_message(resp)
        suffix = f": {message}" if message else ""
        if resp.status == 429:
            return ServerError(
                f"The registry {self.registry} is rate-limiting requests (429) while KIOPS "
                f"Desktop read {what}{suffix}.",
                hint="Wait a while, or log in: registries give logged-in users higher limits.",
            )
        if resp.status >= 500:
            return ServerError(
                f"The registry {self.registry} failed ({resp.status}) while KIOPS Desktop read "
                f"{what}{suffix}.",
                hint="Try again later; if it persists, the registry's administrator can check "
                "its logs.",
            )
        return OperationError(
            f"The registry {self.registry} answered {resp.status} for {what}{suffix}."
        )

    def _denied(self, what: str, resp: _Response) -> OperationError:
        creds = self._credentials()
        if creds is None:
            return self._login_needed(what)
        challenges = parse_www_authenticate(resp.header("WWW-Authenticate") or "")
        insufficient = any(c.params.get("error") == "insufficient_scope" for c in challenges)
        if self._scheme_seen == "bearer" or insufficient:
            return Forbidden(
                f"The registry {self.registry} does not allow {creds.username} to read {what} "
                "(or the repository does not exist).",
                hint="Check the image name, or ask the registry's administrator for pull access.",
            )
        return Unauthorized(
            f"The registry {self.registry} rejected the user name and password of "
            f"{creds.username}.",
            hint=f"Log in to {self.registry} again in KIOPS Desktop's Connections.",
        )

    def _login_needed(self, what: str) -> Unauthorized:
        return Unauthorized(
            f"The registry {self.registry} requires a login to read {what}.",
            hint=f"Log in to {self.registry} in KIOPS Desktop's Connections.",
        )

    def _registry_message(self, resp: _Response) -> str:
        try:
            payload = json.loads(resp.body.decode("utf-8", "replace"))
            first = payload["errors"][0]
            text = str(first.get("message") or first.get("code") or "")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return ""
        return _redact(text[:200], self._secrets())

    # ------------------------------------------------------------------ small helpers

    def _credentials(self) -> RegistryCredentials | None:
        if not self._creds_loaded:
            creds = self._lookup(self.registry) if self._lookup else None
            with self._lock:
                self._creds, self._creds_loaded = creds, True
        return self._creds

    def _secrets(self) -> list[str]:
        with self._lock:
            tokens = [t.value for t in self._tokens.values()]
        creds = self._creds
        return ([creds.secret] if creds else []) + tokens

    def _json(self, resp: _Response, what: str) -> dict[str, Any]:
        try:
            payload = json.loads(resp.body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise ServerError(f"The registry {self.registry} sent {what} in a form not understood.")
        return payload

    def _same_origin(self, url: str) -> bool:
        a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(self.base_url)
        return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())

    def _name(self, repo: str) -> str:
        if self.is_docker_hub:
            return repo.removeprefix("library/")
        return f"{self.registry}/{repo}"

    def _repo(self, repository: str) -> str:
        try:
            ref = parse_image_ref(repository)
        except ImageRefError as exc:
            raise Invalid(str(exc)) from None
        if ref.registry or ref.tag or ref.digest:
            raise Invalid(
                f'"{repository}" is not a repository path: give it without registry, tag or '
                'digest, e.g. "shop/web".'
            )
        repo = ref.repository
        if self.is_docker_hub and "/" not in repo:
            repo = f"library/{repo}"
        return repo

    def _ref(self, reference: str) -> str:
        if _TAG_RE.match(reference) or _DIGEST_RE.match(reference):
            return reference
        raise Invalid(f'"{reference}" is neither a tag nor a sha256 digest.')


def _pull(repo: str) -> str:
    return f"repository:{repo}:pull"


def _schema1_created(manifest: Mapping[str, Any]) -> str | None:
    try:
        first = json.loads(manifest["history"][0]["v1Compatibility"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    created = first.get("created") if isinstance(first, dict) else None
    return created if isinstance(created, str) and created else None
