import itertools
import re

import gradio as gr
import pandas as pd
import pytest
import torch

import examples
from harness import stand_ins
from models import trained_text
from models.errors import ShowcaseError
from tasks import finetune_text
from tests.rankings import as_matrix
from toolkit import text_data
from toolkit.training import training_slot

IN_BROWSER = r"Validation accuracy"  # what the tab shows once it trained


def fill_in_browser(panel, tmp_path, expect) -> None:
    """What a visitor does: take the built-in example; the columns fill in from the file."""
    panel.get_by_role("button", name=re.compile("built-in example: 40 reviews in English")).click()
    expect(panel.get_by_label("Text column")).to_have_value("text")


MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def separable(rows_per_class: int = 24) -> text_data.TextDataset:
    """Sentences whose class a single keyword decides."""
    nouns = ["film", "phone", "meal", "hotel", "book", "show", "game", "car"]
    texts, labels = [], []
    for label, words in (("happy", ["wonderful", "excellent", "great"]), ("sad", ["terrible", "awful", "dreadful"])):
        for noun, word in itertools.islice(itertools.cycle(itertools.product(nouns, words)), rows_per_class):
            texts.append(f"the {noun} was {word}")
            labels.append(label)
    return text_data.TextDataset(texts, labels)


FULL = finetune_text.Settings(mode="full", epochs=8, learning_rate=5e-3, batch_size=8, max_length=16)


@pytest.fixture(scope="module")
def fine_tuned():
    *progress, trained = finetune_text.train(separable(), "tiny-bert", FULL, make_classifier=stand_ins.bert_classifier)
    return progress, trained


def probabilities(classifier, texts: list[str]) -> torch.Tensor:
    return as_matrix(classifier.classify(texts), len(classifier.classes))


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
    reloaded, _ = trained_text.load(tmp_path)
    assert reloaded.classes == trained.classifier.classes
    torch.testing.assert_close(
        probabilities(reloaded, texts), probabilities(trained.classifier, texts), atol=1e-5, rtol=1e-4
    )
    assert (tmp_path / "config.json").is_file() and (tmp_path / "showcase.json").is_file()


def test_the_deciding_keyword_holds_up_the_fine_tuned_answer(fine_tuned):
    """Masking each token in turn: the one word that decides the class matters most."""
    _, trained = fine_tuned
    prediction, highlighted, line = finetune_text.explain_model(trained, "the hotel was excellent\nsecond line")
    assert next(iter(prediction)) == "happy"
    assert max(highlighted, key=lambda piece: piece[1] or 0) == ("excellent", 1.0)
    assert "“happy”" in line and "Most: “excellent”" in line
    (found,) = trained.classifier.token_effects(["the book was awful"], [1])
    assert trained.classifier.classes[found.class_index] == "happy"  # the second likeliest
    assert found.effects.argmin() == 3  # "awful" pulls against "happy" most
    with pytest.raises(gr.Error, match="Train a model first"):
        finetune_text.explain_model(None, "the hotel was excellent")


def test_linear_probe_on_real_minilm_separates_sentiment(tmp_path):
    data = text_data.read_dataset(examples.REVIEWS["en"], None, None)
    *_, trained = finetune_text.train(data, MINILM, finetune_text.Settings(mode="probe"))
    assert trained.scores.accuracy >= 0.85
    clear = ["An absolute joy, I loved every minute.", "Broken, useless and rude staff. Never again."]
    assert [next(iter(p)) for p in trained.predict(clear)] == ["positive", "negative"]
    (found,) = trained.classifier.token_effects(clear[:1], [0])
    strongest = {clear[0][slice(*found.spans[i])] for i in found.effects.argsort()[-3:]}
    assert {"joy", "loved"} <= strongest  # with "absolute", of "An absolute joy"
    trained.save(tmp_path)
    reloaded, description = trained_text.load(tmp_path)
    assert description["base_model"] == MINILM and description["mode"] == "probe"
    torch.testing.assert_close(
        probabilities(reloaded, clear), probabilities(trained.classifier, clear), atol=1e-5, rtol=1e-4
    )


def test_a_second_validation_file_is_used_as_given():
    data = separable(12)
    validation = text_data.TextDataset(["the film was great", "the book was awful"], ["happy", "sad"])
    *_, trained = finetune_text.train(
        data,
        "tiny-bert",
        finetune_text.Settings(mode="full", epochs=1, batch_size=8),
        validation,
        stand_ins.bert_classifier,
    )
    assert trained.valid_rows == 2 and trained.train_rows == 24


