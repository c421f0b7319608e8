"""The site's search reads an index of the house analyzer's terms (papers/search.py): it finds
what a topic rule with the same words matches, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from core.query import document, parse
from core.text import analyze
from papers.models import Paper
from papers.search import Entry, papers_unindexed, parse_query, search_papers

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 23)


def paper(title, abstract="", **fields):
    fields.setdefault("listed_on", DAY)
    return Paper.objects.create(title=title, title_key=title.lower(), abstract=abstract, **fields)


def found(query: str) -> list[str]:
    results = search_papers(query)
    return [p.title for p in results[: results.count()]]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Serving LLMs on GPUs", "llm gpu"),
        ("Serving an LLM on a GPU", "LLMs GPUs"),
        ("FPGAs and NPUs for MoEs", "fpga npu moe"),
        ("The CNNs' receptive fields", "cnn"),
        ("Post-training quantisation", "quantization"),
        ("We optimize the kernels", "optimise"),
        ("A vision-language model", "vision language"),
        ("A vision-language model", "visionlanguage"),
        ("A vision language model", "vision-language"),
        ("Training in 4-bit precision", "4 bit"),
        ("Training in 4 bit precision", "4-bit"),
        ("Über-efficient decoding", "uber"),
        ("The model's errors", "models"),
        ("Quantized transformers", '"quantization transformer"'),
    ],
)
def test_search_folds_as_the_analyzer_does(text, query):
    paper("Noise", abstract="Nothing of the kind.")
    paper(text)
    assert found(query) == [text]


def test_phrases_or_and_exclusions():
    paper("Speculative decoding for drafts")
    paper("Decoding speculative branches")
    paper("A survey of pruning")
    paper("Distillation at scale")
    assert found('"speculative decoding"') == ["Speculative decoding for drafts"]
    assert set(found("speculative decoding")) == {
        "Speculative decoding for drafts",
        "Decoding speculative branches",
    }
    assert set(found("pruning OR distillation")) == {"A survey of pruning", "Distillation at scale"}
    assert found("pruning OR distillation -survey") == ["Distillation at scale"]
    assert found("-survey") == [] and search_papers("-survey").query.problem
    assert found("!!! ???") == [] and search_papers("").query.problem


def test_operators_in_a_query_are_words_and_never_errors():
    paper("NEAR and NOT are words here: a (parenthesized) * star")
    for query in ["near not", "NOT", "(parenthesized)", "star*", '"unclosed', "a:b", "'quote'"]:
        results = search_papers(query)
        assert results.count() == len(results[:100])  # no syntax error from either engine
    assert found("near not") == ["NEAR and NOT are words here: a (parenthesized) * star"]


def test_titles_rank_first_featured_before_all_and_hidden_never():
    paper("Speculative decoding at scale", upvotes=1)
    paper("Another paper", abstract="We improve speculative decoding for drafts.", upvotes=90)
    paper("A featured one", abstract="Speculative decoding, featured.", featured=True)
    paper("Hidden speculative decoding", hidden=True)
    assert found("speculative decoding") == [
        "A featured one",
        "Speculative decoding at scale",
        "Another paper",
    ]


def test_pages_are_read_a_page_at_a_time_in_one_order(client):
    for number in range(45):
        paper(f"Quantization study {number}", upvotes=number)
    first = client.get("/", {"q": "quantization"})
    second = client.get("/", {"q": "quantization", "page": 2})
    assert first.context["page"].paginator.count == 45
    titles = [p.title for p in first.context["page"]] + [p.title for p in second.context["page"]]
    assert titles == [f"Quantization study {n}" for n in range(44, -1, -1)]
    assert "45 papers for" in first.content.decode()


def test_the_page_says_why_a_query_finds_nothing(client):
    page = client.get("/", {"q": "-survey"}).content.decode()
    assert "a search cannot only exclude" in page
    assert "Nothing matches" in client.get("/", {"q": "zzzyzx"}).content.decode()


def test_the_index_follows_edits_deletions_and_ingests(
    admin_client, ingest_bytes, django_capture_on_commit_callbacks
):
    edited = paper("Old words here")
    assert found("old") == ["Old words here"]
    response = admin_client.post(
        f"/admin/papers/paper/{edited.pk}/change/",
        {
            "title": "New words here",
            "abstract": "",
            "authors": "[]",
            "categories": "[]",
            "ai_keywords": "[]",
            "upvote_history-TOTAL_FORMS": 0,
            "upvote_history-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert found("old") == [] and found("new") == ["New words here"]
    edited.delete()
    assert found("new") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM papers_search WHERE rowid = %s", [edited.pk])
            assert cursor.fetchone()[0] == 0

    feed = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <entry><id>http://arxiv.org/abs/2411.00001v1</id><title>Sparse routers</title>
      <summary>Mixture-of-experts routing.</summary><published>2024-11-01T00:00:00Z</published>
      <author><name>A. Author</name></author></entry></feed>"""
    with django_capture_on_commit_callbacks(execute=True):
        ingest_bytes(feed, source="first.xml")
    assert found("mixture of experts") == ["Sparse routers"]
    with django_capture_on_commit_callbacks(execute=True):
        ingest_bytes(feed.replace(b"Mixture-of-experts", b"Token"), source="second.xml")
    assert found("mixture of experts") == [] and found("token routing") == ["Sparse routers"]
    assert not papers_unindexed().exists()


