"""Autogenerate a revision for some features only (others may be half-built in the tree).

    .venv/bin/python migrations/autogen.py "message" notifications,coaching,events

It upgrades a scratch SQLite database to head, then compares it with the models of the
features named (plus accounts and coalitions) and writes a new revision. Review it by hand:
features you did not name may still be imported by the ones you did.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    message, features = sys.argv[1], tuple(f for f in sys.argv[2].split(",") if f)
    scratch = tempfile.mkdtemp(prefix="cop-autogen-")
    os.environ["COP_INSTANCE_PATH"] = scratch
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/autogen.db"
    sys.path.insert(0, str(ROOT))
    import flask_migrate

    import cop

    cop.FEATURES = features
    app = cop.create_app()
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.migrate(message=message)


if __name__ == "__main__":
    main()
