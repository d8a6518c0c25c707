"""The baseline: a seed-style FastAPI endpoint speaking the same JSON echo, nothing else.

No authentication, no dispatch layer, no validation: accept, then receive, decode,
encode and send back, the way the seed article's first endpoint is written.
Run under uvicorn: ``uvicorn bench.bare_app:app``.
"""

import json

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws/chat")
async def chat(websocket: WebSocket) -> None:
    """Echo each JSON text message back, re-encoded."""
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_text(json.dumps(json.loads(text)))
    except WebSocketDisconnect:
        return
