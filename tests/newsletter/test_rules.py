import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.query import QueryError, document, parse
from tests.conftest import examples

PAPER = document(
    title="LLM-FP4: 4-Bit Floating-Point Quantized Transformers",
    abstract=(
        "We propose LLM-FP4 for quantizing both weights and activations in large language "
        "models. Speculative decoding is not used. Code is available on GitHub."
    ),
    authors=["Shih-yang Liu", "Zechun Liu", "Geoffrey Hinton"],
    org="deepseek-ai DeepSeek",
)


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        ("quantization", True),  # stemming: "quantized", "quantizing"
        ("QUANTIZE", True),  # case
        ("pruning", False),
        ('"speculative decoding"', True),
        ('"decoding speculative"', False),  # a phrase keeps its order
        ('"language models"', True),
        ("quantization transformers", True),  # AND
        ("quantization pruning", False),
        ("pruning OR quantization", True),
        ("pruning or distillation", False),
        ("quantization -speculative", False),
        ("quantization -survey", True),
        ('quantization -"speculative decoding"', False),
        ("title:transformers", True),
        ("title:activations", False),  # only in the abstract
        ("author:hinton", True),
        ('author:"geoffrey hinton"', True),
        ('author:"zechun hinton"', False),  # a phrase never spans two authors
        ("author:quantization", False),
        ("org:deepseek", True),
        ("org:deepseek-ai", True),
        ("org:liquid", False),
        ("llm-fp4", True),  # punctuation inside a word is a phrase of its parts
        ("fp4 OR pruning -survey title:bit", True),
    ],
)
def test_a_rule_matches_the_paper_it_describes(rule, matches):
    assert parse(rule).matches(PAPER) is matches


@pytest.mark.parametrize(
    ("rule", "message", "column"),
    [
        ("", "The rule is empty", None),
        ("   ", "The rule is empty", None),
        ('"speculative decoding', "This quote is never closed", 1),
        ("llm titel:diffusion", 'Unknown field "titel:"', 5),
        ("OR pruning", "OR needs a term before it", 1),
        ("pruning OR", "OR needs a term after it", 10),
        ("pruning OR OR distillation", "OR needs a term before it", 12),
        ("llm -", 'Nothing follows "-"', 5),
        ("title: llm", "Nothing follows a field name", 1),
        ("-survey", "The rule only excludes", None),
        ("llm -survey OR review", "An exclusion cannot be part of an OR group", 13),
        ("llm OR -survey", "An exclusion cannot be part of an OR group", 8),
        ("!!!", "!!! has no letters or digits", 1),
        ('llm ""', '"" has no letters or digits', 5),
        ("x " * 200, "The rule is too long", None),
        (" ".join(f"w{i}" for i in range(13)), "too many terms", None),
    ],
)
def test_a_rule_that_does_not_parse_says_what_and_where(rule, message, column):
    with pytest.raises(QueryError) as caught:
        parse(rule)
    assert message in caught.value.message
    assert caught.value.column == column


def test_matched_terms_are_the_subscribers_own_words():
    rule = parse('Quantization OR pruning "language models" -survey')
    assert rule.matched_terms(PAPER) == ["Quantization", "language models"]
    assert parse("pruning").matched_terms(PAPER) == []


def test_a_rule_has_a_short_label_of_what_it_looks_for():
    assert parse("quantization  verilog OR vhdl -survey").label() == "quantization, verilog or vhdl"


@settings(max_examples=examples(500), deadline=None)
@given(st.text(max_size=120))
def test_any_text_either_parses_or_raises_the_documented_error(text):
    try:
        rule = parse(text)
    except QueryError as exc:
        assert exc.message
        assert exc.column is None or 1 <= exc.column <= max(len(text), 1)
    else:
        assert rule.included
        rule.matches(PAPER)


ALPHABET = st.sampled_from(
    ["a", "b", " ", '"', "-", ":", "OR", "or", "title", "author", "org", "é", "1", "\t"]
)


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_rule_shaped_text_either_parses_or_raises_the_documented_error(text):
    try:
        parse(text)
    except QueryError as exc:
        assert exc.message
