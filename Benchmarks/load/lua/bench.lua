-- wrk script used for every measured run (Benchmarks/load/run.sh, through tools/harness.py).
--
-- Environment:
--   BENCH_PATH    request path (default "/")
--   BENCH_TOKEN   one bearer token sent on every request (optional)
--   BENCH_TOKENS  a file of bearer tokens, one per line: requests go round-robin over them (many-tokens);
--                 each wrk thread starts at its own offset so threads do not walk in lockstep
--   BENCH_OUT     file to which done() writes one JSON line: requests, duration, errors, latency percentiles
--
-- Requests are pre-formatted once per token in init(), so the load generator's per-request cost does not
-- depend on the scenario.

local path = os.getenv("BENCH_PATH") or "/"
local token = os.getenv("BENCH_TOKEN")
local tokens_file = os.getenv("BENCH_TOKENS")
local out_file = os.getenv("BENCH_OUT")

local requests = {}
local count = 0
local index = 0
local thread_counter = 0

function setup(thread)
   thread:set("thread_id", thread_counter)
   thread_counter = thread_counter + 1
end

function init(args)
   if tokens_file and tokens_file ~= "" then
      for line in io.lines(tokens_file) do
         if line ~= "" then
            count = count + 1
            requests[count] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. line })
         end
      end
      if count == 0 then error("no tokens in " .. tokens_file) end
   else
      local headers = {}
      if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
      requests[1] = wrk.format("GET", path, headers)
      count = 1
   end
   local id = tonumber(thread_id) or 0
   index = (id * 7919) % count
end

function request()
   index = index + 1
   if index > count then index = 1 end
   return requests[index]
end

function done(summary, latency, _)
   if not out_file or out_file == "" then return end
   local f = assert(io.open(out_file, "w"))
   local e = summary.errors
   local p = {}
   for _, q in ipairs({ 50, 75, 90, 95, 99, 99.9, 99.99 }) do
      p[#p + 1] = string.format('"%s": %d', tostring(q), latency:percentile(q))
   end
   f:write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
         .. '"status": %d, "timeout": %d}, "latency_us": {"min": %d, "max": %d, "mean": %.1f, %s}}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.max, latency.mean, table.concat(p, ", ")))
   f:close()
end
