-- Paced (open-ish) load for scripts/load-serve.sh: runs the load script named by LOAD_SCRIPT
-- (e.g. scripts/load/trace-100.lua), but every connection waits a random time before each
-- request, on average PACE_MS milliseconds (uniform between 0.5 and 1.5 times it), instead of
-- sending the next request the moment the previous reply arrives. 300 connections with PACE_MS=150
-- offer about 300 / 0.150 = 2,000 requests a second in all, less the time each reply takes
-- (the wait starts when the reply has arrived). wrk's latency counts from sending a request to
-- its reply, so the waits are not in it. This is not wrk2: when the server stalls, a connection
-- sends nothing until it is answered, so a stall shows as fewer requests, not as longer latency
-- of the requests that would have been sent meanwhile (coordinated omission).
dofile(os.getenv("LOAD_SCRIPT") or "scripts/load/trace-small.lua")

local pace = tonumber(os.getenv("PACE_MS") or "150")

function delay()
   return math.floor(pace * (0.5 + math.random()))
end
