"""Building the forms of the coordinators' pages does not load WTForms'
own catalogue: a field without a label has one made from its name and translated
through that catalogue, which Flask-WTF then reads from its ``.mo`` file on every
request. Every field of these forms is given its label."""

from __future__ import annotations

import pytest
from flask import request

from timebank.coordinators.audit import AuditFilterForm
from timebank.coordinators.group import GroupExchangeForm
from timebank.coordinators.members import ActionForm, FilterForm
from timebank.coordinators.settings import CategoryActionForm, CategoryForm, PolicyForm

FORMS = [
    AuditFilterForm,
    GroupExchangeForm,
    FilterForm,
    ActionForm,
    PolicyForm,
    CategoryForm,
    CategoryActionForm,
]


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: form.__name__)
def test_building_the_form_leaves_wtforms_catalogue_unread(app, form_class, language):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        form = form_class()
        assert form.data is not None
        assert not hasattr(request, "wtforms_translations")


def test_the_given_labels_are_the_ones_wtforms_would_make(app):
    # The hidden fields' labels are never shown; given as WTForms makes them from the
    # name, so the page is the same as before.
    with app.test_request_context("/"):
        group = GroupExchangeForm()
        assert group.hub.label.text == "Hub"
        assert group.idempotency_key.label.text == "Idempotency Key"
        category = CategoryActionForm()
        assert category.category_id.label.text == "Category Id"
        assert category.value.label.text == "Value"
