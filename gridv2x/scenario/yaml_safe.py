"""Reading scenario YAML without letting a small file cost unbounded memory or time.

PyYAML's ``SafeLoader`` builds no Python objects from tags, but three things remain that a
scenario file must not do:

* **alias bombs**: ``a: &a [x, x]``, ``b: &b [*a, *a]``, ... share nodes in the parsed tree,
  and every later copy (the scenario's plain-data copy, validation, the resolved scenario)
  expands them; ten lines reach 10^9 nodes. :func:`load_yaml` counts the nodes that the
  aliases of a document stand for (one pass over PyYAML's event stream, before anything is
  built) and refuses more than :data:`MAX_ALIAS_NODES`.
* **deep nesting**: PyYAML builds the tree recursively, so 5,000 nested ``[`` raise a
  ``RecursionError``; the same pass refuses nesting deeper than :data:`MAX_DEPTH`.
* **duplicate keys**: YAML 1.2 forbids them and PyYAML silently keeps the last value; a
  scenario that says ``share: 0.3`` and later ``share: 0.5`` is refused, naming the key and
  both lines.

Dates stay text (``2030-01-01`` is not turned into a ``datetime.date``), so that a bad date is
a validation error with its key path.
"""

from __future__ import annotations

from typing import Any

import yaml

from gridv2x.errors import InputError

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "load_yaml"]

MAX_ALIAS_NODES = 10_000
"""Most YAML nodes that the aliases (``*name``) of one file may stand for [nodes]. A scenario
uses a few anchors for repeated sections (tens to hundreds of nodes); an alias bomb needs
millions."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists in a scenario file [levels]; a scenario needs 5."""


try:  # libyaml's C loader when PyYAML was built with it
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml import SafeLoader as _SafeLoader


class ScenarioLoader(_SafeLoader):
    """SafeLoader that keeps dates as text and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` may be overridden by the keys next to it
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (line {seen[key]} and line {line}); YAML allows "
                    "each key once per mapping, remove one of them",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _check_size(text: str, source: str) -> None:
    """Refuse alias expansion beyond :data:`MAX_ALIAS_NODES` and nesting beyond
    :data:`MAX_DEPTH`, from the event stream (linear in the file, builds nothing)."""
    anchored: dict[str, int] = {}  # anchor -> nodes it stands for
    stack: list[list] = []  # open collections: [node count so far, anchor]
    aliased = 0
    for event in yaml.parse(text, Loader=ScenarioLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                line = event.start_mark.line + 1
                raise InputError(
                    f"{source}: nested deeper than {MAX_DEPTH} levels at line {line}; a "
                    "scenario needs a few levels (section, key, list)"
                )
            stack.append([1, event.anchor])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            size, anchor = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1, event.anchor
        elif isinstance(event, yaml.AliasEvent):
            if any(entry[1] == event.anchor for entry in stack):
                line = event.start_mark.line + 1
                raise InputError(
                    f"{source}: the alias *{event.anchor} at line {line} refers to a value "
                    "that contains it (a cycle); refused"
                )
            size, anchor = anchored.get(event.anchor, 1), None
            aliased += size
            if aliased > MAX_ALIAS_NODES:
                line = event.start_mark.line + 1
                raise InputError(
                    f"{source}: the aliases (*name) stand for more than {MAX_ALIAS_NODES:,} "
                    f"values (at line {line}); refused, as a small file must not expand to a "
                    "huge scenario (a YAML alias bomb). Write the repeated values out."
                )
        else:
            continue
        if anchor is not None:
            anchored[anchor] = size
        if stack:
            stack[-1][0] += size


def load_yaml(text: str, source: str) -> Any:
    """Parse scenario YAML text safely (module documentation).

    Parameters
    ----------
    text : str
        The file's text.
    source : str
        The file, for messages.

    Returns
    -------
    Any
        Plain data (mappings, lists, text, numbers, booleans, null).

    Raises
    ------
    gridv2x.errors.InputError
        Not valid YAML (with line and column), a duplicate key, too many alias expansions or
        too deep a nesting.
    """
    try:
        _check_size(text, source)
        return yaml.load(text, Loader=ScenarioLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source}: not valid YAML{where}: {problem}") from None
