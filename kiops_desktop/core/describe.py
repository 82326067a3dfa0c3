"""kubectl's description of a pod template, byte for byte (K8S_ROLLOUT_SPEC.md §2.4).

``kubectl rollout history deployment/X --revision=N`` (and ``rollout undo --dry-run=client``)
print a ``PodTemplateSpec`` through ``describe.DescribePodTemplate`` of
``kubernetes/kubectl:pkg/describe/describe.go``, written into a plain ``PrefixWriter``: literal
TAB characters (no tabwriter), two spaces per indentation level, and the terminal escaper of
cli-runtime (ESC becomes ``^[``, CR becomes ``\\r``). This module ports that code path, quirks
included, so the desktop app can show the same text without running kubectl.

kubectl decodes the template into Go structs before describing it, so some values are printed
as Go prints the typed field rather than as they appear in the JSON: resource quantities are
re-rendered in their canonical form (``0.5`` becomes ``500m``), missing integers print as
``0``, missing strings as the empty string, and lengths/truncation count UTF-8 bytes.

Objects are JSON-shaped mappings (camelCase keys, as the API serves them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from kiops_desktop.core.revisions import LAST_APPLIED_ANNOTATION

__all__ = [
    "describe_pod_template",
    "describe_probe",
    "escape_terminal",
    "format_label_selector",
    "format_quantity",
    "go_quote",
]

Obj = Mapping[str, Any]

# describe.go: annotation values longer than this (key + ": " + value) are folded and cut.
MAX_ANNOTATION_LEN = 140
# describe.go ``skipAnnotations``: never shown by any describer.
_SKIPPED_ANNOTATIONS = frozenset({LAST_APPLIED_ANNOTATION})


# --------------------------------------------------------------------------------------------
# Go formatting helpers
# --------------------------------------------------------------------------------------------


def escape_terminal(text: str) -> str:
    """cli-runtime ``printers.WriteEscaped``: ESC -> ``^[`` and CR -> ``\\r`` (issue #101695).

    Both replacements are single characters, so escaping the finished text is the same as
    escaping every ``Write`` separately, as the Go writer does."""
    return text.replace("\x1b", "^[").replace("\r", "\\r")


def _go_len(text: str) -> int:
    """Go ``len`` of a string counts UTF-8 bytes, not characters."""
    return len(text.encode("utf-8", "surrogateescape"))


def _go_cut(text: str, limit: int) -> str:
    """Go ``s[:limit]`` cuts bytes and may split a character. ``surrogateescape`` keeps such a
    broken tail so that ``result.encode("utf-8", "surrogateescape")`` is kubectl's bytes."""
    return text.encode("utf-8", "surrogateescape")[:limit].decode("utf-8", "surrogateescape")


def _str(value: Any) -> str:
    """A Go ``string`` field: missing (or JSON null) decodes to the empty string."""
    return value if isinstance(value, str) else "" if value is None else str(value)


def _int(value: Any) -> int:
    """A Go integer field: missing decodes to 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return 0


def _bool(value: Any) -> str:
    """Go ``%v``/``%t`` of a ``bool`` (missing is false)."""
    return "true" if value is True else "false"


def _optional(ref: Any) -> str:
    """``x.Optional != nil && *x.Optional`` printed with ``%t``."""
    return _bool(ref.get("optional") if isinstance(ref, Mapping) else None)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _present(obj: Obj, key: str) -> bool:
    """A Go pointer field is non-nil when the JSON key holds anything but null."""
    return obj.get(key) is not None


def _go_slice(items: Iterable[Any]) -> str:
    """Go ``%v`` of a ``[]string``: ``[a b c]``."""
    return "[" + " ".join(_str(i) for i in items) + "]"


def _go_string_map(value: Any) -> str:
    """Go ``%v`` of a ``map[string]string``: ``map[k1:v1 k2:v2]`` with sorted keys."""
    items = _map(value)
    return "map[" + " ".join(f"{k}:{_str(items[k])}" for k in sorted(items)) + "]"


def _go_local_ref(value: Any) -> str:
    """Go ``%v`` of a ``*LocalObjectReference``: the API types' generated ``String()``
    (``&LocalObjectReference{Name:x,}``, and ``nil`` for a nil pointer)."""
    if value is None:
        return "nil"
    return "&LocalObjectReference{Name:" + _str(_map(value).get("name")) + ",}"


def _int_or_string(value: Any) -> str:
    """``intstr.IntOrString.String()``: the number in decimal, or the string as is."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return _str(value)


def go_quote(text: str) -> str:
    """Go ``%q`` / ``strconv.Quote``: double quotes, Go escapes, printable runes kept."""
    out = ['"']
    named = {
        "\a": "\\a",
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\v": "\\v",
    }
    for ch in text:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in named:
            out.append(named[ch])
        elif ch.isprintable():
            # Python's "printable" excludes the same categories as Go's unicode.IsPrint
            # (C* and Z* except the ASCII space).
            out.append(ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")  # not a valid rune: Go prints the replacement character
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


# --------------------------------------------------------------------------------------------
# resource.Quantity (k8s.io/apimachinery/pkg/api/resource/quantity.go)
# --------------------------------------------------------------------------------------------

_DECIMAL_SUFFIXES = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX_FOR = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIX_FOR = {exp: suffix for suffix, exp in _BINARY_SUFFIXES.items()}
_SUFFIX_CHARS = "eEinumkKMGTP"
_NANO = Fraction(1, 10**9)
_MAX_INT64 = 2**63 - 1
_DECIMAL_SI, _BINARY_SI, _DECIMAL_EXPONENT = "DecimalSI", "BinarySI", "DecimalExponent"


class _QuantityError(ValueError):
    pass


class _Quantity:
    """The parsed value (exact), its format, and the cached text Go keeps when the input was
    already canonical (``Quantity.s``)."""

    __slots__ = ("cached", "fmt", "value")

    def __init__(self, value: Fraction, fmt: str, cached: str | None = None) -> None:
        self.value = value
        self.fmt = fmt
        self.cached = cached


def _scan_quantity(text: str) -> tuple[bool, str, str, str, str]:
    """``parseQuantityString``: (positive, value, numerator, denominator, suffix)."""
    positive = True
    pos = 0
    end = len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    # leading zeros
    while True:
        if pos >= end:
            return positive, "0", "0", "", ""
        if text[pos] != "0":
            break
        pos += 1
    start = pos
    while pos < end and text[pos].isascii() and text[pos].isdigit():
        pos += 1
    num = text[start:pos]
    if pos >= end:
        return positive, text, num, "", ""
    num = num or "0"
    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isascii() and text[pos].isdigit():
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return positive, text, num, denom, ""
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos >= end:
        return positive, value, num, denom, text[suffix_start:]
    if text[pos] in "+-":
        pos += 1
    while pos < end:
        if not (text[pos].isascii() and text[pos].isdigit()):
            raise _QuantityError(text)
        pos += 1
    return positive, value, num, denom, text[suffix_start:]


def _interpret_suffix(suffix: str) -> tuple[int, int, str]:
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], _DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], _BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        return 10, int(suffix[1:]), _DECIMAL_EXPONENT
    raise _QuantityError(suffix)


def _parse_quantity(text: str) -> _Quantity:
    """``resource.ParseQuantity`` (exact value, rounded up to nano units like Go)."""
    if text == "":
        raise _QuantityError(text)
    if text == "0":
        return _Quantity(Fraction(0), _DECIMAL_SI, "0")
    positive, value, num, denom, suffix = _scan_quantity(text)
    base, exponent, fmt = _interpret_suffix(suffix)

    # The int64 fast path: Go keeps the input text when it is already canonical.
    precision, scale, mantissa = 0, 0, 1
    if fmt == _BINARY_SI:
        if exponent >= 0 and not denom:
            mantissa = 1 << exponent
            precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        else:
            precision = -1
    else:
        scale = exponent
        precision = 18 - (len(num) + len(denom))
    if precision >= 0:
        scale -= len(denom)
        if scale >= -9:
            shifted = num + denom
            digits = int(shifted)
            result = digits * mantissa
            if result <= _MAX_INT64:
                amount = Fraction(result if positive else -result) * Fraction(10) ** scale
                if fmt == _BINARY_SI:
                    canonical = exponent % 10 == 0 and digits & 0x07 != 0
                else:
                    canonical = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
                return _Quantity(amount, fmt, text if canonical else None)

    # The inf.Dec slow path.
    match = re.fullmatch(r"([+-]?)([0-9]*)(?:\.([0-9]*))?", value)
    if match is None or not (match.group(2) or match.group(3)):
        raise _QuantityError(text)
    number = Fraction(int((match.group(2) or "0") + (match.group(3) or "")))
    number /= Fraction(10) ** len(match.group(3) or "")
    if match.group(1) == "-":
        number = -number
    number *= Fraction(base) ** exponent
    negative = number < 0
    number = abs(number)
    if number != 0:
        # Round up to the smallest representable unit (1n): "if you want some resources,
        # you should get some resources".
        number = Fraction(math.ceil(number / _NANO)) * _NANO
    if fmt == _BINARY_SI and number > _MAX_INT64:
        number = Fraction(_MAX_INT64)
    if fmt == _BINARY_SI and 0 < number < 1:
        fmt = _DECIMAL_SI
    return _Quantity(-number if negative else number, fmt)


def _decimal_canonical(value: Fraction) -> tuple[int, int]:
    """Mantissa and base-10 exponent, exponent a multiple of 3 and as large as possible."""
    exponent = -9
    mantissa = int(value / _NANO)  # values are whole nano units after parsing
    while mantissa != 0 and mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    while exponent % 3 != 0:
        mantissa *= 10
        exponent -= 1
    return mantissa, exponent


def _quantity_string(q: _Quantity) -> str:
    """``Quantity.String()`` / ``CanonicalizeBytes``."""
    if q.cached is not None:
        return q.cached
    if q.value == 0:
        return "0"
    fmt = q.fmt
    if fmt == _BINARY_SI and (-1024 < q.value < 1024 or q.value.denominator != 1):
        fmt = _DECIMAL_SI  # avoid rounding: show as DecimalSI
    if fmt == _BINARY_SI:
        number = abs(int(q.value))
        exponent = 0
        while number >= 1024 and number % 1024 == 0:
            number //= 1024
            exponent += 10
        sign = "-" if q.value < 0 else ""
        return f"{sign}{number}{_BINARY_SUFFIX_FOR.get(exponent, '')}"
    mantissa, exponent = _decimal_canonical(q.value)
    if fmt == _DECIMAL_EXPONENT:
        suffix = "" if exponent == 0 else f"e{exponent}"
    else:
        suffix = _DECIMAL_SUFFIX_FOR.get(exponent, "")
    return f"{mantissa}{suffix}"


def _quantity_text(raw: Any) -> str:
    """The JSON text Go's ``Quantity.UnmarshalJSON`` sees."""
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | float):
        return repr(raw)
    return _str(raw).strip()


