from __future__ import annotations

import pytest

from sql import parse_queries


class TestParseQueries:
    def test_blocks_are_keyed_by_domain_and_name(self) -> None:
        text = "-- name: one\n-- a comment\nSELECT 1;\n\n-- name: two\nSELECT $1;\n"
        assert parse_queries("d", text) == {"d.one": "-- a comment\nSELECT 1", "d.two": "SELECT $1"}

    def test_a_name_twice_is_refused(self) -> None:
        with pytest.raises(ValueError, match="twice"):
            parse_queries("d", "-- name: x\nSELECT 1;\n-- name: x\nSELECT 2;")
