# Sourced by run.sh: `quanta node` run as a user runs it, probed with real clients (curl, and
# python3 sockets for what curl cannot send: a declared 1 GB body, broken chunked encoding, a
# client that sends one byte per second). Traffic goes only to 127.0.0.1; every step is bounded.
cd "$work" || exit 1
node_dir="$work/node"
mkdir -p "$node_dir"

expect "node --help shows --listen" 0 "--listen" -- "$quanta" node --help
expect "node --help shows --data-dir" 0 "--data-dir" -- "$quanta" node --help
expect "node --help shows --config and --threads" 0 "--threads" -- "$quanta" node --help
expect "node --help lists the routes" 0 "GET /metrics" -- "$quanta" node --help
expect "node --threads 0 is a usage error" 2 "threads" -- timeout 10 "$quanta" node --threads 0
expect "node --listen without a port" 2 "expected HOST:PORT" -- \
  timeout 10 "$quanta" node --listen 127.0.0.1 --data-dir "$node_dir/unused"

printf 'http:\n  listn: 127.0.0.1:0\n' > "$node_dir/typo.yaml"
expect "node.yaml with an unknown field names file:line:col" 2 \
  "typo.yaml:2:3: error\[node-config/unknown-field\].*listn" -- \
  timeout 10 "$quanta" node --config "$node_dir/typo.yaml"
printf 'threads: many\n' > "$node_dir/type.yaml"
expect "node.yaml with a wrong type names file:line:col" 2 "type.yaml:1:10: .*whole number" -- \
  timeout 10 "$quanta" node --config "$node_dir/type.yaml"
: > "$node_dir/a-file"
expect "a data directory that cannot be created is a clear error" 2 \
  "cannot create the data directory .*a-file/data" -- \
  timeout 10 "$quanta" node --listen 127.0.0.1:0 --data-dir "$node_dir/a-file/data"

cat > "$node_dir/node.yaml" <<'EOF'
# small limits, so that the tests below reach them quickly
http:
  listen: 127.0.0.1:0
  limits:
    maxBodyBytes: 1MiB
    requestTimeout: 3s
    maxConnections: 16
shutdown:
  drainTimeout: 5s
EOF
"$quanta" node --config "$node_dir/node.yaml" --data-dir "$node_dir/data" --threads 2 \
  > "$node_dir/stdout.log" 2> "$node_dir/stderr.log" &
node_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$node_dir/stdout.log" | head -1)"
  [[ -n "$url" ]] && break
  sleep 0.1
done
port="${url##*:}"
expect "node prints where it listens" 0 \
  "^quanta node listening on http://127\.0\.0\.1:[0-9]+ \(data: .*/node/data\)$" -- \
  cat "$node_dir/stdout.log"
expect "the data directory was created" 0 "" -- test -d "$node_dir/data"
expect "a second node on the same data directory is refused" 2 "in use by another quanta node" -- \
  timeout 10 "$quanta" node --listen 127.0.0.1:0 --data-dir "$node_dir/data"

cat > "$node_dir/probe.py" <<'EOF'
"""Raw-socket HTTP probes: python3 probe.py MODE PORT; prints 'STATUS SECONDS BODY'."""
import socket
import sys
import time

mode, port = sys.argv[1], int(sys.argv[2])


