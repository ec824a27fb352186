"""Passive authentication: valid chains and every failure reason, with the test issuer's PKI."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from drivers.camera.synthetic import portrait_jpeg
from drivers.reader.icao import lds, tlv
from drivers.reader.icao import sod as sodmod
from drivers.reader.icao.errors import PassiveAuthenticationFailed
from drivers.reader.icao.sod import parse_sod
from drivers.reader.icao.trust import PassiveAuthResult, TrustStore, verify_passive
from drivers.reader.vchip.issuer import (
    ChipHolder,
    TestPki,
    build_data_groups,
    build_sod,
    issue_document,
)

HOLDER = ChipHolder(document_code="P", issuing_state="CHN", document_number="E12345678",
                    primary_identifier="LI", secondary_identifier="MING", nationality="CHN",
                    birth_date=dt.date(1985, 3, 4), sex="M", expiry_date=dt.date(2031, 6, 30),
                    full_name_national="李明", personal_number="11010119850304123X",
                    issuing_authority="公安部出入境管理局", date_of_issue=dt.date(2021, 6, 30))
PHOTO = portrait_jpeg("passive-auth", sex="M")


def pki(key_type: str = "ec", country: str = "CN") -> TestPki:
    return _pki(key_type, country)


@functools.cache
def _pki(key_type: str, country: str) -> TestPki:
    return TestPki.generate(country, key_type=key_type)  # type: ignore[arg-type]


def store_for(*pkis: TestPki) -> TrustStore:
    store = TrustStore.empty()
    for p in pkis:
        store.add_certificate(p.csca_certificate_der())
    return store


def groups_of(files: dict[int, bytes]) -> dict[int, bytes]:
    """DG number -> bytes, as the reader hands them over (COM and SOD excluded)."""
    return {lds.dg_number_for_tag(raw[0]): raw for fid, raw in files.items()
            if fid not in (lds.FID_COM, lds.FID_SOD)}


def document(key_type: str = "ec") -> dict[int, bytes]:
    return _document(key_type)


@functools.cache
def _document(key_type: str) -> dict[int, bytes]:
    return issue_document(HOLDER, PHOTO, pki(key_type))


def reason(sod_raw: bytes, groups: dict[int, bytes], store: TrustStore, **kwargs) -> str:
    with pytest.raises(PassiveAuthenticationFailed) as failure:
        verify_passive(sod_raw, groups, store, **kwargs)
    return failure.value.reason


@pytest.mark.parametrize("key_type", ["ec", "rsa", "rsa_pss"])
def test_valid_chain(key_type: str) -> None:
    files = document(key_type)
    result = verify_passive(files[lds.FID_SOD], groups_of(files), store_for(pki(key_type)))
    assert result == PassiveAuthResult("valid", "CN", "sha256", (1, 2, 11, 12), ())


def test_issued_files_are_complete() -> None:
    files = document()
    assert set(files) == {0x011E, 0x0101, 0x0102, 0x010B, 0x010C, 0x011D}
    assert lds.parse_com(files[0x011E]).data_groups == (1, 2, 11, 12)
    security = parse_sod(files[0x011D])
    assert sorted(security.dg_hashes) == [1, 2, 11, 12]
    assert security.signer_certificate is not None
    assert security.signer_certificate.dump() == pki().signer_certificate_der()


@pytest.mark.parametrize("digest", ["sha1", "sha224", "sha384", "sha512"])
def test_other_digests(digest: str) -> None:
    groups = build_data_groups(HOLDER, PHOTO)
    result = verify_passive(build_sod(groups, pki(), digest=digest), groups, store_for(pki()))
    assert (result.verdict, result.digest_algorithm) == ("valid", digest)


def test_subset_of_groups_verifies() -> None:
    files = document()
    result = verify_passive(files[lds.FID_SOD], {1: files[0x0101]}, store_for(pki()))
    assert result.data_groups_checked == (1,)


def test_sod_module_reexports_verify_passive() -> None:
    assert sodmod.verify_passive is verify_passive and sodmod.TrustStore is TrustStore


# --- failures ------------------------------------------------------------------------


@pytest.mark.parametrize("dg", [1, 2, 11, 12])
def test_data_group_altered_after_signing(dg: int) -> None:
    files = issue_document(HOLDER, PHOTO, pki(), tamper_dg=dg)
    groups = groups_of(files)
    assert groups[dg] != groups_of(document())[dg]
    assert reason(files[lds.FID_SOD], groups, store_for(pki())) == "dg_hash_mismatch"
    # the altered group still parses: a forger's change, not noise
    {1: lds.parse_dg1, 2: lds.parse_dg2, 11: lds.parse_dg11, 12: lds.parse_dg12}[dg](groups[dg])


def test_group_not_in_sod() -> None:
    files = document()
    groups = groups_of(files) | {3: tlv.encode(0x63, b"")}
    assert reason(files[lds.FID_SOD], groups, store_for(pki())) == "dg_hash_mismatch"


def _flip(raw: bytes, needle: bytes, offset: int = 0) -> bytes:
    at = raw.index(needle) + offset
    return raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1:]


@pytest.mark.parametrize("key_type", ["ec", "rsa", "rsa_pss"])
def test_bad_signature_byte(key_type: str) -> None:
    files = document(key_type)
    sod_raw = files[lds.FID_SOD]
    signature = parse_sod(sod_raw).signer_info["signature"].native
    tampered = _flip(sod_raw, signature, len(signature) // 2)
    assert reason(tampered, groups_of(files), store_for(pki(key_type))) in ("bad_signature",
                                                                             "malformed_sod")
    if key_type != "ec":  # RSA signatures are plain integers: always well formed
        assert reason(tampered, groups_of(files), store_for(pki(key_type))) == "bad_signature"


def test_hash_in_sod_altered_breaks_message_digest() -> None:
    files = document()
    sod_raw = files[lds.FID_SOD]
    dg2_hash = parse_sod(sod_raw).dg_hashes[2]
    tampered = _flip(sod_raw, dg2_hash)
    assert reason(tampered, {1: files[0x0101]}, store_for(pki())) == "bad_signature"


def test_sod_signed_by_another_signer() -> None:
    other = TestPki.generate("CN")
    groups = groups_of(document())
    sod_raw = build_sod(groups, other)
    assert reason(sod_raw, groups, store_for(pki())) == "chain_invalid"
    assert verify_passive(sod_raw, groups, store_for(other)).verdict == "valid"


def test_expired_signer() -> None:
    now = dt.datetime.now(dt.UTC)
    expired = TestPki.generate("CN", signer_not_after=now - dt.timedelta(days=2))
    files = issue_document(HOLDER, PHOTO, expired)
    assert reason(files[lds.FID_SOD], groups_of(files), store_for(expired)) == "signer_expired"
    assert reason(files[lds.FID_SOD], groups_of(files), TrustStore.empty(),
                  allow_unknown_csca=True) == "signer_expired"
    files = document()
    late = now + dt.timedelta(days=3660)
    assert reason(files[lds.FID_SOD], groups_of(files), store_for(pki()), at=late) == "signer_expired"
    early = dt.datetime(2001, 1, 1)  # naive: taken as UTC
    assert reason(files[lds.FID_SOD], groups_of(files), store_for(pki()), at=early) == "signer_expired"


def test_revoked_signer() -> None:
    files = document()
    store = store_for(pki())
    store.add_crl(pki().crl_der(revoked_signer=False))
    assert verify_passive(files[lds.FID_SOD], groups_of(files), store).verdict == "valid"
    store.add_crl(pki().crl_der(revoked_signer=True))
    assert reason(files[lds.FID_SOD], groups_of(files), store) == "signer_revoked"


def test_crl_not_signed_by_the_csca_is_ignored() -> None:
    impostor = TestPki.generate("CN")  # same names, other keys
    impostor.signer_cert = pki().signer_cert  # so its CRL lists our signer's serial
    files = document()
    store = store_for(pki())
    store.add_crl(impostor.crl_der(revoked_signer=True))
    assert verify_passive(files[lds.FID_SOD], groups_of(files), store).verdict == "valid"


def test_unknown_csca_raises_or_is_flagged() -> None:
    files = document()
    other_country = store_for(pki("ec", "DE"))
    for store in (TrustStore.empty(), other_country):
        assert reason(files[lds.FID_SOD], groups_of(files), store) == "unknown_csca"
        result = verify_passive(files[lds.FID_SOD], groups_of(files), store, allow_unknown_csca=True)
        assert result.verdict == "no_csca"
        assert result.review_reasons == ("no_csca_for_country",)
        assert result.country == "CN"


def test_unknown_csca_allowed_still_checks_hashes_and_signature() -> None:
    files = issue_document(HOLDER, PHOTO, pki(), tamper_dg=2)
    assert reason(files[lds.FID_SOD], groups_of(files), TrustStore.empty(),
                  allow_unknown_csca=True) == "dg_hash_mismatch"
    files = document("rsa")
    signature = parse_sod(files[lds.FID_SOD]).signer_info["signature"].native
    tampered = _flip(files[lds.FID_SOD], signature, 5)
    assert reason(tampered, groups_of(files), TrustStore.empty(),
                  allow_unknown_csca=True) == "bad_signature"


def test_csca_of_the_country_but_not_the_issuer() -> None:
    files = document()
    assert reason(files[lds.FID_SOD], groups_of(files), store_for(TestPki.generate("CN"))) == "chain_invalid"


@pytest.mark.parametrize("raw", [b"", b"\x77\x00", b"\x77\x03\x30\x01\x00", b"\x60\x00",
                                 tlv.encode(0x77, b"\x30\x80\x00\x00")])
def test_malformed_sod(raw: bytes) -> None:
    assert reason(raw, {}, store_for(pki())) == "malformed_sod"


# --- trust store loading -------------------------------------------------------------


def test_trust_store_from_directory(tmp_path: Path) -> None:
    pki().write_trust_store(tmp_path)
    store = TrustStore.from_directory(tmp_path)
    assert store.countries == {"CN"}
    files = document()
    assert verify_passive(files[lds.FID_SOD], groups_of(files), store).verdict == "valid"


def test_trust_store_directory_with_revocation_and_formats(tmp_path: Path) -> None:
    pki().write_trust_store(tmp_path, revoked_signer=True)
    rsa = pki("rsa")
    (tmp_path / "rsa.der").write_bytes(rsa.csca_certificate_der())
    pem_crl = (b"-----BEGIN X509 CRL-----\n" + base64.encodebytes(rsa.crl_der(revoked_signer=True))
               + b"-----END X509 CRL-----\n")
    (tmp_path / "rsa-crl.crl").write_bytes(pem_crl)
    (tmp_path / "junk.pem").write_bytes(b"not a certificate")
    (tmp_path / "notes.txt").write_bytes(b"ignored")
    store = TrustStore.from_directory(tmp_path)
    for key_type in ("ec", "rsa"):
        files = document(key_type)
        assert reason(files[lds.FID_SOD], groups_of(files), store) == "signer_revoked"


def test_trust_store_from_master_list(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "cn.ml").write_bytes(pki().master_list_der())
    with caplog.at_level(logging.WARNING):
        store = TrustStore.from_directory(tmp_path)
    assert store.countries == {"CN"}
    assert "unverified" in caplog.text
    files = document()
    assert verify_passive(files[lds.FID_SOD], groups_of(files), store).verdict == "valid"


def test_master_list_signer_verified_by_csca_in_store(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    rsa = pki("rsa_pss")
    (tmp_path / "cn.pem").write_bytes(rsa.csca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "all.ml").write_bytes(rsa.master_list_der())
    with caplog.at_level(logging.WARNING):
        TrustStore.from_directory(tmp_path)
    assert "unverified" not in caplog.text
    store = store_for(rsa)
    assert store.add_master_list(rsa.master_list_der(), require_trusted_signer=True) == 1


def test_master_list_refusals() -> None:
    ml = pki().master_list_der()
    with pytest.raises(ValueError):
        TrustStore.empty().add_master_list(ml, require_trusted_signer=True)
    csca = pki().csca_certificate_der()
    tampered = _flip(ml, csca[-40:])  # inside the listed CSCA: the list's signature breaks
    store = TrustStore.empty()
    with pytest.raises(ValueError):
        store.add_master_list(tampered)
    assert store.countries == set()
    with pytest.raises(ValueError):
        store.add_master_list(b"\x30\x03\x02\x01\x00")


def test_bsi_plain_ecdsa_signature() -> None:
    """Some chips sign with ecdsa-plain-SHA256 (BSI TR-03111): r||s instead of DER."""
    files = document("ec")
    info = cms.ContentInfo.load(tlv.parse_one(files[lds.FID_SOD]).value)
    signer_info = info["content"]["signer_infos"][0]
    r, s = decode_dss_signature(signer_info["signature"].native)
    signer_info["signature_algorithm"] = {"algorithm": "0.4.0.127.0.7.1.1.4.1.3"}
    signer_info["signature"] = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    plain = tlv.encode(0x77, info.dump(force=True))
    result = verify_passive(plain, groups_of(files), store_for(pki("ec")))
    assert result.verdict == "valid"
    signer_info["signature"] = r.to_bytes(32, "big") + (s ^ 1).to_bytes(32, "big")
    tampered = tlv.encode(0x77, info.dump(force=True))
    assert reason(tampered, groups_of(files), store_for(pki("ec"))) == "bad_signature"
