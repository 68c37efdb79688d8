#!/usr/bin/env python3
"""A misbehaving HTTP server for the pull tests, on 127.0.0.1 only.

usage: transfer-badserver.py PORTFILE FILE MODE CUT
  MODE close: announce the whole FILE, send CUT bytes, close the connection
  MODE stall: announce the whole FILE, send CUT bytes, then hang (until killed)
Serves at most 20 requests and exits after 60 s, whichever comes first.
"""
import os
import socket
import sys
import time

portfile, path, mode, cut = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = open(path, "rb").read()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(4)
srv.settimeout(1.0)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
deadline = time.time() + 60
served = 0
while served < 20 and time.time() < deadline:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    served += 1
    conn.settimeout(5)
    try:
        req = b""
        while b"\r\n\r\n" not in req:
            chunk = conn.recv(4096)
            if not chunk:
                break
            req += chunk
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data))
        conn.sendall(data[:cut])
        if mode == "stall":
            while time.time() < deadline:
                time.sleep(0.2)
    except OSError:
        pass
    finally:
        conn.close()
