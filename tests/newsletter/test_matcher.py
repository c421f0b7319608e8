"""The inverted-index matcher against a brute-force oracle: the same match set, always."""

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from core.query import QueryError, document, parse
from newsletter.matcher import Matcher
from tests.conftest import examples

WORDS = ["quantization", "quantized", "llm", "model", "models", "verilog", "rtl", "sparse",
         "attention", "decoding", "speculative", "survey", "hinton", "deepseek", "liquid", "bit"]  # fmt: skip
words = st.sampled_from(WORDS)
sentences = st.lists(words, min_size=0, max_size=12).map(" ".join)


@st.composite
def rules(draw) -> str:
    """Rules drawn like real topics: terms, phrases, exclusions, OR groups and field prefixes."""
    clauses = []
    for _ in range(draw(st.integers(1, 3))):
        terms = []
        for _ in range(draw(st.integers(1, 3))):
            field = draw(st.sampled_from(["", "", "", "title:", "author:", "org:"]))
            if draw(st.booleans()):
                term = '"' + " ".join(draw(st.lists(words, min_size=2, max_size=3))) + '"'
            else:
                term = draw(words)
            terms.append(field + term)
        if len(terms) == 1 and draw(st.integers(0, 4)) == 0:
            clauses.append("-" + terms[0])
        else:
            clauses.append(" OR ".join(terms))
    return " ".join(clauses)


papers = st.builds(
    lambda title, abstract, authors, org: document(title=title, abstract=abstract, authors=authors, org=org),
    sentences, sentences, st.lists(sentences, max_size=3), sentences,
)  # fmt: skip


def parsed(texts: list[str]):
    out = []
    for key, text in enumerate(texts):
        with contextlib.suppress(QueryError):  # e.g. a rule that only excludes
            out.append((key, parse(text)))
    return out


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(rules(), min_size=1, max_size=25), st.lists(papers, min_size=1, max_size=8))
def test_the_index_finds_exactly_what_checking_every_rule_finds(rule_texts, docs):
    rule_list = parsed(rule_texts)
    matcher = Matcher(rule_list)
    for doc in docs:
        oracle = {key for key, rule in rule_list if rule.matches(doc)}
        assert set(matcher.match(doc)) == oracle


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(rules(), min_size=1, max_size=25), papers, st.dictionaries(words, st.integers(0, 50))
)
def test_word_frequencies_change_the_work_never_the_answer(rule_texts, doc, counts):
    rule_list = parsed(rule_texts)
    with_counts = Matcher(rule_list, frequencies=counts)
    assert set(with_counts.match(doc)) == set(Matcher(rule_list).match(doc))


def test_many_rules_sharing_a_common_word_still_match_only_where_all_clauses_hold():
    rule_list = [(n, parse(f"word{n} common")) for n in range(1000)]
    rule_list.append(("phrase", parse('"common word7"')))
    matcher = Matcher(rule_list, frequencies={"common": 1000})
    assert matcher.match(document(title="word7 and common things")) == [7]
    assert set(matcher.match(document(title="common word7"))) == {7, "phrase"}
