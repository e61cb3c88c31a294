import pytest

from lishui.core.ids import InvalidIdentifier, mask_account, mask_resident_id, validate_resident_id, validate_uscc


@pytest.mark.parametrize("code", ["91330100716105852F", "91110000600037341L", "91310000631696382C",
                                  "913304007429141869"])
def test_valid_credit_codes_from_the_published_vectors(code):
    assert validate_uscc(code) == code


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(InvalidIdentifier, match="应为“L”"):
        validate_uscc("91110000600037341N")


def test_letters_outside_the_alphabet_are_named_with_their_position():
    with pytest.raises(InvalidIdentifier, match="第14位字符“I”"):
        validate_uscc("9111000060003IOZSV")


def test_credit_code_length():
    with pytest.raises(InvalidIdentifier, match="18位"):
        validate_uscc("9133")


@pytest.mark.parametrize("number", ["11010519491231002X", "360426199101010071", "44011320141005001X"])
def test_valid_resident_ids(number):
    assert validate_resident_id(number) == number


def test_resident_id_check_digit():
    with pytest.raises(InvalidIdentifier, match="校验位"):
        validate_resident_id("36042619910102009X")


def test_resident_id_impossible_birth_date():
    with pytest.raises(InvalidIdentifier, match="出生日期"):
        validate_resident_id("360426199113010079")


def test_masks_show_only_what_the_rules_allow():
    assert mask_resident_id("11010519491231002X") == "1****************X"
    assert mask_account("6228480000001234567") == "**** **** 4567"
