"""The web app: server-rendered pages for agencies and finance, built on the same services as the API."""
