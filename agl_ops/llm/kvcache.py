"""KV memory for continuous batching on CPU: one preallocated buffer, right-aligned rows.

Every running sequence owns one row of a per-layer ``(rows, kv_heads, cols, head_dim)``
buffer. All rows end at the same column (``length``), so a decode step writes the new
token of every sequence into one column in place: no ``torch.cat`` of the whole cache
per step (what ``DynamicCache`` does), and a sequence joins or leaves between any two
steps. Columns left of a row's start are masked out. The model sees this through a
transformers ``Cache`` whose ``update`` writes that column.

``fold_gqa_attention`` is the attention function used with it: for a single decode
token, grouped-query heads are folded into the query-length axis, so sdpa runs with a
padding mask without first copying K/V ``n_groups`` times (what transformers does when
a mask is given).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import Cache, CacheLayerMixin

__all__ = ["BatchKV", "ATTN_IMPLEMENTATION", "register_attention", "prompt_cache", "kv_of"]

ATTN_IMPLEMENTATION = "agl_fold_gqa"


class BatchKV:
    """Rows of running sequences; rows ``[0, rows)`` are live, all ending at ``length``."""

    def __init__(self, n_layers: int, n_kv_heads: int, head_dim: int, dtype: torch.dtype,
                 rows: int = 4, cols: int = 512) -> None:
        self.n_layers, self.n_kv_heads, self.head_dim, self.dtype = n_layers, n_kv_heads, head_dim, dtype
        self.rows = 0
        self.length = 0
        self.starts: list[int] = []  # first valid column of each live row
        self._alloc(rows, cols)

    def _alloc(self, rows: int, cols: int) -> None:
        shape = (rows, self.n_kv_heads, cols, self.head_dim)
        old = getattr(self, "keys", None)
        keys = [torch.zeros(shape, dtype=self.dtype) for _ in range(self.n_layers)]
        values = [torch.zeros(shape, dtype=self.dtype) for _ in range(self.n_layers)]
        valid = torch.zeros((rows, cols), dtype=torch.bool)
        if old is not None and self.rows:
            r, c = self.rows, self.length
            for i in range(self.n_layers):
                keys[i][:r, :, :c] = self.keys[i][:r, :, :c]
                values[i][:r, :, :c] = self.values[i][:r, :, :c]
            valid[:r, :c] = self.valid[:r, :c]
        self.keys, self.values, self.valid = keys, values, valid

    @property
    def capacity(self) -> tuple[int, int]:
        return self.valid.shape[0], self.valid.shape[1]

    def _shift(self, delta: int) -> None:
        """Move every live row ``delta`` columns (right if > 0, left if < 0)."""
        r, c = self.rows, self.length
        if delta == 0 or r == 0:
            self.length = max(c + delta, 0)
            return
        for buf in (*self.keys, *self.values):
            buf[:r, :, max(delta, 0):c + delta] = buf[:r, :, max(-delta, 0):c].clone()
        part = self.valid[:r, max(-delta, 0):c].clone()
        self.valid[:r] = False
        self.valid[:r, max(delta, 0):c + delta] = part
        self.starts = [s + delta for s in self.starts]
        self.length = c + delta

    def reserve(self, extra_cols: int) -> None:
        """Make room for ``extra_cols`` more columns: drop all-padding columns, else grow."""
        rows_cap, cols_cap = self.capacity
        if self.length + extra_cols <= cols_cap:
            return
        lead = min(self.starts) if self.starts else self.length
        if lead > 0:
            self._shift(-lead)
        if self.length + extra_cols > cols_cap:
            self._alloc(rows_cap, max(cols_cap * 2, self.length + extra_cols + 64))

    def add(self, kv: list[tuple[torch.Tensor, torch.Tensor]], n_tokens: int) -> int:
        """Append a sequence whose cache is ``kv`` (per layer, ``(1, H, n_tokens, D)``);
        returns its row."""
        if self.rows == 0:
            self.length = 0
            self.starts = []
        target = max(self.length, n_tokens)
        rows_cap, cols_cap = self.capacity
        if self.rows == rows_cap or target + 1 > cols_cap:
            self._alloc(rows_cap * 2 if self.rows == rows_cap else rows_cap,
                        max(cols_cap, target + 64) if target + 1 > cols_cap else cols_cap)
        if n_tokens > self.length:
            self._shift(n_tokens - self.length)  # older rows move right to make room
        row, start = self.rows, self.length - n_tokens
        if n_tokens:  # columns left of start keep stale but finite data; the mask hides them
            for i, (k, v) in enumerate(kv):
                self.keys[i][row, :, start:self.length] = k[0, :, -n_tokens:]
                self.values[i][row, :, start:self.length] = v[0, :, -n_tokens:]
        self.valid[row] = False
        self.valid[row, start:self.length] = True
        self.starts.append(start)
        self.rows += 1
        return row

    def remove(self, row: int) -> int | None:
        """Drop ``row``; the last row moves into its place. Returns the moved row's old
        index (None if nothing moved)."""
        last = self.rows - 1
        moved = None
        if row != last:
            c = self.length
            for buf in (*self.keys, *self.values):
                buf[row, :, :c] = buf[last, :, :c]
            self.valid[row, :c] = self.valid[last, :c]
            self.starts[row] = self.starts[last]
            moved = last
        self.starts.pop()
        self.rows -= 1
        if self.rows == 0:
            self.length = 0
        return moved

    def decode_inputs(self) -> tuple[Cache, torch.Tensor]:
        """Cache and 4D mask for one decode step of every live row (the new column is
        marked valid here; call ``advance`` after the forward)."""
        self.reserve(1)
        r, c = self.rows, self.length
        self.valid[:r, c] = True
        mask = self.valid[:r, None, None, : c + 1]
        return _StepCache(self, r, c), mask

    def advance(self) -> None:
        self.length += 1


class _StepLayer(CacheLayerMixin):
    is_sliding = False

    def __init__(self, owner: BatchKV, layer: int, rows: int, col: int) -> None:
        super().__init__()
        self.owner, self.layer, self.n_rows, self.col = owner, layer, rows, col
        self.is_initialized = True

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        pass

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any):
        k, v = self.owner.keys[self.layer], self.owner.values[self.layer]
        r, c, q = self.n_rows, self.col, key_states.shape[-2]
        k[:r, :, c:c + q] = key_states
        v[:r, :, c:c + q] = value_states
        return k[:r, :, : c + q], v[:r, :, : c + q]

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.col + query_length, 0

    def get_seq_length(self) -> int:
        return self.col

    def get_max_cache_shape(self) -> int:
        return -1


class _StepCache(Cache):
    def __init__(self, owner: BatchKV, rows: int, col: int) -> None:
        super().__init__(layers=[_StepLayer(owner, i, rows, col) for i in range(owner.n_layers)])


def prompt_cache(prefix: list[tuple[torch.Tensor, torch.Tensor]] | None) -> Cache:
    """A ``DynamicCache`` seeded with a cached prefix (its tensors are not modified:
    DynamicCache concatenates into new ones)."""
    from transformers import DynamicCache

    if not prefix:
        return DynamicCache()
    return DynamicCache(ddp_cache_data=[(k, v) for k, v in prefix])


def kv_of(cache: Cache) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(layer.keys, layer.values) for layer in cache.layers]


def fold_gqa_attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                       attention_mask: torch.Tensor | None, dropout: float = 0.0,
                       scaling: float | None = None, **kwargs: Any):
    """sdpa attention; one-token queries with grouped KV heads avoid the K/V repeat."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    groups = getattr(module, "num_key_value_groups", 1)
    b, h, q, d = query.shape
    if q != 1 or groups == 1 or attention_mask is None or attention_mask.dim() != 4:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, **kwargs)
    folded = query.view(b, h // groups, groups, d)
    out = torch.nn.functional.scaled_dot_product_attention(
        folded, key, value, attn_mask=attention_mask, scale=scaling)
    return out.reshape(b, h, 1, d).transpose(1, 2).contiguous(), None


_registered = False


def register_attention() -> str:
    """Register ``fold_gqa_attention`` with transformers (once); returns its name."""
    global _registered
    if not _registered:
        from transformers import AttentionInterface
        from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

        AttentionInterface.register(ATTN_IMPLEMENTATION, fold_gqa_attention)
        ALL_MASK_ATTENTION_FUNCTIONS.register(ATTN_IMPLEMENTATION, sdpa_mask)
        _registered = True
    return ATTN_IMPLEMENTATION
