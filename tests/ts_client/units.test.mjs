// The client's rules that need no service: backoff, close classification, token expiry.
// Run by tests/test_ts_client.py with FASTGEN_CLIENT (the shipped index.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { WebSocket } from "ws";

const { backoffDelay, classifyClose, reasonStatus, Client, ClientError, ConnectionError, UnauthorizedError } = await import(
  process.env.FASTGEN_CLIENT
);
const DEFAULTS = { minReconnectDelay: 500, maxReconnectDelay: 20_000 };

test("backoff: full jitter between min and min × 2^attempt, capped at max", () => {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const low = backoffDelay(attempt, DEFAULTS, () => 0);
    const high = backoffDelay(attempt, DEFAULTS, () => 0.999999);
    assert.equal(low, 500);
    assert.equal(high, Math.min(20_000, 500 + Math.min(20_000, 500 * 2 ** attempt)));
  }
  const draws = new Set(Array.from({ length: 200 }, () => backoffDelay(3, DEFAULTS)));
  assert.ok(draws.size > 50, "spread over the window, not one value");
  assert.ok([...draws].every((delay) => delay >= 500 && delay <= 4_500));
});

test("the status a close reason starts with, and the reasons of services before it", () => {
  assert.equal(reasonStatus("40101 token expired"), 40101);
  assert.equal(reasonStatus("50301"), 50301);
  assert.equal(reasonStatus("4010 short"), undefined);
  assert.equal(reasonStatus("authentication failed"), 40001);
  assert.equal(reasonStatus("token expired"), 40101);
  assert.equal(reasonStatus("rate limit exceeded"), 42901);
  assert.equal(reasonStatus("server shutting down"), undefined);
});

test("closes: come back, renew the token, or stop", () => {
  const action = (code, reason, last) => classifyClose(code, reason, last).action;
  for (const code of [1001, 1006, 1011, 1012, 1013]) assert.equal(action(code, ""), "reconnect", code);
  assert.equal(action(1013, "50301 server at capacity"), "reconnect");
  assert.equal(action(1013, "50302 client too slow"), "reconnect");
  assert.equal(action(1008, "42901 rate limit exceeded"), "reconnect");
  assert.equal(action(1008, "", 42901), "reconnect", "the status of the error frame before the close");
  assert.equal(action(1008, "40001 authentication failed"), "token");
  assert.equal(action(1008, "40101 token expired"), "token");
  assert.equal(action(1008, "", 40001), "token");
  assert.equal(action(1008, "40302 anonymous access is off"), "stop");
  assert.equal(action(1008, ""), "stop");
  for (const code of [1002, 1003, 1009]) assert.equal(action(code, ""), "stop", code);
  assert.equal(action(1009, "41301 message too big"), "stop");
});

test("bad options and URLs fail at once, with TypeError", () => {
  const WebSocket = class {};
  assert.throws(() => new Client("ws://h/ws/chat", { WebSocket }), /token or getToken/);
  assert.throws(() => new Client("ws://h/ws/chat", { token: "t", WebSocket, maxOutbox: -1 }), /maxOutbox/);
  assert.throws(
    () => new Client("ws://h/ws/chat", { token: "t", WebSocket, minReconnectDelay: 5, maxReconnectDelay: 1 }),
    /minReconnectDelay/,
  );
  assert.throws(() => new Client("http//nope", { token: "t", WebSocket }), TypeError);
  assert.doesNotThrow(() => new Client("https://h/ws/chat", { token: "t", WebSocket }));
});

test("nothing listens: every connect fails at once, the first and after a close", async () => {
  const client = new Client("ws://127.0.0.1:1/ws/chat", { token: "t", WebSocket });
  await assert.rejects(client.connect(), ConnectionError);
  await assert.rejects(client.join("lobby"), ConnectionError);
  client.close();
  await assert.rejects(client.connect(), ConnectionError);
  assert.equal(client.state, "disconnected");
});

test("getToken failing at the first connect is one clear error, not a refused token", async () => {
  const client = new Client("ws://127.0.0.1:1/ws/chat", { getToken: () => Promise.reject(new Error("no network")), WebSocket });
  const error = await client.connect().then(() => null, (caught) => caught);
  assert.ok(error instanceof ClientError && !(error instanceof UnauthorizedError), String(error));
  assert.match(error.message, /getToken failed: Error: no network/);
  const refusing = new Client("ws://127.0.0.1:1/ws/chat", {
    getToken: () => Promise.reject(new UnauthorizedError("signed out")),
    WebSocket,
  });
  await assert.rejects(refusing.connect(), UnauthorizedError);
});
