"""An installed wheel runs the app: the templates, static files, catalogues and
migrations ship inside the package, not beside the working tree."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ("templates", "static", "translations", "migrations")

# Run in a fresh interpreter without site (-S), so that the editable install's finder
# cannot hand back the working tree: only the unpacked wheel and the dependencies.
RUN_FROM_WHEEL = """
import sys
from pathlib import Path

import timebank
from flask_migrate import upgrade
from timebank.app import create_app

site = Path(sys.argv[1]).resolve()
assert Path(timebank.__file__).resolve().is_relative_to(site), timebank.__file__
app = create_app(
    {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[2], "SECRET_KEY": "k", "TESTING": True}
)
with app.app_context():
    upgrade()
client = app.test_client()
english = client.get("/", follow_redirects=True)
assert english.status_code == 200, english.status_code
assert "Skip to main content" in english.get_data(as_text=True)
welsh = client.get("/", headers={"Accept-Language": "cy"}, follow_redirects=True)
assert "Neidio i'r prif gynnwys" in welsh.get_data(as_text=True)
assert client.get("/static/css/site.css").status_code == 200
print("ran from the wheel")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = ["wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)]
    subprocess.run(
        [sys.executable, "-m", "pip", *build],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (built,) = out.glob("timebank-*.whl")
    return built


def test_the_wheel_carries_every_file_the_app_reads(wheel):
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    in_tree = {
        path.relative_to(ROOT).as_posix()
        for folder in DATA
        for path in (ROOT / "timebank" / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "timebank/migrations/env.py" in in_tree  # the walk found the folders
    assert sorted(in_tree - in_wheel) == []


def test_the_production_servers_and_redis_are_an_extra(wheel):
    """The app runs without Redis, RQ or gunicorn (``make run``); production installs
    them with the ``production`` extra. marshmallow is required: the API's schemas."""
    metadata = zipfile.ZipFile(wheel).read("timebank-0.1.0.dist-info/METADATA").decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any(line.startswith("Requires-Dist: marshmallow") for line in requires)
    for package in ("redis", "rq", "gunicorn"):
        found = [line for line in requires if line.startswith(f"Requires-Dist: {package}>")]
        assert found and all("extra ==" in line for line in found), (package, found)
        assert any('extra == "production"' in line for line in found), (package, found)


def test_the_unpacked_wheel_migrates_and_serves_pages(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    paths = sysconfig.get_paths()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), paths["purelib"], paths["platlib"]]),
        "TIMEBANK_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    result = subprocess.run(
        [sys.executable, "-S", "-c", RUN_FROM_WHEEL, str(site), str(tmp_path / "db.sqlite3")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ran from the wheel" in result.stdout
