"""Files users download (CSV), written the same safe way by every domain and by the API."""
