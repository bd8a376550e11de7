"""Library use cases. Each takes the acting user, checks, validates everything, writes in
one transaction and commits once. Files: staged, checked, recorded, committed, and only
then moved into place; on any failure the staged file is removed (see storage.py)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from cop.accounts.models import User
from cop.coalitions.models import STATES, Coalition
from cop.coalitions.permissions import memberships_of
from cop.core import audit
from cop.core.errors import NotFound, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.extensions import db
from cop.library import files
from cop.library.models import (
    COMMENT_MAX,
    NOTE_MAX,
    POPULATIONS,
    PROGRAM_AREAS,
    SEARCH_TEXT_MAX,
    SECTORS,
    SUMMARY_MAX,
    TITLE_MAX,
    TITLE_MIN,
    Collection,
    CollectionItem,
    OriginKind,
    Resource,
    ResourceComment,
    ResourceDownload,
    ResourceLike,
    ResourcePopulation,
    ResourceSector,
    ResourceState,
    ResourceType,
    ResourceVersion,
    Visibility,
)
from cop.library.permissions import (
    allowed_visibilities,
    can_comment,
    can_curate,
    can_edit_resource,
    can_like,
    can_share,
    can_share_as,
    can_view_resource,
)
from cop.library.storage import StagedFile, TooLarge, storage

log = logging.getLogger(__name__)


@dataclass
class Upload:
    filename: str
    stream: BinaryIO


@dataclass
class Origin:
    kind: str
    id: int
    path: str
    label: str
    floor: str | None = None  # the narrowest visibility the origin allows
    author: User | None = None  # told (in-app) that their post is now in the library


@dataclass
class ResourceValues:
    title: str = ""
    summary: str = ""
    type: str = ""
    external_url: str = ""
    program_area: str = ""
    visibility: str = Visibility.COMMUNITY.value
    coalition_id: int | None = None
    sectors: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)


def _bad(message: str, name: str) -> ServiceError:
    return ServiceError(message, status=400, code="invalid", field=name)


def _pick(values: Iterable[str] | None, allowed, name: str, label: str) -> list[str]:
    chosen = []
    for value in values or []:
        if value not in allowed:
            raise _bad(f"Unknown {label}: {str(value)[:40]}.", name)
        if value not in chosen:
            chosen.append(value)
    return sorted(chosen)


def check_values(
    actor: User,
    values: ResourceValues,
    *,
    origin: Origin | None = None,
    resource: Resource | None = None,
) -> tuple[ResourceValues, Coalition | None]:
    """Every field checked; the values cleaned, and the sharing coalition."""
    title = " ".join((values.title or "").split())
    if len(title) < TITLE_MIN or len(title) > TITLE_MAX:
        raise _bad(f"Give a title of {TITLE_MIN} to {TITLE_MAX} characters.", "title")
    summary = (values.summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        raise _bad(f"The summary is longer than {SUMMARY_MAX:,} characters.", "summary")
    if values.type not in {t.value for t in ResourceType}:
        raise _bad("Choose the type of resource.", "type")
    url = files.check_link(values.external_url)
    if values.program_area and values.program_area not in PROGRAM_AREAS:
        raise _bad("Choose a program area from the list.", "program_area")
    floor = origin.floor if origin else None
    if values.visibility not in allowed_visibilities(actor, floor):
        raise _bad("Choose who may see the resource from the list.", "visibility")
    coalition = None
    if values.coalition_id:
        coalition = db.session.get(Coalition, values.coalition_id)
        unchanged = resource is not None and resource.coalition_id == values.coalition_id
        if coalition is None or not (unchanged or can_share_as(actor, coalition)):
            raise _bad("You can only share as a coalition you belong to or coach.", "coalition_id")
    if values.visibility == Visibility.COALITION.value and coalition is None:
        raise _bad("Choose the coalition that may see the resource.", "coalition_id")
    clean = ResourceValues(
        title=title,
        summary=summary,
        type=values.type,
        external_url=url,
        program_area=values.program_area or "",
        visibility=values.visibility,
        coalition_id=coalition.id if coalition else None,
        sectors=_pick(values.sectors, SECTORS, "sectors", "sector"),
        states=_pick([s.upper() for s in values.states or []], STATES, "states", "state"),
        populations=_pick(values.populations, POPULATIONS, "populations", "target population"),
    )
    return clean, coalition


def _apply(resource: Resource, values: ResourceValues) -> None:
    resource.title = values.title
    resource.summary = values.summary
    resource.summary_html = render_markdown(values.summary)
    resource.type = values.type
    resource.external_url = values.external_url
    resource.program_area = values.program_area
    resource.visibility = values.visibility
    resource.coalition_id = values.coalition_id
    resource.sector_rows = [ResourceSector(sector=s) for s in values.sectors]
    resource.state_rows = [ResourceState(state=s) for s in values.states]
    resource.population_rows = [ResourcePopulation(population=p) for p in values.populations]


def _search_text(summary: str, extracted: str) -> str:
    return f"{summary}\n{extracted}".strip()[:SEARCH_TEXT_MAX]


def _current_extracted(resource: Resource) -> str:
    """The part of search_text that came from the current file (after the summary)."""
    prefix = resource.summary or ""
    text = resource.search_text or ""
    return text[len(prefix) :].strip() if text.startswith(prefix) else ""


# ---------------------------------------------------------------- files


def _stage(upload: Upload) -> tuple[StagedFile, files.CheckedFile]:
    """Stage and check an upload; raises (with nothing left on disk) if it is refused."""
    name, extension = files.check_name(upload.filename)
    limit = files.upload_limit()
    try:
        staged = storage().stage(upload.stream, limit)
    except TooLarge:
        raise ServiceError(
            f"The file is larger than the {files.human_size(limit)} limit. Nothing was saved.",
            status=413,
            code="too_large",
            field="file",
        ) from None
    try:
        if staged.size == 0:
            raise ServiceError("The file is empty.", status=400, field="file")
        text = files.check_content(staged.path, extension)
    except BaseException:
        storage().discard(staged)
        raise
    content_type = files.ALLOWED[extension][0]
    return staged, files.CheckedFile(
        name=name, extension=extension, content_type=content_type, extracted_text=text
    )


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _new_version(
    actor: User, resource: Resource, staged: StagedFile, checked: files.CheckedFile, note: str
) -> ResourceVersion:
    number = (resource.version_count or 0) + 1
    version = ResourceVersion(
        number=number,
        storage_key=staged.key,
        original_name=checked.name,
        extension=checked.extension,
        content_type=checked.content_type,
        size_bytes=staged.size,
        sha256=_sha256(staged.path),
        note=note,
        uploaded_by_id=actor.id,
    )
    resource.versions.append(version)
    resource.version_count = number
    resource.search_text = _search_text(resource.summary, checked.extracted_text)
    return version


def _commit_with(staged: StagedFile | None) -> None:
    """Commit; then publish the staged file. Any failure: roll back, remove the file."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if staged is not None:
            storage().discard(staged)
        raise
    if staged is not None:
        try:
            storage().publish(staged)
        except OSError:
            storage().discard(staged)
            log.exception("library: could not move an upload into place")
            raise ServiceError("The file could not be stored. Try again.", status=500) from None


