-- A body read from BODY_FILE (bench/compress.sh writes one per content coding), sent as it is
-- with CONTENT_TYPE (default: a CloudEvents batch) and CONTENT_ENCODING (none when empty).
local file = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = file:read("*a")
file:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/cloudevents-batch+json"
wrk.headers["X-Api-Key"] = os.getenv("API_KEY") or ""
local encoding = os.getenv("CONTENT_ENCODING") or ""
if encoding ~= "" then
  wrk.headers["Content-Encoding"] = encoding
end
