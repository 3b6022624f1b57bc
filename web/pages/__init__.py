"""Page controllers: each renders a template from the same service calls the API makes."""
