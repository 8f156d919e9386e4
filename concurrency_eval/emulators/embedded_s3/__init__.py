"""An S3 on loopback: moto's S3, behind a server cheap enough never to set the pace,
instrumented and able to misbehave on purpose.

Runs in a process of its own (`python -m concurrency_eval.emulators.embedded_s3`) so that its
CPU time, memory and global state stay apart from the functions under test. Around
moto it adds what an evaluation needs and moto lacks:

- S3's latency as measured: a time to first byte with a tail (log-normal), a
  per-connection throughput, profiles for S3 Standard and S3 Express One Zone;
- HTTPS with a certificate made for the run, as the functions meet S3 (or plain HTTP);
- S3 Express One Zone's directory buckets as botocore meets them: CreateSession, and
  listings out of lexicographic order;
- faults: a share of requests answered 503 SlowDown or 500 InternalError, slow
  answers, errors pinned to given keys, objects deleted right after being listed;
- counters: requests by operation, requests in flight and their peak, CPU seconds.

It is driven over HTTP under `/_embedded_s3/` (no bucket name can start with `_`), and
`process.EmbeddedS3` is the client side that starts, drives and stops it:

    faults       the latency model and the fault plan
    instrument   each request's latency and fault, the counters, the control API
    messages     requests and answers, and how they reach moto's WSGI app
    fast_path    plain GetObject answered from moto's store without moto's pipeline
    directory_buckets  CreateSession and unordered listings, as S3 Express One Zone has them
    http_server  the asyncio HTTP/1.1 server (httptools), HTTP or HTTPS
    server       the child process
    process      the parent's side: the run's certificate; start, drive and stop the child
"""
