"""Coarse role gates for views. Per-case rules live with the cases domain."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from civicwatch.accounts.models import STAFF_ROLES, Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.errors import PermissionDeniedError
from civicwatch.extensions import db

# Where a browser says a request comes from (Sec-Fetch-Site): a page of this site, or an address typed or
# bookmarked. A browser that does not say is let through: the session cookie's SameSite setting is then all.
OUR_OWN_PAGES = frozenset({"same-origin", "none"})


def roles_required(*roles: Role) -> Callable:
    """Signed-in staff with one of `roles`; anyone else gets 403 (anonymous: sent to sign in)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = roles_required(*STAFF_ROLES)
admin_required = roles_required(Role.ADMIN)


def refuse_admin_password_reset(user: User, actor: User | None) -> None:
    """Whoever resets a password learns it: one admin's stolen session must not open every admin account. `actor`
    None: the command line on the server."""
    if actor is not None and user.id != actor.id and has_been_admin(user):
        raise PermissionDeniedError(gettext(
            "The password of an admin, or of someone who was one, is not reset from the web: on the server, run "
            "flask civicwatch reset-password --email %(email)s.", email=user.email))


def refuse_admin_totp_reset(user: User, actor: User | None) -> None:
    """Whoever resets an authenticator may enrol their own at the next sign-in: as for the password."""
    if actor is not None and user.id != actor.id and has_been_admin(user):
        raise PermissionDeniedError(gettext(
            "The authenticator of an admin, or of someone who was one, is not reset from the web: on the server, "
            "run flask civicwatch reset-two-factor --email %(email)s.", email=user.email))


def refuse_admin_totp_unlock(user: User, actor: User | None) -> None:
    """The lock is what stops guessing codes: someone with another admin's password and an admin's session must not
    lift it after every few wrong ones."""
    if actor is not None and user.id != actor.id and has_been_admin(user):
        raise PermissionDeniedError(gettext(
            "The two-factor sign-in of an admin, or of someone who was one, is not unlocked from the web: on the "
            "server, run flask civicwatch unlock-two-factor --email %(email)s.", email=user.email))


def has_been_admin(user: User) -> bool:
    """An admin now, or before a change of role: otherwise demoting an admin, resetting them and promoting them back
    would take their account all the same."""
    return user.id in been_admins([user])


def been_admins(users: list[User]) -> set[int]:
    """The ids of those of `users` who are admins or have been (read from the audit log's role changes, a handful
    per account), whose credentials only the server resets."""
    ids = {user.id for user in users if user.role is Role.ADMIN}
    others = {str(user.id) for user in users if user.role is not Role.ADMIN}
    if others:
        rows = db.session.execute(select(AuditEntry.object_id, AuditEntry.before).where(
            AuditEntry.action == "user.role", AuditEntry.object_type == User.__tablename__,
            AuditEntry.object_id.in_(others)))
        ids |= {int(object_id) for object_id, before in rows if (before or {}).get("role") == Role.ADMIN.value}
    return ids


def came_from_another_site() -> bool:
    """Whether the browser says the request comes from a page of another site (a link there, or a form)."""
    site = request.headers.get("Sec-Fetch-Site")
    return site is not None and site not in OUR_OWN_PAGES


def from_our_pages(view: Callable) -> Callable:
    """For the GETs that hand over a file, a sealed original or an identity, each look audited. A link on another
    site takes the session cookie along (SameSite=Lax): it could otherwise put the file on a staff member's
    computer, or the identity on their screen, and a look they never chose in the audit log."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if came_from_another_site():
            raise PermissionDeniedError(gettext("This link came from another site, so nothing was opened. Open the "
                                                "file or the identity from the case page."))
        return view(*args, **kwargs)

    return wrapped
