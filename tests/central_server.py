"""Tests start the central server through the same helper the demo and benchmarks use."""

from central.process import CentralProcess, central_on, free_port

__all__ = ["CentralProcess", "central_on", "free_port"]
