"""Synthetic papers, written as a Daily Papers dump or an arXiv RSS listing.

`make run` ingests a small sample of these so a fresh install has something to show, and the
ingest benchmark writes hundreds of thousands. The writers produce exactly the formats the
readers parse (the tests read them back).
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from typing import TextIO
from xml.sax.saxutils import escape

TOPICS = [
    "Quantization", "Verilog Generation", "Speculative Decoding", "Sparse Attention",
    "Mixture-of-Experts", "KV-Cache Compression", "Kernel Fusion", "RTL Verification",
    "Diffusion Transformers", "Retrieval-Augmented Generation", "Reinforcement Learning",
    "State Space Models", "On-Device Inference", "Compiler Autotuning", "Code Generation",
]  # fmt: skip
METHODS = [
    "Flash", "Turbo", "Lite", "Deep", "Meta", "Auto", "Omni", "Hyper", "Nano", "Quant",
    "Sparse", "Fused", "Graph", "Neuro", "Bit",
]  # fmt: skip
SUFFIXES = ["Bench", "Former", "Net", "Kit", "LM", "RL", "Gen", "Opt", "Scope", "Mem"]
CLAIMS = [
    "We present {name}, a method for {topic} that {verb} {object}.",
    "Existing approaches to {topic} {weakness}, which limits their use in practice.",
    "{name} {verb} {object} while keeping accuracy within one point of the baseline.",
    "Across {n} benchmarks, {name} improves throughput by {x}x and reduces memory by {pct}%.",
    "We release the models, data and training recipes to support further research.",
    "Our analysis shows that {topic} benefits most from {object} at larger scales.",
    "Ablations confirm that each component of {name} contributes to the final result.",
    "Unlike prior work, {name} requires no retraining and no hardware-specific tuning.",
]
VERBS = ["accelerates", "simplifies", "stabilizes", "compresses", "verifies", "schedules"]
OBJECTS = [
    "low-bit weights and activations", "long-context attention", "hardware description code",
    "expert routing", "memory-bound kernels", "multi-step reasoning traces",
]  # fmt: skip
WEAKNESSES = [
    "rely on costly calibration", "ignore the memory hierarchy", "overfit to small benchmarks",
    "scale poorly with context length", "need hand-written kernels",
]  # fmt: skip
ORGANIZATIONS = [
    ("deepseek-ai", "DeepSeek"), ("LiquidAI", "Liquid AI"), ("Zyphra", "Zyphra"),
    ("nvidia", "NVIDIA"), ("google", "Google"), ("meta-llama", "Meta Llama"),
]  # fmt: skip
AUTHOR_NAMES = [
    "Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov",
    "Donald Knuth", "Frances Allen", "John Backus", "Leslie Lamport", "Radia Perlman",
    "Andrés Gómez", "Zoë Łukasik", "Wei Zhang", "Priya Natarajan", "Kenji Sato",
]  # fmt: skip


@dataclass
class SamplePaper:
    title: str
    abstract: str
    arxiv_id: str
    published_on: date
    upvotes: int
    author_count: int | None = None
    organization: tuple[str, str] | None = None
    authors: tuple[str, ...] = ()


def sample_papers(count: int, *, today: date, seed: int = 7) -> Iterator[SamplePaper]:
    """`count` distinct papers published in the two weeks up to `today`, plus one older paper."""
    rng = random.Random(seed)
    for index in range(count):
        topic = TOPICS[index % len(TOPICS)]
        name = f"{rng.choice(METHODS)}{rng.choice(SUFFIXES)}-{index}"
        fill = {
            "name": name, "topic": topic.lower(), "verb": rng.choice(VERBS),
            "object": rng.choice(OBJECTS), "weakness": rng.choice(WEAKNESSES),
            "n": rng.randint(3, 12), "x": round(rng.uniform(1.2, 4.5), 1),
            "pct": rng.randint(10, 70),
        }  # fmt: skip
        sentences = [CLAIMS[0], CLAIMS[1], *rng.sample(CLAIMS[2:], 4)]
        abstract = " ".join(s.format(**fill) for s in sentences)
        if rng.random() < 0.3:
            abstract += f" Code is available at https://github.com/paperwire-sample/{name.lower()}."
        age = 400 if index == count - 1 else rng.randint(0, 13)
        authors = tuple(rng.sample(AUTHOR_NAMES, rng.randint(1, 6)))
        with_org = rng.random() < 0.15
        yield SamplePaper(
            title=f"{name}: {rng.choice(['Efficient', 'Scalable', 'Robust', 'Faithful'])} {topic}",
            abstract=abstract,
            # Five digits after the dot, as arXiv's ids: each 100,000 papers move back a year.
            arxiv_id=f"{today.year % 100 - index // 100_000:02d}{today:%m}.{index % 100_000:05d}",
            published_on=today - timedelta(days=age),
            upvotes=rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]),
            author_count=None if with_org else len(authors),
            organization=rng.choice(ORGANIZATIONS) if with_org else None,
            authors=authors,
        )


def write_daily_dump(papers: Iterator[SamplePaper], out: TextIO, *, page_date: date) -> None:
    """The Daily Papers page as its text dump; dates in the page's year are written without it."""
    out.write("new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n")
    out.write(f"byAK and the research community\n\n{_short_date(page_date, page_date.year)}\n\n")
    for paper in papers:
        out.write(f"{paper.title}\n\n{paper.abstract}\n\n")
        if paper.organization:
            out.write(f"{paper.organization[0]} {paper.organization[1]}\n")
        else:
            out.write(f"  • {paper.author_count} authors\n")
        upvotes = f" {paper.upvotes}" if paper.upvotes else ""
        out.write(f"·\n{_short_date(paper.published_on, page_date.year)}{upvotes}\n\n")


def write_arxiv_rss(papers: Iterator[SamplePaper], out: TextIO, *, day: date) -> None:
    """An rss.arxiv.org listing for `day` announcing every paper as new."""
    stamp = format_datetime(datetime.combine(day, time(), tzinfo=UTC))
    out.write(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>\n'
        "<title>cs updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs</link>\n"
        "<description>cs updates on the arXiv.org e-print archive.</description>\n"
    )
    for paper in papers:
        out.write(
            f"<item><title>{escape(paper.title)}</title>"
            f"<link>https://arxiv.org/abs/{paper.arxiv_id}</link>"
            f"<description>arXiv:{paper.arxiv_id}v1 Announce Type: new \n"
            f"Abstract: {escape(paper.abstract)}</description>"
            f'<guid isPermaLink="false">oai:arXiv.org:{paper.arxiv_id}v1</guid>'
            f"<category>cs.LG</category><pubDate>{stamp}</pubDate>"
            "<arxiv:announce_type>new</arxiv:announce_type>"
            f"<dc:creator>{escape(', '.join(paper.authors))}</dc:creator></item>\n"
        )
    out.write("</channel></rss>\n")


def _short_date(day: date, page_year: int) -> str:
    text = f"{day:%b} {day.day}"
    return text if day.year == page_year else f"{text}, {day.year}"
