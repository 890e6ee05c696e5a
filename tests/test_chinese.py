"""Chinese input in every text tab: each Chinese example runs on a model that reads Chinese."""

import re

import pytest

import models
from harness import stand_ins
from tasks import attention, generation, similarity, text_classification, zero_shot
from toolkit.inputs import has_chinese


def chinese_examples(rows: list[list]) -> list[list]:
    return [row for row in rows if has_chinese([str(value) for value in row[:-1]])]


@pytest.mark.parametrize("task", [text_classification, attention, zero_shot, generation])
def test_every_chinese_example_selects_a_model_that_reads_chinese(task):
    rows = task.example_rows() if task is zero_shot else task.TASK.with_models([[e] for e in task.EXAMPLES])
    chinese = chinese_examples(rows)
    assert chinese and all(models.reads_chinese(row[-1]) for row in chinese)
    assert all(row[-1] == task.TASK.default() for row in rows if row not in chinese)


def test_chinese_examples_run_without_the_english_only_warning(empty_model_cache, tiny_chinese_clip):
    classifier_id = text_classification.TASK.chinese_reader()
    models.put(classifier_id, stand_ins.sentiment(classifier_id))
    *_, info = text_classification.run(text_classification.EXAMPLES[-1], classifier_id)
    assert "reads English only" not in info

    encoder_id = attention.TASK.chinese_reader()
    assert encoder_id == "google-bert/bert-base-chinese"
    models.put(encoder_id, stand_ins.sentence_encoder(encoder_id))
    *_, info = attention.run(attention.EXAMPLES[-1], 1, 1, encoder_id)
    assert "reads English only" not in info

    search_id = similarity.TASK.chinese_reader()
    models.put(search_id, stand_ins.sentence_encoder(search_id))
    ranking, _, info = similarity.run("我登录不了我的账号", similarity.CHINESE_SENTENCES, search_id)
    assert "reads English only" not in info and len(ranking) == 5

    image, labels, ensemble, clip_id = chinese_examples(zero_shot.example_rows())[0]
    models.put(clip_id, tiny_chinese_clip)
    top, info = zero_shot.run(image, labels, ensemble, clip_id)
    assert set(top) <= {"猫", "狗", "狮子", "老虎"} and "trained on English" not in info


def test_the_chinese_reviews_train_on_a_model_that_reads_every_character(empty_model_cache):
    """The fine-tuning tab's Chinese example: its base model is Chinese BERT, whose real tokenizer
    knows every character of the 40 reviews; a probe trains on it (random weights stand in)."""
    from transformers import AutoTokenizer

    import examples
    from tasks import finetune_text
    from toolkit import text_data

    data = text_data.read_dataset(examples.CHINESE_REVIEWS, None, None)
    assert len(data.texts) == 40 and sorted(data.classes) == ["好评", "差评"]
    model_id = finetune_text.TASK.chinese_reader()
    assert model_id == "google-bert/bert-base-chinese"
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    assert tokenizer.unk_token_id not in {i for text in data.texts for i in tokenizer(text)["input_ids"]}
    models.put(model_id, stand_ins.sentence_encoder(model_id))
    *_, trained = finetune_text.train(data, model_id, finetune_text.Settings(mode="probe"))
    assert set(trained.classifier.classes) == {"好评", "差评"} and 0 <= trained.scores.accuracy <= 1


def test_chinese_gpt2_streams_chinese_as_people_write_it(empty_model_cache):
    """uer's Chinese GPT-2 reads Chinese BERT's vocabulary (the real tokenizer here, random weights):
    the prompt carries no [CLS]/[SEP], generation runs without an end-of-text token, and the text
    shows no spaces between characters (its WordPiece decoder puts one between every two)."""
    model_id = generation.TASK.chinese_reader()
    assert model_id == "uer/gpt2-chinese-cluecorpussmall"
    generator = stand_ins.gpt2(model_id)
    prompt = generation.EXAMPLES[-1]
    ids = generator.prompt_ids(prompt)
    assert ids.shape[1] == len(prompt)  # one token per character, no special tokens
    assert generator.tokenizer.unk_token_id not in ids[0].tolist()
    updates = list(generation.stream(generator, prompt, generation.Settings(max_new_tokens=12)))
    assert len(updates) > 2 and updates[-1].done and updates[-1].tokens == 12
    assert updates[-1].prompt == generator.decode(ids[0]) == prompt  # BERT's decoder alone: "从 前 有 一 座 山 ，..."
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", updates[-1].text)


def test_english_gpt2_says_to_switch_for_chinese():
    note = generation.TASK.language_note("openai-community/gpt2", [generation.EXAMPLES[-1]])
    assert "reads English only" in note and "GPT-2 Chinese (CLUECorpusSmall)" in note
    assert generation.TASK.language_note("uer/gpt2-chinese-cluecorpussmall", [generation.EXAMPLES[-1]]) == ""
