"""Random-weight models of the real architectures, for tests (tiny) and benchmarks (full size).

ResNet, CLIP, GPT-2 and the sentiment models' weights cannot be downloaded on our machines;
behaviour and speed do not depend on the weight values, so these stand in for them, wrapped by the
model layer's own code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

import models
from models import clip as clip_family
from models import image_classifier, sequence_classifier
from models.causal_lm import CausalLM

# A real BERT WordPiece tokenizer with real weights on disk (../shared/models/hf): CLIP's own
# tokenizer files are not available, and the text tower only needs ids, a pad and an end token.
TOKENIZER_ID = "sentence-transformers/all-MiniLM-L6-v2"
# Chinese BERT's vocabulary (one token per character), which Chinese CLIP's text tower uses.
CHINESE_TOKENIZER_ID = "google-bert/bert-base-chinese"


def resnet(model_id: str = "resnet50", tiny: bool = True, top_class: int | None = None):
    """A ResNet with random weights; `top_class` rigs the head so that class always wins."""
    from torchvision.models import resnet18, resnet50

    torch.manual_seed(0)
    network = resnet18() if tiny else resnet50()
    if top_class is not None:
        with torch.no_grad():
            network.fc.weight.zero_()
            network.fc.bias.zero_()
            network.fc.bias[top_class] = 10.0
    return image_classifier.wrap(network, model_id)


def clip(model_id: str = "openai/clip-vit-base-patch32", tiny: bool = True):
    """CLIP, or Chinese CLIP when spaces.yaml says the model reads Chinese."""
    from transformers import (
        AutoTokenizer,
        ChineseCLIPConfig,
        ChineseCLIPModel,
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
    )

    torch.manual_seed(0)
    chinese = "zh" in models.languages(model_id)
    tokenizer = AutoTokenizer.from_pretrained(CHINESE_TOKENIZER_ID if chinese else TOKENIZER_ID)
    image_size = 32 if tiny else 224
    text = dict(vocab_size=tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id)
    vision = dict(image_size=image_size, patch_size=8 if tiny else 32)
    if tiny:
        small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
        text.update(small)
        vision.update(small)
    if chinese:
        model = ChineseCLIPModel(
            ChineseCLIPConfig(text_config=text, vision_config=vision, projection_dim=16 if tiny else 512)
        )
    else:
        # CLIP pools the text at the first end token: BERT's [SEP].
        text.update(
            eos_token_id=tokenizer.sep_token_id, bos_token_id=tokenizer.cls_token_id, max_position_embeddings=77
        )
        model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16 if tiny else 512))
    processor = CLIPImageProcessor(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    return clip_family.wrap(model, tokenizer, processor, model_id)


def gpt2(model_id: str = "openai-community/gpt2", tiny: bool = True, context: int = 1024):
    """GPT-2 with random weights and the real GPT-2 tokenizer (its files are in ../shared); Chinese
    GPT-2 over Chinese BERT's vocabulary, as uer's model is, with no end-of-text token."""
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    size = dict(n_layer=2, n_head=2, n_embd=32) if tiny else {}
    if models.reads(model_id, "zh"):
        tokenizer = AutoTokenizer.from_pretrained(CHINESE_TOKENIZER_ID)
        size.update(vocab_size=tokenizer.vocab_size, bos_token_id=None, eos_token_id=None)
    else:
        tokenizer = AutoTokenizer.from_pretrained("openai-community/gpt2")

    def build() -> GPT2LMHeadModel:  # the same weights each time: a dropped PyTorch copy loads again as it was
        torch.manual_seed(0)
        return GPT2LMHeadModel(GPT2Config(n_positions=context, **size))

    return CausalLM.wrap(build(), tokenizer, model_id, reload=build)


def sentiment(model_id: str = "distilbert/distilbert-base-uncased-finetuned-sst-2-english", tiny: bool = True):
    """A DistilBERT sentiment classifier with random weights over BERT's WordPiece vocabulary (Chinese
    BERT's for a model that reads Chinese)."""
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(CHINESE_TOKENIZER_ID if models.reads(model_id, "zh") else TOKENIZER_ID)
    size = dict(dim=32, hidden_dim=64, n_layers=2, n_heads=2) if tiny else {}
    config = DistilBertConfig(
        vocab_size=tokenizer.vocab_size,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
        **size,
    )
    return sequence_classifier.wrap(DistilBertForSequenceClassification(config), tokenizer, model_id)


