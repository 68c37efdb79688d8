#!/usr/bin/env python3
"""A token service for the Bearer flow of the 11x-registry tests: GET /token
with Basic auth tester:s3cret-pw gets every action asked for, anonymous
requests get pull only; the JWT is RS256, signed with openssl, its
certificate in x5c (Distribution trusts it via rootcertbundle).  Each
request is logged (the path, and whether credentials came) to stdout."""
import base64, json, subprocess, sys, time, urllib.parse, os
from http.server import BaseHTTPRequestHandler, HTTPServer

port, keyfile, certfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
der = subprocess.run(["openssl", "x509", "-in", certfile, "-outform", "DER"],
                     capture_output=True, check=True).stdout


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign(claims):
    header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
    msg = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keyfile], input=msg.encode(),
                         capture_output=True, check=True).stdout
    return msg + "." + b64url(sig)


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            if base64.b64decode(auth[6:]).decode() != "tester:s3cret-pw":
                print("refused", u.query, flush=True)
                self.send_response(401)
                self.end_headers()
                return
            user = "tester"
        print("token", "user" if user else "anonymous", u.query, flush=True)
        access = []
        for scope in q.get("scope", []):
            typ, name, actions = scope.split(":")
            acts = actions.split(",") if user else [a for a in actions.split(",") if a == "pull"]
            access.append({"type": typ, "name": name, "actions": acts})
        now = int(time.time())
        claims = {"iss": "box-test-issuer", "sub": user or "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(),
                  "access": access}
        body = json.dumps({"token": sign(claims), "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", port), H).serve_forever()
