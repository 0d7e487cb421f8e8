"""Algorithms read rollouts and spans from the store and publish better resources."""

from agl_ops.algorithms.base import Algorithm, AlgorithmContext

__all__ = ["Algorithm", "AlgorithmContext"]
