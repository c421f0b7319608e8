"""Acronyms that end in S are not plurals: "TTS" is not "TT"s. A lowercase rule is read as the
papers write it, through every path that parses a rule (the matcher's query, the search, the
rule feeds), in both directions: an acronym finds itself alone, a plural still finds its
singular."""

import random

import pytest

from core.query import document, parse
from newsletter.selectors import papers_matching
from papers import acronyms
from papers.search.results import search_papers

pytestmark = pytest.mark.django_db

# (rule, the acronym as papers write it, a sentence with it, its look-alike's sentence)
ACRONYMS = [
    ("tts", "TTS", "Zero-shot TTS with flow matching", "Compressing layers with TT decompositions"),
    ("gps", "GPS", "GPS trajectories for urban mobility", "Sparse GP regression at scale"),
    ("sds", "SDS", "Text-to-3D with SDS guidance", "Fine-tuning SD for image editing"),
    ("nas", "NAS", "Once-for-all NAS on mobile", "Imputing NA values in tables"),
    ("rms", "RMS", "RMS normalization in transformers", "An RM trained on preferences"),
    ("mds", "MDS", "MDS embeddings of distances", "MD simulations of proteins"),
    ("lhs", "LHS", "LHS designs for surrogates", "The LH ratio in endocrinology"),
    ("sms", "SMS", "SMS spam detection", "An SM for particle physics"),
    ("dns", "DNS", "DNS of turbulent channel flow", "A DN model of neurons"),
    ("cns", "CNS", "CNS tumour segmentation", "CN ratios of iron chains"),
    ("rss", "RSS", "RSS feeds of news", "RS imagery of crops"),
    ("mcs", "MCS", "MCS selection in wireless links", "MC dropout for uncertainty"),
]
# (rule, its singular as papers write it): plurals, as before.
PLURALS = [
    ("llms", "LLM"), ("gpus", "GPU"), ("cnns", "CNN"), ("vaes", "VAE"), ("gans", "GAN"),
    ("moes", "MoE"), ("fpgas", "FPGA"), ("npus", "NPU"), ("vlms", "VLM"), ("rnns", "RNN"),
]  # fmt: skip


@pytest.fixture
def make_paper(make_paper):
    """Papers whose abstract says nothing of case (the default one repeats the title lowercased,
    and a lowercase "tts" is a word the rule finds)."""
    return lambda title: make_paper(title, abstract="We report results.")


@pytest.fixture(autouse=True)
def _fresh():
    acronyms.forget()
    yield
    acronyms.forget()


def found(rule: str) -> set[str]:
    """The titles each path finds for `rule`: the matcher's query, the search, the feed's."""
    query = parse(rule)
    by_matcher = {t for _, t in papers_matching(query)}
    by_search = {p.title for p in search_papers(rule)[:100]}
    by_feed = {t for _, t in papers_matching(query, indexed=True)}
    assert by_matcher == by_search == by_feed, (rule, by_matcher, by_search, by_feed)
    return by_matcher


@pytest.mark.parametrize(("rule", "written", "own", "other"), ACRONYMS)
def test_a_lowercase_acronym_that_ends_in_s_finds_itself_and_not_its_look_alike(
    make_paper, rule, written, own, other
):
    make_paper(own)
    make_paper(other)
    singular = written[:-1]
    make_paper(f"Three {singular}s compared")  # its look-alike's plural, written once
    assert found(rule) == {own}
    assert found(written) == {own}  # as the papers write it


@pytest.mark.parametrize(("rule", "singular"), PLURALS)
def test_a_lowercase_plural_still_finds_its_singular_and_its_plural(make_paper, rule, singular):
    make_paper(f"Serving {singular}s at scale")
    make_paper(f"One {singular} to rule them")
    make_paper("Unrelated work on graphs")
    assert found(rule) == {f"Serving {singular}s at scale", f"One {singular} to rule them"}


def test_a_shouting_title_does_not_make_a_plural_an_acronym(make_paper):
    make_paper("EVALUATING LLMS ON CODE: A BENCHMARK")
    make_paper("Serving LLMs at scale")
    make_paper("An LLM for proofs")
    assert "An LLM for proofs" in found("llms")


def test_the_papers_decide_by_how_often_they_write_each(make_paper):
    # "GPs" (Gaussian processes) written 30 times, "GPS" once: under a tenth, a plural...
    for n in range(30):
        make_paper(f"Deep GPs number {n}")
    make_paper("GPS traces")
    assert "Deep GPs number 0" in found("gps")
    # ...and once written a tenth as often as the plural, an acronym.
    for n in range(3):
        make_paper(f"GPS receivers number {n}")
    assert "Deep GPs number 0" not in found("gps")


@pytest.mark.parametrize("seed", range(5))
def test_random_acronyms_and_plurals_in_one_corpus(make_paper, seed):
    rng = random.Random(seed)
    chosen = rng.sample(ACRONYMS, 4)
    plurals = rng.sample(PLURALS, 4)
    for _rule, _written, own, other in chosen:
        make_paper(own)
        make_paper(other)
    for _rule, singular in plurals:
        make_paper(f"Many {singular}s")
    for rule, _written, own, _other in chosen:
        assert found(rule) == {own}
    for rule, singular in plurals:
        assert found(rule) == {f"Many {singular}s"}


def test_without_papers_to_ask_a_lowercase_plural_is_a_plural():
    assert parse("tts").matches(document(title="TT layers"))  # nothing says otherwise
