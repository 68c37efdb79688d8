// A small web app: a greeting, a health endpoint for HEALTHCHECK, and a
// clean exit on SIGTERM so `box stop` does not have to wait for SIGKILL.
"use strict";
const express = require("express");
const os = require("os");

const app = express();
const port = Number(process.env.PORT || 8080);
const started = Date.now();

app.get("/", (req, res) => {
  res.type("text/plain").send(`hello from ${os.hostname()} (node ${process.version})\n`);
});
app.get("/healthz", (req, res) => {
  res.json({ status: "ok", uptime_ms: Date.now() - started });
});

const server = app.listen(port, "0.0.0.0", () => {
  console.log(`listening on 0.0.0.0:${port}`);
});
process.on("SIGTERM", () => {
  console.log("SIGTERM: closing");
  server.close(() => process.exit(0));
});
