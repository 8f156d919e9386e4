"""The local Lambda service: the Lambda API on loopback, execution environments that
run the handlers under AWS's runtime interface client, and the limits Lambda imposes
(CPU share, memory, timeout, concurrency). Reads and writes Lambda's log formats
through `contracts.lambda_logs`; may import `bundling` and `contracts`."""
