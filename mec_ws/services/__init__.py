"""Use cases called by the edges (SOAP, CLI): plain Python, tested without spyne."""
