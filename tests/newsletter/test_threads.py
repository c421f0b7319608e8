"""Eight threads preview and match at once, from a cold process: no shared stemmer, no error,
and the same answers as one thread gives."""

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from papers.readers import daily_dump  # noqa: E402  (no database: a reader and the rules)
    from core.query import document, parse
    from newsletter.matcher import Matcher

    papers = []
    for path in sorted(Path({dumps!r}).glob("*.txt")):
        papers.extend(daily_dump.read(open(path, "rb"), year=2026))
    rules = ["fpga", "verilog OR rtl", '"post-training quantisation"', "LLMs -survey",
             "4-bit", '"mixture of experts"', "vision-language", "org:liquid"]
    barrier = threading.Barrier(8)
    results, errors = {{}}, []

    def preview(slot):
        barrier.wait()
        try:
            for _ in range(3):
                parsed = [parse(rule) for rule in rules]
                found = [sum(r.matches(document(title=p.title, abstract=p.abstract)) for p in papers)
                         for r in parsed]
            results[slot] = found
        except Exception as exc:
            errors.append(repr(exc))

    def match(slot):
        barrier.wait()
        try:
            for _ in range(3):
                matcher = Matcher((rule, parse(rule)) for rule in rules)
                counts = dict.fromkeys(rules, 0)
                for p in papers:
                    for rule in matcher.match(document(title=p.title, abstract=p.abstract)):
                        counts[rule] += 1
            results[slot] = [counts[rule] for rule in rules]
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=preview if n % 2 else match, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    answers = {{tuple(found) for found in results.values()}}
    assert len(results) == 8 and len(answers) == 1, results
    print("ok", answers.pop())
    """
)


@pytest.mark.process
def test_eight_threads_preview_and_match_at_once_from_a_cold_process(shared):
    script = SCRIPT.format(root=str(ROOT), dumps=str(shared / "dumps"))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok (")
    counts = [int(n) for n in done.stdout[4:].strip(" ()\n").split(",")]
    assert counts[0] > 0 and counts[1] > 0  # the rules found papers, the same in every thread
