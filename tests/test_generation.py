import pytest

import models
from harness import stand_ins
from models import causal_lm
from models.backend import Embedded
from models.decoding import Decoding
from models.errors import ModelUnavailable, ShowcaseError
from tasks import generation

IN_BROWSER = r"\d+ tokens · [\d.]+ tokens/s · [\d.]+ s · done"  # what the tab shows after its first example


def texts(generator, prompt, **settings):
    return [u.text for u in generation.stream(generator, prompt, Decoding(**settings))]


def test_stream_yields_several_growing_chunks(tiny_gpt2):
    updates = list(generation.stream(tiny_gpt2, "Once upon a time", Decoding(max_new_tokens=30)))
    assert len(updates) > 3
    chunks = [u.text for u in updates]
    assert all(later.startswith(earlier) for earlier, later in zip(chunks, chunks[1:]))
    assert len(set(chunks)) > 3
    assert updates[-1].done and not updates[0].done
    assert updates[-1].tokens == 30
    assert updates[-1].tokens_per_second > 0
    assert updates[0].prompt == "Once upon a time"


def test_same_seed_same_text_other_seed_other_text(tiny_gpt2):
    first = texts(tiny_gpt2, "The weather today", max_new_tokens=20, seed=7)[-1]
    again = texts(tiny_gpt2, "The weather today", max_new_tokens=20, seed=7)[-1]
    other = texts(tiny_gpt2, "The weather today", max_new_tokens=20, seed=8)[-1]
    assert first == again
    assert first != other


def test_greedy_is_deterministic_and_explains_ignored_settings(tiny_gpt2):
    runs = [
        list(generation.stream(tiny_gpt2, "Hello", Decoding(max_new_tokens=15, strategy="greedy", seed=s)))
        for s in (1, 2)
    ]
    assert runs[0][-1].text == runs[1][-1].text
    assert any("ignores them" in note for note in runs[0][-1].notes)


def test_beam_search_does_not_stream_and_says_why(tiny_gpt2):
    updates = list(generation.stream(tiny_gpt2, "Hello", Decoding(max_new_tokens=12, strategy="beam search")))
    assert updates[-1].done and updates[-1].tokens > 0 and updates[-1].text
    assert all(not u.done and u.text == "" for u in updates[:-1])  # beats while it searches, no partial text
    assert any("cannot stream" in note for note in updates[-1].notes)


def test_closing_the_stream_stops_generation(tiny_gpt2, tiny_gpt2_steps):
    """What the Stop button does: the consumer goes away, the worker ends between two tokens."""
    stream = generation.stream(tiny_gpt2, "Tell me more", Decoding(max_new_tokens=500))
    next(stream)
    next(stream)
    stream.close()
    assert causal_lm.running() == 0
    assert 2 <= len(tiny_gpt2_steps) < 500


def test_long_prompt_is_cut_from_the_left_with_a_notice():
    generator = stand_ins.gpt2(context=64)
    prompt = "start " + "word " * 300 + "THE END"
    update = list(generation.stream(generator, prompt, Decoding(max_new_tokens=10)))[-1]
    assert update.prompt.endswith("THE END")
    assert not update.prompt.startswith("start")
    assert any("were cut" in note for note in update.notes)


def test_hundred_thousand_characters_are_accepted(tiny_gpt2):
    update = list(generation.stream(tiny_gpt2, "a" * 100_000, Decoding(max_new_tokens=5)))[-1]
    assert update.done and any("were cut" in note for note in update.notes)


def test_chinese_emoji_and_control_characters(tiny_gpt2):
    update = list(generation.stream(tiny_gpt2, "从前有一座山 🏔\x00\x07", Decoding(max_new_tokens=10)))[-1]
    assert update.prompt == "从前有一座山 🏔"
    assert update.tokens == 10


@pytest.mark.parametrize(
    "prompt, settings, message",
    [
        ("", {}, "enter a prompt"),
        ("   \n ", {}, "enter a prompt"),
        ("Hi", {"max_new_tokens": 0}, "at least 1"),
        ("Hi", {"max_new_tokens": 513}, "between 1 and 512"),
        ("Hi", {"temperature": 0}, "Temperature must be above 0"),
        ("Hi", {"top_p": 0}, "Top-p"),
        ("Hi", {"strategy": "telepathy"}, "Unknown decoding strategy"),
    ],
)
def test_bad_settings_say_why(tiny_gpt2, prompt, settings, message):
    with pytest.raises(ShowcaseError, match=message):
        list(generation.stream(tiny_gpt2, prompt, Decoding(**settings)))


def test_one_settings_type_drives_generate_and_the_decode_step():
    sampling = Decoding(temperature=0.7, top_k=20, top_p=0.9, repetition_penalty=1.2)
    assert sampling.generate_kwargs() == dict(
        max_new_tokens=60,
        no_repeat_ngram_size=0,
        repetition_penalty=1.2,
        do_sample=True,
        temperature=0.7,
        top_k=20,
        top_p=0.9,
    )
    names = [type(p).__name__ for p in sampling.logits_processors()]
    assert names == [
        "RepetitionPenaltyLogitsProcessor",
        "TemperatureLogitsWarper",
        "TopKLogitsWarper",
        "TopPLogitsWarper",
    ]
    beams = Decoding("beam search", temperature=0.7)
    assert beams.generate_kwargs()["num_beams"] == 4 and "temperature" not in beams.generate_kwargs()
    assert not beams.streams and not Decoding("greedy").logits_processors()


