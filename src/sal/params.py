"""Typed parameter models: one frozen dataclass per experiment declares its keys, their types and rules.

Every field of a model is one key of the parameter dict; its annotation is the type and ``key(...)``
its rules::

    @dataclass(frozen=True, kw_only=True)
    class Chain(Params):
        label: ClassVar[str] = "principle"
        psp: str = key(choices=("rect", "alpha", "exp"))
        tau_ref: int = key(ge=2)
        window: int = key(ge=3, le=1000)
        examples: dict[str, Example] = key(min_length=1)   # Example: another Params model

        def relations(self):
            if self.window <= self.tau_ref:
                yield "window", self.window, f"> tau_ref = {self.tau_ref}"

Types: ``int`` (not bool, not a float, even an integer-valued one such as 2.0), ``float`` (any finite
number: int or float, not bool; NaN and ±inf are refused everywhere), ``str``, ``bool``, ``T | None``,
``list[T]`` (a list or tuple), ``dict[str, T]``, ``list`` / ``dict`` (any list / mapping), ``Any``,
and nested ``Params`` models (a mapping with exactly their keys); numbers nested in ``Any`` must be
finite too. Rules: ``ge``, ``gt``, ``le``, ``lt``, ``choices`` and
``pattern`` constrain a scalar, or every scalar of a list or mapping (``pattern``: a mapping's names);
``length``, ``min_length``, ``max_length`` and ``unique`` constrain the list (or mapping) itself;
``allowed`` replaces the generated description of what is allowed. A field with a default is an
optional key (the default is never filled in). ``relations()`` yields (key, value, allowed) of violated relations between keys; it runs on an
instance (fields as attributes) once every key is valid, and may also raise ValueError itself.

``Model.check(params)`` returns a shallow copy of ``params``, unchanged (same content, same key order:
parameters are stored as JSON in result files), or raises ValueError naming the key, the value and what
is allowed, for a missing key, an unknown key, a bad value or a violated relation.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import MISSING, dataclass, field, fields
from numbers import Integral, Real
from types import NoneType, UnionType
from typing import Any, ClassVar

import numpy as np


def key(default=MISSING, *, ge=None, gt=None, le=None, lt=None, choices=None, pattern=None, length=None,
        min_length=None, max_length=None, unique=False, allowed=None):
    """A field of a model: its rules (see the module docstring); with ``default``, an optional key."""
    rules = {k: v for k, v in dict(ge=ge, gt=gt, le=le, lt=lt, choices=choices, pattern=pattern, length=length,
                                   min_length=min_length, max_length=max_length, unique=unique,
                                   allowed=allowed).items() if v is not None and v is not False}
    return field(default=default, metadata={"rules": rules})


def _show(value, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...]"


def _path(path: str, name) -> str:
    return f"{path}[{name}]" if isinstance(name, int) else (f"{path}.{name}" if path else str(name))


class _Invalid(ValueError):
    """A bad value: (key, value, allowed), completed into the message by ``Params.check``."""

    def __init__(self, path, value, allowed):
        super().__init__(path, value, allowed)
        self.path, self.value, self.allowed = path, value, allowed


def _is_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, (bool, np.bool_))


def _is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, (bool, np.bool_))


def _bounds(rules: dict) -> str:
    parts = []
    lo = ("> ", rules["gt"]) if "gt" in rules else (">= ", rules["ge"]) if "ge" in rules else None
    hi = ("< ", rules["lt"]) if "lt" in rules else ("<= ", rules["le"]) if "le" in rules else None
    if lo and hi and lo[0] == ">= " and hi[0] == "<= ":
        return f" in [{lo[1]}, {hi[1]}]"
    for bound in (lo, hi):
        if bound:
            parts.append(f"{bound[0]}{bound[1]}")
    return (" " + " and ".join(parts)) if parts else ""


def _normal(tp):
    """``list`` as ``list[Any]``, ``dict`` as ``dict[str, Any]``."""
    return list[Any] if tp is list else dict[str, Any] if tp is dict else tp


def describe(tp, rules: dict | None = None) -> str:
    """What a key of type ``tp`` with ``rules`` allows, in words."""
    rules = rules or {}
    tp = _normal(tp)
    if "allowed" in rules:
        return rules["allowed"]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    scalar_rules = {k: v for k, v in rules.items() if k in ("ge", "gt", "le", "lt", "choices", "pattern")}
    if origin in (UnionType, typing.Union):
        inner = [a for a in args if a is not NoneType]
        return " or ".join(describe(a, rules) for a in inner) + " or null"
    if "choices" in rules and origin is None:
        return f"one of {list(rules['choices'])}"
    if tp is int:
        return "an integer" + _bounds(rules)
    if tp is float:
        return "a finite number" + _bounds(rules)
    if tp is str:
        return "a string" + (f" matching {rules['pattern']!r}" if "pattern" in rules else "")
    if tp is bool:
        return "true or false"
    if origin is list:
        n = ("" if not any(k in rules for k in ("length", "min_length", "max_length")) else
             f"{rules['length']} " if "length" in rules else
             " ".join(filter(None, [f">= {rules['min_length']}" if "min_length" in rules else "",
                                    f"<= {rules['max_length']}" if "max_length" in rules else ""])) + " ")
        unique = "distinct " if rules.get("unique") else ""
        each = "" if args[0] is Any else f", each {describe(args[0], scalar_rules)}"
        return f"a list of {n}{unique}items{each}"
    if origin is dict:
        at_least = f" (at least {rules['min_length']})" if "min_length" in rules else ""
        return f"a mapping of names{at_least}" + ("" if args[1] is Any else f" to {describe(args[1], scalar_rules)}")
    if isinstance(tp, type) and issubclass(tp, Params):
        return f"a mapping with the keys {tp.keys()}"
    return "any value"  # Any


def _finite(value, path: str) -> None:
    """Raise _Invalid for the first NaN or infinite number nested in ``value`` (lists and mappings)."""
    if isinstance(value, dict):
        for name, item in value.items():
            _finite(item, _path(path, name))
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            _finite(item, _path(path, k))
    elif _is_number(value) and not math.isfinite(value):
        raise _Invalid(path, value, "a finite number")


def _check(value, tp, rules: dict, path: str) -> None:
    """Raise _Invalid(path, value, allowed) unless ``value`` is of type ``tp`` under ``rules``."""
    tp = _normal(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    bad = lambda: _Invalid(path, value, describe(tp, rules))  # noqa: E731
    if origin in (UnionType, typing.Union):
        if value is None and NoneType in args:
            return
        inner = [a for a in args if a is not NoneType]
        if len(inner) != 1:
            raise TypeError(f"unsupported parameter type {tp}")
        try:
            _check(value, inner[0], rules, path)
        except _Invalid:
            raise bad() from None
        return
    if tp is Any:
        _finite(value, path)
        return
    if origin is list or origin is dict:
        if origin is list and not isinstance(value, (list, tuple)) or origin is dict and not isinstance(value, dict):
            raise bad()
        n = len(value)
        if ("length" in rules and n != rules["length"] or "min_length" in rules and n < rules["min_length"]
                or "max_length" in rules and n > rules["max_length"]):
            raise bad()
        items = list(value.items()) if origin is dict else list(enumerate(value))
        if rules.get("unique") and len({_show(v, 10**6) for _, v in items}) != n:
            raise _Invalid(path, value, describe(tp, rules) + " (no item twice)")
        item_type = args[0] if origin is list else args[1]
        scalar_rules = {k: v for k, v in rules.items() if k in ("ge", "gt", "le", "lt", "choices", "pattern")}
        for name, item in items:
            if origin is dict and not isinstance(name, str):
                raise _Invalid(_path(path, name), name, "a string key")
            if origin is dict and "pattern" in rules and not re.fullmatch(rules["pattern"], name):
                raise _Invalid(path, value, f"names matching {rules['pattern']!r}")
            _check(item, item_type, scalar_rules if origin is list else
                   {k: v for k, v in scalar_rules.items() if k != "pattern"}, _path(path, name))
        return
    if isinstance(tp, type) and issubclass(tp, Params):
        if not isinstance(value, dict):
            raise bad()
        tp._check_mapping(value, path)
        return
    if tp is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise bad()
        return
    if tp is str:
        if not isinstance(value, str) or "pattern" in rules and not re.fullmatch(rules["pattern"], value):
            raise bad()
    elif tp is int:
        if not _is_int(value):
            extra = (f" (write {int(value)}: a float is not an integer)" if isinstance(value, float) and
                     math.isfinite(value) and value.is_integer() else
                     " (not a boolean)" if isinstance(value, (bool, np.bool_)) else "")
            raise _Invalid(path, value, describe(tp, rules) + extra)
    elif tp is float:
        if not _is_number(value) or not math.isfinite(value):
            raise bad()
    else:
        raise TypeError(f"unsupported parameter type {tp}")
    if "choices" in rules and value not in rules["choices"]:
        raise bad()
    for rule, ok in (("ge", lambda b: value >= b), ("gt", lambda b: value > b), ("le", lambda b: value <= b),
                     ("lt", lambda b: value < b)):
        if rule in rules and not ok(rules[rule]):
            raise bad()


@dataclass(frozen=True, kw_only=True)
class Params:
    """Base of the typed parameter models (see the module docstring)."""

    #: names the parameters in messages ("microcircuit parameter 'tau_syn' is ...")
    label: ClassVar[str] = "experiment"
    #: keys of earlier versions, refused with a pointer to their replacement (old key -> new key)
    renamed: ClassVar[dict] = {}

    def relations(self):
        """Yield (key, value, allowed) for every violated relation between keys (none by default)."""
        return iter(())

    @classmethod
    def keys(cls) -> list[str]:
        """Every key, in declaration order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def required(cls) -> list[str]:
        """The keys without a default (those that must be given)."""
        return [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]

    @classmethod
    def check(cls, params: dict) -> dict:
        """A shallow copy of ``params``, unchanged, if they are valid; else ValueError naming the key, the
        value and what is allowed."""
        if not isinstance(params, dict):
            raise ValueError(f"{cls.label} parameters must be a mapping of keys, got {_show(params)}")
        try:
            cls._check_mapping(params, "")
        except _Invalid as err:
            raise ValueError(f"{cls.label} parameter {err.path!r} is {_show(err.value)}; allowed: {err.allowed}") \
                from None
        return dict(params)

    @classmethod
    def _check_mapping(cls, params: dict, path: str) -> None:
        for name in params:
            if name in cls.renamed:
                raise _Invalid(_path(path, name), params[name],
                               f"no longer a parameter: use {cls.renamed[name]!r} (one entry per layer)")
        known = cls.keys()
        unknown = [_path(path, k) for k in params if k not in known]
        missing = [_path(path, k) for k in cls.required() if k not in params]
        if unknown or missing:
            raise ValueError("; ".join(filter(None, [
                unknown and f"unknown {cls.label} parameters {unknown}",
                missing and f"missing {cls.label} parameters {missing}"]))
                + f"; the keys{' of ' + repr(path) if path else ''} are {known}")
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            if f.name in params:
                _check(params[f.name], hints[f.name], f.metadata.get("rules", {}), _path(path, f.name))
        for name, value, allowed in cls(**params).relations():
            raise _Invalid(_path(path, name), value, allowed)


GRID_POINTS = 1000  # at most this many grid points per axis: a tiny step is a typo, not a study


def grid_step(p, low: str, high: str, step: str):
    """For a model's ``relations``: (key, value, rule) if the grid from ``low`` to ``high`` in steps of ``step``
    has more than GRID_POINTS points."""
    span, size = getattr(p, high) - getattr(p, low), getattr(p, step)
    if span > 0 and span / size + 1 > GRID_POINTS:
        yield step, size, f">= {span / (GRID_POINTS - 1):.3g} (at most {GRID_POINTS} grid points from {low} to {high})"
