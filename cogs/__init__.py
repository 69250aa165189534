"""Discord cogs: one package per area (commands, views, embeds)."""
