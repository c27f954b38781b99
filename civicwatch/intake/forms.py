"""The report form, the receipt-code form and the reply form. Field checks reuse the operations' own rules
(validation.py), so the web form and the other channels accept exactly the same things."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import current_app, session
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import DateField, EmailField, TelField
from wtforms.validators import ValidationError

from civicwatch.cases.attachments import (
    MAX_FILES,
    AttachmentError,
    PreparedFile,
    prepare_form_file,
)
from civicwatch.cases.models import Case, Channel
from civicwatch.cases.references import normalise_receipt_code
from civicwatch.forms import Form
from civicwatch.i18n import current_language
from civicwatch.intake import validation
from civicwatch.intake.idempotency import IdempotencyKey, content_fingerprint, form_key, new_form_key
from civicwatch.intake.operations import Submission
from civicwatch.intake.validation import SubmissionError
from civicwatch.taxonomy.cache import cached
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import all_actors, name_choices

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y"]
ANONYMOUS, CONTACT = "anonymous", "contact"
REFERENCE_LOOKALIKE = "CW"


def checked_by(check: Callable[[Any], Any]) -> Callable[[Form, Field], None]:
    """A WTForms validator that runs one of the operations' checks and shows its message."""

    def validator(form: Form, field: Field) -> None:
        try:
            check(field.data)
        except SubmissionError as exc:
            raise ValidationError(exc.message) from exc

    return validator


# The file inputs' attributes: what they accept, and the words the page's script says before an upload that would
# be refused (in the page's language; {max}, {chosen} and {name} are filled in by the script).
FILE_INPUT = {
    "accept": "image/jpeg,image/png,application/pdf",
    "data-too-many": _l("Choose at most {max} files. You chose {chosen}."),
    "data-too-large": _l("“{name}” is larger than 10 MB. Send a smaller photo or a shorter document."),
}

class PlainDateField(DateField):
    """A date typed or picked; a wrong date gets a message that says what to write."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = " ".join(str(v) for v in valuelist).strip()
        self.data = None
        if not raw:
            return
        for fmt in self.format:
            try:
                self.data = dt.datetime.strptime(raw, fmt).date()
                return
            except ValueError:
                continue
        raise ValueError(_("Enter the date as day/month/year, for example 21/03/2026, or leave it empty."))


def _text_check(value: str | None) -> None:
    validation.clean_text(value, "text", validation.TEXT_MIN[Channel.WEB], validation.TEXT_MAX)


def _location_check(value: str | None) -> None:
    validation.clean_optional(value, "location_text", validation.LOCATION_MAX)


def chosen_files(field: Field) -> list[FileStorage]:
    """Browsers send one empty part when no file was chosen; keep only real files."""
    return [f for f in (field.data or []) if isinstance(f, FileStorage) and f.filename]


def prepare_field_files(field: Field, keep_originals: bool = False) -> list[PreparedFile]:
    """Check every chosen file, collecting every problem, not only the first."""
    files = chosen_files(field)
    if len(files) > MAX_FILES:
        raise ValidationError(_("Choose at most %(most)s files. You chose %(count)s.", most=MAX_FILES, count=len(files)))
    prepared, problems = [], []
    for storage in files:
        try:
            prepared.append(prepare_form_file(storage, keep_originals))
        except AttachmentError as exc:
            problems.append(exc.message)
    if problems:
        field.errors.extend(problems[:-1])
        raise ValidationError(problems[-1] + " " + _("Choose your files again: for your safety they are not kept."))
    return prepared


DANGER_NOW = "yes"
YES, NO = "yes", "no"
DANGER_CHOICES = [(DANGER_NOW, _l("Yes")), ("no", _l("No")), ("not_sure", _l("Not sure"))]


def actor_choices() -> list[tuple[str, str]]:
    """The security services to choose from, named in the page's language; kept per process and language."""
    language = current_language()

    def load() -> list[tuple[str, str]]:
        actors = sorted(all_actors(), key=lambda actor: actor.id)  # the taxonomy's order: police first
        return [(actor.code, actor.display_name(language)) for actor in actors]

    return cached(f"report_actor_choices:{language}", load)


