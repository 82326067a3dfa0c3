"""Decoding of the Kubernetes protobuf envelope for the few kinds kubectl sends that way.

kubectl's typed clients (``kubectl create namespace|configmap|secret``) send protobuf request
bodies and do not fall back to JSON on a 415, so the sandbox reads them: the ``k8s\\0`` magic, a
``runtime.Unknown`` envelope, then the object message, decoded with a small schema per kind into
the same JSON shape the API serves. Other kinds are refused with a sentence.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"

# A schema maps a field number to (json name, type). Types: "string", "bytes", "int", "bool",
# "time", ("message", schema), ("repeated", type), ("map", value type).
Schema = dict[int, tuple[str, Any]]

_TIME: Schema = {1: ("seconds", "int"), 2: ("nanos", "int")}
_OWNER_REFERENCE: Schema = {
    5: ("apiVersion", "string"),
    1: ("kind", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    6: ("controller", "bool"),
    7: ("blockOwnerDeletion", "bool"),
}
_OBJECT_META: Schema = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    5: ("uid", "string"),
    6: ("resourceVersion", "string"),
    7: ("generation", "int"),
    8: ("creationTimestamp", "time"),
    11: ("labels", ("map", "string")),
    12: ("annotations", ("map", "string")),
    13: ("ownerReferences", ("repeated", ("message", _OWNER_REFERENCE))),
    14: ("finalizers", ("repeated", "string")),
}
_QUANTITY: Schema = {1: ("string", "string")}
_INT_OR_STRING: Schema = {1: ("type", "int"), 2: ("intVal", "int"), 3: ("strVal", "string")}
_LABEL_SELECTOR: Schema = {
    1: ("matchLabels", ("map", "string")),
    2: (
        "matchExpressions",
        (
            "repeated",
            (
                "message",
                {
                    1: ("key", "string"),
                    2: ("operator", "string"),
                    3: ("values", ("repeated", "string")),
                },
            ),
        ),
    ),
}
_CONTAINER: Schema = {
    1: ("name", "string"),
    2: ("image", "string"),
    3: ("command", ("repeated", "string")),
    4: ("args", ("repeated", "string")),
    5: ("workingDir", "string"),
    6: (
        "ports",
        (
            "repeated",
            (
                "message",
                {
                    1: ("name", "string"),
                    2: ("hostPort", "int"),
                    3: ("containerPort", "int"),
                    4: ("protocol", "string"),
                },
            ),
        ),
    ),
    7: ("env", ("repeated", ("message", {1: ("name", "string"), 2: ("value", "string")}))),
    8: (
        "resources",
        (
            "message",
            {
                1: ("limits", ("map", ("message", _QUANTITY))),
                2: ("requests", ("map", ("message", _QUANTITY))),
            },
        ),
    ),
    14: ("imagePullPolicy", "string"),
}
_POD_SPEC: Schema = {
    2: ("containers", ("repeated", ("message", _CONTAINER))),
    3: ("restartPolicy", "string"),
    8: ("serviceAccountName", "string"),
    20: ("initContainers", ("repeated", ("message", _CONTAINER))),
}
_POD_TEMPLATE: Schema = {
    1: ("metadata", ("message", _OBJECT_META)),
    2: ("spec", ("message", _POD_SPEC)),
}
_DEPLOYMENT_SPEC: Schema = {
    1: ("replicas", "int"),
    2: ("selector", ("message", _LABEL_SELECTOR)),
    3: ("template", ("message", _POD_TEMPLATE)),
    4: (
        "strategy",
        (
            "message",
            {
                1: ("type", "string"),
                2: (
                    "rollingUpdate",
                    ("message", {1: ("maxUnavailable", "intorstr"), 2: ("maxSurge", "intorstr")}),
                ),
            },
        ),
    ),
    5: ("minReadySeconds", "int"),
    6: ("revisionHistoryLimit", "int"),
    7: ("paused", "bool"),
    9: ("progressDeadlineSeconds", "int"),
}

SCHEMAS: dict[str, Schema] = {
    "Deployment": {
        1: ("metadata", ("message", _OBJECT_META)),
        2: ("spec", ("message", _DEPLOYMENT_SPEC)),
    },
    "Namespace": {
        1: ("metadata", ("message", _OBJECT_META)),
        2: ("spec", ("message", {1: ("finalizers", ("repeated", "string"))})),
        3: ("status", ("message", {1: ("phase", "string")})),
    },
    "ConfigMap": {
        1: ("metadata", ("message", _OBJECT_META)),
        2: ("data", ("map", "string")),
        3: ("binaryData", ("map", "bytes")),
        4: ("immutable", "bool"),
    },
    "Secret": {
        1: ("metadata", ("message", _OBJECT_META)),
        2: ("data", ("map", "bytes")),
        3: ("type", "string"),
        4: ("stringData", ("map", "string")),
        5: ("immutable", "bool"),
    },
}


class ProtobufError(ValueError):
    """The body is not a protobuf object the sandbox can read."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, raw value) for every field in a message."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value = data[pos : pos + length]
            if len(data) < pos + length:
                raise ProtobufError("truncated field")
            pos += length
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _scalar(kind: Any, raw: Any) -> Any:
    if kind == "string":
        return bytes(raw).decode("utf-8")
    if kind == "bytes":
        return base64.b64encode(bytes(raw)).decode()
    if kind == "int":
        return raw - (1 << 64) if raw >= 1 << 63 else raw
    if kind == "bool":
        return bool(raw)
    if kind == "time":
        fields = decode_message(bytes(raw), _TIME)
        if not fields.get("seconds"):
            return None  # Go's zero time: the field is unset
        moment = datetime.fromtimestamp(fields.get("seconds", 0), UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "intorstr":
        fields = decode_message(bytes(raw), _INT_OR_STRING)
        return fields.get("strVal", "") if fields.get("type") == 1 else fields.get("intVal", 0)
    if isinstance(kind, tuple) and kind[0] == "message":
        message = decode_message(bytes(raw), kind[1])
        # resource.Quantity travels as a message holding its string form
        return message["string"] if kind[1] is _QUANTITY else message
    raise ProtobufError(f"unknown schema type {kind!r}")


def _empty(value: Any) -> bool:
    return value in ("", 0, False, None) or value == {} or value == []


def decode_message(data: bytes, schema: Schema) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for number, _, raw in _fields(data):
        if number not in schema:
            continue  # fields kubectl never sets for these kinds
        name, kind = schema[number]
        if isinstance(kind, tuple) and kind[0] == "repeated":
            result.setdefault(name, []).append(_scalar(kind[1], raw))
        elif isinstance(kind, tuple) and kind[0] == "map":
            entry = {n: v for n, _, v in _fields(bytes(raw))}
            key = bytes(entry.get(1, b"")).decode("utf-8")
            result.setdefault(name, {})[key] = _scalar(kind[1], entry.get(2, b""))
        else:
            result[name] = _scalar(kind, raw)
    keep = ("data", "stringData", "replicas", "resources")
    return {k: v for k, v in result.items() if not _empty(v) or k in keep}


def decode_object(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object, or ProtobufError with a sentence."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic")
    envelope = {n: v for n, _, v in _fields(body[len(MAGIC) :])}
    type_meta = {n: v for n, _, v in _fields(bytes(envelope.get(1, b"")))}
    api_version = bytes(type_meta.get(1, b"")).decode()
    kind = bytes(type_meta.get(2, b"")).decode()
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ProtobufError(
            f"the sandbox reads protobuf only for {', '.join(sorted(SCHEMAS))}, not {kind!r}; "
            "send JSON instead (for example kubectl apply -f)"
        )
    obj = decode_message(bytes(envelope.get(2, b"")), schema)
    return {"apiVersion": api_version, "kind": kind, **obj}