def _note(note: str | None) -> str:
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise _bad(f"The note is longer than {NOTE_MAX} characters.", "note")
    return note


# ---------------------------------------------------------------- resources


def share_resource(
    actor: User,
    values: ResourceValues,
    upload: Upload | None = None,
    *,
    origin: Origin | None = None,
    collection: Collection | None = None,
) -> Resource:
    """Share a resource: a file, a link, or (promoted) text. Optionally add it to a
    collection in the same step (curators only)."""
    if not can_share(actor):
        raise PermissionDenied("You cannot share resources.")
    clean, _ = check_values(actor, values, origin=origin)
    if collection is not None and not can_curate(actor):
        raise PermissionDenied("Only coaches and program staff curate collections.")
    if upload is None and not clean.external_url and not clean.summary:
        raise _bad("Upload a file or give a link (or at least a summary).", "file")
    staged, checked = _stage(upload) if upload is not None else (None, None)
    try:
        resource = Resource(
            created_by_id=actor.id, version_count=0, download_count=0, like_count=0, comment_count=0
        )
        _apply(resource, clean)
        resource.search_text = _search_text(clean.summary, "")
        if origin is not None:
            resource.origin_kind, resource.origin_id = origin.kind, origin.id
            resource.origin_path, resource.origin_label = origin.path, origin.label[:TITLE_MAX]
        db.session.add(resource)
        if staged is not None:
            _new_version(actor, resource, staged, checked, "")
        db.session.flush()
        if collection is not None:
            _append_item(collection, resource)
        audit.record(
            actor,
            "library.share",
            resource,
            visibility=resource.visibility,
            origin=origin.kind if origin else None,
        )
        if origin is not None and origin.author is not None:
            _tell_author(actor, origin.author, resource)
    except BaseException:
        db.session.rollback()
        if staged is not None:
            storage().discard(staged)
        raise
    _commit_with(staged)
    return resource


