"""Messages of the harvesters, stored in French and English.

A harvest's gather and object errors are stored once, in the database, and
read later by people of either language (the job report, the API, e-mails).
They are written in French, as every message of the extension, with the
English translation from our own catalogue on a second line: no request, and
so no user language, exists in the gather and fetch workers.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from typing import Any

_I18N = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")


def _(msgid: str) -> str:
    """Marks a message for extraction (pybabel's default keyword)."""
    return msgid


@lru_cache(maxsize=4)
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation(
        "ckanext-territoire", localedir=_I18N, languages=[lang], fallback=True
    )


def translate(msgid: str, lang: str, **params: Any) -> str:
    text = msgid if lang == "fr" else _catalogue(lang).gettext(msgid)
    return text.format(**params)


def bilingual(msgid: str, **params: Any) -> str:
    """``msgid`` (French) formatted, then its English translation."""
    fr = translate(msgid, "fr", **params)
    en = translate(msgid, "en", **params)
    return fr if fr == en else f"{fr}\n{en}"


class HarvestMessage(Exception):
    """An error whose text names the problem and what to do, in both languages."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(bilingual(msgid, **params))

    def french(self) -> str:
        return translate(self.msgid, "fr", **self.params)
