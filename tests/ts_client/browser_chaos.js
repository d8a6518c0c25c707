// The chaos scenario of the TypeScript client, run in a page (tests/test_ts_chaos.py):
// publishers and subscribers of one room, each a Client, all through the chaos proxy.
// It returns once everyone joined; the run goes on, and its state is `window.chaos`.
async ({ module, url, room, publishers, subscribers, interval, options }) => {
  const { Client } = await import(module);
  const chaos = {
    stop: false, // set by the test: the publishers finish what they started, then stop
    finished: false,
    calls: 0,
    settled: 0,
    acks: [],
    failures: [],
    received: {},
    resets: {},
    states: {},
    error: null,
  };
  window.chaos = chaos;
  const make = (token, name) => {
    const client = new Client(url, { token, ...options });
    chaos.states[name] = [];
    client.on("state", (event) => chaos.states[name].push(event.state));
    return client;
  };
  const joins = subscribers.map(async (token, index) => {
    const name = `subscriber ${index}`;
    const joined = await make(token, name).join(room);
    chaos.received[name] = [];
    chaos.resets[name] = [];
    joined.on("message", (frame) => chaos.received[name].push([frame.offset, frame.epoch, frame.id ?? null]));
    joined.on("reset", (info) => chaos.resets[name].push(info));
  });
  await Promise.all(joins);
  const rooms = await Promise.all(publishers.map((token, index) => make(token, `publisher ${index}`).join(room)));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const publishing = rooms.map(async (joined, index) => {
    const pending = [];
    for (let number = 0; !chaos.stop; number += 1) {
      chaos.calls += 1;
      // Through a promise, so that a full outbox (thrown at once) counts as a failed call.
      const text = `publisher ${index} message ${number}`;
      const call = Promise.resolve(text).then((body) => joined.publish(body)).then(
        (ack) => chaos.acks.push([ack.offset, ack.epoch, ack.id]),
        (error) => chaos.failures.push(`${error.name}: ${error.message}`),
      );
      pending.push(call.finally(() => (chaos.settled += 1)));
      await sleep(interval);
    }
    await Promise.all(pending);
  });
  Promise.all(publishing).then(
    () => (chaos.finished = true),
    (error) => (chaos.error = String(error)),
  );
};
