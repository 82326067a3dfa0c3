"""PATCH request bodies for the sandbox API server (K8S_ROLLOUT_SPEC §6.7, §5).

Three patch formats, as kubectl and the Python client send them:

* ``application/json-patch+json`` (RFC 6902, ``rollout undo``) - applied with the ``jsonpatch``
  library;
* ``application/merge-patch+json`` (RFC 7386, ``annotate``, ``scale``);
* ``application/strategic-merge-patch+json`` (``set image``, ``rollout pause|resume|restart``,
  a second ``apply``) - a port of the apply half of apimachinery's ``strategicpatch`` package.

Server-side apply is not served: its content type gets the apiserver's 415.

Every function returns a new document and leaves its arguments untouched. Errors are PatchError,
carrying the HTTP status and the message a real apiserver would send.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import jsonpatch
import jsonpointer

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "STRATEGIC_MERGE_PATCH",
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_patch",
    "apply_strategic_merge_patch",
]

JSON_PATCH: Final = "application/json-patch+json"
MERGE_PATCH: Final = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH: Final = "application/strategic-merge-patch+json"
APPLY_PATCH: Final = "application/apply-patch+yaml"

_UNSUPPORTED_MEDIA_TYPE: Final = (
    "the body of the request was in an unknown format - accepted media types include: "
    f"{JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}, {STRATEGIC_MERGE_PATCH}"
)
# What the apiserver's decoder says when the body is nested deeper than it will follow.
_TOO_DEEP: Final = "exceeded max depth"

_Json = Any  # a decoded JSON value: dict, list, str, int, float, bool or None
_Path = tuple[str, ...]  # field names from the document root down to a map (list items: list name)


class PatchError(Exception):
    """A patch the apiserver would refuse: ``status`` is 400, 415 or 422."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bad_request(message: str) -> PatchError:
    return PatchError(400, message)


# ------------------------------------------------------------------------------- dispatching


def apply_patch(document: dict[str, Any], content_type: str, body: bytes) -> dict[str, Any]:
    """Apply a PATCH request body according to its Content-Type (parameters are ignored)."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == JSON_PATCH:
        return apply_json_patch(document, _decode_body(body, "error decoding patch: "))
    if media_type == MERGE_PATCH:
        return apply_merge_patch(document, _decode_body(body, "error decoding patch: "))
    if media_type == STRATEGIC_MERGE_PATCH:
        patch = _decode_body(body, "")
        if not isinstance(patch, dict):
            raise _bad_request(_not_an_object(patch))
        return apply_strategic_merge_patch(document, patch)
    raise PatchError(415, _UNSUPPORTED_MEDIA_TYPE)


def _not_an_object(value: _Json) -> str:
    return f"json: cannot unmarshal {_json_kind(value)} into Go value of type map[string]interface {{}}"


# -------------------------------------------------------------------------------- JSON bodies


class _RejectedConstant(ValueError):
    """Python's json module reads NaN and Infinity; Go's, and so the apiserver, does not."""


def _reject_constant(name: str) -> _Json:
    raise _RejectedConstant(name)


def _decode_body(body: bytes, prefix: str) -> _Json:
    # Go's decoder replaces invalid UTF-8 inside strings with U+FFFD rather than failing.
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _bad_request(prefix + _go_syntax_error(text, exc)) from exc
    except _RejectedConstant as exc:
        name = str(exc)
        where = "in numeric literal" if name.startswith("-") else "looking for beginning of value"
        bad = name[1] if name.startswith("-") else name[0]
        raise _bad_request(f"{prefix}invalid character '{bad}' {where}") from exc
    except RecursionError as exc:
        raise _bad_request(prefix + _TOO_DEEP) from exc


# Python's messages for the same positions Go reports, and Go's wording for them.
_GO_SYNTAX_CONTEXTS: Final = (
    ("Expecting value", "looking for beginning of value"),
    ("Unexpected UTF-8 BOM", "looking for beginning of value"),
    ("Expecting property name", "looking for beginning of object key string"),
    ("Expecting ':' delimiter", "after object key"),
    ("Extra data", "after top-level value"),
    ("Invalid control character", "in string literal"),
    ("Illegal trailing comma before end of object", "looking for beginning of object key string"),
    ("Illegal trailing comma before end of array", "looking for beginning of value"),
)
_JSON_LITERALS: Final = ("true", "false", "null")


def _go_syntax_error(text: str, exc: json.JSONDecodeError) -> str:
    """Reword a Python JSON error the way Go's encoding/json reports it (apiserver messages)."""
    pos, message = exc.pos, exc.msg
    if message.startswith("Illegal trailing comma"):  # Python 3.13+ points at the comma
        pos = _skip_whitespace(text, pos + 1)
    if pos >= len(text) or message.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    if message.startswith("Invalid \\escape"):
        return f"invalid character {_go_char(text[pos + 1])} in string escape code"
    if message.startswith("Invalid \\u"):
        return _bad_unicode_escape(text, pos)
    if message.startswith("Expecting value") and text[pos] in "tfn-":
        return _bad_literal(text, pos)
    if message.startswith("Expecting ',' delimiter"):
        inside = (
            "object key:value pair" if _innermost_container(text, pos) == "{" else "array element"
        )
        return f"invalid character {_go_char(text[pos])} after {inside}"
    for python_text, go_context in _GO_SYNTAX_CONTEXTS:
        if message.startswith(python_text):
            return f"invalid character {_go_char(text[pos])} {go_context}"
    return message


