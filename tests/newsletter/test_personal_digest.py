"""The personal ranking in digests: "Recommended for you" with reasons, a reader who follows
only their library, ties broken by their taste, retraining after feedback, and `recommend`."""

import io
from datetime import timedelta
from html import unescape

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from newsletter.digests.delivery import digests_send
from newsletter.models import Digest, ReaderModel, Subscriber
from newsletter.personal.training import reader_models_due, reader_models_train, reader_ranking
from newsletter.services.feedback import feedback_record
from newsletter.services.library import library_import
from newsletter.services.matching import matches_update
from newsletter.services.schedule import digests_create_now
from newsletter.tasks import train_due_reader_models
from papers.models import Paper

pytestmark = pytest.mark.django_db

QUANTIZATION = [
    ("Post-training quantization of LLM weights to 4 bits", "We quantize weights of large language models to four bits with calibration and outlier handling."),
    ("Activation quantization with outlier smoothing", "Outliers in activations make low-bit quantization hard; we smooth them per channel."),
    ("FP8 training and quantization-aware fine-tuning", "Low precision floating point formats and quantization-aware training keep accuracy."),
    ("Mixed-precision quantization for edge inference", "We search bit widths per layer for quantization under a latency budget."),
    ("Binary and ternary weight quantization revisited", "Extreme low-bit quantization of weights with learned scales."),
]  # fmt: skip
VERILOG = [
    ("Verilog generation with reinforcement learning", "An LLM writes Verilog modules rewarded by testbench results."),
    ("RTL repair agents for hardware bugs", "Agents fix Verilog and RTL designs from simulation failures."),
]  # fmt: skip
OTHER = [
    ("Gaussian splatting for city scenes", "We render large urban scenes with 3D Gaussians and level of detail."),
    ("Protein folding with diffusion", "A diffusion model predicts protein backbone structures from sequence."),
    ("Speech recognition for low-resource languages", "Self-supervised audio pretraining helps transcription of rare languages."),
    ("Robot grasping from tactile feedback", "Tactile sensors guide a robot hand to grasp unseen objects."),
]  # fmt: skip


@pytest.fixture
def papers(make_paper):
    made = {}
    for group, rows in (("q", QUANTIZATION), ("v", VERILOG), ("o", OTHER)):
        made[group] = [make_paper(title, abstract=abstract, upvotes=3) for title, abstract in rows]
    return made


def library_of(subscriber, papers):
    titles = "\n".join(f"TY  - JOUR\nTI  - {p.title}\nER  -\n" for p in papers)
    library_import(subscriber=subscriber, data=titles, name="library.ris")


def send(subscriber) -> Digest:
    matches_update()
    digests_create_now(subscriber_ids=[subscriber.pk], now=timezone.now())
    digests_send(subscriber_ids=[subscriber.pk])
    return Digest.objects.filter(subscriber=subscriber).latest("pk")


def test_a_reader_with_topics_gets_three_recommendations_with_reasons(
    papers, make_subscriber, outbox
):
    ada = make_subscriber("ada@example.org", "verilog", max_papers=10)
    library_of(ada, papers["q"][:2])
    reader_models_train(subscriber_ids=[ada.pk])
    digest = send(ada)
    assert digest.sections[0] == "verilog" and "Recommended for you" in digest.sections
    section = digest.sections.index("Recommended for you")
    recommended = [row for row in digest.items if row[2] == [section]]
    ids = [row[0] for row in recommended]
    assert len(ids) == 3
    assert set(ids[:3]) <= {p.pk for p in papers["q"][2:]}  # like the library, never in it
    assert all(
        row[3].startswith("like “") and row[3].endswith("” in your library") for row in recommended
    )
    html, text = unescape(outbox[0].alternatives[0][0]), outbox[0].body
    assert "Recommended like “" in html and "Recommended like “" in text
    assert outbox[0].subject.startswith("2 new papers on verilog")


def test_a_reader_who_follows_only_a_library(papers, make_subscriber, outbox):
    ada = make_subscriber("ada@example.org", max_papers=4)
    library_of(ada, papers["q"][:1])
    reader_models_train(subscriber_ids=[ada.pk])
    digest = send(ada)
    assert digest.status == "sent" and digest.sections == ["Recommended for you"]
    assert len(digest.items) == 4
    assert [row[0] for row in digest.items][:3] != []
    assert {row[0] for row in digest.items[:3]} <= {p.pk for p in papers["q"][1:]}
    assert outbox[0].subject.startswith("4 papers recommended for you — ")
    assert "4 papers recommended for you" in outbox[0].body


