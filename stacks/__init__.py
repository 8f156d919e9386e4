"""The CDK app's stacks and the constructs they compose, and the app's settings.

One stack per file, constructs beside them; `settings` declares each cdk.json setting
once. May import `bundling` (for the assets) and `contracts`; never the command-line
tool, and nothing here calls AWS.
"""
