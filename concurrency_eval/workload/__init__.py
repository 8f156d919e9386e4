"""The workload's data set: files generated from a seed, one holding the magic string,
uploaded to any S3 and checked before a sweep. May import `contracts` only.
"""
