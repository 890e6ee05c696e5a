"""Random-weight models of the real architectures, for tests (tiny) and benchmarks (full size).

ResNet and CLIP weights cannot be downloaded on our machines; behaviour and speed do not depend on
the weight values, so these stand in for them through the tasks' own `prepare` functions.
"""

from __future__ import annotations

import torch
from torchvision.models import resnet18, resnet50

from tasks import common, image_classification, zero_shot

# A real BERT WordPiece tokenizer with real weights on disk (../shared/models/hf): CLIP's own
# tokenizer files are not available, and the text tower only needs ids, a pad and an end token.
TOKENIZER_ID = "sentence-transformers/all-MiniLM-L6-v2"


def resnet(model_id: str = "resnet50", tiny: bool = True, top_class: int | None = None):
    """A ResNet with random weights; `top_class` rigs the head so that class always wins."""
    torch.manual_seed(0)
    model = resnet18() if tiny else resnet50()
    if top_class is not None:
        with torch.no_grad():
            model.fc.weight.zero_()
            model.fc.bias.zero_()
            model.fc.bias[top_class] = 10.0
    return image_classification.prepare(model, image_classification.weights_for(model_id), model_id)


def clip(model_id: str = "openai/clip-vit-base-patch32", tiny: bool = True, chinese: bool = False):
    from transformers import (
        AutoTokenizer,
        ChineseCLIPConfig,
        ChineseCLIPModel,
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
    )

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_ID)
    image_size = 32 if tiny else 224
    text = dict(vocab_size=tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id)
    vision = dict(image_size=image_size, patch_size=8 if tiny else 32)
    if tiny:
        small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
        text.update(small)
        vision.update(small)
    if chinese:
        model = ChineseCLIPModel(ChineseCLIPConfig(text_config=text, vision_config=vision, projection_dim=16 if tiny else 512))
    else:
        # CLIP pools the text at the first end token: BERT's [SEP].
        text.update(eos_token_id=tokenizer.sep_token_id, bos_token_id=tokenizer.cls_token_id, max_position_embeddings=77)
        model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16 if tiny else 512))
    processor = CLIPImageProcessor(size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size})
    return zero_shot.prepare(model, tokenizer, processor, model_id)


def gpt2(model_id: str = "openai-community/gpt2", tiny: bool = True, context: int = 1024):
    """GPT-2 with random weights and the real GPT-2 tokenizer (its files are in ../shared)."""
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained("openai-community/gpt2")
    size = dict(n_layer=2, n_head=2, n_embd=32) if tiny else {}
    model = GPT2LMHeadModel(GPT2Config(n_positions=context, **size))
    return common.prepare_hub_model(model, tokenizer, model_id)


def sentiment(model_id: str = "distilbert/distilbert-base-uncased-finetuned-sst-2-english", tiny: bool = True):
    """A DistilBERT sentiment classifier with random weights over BERT's WordPiece vocabulary."""
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_ID)
    size = dict(dim=32, hidden_dim=64, n_layers=2, n_heads=2) if tiny else {}
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                              label2id={"NEGATIVE": 0, "POSITIVE": 1}, **size)
    return common.prepare_hub_model(DistilBertForSequenceClassification(config), tokenizer, model_id)


def bert_classifier(base_model: str, classes: list[str]):
    """Same signature as finetune_text.pretrained_classifier: a tiny random BERT with a fresh head."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_ID)
    labels = dict(enumerate(classes))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, num_labels=len(classes), id2label=labels,
                        label2id={c: n for n, c in labels.items()})
    return BertForSequenceClassification(config), tokenizer


def stand_ins(tiny: bool) -> dict:
    """Builders of a stand-in for each default model whose weights are missing here, by cache key."""
    from tasks import generation, text_classification

    clip_id = zero_shot.CHOICES[0]
    return {
        image_classification.CHOICES[0]: lambda: resnet(image_classification.CHOICES[0], tiny=tiny),
        clip_id: lambda: clip(clip_id, tiny=tiny),
        common.hub_key(generation.AutoModelForCausalLM, generation.CHOICES[0]): lambda: gpt2(generation.CHOICES[0], tiny=tiny),
        common.hub_key(text_classification.AutoModelForSequenceClassification, text_classification.CHOICES[0]):
            lambda: sentiment(text_classification.CHOICES[0], tiny=tiny),
    }
