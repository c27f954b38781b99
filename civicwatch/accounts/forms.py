from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length, Optional

from civicwatch.accounts.models import ROLE_LABELS, Role
from civicwatch.accounts.passwords import MIN_PASSWORD_LENGTH
from civicwatch.forms import ConfirmForm, Form
from civicwatch.text import one_line


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1000)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
        description=_l("At least %(count)s characters. A few unrelated words work well.", count=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"), validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class CreateUserForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)], filters=[one_line])
    role = SelectField(_l("Role"), choices=[(r.value, _l(ROLE_LABELS[r])) for r in Role])
    body = SelectField(_l("Body (investigators: their oversight body; community committee members: their committee)"), choices=[])
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class ChangeRoleForm(Form):
    role = SelectField(_l("Role"), choices=[(r.value, _l(ROLE_LABELS[r])) for r in Role])
    body = SelectField(_l("Body (investigators: their oversight body; community committee members: their committee)"), choices=[])
    submit = SubmitField(_l("Change role"))


class UserActionForm(Form):
    """An admin's button on a staff account that undoes nothing (an unlock): the CSRF token only."""


class UserResetForm(ConfirmForm):
    """An admin's reset of a staff member's password or authenticator: asked once more, as it cannot be undone."""


class UserActiveForm(ConfirmForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])  # what the button asks for: 1 reactivates, 0 deactivates
    submit = SubmitField(_l("Change"))


class TotpForm(Form):
    code = StringField(_l("Code from your authenticator app"), validators=[DataRequired(), Length(max=12)],
                       description=_l("Six digits. A new code appears every 30 seconds."),
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True})
    submit = SubmitField(_l("Continue"))


class ChangeTotpForm(Form):
    """Binding a new authenticator app to a signed-in account: proof that it is the account's owner first."""

    current_password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1000)],
                                     render_kw={"autocomplete": "current-password"})
    current_code = StringField(_l("Code from the authenticator app you use now"), validators=[Optional(), Length(max=12)],
                               description=_l("Six digits from the app you sign in with today."),
                               render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})
    code = StringField(_l("Code from the new authenticator app"), validators=[DataRequired(), Length(max=12)],
                       description=_l("Six digits. A new code appears every 30 seconds."),
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})
    submit = SubmitField(_l("Continue"))