class ActorField(RadioField):
    """The report form's "Who was involved?": its choices (the taxonomy's services, then "I don't know") are looked
    up when the field is shown, not each time the form is built: a report that is stored never shows it, and its
    answer is checked against the taxonomy itself (validate_reported_actor)."""

    choices: list[tuple[str, str]] | None

    def iter_choices(self) -> Any:
        if not self.choices:
            self.choices = [*actor_choices(), (validation.UNKNOWN_ACTOR, _("I don't know"))]
        return super().iter_choices()


# The fields that say what a report is (its files aside, which a retry sends again as they were).
REPORT_CONTENT = ("text", "incident_date", "area", "location_text", "reported_actor", "danger_now",
                  "fears_retaliation", "keep_originals", "contact_choice", "phone", "email")


def danger_now_field() -> RadioField:
    """The urgency question, in the words of the report form (also read out on the assisted form)."""
    return RadioField(
        _l("Is someone hurt, held or threatened right now?"), choices=DANGER_CHOICES, validate_choice=False,
        description=_l("If someone is in danger right now, contact emergency services first. "
                       "“Yes” marks your report as urgent."),
    )


def fears_retaliation_field() -> RadioField:
    """The retaliation question, in the words of the report form (also read out on the assisted form)."""
    return RadioField(
        _l("Are you afraid something could happen to you because you reported?"),
        choices=[(YES, _l("Yes")), (NO, _l("No"))], validate_choice=False,
        description=_l("If you answer “Yes”, we will ask you whether anything happened to you while your case is "
                       "open, and 30 and 90 days after it closes."),
    )


TEXTS_ALLOWED_QUESTION = _l("May we send you texts on this phone?")
TEXTS_ALLOWED_HINT = _l("Only say yes if no one else reads your messages on this phone. If you say no, or do not "
                        "answer, we only answer texts you send us, and you read news of your report on the follow-up "
                        "page with your receipt code.")
TEXTS_ALLOWED_ERROR = _l("Choose “Yes” or “No”.")


def texts_allowed_field() -> RadioField:
    """Whether texts we start may go to the phone given: unanswered counts as no (safer on a shared phone)."""
    return RadioField(TEXTS_ALLOWED_QUESTION, choices=[(YES, _l("Yes, no one else reads my messages")),
                                                       (NO, _l("No, do not text me first"))],
                      validate_choice=False, description=TEXTS_ALLOWED_HINT)


