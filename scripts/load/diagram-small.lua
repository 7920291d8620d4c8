-- POST /api/diagram (the stepper page the playground shows) of f = (x + y) z: scripts/load-serve.sh
wrk.method = "POST"
wrk.path = "/api/diagram"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"program": "q = x + y; f = q * z", "at": "x=-2,y=5,z=-4", "format": "html"}'
