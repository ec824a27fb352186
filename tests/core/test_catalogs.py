"""Every message id exists in both languages, with the same placeholders, and is used."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from kiosk.i18n import LANGUAGES, LOCALE_DIR, Translator

ROOT = Path(__file__).resolve().parents[2]


def catalog(language: str) -> dict[str, str]:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "kiosk.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def test_both_catalogs_have_the_same_ids_and_placeholders():
    zh, en = catalog("zh_CN"), catalog("en")
    assert set(zh) == set(en)
    for msgid in zh:
        assert zh[msgid] and en[msgid], msgid
        assert set(re.findall(r"{(\w+)}", zh[msgid])) == set(re.findall(r"{(\w+)}", en[msgid]))


def test_compiled_catalogs_are_current():
    for language in LANGUAGES:
        t = Translator(language)
        for msgid, text in catalog(language).items():
            assert t(msgid) == text, f"{language}: {msgid} stale: run make"


def test_every_error_code_raised_in_core_has_a_sentence():
    codes = set()
    for path in (ROOT / "kiosk").rglob("*.py"):
        codes |= set(re.findall(r'code="([a-z_]+)"', path.read_text("utf-8")))
        codes |= set(re.findall(r'_problem\("([a-z_]+)"', path.read_text("utf-8")))
    ids = set(catalog("zh_CN"))
    missing = sorted(c for c in codes if f"error.{c}" not in ids)
    assert missing == []


def test_chinese_comes_first_in_the_other_language_pairing():
    assert Translator("zh_CN").other.language == "en"
    assert Translator("en").other.language == "zh_CN"
