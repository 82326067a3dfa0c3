"""Turns a request path into what it addresses: a discovery document, a collection, an object
or an object's subresource."""

from __future__ import annotations

from dataclasses import dataclass

from . import resources as res
from .errors import ApiError
from .resources import ResourceType


@dataclass(frozen=True)
class Route:
    kind: str  # "resource", "discovery", "version", "openapi", "health"
    rt: ResourceType | None = None
    namespace: str | None = None  # None: all namespaces / cluster scope
    name: str = ""
    subresource: str = ""
    path: str = ""  # for discovery/openapi: what was asked


def _not_found() -> ApiError:
    return ApiError(404, "the server could not find the requested resource")


def route(path: str) -> Route:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return Route("discovery", path="/")
    if parts == ["version"]:
        return Route("version")
    if parts[0] in ("healthz", "readyz", "livez"):
        return Route("health")
    if parts[0] == "openapi":
        return Route("openapi", path="/".join(parts[1:]))
    if parts[0] == "api":
        if len(parts) <= 2:
            return Route("discovery", path="/".join(parts))
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis":
        if len(parts) <= 3:
            return Route("discovery", path="/".join(parts))
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _not_found()
    return _resolve(group, version, rest)


def _lookup(group: str, version: str, plural: str) -> ResourceType:
    rt = res.lookup(group, version, plural)
    if rt is None:
        raise _not_found()
    return rt


def _resolve(group: str, version: str, rest: list[str]) -> Route:
    # /namespaces/{ns}/{plural}[/{name}[/{sub}]] addresses namespaced resources;
    # /namespaces/{name}[/{sub}] addresses the Namespace object itself.
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and group == ""
        and rest[2] in ("status", "finalize")
    ):
        if len(rest) == 3:
            return Route("resource", res.NAMESPACES, None, rest[1], rest[2])
        raise _not_found()
    if rest[0] == "namespaces" and len(rest) >= 3:
        rt = _lookup(group, version, rest[2])
        if not rt.namespaced:
            raise _not_found()
        namespace = rest[1]
        if len(rest) == 3:
            return Route("resource", rt, namespace)
        if len(rest) == 4:
            return Route("resource", rt, namespace, rest[3])
        if len(rest) == 5 and rt.has_subresource(rest[4]):
            return Route("resource", rt, namespace, rest[3], rest[4])
        raise _not_found()
    rt = _lookup(group, version, rest[0])
    if len(rest) == 1:
        return Route("resource", rt, None)
    if rt.namespaced:
        raise _not_found()
    if len(rest) == 2:
        return Route("resource", rt, None, rest[1])
    if len(rest) == 3 and rt.has_subresource(rest[2]):
        return Route("resource", rt, None, rest[1], rest[2])
    raise _not_found()
