"""benchmarks/ranking.py runs on the real dumps, every topic's papers are in them, and the methods
are told apart under both judgments: the ranking, both baselines and the oracle far ahead of
random order."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from benchmarks.ranking_topics import ALSO, TOPICS

ROOT = Path(__file__).resolve().parent.parent


def test_the_ranking_evaluation_runs_and_tells_the_methods_apart(shared):
    done = subprocess.run(
        [sys.executable, "benchmarks/ranking.py", "--seeds", "2", "--show", "hdl"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["topics"] == len(TOPICS) >= 9 and result["cases"] == 2 * len(TOPICS)
    for judgment in ("mean_precision", "mean_precision_reread"):
        mean = result[judgment]
        assert min(mean["paperwire"], mean["centroid"], mean["svm"]) > 4 * mean["random"]
        # told every paper of the other topics as a negative, the oracle does no worse than
        # the plain centroid
        assert mean["oracle"] > 4 * mean["random"] and mean["oracle"] >= mean["centroid"]
    # --show prints each hdl case: its library (of the topic), then the top 10, each marked
    shown = [
        line for line in done.stdout.splitlines() if line.startswith("  ") and line[2:4].strip()
    ]
    assert done.stdout.count("hdl, seed ") == 2 and len(shown) == 2 * 10
    hdl = {title[:100] for title in TOPICS["hdl"]}
    for line in shown:
        _, mark, title = line.split(maxsplit=2)
        assert mark in "+~-" and (mark == "+") == (title in hdl), line


def test_only_joint_quantization_and_architecture_search_is_on_two_topics():
    seen = Counter(title for titles in TOPICS.values() for title in titles)
    twice = {title for title, count in seen.items() if count > 1}
    assert twice == set(TOPICS["quantization"]) & set(TOPICS["nas"]) and len(twice) == 2


def test_the_reread_only_adds_a_second_topic_to_papers_of_the_lists():
    listed = {title for titles in TOPICS.values() for title in titles}
    for topic, titles in ALSO.items():
        assert topic in TOPICS and titles and len(set(titles)) == len(titles)
        assert not set(titles) & set(TOPICS[topic]), topic
    assert {title for titles in ALSO.values() for title in titles} - listed <= {
        "Resistive memory-based zero-shot liquid state machine for multimodal event data learning",
        "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures",
        "OpenBezoar: Small, Cost-Effective and Open Models Trained on Mixes of Instruction Data",
    }
