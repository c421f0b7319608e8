"""The newsletter's writes, a module per kind of work; each a typed function with keyword-only
arguments, named `<entity>_<verb>`, that views, commands, tasks and the admin share:

- subscribers.py: sign up, confirm, update, pause and resume, unsubscribe, delete, export, suppress;
- schedule.py: when each subscriber's digest falls due, and the pending digests that say so;
- matching.py: which papers each subscription matches (the Match rows digests are built from);
- feedback.py: 👍 and 👎, muting a topic, "fewer like this";
- library.py: a reader's library, added and removed;
- imports.py: a list of subscribers from CSV;
- webhooks.py: what an ESP's bounce, complaint or unsubscribe does.

Reads live in newsletter/selectors.py. A service never queues a Celery task itself: it announces
what needs doing (newsletter/signals.py), and newsletter/tasks.py queues it after the commit.
Sending digests is the digests' room (newsletter/digests/).
"""
