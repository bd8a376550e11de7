"""Library API schemas (OpenAPI document)."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from cop.coalitions.models import STATES
from cop.library.models import (
    NOTE_MAX,
    POPULATIONS,
    PROGRAM_AREAS,
    SECTORS,
    SUMMARY_MAX,
    TITLE_MAX,
    URL_MAX,
    ResourceType,
    Visibility,
)
from cop.library.queries import SORTS

TYPES = [t.value for t in ResourceType]
VISIBILITIES = [v.value for v in Visibility]


class VersionSchema(Schema):
    number = fields.Integer()
    original_name = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    note = fields.String()
    created_at = fields.DateTime()
    download_url = fields.Function(
        lambda v: url_for("library.download_version", resource_id=v.resource_id, number=v.number)
    )


class ResourceSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    summary = fields.String(metadata={"description": "markdown"})
    summary_html = fields.String()
    type = fields.String(metadata={"enum": TYPES})
    external_url = fields.String()
    sectors = fields.List(fields.String())
    states = fields.List(fields.String())
    populations = fields.List(fields.String())
    program_area = fields.String()
    visibility = fields.String(metadata={"enum": VISIBILITIES})
    coalition = fields.Function(
        lambda r: r.coalition.slug if r.coalition else None,
        metadata={"description": "the sharing coalition's slug"},
    )
    shared_by = fields.Function(lambda r: r.created_by.name if r.created_by else None)
    version_count = fields.Integer()
    download_count = fields.Integer()
    like_count = fields.Integer()
    comment_count = fields.Integer()
    origin = fields.Function(
        lambda r: (
            {
                "kind": r.origin_kind,
                "id": r.origin_id,
                "url": r.origin_path,
                "label": r.origin_label,
            }
            if r.origin_kind
            else None
        )
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    url = fields.Function(lambda r: url_for("library.resource", resource_id=r.id))
    download_url = fields.Function(
        lambda r: (
            url_for("library.download", resource_id=r.id) if r.has_file or r.external_url else None
        )
    )


class ResourcePageSchema(Schema):
    items = fields.List(fields.Nested(ResourceSchema))
    total = fields.Integer()
    next_cursor = fields.String(allow_none=True)


class SearchHitSchema(Schema):
    resource = fields.Nested(ResourceSchema)
    snippet_html = fields.String()


class SearchPageSchema(Schema):
    items = fields.List(fields.Nested(SearchHitSchema))
    total = fields.Integer()
    next_cursor = fields.String(allow_none=True)


class ResourceQuerySchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    type = fields.List(fields.String(validate=validate.OneOf(TYPES)), load_default=list)
    sector = fields.List(fields.String(validate=validate.OneOf(list(SECTORS))), load_default=list)
    state = fields.List(fields.String(validate=validate.OneOf(list(STATES))), load_default=list)
    population = fields.List(
        fields.String(validate=validate.OneOf(list(POPULATIONS))), load_default=list
    )
    program_area = fields.List(
        fields.String(validate=validate.OneOf(list(PROGRAM_AREAS))), load_default=list
    )
    coalition = fields.List(fields.String(validate=validate.Length(max=80)), load_default=list)
    sort = fields.String(load_default="", validate=validate.OneOf(["", *SORTS]))
    after = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class SearchQuerySchema(ResourceQuerySchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))


class FileSchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "the original file name"},
    )
    content_base64 = fields.String(
        required=True,
        metadata={"description": "the file's bytes, base64-encoded (25 MB at most once decoded)"},
    )


class ResourceCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(max=TITLE_MAX))
    summary = fields.String(load_default="", validate=validate.Length(max=SUMMARY_MAX))
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    external_url = fields.String(load_default="", validate=validate.Length(max=URL_MAX))
    sectors = fields.List(fields.String(), load_default=list)
    states = fields.List(fields.String(), load_default=list)
    populations = fields.List(fields.String(), load_default=list)
    program_area = fields.String(load_default="")
    visibility = fields.String(load_default="community", validate=validate.OneOf(VISIBILITIES))
    coalition = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "slug of the sharing coalition"},
    )
    file = fields.Nested(FileSchema, load_default=None, allow_none=True)


class ResourceUpdateSchema(ResourceCreateSchema):
    title = fields.String(validate=validate.Length(max=TITLE_MAX))
    type = fields.String(validate=validate.OneOf(TYPES))
    summary = fields.String(validate=validate.Length(max=SUMMARY_MAX))
    external_url = fields.String(validate=validate.Length(max=URL_MAX))
    sectors = fields.List(fields.String())
    states = fields.List(fields.String())
    populations = fields.List(fields.String())
    program_area = fields.String()
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    coalition = fields.String(allow_none=True)

    class Meta:
        exclude = ("file",)


class VersionCreateSchema(Schema):
    file = fields.Nested(FileSchema, required=True)
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))
