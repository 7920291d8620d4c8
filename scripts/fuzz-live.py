#!/usr/bin/env python3
"""Sends generated request bodies to every route of a running `backprop serve` for N seconds and
checks that it stays up (docs/reliability.md, "The server under hostile clients").

    scripts/fuzz-live.py URL [SECONDS] [--token TOKEN] [--threads N] [--seed S]
    scripts/fuzz-live.py http://127.0.0.1:8080/ 180 --token "$TOKEN"

Bodies are mutations of valid ones (fields dropped, swapped for other JSON types, huge or odd
numbers, deep nesting, long strings, programs spliced from parts, shapes with huge axes), random
bytes, and broken JSON; paths get odd lesson numbers and student ids. Every 50 requests a normal
trace must be answered 200. Fails (exit 1) if the server stops answering, or answers any status of
500 or more other than 503 (busy) and 500 "the store failed". Python's standard library only.
"""
import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

PROGRAMS = [
    "q = x + y; f = q * z", "f = tanh(w * x + b)", "f = sum(W @ x)", "f = sum(x * x)", "f = max(x, y) / z",
    "f = mean(reshape(W, [4]))", "f = sum(transpose(W))", "f = x[0] + x[1:2]", "f = sum(W, 0)", "f = exp(x) ^ 2",
    "f = sum(reshape(W[0:0], [0, 999999999, 999999999]))", "f = sum(x[:, 0])", "f = log(0 * x)", "f = relu(x - 1)",
]
PARTS = ["x", "y", "W", "b", "+", "*", "@", "-", "/", "^", "(", ")", "[", "]", ",", ":", "sum(", "tanh(", "reshape(",
         "transpose(", "mean(", "0", "1", "999999999", "-1", "1e308", "nan", ";", "=", "f", "\n", " "]
INPUTS = ["x=-2,y=5,z=-4", "w=0.5,x=2,b=-1", "W=[[1,2],[3,4]],x=[1,-1]", "x=[1,2,3,4],y=2,z=3", "W=[1,2]", "x=[[1,2],[3,4]]"]
CLAIMS = ["df/dx = z", "df/dq = z", "df/dw = x", "df/dW = x", "df/dx = 2 * x", "df/dx = 0", "f = 1"]
ODD = [None, True, False, 0, -1, 2**63, -2**63 - 1, 1e308, -0.0, "", " ", "\u0000", "é@ +", "A" * 70000, [], {}, [[[]]],
       {"a": {"b": {"c": None}}}, [1] * 1000]


import re

DEEP = re.compile(r'"\\u0000DEEP(\d+)"')


def deep(n):
    """A marker that `encode` replaces with n nested arrays (deeper than Python's own encoder goes)."""
    return "\u0000DEEP%d" % n


def odd():
    choice = random.random()
    if choice < 0.1:
        return deep(random.choice([10, 100, 600, 3000]))
    if choice < 0.2:
        return "".join(random.choice(PARTS) for _ in range(random.randint(1, 60)))
    return random.choice(ODD)


def program():
    if random.random() < 0.6:
        return random.choice(PROGRAMS)
    return "f = " + "".join(random.choice(PARTS) for _ in range(random.randint(1, 40)))


def base_body(route):
    if route == "trace":
        return {"program": program(), "at": random.choice(INPUTS), "params": random.choice([[], ["w"], ["W", "b"]]),
                "check": random.random() < 0.3}
    if route == "check":
        return {"program": program(), "at": random.choice(INPUTS), "claims": random.sample(CLAIMS, random.randint(1, 3)),
                "points": random.randint(0, 5), "seed": random.randint(0, 9)}
    if route == "diagram":
        return {"program": program(), "at": random.choice(INPUTS), "format": random.choice(["svg", "html", "png", ""]),
                "rankdir": random.choice(["LR", "TB", "tb", "XX"]), "forwardOnly": random.random() < 0.5}
    return {"student": random.choice(["s1", "ada@uni.example", "Ada Lovelace", "=cmd", "a+b", "Zoë"]),
            "name": random.choice(["Ada", "<img src=x>", None]),
            "answers": {"q-value": random.choice([3, "3", 3.0, [3], None]), "df-dq-formula": random.choice(["z", "q *", ""]),
                        "x-up": random.choice(["a", "b", "z", 1]), "fill-graph": {"q": random.choice([3, "x", None])}}}


def mutate(body):
    body = dict(body)
    for _ in range(random.randint(0, 3)):
        action = random.random()
        keys = list(body)
        if action < 0.3 and keys:
            body[random.choice(keys)] = odd()
        elif action < 0.45 and keys:
            del body[random.choice(keys)]
        elif action < 0.6:
            body[random.choice(["program", "at", "claims", "points", "seed", "format", "student", "answers", "zz"])] = odd()
    return body


