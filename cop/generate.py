"""Large, consistent data sets for benchmarks and for trying the app at scale.

    flask --app wsgi cop generate --posts 1000000 --threads 20000 --users 2000 --events 5000

What it adds (to whatever the database holds; the demo program is seeded first if the
database has no coalitions):

- users: mostly coalition members (each with a membership; one in 20 a lead), some coaches
  (each assigned to three coalitions) and experts; all can sign in with the demo password;
- threads across the community categories and the coalitions' private ones (a coalition's
  threads and replies are written by its own members), with one long thread of
  `--long-thread` replies (5,000 by default) for the last-page-vs-first-page benchmark;
- posts with their body, pre-rendered `body_html` and `search_text` exactly as the app stores
  them (a pool of bodies cooked once by the forums' own renderer), counters on the threads
  and categories, a few tags, and reactions on the long thread;
- events over the past two years and the next one (sectors, some for chosen coalitions).

Speed: ids are handed out here (the sequences are moved past them on PostgreSQL), rows go
in with Core `executemany` in batches, and the posts with COPY on PostgreSQL. The search
index is built in bulk after the load: on SQLite the FTS5 insert trigger is dropped while
loading, then the index is rebuilt in one statement and the trigger restored; on
PostgreSQL the GIN index is dropped while loading and built again afterwards (the per-row
tsvector trigger stays on, so `search_vector` is right for every row).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from cop.extensions import db

BATCH = 5_000
POOL = 400  # distinct post bodies, cooked once
TAGS = (
    "apprenticeship",
    "recruitment",
    "retention",
    "employers",
    "credentials",
    "outreach",
    "childcare",
    "transportation",
    "wages",
    "reporting",
)
WORDS = [
    "apprenticeship",
    "employer",
    "sponsor",
    "recruit",
    "women",
    "veterans",
    "rural",
    "broadband",
    "fiber",
    "splicing",
    "solar",
    "installer",
    "line",
    "worker",
    "transit",
    "maintenance",
    "battery",
    "semiconductor",
    "credential",
    "OSHA",
    "stipend",
    "childcare",
    "transportation",
    "outreach",
    "cohort",
    "retention",
    "wage",
    "placement",
    "quarterly",
    "report",
    "measure",
    "target",
    "coalition",
    "coach",
    "partner",
    "college",
    "union",
    "curriculum",
    "instructor",
    "pre-apprenticeship",
    "mentor",
    "toolkit",
    "harness",
    "climbing",
    "school",
    "advisory",
    "board",
    "hiring",
    "pathway",
    "certification",
    "exam",
    "enrollment",
    "dropout",
    "support",
    "services",
    "budget",
    "grant",
    "compliance",
    "narrative",
    "employment",
    "earnings",
    "exit",
    "welding",
    "machining",
    "robotics",
    "electrician",
    "lineman",
    "turbine",
    "offshore",
    "charging",
    "station",
    "diesel",
    "mechanic",
    "bus",
    "operator",
    "signal",
    "technician",
]
# Rare on purpose: the search benchmark's "rare term", in the title of one thread in 1,000
# (so in about 20 opening posts of 1,000,000); COMMON_WORD is in a large share of posts.
RARE_WORD = "zeolite"
COMMON_WORD = "coalition"
FIRST = [
    "Avery",
    "Blake",
    "Casey",
    "Devon",
    "Emerson",
    "Finley",
    "Harper",
    "Jordan",
    "Kendall",
    "Logan",
    "Morgan",
    "Parker",
    "Quinn",
    "Reese",
    "Riley",
    "Rowan",
    "Sawyer",
    "Skyler",
    "Taylor",
    "Tatum",
]
LAST = [
    "Alvarez",
    "Brooks",
    "Chen",
    "Diallo",
    "Eriksen",
    "Fontaine",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Mensah",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quispe",
    "Rossi",
    "Santos",
    "Tanaka",
]
EVENT_TYPES = ("webinar", "peer_learning", "office_hours", "convening", "coaching_group")
SECTORS = ("renewable-energy", "broadband", "transportation", "advanced-manufacturing")
DOMAIN = "generated.example.org"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(lo, hi))
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random, i: int) -> str:
    """A short markdown post: paragraphs, sometimes a list, emphasis or a link."""
    parts = [" ".join(_sentence(rng, 6, 14) for _ in range(rng.randint(1, 3)))]
    shape = i % 5
    if shape == 1:
        parts.append("\n".join(f"- {_sentence(rng, 3, 7)}" for _ in range(3)))
    elif shape == 2:
        parts.append(f"**{_sentence(rng, 2, 4)}** {_sentence(rng, 5, 10)}")
    elif shape == 3:
        parts.append(
            f"See [the toolkit](https://example.org/toolkit/{i}) for {_sentence(rng, 3, 6).lower()}"
        )
    return "\n\n".join(parts)


def _cooked_pool(rng: random.Random, size: int) -> list[tuple[str, str, str]]:
    from cop.forums.markdown import render_post

    pool = []
    for i in range(size):
        body = _body(rng, i)
        rendered = render_post(body, {})
        pool.append((body, rendered.html, rendered.text))
    return pool


def _next_id(conn: sa.Connection, table: sa.Table) -> int:
    return (conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(sa.insert(table), rows[start : start + BATCH])


def _fix_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        highest = sa.select(sa.func.coalesce(sa.func.max(table.c.id), 1)).scalar_subquery()
        conn.execute(
            sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(table.name, "id"), highest))
        )


def _sizes(rng: random.Random, threads: int, posts: int, long_thread: int) -> list[int]:
    """Posts per thread: the first is the long thread, every thread has its opening post,
    the rest spread unevenly (a few busy threads, many short ones)."""
    if threads <= 0 or posts < threads:
        raise ValueError("need at least one post per thread")
    if threads == 1:
        return [posts]
    long_posts = min(long_thread + 1, posts - (threads - 1))
    sizes = [long_posts] + [1] * (threads - 1)
    extra = posts - sum(sizes)
    if threads > 1 and extra > 0:
        weights = [rng.random() ** 3 + 0.05 for _ in range(threads - 1)]
        total = sum(weights)
        for i, w in enumerate(weights):
            sizes[i + 1] += int(extra * w / total)
        leftover = posts - sum(sizes)
        for k in range(leftover):
            sizes[1 + k % (threads - 1)] += 1
    return sizes


def generate(
    *,
    posts: int,
    threads: int,
    users: int,
    events: int,
    seed: int = 1,
    long_thread: int = 5000,
    echo: Callable[[str], None] = print,
) -> dict:
    """Add the data set; returns counts and seconds per phase."""
    from cop.accounts.models import User
    from cop.accounts.passwords import hash_password
    from cop.coalitions.models import CoachAssignment, Coalition, Membership
    from cop.events.models import Event, EventSector, event_coalitions
    from cop.forums.models import Category, Post, Reaction, Thread, ThreadTag
    from cop.forums.services import ensure_default_categories
    from cop.seed import DEMO_PASSWORD, seed_demo

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 1)
        clock = now
        echo(f"  {name}: {timings[name]:.1f}s")

    if db.session.execute(sa.select(sa.func.count()).select_from(Coalition)).scalar_one() == 0:
        seed_demo()
    ensure_default_categories()
    phase("demo program")
    now = _now()
    password_hash = hash_password(DEMO_PASSWORD)
    coalition_ids = list(
        db.session.execute(sa.select(Coalition.id).order_by(Coalition.id)).scalars()
    )
    categories = db.session.execute(
        sa.select(Category.id, Category.kind, Category.coalition_id).where(
            Category.archived_at.is_(None), Category.kind != "staff"
        )
    ).all()
    community = [c.id for c in categories if c.kind == "community"]
    by_coalition = {c.coalition_id: c.id for c in categories if c.kind == "coalition"}
    db.session.commit()

    engine = db.engine
    with engine.begin() as conn:
        # ---- users, memberships, coach assignments
        first_user = _next_id(conn, User.__table__)
        tag = f"{seed}-{first_user}"
        user_rows, member_rows, coach_rows = [], [], []
        members_of: dict[int, list[int]] = {cid: [] for cid in coalition_ids}
        everyone: list[int] = []
        coaches: list[int] = []
        next_membership = _next_id(conn, Membership.__table__)
        next_assignment = _next_id(conn, CoachAssignment.__table__)
        for k in range(users):
            uid = first_user + k
            role = "coach" if k % 50 == 0 else "expert" if k % 40 == 1 else "member"
            created = now - timedelta(days=rng.randint(30, 1100))
            user_rows.append(
                {
                    "id": uid,
                    "email": f"user{k}.{tag}@{DOMAIN}",
                    "name": f"{FIRST[k % len(FIRST)]} {LAST[(k // len(FIRST)) % len(LAST)]} {k}",
                    "role": role,
                    "organization": "Generated Org",
                    "title": "",
                    "bio": "",
                    "bio_html": "",
                    "timezone": "America/New_York",
                    "password_hash": password_hash,
                    "active": True,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            everyone.append(uid)
            if role == "member" and coalition_ids:
                cid = coalition_ids[k % len(coalition_ids)]
                member_rows.append(
                    {
                        "id": next_membership,
                        "user_id": uid,
                        "coalition_id": cid,
                        "is_lead": k % 20 == 0,
                        "created_at": created,
                    }
                )
                next_membership += 1
                members_of[cid].append(uid)
            elif role == "coach":
                coaches.append(uid)
                for j in range(min(3, len(coalition_ids))):
                    cid = coalition_ids[(k // 50 * 3 + j) % len(coalition_ids)]
                    coach_rows.append(
                        {
                            "id": next_assignment,
                            "coach_id": uid,
                            "coalition_id": cid,
                            "created_at": created,
                        }
                    )
                    next_assignment += 1
        _insert(conn, User.__table__, user_rows)
        _insert(conn, Membership.__table__, member_rows)
        _insert(conn, CoachAssignment.__table__, coach_rows)
        conn.execute(
            sa.update(Coalition).values(
                member_count=sa.select(sa.func.count())
                .where(Membership.coalition_id == Coalition.id)
                .scalar_subquery()
            )
        )
        _fix_sequences(conn, [User.__table__, Membership.__table__, CoachAssignment.__table__])
    phase(f"{users:,} users")

    if not everyone:
        everyone = list(
            db.session.execute(
                sa.select(User.id).where(
                    User.role.in_(("member", "coach", "expert")), User.active.is_(True)
                )
            ).scalars()
        )
        db.session.commit()
    pool = _cooked_pool(rng, max(10, min(POOL, posts + events)))
    thread_count = 0
    post_count = 0
    if threads and posts:
        thread_count, post_count = _forums(
            engine,
            rng,
            now,
            pool,
            everyone,
            members_of,
            community,
            by_coalition,
            threads=threads,
            posts=posts,
            long_thread=long_thread,
            tables=(
                Thread.__table__,
                Post.__table__,
                ThreadTag.__table__,
                Reaction.__table__,
                Category,
            ),
            phase=phase,
        )
    if events:
        with engine.begin() as conn:
            hosts = coaches or everyone
            first_event = _next_id(conn, Event.__table__)
            event_rows, sector_rows, audience_rows = [], [], []
            descriptions = [(body, html) for body, html, _ in pool[:50]]
            start = now - timedelta(days=730)
            for k in range(events):
                eid = first_event + k
                begins = start + timedelta(minutes=rng.randint(0, 1095 * 24 * 60) // 15 * 15)
                kind = EVENT_TYPES[k % len(EVENT_TYPES)]
                audience = "coalitions" if k % 10 == 0 and coalition_ids else "everyone"
                description, description_html = descriptions[k % len(descriptions)]
                event_rows.append(
                    {
                        "id": eid,
                        "uid": f"event-gen-{eid}-{tag}@{DOMAIN}",
                        "detached": False,
                        "title": f"{kind.replace('_', ' ').capitalize()}: "
                        f"{' '.join(rng.choices(WORDS, k=4))}",
                        "description": description,
                        "description_html": description_html,
                        "type": kind,
                        "status": "scheduled",
                        "starts_at": begins,
                        "ends_at": begins + timedelta(minutes=60 + 30 * (k % 3)),
                        "timezone": "America/New_York",
                        "location": "Online",
                        "join_url": "",
                        "join_opens_minutes": 15,
                        "host_id": hosts[k % len(hosts)],
                        "created_by_id": hosts[k % len(hosts)],
                        "audience": audience,
                        "capacity": None if k % 4 else 200,
                        "requires_approval": False,
                        "sequence": 0,
                        "registered_count": 0,
                        "waitlist_count": 0,
                        "pending_count": 0,
                        "cancel_reason": "",
                        "transcript_target": "event_page",
                        "created_at": begins - timedelta(days=30),
                        "updated_at": begins - timedelta(days=30),
                    }
                )
                sector_rows.append({"event_id": eid, "sector": SECTORS[k % len(SECTORS)]})
                if audience == "coalitions":
                    for j in range(2):
                        audience_rows.append(
                            {
                                "event_id": eid,
                                "coalition_id": coalition_ids[(k + j) % len(coalition_ids)],
                            }
                        )
            _insert(conn, Event.__table__, event_rows)
            _insert(conn, EventSector.__table__, sector_rows)
            _insert(conn, event_coalitions, audience_rows)
            _fix_sequences(conn, [Event.__table__])
        phase(f"{events:,} events")
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    phase("analyze")
    return {
        "users": users,
        "threads": thread_count,
        "posts": post_count,
        "events": events,
        "seconds": timings,
    }


def _forums(
    engine,
    rng,
    now,
    pool,
    everyone,
    members_of,
    community,
    by_coalition,
    *,
    threads,
    posts,
    long_thread,
    tables,
    phase,
) -> tuple[int, int]:
    from cop.forums.search import install_search_schema

    thread_table, post_table, tag_table, reaction_table, Category = tables  # noqa: N806
    sizes = _sizes(rng, threads, posts, long_thread)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        first_thread = _next_id(conn, thread_table)
        first_post = _next_id(conn, post_table)
    # Who may write where: a coalition's category only its members (if it has any).
    places = [(cid, everyone) for cid in community]
    places += [
        (cat, members_of[coal]) for coal, cat in by_coalition.items() if members_of.get(coal)
    ]
    if not places:
        raise ValueError("no forum category to write in")
    span_days = 1000
    thread_rows, tag_rows, plan = [], [], []
    for k, size in enumerate(sizes):
        tid = first_thread + k
        category, writers = places[0] if k == 0 else places[rng.randrange(len(places))]
        opened = now - timedelta(minutes=rng.randint(60, span_days * 24 * 60))
        gap = min((now - opened) / (size + 1), timedelta(hours=rng.uniform(0.2, 30)))
        if k == 0:
            gap = min((now - opened) / (size + 1), timedelta(minutes=20))
        last_author = rng.choice(writers)
        last_at = opened + gap * (size - 1)
        thread_rows.append(
            {
                "id": tid,
                "category_id": category,
                "author_id": rng.choice(writers),
                "title": ("A long-running thread: " if k == 0 else "")
                + (f"{RARE_WORD.capitalize()} " if k % 1000 == 500 else "")
                + _sentence(rng, 4, 9)[:-1]
                + ("?" if k % 7 == 3 else ""),
                "kind": "question" if k % 7 == 3 else "discussion",
                "pinned": False,
                "locked": False,
                "created_at": opened,
                "last_post_number": size,
                "reply_count": size - 1,
                "last_post_at": last_at,
                "last_poster_id": last_author,
            }
        )
        if k % 5 == 0:
            for t in rng.sample(TAGS, 1 + k % 2):
                tag_rows.append({"thread_id": tid, "tag": t})
        plan.append((tid, size, writers, thread_rows[-1]["author_id"], last_author, opened, gap))
    with engine.begin() as conn:
        _insert(conn, thread_table, thread_rows)
        _insert(conn, tag_table, tag_rows)
        _fix_sequences(conn, [thread_table])
    phase(f"{threads:,} threads")

    def rows():
        pid = first_post
        for tid, size, writers, opener, last_author, opened, gap in plan:
            for number in range(1, size + 1):
                author = (
                    opener
                    if number == 1
                    else last_author
                    if number == size
                    else writers[rng.randrange(len(writers))]
                )
                yield (
                    pid,
                    tid,
                    number,
                    author,
                    pool[rng.randrange(len(pool))],
                    opened + gap * (number - 1),
                )
                pid += 1

    with engine.connect() as conn:
        if not postgres:  # the load only (not allowed inside a transaction); NORMAL after
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.commit()
        if postgres:
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_forum_posts_search_vector")
            _copy_posts(conn, rows())
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS forum_posts_fts_insert")
            batch = []
            for pid, tid, number, author, (body, html, text), created in rows():
                batch.append(
                    {
                        "id": pid,
                        "thread_id": tid,
                        "number": number,
                        "author_id": author,
                        "body": body,
                        "body_html": html,
                        "search_text": text,
                        "created_at": created,
                        "version": 1,
                    }
                )
                if len(batch) >= BATCH:
                    conn.execute(sa.insert(post_table), batch)
                    batch = []
            if batch:
                conn.execute(sa.insert(post_table), batch)
        _fix_sequences(conn, [post_table])
        conn.commit()
        if not postgres:
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.commit()
    phase(f"{posts:,} posts")
    with engine.begin() as conn:
        if postgres:
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            conn.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS ix_forum_posts_search_vector "
                "ON forum_posts USING gin (search_vector)"
            )
        else:
            install_search_schema(conn)  # the trigger back, and the index rebuilt at once
    phase("search index")
    with engine.begin() as conn:
        # Reactions on the long thread: its pages show them like a real busy thread.
        reactions = []
        for pid in range(first_post, first_post + sizes[0]):
            for uid in rng.sample(everyone, min(2, len(everyone))):
                reactions.append(
                    {
                        "post_id": pid,
                        "user_id": uid,
                        "kind": ("helpful", "thanks", "insightful")[pid % 3],
                        "created_at": now,
                    }
                )
        _insert(conn, reaction_table, reactions)
        live = sa.and_(
            thread_table.c.category_id == Category.id, thread_table.c.deleted_at.is_(None)
        )
        latest = (
            sa.select(thread_table.c.last_poster_id)
            .where(live)
            .order_by(thread_table.c.last_post_at.desc(), thread_table.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        conn.execute(
            sa.update(Category).values(
                thread_count=sa.select(sa.func.count()).where(live).scalar_subquery(),
                post_count=sa.select(
                    sa.func.coalesce(sa.func.sum(thread_table.c.reply_count + 1), 0)
                )
                .where(live)
                .scalar_subquery(),
                last_post_at=sa.select(sa.func.max(thread_table.c.last_post_at))
                .where(live)
                .scalar_subquery(),
                last_poster_id=latest,
            )
        )
    phase("counters")
    return threads, posts


def _copy_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy_posts(conn: sa.Connection, rows) -> None:
    """COPY in text format: the pool's strings are escaped once, each row is one f-string."""
    escaped: dict[int, tuple[str, str, str]] = {}
    raw = conn.connection.driver_connection
    columns = "id, thread_id, number, author_id, body, body_html, search_text, created_at, version"
    with raw.cursor() as cursor, cursor.copy(f"COPY forum_posts ({columns}) FROM STDIN") as copy:
        chunk: list[str] = []
        for pid, tid, number, author, cooked, created in rows:
            texts = escaped.get(id(cooked))
            if texts is None:
                texts = escaped[id(cooked)] = tuple(_copy_text(s) for s in cooked)
            chunk.append(
                f"{pid}\t{tid}\t{number}\t{author}\t{texts[0]}\t{texts[1]}\t{texts[2]}"
                f"\t{_naive(created).isoformat(sep=' ')}\t1\n"
            )
            if len(chunk) >= BATCH:
                copy.write("".join(chunk))
                chunk = []
        if chunk:
            copy.write("".join(chunk))
