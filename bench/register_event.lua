-- One simple event per request, as the original design's load test sent them (~90 bytes).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = os.getenv("API_KEY") or ""
wrk.body = '{"type":"order.created","key":"customer-42","data":{"orderId":1001,"amount":25.5,"currency":"EUR"}}'
