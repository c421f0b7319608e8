"""The house's analyzer: every folding, each in both directions, through the rules that use it."""

import threading

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.query import document, parse
from core.text import analyze, fold, fold_accents, joined_form, term, terms


def finds(rule: str, text: str) -> bool:
    return parse(rule).matches(document(title=text))


PAIRS = [
    # acronyms and mixed-case words: plural and possessive
    ("llm", "Evaluating LLMs on code"),
    ("gpu", "Training on 8 GPUs"),
    ("fpga", "Mapping networks to FPGAs"),
    ("npu", "Kernels for NPUs"),
    ("moe", "Sparse MoEs at scale"),
    ("cnn", "The CNNs' receptive fields"),
    ("vae", "Hierarchical VAEs"),
    ("llm", "The LLM's answer"),
    # British and American spellings
    ("quantization", "Post-training quantisation of transformers"),
    ("optimize", "We optimise the schedule"),
    ("analyze", "We analyse the failures"),
    ("behavior", "Emergent behaviour in agents"),
    ("center", "A data centre scheduler"),
    ("organization", "Organisation of memory"),
    # compounds: hyphenated, slashed, spaced and joined
    ("vision-language", "A vision language model"),
    ('"vision language"', "A vision-language model"),
    ("visionlanguage", "A vision-language model"),
    ("vision-language", "A visionlanguage model"),
    ("encoder/decoder", "An encoder decoder stack"),
    # numbers keep their units
    ("4-bit", "Weights in 4 bit"),
    ('"4 bit"', "Weights in 4-bit"),
    ("4bit", "Weights in 4-bit precision"),
    ("4bit", "Weights in 4 bit precision"),
    ("4-bit", "Weights in 4bit precision"),
    # case and accents
    ("uber", "Über alles"),
    ("naive", "A naïve baseline"),
    ("QUANTIZED", "quantization"),
]


@pytest.mark.parametrize(("rule", "text"), PAIRS)
def test_a_rule_finds_each_form_of_its_words(rule, text):
    assert finds(rule, text)


EQUIVALENT = [
    ("LLMs", "LLM"), ("GPUs", "gpu"), ("FPGAs", "fpga"), ("NPUs", "npu"), ("MoEs", "moe"),
    ("CNNs'", "cnn"), ("VAEs", "vae"), ("LLM's", "llm"),
    ("quantisation", "quantization"), ("optimise", "optimize"), ("optimised", "optimized"),
    ("analyse", "analyze"), ("behaviour", "behavior"), ("centre", "center"),
    ("organisation", "organization"),
    ("vision-language", "vision language"), ("vision-language", "visionlanguage"),
    ("4-bit", "4 bit"), ("4-bit", "4bit"), ("4 bit", "4bit"),
    ("Über", "uber"), ("naïve", "naive"),
]  # fmt: skip


@pytest.mark.parametrize(("one", "other"), EQUIVALENT)
def test_each_folding_holds_in_both_directions(one, other):
    assert finds(f'"{one}"', f"A paper on {other} today")
    assert finds(f'"{other}"', f"A paper on {one} today")


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("llm", "Balms and films"),  # no acronym in lowercase plurals
        ("gas", "Gaussian splats"),
        ("bit", "A habit of mind"),
        ("visionlanguage", "Vision and language"),  # joined only where written together
        ("4-bit", "4 and a bit"),
    ],
)
def test_it_does_not_overreach(rule, text):
    assert not finds(rule, text)


@pytest.mark.parametrize("rule", ["llms", "gpus", "fpgas", "cnns", "npus"])
def test_a_lowercase_plural_rule_still_finds_the_acronym_written_in_capitals(rule):
    # Before the analyzer knew acronyms, "llms" found "LLMs": it still does.
    assert finds(rule, f"Serving {rule.upper()[:-1]}s at scale")
    assert finds(rule, f"Serving {rule} at scale")
    assert parse(rule).matched_terms(document(title=f"{rule.upper()[:-1]}s")) == [rule]


def test_transformers_and_bus_are_left_to_the_stemmer():
    assert term("Transformers") == term("transformer")
    assert term("Bus") == "bus"


def test_joined_forms_stand_beside_the_run_not_in_it():
    analysis = analyze("vision-language models")
    assert analysis.runs == (("vision", "languag", "model"),)
    assert analysis.joined == {"visionlanguag"}
    assert joined_form("vision language") == joined_form("vision-language") == "visionlanguag"


def test_fold_keeps_accents_for_title_keys_and_fold_accents_drops_them():
    assert fold("Café") == "café"
    assert fold_accents("Café") == "cafe"
    assert fold("\uff26\uff55\uff4c\uff4c") == "full"  # full-width letters


@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12))
@example("ᾀ")  # its iota subscript folds to a letter: found by hypothesis
@example("\u037a")  # the iota subscript alone: a mark only once NFKC-normalized (hypothesis)
def test_case_never_changes_a_term_of_a_lowercase_word(word):
    lowered = word.lower()
    assert terms(lowered) == terms(fold(lowered))


@given(
    st.lists(st.from_regex(r"[a-z]{2,8}", fullmatch=True), min_size=2, max_size=3),
)
def test_hyphen_space_and_joined_forms_find_each_other(parts):
    spaced, hyphenated, joined = " ".join(parts), "-".join(parts), "".join(parts)
    for rule in (f'"{spaced}"', hyphenated):
        for text in (spaced, hyphenated):
            assert finds(rule, text), (rule, text)
    assert finds(hyphenated, joined)
    assert finds(joined, hyphenated)


def test_eight_threads_analyze_at_once_from_a_cold_cache():
    term.cache_clear()
    texts = [f"Quantisation of LLMs number {n} with vision-language models" for n in range(400)]
    expected = [analyze(text) for text in texts]
    term.cache_clear()
    errors, results = [], [None] * 8

    def work(slot: int) -> None:
        try:
            results[slot] = [analyze(text) for text in texts]
        except Exception as exc:  # pragma: no cover - what the test is looking for
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert all(result == expected for result in results)
