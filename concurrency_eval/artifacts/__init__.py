"""The published artifacts: reproducible zips of the bundles in the versioned artifact
bucket, the manifest the stacks deploy from, and GitHub Actions' outputs and summary.

May import `bundling` and `contracts` only.
"""