class ReportForm(Form):
    text = TextAreaField(
        _l("What happened?"),
        validators=[checked_by(_text_check)],
        description=_l("Say what happened, where, and who was involved if you know. You do not have to give "
                       "your name. Between 20 and 5,000 characters."),
        render_kw={"rows": 9, "spellcheck": "true"},
    )
    incident_date = PlainDateField(
        _l("When did it happen?"), format=DATE_FORMATS,
        validators=[checked_by(validation.check_incident_date)],
        description=_l("Optional. If you are not sure of the day, leave it empty and say so above."),
    )
    area = StringField(_l("Area"), description=_l("Optional. Choose the district, or only the region."))
    location_text = StringField(
        _l("Town, village or place"), validators=[checked_by(_location_check)],
        description=_l("Optional. For example a checkpoint, a station or a street."),
        render_kw={"maxlength": validation.LOCATION_MAX, "autocomplete": "off"},
    )
    reported_actor = ActorField(_l("Who was involved?"), choices=[], validate_choice=False)
    danger_now = danger_now_field()
    fears_retaliation = fears_retaliation_field()
    attachments = MultipleFileField(
        _l("Photos or documents"),
        description=_l("Up to %(count)s files: photos (JPEG or PNG) or PDF, each under 10 MB. "
                       "We remove hidden data such as the place a photo was taken.", count=MAX_FILES),
        render_kw=FILE_INPUT,
    )
    keep_originals = BooleanField(
        _l("Keep the original file as evidence"),
        description=_l("Optional. Staff only see the cleaned copy. If you tick this, we also keep your files exactly "
                       "as you send them, locked with a separate key, in case they are needed as proof. Hidden "
                       "data such as the place a photo was taken stays in that copy."),
    )
    contact_choice = RadioField(
        _l("Can we contact you?"), default=ANONYMOUS, validate_choice=False,  # checked below, with a plain message
        choices=[(ANONYMOUS, _l("No, I want to stay anonymous")), (CONTACT, _l("Yes, you may contact me"))],
    )
    # autocomplete off, as the whole form: "tel" or "email" here would win over the form's "off", and the browser
    # would keep the number in its form history and restore it on Back, for whoever holds the phone next.
    phone = TelField(_l("Phone number"), validators=[checked_by(validation.normalise_phone)],
                     description=_l("For SMS updates. Only if you chose “Yes”."),
                     render_kw={"autocomplete": "off", "inputmode": "tel", "maxlength": 40})
    texts_allowed = texts_allowed_field()
    email = EmailField(_l("Email address"), validators=[checked_by(validation.normalise_contact_email)],
                       description=_l("Only if you chose “Yes”."),
                       render_kw={"autocomplete": "off", "maxlength": validation.EMAIL_MAX})
    consent = BooleanField(
        _l("I have read the privacy notice. CivicWatch may use what I send to handle my report."),
    )
    # Hidden from people (CSS, aria-hidden, no tab stop); form-filling robots fill it in.
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    # Made when the form is shown: sending the same form again (a retry after a lost answer) finds the report
    # already stored instead of making a second one. autocomplete=off: a browser must not restore an old one.
    # No label is ever shown; an empty one spares WTForms loading its translations from disk on every request.
    form_key = HiddenField("", default=new_form_key, render_kw={"autocomplete": "off"})
    submit = SubmitField(_l("Send report"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared_files: list[PreparedFile] = []
        self.looks_automated = False
        self._key_of: tuple[object, IdempotencyKey | None] | None = None

    def validate_area(self, field: Field) -> None:
        region, district = self.place_codes()
        try:
            validation.resolve_place(region, district)
        except SubmissionError as exc:
            raise ValidationError(exc.message) from exc

    def validate_reported_actor(self, field: Field) -> None:
        try:
            validation.resolve_reported_actor(field.data)
        except SubmissionError as exc:
            raise ValidationError(exc.message) from exc

    def validate_attachments(self, field: Field) -> None:
        self.prepared_files = prepare_field_files(field, keep_originals=bool(self.keep_originals.data))

    def validate_danger_now(self, field: Field) -> None:
        if field.data not in (None, "", *(value for value, _ in DANGER_CHOICES)):
            raise ValidationError(_("Choose “Yes”, “No” or “Not sure”, or leave the question unanswered."))

    def validate_fears_retaliation(self, field: Field) -> None:
        if field.data not in (None, "", YES, NO):
            raise ValidationError(_("Choose “Yes” or “No”, or leave the question unanswered."))

    def says_urgent(self) -> bool:
        return self.danger_now.data == DANGER_NOW

    def validate_contact_choice(self, field: Field) -> None:
        gave_contact = bool((self.phone.data or "").strip() or (self.email.data or "").strip())
        if field.data not in (ANONYMOUS, CONTACT):
            raise ValidationError(_("Choose whether we may contact you."))
        if field.data == ANONYMOUS and gave_contact:
            raise ValidationError(_("You chose to stay anonymous but gave a phone number or email. "
                                    "Choose “Yes” or remove them."))
        if field.data == CONTACT and not gave_contact:
            raise ValidationError(_("Give a phone number or an email address, or choose to stay anonymous."))

    def validate_texts_allowed(self, field: Field) -> None:
        if field.data not in (None, "", YES, NO):
            raise ValidationError(_("Choose “Yes” or “No”, or leave the question unanswered."))

    def validate_consent(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_("Tick the box to say you have read the privacy notice."))

    def validate_form_key(self, field: Field) -> None:
        if field.data and form_key(field.data) is None:
            field.data = new_form_key()
            raise ValidationError(_("This form could not be accepted. Please check it and send it again."))

    def idempotency_key(self) -> IdempotencyKey | None:
        """None for a form shown before forms had keys: it is still accepted, without retry protection. Worked out
        once per value of the form's key field (a request asks before it looks the key up and again to store)."""
        if self._key_of is not None and self._key_of[0] == self.form_key.data:
            return self._key_of[1]
        browser = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        key = form_key(self.form_key.data, browser if isinstance(browser, str) else "",
                       content_fingerprint(self, REPORT_CONTENT))
        self._key_of = (self.form_key.data, key)
        return key

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self.looks_automated = bool(self.website.data)
        if self.looks_automated:
            self.form_errors.append(_("This form could not be accepted. Please check it and send it again."))
            self.website.data = ""
            return False
        return valid

    def place_codes(self) -> tuple[str | None, str | None]:
        """(region code, district code) from "region:<code>" or "district:<code>"; anything else becomes
        a region code that cannot exist, so that resolve_place refuses it with its usual message."""
        kind, _colon, code = (self.area.data or "").partition(":")
        if not code:
            return (None, None) if not kind else ("?", None)
        return {"region": (code, None), "district": (None, code)}.get(kind, ("?", None))

    def submission(self) -> Submission:
        region, district = self.place_codes()
        contact = self.contact_choice.data == CONTACT
        return Submission(
            text=self.text.data or "", channel=Channel.WEB, incident_date=self.incident_date.data,
            region_code=region, district_code=district, location_text=self.location_text.data,
            reported_actor=self.reported_actor.data or None,
            phone=self.phone.data if contact else None, email=self.email.data if contact else None,
            attachments=self.prepared_files, urgent=self.says_urgent(),
            keep_originals=bool(self.keep_originals.data), fears_retaliation=self.fears_retaliation.data == YES,
            texts_allowed=self.texts_allowed.data == YES,
            language_hint=str(get_locale() or "") or None,
        )

    def show_error(self, error: SubmissionError | AttachmentError) -> None:
        """Put an error found by the operation next to its field (the text field if it names none)."""
        field = self._fields.get(error.field or "") or self.text
        field.errors = [*field.errors, error.message]


class TrackForm(Form):
    code = StringField(
        _l("Receipt code"),
        description=_l("The 16 digits you were given when you reported, for example 1234 5678 9012 3456."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "autocapitalize": "off",
                   "spellcheck": "false", "maxlength": 40},
    )
    # A message written on the follow-up page after the case had closed for safety: carried back through this
    # form (never stored, nor put in the session's cookie) and shown again once the code is entered.
    unsent = TextAreaField(_l("What you wrote (not sent yet)"),
                           description=_l("It will be in the message box once you have entered your code. Photos "
                                          "or documents must be chosen again."),
                           render_kw={"rows": 4, "maxlength": validation.MESSAGE_MAX})
    submit = SubmitField(_l("Follow up"))

    def validate_unsent(self, field: Field) -> None:
        field.data = (field.data or "")[:validation.MESSAGE_MAX]

    def validate_code(self, field: Field) -> None:
        value = (field.data or "").strip()
        if not value:
            raise ValidationError(_("Enter your receipt code."))
        if value.upper().startswith(REFERENCE_LOOKALIKE):
            raise ValidationError(_("That looks like a reference number. To follow up you need the 16-digit "
                                    "receipt code."))
        if normalise_receipt_code(value) is None:
            raise ValidationError(_("A receipt code has 16 digits. Check it and try again."))


class ReplyForm(Form):
    text = TextAreaField(
        _l("Your message"),
        description=_l("Answer a question, correct something or add what you remember. Up to 5,000 characters."),
        render_kw={"rows": 6},
    )
    attachments = MultipleFileField(
        _l("Photos or documents"),
        description=_l("Optional. Up to %(count)s files: JPEG, PNG or PDF, each under 10 MB.", count=MAX_FILES),
        render_kw=FILE_INPUT,
    )
    submit = SubmitField(_l("Send"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared_files: list[PreparedFile] = []

    def validate_text(self, field: Field) -> None:
        try:
            validation.clean_text(field.data, "text", 0, validation.MESSAGE_MAX)
        except SubmissionError as exc:
            raise ValidationError(exc.message) from exc

    def validate_attachments(self, field: Field) -> None:
        self.prepared_files = prepare_field_files(field)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not validation.clean_text(self.text.data, "text", 0) and not self.prepared_files:
            self.text.errors = [_("Write a message or choose a file to send.")]
            return False
        return valid



CHECK_IN_DETAILS_LABEL = _l("What happened? (optional)")


class TextsForm(Form):
    """The follow-up page's question: may texts we start go to the phone given with the report?"""

    texts_allowed = texts_allowed_field()
    submit_texts = SubmitField(_l("Save my answer"))

    def validate_texts_allowed(self, field: Field) -> None:
        if field.data not in (YES, NO):
            raise ValidationError(TEXTS_ALLOWED_ERROR)


class CheckInForm(Form):
    happened = RadioField(_l("Has anything happened to you because you reported?"),
                          choices=[(YES, _l("Yes")), (NO, _l("No"))], validate_choice=False)
    details = TextAreaField(CHECK_IN_DETAILS_LABEL, render_kw={"rows": 4, "maxlength": validation.MESSAGE_MAX})
    submit_check_in = SubmitField(_l("Send my answer"))

    def validate_happened(self, field: Field) -> None:
        if field.data not in (YES, NO):
            raise ValidationError(_("Choose “Yes” or “No”."))


# The appeal's reason: enough to say what is wrong, short enough to read (the workflow keeps 2,000).
APPEAL_MIN, APPEAL_MAX = 10, 2000
RATING_CHOICES = [("1", _l("1 – Very unhappy")), ("2", _l("2 – Unhappy")), ("3", _l("3 – Neither happy nor unhappy")),
                  ("4", _l("4 – Happy")), ("5", _l("5 – Very happy"))]


class RatingForm(Form):
    # The choices are checked below, so that a missing and a forged value get the same plain message.
    rating = RadioField(_l("How satisfied are you with this answer?"), choices=RATING_CHOICES, validate_choice=False,
                        description=_l("From 1 (very unhappy) to 5 (very happy). You can change your rating later."))
    submit_rating = SubmitField(_l("Save my rating"))

    def validate_rating(self, field: Field) -> None:
        if field.data not in dict(RATING_CHOICES):
            raise ValidationError(_("Choose a rating from 1 to 5."))


APPEAL_REASON_LABEL = _l("Why do you disagree with the answer?")


class AppealForm(Form):
    reason = TextAreaField(
        APPEAL_REASON_LABEL,
        description=_l("Your case will be opened again and the oversight body will look at it again. Say what "
                       "you think is wrong or missing. Between %(least)s and %(most)s characters.",
                       least=APPEAL_MIN, most=APPEAL_MAX),
        render_kw={"rows": 5, "maxlength": APPEAL_MAX},
    )
    body = SelectField(
        _l("Who should look at it again?"),
        description=_l("The body that answered, or another oversight body if you think it should be someone else."),
        default="", validate_choice=False)  # checked below, with a plain message
    submit_appeal = SubmitField(_l("Send my appeal"))

    def offer_bodies(self, case: Case, bodies: list[Body]) -> AppealForm:
        """The choices: the body that answered first, then every other active body."""
        same = (_("The same body (%(body)s)", body=case.body.local_name) if case.body is not None
                else _("The same body"))
        self.body.choices = [("", same)] + name_choices(body for body in bodies if body.id != case.body_id)
        return self

    def validate_body(self, field: Field) -> None:
        if (field.data or "") not in {code for code, _ in field.choices or []}:
            raise ValidationError(_("Choose an oversight body from the list."))

    def validate_reason(self, field: Field) -> None:
        text = " ".join((field.data or "").split())
        if not text:
            raise ValidationError(_("Tell us why you disagree with the answer."))
        if len(text) < APPEAL_MIN:
            raise ValidationError(_("Say a little more: at least %(least)s characters.", least=APPEAL_MIN))
        if len(text) > APPEAL_MAX:
            raise ValidationError(_("Your reason is too long: at most %(most)s characters. You wrote %(count)s.",
                                    most=format_number(APPEAL_MAX), count=format_number(len(text))))
