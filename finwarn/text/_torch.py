"""Torch parts of the text classifiers: attention, padding masks, network, training loop.

One place for what :class:`~finwarn.text._lstm.LSTMAttentionClassifier` and
:class:`~finwarn.text._fusion.FusedClassifier` share: the LSTM with additive attention
over its outputs (padding masked), the financial branches of paper 001 (a single layer
or a CNN over the indicator matrix), the network that joins them, the training loop and
batched inference.

This module imports torch at the top; the estimator modules import it only inside
``fit`` and the prediction methods (after checking that torch is installed), so
``finwarn.text`` imports without torch. The classes live at module level so that fitted
estimators pickle.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from finwarn.models._bp import _torch_threads

__all__ = [
    "AdditiveAttention",
    "CNNBranch",
    "DenseBranch",
    "FusionNet",
    "TextEncoder",
    "masked_softmax",
    "predict",
    "train_network",
]

logger = logging.getLogger(__name__)

#: Documents scored per forward pass at prediction time.
PREDICT_BATCH = 256
#: Largest gradient norm before clipping (LSTMs are prone to exploding gradients).
GRADIENT_CLIP = 5.0
_HISTORY_COLUMNS = ["epoch", "train_loss"]

Inputs = dict[str, np.ndarray | None]


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis where ``mask`` is true; exact zeros elsewhere.

    A row without any true entry (an empty document) gets all zeros instead of NaN.
    """
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=-1) * mask