def format_quantity(raw: Any) -> str:
    """A resource quantity as kubectl prints it (``Quantity.String()``).

    A value kubectl could not parse would make kubectl fail to decode the object; we show the
    raw text instead of failing."""
    try:
        return _quantity_string(_parse_quantity(_quantity_text(raw)))
    except (_QuantityError, ValueError, ZeroDivisionError):
        return _quantity_text(raw)


def _quantity_value(raw: Any) -> Fraction:
    """The exact value of a quantity (0 when missing or unparsable)."""
    if raw is None:
        return Fraction(0)
    try:
        return _parse_quantity(_quantity_text(raw)).value
    except (_QuantityError, ValueError, ZeroDivisionError):
        return Fraction(0)


def _round_away(value: Fraction) -> int:
    """``Quantity.Value()``/``ScaledValue``: rounds away from zero to a whole number."""
    return math.ceil(value) if value >= 0 else math.floor(value)


# --------------------------------------------------------------------------------------------
# label selectors (apimachinery metav1.FormatLabelSelector)
# --------------------------------------------------------------------------------------------

_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)


def _valid_label_key(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED_NAME.match(name))


def _valid_label_value(value: str) -> bool:
    return value == "" or (len(value) <= 63 and bool(_QUALIFIED_NAME.match(value)))


