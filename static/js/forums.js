// cop forums: drafts kept while writing, @mention autocomplete, quote-reply, reactions
// without a page reload. Everything works without JavaScript; this only makes it smoother.
// No inline scripts (CSP script-src 'self').
(function () {
  "use strict";

  var DRAFT_PREFIX = "cop-forums-draft:";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // One polite live region for announcements that are not tied to a composer.
  var live = document.createElement("div");
  live.className = "usa-sr-only";
  live.setAttribute("role", "status");
  live.id = "cop-forums-live";
  document.body.appendChild(live);

  function announce(region, text) {
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function storage() {
    try {
      var s = window.localStorage;
      s.setItem(DRAFT_PREFIX + "probe", "1");
      s.removeItem(DRAFT_PREFIX + "probe");
      return s;
    } catch (e) {
      return null;
    }
  }

  // ------------------------------------------------------------ drafts

  function setupDraft(composer, textarea, status) {
    var store = storage();
    if (!store || !composer.dataset.draftKey) { return; }
    var key = DRAFT_PREFIX + composer.dataset.draftKey;
    var original = textarea.value;
    var discard = composer.querySelector(".cop-composer__discard");
    var timer = null;

    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && saved.text && saved.text !== textarea.value) {
      textarea.value = saved.text;
      status.textContent = "Restored the draft you were writing on this device" +
        (saved.at ? " (" + new Date(saved.at).toLocaleString() + ")" : "") + ".";
      if (discard) { discard.hidden = false; }
    }

    function save() {
      var text = textarea.value;
      if (text.trim() === "" || text === original) {
        store.removeItem(key);
      } else {
        store.setItem(key, JSON.stringify({ text: text, at: Date.now() }));
      }
    }
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 400);
    });
    if (discard) {
      discard.addEventListener("click", function () {
        store.removeItem(key);
        textarea.value = original;
        discard.hidden = true;
        announce(status, "The draft is discarded.");
        textarea.focus();
      });
    }
    var form = composer.closest("form");
    if (form) {
      form.addEventListener("submit", function () { store.removeItem(key); });
    }
    composer.copSaveDraft = save;
  }

  // Drafts may hold a coalition's private words: forget them all at log-out.
  document.querySelectorAll("form.cop-logout").forEach(function (form) {
    form.addEventListener("submit", function () {
      var store = storage();
      if (!store) { return; }
      for (var i = store.length - 1; i >= 0; i--) {
        var k = store.key(i);
        if (k && k.indexOf(DRAFT_PREFIX) === 0) { store.removeItem(k); }
      }
    });
  });

  // ------------------------------------------------------------ mentions

  function setupMentions(composer, textarea, status) {
    var url = composer.dataset.mentionUrl;
    var list = composer.querySelector(".cop-mentions");
    if (!url || !list || !window.fetch) { return; }
    var scope = composer.dataset.mentionThread ? "&thread=" + composer.dataset.mentionThread
      : (composer.dataset.mentionCategory ? "&category=" +
         encodeURIComponent(composer.dataset.mentionCategory) : "");
    var items = [];
    var active = -1;
    var token = null;
    var seq = 0;
    var timer = null;

    function currentToken() {
      var pos = textarea.selectionStart;
      if (pos !== textarea.selectionEnd) { return null; }
      var before = textarea.value.slice(0, pos);
      // "@Jordan" or "@Jordan Si": a first name, and the start of a second one.
      var m = /(^|[^\w@\/.+-])@([^\s@]{1,30}(?: [^\s@]{0,30})?)$/.exec(before);
      return m ? { start: pos - m[2].length - 1, end: pos, query: m[2] } : null;
    }

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0) {
        textarea.setAttribute("aria-activedescendant", items[index].id);
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var person = items[index] && items[index].copPerson;
      if (!person || !token) { return; }
      var text = "@" + person.handle + " ";
      textarea.value = textarea.value.slice(0, token.start) + text + textarea.value.slice(token.end);
      var caret = token.start + text.length;
      textarea.setSelectionRange(caret, caret);
      close();
      announce(status, person.name + " mentioned" +
        (person.can_see ? "." : ": they cannot read this thread and will not be notified."));
      textarea.dispatchEvent(new Event("input"));
      textarea.focus();
    }

    function render(people) {
      list.innerHTML = "";
      items = people.map(function (person, i) {
        var li = document.createElement("li");
        li.id = textarea.id + "-mention-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = person.name;
        var detail = document.createElement("span");
        detail.className = "cop-mentions__detail";
        detail.textContent = (person.organization || "") +
          (person.can_see ? "" : " (cannot read this thread: not notified)");
        li.appendChild(detail);
        li.copPerson = person;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
        return li;
      });
      if (!items.length) {
        close();  // silently: typing on after a mention is not a failed search
        return;
      }
      list.hidden = false;
      highlight(0);
      announce(status, items.length + (items.length === 1 ? " person matches" : " people match") +
        ". Up and down arrows to choose, Enter to insert, Escape to close.");
    }

    function lookup() {
      token = currentToken();
      if (!token) { close(); return; }
      var mine = ++seq;
      var q = token.query.replace(/-\d+$/, "").replace(/[-_.]+/g, " ").trim();
      if (!q) { close(); return; }
      fetch(url + "?q=" + encodeURIComponent(q) + scope, {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { return r.ok ? r.json() : []; })
        .then(function (people) { if (mine === seq && currentToken()) { render(people); } })
        .catch(function () { close(); });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, 200);
    });
    textarea.addEventListener("keydown", function (e) {
      if (list.hidden || !items.length) { return; }
      if (e.key === "ArrowDown") {
        e.preventDefault();
        highlight((active + 1) % items.length);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        highlight((active - 1 + items.length) % items.length);
      } else if (e.key === "Enter" || e.key === "Tab") {
        if (active >= 0) { e.preventDefault(); choose(active); }
      } else if (e.key === "Escape") {
        e.preventDefault();
        close();
      }
    });
    textarea.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  var composers = document.querySelectorAll(".cop-composer");
  composers.forEach(function (composer) {
    var textarea = composer.querySelector("textarea");
    var status = composer.querySelector(".cop-composer__status") || live;
    if (!textarea) { return; }
    setupDraft(composer, textarea, status);
    setupMentions(composer, textarea, status);
  });

  // ------------------------------------------------------------ quote-reply

  function quoteMarkdown(article, text) {
    var name = article.dataset.authorName || "A former member";
    var id = article.dataset.authorId;
    var who = id ? "[" + name.replace(/([\\`*_{}\[\]()#+!<>|~-])/g, "\\$1") + "](/people/" + id + ")"
      : name;
    var lines = text.trim().split(/\r?\n/).map(function (l) { return l ? "> " + l : ">"; });
    return "> **" + who + "** [wrote](" + article.dataset.postUrl + "):\n>\n" + lines.join("\n") + "\n\n";
  }

  function insertQuote(quote) {
    var composer = document.querySelector(".cop-reply .cop-composer");
    var textarea = composer && composer.querySelector("textarea");
    if (!textarea) { return false; }
    var value = textarea.value;
    textarea.value = value + (value && !/\n\n$/.test(value) ? "\n\n" : "") + quote;
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    textarea.dispatchEvent(new Event("input"));
    if (composer.copSaveDraft) { composer.copSaveDraft(); }
    announce(composer.querySelector(".cop-composer__status") || live,
      "The quote is added to your reply.");
    return true;
  }

  document.querySelectorAll("a.cop-quote").forEach(function (link) {
    link.addEventListener("click", function (e) {
      var article = link.closest("article.cop-post");
      var composer = document.querySelector(".cop-reply .cop-composer");
      if (!article || !composer || !window.fetch) { return; }  // the server's reply page
      var body = article.querySelector(".cop-post__body");
      var selection = window.getSelection ? window.getSelection() : null;
      var selected = selection && selection.rangeCount && body &&
        body.contains(selection.anchorNode) && body.contains(selection.focusNode)
        ? selection.toString() : "";
      e.preventDefault();
      if (selected.trim()) {
        insertQuote(quoteMarkdown(article, selected));
        return;
      }
      fetch("/api/v1/forums/posts/" + article.dataset.postId, {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (post) { insertQuote(quoteMarkdown(article, post.body || "")); })
        .catch(function () { window.location.href = link.href; });
    });
  });

  // ------------------------------------------------------------ reactions

  document.querySelectorAll("form.cop-reactions[data-api]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var button = e.submitter;
      if (!button || !window.fetch || form.dataset.plain) { return; }
      e.preventDefault();
      var kind = button.dataset.kind;
      var on = button.getAttribute("aria-pressed") !== "true";
      button.disabled = true;
      fetch(form.dataset.api.replace("KIND", encodeURIComponent(kind)), {
        method: on ? "PUT" : "DELETE", credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf }
      }).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          data.reactions.forEach(function (r) {
            var b = form.querySelector('button[data-kind="' + r.kind + '"]');
            if (!b) { return; }
            b.setAttribute("aria-pressed", r.mine ? "true" : "false");
            b.value = r.kind + ":" + (r.mine ? "off" : "on");
            b.classList.toggle("cop-reaction--mine", r.mine);
            b.querySelector(".cop-reaction__count").textContent = r.count;
          });
          var label = button.querySelector(".cop-reaction__label").textContent;
          announce(live, (on ? "You reacted: " : "You took back: ") + label + ".");
        })
        .catch(function () {
          button.disabled = false;
          form.dataset.plain = "1";
          form.requestSubmit(button);
        })
        .then(function () { button.disabled = false; });
    });
  });
})();
