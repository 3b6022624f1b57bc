"""Listening: brand monitors, mentions with sentiment, share of voice and reputation alerts."""
