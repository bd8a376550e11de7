"""Demo data: a believable, plainly fictional program. Idempotent: run it as often as you like."""

from __future__ import annotations

import sqlalchemy as sa

from cop.accounts.models import Role, User
from cop.accounts.passwords import hash_password
from cop.coalitions import services as coalition_services
from cop.coalitions.models import Coalition
from cop.extensions import db

# Features whose demo data `seed-demo` loads, in order (events after chat, ...).
SEEDED_FEATURES = (
    "forums",
    "chat",
    "events",
    "coaching",
    "experts",
    "reporting",
    "library",
    "commitments",
)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - documented demo credential  # nosec B105
DEMO_DOMAIN = "demo.example.org"

# slug, name, lead organization, states, sectors, track
COALITIONS = [
    (
        "great-lakes-solar",
        "Great Lakes Solar Workforce Coalition",
        "Lakeshore Technical College",
        ["MI", "OH"],
        ["renewable-energy"],
        "scaling",
    ),
    (
        "prairie-wind-careers",
        "Prairie Wind Careers Partnership",
        "Tallgrass Workforce Board",
        ["IL"],
        ["renewable-energy"],
        "development",
    ),
    (
        "bayou-grid-builders",
        "Bayou Grid Builders Alliance",
        "Delta Line Workers Institute",
        ["LA"],
        ["renewable-energy", "transportation"],
        "scaling",
    ),
    (
        "sierra-fiber-forward",
        "Sierra Fiber Forward",
        "High Desert Community College",
        ["NV", "CA"],
        ["broadband"],
        "development",
    ),
    (
        "appalachian-connect",
        "Appalachian Connect Workforce Coalition",
        "Ridgeline Training Consortium",
        ["WV", "KY"],
        ["broadband"],
        "scaling",
    ),
    (
        "cascade-transit-pathways",
        "Cascade Transit Pathways",
        "Evergreen Transit Training Center",
        ["WA", "OR"],
        ["transportation"],
        "scaling",
    ),
    (
        "rio-grande-manufacturing",
        "Rio Grande Advanced Manufacturing Collaborative",
        "Mesa Verde Polytechnic",
        ["NM", "TX"],
        ["advanced-manufacturing"],
        "development",
    ),
    (
        "piedmont-ev-corridor",
        "Piedmont EV Corridor Coalition",
        "Piedmont Workforce Alliance",
        ["NC"],
        ["transportation", "advanced-manufacturing"],
        "scaling",
    ),
    (
        "capital-region-broadband",
        "Capital Region Broadband Jobs Network",
        "Potomac Skills Exchange",
        ["DC", "MD"],
        ["broadband"],
        "development",
    ),
    (
        "peach-state-power",
        "Peach State Power Careers",
        "Magnolia Technical Institute",
        ["GA"],
        ["renewable-energy"],
        "scaling",
    ),
    (
        "twin-rivers-rail",
        "Twin Rivers Rail and Transit Coalition",
        "Confluence Community College",
        ["MN", "WI"],
        ["transportation"],
        "development",
    ),
    (
        "bay-state-offshore-wind",
        "Bay State Offshore Wind Workforce Hub",
        "Harborview Maritime Academy",
        ["MA"],
        ["renewable-energy"],
        "scaling",
    ),
    (
        "desert-sun-installers",
        "Desert Sun Installers Collaborative",
        "Saguaro Workforce Partners",
        ["AZ"],
        ["renewable-energy"],
        "development",
    ),
    (
        "front-range-fabrication",
        "Front Range Fabrication Alliance",
        "Foothills Manufacturing Institute",
        ["CO"],
        ["advanced-manufacturing"],
        "scaling",
    ),
    (
        "keystone-connectivity",
        "Keystone Connectivity Corps",
        "Allegheny Plateau Workforce Board",
        ["PA"],
        ["broadband"],
        "development",
    ),
    (
        "empire-grid-modernization",
        "Empire Grid Modernization Partnership",
        "Hudson Valley Trades Collaborative",
        ["NY"],
        ["renewable-energy", "advanced-manufacturing"],
        "scaling",
    ),
    (
        "gulf-coast-ports",
        "Gulf Coast Ports and Logistics Coalition",
        "Coastal Bend Training Alliance",
        ["TX", "AL"],
        ["transportation"],
        "scaling",
    ),
    (
        "tennessee-valley-batteries",
        "Tennessee Valley Battery Manufacturing Coalition",
        "Valley Forge Technical College",
        ["TN"],
        ["advanced-manufacturing"],
        "development",
    ),
    (
        "old-dominion-fiber",
        "Old Dominion Fiber Crew Coalition",
        "Tidewater Skills Center",
        ["VA"],
        ["broadband"],
        "scaling",
    ),
    (
        "buckeye-semiconductor",
        "Buckeye Semiconductor Pathways",
        "Scioto Valley Community College",
        ["OH"],
        ["advanced-manufacturing"],
        "development",
    ),
    (
        "motor-city-mobility",
        "Motor City Mobility Workforce Coalition",
        "Riverfront Training Collaborative",
        ["MI"],
        ["transportation", "advanced-manufacturing"],
        "scaling",
    ),
    (
        "central-valley-solar",
        "Central Valley Solar and Storage Coalition",
        "San Joaquin Workforce Partners",
        ["CA"],
        ["renewable-energy"],
        "development",
    ),
    (
        "lone-star-linemen",
        "Lone Star Line Worker Academy Coalition",
        "Brazos Valley Technical Institute",
        ["TX"],
        ["renewable-energy", "broadband"],
        "scaling",
    ),
    (
        "carolina-coastal-transit",
        "Carolina Coastal Transit Careers",
        "Cape Fear Skills Alliance",
        ["NC"],
        ["transportation"],
        "development",
    ),
    (
        "badger-state-broadband",
        "Badger State Rural Broadband Coalition",
        "Northwoods Technical College",
        ["WI"],
        ["broadband"],
        "development",
    ),
    (
        "cumberland-clean-energy",
        "Cumberland Clean Energy Careers",
        "Cumberland Plateau Workforce Board",
        ["KY", "TN"],
        ["renewable-energy"],
        "development",
    ),
    (
        "chesapeake-maritime",
        "Chesapeake Maritime and Offshore Coalition",
        "Chesapeake Trades Institute",
        ["MD", "VA"],
        ["renewable-energy", "transportation"],
        "scaling",
    ),
    (
        "willamette-manufacturing",
        "Willamette Advanced Manufacturing Network",
        "Willamette Valley Polytechnic",
        ["OR"],
        ["advanced-manufacturing"],
        "development",
    ),
    (
        "sonoran-semiconductor",
        "Sonoran Semiconductor Skills Coalition",
        "Sonoran Technical Partners",
        ["AZ"],
        ["advanced-manufacturing"],
        "scaling",
    ),
    (
        "mile-high-transit",
        "Mile High Transit Maintenance Coalition",
        "Platte River Training Center",
        ["CO"],
        ["transportation"],
        "development",
    ),
    (
        "alabama-auto-supply",
        "Yellowhammer Auto Supply Chain Coalition",
        "Black Belt Workforce Collaborative",
        ["AL"],
        ["advanced-manufacturing", "transportation"],
        "development",
    ),
    (
        "gateway-city-broadband",
        "Gateway City Digital Infrastructure Coalition",
        "Anacostia Tech Bridge",
        ["DC"],
        ["broadband"],
        "scaling",
    ),
    (
        "mountain-state-solar",
        "Mountain State Solar Apprenticeship Coalition",
        "New River Trades Council",
        ["WV"],
        ["renewable-energy"],
        "development",
    ),
    (
        "land-of-lincoln-ev",
        "Prairie State EV Charging Workforce Coalition",
        "Sangamon Valley Technical College",
        ["IL"],
        ["transportation", "renewable-energy"],
        "scaling",
    ),
]

