"""Label and field selectors, as the API server parses and evaluates them (K8S_ROLLOUT_SPEC §6.6).

Ported from apimachinery's ``pkg/labels/selector.go`` (lexer, parser, requirement rules),
``pkg/fields/selector.go`` (term splitting and value escapes) and the per-kind field-label tables of
the core registry, so that kubectl gets the same answers - and, for bad input, the same error text -
as from a real server.

Selectors are compiled once into predicates: listing thousands of objects then costs one small
closure call per object, with no parsing or allocation on that path.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "FieldPredicate",
    "LabelPredicate",
    "SelectorError",
    "compile_label_selector",
    "label_selector_matches",
    "label_selector_to_string",
    "parse_field_selector",
    "parse_label_selector",
]

LabelPredicate = Callable[[Mapping[str, str] | None], bool]
FieldPredicate = Callable[[Mapping[str, Any]], bool]


class SelectorError(ValueError):
    """A selector the API server would refuse; ``str()`` is the message of its 400 BadRequest."""


# ------------------------------------------------------------------------------ requirements

# selection.Operator values; their spelling shows up in parser error messages.
_EXISTS: Final = "exists"
_DOES_NOT_EXIST: Final = "!"
_EQUALS: Final = "="
_DOUBLE_EQUALS: Final = "=="
_NOT_EQUALS: Final = "!="
_IN: Final = "in"
_NOT_IN: Final = "notin"
_GREATER_THAN: Final = "gt"
_LESS_THAN: Final = "lt"

_EMPTY_LABELS: Final[Mapping[str, str]] = MappingProxyType({})
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_INTEGER_RE: Final = re.compile(r"[+-]?[0-9]+")

_RequirementCheck = Callable[[Mapping[str, str]], bool]


@dataclass(frozen=True, slots=True)
class _Requirement:
    """One comma-separated term of a selector; built only by `_new_requirement`."""

    key: str
    operator: str
    values: tuple[str, ...]

    def render(self) -> str:
        """``Requirement.String()``: the form kubectl puts into ``?labelSelector=``."""
        if self.operator == _EXISTS:
            return self.key
        if self.operator == _DOES_NOT_EXIST:
            return "!" + self.key
        values = ",".join(sorted(self.values))
        if self.operator in (_IN, _NOT_IN):
            return f"{self.key} {self.operator} ({values})"
        symbol = {_GREATER_THAN: ">", _LESS_THAN: "<"}.get(self.operator, self.operator)
        return f"{self.key}{symbol}{values}"

    def check(self) -> _RequirementCheck:
        """A predicate over a (never ``None``) label map, specialised per operator for speed."""
        key = self.key
        if self.operator == _EXISTS:
            return lambda labels: key in labels
        if self.operator == _DOES_NOT_EXIST:
            return lambda labels: key not in labels
        if self.operator in (_GREATER_THAN, _LESS_THAN):
            return _integer_comparison(key, self.operator, int(self.values[0]))
        if len(self.values) == 1:
            value = self.values[0]
            if self.operator in (_NOT_EQUALS, _NOT_IN):
                # A missing label satisfies `!=` and `notin` (get() yields None, never a value).
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
        allowed = frozenset(self.values)
        if self.operator == _NOT_IN:
            return lambda labels: labels.get(key) not in allowed
        return lambda labels: labels.get(key) in allowed


def _integer_comparison(key: str, operator: str, bound: int) -> _RequirementCheck:
    def compare(labels: Mapping[str, str]) -> bool:
        actual = _parse_int64(labels.get(key))
        if actual is None:  # missing or not an integer: the apiserver says "no match"
            return False
        return actual > bound if operator == _GREATER_THAN else actual < bound

    return compare


def _parse_int64(text: object) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, 64)``, or None where it would fail."""
    if not isinstance(text, str) or not _INTEGER_RE.fullmatch(text):
        return None
    value = int(text)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _new_requirement(key: object, operator: str, values: Sequence[object]) -> _Requirement:
    """apimachinery's ``NewRequirement``: validates, then builds; errors are aggregated."""
    if not isinstance(key, str) or not all(isinstance(v, str) for v in values):
        raise SelectorError(f"label selector keys and values must be strings: {key!r} {values!r}")
    strings = tuple(str(v) for v in values)
    errors: list[str] = []
    key_problems = _label_key_problems(key)
    if key_problems:
        errors.append(_invalid("key", key, "; ".join(key_problems)))
    errors.extend(_operator_value_problems(operator, strings))
    for index, value in enumerate(strings):
        value_problems = _label_value_problems(value)
        if value_problems:
            errors.append(_invalid(f"values[{index}][{key}]", value, "; ".join(value_problems)))
    if errors:
        raise SelectorError(_aggregate(errors))
    return _Requirement(key, operator, strings)


