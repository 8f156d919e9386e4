"""The memory sweep: one engine over two backends that speak the Lambda API.

Owns the plan (steps, invocations, estimated cost, budget), the engine (update, wait,
cold and warm invocations, Lambda's report, price, restore), and the two backends
that give it a Lambda client and a deployment: AWS (`run`) and the local Lambda
service on the embedded S3 (`local`). May import the build, the data set, the
results, Lambda's log formats and the local service; never the command line.
"""