class AdditiveAttention(nn.Module):
    """Additive attention: ``score_t = v' tanh(W h_t + b)``, softmax over real tokens.

    Paper 001 scores each LSTM output ``h_t`` with a single hidden layer and normalises
    the scores with a softmax; the document is the attention-weighted sum of the
    outputs. With ``word_size > 0`` the scorer also sees the word vector ``e_t`` of each
    token (``W [h_t; e_t]``), which keeps the weight on the words that carry a signal
    rather than spreading it over the tokens after them, whose LSTM outputs still
    remember the signal.
    """

    def __init__(self, input_size: int, attention_size: int, word_size: int = 0) -> None:
        super().__init__()
        self.project = nn.Linear(input_size + word_size, attention_size)
        self.score = nn.Linear(attention_size, 1, bias=False)

    def forward(
        self, states: torch.Tensor, mask: torch.Tensor, words: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Context vectors ``(batch, input_size)`` and weights ``(batch, steps)``."""
        features = states if words is None else torch.cat([states, words], dim=-1)
        scores = self.score(torch.tanh(self.project(features))).squeeze(-1)
        weights = masked_softmax(scores, mask)
        return torch.bmm(weights.unsqueeze(1), states).squeeze(1), weights


class TextEncoder(nn.Module):
    """Word vectors -> LSTM -> attention: one vector per document, plus its weights."""

    def __init__(
        self,
        vectors: np.ndarray,
        *,
        hidden_size: int,
        bidirectional: bool,
        attention_size: int,
        freeze_embeddings: bool,
        score_words: bool,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(
            torch.tensor(vectors, dtype=torch.float32),
            freeze=freeze_embeddings,
            padding_idx=0,
        )
        self.lstm = nn.LSTM(
            vectors.shape[1], hidden_size, batch_first=True, bidirectional=bidirectional
        )
        self.out_features = hidden_size * (2 if bidirectional else 1)
        self.score_words = score_words
        self.attention = AdditiveAttention(
            self.out_features, attention_size, vectors.shape[1] if score_words else 0
        )

    def forward(
        self, tokens: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        embedded = self.embedding(tokens)
        if self.lstm.bidirectional:
            # the backward direction must start at each document's last real token
            packed = pack_padded_sequence(
                embedded, lengths.clamp(min=1), batch_first=True, enforce_sorted=False
            )
            states, _ = pad_packed_sequence(
                self.lstm(packed)[0], batch_first=True, total_length=tokens.shape[1]
            )
        else:
            # with right padding, the output at a real token never sees the padding after
            # it, so packing (twice as slow on CPU) is not needed
            states, _ = self.lstm(embedded)
        mask = torch.arange(tokens.shape[1]) < lengths.unsqueeze(1)
        return self.attention(states, mask, embedded if self.score_words else None)


class DenseBranch(nn.Module):
    """Paper 001's first form: the financial vector through a single layer."""

    def __init__(self, n_inputs: int, units: int) -> None:
        super().__init__()
        self.layer = nn.Linear(n_inputs, units)
        self.out_features = units

    def forward(self, numeric: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.layer(numeric.flatten(1)))


class CNNBranch(nn.Module):
    """Paper 001's second form: a convolution over the indicator matrix.

    The input is ``(batch, channels_in, rows, columns)``: one row per dimension of
    indicators. The feature maps are flattened, not pooled, so that the layer after them
    still knows which indicator each activation came from.
    """

    def __init__(
        self, shape: tuple[int, ...], *, channels: int, kernel_size: int, units: int
    ) -> None:
        super().__init__()
        channels_in, rows, columns = shape
        kernel_h, kernel_w = min(kernel_size, rows), min(kernel_size, columns)
        # zero padding keeps the matrix size ("same"), also for even kernels
        self.pad = nn.ZeroPad2d(
            ((kernel_w - 1) // 2, kernel_w // 2, (kernel_h - 1) // 2, kernel_h // 2)
        )
        self.conv = nn.Conv2d(channels_in, channels, (kernel_h, kernel_w))
        self.layer = nn.Linear(channels * rows * columns, units)
        self.out_features = units

    def forward(self, numeric: torch.Tensor) -> torch.Tensor:
        maps = torch.relu(self.conv(self.pad(numeric)))
        return torch.tanh(self.layer(maps.flatten(1)))


class FusionNet(nn.Module):
    """Text branch, financial branch or both, concatenated into one output layer."""

    def __init__(
        self,
        *,
        text: TextEncoder | None,
        financial: DenseBranch | CNNBranch | None,
        n_outputs: int,
        dropout: float,
    ) -> None:
        super().__init__()
        if text is None and financial is None:
            raise ValueError("FusionNet needs a text branch, a financial branch or both.")
        self.text = text
        self.financial = financial
        width = (0 if text is None else text.out_features) + (
            0 if financial is None else financial.out_features
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, n_outputs)

    def forward(
        self,
        tokens: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
        numeric: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Class logits ``(batch, n_outputs)`` and attention weights (None without text)."""
        parts, weights = [], None
        if self.text is not None:
            assert tokens is not None and lengths is not None
            context, weights = self.text(tokens, lengths)
            parts.append(context)
        if self.financial is not None:
            assert numeric is not None
            parts.append(self.financial(numeric))
        return self.head(self.dropout(torch.cat(parts, dim=1))), weights


def _tensors(inputs: Inputs) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(array) for name, array in inputs.items() if array is not None}


def _batch(data: dict[str, torch.Tensor], rows: torch.Tensor) -> dict[str, torch.Tensor]:
    """The rows of one batch, the token matrix cut to the batch's longest document."""
    batch = {name: tensor[rows] for name, tensor in data.items()}
    if "tokens" in batch:
        width = max(1, int(batch["lengths"].max()))
        batch["tokens"] = batch["tokens"][:, :width]
    return batch


def train_network(
    build: Callable[[], nn.Module],
    inputs: Inputs,
    y_index: np.ndarray,
    class_weights: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    n_threads: int | None,
    owner: str,
    verbose: bool = False,
) -> tuple[nn.Module, pd.DataFrame]:
    """Build a network with ``build`` and train it on the class-weighted cross-entropy.

    Adam, shuffled mini-batches, gradient-norm clipping. The weight initialisation,
    batch order and dropout are seeded by ``seed``; torch's global random state and
    thread count are restored afterwards.

    Returns
    -------
    module : torch.nn.Module
        The trained network, in evaluation mode.
    history : pandas.DataFrame
        ``epoch`` and ``train_loss`` (class-weighted mean cross-entropy) per epoch.
    """
    data = _tensors(inputs)
    targets = torch.from_numpy(y_index.astype(np.int64))
    row_weights = torch.as_tensor(class_weights, dtype=torch.float32)[targets]
    level = logging.INFO if verbose else logging.DEBUG
    rows: list[dict[str, float]] = []
    with _torch_threads(torch, n_threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        module = build()
        trainable = [p for p in module.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(trainable, lr=learning_rate)
        loss_fn = nn.CrossEntropyLoss(reduction="none")
        n = targets.shape[0]
        for epoch in range(1, epochs + 1):
            module.train()
            total, weight_total = 0.0, 0.0
            for batch_rows in torch.randperm(n, generator=generator).split(batch_size):
                logits, _ = module(**_batch(data, batch_rows))
                w = row_weights[batch_rows]
                loss = (w * loss_fn(logits, targets[batch_rows])).sum() / w.sum()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(trainable, GRADIENT_CLIP)
                optimizer.step()
                total += float(loss.detach()) * float(w.sum())
                weight_total += float(w.sum())
            train_loss = total / weight_total
            if not math.isfinite(train_loss):
                raise ValueError(
                    f"{owner} training diverged: the training loss is {train_loss} at epoch "
                    f"{epoch}. Lower learning_rate (it is {learning_rate})."
                )
            rows.append({"epoch": epoch, "train_loss": train_loss})
            logger.log(level, "%s epoch %d/%d: train_loss=%.5f", owner, epoch, epochs, train_loss)
    module.eval()
    return module, pd.DataFrame(rows, columns=_HISTORY_COLUMNS)


def predict(
    module: nn.Module,
    inputs: Inputs,
    *,
    n_threads: int | None,
    batch_size: int = PREDICT_BATCH,
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Class probabilities and per-document attention weights, in batches.

    Documents are scored in order of length so that a batch pads little; the results
    come back in the input order. The weights of a document cover its real tokens only.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_outputs)
    weights : list of ndarray, or None
        Attention weights per document (None for a network without text).
    """
    data = _tensors(inputs)
    n = next(iter(data.values())).shape[0]
    lengths = inputs.get("lengths")
    order = np.arange(n) if lengths is None else np.argsort(lengths, kind="stable")
    proba: np.ndarray | None = None
    weights: list[Any] = [None] * n if lengths is not None else []
    module.eval()
    with _torch_threads(torch, n_threads), torch.inference_mode():
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            logits, attention = module(**_batch(data, torch.from_numpy(rows)))
            chunk = torch.softmax(logits.double(), dim=1).numpy()
            if proba is None:
                proba = np.empty((n, chunk.shape[1]))
            proba[rows] = chunk
            if attention is not None and lengths is not None:
                attention = attention.double().numpy()
                for i, row in enumerate(rows):
                    own = attention[i, : lengths[row]]
                    # renormalised in float64: the float32 softmax sums to 1 within ~1e-7
                    weights[row] = own / own.sum() if own.size else own.copy()
    assert proba is not None
    return proba, (weights if lengths is not None else None)


def branch_margins(
    module: FusionNet,
    inputs: Inputs,
    *,
    n_threads: int | None,
    batch_size: int = PREDICT_BATCH,
) -> dict[str, Any]:
    """Each branch's share of a binary network's log-odds of class 1.

    The output layer is linear over the concatenated branch outputs, so the log-odds
    ``logit_1 - logit_0`` is exactly ``text + financial + bias``: each branch's output
    times its slice of the output weights (dropout is off in evaluation).

    Returns
    -------
    dict
        ``text`` and ``financial`` (ndarray of shape (n_samples,), or None for a branch
        the network does not have or ``inputs`` do not feed) and ``bias`` (float).
    """
    head = module.head
    if head.out_features != 2:
        raise ValueError(f"branch margins need a binary network, got {head.out_features} outputs.")
    with torch.inference_mode():
        w = (head.weight[1] - head.weight[0]).double()
        bias = float(head.bias[1] - head.bias[0])
    text_width = 0 if module.text is None else module.text.out_features
    data = _tensors(inputs)
    n = next(iter(data.values())).shape[0]
    use_text = module.text is not None and "tokens" in data
    out: dict[str, Any] = {
        "text": np.empty(n) if use_text else None,
        "financial": None if module.financial is None else np.empty(n),
        "bias": bias,
    }
    lengths = inputs.get("lengths")
    order = np.arange(n) if lengths is None else np.argsort(lengths, kind="stable")
    module.eval()
    with _torch_threads(torch, n_threads), torch.inference_mode():
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            batch = _batch(data, torch.from_numpy(rows))
            if use_text and module.text is not None:
                context, _ = module.text(batch["tokens"], batch["lengths"])
                out["text"][rows] = (context.double() @ w[:text_width]).numpy()
            if module.financial is not None:
                hidden = module.financial(batch["numeric"]).double()
                out["financial"][rows] = (hidden @ w[text_width:]).numpy()
    return out