def test_missing_weights_say_which_and_how(empty_model_cache):
    # ../shared has GPT-2's tokenizer but not its weights.
    with pytest.raises(ModelUnavailable, match=r"'openai-community/gpt2' could not be loaded.*HF_HOME"):
        generation.TASK.load("openai-community/gpt2")


def test_a_stopped_beam_search_frees_the_cpu_at_once():
    """Beam search cannot stream, but it beats every half second, so closing it stops the search."""
    import time

    gpt2 = stand_ins.gpt2(tiny=False)
    search = generation.stream(gpt2, "word " * 600, Decoding(max_new_tokens=300, strategy="beam search"))
    first = next(search)
    assert not first.done and first.text == "" and causal_lm.running() == 1
    closed = time.perf_counter()
    search.close()
    while causal_lm.running() and time.perf_counter() - closed < 5:
        time.sleep(0.05)
    assert causal_lm.running() == 0 and time.perf_counter() - closed < 2


@pytest.mark.parametrize(
    "seed, message",
    [
        (2**64, "The seed must be from 0 to"),
        (-5, "The seed must be from 0 to"),
        (1.5, "The seed must be a whole number"),
        (float("nan"), "whole number"),
    ],
)
def test_impossible_seeds_say_why(seed, message):
    with pytest.raises(ShowcaseError, match=message):
        generation.read_seed(seed)
    assert generation.read_seed(-1) is None and generation.read_seed(2**63 - 1) == 2**63 - 1


# ---------------------------------------------------------------- explaining an answer


@pytest.mark.parametrize("accelerated", [True, False], ids=["decode step", "generate"])
def test_each_token_carries_its_probability_and_the_tokens_it_could_have_been(accelerated, monkeypatch):
    """Greedy picks the likeliest token, so each token heads its own alternatives; sampling's
    probabilities are those of the distribution it drew from (top-k 5 here: they add up to 1). Both
    decoding paths, the accelerated decode step and transformers' generate, record the same."""
    if not accelerated:
        monkeypatch.setenv("SHOWCASE_RUNTIME", "torch")
    generator = stand_ins.gpt2()
    assert (generator.decoder is not None) == accelerated
    greedy = list(generator.stream("Once upon a time", Decoding("greedy", max_new_tokens=12)))[-1]
    assert len(greedy.choices) == greedy.tokens == 12
    for choice in greedy.choices:
        probabilities = [p for _, p in choice.alternatives]
        assert len(choice.alternatives) == 5 and probabilities == sorted(probabilities, reverse=True)
        assert choice.alternatives[0] == (choice.text, choice.probability)
    assert "".join(choice.text for choice in greedy.choices) == greedy.text
    sampled = list(generator.stream("Once upon a time", Decoding("sampling", max_new_tokens=12, top_k=5, seed=3)))[-1]
    for choice in sampled.choices:
        assert sum(p for _, p in choice.alternatives) == pytest.approx(1, abs=1e-3)
        assert (choice.text, choice.probability) in choice.alternatives
    assert [c.probability for c in sampled.choices] != [c.alternatives[0][1] for c in sampled.choices]  # not all top
    beams = list(generator.stream("Once upon a time", Decoding("beam search", max_new_tokens=5)))[-1]
    assert beams.choices == ()


@pytest.fixture
def tab_gpt2(tiny_gpt2, monkeypatch):
    """tiny_gpt2 as the tab's default model, in a model layer of this test's own."""
    monkeypatch.setattr(models, "_backend", Embedded())
    stand_ins.install({"openai-community/gpt2": tiny_gpt2})


def test_the_answer_on_screen_is_explained_token_by_token(tab_gpt2, chinese_request):
    *_, (text, info, choices) = generation.run_on_page(
        "Hello there", "openai-community/gpt2", 8, "greedy", 1, 50, 1, 0, 1, 1
    )
    highlighted, table, note = generation.explain_choices(choices)
    assert [token for token, _ in highlighted] == [choice.text for choice in choices] and len(highlighted) == 8
    assert table.columns.tolist() == ["token", "概率", ""] and table.iloc[0, 2] == "← 选中"
    assert note.startswith("点击一个词元，查看它本可能是什么。最不确定的：")
    with pytest.raises(Exception, match="还没有可解释的回答"):
        generation.explain_choices(None)


def test_the_api_generates_and_explains_in_one_call(tab_gpt2):
    table, info = generation.explain_generate(
        "Hello there", "openai-community/gpt2", 6, "sampling", 0.8, 50, 0.95, 0, 1, 9
    )
    assert table["position"].tolist() == list(range(1, 7)) and table["probability"].str.endswith("%").all()
    assert table["the likeliest tokens at that step"].str.count(" · ").eq(4).all()
    streamed = list(generation.run("Hello there", "openai-community/gpt2", 6, "sampling", 0.8, 50, 0.95, 0, 1, 9))
    assert "".join(table["token"]) in streamed[-1][0]  # the same text as /generate with the same seed
    with pytest.raises(Exception, match="Beam search keeps several texts at once"):
        generation.explain_generate("Hello", "openai-community/gpt2", 6, "beam search", 0.8, 50, 0.95, 0, 1, 9)
