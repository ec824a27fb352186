"""Central's words live in its catalogs only: both languages carry every message id with the
same placeholders, the compiled catalogs are current, every id the code names exists and
every id is named, and no Chinese is left in central's code outside comments and docstrings
(so nobody adds a sentence beside the catalogs again)."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from central import i18n
from central.i18n import LANGUAGES, LOCALE_DIR, Message, MissingCatalog, both, say

ROOT = Path(__file__).resolve().parents[2]
CENTRAL = ROOT / "central"
DATA = {CENTRAL / "demo_seed"}  # demo residents and halls are data, not words of the program
PLACEHOLDER = re.compile(r"{(\w+)(?::(\w*))?}")
SPECS = {None, "", "cap"}  # what i18n.Rendered understands
MSGID = re.compile(r"[a-z_]+(\.[a-z0-9_]+)+")
NOT_MESSAGES = {"dashboard.css"}  # a file name that looks like an id
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def catalog(language: str) -> dict[str, str]:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "central.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def placeholders(text: str) -> set[str]:
    return {name for name, _ in PLACEHOLDER.findall(text)}


def sources() -> list[Path]:
    return [p for p in sorted(CENTRAL.rglob("*.py")) if not any(d in p.parents for d in DATA)]


def test_both_catalogs_have_the_same_ids_and_placeholders():
    zh, en = catalog("zh_CN"), catalog("en")
    assert set(zh) == set(en)
    for msgid in zh:
        assert zh[msgid].strip() and en[msgid].strip(), msgid
        assert placeholders(zh[msgid]) == placeholders(en[msgid]), msgid
        for text in (zh[msgid], en[msgid]):
            assert {spec or None for _, spec in PLACEHOLDER.findall(text)} <= SPECS, msgid
            assert text.count("{") == text.count("}") == len(PLACEHOLDER.findall(text)), msgid


def test_compiled_catalogs_are_current():
    for language in LANGUAGES:
        compiled = i18n.load_catalog(language)
        for msgid, text in catalog(language).items():
            assert compiled.gettext(msgid) == text, f"{language}: {msgid} stale: run make"


def string_constants(path: Path) -> list[ast.Constant]:
    """Every string constant of the module that is not a docstring."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docstrings]


def ids_in_code() -> dict[str, list[str]]:
    """String constants shaped like a message id in a namespace of the catalogs."""
    namespaces = {msgid.split(".")[0] for msgid in catalog("en")}
    found: dict[str, list[str]] = {}
    for path in sources():
        for node in string_constants(path):
            if (MSGID.fullmatch(node.value) and node.value.split(".")[0] in namespaces
                    and node.value not in NOT_MESSAGES):
                found.setdefault(node.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_message_id_in_the_code_is_in_the_catalogs_and_every_one_is_used():
    known, used = set(catalog("en")), ids_in_code()
    assert {msgid: where for msgid, where in used.items() if msgid not in known} == {}
    assert sorted(known - set(used)) == []


def test_a_message_said_with_values_gets_exactly_its_placeholders():
    """A call naming a message id and keyword values gives each placeholder, and no more."""
    en = catalog("en")
    wrong = []
    for path in sources():
        for call in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(call, ast.Call) or any(k.arg is None for k in call.keywords):
                continue  # **values: not checkable here
            ids = [a.value for a in call.args if isinstance(a, ast.Constant) and a.value in en]
            given = {k.arg for k in call.keywords}
            if ids and (given or placeholders(en[ids[0]])) and given != placeholders(en[ids[0]]):
                wrong.append(f"{path.relative_to(ROOT)}:{call.lineno} {ids[0]} {sorted(given)}")
    assert wrong == []


def test_no_chinese_in_centrals_code_outside_comments_and_docstrings():
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:40]}"
             for path in sources() for node in string_constants(path)
             if CHINESE.search(node.value)]
    assert found == [], "words belong in central/locale/*/LC_MESSAGES/central.po"


def test_values_read_as_each_language_writes_them():
    said = both("reason.photo_reused", taken_on=dt.date(2026, 3, 9))
    assert said.zh_CN == "沿用2026年3月9日采集的照片，无需重新拍照。"
    assert said.en == "The photo taken on 9 March 2026 is reused: no new photo is needed."
    device = Message("fleet.device.card_printer")
    assert say("en", "fleet.device_offline", device=device) == \
        "Card printer offline or not answering."
    assert say("zh_CN", "fleet.device_offline", device=device) == "制证打印机离线或无响应。"


def test_a_missing_catalog_says_to_run_make(tmp_path: Path):
    with pytest.raises(MissingCatalog, match="run make"):
        i18n.load_catalog("en", tmp_path)
    with pytest.raises(ValueError):
        say("fr", "fleet.closed")
