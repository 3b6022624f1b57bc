"""Charts drawn on the server as SVG, shared by the web pages and the emailed digests."""
