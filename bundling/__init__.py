"""The build: the Lambda bundles, made with uv and without Docker.

Owns the bundle directories (two layers, three functions, and the runtime client the
local Lambda service uses), their content keys and the reproducible zips made of them.
One build path serves all three consumers: the stacks' assets, the local Lambda
service and the published zips. May import `contracts` only; never aws_cdk (importing
it starts a Node.js process) and never the command-line tool.
"""
