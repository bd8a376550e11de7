"""Forum API schemas (they also document the endpoints in the OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cop.forums.models import (
    BODY_MAX,
    REACTION_KEYS,
    TAG_MAX,
    TAGS_PER_THREAD,
    TITLE_MAX,
    ThreadKind,
)

KINDS = [k.value for k in ThreadKind]


class ForumPersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    organization = fields.String()
    role = fields.String()


class ForumCategorySchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    description_html = fields.String()
    kind = fields.String(metadata={"description": "community, coalition or staff"})
    section = fields.String()
    coalition_id = fields.Integer(allow_none=True)
    archived = fields.Boolean(attribute="is_archived")
    thread_count = fields.Integer()
    post_count = fields.Integer()
    last_post_at = fields.DateTime(allow_none=True)


class ForumThreadQuerySchema(Schema):
    category = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "category slug"},
    )
    tag = fields.String(load_default="", validate=validate.Length(max=TAG_MAX + 10))
    author = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "user id of the thread's author"},
    )
    kind = fields.String(load_default="", validate=validate.OneOf(["", *KINDS]))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=30, validate=validate.Range(min=1, max=100))


class ForumThreadSummarySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    category = fields.String(metadata={"description": "category slug"})
    author = fields.Nested(ForumPersonSchema, allow_none=True)
    tags = fields.List(fields.String())
    pinned = fields.Boolean()
    locked = fields.Boolean()
    reply_count = fields.Integer()
    last_post_number = fields.Integer()
    created_at = fields.DateTime()
    last_post_at = fields.DateTime()
    last_poster_name = fields.String(allow_none=True)
    accepted_post_id = fields.Integer(allow_none=True)
    unread = fields.Integer(metadata={"description": "posts since the caller last read"})
    is_new = fields.Boolean(metadata={"description": "never opened by the caller"})
    url = fields.String()


class ForumThreadListSchema(Schema):
    items = fields.List(fields.Nested(ForumThreadSummarySchema))
    next_cursor = fields.String(allow_none=True)


class ForumReactionCountSchema(Schema):
    kind = fields.String()
    label = fields.String()
    count = fields.Integer()
    mine = fields.Boolean()


class ForumPostSchema(Schema):
    id = fields.Integer()
    thread_id = fields.Integer()
    number = fields.Integer(metadata={"description": "1 is the opening post"})
    author = fields.Nested(ForumPersonSchema, allow_none=True)
    body = fields.String(
        allow_none=True, metadata={"description": "markdown source; null when deleted or hidden"}
    )
    body_html = fields.String(allow_none=True, metadata={"description": "sanitised HTML"})
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    deleted = fields.Boolean()
    hidden = fields.Boolean()
    hidden_reason = fields.String(allow_none=True)
    is_accepted = fields.Boolean()
    reactions = fields.List(fields.Nested(ForumReactionCountSchema))
    url = fields.String()


class ForumThreadDetailSchema(ForumThreadSummarySchema):
    category_name = fields.String()
    accepted_post = fields.Nested(ForumPostSchema, allow_none=True)
    posts = fields.List(fields.Nested(ForumPostSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `cursor` for the next posts"}
    )


class ForumPostsQuerySchema(Schema):
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ForumNewThreadSchema(Schema):
    category = fields.String(required=True, validate=validate.Length(max=100))
    title = fields.String(required=True, validate=validate.Length(max=TITLE_MAX * 2))
    body = fields.String(required=True, validate=validate.Length(max=BODY_MAX * 4))
    kind = fields.String(load_default=ThreadKind.DISCUSSION.value, validate=validate.OneOf(KINDS))
    tags = fields.List(
        fields.String(validate=validate.Length(max=100)),
        load_default=list,
        validate=validate.Length(max=TAGS_PER_THREAD * 2),
    )


class ForumReplySchema(Schema):
    body = fields.String(required=True, validate=validate.Length(max=BODY_MAX * 4))


class ForumEditPostSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(max=BODY_MAX * 4))
    title = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=TITLE_MAX * 2),
        metadata={"description": "opening post only"},
    )
    tags = fields.List(
        fields.String(validate=validate.Length(max=100)),
        load_default=None,
        allow_none=True,
        metadata={"description": "opening post only"},
    )


class ForumAcceptSchema(Schema):
    post_id = fields.Integer(required=True)


class ForumReactionListSchema(Schema):
    post_id = fields.Integer()
    reactions = fields.List(fields.Nested(ForumReactionCountSchema))


class ForumSearchQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(max=500))
    category = fields.String(load_default="", validate=validate.Length(max=100))
    coalition = fields.String(load_default="", validate=validate.Length(max=100))
    author = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "a user id, or part of a name"},
    )
    tag = fields.String(load_default="", validate=validate.Length(max=100))
    date_from = fields.Date(load_default=None, allow_none=True, data_key="from")
    date_to = fields.Date(load_default=None, allow_none=True, data_key="to")
    sort = fields.String(load_default="relevance", validate=validate.OneOf(["relevance", "newest"]))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ForumSearchResultSchema(Schema):
    post_id = fields.Integer()
    number = fields.Integer()
    thread_id = fields.Integer()
    thread_title = fields.String()
    title_html = fields.String(metadata={"description": "escaped, with <mark> highlights"})
    snippet_html = fields.String(metadata={"description": "escaped, with <mark> highlights"})
    category = fields.String(attribute="category_slug")
    category_name = fields.String()
    author_id = fields.Integer(allow_none=True)
    author_name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    is_accepted = fields.Boolean()
    url = fields.String()


class ForumSearchPageSchema(Schema):
    items = fields.List(fields.Nested(ForumSearchResultSchema))
    next_cursor = fields.String(allow_none=True)


class ForumMentionQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=60))
    thread = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "a thread id: who of them may read it"},
    )
    category = fields.String(load_default="", validate=validate.Length(max=100))


class ForumMentionSchema(Schema):
    id = fields.Integer(attribute="user.id")
    name = fields.String(attribute="user.name")
    organization = fields.String(attribute="user.organization")
    handle = fields.String(metadata={"description": "type @handle to mention"})
    can_see = fields.Boolean(metadata={"description": "would be notified (may read it)"})


REACTION_KIND = validate.OneOf(list(REACTION_KEYS))
