"""Forms of the routing page: the confidence threshold and the rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, HiddenField, IntegerField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from civicwatch.forms import ConfirmForm, Form


class ThresholdForm(Form):
    threshold = FloatField(
        _l("Confidence threshold"),
        validators=[InputRequired(message=_l("Give a number from 0 to 1.")),
                    NumberRange(min=0, max=1, message=_l("Give a number from 0 to 1."))],
        description=_l("From 0 to 1. A new case whose theme the classifier is less sure of than this waits in the "
                       "triage queue for a person to route it. 0 routes everything automatically."),
    )
    submit = SubmitField(_l("Save the threshold"))


class ModelThresholdForm(Form):
    """Drop the admin's threshold: the active model's own threshold applies again."""

    submit = SubmitField(_l("Use the model's threshold"))


class RuleForm(Form):
    priority = IntegerField(
        _l("Priority"), validators=[InputRequired(message=_l("Give the priority as a whole number.")),
                                    NumberRange(min=0, max=1_000_000, message=_l("From 0 to 1,000,000."))],
        description=_l("Rules are tried from the lowest number up; the first that fits decides."))
    theme = SelectField(_l("Theme"), choices=[], validators=[DataRequired(message=_l("Choose a theme."))])
    actor = SelectField(_l("Who is complained about"), choices=[], description=_l("Any: the rule ignores the actor."))
    region = SelectField(_l("Region"), choices=[], description=_l("Any: the rule ignores the region."))
    body = SelectField(_l("Send to"), choices=[], validators=[DataRequired(message=_l("Choose a body."))])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()  # the rule's version the edit page was rendered from (a new rule has none)
    submit = SubmitField(_l("Save the rule"))


class DeleteRuleForm(ConfirmForm):
    submit = SubmitField(_l("Delete this rule"))
