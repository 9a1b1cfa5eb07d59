"""Signals other apps listen to, so the rights registry imports none of them."""

from django.dispatch import Signal

# Sent inside the transaction that brings a right into force (verified or
# reinstated), with ``right``: listings' retro-scan is created in the same
# transaction, so it is never lost between the commit and a queue message.
right_came_into_force = Signal()
