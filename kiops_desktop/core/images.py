"""Image references (``registry/repository:tag@sha256:digest``), image versions, and matching
tags to commits — the vocabulary of Docker/Podman redeploys (pure: no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_SHA = re.compile(r"^[0-9a-f]{4,40}$")


class ImageRefError(ValueError):
    """A malformed image reference, with a sentence saying what is wrong."""


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "" for Docker Hub / unqualified
    repository: str  # path without the registry, e.g. "shop/web"
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """Registry and repository, e.g. ``127.0.0.1:5000/shop/web``."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    def with_tag(self, tag: str) -> ImageRef:
        return ImageRef(self.registry, self.repository, tag, None)

    def with_digest(self, digest: str) -> ImageRef:
        return ImageRef(self.registry, self.repository, None, digest)

    @property
    def short_digest(self) -> str:
        return self.digest.split(":", 1)[1][:12] if self.digest else ""


def parse_image_ref(text: str) -> ImageRef:
    """Parse like the Docker CLI (distribution/reference), raising ImageRefError."""
    original = text
    text = text.strip()
    if not text:
        raise ImageRefError("The image reference is empty.")
    if any(ch.isspace() for ch in text):
        raise ImageRefError(f'"{original}" is not an image reference: it contains spaces.')
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise ImageRefError(
                f'"{original}" has a malformed digest: expected sha256: and 64 hex characters.'
            )
    tag = None
    last_slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > last_slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG.match(tag):
            raise ImageRefError(
                f'"{original}" has an invalid tag "{tag}": tags are letters, digits, "_", "." '
                'and "-", up to 128 characters.'
            )
    parts = text.split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, parts = parts[0], parts[1:]
    if not parts or not all(_COMPONENT.match(p) for p in parts):
        raise ImageRefError(
            f'"{original}" has an invalid repository name: use lower-case letters, digits and '
            'separators (".", "_", "-"), with "/" between path components.'
        )
    return ImageRef(registry, "/".join(parts), tag, digest)


@dataclass(frozen=True)
class ImageVersion:
    """One deployable version of a repository, from the local engine and/or the registry."""

    repository: str  # full name incl. registry
    tag: str | None
    digest: str | None  # repo digest (registry manifest digest) when known
    image_id: str | None  # local image id when present locally
    created: str | None  # RFC 3339, from the image config
    local: bool
    in_registry: bool
    running: bool = False

    @property
    def reference(self) -> str:
        """What to deploy: ``repo:tag``, or ``repo@digest`` when there is no tag."""
        if self.tag:
            return f"{self.repository}:{self.tag}"
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return self.image_id or self.repository


def commit_of_tag(tag: str) -> str | None:
    """The commit a ``${BRANCH}-${SHORT_SHA}`` tag names, if it has that shape."""
    head, sep, tail = tag.rpartition("-")
    if sep and head and _SHA.match(tail):
        return tail
    return None


def tag_matches_commit(tag: str, commit: str) -> bool:
    """True when the tag's short SHA and the commit hash (any length >= 4) agree."""
    short = commit_of_tag(tag)
    commit = commit.strip().lower()
    if short is None or len(commit) < 4 or not _SHA.match(commit[:40]):
        return False
    return commit.startswith(short) or short.startswith(commit)
