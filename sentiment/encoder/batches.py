"""Batches for an encoder: token ids grouped by length (less padding) and padded into tensors."""

from __future__ import annotations

from typing import Any, Iterator


def by_length(ids: list[list[int]], pad_id: int, batch_size: int, max_tokens: int | None = None
              ) -> Iterator[tuple[list[int], Any, Any]]:
    """(indices into `ids`, input_ids, attention_mask) per batch, shortest rows first; callers put results back
    in their own order through the indices. With `max_tokens`, a batch also ends before its padded size (rows x
    longest row) would pass it: long texts come in smaller batches, so the attention's memory, which grows with
    the square of the length, stays what a batch of short ones takes."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    chunk: list[int] = []
    for i in order:
        if chunk and (len(chunk) == batch_size or (max_tokens and (len(chunk) + 1) * len(ids[i]) > max_tokens)):
            yield (chunk, *padded([ids[j] for j in chunk], pad_id))
            chunk = []
        chunk.append(i)
    if chunk:
        yield (chunk, *padded([ids[j] for j in chunk], pad_id))


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
