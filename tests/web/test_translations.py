"""Every word a person reads can be translated, and the Welsh catalogue is complete.

- The templates hold no bare text: every text node and every attribute a person
  reads (aria-label, title, alt, placeholder) goes through gettext.
- Python code shown to people (flash messages, form labels, validator messages) uses
  gettext too, never a bare string or f-string.
- The Welsh catalogue holds every string the code marks, each translated (no empty
  or fuzzy entries), with the same placeholders and HTML as the English, and it
  compiles.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "timebank" / "templates"
WELSH = ROOT / "timebank" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"

JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
PLACEHOLDER = "\ue000"
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}
# Words that are the same in every language.
NOT_TRANSLATED = {"timebank", "CSV", "Cymraeg", "English"}
# Pages only developers see: the demo outbox lists raw email files.
DEVELOPER_PAGES = {"auth/outbox.html"}


def _load_update_script():
    spec = importlib.util.spec_from_file_location(
        "update_translations", ROOT / "scripts" / "update_translations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and _has_words(value):
                self.found.append(f'{name}="{value}"')
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            value = dict(attrs).get("value") or ""
            if _has_words(value):
                self.found.append(f'value="{value}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _has_words(data):
            self.found.append(" ".join(data.replace(PLACEHOLDER, " ").split()))


def _has_words(text: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z']*", text.replace(PLACEHOLDER, " "))
    return any(word not in NOT_TRANSLATED for word in words)


def untranslated_text(source: str) -> list[str]:
    """Bare text in a template: what is left once every Jinja expression and tag is
    replaced by a placeholder."""
    finder = _TextFinder()
    finder.feed(JINJA.sub(PLACEHOLDER, source))
    finder.close()
    return finder.found


TEMPLATE_FILES = sorted(
    str(path.relative_to(TEMPLATES))
    for path in TEMPLATES.rglob("*.html")
    if str(path.relative_to(TEMPLATES)) not in DEVELOPER_PAGES
)


def test_the_checker_finds_bare_text():
    assert untranslated_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert untranslated_text('<a aria-label="Close" href="{{ u }}">&times;</a>') == [
        'aria-label="Close"'
    ]
    assert untranslated_text("<p>{{ n }} exchange{{ 's' if n != 1 }}</p>") == ["exchange"]
    assert untranslated_text('<p>{{ _("Hello %(name)s", name=n) }}</p>') == []
    assert untranslated_text("<style>p { color: red }</style><p>{{ x }} · 3</p>") == []


@pytest.mark.parametrize("template", TEMPLATE_FILES)
def test_templates_have_no_bare_text(template):
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    assert untranslated_text(source) == [], f"wrap these in _() in {template}"


# Python: flash messages, form labels and validator messages --------------------------

FIELD_CLASSES = {
    "StringField",
    "TextAreaField",
    "PasswordField",
    "EmailField",
    "BooleanField",
    "SelectField",
    "RadioField",
    "IntegerField",
    "DateField",
    "PlainDateField",
    "SubmitField",
    # Not HiddenField: its label is never shown (``hidden_tag`` draws the input alone).
    # Hidden fields are given the label WTForms would make from the name, in English,
    # so that building a form does not load WTForms' own catalogue on every request.
    "FileField",
    "DecimalField",
    "SelectMultipleField",
}
PY_FILES = sorted(
    path
    for path in (ROOT / "timebank").rglob("*.py")
    # The domain's rooms write English templates that the web layer translates; the
    # demo, the command line and the migrations speak to the person running them.
    if not {"ledger", "community", "reports", "demo", "migrations"} & set(path.parts)
    and path.name != "cli.py"
)


def _bare_strings(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        candidates = []
        if name == "flash" and node.args:
            candidates.append(node.args[0])
        if name in FIELD_CLASSES and node.args:
            candidates.append(node.args[0])
        candidates += [kw.value for kw in node.keywords if kw.arg in ("message", "label")]
        for value in candidates:
            if isinstance(value, ast.JoinedStr) or (
                isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and _has_words(value.value)
            ):
                found.append(f"line {node.lineno}: {name}({ast.unparse(value)[:60]})")
    return found


@pytest.mark.parametrize("path", PY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_shows_people_only_translated_text(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _bare_strings(tree) == [], f"wrap these in gettext/lazy_gettext in {path.name}"


# The Welsh catalogue ----------------------------------------------------------------


def _welsh():
    with WELSH.open("rb") as handle:
        return read_po(handle)


def _extracted_ids() -> set[str]:
    script = _load_update_script()
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None}
    keywords.update({"ngettext": (1, 2), "lazy_ngettext": (1, 2)})
    keywords.update({name: None for name in script.error_classes()})
    method_map = [
        ("timebank/**.py", "python"),
        ("timebank/templates/**.html", "jinja2"),
        ("timebank/templates/**.txt", "jinja2"),
    ]
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, keywords=keywords, strip_comment_tags=True
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_marked_string_is_in_the_welsh_catalogue():
    in_catalogue = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _welsh() if m.id}
    missing = sorted(_extracted_ids() - in_catalogue)
    assert missing == [], "run `make translations` and translate the new strings"


PLACEHOLDERS = re.compile(r"%\([a-z_]+\)[sd]|<[^>]+>")


def test_every_welsh_entry_is_translated_with_the_same_placeholders():
    problems = []
    catalogue = _welsh()
    for message in catalogue:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = sorted(PLACEHOLDERS.findall(ids[-1]))
        for string in strings:
            got = sorted(PLACEHOLDERS.findall(string))
            # A plural form may leave out the number (Welsh "un awr" for 1).
            if got != wanted and not (len(ids) > 1 and set(got) <= set(wanted)):
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert problems == []


def test_the_welsh_catalogue_compiles_and_passes_babels_checks():
    catalogue = _welsh()
    assert catalogue.num_plurals == 5
    errors = [(message.id, problems) for message, problems in catalogue.check() if problems]
    assert errors == []
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    assert buffer.tell() > 1000
