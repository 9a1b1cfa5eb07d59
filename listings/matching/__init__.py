"""The matching engine: plain data in, plain data out, usable without Django.

Nothing in this package imports Django; a test imports it with Django
unconfigured to keep it that way.
"""
