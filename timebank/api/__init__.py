"""The JSON API under /api/v1 (flask-smorest): personal access tokens, the members'
and coordinators' resources, and the partners' reports, calling the same services as
the web pages. ``init_api`` (called from ``create_app``) wires it; see docs/api.md."""