def _skip_whitespace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _bad_unicode_escape(text: str, pos: int) -> str:
    # `pos` is at the "u" of "\u"; Go names the first character that is not a hex digit.
    for char in text[pos + 1 : pos + 5]:
        if char not in "0123456789abcdefABCDEF":
            return f"invalid character {_go_char(char)} in \\u hexadecimal character escape"
    return "unexpected end of JSON input"


def _bad_literal(text: str, pos: int) -> str:
    """A broken ``true``/``false``/``null`` or a lone minus sign."""
    if text[pos] == "-":
        if pos + 1 >= len(text):
            return "unexpected end of JSON input"
        return f"invalid character {_go_char(text[pos + 1])} in numeric literal"
    literal = next(word for word in _JSON_LITERALS if word[0] == text[pos])
    for offset in range(1, len(literal)):
        if pos + offset >= len(text):
            return "unexpected end of JSON input"
        if text[pos + offset] != literal[offset]:
            found = _go_char(text[pos + offset])
            return f"invalid character {found} in literal {literal} (expecting '{literal[offset]}')"
    return f"invalid character {_go_char(text[pos])} looking for beginning of value"


def _innermost_container(text: str, pos: int) -> str:
    """``{`` or ``[``: the bracket enclosing ``pos`` (Python words both cases the same)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _go_char(char: str) -> str:
    """Go's ``quoteChar``: it quotes the first *byte*, so non-ASCII shows as Latin-1."""
    first_byte = chr(char.encode("utf-8", errors="replace")[0])
    if first_byte == "'":
        return "'\\''"
    if first_byte == '"':
        return "'\"'"
    return repr(first_byte)[1:-1].join("''")


def _json_kind(value: _Json) -> str:
    """The JSON type name Go's ``UnmarshalTypeError`` uses."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _json_copy(value: _Json) -> _Json:
    """Deep copy of decoded JSON; several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


# ------------------------------------------------------------------------ RFC 6902 JSON patch


class _TersePointer(jsonpointer.JsonPointer):
    """A JSON pointer whose "member not found" errors do not embed the whole document.

    jsonpointer's default message appends the document it searched, which for a PATCH would
    echo the stored object - a Secret's data, say - back in the 422.
    """

    def walk(self, doc: Any, part: str | int) -> Any:
        if isinstance(doc, Mapping) and part not in doc:
            raise jsonpointer.JsonPointerException(f"member '{part}' not found")
        return super().walk(doc, part)


