"""The report as JSON and back, for the cache: every dataclass, enum, date and
suppression marker of the model, and nothing else (no pickle: a cache row must never be
able to run code)."""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from timebank.reports.reciprocity import model, period

_TYPES: dict[str, type] = {
    cls.__name__: cls
    for module in (model, period)
    for cls in vars(module).values()
    if isinstance(cls, type)
    and cls.__module__ == module.__name__
    and (dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum))
}


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return {"_e": type(value).__name__, "v": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"_": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = _encode(getattr(value, f.name))
        return out
    if isinstance(value, datetime):
        return {"_dt": value.isoformat()}
    if isinstance(value, date):
        return {"_d": value.isoformat()}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in a report")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "_e" in value:
        return _TYPES[value["_e"]](value["v"])
    if "_dt" in value:
        return datetime.fromisoformat(value["_dt"])
    if "_d" in value:
        return date.fromisoformat(value["_d"])
    cls = _TYPES[value["_"]]
    return cls(**{k: _decode(v) for k, v in value.items() if k != "_"})


def dumps(report: model.ReciprocityReport) -> str:
    return json.dumps(_encode(report), separators=(",", ":"))


# A report is immutable once decoded (frozen dataclasses and tuples), and decoding a
# cached one took longer than showing it: the last few are kept by their text, so a
# page read again while its bank is unchanged decodes nothing.
@lru_cache(maxsize=16)
def loads(text: str) -> model.ReciprocityReport:
    report = _decode(json.loads(text))
    if not isinstance(report, model.ReciprocityReport):
        raise ValueError("not a report")
    return report
