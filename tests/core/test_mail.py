from cop.core.mail import send_email


def test_mail_goes_over_real_smtp(smtp_server):
    assert send_email(
        "someone@test.example.org",
        "Hello <b>there</b>\nBcc: x@evil.example",
        "plain body",
        "<p>html body</p>",
    )
    [msg] = smtp_server.to("someone@test.example.org")
    assert msg["Subject"] == "Hello <b>there</b> Bcc: x@evil.example"
    assert "Bcc" not in msg
    assert smtp_server.text(msg).strip() == "plain body"
    assert "html body" in smtp_server.html(msg)


def test_no_mail_server_logs_instead(app, caplog):
    assert app.config["MAIL_SERVER"] is None
    caplog.set_level("INFO", logger="cop.mail")
    assert send_email("someone@test.example.org", "Logged", "body text")
    assert "body text" in caplog.text