def apply_json_patch(document: dict[str, Any], patch: list[Any]) -> dict[str, Any]:
    """RFC 6902 operations, in order and all or nothing.

    A malformed operation is a 400; one that cannot apply (a missing path for ``replace`` or
    ``remove``, a failed ``test``) is a 422 with the patch library's message.
    """
    if not isinstance(patch, list):
        raise _bad_request(
            f"error decoding patch: json: cannot unmarshal {_json_kind(patch)} "
            "into Go value of type []handlers.jsonPatchOp"
        )
    for operation in patch:
        _check_json_patch_operation(operation)
    try:
        operations = jsonpatch.JsonPatch(patch, pointer_cls=_TersePointer)
    except (jsonpatch.InvalidJsonPatch, jsonpointer.JsonPointerException) as exc:
        raise _bad_request(str(exc)) from exc
    try:
        result = operations.apply(document)  # works on a deep copy
    except jsonpatch.InvalidJsonPatch as exc:  # e.g. "value" missing, found only when applying
        raise _bad_request(str(exc)) from exc
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise PatchError(422, str(exc)) from exc
    except RecursionError as exc:
        raise _bad_request(_TOO_DEEP) from exc
    if not isinstance(result, dict):
        raise PatchError(422, f"the patched document is a JSON {_json_kind(result)}, not an object")
    return result


def _check_json_patch_operation(operation: _Json) -> None:
    """The shape checks the apiserver's strict decoding does before applying anything."""
    if not isinstance(operation, dict):
        raise _bad_request(
            f"error decoding patch: json: cannot unmarshal {_json_kind(operation)} "
            "into Go value of type handlers.jsonPatchOp"
        )
    for member in ("op", "path", "from"):
        if member in operation and not isinstance(operation[member], str):
            raise _bad_request(
                f"error decoding patch: json: cannot unmarshal {_json_kind(operation[member])} "
                f"into Go struct field jsonPatchOp.{member} of type string"
            )
    if operation.get("op") in ("move", "copy") and "from" in operation:
        # jsonpatch only parses "from" while applying, where a bad pointer would look like a 422.
        try:
            _TersePointer(operation["from"])
        except jsonpointer.JsonPointerException as exc:
            raise _bad_request(str(exc)) from exc


# ----------------------------------------------------------------------- RFC 7386 merge patch


