from concurrency_eval.emulators.lambda_service.server import main

main()