COACHES = [
    ("coach@demo.example.org", "Dana Whitfield", "America/New_York"),
    ("coach2@demo.example.org", "Marcus Ortega", "America/Chicago"),
    ("coach3@demo.example.org", "Priya Raman", "America/Denver"),
    ("coach4@demo.example.org", "Helen Okafor", "America/Los_Angeles"),
    ("coach5@demo.example.org", "Tom Kealoha", "Pacific/Honolulu"),
    ("coach6@demo.example.org", "Rosa Delgado", "America/New_York"),
]

FIRST = [
    "Avery",
    "Jordan",
    "Sam",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Quinn",
    "Drew",
    "Alex",
    "Robin",
    "Lee",
    "Cameron",
    "Skyler",
    "Parker",
    "Reese",
    "Hayden",
]
LAST = [
    "Brooks",
    "Nguyen",
    "Patel",
    "Garcia",
    "Johnson",
    "Kim",
    "Okonkwo",
    "Silva",
    "Haddad",
    "Novak",
    "Yazzie",
    "Fontaine",
    "Lindqvist",
    "Mensah",
    "Castillo",
    "Romero",
    "Whitehorse",
]

EXPERTS = [
    (
        "expert@demo.example.org",
        "Dr. Leah Morrison",
        "Fictional Institute for Apprenticeship Research",
    ),
    ("expert2@demo.example.org", "Victor Chen", "Example Utility Workforce Office"),
    ("expert3@demo.example.org", "Amara Boateng", "Sample Broadband Skills Lab"),
    ("expert4@demo.example.org", "Luis Herrera", "Placeholder Transit Workforce Center"),
    ("expert5@demo.example.org", "Grace Whitmore", "Demo Registered Apprenticeship Network"),
    ("expert6@demo.example.org", "Samir Haddad", "Fictional Advanced Manufacturing Council"),
    ("expert7@demo.example.org", "Nora Lindqvist", "Illustrative Energy Workforce Center"),
    ("expert8@demo.example.org", "Kwame Mensah", "Example Supportive Services Collaborative"),
    ("expert9@demo.example.org", "Elena Castillo", "Sample Employer Engagement Institute"),
    ("expert10@demo.example.org", "Ben Yazzie", "Demo Tribal Workforce Partnership"),
    ("expert11@demo.example.org", "Ruth Fontaine", "Fictional Performance Data Studio"),
    ("expert12@demo.example.org", "Omar Patel", "Illustrative Grant Compliance Office"),
]  # a dozen outside experts, as in the program


