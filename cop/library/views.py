"""Library pages: front page, browse and search, resource pages, sharing, versions,
downloads, likes, comments, collections, and promotion from the forums and events.
Public resources and the pages listing them work without an account."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from cop.coalitions.models import Coalition
from cop.core.errors import ServiceError
from cop.core.forms import error_list
from cop.extensions import db
from cop.library import files, queries, services
from cop.library.forms import (
    AddToCollectionForm,
    CollectionForm,
    CommentForm,
    LikeForm,
    MoveForm,
    ResourceForm,
    VersionForm,
)
from cop.library.models import Collection, Resource, Visibility
from cop.library.permissions import (
    allowed_visibilities,
    can_comment,
    can_curate,
    can_like,
    can_share,
    get_collection_or_404,
    get_curated_collection_or_404,
    get_editable_resource_or_404,
    get_resource_or_404,
    get_version_or_404,
    sharing_coalitions,
)
from cop.library.storage import storage

bp = Blueprint("library", __name__, url_prefix="/library")

UPLOAD_ENDPOINTS = {"library.new_resource", "library.new_version"}
FORM_OVERHEAD = 1024 * 1024  # the other fields of a multipart form


def allow_large_uploads() -> None:
    """Upload pages accept LIBRARY_MAX_UPLOAD_BYTES (plus the form's other fields) rather
    than the app-wide MAX_CONTENT_LENGTH. Installed first among the app's before_request
    hooks, so it applies before the CSRF check reads the form."""
    if request.endpoint in UPLOAD_ENDPOINTS or request.endpoint in {
        "library_api.ResourceVersions",
        "library_api.Resources",
    }:
        request.max_content_length = files.upload_limit() * 4 // 3 + FORM_OVERHEAD


@bp.errorhandler(413)
def _too_large(exc):
    limit = files.human_size(files.upload_limit())
    return render_template(
        "errors/generic.html",
        status=413,
        title="File too large",
        message=f"The file is larger than the {limit} limit. Nothing was saved.",
    ), 413


def _field_error(form, exc: ServiceError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*list(target.errors), exc.message]
    else:
        form.form_errors.append(exc.message)


def _values(form: ResourceForm) -> services.ResourceValues:
    coalition = (form.coalition_id.data or "").strip()
    return services.ResourceValues(
        title=form.title.data or "",
        summary=form.summary.data or "",
        type=form.type.data or "",
        external_url=form.external_url.data or "",
        program_area=form.program_area.data or "",
        visibility=form.visibility.data or "",
        coalition_id=int(coalition) if coalition.isdigit() else None,
        sectors=form.sectors.data or [],
        states=form.states.data or [],
        populations=form.populations.data or [],
    )


def _collection_choice(form: ResourceForm) -> Collection | None:
    value = (form.collection_id.data or "").strip()
    if not value or not can_curate(current_user):
        return None
    collection = db.session.get(Collection, int(value)) if value.isdigit() else None
    if collection is None:
        raise ServiceError("Choose a collection from the list.", field="collection_id")
    return collection


def _prepare(form: ResourceForm, floor: str | None = None) -> None:
    form.set_choices(
        sharing_coalitions(current_user),
        allowed_visibilities(current_user, floor),
        queries.all_collections() if can_curate(current_user) else [],
    )


# ---------------------------------------------------------------- reading


@bp.get("/")
def index():
    return render_template("library/index.html", **queries.front_page(current_user))


@bp.get("/browse")
def browse():
    filters = queries.BrowseFilters.from_args(request.args)
    page = queries.browse(current_user, filters, cursor=request.args.get("after"))
    return render_template("library/browse.html", page=page, filters=filters, sorts=queries.SORTS)


@bp.get("/resources/<int:resource_id>")
def resource(resource_id: int):
    item = get_resource_or_404(current_user, resource_id)
    return render_template(
        "library/resource.html",
        resource=item,
        versions=item.versions,
        used_by=queries.used_by(item),
        liked=queries.likes(current_user, item),
        comments=queries.comments(item) if current_user.is_authenticated else [],
        collections=queries.collections_containing(current_user, item),
        all_collections=queries.all_collections() if can_curate(current_user) else [],
    )


def _send(item: Resource, version):
    path = storage().path(version.storage_key)
    if path is None:
        abort(404)
    services.record_download(current_user, item)
    inline = files.content_disposition_inline(version.extension)
    response = send_file(
        path,
        mimetype=version.content_type,
        as_attachment=not inline,
        download_name=version.original_name,
        max_age=0,
        etag=False,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if version.extension != "pdf":  # the browser's PDF viewer needs scripts of its own
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'none'; img-src 'self'; style-src 'none'; "
            "sandbox; frame-ancestors 'none'"
        )
    return response


@bp.get("/resources/<int:resource_id>/download")
def download(resource_id: int):
    item = get_resource_or_404(current_user, resource_id)
    if not item.has_file:
        if item.external_url:
            services.record_download(current_user, item)
            return redirect(item.external_url, 303)
        abort(404)
    return _send(item, item.versions[0])


@bp.get("/resources/<int:resource_id>/versions/<int:number>/download")
def download_version(resource_id: int, number: int):
    version = get_version_or_404(current_user, resource_id, number)
    return _send(version.resource, version)


# ---------------------------------------------------------------- sharing and editing


def _upload(field) -> services.Upload | None:
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None
    return services.Upload(filename=data.filename, stream=data.stream)


@bp.route("/resources/new", methods=["GET", "POST"])
@login_required
def new_resource():
    if not can_share(current_user):
        abort(404)
    form = ResourceForm()
    _prepare(form)
    if request.method == "GET":
        form.visibility.data = Visibility.COMMUNITY.value
        mine = sharing_coalitions(current_user)
        if len(mine) == 1 and not current_user.is_admin:
            form.coalition_id.data = str(mine[0].id)
    status = 200
    if form.validate_on_submit():
        try:
            item = services.share_resource(
                current_user, _values(form), _upload(form.file), collection=_collection_choice(form)
            )
        except ServiceError as exc:
            _field_error(form, exc)
            status = exc.status
        else:
            flash("The resource is shared.", "success")
            return redirect(url_for("library.resource", resource_id=item.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template(
        "library/form.html", form=form, errors=error_list(form), resource=None, origin=None
    ), status


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@login_required
def edit_resource(resource_id: int):
    item = get_editable_resource_or_404(current_user, resource_id)
    floor = (
        item.visibility
        if item.origin_kind
        and not current_user.is_admin
        and item.visibility in (Visibility.COALITION, Visibility.STAFF)
        else None
    )
    form = ResourceForm(obj=None if request.method == "POST" else item)
    _prepare(form, floor)
    if request.method == "GET":
        form.sectors.data, form.states.data = item.sectors, item.states
        form.populations.data = item.populations
        form.coalition_id.data = str(item.coalition_id or "")
    if item.coalition is not None:
        form.add_coalition_choice(item.coalition)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_resource(current_user, item, _values(form))
        except ServiceError as exc:
            _field_error(form, exc)
            status = exc.status
        else:
            flash("Saved.", "success")
            return redirect(url_for("library.resource", resource_id=item.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template(
        "library/form.html", form=form, errors=error_list(form), resource=item, origin=None
    ), status


@bp.route("/resources/<int:resource_id>/versions/new", methods=["GET", "POST"])
@login_required
def new_version(resource_id: int):
    item = get_editable_resource_or_404(current_user, resource_id)
    form = VersionForm()
    status = 200
    if form.validate_on_submit():
        upload = _upload(form.file)
        try:
            if upload is None:
                raise ServiceError("Choose the new file.", field="file")
            version = services.add_version(current_user, item, upload, form.note.data or "")
        except ServiceError as exc:
            _field_error(form, exc)
            status = exc.status
        else:
            flash(f"Version {version.number} uploaded; earlier versions are kept.", "success")
            return redirect(url_for("library.resource", resource_id=item.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template(
        "library/version_form.html", form=form, errors=error_list(form), resource=item
    ), status


@bp.post("/resources/<int:resource_id>/like")
@login_required
def like(resource_id: int):
    item = get_resource_or_404(current_user, resource_id)
    if not can_like(current_user, item):
        abort(403)
    form = LikeForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_like(current_user, item, form.on.data == "1")
    return redirect(url_for("library.resource", resource_id=item.id) + "#like", 303)


@bp.post("/resources/<int:resource_id>/comments")
@login_required
def comment(resource_id: int):
    item = get_resource_or_404(current_user, resource_id)
    if not can_comment(current_user, item):
        abort(403)
    form = CommentForm()
    if form.validate_on_submit():
        services.add_comment(current_user, item, form.body.data)
        flash("Comment posted.", "success")
        return redirect(url_for("library.resource", resource_id=item.id) + "#comments", 303)
    message = "; ".join(m for errs in form.errors.values() for m in errs) or "Write a comment."
    raise ServiceError(message, status=400)


# ---------------------------------------------------------------- collections


@bp.get("/collections/<int:collection_id>")
def collection(collection_id: int):
    found = get_collection_or_404(collection_id)
    view = queries.collections_for(current_user, [found.id])[0]
    return render_template("library/collection.html", view=view)


@bp.route("/collections/new", methods=["GET", "POST"])
@login_required
def new_collection():
    if not can_curate(current_user):
        abort(404)
    form = CollectionForm()
    status = 200
    if form.validate_on_submit():
        try:
            made = services.create_collection(
                current_user, form.title.data, form.description.data or ""
            )
        except ServiceError as exc:
            _field_error(form, exc)
            status = exc.status
        else:
            flash("Collection created. Add resources from their pages.", "success")
            return redirect(url_for("library.collection", collection_id=made.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template(
        "library/collection_form.html", form=form, errors=error_list(form), collection=None
    ), status


@bp.route("/collections/<int:collection_id>/edit", methods=["GET", "POST"])
@login_required
def edit_collection(collection_id: int):
    found = get_curated_collection_or_404(current_user, collection_id)
    form = CollectionForm(obj=None if request.method == "POST" else found)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_collection(
                current_user, found, form.title.data, form.description.data or ""
            )
        except ServiceError as exc:
            _field_error(form, exc)
            status = exc.status
        else:
            flash("Saved.", "success")
            return redirect(url_for("library.collection", collection_id=found.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template(
        "library/collection_form.html", form=form, errors=error_list(form), collection=found
    ), status


@bp.post("/resources/<int:resource_id>/collections")
@login_required
def add_to_collection(resource_id: int):
    if not can_curate(current_user):
        abort(404)
    item = get_resource_or_404(current_user, resource_id)
    form = AddToCollectionForm()
    value = form.collection_id.data or ""
    if not form.validate_on_submit() or not value.isdigit():
        raise ServiceError("Choose a collection.", status=400)
    found = get_collection_or_404(int(value))
    services.add_to_collection(current_user, found, item, form.note.data or "")
    flash(f"Added to {found.title}.", "success")
    return redirect(url_for("library.resource", resource_id=item.id), 303)


@bp.post("/collections/<int:collection_id>/items/<int:resource_id>/remove")
@login_required
def remove_item(collection_id: int, resource_id: int):
    found = get_curated_collection_or_404(current_user, collection_id)
    services.remove_from_collection(current_user, found, resource_id)
    flash("Removed from the collection.", "success")
    return redirect(url_for("library.collection", collection_id=found.id), 303)


@bp.post("/collections/<int:collection_id>/items/<int:resource_id>/move")
@login_required
def move_item(collection_id: int, resource_id: int):
    found = get_curated_collection_or_404(current_user, collection_id)
    form = MoveForm()
    if not form.validate_on_submit() or form.direction.data not in (-1, 1):
        raise ServiceError("Move up (-1) or down (1).", status=400)
    services.move_in_collection(current_user, found, resource_id, form.direction.data)
    return redirect(url_for("library.collection", collection_id=found.id), 303)


# ---------------------------------------------------------------- promotion


def _promote_page(origin: services.Origin, defaults: dict, coalition_id: int | None):
    form = ResourceForm()
    _prepare(form, origin.floor)
    coalition = db.session.get(Coalition, coalition_id) if coalition_id else None
    if coalition is not None:
        form.add_coalition_choice(coalition)
    if request.method == "GET":
        for name, value in defaults.items():
            getattr(form, name).data = value
        form.coalition_id.data = str(coalition_id or "")
        first = form.visibility.choices[0] if form.visibility.choices else None
        form.visibility.data = (
            (first.value if hasattr(first, "value") else first[0])
            if origin.floor and first
            else Visibility.COMMUNITY.value
        )
    status = 200
    if form.validate_on_submit():
        try:
            values = _values(form)
            if origin.floor and coalition_id:
                values.coalition_id = coalition_id  # stays with the coalition it came from
            item = services.promote(current_user, origin, values, _collection_choice(form))
        except ServiceError as exc:
            _field_error(form, exc)
            status = exc.status
        else:
            flash("Added to the library, with a link to where it came from.", "success")
            return redirect(url_for("library.resource", resource_id=item.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template(
        "library/form.html", form=form, errors=error_list(form), resource=None, origin=origin
    ), status


@bp.route("/promote/posts/<int:post_id>", methods=["GET", "POST"])
@login_required
def promote_post(post_id: int):
    """A forum post (an answer, usually) into the library, prefilled, in one step."""
    from cop.forums.links import post_path
    from cop.forums.models import CategoryKind
    from cop.forums.permissions import get_visible_post_or_404

    if not can_share(current_user) or "forums" not in current_app.blueprints:
        abort(404)
    post = get_visible_post_or_404(current_user, post_id)
    if not post.is_visible:
        abort(404)
    thread = post.thread
    category = thread.category
    floor = {
        CategoryKind.COALITION.value: Visibility.COALITION.value,
        CategoryKind.STAFF.value: Visibility.STAFF.value,
    }.get(category.kind)
    if floor == Visibility.COALITION.value and category.coalition_id is None:
        floor = Visibility.STAFF.value
    author = post.author.name if post.author else "a former member"
    origin = services.Origin(
        services.OriginKind.FORUM_POST.value,
        post.id,
        post_path(post.id),
        f"{thread.title} (forum post by {author})",
        floor,
        author=post.author,
    )
    title = thread.title if post.number == 1 else f"Answer: {thread.title}"
    return _promote_page(
        origin,
        {"title": title[:200], "summary": post.body, "type": "guide"},
        category.coalition_id if floor == Visibility.COALITION.value else None,
    )


@bp.route("/promote/event-materials/<int:material_id>", methods=["GET", "POST"])
@login_required
def promote_event_material(material_id: int):
    """An event's recording, slides or resource link into the library, in one step."""
    from cop.events.models import Audience, EventResource
    from cop.events.permissions import get_event_or_404

    if not can_share(current_user) or "events" not in current_app.blueprints:
        abort(404)
    material = db.session.get(EventResource, material_id)
    if material is None:
        abort(404)
    event = get_event_or_404(current_user, material.event_id)
    floor = {
        Audience.COALITIONS.value: Visibility.COALITION.value,
        Audience.STAFF.value: Visibility.STAFF.value,
    }.get(event.audience)
    coalition_id = (
        event.coalitions[0].id if floor == Visibility.COALITION.value and event.coalitions else None
    )
    if floor == Visibility.COALITION.value and coalition_id is None:
        floor = Visibility.STAFF.value
    origin = services.Origin(
        services.OriginKind.EVENT_RESOURCE.value,
        material.id,
        url_for("events.detail", event_id=event.id) + "#resources",
        f"{event.title} ({material.kind_label.lower()})",
        floor,
    )
    kind = {"recording": "recording", "slides": "slides"}.get(material.kind, "link")
    summary = f'{material.kind_label} from the event "{event.title}".'
    return _promote_page(
        origin,
        {
            "title": material.title,
            "summary": summary,
            "type": kind,
            "external_url": material.url,
            "sectors": list(event.sectors),
        },
        coalition_id,
    )
