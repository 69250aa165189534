"""What every cog area shares: replies, the error handler, owner-checked views, autocomplete."""
