-- POST /api/trace of f = (x + y) z (the notes' first example): scripts/load-serve.sh
wrk.method = "POST"
wrk.path = "/api/trace"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"program": "q = x + y; f = q * z", "at": "x=-2,y=5,z=-4"}'
