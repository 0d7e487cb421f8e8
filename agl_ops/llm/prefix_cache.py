"""Reuse of prompt KV across requests (automatic prefix caching).

Agent prompts share long prefixes (system prompt, schema, few-shot examples). After a
prompt is prefilled its KV is kept here; a later prompt takes the KV of its longest
common prefix with any kept prompt and only runs the model on the rest. Causal
attention makes the first L positions of a prompt's KV depend on its first L tokens
only, so any cut point is exact. Entries are evicted least-recently-used by total
tokens. Cleared whenever the weights change.
"""

from __future__ import annotations

from collections import OrderedDict

import torch

__all__ = ["PrefixCache"]

KV = list[tuple[torch.Tensor, torch.Tensor]]


class PrefixCache:
    def __init__(self, max_tokens: int = 16384, min_match: int = 16) -> None:
        self.max_tokens = max_tokens
        self.min_match = min_match
        self._entries: OrderedDict[int, tuple[torch.Tensor, KV]] = OrderedDict()
        self._tokens = 0
        self._next_key = 0
        self.hits = 0
        self.reused_tokens = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def tokens(self) -> int:
        return self._tokens

    def clear(self) -> None:
        self._entries.clear()
        self._tokens = 0

    def lookup(self, ids: list[int], max_len: int) -> tuple[int, KV | None]:
        """Longest cached prefix of ``ids`` (at most ``max_len`` tokens) and its KV views."""
        if not self._entries or max_len < self.min_match:
            return 0, None
        query = torch.tensor(ids[:max_len], dtype=torch.long)
        best_key, best_len = None, 0
        for key, (tokens, _) in self._entries.items():
            n = min(len(tokens), len(query))
            if n <= best_len:
                continue
            diff = (tokens[:n] != query[:n]).nonzero()
            common = int(diff[0]) if len(diff) else n
            if common > best_len:
                best_key, best_len = key, common
        if best_key is None or best_len < self.min_match:
            return 0, None
        self._entries.move_to_end(best_key)
        self.hits += 1
        self.reused_tokens += best_len
        kv = self._entries[best_key][1]
        return best_len, [(k[:, :, :best_len], v[:, :, :best_len]) for k, v in kv]

    def insert(self, ids: list[int], kv: KV) -> None:
        """Keep the KV of ``ids`` (``kv`` covers exactly these tokens)."""
        n = len(ids)
        if n < self.min_match or n > self.max_tokens:
            return
        tokens = torch.tensor(ids, dtype=torch.long)
        for key, (old, _) in list(self._entries.items()):
            if len(old) >= n and torch.equal(old[:n], tokens):  # already covered
                self._entries.move_to_end(key)
                return
            if torch.equal(old, tokens[: len(old)]):  # the old entry is a prefix of this one
                self._drop(key)
        self._entries[self._next_key] = (tokens, kv)
        self._next_key += 1
        self._tokens += n
        while self._tokens > self.max_tokens and len(self._entries) > 1:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: int) -> None:
        tokens, _ = self._entries.pop(key)
        self._tokens -= len(tokens)
