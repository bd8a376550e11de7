"""Demo commitments: plainly fictional organizations in every state of review, the accepted
ones with progress reports, so the list, the totals and the review queue have content.

Idempotent: an organization already there is skipped. Rows are made directly (no email is
queued to the fictional contacts); dates are relative to today.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cop.commitments.models import (
    Commitment,
    CommitmentSector,
    CommitmentState,
    ProgressReport,
    Status,
)
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.extensions import db

# org, type, title, sectors, states, numbers (train, hire, slots, dollars), status,
# days since acceptance, reports [(days ago, trained, hired, slots, dollars)]
DEMO = [
    (
        "Lakeshore Solar Installers (demo)",
        "employer",
        "Hire 60 graduates of local solar pre-apprenticeships",
        ["renewable-energy"],
        ["MI", "OH"],
        (None, 60, 20, None),
        Status.ACCEPTED,
        300,
        [(210, None, 14, 6, None), (120, None, 31, 12, None), (30, None, 44, 17, None)],
    ),
    (
        "Prairie Line Fiber Co. (demo)",
        "employer",
        "Train and hire 120 fiber splicers in rural counties",
        ["broadband"],
        ["KS", "NE"],
        (120, 90, None, None),
        Status.ACCEPTED,
        200,
        [(110, 48, 20, None, None), (20, 85, 41, None, None)],
    ),
    (
        "Electrical Workers Local 000 Training Trust (demo)",
        "union",
        "Open 150 registered apprenticeship slots for women and veterans",
        ["renewable-energy", "transportation"],
        ["IL", "IN", "WI"],
        (None, None, 150, None),
        Status.ACCEPTED,
        150,
        [(60, None, None, 64, None)],
    ),
    (
        "Riverbend Community College (demo)",
        "college",
        "Train 400 advanced-manufacturing technicians with employer-designed courses",
        ["advanced-manufacturing"],
        ["PA"],
        (400, None, None, None),
        Status.ACCEPTED,
        100,
        [(10, 130, None, None, None)],
    ),
    (
        "Northern Plains Workforce Foundation (demo)",
        "philanthropy",
        "Fund $2.5 million in supportive services for trainees",
        ["broadband", "renewable-energy"],
        ["ND", "SD", "MN"],
        (None, None, None, 2_500_000),
        Status.ACCEPTED,
        60,
        [],
    ),
    (
        "City of Harbor Point Transit Department (demo)",
        "government",
        "Hire 75 transit mechanics from the city's pre-apprenticeship",
        ["transportation"],
        ["WA"],
        (75, 75, 25, 400_000),
        Status.ACCEPTED,
        20,
        [],
    ),
    (
        "Bright Path Training Center (demo)",
        "training_provider",
        "Train 200 youth and young adults for broadband field work",
        ["broadband"],
        ["GA", "AL"],
        (200, None, None, None),
        Status.SUBMITTED,
        None,
        [],
    ),
    (
        "Mesa Neighbors United (demo)",
        "community_organization",
        "Recruit and support 90 rural residents into solar training",
        ["renewable-energy"],
        ["NM", "AZ"],
        (90, None, None, 150_000),
        Status.SUBMITTED,
        None,
        [],
    ),
    (
        "Keystone Rail Parts (demo)",
        "employer",
        "Hire 30 machinists",
        ["advanced-manufacturing", "transportation"],
        ["PA", "NJ"],
        (None, 30, None, None),
        Status.CHANGES_REQUESTED,
        None,
        [],
    ),
    (
        "Example Wind Partners (demo)",
        "employer",
        "Support clean energy",
        ["renewable-energy"],
        ["TX"],
        (None, None, None, 10_000),
        Status.DECLINED,
        None,
        [],
    ),
    (
        "Tidewater Shipyard Skills Alliance (demo)",
        "training_provider",
        "Train 80 welders for offshore wind",
        ["renewable-energy"],
        ["VA"],
        (80, None, 10, None),
        Status.UNCONFIRMED,
        None,
        [],
    ),
]

DESCRIPTION = """{org} commits to this goal over the time frame below.

- **With whom**: local coalitions of the program, workforce boards and training partners
- **For whom**: people from rural communities and groups under-represented in the trades
- **How**: paid training time, mentors on the job, and a guaranteed interview for graduates

Progress is reported every quarter."""


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "." for c in text.lower().split(" (")[0]).strip(".")


def seed_demo_commitments() -> dict:
    now = utcnow()
    existing = set(db.session.execute(sa.select(Commitment.org_name)).scalars())
    made = 0
    for org, org_type, title, sectors, states, numbers, status, accepted_days, reports in DEMO:
        if org in existing:
            continue
        created = now - timedelta(days=(accepted_days or 5) + 10)
        train, hire, slots, dollars = numbers
        name = _slug(org)[:40]
        c = Commitment(
            org_name=org,
            org_type=org_type,
            title=title,
            description=DESCRIPTION.format(org=org),
            description_html=render_markdown(DESCRIPTION.format(org=org)),
            people_to_train=train,
            people_to_hire=hire,
            apprenticeship_slots=slots,
            dollars=dollars,
            starts_on=created.date(),
            ends_on=(created + timedelta(days=3 * 365)).date(),
            contact_name="Jordan Example",
            contact_email=f"commitments@{name}.example.org",
            contact_phone="",
            status=status,
            created_at=created,
            report_count=len(reports),
            email_confirmed_at=None if status == Status.UNCONFIRMED else created,
            submitted_at=None if status == Status.UNCONFIRMED else created,
            sector_rows=[CommitmentSector(sector=s) for s in sectors],
            state_rows=[CommitmentState(state=s) for s in states],
        )
        if status in (Status.ACCEPTED, Status.DECLINED, Status.CHANGES_REQUESTED):
            c.reviewed_at = now - timedelta(days=accepted_days or 3)
        if status == Status.CHANGES_REQUESTED:
            c.review_message = (
                "Please say how many of the 30 machinists will come from "
                "registered apprenticeships, and by when."
            )
        if status == Status.ACCEPTED:
            c.accepted_at = c.reviewed_at
            interval = timedelta(days=91)
            c.reminders_sent = int((now - c.accepted_at) / interval)
            c.next_reminder_at = c.accepted_at + interval * (c.reminders_sent + 1)
        for days, trained, hired, filled, spent in sorted(reports, reverse=True):
            report = ProgressReport(
                reported_at=now - timedelta(days=days),
                trained=trained,
                hired=hired,
                slots_filled=filled,
                dollars_spent=spent,
                note="On track; recruitment picked up after the job fair.",
                via="link",
            )
            c.reports.append(report)
            c.trained, c.hired, c.slots_filled, c.dollars_spent = trained, hired, filled, spent
            c.last_report_at = report.reported_at
        db.session.add(c)
        made += 1
    db.session.commit()
    return {"commitments": made}
