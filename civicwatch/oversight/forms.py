"""The audit log's filters: a GET form (no CSRF token: it changes nothing), bookmarkable."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional

from civicwatch.accounts.models import User
from civicwatch.forms import Form
from civicwatch.oversight.queries import ACTION_GROUPS, ACTION_WORDS
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import name_choices


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    reference = SearchField(_l("Case reference"), validators=[Optional(), Length(max=32)],
                            render_kw={"placeholder": "CW-2026-483071", "spellcheck": "false"})
    action = SelectField(_l("What happened"), default="", validate_choice=True)
    user = SelectField(_l("Who"), default="", validate_choice=True)
    body = SelectField(_l("Cases of"), default="", validate_choice=True)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])

    def fill(self, staff: list[User], bodies: list[Body]) -> None:
        groups = [(code, gettext(words)) for code, words in ACTION_GROUPS.items()]
        actions = sorted(((code, gettext(words)) for code, words in ACTION_WORDS.items()), key=lambda item: item[1])
        self.action.choices = [("", gettext("Anything")), *groups, *actions]
        self.user.choices = [("", gettext("Anyone")), *((str(u.id), f"{u.name} ({gettext(u.role.label)})") for u in staff)]
        self.body.choices = [("", gettext("Any body")), *name_choices(bodies, by_id=True)]