def apply_merge_patch(document: dict[str, Any], patch: object) -> dict[str, Any]:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces.

    The patch must be an object: any other JSON value would replace the whole Kubernetes
    object, which the apiserver refuses while decoding the patch (400).
    """
    if not isinstance(patch, dict):
        raise _bad_request("error decoding patch: " + _not_an_object(patch))
    try:
        merged: dict[str, Any] = _merge_patch_value(document, patch)
    except RecursionError as exc:
        raise _bad_request(_TOO_DEEP) from exc
    return merged


def _merge_patch_value(target: _Json, patch: _Json) -> _Json:
    if not isinstance(patch, dict):
        return _json_copy(patch)
    base = target if isinstance(target, dict) else {}
    merged: dict[str, Any] = {}
    for key, value in base.items():  # keep the target's key order; new keys go last
        if key not in patch:
            merged[key] = _json_copy(value)
        elif patch[key] is not None:
            merged[key] = _merge_patch_value(value, patch[key])
    for key, value in patch.items():
        if key not in base and value is not None:
            merged[key] = _merge_patch_value(None, value)
    return merged


# --------------------------------------------------------------------- strategic merge patch
#
# The algorithm is apimachinery's StrategicMergeMapPatch as the apiserver runs it (parallel
# lists merged, unmatched nulls ignored). Where upstream works from Go struct tags, this works
# from the table below. Behaviour deliberately differs only where upstream relies on its typed
# decoder to clean up afterwards: directives and nulls inside values that are taken over whole
# are removed here, and `$patch: delete` on a nested map removes the field.

_DIRECTIVE: Final = "$patch"
_DELETE: Final = "delete"
_REPLACE: Final = "replace"
_MERGE: Final = "merge"
_RETAIN_KEYS: Final = "$retainKeys"
_SET_ELEMENT_ORDER: Final = "$setElementOrder"
_DELETE_FROM_PRIMITIVE_LIST: Final = "$deleteFromPrimitiveList"

_SET_OF_SCALARS: Final = ""  # merge key of lists merged as sets of scalars (finalizers)

_CONTAINER_LISTS: Final = frozenset({"containers", "initContainers", "ephemeralContainers"})
_POD_SPEC_MERGE_KEYS: Final = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}

# (context of the map holding the list, list field) -> merge key: the `patchStrategy:"merge"`
# fields of the types the sandbox serves. The context matters because one field name can mean
# different lists: `ports` is keyed by containerPort in a container but by port in a Service
# spec, and `finalizers` merges in metadata but is replaced in a Namespace spec. Lists not
# listed here (command, args, tolerations, envFrom, ...) are atomic and simply replaced.
_MERGE_KEYS: Final[Mapping[tuple[str, str], str]] = {
    ("objectmeta", "ownerReferences"): "uid",
    ("objectmeta", "finalizers"): _SET_OF_SCALARS,
    # A pod template's spec, and the top-level spec of a Pod.
    **{("podspec", field): key for field, key in _POD_SPEC_MERGE_KEYS.items()},
    **{("spec", field): key for field, key in _POD_SPEC_MERGE_KEYS.items()},
    ("spec", "ports"): "port",  # a Service (PodSpec has no `ports`)
    ("container", "ports"): "containerPort",
    ("container", "env"): "name",
    ("container", "volumeMounts"): "mountPath",
    ("container", "volumeDevices"): "devicePath",
    # Deployment, ReplicaSet, Pod, Service, Namespace and Job statuses.
    ("status", "conditions"): "type",
    ("status", "podIPs"): "ip",
    ("status", "hostIPs"): "ip",
    ("status", "resourceClaimStatuses"): "name",
}


def _context(path: _Path) -> str:
    """Which kind of map ``path`` points at, as far as merge keys care."""
    if not path:
        return "root"
    if path[-1] == "metadata":
        return "objectmeta"
    if path[-1] in _CONTAINER_LISTS:
        return "container"
    if path == ("spec",):
        return "spec"
    if path == ("status",):
        return "status"
    if path[-2:] == ("template", "spec"):
        return "podspec"
    return "other"


def _merge_key(path: _Path, field: str) -> str | None:
    """The merge key of list ``field`` in the map at ``path``; None for an atomic list."""
    return _MERGE_KEYS.get((_context(path), field))


def apply_strategic_merge_patch(document: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Strategic merge patch: merge-patch semantics plus keyed lists and ``$`` directives.

    Lists with a merge key merge element by element; ``$patch`` (delete/replace),
    ``$setElementOrder/<list>``, ``$retainKeys`` and ``$deleteFromPrimitiveList/<list>`` are
    honoured and never left in the result.
    """
    if not isinstance(patch, dict):
        raise _bad_request(_not_an_object(patch))
    try:
        # Upstream merges in place; working on copies keeps the callers' objects intact.
        merged = _merge_map(_json_copy(document), _json_copy(patch), ())
    except RecursionError as exc:
        raise _bad_request(_TOO_DEEP) from exc
    return {} if merged is None else merged


def _merge_map(
    original: dict[str, Any], patch: dict[str, Any], path: _Path
) -> dict[str, Any] | None:
    """Merge ``patch`` into ``original`` (both owned by us); None means "delete this map"."""
    if _DIRECTIVE in patch:
        return _map_directive(patch, path)
    _apply_retain_keys(original, patch)
    _apply_element_orders(original, patch, path)  # consumes the lists it orders
    for key, value in list(patch.items()):
        _merge_field(original, key, value, path)
    return original


def _map_directive(patch: dict[str, Any], path: _Path) -> dict[str, Any] | None:
    directive = patch[_DIRECTIVE]
    if directive == _DELETE:
        return None
    if directive == _REPLACE:
        return _merge_map({}, {k: v for k, v in patch.items() if k != _DIRECTIVE}, path)
    raise _bad_request(f"unknown patch type: {_go_value(directive)} in map: {_go_value(patch)}")


def _merge_field(original: dict[str, Any], key: str, value: _Json, path: _Path) -> None:
    if key.startswith(_DELETE_FROM_PRIMITIVE_LIST):
        field = _directive_field(key, _DELETE_FROM_PRIMITIVE_LIST)
        _delete_from_primitive_list(original, field, value)
        return
    if value is None:
        original.pop(key, None)
        return
    current = original.get(key)
    if isinstance(current, dict) and isinstance(value, dict):
        merged = _merge_map(current, value, (*path, key))
        _store(original, key, merged)
    elif isinstance(current, list) and isinstance(value, list):
        original[key] = _merge_list(current, value, path, key)
    else:  # new field, scalar, or a change of type: the patch value is taken over
        _store(original, key, _materialize(value, (*path, key)))


