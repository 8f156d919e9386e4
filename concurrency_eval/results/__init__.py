"""What a sweep measured, and how it is shown: the results files (results.json and
results.csv), prices, the verdict (fastest, cheapest, balanced, speed-ups), the tables
and the charts. May import `contracts` only.
"""
