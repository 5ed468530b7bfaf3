"""A name searched for in a statement built once (reports/name_search.py): the same
condition and the same value as SQLAlchemy's ``contains(text, autoescape=True)``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from timebank.reports.name_search import contained, contains_text


@pytest.mark.parametrize("typed", ["ann", " Ann ", "50%", "a_b", "a/b", "%_/", "Ëlis"])
def test_the_value_is_what_autoescape_binds(typed):
    name = sa.column("name")
    by_sqlalchemy = sa.func.lower(name).contains(typed.strip().lower(), autoescape=True)
    assert contained(typed) == by_sqlalchemy.compile().params["lower_1"]
    assert str(contains_text(name, "typed").compile()) == str(by_sqlalchemy.compile()).replace(
        ":lower_1", ":typed"
    )


def test_wildcards_typed_match_only_themselves():
    engine = sa.create_engine("sqlite://")
    names = sa.table("names", sa.column("name"))
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE TABLE names (name TEXT)"))
        connection.execute(
            sa.text("INSERT INTO names VALUES ('Ann'), ('50% off'), ('a_b'), ('axb'), ('a/b')")
        )

        def found(typed: str) -> list[str]:
            statement = sa.select(names.c.name).where(contains_text(names.c.name, "typed"))
            return list(connection.execute(statement, {"typed": contained(typed)}).scalars())

        assert found("%") == ["50% off"]
        assert found("a_b") == ["a_b"]
        assert found("/") == ["a/b"]
        assert found("ANN") == ["Ann"]
