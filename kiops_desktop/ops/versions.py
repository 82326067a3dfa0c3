"""Deployable versions of a repository for the deploy dialog: local images and registry tags
merged into one list (each with digest, creation time and whether it runs now), lookup by commit,
and turning what the operator typed into the exact reference to deploy.

The merging, ordering, commit lookup and resolution are pure functions on ``ImageVersion`` values;
only ``image_versions`` and ``image_revisions`` talk to the engine and the registry (they block:
run them off the UI thread).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from kiops_desktop.core.images import (
    ImageRefError,
    ImageVersion,
    commit_of_tag,
    parse_image_ref,
    tag_matches_commit,
)
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine
from kiops_desktop.runtimes.registry import RegistryClient, newest_first

REVISION_LABEL = "org.opencontainers.image.revision"

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_DIGEST_PREFIX = re.compile(r"^(?:sha256:)?([0-9a-f]{6,64})$")
_SHA = re.compile(r"^[0-9a-f]{4,40}$")


# --------------------------------------------------------------------------- pure helpers


def repository_path(name: str) -> str:
    """The repository path without registry (``127.0.0.1:5000/shop/web`` -> ``shop/web``;
    Podman's ``localhost/shop/web`` -> ``shop/web``; Docker Hub ``library/x`` -> ``x``)."""
    try:
        path = parse_image_ref(name).repository
    except ImageRefError:
        path = name
    return path.removeprefix("library/")


def short_digest(digest: str) -> str:
    """``sha256:`` and the first 12 hex characters, as the CLIs show digests."""
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:12]}" if hexpart else digest[:19]


def merge_versions(
    local: Iterable[ImageVersion],
    remote: Iterable[ImageVersion],
    *,
    running_image_id: str | None = None,
    known_digests: Iterable[str] = (),
    repository: str = "",
) -> list[ImageVersion]:
    """One list of the local and registry versions, newest first.

    ``local`` versions carry in ``digest`` their digest *in the registry* the ``remote`` ones came
    from (None when unknown). A tag present on both sides with the same digest is one entry
    (local and in the registry); with different digests (the tag was overwritten in the registry)
    the registry entry is what a pull gets and the local image is listed pinnable by its digest
    (no tag: the tag no longer names it). Local images whose registry digest is unknown stay
    entries of their own. ``known_digests`` (``repo@sha256:...`` from backups; bare image ids are
    ignored) not found in the list are added as pinnable versions (tag None, digest set).
    """
    remote = list(remote)
    by_tag: dict[str, ImageVersion] = {v.tag: v for v in remote if v.tag}
    out: dict[tuple[str, str | None, str | None], ImageVersion] = {}
    merged: dict[str, ImageVersion] = {}
    for v in remote:
        if v.tag:
            merged[v.tag] = v
    for v in local:
        key: tuple[str, str | None, str | None]
        reg = by_tag.get(v.tag or "")
        if reg is not None and v.digest and v.digest == reg.digest:
            current = merged[reg.tag or ""]
            merged[reg.tag or ""] = replace(
                current,
                local=True,
                image_id=current.image_id or v.image_id,
                created=current.created or v.created,
            )
        elif reg is not None and v.digest and v.digest != reg.digest:
            # overwritten in the registry: the local image is reachable by its old digest only
            key = (reg.repository, None, v.digest)
            if key not in out:
                out[key] = replace(v, repository=reg.repository, tag=None, in_registry=False)
        else:
            key = (repository_path(v.repository), v.tag, v.image_id)
            if key not in out:
                out[key] = v
    versions = list(merged.values()) + list(out.values())
    seen_digests = {v.digest for v in versions if v.digest}
    path = repository_path(repository) if repository else None
    for known in known_digests:
        name, at, digest = known.rpartition("@")
        if not at or not _DIGEST.match(digest) or digest in seen_digests:
            continue
        if path is not None and repository_path(name) != path:
            continue
        seen_digests.add(digest)
        versions.append(
            ImageVersion(
                repository=name,
                tag=None,
                digest=digest,
                image_id=None,
                created=None,
                local=False,
                in_registry=False,
            )
        )
    if running_image_id:
        versions = [
            replace(v, running=True) if v.image_id == running_image_id else v for v in versions
        ]
    return sort_versions(versions)


def sort_versions(versions: Iterable[ImageVersion]) -> list[ImageVersion]:
    """Newest first (by ``created``); equal times by tag; versions without a time last, tagged
    ones before pinnable digests."""
    ordered = newest_first(versions)
    dated = [v for v in ordered if v.created]
    undated = sorted(
        (v for v in ordered if not v.created),
        key=lambda v: (v.tag is None, v.tag or "", v.digest or v.image_id or ""),
    )
    return dated + undated


