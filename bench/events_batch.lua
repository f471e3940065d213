-- A CloudEvents batch of BATCH_SIZE events (default 1,000) per request, 1,000 distinct keys.
local size = tonumber(os.getenv("BATCH_SIZE") or "1000")
local events = {}
for i = 1, size do
  events[i] = string.format(
    '{"specversion":"1.0","source":"urn:bench","type":"order.created","partitionkey":"customer-%d","data":{"orderId":%d,"amount":25.5,"currency":"EUR"}}',
    i % 1000, i)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/cloudevents-batch+json"
wrk.headers["X-Api-Key"] = os.getenv("API_KEY") or ""
wrk.body = "[" .. table.concat(events, ",") .. "]"
