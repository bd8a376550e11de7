"""Shared set-up for the expert directory tests: profiles made through the services."""

from __future__ import annotations

from cop.experts import services

APPRENTICESHIP = {
    "name": "Dr. Ada Lovelace",
    "organization": "Example Apprenticeship Institute",
    "title": "Director",
    "bio": "Registered **apprenticeship** standards.",
    "topics": ["apprenticeship"],
    "tags": ["pre-apprenticeship"],
    "sectors": ["broadband"],
    "states": ["OH", "MI"],
    "languages": ["English"],
    "help_modes": ["call"],
    "availability": "open",
    "monthly_capacity": 2,
}


def expert_profile(world, **overrides):
    """The world's expert's own profile (apprenticeship, OH and MI)."""
    return services.save_own_profile(world["expert"], {**APPRENTICESHIP, **overrides})


def outside_profile(world, **overrides):
    """A profile for someone outside cop, maintained by the world's coach."""
    values = {
        **APPRENTICESHIP,
        "name": "Outside Olga",
        "topics": ["employer-engagement"],
        "tags": ["utilities"],
        "states": ["TX"],
        **overrides,
    }
    return services.create_outside_profile(world["coach"], values)
