// The generated TypeScript client (its shipped JavaScript) against a real generated service.
// Run by tests/test_ts_client.py: `node --test` with FASTGEN_CLIENT (the client's index.js),
// CHAT_URL, AUTH (static | jwt), JWT_SECRET (jwt) and HISTORY_SIZE (the service's).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, test } from "node:test";
import { WebSocket } from "ws";

const client = await import(process.env.FASTGEN_CLIENT);
const { Client, ConnectionError, OutboxFullError, UnauthorizedError } = client;
const CHAT_URL = process.env.CHAT_URL;
const JWT = process.env.AUTH === "jwt";
const HISTORY_SIZE = Number(process.env.HISTORY_SIZE);
const WAIT = 20_000; // every wait is bounded: a failing test fails, it never hangs

function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A token for `user`: a dev JWT (HS256) lasting `seconds`, or the static dev token. */
function tokenFor(user, seconds = 3600) {
  if (!JWT) return user === "alice" ? "dev-token" : "dev-token-bob";
  const body = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url({ sub: user, exp: Math.floor(Date.now() / 1000) + seconds })}`;
  return `${body}.${createHmac("sha256", process.env.JWT_SECRET).update(body).digest("base64url")}`;
}

/** `ws`, recording each socket so a test can cut it, or mute what it receives. */
function tappedWebSocket() {
  const sockets = [];
  class Tapped extends WebSocket {
    muted = false;
    constructor(url, protocols) {
      super(url, protocols);
      sockets.push(this);
    }
    set onmessage(listener) {
      super.onmessage = (event) => {
        if (!this.muted) listener?.(event);
      };
    }
    get onmessage() {
      return super.onmessage;
    }
  }
  return { Tapped, sockets, last: () => sockets.at(-1) };
}

const clients = [];
function makeClient(options) {
  const made = new Client(CHAT_URL, { WebSocket, minReconnectDelay: 50, maxReconnectDelay: 400, ...options });
  clients.push(made);
  return made;
}
after(() => clients.forEach((each) => each.close()));

function within(promise, what, ms = WAIT) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `predicate()` holds (checked on every event of `emitter`). */
function until(predicate, what) {
  return within(
    new Promise((resolve) => {
      const check = setInterval(() => {
        if (predicate()) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    }),
    what,
  );
}

function collect(room) {
  const got = { messages: [], missed: [], resets: [], joins: [] };
  room.on("message", (frame, info) => {
    got.messages.push(frame);
    if (info.missed) got.missed.push(frame);
  });
  room.on("reset", (info) => got.resets.push(info));
  room.on("joined", (info) => got.joins.push(info));
  return got;
}

function unique(name) {
  return `${name}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
}

test("publish resolves once with the service's published reply, and every member gets the chat", async () => {
  const name = unique("basic");
  const alice = makeClient({ token: tokenFor("alice") });
  const bob = makeClient({ getToken: () => tokenFor("bob") });
  const seen = collect(await within(alice.join(name), "alice joins"));
  const room = await within(bob.join(name), "bob joins");
  const ack = await within(room.publish("hello"), "publish");
  assert.equal(ack.type, "published");
  assert.equal(ack.room, name);
  assert.equal(ack.duplicate, false);
  await until(() => seen.messages.length === 1, "alice gets the chat");
  assert.equal(seen.messages[0].text, "hello");
  assert.equal(seen.messages[0].id, ack.id);
  assert.equal(seen.messages[0].offset, ack.offset);
  assert.equal(alice.state, "connected");
});

test("a cut connection reconnects and resumes: the missed messages first, in order, exactly once", async () => {
  const name = unique("resume");
  const tap = tappedWebSocket();
  const states = [];
  const alice = makeClient({ token: tokenFor("alice"), WebSocket: tap.Tapped });
  alice.on("state", (event) => states.push(event.state));
  const seen = collect(await within(alice.join(name), "alice joins"));
  const bob = makeClient({ token: tokenFor("bob") });
  const room = await within(bob.join(name), "bob joins");
  await within(room.publish("before"), "publish before");
  await until(() => seen.messages.length === 1, "the first chat");
  tap.last().muted = true; // alice hears nothing from here: what bob sends now is missed
  tap.last().terminate();
  for (let i = 0; i < 5; i += 1) await within(room.publish(`missed ${i}`), "publish while away");
  await until(() => seen.messages.length === 6, "the missed chats");
  await within(room.publish("live"), "publish live");
  await until(() => seen.messages.length === 7, "the live chat");
  assert.deepEqual(seen.messages.map((frame) => frame.text), ["before", "missed 0", "missed 1", "missed 2", "missed 3", "missed 4", "live"]);
  const offsets = seen.messages.map((frame) => frame.offset);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  assert.equal(new Set(offsets).size, offsets.length);
  assert.equal(seen.missed.length, 5);
  assert.equal(seen.resets.length, 0);
  assert.equal(seen.joins.at(-1).recovered, true);
  assert.ok(tap.sockets.length >= 2);
  assert.ok(states.includes("connecting") && states.at(-1) === "connected", states.join(","));
});

