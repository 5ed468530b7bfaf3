import pytest

from tests.api.support import build_world


@pytest.fixture
def world(session):
    return build_world(session)
