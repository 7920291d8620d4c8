-- Paced (open-loop) load for scripts/load-serve.sh: runs the load script named by LOAD_SCRIPT
-- (e.g. scripts/load/trace-100.lua) at a fixed offered rate, RATE requests a second over the
-- THREADS wrk threads, instead of each connection sending the next request the moment the previous
-- reply arrives. Each wrk thread keeps a schedule, one send every THREADS * 1000 / RATE ms; a
-- connection that is ready (its reply has arrived) takes the next free time on it and waits until
-- then (wrk's delay()). So the offered rate is RATE whatever the latency, as long as some of the
-- connections are free; when all are waiting, the schedule moves on without a catch-up burst and
-- the shortfall shows as fewer requests a second. wrk's latency counts from sending a request to
-- its reply; the waits are not in it. (The clock is CLOCK_MONOTONIC, through LuaJIT's ffi.)
dofile(os.getenv("LOAD_SCRIPT") or "scripts/load/trace-small.lua")

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } backprop_timespec;
int clock_gettime(int clock, backprop_timespec *now);
]]
local now_spec = ffi.new("backprop_timespec")
local function now_ms()
   ffi.C.clock_gettime(1, now_spec)
   return tonumber(now_spec.tv_sec) * 1000 + tonumber(now_spec.tv_nsec) / 1e6
end

local interval = tonumber(os.getenv("THREADS") or "2") * 1000 / tonumber(os.getenv("RATE") or "2000")
local next_send = nil

function delay()
   local now = now_ms()
   if next_send == nil or next_send < now then next_send = now end
   next_send = next_send + interval
   return math.floor(next_send - interval - now + 0.5)
end

-- The tail in more detail than wrk's own table: where p99 is read, the percentiles around it.
function done(summary, latency, requests)
   local parts = {}
   for _, p in ipairs({50, 90, 95, 99, 99.9}) do
      parts[#parts + 1] = string.format("p%s %.2f ms", p, latency:percentile(p) / 1000)
   end
   parts[#parts + 1] = string.format("max %.2f ms", latency.max / 1000)
   io.write("  tail: " .. table.concat(parts, ", ") .. "\n")
end