def _operator_value_problems(operator: str, values: tuple[str, ...]) -> list[str]:
    shown = _go_string_slice(values)
    if operator in (_IN, _NOT_IN) and not values:
        return [
            _invalid_raw("values", shown, "for 'in', 'notin' operators, values set can't be empty")
        ]
    if operator in (_EQUALS, _DOUBLE_EQUALS, _NOT_EQUALS) and len(values) != 1:
        return [
            _invalid_raw("values", shown, "exact-match compatibility requires one single value")
        ]
    if operator in (_EXISTS, _DOES_NOT_EXIST) and values:
        return [
            _invalid_raw("values", shown, "values set must be empty for exists and does not exist")
        ]
    if operator in (_GREATER_THAN, _LESS_THAN):
        problems: list[str] = []
        if len(values) != 1:
            problems.append(
                _invalid_raw(
                    "values", shown, "for 'Gt', 'Lt' operators, exactly one value is required"
                )
            )
        for index, value in enumerate(values):
            if _parse_int64(value) is None:
                problems.append(
                    _invalid(
                        f"values[{index}]",
                        value,
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    )
                )
        return problems
    return []


def _invalid(field: str, value: str, detail: str) -> str:
    """``field.Invalid(path, value, detail).Error()`` for a string value."""
    return _invalid_raw(field, _go_quote(value), detail)


def _invalid_raw(field: str, shown_value: str, detail: str) -> str:
    return f"{field}: Invalid value: {shown_value}: {detail}"


def _go_string_slice(values: Sequence[str]) -> str:
    """Go's ``%#v`` of a ``[]string``, which is how field errors show a bad value list."""
    if not values:
        return "[]string(nil)"
    return "[]string{" + ", ".join(_go_quote(v) for v in values) + "}"


def _go_quote(text: str) -> str:
    """Close enough to Go's ``%q`` for the error messages (same for every printable string)."""
    return json.dumps(text, ensure_ascii=False)