def format_label_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: requirements sorted by key, ``<none>`` for an empty
    selector and ``<error>`` for one the label parser rejects."""
    sel = _map(selector)
    requirements: list[tuple[str, str]] = []
    for key, value in _map(sel.get("matchLabels")).items():
        text = _str(value)
        if not _valid_label_key(key) or not _valid_label_value(text):
            return "<error>"
        requirements.append((key, f"{key}={text}"))
    for expr in _list(sel.get("matchExpressions")):
        expr = _map(expr)
        key, op = _str(expr.get("key")), _str(expr.get("operator"))
        values = [_str(v) for v in _list(expr.get("values"))]
        if not _valid_label_key(key) or not all(_valid_label_value(v) for v in values):
            return "<error>"
        if op in ("In", "NotIn"):
            if not values:
                return "<error>"
            word = "in" if op == "In" else "notin"
            requirements.append((key, f"{key} {word} ({','.join(sorted(values))})"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                return "<error>"
            requirements.append((key, key if op == "Exists" else f"!{key}"))
        else:
            return "<error>"
    requirements.sort(key=lambda r: r[0])
    return ",".join(text for _, text in requirements) or "<none>"


# --------------------------------------------------------------------------------------------
# the prefix writer
# --------------------------------------------------------------------------------------------


class _PrefixWriter:
    """describe.go ``prefixWriter``: each ``write`` is indented by two spaces per level; the
    text is already formatted (the Go code's ``Sprintf`` arguments never carry verbs)."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._parts.append("  " * level + text)

    def write_line(self, text: str) -> None:
        """``WriteLine(a)``: ``fmt.Sprintln`` without indentation."""
        self._parts.append(text + "\n")

    def text(self) -> str:
        return escape_terminal("".join(self._parts))


class _NestedWriter(_PrefixWriter):
    """describe.go ``nestedPrefixWriter``: adds ``indent`` levels to every write, and — a
    quirk kept on purpose — to ``WriteLine`` too."""

    def __init__(self, parent: _PrefixWriter, indent: int) -> None:
        super().__init__()
        self._parent = parent
        self._indent = indent

    def write(self, level: int, text: str) -> None:
        self._parent.write(level + self._indent, text)

    def write_line(self, text: str) -> None:
        self._parent.write(self._indent, text + "\n")


# --------------------------------------------------------------------------------------------
# labels, annotations, tolerations, topology spread
# --------------------------------------------------------------------------------------------


def _print_labels(
    w: _PrefixWriter, title: str, labels: Mapping[str, Any], initial: str = "", inner: str = "\t"
) -> None:
    """``printLabelsMultilineWithIndent``: first ``k=v`` on the title line, the others on
    lines starting with ``initial + inner``."""
    w.write(0, f"{initial}{title}:{inner}")
    if not labels:
        w.write_line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, initial)
            w.write(0, inner)
        w.write(0, f"{key}={_str(labels[key])}\n")