def find_by_commit(
    versions: Iterable[ImageVersion], commit: str, *, revisions: Mapping[str, str] | None = None
) -> list[ImageVersion]:
    """Versions built from ``commit`` (4 to 40 hex characters): tags shaped
    ``${BRANCH}-${SHORT_SHA}``, and the ``org.opencontainers.image.revision`` label when known
    (``revisions`` maps image ids and digests to it, see ``image_revisions``). Order is kept."""
    commit = commit.strip().lower()
    if not _SHA.match(commit):
        return []
    revisions = revisions or {}
    out = []
    for v in versions:
        if v.tag and tag_matches_commit(v.tag, commit):
            out.append(v)
            continue
        for key in (v.image_id, v.digest):
            rev = revisions.get(key or "", "").strip().lower()
            if rev and (rev.startswith(commit) or (len(rev) >= 4 and commit.startswith(rev))):
                out.append(v)
                break
    return out


def _known_digest_text(versions: list[ImageVersion]) -> str:
    pinnable = [v.digest for v in versions if v.digest and not v.tag]
    digests = list(dict.fromkeys(pinnable or [v.digest for v in versions if v.digest]))
    if not digests:
        return "no earlier digest is known"
    return "known digests: " + ", ".join(short_digest(d) for d in digests) + " (pin one to go back)"


def _by_digest(versions: list[ImageVersion], hexpart: str) -> list[ImageVersion]:
    """Versions whose digest or image id starts with ``sha256:hexpart``."""
    want = f"sha256:{hexpart}"
    return [
        v
        for v in versions
        if (v.digest and v.digest.startswith(want)) or (v.image_id and v.image_id.startswith(want))
    ]


def _pin(v: ImageVersion, hexpart: str) -> str:
    if v.digest and v.digest.startswith(f"sha256:{hexpart}"):
        return f"{v.repository}@{v.digest}"
    return v.image_id or v.reference


def _one(matches: list[ImageVersion], what: str, pin: str | None = None) -> str:
    refs = list(dict.fromkeys(_pin(v, pin) if pin is not None else v.reference for v in matches))
    if len(refs) == 1:
        return refs[0]
    raise errors.Invalid(
        f"{what} matches {len(refs)} versions ({', '.join(refs)}); choose one of them."
    )


def _best_for_tag(matches: list[ImageVersion]) -> ImageVersion:
    """Local and in the registry, else what a pull gets, else the local image."""
    return sorted(matches, key=lambda v: (not (v.local and v.in_registry), not v.in_registry))[0]


def resolve_target(
    versions: Iterable[ImageVersion],
    wanted: str,
    *,
    repository: str,
    revisions: Mapping[str, str] | None = None,
) -> str:
    """The exact reference to deploy for what the operator typed: a tag, a digest (or an
    unambiguous prefix of 6+ hex characters), ``repo:tag``, ``repo@digest`` or a commit SHA.

    Raises ``Invalid`` for text that is no reference of ``repository`` or matches several versions,
    ``NotFound`` (with the known digests to pin, and the commit to rebuild from when the tag
    names one) when nothing deployable matches.
    """
    versions = list(versions)
    text = wanted.strip()
    if not text:
        raise errors.Invalid("Choose a version to deploy: a tag, a digest or a commit SHA.")
    path = repository_path(repository)
    lowered = text.lower()

    # a digest or image id, whole or an unambiguous prefix
    m = _DIGEST_PREFIX.match(lowered)
    if m and (lowered.startswith("sha256:") or not any(v.tag == text for v in versions)):
        hexpart = m.group(1)
        matches = _by_digest(versions, hexpart)
        if matches:
            return _one(matches, f"The digest {short_digest('sha256:' + hexpart)}", hexpart)
        if _DIGEST.match(lowered):
            # an exact digest nobody listed: deploying it asks the registry for exactly that
            pulled = [v.repository for v in versions if v.in_registry] or [repository]
            return f"{pulled[0]}@{lowered}"
        if lowered.startswith("sha256:"):
            raise errors.NotFound(
                f"No image of {repository} has a digest starting with {text}; "
                f"{_known_digest_text(versions)}."
            )
        # plain hex: fall through to the tag / commit lookup below

    tag = text
    if "@" in text or "/" in text or ":" in text:
        try:
            ref = parse_image_ref(text)
        except ImageRefError as exc:
            raise errors.Invalid(str(exc)) from None
        if repository_path(ref.name) != path:
            raise errors.Invalid(f"{text} is not an image of {repository}.")
        if ref.digest:
            hexpart = ref.digest.split(":", 1)[1]
            matches = [v for v in _by_digest(versions, hexpart) if v.digest == ref.digest]
            if matches and not ref.registry:
                return _one(matches, f"The digest {short_digest(ref.digest)}", hexpart)
            return f"{ref.name}@{ref.digest}"
        if not ref.tag:
            raise errors.Invalid(f"{text} names no tag or digest of {repository}.")
        tag = ref.tag
        matches = [
            v for v in versions if v.tag == tag and (not ref.registry or v.repository == ref.name)
        ]
        if matches:
            return _best_for_tag(matches).reference
    else:
        matches = [v for v in versions if v.tag == tag]
        if matches:
            return _best_for_tag(matches).reference

    # not a tag we know: a commit SHA?
    if _SHA.match(lowered) and tag == text:
        found = find_by_commit(versions, lowered, revisions=revisions)
        if found and len({v.tag for v in found}) == 1 and found[0].tag:
            return _best_for_tag(found).reference  # one tag (local and pulled copies of it)
        if found:
            return _one(found, f"The commit {lowered[:12]}")
        raise errors.NotFound(
            f"No image of {repository} was built from commit {lowered[:12]} (no tag or revision "
            f"label names it, here or in the registry); rebuild it from commit {lowered[:12]}."
        )
    commit = commit_of_tag(tag)
    if commit is not None:
        found = find_by_commit(versions, commit, revisions=revisions)
        if found:
            return _one(found, f"The commit {commit} of tag {tag}")
    sentence = (
        f"tag {tag} is gone from the registry and from this engine; {_known_digest_text(versions)}"
    )
    if commit is not None:
        sentence += f"; or rebuild it from commit {commit}"
    raise errors.NotFound(sentence[0].upper() + sentence[1:] + ".")