test("a publish whose connection is cut before the acknowledgement is sent again and published once", async () => {
  const name = unique("once");
  const tap = tappedWebSocket();
  const bob = makeClient({ token: tokenFor("bob"), WebSocket: tap.Tapped });
  const alice = makeClient({ token: tokenFor("alice") });
  const seen = collect(await within(alice.join(name), "alice joins"));
  const room = await within(bob.join(name), "bob joins");
  const sent = [];
  bob.on("sent", (text) => {
    if (text.includes('"type":"chat"')) {
      sent.push(text);
      if (sent.length === 1) tap.last().terminate(); // the chat may or may not have left
    }
  });
  const ack = await within(room.publish("exactly once"), "publish across a reconnect");
  assert.ok(sent.length >= 2, "sent again after the reconnect");
  assert.ok(sent.every((text) => JSON.parse(text).id === ack.id), "with the same id");
  await within(room.publish("after"), "the next publish");
  await until(() => seen.messages.some((frame) => frame.text === "after"), "alice gets both");
  assert.deepEqual(seen.messages.map((frame) => frame.text), ["exactly once", "after"]);
});

test("a resume that the history cannot fill is a reset event, never a silent gap", async () => {
  const name = unique("reset");
  const tap = tappedWebSocket();
  // Alice's reconnect waits for `comeBack`: she stays away while the history moves past her.
  let comeBack;
  const away = new Promise((resolve) => (comeBack = resolve));
  let tokens = 0;
  const getToken = async () => (tokens++ === 0 ? tokenFor("alice") : away.then(() => tokenFor("alice")));
  const alice = makeClient({ getToken, WebSocket: tap.Tapped });
  const seen = collect(await within(alice.join(name), "alice joins"));
  const bob = makeClient({ token: tokenFor("bob"), maxOutbox: HISTORY_SIZE + 10 });
  const room = await within(bob.join(name), "bob joins");
  await within(room.publish("seen"), "publish");
  await until(() => seen.messages.length === 1, "the first chat");
  tap.last().muted = true;
  tap.last().terminate();
  await until(() => tokens === 2, "alice asks for a token to reconnect");
  const past = Array.from({ length: HISTORY_SIZE + 3 }, (_, i) => room.publish(`gone ${i}`));
  await within(Promise.all(past), "publish past the history");
  comeBack();
  await until(() => seen.resets.length === 1, "the reset");
  assert.equal(seen.resets[0].reason, "not recovered");
  assert.equal(seen.joins.at(-1).recovered, false);
  await within(room.publish("after the reset"), "publish after");
  await until(() => seen.messages.at(-1)?.text === "after the reset", "the live chat after the reset");
  assert.deepEqual(seen.messages.map((frame) => frame.text), ["seen", "after the reset"]);
});

test("a full outbox throws at once, by count and by bytes", async () => {
  const name = unique("outbox");
  const alice = makeClient({ token: tokenFor("alice"), maxOutbox: 3, maxOutboxBytes: 4096 });
  const room = await within(alice.join(name), "join");
  const pending = [room.publish("1"), room.publish("2"), room.publish("3")];
  assert.throws(() => room.publish("4"), OutboxFullError);
  await within(Promise.all(pending), "the three publishes");
  assert.throws(() => room.publish("x".repeat(5000)), OutboxFullError);
  const ack = await within(room.publish("fits again"), "a publish that fits");
  assert.equal(ack.type, "published");
});