def _aggregate(errors: list[str]) -> str:
    """``utilerrors.Aggregate.Error()``: one error bare, several deduplicated inside brackets."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# ------------------------------------------------------------------------- label/value syntax
# k8s.io/apimachinery/pkg/util/validation: the same checks and wording as the apiserver.

_LABEL_NAME_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_NAME_RE: Final = re.compile(_LABEL_NAME_FMT)
_LABEL_NAME_MSG: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT: Final = f"({_LABEL_NAME_FMT})?"
_LABEL_VALUE_RE: Final = re.compile(_LABEL_VALUE_FMT)
_LABEL_VALUE_MSG: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT: Final = f"{_DNS1123_LABEL_FMT}(\\.{_DNS1123_LABEL_FMT})*"
_DNS1123_SUBDOMAIN_RE: Final = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_MSG: Final = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_MAX_NAME_LENGTH: Final = 63
_MAX_SUBDOMAIN_LENGTH: Final = 253


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """``validation.RegexError`` - including its double space before each "or"."""
    shown = "".join(("" if i == 0 else " or ") + f"'{e}', " for i, e in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def _label_key_problems(key: str) -> list[str]:
    """``validation.IsLabelKey`` (a.k.a. IsQualifiedName): an optional DNS prefix and a name."""
    prefix, slash, name = key.partition("/")
    if not slash:
        prefix, name = "", key
    elif "/" in name:
        return [
            "a valid label key "
            + _regex_error(_LABEL_NAME_MSG, _LABEL_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    problems: list[str] = []
    if slash:
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems.extend("prefix part " + p for p in _dns_subdomain_problems(prefix))
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > _MAX_NAME_LENGTH:
        problems.append(f"name part must be no more than {_MAX_NAME_LENGTH} characters")
    if not _LABEL_NAME_RE.fullmatch(name):
        problems.append(
            "name part "
            + _regex_error(_LABEL_NAME_MSG, _LABEL_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return problems


def _dns_subdomain_problems(text: str) -> list[str]:
    problems: list[str] = []
    if len(text) > _MAX_SUBDOMAIN_LENGTH:
        problems.append(f"must be no more than {_MAX_SUBDOMAIN_LENGTH} characters")
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(text):
        problems.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return problems


def _label_value_problems(value: str) -> list[str]:
    problems: list[str] = []
    if len(value) > _MAX_NAME_LENGTH:
        problems.append(f"must be no more than {_MAX_NAME_LENGTH} characters")
    if not _LABEL_VALUE_RE.fullmatch(value):
        problems.append(
            _regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")
        )
    return problems


# ------------------------------------------------------------------------- label selector text

# Token kinds. Keywords and symbols use their own spelling; identifiers and the end get names.
_IDENTIFIER: Final = "identifier"
_END: Final = "end of string"
_SYMBOLS: Final = frozenset({")", ",", "!", "==", "=", ">", "<", "!=", "("})
_KEYWORDS: Final = frozenset({_IN, _NOT_IN})
_SPECIAL_CHARS: Final = frozenset("=!(),><")
_WHITESPACE: Final = frozenset(" \t\r\n")
_BINARY_OPERATORS: Final = {
    _IN: _IN,
    _NOT_IN: _NOT_IN,
    "=": _EQUALS,
    "==": _DOUBLE_EQUALS,
    "!=": _NOT_EQUALS,
    ">": _GREATER_THAN,
    "<": _LESS_THAN,
}
_BINARY_OPERATOR_LIST: Final = "in, notin, =, ==, !=, gt, lt"

_Token = tuple[str, str]  # (kind, literal)


def _tokenize(text: str) -> list[_Token]:
    """The selector lexer: identifiers run up to whitespace or one of ``=!(),<>``."""
    tokens: list[_Token] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            tokens.append((_END, ""))
            return tokens
        start = pos
        if text[pos] in _SPECIAL_CHARS:
            pos = _scan_symbol(text, pos)
            literal = text[start:pos]
            tokens.append((literal, literal))
            continue
        while pos < end and text[pos] not in _SPECIAL_CHARS and text[pos] not in _WHITESPACE:
            pos += 1
        literal = text[start:pos]
        tokens.append((literal if literal in _KEYWORDS else _IDENTIFIER, literal))


def _scan_symbol(text: str, pos: int) -> int:
    """End of the longest run of special characters that still spells a symbol (``!=``, ``==``)."""
    best = pos + 1  # every single special character is a symbol on its own
    probe = pos + 2
    while probe <= len(text) and text[probe - 1] in _SPECIAL_CHARS:
        if text[pos:probe] not in _SYMBOLS:
            break
        best = probe
        probe += 1
    return best


class _LabelSelectorParser:
    """apimachinery's recursive-descent selector parser, error texts included."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._position = 0

    def parse(self) -> list[_Requirement]:
        requirements: list[_Requirement] = []
        while True:
            kind, literal = self._lookahead()
            if kind == _END:
                return requirements
            if kind not in (_IDENTIFIER, "!"):
                raise SelectorError(
                    f"found '{literal}', expected: !, identifier, or 'end of string'"
                )
            try:
                requirements.append(self._requirement())
            except SelectorError as exc:
                raise SelectorError(f"unable to parse requirement: {exc}") from exc
            kind, literal = self._consume()
            if kind == _END:
                return requirements
            if kind != ",":
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            kind, literal = self._lookahead()
            if kind not in (_IDENTIFIER, "!"):
                raise SelectorError(f"found '{literal}', expected: identifier after ','")

    def _lookahead(self, values_context: bool = True) -> _Token:
        return self._as_context(self._tokens[self._position], values_context)

    def _consume(self, values_context: bool = True) -> _Token:
        token = self._tokens[self._position]
        self._position += 1
        return self._as_context(token, values_context)

    @staticmethod
    def _as_context(token: _Token, values_context: bool) -> _Token:
        # Where a key or value is expected, `in` and `notin` are plain words (`in in (in)`).
        kind, literal = token
        if values_context and kind in _KEYWORDS:
            return _IDENTIFIER, literal
        return token

    def _requirement(self) -> _Requirement:
        key, operator = self._key_and_unary_operator()
        if operator is not None:
            return _new_requirement(key, operator, ())
        operator = self._binary_operator()
        values = self._value_set() if operator in (_IN, _NOT_IN) else [self._exact_value()]
        return _new_requirement(key, operator, sorted(set(values)))

    def _key_and_unary_operator(self) -> tuple[str, str | None]:
        kind, literal = self._consume()
        negated = kind == "!"
        if negated:
            kind, literal = self._consume()
        if kind != _IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        problems = _label_key_problems(literal)
        if problems:
            # The parser validates with a nil field path, which Go prints as "<nil>".
            raise SelectorError(_invalid("<nil>", literal, "; ".join(problems)))
        if negated:
            return literal, _DOES_NOT_EXIST
        if self._lookahead()[0] in (_END, ","):
            return literal, _EXISTS
        return literal, None

    def _binary_operator(self) -> str:
        kind, literal = self._consume(values_context=False)
        operator = _BINARY_OPERATORS.get(kind)
        if operator is None:
            raise SelectorError(f"found '{literal}', expected: {_BINARY_OPERATOR_LIST}")
        return operator

    def _value_set(self) -> list[str]:
        kind, literal = self._consume()
        if kind != "(":
            raise SelectorError(f"found '{literal}' expected: '('")
        kind, literal = self._lookahead()
        if kind == ")":  # `k in ()` means the single value ""
            self._consume()
            return [""]
        if kind not in (_IDENTIFIER, ","):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self._identifier_list()
        if self._consume()[0] != ")":
            raise SelectorError(f"found '{literal}', expected: ')'")
        return values

    def _identifier_list(self) -> list[str]:
        """Comma-separated, possibly empty, values: ``(a,,b)`` and ``(,a)`` include ``""``."""
        values: list[str] = []
        while True:
            kind, literal = self._consume()
            if kind == _IDENTIFIER:
                values.append(literal)
                next_kind, next_literal = self._lookahead()
                if next_kind == ",":
                    continue
                if next_kind == ")":
                    return values
                raise SelectorError(f"found '{next_literal}', expected: ',' or ')'")
            if kind != ",":
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")
            if not values:
                values.append("")
            next_kind = self._lookahead()[0]
            if next_kind == ")":
                values.append("")
                return values
            if next_kind == ",":
                self._consume()  # as upstream does: `(a,,)` is then an error, like there
                values.append("")

    def _exact_value(self) -> str:
        if self._lookahead()[0] in (_END, ","):  # `k=` selects the empty value
            return ""
        kind, literal = self._consume()
        if kind != _IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        return literal


