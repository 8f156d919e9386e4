"""concurrency-eval: run and report the Lambda concurrency evaluation."""