def resource_path(resource_id: int) -> str:
    """The resource page's path, inside a request or not (seeding, CLI)."""
    if has_request_context():
        return url_for("library.resource", resource_id=resource_id)
    return current_app.url_map.bind("localhost").build(
        "library.resource", {"resource_id": resource_id}
    )


def _tell_author(actor: User, author: User, resource: Resource) -> None:
    """The author of a promoted post hears of it (in-app), if they may see the resource."""
    if author.id == actor.id or not can_view_resource(author, resource):
        return
    from cop.library.kinds import PROMOTED
    from cop.notifications.services import notify

    notify(
        author,
        PROMOTED.key,
        actor=actor,
        subject_type="library_resource",
        subject_id=resource.id,
        url=resource_path(resource.id),
        text=f"{actor.name} added your post to the resource library: {resource.title}",
    )


def update_resource(actor: User, resource: Resource, values: ResourceValues) -> Resource:
    if not can_edit_resource(actor, resource):
        raise PermissionDenied(
            "Only whoever shared it, the coalition's leads and program staff edit this resource."
        )
    floor = None
    if resource.origin_kind and resource.visibility in (Visibility.COALITION, Visibility.STAFF):
        floor = resource.visibility if not actor.is_admin else None
    origin = Origin(resource.origin_kind or "", 0, "", "", floor) if floor else None
    clean, _ = check_values(actor, values, origin=origin, resource=resource)
    if not resource.has_file and not clean.external_url and not clean.summary:
        raise _bad("Give a link or a summary (this resource has no file).", "external_url")
    extracted = _current_extracted(resource)
    changed_visibility = clean.visibility != resource.visibility
    _apply(resource, clean)
    resource.search_text = _search_text(clean.summary, extracted)
    if changed_visibility:
        audit.record(actor, "library.visibility", resource, visibility=clean.visibility)
    _commit_with(None)
    return resource


def add_version(actor: User, resource: Resource, upload: Upload, note: str = "") -> ResourceVersion:
    if not can_edit_resource(actor, resource):
        raise PermissionDenied(
            "Only whoever shared it, the coalition's leads and program staff upload new versions."
        )
    note = _note(note)
    staged, checked = _stage(upload)
    try:
        version = _new_version(actor, resource, staged, checked, note)
        db.session.flush()
    except BaseException:
        db.session.rollback()
        storage().discard(staged)
        raise
    _commit_with(staged)
    return version


def downloader_coalition_id(user: User | None) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    ids = sorted(memberships_of(user))
    return ids[0] if ids else None


def record_download(user: User | None, resource: Resource) -> None:
    """Count a download (for "most used" and "used by"); commits."""
    if not can_view_resource(user, resource):
        raise NotFound("No such resource.")
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    db.session.add(
        ResourceDownload(
            resource_id=resource.id,
            user_id=user.id if signed_in else None,
            coalition_id=downloader_coalition_id(user),
        )
    )
    db.session.execute(
        sa.update(Resource)
        .where(Resource.id == resource.id)
        .values(download_count=Resource.download_count + 1)
    )
    db.session.commit()


def set_like(actor: User, resource: Resource, on: bool) -> bool:
    """Like or unlike; returns whether the actor likes it now. Idempotent."""
    if not can_like(actor, resource):
        raise PermissionDenied("Sign in to like resources.")
    existing = db.session.get(ResourceLike, (resource.id, actor.id))
    if on and existing is None:
        db.session.add(ResourceLike(resource_id=resource.id, user_id=actor.id))
        delta = 1
    elif not on and existing is not None:
        db.session.delete(existing)
        delta = -1
    else:
        return on
    db.session.execute(
        sa.update(Resource)
        .where(Resource.id == resource.id)
        .values(like_count=Resource.like_count + delta)
    )
    db.session.commit()
    return on


