"""Turn pydantic validation errors into plain messages with field paths and lines.

Pydantic reports one error per union branch and puts discriminator tags in error
locations; this module hides both, groups errors by field, and adds "did you mean" to
unknown keys.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from .yamlio import Marks, dotted, locate


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """A "; did you mean 'x'?" suffix, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unwrap(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return t


def _union_members(t: Any) -> list[Any] | None:
    origin = typing.get_origin(t)
    if origin is Union or origin is types.UnionType:
        return [_unwrap(a) for a in typing.get_args(t)]
    return None


def _field_by_key(cls: type[BaseModel], key: str) -> Any | None:
    for name, field in cls.model_fields.items():
        if key == (field.alias or name) or key == name:
            return field.annotation
    return None


def _tag_of(cls: Any) -> str | None:
    """Discriminator value of a distribution-like model (its single Literal field)."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        field = cls.model_fields.get("distribution")
        if field is not None:
            args = typing.get_args(field.annotation)
            if args:
                return str(args[0])
    return None


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any, bool]:
    """Follow ``loc`` through the model types.

    Returns the display path (union tags removed), the type reached (or None), and
    whether the rest of ``loc`` named union branches of a plain (untagged) union.
    """
    t: Any = root
    shown: list[Any] = []
    i = 0
    while i < len(loc):
        part = loc[i]
        t = _unwrap(t)
        members = _union_members(t)
        if members is not None:
            non_none = [m for m in members if m is not type(None)]
            tagged = {(_tag_of(m)): m for m in non_none if _tag_of(m)}
            if isinstance(part, str) and part in tagged:
                t = tagged[part]
                i += 1
                continue
            models = [m for m in non_none if isinstance(m, type) and issubclass(m, BaseModel)]
            if len(non_none) == 1:
                t = non_none[0]
                continue
            if len(models) == 1 and not isinstance(part, int) and _field_by_key(models[0], str(part)):
                t = models[0]
                continue
            # Remaining parts name branches of a plain union (e.g. 'int', "literal['unlimited']").
            return tuple(shown), t, True
        if isinstance(t, type) and issubclass(t, BaseModel):
            ann = _field_by_key(t, str(part))
            shown.append(part)
            t = ann
        elif typing.get_origin(t) is dict:
            shown.append(part)
            t = typing.get_args(t)[1]
        elif typing.get_origin(t) in (list, tuple):
            shown.append(part)
            args = typing.get_args(t)
            t = args[0] if args else None
        else:
            shown.append(part)
            t = None
        i += 1
    return tuple(shown), _unwrap(t) if t is not None else None, False


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(err: dict[str, Any], root: type[BaseModel]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        _, parent, _ = _walk(root, tuple(err["loc"][:-1]))
        allowed: list[str] = []
        if isinstance(parent, type) and issubclass(parent, BaseModel):
            allowed = [f.alias or n for n, f in parent.model_fields.items()]
        hint = suggest(key, allowed)
        listing = f" (allowed: {', '.join(allowed)})" if allowed and not hint else ""
        return f"unknown field {key!r}{hint}{listing}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_show(got)}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {_show(got)}"
    if kind == "finite_number":
        return f"expected a finite number, got {_show(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_show(got)}"
    if kind == "string_type":
        return f"expected text, got {_show(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of fields (key: value), got {_show(got)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {_show(got)}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return f"expected a date like 2025-05-01, got {_show(got)}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx.get('gt'))}, got {_show(got)}"
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx.get('ge'))}, got {_show(got)}"
    if kind == "less_than":
        return f"must be less than {_num(ctx.get('lt'))}, got {_show(got)}"
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx.get('le'))}, got {_show(got)}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {_show(got)}"
    if kind == "union_tag_invalid":
        return (f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} {ctx.get('tag')!r}; "
                f"expected one of {ctx.get('expected_tags')}")
    if kind == "union_tag_not_found":
        return f"missing {ctx.get('discriminator')} (what kind of distribution this is)"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "value_error":
        text = str(ctx.get("error", err.get("msg", "")))
        return text
    if kind == "string_too_short":
        return "must not be empty"
    return str(err.get("msg", kind))


_BRANCH_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "none": "nothing (null)",
}


def _branch_word(tag: str) -> str:
    if tag.startswith("literal["):
        return tag[len("literal["):-1].replace("'", "'")
    return _BRANCH_WORDS.get(tag, tag)


def problems_from_validation(exc: ValidationError, root: type[BaseModel], marks: Marks,
                             default_file: str | None) -> list[Problem]:
    """Problems (with lines) for every error of a pydantic ``ValidationError``."""
    grouped: dict[tuple[Any, ...], list[tuple[dict[str, Any], bool, tuple[Any, ...]]]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        shown, _, in_union = _walk(root, loc)
        rest = loc[len(shown):] if in_union else ()
        grouped.setdefault(shown, []).append((err, in_union, rest))
    problems: list[Problem] = []
    for shown, errs in grouped.items():
        if any(u for _, u, _ in errs):
            branches: list[str] = []
            for err, u, rest in errs:
                if u and rest:
                    word = _branch_word(str(rest[0]))
                    if word not in branches:
                        branches.append(word)
            detailed = [(_message(e, root)) for e, u, rest in errs
                        if e["type"] in ("value_error", "greater_than_equal", "less_than_equal",
                                         "greater_than", "less_than", "union_tag_invalid",
                                         "missing", "extra_forbidden")]
            got = errs[0][0].get("input")
            if detailed:
                msg = detailed[0]
            else:
                msg = f"expected {' or '.join(branches)}, got {_show(got)}"
            messages = [msg]
        else:
            messages = []
            for err, _, _ in errs:
                m = _message(err, root)
                if m not in messages:
                    messages.append(m)
        for m, (err, _, _) in zip(messages, errs):
            lookup = tuple(err["loc"]) if err["type"] == "extra_forbidden" else shown
            file, line = locate(marks, lookup) if marks else (None, None)
            problems.append(Problem(m, dotted(shown), file or default_file, line))
    problems.sort(key=lambda p: (p.file or "", p.line or 0))
    return problems
