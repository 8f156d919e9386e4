from concurrency_eval.emulators.embedded_s3.server import main

main()
