"""The money layer, FX lookups and the click pieces that need no database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns import fx, money
from campaigns.bots import is_bot
from campaigns.tracking import Click, ClickBuffer, client_ip, parse_proxies
from sql.errors import ValidationError


class TestMoney:
    def test_iso_exponents_and_stripe_exceptions(self) -> None:
        assert (money.exponent("EUR"), money.exponent("JPY"), money.exponent("KWD")) == (2, 0, 3)
        assert money.from_stripe_minor(12345, "KWD") == Decimal("12.345")
        assert money.from_stripe_minor(1200, "JPY") == Decimal(1200)
        assert money.from_stripe_minor(1200, "MGA") == Decimal(1200)  # zero-decimal at Stripe, 2 in ISO
        assert money.from_stripe_minor(50000, "ISK") == Decimal(500)  # two-decimal at Stripe, 0 in ISO

    @pytest.mark.parametrize("code", ["XYZ", "EURO", "", "XAU"])
    def test_unknown_codes_are_refused(self, code: str) -> None:
        with pytest.raises(ValidationError):
            money.currency(code)

    def test_amounts_keep_to_the_currencys_decimals(self) -> None:
        assert money.parse_amount("1.234", "KWD") == Decimal("1.234")
        assert money.parse_amount("10.00", "JPY") == Decimal("10.00")
        for bad, code in (("1.5", "JPY"), ("1.001", "EUR"), ("-1", "EUR"), ("NaN", "EUR"), ("1e999", "EUR")):
            with pytest.raises(ValidationError):
                money.parse_amount(bad, code)

    def test_three_ways_sum_to_the_whole(self) -> None:
        parts = money.allocate(money.Money(Decimal("100.00"), "EUR"), money.equal_shares(3))
        assert [p.amount for p in parts] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
        assert sum(money.equal_shares(3)) == 1

    @given(
        st.integers(min_value=0, max_value=10**12),
        st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=12),
    )
    def test_largest_remainder_is_exact_and_fair(self, total: int, weights: list[int]) -> None:
        parts = money.largest_remainder(total, [Decimal(w) for w in weights])
        assert sum(parts) == total
        whole = sum(weights)
        assert all(abs(Decimal(p) - Decimal(total) * w / whole) < 1 for p, w in zip(parts, weights, strict=True))


D = date(2026, 11, 20)  # Friday


def rate(day: date, base: str, quote: str, value: str, source: str = "t") -> fx.StoredRate:
    return fx.StoredRate(day, base, quote, Decimal(value), source)


class TestFx:
    def test_latest_on_or_before_within_the_staleness(self) -> None:
        table = fx.FxTable([rate(D, "USD", "EUR", "0.9")], max_age_days=7)
        used = table.lookup("USD", "EUR", date(2026, 11, 22))
        assert used is not None and (used.day, used.rate, used.via) == (D, Decimal("0.9"), "direct")
        assert table.lookup("USD", "EUR", date(2026, 11, 28)) is None
        assert table.lookup("USD", "EUR", date(2026, 11, 19)) is None

    def test_inverse_and_cross(self) -> None:
        table = fx.FxTable([rate(D, "EUR", "USD", "1.25"), rate(D, "EUR", "IDR", "17500")])
        inverse = table.lookup("USD", "EUR", D)
        assert inverse is not None and (inverse.rate, inverse.via) == (Decimal("0.8"), "inverse")
        cross = table.lookup("USD", "IDR", D)
        assert cross is not None and (cross.rate, cross.via) == (Decimal(14000), "cross:EUR")

    def test_ecb_daily_file_as_published(self) -> None:
        text = "Date, USD, JPY, GBP, CYP, \n 20 November 2026, 1.0500, 160.12, 0.8702, N/A, \n"
        rates = fx.parse_csv(text)
        assert {(r.day, r.base, r.quote, r.rate, r.source) for r in rates} == {
            (D, "EUR", "USD", Decimal("1.0500"), "ecb"),
            (D, "EUR", "JPY", Decimal("160.12"), "ecb"),
            (D, "EUR", "GBP", Decimal("0.8702"), "ecb"),
        }

    def test_bad_files_are_refused(self) -> None:
        for text in ("", "a,b\n1,2\n", "day,base,quote,rate\nnot-a-day,USD,EUR,1\n"):
            with pytest.raises(ValidationError):
                fx.parse_csv(text)
        with pytest.raises(ValidationError):
            fx.validate([rate(D, "USD", "XYZ", "1")])


class TestClicks:
    @pytest.mark.parametrize(
        "agent",
        [
            "Mozilla/5.0 (Linux; Android 10; Cubot X30) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
        ],
    )
    def test_phones_are_people(self, agent: str) -> None:
        assert not is_bot(agent)

    @pytest.mark.parametrize(
        "agent",
        ["Mozilla/5.0 (compatible; AhrefsBot/7.0)", "Mastodon/4.3.0 (http.rb/5.2; +https://x.social/)", "Bytespider"],
    )
    def test_crawlers_from_the_maintained_list(self, agent: str) -> None:
        assert is_bot(agent)

    def test_forwarded_headers_only_from_trusted_proxies(self) -> None:
        proxies = parse_proxies("10.0.0.0/8, 192.0.2.1")
        assert client_ip("10.1.1.1", "", "198.51.100.7, 10.2.2.2", proxies) == "198.51.100.7"
        assert client_ip("10.1.1.1", 'for="[2001:db8::1]:443";proto=https', "", proxies) == "2001:db8::1"
        assert client_ip("203.0.113.9", "", "198.51.100.7", proxies) == "203.0.113.9"
        assert client_ip("10.1.1.1", "", "1.2.3.4", ()) == "10.1.1.1"

    async def test_stop_during_a_write_loses_nothing(self) -> None:
        written: list[Click] = []
        started = asyncio.Event()

        async def slow_write(batch: list[Click]) -> None:
            started.set()
            await asyncio.sleep(0.05)
            written.extend(batch)

        buffer = ClickBuffer(slow_write, interval=0.01)
        buffer.start()
        ids = [uuid.uuid4() for _ in range(3)]
        for i in ids:
            buffer.add(Click(i, i, i, i, datetime.now(UTC), b"v", None, False))
        await started.wait()
        await buffer.stop()
        assert {c.click_id for c in written} == set(ids)


pytestmark = pytest.mark.anyio
