"""Resource library: resources with file versions and facets, search, collections, and
promotion of forum answers and event materials (issue #12). See docs/library.md.

`init_app(app)` registers the pages, the API, the "Library" navigation entry, the template
predicates and the full-text index DDL.
"""

from __future__ import annotations

import os

from flask import Flask


def seed_demo_library() -> dict:
    """A dozen demo resources and two collections (idempotent); `cop seed-demo` may call it."""
    from cop.library.seed import seed_demo_library as run

    return run()


def init_app(app: Flask) -> None:
    from cop import add_nav_item
    from cop.extensions import api
    from cop.library import kinds, models, search  # noqa: F401 - tables, search DDL, kinds
    from cop.library.api import blp as library_api
    from cop.library.models import POPULATIONS, PROGRAM_AREAS, SECTORS, TYPE_LABELS
    from cop.library.permissions import TEMPLATE_PREDICATES, is_community
    from cop.library.views import allow_large_uploads, bp

    # Settings from the app config, else the environment, else the defaults (docs/library.md).
    for key, default in (
        ("LIBRARY_MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
        ("LIBRARY_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024),
        ("LIBRARY_MAX_COMPRESSION_RATIO", 100),
    ):
        app.config.setdefault(key, int(os.environ.get(key) or default))
    app.config.setdefault("LIBRARY_STORAGE_PATH", os.environ.get("LIBRARY_STORAGE_PATH") or None)
    app.register_blueprint(bp)
    api.register_blueprint(library_api)
    # Before the CSRF check (which reads the form): upload routes get the library's limit.
    app.before_request_funcs.setdefault(None, []).insert(0, allow_large_uploads)
    # The community, and visitors without an account (public resources are for the field).
    add_nav_item(
        app,
        "library.index",
        "Library",
        lambda user: is_community(user) or not user.is_authenticated,
    )
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(
        LIBRARY_TYPES={t.value: label for t, label in TYPE_LABELS.items()},
        LIBRARY_SECTORS=SECTORS,
        LIBRARY_POPULATIONS=POPULATIONS,
        LIBRARY_PROGRAM_AREAS=PROGRAM_AREAS,
    )
