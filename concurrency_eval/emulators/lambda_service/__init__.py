"""The local Lambda service: the Lambda API on loopback, execution environments that
run the handlers under AWS's runtime interface client, and the limits Lambda imposes."""
