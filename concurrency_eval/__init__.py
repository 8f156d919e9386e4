"""The `concurrency-eval` command-line tool, one package per role.

Imports run one way, from the top of this list down (tests/test_architecture.py checks):

    commands    one module per command: parse the arguments, call, print
    sweep       the memory sweep's engine and flow, and the smoke test, over any backend
    backends    where the functions run: the deployed stack on AWS, or the local stand-ins
    emulators   the local stand-ins: the Lambda service and the embedded S3
    results     what a sweep measured, its verdict, prices, tables and charts
    artifacts   the published zips in the artifact bucket
    workload    the data set the functions search
    (outside)   `bundling`, the build; `contracts`, the facts every part agrees on
"""