def add_comment(actor: User, resource: Resource, body: str) -> ResourceComment:
    if not can_comment(actor, resource):
        raise PermissionDenied("Sign in to comment.")
    body = (body or "").strip()
    if not body:
        raise _bad("Write a comment.", "body")
    if len(body) > COMMENT_MAX:
        raise _bad(f"The comment is longer than {COMMENT_MAX:,} characters.", "body")
    comment = ResourceComment(
        resource_id=resource.id,
        author_id=actor.id,
        body=body,
        body_html=render_markdown(body),
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.execute(
        sa.update(Resource)
        .where(Resource.id == resource.id)
        .values(comment_count=Resource.comment_count + 1)
    )
    db.session.commit()
    return comment


# ---------------------------------------------------------------- collections


def _check_collection_text(title: str, description: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN or len(title) > TITLE_MAX:
        raise _bad(f"Give a title of {TITLE_MIN} to {TITLE_MAX} characters.", "title")
    description = (description or "").strip()
    if len(description) > SUMMARY_MAX:
        raise _bad("The description is too long.", "description")
    return title, description


def create_collection(actor: User, title: str, description: str = "") -> Collection:
    if not can_curate(actor):
        raise PermissionDenied("Only coaches and program staff curate collections.")
    title, description = _check_collection_text(title, description)
    last = db.session.execute(sa.select(sa.func.max(Collection.position))).scalar() or 0
    collection = Collection(
        title=title,
        description=description,
        description_html=render_markdown(description),
        position=last + 1,
        created_by_id=actor.id,
    )
    db.session.add(collection)
    db.session.commit()
    return collection


def update_collection(
    actor: User, collection: Collection, title: str, description: str = ""
) -> Collection:
    if not can_curate(actor):
        raise PermissionDenied("Only coaches and program staff curate collections.")
    collection.title, collection.description = _check_collection_text(title, description)
    collection.description_html = render_markdown(collection.description)
    db.session.commit()
    return collection


def _append_item(collection: Collection, resource: Resource, note: str = "") -> bool:
    if any(item.resource_id == resource.id for item in collection.items):
        return False
    last = max((item.position for item in collection.items), default=0)
    collection.items.append(CollectionItem(resource_id=resource.id, position=last + 1, note=note))
    collection.updated_at = utcnow()
    return True


def add_to_collection(
    actor: User, collection: Collection, resource: Resource, note: str = ""
) -> None:
    if not can_curate(actor):
        raise PermissionDenied("Only coaches and program staff curate collections.")
    if not can_view_resource(actor, resource):
        raise NotFound("No such resource.")
    if not _append_item(collection, resource, _note(note)):
        raise ServiceError(
            "The resource is in this collection already.", status=409, code="conflict"
        )
    db.session.commit()


def remove_from_collection(actor: User, collection: Collection, resource_id: int) -> None:
    if not can_curate(actor):
        raise PermissionDenied("Only coaches and program staff curate collections.")
    item = next((i for i in collection.items if i.resource_id == resource_id), None)
    if item is None:
        raise NotFound("That resource is not in the collection.")
    collection.items.remove(item)
    db.session.commit()


def move_in_collection(
    actor: User, collection: Collection, resource_id: int, direction: int
) -> None:
    """Swap the item with its neighbour above (-1) or below (+1)."""
    if not can_curate(actor):
        raise PermissionDenied("Only coaches and program staff curate collections.")
    items = list(collection.items)
    index = next((n for n, i in enumerate(items) if i.resource_id == resource_id), None)
    if index is None:
        raise NotFound("That resource is not in the collection.")
    other = index + (1 if direction > 0 else -1)
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for position, item in enumerate(items, start=1):
            item.position = position
        db.session.commit()


# ---------------------------------------------------------------- promotion


def promote(
    actor: User, origin: Origin, values: ResourceValues, collection: Collection | None = None
) -> Resource:
    """A forum answer or an event's material into the library, in one step."""
    if origin.kind not in {k.value for k in OriginKind}:
        raise _bad("Unknown origin.", "origin")
    return share_resource(actor, values, None, origin=origin, collection=collection)
