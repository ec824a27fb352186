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


def resident_facing_codes() -> set[str]:
    """Codes the journey puts on screen itself, and every code a device error can carry."""
    codes = set()
    for path in (ROOT / "kiosk").rglob("*.py"):
        text = path.read_text("utf-8")
        codes |= set(re.findall(r'InvalidInput\(code="([a-z_]+)"', text))
        codes |= set(re.findall(r'[pP]roblem\("([a-z_]+)"', text))
        codes |= set(re.findall(r'input_error = "([a-z_]+)"', text))
    for path in (ROOT / "drivers").rglob("*.py"):
        codes |= set(re.findall(r'^    code = "([a-z_]+)"', path.read_text("utf-8"), re.M))
    return codes


def test_every_code_a_resident_can_see_has_its_own_sentence():
    codes = resident_facing_codes()
    assert {"document_removed", "paper_out", "since_in_future", "details_not_mine"} <= codes
    ids = set(catalog("zh_CN"))
    assert sorted(c for c in codes if f"error.{c}" not in ids) == []


def test_other_codes_fall_back_to_a_calm_sentence_or_the_servers_words():
    t = Translator("en")
    assert t.error("journal_write_failed") == t("error.unexpected")
    assert t.error("paper_out") == t("error.paper_out")
    from protocol import wire
    said = wire.Text(zh_CN="地址不在目录中。", en="That address is not in the directory.")
    assert Translator("zh_CN").error("unknown_address", said) == "地址不在目录中。"


def test_chinese_comes_first_in_the_other_language_pairing():
    assert Translator("zh_CN").other.language == "en"
    assert Translator("en").other.language == "zh_CN"
