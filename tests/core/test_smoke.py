from tests.conftest import login


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_login_and_directory(client, world):
    login(client, world["member"])
    page = client.get("/coalitions/").get_data(as_text=True)
    assert "Alpha Coalition (demo)" in page and "Beta Coalition (demo)" in page
