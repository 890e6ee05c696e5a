"""GPT-2's token-by-token generation on the accelerated runtime.

One network, the decode step, takes new tokens and the key/value cache of the earlier ones as
explicit tensors and returns the next token's logits and the cache grown by them: the prompt goes
through it once, then each new token. It is converted, cached and compiled like any other network
(models.runtime.Runner), but computes in fp32 on every CPU: in bf16 one near-tie decided the other
way changes every token after it, and greedy text would no longer be PyTorch's (bench/RESULTS.md,
section 8).
The loop applies transformers' own logits processors (models.decoding), so greedy decoding and sampling mean what they
mean in `generate`; beam search stays with `generate`.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from transformers import LogitsProcessorList, StoppingCriteriaList

from models.decoding import Decoding
from models.runtime import Runner

# The cache starts with one empty slot, always masked: a cache of no positions would be a tensor
# with a zero-sized dimension, which the converted network need never handle.
MASKED = -1e9


def attention_bias(cached: int, rows: int, kept: int) -> torch.Tensor:
    """[rows, 1 + cached + kept] for new rows after the empty slot and `cached` tokens, of which the
    last `kept` join the cache: 0 where a row may look (the cached tokens, the kept rows up to
    itself), MASKED elsewhere. A row before the kept ones (a padding copy) sees the cache only."""
    earlier = torch.ones(rows, kept, dtype=torch.bool).tril(diagonal=kept - rows)
    allowed = torch.cat([torch.ones(rows, 1 + cached, dtype=torch.bool), earlier], dim=1)
    allowed[:, 0] = False
    return torch.zeros(allowed.shape).masked_fill(~allowed, MASKED)


class DecodeStep(torch.nn.Module):
    """New tokens through a GPT-2 network after the cached ones: (tokens, their positions, the
    attention bias, every layer's cached keys and values, stacked, the positions of the last rows,
    whose keys and values join the cache) -> (the logits after the last token, keys and values grown
    by those rows). Only the length of kept_positions matters: rows before them (a padding copy)
    are computed, but neither cached nor looked at."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.body = model.transformer
        self.head = model.lm_head
        self.heads = model.config.n_head

    def forward(self, input_ids, position_ids, attention_bias, past_keys, past_values, kept_positions):
        x = self.body.wte(input_ids) + self.body.wpe(position_ids)
        batch, length, width = x.shape
        first_kept = length - kept_positions.shape[-1]
        keys, values = [], []
        for layer, block in enumerate(self.body.h):
            q, k, v = block.attn.c_attn(block.ln_1(x)).split(width, dim=2)
            q, k, v = (t.view(batch, length, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v))
            keys.append(torch.cat([past_keys[layer], k[:, :, first_kept:]], dim=2))
            values.append(torch.cat([past_values[layer], v[:, :, first_kept:]], dim=2))
            attended = torch.nn.functional.scaled_dot_product_attention(
                q, keys[-1], values[-1], attn_mask=attention_bias
            )
            x = x + block.attn.c_proj(attended.transpose(1, 2).reshape(batch, length, width))
            x = x + block.mlp(block.ln_2(x))
        return self.head(self.body.ln_f(x[:, -1])), torch.stack(keys), torch.stack(values)


def supports(model: torch.nn.Module) -> bool:
    """Whether the network is GPT-2's architecture, which DecodeStep reimplements."""
    config = model.config
    return (
        config.model_type == "gpt2"
        and not config.scale_attn_by_inverse_layer_idx
        and not config.reorder_and_upcast_attn
        and config.scale_attn_weights
    )


class Decoder:
    """Generation of one sequence (greedy or sampling) through the decode step."""

    def __init__(self, model: torch.nn.Module, model_id: str, device: torch.device, dtype: torch.dtype) -> None:
        config = model.config
        self.empty_cache = torch.zeros(config.n_layer, 1, config.n_head, 1, config.n_embd // config.n_head)
        # The part's name finds the converted step on disk: a new name whenever its inputs or outputs change.
        self.step = Runner(DecodeStep(model), model_id, "decode-step-kept", device, dtype, fp32_arithmetic=True)

    def run(self, tokens: torch.Tensor, cached: int, keys: torch.Tensor, values: torch.Tensor):
        """(logits after the last of `tokens`, keys, values) given the cache of `cached` tokens."""
        positions = kept = torch.arange(cached, cached + tokens.shape[1])[None]
        if tokens.shape[1] == 1:
            # Never one row alone: OpenVINO's CPU plugin lays the weights out a second time for one-row
            # inputs (bench/RESULTS.md, section 8), so a new token goes after a copy of itself that
            # the step neither caches nor attends to.
            tokens, positions = tokens.repeat(1, 2), positions.repeat(1, 2)
        return self.step.outputs(
            input_ids=tokens,
            position_ids=positions,
            attention_bias=attention_bias(cached, tokens.shape[1], kept.shape[1]),
            past_keys=keys,
            past_values=values,
            kept_positions=kept,
        )

    def tokens(
        self,
        ids: torch.Tensor,
        stopping: StoppingCriteriaList,
        decoding: Decoding,
        eos_token_id: int | None,
        recorders: LogitsProcessorList | None = None,
    ) -> Iterator[int]:
        """Yields each new token id; ends after the decoding's max_new_tokens, at the end-of-text
        token, or when stopping says so (checked before every step). `recorders` see each step's
        scores last, as in transformers' generate."""
        processors = decoding.logits_processors()
        processors.extend(recorders or [])
        sequence = ids.cpu()
        logits, keys, values = self.run(sequence, 0, self.empty_cache, self.empty_cache)
        for made in range(decoding.max_new_tokens):
            scores = processors(sequence, logits)
            if decoding.sampling:
                token = torch.multinomial(scores.softmax(dim=-1), 1)
            else:
                token = scores.argmax(dim=-1, keepdim=True)
            sequence = torch.cat([sequence, token], dim=1)
            yield int(token)
            if int(token) == eos_token_id or made + 1 == decoding.max_new_tokens or stopping(sequence, scores).all():
                return
            logits, keys, values = self.run(token, sequence.shape[1] - 1, keys, values)
