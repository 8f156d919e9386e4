from concurrency_eval.lambda_service.server import main

main()
