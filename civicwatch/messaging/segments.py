"""How many SMS segments a text takes, for replies that must fit in one and for the length guide under staff
forms whose text goes by SMS. No database; the guide's words are translated (English outside a request)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import gettext

from civicwatch.i18n import N_

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each is sent as an escape and a septet: two

# Characters per segment: a text alone, or one of several joined (the rest carries the joining header).
GSM7_SINGLE, GSM7_JOINED = 160, 153
UCS2_SINGLE, UCS2_JOINED = 70, 67


@dataclass(frozen=True)
class SmsLength:
    gsm7: bool
    units: int  # GSM-7 septets, or UTF-16 code units for UCS-2
    segments: int

    @property
    def per_text(self) -> int:
        """How many characters one text of this encoding holds when sent alone."""
        return GSM7_SINGLE if self.gsm7 else UCS2_SINGLE


GSM7 = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    return GSM7.issuperset(text)  # one call, not one per character


def sms_length(text: str) -> SmsLength:
    """The encoding a phone network would use for the text, its length in that encoding, and its segments.
    One character outside GSM-7 (an emoji, most non-Latin scripts) sends the whole text as UCS-2."""
    if is_gsm7(text):
        widths = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        single, joined = GSM7_SINGLE, GSM7_JOINED
    else:
        widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # beyond the BMP: a surrogate pair
        single, joined = UCS2_SINGLE, UCS2_JOINED
    units = sum(widths)
    segments = 1 if units <= single else _joined_segments(widths, joined)
    return SmsLength(gsm7=single == GSM7_SINGLE, units=units, segments=segments)


def _joined_segments(widths: list[int], size: int) -> int:
    """Segments of `size` units filled in order: a character of two units (an escape and its septet, a surrogate
    pair) is never parted, so a segment it would straddle ends one unit short."""
    segments, used = 1, 0
    for width in widths:
        if used + width > size:
            segments, used = segments + 1, 0
        used += width
    return segments


def segment_count(text: str) -> int:
    """How many SMS segments the text takes (GSM-7: 160 alone, 153 joined; UCS-2: 70 alone, 67 joined)."""
    return sms_length(text).segments


# Punctuation that phones and word processors put in and GSM-7 lacks, with its GSM-7 look-alike.
_PLAIN_PUNCTUATION = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u2013": "-",
    "\u2014": "-", "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u0153": "oe", "\u0152": "OE",
})


def transliterate_gsm7(text: str) -> str:
    """The text with every character outside GSM-7 replaced by its plain look-alike where it has one: the
    accent dropped (ê, â, ç, ô, î, û, ë, ï become e, a, c, o, i, u, e, i), typographic quotes and dashes made
    plain. Characters GSM-7 has (é, è, à, ù, ì, ò, É, Ç...) are kept; a character with no look-alike too."""
    plain = []
    for ch in text.translate(_PLAIN_PUNCTUATION):
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            plain.append(ch)
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        plain.append(base if base in GSM7_BASIC else ch)
    return "".join(plain)


def prefer_gsm7(text: str) -> str:
    """The text as it costs least: transliterated to GSM-7 when that takes fewer segments (one accent outside
    GSM-7 sends a whole text as UCS-2, at 70 characters a segment instead of 160), otherwise as written."""
    if is_gsm7(text):
        return text
    plain = transliterate_gsm7(text)
    return plain if segment_count(plain) < segment_count(text) else text


# The guide's wording, also handed to js/sms-length.js (guide_wording), which writes it while staff type.
_GUIDE_GSM7 = N_("Sent by SMS: 1 text holds {room} characters; this one: {texts}.")
_GUIDE_UCS2 = N_("Sent by SMS: 1 text holds {room} characters (it has characters such as emoji or accents outside "
                 "the basic SMS set); this one: {texts}.")
_ONE_TEXT, _TEXTS = N_("1 text"), N_("{count} texts")


def as_sent(text: str, whatsapp: bool) -> str:
    """The text as it goes out: by SMS in its cheapest form (prefer_gsm7); WhatsApp has no segments, so its
    texts keep every accent."""
    return text if whatsapp else prefer_gsm7(text)


def length_guide(text: str, prefix: str = "", suffix: str = "") -> str:
    """The hint under a staff text box whose text goes by SMS between `prefix` and `suffix`: what one text
    holds, and how many texts this one takes, in the reader's language."""
    length = sms_length(prefix + text + suffix)
    room = length.per_text - sms_length(prefix + suffix).units
    texts = gettext(_ONE_TEXT) if length.segments == 1 else gettext(_TEXTS).format(count=length.segments)
    return gettext(_GUIDE_GSM7 if length.gsm7 else _GUIDE_UCS2).format(room=room, texts=texts)


def guide_wording() -> dict[str, str]:
    """The guide's sentences in the reader's language, for the script that updates it."""
    return {"gsm7": gettext(_GUIDE_GSM7), "ucs2": gettext(_GUIDE_UCS2), "texts-one": gettext(_ONE_TEXT),
            "texts-many": gettext(_TEXTS)}


# The longest Body Twilio takes (error 21617 beyond it, on SMS and WhatsApp alike), counted in UTF-16 code units,
# so that a character beyond the BMP counts as two whichever way it counts.
BODY_LIMIT = 1600


def _utf16_units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def split_for_sending(text: str, limit: int = BODY_LIMIT) -> list[str]:
    """The text as consecutive texts Twilio takes, each at most `limit` UTF-16 code units: cut at the last
    whitespace that fits (dropped, one character), or where the limit falls in a word without any."""
    parts: list[str] = []
    rest = text
    while sum(_utf16_units(ch) for ch in rest) > limit:
        end, units = 0, 0
        while units + _utf16_units(rest[end]) <= limit:
            units += _utf16_units(rest[end])
            end += 1
        space = next((i for i in range(end, 0, -1) if rest[i].isspace()), None)
        if space is None:
            parts.append(rest[:end])
            rest = rest[end:]
        else:
            parts.append(rest[:space])
            rest = rest[space + 1:]
    return [*parts, rest]
