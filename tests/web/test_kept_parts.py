"""A part drawn in Python (``KeptRenders.draw``, the audit log's rows) is kept as a
template's render is: by its name, the key, the holder, the reader's language and time
zone; drawn again when any of them differs, and after ``forget_everywhere``."""

from __future__ import annotations

from flask import g
from markupsafe import Markup

from timebank.kept_parts import KeptRenders


def test_a_drawn_part_is_kept_by_its_key_language_and_holder(app):
    keeper = KeptRenders(4)
    drawn: list[str] = []

    def draw(text: str):
        def drawing() -> Markup:
            drawn.append(text)
            return Markup(f"<p>{len(drawn)}</p>")  # noqa: S704 - a test's own markup

        return drawing

    holder, other_holder = object(), object()
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            first = keeper.draw("rows", (1, "a"), draw("first"), holder)
            assert keeper.draw("rows", (1, "a"), draw("again"), holder) is first
            assert keeper.draw("rows", (2, "a"), draw("other key"), holder) != first
            assert keeper.draw("other", (1, "a"), draw("other name"), holder) != first
            assert keeper.draw("rows", (1, "a"), draw("other holder"), other_holder) != first
    assert drawn == ["first", "other key", "other name", "other holder"] * 2
    with app.test_request_context("/"):
        shown = keeper.draw("rows", (3,), draw("new"))
        KeptRenders.forget_everywhere()
        assert keeper.draw("rows", (3,), draw("after forgetting")) != shown
    assert drawn[-2:] == ["new", "after forgetting"]