def encode(route):
    kind = random.random()
    if kind < 0.08:
        return bytes(random.getrandbits(8) for _ in range(random.randint(0, 300)))
    text = DEEP.sub(lambda match: "[" * int(match.group(1)) + "1" + "]" * int(match.group(1)), json.dumps(mutate(base_body(route))))
    if kind < 0.16 and text:
        cut = random.randint(0, len(text))
        text = text[:cut] + random.choice(["", "}", "\"", "\\", "\ud800", "]]]]", ",,"]) + text[cut + random.randint(0, 5):]
    if kind < 0.2:
        return text.encode("utf-8", "surrogatepass")[:70000]
    return text.encode("utf-8", "surrogatepass")


def lesson_number():
    return random.choice(["1", "2", "3", "0", "-1", "99999999999999999999", "abc", "1.5", "%00", "1%2F2"])


def requests(token):
    """One generated request: method, path, body, headers."""
    route = random.choice(["trace", "check", "diagram", "answers", "answers", "get", "teacher"])
    headers = {"Content-Type": "application/json"}
    if route in ("trace", "check", "diagram"):
        return "POST", "/api/" + route, encode(route), headers
    if route == "answers":
        if random.random() < 0.2:
            headers["Content-Type"] = "application/toml"
            body = ("student = \"%s\"\nlesson = 1\n[answers]\nq-value = %s\n" % (random.choice(["s1", "a\"b", "é"]), odd())).encode()
        else:
            body = encode("answers")
        return "POST", "/api/exercises/%s/answers" % lesson_number(), body, headers
    if route == "get":
        path = random.choice(["/api/lessons/%s", "/api/exercises/%s", "/lessons/%s", "/exercises/%s", "/exercises/%s/sheet"]) % lesson_number()
        return "GET", path, None, {}
    student = urllib.parse.quote(random.choice(["s1", "ada@uni.example", "Ada Lovelace", "a+b", "Zoë", "%", "../x"]), safe="%")
    path = random.choice(["/api/teacher/lessons/%s/submissions?before=%s&limit=%s" % (lesson_number(), random.choice(["1", "x", "-5", ""]), random.choice(["1", "0", "5000"])),
                          "/api/teacher/lessons/%s/stats" % lesson_number(), "/api/teacher/lessons/%s/gradebook.csv" % lesson_number(),
                          "/api/teacher/lessons/1/students/" + student])
    if token and random.random() < 0.8:
        headers["Authorization"] = "Bearer " + token
    return "GET", path, None, headers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("seconds", nargs="?", type=float, default=60)
    parser.add_argument("--token", default="")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    target = urllib.parse.urlparse(args.url)
    host, port = target.hostname, target.port or 80
    stop = time.time() + args.seconds
    counts, lock, failures = {}, threading.Lock(), []

    def send(connection, method, path, body, headers):
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, data

    def worker(index):
        try:
            work(index)
        except Exception as error:  # a bug of this script must not pass for a server that stayed up
            with lock:
                failures.append("fuzz-live itself failed: %r" % error)

    def work(index):
        random.seed(args.seed * 1000 + index)
        connection = http.client.HTTPConnection(host, port, timeout=30)
        sent = 0
        while time.time() < stop and not failures:
            method, path, body, headers = requests(args.token)
            try:
                status, data = send(connection, method, path, body, headers)
            except (OSError, http.client.HTTPException):
                # The server may close a connection (a limit, a timeout): a new one must be answered.
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
                status, data = -1, b""
            bad = status >= 500 and status != 503 and not (status == 500 and b"nothing was acknowledged" in data)
            with lock:
                counts[status] = counts.get(status, 0) + 1
                if bad:
                    failures.append("%s %s answered %d: %s (body: %r)" % (method, path, status, data[:200], (body or b"")[:200]))
            sent += 1
            if sent % 50 == 0:
                try:
                    probe = http.client.HTTPConnection(host, port, timeout=30)
                    status, data = send(probe, "POST", "/api/trace", json.dumps({"program": "q = x + y; f = q * z", "at": "x=-2,y=5,z=-4"}).encode(),
                                        {"Content-Type": "application/json"})
                    probe.close()
                    ok = status == 200 and json.loads(data).get("value") == -12
                except (OSError, http.client.HTTPException, ValueError) as error:
                    ok, status = False, str(error)
                with lock:
                    counts["probe ok" if ok else "probe failed"] = counts.get("probe ok" if ok else "probe failed", 0) + 1
                    if not ok:
                        failures.append("the server stopped answering a normal trace (%s)" % status)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(args.threads)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(count for key, count in counts.items() if isinstance(key, int))
    summary = ", ".join("%s: %d" % (key, counts[key]) for key in sorted(counts, key=str))
    print("fuzz-live: %d requests in %.0f s (%s)" % (total, time.time() - started, summary))
    if failures:
        for failure in failures[:5]:
            print("fuzz-live: FAILED: " + failure, file=sys.stderr)
        return 1
    print("fuzz-live: the server stayed up and answered every normal trace")
    return 0


if __name__ == "__main__":
    sys.exit(main())
