"""The administrators' form for Open311 API keys."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from civicwatch.forms import ConfirmForm, Form
from civicwatch.text import one_line


class ApiKeyForm(Form):
    name = StringField(_l("Who the key is for"), validators=[DataRequired(_l("Name the client.")), Length(max=200)],
                       filters=[one_line], description=_l("For example: 'Civic app of the Freetown youth network'."))
    submit = SubmitField(_l("Issue a key"))


class RevokeApiKeyForm(ConfirmForm):
    submit = SubmitField(_l("Revoke"))
