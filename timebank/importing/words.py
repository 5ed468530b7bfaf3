"""What an import says about a file, in English now and in the reader's language later.

No Flask here: the command line prints these messages in English, the web pages show
them in the reader's language, and the import run keeps them (as JSON) in between.

``_l`` marks an English %-template for translation (the catalogue tools extract its
first argument, as they do for Flask-Babel's ``lazy_gettext``) and returns a
:class:`Text`: the template and its named parameters. A parameter may itself be a
Text (a word such as "hours") or a list of Texts (shown joined by "; "). ``str()`` of a
Text is its English; ``render(value, gettext)`` fills it in the reader's language with
the web layer's gettext.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self)


def _l(template: str, **params: Any) -> Text:
    """An English template to be translated when it is shown."""
    return Text(template, params)


def _english(template: str, **params: Any) -> str:
    return template % params if params else template


def render(value: Any, gettext: Callable[..., str] = _english) -> str:
    """A Text (or a list of Texts, or anything else) as words: English by default, or
    through ``gettext(template, **params)`` in the reader's language."""
    if isinstance(value, Text):
        params = {name: render(v, gettext) for name, v in value.params.items()}
        return gettext(value.template, **params) if params else gettext(value.template)
    if isinstance(value, list | tuple):
        return "; ".join(render(v, gettext) for v in value)
    return str(value)


def to_json(value: Any) -> Any:
    """A Text (or list of them) as plain JSON values: {"t": template, "p": params}."""
    if isinstance(value, Text):
        return {"t": value.template, "p": {k: to_json(v) for k, v in value.params.items()}}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """The Text (or list of Texts) that ``to_json`` wrote; other values as they are."""
    if isinstance(value, dict) and isinstance(value.get("t"), str):
        params = value.get("p")
        params = params if isinstance(params, dict) else {}
        return Text(value["t"], {str(k): from_json(v) for k, v in params.items()})
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value
