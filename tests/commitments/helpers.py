"""Shared bits of the commitment tests: a valid form, a signed stamp from the past."""

from __future__ import annotations

import time
from datetime import date, timedelta

from cop.commitments import services


def valid_form(**overrides) -> dict:
    """The public form as a person fills it (an employer in Ohio and Michigan)."""
    today = date.today()
    data = {
        "org_name": "Buckeye Solar Installers (test)",
        "org_type": "employer",
        "title": "Hire 40 graduates of local solar pre-apprenticeships",
        "description": "We commit to **hire** graduates.",
        "sectors": ["renewable-energy"],
        "states": ["OH", "MI"],
        "people_to_train": "",
        "people_to_hire": "40",
        "apprenticeship_slots": "10",
        "dollars": "250,000",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=730)).isoformat(),
        "contact_name": "Pat Example",
        "contact_email": "pat@buckeye.example.org",
        "contact_phone": "",
        "website": "",
        "started": stamp(60),
    }
    data.update(overrides)
    return data


def stamp(seconds_ago: float) -> str:
    """The signed time the form was shown, `seconds_ago` seconds ago."""
    return services.form_stamp(time.time() - seconds_ago)


def api_body(**overrides) -> dict:
    today = date.today()
    body = {
        "org_name": "Great Plains Fiber (test)",
        "org_type": "employer",
        "title": "Train 50 fiber splicers",
        "description": "Paid training.",
        "sectors": ["broadband"],
        "states": ["KS"],
        "people_to_train": 50,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=365)).isoformat(),
        "contact_name": "Lee Example",
        "contact_email": "lee@fiber.example.org",
    }
    body.update(overrides)
    return body


def make_input(**overrides) -> services.CommitmentInput:
    body = api_body(**overrides)
    body["starts_on"] = date.fromisoformat(body["starts_on"])
    body["ends_on"] = date.fromisoformat(body["ends_on"])
    return services.CommitmentInput(**body)
