"""Library endpoints: resources (list, search, get, create, update) and their versions
(list, upload). The same predicates as the pages: public resources need no token; what a
caller may not see is a 404. Files travel as base64 in JSON (the API accepts JSON only)."""

from __future__ import annotations

import base64
import binascii
import io

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.coalitions.models import Coalition
from cop.core.errors import ServiceError, api_error
from cop.extensions import db
from cop.library import files, queries, services
from cop.library.permissions import get_editable_resource_or_404, get_resource_or_404
from cop.library.schemas import (
    ResourceCreateSchema,
    ResourcePageSchema,
    ResourceQuerySchema,
    ResourceSchema,
    ResourceUpdateSchema,
    SearchPageSchema,
    SearchQuerySchema,
    VersionCreateSchema,
    VersionSchema,
)

blp = Blueprint(
    "library_api",
    __name__,
    url_prefix="/api/v1",
    description="The resource library: resources, search and file versions",
)
exempt_from_form_csrf(blp)


@blp.errorhandler(413)
def _too_large(exc):
    limit = files.human_size(files.upload_limit())
    return api_error(
        413,
        f"The request is larger than the limit (files: {limit} at most). Nothing was saved.",
        "too_large",
    )


def _filters(args) -> queries.BrowseFilters:
    q = args["q"].strip()
    sort = args["sort"] or ("relevance" if q else "newest")
    if sort == "relevance" and not q:
        sort = "newest"
    return queries.BrowseFilters(
        q=q,
        types=args["type"],
        sectors=args["sector"],
        states=args["state"],
        populations=args["population"],
        program_areas=args["program_area"],
        coalitions=args["coalition"],
        sort=sort,
    )


def _upload(data: dict | None) -> services.Upload | None:
    if not data:
        return None
    encoded = data["content_base64"]
    if len(encoded) > files.upload_limit() * 4 // 3 + 16:
        raise ServiceError(
            f"The file is larger than the {files.human_size(files.upload_limit())}"
            " limit. Nothing was saved.",
            status=413,
            code="too_large",
            field="file",
        )
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(
            "content_base64 is not valid base64.", status=422, code="invalid", field="file"
        ) from None
    return services.Upload(filename=data["name"], stream=io.BytesIO(raw))


def _coalition_id(slug: str | None) -> int | None:
    if not slug:
        return None
    coalition_id = db.session.execute(
        sa.select(Coalition.id).where(Coalition.slug == slug[:80])
    ).scalar_one_or_none()
    if coalition_id is None:
        raise ServiceError("No such coalition.", status=422, code="invalid", field="coalition")
    return coalition_id


def _values(data: dict, base: services.ResourceValues | None = None) -> services.ResourceValues:
    values = base or services.ResourceValues()
    for name in (
        "title",
        "summary",
        "type",
        "external_url",
        "program_area",
        "visibility",
        "sectors",
        "states",
        "populations",
    ):
        if name in data:
            setattr(values, name, data[name])
    if "coalition" in data:
        values.coalition_id = _coalition_id(data["coalition"])
    return values


@blp.route("/library/resources")
class Resources(MethodView):
    @blp.arguments(ResourceQuerySchema, location="query")
    @blp.response(200, ResourcePageSchema)
    def get(self, args):
        """Resources you may see (anonymous: the public ones), filtered by facet, sorted by
        newest, used (downloads) or liked; `q` searches too."""
        page = queries.browse(
            current_user,
            _filters(args),
            cursor=args["after"],
            limit=args["limit"],
            with_facets=False,
        )
        return {"items": page.items, "total": page.total, "next_cursor": page.next_cursor}

    @login_required
    @blp.arguments(ResourceCreateSchema)
    @blp.response(201, ResourceSchema)
    @blp.alt_response(400, description="A refused file or link, or invalid values")
    @blp.alt_response(413, description="The file is over the limit")
    def post(self, data):
        """Share a resource: a link, or a file (base64 in `file.content_base64`)."""
        return services.share_resource(current_user, _values(data), _upload(data.get("file")))


@blp.route("/library/search")
class Search(MethodView):
    @blp.arguments(SearchQuerySchema, location="query")
    @blp.response(200, SearchPageSchema)
    def get(self, args):
        """Full-text search over titles, summaries and the text of PDFs, best match first;
        the same facet filters as the list."""
        page = queries.browse(
            current_user,
            _filters(args),
            cursor=args["after"],
            limit=args["limit"],
            with_facets=False,
        )
        return {
            "items": [
                {"resource": r, "snippet_html": str(page.snippets.get(r.id, ""))}
                for r in page.items
            ],
            "total": page.total,
            "next_cursor": page.next_cursor,
        }


@blp.route("/library/resources/<int:resource_id>")
class ResourceItem(MethodView):
    @blp.response(200, ResourceSchema)
    def get(self, resource_id: int):
        """One resource."""
        return get_resource_or_404(current_user, resource_id)

    @login_required
    @blp.arguments(ResourceUpdateSchema)
    @blp.response(200, ResourceSchema)
    def patch(self, data, resource_id: int):
        """Change some fields (whoever shared it, the coalition's leads, admins)."""
        item = get_resource_or_404(current_user, resource_id)
        current = services.ResourceValues(
            title=item.title,
            summary=item.summary,
            type=item.type,
            external_url=item.external_url,
            program_area=item.program_area,
            visibility=item.visibility,
            coalition_id=item.coalition_id,
            sectors=item.sectors,
            states=item.states,
            populations=item.populations,
        )
        return services.update_resource(current_user, item, _values(data, current))


@blp.route("/library/resources/<int:resource_id>/versions")
class ResourceVersions(MethodView):
    @blp.response(200, VersionSchema(many=True))
    def get(self, resource_id: int):
        """The file versions, newest first."""
        return get_resource_or_404(current_user, resource_id).versions

    @login_required
    @blp.arguments(VersionCreateSchema)
    @blp.response(201, VersionSchema)
    @blp.alt_response(413, description="The file is over the limit")
    def post(self, data, resource_id: int):
        """Upload a new version; the earlier ones are kept."""
        item = get_editable_resource_or_404(current_user, resource_id)
        return services.add_version(current_user, item, _upload(data["file"]), data["note"])
