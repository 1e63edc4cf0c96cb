"""A local stand-in for Companies House: its streaming protocol and the REST endpoints backfill uses."""
