"""Staff users. There is no public sign-up: admins create accounts."""
from __future__ import annotations

import datetime as dt
import enum
import secrets

from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicwatch.crypto import keyed_hash
from civicwatch.database import TimestampMixin, UTCDateTime, enum_column
from civicwatch.extensions import Model
from civicwatch.i18n import N_
from civicwatch.taxonomy.models import Body


class Role(enum.Enum):
    ADMIN = "admin"
    TRIAGE = "triage"
    INVESTIGATOR = "investigator"
    AUDITOR = "auditor"
    # A member of a community safety oversight committee: enters complaints met at the committee's table or
    # on the phone (assisted intake) and nothing else; never sees a case.
    COMMUNITY = "community"

    @property
    def label(self) -> str:
        """How staff pages name the role (in English: pass it through gettext to show it)."""
        return ROLE_LABELS[self]


# Roles that belong to one body: an investigator to an oversight body, a committee member to their committee.
BODY_ROLES = (Role.INVESTIGATOR, Role.COMMUNITY)
# Everyone who works in the staff pages; a committee member only enters complaints.
STAFF_ROLES = tuple(role for role in Role if role is not Role.COMMUNITY)
COMMUNITY_BODY_PREFIX = "community_"


def is_community_body(body: Body) -> bool:
    return body.code.startswith(COMMUNITY_BODY_PREFIX)


ROLE_LABELS = {Role.ADMIN: N_("Admin"), Role.TRIAGE: N_("Triage"), Role.INVESTIGATOR: N_("Investigator"),
               Role.AUDITOR: N_("Auditor"), Role.COMMUNITY: N_("Community committee member")}



def role_word(role: Role) -> str:
    """The role inside a sentence, in the reader's language ("investigator", "enquêteur")."""
    return gettext(ROLE_LABELS[role]).lower()

class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role IN ('investigator', 'community')) = (body_id IS NOT NULL)", name="role_has_body"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Wrong second-factor codes since the last right one; a password never clears them. At the limit the
    # second factor locks until an admin unlocks it.
    totp_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    totp_locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set by a reset to a temporary password (told to the member by an admin): they choose their own before
    # anything else.
    password_must_change: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When an admin set the temporary password (creation or reset): it stops opening the account
    # TEMPORARY_PASSWORD_HOURS later. None once the member has chosen their own.
    temporary_password_set_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The last change of role or body (a transfer, a promotion) or deactivation. A disclosure grant asked for
    # before it opens nothing after it, even where the new post (or the account reactivated) may open the case again.
    post_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A custodian of the identity vault decides who may see a complainant's identity (never their own asks).
    # A duty held beside the role, so an admin or auditor can carry it without losing their own work.
    identity_custodian: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Random; replaced at sign-out, password or authenticator change and (de)activation, which ends every
    # session of the user. Sessions carry a keyed hash of it, never the value itself.
    session_token: Mapped[str] = mapped_column(String(64))

    body: Mapped[Body | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session keeps: the id and a fingerprint that a new token, role or body invalidates."""
        return f"{self.id}:{session_fingerprint(self)}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


def new_session_token() -> str:
    return secrets.token_hex(16)


def session_fingerprint(user: User) -> str:
    """A keyed hash of the session token with the role and body, so that a cookie proves nothing about the
    stored token and a change of role or body ends the user's sessions even when made outside the app."""
    return keyed_hash("staff-session", f"{user.id}:{user.session_token}:{user.role.value}:{user.body_id}")


class LoginFailure(Model):
    """Failed password checks counted under one key: a client and an account, an account from anywhere, or
    a signed-in user re-entering their password. In the database, so every app instance sees the same count.

    The key is a keyed hash; neither the address nor the email is stored.
    """

    __tablename__ = "login_failures"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


class KnownSignInNetwork(Model):
    """A network an account signed in from (password and second factor), seen last at `last_seen_at`: sign-ins
    from it are not paused when wrong passwords from many networks pause the account (throttle). The key is a
    keyed hash of the network and the email; neither is stored."""

    __tablename__ = "known_sign_in_networks"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
