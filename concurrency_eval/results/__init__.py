"""What a sweep measured, and how it is shown: the results files (results.json and
results.csv), prices, the statistics (each point's distribution, and when two points
differ), the verdict (fastest, cheapest, balanced, with ties; speed-ups), two runs
compared, the tables and the charts. May import `contracts` only.
"""