def parse_label_selector(text: str) -> LabelPredicate:
    """Compile a ``?labelSelector=`` string; the empty string matches every object.

    Raises SelectorError, worded like the apiserver's 400, for text it would reject.
    """
    requirements = _LabelSelectorParser(text).parse()
    return _compile(sorted(requirements, key=lambda r: r.key))


def _compile(requirements: Iterable[_Requirement]) -> LabelPredicate:
    checks = tuple(r.check() for r in requirements)
    if not checks:
        return _match_everything
    if len(checks) == 1:
        (only,) = checks

        def match_one(labels: Mapping[str, str] | None) -> bool:
            return only(_EMPTY_LABELS if labels is None else labels)

        return match_one

    def match_all(labels: Mapping[str, str] | None) -> bool:
        present = _EMPTY_LABELS if labels is None else labels
        return all(check(present) for check in checks)

    return match_all


def _match_everything(labels: Mapping[str, str] | None) -> bool:
    return True


def _match_nothing(labels: Mapping[str, str] | None) -> bool:
    return False


# ----------------------------------------------------------------- structured LabelSelector

_SELECTOR_OPERATORS: Final = {
    "In": _IN,
    "NotIn": _NOT_IN,
    "Exists": _EXISTS,
    "DoesNotExist": _DOES_NOT_EXIST,
}


def _selector_requirements(selector: Mapping[str, Any]) -> list[_Requirement]:
    """``metav1.LabelSelectorAsSelector``: matchLabels as ``k=v`` plus matchExpressions."""
    requirements = [
        _new_requirement(key, _EQUALS, [value])
        for key, value in (selector.get("matchLabels") or {}).items()
    ]
    for expression in selector.get("matchExpressions") or ():
        operator = _SELECTOR_OPERATORS.get(expression.get("operator"))
        if operator is None:
            raise SelectorError(
                f"{_go_quote(str(expression.get('operator')))} is not a valid label selector operator"
            )
        values = list(expression.get("values") or ())
        requirements.append(_new_requirement(expression.get("key", ""), operator, values))
    # Stable, so a key used by matchLabels and an expression keeps matchLabels first.
    requirements.sort(key=lambda r: r.key)
    return requirements


