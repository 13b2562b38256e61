"""A local stand-in for Microsoft Entra ID on loopback HTTPS (see README.md)."""

from .simulator import Simulator, start_simulator

__all__ = ["Simulator", "start_simulator"]
