"""Demo library: a dozen resources across types, sectors, states and populations (some
public), with small generated files, and two collections. Idempotent: a second run adds
nothing. The files go through the same services (and checks) as real uploads."""

from __future__ import annotations

import csv
import io
import zipfile

import sqlalchemy as sa

from cop.accounts.models import User
from cop.coalitions.models import Coalition
from cop.extensions import db
from cop.library import services
from cop.library.models import Collection, Resource

DOMAIN = "demo.example.org"


def simple_pdf(*lines: str) -> bytes:
    """A small valid PDF with these lines of text (pypdf extracts them for search)."""
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def simple_docx(text: str) -> bytes:
    """A minimal Word document (Office Open XML) holding one paragraph."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://'
            'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
            f"<w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return out.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


# title, type, who shares (email), coalition slug, visibility, sectors, states,
# populations, program area, file (name, bytes) or link, summary
RESOURCES = [
    (
        "Solar installer pre-apprenticeship recruitment flyer",
        "template",
        "member",
        "great-lakes-solar",
        "public",
        ["renewable-energy"],
        ["MI", "OH"],
        ["women", "rural"],
        "recruitment",
        (
            "solar-recruitment-flyer.pdf",
            simple_pdf(
                "Solar installer pre-apprenticeship",
                "Paid training, no experience needed",
                "Recruitment flyer template (demo)",
            ),
        ),
        "An editable flyer for recruiting women and rural residents into a 10-week solar "
        "installer pre-apprenticeship. Replace the dates and the contact box.",
    ),
    (
        "Employer MOU template for work-based learning",
        "template",
        "lead",
        "great-lakes-solar",
        "coalition",
        ["renewable-energy"],
        ["MI"],
        ["incumbent-workers"],
        "employer-engagement",
        (
            "employer-mou-template.docx",
            simple_docx(
                "Memorandum of understanding between the coalition and the employer partner (demo)"
            ),
        ),
        "The memorandum we sign with host employers: roles, wages during on-the-job learning, "
        "supervision and data sharing. Coalition members only while legal reviews it.",
    ),
    (
        "Fiber optic technician curriculum outline",
        "curriculum",
        "expert",
        None,
        "public",
        ["broadband"],
        ["NV", "CA"],
        ["youth", "rural"],
        "training-design",
        (
            "fiber-curriculum.pdf",
            simple_pdf(
                "Fiber optic technician curriculum",
                "Module 1 safety, Module 2 splicing",
                "Module 3 OTDR testing, Module 4 aerial and underground installation",
            ),
        ),
        "A 12-week outline covering safety, fusion splicing, OTDR testing and installation, "
        "mapped to the Fiber Optic Association's certification.",
    ),
    (
        "Registered apprenticeship standards: electrical line worker",
        "policy",
        "coach",
        None,
        "community",
        ["renewable-energy", "broadband"],
        ["TX", "LA"],
        ["veterans"],
        "apprenticeship",
        (
            "line-worker-standards.pdf",
            simple_pdf(
                "Apprenticeship standards: electrical line worker",
                "Term 7000 hours",
                "Related technical instruction 576 hours",
            ),
        ),
        "Sample standards of apprenticeship for a line worker program, with the wage "
        "progression and the related technical instruction hours.",
    ),
    (
        "Quarterly performance reporting guide",
        "guide",
        "admin",
        None,
        "community",
        [],
        [],
        [],
        "data-reporting",
        (
            "reporting-guide.pdf",
            simple_pdf(
                "Quarterly performance reporting guide",
                "Participants served, exiters",
                "Credentials attained, entered employment",
            ),
        ),
        "How to count participants, exiters and credentials for the quarterly report, with "
        "worked examples of the common mistakes.",
    ),
    (
        "Supportive services budget worksheet",
        "dataset",
        "lead",
        "great-lakes-solar",
        "community",
        ["renewable-energy"],
        ["MI", "OH"],
        ["justice-involved", "rural"],
        "supportive-services",
        (
            "supportive-services-worksheet.csv",
            _csv(
                [
                    ["service", "cost per participant", "participants", "total"],
                    ["transportation vouchers", "400", "60", "24000"],
                    ["tools and boots", "250", "60", "15000"],
                    ["childcare", "1200", "20", "24000"],
                ]
            ),
        ),
        "A worksheet for planning transportation, tools and childcare support per cohort.",
    ),
    (
        "Webinar recording: employer engagement that lasts",
        "recording",
        "coach",
        None,
        "public",
        ["advanced-manufacturing", "transportation"],
        [],
        ["incumbent-workers"],
        "employer-engagement",
        "https://video.example.org/webinars/employer-engagement",
        "A one-hour peer-learning webinar: three coalitions on keeping employers at the table "
        "after the grant.",
    ),
    (
        "Semiconductor technician career pathway slides",
        "slides",
        "expert",
        None,
        "public",
        ["advanced-manufacturing"],
        ["AZ", "OH"],
        ["youth"],
        "training-design",
        (
            "semiconductor-pathway.pdf",
            simple_pdf(
                "Semiconductor technician career pathway",
                "From high school to cleanroom technician",
            ),
        ),
        "Slides from the convening session on stackable credentials into cleanroom jobs.",
    ),
    (
        "Outreach script for people with records of justice involvement",
        "guide",
        "member2",
        "prairie-wind-careers",
        "community",
        ["renewable-energy"],
        ["IL"],
        ["justice-involved"],
        "recruitment",
        (
            "fair-chance-outreach.txt",
            b"Fair-chance outreach script (demo)\n\nIntroduce the program...\n",
        ),
        "Talking points for reentry centers and probation offices, reviewed by our legal aid "
        "partner.",
    ),
    (
        "Accessible training site checklist",
        "tool",
        "admin",
        None,
        "public",
        [],
        [],
        ["disabilities"],
        "equity",
        (
            "accessible-site-checklist.pdf",
            simple_pdf("Accessible training site checklist", "Entrances, restrooms, captioning"),
        ),
        "A walk-through checklist for making labs and classrooms accessible, with captioning "
        "and interpreter guidance for online sessions.",
    ),
    (
        "Sustainability plan template",
        "template",
        "coach",
        None,
        "staff",
        [],
        [],
        [],
        "sustainability",
        (
            "sustainability-plan.docx",
            simple_docx("Sustainability plan: funding after the grant (demo)"),
        ),
        "Coaches' working template for sustainability conversations (staff only while drafted).",
    ),
    (
        "State apprenticeship agency directory",
        "link",
        "admin",
        None,
        "public",
        [],
        [],
        [],
        "apprenticeship",
        "https://www.apprenticeship.gov/",
        "Where to register programs in each state: the federal directory of state "
        "apprenticeship agencies.",
    ),
]

COLLECTIONS = [
    (
        "Starting an electrical pre-apprenticeship",
        "What coalitions used to launch their first cohort: recruitment, standards, support.",
        [
            "Solar installer pre-apprenticeship recruitment flyer",
            "Registered apprenticeship standards: electrical line worker",
            "Supportive services budget worksheet",
            "State apprenticeship agency directory",
        ],
    ),
    (
        "Reporting and performance",
        "Everything about the quarterly report.",
        ["Quarterly performance reporting guide", "Supportive services budget worksheet"],
    ),
]


def _user(key: str) -> User | None:
    email = {
        "member2": "member2@",
        "admin": "admin@",
        "coach": "coach@",
        "lead": "lead@",
        "member": "member@",
        "expert": "expert@",
    }[key] + DOMAIN
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()


def seed_demo_library() -> dict:
    existing = set(db.session.execute(sa.select(Resource.title)).scalars())
    made = 0
    for (
        title,
        kind,
        who,
        slug,
        visibility,
        sectors,
        states,
        populations,
        area,
        content,
        summary,
    ) in RESOURCES:
        actor = _user(who)
        if title in existing or actor is None:
            continue
        coalition = (
            db.session.execute(
                sa.select(Coalition).where(Coalition.slug == slug)
            ).scalar_one_or_none()
            if slug
            else None
        )
        if slug and coalition is None:
            continue
        link = content if isinstance(content, str) else ""
        upload = None if link else services.Upload(content[0], io.BytesIO(content[1]))
        services.share_resource(
            actor,
            services.ResourceValues(
                title=title,
                summary=summary,
                type=kind,
                external_url=link,
                program_area=area,
                visibility=visibility,
                coalition_id=coalition.id if coalition else None,
                sectors=sectors,
                states=states,
                populations=populations,
            ),
            upload,
        )
        made += 1
    curator = _user("coach") or _user("admin")
    collections = 0
    if curator is not None:
        have = set(db.session.execute(sa.select(Collection.title)).scalars())
        by_title = {r.title: r for r in db.session.execute(sa.select(Resource)).scalars()}
        for title, description, items in COLLECTIONS:
            if title in have:
                continue
            collection = services.create_collection(curator, title, description)
            for item in items:
                if item in by_title:
                    services.add_to_collection(curator, collection, by_title[item])
            collections += 1
    return {"resources": made, "collections": collections}
