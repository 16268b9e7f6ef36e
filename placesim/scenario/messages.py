"""Turn pydantic validation errors into plain messages with field paths and lines.

Pydantic reports one error per union branch and puts discriminator tags in error
locations; this module hides both, groups errors by field, adds "did you mean" to unknown
keys and misspelt choices, and points an error a model-level check raises about one field
(``funding_shares sum to 1.1``) at that field.
"""

from __future__ import annotations

import difflib
import re
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


def _closest(word: Any, choices: typing.Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _unwrap(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return t


def _union_members(t: Any) -> list[Any] | None:
    origin = typing.get_origin(t)
    if origin is Union or origin is types.UnionType:
        return [_unwrap(a) for a in typing.get_args(t)]
    return None


def _strip_optional(t: Any) -> Any:
    """``X | None`` -> ``X`` (other unions are left alone)."""
    t = _unwrap(t)
    members = _union_members(t)
    if members is not None:
        non_none = [m for m in members if m is not type(None)]
        if len(non_none) == 1:
            return non_none[0]
    return t


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _field_names(cls: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in cls.model_fields.items()]


def _field_by_key(cls: type[BaseModel], key: str) -> Any | None:
    for name, field in cls.model_fields.items():
        if key == (field.alias or name) or key == name:
            return field.annotation
    return None


def _tag_of(cls: Any) -> str | None:
    """Discriminator value of a distribution-like model (its single Literal field)."""
    if _is_model(cls):
        field = cls.model_fields.get("distribution")
        if field is not None:
            args = typing.get_args(field.annotation)
            if args:
                return str(args[0])
    return None


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any, bool]:
    """Follow ``loc`` through the model types.

    Returns the display path (union tags removed), the type reached (or None; ``X | None``
    is reported as ``X``), and whether the rest of ``loc`` named union branches of a plain
    (untagged) union.
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
            models = [m for m in non_none if _is_model(m)]
            if len(non_none) == 1:
                t = non_none[0]
                continue
            if len(models) == 1 and not isinstance(part, int) and _field_by_key(models[0], str(part)):
                t = models[0]
                continue
            # Remaining parts name branches of a plain union (e.g. 'int', "literal['unlimited']").
            return tuple(shown), t, True
        if _is_model(t):
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
    return tuple(shown), _strip_optional(t) if t is not None else None, False


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _show(value: Any) -> str:
    """A value as the scenario file would show it, with its kind when that helps."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, list):
        return f"a list {text}"
    if isinstance(value, dict):
        return f"a mapping {text}"
    return text


def _quoted(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _did_you_mean(got: Any, choices: list[str]) -> str:
    if isinstance(got, str) and got not in choices:
        close = _closest(got, choices)
        if close is not None:
            return f"; did you mean {close!r}?"
    return ""


def _message(err: dict[str, Any], root: type[BaseModel]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        _, parent, _ = _walk(root, tuple(err["loc"][:-1]))
        allowed = _field_names(parent) if _is_model(parent) else []
        hint = suggest(key, allowed)
        listing = f" (allowed: {', '.join(allowed)})" if allowed and not hint else ""
        return f"unknown field {key!r}{hint}{listing}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_show(got)}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {_show(got)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_show(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_show(got)}"
    if kind == "string_type":
        return f"expected text, got {_show(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of fields (key: value), got {_show(got)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {_show(got)}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        why = ctx.get("error")
        looks_like_a_date = isinstance(got, str) and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", got.strip())
        why = f" ({why})" if isinstance(why, str) and why and looks_like_a_date else ""
        if kind == "date_from_datetime_inexact":
            why = " (a date without a time of day)"
        return f"expected a date like 2025-05-01, got {_show(got)}{why}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx.get('gt'))}, got {_show(got)}"
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx.get('ge'))}, got {_show(got)}"
    if kind == "less_than":
        return f"must be less than {_num(ctx.get('lt'))}, got {_show(got)}"
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx.get('le'))}, got {_show(got)}"
    if kind == "literal_error":
        expected = str(ctx.get("expected"))
        return f"expected {expected}, got {_show(got)}{_did_you_mean(got, _quoted(expected))}"
    if kind == "union_tag_invalid":
        what = str(ctx.get("discriminator", "kind")).strip("'")
        tags = _quoted(str(ctx.get("expected_tags", "")))
        tag = ctx.get("tag")
        return (f"unknown {what} {tag!r}{_did_you_mean(tag, tags)} "
                f"(expected one of {', '.join(tags)})")
    if kind == "union_tag_not_found":
        return f"missing {ctx.get('discriminator')} (what kind of distribution this is)"
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        entries = "entry" if n == 1 else "entries"
        which = "needs at least" if kind == "too_short" else "takes at most"
        return f"{which} {n} {entries}, got {ctx.get('actual_length')}"
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
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
        return tag[len("literal["):-1]
    return _BRANCH_WORDS.get(tag, tag)


