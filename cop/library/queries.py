"""Read side of the library: browse with facets and counts, search, sort, keyset pages,
the front page, "used by" figures. Visibility is a WHERE clause (permissions.py), so
nothing a viewer may not see leaves the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from cop.accounts.models import User
from cop.coalitions.models import STATES, Coalition
from cop.core.pagination import decode_cursor, encode_cursor
from cop.extensions import db
from cop.library import search
from cop.library.models import (
    POPULATIONS,
    PROGRAM_AREAS,
    SECTORS,
    TYPE_LABELS,
    Collection,
    CollectionItem,
    Resource,
    ResourceComment,
    ResourceDownload,
    ResourceLike,
    ResourcePopulation,
    ResourceSector,
    ResourceState,
)
from cop.library.permissions import is_community, visible_condition

PAGE_SIZE = 20
SORTS = {"newest": "Newest", "used": "Most used", "liked": "Most liked", "relevance": "Best match"}
TYPES = {t.value: label for t, label in TYPE_LABELS.items()}


@dataclass
class BrowseFilters:
    q: str = ""
    types: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)
    program_areas: list[str] = field(default_factory=list)
    coalitions: list[str] = field(default_factory=list)  # slugs
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> BrowseFilters:
        """From query arguments; unknown values are dropped, not errors."""

        def many(name, allowed=None, upper=False):
            values = []
            for v in args.getlist(name)[:30]:
                v = (v or "").strip()[:80]
                v = v.upper() if upper else v
                if v and (allowed is None or v in allowed) and v not in values:
                    values.append(v)
            return values

        q = (args.get("q") or "").strip()[:200]
        sort = args.get("sort") or ("relevance" if q else "newest")
        if sort not in SORTS or (sort == "relevance" and not q):
            sort = "newest"
        return cls(
            q=q,
            types=many("type", TYPES),
            sectors=many("sector", SECTORS),
            states=many("state", STATES, upper=True),
            populations=many("population", POPULATIONS),
            program_areas=many("program_area", PROGRAM_AREAS),
            coalitions=many("coalition"),
            sort=sort,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.q
            or self.types
            or self.sectors
            or self.states
            or self.populations
            or self.program_areas
            or self.coalitions
        )

    def args(self, **changes) -> dict[str, Any]:
        """Query arguments for a link (url_for takes lists for repeated arguments)."""
        values = {
            "q": self.q or None,
            "type": self.types,
            "sector": self.sectors,
            "state": self.states,
            "population": self.populations,
            "program_area": self.program_areas,
            "coalition": self.coalitions,
            "sort": self.sort if self.sort != ("relevance" if self.q else "newest") else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str  # the query argument
    label: str
    values: list[FacetValue]


@dataclass
class BrowsePage:
    items: list[Resource]
    facets: list[Facet]
    total: int
    terms: list[str]
    snippets: dict[int, Markup]
    next_cursor: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _conditions(user: User | None, filters: BrowseFilters, terms: list[str]):
    conditions = [visible_condition(user)]
    rank = None
    if filters.types:
        conditions.append(Resource.type.in_(filters.types))
    if filters.program_areas:
        conditions.append(Resource.program_area.in_(filters.program_areas))
    if filters.sectors:
        conditions.append(
            Resource.id.in_(
                sa.select(ResourceSector.resource_id).where(
                    ResourceSector.sector.in_(filters.sectors)
                )
            )
        )
    if filters.states:
        conditions.append(
            Resource.id.in_(
                sa.select(ResourceState.resource_id).where(ResourceState.state.in_(filters.states))
            )
        )
    if filters.populations:
        conditions.append(
            Resource.id.in_(
                sa.select(ResourcePopulation.resource_id).where(
                    ResourcePopulation.population.in_(filters.populations)
                )
            )
        )
    if filters.coalitions:
        conditions.append(
            Resource.coalition_id.in_(
                sa.select(Coalition.id).where(Coalition.slug.in_(filters.coalitions))
            )
        )
    if terms:
        match, rank = search.matching(terms)
        conditions.append(match)
    return conditions, rank


def _sort_key(sort: str):
    return {"used": Resource.download_count, "liked": Resource.like_count}.get(
        sort, Resource.created_at
    )


def browse(
    user: User | None,
    filters: BrowseFilters,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    with_facets: bool = True,
) -> BrowsePage:
    """One page of the resources the user may see that match the filters, with facet
    counts over all of them. A fixed number of queries whatever the page holds."""
    terms = search.search_terms(filters.q)
    if filters.q and not terms:
        return BrowsePage(
            items=[],
            facets=_facets(user, filters, [sa.false()]) if with_facets else [],
            total=0,
            terms=[],
            snippets={},
        )
    conditions, rank = _conditions(user, filters, terms)
    limit = max(1, min(limit, 100))
    stmt = (
        sa.select(Resource)
        .where(*conditions)
        .options(
            selectinload(Resource.sector_rows),
            selectinload(Resource.state_rows),
            selectinload(Resource.population_rows),
        )
    )
    values = decode_cursor(cursor)
    if filters.sort == "relevance" and rank is not None:
        offset = values[0] if values and isinstance(values[0], int) and values[0] > 0 else 0
        offset = min(offset, 1000)
        rows = list(
            db.session.execute(
                stmt.order_by(rank, Resource.id.desc()).offset(offset).limit(limit + 1)
            )
            .unique()
            .scalars()
        )
        next_cursor = encode_cursor([offset + limit]) if len(rows) > limit else None
    else:
        key = _sort_key(filters.sort)
        if values and len(values) == 2 and isinstance(values[1], int):
            first = values[0]
            if key is Resource.created_at:
                try:
                    first = datetime.fromisoformat(str(first))
                except ValueError:
                    first = None
            elif not isinstance(first, int):
                first = None
            if first is not None:
                stmt = stmt.where(
                    sa.or_(key < first, sa.and_(key == first, Resource.id < values[1]))
                )
        rows = list(
            db.session.execute(stmt.order_by(key.desc(), Resource.id.desc()).limit(limit + 1))
            .unique()
            .scalars()
        )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            value = getattr(last, key.key)
            next_cursor = encode_cursor(
                [value.isoformat() if isinstance(value, datetime) else value, last.id]
            )
    items = rows[:limit]
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(Resource).where(*conditions)
    ).scalar_one()
    return BrowsePage(
        items=items,
        facets=_facets(user, filters, conditions) if with_facets else [],
        total=total,
        terms=terms,
        snippets=search.snippets(terms, [r.id for r in items]),
        next_cursor=next_cursor,
    )


def _facets(user, filters: BrowseFilters, conditions) -> list[Facet]:
    """Counts of each facet value among the matching resources (one query per facet)."""
    matching = sa.select(Resource.id).where(*conditions).scalar_subquery()

    def counts(column, *joins):
        stmt = sa.select(column, sa.func.count(sa.distinct(Resource.id))).select_from(Resource)
        for target, on in joins:
            stmt = stmt.join(target, on)
        stmt = stmt.where(Resource.id.in_(matching)).group_by(column)
        return {value: n for value, n in db.session.execute(stmt).all() if value}

    def facet(name, label, found, labels, selected):
        found = {**{v: 0 for v in selected}, **found}  # a chosen value stays, to clear it
        values = [
            FacetValue(v, labels.get(v, v), n, v in selected)
            for v, n in sorted(found.items(), key=lambda kv: labels.get(kv[0], kv[0]))
        ]
        return Facet(name, label, values)

    coalition_rows = db.session.execute(
        sa.select(Coalition.slug, Coalition.name, sa.func.count(Resource.id))
        .join(Resource, Resource.coalition_id == Coalition.id)
        .where(Resource.id.in_(matching))
        .group_by(Coalition.slug, Coalition.name)
    ).all()
    coalition_labels = {slug: name for slug, name, _ in coalition_rows}
    return [
        facet("type", "Type", counts(Resource.type), TYPES, filters.types),
        facet(
            "sector",
            "Sector",
            counts(
                ResourceSector.sector, (ResourceSector, ResourceSector.resource_id == Resource.id)
            ),
            SECTORS,
            filters.sectors,
        ),
        facet(
            "state",
            "State",
            counts(ResourceState.state, (ResourceState, ResourceState.resource_id == Resource.id)),
            STATES,
            filters.states,
        ),
        facet(
            "population",
            "Target population",
            counts(
                ResourcePopulation.population,
                (ResourcePopulation, ResourcePopulation.resource_id == Resource.id),
            ),
            POPULATIONS,
            filters.populations,
        ),
        facet(
            "program_area",
            "Program area",
            counts(Resource.program_area),
            PROGRAM_AREAS,
            filters.program_areas,
        ),
        facet(
            "coalition",
            "Shared by coalition",
            {s: n for s, _, n in coalition_rows},
            coalition_labels,
            filters.coalitions,
        ),
    ]


# ---------------------------------------------------------------- pages


@dataclass
class CollectionView:
    collection: Collection
    items: list[CollectionItem]  # only what the viewer may see


def collections_for(
    user: User | None, collection_ids: list[int] | None = None, per_collection: int | None = None
) -> list[CollectionView]:
    """Collections, in order, each with the items the viewer may see (2 queries)."""
    stmt = sa.select(Collection).order_by(Collection.position, Collection.id)
    if collection_ids is not None:
        stmt = stmt.where(Collection.id.in_(collection_ids))
    collections = list(db.session.execute(stmt).scalars())
    if not collections:
        return []
    rows = db.session.execute(
        sa.select(CollectionItem, Resource)
        .join(Resource, Resource.id == CollectionItem.resource_id)
        .where(
            CollectionItem.collection_id.in_([c.id for c in collections]), visible_condition(user)
        )
        .order_by(CollectionItem.collection_id, CollectionItem.position)
    ).all()
    by_collection: dict[int, list[CollectionItem]] = {}
    for item, _resource in rows:
        by_collection.setdefault(item.collection_id, []).append(item)
    views = []
    for c in collections:
        items = by_collection.get(c.id, [])
        views.append(CollectionView(c, items[:per_collection] if per_collection else items))
    return views


def front_page(user: User | None) -> dict[str, Any]:
    views = [v for v in collections_for(user, per_collection=5) if v.items]
    newest = browse(user, BrowseFilters(), limit=6, with_facets=False)
    return {"collections": views, "newest": newest.items, "total": newest.total}


@dataclass
class UsedBy:
    coalitions: int
    people: int
    downloads: int


def used_by(resource: Resource) -> UsedBy:
    coalitions, people = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(ResourceDownload.coalition_id)),
            sa.func.count(sa.distinct(ResourceDownload.user_id)),
        ).where(ResourceDownload.resource_id == resource.id)
    ).one()
    return UsedBy(coalitions=coalitions, people=people, downloads=resource.download_count)


def likes(user: User | None, resource: Resource) -> bool:
    if not is_community(user):
        return False
    return db.session.get(ResourceLike, (resource.id, user.id)) is not None


def comments(resource: Resource) -> list[ResourceComment]:
    return list(
        db.session.execute(
            sa.select(ResourceComment)
            .where(ResourceComment.resource_id == resource.id)
            .order_by(ResourceComment.created_at, ResourceComment.id)
            .limit(500)
        ).scalars()
    )


def collections_containing(user: User | None, resource: Resource) -> list[Collection]:
    return list(
        db.session.execute(
            sa.select(Collection)
            .join(CollectionItem, CollectionItem.collection_id == Collection.id)
            .where(CollectionItem.resource_id == resource.id)
            .order_by(Collection.position, Collection.id)
        ).scalars()
    )


def all_collections() -> list[Collection]:
    return list(
        db.session.execute(
            sa.select(Collection).order_by(Collection.position, Collection.id)
        ).scalars()
    )
