-- POST /api/exercises/1/answers, a new student id on every request, counting the attempts the
-- server acknowledged (HTTP 200 with an attempt id): scripts/load-serve.sh
threads = {}
counter = 0
acknowledged = 0

function setup(thread)
   thread:set("name", "t" .. #threads)
   table.insert(threads, thread)
end

function request()
   counter = counter + 1
   local body = string.format('{"student": "%s-%d", "answers": {"q-value": 3, "f-value": -12, "df-dq-formula": "z", "x-up": "a"}}', name, counter)
   return wrk.format("POST", "/api/exercises/1/answers", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
   if status == 200 and string.find(body, '"attempt"', 1, true) then acknowledged = acknowledged + 1 end
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do total = total + thread:get("acknowledged") end
   io.write(string.format("acknowledged %d\n", total))
end