test("a refused token is one UnauthorizedError, after one more getToken", async () => {
  const fixed = makeClient({ token: "not-a-token" });
  await assert.rejects(within(fixed.connect(), "fixed token"), UnauthorizedError);
  let calls = 0;
  const errors = [];
  const renewing = makeClient({ getToken: () => `not-a-token-${++calls}` });
  renewing.on("error", (error) => errors.push(error));
  await assert.rejects(within(renewing.join(unique("refused")), "join with refused tokens"), UnauthorizedError);
  assert.equal(calls, 2);
  assert.equal(errors.length, 1);
  assert.equal(renewing.state, "disconnected");
});

test("a bad URL throws at once; an unreachable service is one ConnectionError", async () => {
  assert.throws(() => new Client("not a url", { token: "t", WebSocket }), TypeError);
  assert.throws(() => new Client("ftp://127.0.0.1/ws/chat", { token: "t", WebSocket }), TypeError);
  const port = new URL(CHAT_URL).port;
  const closed = new Client(`ws://127.0.0.1:1/ws/chat`, { token: "t", WebSocket });
  clients.push(closed);
  const errors = [];
  closed.on("error", (error) => errors.push(error));
  await assert.rejects(within(closed.connect(), "unreachable"), ConnectionError);
  assert.equal(errors.length, 1);
  assert.ok(port);
});

test("a link that goes silent is found dead and replaced, without the OS noticing", async () => {
  const name = unique("silent");
  const tap = tappedWebSocket();
  const alice = makeClient({ token: tokenFor("alice"), WebSocket: tap.Tapped, heartbeat: 300, deadAfter: 2_000 });
  const seen = collect(await within(alice.join(name), "join"));
  tap.last().muted = true; // the TCP connection stays open; nothing arrives any more
  await until(() => tap.sockets.length === 2 && alice.state === "connected", "a new connection");
  const bob = makeClient({ token: tokenFor("bob") });
  const room = await within(bob.join(name), "bob joins");
  await within(room.publish("still here"), "publish");
  await until(() => seen.messages.length === 1, "the chat on the new connection");
  // A quiet live link is kept: the client pings often enough for deadAfter, whatever the
  // heartbeat the service asks for.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(tap.sockets.length, 2);
});

test("a JWT is refreshed in-band before it expires, and the session goes on", { skip: !JWT && "static tokens" }, async () => {
  let calls = 0;
  const closes = [];
  const alice = makeClient({ getToken: () => (calls += 1, tokenFor("alice", 4)) });
  alice.on("close", (info) => closes.push(info));
  const refreshed = [];
  alice.on("frame", (frame) => frame.type === "refreshed" && refreshed.push(frame));
  await within(alice.join(unique("refresh")), "join");
  // Each token lasts 3 to 4 s: two refreshes take the session past the first one's expiry.
  await until(() => refreshed.length >= 2, "two refreshes");
  assert.deepEqual(closes, []);
  assert.equal(alice.state, "connected");
  assert.ok(calls >= 3);
});

test("an expired session (40101) asks getToken once more and comes back, its rooms rejoined", { skip: !JWT && "static tokens" }, async () => {
  // The first token lasts 2 s and every refresh offers another user's token (refused, 40009),
  // so the service ends the session when it expires; the token after that lasts an hour.
  let calls = 0;
  let expired = false;
  const getToken = () => {
    calls += 1;
    if (calls === 1) return tokenFor("alice", 2);
    return expired ? tokenFor("alice") : tokenFor("bob");
  };
  const alice = makeClient({ getToken });
  const closes = [];
  const errors = [];
  alice.on("close", (info) => {
    closes.push(info);
    expired = true;
  });
  alice.on("error", (error) => errors.push(error));
  const refused = [];
  alice.on("frame", (frame) => frame.status === 40009 && refused.push(frame));
  const name = unique("expiry");
  const seen = collect(await within(alice.join(name), "join"));
  await until(() => closes.length === 1 && alice.state === "connected" && seen.joins.length === 1, "back after the expiry");
  assert.equal(closes[0].code, 1008);
  assert.equal(closes[0].status, 40101);
  assert.ok(refused.length >= 1, "the other user's token was refused");
  assert.deepEqual(errors, []);
  const bob = makeClient({ token: tokenFor("bob") });
  const room = await within(bob.join(name), "bob joins");
  await within(room.publish("after the expiry"), "publish");
  await until(() => seen.messages.length === 1, "alice gets it");
});
