"""HTTP: the Tornado handlers, request validation and framing, the access log, the admin
API's rules, and the server process's loop and GC settings."""
