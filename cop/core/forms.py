"""Form helpers shared by the features' views."""

from __future__ import annotations

CSRF_MESSAGE = "The form expired or was not sent from this site. Please submit it again."


def error_list(form) -> list[tuple[str, str, str]]:
    """(field id, label, message) of every error, in page order, for the error summary
    (templates/_macros/forms.html `error_summary`)."""
    found = [("", "", message) for message in form.form_errors]
    for f in form:
        if f.type == "CSRFTokenField":
            if f.errors:
                found.append(("", "", CSRF_MESSAGE))
            continue
        found.extend((f.id, str(f.label.text), m) for m in f.errors if isinstance(m, str))
    return found
