"""Where monitors listen: one adapter per platform API, all yielding ``Batch``es with a resumable cursor."""
