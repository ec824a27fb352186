"""Translation catalogs (gettext) for every word central says to people: residents (through
the kiosk and the tracking page), hall managers (the dashboard, alerts) and technicians (the
command line).

One domain, ``central``, holds the API's sentences and the dashboard's words alike: they are
one program's words, they share many (a device, a supply, a duration, a date, a kiosk's
state), and so the next language is one catalog per component, ``kiosk`` and ``central``.
Message ids are symbolic and name their part (``reason.document_expired``,
``dashboard.overview``); placeholders are named (``{expiry}``). Both catalogs, zh_CN and en,
carry every id with the same placeholders (tests/central/test_catalogs.py).

The API says everything in both languages at once (``both`` builds a ``wire.Text``); the
dashboard says one (``say``). A placeholder's value that reads differently per language
renders itself in each: a ``wire.Text`` (a city's, hall's or station's own name) gives its
language, a date is written as the catalog's ``date.format`` says, and anything with an
``in_language(language)`` method (a nested ``Message``, a ``Joined`` list, a duration) says
itself. A catalog may write ``{device:cap}`` where its language starts a sentence with a
capital.
"""

from __future__ import annotations

import datetime as dt
import gettext
import logging
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from protocol import wire

log = logging.getLogger("central.i18n")

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "central"
LANGUAGES = ("zh_CN", "en")
MONTHS = ("date.month.1", "date.month.2", "date.month.3", "date.month.4", "date.month.5",
          "date.month.6", "date.month.7", "date.month.8", "date.month.9", "date.month.10",
          "date.month.11", "date.month.12")


class MissingCatalog(RuntimeError):
    """The compiled catalog is absent: run `make` (it compiles the .po files)."""


def load_catalog(language: str, locale_dir: Path = LOCALE_DIR) -> gettext.GNUTranslations:
    """One language's compiled catalog; MissingCatalog says how to make it."""
    try:
        return gettext.translation(DOMAIN, localedir=str(locale_dir), languages=[language])
    except OSError as e:
        raise MissingCatalog(f"no compiled catalog {DOMAIN}.mo for {language} in {locale_dir}: "
                             "run make (it compiles the .po files)") from e


@cache
def _catalog(language: str) -> gettext.GNUTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    return load_catalog(language)


def require_catalogs() -> None:
    """Load every language's catalog now: a server without compiled catalogs stops at start
    saying to run make, instead of answering 500 at its first sentence."""
    for language in LANGUAGES:
        _catalog(language)


def say(language: str, msgid: str, **values: object) -> str:
    """The message in one language, its placeholders filled with values rendered for it."""
    text = _catalog(language).gettext(msgid)
    if text == msgid:
        log.warning("untranslated message id %s (%s)", msgid, language)
    if not values:
        return text
    return text.format(**{name: render(value, language) for name, value in values.items()})


def both(msgid: str, **values: object) -> wire.Text:
    """The message in both languages, as the API sends every sentence."""
    return wire.Text(zh_CN=say("zh_CN", msgid, **values), en=say("en", msgid, **values))


def side_by_side(msgid: str, **values: object) -> str:
    """Chinese first, then English, on one line: the command line's and e-mails' labels."""
    return " ".join(say(language, msgid, **values) for language in LANGUAGES)


def bilingual(value: object) -> wire.Text:
    """A lone value (a date) as it reads in each language."""
    return wire.Text(zh_CN=str(render(value, "zh_CN")), en=str(render(value, "en")))


def pick(text: wire.Text, language: str) -> str:
    """One language of a bilingual text (a hall's name, a reason)."""
    return text.en if language == "en" else text.zh_CN


def code_words(code: str, language: str) -> str:
    """A code the catalog has no word for (a device or step newer than this server): as sent
    in Chinese, which spaces no words, and with spaces for its underscores otherwise."""
    return code if language == "zh_CN" else code.replace("_", " ")


class Message:
    """A message said later, in whichever language the sentence around it is said."""

    __slots__ = ("msgid", "values")

    def __init__(self, msgid: str, **values: object) -> None:
        self.msgid, self.values = msgid, values

    def in_language(self, language: str) -> str:
        return say(language, self.msgid, **self.values)


class Joined:
    """Values in a row, between them the separator the catalog gives (a message id)."""

    __slots__ = ("values", "separator")

    def __init__(self, values: Iterable[object], separator: str) -> None:
        self.values, self.separator = list(values), separator

    def in_language(self, language: str) -> str:
        between = say(language, self.separator)
        return between.join(str(render(value, language)) for value in self.values)


class Rendered(str):
    """A value as it reads in one language; the format spec ``cap`` capitalises it."""

    def __format__(self, spec: str) -> str:
        return self.capitalize() if spec == "cap" else format(str(self), spec)


def render(value: object, language: str) -> object:
    """A placeholder's value for one language; numbers stay numbers for their format spec."""
    if hasattr(value, "in_language"):
        return Rendered(value.in_language(language))
    if isinstance(value, wire.Text):
        return Rendered(pick(value, language))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return Rendered(say(language, "date.format", year=value.year,
                            month=Message(MONTHS[value.month - 1]), day=value.day))
    if isinstance(value, str):
        return Rendered(value)
    return value