def _pinpoint(path: tuple[Any, ...], t: Any, err: dict[str, Any]) -> tuple[Any, ...]:
    """Point a check's error at the field it is about.

    A model-level check whose message starts with one of the model's field names
    (``report_every_days (90) is longer than ...``) is shown at that field; a check of a
    mapping (``initial mix of 'money' ...``) at the entry whose key the message quotes.
    """
    if err["type"] != "value_error":
        return path
    text = str((err.get("ctx") or {}).get("error", ""))
    value = err.get("input")
    if _is_model(t) and isinstance(value, dict):
        first = re.match(r"[A-Za-z_]\w*", text)
        if first and first.group(0) in _field_names(t) and first.group(0) in value:
            word = first.group(0)
            path, t, value = path + (word,), _strip_optional(_field_by_key(t, word)), value[word]
    names = _quoted(text)
    while isinstance(value, dict) and typing.get_origin(t) is dict:
        i = next((j for j, n in enumerate(names) if n in value), None)
        if i is None:
            break
        key = names[i]
        names = names[i + 1:]
        path, t, value = path + (key,), _strip_optional(typing.get_args(t)[1]), value[key]
    return path


def problems_from_validation(exc: ValidationError, root: type[BaseModel], marks: Marks,
                             default_file: str | None) -> list[Problem]:
    """Problems (with lines) for every error of a pydantic ``ValidationError``."""
    grouped: dict[tuple[Any, ...], list[tuple[dict[str, Any], bool, tuple[Any, ...], Any]]] = {}
    for details in exc.errors(include_url=False):
        err: dict[str, Any] = dict(details)
        loc = tuple(err["loc"])
        shown, t, in_union = _walk(root, loc)
        rest = loc[len(shown):] if in_union else ()
        grouped.setdefault(shown, []).append((err, in_union, rest, t))

    # (path shown and looked up for the line, message, error)
    found: list[tuple[tuple[Any, ...], str, dict[str, Any]]] = []
    for shown, errs in grouped.items():
        if any(u for _, u, _, _ in errs):
            branches: list[str] = []
            for _err, u, rest, _ in errs:
                if u and rest:
                    word = _branch_word(str(rest[0]))
                    if word not in branches:
                        branches.append(word)
            detailed = [(_message(e, root), e) for e, _, _, _ in errs
                        if e["type"] in ("value_error", "greater_than_equal", "less_than_equal",
                                         "greater_than", "less_than", "union_tag_invalid",
                                         "missing", "extra_forbidden")]
            if detailed:
                msg, err = detailed[0]
            else:
                err = errs[0][0]
                got = err.get("input")
                literals = [b.strip("'") for b in branches if b.startswith("'")]
                msg = f"expected {' or '.join(branches)}, got {_show(got)}{_did_you_mean(got, literals)}"
            found.append((shown, msg, err))
            continue
        seen: set[tuple[str, tuple[Any, ...]]] = set()
        for err, _, _, t in errs:
            msg = _message(err, root)
            path = shown
            if err["type"] == "union_tag_invalid":
                path = shown + (str((err.get("ctx") or {}).get("discriminator", "")).strip("'"),)
            path = _pinpoint(path, t, err)
            if (msg, path) in seen:
                continue
            seen.add((msg, path))
            if err["type"] == "extra_forbidden":
                msg += _inherited(marks, path)
            found.append((path, msg, err))

    # A misspelt required key gives "unknown field 'mean_day'; did you mean 'mean_days'?"
    # and "mean_days: required field missing"; the first says it all.
    suggested = set()
    for path, msg, err in found:
        if err["type"] == "extra_forbidden":
            m = re.search(r"did you mean '([^']*)'\?", msg)
            if m:
                suggested.add(path[:-1] + (m.group(1),))
    problems: list[Problem] = []
    for path, msg, err in found:
        if err["type"] == "missing" and path in suggested:
            continue
        file, line = locate(marks, path) if marks else (None, None)
        problems.append(Problem(msg, dotted(path), file or default_file, line))
    problems.sort(key=lambda p: (p.file or "", p.line or 0))
    return problems


def _inherited(marks: Marks, path: tuple[Any, ...]) -> str:
    """Hint for an unknown key that ``extends`` merged in from another file."""
    key_file = marks.get(path, (None, None))[0] if marks else None
    parent = path[:-1]
    parent_file = marks.get(parent, (None, None))[0] if marks and parent else None
    if key_file and parent_file and key_file != parent_file and not key_file.startswith("<"):
        return (f" (written in {key_file} and merged through extends into the "
                f"{dotted(parent)} given in {parent_file})")
    return ""


M = typing.TypeVar("M", bound=BaseModel)


def read_model_file(path: Any, model: type[M], subject: str, expected: str) -> tuple[M, Marks]:
    """Read a YAML file of one of placesim's own formats and validate it as ``model``.

    Parameters
    ----------
    path
        The file.
    model
        Its pydantic model.
    subject
        What its problems are in (the heading of a list of them, e.g. "the validation file").
    expected
        What the top of the file should look like (e.g. "placesim_validation: 1, name: ...").

    Raises
    ------
    ScenarioError
        With the file, field path and line of every problem.
    """
    from pathlib import Path

    from ..errors import ScenarioError
    from .yamlio import read_yaml_file

    p = Path(path)
    try:
        data, marks, _ = read_yaml_file(p)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, subject) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem(f"expected a mapping of fields ({expected})", "", str(p), 1)], subject)
    try:
        return model.model_validate(data), marks
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, model, marks, str(p)), subject) from None