def _store(target: dict[str, Any], key: str, value: _Json) -> None:
    if value is None:  # a map that deleted itself
        target.pop(key, None)
    else:
        target[key] = value


def _materialize(value: _Json, path: _Path) -> _Json:
    """A patch value taken over whole, cleaned of directives and nulls (None: drop it)."""
    if isinstance(value, dict):
        return _merge_map({}, value, path)
    if isinstance(value, list):
        return _materialize_list(value, path)
    return value


def _materialize_list(items: list[Any], path: _Path) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if isinstance(item, dict) and _DIRECTIVE in item:
            # Deleting from, or marking for replacement, a list that starts out empty.
            if item[_DIRECTIVE] not in (_DELETE, _REPLACE):
                raise _bad_request(
                    f"unknown patch type: {_go_value(item[_DIRECTIVE])} in map: {_go_value(item)}"
                )
            continue
        result.append(_materialize(item, path))
    return result


def _directive_field(key: str, prefix: str) -> str:
    """``$prefix/field`` -> ``field`` (upstream's extractKey)."""
    head, slash, field = key.partition("/")
    if not slash or head != prefix:
        kind = "setElementOrder list" if prefix == _SET_ELEMENT_ORDER else "primitive list"
        raise _bad_request(f"invalid patch format of {kind}")
    return field


# -- $retainKeys


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    """Drop every key of ``original`` not listed; kubectl sends it for ``strategy`` and volumes."""
    if _RETAIN_KEYS not in patch:
        return
    retained = patch.pop(_RETAIN_KEYS)
    if not isinstance(retained, list):
        raise _bad_request("invalid patch format of retainKeys")
    keep = {key for key in retained if isinstance(key, str)}
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM_PRIMITIVE_LIST, _SET_ELEMENT_ORDER)):
            continue
        if key not in keep:  # the patch sets a field it also asks to clear
            raise _bad_request("invalid patch format of retainKeys")
    for key in [key for key in original if key not in keep]:
        del original[key]


# -- $deleteFromPrimitiveList


def _delete_from_primitive_list(original: dict[str, Any], field: str, doomed: _Json) -> None:
    if doomed is None:  # upstream treats it like `field: null`
        original.pop(field, None)
        return
    current = original.get(field)
    # Like upstream, anything but a list on both sides (a missing field included) is ignored.
    if isinstance(current, list) and isinstance(doomed, list):
        tokens = {_token(item) for item in doomed}
        original[field] = [item for item in current if _token(item) not in tokens]


# -- lists


def _merge_list(original: list[Any], patch: list[Any], path: _Path, field: str) -> list[Any]:
    """Upstream's mergeSliceHandler: keyed lists merge, atomic lists are replaced."""
    merge_key = _merge_key(path, field)
    element_path = (*path, field)
    if merge_key is None:
        return _materialize_list(patch, element_path)
    if not original and not patch:
        return original
    kind = _element_kind(original, patch)
    if merge_key == _SET_OF_SCALARS:
        if kind == "object":
            raise _bad_request("cannot merge lists without merge key for string")
        return _ordered(_deduplicated([*original, *patch]), patch, original, _token)
    if kind != "object":
        _required_key((original or patch)[0], merge_key)  # raises: "expected a map"
    original, patch = _apply_list_directives(original, patch, merge_key, element_path)
    merged = _merge_elements(original, patch, merge_key, element_path)
    return _ordered(merged, patch, original, _key_token(merge_key))


def _element_kind(original: list[Any], patch: list[Any]) -> str:
    """The one JSON kind of all elements (upstream's sliceElementType)."""
    kinds = [_json_kind(item) for item in [*original, *patch]]
    if kinds[0] == "array":
        raise PatchError(422, "lists of lists are not supported")
    if any(kind != kinds[0] for kind in kinds):
        raise _bad_request(f"list element types are not identical: {_go_value([original, patch])}")
    return kinds[0]