def compile_label_selector(selector: Mapping[str, Any] | None) -> LabelPredicate:
    """Compile a structured LabelSelector once, for matching many objects against it.

    ``None`` selects nothing and ``{}`` everything, as in the Deployment and ReplicaSet
    controllers. Raises SelectorError for an operator or key the apiserver would refuse.
    """
    if selector is None:
        return _match_nothing
    key = _cache_key(selector)
    if key is None:
        return _compile(_selector_requirements(selector))
    return _compile_cached(key)


_CacheKey = tuple[tuple[tuple[Any, Any], ...], tuple[tuple[Any, Any, tuple[Any, ...]], ...]]


def _cache_key(selector: Mapping[str, Any]) -> _CacheKey | None:
    """A hashable copy of a selector, or None if it has parts that cannot be hashed."""
    try:
        labels = tuple(sorted((selector.get("matchLabels") or {}).items()))
        expressions = tuple(
            (e.get("key"), e.get("operator"), tuple(e.get("values") or ()))
            for e in selector.get("matchExpressions") or ()
        )
        key = (labels, expressions)
        hash(key)
    except (TypeError, AttributeError):
        return None
    return key


# The controllers match every pod and replica set against a handful of selectors on each sync;
# validating and compiling those again per object would dominate the matching itself.
@functools.lru_cache(maxsize=512)
def _compile_cached(key: _CacheKey) -> LabelPredicate:
    labels, expressions = key
    selector = {
        "matchLabels": dict(labels),
        "matchExpressions": [
            {"key": k, "operator": op, "values": list(values)} for k, op, values in expressions
        ],
    }
    return _compile(_selector_requirements(selector))


def label_selector_matches(
    selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None
) -> bool:
    """Whether ``labels`` satisfy a structured LabelSelector (None: nothing, ``{}``: all)."""
    return compile_label_selector(selector)(labels)


def label_selector_to_string(selector: Mapping[str, Any] | None) -> str:
    """Render a LabelSelector the way kubectl does for ``?labelSelector=`` (§6.6).

    Requirements sorted by key, ``k=v`` for matchLabels, ``k in (a,b)`` with sorted values,
    ``k notin (a,b)``, ``k`` and ``!k``, joined by commas. None and ``{}`` both render as "".
    """
    if selector is None:
        return ""
    return ",".join(r.render() for r in _selector_requirements(selector))


# ---------------------------------------------------------------------------- field selectors

_FieldGetter = Callable[[Mapping[str, Any]], str]


def _field_at(*path: str, default: str = "") -> _FieldGetter:
    """Read a dotted path and render it the way the registry's fields.Set does."""

    def get(obj: Mapping[str, Any]) -> str:
        value: Any = obj
        for key in path:
            if not isinstance(value, Mapping):
                return default
            value = value.get(key)
        return default if value is None else _field_string(value)

    return get


def _field_string(value: object) -> str:
    if isinstance(value, bool):  # strconv.FormatBool
        return "true" if value else "false"
    return str(value)


def _event_source(obj: Mapping[str, Any]) -> str:
    # core/v1 Events filled in by the newer events API only carry reportingController.
    source = _field_at("source", "component")(obj)
    return source or _field_at("reportingController")(obj)


_OBJECT_META_FIELDS: Final[Mapping[str, _FieldGetter]] = {
    "metadata.name": _field_at("metadata", "name"),
    "metadata.namespace": _field_at("metadata", "namespace"),
}

