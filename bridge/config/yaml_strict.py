"""Reading the config's YAML strictly: no key given twice, no alias bomb.

Plain ``yaml.safe_load`` lets a second ``acme:`` under ``links:`` silently
replace the first, and expands nested aliases without limit (a 1.3 KB file of
eight nested levels describes tens of millions of values, which the later
steps then walk). Here a repeated key is an error naming both lines, and
aliases stay allowed (they are handy for shared ``mirror:`` rules) as long as
the document they expand to stays under :data:`MAX_VALUES` values, counted on
the parsed tree before anything is built from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bridge.errors import ConfigError

# Far above any real config (a hundred links of a few hundred values each), far below what hurts.
MAX_VALUES = 100_000
_MERGE = "tag:yaml.org,2002:merge"


class _DuplicateKey(Exception):
    def __init__(self, key: object, first: int, second: int) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that names a key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:  # "<<: *defaults" keys may be overridden by design
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML itself refuses it below
                continue
            if first is not None:
                raise _DuplicateKey(key, first, line)
            seen[key] = line
        return super().construct_mapping(node, deep)


def parse_yaml(text: str, file: Path) -> Any:
    """The document in ``text``; a ConfigError for a repeated key or an oversized alias expansion."""
    loader = ConfigLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _bounded(node, file)
        return loader.construct_document(node)
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{file}:{dup.second}: the key {dup.key!r} is given twice (first on line {dup.first})",
            hint="a second entry would silently replace the first: rename one of them or merge the two",
        ) from None
    except RecursionError:
        raise ConfigError(f"{file}: the YAML is nested too deeply to read") from None
    finally:
        loader.dispose()


def _bounded(root: yaml.Node, file: Path) -> None:
    """Refuse a document whose aliases expand to more than MAX_VALUES values, or refer to themselves."""
    sizes: dict[int, int] = {}  # id(node) -> values it expands to; -1 while being counted

    def count(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            if known < 0:
                raise ConfigError(f"{file}:{node.start_mark.line + 1}: an alias refers to the value that contains it",
                                  hint="YAML aliases (*name) must point at a value defined elsewhere")
            return known
        sizes[id(node)] = -1
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(count(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(count(key) + count(value) for key, value in node.value)
        sizes[id(node)] = total
        return total

    total = count(root)
    if total > MAX_VALUES:
        raise ConfigError(
            f"{file}: its YAML aliases (*name) expand to {total:,} values, more than the {MAX_VALUES:,} a config may hold",
            hint="write the repeated parts out, or nest aliases less deeply",
        )
