"""People who log in to the web app: users, password hashes, sessions, invitations, throttling."""
