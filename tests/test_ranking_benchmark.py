"""benchmarks/ranking.py runs on the real dumps, every topic's papers are in them, and the methods
are told apart: the ranking and both baselines far ahead of random order."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from benchmarks.ranking_topics import TOPICS

ROOT = Path(__file__).resolve().parent.parent


def test_the_ranking_evaluation_runs_and_tells_the_methods_apart(shared):
    done = subprocess.run(
        [sys.executable, "benchmarks/ranking.py", "--seeds", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["topics"] == len(TOPICS) >= 9 and result["cases"] == 2 * len(TOPICS)
    mean = result["mean_precision"]
    assert min(mean["paperwire"], mean["centroid"], mean["svm"]) > 4 * mean["random"]


def test_only_joint_quantization_and_architecture_search_is_on_two_topics():
    seen = Counter(title for titles in TOPICS.values() for title in titles)
    twice = {title for title, count in seen.items() if count > 1}
    assert twice == set(TOPICS["quantization"]) & set(TOPICS["nas"]) and len(twice) == 2
