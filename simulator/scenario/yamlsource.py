"""Read a YAML scenario file safely, keeping the line and column of every key and value.

The file is composed into YAML nodes with a ``yaml.SafeLoader`` subclass (no Python object tags), then turned into
plain Python values by walking the nodes, recording where each value and each key sits. Duplicate keys, non-text
keys, alias cycles, alias bombs, excessive nesting, binary content, empty and oversized files are reported as
``ScenarioError`` with ``file:line:column``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.scenario.errors import Issue, KeyPath, ScenarioError, whole_file_error

MAX_FILE_BYTES = 1_000_000
"""Largest scenario file accepted (a scenario is a sparse override; a megabyte is far beyond any real one)."""

MAX_NODES = 100_000
"""Most values a file may expand to (guards against alias bombs)."""

MAX_DEPTH = 40
"""Deepest nesting of mappings and lists accepted."""


class ScenarioYamlLoader(yaml.SafeLoader):
    """Safe YAML loader for scenario files: only plain data (no Python tags), marks kept on nodes.

    Numbers in exponent form without a decimal point (``2e-4``, ``1e4``) are numbers, as in YAML 1.2 (PyYAML follows
    YAML 1.1, which reads them as text): whole ones (``1e4``) as integers, the others as floats.
    """


EXPONENT_TAG = "tag:dlsim,2025:exponent-number"
"""Tag given to plain scalars such as ``2e-4`` (resolved before PyYAML would read them as text)."""
EXPONENT_NUMBER = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")
"""An exponent-form number without a decimal point."""


def _construct_exponent_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | float:
    text = str(loader.construct_scalar(node)).replace("_", "")
    value = float(text)
    mantissa, _, exponent = text.lower().partition("e")
    if int(exponent) >= 0 and value.is_integer() and abs(value) < 2**63:
        return int(mantissa) * 10 ** int(exponent)
    return value


ScenarioYamlLoader.add_implicit_resolver(EXPONENT_TAG, EXPONENT_NUMBER, list("-+0123456789"))
ScenarioYamlLoader.add_constructor(EXPONENT_TAG, _construct_exponent_number)


@dataclass(frozen=True)
class Mark:
    """A 1-based position in a file."""

    line: int
    column: int


@dataclass
class SourceDocument:
    """A parsed scenario file: its data and where each value and key came from.

    Attributes:
        path: The file.
        data: The document as plain Python values (dict, list, str, int, float, bool, date, None).
        values: Position of each value by key path.
        keys: Position of each mapping key by the key path of its value.
        issues: Values that could not be read (the value is ``None`` in ``data``; checking may go on).
    """

    path: Path
    data: Any
    values: dict[KeyPath, Mark] = field(default_factory=dict)
    keys: dict[KeyPath, Mark] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def mark(self, path: KeyPath, key: bool = False) -> Mark | None:
        """Return the position of ``path`` (its key if ``key``), falling back to the nearest enclosing value."""
        if key and path in self.keys:
            return self.keys[path]
        for n in range(len(path), -1, -1):
            if path[:n] in self.values:
                return self.values[path[:n]]
        return None

    def known_prefix(self, path: KeyPath) -> KeyPath:
        """Return the longest prefix of ``path`` that exists in the document."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.values:
                return path[:n]
        return ()

    def issue(self, path: KeyPath, message: str, *, key: bool = False, **details: Any) -> Issue:
        """Make an ``Issue`` located at ``path`` in this file."""
        mark = self.mark(path, key=key)
        return Issue(
            str(self.path), mark.line if mark else None, mark.column if mark else None, path, message, **details
        )


