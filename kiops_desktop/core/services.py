"""The one record every screen uses for "a service", whatever runs it (pure data)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from .workloads import DeploymentSummary

DEFAULT_PRODUCTION_PATTERNS: tuple[str, ...] = ("prod", "production", "prd", "live")


@dataclass(frozen=True)
class Service:
    runtime: str  # "kubernetes", "docker", "podman"
    context: str  # kubeconfig context, Docker context or Podman connection
    namespace: str  # Kubernetes namespace; compose project or "" for engines
    name: str
    image: str  # the first container's image; more are in ``images``
    revision: str  # Kubernetes revision number, or the image tag for engines
    ready: str  # "3/3"
    status: str
    last_change: str  # ISO time
    images: tuple[str, ...] = ()
    production: bool = False

    # Cached: tables ask for these for every row on every refresh. (cached_property writes the
    # instance __dict__ directly, so it works on a frozen dataclass; eq/hash ignore it.)
    @cached_property
    def key(self) -> str:
        """Stable identity, also the task runner's mutation key for this service."""
        return f"{self.runtime}/{self.context}/{self.namespace}/{self.name}"

    @property
    def connection(self) -> str:
        """The context selector's entry: the kubeconfig context's name, or "docker:NAME" /
        "podman:NAME" for an engine connection (a Docker context may share a kube context's
        name)."""
        return self.context if self.runtime == "kubernetes" else f"{self.runtime}:{self.context}"

    @cached_property
    def search_text(self) -> str:
        """Lower-cased text of every shown field, for the filter box; computed where the record
        is made (a worker thread), not on the UI thread."""
        return "\x00".join(
            (
                self.name,
                self.runtime,
                self.context,
                self.namespace,
                self.image,
                self.revision,
                self.ready,
                self.status,
                *self.images,
            )
        ).lower()

    @property
    def title(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{where}{self.name}"


def is_production(context: str, patterns: Iterable[str] = DEFAULT_PRODUCTION_PATTERNS) -> bool:
    """True when a pattern appears in the context name as a word of its own.

    "prod-eu", "eu_prod", "gke_acme_live_1" match "prod"/"live"; "product-catalog" and
    "delivery" do not: matching substrings would badge half of a fleet and teach operators to
    ignore the badge.
    """
    words = [w for w in re.split(r"[^a-z0-9]+", context.lower()) if w]
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if not pattern:
            continue
        if any(ch in pattern for ch in "*?["):
            regex = re.compile(
                "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
            )
            if regex.match(context.lower()):
                return True
        elif pattern in words:
            return True
    return False


def kubernetes_service(
    context: str, summary: DeploymentSummary, *, production: bool = False
) -> Service:
    return Service(
        runtime="kubernetes",
        context=context,
        namespace=summary.namespace,
        name=summary.name,
        image=summary.images[0] if summary.images else "",
        revision=str(summary.revision) if summary.revision is not None else "",
        ready=summary.ready_text,
        status=summary.status,
        last_change=summary.last_change,
        images=summary.images,
        production=production,
    )
