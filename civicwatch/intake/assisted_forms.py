"""The form a member of staff fills in for a complaint taken down on someone's behalf (a staff page: English
and French)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import TelField
from wtforms.validators import InputRequired, ValidationError

from civicwatch.cases.models import Channel
from civicwatch.forms import Form
from civicwatch.i18n import offered_languages
from civicwatch.intake import validation
from civicwatch.intake.assisted import NO_CONTACT, Assistance, consent_wording
from civicwatch.intake.forms import (
    DANGER_CHOICES,
    DANGER_NOW,
    NO,
    YES,
    ReportForm,
    actor_choices,
    checked_by,
    danger_now_field,
    fears_retaliation_field,
)
from civicwatch.intake.idempotency import FORM_KEY_PATTERN, IdempotencyKey, content_fingerprint, new_form_key
from civicwatch.intake.operations import Submission
from civicwatch.intake.validation import SubmissionError

CHANNEL_CHOICES = [(Channel.IN_PERSON.value, _l("In person (a meeting, a visit, a committee's table)")),
                   (Channel.PHONE_CALL.value, _l("By phone (they called, or were called)"))]
CONTACT_CHOICES = [(NO_CONTACT, _l("No contact: they follow up with the receipt code")),
                   ("sms", _l("By SMS to their phone")), ("whatsapp", _l("By WhatsApp to their phone"))]


# The fields that say what a complaint is.
ASSISTED_CONTENT = ("channel", "language", "text", "area", "location_text", "reported_actor", "contact_by", "phone",
                    "danger_now", "fears_retaliation")


class AssistedReportForm(Form):
    channel = RadioField(_l("How did you take the complaint?"), choices=CHANNEL_CHOICES,
                         validators=[InputRequired(_l("Choose in person or by phone."))])
    language = SelectField(_l("The complainant's language"), choices=[],
                           description=_l("Their texts and their receipt slip are written in it."))
    text = TextAreaField(_l("What happened, in the complainant's words"),
                         description=_l("Write what they say, not your summary. Then read it back to them."),
                         validators=[checked_by(lambda value: validation.clean_text(
                             value, "text", validation.TEXT_MIN[Channel.IN_PERSON], validation.TEXT_MAX))])
    area = StringField(_l("Area"), description=_l("Optional. The district, or only the region."))
    location_text = StringField(_l("Place"), description=_l("Optional. A village, a street, a checkpoint."))
    reported_actor = SelectField(_l("Who was involved?"), choices=[])
    contact_by = RadioField(_l("Does the complainant want to be contacted, and how?"), choices=CONTACT_CHOICES,
                            validators=[InputRequired(_l("Choose whether and how they want to be contacted."))])
    phone = TelField(_l("Their phone number"), validators=[checked_by(validation.normalise_phone)],
                     description=_l("Only for contact by SMS or WhatsApp. Kept apart from the complaint."))
    # Both read out to the complainant in the web form's words: a report taken down for someone is marked urgent,
    # and watched over after it closes, as anyone's.
    danger_now = danger_now_field()
    fears_retaliation = fears_retaliation_field()
    consent = BooleanField(_l("I read the consent wording above to the complainant, and they agreed."))
    read_back = BooleanField(_l("I read the complaint back to them and they confirmed it is what they said."))
    form_key = HiddenField("", default=new_form_key, render_kw={"autocomplete": "off"})  # as the report form's
    submit = SubmitField(_l("Send the complaint"))

    consent_wording = staticmethod(consent_wording)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [(language.code, language.name) for language in offered_languages()]
        self.reported_actor.choices = [(validation.UNKNOWN_ACTOR, gettext("Not known")),
                                       *actor_choices()]

    def validate_area(self, field: Field) -> None:
        try:
            validation.resolve_place(*self.place_codes())
        except SubmissionError as exc:
            raise ValidationError(exc.message) from exc

    def validate_contact_by(self, field: Field) -> None:
        if field.data != NO_CONTACT and not (self.phone.data or "").strip():
            raise ValidationError(gettext("Give their phone number, or choose no contact."))
        if field.data == NO_CONTACT and (self.phone.data or "").strip():
            raise ValidationError(gettext("They chose no contact: remove the phone number, or choose SMS or WhatsApp."))

    def validate_danger_now(self, field: Field) -> None:
        if field.data not in (None, "", *(value for value, _ in DANGER_CHOICES)):
            raise ValidationError(gettext("Choose “Yes”, “No” or “Not sure”, or leave the question unanswered."))

    def validate_fears_retaliation(self, field: Field) -> None:
        if field.data not in (None, "", YES, NO):
            raise ValidationError(gettext("Choose “Yes” or “No”, or leave the question unanswered."))

    def validate_consent(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(gettext("Without the complainant's consent, the complaint cannot be entered."))

    def validate_read_back(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(gettext("Read the complaint back to them, and tick this when they confirm it."))

    def validate_form_key(self, field: Field) -> None:
        if not FORM_KEY_PATTERN.fullmatch(field.data or ""):
            field.data = new_form_key()
            raise ValidationError(gettext("This form could not be accepted. Please check it and send it again."))

    def idempotency_key(self, user_id: int) -> IdempotencyKey | None:
        """The form's key, under the assistant's own scope; None when the form carries none that is valid."""
        value = self.form_key.data or ""
        if not FORM_KEY_PATTERN.fullmatch(value):
            return None
        # As the report form's: the same complaint sent again is one case; edited, it is another.
        return IdempotencyKey(f"assisted\n{user_id}", f"{value}\n{content_fingerprint(self, ASSISTED_CONTENT)}")

    def place_codes(self) -> tuple[str | None, str | None]:
        return ReportForm.place_codes(self)  # the same "region:"/"district:" field

    def submission(self) -> Submission:
        region, district = self.place_codes()
        contact = self.contact_by.data != NO_CONTACT
        return Submission(
            text=self.text.data or "", channel=Channel(self.channel.data), region_code=region,
            district_code=district, location_text=self.location_text.data,
            reported_actor=self.reported_actor.data or None, phone=self.phone.data if contact else None,
            texts_by=self.contact_by.data if contact else "sms", urgent=self.danger_now.data == DANGER_NOW,
            fears_retaliation=self.fears_retaliation.data == YES,
        )

    def assistance(self) -> Assistance:
        return Assistance(channel=Channel(self.channel.data), language=self.language.data,
                          contact_by=self.contact_by.data, consent_given=bool(self.consent.data),
                          read_back_confirmed=bool(self.read_back.data))