def _mark_of(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Turns composed YAML nodes into Python values, recording marks and rejecting unsafe structures."""

    def __init__(self, path: Path, loader: ScenarioYamlLoader) -> None:
        self.doc = SourceDocument(path, None)
        self.loader = loader
        self.count = 0
        self.issues: list[Issue] = []

    def fail(self, node: yaml.Node, path: KeyPath, message: str, **details: Any) -> None:
        mark = _mark_of(node)
        self.issues.append(Issue(str(self.doc.path), mark.line, mark.column, path, message, **details))

    def walk(self, node: yaml.Node, path: KeyPath, active: frozenset[int]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(node)
        self.doc.values[path] = _mark_of(node)
        if id(node) in active:
            self.fail(node, path, "an alias refers to itself (recursive structure)")
            return None
        if len(path) > MAX_DEPTH:
            self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels")
            return None
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.loader.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
                self.fail(node, path, f"cannot read this value ({_first_line(exc)})", value=repr(node.value)[:60])
                return None
        inner = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.fail(node, path, f"unsupported tag {node.tag}", expected="a plain list")
            return [self.walk(item, (*path, i), inner) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.walk_mapping(node, path, inner)
        self.fail(node, path, "unsupported YAML node")
        return None

    def walk_mapping(self, node: yaml.MappingNode, path: KeyPath, inner: frozenset[int]) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            self.fail(node, path, f"unsupported tag {node.tag}", expected="a plain mapping")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a " + type(key_node).__name__
                self.fail(
                    key_node, path, "a key must be text", value=repr(shown)[:60], expected="a name such as 'rules'"
                )
                continue
            key = str(key_node.value)
            if key == "<<":
                self.fail(key_node, path, "YAML merge keys ('<<') are not supported", expected="write the keys out")
                continue
            if key in out:
                self.fail(key_node, (*path, key), f"duplicate key {key!r}", expected="each key once per mapping")
                continue
            self.doc.keys[(*path, key)] = _mark_of(key_node)
            out[key] = self.walk(value_node, (*path, key), inner)
        return out


class _TooBig(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def read_text(path: Path) -> str:
    """Read a scenario file as UTF-8 text, rejecting what cannot be a scenario file.

    Raises:
        ScenarioError: If the path is missing, a directory, unreadable, too large, binary, not UTF-8 or empty.
    """
    if not path.exists():
        raise whole_file_error(path, "no such file")
    if path.is_dir():
        raise whole_file_error(path, "is a directory", expected="a .yaml scenario file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise whole_file_error(path, f"file too large ({size} bytes)", expected=f"at most {MAX_FILE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise whole_file_error(path, f"cannot read the file ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise whole_file_error(path, "binary file (contains NUL bytes)", expected="a UTF-8 text YAML file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise whole_file_error(path, f"not UTF-8 text (byte {exc.start})", expected="a UTF-8 text YAML file") from None
    if not text.strip() or all(line.lstrip().startswith("#") for line in text.splitlines() if line.strip()):
        raise whole_file_error(path, "empty file", expected="a YAML mapping with at least 'schema_version'")
    return text


def parse_yaml(text: str, path: Path) -> SourceDocument:
    """Parse YAML ``text`` (from ``path``) into a ``SourceDocument`` with marks.

    Values that cannot be read (bad dates, unknown tags, duplicate keys, alias cycles) are recorded in the document's
    ``issues`` so that the rest of the file can still be checked.

    Raises:
        ScenarioError: On any YAML syntax error, or a file that expands to too many values.
    """
    try:
        loader = ScenarioYamlLoader(text)
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        raise ScenarioError(
            [Issue(str(path), line, col, (), f"malformed YAML: character #x{exc.character:04x} is not allowed")]
        ) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ScenarioError([Issue(str(path), line, col, (), f"malformed YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Issue(str(path), None, None, (), f"malformed YAML: {_first_line(exc)}")]) from None
    except RecursionError:
        raise whole_file_error(path, "malformed YAML: nesting too deep") from None
    finally:
        loader.dispose()
    if node is None:
        raise whole_file_error(path, "empty file", expected="a YAML mapping with at least 'schema_version'")
    walker = _Walker(path, loader)
    try:
        data = walker.walk(node, (), frozenset())
    except _TooBig as exc:
        mark = _mark_of(exc.node)
        raise ScenarioError(
            [Issue(str(path), mark.line, mark.column, (), f"the file expands to more than {MAX_NODES} values")]
        ) from None
    except RecursionError:
        raise whole_file_error(path, "nesting too deep") from None
    walker.doc.data = data
    walker.doc.issues = walker.issues
    return walker.doc


def read_yaml(path: Path | str) -> SourceDocument:
    """Read and parse a scenario file (see ``read_text`` and ``parse_yaml``)."""
    path = Path(path)
    return parse_yaml(read_text(path), path)
