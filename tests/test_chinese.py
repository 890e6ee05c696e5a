"""Chinese input in every text tab: each Chinese example runs on a model that reads Chinese."""

import re

import pytest
from transformers import AutoTokenizer

import i18n
import models
from harness import stand_ins
from models.decoding import Decoding
from tasks import attention, generation, similarity, text_classification, zero_shot


def chinese_examples(rows: list[list]) -> list[list]:
    return [row for row in rows if i18n.text_language([str(value) for value in row[:-1]]) == "zh"]


@pytest.mark.parametrize("task", [text_classification, attention, zero_shot, generation])
def test_every_chinese_example_selects_a_model_that_reads_chinese(task):
    rows = task.example_rows() if task is zero_shot else task.TASK.with_models([[e] for e in task.EXAMPLES])
    chinese = chinese_examples(rows)
    assert chinese and all(models.reads(row[-1], "zh") for row in chinese)
    assert all(row[-1] == task.TASK.default() for row in rows if row not in chinese)


def test_the_reader_of_a_language_is_the_first_model_trained_on_it_else_a_multilingual_one():
    assert text_classification.TASK.reader("zh") == "uer/roberta-base-finetuned-jd-binary-chinese"
    assert text_classification.TASK.reader("fr") == "lxyuan/distilbert-base-multilingual-cased-sentiments-student"
    assert generation.TASK.reader("fr") is None  # no GPT-2 here reads French


def test_chinese_examples_run_without_a_language_note(empty_model_cache, tiny_chinese_clip):
    classifier_id = text_classification.TASK.reader("zh")
    models.backend().install(classifier_id, stand_ins.sentiment(classifier_id))
    *_, info = text_classification.run(text_classification.EXAMPLES[-1], classifier_id)
    assert "does not read" not in info

    encoder_id = attention.TASK.reader("zh")
    assert encoder_id == "google-bert/bert-base-chinese"
    models.backend().install(encoder_id, stand_ins.sentence_encoder(encoder_id))
    *_, info = attention.run(attention.EXAMPLES[-1], 1, 1, encoder_id)
    assert "does not read" not in info

    search_id = similarity.TASK.reader("zh")
    models.backend().install(search_id, stand_ins.sentence_encoder(search_id))
    ranking, _, info = similarity.run("我登录不了我的账号", similarity.CHINESE_SENTENCES, search_id)
    assert "does not read" not in info and len(ranking) == 5

    image, labels, ensemble, clip_id = chinese_examples(zero_shot.example_rows())[0]
    models.backend().install(clip_id, tiny_chinese_clip)
    top, info = zero_shot.run(image, labels, ensemble, clip_id)
    assert set(top) == {"猫", "狗", "狮子", "老虎"} and "does not read" not in info


def test_the_chinese_reviews_train_on_a_model_that_reads_every_character(empty_model_cache):
    """The fine-tuning tab's Chinese example: its base model is Chinese BERT, whose real tokenizer
    knows every character of the 40 reviews; a probe trains on it (random weights stand in)."""
    import examples
    from tasks import finetune_text
    from toolkit import text_data

    data = text_data.read_dataset(examples.REVIEWS["zh"], None, None)
    assert len(data.texts) == 40 and sorted(data.classes) == ["好评", "差评"]
    model_id = finetune_text.TASK.reader("zh")
    assert model_id == "google-bert/bert-base-chinese"
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    assert tokenizer.unk_token_id not in {i for text in data.texts for i in tokenizer(text)["input_ids"]}
    models.backend().install(model_id, stand_ins.sentence_encoder(model_id))
    *_, trained = finetune_text.train(data, model_id, finetune_text.Settings(mode="probe"))
    assert trained.valid_rows == 8 and trained.scores.confusion.to_numpy().sum() == 8  # 20% of 40, every one scored
    assert set(trained.classifier.classes) == {"好评", "差评"}
    assert set(trained.predict(["服务很好"])[0]) == {"好评", "差评"}


def test_chinese_gpt2_streams_chinese_as_people_write_it(empty_model_cache):
    """uer's Chinese GPT-2 reads Chinese BERT's vocabulary (the real tokenizer here, random weights):
    the prompt carries no [CLS]/[SEP], generation runs without an end-of-text token, and the text
    shows no spaces between characters (its WordPiece decoder puts one between every two)."""
    model_id = generation.TASK.reader("zh")
    assert model_id == "uer/gpt2-chinese-cluecorpussmall"
    generator = stand_ins.gpt2(model_id)
    prompt = generation.EXAMPLES[-1]
    ids = generator.prompt_ids(prompt)
    assert ids.shape[1] == len(prompt)  # one token per character, no special tokens
    assert generator.tokenizer.unk_token_id not in ids[0].tolist()
    updates = list(generation.stream(generator, prompt, Decoding(max_new_tokens=12)))
    assert len(updates) > 2 and updates[-1].done and updates[-1].tokens == 12
    assert updates[-1].prompt == generator.decode(ids[0]) == prompt  # BERT's decoder alone: "从 前 有 一 座 山 ，..."
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", updates[-1].text)


def test_a_model_sent_text_it_does_not_read_says_so_and_names_one_that_does():
    note = generation.TASK.language_note("openai-community/gpt2", [generation.EXAMPLES[-1]])
    assert "does not read Chinese" in note and "GPT-2 Chinese (CLUECorpusSmall)" in note
    assert generation.TASK.language_note("uer/gpt2-chinese-cluecorpussmall", [generation.EXAMPLES[-1]]) == ""
    english = generation.TASK.language_note("uer/gpt2-chinese-cluecorpussmall", ["Once upon a time"])
    assert "does not read English" in english and "`openai-community/gpt2`" in english
