"""BERT-family encoders (hub ids): mean-pooled sentence embeddings, and every layer's attention."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import torch

from models import calibration as calibration_set
from models import runtime
from models.base import Answers, Timings
from models.device import place
from models.hub import HubModel, from_hub
from models.runtime import Runner
from models.tensors import TEXTS_PER_PASS, chunked

FROM_HUB = True
# Row-wise methods (a row out per row of the first argument): joined across requests on Ray Serve.
BATCHED = ("embed", "rank")
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on at most 256 word pieces


@dataclass
class AttentionMap:
    """Every layer's and head's attention over a sentence's tokens."""

    tokens: list[str]
    weights: np.ndarray  # [layers, heads, query token, key token]; each row sums to 1
    truncated: bool  # the sentence was cut to the tokens asked for
    timings: Timings


@dataclass
class Alignment:
    """How the tokens of a query and of a sentence make up their cosine similarity: with mean-pooled,
    normalised embeddings the cosine is exactly the sum over token pairs of (query token state ·
    sentence token state) / (tokens of each × both means' lengths), the pair's part."""

    query_tokens: list[str]
    sentence_tokens: list[str]
    parts: np.ndarray  # [query token, sentence token]; sums to the cosine
    cosine: float
    query_spans: list[tuple[int, int]]  # each token's characters in its text ((0, 0): [CLS], [SEP])
    sentence_spans: list[tuple[int, int]]


@dataclass
class SentenceEncoder(HubModel):
    """Embeddings run on the accelerated runtime. The PyTorch network, which attention weights and
    saving need, is dropped when a loaded encoder warms up, and loaded again the first time one of
    those asks for it (network())."""

    states: Runner | None = None  # the token states, on the accelerated runtime
    reload_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        super().__post_init__()
        calibration = calibration_set.of_texts(self.model_id, lambda text: self.preprocess([text]))
        self.states = Runner(self.model, self.model_id, "states", self.device, self.dtype, calibration=calibration)

    def network(self) -> torch.nn.Module:
        with self.reload_lock:
            if self.model is None:
                self.model = place(pretrained(self.model_id))[0]
            return self.model

    def save(self, folder) -> None:
        self.network().save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)

    def runners(self) -> list[Runner]:
        return [self.states]

    @property
    def shape(self) -> tuple[int, int]:
        """Layers and attention heads."""
        return self.config.num_hidden_layers, self.config.num_attention_heads

    def preprocess(self, sentences: list[str], max_length: int = MAX_TOKENS) -> dict[str, torch.Tensor]:
        return dict(self.encode(sentences, padding=True, truncation=True, max_length=max_length, return_tensors="pt"))

    def forward(self, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
        """Unit sentence embeddings: token states averaged over real (unpadded) tokens, then
        normalised, as sentence-transformers does for these models."""
        states = self.states(**tokens)
        with torch.inference_mode():
            mask = tokens["attention_mask"].to(states.device).unsqueeze(-1).float()
            mean = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)
            return torch.nn.functional.normalize(mean, dim=-1).cpu()

    def embed(self, sentences: list[str], max_length: int = MAX_TOKENS) -> torch.Tensor:
        return chunked(lambda part: self.forward(self.preprocess(part, max_length)), sentences, TEXTS_PER_PASS)

    def warm(self) -> None:
        self.embed(["warming up"])
        if self.states.runtime == runtime.OPENVINO:
            self.model = None
            runtime.return_freed_memory()

    def rank(self, queries: list[str], sentences: list[str]) -> Answers[np.ndarray]:
        """Each query's cosine similarity with every sentence (a row per query), in one pass."""
        timings = Timings()
        with timings.measure("forward", self.device):
            embeddings = self.embed(queries + sentences)
        with timings.measure("postprocess"):
            scores = (embeddings[: len(queries)] @ embeddings[len(queries) :].T).numpy()
        return Answers(list(scores), timings)

    def alignments(self, queries: list[str], sentences: list[str]) -> Answers[Alignment]:
        """Each query's and sentence's (pairwise) token-to-token parts of their cosine similarity
        (Alignment): one forward pass of every text's token states, nothing else."""
        timings = Timings()
        with timings.measure("preprocess"):
            tokens = self.encode(
                queries + sentences, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
        with timings.measure("forward", self.device):
            states = self.states(**dict(tokens)).float().cpu()
        with timings.measure("postprocess"):
            rows = []
            mask = tokens["attention_mask"].bool()
            for q in range(len(queries)):
                s = len(queries) + q
                query, sentence = states[q][mask[q]], states[s][mask[s]]
                query_mean, sentence_mean = query.mean(dim=0), sentence.mean(dim=0)
                scale = len(query) * len(sentence) * query_mean.norm() * sentence_mean.norm()
                parts = (query @ sentence.T / scale).numpy()
                names = [self.tokenizer.convert_ids_to_tokens(tokens["input_ids"][i][mask[i]]) for i in (q, s)]
                spans = [tokens.encodings[i].offsets[: int(mask[i].sum())] for i in (q, s)]
                rows.append(Alignment(names[0], names[1], parts, float(parts.sum()), *spans))
        return Answers(rows, timings)

    def attentions(self, sentence: str, max_tokens: int) -> AttentionMap:
        """The sentence's tokens (cut to max_tokens), and every layer's and head's attention over them."""
        timings = Timings()
        with timings.measure("preprocess"):
            tokens = self.encode(sentence, truncation=True, max_length=max_tokens, return_tensors="pt")
        with timings.measure("forward", self.device), torch.inference_mode():
            output = self.network()(**self.to_device(tokens), output_attentions=True)
        with timings.measure("postprocess"):
            weights = torch.stack([layer[0].float() for layer in output.attentions]).cpu().numpy()
            names = self.tokenizer.convert_ids_to_tokens(tokens["input_ids"][0])
        return AttentionMap(names, weights, bool(tokens.encodings[0].overflowing), timings)


def shape_of(model_id: str, local_only: bool = False) -> tuple[int, int]:
    """Layers and heads from the model's config (a small file), without loading its weights.
    local_only: only the cache, never the network (building the page must not wait on it)."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(model_id, local_files_only=local_only)
    except (OSError, ValueError):
        return 12, 12  # BERT-base; the model's own message comes when it is run
    return config.num_hidden_layers, config.num_attention_heads


def pretrained(model_id: str) -> torch.nn.Module:
    from transformers import AutoModel

    # Eager attention returns the weights (fused kernels do not), so one copy serves every tab.
    return AutoModel.from_pretrained(model_id, attn_implementation="eager")


def load(model_id: str) -> SentenceEncoder:
    from transformers import AutoTokenizer

    model, tokenizer = from_hub(model_id, pretrained, AutoTokenizer.from_pretrained)
    return SentenceEncoder.wrap(model, tokenizer, model_id)