def connect():
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock, timeout, check_closed=True):
    """Reads one response with a Content-Length body; (status, body, closed_after)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        status = int(head.split(b" ")[1]) if head else 0
        closed = False
        if check_closed:
            try:
                closed = sock.recv(1) == b""
            except (socket.timeout, ConnectionResetError):
                pass
        return status, body.decode(errors="replace").strip(), closed
    except socket.timeout:
        return 0, "timeout", False


start = time.monotonic()
if mode == "declared-1gb":
    sock = connect()
    sock.sendall(b"POST /v1/products/d/p/ports/in/events HTTP/1.1\r\nHost: t\r\n"
                 b"Content-Type: application/x-ndjson\r\nContent-Length: 1073741824\r\n\r\n")
    status, body, closed = read_response(sock, 5)
elif mode == "bad-chunk":
    sock = connect()
    # to a route that exists, so that the body is read (an unknown route is refused first)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
    status, body, closed = read_response(sock, 5)
    body += " closed" if closed else " still-open"
elif mode == "slow":
    sock = connect()
    sock.settimeout(1.0)
    got = b""
    for byte in b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n":
        try:
            sock.sendall(bytes([byte]))
            got = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if got:
            break
    status, body = 0, ""
    if got.startswith(b"HTTP/1.1 "):
        status = int(got.split(b" ")[1])
        body = got.partition(b"\r\n\r\n")[2].decode(errors="replace").strip()
elif mode == "too-many-connections":
    held = []
    for _ in range(16):
        sock = connect()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        read_response(sock, 5, check_closed=False)
        held.append(sock)
    extra = connect()
    status, body, closed = read_response(extra, 5)
    for sock in held:
        sock.close()
else:
    sys.exit("unknown mode " + mode)
print(f"{status} {time.monotonic() - start:.2f} {body}")
EOF

status_of() { curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }

expect "GET /healthz is alive" 0 '"status":"alive"' -- curl -sS --max-time 5 "$url/healthz"
expect "GET /readyz is 200 once started" 0 "^200$" -- status_of "$url/readyz"
expect "GET /v1/node tells the version and data dir" 0 '"dataDir":".*/node/data".*"version":"[0-9.]+"' -- \
  curl -sS --max-time 5 "$url/v1/node"
expect "an unknown route is a JSON 404" 0 '^\{"error":\{"code":"not_found","message":"no route for GET /v1/nope","status":404\}\}$' -- \
  curl -sS --max-time 5 "$url/v1/nope"
expect "GET /metrics counts requests by route and code" 0 \
  'quanta_http_requests_total\{route="/healthz",code="200"\} 1$' -- curl -sS --max-time 5 "$url/metrics"
curl -sS --max-time 5 "$url/metrics" > "$node_dir/metrics.txt"
expect "promtool accepts /metrics" 0 "" -- bash -c "promtool check metrics < '$node_dir/metrics.txt'"

head -c 20971520 /dev/zero > "$node_dir/20mb.bin"
expect "a 20 MB body over a 1 MiB limit is a JSON 413" 0 '"code":"body_too_large".*"status":413' -- \
  curl -sS --max-time 20 --data-binary @"$node_dir/20mb.bin" "$url/v1/products/d/p/ports/in/events"
expect "a declared 1 GB body is refused with 413 at once" 0 \
  '^413 (0|1)\.[0-9]+ \{"error":\{"code":"body_too_large"' -- \
  timeout 20 python3 "$node_dir/probe.py" declared-1gb "$port"
expect "malformed chunked encoding is a JSON 400 and the connection closes" 0 \
  '^400 [0-9.]+ \{"error":\{"code":"malformed_request".*"status":400\}\} closed$' -- \
  timeout 20 python3 "$node_dir/probe.py" bad-chunk "$port"
expect "a client sending one byte per second gets 408 within the 3 s timeout" 0 \
  '^408 [3-5]\.[0-9]+ \{"error":\{"code":"request_timeout"' -- \
  timeout 20 python3 "$node_dir/probe.py" slow "$port"
expect "connections beyond maxConnections get 503" 0 '^503 [0-9.]+ \{"error":\{"code":"too_many_connections"' -- \
  timeout 20 python3 "$node_dir/probe.py" too-many-connections "$port"
expect "the node still serves after all that" 0 "^200$" -- status_of "$url/healthz"

kill -TERM "$node_pid" 2> /dev/null
for _ in $(seq 1 100); do
  kill -0 "$node_pid" 2> /dev/null || break
  sleep 0.1
done
if kill -0 "$node_pid" 2> /dev/null; then
  kill -KILL "$node_pid" 2> /dev/null
  echo "node did not stop within 10 s of SIGTERM"
fi
wait "$node_pid"
node_exit=$?
expect "SIGTERM stops the node with exit code 0" 0 "" -- test "$node_exit" -eq 0
expect "the node says it stopped" 0 "quanta node: stopped" -- cat "$node_dir/stderr.log"
expect "the node no longer listens" 7 "" -- curl -sS -o /dev/null --max-time 5 "$url/healthz"