def _deduplicated(items: list[Any]) -> list[Any]:
    """Scalars merged as a set: the first of equal values stays, in its place."""
    seen: dict[Hashable, Any] = {}
    for item in items:
        seen.setdefault(_token(item), item)
    return list(seen.values())


def _find(elements: list[Any], merge_key: str, wanted: Hashable) -> int | None:
    """Index of the first element that has ``merge_key`` with a value equal to ``wanted``."""
    for index, element in enumerate(elements):
        if merge_key in element and _token(element[merge_key]) == wanted:
            return index
    return None


def _apply_list_directives(
    original: list[Any], patch: list[Any], merge_key: str, path: _Path
) -> tuple[list[Any], list[Any]]:
    """Handle ``$patch`` elements: delete by key, or replace the whole list.

    Returns the list to merge into and the patch elements left to merge.
    """
    remaining: list[Any] = []
    replace = False
    for item in patch:
        directive = item.get(_DIRECTIVE)
        if _DIRECTIVE not in item:
            remaining.append(item)
        elif directive == _DELETE:
            doomed = _token(_required_key(item, merge_key))
            while (index := _find(original, merge_key, doomed)) is not None:
                original = original[:index] + original[index + 1 :]
        elif directive == _REPLACE:
            replace = True  # keep scanning: other `$patch` elements are still dropped
        elif directive == _MERGE:
            raise _bad_request("merging lists cannot yet be specified in the patch")
        else:
            raise _bad_request(
                f"unknown patch type: {_go_value(directive)} in map: {_go_value(item)}"
            )
    if replace:
        return _materialize_list(remaining, path), []
    return original, remaining


def _merge_elements(
    original: list[Any], patch: list[Any], merge_key: str, path: _Path
) -> list[Any]:
    """Merge each patch element into the first element with its key, or append it."""
    merged = list(original)
    for item in patch:
        index = _find(merged, merge_key, _token(_required_key(item, merge_key)))
        if index is None:
            merged.append(_materialize(item, path))
        else:  # a patch element carries no `$patch` here, so the merge never deletes it
            merged[index] = _merge_map(merged[index], item, path)
    return merged


def _required_key(item: _Json, merge_key: str) -> _Json:
    if not isinstance(item, dict):
        raise _bad_request(f"expected a map[string]interface {{}}, but received a {_go_type(item)}")
    if merge_key not in item:
        raise _bad_request(
            f"map: {_go_value(item)} does not contain declared merge key: {merge_key}"
        )
    return item[merge_key]


# -- element order


_TokenFn = Callable[[_Json], Hashable]


def _ordered(
    merged: list[Any], patch_order: list[Any], server_order: list[Any], token: _TokenFn
) -> list[Any]:
    """Upstream's element-order rule for a merged list.

    Elements named by the patch follow the patch's order; the others ("server-only") keep the
    live order, and are slotted in before a patch element that came after them in the live list.
    So a sidecar the server added stays where it was relative to the containers around it.
    """
    patch_rank = _ranks(patch_order, token)
    server_rank = _ranks(server_order, token)
    from_patch = [item for item in merged if token(item) in patch_rank]
    server_only = [item for item in merged if token(item) not in patch_rank]
    from_patch.sort(key=lambda item: patch_rank[token(item)])
    server_only.sort(key=lambda item: server_rank.get(token(item), len(server_order)))
    return _interleave(server_only, from_patch, server_rank, token)


def _ranks(items: Iterable[Any], token: _TokenFn) -> dict[Hashable, int]:
    ranks: dict[Hashable, int] = {}
    for index, item in enumerate(items):
        ranks.setdefault(token(item), index)
    return ranks


def _interleave(
    server_only: list[Any], from_patch: list[Any], server_rank: dict[Hashable, int], token: _TokenFn
) -> list[Any]:
    """Upstream's mergeSortedSlice: a server-only element goes first only if both elements are
    in the live list and it came earlier there."""
    result: list[Any] = []
    i = j = 0
    while i < len(server_only) and j < len(from_patch):
        left = server_rank.get(token(server_only[i]))
        right = server_rank.get(token(from_patch[j]))
        if left is not None and right is not None and left < right:
            result.append(server_only[i])
            i += 1
        else:
            result.append(from_patch[j])
            j += 1
    return result + server_only[i:] + from_patch[j:]


