"""Coarse role gates for views. Per-case rules live with the cases domain."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from civicwatch.accounts.models import STAFF_ROLES, Role


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