def agree(queries: list[str]) -> None:
    """The search finds, for each query, exactly the papers a rule with its text matches."""
    documents = [
        (title, document(title=title, abstract=abstract, authors=authors,
                         org=f"{handle or ''} {name or ''}"))
        for title, abstract, authors, handle, name in Paper.objects.values_list(
            "title", "abstract", "authors", "organization__handle", "organization__name"
        )
    ]  # fmt: skip
    for query in queries:
        rule = parse(query)
        expected = {title for title, doc in documents if rule.matches(doc)}
        assert set(found(query)) == expected, query
        assert expected, f"{query!r} should find something on a real day"


def test_search_finds_what_a_rule_with_the_same_words_matches(
    shared, ingest_file, django_capture_on_commit_callbacks
):
    """On a real arXiv day, the search and the matcher agree paper for paper, fields included."""
    with django_capture_on_commit_callbacks(execute=True):
        ingest_file(shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")
    assert Paper.objects.count() == 935
    agree([
        "language model",
        '"language model"',
        "LLMs",
        "quantisation OR pruning",
        "diffusion -video",
        "vision-language",
        '"reinforcement learning" agents',
        "graph neural networks",
        "2-bit",
        "fine tuning",
        "multiagent OR low-rank",
        "benchmark OR benchmarks",
        "zero-shot",
        "transformer's",
        "title:transformer",
        'title:"language model"',
        "title:vision-language",
        "abstract:benchmark",
        'abstract:"reinforcement learning"',
        "title:diffusion -abstract:image",
        "author:wang",
        'author:"wei wang"',
        'author:"Ming-Hsuan Yang"',
        "author:mukhopadhyay",
        "author:li -author:wang",
        "author:chen diffusion",
        "author:zhang OR author:liu",
        "author:burkard OR quantum",  # an OR of a name and a word
        "learning -author:wang",
        'author:"yang yang" OR title:llm',
    ])  # fmt: skip


def test_search_finds_an_organizations_papers_as_a_rule_does(
    shared, ingest_file, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        for dump in sorted((shared / "dumps").glob("*.txt")):
            ingest_file(dump)
        ingest_file(shared / "feeds" / "hf-daily-papers.json")
    agree([
        "org:deepseek-ai",
        "org:deepseek",
        'org:"liquid ai"',
        "org:liquidai",
        "org:furonghuang-lab",
        'org:"Nanyang Technological University"',
        "org:deepseek OR org:zyphra",
        "model -org:deepseek-ai",
        "org:deepseek-ai hardware OR scaling",
    ])  # fmt: skip
    page = client.get("/search/", {"q": "org:deepseek-ai"})
    assert [p.title for p in page.context["page"]] == [
        "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI "
        "Architectures"
    ]  # in two of the dumps, stored once


def test_a_search_by_author_and_subject(client):
    paper("Quantized LLMs on the edge", authors=["Song Han", "Ji Lin"], upvotes=3)
    paper("Quantization, again", authors=["Han Song"], upvotes=9)  # another person
    paper("Sparse attention", authors=["Song Han"])
    paper("Quantization of everything", authors=["Ada Song", "Bo Han"])  # no "Song Han"
    response = client.get("/search/", {"q": 'author:"Song Han" quantization'})
    assert [p.title for p in response.context["page"]] == ["Quantized LLMs on the edge"]
    assert found("author:han") == [
        "Quantization, again", "Quantized LLMs on the edge", "Quantization of everything",
        "Sparse attention",
    ]  # by upvotes: a search of names alone has no relevance to rank by  # fmt: skip
    assert found('-author:"song han" quantization') == [
        "Quantization, again", "Quantization of everything",
    ]  # fmt: skip


def test_a_search_box_reads_any_text_and_says_what_it_cannot_search():
    paper("Colons: a:b and c", abstract="Quotes and such.")
    for query in ["titel:colons", "a:b", 'title:"colons', "OR OR", "x " * 400, "author:", "-"]:
        results = search_papers(query)
        assert results.count() == len(results[:100])
    assert found("a:b") == ["Colons: a:b and c"]
    assert found('title:"colons') == ["Colons: a:b and c"]  # an unclosed quote runs to the end
    assert search_papers("-").query.problem and search_papers("author:").query.problem


def test_an_entry_holds_the_analyzers_terms_and_joined_forms():
    entry = Entry.of(1, "Vision-language models", "In 4 bit.")
    assert entry.title == analyze("Vision-language models").runs[0]
    assert set(entry.extra) == {"visionlanguag", "4bit"} and entry.title_extra == 1
    assert entry.tsvector().startswith("'vision':1A 'languag':2A 'model':3A 'visionlanguag':5A")


def test_queries_become_engine_syntax_with_every_term_quoted():
    query = parse_query('llms "vision-language" OR vlm -survey')
    assert (
        query.fts5()
        == '(("llms" OR "llm") AND ("vision languag" OR "visionlanguag" OR "vlm")) NOT ("survey")'
    )
    assert query.tsquery() == (
        "('llms' | 'llm') & ('vision' <-> 'languag' | 'visionlanguag' | 'vlm') & !('survey')"
    )


def test_search_index_command_catches_up_and_rebuilds(capsys):
    first = paper("Kernel fusion")
    Paper.objects.filter(pk=first.pk).update(search_indexed_at=None, title="Kernel tiling")
    assert found("tiling") == []
    call_command("search_index")
    assert "Indexed 1 paper for search." in capsys.readouterr().out
    assert found("tiling") == ["Kernel tiling"]
    call_command("search_index", "--rebuild")
    assert "Indexed 1 paper for search." in capsys.readouterr().out
    assert found("tiling") == ["Kernel tiling"]


def test_search_reads_the_full_text_index():
    paper("Speculative decoding")
    results = search_papers("speculative decoding")
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # is the index usable at all?
            plan = results.explain()
        assert "papers_searchentry_gin" in plan
    else:
        plan = results.explain()
        assert "VIRTUAL TABLE INDEX" in plan and "SCAN p\n" not in plan + "\n"


def test_a_tie_running_past_a_page_is_broken_by_upvotes_on_every_page(client):
    for number in range(100):  # one rank for all: the same words
        paper(f"Quantization study {number}", upvotes=(number * 37) % 100)
    seen = []
    for page in (1, 2, 3, 4):
        response = client.get("/search/", {"q": "quantization", "page": page})
        seen += [p.upvotes for p in response.context["page"]]
    assert seen == sorted(seen, reverse=True) and len(seen) == 100


def test_the_admins_hide_and_feature_actions_reach_search_at_once(admin_client):
    first = paper("Speculative decoding at scale", upvotes=50)
    second = paper("Speculative decoding, again", upvotes=1)
    changelist = "/admin/papers/paper/"
    admin_client.post(changelist, {"action": "feature", "_selected_action": [second.pk]})
    assert found("speculative decoding") == [second.title, first.title]
    admin_client.post(changelist, {"action": "hide", "_selected_action": [first.pk]})
    assert found("speculative decoding") == [second.title]
    assert search_papers("speculative decoding").count() == 1
    admin_client.post(changelist, {"action": "unhide", "_selected_action": [first.pk]})
    assert search_papers("speculative decoding").count() == 2


def test_a_search_counts_and_shows_its_best_thousand(client, monkeypatch):
    from papers.search import results as search

    monkeypatch.setattr(search, "RESULTS_MAX", 40)
    for number in range(45):
        paper(f"Quantization study {number}", upvotes=number)
    page = client.get("/search/", {"q": "quantization"}).content.decode()
    assert "More than 40 papers for" in page and "The best 40 are shown" in page
    last = client.get("/search/", {"q": "quantization", "page": 2})
    assert [p.upvotes for p in last.context["page"]] == list(range(14, 4, -1))
    assert search_papers("quantization").count() == 40 and search_papers("quantization").more
    monkeypatch.setattr(search, "RESULTS_MAX", 45)
    assert search_papers("quantization").count() == 45 and not search_papers("quantization").more


def test_a_deleted_paper_leaves_the_index_and_is_neither_found_nor_counted():
    kept = paper("Speculative decoding kept")
    one = paper("Speculative decoding deleted alone")
    paper("Speculative decoding deleted with a queryset")
    one.delete()
    Paper.objects.filter(title__endswith="queryset").delete()
    results = search_papers("speculative decoding")
    assert results.count() == 1 and found("speculative decoding") == [kept.title]


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the FTS5 index and its trigger are SQLite's"
)
def test_migrate_puts_back_the_trigger_a_table_rebuild_drops_and_clears_what_it_left():
    from django.apps import apps

    from papers.search.index import keep_delete_trigger

    def trigger() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'papers_search_delete'")
            return cursor.fetchone() is not None

    assert trigger()  # the test database was migrated
    gone = paper("Quantization of a paper deleted while the trigger was missing")
    kept = paper("Quantization kept")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER papers_search_delete")  # as a rebuild of papers_paper does
    gone.delete()
    assert search_papers("quantization").count() == 2  # its entry stayed
    keep_delete_trigger(apps.get_app_config("papers"), using="default")
    assert trigger()
    assert search_papers("quantization").count() == 1 and found("quantization") == [kept.title]
    keep_delete_trigger(apps.get_app_config("papers"), using="default")  # again: nothing to do
    assert search_papers("quantization").count() == 1
