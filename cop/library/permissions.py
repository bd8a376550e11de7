"""Who may see and do what in the library: one rule, written once, built on the
coalition predicates. Views, API, downloads, queries and templates all use these.

- public resources: anyone, with or without an account;
- community resources: everyone signed in but guests;
- one coalition's: its members, its assigned coaches, admins;
- staff only: coaches and admins;
- whoever shared a resource always sees it.
Sharing, liking and commenting: active accounts other than guests. Editing and new
versions: the sharer, the leads of the sharing coalition, admins. Collections: coaches
and admins curate them. A resource the user may not see is a 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.coalitions.models import Coalition
from cop.coalitions.permissions import (
    coached_coalition_ids,
    is_assigned_coach,
    is_lead,
    is_member,
    memberships_of,
)
from cop.extensions import db
from cop.library.models import Collection, Resource, ResourceVersion, Visibility


def _active(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def is_community(user: User | None) -> bool:
    """Signed in, active, and not a single-event guest."""
    return _active(user) and user.role != Role.GUEST


def is_library_staff(user: User | None) -> bool:
    return _active(user) and user.role in (Role.ADMIN, Role.COACH)


def can_use_library(user: User | None) -> bool:
    """The library is open to everyone: anonymous visitors see its public part."""
    return True


def can_view_resource(user: User | None, resource: Resource) -> bool:
    if resource.visibility == Visibility.PUBLIC:
        return True
    if not is_community(user):
        return False
    if user.is_admin or resource.created_by_id == user.id:
        return True
    if resource.visibility == Visibility.COMMUNITY:
        return True
    if resource.visibility == Visibility.STAFF:
        return user.role == Role.COACH
    coalition = resource.coalition
    return coalition is not None and (
        is_member(user, coalition) or is_assigned_coach(user, coalition)
    )


def visible_condition(user: User | None):
    """The SQL condition of `can_view_resource`, for list and search queries."""
    public = Resource.visibility == Visibility.PUBLIC.value
    if not is_community(user):
        return public
    if user.is_admin:
        return sa.true()
    coalition_ids = set(memberships_of(user)) | set(coached_coalition_ids(user))
    allowed = [
        public,
        Resource.visibility == Visibility.COMMUNITY.value,
        Resource.created_by_id == user.id,
    ]
    if user.role == Role.COACH:
        allowed.append(Resource.visibility == Visibility.STAFF.value)
    if coalition_ids:
        allowed.append(
            sa.and_(
                Resource.visibility == Visibility.COALITION.value,
                Resource.coalition_id.in_(sorted(coalition_ids)),
            )
        )
    return sa.or_(*allowed)


def can_share(user: User | None) -> bool:
    return is_community(user)


def sharing_coalitions(user: User | None) -> list[Coalition]:
    """The coalitions a user may share as (and restrict a resource to)."""
    if not is_community(user):
        return []
    stmt = sa.select(Coalition).order_by(Coalition.name)
    if not user.is_admin:
        ids = set(memberships_of(user)) | set(coached_coalition_ids(user))
        if not ids:
            return []
        stmt = stmt.where(Coalition.id.in_(sorted(ids)))
    return list(db.session.execute(stmt).scalars())


def can_share_as(user: User | None, coalition: Coalition) -> bool:
    return is_community(user) and (
        user.is_admin or is_member(user, coalition) or is_assigned_coach(user, coalition)
    )


def can_edit_resource(user: User | None, resource: Resource) -> bool:
    if not is_community(user) or not can_view_resource(user, resource):
        return False
    if user.is_admin or (resource.created_by_id is not None and resource.created_by_id == user.id):
        return True
    return resource.coalition is not None and is_lead(user, resource.coalition)


def can_upload_version(user: User | None, resource: Resource) -> bool:
    return can_edit_resource(user, resource)


def can_like(user: User | None, resource: Resource) -> bool:
    return is_community(user) and can_view_resource(user, resource)


def can_comment(user: User | None, resource: Resource) -> bool:
    return is_community(user) and can_view_resource(user, resource)


def can_view_comments(user: User | None, resource: Resource) -> bool:
    """Comments name community members: signed-in readers only, even on public resources."""
    return is_community(user) and can_view_resource(user, resource)


def can_curate(user: User | None) -> bool:
    """Create and arrange collections: coaches and admins."""
    return is_library_staff(user)


def can_promote(user: User | None) -> bool:
    return can_share(user)


def allowed_visibilities(user: User | None, origin_floor: str | None = None) -> list[str]:
    """The visibilities a user may choose; `origin_floor` narrows them to no wider than
    where promoted content came from (a coalition's private forum stays private)."""
    if not is_community(user):
        return []
    order = [Visibility.PUBLIC, Visibility.COMMUNITY, Visibility.COALITION, Visibility.STAFF]
    values = [v.value for v in order]
    if origin_floor == Visibility.COALITION.value:
        values = [Visibility.COALITION.value, Visibility.STAFF.value]
    elif origin_floor == Visibility.STAFF.value:
        values = [Visibility.STAFF.value]
    if user.role != Role.COACH and not user.is_admin:
        values = [v for v in values if v != Visibility.STAFF.value] or values
    return values


# ---------------------------------------------------------------- loaders that 404


def get_resource_or_404(user: User | None, resource_id: int) -> Resource:
    resource = db.session.get(Resource, resource_id)
    if resource is None or not can_view_resource(user, resource):
        abort(404)
    return resource


def get_editable_resource_or_404(user: User | None, resource_id: int) -> Resource:
    """404 for what the user may not see; 403 for what they see but may not change."""
    resource = get_resource_or_404(user, resource_id)
    if not can_edit_resource(user, resource):
        abort(403)
    return resource


def get_version_or_404(user: User | None, resource_id: int, number: int) -> ResourceVersion:
    resource = get_resource_or_404(user, resource_id)
    version = db.session.execute(
        sa.select(ResourceVersion).where(
            ResourceVersion.resource_id == resource.id, ResourceVersion.number == number
        )
    ).scalar_one_or_none()
    if version is None:
        abort(404)
    return version


def get_collection_or_404(collection_id: int) -> Collection:
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        abort(404)
    return collection


def get_curated_collection_or_404(user: User | None, collection_id: int) -> Collection:
    if not can_curate(user):
        abort(404)
    return get_collection_or_404(collection_id)


TEMPLATE_PREDICATES = {
    "can_view_resource": can_view_resource,
    "can_share_resource": can_share,
    "can_edit_resource": can_edit_resource,
    "can_upload_version": can_upload_version,
    "can_like_resource": can_like,
    "can_comment_resource": can_comment,
    "can_view_resource_comments": can_view_comments,
    "can_curate_collections": can_curate,
    "can_promote_to_library": can_promote,
}
