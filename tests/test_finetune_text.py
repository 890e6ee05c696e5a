import itertools

import pandas as pd
import pytest
import torch

from tasks import common, finetune_text, learning
from tests import random_models

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def separable(rows_per_class: int = 24) -> finetune_text.TextDataset:
    """Sentences whose class a single keyword decides."""
    nouns = ["film", "phone", "meal", "hotel", "book", "show", "game", "car"]
    texts, labels = [], []
    for label, words in (("happy", ["wonderful", "excellent", "great"]), ("sad", ["terrible", "awful", "dreadful"])):
        for noun, word in itertools.islice(itertools.cycle(itertools.product(nouns, words)), rows_per_class):
            texts.append(f"the {noun} was {word}")
            labels.append(label)
    return finetune_text.TextDataset(texts, labels)


FULL = finetune_text.Settings(mode="full", epochs=8, learning_rate=5e-3, batch_size=8, max_length=16)


@pytest.fixture(scope="module")
def fine_tuned():
    *progress, trained = finetune_text.train(separable(), "tiny-bert", FULL, make_classifier=random_models.bert_classifier)
    return progress, trained


def test_full_fine_tuning_drives_the_loss_down_and_beats_chance(fine_tuned):
    progress, trained = fine_tuned
    losses = [loss for _, loss in trained.losses]
    per_epoch = len(losses) // FULL.epochs
    assert sum(losses[-per_epoch:]) / per_epoch < 0.5 * sum(losses[:per_epoch]) / per_epoch
    assert trained.valid_rows == 10 and trained.train_rows == 38
    assert trained.scores.accuracy >= 0.8  # chance is 0.5
    assert progress[-1].message.startswith(f"Epoch {FULL.epochs} done")
    assert [p.step for p in progress if "step" in p.message] == list(range(1, len(losses) + 1))


def test_saved_model_reloads_with_the_same_predictions(fine_tuned, tmp_path):
    _, trained = fine_tuned
    texts = ["the car was wonderful", "the meal was dreadful", "something else entirely"]
    trained.save(tmp_path)
    reloaded = finetune_text.load_trained(tmp_path)
    assert reloaded.classes == trained.classes
    torch.testing.assert_close(reloaded.probabilities(texts), trained.probabilities(texts), atol=1e-5, rtol=1e-4)
    assert (tmp_path / "config.json").is_file() and (tmp_path / "showcase.json").is_file()


def test_linear_probe_on_real_minilm_separates_sentiment(tmp_path):
    frame, notes = finetune_text.read_table(finetune_text.EXAMPLE_FILE)
    data = finetune_text.to_dataset(frame, None, None, notes=notes)
    *_, trained = finetune_text.train(data, MINILM, finetune_text.Settings(mode="probe"))
    assert trained.scores.accuracy >= 0.85
    clear = ["An absolute joy, I loved every minute.", "Broken, useless and rude staff. Never again."]
    assert [next(iter(p)) for p in trained.predict(clear)] == ["positive", "negative"]
    trained.save(tmp_path)
    reloaded = finetune_text.load_trained(tmp_path)
    torch.testing.assert_close(reloaded.probabilities(clear), trained.probabilities(clear), atol=1e-5, rtol=1e-4)


def test_a_second_validation_file_is_used_as_given():
    data = separable(12)
    validation = finetune_text.TextDataset(["the film was great", "the book was awful"], ["happy", "sad"])
    *_, trained = finetune_text.train(data, "tiny-bert", finetune_text.Settings(mode="full", epochs=1, batch_size=8),
                                      validation, random_models.bert_classifier)
    assert trained.valid_rows == 2 and trained.train_rows == 24


def test_stopping_releases_the_training_slot(tmp_path):
    path = tmp_path / "data.csv"
    pd.DataFrame({"text": separable().texts, "label": separable().labels}).to_csv(path, index=False)
    run = finetune_text.run(str(path), None, "text", "label", MINILM, "full fine-tuning", 3, 5e-5, 8, 16, 1000)
    with learning.training_slot():
        with pytest.raises(Exception, match="Another training run is in progress"):
            next(run)
    stream = finetune_text.run(str(path), None, "text", "label", MINILM, "linear probe (fast)", 3, 5e-5, 8, 16, 1000)
    next(stream)
    stream.close()
    with learning.training_slot():
        pass  # free again


def write(tmp_path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_columns_are_checked_and_listed(tmp_path):
    path = write(tmp_path, "d.csv", b"review,stars\nnice,5\nbad,1\n")
    frame, _ = finetune_text.read_table(path)
    with pytest.raises(common.ShowcaseError, match="No label column.*'review', 'stars'"):
        finetune_text.to_dataset(frame, None, None)
    data = finetune_text.to_dataset(frame, "review", "stars")
    assert data.classes == ["1", "5"]  # numeric labels become class names


def test_one_class_and_empty_rows(tmp_path):
    frame, _ = finetune_text.read_table(write(tmp_path, "d.csv", b"text,label\na,x\nb,x\n,y\nc,\n"))
    with pytest.raises(common.ShowcaseError, match="at least two classes.*only 'x'"):
        finetune_text.to_dataset(frame, None, None)
    frame, _ = finetune_text.read_table(write(tmp_path, "e.csv", b"text,label\na,x\nb,y\n,y\nc,\n  ,x\n"))
    data = finetune_text.to_dataset(frame, None, None)
    assert data.texts == ["a", "b"] and any("Skipped 3 row(s)" in n for n in data.notes)


@pytest.mark.parametrize(
    "encoding, text, expected",
    [
        ("gb18030", "text\tlabel\n这部电影很好看，演员也很棒\t正面\n太无聊了，浪费时间\t负面\n", "GB18030"),
        ("cp1252", "text,label\ntrès bien,pos\nnul,neg\n", "Windows-1252"),
        ("latin-1", "text,label\ncafé crème\x81,pos\nnul,neg\n", "Latin-1"),
    ],
)
def test_non_utf8_files_are_read_with_a_note(tmp_path, encoding, text, expected):
    frame, notes = finetune_text.read_table(write(tmp_path, "d.csv", text.encode(encoding)))
    assert any(expected in note for note in notes)
    assert frame["text"].tolist()[0] == text.split("\n")[1].split(text[4])[0]


def test_fifty_thousand_rows_are_sampled_keeping_class_shares(tmp_path):
    rows = "\n".join(f"sentence {i}\t{'a' if i % 4 else 'b'}" for i in range(50_000))
    frame, _ = finetune_text.read_table(write(tmp_path, "big.tsv", f"sentence\tlabel\n{rows}\n".encode()))
    data = finetune_text.to_dataset(frame, None, None, max_rows=2000)
    assert len(data.texts) == 2000
    assert data.labels.count("b") == 500
    assert any("Used 2,000 of 50,000 rows" in n for n in data.notes)


def test_glue_tsv_with_quotes_inside_sentences(tmp_path):
    frame, _ = finetune_text.read_table(write(tmp_path, "sst.tsv", b'sentence\tlabel\nit \'s a "gem" \t1\nbad "film\t0\n'))
    assert frame["sentence"].tolist() == ['it \'s a "gem" ', 'bad "film']  # quotes are text, not quoting
    data = finetune_text.to_dataset(frame, None, None)
    assert data.texts == ['it \'s a "gem"', 'bad "film'] and data.classes == ["0", "1"]


def test_classes_with_a_single_row_cannot_be_validated():
    with pytest.raises(common.ShowcaseError, match="at least 2 rows"):
        list(finetune_text.train(finetune_text.TextDataset(["a", "b", "c"], ["x", "x", "y"]), MINILM, finetune_text.Settings()))
