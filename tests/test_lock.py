"""The lock files pin every dependency pyproject.toml names, inside its range, so a
change to pyproject.toml without `make lock` fails here rather than installing
something else on CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)")


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def unpinned(requirements: list[str], locked: dict[str, str]) -> list[str]:
    problems = []
    for text in requirements:
        requirement = Requirement(text)
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    return problems


BUILD = PYPROJECT["build-system"]["requires"]


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("run.txt", PYPROJECT["project"]["dependencies"] + BUILD),
        (
            "dev.txt",
            PYPROJECT["project"]["dependencies"]
            + PYPROJECT["project"]["optional-dependencies"]["dev"]
            + BUILD,
        ),
    ],
)
def test_the_lock_pins_every_dependency_in_its_range(lock, requirements):
    assert unpinned(requirements, pins(lock)) == [], "run `make lock`"


def test_run_and_dev_pin_the_same_versions():
    run, dev = pins("run.txt"), pins("dev.txt")
    assert {name: (v, dev.get(name)) for name, v in run.items() if dev.get(name) != v} == {}


def test_the_check_sees_a_stale_pin():
    assert unpinned(["flask>=9"], {"flask": "3.1.0"}) == ["flask==3.1.0 is outside >=9"]
    assert unpinned(["nothere"], {}) == ["nothere is not in the lock"]
