"""Forms of the routing page: the confidence threshold and the rules."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, NumberRange


class ThresholdForm(FlaskForm):
    threshold = FloatField(
        "Confidence threshold",
        validators=[InputRequired(message="Give a number from 0 to 1."),
                    NumberRange(min=0, max=1, message="Give a number from 0 to 1.")],
        description="From 0 to 1. A new case whose theme the classifier is less sure of than this waits in the "
                    "triage queue for a person to route it. 0 routes everything automatically.",
    )
    submit = SubmitField("Save the threshold")


class ModelThresholdForm(FlaskForm):
    """Drop the admin's threshold: the active model's own threshold applies again."""

    submit = SubmitField("Use the model's threshold")


class RuleForm(FlaskForm):
    priority = IntegerField(
        "Priority", validators=[InputRequired(message="Give the priority as a whole number."),
                                NumberRange(min=0, max=1_000_000, message="From 0 to 1,000,000.")],
        description="Rules are tried from the lowest number up; the first that fits decides.")
    theme = SelectField("Theme", choices=[], validators=[DataRequired(message="Choose a theme.")])
    actor = SelectField("Who is complained about", choices=[], description="Any: the rule ignores the actor.")
    region = SelectField("Region", choices=[], description="Any: the rule ignores the region.")
    body = SelectField("Send to", choices=[], validators=[DataRequired(message="Choose a body.")])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save the rule")


class DeleteRuleForm(FlaskForm):
    submit = SubmitField("Delete this rule")
