"""Pages anyone may read, signed in or not: what a time bank is and how to join."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.get("/about")
def about():
    return render_template("public/about.html")
