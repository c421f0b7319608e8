"""Papers like this one: each paper's page shows up to 6 similar papers by the personal ranking's
features, each with the words they share; hidden papers never appear."""

import io
import random
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsletter.personal.similar import papers_similar_update
from newsletter.tasks import train_similar_papers
from papers.models import Paper

pytestmark = pytest.mark.django_db

TOPICS = {
    "quantization": ["quantization", "low-bit", "integer", "weights", "activations", "outliers"],
    "graphs": ["graph", "neural", "message", "passing", "nodes", "edges"],
    "proteins": ["protein", "folding", "structure", "residues", "binding", "sequence"],
    "speech": ["speech", "synthesis", "vocoder", "prosody", "speaker", "waveform"],
    "robots": ["robot", "manipulation", "grasping", "policy", "embodied", "tactile"],
}
FILLER = ["we", "propose", "a", "method", "results", "show", "improvements", "over", "baselines"]


@pytest.fixture
def corpus(make_paper):
    """Ten papers per topic, their words drawn at random, with shared filler."""
    rng = random.Random(7)
    papers = {}
    for topic, words in TOPICS.items():
        for n in range(10):
            drawn = rng.sample(words, 4) + rng.sample(FILLER, 4)
            title = f"{' '.join(drawn[:3]).capitalize()} study {topic} {n}"
            abstract = " ".join(rng.choices(words, k=20) + rng.choices(FILLER, k=20))
            papers[(topic, n)] = make_paper(title, abstract=abstract, upvotes=n)
    return papers


def shown(client, paper: Paper) -> list[tuple[int, str]]:
    html = client.get(f"/papers/{paper.pk}/").content.decode()
    if "Similar papers" not in html:
        return []
    section = html.split('id="similar-papers"')[1].split("</section>")[0]
    ids = [int(pk) for pk in re.findall(r'href="/papers/(\d+)/"', section)]
    shares = re.findall(r'class="shared">Shares: ([^<]*)<', section)
    return list(zip(ids, shares, strict=True))


def test_a_papers_page_shows_six_similar_papers_on_its_topic_with_shared_words(client, corpus):
    assert papers_similar_update() == 50
    topic_of = {paper.pk: topic for (topic, _), paper in corpus.items()}
    for (topic, n), paper in corpus.items():
        similar = shown(client, paper)
        assert len(similar) == 6, (topic, n)
        assert paper.pk not in [pk for pk, _ in similar]
        on_topic = sum(topic_of[pk] == topic for pk, _ in similar)
        assert on_topic == 6, (topic, n, [topic_of[pk] for pk, _ in similar])
        for _, words in similar:
            assert words and any(w in " ".join(TOPICS[topic]) for w in words.split(", "))


def test_hidden_papers_never_appear(client, corpus):
    papers_similar_update()
    paper = corpus[("graphs", 0)]
    first = shown(client, paper)[0][0]
    Paper.objects.filter(pk=first).update(hidden=True)
    assert first not in [pk for pk, _ in shown(client, paper)]
    assert len(shown(client, paper)) == 6  # the next one takes its place
    # and once worked out again, a hidden paper is not a neighbour at all
    Paper.objects.update(similar_at=None)
    papers_similar_update()
    assert all(first not in [row[0] for row in p.similar] for p in Paper.objects.all())


def test_only_what_is_due_is_worked_out_again(corpus):
    assert train_similar_papers() == 50
    assert train_similar_papers() == 0  # nothing new, nothing changed, not a day old
    paper = corpus[("speech", 3)]
    Paper.objects.filter(pk=paper.pk).update(text_changed_at=timezone.now())
    assert papers_similar_update() == 1
    assert papers_similar_update(everything=True) == 50


def test_the_command_says_what_it_did(corpus):
    out = io.StringIO()
    call_command("similar_papers", "--no-progress", stdout=out)
    assert "50 papers worked out" in out.getvalue()


def test_a_paper_with_no_neighbours_yet_shows_no_section(client, corpus):
    assert shown(client, corpus[("robots", 1)]) == []
