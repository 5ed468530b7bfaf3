"""The one-time code rules on their own: fixed secrets, fixed moments, no database.

RFC 6238's SHA-1 test vectors (its appendix B, 8 digits there; an authenticator app
shows the last 6) pin the codes to the standard, so any phone app agrees with us.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from timebank.community import totp
from timebank.community.secret_box import SecretBox, UnreadableSecretError

# The RFC's key, "12345678901234567890", in base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize(
    ("seconds", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_follow_rfc_6238(seconds, code):
    step = totp.step_at(at(seconds))
    assert totp.code_at(RFC_SECRET, step) == code
    assert totp.matching_step(RFC_SECRET, code, at(seconds)) == step


def test_a_code_is_good_one_step_either_side_and_no_further():
    moment = at(1111111109)
    step = totp.step_at(moment)
    for offset in (-1, 0, 1):
        code = totp.code_at(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, moment) == step + offset
    for offset in (-2, 2, 10):
        code = totp.code_at(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, moment) is None


def test_a_used_step_and_every_earlier_one_are_refused():
    moment = at(1111111109)
    step = totp.step_at(moment)
    code = totp.code_at(RFC_SECRET, step)
    assert totp.matching_step(RFC_SECRET, code, moment, after_step=step - 1) == step
    # The same code again (replay), and the previous step's code after it.
    assert totp.matching_step(RFC_SECRET, code, moment, after_step=step) is None
    earlier = totp.code_at(RFC_SECRET, step - 1)
    assert totp.matching_step(RFC_SECRET, earlier, moment, after_step=step) is None
    # The next step's code is still good after this one.
    later = totp.code_at(RFC_SECRET, step + 1)
    assert totp.matching_step(RFC_SECRET, later, moment, after_step=step) == step + 1


def test_the_code_rolls_over_every_30_seconds():
    start = at(1111111080)
    assert totp.step_at(start) == totp.step_at(start + timedelta(seconds=29))
    assert totp.step_at(start + timedelta(seconds=30)) == totp.step_at(start) + 1


@pytest.mark.parametrize(
    "typed", ["081 804", " 081804 ", "081-804"], ids=["space", "padded", "hyphen"]
)
def test_spaces_and_hyphens_people_type_are_ignored(typed):
    assert totp.matching_step(RFC_SECRET, typed, at(1111111109)) is not None


@pytest.mark.parametrize(
    "typed",
    ["", None, "08180", "0818045", "abcdef", "٠٨١٨٠٤", "08180x", "081804\x00"],
    ids=["empty", "none", "short", "long", "letters", "arabic-indic", "mixed", "nul"],
)
def test_anything_but_six_ascii_digits_is_refused(typed):
    assert totp.matching_step(RFC_SECRET, typed, at(1111111109)) is None


def test_step_at_needs_an_aware_moment():
    with pytest.raises(ValueError, match="aware"):
        totp.step_at(datetime(2026, 1, 1))  # noqa: DTZ001


def test_new_secrets_are_160_bits_of_base32_and_differ():
    first, second = totp.new_secret(), totp.new_secret()
    assert len(first) == 32 and set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert first != second


def test_the_provisioning_address_names_the_issuer_and_account():
    uri = totp.provisioning_uri(RFC_SECRET, account="ana@example.org", issuer="Time bank")
    assert uri.startswith("otpauth://totp/Time%20bank:ana%40example.org?")
    assert f"secret={RFC_SECRET}" in uri and "issuer=Time%20bank" in uri


def test_ten_recovery_codes_each_different_and_easy_to_read():
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert len(code) == 11 and code[5] == "-"
        assert not set(code.replace("-", "")) & set("01ilo")


def test_a_recovery_code_hashes_the_same_however_it_is_typed():
    key = b"k" * 32
    stored = totp.hash_recovery_code(key, "k3m9p-x7c2d")
    assert totp.hash_recovery_code(key, "K3M9P X7C2D") == stored
    assert totp.hash_recovery_code(key, "k3m9px7c2d") == stored
    assert totp.hash_recovery_code(key, "k3m9p-x7c2e") != stored
    # Another key, another hash: the database alone cannot be searched.
    assert totp.hash_recovery_code(b"j" * 32, "k3m9p-x7c2d") != stored
    assert "k3m9p" not in stored


def test_secrets_are_encrypted_and_only_the_same_key_reads_them():
    box = SecretBox.from_master_key("the app's secret key")
    sealed = box.encrypt(RFC_SECRET)
    assert RFC_SECRET not in sealed
    assert box.decrypt(sealed) == RFC_SECRET
    # Two encryptions of one secret differ (a fresh IV each time).
    assert box.encrypt(RFC_SECRET) != sealed
    other = SecretBox.from_master_key("another key")
    with pytest.raises(UnreadableSecretError):
        other.decrypt(sealed)
