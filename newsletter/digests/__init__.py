"""Digests: who is due (`schedule`), what goes in (`content`, ranked by `trending`), how it reads
(`render`), and how it is sent exactly once (`delivery`, with its `journal`).

The flow, each step a service that tasks and commands call with ids:

    digests_schedule      beat, every few minutes: a pending Digest row for each subscriber whose
                          send time has come (one per subscriber and period)
    digests_send          a batch of subscriber ids: claim their pending digests, build, render,
                          send through the configured backend, record what happened
    digests_recover       digests left "sending" by a worker that died: settled from the journal
"""
