"""HTTP routes."""

from fastapi.testclient import TestClient


def test_root_says_hello(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"Hello": "World"}


def test_path_parameter_is_echoed(client: TestClient) -> None:
    assert client.get("/api/hello/john").json() == {"name": "john"}


def test_print_demo_returns_hello(client: TestClient) -> None:
    assert client.get("/api/print").json() == ["Hello"]


def test_health_reports_service_and_connections(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["service"] == client.app.state.settings.SERVICE_NAME  # type: ignore[attr-defined]
    assert body["connections"] == 0


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    first = client.get("/api/health").headers["X-Request-ID"]
    second = client.get("/api/health").headers["X-Request-ID"]
    assert first
    assert first != second
