"""The memory sweep: one engine over two backends that speak the Lambda API.

Owns the settings (memory sizes x models x concurrency), the plan (invocations,
estimated cost, budget), how many invocations a point gets (a fixed count, or sampling
until clear), the engine (update, wait, cold and warm invocations, Lambda's
report, price, restore), the flow of a sweep on AWS (data set, plan, budget,
confirmation), the runner that writes results as it goes, and the smoke test of the
deployed aliases. May import the backends, the results, the workload, `bundling` and
`contracts`; never the commands.
"""