# Extra selectable fields per kind, from each registry's ToSelectableFields / field label
# conversion. Kinds not listed (Deployment, Service, ConfigMap) select on metadata only.
_KIND_FIELDS: Final[Mapping[str, Mapping[str, _FieldGetter]]] = {
    "Pod": {
        "spec.nodeName": _field_at("spec", "nodeName"),
        "spec.restartPolicy": _field_at("spec", "restartPolicy"),
        "spec.schedulerName": _field_at("spec", "schedulerName"),
        "spec.serviceAccountName": _field_at("spec", "serviceAccountName"),
        "spec.hostNetwork": _field_at("spec", "hostNetwork", default="false"),
        "status.phase": _field_at("status", "phase"),
        "status.podIP": _field_at("status", "podIP"),
        "status.nominatedNodeName": _field_at("status", "nominatedNodeName"),
    },
    "Event": {
        "involvedObject.kind": _field_at("involvedObject", "kind"),
        "involvedObject.namespace": _field_at("involvedObject", "namespace"),
        "involvedObject.name": _field_at("involvedObject", "name"),
        "involvedObject.uid": _field_at("involvedObject", "uid"),
        "involvedObject.apiVersion": _field_at("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _field_at("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _field_at("involvedObject", "fieldPath"),
        "reason": _field_at("reason"),
        "reportingComponent": _field_at("reportingController"),
        "source": _event_source,
        "type": _field_at("type"),
    },
    "Secret": {"type": _field_at("type")},
    "Namespace": {"status.phase": _field_at("status", "phase")},
    "ReplicaSet": {"status.replicas": _field_at("status", "replicas", default="0")},
    "Job": {"status.successful": _field_at("status", "successful", default="0")},
}

# Old clients still send spec.host; the pod registry maps it to spec.nodeName.
_FIELD_ALIASES: Final[Mapping[str, str]] = {"spec.host": "spec.nodeName"}

_ALL_FIELDS: Final[Mapping[str, _FieldGetter]] = {
    name: getter
    for fields in (_OBJECT_META_FIELDS, *_KIND_FIELDS.values())
    for name, getter in fields.items()
}

_TERM_OPERATORS: Final = ("!=", "==", "=")  # "==" before "=", so no "=" is left on the value


def parse_field_selector(text: str, *, kind: str | None = None) -> FieldPredicate:
    """Compile a ``?fieldSelector=`` string into a predicate over whole objects.

    ``metadata.name`` and ``metadata.namespace`` work for every kind; pods, events, secrets,
    namespaces, replica sets and jobs add their own fields. With ``kind`` (e.g. ``"Pod"``) only
    that kind's fields are accepted, as on a real server; without it the union of all is.
    Raises SelectorError (``field label not supported: <f>``, bad syntax, bad escapes).
    """
    terms = [term for term in sorted(_split_terms(text)) if term]
    parsed = [_parse_term(text, term) for term in terms]
    supported = (
        _ALL_FIELDS if kind is None else {**_OBJECT_META_FIELDS, **_KIND_FIELDS.get(kind, {})}
    )
    checks: list[tuple[_FieldGetter, str, bool]] = []
    for field, operator, value in parsed:
        getter = supported.get(_FIELD_ALIASES.get(field, field))
        if getter is None:
            raise SelectorError(f"field label not supported: {field}")
        checks.append((getter, value, operator == "!="))
    return _compile_field_checks(checks)


def _compile_field_checks(checks: list[tuple[_FieldGetter, str, bool]]) -> FieldPredicate:
    if not checks:
        return lambda obj: True
    if len(checks) == 1:
        ((getter, value, negate),) = checks
        if negate:
            return lambda obj: getter(obj) != value
        return lambda obj: getter(obj) == value

    def match_all(obj: Mapping[str, Any]) -> bool:
        return all((getter(obj) == value) != negate for getter, value, negate in checks)

    return match_all


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not backslash-escaped (the escape stays in the term)."""
    if not text:
        return []
    terms: list[str] = []
    start, escaped = 0, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _parse_term(selector: str, term: str) -> tuple[str, str, str]:
    # No escaping on the left: the first operator anywhere in the term splits it.
    for index in range(len(term)):
        for operator in _TERM_OPERATORS:
            if term.startswith(operator, index):
                value = _unescape_field_value(term[index + len(operator) :])
                return term[:index], operator, value
    raise SelectorError(f"invalid selector: '{selector}'; can't understand '{term}'")


def _unescape_field_value(raw: str) -> str:
    """Undo ``\\\\``, ``\\,`` and ``\\=``; bare ``,`` or ``=`` and other escapes are errors."""
    if not any(char in raw for char in "\\,="):
        return raw
    result: list[str] = []
    escaped = False
    for char in raw:
        if escaped:
            if char not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{char}")
            result.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Go formats the rune with %v, i.e. as its code point number.
            raise SelectorError(
                f"invalid field selector: unescaped character in value: {ord(char)}"
            )
        else:
            result.append(char)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(result)