def test_stopping_releases_the_training_slot(tmp_path):
    path = tmp_path / "data.csv"
    pd.DataFrame({"text": separable().texts, "label": separable().labels}).to_csv(path, index=False)
    run = finetune_text.run(str(path), None, "text", "label", MINILM, "full fine-tuning", 3, 5e-5, 8, 16, 1000)
    with training_slot():
        with pytest.raises(Exception, match="Another training run is in progress"):
            next(run)
    stream = finetune_text.run(str(path), None, "text", "label", MINILM, "linear probe (fast)", 3, 5e-5, 8, 16, 1000)
    next(stream)
    stream.close()
    with training_slot():
        pass  # free again


def write(tmp_path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_columns_are_checked_and_listed(tmp_path):
    path = write(tmp_path, "d.csv", b"review,stars\nnice,5\nbad,1\n")
    frame, _ = text_data.read_table(path)
    with pytest.raises(ShowcaseError, match="No label column.*'review', 'stars'"):
        text_data.to_dataset(frame, None, None)
    data = text_data.to_dataset(frame, "review", "stars")
    assert data.classes == ["1", "5"]  # numeric labels become class names


def test_one_class_and_empty_rows(tmp_path):
    frame, _ = text_data.read_table(write(tmp_path, "d.csv", b"text,label\na,x\nb,x\n,y\nc,\n"))
    with pytest.raises(ShowcaseError, match="at least two classes.*only 'x'"):
        text_data.to_dataset(frame, None, None)
    frame, _ = text_data.read_table(write(tmp_path, "e.csv", b"text,label\na,x\nb,y\n,y\nc,\n  ,x\n"))
    data = text_data.to_dataset(frame, None, None)
    assert data.texts == ["a", "b"] and any("Skipped 3 row(s)" in n for n in data.notes)


@pytest.mark.parametrize(
    "encoding, text, expected",
    [
        ("gb18030", "text\tlabel\n这部电影很好看，演员也很棒\t正面\n太无聊了，浪费时间\t负面\n", "GB18030"),
        ("cp1252", "text,label\ntrès bien,pos\nnul,neg\n", "Windows-1252"),
        ("latin-1", "text,label\ncafé crème\x81,pos\nnul,neg\n", "Latin-1"),
        ("utf-16", "text\tlabel\ngreat value, 很好\tpos\nbroken\tneg\n", "UTF-16"),  # Excel's "Unicode text"
        ("utf-16-le", "text,label\nfine thanks,pos\nbad,neg\n", "UTF-16"),  # no byte-order mark
    ],
)
def test_non_utf8_files_are_read_with_a_note(tmp_path, encoding, text, expected):
    frame, notes = text_data.read_table(write(tmp_path, "d.csv", text.encode(encoding)))
    assert any(expected in note for note in notes)
    assert frame["text"].tolist()[0] == text.split("\n")[1].split(text[4])[0]


def test_fifty_thousand_rows_are_sampled_keeping_class_shares(tmp_path):
    rows = "\n".join(f"sentence {i}\t{'a' if i % 4 else 'b'}" for i in range(50_000))
    frame, _ = text_data.read_table(write(tmp_path, "big.tsv", f"sentence\tlabel\n{rows}\n".encode()))
    data = text_data.to_dataset(frame, None, None, max_rows=2000)
    assert len(data.texts) == 2000
    assert data.labels.count("b") == 500
    assert any("Used 2,000 of 50,000 rows" in n for n in data.notes)


def test_glue_tsv_with_quotes_inside_sentences(tmp_path):
    frame, _ = text_data.read_table(write(tmp_path, "sst.tsv", b'sentence\tlabel\nit \'s a "gem" \t1\nbad "film\t0\n'))
    assert frame["sentence"].tolist() == ['it \'s a "gem" ', 'bad "film']  # quotes are text, not quoting
    data = text_data.to_dataset(frame, None, None)
    assert data.texts == ['it \'s a "gem"', 'bad "film'] and data.classes == ["0", "1"]


def test_classes_with_a_single_row_cannot_be_validated():
    with pytest.raises(ShowcaseError, match="at least 2 rows"):
        list(
            finetune_text.train(
                text_data.TextDataset(["a", "b", "c"], ["x", "x", "y"]), MINILM, finetune_text.Settings()
            )
        )


def test_probe_mode_reads_texts_at_the_max_length_it_records(minilm, tmp_path):
    data = text_data.read_dataset(examples.REVIEWS["en"], None, None)
    *_, trained = finetune_text.train(data, MINILM, finetune_text.Settings(mode="probe", max_length=8))
    long = ["The first few words are fine, but everything after them is a long and dreadful disappointment."]
    probe = trained.classifier.probe
    torch.testing.assert_close(probabilities(trained.classifier, long), probe.probabilities(minilm.embed(long, 8)))
    assert not torch.allclose(probe.probabilities(minilm.embed(long, 8)), probe.probabilities(minilm.embed(long, 256)))
    trained.save(tmp_path)
    assert '"max_length": 8' in (tmp_path / "showcase.json").read_text()