def sentence_encoder(model_id: str):
    """A tiny random BERT encoder; for a model that reads Chinese, over Chinese BERT's vocabulary."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from models.sentence_encoder import SentenceEncoder

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(CHINESE_TOKENIZER_ID if models.reads(model_id, "zh") else TOKENIZER_ID)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        attn_implementation="eager",
    )
    return SentenceEncoder.wrap(BertModel(config), tokenizer, model_id)


def bert_classifier(base_model: str, classes: list[str]):
    """Same signature as models.sequence_classifier.fresh_head: a tiny random BERT with a new head."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_ID)
    labels = dict(enumerate(classes))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=len(classes),
        id2label=labels,
        label2id={c: n for n, c in labels.items()},
    )
    return BertForSequenceClassification(config), tokenizer


# The families whose weights are missing here, and how to build a stand-in of one of their models.
BUILDERS: dict[str, Callable[[str, bool], object]] = {
    "image_classifier": lambda model_id, tiny: resnet(model_id, tiny),
    "clip": lambda model_id, tiny: clip(model_id, tiny),
    "causal_lm": lambda model_id, tiny: gpt2(model_id, tiny),
    "sequence_classifier": lambda model_id, tiny: sentiment(model_id, tiny),
}


def missing_defaults(every_language: bool = True) -> list[str]:
    """Every tab's default models whose weights are missing here (the families in BUILDERS). With
    `every_language`, the model each tab starts with for a visitor of each language too (Chinese-CLIP
    for a Chinese one); without, only what app.py --preload loads, as full-size stand-ins measure it."""
    import i18n
    import tasks

    languages = i18n.languages() if every_language else [i18n.SOURCE]
    wanted = [
        task.model_for(language, role)
        for task in tasks.registered()
        for role in task.families
        for language in languages
    ]
    return [m for m in dict.fromkeys(wanted) if models.family_of(m) in BUILDERS]


def build(model_id: str, tiny: bool = True):
    return BUILDERS[models.family_of(model_id)](model_id, tiny)


def install(stand_ins: dict[str, object]) -> None:
    """Puts each model in the model layer's cache under its id, as if it had been loaded; the
    runtime ledger's copies of one are tiny stand-ins of its family, seeded alike."""
    for model_id, model in stand_ins.items():
        recipe = functools.partial(build, model_id) if models.family_of(model_id) in BUILDERS else None
        models.backend().install(model_id, model, recipe)


def defaults(tiny: bool = True) -> dict[str, object]:
    """A stand-in for each of missing_defaults(), by model id (full-size ones: the app's preloads)."""
    return {model_id: build(model_id, tiny) for model_id in missing_defaults(every_language=tiny)}


def install_defaults(family: str | None = None, tiny: bool = True, warm: bool = True) -> None:
    """A stand-in for each missing default model (of one family, if given), installed, and warmed as
    models.load warms what it loads (converted for the CPU runtime). What the stand-in server runs
    first, and each Ray Serve replica in tests and benchmarks (models.remote.RayServe's setup).
    Full-size stand-ins are only what app.py --preload loads, so benchmarks measure the app's start."""
    for model_id in missing_defaults(every_language=tiny):
        if family in (None, models.family_of(model_id)):
            model = build(model_id, tiny)
            if warm:
                model.warm()
            models.backend().install(model_id, model, functools.partial(build, model_id, tiny))
