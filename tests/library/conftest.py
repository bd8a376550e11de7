"""Library test fixtures: a storage folder of its own per test, sample files, sharing."""

from __future__ import annotations

import io
import zipfile

import pytest


@pytest.fixture(autouse=True)
def library_storage(app, tmp_path):
    """Each test stores files in its own folder; yields the storage to list them."""
    saved = app.config.get("LIBRARY_STORAGE_PATH")
    app.config["LIBRARY_STORAGE_PATH"] = str(tmp_path / "uploads")
    app.extensions.pop("cop_library_storage", None)
    from cop.library.storage import storage

    try:
        yield storage()
    finally:
        app.config["LIBRARY_STORAGE_PATH"] = saved
        app.extensions.pop("cop_library_storage", None)


def make_pdf(text: str = "Pre-apprenticeship recruitment template") -> bytes:
    """A small valid one-page PDF with `text` on it (so pypdf extracts it)."""
    from cop.library.seed import simple_pdf

    return simple_pdf(text)


def make_docx(extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office Open XML word document (enough for the content check)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><document>MOU</document>')
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def share(
    actor,
    *,
    title="Employer MOU template",
    visibility="community",
    coalition=None,
    file: tuple[str, bytes] | None = None,
    **values,
):
    """Share a resource through the service (set-up, not what is tested)."""
    from cop.library import services

    upload = services.Upload(file[0], io.BytesIO(file[1])) if file else None
    fields = {"type": "template", "summary": "A template.", **values}
    return services.share_resource(
        actor,
        services.ResourceValues(
            title=title,
            visibility=visibility,
            coalition_id=coalition.id if coalition is not None else None,
            **fields,
        ),
        upload,
    )