def test_disliked_and_library_papers_are_never_recommended(papers, make_subscriber):
    ada = make_subscriber("ada@example.org", max_papers=10)
    library_of(ada, papers["q"][:2])
    feedback_record(subscriber=ada, paper=papers["q"][2], verdict=-1)
    reader_models_train(subscriber_ids=[ada.pk])
    digest = send(ada)
    sent = {row[0] for row in digest.items}
    assert not sent & {papers["q"][0].pk, papers["q"][1].pk, papers["q"][2].pk}
    assert len(sent) == len(QUANTIZATION + VERILOG + OTHER) - 3


def test_the_ranking_breaks_ties_in_the_trending_order(make_paper, make_subscriber):
    # Same upvotes, same day: the trending score cannot tell them apart; the reader's taste can.
    plain = make_paper("Benchmark of protein models", abstract="A benchmark of protein folding.")
    liked = make_paper(
        "Benchmark of quantization", abstract="A benchmark of low-bit quantization of weights."
    )
    for title, abstract in QUANTIZATION[:3]:
        make_paper(title, abstract=abstract)
    ada = make_subscriber("ada@example.org", "benchmark")
    first = send(ada)
    assert [row[0] for row in first.items[:2]] == [plain.pk, liked.pk]  # by id, without taste

    bob = make_subscriber("bob@example.org", "benchmark")
    library_of(bob, list(Paper.objects.filter(title__in=[t for t, _ in QUANTIZATION[:3]])))
    reader_models_train(subscriber_ids=[bob.pk])
    second = send(bob)
    assert [row[0] for row in second.items[:2]] == [liked.pk, plain.pk]


def test_feedback_trains_the_model_again_after_a_pause(papers, make_subscriber):
    ada = make_subscriber("ada@example.org", "verilog")
    feedback_record(subscriber=ada, paper=papers["q"][0], verdict=1)
    assert not reader_models_due().exists()  # clicks in a row train once, a minute later
    later = timezone.now() + timedelta(minutes=2)
    assert list(reader_models_due(now=later)) == [ada]
    Subscriber.objects.filter(pk=ada.pk).update(
        taste_changed_at=timezone.now() - timedelta(minutes=2)
    )
    assert train_due_reader_models.delay().get() == 1
    model = ReaderModel.objects.get(subscriber=ada)
    assert model.positive_count == 1 and model.weights and len(model.weights) <= 300
    assert model.positives[0][:2] == ["liked", papers["q"][0].title]
    assert not reader_models_due(now=later).exists()

    feedback_record(subscriber=ada, paper=papers["q"][0], verdict=-1)  # no positive left
    ReaderModel.objects.update(trained_at=timezone.now() - timedelta(minutes=10))
    Subscriber.objects.filter(pk=ada.pk).update(
        taste_changed_at=timezone.now() - timedelta(minutes=2)
    )
    train_due_reader_models.delay()
    assert not ReaderModel.objects.filter(subscriber=ada).exists()


def test_papers_older_than_the_corpus_teach_by_their_text(
    papers, make_paper, make_subscriber, django_assert_max_num_queries
):
    """A library and ratings of papers outside the recent corpus (listed months ago): their
    texts are read, in one more query, and learned from as a recent paper's row would be."""
    months_ago = timezone.now().date() - timedelta(days=90)
    old = [
        make_paper(title, abstract=abstract, listed_on=months_ago, first_seen_at=timezone.now()
                   - timedelta(days=90))
        for title, abstract in (
            ("Ternary quantization of transformer weights", "Weights quantized to three levels."),
            ("Quantization error bounds for attention", "We bound quantization error in attention."),
            ("A survey of verilog testbenches", "Testbenches for verilog designs, surveyed."),
        )
    ]  # fmt: skip
    ada = make_subscriber("ada@example.org", "verilog")
    library_of(ada, old[:1])
    feedback_record(subscriber=ada, paper=old[1], verdict=1)
    feedback_record(subscriber=ada, paper=old[2], verdict=-1)
    library_of(ada, papers["q"][:1])  # and a recent one, read from the corpus
    with django_assert_max_num_queries(8):
        assert reader_models_train(subscriber_ids=[ada.pk]) == 1
    model = ReaderModel.objects.get(subscriber=ada)
    assert model.positive_count == 3
    assert [p[:2] for p in model.positives] == [
        ["library", old[0].title], ["library", papers["q"][0].title], ["liked", old[1].title],
    ]  # fmt: skip
    # in the words the corpus knows, stemmed
    assert "ternari" in model.positives[0][2] and "quantiz" in model.positives[2][2]
    assert model.weights["quantiz"] > 0 and model.weights["verilog"] < 0
    assert set(model.known_ids) == {old[0].pk, old[1].pk, old[2].pk, papers["q"][0].pk}


