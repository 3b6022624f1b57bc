"""What Sorot sends on its own: scheduled report digests (email, webhook) and outbound webhooks."""
