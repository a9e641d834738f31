"""Batches for an encoder: token ids grouped by length (less padding) and padded into tensors."""

from __future__ import annotations

from typing import Any, Iterator


def by_length(ids: list[list[int]], pad_id: int, batch_size: int) -> Iterator[tuple[list[int], Any, Any]]:
    """(indices into `ids`, input_ids, attention_mask) per batch, shortest rows first; callers put results back
    in their own order through the indices."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        yield (chunk, *padded([ids[i] for i in chunk], pad_id))


def padded(rows: list[list[int]], pad_id: int) -> tuple[Any, Any]:
    """Right-pad one batch to its longest row; by hand, as `tokenizer.pad`'s per-row Python checks showed up
    next to the forward pass on a GPU."""
    import torch

    input_ids = torch.full((len(rows), max(len(r) for r in rows)), pad_id, dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    for n, row in enumerate(rows):
        input_ids[n, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[n, :len(row)] = 1
    return input_ids, mask
