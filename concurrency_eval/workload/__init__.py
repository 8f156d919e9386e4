"""The workload's data set: files generated from a seed, one holding the magic string,
uploaded to any S3 (a general purpose or a directory bucket) and checked before a
sweep. May import `contracts` and the framework (`s3fanout`) only.
"""
