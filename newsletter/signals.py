"""What the newsletter's services announce, so that work is queued without a service knowing
Celery: the one place where a service hands work on.

A service sends one of these inside its transaction; the receivers that `NewsletterConfig.ready`
connects (in newsletter/tasks.py) queue the task with `delay_on_commit`, so the work starts once
the data it needs is committed, and never for a transaction rolled back. A test or a script may
connect receivers of its own.
"""

from django.dispatch import Signal

# A new or re-pending address must confirm what it asked: `subscriber_id`, `request_id` (the
# SignupRequest its confirmation mail recaps).
confirmation_needed = Signal()
# A subscribed address signed up again, or asked for a new link: it gets a way in to its manage
# page (`subscriber_id`; `reason` "signup", the default, or "asked").
manage_link_needed = Signal()
# A reader signed out every link: mail them their new manage link (`subscriber_id`).
links_reset = Signal()
# Subscriptions were created or their rule changed: match them against the recent papers
# (`subscription_ids`).
subscriptions_changed = Signal()
# A reader handed over a library file, checked and stored: read it (`upload_id`).
library_upload_received = Signal()
