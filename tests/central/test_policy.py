"""Per-city policy files: what they say, and that a typo stops the server naming file and key."""

from __future__ import annotations

import shutil

import pytest

from central.permits.policy import POLICY_DIR, PolicyError, load_policies, load_policy
from protocol import wire

POLICIES = load_policies()


def test_three_cities_with_their_own_periods_and_validity():
    zz, bj, yt = POLICIES["zhuzhou"], POLICIES["beijing"], POLICIES["yantai"]
    assert (zz.residence_period.months, zz.validity_years) == (6, 1)
    assert (bj.residence_period.months, bj.validity_years) == (6, 1)
    assert (yt.residence_period.days, yt.validity_years) == (30, 3)
    assert all(p.exempt_age == 70 for p in POLICIES.values())
    assert set(zz.conditions) == set(wire.Condition)
    assert [e.code for e in yt.exemptions][0] == "provincial_student"
    assert zz.name.zh_CN == "株洲市" and bj.name.zh_CN == "北京市" and yt.name.zh_CN == "烟台市"


@pytest.mark.parametrize("city", sorted(POLICIES))
def test_directory_and_stations_are_usable(city):
    policy = POLICIES[city]
    assert 3 <= len(policy.districts) <= 4
    assert all(2 <= len(d.communities) <= 4 for d in policy.districts)
    assert 2 <= len(policy.pickup_stations) <= 3
    codes = [c.code for d in policy.districts for c in d.communities]
    assert len(codes) == len(set(codes))
    for condition in policy.conditions:
        assert all(doc.zh_CN and doc.en for doc in policy.documents[condition])


def copy_with(tmp_path, name: str, old: str, new: str):
    target = tmp_path / name
    shutil.copy(POLICY_DIR / name, target)
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_unknown_key_is_an_error_naming_file_and_key(tmp_path):
    path = copy_with(tmp_path, "zhuzhou.toml", 'code = "zz-jianshe"', 'code = "zz-jianshe"\ncolour = "red"')
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert "zhuzhou.toml" in str(err.value) and "pickup_stations.1.colour" in str(err.value)


def test_a_period_in_months_and_days_is_an_error(tmp_path):
    path = copy_with(tmp_path, "yantai.toml", "days = 30", "days = 30\nmonths = 6")
    with pytest.raises(PolicyError, match="yantai.toml.*exactly one of 'months' or 'days'"):
        load_policy(path)


def test_missing_documents_for_a_condition_is_an_error(tmp_path):
    path = copy_with(tmp_path, "beijing.toml", "[[documents.study]]", "[[documents.other]]")
    with pytest.raises(PolicyError, match="beijing.toml"):
        load_policy(path)


def test_the_file_name_must_be_the_city_code(tmp_path):
    shutil.copy(POLICY_DIR / "beijing.toml", tmp_path / "peking.toml")
    with pytest.raises(PolicyError, match="peking.toml: key 'code'"):
        load_policy(tmp_path / "peking.toml")


def test_broken_toml_names_the_file(tmp_path):
    (tmp_path / "zhuzhou.toml").write_text("code = ", encoding="utf-8")
    with pytest.raises(PolicyError, match="zhuzhou.toml"):
        load_policies(tmp_path)