# --------------------------------------------------------------------------- I/O


def _registry_name(registry: RegistryClient, path: str, remote: list[ImageVersion]) -> str:
    if remote:
        return remote[0].repository
    if registry.is_docker_hub:
        return path
    return f"{registry.registry}/{path}"


def image_versions(
    engine: ContainerEngine,
    repository: str,
    *,
    registry: RegistryClient | None,
    running_image_id: str | None = None,
    known_digests: Iterable[str] = (),
) -> list[ImageVersion]:
    """Local images of ``repository`` and the registry's tags, merged (see ``merge_versions``),
    running one marked, newest first; digests known from backups (``BackupStore.known_digests``)
    that no tag names any more are listed as pinnable versions. Blocks: call off the UI thread.
    Registry failures other than an unknown repository are raised as they are."""
    path = repository_path(repository)
    remote: list[ImageVersion] = []
    reg_name: str | None = None
    if registry is not None:
        try:
            remote = registry.versions(path)
        except errors.NotFound:
            remote = []
        reg_name = _registry_name(registry, path, remote)

    names = list(dict.fromkeys(n for n in (repository, path, reg_name) if n))
    local: list[ImageVersion] = []
    digests_of: dict[str, list[str]] = {}
    for name in names:
        for v in engine.local_images(name):
            if reg_name is not None and v.image_id:
                if v.image_id not in digests_of:
                    digests_of[v.image_id] = engine.repo_digests(v.image_id)
                prefix = f"{reg_name}@"
                found = [d[len(prefix) :] for d in digests_of[v.image_id] if d.startswith(prefix)]
                if found:
                    digest: str | None = found[0]
                else:  # the engine's image list may know it when the inspect does not
                    digest = v.digest if v.repository == reg_name else None
                # whether the registry has it is decided by the merge, not by the engine
                v = replace(v, digest=digest, in_registry=False)
            local.append(v)

    known = list(known_digests)
    if running_image_id and not any(v.image_id == running_image_id for v in local):
        # the running image lost its tag (e.g. overwritten): still a version, by its digest
        if running_image_id not in digests_of:
            digests_of[running_image_id] = engine.repo_digests(running_image_id)
        known += [d for d in digests_of[running_image_id] if repository_path(d) == path]
    versions = merge_versions(
        local,
        remote,
        running_image_id=running_image_id,
        known_digests=known,
        repository=repository,
    )
    # pinnable digests that are still on this engine (untagged): mark them local
    out = []
    for v in versions:
        if v.tag is None and v.digest and not v.local:
            image_id = engine.image_id(f"{v.repository}@{v.digest}")
            if image_id:
                v = replace(v, local=True, image_id=image_id, running=image_id == running_image_id)
        out.append(v)
    return out


def image_revisions(engine: ContainerEngine, versions: Iterable[ImageVersion]) -> dict[str, str]:
    """The ``org.opencontainers.image.revision`` label of each local version, by image id and by
    digest (for ``find_by_commit`` / ``resolve_target``). Blocks: call off the UI thread."""
    out: dict[str, str] = {}
    for v in versions:
        if not v.image_id:
            continue
        if v.image_id not in out:
            config = engine.image_config(v.image_id) or {}
            rev = (config.get("Labels") or {}).get(REVISION_LABEL)
            if not rev:
                continue
            out[v.image_id] = str(rev)
        if v.digest:
            out[v.digest] = out[v.image_id]
    return out
