"""The encoder's word embeddings kept in the image's 4-bit blocks: rows are expanded to fp32 only for the tokens a
batch uses. The fp32 matrix would be 384 MB (250k pieces x 384); this holds 108 MB (int8 weights, one scale per
32), and yields exactly the values a full dequantization gives."""

from __future__ import annotations

import numpy as np
import torch


class Q4Embedding(torch.nn.Module):
    def __init__(self, weights: np.ndarray, scales: np.ndarray) -> None:
        """`weights`: int8 (rows, dim), values -8..7; `scales`: float32 (rows, dim // 32)."""
        super().__init__()
        self.register_buffer("weights", torch.from_numpy(weights), persistent=False)
        self.register_buffer("scales", torch.from_numpy(scales), persistent=False)
        self.num_embeddings, self.embedding_dim = weights.shape

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        rows = self.weights[input_ids].to(torch.float32)
        blocks = rows.view(*input_ids.shape, self.scales.shape[1], -1) * self.scales[input_ids].unsqueeze(-1)
        return blocks.view(*input_ids.shape, self.embedding_dim)
