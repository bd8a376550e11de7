"""The object gunicorn and `flask --app wsgi` load."""

from cop import create_app

app = create_app()
