"""Text that XML 1.0 can carry. Every XML document the app writes (the Atom feed, Open311 GeoReport) passes
through `xml_text` as a whole, last, so no stored text can make it unreadable."""
from __future__ import annotations

import re

# XML 1.0 allows tab, line feed, carriage return and everything from U+0020 up, except the surrogates and
# U+FFFE/U+FFFF. Escaping cannot help: a character reference such as &#1; is not allowed either.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)
