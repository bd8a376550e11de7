// cop notifications: keeps the header bell's unread count live over Socket.IO.
// The server pushes "notifications:count" {unread: n} to this user's private room after
// every change (cop/notifications/realtime.py). Without Socket.IO the count simply stays
// as rendered, and the next page load shows the current one.
(function () {
  "use strict";

  var bell = document.querySelector("[data-cop-bell]");
  if (!bell || typeof window.io !== "function") {
    return;
  }
  var badge = bell.querySelector("[data-cop-bell-badge]");
  var number = bell.querySelector("[data-cop-bell-count]");
  var status = bell.querySelector("[data-cop-bell-status]");
  var current = parseInt(bell.getAttribute("data-count"), 10) || 0;

  function show(count, announce) {
    if (typeof count !== "number" || count < 0 || count === current) {
      return;
    }
    var more = count > current;
    current = count;
    bell.setAttribute("data-count", String(count));
    number.textContent = String(count);
    badge.hidden = count === 0;
    // The same count on the small-screen Menu button.
    var menuBadges = document.querySelectorAll("[data-cop-menu-badge]");
    for (var i = 0; i < menuBadges.length; i++) {
      menuBadges[i].hidden = count === 0;
      var menuCount = menuBadges[i].querySelector("[data-cop-menu-count]");
      if (menuCount) { menuCount.textContent = String(count); }
    }
    // Screen readers hear about new notifications (politely), not about reading them.
    if (announce && more && status) {
      status.textContent = count === 1 ? "1 unread notification" : count + " unread notifications";
    }
  }

  // Catch up on what happened between the page render and the connection (or an outage).
  function refresh() {
    var url = bell.getAttribute("data-count-url");
    if (!url || !window.fetch) {
      return;
    }
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(data.unread_count, true); } })
      .catch(function () { /* offline: keep the rendered count */ });
  }

  var socket = window.io({ withCredentials: true });
  socket.on("connect", function () {
    bell.setAttribute("data-live", "connected");
    refresh();
  });
  socket.on("disconnect", function () {
    bell.setAttribute("data-live", "disconnected");
  });
  socket.on("notifications:count", function (data) {
    if (data && typeof data.unread === "number") {
      show(data.unread, true);
    }
  });
})();