def _apply_element_orders(original: dict[str, Any], patch: dict[str, Any], path: _Path) -> None:
    """Process every ``$setElementOrder/<field>``: merge ``field`` now and fix its order."""
    for key in [k for k in patch if k.startswith(_SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        field = _directive_field(key, _SET_ELEMENT_ORDER)
        if not isinstance(order, list):
            raise _bad_request(f"expected a []interface {{}}, but received a {_go_type(order)}")
        for side in (original, patch):
            if field in side and not isinstance(side[field], list):
                raise _bad_request(
                    f"expected a []interface {{}}, but received a {_go_type(side[field])}"
                )
        merge_key = _merge_key(path, field)
        token = _token if not merge_key else _key_token(merge_key)
        live: list[Any] | None = original.get(field)
        patched: list[Any] | None = patch.pop(field, None)
        _check_order_covers_patch(patched or [], order, merge_key or "")
        if live is not None and patched is not None:
            merged = _merge_list(live, patched, path, field)
        elif patched is not None:
            merged = _materialize_list(patched, (*path, field))
        elif live is not None:
            merged = live
        else:
            continue
        original[field] = _ordered(merged, order, live or [], token)


def _check_order_covers_patch(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """The patch's elements must appear in the order list, in the same relative order."""
    if not patch_list or not order:
        return
    if merge_key:
        for item in patch_list:
            if not isinstance(item, dict):
                raise _bad_request(
                    f"expected a map[string]interface {{}}, but received a {_go_type(item)}"
                )
    candidates = [
        item
        for item in patch_list
        if not (isinstance(item, dict) and _DIRECTIVE in item)  # deletions need no place
    ]
    matched = 0
    for entry in order:
        if matched == len(candidates):
            break
        if _same_element(candidates[matched], entry, merge_key):
            matched += 1
    if matched < len(candidates):
        raise _bad_request(
            f"The order in patch list:\n{_go_value(patch_list)}\n doesn't match "
            f"{_SET_ELEMENT_ORDER} list:\n{_go_value(order)}\n"
        )


def _same_element(left: _Json, right: _Json, merge_key: str) -> bool:
    if not merge_key:
        return _token(left) == _token(right)
    return _token(_required_key(left, merge_key)) == _token(_required_key(right, merge_key))


def _token(value: _Json) -> Hashable:
    """A hashable stand-in for equality of JSON values: ``1`` and ``true`` differ, as in Go.

    Unlike Go, ``443`` and ``443.0`` are the same number here: upstream sees an int64 and a
    float64, but the sandbox stores whatever JSON it was given, so a port written as ``443.0``
    must still be found by kubectl's ``443``.
    """
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str | None):
        return ("scalar", value)
    return ("json", json.dumps(value, sort_keys=True))


def _key_token(merge_key: str) -> _TokenFn:
    def token(item: _Json) -> Hashable:
        return _token(_required_key(item, merge_key))

    return token


# -- Go-style rendering for error messages


def _go_type(value: _Json) -> str:
    """``reflect.TypeOf(v)`` as Go's ``%s`` prints it for a decoded JSON value."""
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "[]interface {}" if isinstance(value, list) else "map[string]interface {}"


def _go_value(value: _Json) -> str:
    """Go's ``%v`` of a decoded JSON value (maps print with sorted keys)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, list):
        return "[" + " ".join(_go_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{key}:{_go_value(value[key])}" for key in sorted(value))
        return "map[" + " ".join(pairs) + "]"
    return str(value)


def _go_float(number: float) -> str:
    """``%v`` of a float64: shortest digits, exponent form below 1e-4 and from 1e6 on."""
    if number == 0:
        return "0"
    decimal = Decimal(repr(number)).normalize()
    sign, digit_tuple, exponent = decimal.as_tuple()
    assert isinstance(exponent, int)  # finite: JSON has no NaN or infinities
    digits = "".join(map(str, digit_tuple))
    magnitude = len(digits) - 1 + exponent
    if -4 <= magnitude < 6:
        return format(decimal, "f")
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'-' if magnitude < 0 else '+'}{abs(magnitude):02d}"
