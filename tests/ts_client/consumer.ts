// An application of the client, as a TypeScript user writes it (Node 20: `ws` injected):
// tests/test_ts_client.py type-checks it with --strict, so the public types stay usable.
import { WebSocket } from "ws";
import { Client, type ChatMessage, OutboxFullError, type Published, type ResetInfo } from "../../template/clients/typescript/src/index.js";

async function main(): Promise<void> {
  const client = new Client("ws://127.0.0.1:8000/ws/chat", { getToken: async () => "token", WebSocket });
  client.on("state", (event) => console.log(event.state, event.delay ?? 0));
  const room = await client.join("lobby");
  room.on("message", (frame, info) => {
    if (frame.type === "chat") {
      const chat: ChatMessage = frame;
      console.log(chat.from, chat.text.toUpperCase(), info.missed);
    } else {
      console.log(frame.data);
    }
  });
  room.on("reset", (info: ResetInfo) => console.log(info.offset));
  try {
    const ack: Published = await room.publish("hello");
    console.log(ack.offset, ack.duplicate);
  } catch (error) {
    if (error instanceof OutboxFullError) console.log("full");
  }
  await room.leave();
  client.close();
}
void main();
