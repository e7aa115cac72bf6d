"""The hand-written check of the everyday purchase body agrees with PurchaseInput, the contract:
whatever it accepts, the serializer accepts with the same values; anything else is left to the
serializer (and its errors)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from points.api.serializers import PurchaseInput, QuoteInput, purchase_input_fast

texts = st.one_of(
    st.sampled_from(["", " ", "EUR", "eur", "EU", "EURO", " EUR", "52810473961", "T-1", "a\x00b"]),
    st.text(max_size=70),
    st.integers(),
    st.none(),
    st.booleans(),
)
amounts = st.one_of(
    st.sampled_from(["0", "0.00", "12.5", "12.50", "12.505", "-1.00", "1e3", " 5", "٣", "1_0"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**11),
    st.integers(min_value=-5, max_value=10**12),
    st.from_regex(r"[0-9]{1,12}(\.[0-9]{0,3})?", fullmatch=True),
    st.booleans(),
    st.none(),
)
lines = st.lists(
    st.dictionaries(
        st.sampled_from(["sku", "category", "quantity", "amount", "other"]),
        st.one_of(texts, amounts),
    ),
    max_size=3,
)
bodies = st.dictionaries(
    st.sampled_from(["transaction_id", "card_number", "amount", "currency", "lines", "channel"]),
    st.one_of(texts, amounts, lines),
)


def serializer_answer(serializer_class, body):
    serializer = serializer_class(data=body)
    if not serializer.is_valid():
        return None
    data = dict(serializer.validated_data)
    if "lines" in data:
        data["lines"] = [dict(line) for line in data["lines"]]
    return data


def agrees(body, *, quote: bool) -> None:
    fast = purchase_input_fast(body, quote=quote)
    if fast is not None:
        expected = serializer_answer(QuoteInput if quote else PurchaseInput, body)
        assert fast == expected
        # the same values, to the exponent (a Decimal 12.5 is not the 12.50 the receipt shows)
        assert {k: str(v) for k, v in fast.items()} == {k: str(v) for k, v in expected.items()}


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_generated_bodies(body):
    agrees(body, quote=False)
    agrees(body, quote=True)


VALID = {
    "transaction_id": "AMS01-0042",
    "card_number": "52810473961",
    "amount": "34.4",
    "currency": "EUR",
    "lines": [{"sku": "KOF-250", "category": "coffee", "quantity": "2", "amount": "15.90"}],
}


def test_the_everyday_body_takes_the_fast_path():
    data = purchase_input_fast(VALID)
    assert data == serializer_answer(PurchaseInput, VALID)
    assert str(data["amount"]) == "34.40"
    assert str(data["lines"][0]["quantity"]) == "2.000"


@pytest.mark.parametrize(
    "change",
    [
        {"occurred_at": "2026-11-23T14:03:00+01:00"},
        {"channel": "offline"},
        {"codes": ["ABC"]},
        {"store_credit": "1.00"},
        {"amount": "-1.00"},
        {"amount": "1.005"},
        {"currency": " EU"},
        {"transaction_id": ""},
        {"transaction_id": "x" * 65},
        {"lines": [{"amount": "1.00", "colour": "red"}]},
    ],
)
def test_anything_else_is_left_to_the_serializer(change):
    assert purchase_input_fast({**VALID, **change}) is None


def test_a_quote_needs_no_transaction_id():
    body = {key: value for key, value in VALID.items() if key != "transaction_id"}
    assert purchase_input_fast(body) is None
    assert purchase_input_fast(body, quote=True)["amount"] == Decimal("34.40")


near_valid = st.fixed_dictionaries(
    {
        "transaction_id": st.from_regex(r"[ -~]{0,66}", fullmatch=True),
        "card_number": st.from_regex(r"[0-9 ]{10,12}", fullmatch=True),
        "amount": st.one_of(st.from_regex(r"[0-9]{1,11}(\.[0-9]{1,3})?", fullmatch=True), amounts),
        "currency": st.sampled_from(["EUR", "USD", "EU", " EUR", "EUR "]),
    },
    optional={
        "lines": st.lists(
            st.fixed_dictionaries(
                {"amount": st.from_regex(r"[0-9]{1,3}\.[0-9]{2}", fullmatch=True)},
                optional={
                    "sku": st.from_regex(r"[ -~]{0,66}", fullmatch=True),
                    "category": st.sampled_from(["coffee", "", " tea", "x" * 65]),
                    "quantity": st.from_regex(r"[0-9]{1,8}(\.[0-9]{1,4})?", fullmatch=True),
                },
            ),
            max_size=3,
        )
    },
)


@settings(max_examples=400, deadline=None)
@given(near_valid)
def test_generated_everyday_bodies(body):
    agrees(body, quote=False)
