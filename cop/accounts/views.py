"""Account pages: log in and out, invitations, passwords, profiles, user admin."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from cop.accounts import auth, queries, services
from cop.accounts.forms import (
    AcceptInvitationForm,
    AdminUserForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    RevokeForm,
    choices,
)
from cop.accounts.models import Invitation, Role
from cop.accounts.permissions import (
    can_invite,
    can_manage_users,
    can_view_audit_log,
    get_profile_or_404,
    get_user_for_admin_or_404,
)
from cop.coalitions.queries import invitable_coalitions
from cop.core.errors import ServiceError
from cop.core.security import is_safe_next
from cop.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_failed(response) -> bool:
    return response.status_code != 303


def _form_error(form, exc: ServiceError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(auth.login_ip_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.shared_limit(
    auth.login_limit,
    "login-email",
    key_func=auth.login_email_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("core.home"))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            auth.start_session(user)
            target = form.next.data if is_safe_next(form.next.data) else url_for("core.home")
            return redirect(target, code=303)
        flash("Wrong email or password, or the account is not active.", "error")
    return render_template("accounts/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    RevokeForm().validate_on_submit() or abort(400)
    auth.end_session(current_user._get_current_object())
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        minutes = current_app.config["PASSWORD_RESET_TTL_SECONDS"] // 60
        flash(
            "If an account uses that address, a reset link is on its way. "
            f"It works for {minutes} minutes.",
            "info",
        )
        return redirect(url_for("accounts.login"), code=303)
    return render_template("accounts/forgot_password.html", form=form), (
        400 if form.errors else 200
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("accounts.login"), code=303)
    return render_template("accounts/reset_password.html", form=form, user=user), (
        400 if form.errors else 200
    )


@bp.route("/invitations/accept/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.find_invitation(token)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                token, name=form.name.data, password=form.password.data
            )
        except ServiceError as exc:
            if exc.status != 400:
                raise
            _form_error(form, exc)
        else:
            auth.start_session(user)
            flash(f"Welcome to cop, {user.name}.", "success")
            return redirect(url_for("accounts.edit_profile"), code=303)
    return render_template("accounts/accept_invitation.html", form=form, invitation=invitation), (
        400 if form.errors else 200
    )


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                current_user,
                name=form.name.data,
                organization=form.organization.data or "",
                title=form.title.data or "",
                bio=form.bio.data or "",
                timezone=form.timezone.data,
            )
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.edit_profile"), code=303)
    status = 400 if form.errors else 200
    return render_template(
        "accounts/profile_edit.html", form=form, password_form=password_form
    ), status


@bp.post("/profile/password")
@login_required
def change_password():
    form = ProfileForm(obj=current_user, formdata=None)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                current=password_form.current_password.data,
                new=password_form.password.data,
            )
        except ServiceError as exc:
            _form_error(password_form, exc)
        else:
            flash("Your password is changed. Your other sessions were logged out.", "success")
            return redirect(url_for("accounts.edit_profile"), code=303)
    return render_template(
        "accounts/profile_edit.html", form=form, password_form=password_form
    ), 400


@bp.get("/people/<int:user_id>")
@login_required
def profile(user_id: int):
    user = get_profile_or_404(current_user, user_id)
    return render_template(
        "accounts/profile.html", user=user, memberships=queries.memberships_of(user)
    )


@bp.route("/invitations/new", methods=["GET", "POST"])
@login_required
def new_invitation():
    if not can_invite(current_user):
        abort(404)
    coalitions = invitable_coalitions(current_user)
    form = InviteForm()
    form.coalition.choices = choices(
        [("", "No coalition")] + [(c.slug, c.name) for c in coalitions]
    )
    if not current_user.is_admin:
        form.role.choices = choices([(Role.MEMBER.value, Role.MEMBER.label)])
    if form.validate_on_submit():
        coalition = next((c for c in coalitions if c.slug == form.coalition.data), None)
        if form.coalition.data and coalition is None:
            abort(404)
        try:
            invitation, token = services.invite(
                current_user,
                email=form.email.data,
                role=form.role.data,
                coalition=coalition,
                as_lead=form.as_lead.data,
            )
        except ServiceError as exc:
            if exc.status == 403:
                abort(403)
            _form_error(form, exc)
        else:
            services.send_invitation_email(invitation, token)
            return render_template(
                "accounts/invitation_sent.html",
                invitation=invitation,
                link=services.invitation_url(token),
            )
    status = 400 if form.errors else 200
    return render_template("accounts/invite.html", form=form), status


@bp.get("/invitations")
@login_required
def invitations():
    if not can_invite(current_user):
        abort(404)
    return render_template(
        "accounts/invitations.html",
        invitations=queries.invitations_visible_to(current_user),
        revoke_form=RevokeForm(),
    )


@bp.post("/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation not in queries.invitations_visible_to(current_user):
        abort(404)
    RevokeForm().validate_on_submit() or abort(400)
    services.revoke_invitation(current_user, invitation)
    flash(f"The invitation to {invitation.email} is withdrawn.", "info")
    return redirect(url_for("accounts.invitations"), code=303)


@bp.get("/admin/users")
@login_required
def admin_users():
    if not can_manage_users(current_user):
        abort(404)
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") or ""
    page = queries.users_page(q=q, role=role, after=request.args.get("after"))
    return render_template("accounts/admin_users.html", page=page, q=q, role=role)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def admin_user(user_id: int):
    user = get_user_for_admin_or_404(current_user, user_id)
    form = AdminUserForm(obj=user)
    refused = False
    if form.validate_on_submit():
        try:
            services.admin_update_user(
                current_user, user, role=form.role.data, active=form.active.data
            )
        except ServiceError as exc:
            db.session.rollback()
            db.session.refresh(user)  # show the account as it is, not as asked
            _form_error(form, exc)
            refused = True
        else:
            flash(f"{user.name}'s account is saved.", "success")
            return redirect(url_for("accounts.admin_user", user_id=user.id), code=303)
    return render_template(
        "accounts/admin_user.html",
        user=user,
        form=form,
        memberships=queries.memberships_of(user),
        coached=queries.coached_by(user),
        events=queries.audit_for_user(user),
    ), (400 if form.errors or refused else 200)


@bp.get("/admin/audit")
@login_required
def audit_log():
    if not can_view_audit_log(current_user):
        abort(404)
    page = queries.audit_page(
        before=request.args.get("before"), action=(request.args.get("action") or "")[:80]
    )
    return render_template("accounts/audit_log.html", page=page)
