import re

import pytest
import torch

import models
from models import sequence_classifier
from models.errors import ModelUnavailable, ShowcaseError
from tasks import text_classification
from toolkit.inputs import text_lines

IN_BROWSER = r"(POSITIVE|NEGATIVE)"  # what the tab shows after its first example


def test_batch_equals_one_by_one(tiny_sentiment):
    texts = ["I loved it.", "Terrible, a waste of two hours and of the ticket price.", "ok", "这部电影很好看"]
    batch = tiny_sentiment.classify(texts)
    for text, together in zip(texts, batch):
        (alone,) = tiny_sentiment.classify([text])
        assert alone.ranking.indices == together.ranking.indices
        torch.testing.assert_close(
            torch.tensor(alone.ranking.probabilities), torch.tensor(together.ranking.probabilities), atol=1e-4, rtol=0
        )


def test_labels_come_from_the_model_and_sum_to_one(tiny_sentiment):
    (answer,) = tiny_sentiment.classify(["fine"])
    scores = answer.ranking.named(tiny_sentiment.labels)
    assert set(scores) == {"POSITIVE", "NEGATIVE"}
    assert sum(scores.values()) == pytest.approx(1, abs=1e-3)
    assert list(scores.values()) == sorted(scores.values(), reverse=True)


def test_long_texts_are_truncated_and_flagged(tiny_sentiment):
    answers = tiny_sentiment.classify(["short", "very long " * 2_000])
    assert [row.truncated for row in answers] == [False, True]


def test_more_lines_than_a_batch(tiny_sentiment, monkeypatch):
    monkeypatch.setattr(sequence_classifier, "TEXTS_PER_PASS", 4)
    texts = [f"review number {i}" for i in range(10)]
    answers = tiny_sentiment.classify(texts)
    assert len(answers) == 10
    table = text_classification.table(texts, answers, tiny_sentiment.labels)
    assert table["text"].tolist() == texts


@pytest.mark.parametrize(
    "text, message", [("", "enter a sentence"), (" \n\t\n", "enter a sentence"), ("x\n" * 1001, "too many")]
)
def test_bad_text_says_why(text, message):
    with pytest.raises(ShowcaseError, match=message):
        text_lines(text, "a sentence", text_classification.MAX_LINES)


def test_missing_weights_say_which_and_how(empty_model_cache):
    with pytest.raises(
        ModelUnavailable, match=r"'distilbert/distilbert-base-uncased-finetuned-sst-2-english' could not be loaded"
    ):
        text_classification.TASK.load(text_classification.TASK.choices()[0])


def test_chinese_sent_to_an_english_model_says_so_and_names_one_that_reads_it(tiny_defaults):
    models.backend().install(text_classification.TASK.default(), tiny_defaults[text_classification.TASK.default()])
    *_, info = text_classification.run("这部电影真好看", text_classification.TASK.default())
    unknown, total = map(
        int, re.search(r"does not read Chinese \((\d+) of (\d+) tokens are unknown to it\)", info).groups()
    )
    assert 0 < unknown <= total
    assert "For Chinese, choose `" in info
    *_, english = text_classification.run("What a lovely film.", text_classification.TASK.default())
    assert "does not read" not in english
