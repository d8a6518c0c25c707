"""HTTP and WebSocket routes, one ``APIRouter`` per module."""
