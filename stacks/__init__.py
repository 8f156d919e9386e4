"""The CDK app's stacks and constructs. Synthesis makes no AWS calls."""