def _print_annotations(w: _PrefixWriter, title: str, annotations: Mapping[str, Any]) -> None:
    """``printAnnotationsMultiline``: long or multi-line values are folded under the key and
    every line is cut to 138 bytes plus ``...``; last-applied-configuration is hidden."""
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in annotations if k not in _SKIPPED_ANNOTATIONS)
    if not keys:
        w.write_line("<none>")
        return
    indent = "\t"
    for i, key in enumerate(keys):
        if i:
            w.write(0, indent)
        value = _str(annotations[key]).removesuffix("\n")
        if _go_len(value) + _go_len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                if _go_len(line) > MAX_ANNOTATION_LEN - 2:
                    line = _go_cut(line, MAX_ANNOTATION_LEN - 2) + "..."
                w.write(0, f"{indent}  {line}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def _print_tolerations(w: _PrefixWriter, title: str, tolerations: Sequence[Any]) -> None:
    """``printTolerationsMultilineWithIndent``: sorted by key, ``key[=value][:effect]
    [ op=Exists][ for Ns]``."""
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    items = sorted((_map(t) for t in tolerations), key=lambda t: _str(t.get("key")))
    for i, tol in enumerate(items):
        if i:
            w.write(0, "")
            w.write(0, "\t")
        key, value, effect = _str(tol.get("key")), _str(tol.get("value")), _str(tol.get("effect"))
        w.write(0, key)
        if value:
            w.write(0, f"={value}")
        if effect:
            w.write(0, f":{effect}")
        # "operator: Exists" without a value tolerates everything (with the key/effect given)
        if _str(tol.get("operator")) == "Exists" and not value:
            w.write(0, " op=Exists" if key or effect else "op=Exists")
        if tol.get("tolerationSeconds") is not None:
            w.write(0, f" for {_int(tol.get('tolerationSeconds'))}s")
        w.write(0, "\n")


def _describe_topology_spread(w: _PrefixWriter, constraints: Sequence[Any], space: str) -> None:
    """``describeTopologySpreadConstraints`` (sorted by topologyKey)."""
    if not constraints:
        return
    items = sorted((_map(c) for c in constraints), key=lambda c: _str(c.get("topologyKey")))
    w.write(0, f"{space}Topology Spread Constraints:\t")
    for i, tsc in enumerate(items):
        if i:
            w.write(0, space)
            w.write(0, "\t")
        w.write(0, f"{_str(tsc.get('topologyKey'))}:")
        w.write(0, _str(tsc.get("whenUnsatisfiable")))
        w.write(0, f" when max skew {_int(tsc.get('maxSkew'))} is exceeded")
        if tsc.get("labelSelector") is not None:
            w.write(0, f" for selector {format_label_selector(tsc.get('labelSelector'))}")
        w.write(0, "\n")


# --------------------------------------------------------------------------------------------
# containers
# --------------------------------------------------------------------------------------------


def _ports(ports: Sequence[Any], field: str) -> str:
    """``describeContainerPorts``/``describeContainerHostPorts``: ``80/TCP``, and since
    kubectl 1.37 the port's name in parentheses (on host ports too)."""
    texts = []
    for port in ports:
        port = _map(port)
        text = f"{_int(port.get(field))}/{_str(port.get('protocol'))}"
        if _str(port.get("name")):
            text += f" ({_str(port.get('name'))})"
        texts.append(text)
    return ", ".join(texts)


def _describe_basic_info(w: _PrefixWriter, container: Obj, space: str) -> None:
    name_indent = " " if space else ""
    w.write(1, f"{name_indent}{_str(container.get('name'))}:\n")
    w.write(2, f"Image:\t{_str(container.get('image'))}\n")
    ports = _list(container.get("ports"))
    port_text = _ports(ports, "containerPort")
    if "," in port_text:
        w.write(2, f"Ports:\t{port_text}\n")
    else:
        w.write(2, f"Port:\t{port_text or '<none>'}\n")
    host_text = _ports(ports, "hostPort")
    if "," in host_text:
        w.write(2, f"Host Ports:\t{host_text}\n")
    else:
        w.write(2, f"Host Port:\t{host_text or '<none>'}\n")
    security = _map(container.get("securityContext"))
    if security.get("seccompProfile") is not None:
        profile = _map(security.get("seccompProfile"))
        w.write(2, f"SeccompProfile:\t{_str(profile.get('type'))}\n")
        if _str(profile.get("type")) == "Localhost":
            w.write(3, f"LocalhostProfile:\t{_str(profile.get('localhostProfile'))}\n")


def _describe_command(w: _PrefixWriter, container: Obj) -> None:
    for field, title in (("command", "Command"), ("args", "Args")):
        items = _list(container.get(field))
        if items:
            w.write(2, f"{title}:\n")
            for item in items:
                for line in _str(item).split("\n"):
                    w.write(3, f"{line}\n")


def _describe_resources(w: _PrefixWriter, resources: Obj, level: int) -> None:
    for field, title in (("limits", "Limits"), ("requests", "Requests")):
        values = _map(resources.get(field))
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{format_quantity(values[name])}\n")


# Go's net/url shouldEscape for the two modes a probe URL uses.
_UNRESERVED = frozenset("-_.~")
_HOST_ALLOWED = frozenset("!$&'()*+,;=:[]<>\"")
_PATH_ALLOWED = frozenset("$&+,/:;=@")


def _url_escape(text: str, host: bool) -> str:
    out = []
    for byte in text.encode("utf-8", "surrogateescape"):
        ch = chr(byte)
        keep = (
            (ch.isascii() and ch.isalnum())
            or ch in _UNRESERVED
            or (host and ch in _HOST_ALLOWED)
            or (not host and ch in _PATH_ALLOWED)
        )
        out.append(ch if keep else f"%{byte:02X}")
    return "".join(out)


def _http_get_url(http_get: Obj) -> str:
    """``url.URL{Scheme, Host, Path}.String()`` as DescribeProbe builds it."""
    scheme = _str(http_get.get("scheme")).lower()
    port = _int_or_string(http_get.get("port")) if http_get.get("port") is not None else "0"
    host = _str(http_get.get("host"))
    if port:
        host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    path = _str(http_get.get("path"))
    out = ""
    if scheme:
        out += scheme + ":"
    if scheme or host:
        if host or path:
            out += "//"
        if host:
            out += _url_escape(host, host=True)
    escaped = "*" if path == "*" else _url_escape(path, host=False)
    if escaped and escaped[0] != "/" and host:
        out += "/"
    if not out and ":" in escaped.split("/", 1)[0]:
        out += "./"
    return out + escaped


def describe_probe(probe: Obj) -> str:
    """``DescribeProbe`` with kubectl 1.37's wording (``successThreshold=``/``failureThreshold=``;
    kubectl <= 1.36 printed ``#success=``/``#failure=``)."""
    attrs = (
        f"delay={_int(probe.get('initialDelaySeconds'))}s "
        f"timeout={_int(probe.get('timeoutSeconds'))}s "
        f"period={_int(probe.get('periodSeconds'))}s "
        f"successThreshold={_int(probe.get('successThreshold'))} "
        f"failureThreshold={_int(probe.get('failureThreshold'))}"
    )
    if probe.get("exec") is not None:
        return f"exec {_go_slice(_list(_map(probe.get('exec')).get('command')))} {attrs}"
    if probe.get("httpGet") is not None:
        return f"http-get {_http_get_url(_map(probe.get('httpGet')))} {attrs}"
    if probe.get("tcpSocket") is not None:
        tcp = _map(probe.get("tcpSocket"))
        port = _int_or_string(tcp.get("port")) if tcp.get("port") is not None else "0"
        return f"tcp-socket {_str(tcp.get('host'))}:{port} {attrs}"
    if probe.get("grpc") is not None:
        grpc = _map(probe.get("grpc"))
        # The API server defaults ``service`` to ""; kubectl dereferences it unconditionally.
        return f"grpc <pod>:{_int(grpc.get('port'))} {_str(grpc.get('service'))} {attrs}"
    return f"unknown {attrs}"


def _describe_probes(w: _PrefixWriter, container: Obj) -> None:
    for field, title in (
        ("livenessProbe", "Liveness"),
        ("readinessProbe", "Readiness"),
        ("startupProbe", "Startup"),
    ):
        if container.get(field) is not None:
            w.write(2, f"{title}:\t{describe_probe(_map(container.get(field)))}\n")


def _describe_env_from(w: _PrefixWriter, container: Obj) -> None:
    w.write(2, "Environment Variables from:\n")
    for source in _list(container.get("envFrom")):
        source = _map(source)
        kind, name, optional = "", "", "false"
        if source.get("configMapRef") is not None:
            kind = "ConfigMap"
            name = _str(_map(source.get("configMapRef")).get("name"))
            optional = _optional(source.get("configMapRef"))
        elif source.get("secretRef") is not None:
            kind = "Secret"
            name = _str(_map(source.get("secretRef")).get("name"))
            optional = _optional(source.get("secretRef"))
        prefix = _str(source.get("prefix"))
        if prefix:
            w.write(3, f"{name}\t{kind} with prefix '{prefix}'\tOptional: {optional}\n")
        else:
            w.write(3, f"{name}\t{kind}\tOptional: {optional}\n")


def _resource_field_value(selector: Obj, container: Obj) -> str:
    """``resourcehelper.ExtractContainerResourceValue``: the value the kubelet would inject,
    computed from the container's own requests/limits ("" when unsupported)."""
    divisor = _quantity_value(selector.get("divisor"))
    if divisor == 0:
        divisor = Fraction(1)
    resource = _str(selector.get("resource"))
    resources = _map(container.get("resources"))
    section, _, name = resource.partition(".")
    if section not in ("limits", "requests"):
        return ""
    if name not in ("cpu", "memory", "ephemeral-storage") and not name.startswith("hugepages-"):
        return ""
    value = _quantity_value(_map(resources.get(section)).get(name))
    if name == "cpu":
        # ceil(float64(MilliValue) / float64(divisor.MilliValue()))
        numerator, denominator = _round_away(value * 1000), _round_away(divisor * 1000)
    else:
        numerator, denominator = _round_away(value), _round_away(divisor)
    if denominator == 0:
        return ""  # Go would print the int64 conversion of ±Inf/NaN; never valid in practice
    return str(math.ceil(float(numerator) / float(denominator)))


def _describe_env(w: _PrefixWriter, container: Obj) -> None:
    env = _list(container.get("env"))
    w.write(2, "Environment:\t<none>\n" if not env else "Environment:\n")
    for var in env:
        var = _map(var)
        name = _str(var.get("name"))
        source = var.get("valueFrom")
        if source is None:
            for i, line in enumerate(_str(var.get("value")).split("\n")):
                w.write(3, f"{name}:\t{line}\n" if i == 0 else f"\t{line}\n")
            continue
        source = _map(source)
        if source.get("fieldRef") is not None:
            ref = _map(source.get("fieldRef"))
            # No pod to resolve the field against: the value part stays empty.
            w.write(3, f"{name}:\t ({_str(ref.get('apiVersion'))}:{_str(ref.get('fieldPath'))})\n")
        elif source.get("resourceFieldRef") is not None:
            ref = _map(source.get("resourceFieldRef"))
            value = _resource_field_value(ref, container)
            resource = _str(ref.get("resource"))
            if value == "0" and resource in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{name}:\t{value} ({resource})\n")
        elif source.get("secretKeyRef") is not None:
            ref = _map(source.get("secretKeyRef"))
            w.write(
                3,
                f"{name}:\t<set to the key '{_str(ref.get('key'))}' in secret "
                f"'{_str(ref.get('name'))}'>\tOptional: {_optional(ref)}\n",
            )
        elif source.get("configMapKeyRef") is not None:
            ref = _map(source.get("configMapKeyRef"))
            w.write(
                3,
                f"{name}:\t<set to the key '{_str(ref.get('key'))}' of config map "
                f"'{_str(ref.get('name'))}'>\tOptional: {_optional(ref)}\n",
            )
        # Any other source prints nothing, exactly like kubectl's switch.


def _describe_mounts(w: _PrefixWriter, container: Obj) -> None:
    mounts = [_map(m) for m in _list(container.get("volumeMounts"))]
    none = "" if mounts else "\t<none>"
    w.write(2, f"Mounts:{none}\n")
    for mount in sorted(mounts, key=lambda m: _str(m.get("mountPath"))):
        flags = ["ro" if mount.get("readOnly") is True else "rw"]
        if _str(mount.get("subPath")):
            flags.append(f"path={go_quote(_str(mount.get('subPath')))}")
        w.write(
            3,
            f"{_str(mount.get('mountPath'))} from {_str(mount.get('name'))} ({','.join(flags)})\n",
        )
    devices = [_map(d) for d in _list(container.get("volumeDevices"))]
    if devices:
        # kubectl reuses the Mounts "<none>" suffix here: a container with devices but no
        # mounts prints "Devices:\t<none>" followed by its devices.
        w.write(2, f"Devices:{none}\n")
        for device in sorted(devices, key=lambda d: _str(d.get("devicePath"))):
            w.write(3, f"{_str(device.get('devicePath'))} from {_str(device.get('name'))}\n")


def _describe_containers(
    w: _PrefixWriter, label: str, containers: Sequence[Any], space: str
) -> None:
    """``describeContainers`` without statuses (a template has none)."""
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for container in containers:
        container = _map(container)
        _describe_basic_info(w, container, space)
        _describe_command(w, container)
        _describe_resources(w, _map(container.get("resources")), 2)
        _describe_probes(w, container)
        if _list(container.get("envFrom")):
            _describe_env_from(w, container)
        _describe_env(w, container)
        _describe_mounts(w, container)


# --------------------------------------------------------------------------------------------
# volumes
# --------------------------------------------------------------------------------------------


def _fields(w: _PrefixWriter, type_text: str, *fields: tuple[str, str]) -> None:
    """A volume block: ``Type:`` at level 2, then ``    Name:\\tvalue`` lines (kubectl writes
    them as one format string, so the four spaces are literal)."""
    w.write(2, f"Type:\t{type_text}\n" + "".join(f"    {k}:\t{v}\n" for k, v in fields))


def _vol_host_path(w: _PrefixWriter, src: Obj) -> None:
    kind = _str(src.get("type")) if src.get("type") is not None else "<none>"
    _fields(
        w,
        "HostPath (bare host directory volume)",
        ("Path", _str(src.get("path"))),
        ("HostPathType", kind),
    )


def _vol_empty_dir(w: _PrefixWriter, src: Obj) -> None:
    size = "<unset>"
    if src.get("sizeLimit") is not None and _quantity_value(src.get("sizeLimit")) > 0:
        size = format_quantity(src.get("sizeLimit"))
    _fields(
        w,
        "EmptyDir (a temporary directory that shares a pod's lifetime)",
        ("Medium", _str(src.get("medium"))),
        ("SizeLimit", size),
    )


def _vol_gce(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "GCEPersistentDisk (a Persistent Disk resource in Google Compute Engine)",
        ("PDName", _str(src.get("pdName"))),
        ("FSType", _str(src.get("fsType"))),
        ("Partition", str(_int(src.get("partition")))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_aws(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "AWSElasticBlockStore (a Persistent Disk resource in AWS)",
        ("VolumeID", _str(src.get("volumeID"))),
        ("FSType", _str(src.get("fsType"))),
        ("Partition", str(_int(src.get("partition")))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_git_repo(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "GitRepo (a volume that is pulled from git when the pod is created)",
        ("Repository", _str(src.get("repository"))),
        ("Revision", _str(src.get("revision"))),
    )


def _vol_secret(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "Secret (a volume populated by a Secret)",
        ("SecretName", _str(src.get("secretName"))),
        ("Optional", _optional(src)),
    )


def _vol_config_map(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "ConfigMap (a volume populated by a ConfigMap)",
        ("Name", _str(src.get("name"))),
        ("Optional", _optional(src)),
    )


def _vol_nfs(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "NFS (an NFS mount that lasts the lifetime of a pod)",
        ("Server", _str(src.get("server"))),
        ("Path", _str(src.get("path"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_iscsi(w: _PrefixWriter, src: Obj) -> None:
    initiator = _str(src.get("initiatorName")) if src.get("initiatorName") is not None else "<none>"
    # kubectl's format string really lacks the colon after "ISCSIInterface".
    w.write(
        2,
        "Type:\tISCSI (an ISCSI Disk resource that is attached to a kubelet's host machine and "
        "then exposed to the pod)\n"
        f"    TargetPortal:\t{_str(src.get('targetPortal'))}\n"
        f"    IQN:\t{_str(src.get('iqn'))}\n"
        f"    Lun:\t{_int(src.get('lun'))}\n"
        f"    ISCSIInterface\t{_str(src.get('iscsiInterface'))}\n"
        f"    FSType:\t{_str(src.get('fsType'))}\n"
        f"    ReadOnly:\t{_bool(src.get('readOnly'))}\n"
        f"    Portals:\t{_go_slice(_list(src.get('portals')))}\n"
        f"    DiscoveryCHAPAuth:\t{_bool(src.get('chapAuthDiscovery'))}\n"
        f"    SessionCHAPAuth:\t{_bool(src.get('chapAuthSession'))}\n"
        f"    SecretRef:\t{_go_local_ref(src.get('secretRef'))}\n"
        f"    InitiatorName:\t{initiator}\n",
    )


def _vol_glusterfs(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "Glusterfs (a Glusterfs mount on the host that shares a pod's lifetime)",
        ("EndpointsName", _str(src.get("endpoints"))),
        ("Path", _str(src.get("path"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_pvc(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
        ("ClaimName", _str(src.get("claimName"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_ephemeral(w: _PrefixWriter, src: Obj) -> None:
    w.write(
        2,
        "Type:\tEphemeralVolume (an inline specification for a volume that gets created and "
        "deleted with the pod)\n",
    )
    template = src.get("volumeClaimTemplate")
    if template is None:
        return
    # printPersistentVolumeClaim(NewNestedPrefixWriter(w, LEVEL_2), pvc, false)
    nested = _NestedWriter(w, 2)
    meta = _map(_map(template).get("metadata"))
    spec = _map(_map(template).get("spec"))
    annotations = _map(meta.get("annotations"))
    storage_class = annotations.get("volume.beta.kubernetes.io/storage-class")
    if storage_class is None:
        storage_class = spec.get("storageClassName")
    nested.write(0, f"StorageClass:\t{_str(storage_class)}\n")
    nested.write(0, f"Volume:\t{_str(spec.get('volumeName'))}\n")
    _print_labels(nested, "Labels", _map(meta.get("labels")))
    _print_annotations(nested, "Annotations", annotations)
    # Capacity and access modes come from the (absent) status once a volume is bound.
    bound = bool(_str(spec.get("volumeName")))
    nested.write(0, f"Capacity:\t{'0' if bound else ''}\n")
    nested.write(0, "Access Modes:\t\n")
    if spec.get("volumeMode") is not None:
        nested.write(0, f"VolumeMode:\t{_str(spec.get('volumeMode'))}\n")
    if spec.get("dataSource") is not None:
        data_source = _map(spec.get("dataSource"))
        nested.write(0, "DataSource:\n")
        if data_source.get("apiGroup") is not None:
            nested.write(1, f"APIGroup:\t{_str(data_source.get('apiGroup'))}\n")
        nested.write(1, f"Kind:\t{_str(data_source.get('kind'))}\n")
        nested.write(1, f"Name:\t{_str(data_source.get('name'))}\n")


def _vol_rbd(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "RBD (a Rados Block Device mount on the host that shares a pod's lifetime)",
        ("CephMonitors", _go_slice(_list(src.get("monitors")))),
        ("RBDImage", _str(src.get("image"))),
        ("FSType", _str(src.get("fsType"))),
        ("RBDPool", _str(src.get("pool"))),
        ("RadosUser", _str(src.get("user"))),
        ("Keyring", _str(src.get("keyring"))),
        ("SecretRef", _go_local_ref(src.get("secretRef"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_quobyte(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "Quobyte (a Quobyte mount on the host that shares a pod's lifetime)",
        ("Registry", _str(src.get("registry"))),
        ("Volume", _str(src.get("volume"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_downward_api(w: _PrefixWriter, src: Obj) -> None:
    w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
    for item in _list(src.get("items")):
        item = _map(item)
        if item.get("fieldRef") is not None:
            field_path = _str(_map(item.get("fieldRef")).get("fieldPath"))
            w.write(3, f"{field_path} -> {_str(item.get('path'))}\n")
        if item.get("resourceFieldRef") is not None:
            resource = _str(_map(item.get("resourceFieldRef")).get("resource"))
            w.write(3, f"{resource} -> {_str(item.get('path'))}\n")


def _vol_azure_disk(w: _PrefixWriter, src: Obj) -> None:
    # kubectl dereferences the defaulted pointers (kind Shared, fsType ext4, caching ReadWrite).
    _fields(
        w,
        "AzureDisk (an Azure Data Disk mount on the host and bind mount to the pod)",
        ("DiskName", _str(src.get("diskName"))),
        ("DiskURI", _str(src.get("diskURI"))),
    )
    w.write(2, f"Kind: \t{_str(src.get('kind', 'Shared'))}\n")
    w.write(2, f"FSType:\t{_str(src.get('fsType', 'ext4'))}\n")
    w.write(2, f"CachingMode:\t{_str(src.get('cachingMode', 'ReadWrite'))}\n")
    w.write(2, f"ReadOnly:\t{_bool(src.get('readOnly', False))}\n")


def _vol_vsphere(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "vSphereVolume (a Persistent Disk resource in vSphere)",
        ("VolumePath", _str(src.get("volumePath"))),
        ("FSType", _str(src.get("fsType"))),
        ("StoragePolicyName", _str(src.get("storagePolicyName"))),
    )


def _vol_cinder(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "Cinder (a Persistent Disk resource in OpenStack)",
        ("VolumeID", _str(src.get("volumeID"))),
        ("FSType", _str(src.get("fsType"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
        ("SecretRef", _go_local_ref(src.get("secretRef"))),
    )


def _vol_photon(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "PhotonPersistentDisk (a Persistent Disk resource in photon platform)",
        ("PdID", _str(src.get("pdID"))),
        ("FSType", _str(src.get("fsType"))),
    )


def _vol_portworx(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "PortworxVolume (a Portworx Volume resource)",
        ("VolumeID", _str(src.get("volumeID"))),
    )


def _vol_scaleio(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "ScaleIO (a persistent volume backed by a block device in ScaleIO)",
        ("Gateway", _str(src.get("gateway"))),
        ("System", _str(src.get("system"))),
        ("Protection Domain", _str(src.get("protectionDomain"))),
        ("Storage Pool", _str(src.get("storagePool"))),
        ("Storage Mode", _str(src.get("storageMode"))),
        ("VolumeName", _str(src.get("volumeName"))),
        ("FSType", _str(src.get("fsType"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_cephfs(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "CephFS (a CephFS mount on the host that shares a pod's lifetime)",
        ("Monitors", _go_slice(_list(src.get("monitors")))),
        ("Path", _str(src.get("path"))),
        ("User", _str(src.get("user"))),
        ("SecretFile", _str(src.get("secretFile"))),
        ("SecretRef", _go_local_ref(src.get("secretRef"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_storageos(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "StorageOS (a StorageOS Persistent Disk resource)",
        ("VolumeName", _str(src.get("volumeName"))),
        ("VolumeNamespace", _str(src.get("volumeNamespace"))),
        ("FSType", _str(src.get("fsType"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_fc(w: _PrefixWriter, src: Obj) -> None:
    lun = str(_int(src.get("lun"))) if src.get("lun") is not None else "<none>"
    _fields(
        w,
        "FC (a Fibre Channel disk)",
        ("TargetWWNs", ", ".join(_str(x) for x in _list(src.get("targetWWNs")))),
        ("LUN", lun),
        ("FSType", _str(src.get("fsType"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_azure_file(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "AzureFile (an Azure File Service mount on the host and bind mount to the pod)",
        ("SecretName", _str(src.get("secretName"))),
        ("ShareName", _str(src.get("shareName"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )


def _vol_flex(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "FlexVolume (a generic volume resource that is provisioned/attached using an exec "
        "based plugin)",
        ("Driver", _str(src.get("driver"))),
        ("FSType", _str(src.get("fsType"))),
        ("SecretRef", _go_local_ref(src.get("secretRef"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
        ("Options", _go_string_map(src.get("options"))),
    )


def _vol_flocker(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "Flocker (a Flocker volume mounted by the Flocker agent)",
        ("DatasetName", _str(src.get("datasetName"))),
        ("DatasetUUID", _str(src.get("datasetUUID"))),
    )


def _vol_projected(w: _PrefixWriter, src: Obj) -> None:
    w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
    for source in _list(src.get("sources")):
        source = _map(source)
        if source.get("secret") is not None:
            secret = _map(source.get("secret"))
            w.write(
                2,
                f"SecretName:\t{_str(secret.get('name'))}\n    Optional:\t{_optional(secret)}\n",
            )
        elif source.get("downwardAPI") is not None:
            w.write(2, "DownwardAPI:\ttrue\n")
        elif source.get("configMap") is not None:
            config_map = _map(source.get("configMap"))
            w.write(
                2,
                f"ConfigMapName:\t{_str(config_map.get('name'))}\n"
                f"    Optional:\t{_optional(config_map)}\n",
            )
        elif source.get("serviceAccountToken") is not None:
            token = _map(source.get("serviceAccountToken"))
            # The API server defaults expirationSeconds to one hour.
            seconds = token.get("expirationSeconds")
            w.write(
                2, f"TokenExpirationSeconds:\t{_int(seconds) if seconds is not None else 3600}\n"
            )


def _vol_csi(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "CSI (a Container Storage Interface (CSI) volume source)",
        ("Driver", _str(src.get("driver"))),
        ("FSType", _str(src.get("fsType"))),
        ("ReadOnly", _bool(src.get("readOnly"))),
    )
    # printCSIPersistentVolumeAttributesMultilineIndent writes every piece at level 2, which
    # indents the values and continuation lines oddly; kept as kubectl prints it.
    attributes = _map(src.get("volumeAttributes"))
    w.write(2, "VolumeAttributes:\t")
    if not attributes:
        w.write_line("<none>")
        return
    for i, key in enumerate(sorted(attributes)):
        if i:
            w.write(2, "")
            w.write(2, "\t")
        line = f"{key}={_str(attributes[key])}"
        if _go_len(line) > MAX_ANNOTATION_LEN:
            line = _go_cut(line, MAX_ANNOTATION_LEN) + "..."
        w.write(2, f"{line}\n")


def _vol_image(w: _PrefixWriter, src: Obj) -> None:
    _fields(
        w,
        "Image (a container image or OCI artifact)",
        ("Reference", _str(src.get("reference"))),
        ("PullPolicy", _str(src.get("pullPolicy"))),
    )


# describeVolumes' switch, in its order: the first source present wins.
_VOLUME_PRINTERS: tuple[tuple[str, Callable[[_PrefixWriter, Obj], None]], ...] = (
    ("hostPath", _vol_host_path),
    ("emptyDir", _vol_empty_dir),
    ("gcePersistentDisk", _vol_gce),
    ("awsElasticBlockStore", _vol_aws),
    ("gitRepo", _vol_git_repo),
    ("secret", _vol_secret),
    ("configMap", _vol_config_map),
    ("nfs", _vol_nfs),
    ("iscsi", _vol_iscsi),
    ("glusterfs", _vol_glusterfs),
    ("persistentVolumeClaim", _vol_pvc),
    ("ephemeral", _vol_ephemeral),
    ("rbd", _vol_rbd),
    ("quobyte", _vol_quobyte),
    ("downwardAPI", _vol_downward_api),
    ("azureDisk", _vol_azure_disk),
    ("vsphereVolume", _vol_vsphere),
    ("cinder", _vol_cinder),
    ("photonPersistentDisk", _vol_photon),
    ("portworxVolume", _vol_portworx),
    ("scaleIO", _vol_scaleio),
    ("cephfs", _vol_cephfs),
    ("storageos", _vol_storageos),
    ("fc", _vol_fc),
    ("azureFile", _vol_azure_file),
    ("flexVolume", _vol_flex),
    ("flocker", _vol_flocker),
    ("projected", _vol_projected),
    ("csi", _vol_csi),
    ("image", _vol_image),
)


def _describe_volumes(w: _PrefixWriter, volumes: Sequence[Any], space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    name_indent = " " if space else ""
    for volume in volumes:
        volume = _map(volume)
        w.write(1, f"{name_indent}{_str(volume.get('name'))}:\n")
        for key, printer in _VOLUME_PRINTERS:
            if _present(volume, key):
                printer(w, _map(volume.get(key)))
                break
        else:
            w.write(1, "<unknown>\n")


# --------------------------------------------------------------------------------------------
# the template
# --------------------------------------------------------------------------------------------


def describe_pod_template(
    template: Mapping[str, Any], *, extra_annotations: Mapping[str, str] | None = None
) -> str:
    """``describe.DescribePodTemplate`` written to a ``PrefixWriter``: the text kubectl prints
    after ``deployment.apps/NAME with revision #N``. Starts with ``Pod Template:\\n`` and ends
    with a newline.

    ``extra_annotations`` are laid over the template's own annotations (``rollout history``
    injects the ReplicaSet's change-cause this way)."""
    w = _PrefixWriter()
    meta = _map(template.get("metadata"))
    spec = _map(template.get("spec"))
    space = "  "
    w.write(0, "Pod Template:\n")
    _print_labels(w, "  Labels", _map(meta.get("labels")))
    annotations = {**_map(meta.get("annotations")), **(extra_annotations or {})}
    if annotations:
        _print_annotations(w, "  Annotations", annotations)
    if _str(spec.get("serviceAccountName")):
        w.write(1, f"Service Account:\t{_str(spec.get('serviceAccountName'))}\n")
    if _list(spec.get("initContainers")):
        _describe_containers(w, "Init Containers", _list(spec.get("initContainers")), space)
    _describe_containers(w, "Containers", _list(spec.get("containers")), space)
    _describe_volumes(w, _list(spec.get("volumes")), space)
    _describe_topology_spread(w, _list(spec.get("topologySpreadConstraints")), space)
    if _str(spec.get("priorityClassName")):
        w.write(1, f"Priority Class Name:\t{_str(spec.get('priorityClassName'))}\n")
    _print_labels(w, "  Node-Selectors", _map(spec.get("nodeSelector")))
    _print_tolerations(w, "  Tolerations", _list(spec.get("tolerations")))
    if spec.get("schedulingGroup") is not None:
        # kubectl 1.37 (the alpha PodSchedulingGroup field); both lines at two spaces, as
        # the real kubectl prints them.
        group = _map(spec.get("schedulingGroup"))
        w.write(0, f"{space}SchedulingGroup:\n")
        w.write(1, f"PodGroupName:\t{_str(group.get('podGroupName'))}\n")
    return w.text()
