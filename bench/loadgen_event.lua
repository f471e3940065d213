-- The load generator's own request (--payload-bytes 64, simple format), byte for byte but for
-- the run id, so that wrk and the generator ask the same work of the target (~220 bytes).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":"a6888dcb0bb7-0000000000","type":"loadgen.order.placed","source":"/loadgen","key":"customer-0","data":{"runId":"a6888dcb0bb7","sequence":0,"customer":"customer-0","amount":0,"currency":"EUR","items":1,"note":""}}'
