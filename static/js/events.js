// cop events: the live page's pins and "questions for the speakers" on top of the chat
// (static/js/chat.js draws the messages; this file marks them). The host pins and marks
// through the API; everyone's page picks the marks up every few seconds. No inline
// scripts (CSP). Without JavaScript the page still shows the pinned messages.
(function () {
  "use strict";

  var root = document.getElementById("event-live");
  if (!root) { return; }

  var canMark = root.dataset.canMark === "true";
  var marksUrl = root.dataset.marksUrl;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var list = document.getElementById("chat-messages");
  var pinnedList = document.getElementById("event-pinned");
  var pinnedEmpty = document.getElementById("event-pinned-empty");
  var filterEmpty = document.getElementById("event-filter-empty");
  var questionCount = document.getElementById("event-question-count");
  var announcer = document.getElementById("event-announcer");
  var POLL_MS = 10000;

  var marks = {};   // message id -> {pin: bool, question: bool}
  var showQuestionsOnly = false;

  function setMarks(rows) {
    marks = {};
    (rows || []).forEach(function (row) {
      marks[row.message_id] = { pin: !!row.pin, question: !!row.question };
    });
  }

  try { setMarks(JSON.parse(root.dataset.marks || "[]")); } catch (e) { setMarks([]); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function announce(text) {
    if (!announcer) { return; }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function authorOf(li) {
    var a = li.querySelector(".cop-chat-msg__author");
    return a ? a.textContent : "";
  }

  function markButton(li, kind, on) {
    var label = kind === "pin" ? (on ? "Unpin" : "Pin") :
      (on ? "Unmark question" : "Mark as question");
    var b = el("button", "usa-button usa-button--unstyled");
    b.type = "button";
    b.dataset.eventMark = kind;
    b.dataset.on = on ? "false" : "true";  // what a click sets
    b.appendChild(document.createTextNode(label));
    b.appendChild(el("span", "usa-sr-only", ": message from " + authorOf(li)));
    return b;
  }

  // Show a message's marks: a class, a visible text tag, and the host's buttons.
  function decorate(li) {
    if (!li.classList.contains("cop-chat-msg") || li.dataset.pending || !li.dataset.id) {
      return;
    }
    var id = Number(li.dataset.id);
    var m = marks[id] || { pin: false, question: false };
    var deleted = li.classList.contains("cop-chat-msg--deleted");
    li.classList.toggle("cop-chat-msg--question", m.question && !deleted);
    li.classList.toggle("cop-chat-msg--pinned", m.pin && !deleted);
    var meta = li.querySelector(".cop-chat-msg__meta");
    var tags = li.querySelector(".cop-event-tags");
    if (tags) { tags.parentNode.removeChild(tags); }
    if (meta && !deleted && (m.pin || m.question)) {
      tags = el("span", "cop-event-tags");
      if (m.question) {
        tags.appendChild(document.createTextNode(" "));
        tags.appendChild(el("span", "usa-tag cop-tag--question", "Question for the speakers"));
      }
      if (m.pin) {
        tags.appendChild(document.createTextNode(" "));
        tags.appendChild(el("span", "usa-tag cop-tag--pin", "Pinned"));
      }
      meta.appendChild(tags);
    }
    var box = li.querySelector(".cop-event-marks");
    if (box) { box.parentNode.removeChild(box); }
    if (canMark && !deleted) {
      box = el("div", "cop-event-marks");
      box.appendChild(markButton(li, "pin", m.pin));
      box.appendChild(markButton(li, "question", m.question));
      li.appendChild(box);
    }
  }

  function messages() {
    return list ? Array.prototype.slice.call(list.querySelectorAll("li.cop-chat-msg")) : [];
  }

  function applyFilter() {
    var shown = 0;
    if (list) {
      Array.prototype.forEach.call(list.children, function (li) {
        var isMessage = li.classList.contains("cop-chat-msg") && li.dataset.id;
        var keep = !showQuestionsOnly ||
          (isMessage && marks[Number(li.dataset.id)] && marks[Number(li.dataset.id)].question &&
           !li.classList.contains("cop-chat-msg--deleted"));
        li.hidden = !keep;
        if (keep && isMessage) { shown += 1; }
      });
    }
    if (filterEmpty) { filterEmpty.hidden = !(showQuestionsOnly && shown === 0); }
    var count = Object.keys(marks).filter(function (id) { return marks[id].question; }).length;
    if (questionCount) { questionCount.textContent = String(count); }
  }

  function renderPinned() {
    if (!pinnedList) { return; }
    var existing = {};
    Array.prototype.forEach.call(pinnedList.children, function (li) {
      existing[li.dataset.messageId] = li;
    });
    pinnedList.textContent = "";
    var count = 0;
    Object.keys(marks).forEach(function (id) {
      if (!marks[id].pin) { return; }
      var source = list && list.querySelector('li.cop-chat-msg[data-id="' + id + '"]');
      var item;
      if (source) {
        item = el("li", "cop-pinned__item");
        item.dataset.messageId = id;
        item.appendChild(el("strong", "", authorOf(source) + ":"));
        var body = source.querySelector(".cop-chat-msg__body");
        item.appendChild(document.createTextNode(" " + (body ? body.textContent.trim() : "")));
      } else if (existing[id]) {
        item = existing[id];
      }
      if (item) { pinnedList.appendChild(item); count += 1; }
    });
    if (pinnedEmpty) { pinnedEmpty.hidden = count > 0; }
  }

  function refresh() {
    messages().forEach(decorate);
    applyFilter();
    renderPinned();
  }

  function request(method, body) {
    var headers = { "Accept": "application/json" };
    if (body) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = csrf;
    }
    return window.fetch(marksUrl, {
      method: method, headers: headers, credentials: "same-origin",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error((data && data.error && data.error.message) || ("HTTP " + response.status));
        }
        return data;
      });
    });
  }

  if (list) {
    list.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-event-mark]");
      if (!button) { return; }
      e.preventDefault();
      var li = button.closest("li.cop-chat-msg");
      var kind = button.dataset.eventMark;
      var on = button.dataset.on === "true";
      button.disabled = true;
      request("POST", { message_id: Number(li.dataset.id), kind: kind, on: on })
        .then(function (rows) {
          setMarks(rows);
          refresh();
          announce(kind === "pin" ? (on ? "Message pinned." : "Message unpinned.") :
            (on ? "Marked as a question for the speakers." : "Question mark removed."));
          var again = li.isConnected && li.querySelector('button[data-event-mark="' + kind + '"]');
          if (again) { again.focus(); }
        })
        .catch(function (err) { announce("Not saved: " + err.message); button.disabled = false; });
    });

    // chat.js adds and replaces messages: mark the new ones as they come.
    new window.MutationObserver(function (records) {
      var changed = false;
      records.forEach(function (r) {
        Array.prototype.forEach.call(r.addedNodes, function (node) {
          if (node.nodeType === 1 && node.matches("li.cop-chat-msg")) {
            decorate(node);
            changed = true;
          }
        });
      });
      if (changed) { applyFilter(); renderPinned(); }
    }).observe(list, { childList: true });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-event-filter]"), function (b) {
    b.addEventListener("click", function () {
      showQuestionsOnly = b.dataset.eventFilter === "questions";
      Array.prototype.forEach.call(document.querySelectorAll("[data-event-filter]"),
        function (other) { other.setAttribute("aria-pressed", other === b ? "true" : "false"); });
      applyFilter();
      announce(showQuestionsOnly ? "Showing the questions for the speakers only." :
        "Showing all messages.");
    });
  });

  // Everyone sees the host's marks within a few seconds.
  window.setInterval(function () {
    if (document.hidden) { return; }
    request("GET").then(function (rows) { setMarks(rows); refresh(); }).catch(function () {});
  }, POLL_MS);

  refresh();
})();
