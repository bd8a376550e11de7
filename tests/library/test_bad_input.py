"""The issue's bad input for files and links: each refused with a clear message, nothing
stored in the database, and no file left on disk (the storage folder is listed)."""

from __future__ import annotations

import io
import zipfile

import pytest

from cop.library.models import Resource, ResourceVersion
from tests.conftest import login, post_form
from tests.library.conftest import make_docx, make_pdf, share


def _zip_bomb() -> bytes:
    """A .docx whose one member inflates 50 MB of zeros from a few kilobytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


BAD_FILES = [
    ("exe renamed .pdf", "budget.pdf", b"MZ\x90\x00\x03" + b"\0" * 200, "not a PDF"),
    (
        "svg with script",
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "cannot be shared",
    ),
    (
        "html with script",
        "page.html",
        b"<html><script>alert(1)</script></html>",
        "cannot be shared",
    ),
    ("html renamed .txt", "notes.txt", b"<!doctype html><script>alert(1)</script>", "markup"),
    ("zip bomb", "standards.docx", None, "zip bomb"),
    ("path in the name", "../../etc/flyer.pdf", make_pdf(), "folder path"),
    ("control character in the name", "fly\x1ber.pdf", make_pdf(), "control characters"),
    ("macro document", "mou.docx", make_docx({"word/vbaProject.bin": b"\0"}), "macros"),
]


@pytest.fixture
def member_client(app, world):
    client = app.test_client()
    login(client, world["member"])
    return client


def _form(name: str, data: bytes, **overrides) -> dict:
    return {
        "title": "Recruitment flyer",
        "type": "template",
        "visibility": "community",
        "summary": "",
        "file": (io.BytesIO(data), name),
        **overrides,
    }


def _nothing_stored(db, storage) -> None:
    db.session.rollback()
    assert db.session.query(Resource).count() == 0
    assert db.session.query(ResourceVersion).count() == 0
    assert storage.files() == [], "a file was left behind on disk"


@pytest.mark.parametrize(
    ("case", "name", "data", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES]
)
def test_a_bad_file_is_refused_and_nothing_is_left(
    member_client, db, library_storage, case, name, data, message
):
    data = _zip_bomb() if data is None else data
    response = post_form(
        member_client,
        "/library/resources/new",
        _form(name, data),
        token_from="/library/resources/new",
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:500]
    assert message in page and 'id="error-summary"' in page
    _nothing_stored(db, library_storage)


def test_a_file_over_the_limit_is_refused_with_a_clear_page(
    app, member_client, db, library_storage
):
    saved = app.config["LIBRARY_MAX_UPLOAD_BYTES"]
    app.config["LIBRARY_MAX_UPLOAD_BYTES"] = 2000
    try:
        # Over the library limit but under the request limit: the service refuses it.
        response = post_form(
            member_client,
            "/library/resources/new",
            _form("big.pdf", make_pdf() + b"%" * 2000),
            token_from="/library/resources/new",
            content_type="multipart/form-data",
        )
        assert response.status_code == 413
        assert "larger than the 1 KB limit" in response.get_data(as_text=True)
        # Over the request limit: refused before anything is read. (The body is built in
        # memory: the test client would otherwise spool it to a file it never closes.)
        from werkzeug.datastructures import FileStorage
        from werkzeug.test import encode_multipart

        from tests.conftest import csrf_token

        values = _form(
            "big.pdf",
            b"",
            file=FileStorage(
                io.BytesIO(b"%PDF-" + b"0" * (1024 * 1024 + 8000)), filename="big.pdf"
            ),
        )
        values["csrf_token"] = csrf_token(member_client, "/library/resources/new")
        boundary, body = encode_multipart(values)
        response = member_client.post(
            "/library/resources/new",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert response.status_code == 413, response.get_data(as_text=True)[-1500:]
        assert "larger than the 1 KB limit" in response.get_data(as_text=True)
    finally:
        app.config["LIBRARY_MAX_UPLOAD_BYTES"] = saved
    _nothing_stored(db, library_storage)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://exa mple.org",
        "//example.org/x",
    ],
)
def test_a_link_that_is_not_http_is_refused(member_client, db, library_storage, url):
    response = post_form(
        member_client,
        "/library/resources/new",
        {
            "title": "Agency directory",
            "type": "link",
            "visibility": "community",
            "external_url": url,
        },
        token_from="/library/resources/new",
    )
    assert response.status_code == 400
    assert "starting with http:// or https://" in response.get_data(as_text=True)
    _nothing_stored(db, library_storage)


def test_api_refuses_the_same_and_leaves_nothing(app, world, db, library_storage):
    from cop.accounts.services import create_api_token

    token = create_api_token(world["member"])[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    import base64

    exe = base64.b64encode(b"MZ\x90\x00" + b"\0" * 100).decode()
    response = client.post(
        "/api/v1/library/resources",
        headers=headers,
        json={
            "title": "Budget",
            "type": "template",
            "file": {"name": "budget.pdf", "content_base64": exe},
        },
    )
    assert response.status_code == 400
    assert "not a PDF" in response.get_json()["error"]["message"]
    response = client.post(
        "/api/v1/library/resources",
        headers=headers,
        json={"title": "Agency directory", "type": "link", "external_url": "javascript:alert(1)"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == {
        "external_url": ["Give a web address starting with http:// or https://."]
    }
    saved = app.config["LIBRARY_MAX_UPLOAD_BYTES"]
    app.config["LIBRARY_MAX_UPLOAD_BYTES"] = 1000
    try:
        big = base64.b64encode(make_pdf() + b"%" * 1000).decode()
        response = client.post(
            "/api/v1/library/resources",
            headers=headers,
            json={
                "title": "Budget",
                "type": "template",
                "file": {"name": "budget.pdf", "content_base64": big},
            },
        )
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"
        # Past the request limit: refused before the body is read, in the API's format.
        response = client.post(
            "/api/v1/library/resources",
            headers=headers,
            data=b"{" + b" " * (1024 * 1024 + 4000) + b"}",
            content_type="application/json",
        )
        assert response.status_code == 413
        assert "Nothing was saved" in response.get_json()["error"]["message"]
    finally:
        app.config["LIBRARY_MAX_UPLOAD_BYTES"] = saved
    _nothing_stored(db, library_storage)


def test_a_failed_commit_leaves_no_file(app, world, db, library_storage, monkeypatch):
    """The file is moved into place only after the commit: if the commit fails, the staged
    file is removed too."""
    from cop.library import services

    def fail():
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        share(world["member"], file=("flyer.pdf", make_pdf()))
    monkeypatch.undo()
    _nothing_stored(db, library_storage)


def test_a_new_version_keeps_the_old_one_and_a_bad_one_changes_nothing(
    app, world, db, library_storage
):
    from cop.library import services

    resource = share(world["member"], file=("mou.docx", make_docx()))
    services.add_version(
        world["member"],
        resource,
        services.Upload("mou-v2.pdf", io.BytesIO(make_pdf("Second version"))),
        "Signed copy",
    )
    assert [v.number for v in resource.versions] == [2, 1]
    assert len(library_storage.files()) == 2
    with pytest.raises(services.ServiceError):
        services.add_version(
            world["member"], resource, services.Upload("mou-v3.pdf", io.BytesIO(b"MZ" + b"\0" * 50))
        )
    db.session.expire_all()
    assert resource.version_count == 2 and len(library_storage.files()) == 2