def _demo_name(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"


def seed_demo() -> dict:
    """Create what is missing; never duplicate. Returns counts and the demo logins."""
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for every demo account: fast seeding
    created = 0
    existing = {u.email: u for u in db.session.execute(sa.select(User)).scalars()}

    def user(email, name, role, **extra) -> User:
        nonlocal created
        if email in existing:
            return existing[email]
        u = User(email=email, name=name, role=role, password_hash=password_hash, **extra)
        db.session.add(u)
        db.session.flush()
        existing[email] = u
        created += 1
        return u

    coalitions = {c.slug: c for c in db.session.execute(sa.select(Coalition)).scalars()}
    for slug, name, lead_org, states, sectors, track in COALITIONS:
        if slug not in coalitions:
            coalitions[slug] = coalition_services.create_coalition(
                None,
                slug=slug,
                name=f"{name} (demo)",
                lead_organization=f"{lead_org} (demo)",
                track=track,
                states=states,
                sectors=sectors,
                commit=False,
                partners=[
                    f"{lead_org.split()[0]} Employers Council (demo)",
                    f"{states[0]} Building Trades Training Fund (demo)",
                ],
                description=(
                    f"A fictional {track} coalition for the demo. It trains workers in "
                    f"{', '.join(s.replace('-', ' ') for s in sectors)} across "
                    f"{', '.join(states)}, with a focus on rural residents and people new to "
                    "the trades.\n\n**Partners** include employers, a union training fund and "
                    "community organizations."
                ),
            )
            created += 1

    user(
        "admin@demo.example.org",
        "Jordan Admin",
        Role.ADMIN.value,
        organization="TA Provider (demo)",
        title="Program director",
    )
    user(
        "admin2@demo.example.org",
        "Sam Program",
        Role.ADMIN.value,
        organization="TA Provider (demo)",
        title="Grants manager",
    )
    slugs = [c[0] for c in COALITIONS]
    for i, (email, name, tz) in enumerate(COACHES):
        coach = user(
            email,
            name,
            Role.COACH.value,
            organization="TA Provider (demo)",
            title="Technical-assistance coach",
            timezone=tz,
        )
        # Each coach gets 5 or 6 coalitions; every coalition gets at least one coach.
        for slug in slugs[i :: len(COACHES)]:
            coalition_services.assign_coach(None, coalitions[slug], coach, commit=False)
    for i, slug in enumerate(slugs):
        coalition = coalitions[slug]
        lead_email = "lead@demo.example.org" if i == 0 else f"lead.{slug}@demo.example.org"
        member_email = "member@demo.example.org" if i == 0 else f"member.{slug}@demo.example.org"
        if i == 1:
            member_email = "member2@demo.example.org"
        org = coalition.lead_organization
        lead = user(
            lead_email,
            _demo_name(2 * i),
            Role.MEMBER.value,
            organization=org,
            title="Coalition lead",
        )
        member = user(
            member_email,
            _demo_name(2 * i + 1),
            Role.MEMBER.value,
            organization=org,
            title="Program coordinator",
        )
        coalition_services.add_member(None, coalition, lead, as_lead=True, commit=False)
        coalition_services.add_member(None, coalition, member, commit=False)
    for email, name, org in EXPERTS:
        user(
            email,
            name,
            Role.EXPERT.value,
            organization=f"{org} (demo)",
            title="Subject-matter expert",
        )
    user("guest@demo.example.org", "Pat Guest", Role.GUEST.value, organization="Visiting (demo)")
    db.session.commit()
    features = seed_features()
    return {
        "features": features,
        "coalitions": len(coalitions),
        "users": len(existing),
        "created": created,
        "logins": [
            ("admin", "admin@demo.example.org"),
            ("coach", "coach@demo.example.org"),
            ("lead", "lead@demo.example.org"),
            ("member", "member@demo.example.org"),
            ("member", "member2@demo.example.org (another coalition)"),
            ("expert", "expert@demo.example.org"),
            ("guest", "guest@demo.example.org"),
        ],
    }


def seed_features() -> dict[str, object]:
    """Each feature's own demo data: `cop.<feature>.seed.seed_demo_<feature>()`, idempotent."""
    import importlib
    import importlib.util

    results: dict[str, object] = {}
    for name in SEEDED_FEATURES:
        if importlib.util.find_spec(f"cop.{name}") is None:
            continue
        if importlib.util.find_spec(f"cop.{name}.seed") is None:
            continue
        module = importlib.import_module(f"cop.{name}.seed")
        seeder = getattr(module, f"seed_demo_{name}", None)
        if seeder is not None:
            results[name] = seeder()
    return results
