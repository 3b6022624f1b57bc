"""Audience segments: who a creator's credible followers are (languages, places, interests), saved
segments used as ranking targets and filters, and lookalike creators."""
