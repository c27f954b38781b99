"""The audit log's filters: a GET form (no CSRF token: it changes nothing), bookmarkable."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional

from civicwatch.accounts.models import User
from civicwatch.oversight.queries import ACTION_GROUPS, ACTION_WORDS
from civicwatch.taxonomy.models import Body


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    reference = SearchField("Case reference", validators=[Optional(), Length(max=32)],
                            render_kw={"placeholder": "CW-2026-000123", "spellcheck": "false"})
    action = SelectField("What happened", default="", validate_choice=True)
    user = SelectField("Who", default="", validate_choice=True)
    body = SelectField("Cases of", default="", validate_choice=True)
    since = DateField("From", validators=[Optional()])
    until = DateField("Until", validators=[Optional()])

    def fill(self, staff: list[User], bodies: list[Body]) -> None:
        self.action.choices = [("", "Anything")] + list(ACTION_GROUPS.items()) + sorted(
            ACTION_WORDS.items(), key=lambda item: item[1])
        self.user.choices = [("", "Anyone")] + [(str(u.id), f"{u.name} ({u.role.value})") for u in staff]
        self.body.choices = [("", "Any body")] + [(str(b.id), b.name) for b in bodies]
