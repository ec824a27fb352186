"""Translation catalogs (gettext) for every string a resident sees.

Message ids are symbolic (``attract.title``) and both catalogs, zh_CN and en,
carry every id: a test fails when one is missing. The Chinese text is the
primary one; the other language is shown beside it.
"""

from __future__ import annotations

import gettext
import logging
from functools import cache
from pathlib import Path
from typing import Any

from protocol import wire

log = logging.getLogger("kiosk.i18n")

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kiosk"
LANGUAGES = ("zh_CN", "en")


class MissingCatalog(RuntimeError):
    """The compiled catalog is absent: run `make` (it compiles the .po files)."""


@cache
def _catalog(language: str) -> gettext.GNUTranslations:
    try:
        return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[language])
    except OSError as e:
        raise MissingCatalog(f"no compiled catalog for {language} in {LOCALE_DIR}") from e


class Translator:
    """Translates message ids for one language; ``other`` is the language shown beside it."""

    def __init__(self, language: str = "zh_CN") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self._catalog = _catalog(language)

    @property
    def other(self) -> Translator:
        return Translator("en" if self.language == "zh_CN" else "zh_CN")

    def __call__(self, msgid: str, **values: Any) -> str:
        text = self._catalog.gettext(msgid)
        if text == msgid:
            log.warning("untranslated message id %s (%s)", msgid, self.language)
        return text.format(**values) if values else text

    def error(self, code: str | None, message: wire.Text | None = None) -> str:
        """The resident's sentence for an error: the server's own words when it sent some,
        ours when we have one, else the calm general one (technician codes stay in the log)."""
        if message is not None:
            return self.text(message)
        if code and self.has(f"error.{code}"):
            return self(f"error.{code}")
        return self("error.unexpected")

    def has(self, msgid: str) -> bool:
        return self._catalog.gettext(msgid) != msgid

    def text(self, value: wire.Text) -> str:
        """Pick this language from a bilingual text the central system sent."""
        return value.zh_CN if self.language == "zh_CN" else value.en

    def date(self, value: Any) -> str:
        if value is None:
            return ""
        if self.language == "zh_CN":
            return f"{value.year}年{value.month}月{value.day}日"
        return value.strftime("%d %b %Y").lstrip("0")
