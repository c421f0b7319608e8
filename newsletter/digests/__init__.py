"""Digests, the daily work: what goes in (`assembly`, with the personal ranking's part,
`personal`), and how each is sent exactly once (`delivery`, with its `journal`); `preview`
renders one outside a send, for the admin.

What a digest is (its shape, stored form and reading back) is newsletter/content.py; how it
reads is newsletter/emails.py; when it falls due is newsletter/services/schedule.py.

The flow, each step a service that tasks and commands call with ids:

    digests_prepare       beat, every few minutes: match what waits (services/matching.py),
                          settle interrupted sends (digests_recover) and create the digests
                          that fell due (services/schedule.py: one per subscriber and period)
    digests_due_batched   the subscribers with a digest due, in batches: one task each
    digests_send          a batch of subscriber ids: claim their pending digests, assemble,
                          render, send through the configured backend, record what happened
    digests_recover       digests left "sending" by a worker that died: settled from the journal
"""
