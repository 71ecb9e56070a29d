"""What the fake knows: users, tokens and grants, the app, consent items, faults, clock,
keys and the saved state. Plain objects; nothing here answers an HTTP request."""
