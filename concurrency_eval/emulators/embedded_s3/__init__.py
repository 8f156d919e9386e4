"""An S3 on loopback: moto's server, instrumented and able to misbehave on purpose.

Runs in a process of its own (`python -m concurrency_eval.emulators.embedded_s3`) so that its
CPU time, memory and global state stay apart from the functions under test. Around
moto's WSGI app it adds what an evaluation needs and moto lacks:

- latency per request, as real S3 answers in tens of milliseconds, not microseconds;
- faults: a share of requests answered 503 SlowDown or 500 InternalError, slow
  answers, errors pinned to given keys, objects deleted right after being listed;
- counters: requests by operation, requests in flight and their peak, CPU seconds.

It is driven over HTTP under `/_embedded_s3/` (no bucket name can start with `_`), and
`process.EmbeddedS3` is the client side that starts, drives and stops it:

    faults       the fault plan: latency, and rules by operation and key
    middleware   the WSGI middleware around moto: latency, faults, counters, control API
    server       the child process: moto's app served on loopback
    process      the parent's side: start, drive and stop the child
"""
