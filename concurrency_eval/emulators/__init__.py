"""The local stand-ins for AWS: the Lambda service (AWS's runtime client in one process
per execution environment, Lambda's CPU share, memory limit and timeout) and the
embedded S3 (moto on loopback, with latency and faults). Each runs in a child process.

May import `bundling` and `contracts` only.
"""
