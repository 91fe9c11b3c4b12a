# Shared by the bench/*.sh scripts that start a server and an nginx peer (identity, portal,
# engine; named .bash so that `make bench` does not run it): sourced at the repository root,
# with WORK set to the script's scratch directory. Each script keeps its own cleanup trap.

# A loopback port the kernel just gave out.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL TIMEOUT_S: 0 once URL answers 200, 1 after TIMEOUT_S seconds.
wait_http() {
  for _ in $(seq 1 $(($2 * 10))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

# nginx_static FILE TYPE: the peer. nginx (access log off, keep-alive without a request cap)
# serves FILE's bytes as /NAME (its base name) with Content-Type TYPE on a free port; sets
# NGINX_PORT and NGINX_PID, and returns once it answers.
nginx_static() {
  NGINX_PORT=$(free_port)
  mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp"
  cp "$1" "$WORK/nginx/www/"
  chmod -R 755 "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/tmp;
  server { listen 127.0.0.1:$NGINX_PORT; location / { root $WORK/nginx/www; default_type $2; } }
}
CONF
  nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >/dev/null 2>&1 &
  NGINX_PID=$!
  wait_http "http://127.0.0.1:$NGINX_PORT/$(basename "$1")" 10
}
