"""Amounts as people read them (issue: "113726590.00 元")."""
from decimal import Decimal

from django.utils import translation

from wangge.core.templatetags.core_tags import money


def test_chinese_counts_in_wan_from_ten_thousand_up():
    with translation.override("zh-hans"):
        assert money(Decimal("113726590.00")) == "11,372.66 万元"
        assert money(Decimal("11372659")) == "1,137.27 万元"
        assert money(Decimal("8500")) == "8,500.00 元"
        assert money(None) == ""


def test_english_shows_the_whole_amount_grouped():
    with translation.override("en"):
        assert money(Decimal("113726590.00")) == "113,726,590.00 yuan"
        assert money("12.5") == "12.50 yuan"
