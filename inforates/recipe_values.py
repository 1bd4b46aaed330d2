"""What a recipe may hold: YAML read strictly, and each value checked against its field's type.

    >>> config, lines = load_recipe_yaml("recipes/demo/videomae.yaml")   # duplicate keys / bad YAML: RecipeError
    >>> config["num_frames"], lines["num_frames"]  # each key's value and its line
    (8, 6)
    >>> coerce_value("seed", [1], int)
    Traceback (most recent call last):
    inforates.errors.RecipeError: seed=[1]: expects an integer, got a list

A recipe value reaches its dataclass without passing through argparse's ``type=`` conversion, so every value is
checked here, against the field's annotation (``int | None``, ``list[float]``, ``dict | str``, enums, ...): a
wrong kind is one line naming the key, never a ``TypeError`` deep inside a ``__post_init__``. Numbers are checked
for their range by the dataclasses themselves.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from .errors import RecipeError


_PLURAL = {int: "integers", float: "numbers", str: "texts", bool: "booleans"}
_TRUE, _FALSE = {"true", "yes", "y", "t", "1", "on"}, {"false", "no", "n", "f", "0", "off"}


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _DuplicateKey(key, seen[key], line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key, first: int, second: int):
        super().__init__(key, first, second)
        self.key, self.first, self.second = key, first, second


def load_recipe_yaml(path: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The recipe's mapping and the line of each key; ``RecipeError`` naming the line for anything malformed."""
    if not Path(path).is_file():
        raise RecipeError(f"{path}: recipe file not found (a path, or a shipped recipe's name: `inforates recipes`)")
    lines: dict[str, int] = {}
    try:
        with open(path) as f:
            loader = _StrictLoader(f)
            try:
                node = loader.get_single_node()
                config = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
        if isinstance(node, yaml.MappingNode):
            lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    except _DuplicateKey as dup:
        raise RecipeError(
            f"{path}: key {dup.key!r} is given twice (lines {dup.first} and {dup.second}); keep one"
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = " ".join(str(err.problem or err.context or "syntax error").split())
        raise RecipeError(f"{where}: not valid YAML ({problem})") from None
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    except UnicodeDecodeError:
        raise RecipeError(f"{path}: not a text file (a recipe is UTF-8 YAML)") from None
    if config is None:
        return {}, {}
    if not isinstance(config, dict):
        raise RecipeError(f"{path}: a recipe is a flat mapping of key: value, got {type(config).__name__}")
    return config, lines


class _Mismatch(Exception):
    pass


def _options(hint) -> list:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [option for arg in typing.get_args(hint) for option in _options(arg)]
    return [hint]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"a {type(value).__name__}"


def describe(hint) -> str:
    """``int | None`` -> ``"an integer (or nothing)"``, for error messages."""
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a text", dict: "a mapping"}
    parts, optional = [], False
    for option in _options(hint):
        origin = typing.get_origin(option)
        if option is type(None):
            optional = True
        elif origin is list:
            inner = typing.get_args(option)
            parts.append(f"a list of {_PLURAL.get(inner[0], 'values') if inner else 'values'}")
        elif origin is dict:
            parts.append("a mapping")
        elif origin is typing.Literal:
            parts.append(" or ".join(repr(v) for v in typing.get_args(option)))
        elif isinstance(option, type) and issubclass(option, enum.Enum):
            parts.append("one of " + ", ".join(str(m.value) for m in option))
        else:
            parts.append(names.get(option, getattr(option, "__name__", str(option))))
    text = " or ".join(dict.fromkeys(parts)) or "nothing"
    return f"{text} (or nothing)" if optional and parts else text


def _to(value: Any, option) -> Any:
    origin = typing.get_origin(option)
    if option is Any:
        return value
    if origin is list:
        inner = (typing.get_args(option) or (Any,))[0]
        if isinstance(value, dict):
            raise _Mismatch
        return [_to(v, inner) for v in (value if isinstance(value, (list, tuple)) else [value])]
    if origin is dict or option is dict:
        if isinstance(value, dict):
            return value
        raise _Mismatch
    if origin is typing.Literal:
        if value in typing.get_args(option) and type(value) in {type(a) for a in typing.get_args(option)}:
            return value
        raise _Mismatch
    if isinstance(value, (dict, list, tuple)):
        raise _Mismatch
    if option is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Mismatch
    if option is int:
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            return int(value)
        raise _Mismatch
    if option is float:
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _Mismatch from None
    if isinstance(option, type) and issubclass(option, enum.Enum):
        if isinstance(value, option):
            return value
        if isinstance(value, str) and value in {str(m.value) for m in option}:
            return value
        raise _Mismatch
    if option is str:
        if isinstance(value, bool):
            raise _Mismatch
        return value if isinstance(value, str) else str(value)
    if isinstance(option, type) and isinstance(value, option):
        return value
    raise _Mismatch


def _fits(value: Any, option) -> bool:
    try:
        _to(value, option)
        return True
    except _Mismatch:
        return False


def coerce_value(key: str, value: Any, hint) -> Any:
    """``value`` converted to the field type ``hint``; ``RecipeError`` naming ``key`` when it is the wrong kind."""
    options = _options(hint)
    if value is None:
        if type(None) in options or Any in options:
            return None
        raise RecipeError(f"{key} has no value: give it {describe(hint)}")
    # text last: a number or a boolean read as text would otherwise win over its own type
    ordered = sorted((o for o in options if o is not type(None)), key=lambda o: o is str)
    for option in ordered:
        try:
            return _to(value, option)
        except _Mismatch:
            continue
    got = _kind(value)
    if isinstance(value, (list, tuple)):
        inner = [(typing.get_args(o) or (Any,))[0] for o in options if typing.get_origin(o) is list]
        bad = [v for v in value if inner and not any(_fits(v, i) for i in inner)]
        got = f"a list holding {_kind(bad[0])}" if bad else got
    raise RecipeError(f"{key}={value!r}: expects {describe(hint)}, got {got}")


def escape_help(text: str | None) -> str | None:
    """A field's help text made safe for argparse, which reads ``%`` as a format directive."""
    if not text:
        return text
    return re.sub(r"%(?!\(\w+\)[a-z])", "%%", text.replace("%%", "%"))
