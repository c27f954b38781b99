"""The base of every form: Flask-WTF's, except that an uploaded file reaches only a file field.

Flask-WTF hands a form the request's files merged with its fields, so a text field sent as a file part of the
multipart body (any client can send one, no browser does) would get a file object where it expects text. Here
such a part is kept away from the field, and the form is refused with an error on that field (a 400), as for
any other bad input: the text is not silently dropped.

The hidden CSRF field and the submit buttons are rendered without an id: a page with several forms would
otherwise have the ids "csrf_token" and "submit" once per form, and nothing points at them.

A text box never gets a maxlength from its Length validator: a browser silently cuts what is pasted into one at
the limit, so the end of a long account or message would be lost without a word. The validator says by how much
the text is over, and the page gives the whole text back.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import Field
from wtforms import Form as AnyForm
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields import FileField, HiddenField, MultipleFileField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from civicwatch.errors import DomainError
from civicwatch.extensions import db

NOT_A_FILE = _l("Write this in the box as text; it cannot be sent as a file.")

# WTForms' own messages for a value it cannot read or a choice it does not offer say what is wrong in its terms
# ("could not be coerced"), not what to do, and stay English in a language WTForms has no catalogue for (Krio).
# Every form says these instead, from the app's catalogue.
CHOOSE_LISTED = _l("Choose from the options listed (if the page is old, reload it first).")
BUILT_IN_MESSAGES: dict[str, Any] = {
    "Not a valid choice.": CHOOSE_LISTED,
    "Invalid Choice: could not coerce.": CHOOSE_LISTED,
    "Invalid choice(s): one or more data inputs could not be coerced.": CHOOSE_LISTED,
    "'%(value)s' is not a valid choice for this field.": CHOOSE_LISTED,
    "Not a valid integer value.": _l("Write a whole number in figures, such as 12."),
    "Not a valid float value.": _l("Write a number in figures, such as 0.5."),
    "Not a valid decimal value.": _l("Write a number in figures, such as 0.5."),
    "Not a valid date value.": _l("Write the date as YYYY-MM-DD, such as 2026-03-12."),
    "This field is required.": _l("Fill in this field."),
}


class OwnMessages:
    """WTForms' translations with BUILT_IN_MESSAGES in place of its own (no placeholder in ours: WTForms' `%` of
    its values leaves them as they are)."""

    def __init__(self, fallback: Any) -> None:
        self.fallback = fallback

    def gettext(self, string: str) -> str:
        own = BUILT_IN_MESSAGES.get(string)
        if own is not None:
            return str(own)
        return self.fallback.gettext(string) if self.fallback is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        own = BUILT_IN_MESSAGES.get(singular)
        if own is not None:
            return str(own)
        if self.fallback is not None:
            return str(self.fallback.ngettext(singular, plural, n))
        return singular if n == 1 else plural


class Form(FlaskForm):
    misplaced_files: frozenset[str] = frozenset()

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            if issubclass(unbound_field.field_class, CSRFTokenField | SubmitField):
                options = {**options, "render_kw": {"id": False}}
            return super().bind_field(form, unbound_field, options)

        def render_field(self, field: Any, render_kw: dict[str, Any]) -> Any:
            if isinstance(field, TextAreaField):
                render_kw = {**render_kw, "maxlength": False}
            return super().render_field(field, render_kw)

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            wrapped = super().wrap_formdata(form, formdata)
            if not isinstance(wrapped, CombinedMultiDict):
                return wrapped
            file_fields = {field.name for field in form if isinstance(field, FileField | MultipleFileField)}
            form.misplaced_files = frozenset(name for name in request.files if name not in file_fields)
            files = MultiDict([(name, value) for name, value in request.files.items(multi=True)
                               if name in file_fields])
            return CombinedMultiDict((files, request.form))

        def get_translations(self, form: Any) -> Any:
            return OwnMessages(super().get_translations(form))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if field.process_errors:
                field.errors = _errors_of_unread(field)
            if field.name in self.misplaced_files:
                field.errors = [*field.errors, str(NOT_A_FILE)]
                valid = False
        return valid


def _errors_of_unread(field: Field) -> list[Any]:
    """A value that could not be read (a number in words): its own error alone, since what the validators say of
    the empty value they got instead misleads ("must be between 1 and 520"). Nothing written at all: the
    validators' errors alone ("Give the number of working days."), when there are any."""
    if any(str(value).strip() for value in field.raw_data or ()):
        return list(field.process_errors)
    said = [error for error in field.errors if error not in field.process_errors]
    return said or list(field.process_errors)


def listed(message: Any) -> Callable[[AnyForm, Field], None]:
    """A validator: the value is one of the field's choices, else `message` (a choice's own check, validate_choice,
    says WTForms' "Not a valid choice.", which is English only on a form without Flask-WTF and untranslated in
    Krio on one with it)."""

    def validator(form: AnyForm, field: Field) -> None:
        if field.data not in {value for value, _label in getattr(field, "choices", None) or []}:
            raise ValidationError(str(message))

    return validator


def repeated_filters(form: AnyForm, args: MultiDict) -> list[str]:
    """The fields of a query form given more than once: the form would read the first value alone and say nothing
    of the others."""
    return [name for name in form._fields if len(args.getlist(name)) > 1]


def refuse_repeated(form: AnyForm, names: list[str]) -> bool:
    """Mark each field given more than once (repeated_filters); False when there is any."""
    for name in names:
        form[name].errors = [*form[name].errors, gettext("Choose only one.")]
    return not names


CONFIRMED = "yes"


class ConfirmForm(Form):
    """The form of a staff button whose act cannot be undone. Only its confirmation page (confirmation_page)
    writes `confirmed`: the row's button is a link to that page, and a POST without it (an older page, a script,
    Enter pressed on a form kept open) is answered with the page and a 400, and nothing is done."""

    confirmed = HiddenField()

    def is_confirmed(self) -> bool:
        return request.method == "POST" and self.confirmed.data == CONFIRMED


def done_confirmed(act: Callable[[], None], text: Field) -> bool:
    """Do a confirmed act that takes the confirmation page's box `text`, and commit it; False when the act refused
    what was written there (a DomainError of status 400): rolled back, the error on the box, for the page again."""
    try:
        act()
    except DomainError as error:
        if error.status != 400:
            raise
        db.session.rollback()
        text.errors = [error.message]
        return False
    db.session.commit()
    return True


def confirmation_page(form: ConfirmForm, *, title: str, consequence: str, button: str, cancel: str,
                      fields: Mapping[str, str] | None = None, text: Field | None = None,
                      lasting: str | None = None) -> tuple[str, int]:
    """The page that asks once more before the act of the current address: `title` asks it of the row by name,
    `consequence` says plainly what will happen; the form posts back here with `confirmed`, any `fields` the
    act needs (a row version) and the box `text` (a reason, with what was written in it and its errors), and
    Cancel goes back to `cancel`. Shown to a GET (it changes nothing), and with a 400 to a POST: one that came
    without the confirmation, or a confirmed one the act refused (its error on `text`). `lasting` says what of
    an act that can partly be undone stays done, instead of "This cannot be undone."."""
    posted = request.method == "POST"
    return render_template("_confirm.html", form=form, title=title, consequence=consequence, button=button,
                           cancel=cancel, fields=fields or {}, text=text, action=request.path, confirmed=CONFIRMED,
                           lasting=lasting, refused=posted and not form.is_confirmed()), (400 if posted else 200)
