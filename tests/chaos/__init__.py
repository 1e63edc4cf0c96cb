"""The chaos run (`make chaos`): the whole pipeline under hard failures, then an audit.

Not part of `make test` (it restarts the machine's PostgreSQL): run by hand, results in the
README's reliability section. See run.py for what it does and oracle.py for how it judges.
"""
