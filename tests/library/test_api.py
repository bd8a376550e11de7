"""The library API: list, search, get, create, update, versions; in the OpenAPI document."""

from __future__ import annotations

import base64

from tests.library.conftest import make_pdf, share


def _headers(user) -> dict:
    from cop.accounts.services import create_api_token

    return {"Authorization": f"Bearer {create_api_token(user)[1]}"}


def test_resources_through_the_api(app, world, library_storage):
    client = app.test_client()
    member = _headers(world["member"])
    pdf = base64.b64encode(make_pdf("Broadband splicing curriculum")).decode()
    made = client.post(
        "/api/v1/library/resources",
        headers=member,
        json={
            "title": "Fiber splicing curriculum",
            "type": "curriculum",
            "visibility": "public",
            "sectors": ["broadband"],
            "states": ["oh"],
            "coalition": "alpha",
            "file": {"name": "splicing.pdf", "content_base64": pdf},
        },
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["states"] == ["OH"] and body["coalition"] == "alpha"
    assert body["version_count"] == 1
    rid = body["id"]
    share(
        world["member"],
        title="Alpha budget notes",
        visibility="coalition",
        coalition=world["alpha"],
    )

    anonymous = client.get("/api/v1/library/resources?sector=broadband&state=OH").get_json()
    assert [r["title"] for r in anonymous["items"]] == ["Fiber splicing curriculum"]
    assert client.get("/api/v1/library/resources").get_json()["total"] == 1
    assert client.get("/api/v1/library/resources", headers=member).get_json()["total"] == 2
    hits = client.get("/api/v1/library/search?q=splicing").get_json()
    assert hits["items"][0]["resource"]["id"] == rid
    assert "<mark>" in hits["items"][0]["snippet_html"]

    patched = client.patch(
        f"/api/v1/library/resources/{rid}",
        headers=member,
        json={"title": "Fiber splicing curriculum (2026)"},
    )
    assert patched.status_code == 200 and patched.get_json()["sectors"] == ["broadband"]
    other = client.patch(
        f"/api/v1/library/resources/{rid}",
        headers=_headers(world["other_member"]),
        json={"title": "Mine now"},
    )
    assert other.status_code == 403

    text = base64.b64encode(b"Lesson 1: safety\n").decode()
    version = client.post(
        f"/api/v1/library/resources/{rid}/versions",
        headers=member,
        json={"file": {"name": "lesson.txt", "content_base64": text}, "note": "Plain-text outline"},
    )
    assert version.status_code == 201 and version.get_json()["number"] == 2
    versions = client.get(f"/api/v1/library/resources/{rid}/versions").get_json()
    assert [v["number"] for v in versions] == [2, 1]
    assert len(library_storage.files()) == 2

    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/library/resources",
        "/api/v1/library/search",
        "/api/v1/library/resources/{resource_id}",
        "/api/v1/library/resources/{resource_id}/versions",
    ):
        assert path in spec["paths"], path
