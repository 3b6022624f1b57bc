"""Offline language identification shared by audience segments and listening.

`detect(text, platform_tag)` returns a distribution over languages (ISO 639-1 codes,
`other` for the rest) with a confidence. Indonesian and Malay, which general
detectors confuse, are told apart by a marker-word discriminator (`language.malay`).
"""

from language.detect import detect
from language.models import LanguageGuess

__all__ = ["LanguageGuess", "detect"]
