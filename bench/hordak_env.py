"""django-hordak's ``transfer_to`` in the benchmark's own virtual environment.

The environment is ``bench/.hordak-venv`` (``make bench-hordak-venv``, or made here on
first use): ``python -m venv`` and ``pip install`` of ``HORDAK`` from the package index
pip is configured for. The app's ``.venv`` never sees Django or hordak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".hordak-venv"
PYTHON = VENV / "bin" / "python"
HORDAK = ["django-hordak==2.0.0", "psycopg[binary]>=3.1"]


def ensure_venv() -> Path:
    """The environment's interpreter, making the environment if it is missing."""
    if not PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", *HORDAK], check=True)
    return PYTHON


def transfer_to_rate(url: str, count: int, seconds: float) -> dict:
    """Run ``bench/hordak_transfer.py`` in the environment: its JSON answer (``rate`` in
    transfers per second, ``transfers``, ``seconds``, versions)."""
    python = ensure_venv()
    done = subprocess.run(
        [str(python), str(HERE / "hordak_transfer.py"), url, str(count), str(seconds)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
