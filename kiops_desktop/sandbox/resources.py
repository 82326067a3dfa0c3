"""The resource types the sandbox serves, and their discovery documents (spec §6.1, §6.9).

One table drives routing, discovery (aggregated and legacy) and the minimal OpenAPI v3 document
that ``kubectl apply`` asks for, so a resource cannot be routable but undiscoverable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Subresource:
    name: str
    group: str
    version: str
    kind: str
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = field(default_factory=tuple)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    def has_subresource(self, name: str) -> bool:
        return any(sub.name == name for sub in self.subresources)


def _status(group: str, version: str, kind: str) -> Subresource:
    return Subresource("status", group, version, kind, ("get", "patch", "update"))


_SCALE = Subresource("scale", "autoscaling", "v1", "Scale", ("get", "patch", "update"))

RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        False,
        ("ns",),
        (),
        (
            _status("", "v1", "Namespace"),
            Subresource("finalize", "", "v1", "Namespace", ("update",)),
        ),
    ),
    ResourceType(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        True,
        ("po",),
        ("all",),
        (Subresource("log", "", "v1", "Pod", ("get",)), _status("", "v1", "Pod")),
    ),
    ResourceType("", "v1", "events", "event", "Event", True, ("ev",)),
    ResourceType("", "v1", "configmaps", "configmap", "ConfigMap", True, ("cm",)),
    ResourceType("", "v1", "secrets", "secret", "Secret", True),
    ResourceType(
        "",
        "v1",
        "services",
        "service",
        "Service",
        True,
        ("svc",),
        ("all",),
        (_status("", "v1", "Service"),),
    ),
    ResourceType(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        True,
        ("deploy",),
        ("all",),
        (_SCALE, _status("apps", "v1", "Deployment")),
    ),
    ResourceType(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        True,
        ("rs",),
        ("all",),
        (_SCALE, _status("apps", "v1", "ReplicaSet")),
    ),
    ResourceType(
        "batch", "v1", "jobs", "job", "Job", True, (), ("all",), (_status("batch", "v1", "Job"),)
    ),
)

BY_GROUP_PLURAL: dict[tuple[str, str], ResourceType] = {r.key: r for r in RESOURCES}
GROUP_VERSIONS: dict[str, str] = {r.group: r.version for r in RESOURCES}
NAMESPACES = BY_GROUP_PLURAL[("", "namespaces")]
PODS = BY_GROUP_PLURAL[("", "pods")]
EVENTS = BY_GROUP_PLURAL[("", "events")]
DEPLOYMENTS = BY_GROUP_PLURAL[("apps", "deployments")]
REPLICASETS = BY_GROUP_PLURAL[("apps", "replicasets")]

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    resource = BY_GROUP_PLURAL.get((group, plural))
    if resource is None or resource.version != version:
        return None
    return resource


def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(r: ResourceType) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "resource": r.plural,
        "responseKind": _gvk(r.group, r.version, r.kind),
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": _ALL_VERBS
        if r.plural != "namespaces"
        else ["create", "delete", "get", "list", "patch", "update", "watch"],
    }
    if r.short_names:
        doc["shortNames"] = list(r.short_names)
    if r.categories:
        doc["categories"] = list(r.categories)
    if r.subresources:
        doc["subresources"] = [
            {
                "subresource": s.name,
                "responseKind": _gvk(s.group, s.version, s.kind),
                "verbs": list(s.verbs),
            }
            for s in r.subresources
        ]
    return doc


def aggregated_discovery(core: bool) -> dict[str, Any]:
    """The ``APIGroupDiscoveryList`` for ``/api`` (core) or ``/apis`` (named groups)."""
    groups: dict[str, list[ResourceType]] = {}
    for r in RESOURCES:
        if (r.group == "") == core:
            groups.setdefault(r.group, []).append(r)
    items = []
    for group, resources in groups.items():
        metadata: dict[str, Any] = {"name": group} if group else {}
        metadata["creationTimestamp"] = None
        items.append(
            {
                "metadata": metadata,
                "versions": [
                    {
                        "version": resources[0].version,
                        "resources": [_aggregated_resource(r) for r in resources],
                        "freshness": "Current",
                    }
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def legacy_api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def legacy_group_list() -> dict[str, Any]:
    groups = []
    for group, version in GROUP_VERSIONS.items():
        if not group:
            continue
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def legacy_group(group: str) -> dict[str, Any] | None:
    version = GROUP_VERSIONS.get(group)
    if not group or version is None:
        return None
    gv = {"groupVersion": f"{group}/{version}", "version": version}
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": [gv],
        "preferredVersion": gv,
    }


def legacy_resource_list(group: str, version: str) -> dict[str, Any] | None:
    if GROUP_VERSIONS.get(group) != version:
        return None
    entries: list[dict[str, Any]] = []
    for r in RESOURCES:
        if r.group != group:
            continue
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": _ALL_VERBS,
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        entries.append(entry)
        for s in r.subresources:
            sub: dict[str, Any] = {
                "name": f"{r.plural}/{s.name}",
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind,
                "verbs": list(s.verbs),
            }
            if (s.group, s.version) != (r.group, r.version):
                sub["group"] = s.group
                sub["version"] = s.version
            entries.append(sub)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


def _openapi_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_index() -> dict[str, Any]:
    """Enough OpenAPI v3 for kubectl's field-validation probe (spec §6.9)."""
    paths = {}
    for group, version in GROUP_VERSIONS.items():
        path = _openapi_path(group, version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash=KIOPS{len(path)}"}
    return {"paths": paths}


def openapi_v3_group(path: str) -> dict[str, Any] | None:
    """One group-version document: a ``patch`` operation per kind, no request bodies."""
    for group, version in GROUP_VERSIONS.items():
        if path != _openapi_path(group, version):
            continue
        paths: dict[str, Any] = {}
        for r in RESOURCES:
            if r.group != group:
                continue
            prefix = f"/{path}/namespaces/{{namespace}}" if r.namespaced else f"/{path}"
            paths[f"{prefix}/{r.plural}/{{name}}"] = {
                "patch": {
                    "x-kubernetes-group-version-kind": _gvk(r.group, r.version, r.kind),
                    "parameters": [
                        {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
                    ],
                }
            }
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.37.0"},
            "paths": paths,
        }
    return None
