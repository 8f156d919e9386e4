"""Where the functions run, as the sweep sees them: a Lambda client and the names of
the data bucket and the functions. `aws` finds the deployed evaluation stack from its
outputs; `local` starts the embedded S3 and the local Lambda service with the bundles.

May import the emulators, the results, the workload, `bundling` and `contracts`.
"""
