// cop chat client: the /chat socket, catch-up by seq over HTTP, an offline outbox.
// Protocol: docs/chat-protocol.md. Vanilla JS and the vendored socket.io-client; no inline
// scripts (CSP). The page is server-rendered; this file only enhances it.
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root || typeof window.io !== "function") { return; }

  var me = { id: Number(root.dataset.userId), name: root.dataset.userName };
  var roomId = Number(root.dataset.roomId);
  var canModerate = root.dataset.canModerate === "true";
  var canPost = root.dataset.canPost === "true";
  var maxBody = Number(root.dataset.maxBody) || 4000;
  var roomsUrl = root.dataset.roomsUrl;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  var list = document.getElementById("chat-messages");
  var announcer = document.getElementById("chat-announcer");
  var statusEl = document.getElementById("chat-status");
  var typingEl = document.getElementById("chat-typing");
  var presenceEl = document.getElementById("chat-presence");
  var form = document.getElementById("chat-composer");
  var input = document.getElementById("chat-body");
  var errorEl = document.getElementById("chat-error");
  var earlierBtn = document.getElementById("chat-load-earlier");
  var outboxEl = document.getElementById("chat-outbox");

  var ACK_TIMEOUT = 10000;
  var RETRYABLE = { unavailable: 1, server_error: 1, rate_limited: 1 };
  var OUTBOX_KEY = "cop-chat-outbox:" + me.id;

  var state = {
    lastSeq: 0,          // every message up to this seq is on the page
    firstSeq: 0,         // the oldest seq on the page
    lastEditSeq: Number(root.dataset.lastEditSeq) || 0,
    lastReadSeq: Number(root.dataset.lastReadSeq) || 0,
    seqs: {},            // seq -> true, for the messages on the page
    byId: {},            // message id -> <li>
    rooms: {},           // room id -> {lastSeq, lastReadSeq, badge}
    presence: {},        // user id -> name
    catchingUp: null,
    catchUpAgain: false,
    sending: false,
    readTimer: null,
    typingSentAt: 0,
    typingTimers: {}
  };

  // --- small helpers --------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function setStatus(text) { if (statusEl) { statusEl.textContent = text; } }

  function announce(text) {
    if (!announcer) { return; }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function showError(text) {
    if (!errorEl) { return; }
    errorEl.textContent = text || "";
    if (input) {
      if (text) { input.setAttribute("aria-invalid", "true"); }
      else { input.removeAttribute("aria-invalid"); }
    }
  }

  function timeLabel(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    return d.toLocaleString([], { month: "short", day: "numeric", hour: "numeric",
                                  minute: "2-digit" });
  }

  function plainText(html) {
    var div = document.createElement("div");
    div.innerHTML = html;
    var text = (div.textContent || "").replace(/\s+/g, " ").trim();
    return text.length > 200 ? text.slice(0, 197) + "..." : text;
  }

  function api(path, options) {
    options = options || {};
    var headers = { "Accept": "application/json" };
    if (options.body) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = csrf;
    }
    return window.fetch(path, {
      method: options.method || "GET", headers: headers, credentials: "same-origin",
      body: options.body ? JSON.stringify(options.body) : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function atBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  }

  function scrollToBottom() { list.scrollTop = list.scrollHeight; }

  // --- rendering (mirrors templates/chat/_message.html) --------------------------------
  function actionButton(label, srText, action) {
    var b = el("button", "usa-button usa-button--unstyled");
    b.type = "button";
    b.dataset.action = action;
    b.appendChild(document.createTextNode(label));
    b.appendChild(el("span", "usa-sr-only", " " + srText));
    return b;
  }

  function renderMessage(m) {
    var own = m.author.id === me.id;
    var li = el("li", "cop-chat-msg" + (own ? " cop-chat-msg--own" : "") +
                (m.deleted ? " cop-chat-msg--deleted" : ""));
    li.id = "message-" + m.seq;
    li.dataset.id = m.id;
    li.dataset.seq = m.seq;
    li.dataset.authorId = m.author.id;
    li.dataset.clientId = m.client_id;
    var meta = el("div", "cop-chat-msg__meta");
    meta.appendChild(el("span", "cop-chat-msg__author", m.author.name));
    meta.appendChild(document.createTextNode(" "));
    var time = el("time", "cop-chat-msg__time", timeLabel(m.created_at));
    time.setAttribute("datetime", m.created_at);
    meta.appendChild(time);
    if (m.edited_at && !m.deleted) {
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", "cop-chat-msg__edited", "(edited)"));
    }
    li.appendChild(meta);
    var body = el("div", "cop-chat-msg__body");
    if (m.deleted) {
      body.appendChild(el("em", "", "Message deleted."));
    } else {
      body.innerHTML = m.body_html;  // sanitised on the server (nh3 allowlist)
    }
    li.appendChild(body);
    if (!m.deleted) {
      var actions = el("div", "cop-chat-msg__actions");
      var when = timeLabel(m.created_at);
      if (own && canPost) {
        actions.appendChild(actionButton("Edit", "your message from " + when, "edit"));
      }
      if (own || canModerate) {
        actions.appendChild(actionButton("Delete", "message from " + m.author.name + " at " +
                                         when, "delete"));
      }
      if (canModerate && !own) {
        actions.appendChild(actionButton("Mute", m.author.name + " in this room", "mute"));
      }
      li.appendChild(actions);
    }
    return li;
  }

  function removeEmptyNote() {
    var empty = document.getElementById("chat-empty");
    if (empty) { empty.parentNode.removeChild(empty); }
  }

  function firstPending() { return list.querySelector("li[data-pending]"); }

  function insertStored(li, seq) {
    // In seq order, above the pending (not yet stored) messages.
    var items = list.querySelectorAll("li.cop-chat-msg[data-seq]");
    var after = null;
    for (var i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].dataset.seq) < seq) { after = items[i]; break; }
    }
    if (after) {
      var next = after.nextSibling;
      // keep a divider that follows `after` right above the newer message
      list.insertBefore(li, next);
    } else if (items.length) {
      list.insertBefore(li, items[0]);
    } else {
      list.insertBefore(li, firstPending());
    }
  }

  function maybeDivider(li) {
    if (document.getElementById("chat-divider")) { return; }
    if (!document.hidden && atBottom()) { return; }
    var divider = el("li", "cop-chat-divider");
    divider.id = "chat-divider";
    divider.appendChild(el("span", "", "New messages"));
    list.insertBefore(divider, li);
  }

  function advanceContiguous() {
    while (state.seqs[state.lastSeq + 1]) { state.lastSeq += 1; }
  }

  // Add or update one stored message; returns true if it was new to the page.
  function addMessage(m, live) {
    if (m.room_id !== roomId) { return false; }
    var existing = state.byId[m.id];
    if (existing) {
      if (m.deleted || m.edited_at) { replaceMessage(m); }
      return false;
    }
    removeEmptyNote();
    var wasAtBottom = atBottom();
    var li = renderMessage(m);
    var pending = list.querySelector('li[data-pending][data-client-id="' +
                                     CSS.escape(m.client_id) + '"]');
    if (pending) { pending.parentNode.removeChild(pending); }
    insertStored(li, m.seq);
    state.byId[m.id] = li;
    state.seqs[m.seq] = true;
    if (!state.firstSeq || m.seq < state.firstSeq) { state.firstSeq = m.seq; }
    if (m.edit_seq && m.edit_seq > state.lastEditSeq) { state.lastEditSeq = m.edit_seq; }
    advanceContiguous();
    if (live && m.author.id !== me.id) {
      maybeDivider(li);
      announce(m.author.name + ": " + plainText(m.body_html));
    }
    if (wasAtBottom || m.author.id === me.id) { scrollToBottom(); }
    return true;
  }

  function replaceMessage(m) {
    var old = state.byId[m.id];
    if (!old) { return; }
    var li = renderMessage(m);
    old.parentNode.replaceChild(li, old);
    state.byId[m.id] = li;
    if (m.edit_seq && m.edit_seq > state.lastEditSeq) { state.lastEditSeq = m.edit_seq; }
  }

  // --- catch-up by seq ------------------------------------------------------------------
  function fetchAfter(after) {
    return api(roomsUrl + "/" + roomId + "/messages?after_seq=" + after + "&limit=500")
      .then(function (page) {
        page.messages.forEach(function (m) { addMessage(m, true); });
        if (page.has_more && page.messages.length) {
          return fetchAfter(page.messages[page.messages.length - 1].seq);
        }
        return page;
      });
  }

  function fetchEdits(after) {
    return api(roomsUrl + "/" + roomId + "/messages?edited_after=" + after + "&limit=500")
      .then(function (page) {
        page.messages.forEach(function (m) {
          if (state.byId[m.id]) { replaceMessage(m); }
          if (m.edit_seq > state.lastEditSeq) { state.lastEditSeq = m.edit_seq; }
        });
        if (page.has_more && page.messages.length) {
          return fetchEdits(page.messages[page.messages.length - 1].edit_seq);
        }
      });
  }

  function catchUp() {
    if (state.catchingUp) { state.catchUpAgain = true; return state.catchingUp; }
    state.catchingUp = fetchAfter(state.lastSeq)
      .then(function () { return fetchEdits(state.lastEditSeq); })
      .catch(function () { setStatus("Could not load missed messages; retrying soon."); })
      .then(function () {
        state.catchingUp = null;
        scheduleRead();
        if (state.catchUpAgain) { state.catchUpAgain = false; return catchUp(); }
      });
    return state.catchingUp;
  }

  function loadEarlier() {
    if (!state.firstSeq || state.firstSeq <= 1 || !earlierBtn) { return; }
    earlierBtn.disabled = true;
    var before = list.scrollHeight - list.scrollTop;
    api(roomsUrl + "/" + roomId + "/messages?before_seq=" + state.firstSeq + "&limit=50")
      .then(function (page) {
        page.messages.forEach(function (m) { addMessage(m, false); });
        list.scrollTop = list.scrollHeight - before;
        earlierBtn.disabled = false;
        if (!page.has_more || state.firstSeq <= 1) { earlierBtn.hidden = true; }
        announce(page.messages.length + " earlier messages loaded.");
      })
      .catch(function () { earlierBtn.disabled = false; });
  }

  // --- read position and unread badges --------------------------------------------------
  function setBadge(id, unread) {
    var info = state.rooms[id];
    if (!info || !info.badge) { return; }
    info.unread = Math.max(0, unread);
    info.badge.querySelector(".cop-chat__unread-count").textContent =
      info.unread > 99 ? "99+" : String(info.unread);
    info.badge.hidden = info.unread === 0 || id === roomId;
  }

  function scheduleRead() {
    if (state.readTimer) { return; }
    state.readTimer = window.setTimeout(function () {
      state.readTimer = null;
      if (document.hidden || !atBottom() || state.lastSeq <= state.lastReadSeq) { return; }
      if (!socket.connected) { return; }
      var seq = state.lastSeq;
      socket.timeout(ACK_TIMEOUT).emit("read", { room_id: roomId, seq: seq },
        function (err, ack) {
          if (!err && ack && ack.ok) { state.lastReadSeq = ack.last_read_seq; }
        });
    }, 800);
  }

  // --- sending, with an outbox that survives going offline ------------------------------
  function loadOutbox() {
    try { return JSON.parse(window.localStorage.getItem(OUTBOX_KEY) || "[]"); }
    catch (e) { return []; }
  }

  var outbox = loadOutbox();

  function saveOutbox() {
    try { window.localStorage.setItem(OUTBOX_KEY, JSON.stringify(outbox)); } catch (e) { /* full */ }
    if (outboxEl) {
      var waiting = outbox.filter(function (i) { return i.room_id === roomId; }).length;
      outboxEl.hidden = waiting === 0;
      outboxEl.textContent = waiting ? waiting + (waiting === 1 ? " message" : " messages") +
        " waiting to be sent." : "";
    }
  }

  function renderPending(item) {
    if (item.room_id !== roomId) { return; }
    if (list.querySelector('li[data-pending][data-client-id="' + CSS.escape(item.client_id) +
                           '"]')) { return; }
    removeEmptyNote();
    var li = el("li", "cop-chat-msg cop-chat-msg--own cop-chat-msg--pending");
    li.dataset.pending = "true";
    li.dataset.clientId = item.client_id;
    var meta = el("div", "cop-chat-msg__meta");
    meta.appendChild(el("span", "cop-chat-msg__author", me.name));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("span", "cop-chat-msg__state", "Sending…"));
    li.appendChild(meta);
    li.appendChild(el("div", "cop-chat-msg__body", item.body));
    list.appendChild(li);
    scrollToBottom();
  }

  function markFailed(item, message) {
    var li = list.querySelector('li[data-pending][data-client-id="' + CSS.escape(item.client_id) +
                                '"]');
    if (li) {
      li.classList.add("cop-chat-msg--failed");
      li.querySelector(".cop-chat-msg__state").textContent = "Not sent: " + message;
    }
  }

  function dropFromOutbox(clientId) {
    outbox = outbox.filter(function (i) { return i.client_id !== clientId; });
    saveOutbox();
  }

  // Send the queued messages one at a time, in order; a message stays queued until the
  // server acknowledged that it is stored (re-sending with its client_id is safe).
  function processOutbox() {
    if (state.sending || !socket.connected || !outbox.length) { return; }
    var item = outbox[0];
    state.sending = true;
    socket.timeout(ACK_TIMEOUT).emit("send", item, function (err, ack) {
      state.sending = false;
      if (err) { return window.setTimeout(processOutbox, 1000); }  // no answer: try again
      if (ack.ok) {
        dropFromOutbox(item.client_id);
        if (item.room_id === roomId) { addMessage(ack.message, false); }
        return processOutbox();
      }
      var code = ack.error && ack.error.code;
      if (RETRYABLE[code]) {
        if (code === "rate_limited") { showError(ack.error.message); }
        return window.setTimeout(processOutbox, code === "rate_limited" ? 5000 : 2000);
      }
      dropFromOutbox(item.client_id);
      markFailed(item, ack.error.message);
      showError(ack.error.message);
      processOutbox();
    });
  }

  function send(body) {
    var item = { room_id: roomId, body: body, client_id: newClientId() };
    outbox.push(item);
    saveOutbox();
    renderPending(item);
    processOutbox();
  }

  // --- the socket ---------------------------------------------------------------------------
  var socket = window.io("/chat", { withCredentials: true });

  function joinRoom(id) {
    socket.timeout(ACK_TIMEOUT).emit("join", { room_id: id }, function (err, ack) {
      if (err || !ack) { return; }
      if (!ack.ok) {
        if (id === roomId) { setStatus(ack.error.message); }
        return;
      }
      var info = state.rooms[id];
      if (info) { info.lastSeq = ack.last_seq; }
      if (id === roomId) {
        canModerate = ack.can_moderate;
        state.presence = {};
        ack.presence.forEach(function (p) { state.presence[p.id] = p.name; });
        renderPresence();
        catchUp();
      } else {
        setBadge(id, ack.last_seq - ack.last_read_seq);
      }
    });
  }

  socket.on("connect", function () {
    setStatus("Connected.");
    Object.keys(state.rooms).forEach(function (id) { joinRoom(Number(id)); });
    if (!state.rooms[roomId]) { joinRoom(roomId); }
    processOutbox();
  });

  socket.on("disconnect", function (reason) {
    if (reason === "io server disconnect") {
      setStatus("Disconnected by the server. Reload the page (you may need to log in again).");
    } else {
      setStatus("Offline: reconnecting… Messages you send now are kept and sent when the " +
                "connection returns.");
    }
  });

  socket.on("connect_error", function (err) {
    if (err && err.data && err.data.code === "unauthorized") {
      setStatus("Your session ended. Log in again to keep chatting.");
    } else {
      setStatus("Cannot reach the chat server; retrying…");
    }
  });

  socket.on("message", function (m) {
    var info = state.rooms[m.room_id];
    if (info && m.seq > info.lastSeq) { info.lastSeq = m.seq; }
    if (m.room_id !== roomId) {
      if (info && m.author.id !== me.id) { setBadge(m.room_id, (info.unread || 0) + 1); }
      return;
    }
    addMessage(m, true);
    if (m.seq > state.lastSeq) { catchUp(); }  // a gap: fetch what is missing
    scheduleRead();
  });

  socket.on("message_updated", function (m) {
    if (m.room_id === roomId) { replaceMessage(m); }
  });

  socket.on("message_deleted", function (d) {
    if (d.room_id !== roomId) { return; }
    if (d.edit_seq > state.lastEditSeq + 1) { catchUp(); return; }
    var li = state.byId[d.id];
    if (li) {
      replaceMessage({ id: d.id, room_id: d.room_id, seq: d.seq, deleted: true,
                       client_id: li.dataset.clientId, body_html: "", edit_seq: d.edit_seq,
                       author: { id: Number(li.dataset.authorId),
                                 name: li.querySelector(".cop-chat-msg__author").textContent },
                       created_at: li.querySelector("time").getAttribute("datetime") });
    }
  });

  socket.on("typing", function (d) {
    if (d.room_id !== roomId || d.user.id === me.id) { return; }
    window.clearTimeout(state.typingTimers[d.user.id]);
    state.typingTimers[d.user.id] = window.setTimeout(function () {
      delete state.typingTimers[d.user.id];
      renderTyping();
    }, 3500);
    state.typingNames = state.typingNames || {};
    state.typingNames[d.user.id] = d.user.name;
    renderTyping();
  });

  function renderTyping() {
    if (!typingEl) { return; }
    var names = Object.keys(state.typingTimers).map(function (id) {
      return (state.typingNames || {})[id];
    });
    typingEl.textContent = names.length === 0 ? "" : names.length === 1 ?
      names[0] + " is typing…" : names.length + " people are typing…";
  }

  socket.on("presence", function (d) {
    if (d.room_id !== roomId) { return; }
    d.joined.forEach(function (p) { state.presence[p.id] = p.name; });
    d.left.forEach(function (id) { delete state.presence[id]; });
    renderPresence();
  });

  function renderPresence() {
    if (!presenceEl) { return; }
    presenceEl.textContent = "";
    var people = Object.keys(state.presence).map(function (id) {
      return { id: Number(id), name: state.presence[id] };
    }).sort(function (a, b) { return a.name.localeCompare(b.name); });
    people.forEach(function (p) {
      presenceEl.appendChild(el("li", "cop-chat__present", p.name + (p.id === me.id ? " (you)" : "")));
    });
  }

  socket.on("read", function (d) {
    if (d.room_id === roomId) { state.lastReadSeq = d.last_read_seq; }
    setBadge(d.room_id, d.unread);
  });

  socket.on("room_added", function (room) {
    if (state.rooms[room.id]) { return; }
    var nav = document.querySelector(".cop-chat__rooms .cop-chat__room-list:last-of-type");
    if (!nav) { return; }
    var li = el("li");
    var a = el("a", "cop-chat__room-link");
    a.href = "/chat/rooms/" + room.id;
    a.dataset.roomLink = room.id;
    a.appendChild(el("span", "cop-chat__room-name", room.name));
    var badge = el("span", "cop-chat__unread");
    badge.dataset.unreadFor = room.id;
    badge.appendChild(el("span", "cop-chat__unread-count", "0"));
    badge.appendChild(el("span", "usa-sr-only", " unread"));
    badge.hidden = true;
    a.appendChild(badge);
    li.appendChild(a);
    nav.appendChild(li);
    state.rooms[room.id] = { lastSeq: 0, unread: 0, badge: badge };
    joinRoom(room.id);
  });

  socket.on("room_removed", function (d) {
    if (d.room_id === roomId) {
      setStatus("You no longer have access to this room.");
      if (form) { form.hidden = true; }
    }
    var link = document.querySelector('[data-room-link="' + d.room_id + '"]');
    if (link && d.room_id !== roomId) { link.parentNode.removeChild(link); }
    delete state.rooms[d.room_id];
  });

  socket.on("muted", function (d) {
    if (d.room_id !== roomId) { return; }
    if (d.until) {
      showError("A moderator muted you in this room until " + timeLabel(d.until) + ".");
    } else {
      showError("");
      setStatus("You can post in this room again.");
    }
  });

  socket.on("session_ended", function () {
    setStatus("You were logged out. Log in again to keep chatting.");
    socket.disconnect();  // do not reconnect with a cookie that no longer works
  });

  // --- message actions (edit, delete, mute) --------------------------------------------
  function startEdit(li, button) {
    if (li.querySelector(".cop-chat-edit")) { return; }
    var id = Number(li.dataset.id);
    var body = li.querySelector(".cop-chat-msg__body");
    var editForm = el("form", "usa-form cop-chat-edit");
    var fieldId = "chat-edit-" + id;
    var label = el("label", "usa-label", "Edit your message");
    label.setAttribute("for", fieldId);
    var area = el("textarea", "usa-textarea");
    area.id = fieldId;
    area.rows = 3;
    area.value = "";
    var save = el("button", "usa-button usa-button--small", "Save");
    save.type = "submit";
    var cancel = el("button", "usa-button usa-button--outline usa-button--small", "Cancel");
    cancel.type = "button";
    editForm.appendChild(label);
    editForm.appendChild(area);
    editForm.appendChild(save);
    editForm.appendChild(cancel);
    body.hidden = true;
    li.appendChild(editForm);
    // The markdown source: fetch this one message's edit state from the API page.
    api(roomsUrl + "/" + roomId + "/messages?after_seq=" + (Number(li.dataset.seq) - 1) +
        "&limit=1").then(function (page) {
      if (page.messages.length) { area.value = page.messages[0].body; }
      area.focus();
    });
    function close() {
      editForm.parentNode.removeChild(editForm);
      body.hidden = false;
      if (button && button.isConnected) { button.focus(); }
    }
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
    editForm.addEventListener("submit", function (e) {
      e.preventDefault();
      socket.timeout(ACK_TIMEOUT).emit("edit", { message_id: id, body: area.value },
        function (err, ack) {
          if (err) { showError("No answer from the server; try again."); return; }
          if (!ack.ok) { showError(ack.error.message); return; }
          showError("");
          replaceMessage(ack.message);
          var fresh = state.byId[id];
          var again = fresh && fresh.querySelector('[data-action="edit"]');
          if (again) { again.focus(); }
        });
    });
  }

  function deleteMessage(li) {
    if (!window.confirm("Delete this message? This cannot be undone.")) { return; }
    socket.timeout(ACK_TIMEOUT).emit("delete", { message_id: Number(li.dataset.id) },
      function (err, ack) {
        if (err) { showError("No answer from the server; try again."); return; }
        if (!ack.ok) { showError(ack.error.message); return; }
        replaceMessage(ack.message);
        announce("Message deleted.");
      });
  }

  function muteAuthor(li) {
    var name = li.querySelector(".cop-chat-msg__author").textContent;
    var answer = window.prompt("Mute " + name + " in this room for how many minutes?", "15");
    if (answer === null) { return; }
    var minutes = parseInt(answer, 10);
    socket.timeout(ACK_TIMEOUT).emit("mute", { room_id: roomId, minutes: minutes,
      user_id: Number(li.dataset.authorId), reason: "" }, function (err, ack) {
      if (err) { showError("No answer from the server; try again."); return; }
      if (!ack.ok) { showError(ack.error.message); return; }
      setStatus(name + " is muted here until " + timeLabel(ack.until) + ".");
    });
  }

  list.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    if (!button) { return; }
    var li = button.closest("li.cop-chat-msg");
    if (!li || li.dataset.pending) { return; }
    e.preventDefault();
    var action = button.dataset.action;
    if (action === "edit") { startEdit(li, button); }
    else if (action === "delete") { deleteMessage(li); }
    else if (action === "mute") { muteAuthor(li); }
  });

  // The server-rendered delete buttons are forms (for pages without JavaScript).
  list.addEventListener("submit", function (e) {
    var deleteForm = e.target.closest("form[data-action='delete']");
    if (!deleteForm) { return; }
    e.preventDefault();
    deleteMessage(deleteForm.closest("li.cop-chat-msg"));
  });

  // --- the composer ---------------------------------------------------------------------
  if (form && input) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = input.value.trim();
      if (!body) { showError("Write a message first."); input.focus(); return; }
      if (body.length > maxBody) {
        showError("A message can be at most " + maxBody.toLocaleString() +
                  " characters; this one has " + body.length.toLocaleString() + ".");
        return;
      }
      showError("");
      input.value = "";
      send(body);
      input.focus();
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    input.addEventListener("input", function () {
      var now = Date.now();
      if (socket.connected && now - state.typingSentAt > 2000 && input.value) {
        state.typingSentAt = now;
        socket.emit("typing", { room_id: roomId });
      }
    });
  }

  // --- start ----------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-room-link]"), function (a) {
    var id = Number(a.dataset.roomLink);
    var lastSeq = Number(a.dataset.lastSeq) || 0;
    var lastRead = Number(a.dataset.lastReadSeq) || 0;
    state.rooms[id] = { lastSeq: lastSeq, unread: Math.max(0, lastSeq - lastRead),
                        badge: a.querySelector("[data-unread-for]") };
  });
  Array.prototype.forEach.call(list.querySelectorAll("li.cop-chat-msg[data-seq]"), function (li) {
    var seq = Number(li.dataset.seq);
    state.byId[Number(li.dataset.id)] = li;
    state.seqs[seq] = true;
    if (!state.firstSeq || seq < state.firstSeq) { state.firstSeq = seq; }
    var edit = li.querySelector('[data-action="edit"]');
    if (edit) { edit.hidden = false; }
  });
  // The page shows the latest messages: everything from the first one shown is contiguous.
  state.lastSeq = state.firstSeq ? state.firstSeq - 1 : 0;
  advanceContiguous();
  if (!state.firstSeq) { state.lastSeq = Number(root.dataset.lastSeq) || 0; }

  if (earlierBtn) {
    earlierBtn.hidden = false;
    earlierBtn.addEventListener("click", loadEarlier);
  }
  list.addEventListener("scroll", function () {
    if (list.scrollTop < 30 && earlierBtn && !earlierBtn.hidden && !earlierBtn.disabled) {
      loadEarlier();
    }
    scheduleRead();
  });
  document.addEventListener("visibilitychange", scheduleRead);

  var divider = document.getElementById("chat-divider");
  if (divider) { list.scrollTop = divider.offsetTop - list.offsetTop - 20; } else { scrollToBottom(); }
  outbox.forEach(renderPending);
  saveOutbox();
  setStatus("Connecting…");
})();