def test_a_batch_with_rankings_still_reads_its_matches_in_one_query(
    papers, make_subscriber, django_assert_max_num_queries
):
    readers = [make_subscriber(f"r{n}@example.org", "verilog") for n in range(20)]
    for reader in readers:
        library_of(reader, papers["q"][:2])
    reader_models_train(subscriber_ids=[r.pk for r in readers])
    matches_update()
    digests_create_now(subscriber_ids=[r.pk for r in readers], now=timezone.now())
    digests_send(subscriber_ids=[readers[0].pk])  # a first batch reads the recent papers' text
    with django_assert_max_num_queries(5):
        report = digests_send(subscriber_ids=[r.pk for r in readers[1:]])
    assert report.sent == 19


def corpus_asked(queries) -> bool:
    """Whether a batch asked if the recent papers changed (the UNION's aggregate part)."""
    return any("COUNT(" in q["sql"].upper() and "UNION" in q["sql"].upper() for q in queries)


def test_whether_the_recent_papers_changed_is_asked_once_a_minute(
    papers, make_subscriber, make_paper, monkeypatch, django_assert_max_num_queries
):
    from newsletter.digests import assembly
    from newsletter.personal import training

    readers = [make_subscriber(f"r{n}@example.org", "verilog") for n in range(4)]
    for reader in readers:
        library_of(reader, papers["q"][:2])
    reader_models_train(subscriber_ids=[r.pk for r in readers])
    matches_update()
    clock = [1000.0]
    monkeypatch.setattr(assembly.time, "monotonic", lambda: clock[0])

    def batch(reader):
        digests_create_now(subscriber_ids=[reader.pk], now=timezone.now())
        with django_assert_max_num_queries(8) as queries:
            assert digests_send(subscriber_ids=[reader.pk]).sent == 1
        return corpus_asked(queries.captured_queries)

    assert batch(readers[0])  # a process's first batch asks
    clock[0] += assembly.CORPUS_CHECK_SECONDS - 1
    assert not batch(readers[1])  # within the minute: the answer it has
    new = make_paper("Verilog agents that quantize their own weights", upvotes=9)
    clock[0] += 1
    assert batch(readers[2])  # a minute on: asked again, and the new paper is in the corpus
    assert new.pk in training._features_cache["corpus"][1].listed
    monkeypatch.setattr(assembly, "corpus_since", lambda now: now - timedelta(days=29))
    assert batch(readers[3])  # a new day's window: asked at once


def test_recommend_command(papers, make_subscriber):
    ada = make_subscriber("ada@example.org", "verilog")
    library_of(ada, papers["q"][:2])
    out = io.StringIO()
    call_command("recommend", "ada@example.org", "--limit", "3", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    pk, score, title, why = lines[0].split("\t")
    assert int(pk) in {p.pk for p in papers["q"][2:]} and float(score)
    assert why.startswith("like “") and "in your library (" in why
    assert title not in {p.title for p in papers["q"][:2]}
    with pytest.raises(CommandError, match=r"YYYY|2026-11-23"):
        call_command("recommend", "ada@example.org", "--since", "yesterday", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No subscriber"):
        call_command("recommend", "nobody@example.org", stdout=io.StringIO())
    make_subscriber("bob@example.org", "verilog")
    with pytest.raises(CommandError, match="nothing to learn"):
        call_command("recommend", "bob@example.org", stdout=io.StringIO())


def test_a_reason_names_the_positive_the_paper_is_like(papers, make_subscriber):
    """A library of stored and unstored papers, in any order: each recommendation names the one
    it resembles."""
    ada = make_subscriber("ada@example.org", max_papers=10)
    ris = (
        f"TY  - JOUR\nTI  - {papers['q'][0].title}\nER  -\n"
        "TY  - JOUR\nTI  - Folding proteins with score models\n"
        "AB  - A diffusion model predicts protein structures from sequences.\nER  -\n"
        f"TY  - JOUR\nTI  - {papers['v'][0].title}\nER  -\n"
    )
    library_import(subscriber=ada, data=ris, name="mixed.ris")
    found = {r.title: r.reason for r in reader_ranking(subscriber=ada, limit=20)}
    assert found["Protein folding with diffusion"] == (
        "like “Folding proteins with score models” in your library"
    )
    assert (
        found["RTL repair agents for hardware bugs"]
        == f"like “{papers['v'][0].title}” in your library"
    )
    assert papers["q"][0].title not in found  # never a paper of the library


def test_the_admin_lists_ratings_libraries_and_rankings(admin_client, papers, make_subscriber):
    ada = make_subscriber("ada@example.org", "verilog")
    library_of(ada, papers["q"][:2])
    feedback_record(subscriber=ada, paper=papers["o"][0], verdict=-1)
    reader_models_train(subscriber_ids=[ada.pk])
    for name in ("feedback", "libraryentry", "readermodel"):
        page = admin_client.get(f"/admin/newsletter/{name}/")
        assert page.status_code == 200 and "ada@example.org" in page.content.decode(), name
    model = admin_client.get(f"/admin/newsletter/readermodel/{ada.pk}/change/").content.decode()
    assert "quantiz" in model  # its top terms
